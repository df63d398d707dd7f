"""Who may call the API: API keys per operator or reseller (`simexit keys`, the API's caller look-up)."""
