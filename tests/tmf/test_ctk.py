"""The official TM Forum conformance kits, unmodified, run by newman against a real
`simexit serve` (a SQLite file seeded with the demo data on first start): every assertion passes.

The kits send no credentials of their own; the API key goes in the base URL as the HTTP Basic
user name with an empty password (`http://KEY:@127.0.0.1:PORT/...`). newman comes from
`.ci/node` (installed by `.ci/run`) or the PATH; without it the test fails under CI=true and is
skipped otherwise."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_serve_process import SIMEXIT, demo_key, free_port, wait_ready

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
KITS = Path(__file__).parent / "ctk"
LOCAL_NEWMAN = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "newman"

# kit directory, collection, the environment variable holding the base URL, the API's base path
RUNS = {
    "TMF622": (
        "TMF622-ProductOrdering-v4.0.0.testkit.json",
        "Product_Ordering",
        "/tmf-api/productOrderingManagement/v4/",
    ),
    "TMF681": (
        "TMF681-Communication-v4.0.0.testkit.json",
        "Communication",
        "/tmf-api/communicationManagement/v4/",
    ),
    "TMF637": (
        "TMF637-ProductInventory-v4.0.0.testkit.json",
        "Product_Inventory",
        "/tmf-api/productInventory/v4/",
    ),
}


def newman() -> str:
    found = str(LOCAL_NEWMAN) if LOCAL_NEWMAN.exists() else shutil.which("newman")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("newman is required in CI (.ci/run installs it into .ci/node)")
        pytest.skip("newman is not installed (npm install --prefix .ci/node newman@6)")
    return found


def test_the_vendored_kits_are_unmodified() -> None:
    listed = (KITS / "SHA256SUMS").read_text().split("\n")
    checked = 0
    for entry in filter(None, listed):
        digest, name = entry.split(maxsplit=1)
        assert hashlib.sha256((KITS / name).read_bytes()).hexdigest() == digest, name
        checked += 1
    assert checked >= 2 * len(RUNS)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    newman()
    tmp = tmp_path_factory.mktemp("ctk")
    port = free_port()
    out = tmp / "out.txt"
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": f"sqlite:///{tmp / 'ctk.db'}",
        "SIMEXIT_ENV": "local",
        "SIMEXIT_LOG_JSON": "true",
    }
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [str(SIMEXIT), "serve", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        yield port, demo_key(out)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


@pytest.mark.parametrize("kit", sorted(RUNS))
def test_the_conformance_kit_passes(kit: str, served: tuple[int, str], tmp_path: Path) -> None:
    port, key = served
    collection, variable, path = RUNS[kit]
    report = tmp_path / f"{kit}.json"
    run = subprocess.run(
        [
            newman(),
            "run",
            str(KITS / kit / collection),
            "-e",
            str(KITS / kit / "TMFENV-V4.0.0.postman_environment.json"),
            "--env-var",
            f"{variable}=http://{key}:@127.0.0.1:{port}{path}",
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--timeout-request",
            "60000",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), run.stdout + run.stderr
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["requests"]["failed"] == 0, run.stdout
    assert stats["assertions"]["total"] > 0, run.stdout
    assert stats["assertions"]["failed"] == 0, run.stdout
    assert run.returncode == 0, run.stdout + run.stderr
