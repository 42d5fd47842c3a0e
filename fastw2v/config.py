"""Training configuration: one frozen record of every hyper-parameter, validated once.

Parameter names and defaults are gensim 4's, so that ``from fastw2v import Word2Vec``
is the only change a gensim user makes. Validation happens here, before any corpus is
read, so a nonsense value fails in microseconds with a message naming the parameter.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from typing import Optional

import numpy as np

from .errors import ParameterError


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _is_flag(x) -> bool:
    """True/False, NumPy booleans, or the integers 0 and 1 (gensim users write ``sg=1``);
    not strings, floats or None, which ``bool()`` would silently turn into a flag."""
    return isinstance(x, (bool, np.bool_)) or (_is_int(x) and x in (0, 1))


#: fields that are switches: validated by :func:`_is_flag`, stored as ``int`` (the gensim
#: 0/1 parameters) or ``bool``
_INT_FLAGS = ("sg", "hs", "cbow_mean")
_BOOL_FLAGS = ("shrink_windows", "compute_loss", "shared_negatives", "reproducible")


@dataclass(frozen=True)
class TrainConfig:
    """Every hyper-parameter of a training run (gensim 4 names and defaults).

    Attributes
    ----------
    vector_size : int
        Dimensionality of the word vectors.
    alpha, min_alpha : float
        The learning rate decays linearly from ``alpha`` to ``min_alpha`` over all words
        of all epochs.
    window : int
        Maximum distance between the centre word and a context word.
    min_count : int
        Words with a lower total count are dropped.
    max_vocab_size : int or None
        Limit on the number of distinct words while counting; rarer words are pruned as
        the C tool does (repeatedly dropping words whose count is <= 1, 2, ...).
    max_final_vocab : int or None
        Keep exactly the ``max_final_vocab`` most frequent words (after ``min_count``).
    sample : float
        Threshold for down-sampling frequent words (0 disables it).
    seed : int
        Seed for vector initialisation and for every worker's random stream.
    workers : int
        Number of training threads.
    sg : {0, 1}
        1 for skip-gram, 0 for CBOW.
    hs : {0, 1}
        1 for hierarchical softmax.
    negative : int
        Number of negative samples (0 disables negative sampling).
    ns_exponent : float
        Exponent of the noise distribution (count ** ns_exponent).
    cbow_mean : {0, 1}
        1 to average context vectors in CBOW, 0 to sum them.
    epochs : int
        Passes over the corpus.
    shrink_windows : bool
        Draw the effective window uniformly from 1..window for each centre word.
    compute_loss : bool
        Accumulate the training objective (costs a ``log`` per update).
    shared_negatives : bool
        Opt-in fast mode for skip-gram with negative sampling (not in gensim): draw one
        set of negatives per centre word and score the whole window against it with the
        weights as they were at the window's start ("HogBatch", Ji et al. 2016). Fewer
        random memory accesses per word; see benchmarks/RESULTS.md for its speed and
        quality next to the default.
    reproducible : bool
        With ``workers > 1``, make training bit-identical across runs and processes for
        the same seed, corpus and worker count (not in gensim): threads train in rounds
        on private copies of the rows they touch, merged in a fixed order
        (:mod:`fastw2v.training.rounds`). Costs some speed; see benchmarks/RESULTS.md.
    """

    vector_size: int = 100
    alpha: float = 0.025
    window: int = 5
    min_count: int = 5
    max_vocab_size: Optional[int] = None
    sample: float = 1e-3
    seed: int = 1
    workers: int = 3
    min_alpha: float = 0.0001
    sg: int = 0
    hs: int = 0
    negative: int = 5
    ns_exponent: float = 0.75
    cbow_mean: int = 1
    epochs: int = 5
    max_final_vocab: Optional[int] = None
    shrink_windows: bool = True
    compute_loss: bool = False
    shared_negatives: bool = False
    reproducible: bool = False

    def __post_init__(self):
        self.validate()
        # store plain Python numbers: NumPy scalars (np.int64(5), np.float32(0.1),
        # np.True_) pass validation but would not survive the JSON header of a saved model
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _BOOL_FLAGS:
                value = bool(value)
            elif f.name in _INT_FLAGS or _is_int(value):
                value = int(value)
            elif _is_real(value):
                value = float(value)
            object.__setattr__(self, f.name, value)

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first parameter outside its domain."""
        def need(cond, name, what):
            if not cond:
                raise ParameterError(
                    f"{name}={getattr(self, name)!r} is invalid: {name} must be {what}"
                )

        need(_is_int(self.vector_size) and self.vector_size >= 1, "vector_size", "an integer >= 1")
        need(_is_int(self.window) and self.window >= 1, "window", "an integer >= 1")
        need(_is_int(self.min_count) and self.min_count >= 0, "min_count", "an integer >= 0")
        need(self.max_vocab_size is None or (_is_int(self.max_vocab_size) and self.max_vocab_size >= 1),
             "max_vocab_size", "None or an integer >= 1")
        need(self.max_final_vocab is None or (_is_int(self.max_final_vocab) and self.max_final_vocab >= 1),
             "max_final_vocab", "None or an integer >= 1")
        need(_is_real(self.alpha) and math.isfinite(self.alpha) and self.alpha > 0, "alpha",
             "a finite number > 0")
        need(_is_real(self.min_alpha) and math.isfinite(self.min_alpha) and self.min_alpha >= 0,
             "min_alpha", "a finite number >= 0")
        need(_is_real(self.sample) and math.isfinite(self.sample) and self.sample >= 0, "sample",
             "a finite number >= 0 (0 disables down-sampling)")
        need(_is_int(self.seed), "seed", "an integer")
        need(_is_int(self.workers) and self.workers >= 1, "workers", "an integer >= 1")
        need(_is_flag(self.sg), "sg", "0 (CBOW) or 1 (skip-gram)")
        need(_is_flag(self.hs), "hs", "0 or 1")
        need(_is_int(self.negative) and self.negative >= 0, "negative", "an integer >= 0")
        need(_is_real(self.ns_exponent) and math.isfinite(self.ns_exponent), "ns_exponent",
             "a finite number")
        need(_is_flag(self.cbow_mean), "cbow_mean", "0 or 1")
        need(_is_int(self.epochs) and self.epochs >= 1, "epochs", "an integer >= 1")
        for name in _BOOL_FLAGS:
            need(_is_flag(getattr(self, name)), name, "True or False (or 0/1)")
        if self.shared_negatives and not (self.sg == 1 and self.negative > 0):
            raise ParameterError(
                f"shared_negatives=True needs skip-gram with negative sampling (sg=1, "
                f"negative > 0); got sg={self.sg}, negative={self.negative}")
        if not self.hs and self.negative == 0:
            raise ParameterError(
                "no training objective: set hs=1 (hierarchical softmax) and/or negative > 0 "
                "(negative sampling); got hs=0, negative=0"
            )

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls):
        return [f.name for f in fields(cls)]
