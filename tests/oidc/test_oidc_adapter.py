"""The OIDC adapter against a real OpenID provider (oidc-provider): the whole authorization code
flow with PKCE, and each way an answer is refused."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from simexit.integrations.oidc.tokens import check_id_token
from simexit.verification.eid import check_secrets
from simexit.verification.ports import CheckSecrets, IdentityNotProven
from tests.oidc.conftest import ACCOUNTS, HIGH, SUBSTANTIAL, LocalProvider, sign_in_at_provider

SECRET = b"test-secret-key-0123456789abcdef0123"


def answer_for(provider: LocalProvider, check_id: str, who: str, acr: str = HIGH) -> dict[str, str]:
    start = provider.adapter().begin_check(
        check_id=check_id,
        return_url="unused",
        login_hint=who,
        secrets=check_secrets(SECRET, check_id),
        acr_values=(acr,),
    )
    query = parse_qs(urlsplit(start.redirect_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [check_id]
    assert "code_verifier" not in query
    return sign_in_at_provider(start.redirect_url)


def test_a_sign_in_proves_the_person_their_level_and_number(oidc_provider: LocalProvider) -> None:
    answer = answer_for(oidc_provider, "chk-ok", "kari")
    proven = oidc_provider.adapter().complete_check(
        check_id="chk-ok",
        response=answer,
        secrets=check_secrets(SECRET, "chk-ok"),
        now=int(time.time()),
    )
    assert proven.subject == "kari"
    assert proven.assurance == HIGH
    assert proven.methods == ("bankid",)
    assert proven.national_id == ACCOUNTS["kari"]["pid"]
    assert ACCOUNTS["kari"]["pid"] not in repr(proven)


def test_a_lower_level_maps_to_fewer_methods(oidc_provider: LocalProvider) -> None:
    answer = answer_for(oidc_provider, "chk-low", "kari", SUBSTANTIAL)
    proven = oidc_provider.adapter().complete_check(
        check_id="chk-low",
        response=answer,
        secrets=check_secrets(SECRET, "chk-low"),
        now=int(time.time()),
    )
    assert proven.assurance == SUBSTANTIAL
    assert "bankid" not in proven.methods


def test_a_wrong_nonce_is_refused(oidc_provider: LocalProvider) -> None:
    answer = answer_for(oidc_provider, "chk-nonce", "kari")
    right = check_secrets(SECRET, "chk-nonce")
    wrong = CheckSecrets(nonce="another-sign-in", code_verifier=right.code_verifier)
    with pytest.raises(IdentityNotProven, match="nonce"):
        oidc_provider.adapter().complete_check(
            check_id="chk-nonce", response=answer, secrets=wrong, now=int(time.time())
        )


def test_an_expired_token_is_refused(oidc_provider: LocalProvider) -> None:
    answer = answer_for(oidc_provider, "chk-exp", "kari")
    two_days_on = int(time.time()) + 2 * 86_400
    with pytest.raises(IdentityNotProven, match="expired"):
        oidc_provider.adapter().complete_check(
            check_id="chk-exp",
            response=answer,
            secrets=check_secrets(SECRET, "chk-exp"),
            now=two_days_on,
        )


def test_a_wrong_pkce_verifier_gets_no_token(oidc_provider: LocalProvider) -> None:
    answer = answer_for(oidc_provider, "chk-pkce", "kari")
    right = check_secrets(SECRET, "chk-pkce")
    wrong = CheckSecrets(nonce=right.nonce, code_verifier="x" * 43)
    with pytest.raises(IdentityNotProven, match="refused the code"):
        oidc_provider.adapter().complete_check(
            check_id="chk-pkce", response=answer, secrets=wrong, now=int(time.time())
        )


def test_an_answer_for_another_check_is_refused(oidc_provider: LocalProvider) -> None:
    answer = answer_for(oidc_provider, "chk-a", "kari")
    with pytest.raises(IdentityNotProven, match="state"):
        oidc_provider.adapter().complete_check(
            check_id="chk-b",
            response=answer,
            secrets=check_secrets(SECRET, "chk-b"),
            now=int(time.time()),
        )


def test_a_signature_from_another_key_is_refused(oidc_provider: LocalProvider) -> None:
    """The provider's real token, its claims signed again with a key of the same id that the
    provider never published."""
    adapter = oidc_provider.adapter()
    secrets = check_secrets(SECRET, "chk-key")
    answer = answer_for(oidc_provider, "chk-key", "kari")
    token = adapter._trade(answer["code"], secrets.code_verifier)
    jwks = httpx.get(adapter.discovery()["jwks_uri"]).json()
    real = jwt.decode(token, KeySet.import_key_set(jwks))
    impostor = RSAKey.generate_key(2048, parameters={"kid": real.header["kid"]})
    forged = jwt.encode({"alg": "RS256", "kid": real.header["kid"]}, real.claims, impostor)
    with pytest.raises(IdentityNotProven, match="not signed by the provider"):
        check_id_token(
            forged,
            jwks=jwks,
            issuer=oidc_provider.issuer,
            client_id="simexit",
            nonce=secrets.nonce,
            now=int(time.time()),
        )
    assert (
        check_id_token(
            token,
            jwks=jwks,
            issuer=oidc_provider.issuer,
            client_id="simexit",
            nonce=secrets.nonce,
            now=int(time.time()),
        )["sub"]
        == "kari"
    )
