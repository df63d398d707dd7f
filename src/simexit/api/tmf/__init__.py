"""TM Forum Open APIs (v4) over simexit's cases and lines: TMF622 product ordering and TMF637
product inventory, mounted under `/tmf-api/...`. Errors there take TM Forum's shape (see
`api.errors`); the API keys and tenancy are `/v1`'s."""

from simexit.api.tmf import inventory, ordering

routers = [ordering.router, inventory.router]
