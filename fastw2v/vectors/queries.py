"""Similarity queries over word vectors (gensim 4's names and answers): the mixin
:class:`SimilarityQueries` that :class:`fastw2v.KeyedVectors` inherits, and the helpers
that turn a query's terms into weighted keys and its scores into ranked rows.

Every query divides ``vectors @ q`` by the cached row norms (``safe_norms``: zeros count
as 1, so a zero row scores 0 instead of gensim's nan), which is what gensim computes too,
so scores agree to float32 rounding without a second, normalised copy of the matrix.
"""
from __future__ import annotations

import logging
import warnings
from numbers import Integral
from typing import Iterable, List, Optional

import numpy as np

from ..errors import EmptyQueryError

logger = logging.getLogger("fastw2v")

KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)
# elements of the [rows, queries] score block computed at once by batched queries
_BATCH_ELEMENTS = 1 << 24


def ensure_list(value) -> list:
    """A single key or 1-D vector becomes a one-element list; ``None`` an empty one."""
    if value is None:
        return []
    if isinstance(value, KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)


def unitvec(vec: np.ndarray) -> np.ndarray:
    """``vec`` scaled to unit length in its own dtype; a zero vector stays zero."""
    vec = np.asarray(vec)
    length = float(np.linalg.norm(vec.astype(np.float64, copy=False)))
    if length > 0.0:
        return (vec / length).astype(vec.dtype if vec.dtype.kind == "f" else np.float64)
    return vec


def whole_number(name: str, value) -> int:
    """``value`` as an int; ``TypeError`` for a number that is not an integer type (gensim
    slices and partitions with it, which raises the same), rather than truncating it."""
    if isinstance(value, Integral):
        return int(value)
    raise TypeError(f"{name} must be an integer, not {type(value).__name__} {value!r}")


def top_indices(scores: np.ndarray, topn: int, exclude=(), offset: int = 0) -> List[int]:
    """Indices (plus ``offset``) of the ``topn`` largest ``scores`` not in ``exclude``,
    best first; equal scores keep row order."""
    exclude = set(exclude)
    k = min(len(scores), topn + len(exclude))
    if k <= 0:
        return []
    nan = np.isnan(scores)
    if nan.any():
        # a NaN score (a vector holding NaN) ranks last, as in gensim's sort
        scores = np.where(nan, -np.inf, scores)
    if k < len(scores):
        # the k largest, and among scores equal to the k-th the first rows: argpartition
        # alone picks any of them
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        cand = np.concatenate([above, np.flatnonzero(scores == kth)[:k - len(above)]])
    else:
        cand = np.arange(len(scores))
    cand = cand[np.lexsort((cand, -scores[cand]))]
    out = [int(i) + offset for i in cand if int(i) + offset not in exclude]
    return out[:topn]


def weighted_keys(positive, negative):
    """A query's terms and their weights: ``positive`` and ``negative`` (keys, vectors or
    ``(key, weight)`` pairs, or one key/vector) as ``(keys, float64 weights)``, weight 1
    for a positive term and -1 for a negative one unless a pair gives it."""
    positive, negative = ensure_list(positive), ensure_list(negative)
    weights = np.concatenate([np.ones(len(positive)), -np.ones(len(negative))])
    keys = []
    for i, item in enumerate(positive + negative):
        if isinstance(item, _EXTENDED_KEY_TYPES):
            keys.append(item)
        else:
            keys.append(item[0])
            weights[i] = item[1]
    return keys, weights


