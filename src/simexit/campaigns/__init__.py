"""Campaigns: one action (terminate, suspend, resume, notify) over a selection of lines, run in
chunks by durable jobs after a dry run and a second person's approval (docs/campaigns.md)."""
