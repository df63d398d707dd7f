"""The refunds tier's fixtures (packs, case context, simulated payments) serve the ledger's."""

from tests.refunds.conftest import ctx, packs, payments

__all__ = ["ctx", "packs", "payments"]
