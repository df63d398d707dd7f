"""`python -m simexit ...`: the same as the `simexit` command, errors reported the same way."""

from simexit.cli import app, run

if __name__ == "__main__":
    run(app)
