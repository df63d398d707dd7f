"""Resellers: the channel partners of an operator that sold lines and act for their customers."""
