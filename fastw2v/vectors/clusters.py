"""Word classes by k-means over word vectors, as the word2vec C tool's ``-classes``.

The C tool's definition, which :func:`word_classes` follows: word ``a`` of ``V`` starts in
class ``a % K``; each round, a class's centroid is the sum of its words' vectors divided
by one more than their number, scaled to unit length (a class without words has no
centroid, and gets no words), and every word moves to the class whose centroid has the
largest dot product with its vector (not its cosine: the word vectors are not
normalised), the first such class on a tie; a word whose best dot product is not above
-10 goes to class 0. It runs 10 rounds. Sums are taken in float64 and dot products in
float32 (the C tool does both in float32), so a word whose two best classes tie to
within float32 rounding may land on the other one.
"""
from __future__ import annotations

from typing import Iterator, Sequence, Tuple

import numpy as np

#: k-means rounds of the C tool's ``-classes``
C_CLASS_ROUNDS = 10
#: the C tool's starting "best" dot product: a word must beat it to leave class 0
_C_FLOOR = -10.0
#: values handled at once: a block's rows times the larger of its width and the number
#: of classes (bounds the float64 copy of a block and its scores, about 32 MB)
_BLOCK_VALUES = 1 << 22


def _blocks(matrices: Sequence[np.ndarray], rows: int) -> Iterator[Tuple[int, np.ndarray]]:
    start = 0
    for m in matrices:
        for lo in range(0, m.shape[0], rows):
            yield start + lo, m[lo:lo + rows]
        start += m.shape[0]


def word_classes(*matrices: np.ndarray, classes: int, rounds: int = C_CLASS_ROUNDS) -> np.ndarray:
    """The class (an int32 in ``[0, classes)``) of every word, by the C tool's k-means.

    ``matrices``: one or more float matrices of one width whose rows, one matrix after the
    other, are the words' vectors in vocabulary order (the C tool's ``</s>`` row can be a
    matrix of its own, so no copy of the vocabulary's matrix is made). ``classes`` above
    the number of words gives each word its own class to start with (and leaves the
    other classes empty); it is computed with one class per word.
    """
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 1:
        raise ValueError(f"classes must be a positive integer, got {classes!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise ValueError(f"rounds must be a non-negative integer, got {rounds!r}")
    if not matrices:
        raise ValueError("word_classes needs at least one matrix of vectors")
    mats = [np.asarray(m) for m in matrices]
    for m in mats:
        if m.ndim != 2 or m.dtype.kind != "f":
            raise ValueError(f"expected float matrices, got one of shape {m.shape} and "
                             f"dtype {m.dtype}")
    d = mats[0].shape[1]
    if any(m.shape[1] != d for m in mats):
        raise ValueError(f"the matrices differ in width: {[m.shape[1] for m in mats]}")
    n = sum(m.shape[0] for m in mats)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    k = int(min(classes, n))          # classes beyond the words stay empty throughout
    cl = (np.arange(n, dtype=np.int64) % k).astype(np.int32)
    rows = max(1, _BLOCK_VALUES // max(k, d, 1))
    for _ in range(int(rounds)):
        sums = np.zeros((k, d), dtype=np.float64)
        for lo, block in _blocks(mats, rows):
            np.add.at(sums, cl[lo:lo + block.shape[0]], block.astype(np.float64))
        members = np.bincount(cl, minlength=k)
        cent = sums / (members + 1)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            cent /= np.sqrt(np.einsum("ij,ij->i", cent, cent))[:, None]
        usable = np.isfinite(cent).all(axis=1)
        cent32 = np.where(usable[:, None], cent, 0.0).astype(np.float32)
        new = np.empty(n, dtype=np.int32)
        for lo, block in _blocks(mats, rows):
            scores = block.astype(np.float32, copy=False) @ cent32.T
            scores[:, ~usable] = -np.inf
            best = np.argmax(scores, axis=1)
            top = scores[np.arange(best.size), best]
            best[~(top > _C_FLOOR)] = 0       # also a NaN vector: never above the floor
            new[lo:lo + block.shape[0]] = best
        if np.array_equal(new, cl):
            break                             # a fixed point: further rounds change nothing
        cl = new
    return cl


__all__ = ["C_CLASS_ROUNDS", "word_classes"]
