"""Messages to subscribers (through registered channels) and events to integrators (webhooks).

`service.notify` writes one row per channel plus its delivery job, in the caller's transaction;
`channels` holds the built-in e-mail and SMS channels and the process's registry (others, such as
push, are adapters in `simexit.integrations`); `repository` every query and insert; `tasks` the
job handlers; `webhooks.emit` does the same for integrator events.
"""
