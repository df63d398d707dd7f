"""Test clocks: a sandbox operator's own "now", frozen and moved only forward (Stripe's and Kill
Bill's test clocks). `operators.clocks` turns the wall clock into the operator's at every edge;
this package makes and advances the clock, and runs the scheduler's work that came due."""
