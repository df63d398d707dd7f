"""The Telenor, AT&T and MTS guides, as text, in all four languages, against golden files.

Regenerate after a deliberate change to a pack, a guide rule or a translation:

    SIMEXIT_REGENERATE_GOLDEN=1 .venv/bin/pytest -q tests/web/test_guide_golden.py

and read the diff (`git diff tests/web/golden/guides`) before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simexit.guides import build_guide
from simexit.policies.loader import load_registry
from simexit.web.guide_texts import guide_text
from simexit.web.i18n import Texts

GOLDEN = Path(__file__).parent / "golden" / "guides"
PACKS = ("no/telenor", "us/att", "ru/mts")
LANGUAGES = ("en", "nb", "ru", "zh_Hans")
REGENERATE = os.environ.get("SIMEXIT_REGENERATE_GOLDEN") == "1"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("pack_id", PACKS)
def test_guide_text_is_golden(pack_id: str, language: str) -> None:
    guide = build_guide(load_registry().get(pack_id).to_public_dict())
    text = guide_text(Texts(language), guide)
    path = GOLDEN / f"{pack_id.replace('/', '-')}.{language}.txt"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: regenerate (see this module's docstring)"
    assert text == path.read_text(encoding="utf-8")
