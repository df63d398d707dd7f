"""Personal data erasure: after the pack's retention period, and on a subscriber's request."""
