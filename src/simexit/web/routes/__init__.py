"""Routes by screen: guides, portal (subscriber), console (agents)."""
