"""The site's secret key: configured, else generated once in HOME and shared by every reader."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from likewise.digest.tokens import LinkError, signing_key
from likewise.secret_key import SecretKeyError, load_secret_key
from likewise.settings import Settings


def test_a_configured_key_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="configured-key")
    assert load_secret_key(settings) == "configured-key"
    assert not (tmp_path / "secret_key").exists()


def test_the_generated_key_is_written_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", secret_key="")
    first = load_secret_key(settings)
    path = tmp_path / "home" / "secret_key"
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(settings) == first
    assert signing_key(settings) == first


def test_an_empty_key_file_is_reported_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("likewise.secret_key.time.sleep", lambda seconds: None)
    (tmp_path / "secret_key").write_text("", encoding="utf-8")
    settings = Settings(home=tmp_path, secret_key="")
    with pytest.raises(SecretKeyError, match="LIKEWISE_SECRET_KEY"):
        load_secret_key(settings)
    with pytest.raises(LinkError, match="LIKEWISE_SECRET_KEY"):
        signing_key(settings)
