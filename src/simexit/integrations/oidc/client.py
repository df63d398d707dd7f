"""An OpenID Connect provider as simexit's `identity` port: BankID (its OIDC interface),
ID-porten, Gosuslugi/ESIA through an OIDC-speaking gateway, or any other provider.

Authorization code flow: `begin_check` sends the subscriber to the authorization endpoint with
`state` (the check id), `nonce`, a PKCE S256 challenge and the `acr_values` the pack's method
needs; `complete_check` trades the code (with the PKCE verifier and the client's secret) at the
token endpoint and checks the ID token against the provider's JWKS (`tokens.check_id_token`).

What an `acr` proves is configuration, not code: `acr_methods` maps each assurance level to the
pack identity methods it satisfies, and `national_id_claim` names the claim that carries the
national identity number. The number is handed back for comparison and never logged."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from pydantic import Field, SecretStr

from simexit.errors import GatewayError
from simexit.integrations.oidc.tokens import check_id_token
from simexit.operators.gateways import AdapterOptions
from simexit.verification.eid import code_challenge
from simexit.verification.ports import (
    CheckSecrets,
    IdentityCheckStart,
    IdentityNotProven,
    VerifiedIdentity,
)


class OidcOptions(AdapterOptions):
    issuer: str = Field(min_length=1, description="The provider's issuer URL (discovery base).")
    client_id: str = Field(min_length=1)
    client_secret: SecretStr  # given in the gateways file as client_secret_env
    redirect_uri: str = Field(min_length=1, description="simexit's callback, as registered.")
    scope: str = "openid"
    national_id_claim: str = Field(default="pid", min_length=1)
    acr_methods: dict[str, list[str]] = Field(min_length=1)
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 10.0


class OidcIdentity:
    def __init__(self, options: OidcOptions) -> None:
        self.options = options
        self._discovery: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.options.timeout_seconds)
            response.raise_for_status()
            found: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise GatewayError(f"identity provider: {url} failed: {error}") from None
        return found

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                base = self.options.issuer.rstrip("/")
                self._discovery = self._get(f"{base}/.well-known/openid-configuration")
            return self._discovery

    def acr_for(self, method: str) -> tuple[str, ...]:
        return tuple(acr for acr, methods in self.options.acr_methods.items() if method in methods)

    def begin_check(
        self,
        *,
        check_id: str,
        return_url: str,  # noqa: ARG002 - the registered redirect_uri is used
        login_hint: str | None,
        secrets: CheckSecrets,
        acr_values: tuple[str, ...] = (),
    ) -> IdentityCheckStart:
        """`return_url` is not used: the provider sends the subscriber back to the registered
        `redirect_uri`, which carries the check id as `state`."""
        query = {
            "response_type": "code",
            "client_id": self.options.client_id,
            "redirect_uri": self.options.redirect_uri,
            "scope": self.options.scope,
            "state": check_id,
            "nonce": secrets.nonce,
            "code_challenge": code_challenge(secrets.code_verifier),
            "code_challenge_method": "S256",
        }
        if acr_values:
            query["acr_values"] = " ".join(acr_values)
        if login_hint:
            query["login_hint"] = login_hint
        endpoint = str(self.discovery()["authorization_endpoint"])
        return IdentityCheckStart(check_id=check_id, redirect_url=f"{endpoint}?{urlencode(query)}")

    def complete_check(
        self, *, check_id: str, response: Mapping[str, str], secrets: CheckSecrets, now: int
    ) -> VerifiedIdentity:
        if "error" in response:
            raise IdentityNotProven(f"the identity provider answered {response['error']}")
        if response.get("state") != check_id:
            raise IdentityNotProven("the answer belongs to another identity check (state)")
        code = response.get("code")
        if not code:
            raise IdentityNotProven("the identity provider sent no authorization code")
        claims = check_id_token(
            self._trade(code, secrets.code_verifier),
            jwks=self._get(str(self.discovery()["jwks_uri"])),
            issuer=self.options.issuer,
            client_id=self.options.client_id,
            nonce=secrets.nonce,
            now=now,
        )
        return self.identity_of(claims)

    def identity_of(self, claims: Mapping[str, Any]) -> VerifiedIdentity:
        """Who the checked claims name, and which pack methods their `acr` satisfies."""
        acr = claims.get("acr")
        national = claims.get(self.options.national_id_claim)
        return VerifiedIdentity(
            subject=str(claims["sub"]),
            assurance=str(acr) if acr is not None else None,
            methods=tuple(self.options.acr_methods.get(str(acr), ())),
            national_id=str(national) if national is not None else None,
        )

    def _trade(self, code: str, code_verifier: str) -> str:
        """The ID token for an authorization code (client_secret_basic, with the verifier)."""
        try:
            response = httpx.post(
                str(self.discovery()["token_endpoint"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.options.redirect_uri,
                    "code_verifier": code_verifier,
                },
                auth=(self.options.client_id, self.options.client_secret.get_secret_value()),
                timeout=self.options.timeout_seconds,
            )
        except httpx.HTTPError as error:
            raise GatewayError(f"identity provider: token endpoint failed: {error}") from None
        if response.status_code in {400, 401}:
            error_code = _json(response).get("error", response.status_code)
            raise IdentityNotProven(f"the identity provider refused the code ({error_code})")
        if response.status_code >= 300:
            raise GatewayError(f"identity provider: token endpoint answered {response.status_code}")
        token = _json(response).get("id_token")
        if not isinstance(token, str):
            raise IdentityNotProven("the identity provider sent no ID token")
        return token


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
