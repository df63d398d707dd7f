"""The network port on a pyHSS-shaped HSS REST API."""