class SimilarityQueries:
    """Queries of :class:`fastw2v.KeyedVectors`; they read ``vectors``, ``safe_norms()``,
    ``get_vector()``, ``get_index()``, ``has_index_for()`` and ``_key_at()`` of the class
    they are mixed into (never the whole ``index_to_key`` or ``key_to_index``: loaded
    vectors build those only when they are used)."""

    def _key_at(self, row: int):
        """The key of row ``row``."""
        return self.index_to_key[row]

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
                vec = self._query_vector(key)
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
        return unitvec(mean) if post_normalize else mean

    def _query_vector(self, vector) -> np.ndarray:
        """``vector`` as an array, ``ValueError`` unless it has ``vector_size`` values
        (NumPy would broadcast a 1-value vector silently, or fail naming its internals)."""
        vector = np.asarray(vector)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"vector has shape {vector.shape}, expected ({self.vector_size},)")
        return vector

    def row_cosines(self, query: np.ndarray, start: int = 0,
                    end: Optional[int] = None) -> np.ndarray:
        """Cosine of the unit vector ``query`` with each of rows ``start:end``
        ([end - start], in the vectors' dtype but at least float32, as gensim's float32
        query makes it; 0 for a zero row)."""
        dtype = np.promote_types(self._vectors.dtype, np.float32)
        return (self._vectors[start:end] @ query.astype(dtype, copy=False)) \
            / self.safe_norms(start, end)

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
        if topn:
            whole_number("topn", topn)
        keys, weights = weighted_keys(positive, negative)
        mean = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        if indexer is not None and isinstance(topn, Integral):
            return indexer.most_similar(mean, topn)
        if restrict_vocab:
            clip_start, clip_end = 0, whole_number("restrict_vocab", restrict_vocab)
        # gensim's ``clip_end or len``: 0 and None both mean "to the last row"
        clip_start = whole_number("clip_start", clip_start)
        clip_end = min(whole_number("clip_end", clip_end), len(self)) if clip_end \
            else len(self)
        exclude = [self.get_index(k) for k in keys
                   if isinstance(k, KEY_TYPES) and self.has_index_for(k)]
        dists = self.row_cosines(mean, clip_start, clip_end)
        if not topn:
            return dists
        return [(self._key_at(i), float(dists[i - clip_start]))
                for i in top_indices(dists, int(topn), exclude, clip_start)]

    def similar_by_key(self, key, topn: Optional[int] = 10, restrict_vocab=None):
        """Keys nearest ``key`` (``most_similar([key])``)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """gensim's alias of :meth:`similar_by_key` (its argument is named ``word``)."""
        return self.similar_by_key(word, topn, restrict_vocab)

    def similar_by_vector(self, vector, topn: Optional[int] = 10, restrict_vocab=None):
        """Keys nearest an arbitrary vector (the "vec2word" question). A key given
        instead is taken as gensim takes it: as ``most_similar(key)``, itself left out."""
        if not isinstance(vector, KEY_TYPES):
            vector = self._query_vector(vector)
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
        end = len(self) if not restrict_vocab else \
            min(whole_number("restrict_vocab", restrict_vocab), len(self))
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
        norms = self.safe_norms(0, end)
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
                out.append([(self._key_at(i), float(block[j, i])) for i in hits])
        return out

    def most_similar_cosmul(self, positive=None, negative=None, topn: Optional[int] = 10,
                            restrict_vocab: Optional[int] = None):
        """3CosMul (Levy and Goldberg): product of ``(1 + cos) / 2`` over ``positive``
        divided by the product over ``negative`` plus 1e-6. Keys are unit-normalised,
        vectors used as given; keys given in the query are not returned.
        ``restrict_vocab=N`` searches only the first N rows (gensim ignores it)."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        if topn:
            whole_number("topn", topn)
        positive, negative = ensure_list(positive), ensure_list(negative)
        if not positive:
            raise EmptyQueryError("cannot compute similarity with no input")
        exclude = {self.get_index(w) for w in positive + negative
                   if not isinstance(w, np.ndarray) and self.has_index_for(w)}
        end = len(self) if not restrict_vocab else \
            min(whole_number("restrict_vocab", restrict_vocab), len(self))

        def shifted(term):
            vec = self._query_vector(term) if isinstance(term, np.ndarray) \
                else self.get_vector(term, norm=True)
            return (1 + self.row_cosines(vec, 0, end)) / 2

        dists = np.prod([shifted(t) for t in positive], axis=0)
        dists = dists / (np.prod([shifted(t) for t in negative], axis=0) + 0.000001)
        if not topn:
            return dists
        return [(self._key_at(i), float(dists[i]))
                for i in top_indices(dists, int(topn), exclude)]

    @staticmethod
    def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
        """Cosine of ``vector_1`` [d] with each row of ``vectors_all`` [n, d]."""
        vectors_all = np.asarray(vectors_all)
        return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) *
                                           np.linalg.norm(vectors_all, axis=1))

    def similarity(self, w1, w2) -> np.floating:
        """Cosine similarity of two keys, computed in float64 and rounded to the vectors'
        precision (at least float32), so a key's similarity with itself is exactly 1.0
        (gensim's float32 arithmetic leaves it 1 ulp off for about a fifth of keys).
        A NumPy scalar of that precision (``np.float32``), as gensim's."""
        v1, v2 = self[w1], self[w2]
        dtype = np.promote_types(np.asarray(v1).dtype, np.float32)
        cos = np.dot(unitvec(np.asarray(v1, dtype=np.float64)),
                     unitvec(np.asarray(v2, dtype=np.float64)))
        return dtype.type(cos)

    def distance(self, w1, w2) -> np.floating:
        """Cosine distance ``1 - similarity(w1, w2)`` (``np.float32``, as gensim's)."""
        return 1 - self.similarity(w1, w2)

    def distances(self, word_or_vector, other_words=()) -> np.ndarray:
        """Cosine distances from a key or vector to ``other_words`` (all keys if empty)."""
        vec = self.get_vector(word_or_vector) if isinstance(word_or_vector, KEY_TYPES) \
            else self._query_vector(word_or_vector)
        others = self._vectors if not other_words else \
            self._vectors[[self.get_index(w) for w in other_words]]
        return 1 - self.cosine_similarities(vec, others)

    def n_similarity(self, ws1, ws2) -> np.floating:
        """Cosine similarity of the means of two lists of keys (raw, not unit, vectors),
        a NumPy scalar of the vectors' precision (``np.float32``), as gensim's."""
        if not (len(ws1) and len(ws2)):
            raise EmptyQueryError("At least one of the passed list is empty.")
        for w in list(ws1) + list(ws2):
            if not isinstance(w, np.ndarray):
                self.get_index(w)   # unknown keys: KeyError (gensim silently drops them)
        m1 = self.get_mean_vector(ws1, pre_normalize=False)
        m2 = self.get_mean_vector(ws2, pre_normalize=False)
        dtype = np.promote_types(m1.dtype, np.float32)
        return dtype.type(np.dot(unitvec(m1), unitvec(m2)))

    def closer_than(self, key1, key2) -> List[str]:
        """Keys closer to ``key1`` than ``key2`` is."""
        d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self._key_at(i) for i in np.flatnonzero(d < d[i2]) if i != i1]

    def rank(self, key1, key2) -> int:
        """1 + the number of keys closer to ``key1`` than ``key2``."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1, keys_list):
        """The key of ``keys_list`` most similar to ``key1``."""
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def rank_by_centrality(self, words, use_norm: bool = True):
        """``(cosine, word)`` pairs sorted by similarity to the centroid of ``words``
        (the cosines ``np.float32``, as gensim's); unknown words are ignored with a
        warning."""
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these "
                           "words", set(words) - set(used))
        if not used:
            raise EmptyQueryError("cannot select a word from an empty list")
        vecs = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = unitvec(vecs.astype(np.float64).mean(axis=0)).astype(np.float32)
        return sorted(zip(vecs @ mean, used), reverse=True)

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
        total = sum(sim for _, sim in sims)
        # a zero vector has no similar words (every cosine 0): no ratio, NaN as in gensim
        return float(self.similarity(wa, wb)) / total if total else float("nan")

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
                        copy_vecattrs: bool = False):
        """A new :class:`KeyedVectors` with the vectors (copies) of the given keys that are
        present, each once, in the order first given. Counts are made up in descending
        order as gensim does, unless ``copy_vecattrs`` copies every attribute of the keys
        (``get_vecattr``). With ``allow_inference=False`` only keys of ``key_to_index``
        are taken; with it (gensim's default), also ints as row numbers, as gensim's
        ``key in kv`` takes them."""
        chosen, seen = [], set()
        for key in keys:
            if key not in seen:
                seen.add(key)
                # as gensim: with inference, any key it can look up (an int is also a
                # row number); without, only the keys themselves
                if self.has_index_for(key) if allow_inference else key in self.key_to_index:
                    chosen.append(key)
        rows = [self.get_index(k) for k in chosen]
        n = len(chosen)
        kv = type(self)(self.vector_size, chosen, np.array(self._vectors[rows]),
                        counts=np.arange(n, 0, -1))
        if copy_vecattrs:
            for attr, vals in self.expandos.items():
                kv.expandos[attr] = np.array(vals[rows])
        return kv
