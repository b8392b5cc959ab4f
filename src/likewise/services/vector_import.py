"""Bring your own vectors: a matrix embedded elsewhere (a .npy file and a file of its arXiv ids)
is checked against the catalog and the configured model, then stored in one transaction.

Everything is checked before anything is written, so a wrong file stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.ingest.ids import InvalidArxivIdError, parse_arxiv_id
from likewise.services.embedding import EmbedderProvider
from likewise.services.vectors import VectorService
from likewise.store.base import CatalogStore

# Rows read from a memory-mapped file per step, and ids looked up per query.
_ROW_BLOCK = 65_536
_ID_BLOCK = 5_000
# How many offending ids or rows a message names before "and N more".
_SHOWN = 5
# A row whose length is this far from 1 counts as rescaled in the summary.
_UNIT_TOLERANCE = 1e-3
_FLOAT_SIZES = (2, 4, 8)


class VectorImportError(ValueError):
    """The files cannot be imported as given; the message says what is wrong and where."""


@dataclass(frozen=True, slots=True)
class ImportedVectors:
    """What an import stored."""

    model_id: str
    stored: int
    rescaled: int  # rows that were not of unit length and were L2-normalised
    indexed: int
    left_to_embed: int  # stored papers that still have no vector of the model


def read_vector_file(path: Path) -> npt.NDArray[np.floating]:
    """The matrix in a .npy file, memory-mapped (never pickled objects)."""
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError) as error:
        raise VectorImportError(f"{path}: not a NumPy .npy file ({error})") from error
    if not isinstance(matrix, np.ndarray):
        raise VectorImportError(f"{path}: holds several arrays; give one 2-D .npy array")
    if matrix.dtype.kind != "f" or matrix.dtype.itemsize not in _FLOAT_SIZES:
        raise VectorImportError(f"{path}: holds {matrix.dtype} values; give float16 or float32")
    if matrix.ndim != 2:
        raise VectorImportError(
            f"{path}: shape {matrix.shape} is not 2-D (one row per paper, one column per dimension)"
        )
    return matrix


def read_id_file(path: Path) -> list[str]:
    """One arXiv id per line (a version or `arXiv:` prefix is dropped); refuses blank lines
    inside the file and an id listed twice, which would misalign or overwrite rows."""
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    ids: list[str] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            raise VectorImportError(f"{path}:{number}: blank line (one arXiv id per line)")
        try:
            arxiv_id = parse_arxiv_id(text).bare
        except InvalidArxivIdError:
            arxiv_id = text  # perhaps a stored local id; the catalog check decides
        if arxiv_id in first_line:
            raise VectorImportError(
                f"{path}:{number}: {arxiv_id} is listed twice (first on line "
                f"{first_line[arxiv_id]})"
            )
        first_line[arxiv_id] = number
        ids.append(arxiv_id)
    return ids


class VectorImportService:
    """Checks and stores vectors embedded elsewhere for the configured model."""

    def __init__(
        self, store: CatalogStore, embedding: EmbedderProvider, vectors: VectorService
    ) -> None:
        self._store = store
        self._embedding = embedding
        self._vectors = vectors

    def import_files(self, vectors_path: Path, ids_path: Path, model_id: str) -> ImportedVectors:
        """Import the .npy matrix whose rows are the papers listed in the ids file."""
        self._check_model(model_id)
        matrix = read_vector_file(vectors_path)
        ids = read_id_file(ids_path)
        if matrix.shape[0] != len(ids):
            raise VectorImportError(
                f"{vectors_path} has {matrix.shape[0]:,} rows but {ids_path} lists "
                f"{len(ids):,} ids; they must match, one id per row"
            )
        return self.import_matrix(matrix, ids, model_id, source=str(vectors_path))

    def import_matrix(
        self,
        matrix: npt.NDArray[np.floating],
        ids: list[str],
        model_id: str,
        *,
        source: str = "the matrix",
    ) -> ImportedVectors:
        """Import rows aligned with distinct stored arXiv ids; all or nothing."""
        self._check_model(model_id)
        dimension = self._embedding.get().dimension
        if matrix.ndim != 2 or matrix.shape[0] != len(ids) or matrix.shape[1] != dimension:
            raise VectorImportError(
                f"{source}: shape {matrix.shape}, but {model_id} needs ({len(ids):,}, "
                f"{dimension}): one row per id, {dimension} dimensions"
            )
        hashes = self._content_hashes(ids)
        unit, rescaled = _normalised(matrix, ids, source)
        indexed = self._vectors.store_vectors(ids, hashes, unit)
        left = max(self._store.count_papers() - indexed, 0)
        return ImportedVectors(model_id, len(ids), rescaled, indexed, left)

    def _check_model(self, model_id: str) -> None:
        configured = self._embedding.get().model_id
        if model_id != configured:
            raise VectorImportError(
                f"--model-id {model_id!r} is not the configured model {configured!r}: "
                "vectors of another model would not match its query embeddings "
                "(set LIKEWISE_EMBEDDER, or embed with the configured model)"
            )

    def _content_hashes(self, ids: list[str]) -> list[str]:
        """Each paper's content hash (what its vector stays valid for); refuses unknown ids."""
        hashes: dict[str, str] = {}
        for start in range(0, len(ids), _ID_BLOCK):
            found = self._store.get_papers(ids[start : start + _ID_BLOCK])
            hashes.update({arxiv_id: paper.content_hash() for arxiv_id, paper in found.items()})
        unknown = [arxiv_id for arxiv_id in ids if arxiv_id not in hashes]
        if unknown:
            raise VectorImportError(
                f"{len(unknown):,} of {len(ids):,} ids are not stored papers: "
                f"{_listed(unknown)} (ingest them first; nothing was stored)"
            )
        return [hashes[arxiv_id] for arxiv_id in ids]


def _normalised(
    matrix: npt.NDArray[np.floating], ids: list[str], source: str
) -> tuple[npt.NDArray[np.float32], int]:
    """The rows as float32 of unit length, and how many were rescaled; refuses a row with a
    NaN or infinity, or of zero length (it has no direction to search by)."""
    unit = np.empty(matrix.shape, dtype=np.float32)
    bad: list[int] = []
    rescaled = 0
    for start in range(0, matrix.shape[0], _ROW_BLOCK):
        block = np.asarray(matrix[start : start + _ROW_BLOCK], dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            lengths = np.linalg.norm(block, axis=1)
        usable = np.isfinite(block).all(axis=1) & np.isfinite(lengths) & (lengths > 0)
        bad.extend((start + np.flatnonzero(~usable)).tolist())
        lengths[~usable] = 1.0
        rescaled += int(np.count_nonzero(np.abs(lengths[usable] - 1.0) > _UNIT_TOLERANCE))
        unit[start : start + len(block)] = block / lengths[:, None]
    if bad:
        shown = [f"row {row} ({ids[row]})" for row in bad]
        raise VectorImportError(
            f"{source}: {len(bad):,} rows hold NaN, infinity or only zeros: {_listed(shown)} "
            "(nothing was stored)"
        )
    return unit, rescaled


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN:,} more" if len(items) > _SHOWN else "")
