"""A real OpenID provider for the eID tests: the npm package oidc-provider, run by node with
tests/oidc/provider.mjs. `.ci/run` installs it into .ci/node; missing, the tests fail under
CI=true and are skipped otherwise, with the command that installs it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from simexit.db import Database
from simexit.integrations.oidc.client import OidcIdentity, OidcOptions
from simexit.runtime import Runtime
from simexit.seed.demo import SeedResult, seed_demo
from tests.api.conftest import NOW, build_runtime
from tests.api.test_serve_process import free_port

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"
PROVIDER = Path(__file__).with_name("provider.mjs")
CLIENT_SECRET = "test-client-secret-0123456789"
REDIRECT_URI = "http://127.0.0.1:9/eid/callback"  # never reached: the tests read the redirect
HIGH = "urn:test:loa:high"
SUBSTANTIAL = "urn:test:loa:substantial"
# Who can sign in at the test provider, and the national identity number each carries.
ACCOUNTS = {"kari": {"pid": "01017012345"}, "ola": {"pid": "02028054321"}}


def node_and_provider() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "oidc-provider").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("node and oidc-provider are required in CI (.ci/run installs them)")
        pytest.skip(
            "oidc-provider is not installed (npm install --prefix .ci/node oidc-provider@9)"
        )
    return node


@dataclass(frozen=True)
class LocalProvider:
    issuer: str

    def options(self, **changes: Any) -> OidcOptions:
        values: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": "simexit",
            "client_secret": SecretStr(CLIENT_SECRET),
            "redirect_uri": REDIRECT_URI,
            "scope": "openid pid",
            "national_id_claim": "pid",
            "acr_methods": {HIGH: ["bankid"], SUBSTANTIAL: ["id_porten"]},
        }
        return OidcOptions(**{**values, **changes})

    def adapter(self) -> OidcIdentity:
        return OidcIdentity(self.options())


def sign_in_at_provider(authorize_url: str) -> dict[str, str]:
    """Follow the provider's redirects as the subscriber's browser would (the test provider
    signs the login_hint in at once) and return what it sends simexit's callback."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        url = authorize_url
        for _ in range(10):
            response = browser.get(url)
            location = response.headers.get("location")
            assert response.status_code in {302, 303}, (response.status_code, response.text)
            assert location
            url = urljoin(url, location)
            if url.startswith(REDIRECT_URI):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    raise AssertionError("the provider never sent the subscriber back")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    node = node_and_provider()
    port = free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    env = {
        **os.environ,
        "OIDC_NODE_MODULES": str(NODE_MODULES),
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": REDIRECT_URI,
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    with log.open("w") as out:
        process = subprocess.Popen([node, str(PROVIDER)], env=env, stdout=out, stderr=out)
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise AssertionError(f"oidc-provider stopped: {log.read_text()}")
            if "listening" in log.read_text():
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)
        else:
            raise AssertionError(f"oidc-provider did not start: {log.read_text()}")
        yield LocalProvider(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def runtime(db: Database) -> Runtime:
    return build_runtime(db)


@pytest.fixture
def demo(runtime: Runtime) -> SeedResult:
    with runtime.db.session() as session:
        return seed_demo(session, packs=runtime.packs, now=NOW, password_hash="not-a-real-hash")
