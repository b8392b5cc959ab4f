"""The embedders of a library: the serving model (whose vectors the index holds) and the query
embedder, which during a model upgrade is the new model mapped into the old model's space."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.index.orthogonal_map import OrthogonalMap
from likewise.settings import Settings
from likewise.store.model_upgrades import ModelUpgrade, ModelUpgradeRepository

# How long a process trusts what it read of the upgrade state (another process may switch).
STATE_SECONDS = 5.0


class MappedEmbedder:
    """The new model's vectors carried into the old model's space by the fitted map.

    Its model id is the old model's: it names the space the vectors live in, so the old
    index, its calibration and its stored vectors apply. Only queries go through it; stored
    vectors always come from a real model.
    """

    def __init__(self, inner: Embedder, mapping: OrthogonalMap, target_model_id: str) -> None:
        self.inner = inner
        self._mapping = mapping
        self._target_model_id = target_model_id

    @property
    def model_id(self) -> str:
        return self._target_model_id

    @property
    def dimension(self) -> int:
        return self._mapping.target_dimension

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._mapping.apply(self.inner.embed_documents(texts))

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self._mapping.apply(self.inner.embed_query(text))


@dataclass(frozen=True, slots=True)
class _State:
    serving: ModelUpgrade | None  # the newest switched upgrade
    running: ModelUpgrade | None
    read_at: float


class EmbedderProvider:
    """Owns the library's embedders, each built on first use (loading a model takes seconds).

    The serving model is the one the newest completed `likewise upgrade-model` switched to,
    else the `embedder` setting (or the embedder handed in); the catalog's record wins, so
    every process serves the same model whatever its environment says.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        upgrades: ModelUpgradeRepository | None = None,
    ) -> None:
        self._settings = settings
        self._upgrades = upgrades
        self._named: dict[str, Embedder] = {}
        if embedder is not None:
            self._named[settings.embedder] = embedder
        self._state: _State | None = None
        self._mapped: tuple[int, MappedEmbedder] | None = None  # (upgrade id, embedder)

    def get(self) -> Embedder:
        """The serving model: documents are embedded with it and its index is searched."""
        serving = self._read_state().serving
        if serving is None:
            return self.named(self._settings.embedder)
        return self.named(serving.new_embedder)

    def serving_name(self) -> str:
        """The embedder name (as LIKEWISE_EMBEDDER spells it) of the serving model."""
        serving = self._read_state().serving
        return self._settings.embedder if serving is None else serving.new_embedder

    def query(self) -> Embedder:
        """What embeds search text: during an upgrade the new model through the map (into the
        serving model's space), otherwise the serving model itself."""
        running = self._read_state().running
        if running is None or running.old_model_id != self.get().model_id:
            return self.get()
        if self._mapped is None or self._mapped[0] != running.id:
            mapping = OrthogonalMap.from_bytes(running.map)
            inner = self.named(running.new_embedder)
            self._mapped = (running.id, MappedEmbedder(inner, mapping, running.old_model_id))
        return self._mapped[1]

    def running_upgrade(self) -> ModelUpgrade | None:
        return self._read_state().running

    def named(self, name: str) -> Embedder:
        """The embedder called `name` (embed/factory.py), built once per process."""
        held = self._named.get(name)
        if held is None:
            from likewise.embed.factory import make_named_embedder

            held = make_named_embedder(name, self._settings)
            self._named[name] = held
        return held

    def refresh(self) -> None:
        """Read the upgrade state again at the next call (this process just changed it)."""
        self._state = None

    def _read_state(self) -> _State:
        now = time.monotonic()
        held = self._state
        if held is not None and now - held.read_at < STATE_SECONDS:
            return held
        if self._upgrades is None:
            state = _State(None, None, now)
        else:
            state = _State(self._upgrades.serving(), self._upgrades.running(), now)
        self._state = state
        return state
