"""Files a subscriber sends with an answer: checked (type by magic bytes, size), sealed, stored
through the `FileStore` port, and erased with the person's data (docs/portal-experience.md)."""
