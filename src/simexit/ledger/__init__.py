"""The settlement ledger as finance reads it: entries per operator and period, and the trial
balance check."""
