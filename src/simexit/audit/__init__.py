"""The audit trail: append-only, hash-chained per operator so that tampering shows."""
