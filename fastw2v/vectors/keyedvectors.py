"""Word vectors with their vocabulary index, and similarity queries (gensim 4's
``KeyedVectors`` names and answers). This module contains no training code.

Norms are cached (float32 [V], one value per row) instead of a second, normalised copy
of the matrix: every query divides ``vectors @ q`` by the cached norms, which is what
gensim computes too, so scores agree to float32 rounding without doubling memory.
The cache is dropped when ``vectors`` is replaced, and it notices in-place updates such
as further training by comparing a small sample of rows; after editing individual rows
by hand call ``fill_norms(force=True)`` (as in gensim).
"""
from __future__ import annotations

import logging
import os
import warnings
from numbers import Integral
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from ..errors import EmptyQueryError

logger = logging.getLogger("fastw2v")

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)
_NATIVE_FORMAT = "fastw2v.KeyedVectors"
# elements of the [rows, queries] score block computed at once by batched queries
_BATCH_ELEMENTS = 1 << 24


def _ensure_list(value) -> list:
    """A single key or 1-D vector becomes a one-element list; ``None`` an empty one."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)


def _unitvec(vec: np.ndarray) -> np.ndarray:
    """``vec`` scaled to unit length in its own dtype; a zero vector stays zero."""
    vec = np.asarray(vec)
    length = float(np.linalg.norm(vec.astype(np.float64, copy=False)))
    if length > 0.0:
        return (vec / length).astype(vec.dtype if vec.dtype.kind == "f" else np.float64)
    return vec


def top_indices(scores: np.ndarray, topn: int, exclude=(), offset: int = 0) -> List[int]:
    """Indices (plus ``offset``) of the ``topn`` largest ``scores`` not in ``exclude``,
    best first; equal scores keep row order."""
    exclude = set(exclude)
    k = min(len(scores), topn + len(exclude))
    if k <= 0:
        return []
    if k < len(scores):
        cand = np.argpartition(-scores, k - 1)[:k]
    else:
        cand = np.arange(len(scores))
    cand = cand[np.lexsort((cand, -scores[cand]))]
    out = [int(i) + offset for i in cand if int(i) + offset not in exclude]
    return out[:topn]


def weighted_keys(positive, negative):
    """A query's terms and their weights: ``positive`` and ``negative`` (keys, vectors or
    ``(key, weight)`` pairs, or one key/vector) as ``(keys, float64 weights)``, weight 1
    for a positive term and -1 for a negative one unless a pair gives it."""
    positive, negative = _ensure_list(positive), _ensure_list(negative)
    weights = np.concatenate([np.ones(len(positive)), -np.ones(len(negative))])
    keys = []
    for i, item in enumerate(positive + negative):
        if isinstance(item, _EXTENDED_KEY_TYPES):
            keys.append(item)
        else:
            keys.append(item[0])
            weights[i] = item[1]
    return keys, weights


class KeyedVectors:
    """Vectors for a list of keys, loadable and queryable without a model.

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    index_to_key : sequence of str, optional
        The keys, in row order (unique).
    vectors : np.ndarray, optional
        [len(index_to_key), vector_size], float32 unless ``dtype`` says otherwise;
        zeros if omitted. The array is used as is (not copied).
    counts : array-like of int, optional
        Corpus count of each key (``get_vecattr(key, "count")``).
    dtype : numpy dtype
        dtype of the zero matrix created when ``vectors`` is omitted.
    """

    def __init__(self, vector_size: int, index_to_key: Sequence[str] = (),
                 vectors: Optional[np.ndarray] = None, counts=None, dtype=np.float32):
        if isinstance(index_to_key, (str, Integral)):
            raise TypeError("index_to_key must be a sequence of keys (gensim's preallocation "
                            "count is not supported: use add_vectors)")
        self.vector_size = int(vector_size)
        if self.vector_size < 0:
            raise ValueError(f"vector_size={vector_size} is invalid: must be >= 0")
        self.index_to_key: List[str] = list(index_to_key)
        self.key_to_index: Dict[str, int] = {k: i for i, k in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("keys must be unique")
        if vectors is None:
            vectors = np.zeros((len(self.index_to_key), self.vector_size), dtype=dtype)
        self.vectors = vectors
        self.expandos: Dict[str, np.ndarray] = {}
        #: gensim's lock factors: training scales the update of input row ``r`` by
        #: ``vectors_lockf[r % len(vectors_lockf)]`` (0.0 freezes the row). One shared 1.0 by
        #: default, as gensim's models; one per key after ``intersect_word2vec_format``.
        self.vectors_lockf = np.ones(1, dtype=np.float32)
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(self),):
                raise ValueError(f"{counts.shape[0] if counts.ndim else 0} counts for {len(self)} keys")
            self.expandos["count"] = counts

    # -- the matrix and its norms -------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """[V, vector_size] array of the vectors, row ``i`` for ``index_to_key[i]``."""
        return self._vectors

    @vectors.setter
    def vectors(self, value) -> None:
        value = np.asanyarray(value)
        if value.ndim != 2 or value.shape != (len(self.index_to_key), self.vector_size):
            raise ValueError(f"vectors have shape {value.shape}, expected "
                             f"({len(self.index_to_key)}, {self.vector_size})")
        if value.dtype.kind != "f":
            raise ValueError(f"vectors must be floating point, not {value.dtype}")
        self._vectors = value
        self._norms = self._probe_idx = self._probe = None

    @property
    def norms(self) -> Optional[np.ndarray]:
        """Cached L2 norm of every row ([V], the vectors' dtype); ``None`` until computed
        (``fill_norms``). Assign ``None`` to drop the cache."""
        return self._norms

    @norms.setter
    def norms(self, value) -> None:
        if value is not None:
            # norms given by hand stay valid as long as the vectors do not change
            self._probe_idx = self._probe_rows()
            self._probe = np.array(self._vectors[self._probe_idx])
        self._norms = None if value is None else np.asarray(value)

    def _probe_rows(self) -> np.ndarray:
        V = len(self._vectors)
        return np.unique(np.concatenate([np.arange(min(V, 64)),
                                         np.linspace(0, V - 1, min(V, 256)).astype(np.int64)]))

    def fill_norms(self, force: bool = False) -> np.ndarray:
        """Compute the norms cache if it is missing, stale or ``force`` is set; return it.

        Safe with queries on other threads: each attribute is read once, so a cache
        dropped or rebuilt meanwhile by another thread only costs a recomputation."""
        v = self._vectors
        norms, idx, probe = self._norms, self._probe_idx, self._probe
        if not force and norms is not None and idx is not None and len(norms) == len(v) \
                and np.array_equal(v[idx], probe, equal_nan=True):
            return norms
        idx = self._probe_rows()
        probe = np.array(v[idx])
        norms = np.linalg.norm(v, axis=1)
        self._probe_idx, self._probe, self._norms = idx, probe, norms
        return norms

    def _safe_norms(self, start: int = 0, end: Optional[int] = None) -> np.ndarray:
        n = self.fill_norms()[start:end]
        # zero rows score 0 instead of nan (gensim divides by zero)
        return np.where(n == 0, np.ones_like(n), n)

    def get_normed_vectors(self) -> np.ndarray:
        """A new [V, d] array: every vector scaled to unit length (zero vectors stay zero)."""
        return (self._vectors / self._safe_norms()[:, None]).astype(self._vectors.dtype, copy=False)

    @property
    def vocab(self):
        """Removed in gensim 4 (and never in fastw2v): ``AttributeError`` saying what to use."""
        raise AttributeError(
            "The vocab attribute was removed from KeyedVectors in gensim 4.0.0 (fastw2v "
            "follows gensim 4): use .key_to_index (key -> row), .index_to_key (row -> key) "
            "and .get_vecattr(key, 'count') / .set_vecattr(key, 'count', value) instead. "
            "See https://github.com/RaRe-Technologies/gensim/wiki/Migrating-from-Gensim-3.x-to-4")

    @vocab.setter
    def vocab(self, value):
        self.vocab      # raises the AttributeError above

    def unit_normalize_all(self) -> None:
        """Scale every vector to unit length, in place (the original lengths are lost, so
        training cannot sensibly continue). A zero vector stays zero (gensim makes it NaN)."""
        norms = self.fill_norms()
        self._vectors /= np.where(norms == 0, 1, norms)[:, None].astype(self._vectors.dtype)
        self.norms = (norms != 0).astype(self._vectors.dtype)

    def init_sims(self, replace: bool = False) -> None:
        """Deprecated (gensim 4): compute the norms (``fill_norms``); with ``replace=True``
        also ``unit_normalize_all()``. Queries need neither."""
        warnings.warn("init_sims() is deprecated, as in gensim 4: queries compute the norms "
                      "themselves (fill_norms()); use unit_normalize_all() to replace the "
                      "vectors by unit vectors", DeprecationWarning, stacklevel=2)
        self.fill_norms()
        if replace:
            logger.warning("init_sims(replace=True) overwrites the vectors with unit vectors; "
                           "training cannot sensibly continue")
            self.unit_normalize_all()

    # -- look-ups -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return self.has_index_for(key)

    def has_index_for(self, key) -> bool:
        return self.get_index(key, -1) >= 0

    def get_index(self, key, default=None) -> int:
        """Row of ``key`` (an int in range is its own row); ``default`` if given and the
        key is unknown, else ``KeyError``."""
        try:
            idx = self.key_to_index.get(key)
        except TypeError:   # unhashable
            idx = None
        if idx is not None:
            return idx
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) \
                and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key {key!r} not present in vocabulary")

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The vector of ``key`` (a view); a new unit-length copy if ``norm``."""
        idx = self.get_index(key)
        if norm:
            return self._vectors[idx] / self._safe_norms(idx, idx + 1)[0]
        return self._vectors[idx]

    word_vec = get_vector

    def __getitem__(self, key_or_keys: Union[str, Iterable[str]]) -> np.ndarray:
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    def __setitem__(self, keys, weights) -> None:
        if isinstance(keys, _KEY_TYPES):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def get_vecattr(self, key, attr: str):
        """Per-key attribute, e.g. ``"count"``."""
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r}; known: {sorted(self.expandos)}")
        return self.expandos[attr][self.get_index(key)].item()

    def set_vecattr(self, key, attr: str, value) -> None:
        if attr not in self.expandos:
            self.expandos[attr] = np.zeros(len(self), dtype=np.asarray(value).dtype)
        self.expandos[attr][self.get_index(key)] = value

    def add_vectors(self, keys, weights, extras: Optional[dict] = None, replace: bool = False) -> None:
        """Add vectors for ``keys`` (a list of keys and a [n, vector_size] array or list of
        1-D vectors, or one key and one 1-D vector, as in gensim). New keys are appended;
        a key already present keeps its vector unless ``replace``. ``extras`` maps an
        attribute name to per-key values. A per-key ``vectors_lockf`` grows with 1.0
        (trainable) for the new keys."""
        if isinstance(keys, _KEY_TYPES):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
            extras = {k: np.asarray(v).reshape(1) for k, v in (extras or {}).items()}
        keys = list(keys)
        weights = np.asarray(weights, dtype=self._vectors.dtype)
        if weights.size != len(keys) * self.vector_size:
            raise ValueError(f"{len(keys)} keys but weights of shape {weights.shape}; expected "
                             f"({len(keys)}, {self.vector_size})")
        weights = weights.reshape(len(keys), self.vector_size)
        extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        new_keys, new_pos = [], []
        for pos, key in enumerate(keys):
            idx = self.key_to_index.get(key)
            if idx is None:
                if key in new_keys:
                    raise ValueError(f"key {key!r} appears twice in the keys to add")
                new_keys.append(key)
                new_pos.append(pos)
            elif replace:
                self._vectors[idx] = weights[pos]
                for attr, vals in extras.items():
                    self.set_vecattr(key, attr, vals[pos])
        if new_keys:
            start = len(self.index_to_key)
            lockf = np.asarray(self.vectors_lockf)
            per_key = lockf.ndim == 1 and len(lockf) == start and start > 1
            for i, key in enumerate(new_keys):
                self.key_to_index[key] = start + i
            self.index_to_key.extend(new_keys)
            grown = np.concatenate([self._vectors, weights[new_pos]])
            for attr in list(self.expandos):
                add = extras[attr][new_pos] if attr in extras else \
                    np.zeros(len(new_keys), dtype=self.expandos[attr].dtype)
                self.expandos[attr] = np.concatenate([self.expandos[attr], add])
            for attr, vals in extras.items():
                if attr not in self.expandos:
                    self.expandos[attr] = np.concatenate(
                        [np.zeros(start, dtype=vals.dtype), vals[new_pos]])
            self.vectors = grown
            if per_key:
                self.vectors_lockf = np.concatenate(
                    [lockf, np.ones(len(new_keys), dtype=lockf.dtype)])
        self._norms = None

    def add_vector(self, key, vector) -> int:
        """Add one vector (gensim's name); returns its row (an existing key keeps its
        vector, as in gensim's ``add_vectors``)."""
        self.add_vectors(key, vector)
        return self.get_index(key)

    def _per_key_lockf(self) -> np.ndarray:
        """``vectors_lockf`` as one float32 factor per key (a shared or repeating one
        expanded as training reads it, ``lockf[r % len]``), stored back on the object so
        single entries can be set."""
        lockf = np.asarray(self.vectors_lockf, dtype=np.float32).reshape(-1)
        if len(lockf) == 0:
            lockf = np.ones(1, dtype=np.float32)
        if len(lockf) != len(self):
            lockf = lockf[np.arange(len(self)) % len(lockf)]
        self.vectors_lockf = np.array(lockf, dtype=np.float32)
        return self.vectors_lockf

    # -- similarity queries -------------------------------------------------------------
    def get_mean_vector(self, keys, weights=None, pre_normalize: bool = True,
                        post_normalize: bool = False, ignore_missing: bool = True) -> np.ndarray:
        """Weighted mean of the vectors of ``keys`` (keys or vectors; a vector is used as
        given), divided by the sum of absolute weights; unit length if ``post_normalize``."""
        if len(keys) == 0:
            raise EmptyQueryError("cannot compute mean with no input")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
        if len(weights) != len(keys):
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, dtype=np.float64)
        total = 0.0
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray):
                vec = key
            elif self.has_index_for(key):
                vec = self.get_vector(key, norm=pre_normalize)
            elif ignore_missing:
                continue
            else:
                raise KeyError(f"Key {key!r} not present in vocabulary")
            mean += w * vec
            total += abs(w)
        if total > 0:
            mean /= total
        mean = mean.astype(self._vectors.dtype)
        return _unitvec(mean) if post_normalize else mean

    def row_cosines(self, query: np.ndarray, start: int = 0,
                    end: Optional[int] = None) -> np.ndarray:
        """Cosine of the unit vector ``query`` with each of rows ``start:end``
        ([end - start], the vectors' dtype; 0 for a zero row)."""
        return (self._vectors[start:end] @ query.astype(self._vectors.dtype, copy=False)) \
            / self._safe_norms(start, end)

    def most_similar(self, positive=None, negative=None, topn: Optional[int] = 10,
                     clip_start: int = 0, clip_end: Optional[int] = None,
                     restrict_vocab: Optional[int] = None, indexer=None):
        """Keys nearest the mean of the unit vectors of ``positive`` minus ``negative``
        (3CosAdd); keys given in the query are not returned.

        ``positive``/``negative`` hold keys, vectors (used as given) or ``(key, weight)``
        pairs. ``restrict_vocab=N`` searches only the first N rows. With ``topn=None``
        the cosine of every row is returned as an array.

        Returns
        -------
        list of (str, float), or np.ndarray if ``topn`` is None
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        keys, weights = weighted_keys(positive, negative)
        mean = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        if indexer is not None and isinstance(topn, Integral):
            return indexer.most_similar(mean, topn)
        if restrict_vocab:
            clip_start, clip_end = 0, int(restrict_vocab)
        clip_end = len(self) if clip_end is None else min(int(clip_end), len(self))
        exclude = [self.get_index(k) for k in keys
                   if isinstance(k, _KEY_TYPES) and self.has_index_for(k)]
        dists = self.row_cosines(mean, clip_start, clip_end)
        if not topn:
            return dists
        return [(self.index_to_key[i], float(dists[i - clip_start]))
                for i in top_indices(dists, int(topn), exclude, clip_start)]

    def similar_by_key(self, key, topn: Optional[int] = 10, restrict_vocab=None):
        """Keys nearest ``key`` (``most_similar([key])``)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector, topn: Optional[int] = 10, restrict_vocab=None):
        """Keys nearest an arbitrary vector (the "vec2word" question)."""
        vector = np.asarray(vector)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"vector has shape {vector.shape}, expected ({self.vector_size},)")
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_batch(self, queries, topn: int = 10, restrict_vocab: Optional[int] = None):
        """``most_similar`` for many single queries at once, as blocked matrix products.

        Parameters
        ----------
        queries : sequence of keys, or np.ndarray [n, vector_size]
            Keys (each excluded from its own answer) or raw query vectors.

        Returns
        -------
        list of list of (str, float)
            ``result[i] == most_similar(queries[i], topn=topn)`` up to float rounding.
        """
        if not isinstance(topn, Integral) or topn < 1:
            raise ValueError(f"topn={topn!r} is invalid: must be an integer >= 1")
        end = len(self) if not restrict_vocab else min(int(restrict_vocab), len(self))
        if isinstance(queries, np.ndarray) and queries.ndim == 2:
            if queries.shape[1] != self.vector_size:
                raise ValueError(f"query vectors have {queries.shape[1]} columns, expected "
                                 f"{self.vector_size}")
            norms = np.linalg.norm(queries, axis=1, keepdims=True)
            Q = (queries / np.where(norms == 0, 1, norms)).astype(self._vectors.dtype)
            own = [-1] * len(Q)
        else:
            own = [self.get_index(k) for k in queries]
            Q = self.get_normed_vectors()[own] if len(self) and own else \
                np.zeros((0, self.vector_size), dtype=self._vectors.dtype)
        rows = self._vectors[:end]
        norms = self._safe_norms(0, end)
        k = min(end, topn + 1)
        out = []
        step = max(1, _BATCH_ELEMENTS // max(end, 1))
        for s in range(0, len(Q), step):
            block = (Q[s:s + step] @ rows.T) / norms[None, :]        # [b, end], rows contiguous
            if k < end:
                cand = np.argpartition(-block, k - 1, axis=1)[:, :k]
            else:
                cand = np.broadcast_to(np.arange(end), block.shape)
            for j in range(block.shape[0]):
                c = cand[j]
                sc = block[j, c]
                c = c[np.lexsort((c, -sc))]
                hits = [int(i) for i in c if i != own[s + j]][:topn]
                out.append([(self.index_to_key[i], float(block[j, i])) for i in hits])
        return out

    def most_similar_cosmul(self, positive=None, negative=None, topn: Optional[int] = 10,
                            restrict_vocab: Optional[int] = None):
        """3CosMul (Levy and Goldberg): product of ``(1 + cos) / 2`` over ``positive``
        divided by the product over ``negative`` plus 1e-6. Keys are unit-normalised,
        vectors used as given; keys given in the query are not returned.
        ``restrict_vocab=N`` searches only the first N rows (gensim ignores it)."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _ensure_list(positive), _ensure_list(negative)
        if not positive:
            raise EmptyQueryError("cannot compute similarity with no input")
        exclude = {self.get_index(w) for w in positive + negative
                   if not isinstance(w, np.ndarray) and self.has_index_for(w)}
        end = len(self) if not restrict_vocab else min(int(restrict_vocab), len(self))

        def shifted(term):
            vec = term if isinstance(term, np.ndarray) else self.get_vector(term, norm=True)
            return (1 + self.row_cosines(vec, 0, end)) / 2

        dists = np.prod([shifted(t) for t in positive], axis=0)
        dists = dists / (np.prod([shifted(t) for t in negative], axis=0) + 0.000001)
        if not topn:
            return dists
        return [(self.index_to_key[i], float(dists[i]))
                for i in top_indices(dists, int(topn), exclude)]

    @staticmethod
    def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
        """Cosine of ``vector_1`` [d] with each row of ``vectors_all`` [n, d]."""
        vectors_all = np.asarray(vectors_all)
        return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) *
                                           np.linalg.norm(vectors_all, axis=1))

    def similarity(self, w1, w2) -> float:
        """Cosine similarity of two keys."""
        return float(np.dot(_unitvec(self[w1]), _unitvec(self[w2])))

    def distance(self, w1, w2) -> float:
        """Cosine distance ``1 - similarity(w1, w2)``."""
        return 1 - self.similarity(w1, w2)

    def distances(self, word_or_vector, other_words=()) -> np.ndarray:
        """Cosine distances from a key or vector to ``other_words`` (all keys if empty)."""
        vec = self.get_vector(word_or_vector) if isinstance(word_or_vector, _KEY_TYPES) \
            else np.asarray(word_or_vector)
        others = self._vectors if not other_words else \
            self._vectors[[self.get_index(w) for w in other_words]]
        return 1 - self.cosine_similarities(vec, others)

    def n_similarity(self, ws1, ws2) -> float:
        """Cosine similarity of the means of two lists of keys (raw, not unit, vectors)."""
        if not (len(ws1) and len(ws2)):
            raise EmptyQueryError("At least one of the passed list is empty.")
        for w in list(ws1) + list(ws2):
            self.get_index(w)       # unknown keys: KeyError (gensim silently drops them)
        m1 = self.get_mean_vector(ws1, pre_normalize=False)
        m2 = self.get_mean_vector(ws2, pre_normalize=False)
        return float(np.dot(_unitvec(m1), _unitvec(m2)))

    def closer_than(self, key1, key2) -> List[str]:
        """Keys closer to ``key1`` than ``key2`` is."""
        d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(d < d[i2]) if i != i1]

    def rank(self, key1, key2) -> int:
        """1 + the number of keys closer to ``key1`` than ``key2``."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1, keys_list):
        """The key of ``keys_list`` most similar to ``key1``."""
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def rank_by_centrality(self, words, use_norm: bool = True):
        """``(cosine, word)`` pairs sorted by similarity to the centroid of ``words``;
        unknown words are ignored with a warning."""
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these "
                           "words", set(words) - set(used))
        if not used:
            raise EmptyQueryError("cannot select a word from an empty list")
        vecs = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = _unitvec(vecs.astype(np.float64).mean(axis=0)).astype(np.float32)
        return sorted(zip((vecs @ mean).tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The word furthest from the centroid of ``words`` (unknown words ignored)."""
        return self.rank_by_centrality(words)[-1][1]

    def words_closer_than(self, word1, word2) -> List[str]:
        """Deprecated alias of :meth:`closer_than` (as in gensim 4)."""
        warnings.warn("words_closer_than() is deprecated: use closer_than()",
                      DeprecationWarning, stacklevel=2)
        return self.closer_than(word1, word2)

    def relative_cosine_similarity(self, wa, wb, topn: int = 10) -> float:
        """``similarity(wa, wb)`` divided by the sum of the similarities of ``wa``'s
        ``topn`` nearest keys (Leeuwenberg et al., "A Minimally Supervised Approach for
        Synonym Extraction with Word Embeddings", equation 1)."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any "
                             "similar words.")
        return float(self.similarity(wa, wb)) / sum(sim for _, sim in sims)

    def wmdistance(self, document1, document2, norm: bool = True) -> float:
        """Word Mover's Distance between two documents (lists of keys; Kusner et al.
        2015), solved by POT's exact ``emd2`` (``pip install fastw2v[wmd]``).

        Keys not in the vocabulary are dropped; if a document is left empty the distance
        is ``inf``. Each document is its normalised bag of words; the cost of moving a
        word to another is the Euclidean distance of their vectors (unit vectors if
        ``norm``). Two documents of one and the same key are 0 apart; if every cost is
        0 (distinct keys with equal vectors) the answer is ``inf``, as in gensim.
        """
        try:
            from ot import emd2
        except ImportError as exc:
            raise ImportError("wmdistance() needs POT (Python Optimal Transport): "
                              "pip install fastw2v[wmd]  (or: pip install POT)") from exc
        doc1 = [t for t in document1 if t in self]
        doc2 = [t for t in document2 if t in self]
        if len(doc1) < len(document1) or len(doc2) < len(document2):
            logger.info("removed %d and %d OOV words from document 1 and 2 (respectively)",
                        len(document1) - len(doc1), len(document2) - len(doc2))
        if not doc1 or not doc2:
            logger.warning("at least one of the documents had no words that were in the "
                           "vocabulary")
            return float("inf")
        uniq1, uniq2 = list(dict.fromkeys(doc1)), list(dict.fromkeys(doc2))
        if len(set(uniq1) | set(uniq2)) == 1:
            return 0.0

        def rows(keys):
            return np.array([self.get_vector(k, norm=norm) for k in keys], dtype=np.float64)

        v1, v2 = rows(uniq1), rows(uniq2)
        cost = np.sqrt(((v1[:, None, :] - v2[None, :, :]) ** 2).sum(axis=2))
        if abs(cost.sum()) < 1e-8:
            logger.info("the distance matrix is all zeros: returning inf")
            return float("inf")

        def bag(doc, uniq):
            pos = {k: i for i, k in enumerate(uniq)}
            weights = np.zeros(len(uniq), dtype=np.float64)
            for k in doc:
                weights[pos[k]] += 1
            return weights / len(doc)

        return float(emd2(bag(doc1, uniq1), bag(doc2, uniq2), cost))

    def vectors_for_all(self, keys: Iterable, allow_inference: bool = True,
                        copy_vecattrs: bool = False) -> "KeyedVectors":
        """A new :class:`KeyedVectors` with the vectors (copies) of the given keys that are
        present, each once, in the order first given. Counts are made up in descending
        order as gensim does, unless ``copy_vecattrs`` copies every attribute of the keys
        (``get_vecattr``). ``allow_inference`` matters only where out-of-vocabulary keys
        can be inferred (fastText); here no key is."""
        chosen, seen = [], set()
        for key in keys:
            if key not in seen:
                seen.add(key)
                if self.has_index_for(key):
                    chosen.append(key)
        rows = [self.get_index(k) for k in chosen]
        n = len(chosen)
        kv = type(self)(self.vector_size, chosen, np.array(self._vectors[rows]),
                        counts=np.arange(n, 0, -1))
        if copy_vecattrs:
            for attr, vals in self.expandos.items():
                kv.expandos[attr] = np.array(vals[rows])
        return kv

    def intersect_word2vec_format(self, fname, lockf: float = 0.0, binary: bool = False,
                                  encoding: str = "utf8", unicode_errors: str = "strict") -> int:
        """Take the vectors of a word2vec text/binary file for the keys present here
        (gensim's name and arguments): no key is added, keys not in the file keep their
        vectors. The lock factor of every key taken is set to ``lockf`` (0.0, the default,
        freezes it in further training; 1.0 lets it train), so ``vectors_lockf`` becomes
        one factor per key (the others keep theirs).

        The file is checked as :meth:`load_word2vec_format` checks it (same errors).

        Returns
        -------
        int
            How many keys took the file's vectors (gensim logs this number).
        """
        from ..io.word2vec_format import read_word2vec_rows
        path = os.fspath(fname)
        words, vectors, _ = read_word2vec_rows(path, binary=binary, encoding=encoding,
                                               unicode_errors=unicode_errors)
        if vectors.shape[1] != self.vector_size:
            raise ValueError(f"incompatible vector size {vectors.shape[1]} in file {path} "
                             f"(these vectors have {self.vector_size})")
        hits = [(self.key_to_index[w], i) for i, w in enumerate(words) if w in self.key_to_index]
        factors = self._per_key_lockf()
        if hits:
            ours, theirs = (np.array(x, dtype=np.int64) for x in zip(*hits))
            self._vectors[ours] = vectors[theirs]
            factors[ours] = lockf
            self._norms = None
        logger.info("merged %d vectors into %s matrix from %s", len(hits),
                    self._vectors.shape, path)
        return len(hits)

    # -- persistence --------------------------------------------------------------------
    # -- evaluation (gensim's names and signatures; see fastw2v.evaluation.scoring) ---------------
    def evaluate_word_analogies(self, analogies, restrict_vocab: int = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar"):
        """Accuracy on an analogy file: ``(score, sections)`` as gensim returns them.
        ``similarity_function``: ``"3CosAdd"``/``"most_similar"`` or
        ``"3CosMul"``/``"most_similar_cosmul"``. See
        :func:`fastw2v.evaluation.scoring.evaluate_word_analogies`."""
        from ..evaluation.scoring import evaluate_word_analogies
        return evaluate_word_analogies(self, analogies, restrict_vocab, case_insensitive,
                                       dummy4unknown, similarity_function)

    def evaluate_word_pairs(self, pairs, delimiter: str = "\t", encoding: str = "utf8",
                            restrict_vocab: int = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False):
        """``(pearson, spearman, oov_ratio)`` on a word-pair similarity file, as gensim
        returns them. See :func:`fastw2v.evaluation.scoring.evaluate_word_pairs`."""
        from ..evaluation.scoring import evaluate_word_pairs
        return evaluate_word_pairs(self, pairs, delimiter, restrict_vocab, case_insensitive,
                                   dummy4unknown, encoding)

    def save(self, fname) -> None:
        """Save keys, vectors and attributes to one native file, atomically (mmap-able)."""
        from ..io.native import encode_strings, save_native
        if not all(isinstance(k, str) for k in self.index_to_key):
            raise TypeError("only str keys can be saved")
        blob, offsets = encode_strings(self.index_to_key)
        arrays = {"keys_blob": blob, "keys_offsets": offsets, "vectors": self._vectors}
        for attr, vals in self.expandos.items():
            arrays["attr:" + attr] = vals
        arrays["vectors_lockf"] = np.asarray(self.vectors_lockf, dtype=np.float32).reshape(-1)
        save_native(fname, {"format": _NATIVE_FORMAT, "vector_size": self.vector_size}, arrays)

    @classmethod
    def load(cls, fname, mmap: Optional[str] = None) -> "KeyedVectors":
        """Load a file written by :meth:`save`, or by gensim 4's ``save()`` (its
        KeyedVectors, or a Word2Vec model's ``wv`` as gensim's ``KeyedVectors.load``
        gives; read without gensim and without running code from the file, see
        :mod:`fastw2v.io.gensim_pickle`); ``mmap="r"`` maps the vectors read-only."""
        from ..io.gensim_pickle import is_gensim_pickle, read_gensim
        from ..io.native import FormatError, decode_strings, load_native
        if is_gensim_pickle(fname):
            g = read_gensim(fname, mmap=mmap)
            kv = cls(g.vector_size, g.index_to_key, g.vectors, g.counts)
            if g.vectors_lockf is not None:
                kv.vectors_lockf = np.array(g.vectors_lockf, dtype=np.float32)
            return kv
        meta, arrays = load_native(fname, mmap=mmap)
        fname = os.fspath(fname)
        try:
            if not isinstance(meta, dict) or meta.get("format") != _NATIVE_FORMAT:
                raise FormatError(f"not a fastw2v KeyedVectors file (format "
                                  f"{meta.get('format') if isinstance(meta, dict) else None!r})")
            keys = decode_strings(arrays["keys_blob"], arrays["keys_offsets"])
            kv = cls(int(meta["vector_size"]), keys, arrays["vectors"])
            for name, vals in arrays.items():
                if name.startswith("attr:"):
                    if vals.shape != (len(keys),):
                        raise FormatError(f"attribute {name[5:]!r} has shape {vals.shape}")
                    kv.expandos[name[5:]] = vals
            if "vectors_lockf" in arrays:       # absent from files of earlier versions
                lockf = np.array(arrays["vectors_lockf"], dtype=np.float32)
                if lockf.ndim != 1 or len(lockf) == 0:
                    raise FormatError(f"vectors_lockf has shape {lockf.shape}")
                kv.vectors_lockf = lockf
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{fname}: corrupt KeyedVectors file ({exc})") from None
        return kv

    def save_word2vec_format(self, fname, fvocab=None, binary: bool = False, total_vec=None,
                             write_header: bool = True, prefix: str = "",
                             sort_attr: str = "count") -> None:
        """Write the word2vec C tool's text or binary format (see :mod:`fastw2v.io.word2vec_format`)."""
        from ..io.word2vec_format import save_word2vec_format
        save_word2vec_format(self, fname, fvocab=fvocab, binary=binary, total_vec=total_vec,
                             write_header=write_header, prefix=prefix, sort_attr=sort_attr)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary: bool = False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header: bool = False) -> "KeyedVectors":
        """Read the word2vec C tool's text/binary format, GloVe text (``no_header=True``)
        or fastText ``.vec`` files (see :mod:`fastw2v.io.word2vec_format`)."""
        from ..io.word2vec_format import load_word2vec_format
        return load_word2vec_format(cls, fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                    unicode_errors=unicode_errors, limit=limit,
                                    datatype=datatype, no_header=no_header)

    def __repr__(self) -> str:
        return f"<KeyedVectors: {len(self)} keys, vector_size={self.vector_size}>"
