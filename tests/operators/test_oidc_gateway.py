"""An operator's eID provider in the gateways file: the `oidc` identity adapter, its acr mapping
and national-id claim as configuration, its client secret from the environment."""

from __future__ import annotations

from pathlib import Path

from simexit.integrations.oidc.client import OidcIdentity, OidcOptions
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.operators.gateways import Port, load_gateway_plan

BANKID = """
[operators.telenor-no]
sandbox = false
identity = { adapter = "oidc", issuer = "https://oidc.bankid.example", client_id = "simexit", client_secret_env = "BANKID_SECRET", redirect_uri = "https://simexit.example/my/eid/callback", scope = "openid nnin", national_id_claim = "nnin", acr_methods = { "urn:bankid:loa:high" = ["bankid"] } }
"""


def test_the_oidc_adapter_is_configured_per_operator(tmp_path: Path) -> None:
    path = tmp_path / "gateways.toml"
    path.write_text(BANKID, encoding="utf-8")
    plan = load_gateway_plan(path, catalog=REGISTRY.catalog(), environ={"BANKID_SECRET": "s3cret"})
    options = plan.for_operator("telenor-no").ports[Port.identity].options
    assert isinstance(options, OidcOptions)
    assert options.client_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(options)
    assert options.national_id_claim == "nnin"
    identity = GatewayDirectory(plan).for_operator("telenor-no").identity
    assert isinstance(identity, OidcIdentity)
    assert identity.acr_for("bankid") == ("urn:bankid:loa:high",)
    assert identity.acr_for("gosuslugi") == ()
