"""A linear map W of the dense vectors, from the identity, drawing papers of one author together
by in-batch InfoNCE (Yao et al., "Self-supervised Learning for Large-scale Item Recommendations",
CIKM 2021; SPECTER, Cohan et al., ACL 2020, trains on citation pairs alike); numpy, Adam.
The personal feed ships one W per embedding model in map_data/ (bench/recommend_map_fit.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_profiles import Vectors

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MapSettings:
    """temperature: of the softmax; epochs over the pairs; batch: pairs per step (the other
    pairs of the batch are the negatives); learning_rate: Adam's; identity_pull: L2 weight
    on W - I; seed: of the shuffles."""

    temperature: float = 0.05
    epochs: int = 3
    batch: int = 512
    learning_rate: float = 1e-3
    identity_pull: float = 0.0
    seed: int = 7


# The setting chosen on the fit readers of `likewise eval recommend` (docs/recommend.md).
SHIPPED_MAP = MapSettings(temperature=0.1, epochs=10, learning_rate=0.003)
MAP_DATA = Path(__file__).resolve().parent / "map_data"


def map_path(model_id: str, folder: Path = MAP_DATA) -> Path:
    """Where the W of an embedding model is kept: <folder>/<model id>.npy."""
    if not model_id or "/" in model_id or model_id.startswith("."):
        raise ValueError(f"not a model id for a file name: {model_id!r}")
    return folder / f"{model_id}.npy"


@lru_cache(maxsize=8)
def bundled_map(model_id: str, folder: Path = MAP_DATA) -> Matrix | None:
    """The shipped W of this embedding model (read-only), or None: the identity, vectors as
    they are (a model the map was not trained for, or a W of the wrong shape)."""
    try:
        path = map_path(model_id, folder)
    except ValueError:
        return None
    if not path.is_file():
        return None
    weights = np.load(path, allow_pickle=False).astype(np.float64)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        return None
    weights.setflags(write=False)
    result: Matrix = weights
    return result


def mapped(vectors: Vectors, weights: Matrix) -> Vectors:
    """Rows W x, renormalised to unit length."""
    if len(vectors) == 0:
        return vectors
    out = vectors.astype(np.float64) @ weights.T
    norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    result: Vectors = (out / norms).astype(np.float32)
    return result


def _softmax(logits: Matrix) -> Matrix:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: Matrix = shifted / shifted.sum(axis=1, keepdims=True)
    return probabilities


def batch_loss(
    weights: Matrix, left: Matrix, right: Matrix, temperature: float
) -> tuple[float, Matrix]:
    """Symmetric InfoNCE of one batch (pair i's right row is the positive of left row i, the
    others the negatives, both directions) and its exact gradient in W."""
    u, v = left @ weights.T, right @ weights.T
    nu = np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    nv = np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    uh, vh = u / nu, v / nv
    logits = uh @ vh.T / temperature
    size = len(left)
    rows, columns = _softmax(logits), _softmax(logits.T)
    diagonal = np.arange(size)
    loss = -0.5 * float(
        np.log(rows[diagonal, diagonal] + 1e-30).mean()
        + np.log(columns[diagonal, diagonal] + 1e-30).mean()
    )
    identity = np.eye(size)
    # d loss / d logits: (softmax - one-hot) / size per direction, halved for the average.
    grad_logits = 0.5 * ((rows - identity) + (columns - identity).T) / size
    grad_uh = grad_logits @ vh / temperature
    grad_vh = grad_logits.T @ uh / temperature
    # Through the normalisation: d x_hat -> d x is (g - x_hat (x_hat . g)) / |x|.
    grad_u = (grad_uh - uh * (uh * grad_uh).sum(axis=1, keepdims=True)) / nu
    grad_v = (grad_vh - vh * (vh * grad_vh).sum(axis=1, keepdims=True)) / nv
    gradient: Matrix = grad_u.T @ left + grad_v.T @ right
    return loss, gradient


def train_map(
    vectors: Vectors,
    pairs: npt.NDArray[np.int64],
    settings: MapSettings = MapSettings(),
) -> tuple[Matrix, list[float]]:
    """W (dimension x dimension) from the identity, and the mean loss of each epoch.
    pairs: (n, 2) rows into vectors that should come close (two papers of one author)."""
    dimension = vectors.shape[1]
    weights = np.eye(dimension)
    first, second = np.zeros_like(weights), np.zeros_like(weights)
    beta1, beta2, step = 0.9, 0.999, 0
    generator = np.random.default_rng(settings.seed)
    data = vectors.astype(np.float64)
    losses: list[float] = []
    for _ in range(settings.epochs):
        order = generator.permutation(len(pairs))
        epoch: list[float] = []
        for start in range(0, len(order) - settings.batch + 1, settings.batch):
            chosen = pairs[order[start : start + settings.batch]]
            loss, gradient = batch_loss(
                weights, data[chosen[:, 0]], data[chosen[:, 1]], settings.temperature
            )
            gradient = gradient + settings.identity_pull * (weights - np.eye(dimension))
            step += 1
            first = beta1 * first + (1 - beta1) * gradient
            second = beta2 * second + (1 - beta2) * gradient**2
            corrected = first / (1 - beta1**step)
            scale = np.sqrt(second / (1 - beta2**step)) + 1e-8
            weights = weights - settings.learning_rate * corrected / scale
            epoch.append(loss)
        losses.append(float(np.mean(epoch)) if epoch else float("nan"))
    return weights, losses
