"""`python -m simexit.worker`: the same as `simexit worker`."""

from simexit.cli.worker import app

if __name__ == "__main__":
    app()
