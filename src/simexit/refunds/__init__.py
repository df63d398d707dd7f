"""Refunds: paying money back to a subscriber. So far only the port a payout goes through; the
payout lifecycle (destinations from the pack, tracking until the bank confirms) comes later."""
