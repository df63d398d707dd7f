"""Tenants: operators, MVNOs and eSIM sellers, and what every request needs to know of one."""
