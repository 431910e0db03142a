"""The README's configuration table names every setting there is."""

from __future__ import annotations

from pathlib import Path

from tickex.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_names_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [f"TICKEX_{name.upper()}" for name in Settings.model_fields
               if f"`TICKEX_{name.upper()}`" not in text]  # fmt: skip
    assert not missing, f"add these to README.md's configuration table: {missing}"
