"""Lines: subscriptions, their state and suspension flags, and the facts the policy engine reads."""
