"""OpenID Connect identity providers (BankID's OIDC interface, ID-porten, an ESIA gateway, an
operator's own IdP): the `identity` port over the authorization code flow with PKCE."""
