"""Every setting once, with its default and help text.

Values come from (lowest to highest priority) the defaults here, ``likewise.toml`` in the
home folder or the working directory, and ``LIKEWISE_*`` environment variables. Only the
edges (cli/, web/ start-up) call :func:`load_settings`; everything else is handed a Settings.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    home: Path = _setting(
        Path.home() / ".local" / "share" / "likewise",
        "Folder for the SQLite catalog, the vector index and caches.",
    )
    database_url: str = _setting(
        "",
        "Database URL; empty is SQLite at HOME/likewise.db, postgresql://... is PostgreSQL.",
    )
    categories: tuple[str, ...] = _setting(
        ("cs.CL", "cs.CV", "cs.AI", "cs.LG", "cs.IR"),
        "arXiv categories the default ingest and the daily page follow.",
    )
    initial_days: int = _setting(
        3, "How many recent announcement days the first run ingests (full backfill is explicit)."
    )
    source: str = _setting(
        "", "Ingest this snapshot/JSON-lines file instead of the network on `likewise run`."
    )
    arxiv_api_url: str = _setting("https://export.arxiv.org/api/query", "arXiv query API endpoint.")
    arxiv_rss_url: str = _setting("https://rss.arxiv.org/atom", "arXiv announcement feed base URL.")
    arxiv_oai_url: str = _setting("https://oaipmh.arxiv.org/oai", "arXiv OAI-PMH endpoint.")
    request_interval: float = _setting(3.0, "Seconds between requests to arXiv (be polite).")
    request_retries: int = _setting(4, "Retries with exponential back-off for arXiv requests.")
    request_timeout: float = _setting(30.0, "Seconds before an arXiv request times out.")
    embedder: str = _setting(
        "minilm-int8",
        "Embedding model of a new catalog: minilm-int8 (bundled ONNX), static-64 (a static "
        "model, fast and weaker) or fake (tests only); `likewise upgrade-model` changes it later.",
    )
    embed_batch_size: int = _setting(32, "Texts per embedding batch (sorted by length).")
    embed_threads: int = _setting(0, "ONNX Runtime intra-op threads; 0 uses every core.")
    ann_threshold: int = _setting(
        20_000, "Catalog size above which the ANN index (usearch) replaces exact search."
    )
    compressed_index_threshold: int = _setting(
        250_000,
        "Catalog size above which the usearch graph holds PCA-reduced int8 vectors, re-ranked "
        "exactly with the stored ones (0.30x the file at 100k papers; see docs/operations.md); "
        "0 never compresses.",
    )
    compressed_dimensions: int = _setting(
        128, "Dimensions the compressed index reduces each vector to (PCA)."
    )
    compressed_rerank_factor: int = _setting(
        8, "A compressed index re-ranks this many times k graph candidates with full vectors."
    )
    fusion: str = _setting("convex", "Hybrid fusion: convex or rrf (or bm25, dense); see docs.")
    bm25_bound_words: int = _setting(
        7,
        "Convex fusion: for queries of at most this many words, BM25 is scaled by the most a "
        "paper could score for the query rather than by the best paper's score, so a paper "
        "sharing one common word is not taken for a full match (0: off; chosen on the fit "
        "arXiv queries, docs/search.md).",
    )
    relevance_threshold: float = _setting(
        0.5,
        "Calibrated relevance probability a search hit needs to be shown (0.5 was chosen on "
        "held-out SciFact, CSFCube, arXiv and off-topic queries; see docs/search.md).",
    )
    hubness_correction: bool = _setting(
        True,
        "Apply DBNorm hubness correction to similar papers (on: precision@5 0.427 vs 0.360 on "
        "the held-out judged arXiv query papers; it lowers CSFCube NDCG@20; docs/similar.md).",
    )
    host: str = _setting("127.0.0.1", "Address `likewise serve` listens on.")
    port: int = _setting(8000, "Port `likewise serve` listens on.")
    workers: int = _setting(1, "Web worker processes.")
    base_url: str = _setting(
        "",
        "Public URL used in mails and feeds; empty: feeds use the address each request came "
        "to, mails http://HOST:PORT.",
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "Addresses or networks (e.g. 127.0.0.1,10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For header names the client for sign-in and subscribe limits; empty "
        "trusts none (the connection's address counts).",
    )
    signups_per_hour: int = _setting(
        10, "Accounts one client address may create per hour (429 beyond; 0: no limit)."
    )
    subscribes_per_hour: int = _setting(
        10, "Subscribe requests one client address may make per hour (429 beyond; 0: no limit)."
    )
    secret_key: str = _setting(
        "", "Key for signed cookies and links; empty generates one under HOME on first run."
    )
    smtp_host: str = _setting("", "SMTP server for digests; empty disables sending.")
    smtp_port: int = _setting(587, "SMTP port.")
    smtp_user: str = _setting("", "SMTP user name (STARTTLS + AUTH when set).")
    smtp_password: str = _setting("", "SMTP password.")
    smtp_starttls: bool = _setting(True, "Use STARTTLS when the server offers it.")
    mail_from: str = _setting("likewise@localhost", "From address of digest mails.")
    digest_lease_seconds: float = _setting(
        30.0,
        "Seconds a digest run holds the message it is sending; a run killed mid-send is "
        "resumed by the next run once this ends (it never sends a message twice).",
    )
    digest_time: str = _setting("", "HH:MM (UTC) at which `likewise serve` runs the daily digest.")
    recommend_days: int = _setting(
        7,
        'Days of announcements (up to the newest) the "For you" feed ranks by default '
        "(1 to 90; `likewise recommend --days` and the page's ?days= override it).",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'likewise.db'}"

    @property
    def public_url(self) -> str:
        """The site's address for links that leave it (mails): base_url, else host and port."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def uses_postgres(self) -> bool:
        return self.resolved_database_url.startswith(("postgresql:", "postgresql+", "postgres:"))

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def settings_help() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for docs and `--help`."""
    rows = []
    for item in fields(Settings):
        default = item.default
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        rows.append((f"LIKEWISE_{item.name.upper()}", shown, item.metadata["help"]))
    return rows


def _convert(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"expected true/false, got {raw!r}")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(str(raw)).expanduser()
        if isinstance(default, tuple):
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        return str(raw)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"setting {name}: {error}") from error


def load_settings(
    environ: dict[str, str] | None = None, config_file: Path | None = None, **overrides: Any
) -> Settings:
    """Build Settings from defaults, a TOML file and LIKEWISE_* variables (in that order)."""
    env = dict(os.environ if environ is None else environ)
    defaults = {item.name: item.default for item in fields(Settings)}
    values: dict[str, Any] = {}
    home = Path(env.get("LIKEWISE_HOME", str(defaults["home"]))).expanduser()
    candidates = [config_file] if config_file else [home / "likewise.toml", Path("likewise.toml")]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as error:
                raise SettingsError(f"{candidate}: not valid TOML: {error}") from error
            for key, raw in data.items():
                if key not in defaults:
                    raise SettingsError(f"{candidate}: unknown setting {key!r}")
                values[key] = _convert(key, raw, defaults[key])
            break
    for name, default in defaults.items():
        variable = f"LIKEWISE_{name.upper()}"
        if variable in env:
            values[name] = _convert(variable, env[variable], default)
    values.update(overrides)
    return Settings(**values)
