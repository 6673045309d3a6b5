"""Embedders: text to unit vectors, from models shipped inside the package (no hub at run time)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    name: str  # stored with each vector, so a model change is detectable
    unrelated_cosine: float  # typical cosine of two unrelated news texts under this model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, shape (len(texts), dim)."""


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class StaticEmbedder:
    """model2vec static embeddings distilled from all-MiniLM-L6-v2 (scripts/distill_static_model.py)."""

    name = "static-minilm-256"
    unrelated_cosine = 0.5  # static models compress the scale: unrelated news sits near 0.5

    def __init__(self, path: Path = MODELS_DIR / "static-minilm") -> None:
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(str(path))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return normalise_rows(self._model.encode(list(texts), show_progress_bar=False))


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"static": StaticEmbedder}


@cache
def get_embedder(name: str) -> Embedder:
    """The registered embedder of that name, loaded once per process."""
    from newsdesk.errors import SettingsError

    if name not in EMBEDDERS:
        raise SettingsError(f"setting embedder: unknown embedder {name!r} (known: {', '.join(EMBEDDERS)})")
    return EMBEDDERS[name]()


def article_text_for_embedding(title: str, text: str, lead_words: int = 120) -> str:
    """What represents an article: its title, then its lead."""
    words = text.split()
    return f"{title}. {' '.join(words[:lead_words])}"
