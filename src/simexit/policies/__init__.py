"""Policy packs and their pure evaluation: every decision about a cancellation comes from here."""
