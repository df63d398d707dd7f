"""`python -m simexit.worker`: the same as `simexit worker`, errors reported the same way."""

from simexit.cli import run
from simexit.cli.worker import app

if __name__ == "__main__":
    run(app)
