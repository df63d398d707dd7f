"""Identity checks: one-time codes by SMS or e-mail, documents checked by an agent, national eIDs."""
