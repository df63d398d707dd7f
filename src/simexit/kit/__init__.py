"""Generic, domain-free helpers."""
