"""Demo data for the embedded mode and the tests."""
