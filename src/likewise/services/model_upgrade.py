"""Model upgrades without re-indexing first: fit an orthogonal map from the new model's space
to the serving one on a sample of the catalog, serve mapped queries against the old index
while the catalog is re-embedded (resumable, one worker at a time), then switch.

Queries reach the map through EmbedderProvider.query(); every other service keeps using the
serving model's vectors until the switch. Old vectors stay until `prune_vectors`.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.embed.factory import EMBEDDER_NAMES
from likewise.index.orthogonal_map import fit_orthogonal_map, mean_alignment
from likewise.index.persisted import index_paths
from likewise.index.usearch_index import reduction_path
from likewise.models import Paper
from likewise.services.embedding import EmbedderProvider
from likewise.services.sentences import SentenceService
from likewise.services.vectors import EMBED_CHUNK, VectorService
from likewise.settings import Settings
from likewise.store.base import CatalogStore
from likewise.store.model_upgrades import (
    CANCELLED,
    SWITCHED,
    ModelUpgrade,
    ModelUpgradeRepository,
    UpgradeInProgressError,
)

# Measured on SciFact (bench/model_upgrade.py, choices on its fit claims): a centred map beats
# a plain rotation in both directions between MiniLM and the static model, and gains stop
# between 4,000 and 5,183 sampled papers. The sample's new vectors are kept, so it costs
# nothing extra; the old model serves unmapped queries while it is embedded.
DEFAULT_SAMPLE = 4_000
CENTRE = True
# A worker renews its lease with every chunk; one silent this long is taken to have died.
LEASE = timedelta(minutes=2)
HELD_OUT_SHARE = 0.1  # of the sample, kept out of the fit to measure the alignment


class UpgradeError(ValueError):
    """An upgrade cannot start, resume or prune as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class UpgradeStatus:
    upgrade: ModelUpgrade | None  # the running one, else the newest of any state
    serving_embedder: str
    serving_model_id: str
    embedded: int  # papers with a current vector of the upgrade's new model
    total: int
    worker_alive: bool
    vector_counts: dict[str, int]

    @property
    def running(self) -> bool:
        return self.upgrade is not None and self.upgrade.state == "running"


Progress = Callable[[int, int], None]  # (papers done so far in this run, papers left at start)


