"""Adapters that implement the ports of the domains (`<vendor>/client.py`), built at the edge."""
