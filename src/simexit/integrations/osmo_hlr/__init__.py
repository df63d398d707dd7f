"""osmo-hlr (Osmocom HLR) over its CTRL interface."""
