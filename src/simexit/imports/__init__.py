"""Bulk import of an operator's subscriber base: a CSV or JSON Lines file, streamed in batches."""
