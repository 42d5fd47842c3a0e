"""Word vectors with their vocabulary index (gensim 4's ``KeyedVectors`` names).

This module holds vectors and answers look-ups; it contains no training code.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np


class KeyedVectors:
    """Vectors for a list of keys.

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    index_to_key : sequence of str, optional
        The keys, in row order.
    vectors : np.ndarray, optional
        float32 [len(index_to_key), vector_size]; zeros if omitted.
    counts : array-like of int, optional
        Corpus count of each key (``get_vecattr(key, "count")``).
    """

    def __init__(self, vector_size: int, index_to_key: Sequence[str] = (),
                 vectors: Optional[np.ndarray] = None, counts=None):
        self.vector_size = int(vector_size)
        self.index_to_key: List[str] = list(index_to_key)
        self.key_to_index: Dict[str, int] = {k: i for i, k in enumerate(self.index_to_key)}
        if vectors is None:
            vectors = np.zeros((len(self.index_to_key), self.vector_size), dtype=np.float32)
        vectors = np.asanyarray(vectors)
        if vectors.shape != (len(self.index_to_key), self.vector_size):
            raise ValueError(
                f"vectors have shape {vectors.shape}, expected "
                f"({len(self.index_to_key)}, {self.vector_size})")
        self.vectors = vectors
        self.expandos: Dict[str, np.ndarray] = {}
        if counts is not None:
            self.expandos["count"] = np.asarray(counts, dtype=np.int64)
        self._norms = None

    # -- look-ups -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return key in self.key_to_index

    def has_index_for(self, key) -> bool:
        return key in self.key_to_index

    def get_index(self, key, default=None) -> int:
        """Row of ``key``; ``default`` if given and the key is unknown, else ``KeyError``."""
        idx = self.key_to_index.get(key)
        if idx is not None:
            return idx
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key {key!r} not present in vocabulary")

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The vector of ``key`` (unit length if ``norm``)."""
        idx = self.get_index(key)
        if norm:
            return self.get_normed_vectors()[idx]
        return self.vectors[idx]

    def __getitem__(self, key_or_keys: Union[str, Iterable[str]]) -> np.ndarray:
        if isinstance(key_or_keys, (str, int, np.integer)):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    def get_vecattr(self, key, attr: str):
        """Per-key attribute, e.g. ``"count"``."""
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r}; known: {sorted(self.expandos)}")
        return self.expandos[attr][self.get_index(key)].item()

    def set_vecattr(self, key, attr: str, value) -> None:
        arr = self.expandos.setdefault(attr, np.zeros(len(self), dtype=np.asarray(value).dtype))
        arr[self.get_index(key)] = value

    def get_normed_vectors(self) -> np.ndarray:
        """float32 [V, d]: every vector scaled to unit length (zero vectors stay zero)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (self.vectors / norms).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"<KeyedVectors: {len(self)} keys, vector_size={self.vector_size}>"
