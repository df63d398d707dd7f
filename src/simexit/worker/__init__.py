"""The `simexit worker` process: runs due jobs until told to stop (see `main.run_worker`)."""
