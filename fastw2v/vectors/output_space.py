"""The output space of a trained model: OUT vectors, cross-space queries, predictions.

Negative sampling trains a second matrix, ``syn1neg``: one OUT (context) vector per
word, in the same row order as the IN vectors ``wv.vectors``. Queries across the two
spaces (the Dual Embedding Space Model) always name the spaces explicitly.
:class:`OutputSpaceMixin` is a base class of :class:`fastw2v.Word2Vec`; it reads the
model's ``wv``, ``syn1neg``, ``syn1``, ``config`` and ``state`` (through public names
only) and never trains.
"""
from __future__ import annotations

import logging
from numbers import Integral
from typing import Optional

import numpy as np

from .keyedvectors import KeyedVectors
from .queries import top_indices, weighted_keys, whole_number

logger = logging.getLogger("fastw2v")


class OutputSpaceMixin:
    """Output-space methods of :class:`fastw2v.Word2Vec`."""

    # Negative sampling trains a second matrix, ``syn1neg``: one OUT (context) vector per
    # word, in the same row order as the IN vectors ``wv.vectors``. Queries across the
    # two spaces (the Dual Embedding Space Model) always name the spaces explicitly.
    _SPACES = ("in-in", "in-out", "out-in", "out-out")

    def output_vectors(self) -> KeyedVectors:
        """The output (context) word vectors, ``syn1neg``, as a :class:`KeyedVectors`
        sharing the model's array (no copy) and vocabulary counts.

        Raises
        ------
        ValueError
            The model has no ``syn1neg`` (hierarchical softmax only: its output matrix
            ``syn1`` holds Huffman inner nodes, not words).
        """
        self.state.need_vocab()
        if self.syn1neg is None:
            raise ValueError("this model has no output word vectors: they exist only with "
                             "negative sampling (negative > 0); with hs=1, negative=0 the "
                             "output matrix syn1 holds Huffman-tree nodes, not words")
        cached = getattr(self, "_output_kv", None)
        if cached is not None and cached.vectors is self.syn1neg \
                and cached.index_to_key == self.wv.index_to_key:
            return cached
        kv = KeyedVectors(self.wv.vector_size, self.wv.index_to_key, self.syn1neg,
                          self.wv.expandos.get("count"))
        self._output_kv = kv
        return kv

    def _space_pair(self, space: str):
        spec = str(space).lower().replace("_", "-")
        if spec not in self._SPACES:
            raise ValueError(f"space={space!r} is invalid: use one of {', '.join(self._SPACES)} "
                             "(query space - candidate space)")
        src, dst = spec.split("-")
        pick = {"in": lambda: self.wv, "out": self.output_vectors}
        return pick[src](), pick[dst]()

    def most_similar_across(self, positive=None, negative=None, topn: Optional[int] = 10,
                            space: str = "in-out", restrict_vocab: Optional[int] = None,
                            exclude_query: bool = True):
        """``most_similar`` with the query taken in one space and answers in another.

        ``space="in-out"`` ranks OUT vectors by cosine with the (unit-normalised, averaged
        as in ``most_similar``) IN vectors of the query: words that typically appear around
        the query words. ``"out-in"`` is the reverse, ``"in-in"`` equals
        ``wv.most_similar`` and ``"out-out"`` queries the output space alone.

        Parameters
        ----------
        positive, negative, topn, restrict_vocab
            As :meth:`KeyedVectors.most_similar`; vectors in ``positive``/``negative``
            are taken to be in the query space.
        space : {"in-in", "in-out", "out-in", "out-out"}
            Query space, then candidate space.
        exclude_query : bool
            Leave the query words out of the answer (as ``most_similar`` does).

        Returns
        -------
        list of (str, float), or np.ndarray of every cosine if ``topn`` is None
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        if topn:
            whole_number("topn", topn)
        src, dst = self._space_pair(space)
        keys, weights = weighted_keys(positive, negative)
        query = src.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        end = len(dst) if not restrict_vocab else \
            min(whole_number("restrict_vocab", restrict_vocab), len(dst))
        dists = dst.row_cosines(query, 0, end)
        if not topn:
            return dists
        exclude = [src.get_index(k) for k in keys if not isinstance(k, np.ndarray)] \
            if exclude_query else []
        return [(dst.index_to_key[i], float(dists[i]))
                for i in top_indices(dists, int(topn), exclude)]

    def similarity_across(self, w1, w2, space: str = "in-out") -> float:
        """Cosine of ``w1``'s vector in the first space with ``w2``'s in the second
        (``"in-out"``: the DESM word-context score)."""
        src, dst = self._space_pair(space)
        return float(np.dot(src.get_vector(w1, norm=True), dst.get_vector(w2, norm=True)))

    def combined_vectors(self, method: str = "sum", normalize: bool = False) -> KeyedVectors:
        """New :class:`KeyedVectors` combining input and output vectors of every word.

        Parameters
        ----------
        method : {"sum", "concat"}
            ``IN + OUT`` ([V, d]) or ``[IN, OUT]`` side by side ([V, 2d]).
        normalize : bool
            Scale each IN and OUT row to unit length first (the two spaces' norms differ).
        """
        if method not in ("sum", "concat"):
            raise ValueError(f"method={method!r} is invalid: use 'sum' or 'concat'")
        out_kv = self.output_vectors()
        a, b = self.wv.vectors, out_kv.vectors
        if normalize:
            a, b = self.wv.get_normed_vectors(), out_kv.get_normed_vectors()
        vectors = (a + b) if method == "sum" else np.hstack([a, b])
        return KeyedVectors(vectors.shape[1], self.wv.index_to_key,
                            np.ascontiguousarray(vectors, dtype=np.float32),
                            self.wv.expandos.get("count"))

    def predict_output_word(self, context_words_list, topn: Optional[int] = 10,
                            output_layer: Optional[str] = None):
        """Probability of each centre word given context words, through the output layer.

        The hidden vector is the mean (``cbow_mean=1``) or sum of the context words' input
        vectors, as gensim. ``output_layer="ns"``: softmax over ``syn1neg @ h`` (gensim's
        answer). ``"hs"``: each word's probability is the product along its Huffman path
        of ``sigmoid(h . syn1[node])`` for branch 0 and ``1 - sigmoid(...)`` for branch 1,
        the distribution the hierarchical-softmax kernels train (it sums to 1).

        Parameters
        ----------
        context_words_list : list of str
            Unknown words are ignored.
        topn : int or None
            Number of ``(word, probability)`` pairs to return, most probable first;
            ``None``: every word (as gensim). :meth:`predict_output_distribution` gives
            the probabilities as an array in vocabulary order.
        output_layer : {"ns", "hs"}, optional
            Default: ``"ns"`` if the model has negative sampling, else ``"hs"``.

        Returns
        -------
        list of (str, np.float32), or None if no context word is known (as gensim)
        """
        probs = self.predict_output_distribution(context_words_list, output_layer)
        if probs is None:
            return None
        n = len(probs) if topn is None else whole_number("topn", topn)
        # gensim's probabilities are np.float32 (its softmax runs in float32)
        return [(self.wv.index_to_key[i], np.float32(probs[i])) for i in top_indices(probs, n)]

    def predict_output_distribution(self, context_words_list,
                                    output_layer: Optional[str] = None):
        """:meth:`predict_output_word`'s probabilities of every word as a float64 [V]
        array in vocabulary order (it sums to 1), or None if no context word is known."""
        self.state.need_vocab()
        layer = output_layer or ("ns" if self.syn1neg is not None else "hs")
        if layer not in ("ns", "hs"):
            raise ValueError(f"output_layer={output_layer!r} is invalid: use 'ns' or 'hs'")
        if layer == "ns" and self.syn1neg is None:
            raise ValueError("output_layer='ns' needs a model trained with negative > 0")
        if layer == "hs" and self.syn1 is None:
            raise ValueError("output_layer='hs' needs a model trained with hs=1")
        if isinstance(context_words_list, str):
            context_words_list = [context_words_list]
        ids = [self.wv.get_index(w) for w in context_words_list if w in self.wv]
        if not ids:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        h = np.sum(self.wv.vectors[ids], axis=0)
        if self.config.cbow_mean:
            h /= len(ids)
        if layer == "ns":
            logits = (self.syn1neg @ h).astype(np.float64)
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
        else:
            probs = np.exp(self._hs_log_probs(h))
        return probs

    def _hs_log_probs(self, h: np.ndarray) -> np.ndarray:
        """log P(word | h) for every word under the hierarchical softmax, float64 [V]."""
        huff = self.state.huffman()
        node_scores = self.syn1.astype(np.float64, copy=False) @ h.astype(np.float64)
        # branch with code 0 is trained towards label 1: its probability is sigmoid(f)
        signed = (1.0 - 2.0 * huff.codes) * node_scores[huff.points]
        log_sig = -np.logaddexp(0.0, -signed)
        return np.add.reduceat(log_sig, huff.offsets[:-1])
