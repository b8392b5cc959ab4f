"""The site's secret key: the configured one, else one generated once and kept in HOME.

The web app (session cookies) and the digest links (CLI and web) must sign with the same key,
so both read it here.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from likewise.settings import Settings


class SecretKeyError(RuntimeError):
    """The key file exists but stays empty (a writer died half-way)."""


def load_secret_key(settings: Settings) -> str:
    """The configured key, else HOME/secret_key, created here by whichever process runs first."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.home) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, exactly one writes the key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
            time.sleep(0.05)  # another process is writing it right now
        raise SecretKeyError(f"{path} is empty; delete it or set LIKEWISE_SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
