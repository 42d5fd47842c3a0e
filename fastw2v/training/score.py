"""Scoring sentences under a trained hierarchical-softmax model (gensim's ``score``).

A sentence's score is the log-probability the model gives it, in gensim's definition
(Taddy, "Document Classification by Inversion of Distributed Language Representations",
2015), over the sentence's in-vocabulary words (out-of-vocabulary words are dropped, no
down-sampling, the full ``window`` on both sides, at most the first 10,000 words):

* skip-gram: for each centre word ``i`` and each context word ``j`` in its window, the
  sum over the inner nodes ``n`` on ``i``'s Huffman path of
  ``log sigmoid(s_n * v_j . u_n)``, with ``s_n = +1`` for branch 0 and ``-1`` for 1;
* CBOW: the same sum for each word ``i`` with ``v_j`` replaced by the sum (with
  ``cbow_mean``, the mean) of the context vectors.

As in gensim (and its training), ``log sigmoid`` is read from the 1,000-entry table over
[-6, 6], and a node whose ``|dot| >= 6`` adds nothing. The arithmetic is NumPy on the
calling thread; the weights are only read.
"""
from __future__ import annotations

import logging
import time
from typing import Iterable

import numpy as np

from ..corpus import check_sentence
from ..tables import EXP_TABLE_SIZE, MAX_EXP, sigmoid_table

logger = logging.getLogger("fastw2v")

#: Words of a sentence that are scored (gensim's MAX_SENTENCE_LEN): the rest is ignored.
MAX_SCORED_WORDS = 10000
#: Table slots per unit of the dot product: ``EXP_TABLE_SIZE / MAX_EXP / 2`` in integer
#: arithmetic (83, not 83.3), as the C tool writes it and gensim's score computes it
#: (measured: 83.3 moves gensim's scores by about 1.7%).
_SLOTS_PER_UNIT = EXP_TABLE_SIZE // MAX_EXP // 2


def log_sigmoid_table() -> np.ndarray:
    """float32 [EXP_TABLE_SIZE]: ``log`` of :func:`fastw2v.tables.sigmoid_table`."""
    return np.log(sigmoid_table().astype(np.float64)).astype(np.float32)


def _table_sum(f: np.ndarray, log_table: np.ndarray) -> float:
    """Sum of the table's ``log sigmoid`` over the signed dot products ``f`` inside
    (-MAX_EXP, MAX_EXP)."""
    f = f[(f > -MAX_EXP) & (f < MAX_EXP)].astype(np.float64)
    return float(log_table[((f + MAX_EXP) * _SLOTS_PER_UNIT).astype(np.int64)].sum(
        dtype=np.float64))


def score_sentence(ids: np.ndarray, vectors: np.ndarray, syn1: np.ndarray, huffman,
                   window: int, sg: bool, cbow_mean: bool, log_table: np.ndarray) -> float:
    """The log-probability of one sentence given as vocabulary ids (module docstring)."""
    n = len(ids)
    total = 0.0
    rows = vectors[ids]                               # float32 [n, d]
    for i in range(n):
        w = ids[i]
        path = huffman.path(w)
        if len(path) == 0:
            continue
        signs = 1.0 - 2.0 * huffman.code(w).astype(np.float32)
        nodes = syn1[path]                            # float32 [L, d]
        lo, hi = max(0, i - window), min(n, i + window + 1)
        context = np.concatenate([rows[lo:i], rows[i + 1:hi]])
        if sg:
            if len(context) == 0:
                continue
            f = (context @ nodes.T) * signs           # [m, L]
        else:
            h = context.sum(axis=0, dtype=np.float32) if len(context) else \
                np.zeros(vectors.shape[1], np.float32)
            if cbow_mean and len(context):
                h *= np.float32(1.0) / np.float32(len(context))
            f = (nodes @ h) * signs
        total += _table_sum(np.asarray(f, dtype=np.float32).ravel(), log_table)
    return total


def score_sentences(state, sentences: Iterable, total_sentences: int = int(1e6),
                    report_delay: float = 1.0) -> np.ndarray:
    """float32 [sentences scored]: the score of each of the first ``total_sentences``
    sentences of ``sentences`` (any iterable of token lists, read once).

    Raises ``RuntimeError`` (gensim's errors) without a vocabulary or without
    hierarchical softmax (``hs=1``)."""
    if state.vocab is None or len(state.vocab) == 0:
        raise RuntimeError("you must first build vocabulary before scoring new data")
    c = state.config
    if not c.hs or state.syn1 is None:
        raise RuntimeError(
            "score() is implemented for the hierarchical softmax scheme only (as in gensim): "
            "train the model with hs=1 for this to work")
    huffman = state.huffman()
    index, vectors, syn1 = state.vocab.index, state.wv.vectors, state.syn1
    log_table = log_sigmoid_table()
    total_sentences = int(total_sentences)
    scores = []
    start = last = time.perf_counter()
    for k, sentence in enumerate(sentences):
        if k >= total_sentences:
            logger.warning("score(): stopped after %d sentences (set a higher "
                           "total_sentences to score more)", total_sentences)
            break
        check_sentence(sentence, k)
        ids = np.fromiter((index[w] for w in sentence if w in index), dtype=np.int64)
        scores.append(score_sentence(ids[:MAX_SCORED_WORDS], vectors, syn1, huffman,
                                     c.window, bool(c.sg), bool(c.cbow_mean), log_table))
        now = time.perf_counter()
        if now - last >= report_delay:
            logger.info("score(): %d sentences, %.0f sentences/s", k + 1,
                        (k + 1) / max(now - start, 1e-9))
            last = now
    return np.array(scores, dtype=np.float32)