class ModelUpgradeService:
    """Starts, resumes, reports, cancels and finishes embedding-model upgrades."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        embedding: EmbedderProvider,
        vectors: VectorService,
        repository: ModelUpgradeRepository,
        sentences: SentenceService | None = None,
    ) -> None:
        self._settings = settings
        self._sentences = sentences
        self._store = store
        self._embedding = embedding
        self._vectors = vectors
        self.repository = repository
        self._worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def start(self, new_name: str, *, sample: int = DEFAULT_SAMPLE, seed: int = 0) -> ModelUpgrade:
        """Fit the map from `new_name`'s space to the serving model's on up to `sample`
        embedded papers and record the upgrade as running (queries are mapped from now on).

        Resuming: if an upgrade to the same model is already running, it is returned as is.
        """
        if new_name not in EMBEDDER_NAMES:
            known = ", ".join(EMBEDDER_NAMES)
            raise UpgradeError(f"unknown embedding model {new_name!r}; known: {known}")
        if sample < 2:
            raise UpgradeError("the sample must hold at least 2 papers")
        running = self.repository.running()
        if running is not None:
            if running.new_embedder == new_name:
                return running
            raise UpgradeError(
                f"an upgrade to {running.new_embedder} is already running (started "
                f"{running.started_at:%Y-%m-%d %H:%M}); resume it with `likewise upgrade-model "
                f"{running.new_embedder}` or stop it with `likewise upgrade-model --cancel`"
            )
        old = self._embedding.get()
        old_name = self._embedding.serving_name()
        if new_name == old_name:
            raise UpgradeError(f"{new_name} is already the catalog's embedding model")
        new = self._embedding.named(new_name)
        if new.model_id == old.model_id:
            raise UpgradeError(f"{new_name} is already the catalog's embedding model")
        keys, old_vectors = self._store.load_vectors(old.model_id)
        if len(keys) < 2:
            raise UpgradeError(
                f"the catalog has {len(keys)} vectors of {old_name}, too few to fit a map on: "
                f"set LIKEWISE_EMBEDDER={new_name} and run `likewise embed` instead"
            )
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(keys), size=min(sample, len(keys)), replace=False)
        ids = self._store.arxiv_ids_for_keys([int(key) for key in keys[rows]])
        papers = self._store.get_papers([ids[int(key)] for key in keys[rows] if int(key) in ids])
        chosen = [
            (int(row), papers[ids[int(keys[row])]])
            for row in rows
            if ids.get(int(keys[row])) in papers
        ]
        new_vectors = self._embed(new, [paper for _, paper in chosen])
        # The sample's new vectors are the first part of the re-embedding: keep them.
        self._store.put_vectors(
            new.model_id,
            [
                (paper.arxiv_id, paper.content_hash(), new_vectors[position])
                for position, (_, paper) in enumerate(chosen)
            ],
        )
        paired_old = old_vectors[[row for row, _ in chosen]]
        held_out = max(1, int(len(chosen) * HELD_OUT_SHARE)) if len(chosen) >= 20 else 0
        fit_rows = slice(held_out, None)
        mapping = fit_orthogonal_map(new_vectors[fit_rows], paired_old[fit_rows], centre=CENTRE)
        check = slice(0, held_out) if held_out else slice(None)
        alignment = mean_alignment(mapping, new_vectors[check], paired_old[check])
        try:
            upgrade = self.repository.start(
                old=(old_name, old.model_id),
                new=(new_name, new.model_id),
                map_blob=mapping.to_bytes(),
                sample_size=len(chosen),
                alignment=alignment,
                now=_now(),
            )
        except UpgradeInProgressError as error:
            raise UpgradeError(str(error)) from error
        self._embedding.refresh()
        return upgrade

    def run(self, progress: Progress | None = None) -> ModelUpgrade:
        """Re-embed every paper without a current vector of the new model, chunk by chunk
        (each chunk one transaction, so a killed run loses at most one), then build the new
        model's index and switch. Returns the upgrade as it ends (switched)."""
        upgrade = self.repository.running()
        if upgrade is None:
            raise UpgradeError("no upgrade is running: start one with `likewise upgrade-model NEW`")
        if not self.repository.claim(upgrade.id, self._worker, _now(), LEASE):
            raise UpgradeError(
                f"the upgrade to {upgrade.new_embedder} is being re-embedded by another process "
                f"({upgrade.worker}); `likewise upgrade-model --status` shows its progress"
            )
        new = self._embedding.named(upgrade.new_embedder)
        left = self._store.count_papers() - self.repository.fresh_vector_count(upgrade.new_model_id)
        done: set[str] = set()
        if progress is not None:
            progress(0, left)
        try:
            while True:
                # Papers handled in this run are skipped: one changed again meanwhile waits.
                batch = [
                    paper
                    for paper in self._store.stale_for_model(upgrade.new_model_id, EMBED_CHUNK)
                    if paper.arxiv_id not in done
                ]
                if not batch:
                    break
                matrix = self._embed(new, batch)
                self._store.put_vectors(
                    upgrade.new_model_id,
                    [
                        (paper.arxiv_id, paper.content_hash(), matrix[row])
                        for row, paper in enumerate(batch)
                    ],
                )
                done.update(paper.arxiv_id for paper in batch)
                if not self.repository.claim(upgrade.id, self._worker, _now(), LEASE):
                    raise UpgradeError("the upgrade was cancelled or taken over meanwhile")
                if progress is not None:
                    progress(len(done), max(left, len(done)))
            self._switch(upgrade, new)
        finally:
            self.repository.release(upgrade.id, self._worker)
        switched = self.repository.serving()
        assert switched is not None
        return switched

    def cancel(self) -> ModelUpgrade:
        """Stop the running upgrade: queries go back to the serving model, unmapped. The new
        model's vectors stay (prunable); starting again refits the map."""
        upgrade = self.repository.running()
        if upgrade is None:
            raise UpgradeError("no upgrade is running")
        self.repository.finish(upgrade.id, CANCELLED, _now())
        self._embedding.refresh()
        return upgrade

    def status(self) -> UpgradeStatus:
        history = self.repository.history()
        upgrade = self.repository.running() or (history[-1] if history else None)
        serving = self._embedding.get()
        embedded = 0
        alive = False
        if upgrade is not None:
            embedded = self.repository.fresh_vector_count(upgrade.new_model_id)
            beat = upgrade.heartbeat_at
            alive = (
                upgrade.worker is not None and beat is not None and _aware(beat) > _now() - LEASE
            )
        return UpgradeStatus(
            upgrade=upgrade,
            serving_embedder=self._embedding.serving_name(),
            serving_model_id=serving.model_id,
            embedded=embedded,
            total=self._store.count_papers(),
            worker_alive=alive,
            vector_counts=self.repository.vector_counts(),
        )

    def prune_vectors(self, model_id: str) -> int:
        """Delete a model's stored vectors and index files; never the serving model's or a
        running upgrade's. Returns how many vectors were deleted."""
        if model_id == self._embedding.get().model_id:
            raise UpgradeError(f"{model_id} is the serving model; its vectors are in use")
        running = self.repository.running()
        if running is not None and model_id in (running.old_model_id, running.new_model_id):
            raise UpgradeError(f"{model_id} is part of the running upgrade; finish it first")
        counts = self.repository.vector_counts()
        if model_id not in counts:
            known = ", ".join(sorted(counts)) or "none"
            raise UpgradeError(f"no vectors of {model_id!r} are stored (stored: {known})")
        deleted = self.repository.delete_vectors(model_id)
        paths = index_paths(self._settings.home, model_id)
        for path in (paths.usearch, reduction_path(paths.usearch), paths.stamp, paths.lock):
            path.unlink(missing_ok=True)
        return deleted

    # -- internals ----------------------------------------------------------------------------
    def _embed(self, new: Embedder, papers: list[Paper]) -> npt.NDArray[np.float32]:
        """The papers' vectors of the new model, storing their sentences under it on the way
        (as `likewise embed` does), so evidence and facets work from the switch on."""
        if self._sentences is not None:
            return self._sentences.embed_papers(new, papers)
        return new.embed_documents([paper.embedding_text() for paper in papers])

    def _switch(self, upgrade: ModelUpgrade, new: Embedder) -> None:
        """Build the new model's index before the switch, so no reader waits for it."""
        self._vectors.build_index(upgrade.new_model_id, new.dimension)
        if not self.repository.finish(upgrade.id, SWITCHED, _now()):
            raise UpgradeError("the upgrade was cancelled meanwhile; nothing was switched")
        self._embedding.refresh()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
