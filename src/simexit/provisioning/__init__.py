"""Provisioning: operators put their subscribers and lines into simexit (API, events, import)."""
