"""Signed provisioning webhooks (Standard Webhooks), for systems with no TMF641 OSS nor HLR API."""
