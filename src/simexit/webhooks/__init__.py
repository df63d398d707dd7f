"""Webhook endpoints of an operator: register, list, rotate the signing secret, disable; the
delivery log of one endpoint and replaying a delivery. Sending is `simexit.notifications.webhooks`."""
