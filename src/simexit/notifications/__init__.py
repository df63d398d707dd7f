"""Messages to subscribers (e-mail, SMS) and events to integrators (signed webhooks).

`service.notify` writes one row per channel plus its delivery job, in the caller's transaction;
`tasks` holds the job handlers; `webhooks.emit` does the same for integrator events.
"""
