"""The OSS port on a TM Forum TMF641 Service Ordering API (southbound)."""
