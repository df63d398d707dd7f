"""Signing in to the web: server-side sessions and the throttle on staff passwords."""
