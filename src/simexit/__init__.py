"""simexit: end mobile subscriptions correctly."""
