"""The JSON API (v1) and its assembly: `simexit.api.app.create_app`."""
