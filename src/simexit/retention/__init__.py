"""Retention offers of the operator's pack: shown beside the cancel action after the
consequences, declined in one tap, never a step; an accepted one is recorded with its effect."""
