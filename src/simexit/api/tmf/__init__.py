"""TM Forum Open APIs (v4) over simexit's cases and lines: TMF622 product ordering, TMF637
product inventory and TMF681 communication, mounted under `/tmf-api/...`. Errors there take TM Forum's shape (see
`api.errors`); the API keys and tenancy are `/v1`'s."""

from simexit.api.tmf import communication, inventory, ordering

routers = [ordering.router, inventory.router, communication.router]
