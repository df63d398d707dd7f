"""Subscriber portal, public guides and agent console: server-rendered pages in four languages."""
