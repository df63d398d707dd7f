"""The API tests' app over the demo data (each back end), for the TM Forum façade."""

from tests.api.conftest import app, client, demo, runtime

__all__ = ["app", "client", "demo", "runtime"]
