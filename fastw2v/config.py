"""Training configuration and every parameter check.

:class:`TrainConfig` is one frozen record of every hyper-parameter, validated once. The
``check_*`` functions validate the arguments that are not hyper-parameters: the
model's settings (``batch_words``, ``trim_rule``, ``progress``, ``callbacks``, ...),
``train()``'s arguments (:func:`check_train_args`), the corpus source and
``train_distributed``'s own arguments. Every other module calls these instead of
repeating a check.

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

from .corpus import MAX_BATCH_WORDS, UNICODE_ERRORS, check_iterable, corpus_paths
from .errors import ParameterError, SourceError

#: gensim's default ``batch_words`` (its name, ``gensim.models.word2vec.MAX_WORDS_IN_BATCH``):
#: the words in one job of a sentence corpus
MAX_WORDS_IN_BATCH = 10000


def is_int(x) -> bool:
    """An integer, not a boolean."""
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def is_real(x) -> bool:
    """A real number, not a boolean."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def whole_number(x):
    """``x`` as an ``int`` where it is a float holding a whole number (``5.0``, NumPy's
    ``np.float64(5)``): gensim passes its integer parameters through ``int()``, so
    tuners and JSON configs hand them over as floats. Anything else is returned as it
    is, for the checks to accept or name (``5.5`` is refused, not cut to 5)."""
    if is_real(x) and not is_int(x) and math.isfinite(x) and float(x).is_integer():
        return int(x)
    return x


#: the integer hyper-parameters (and 0/1 switches) that take whole-number floats
_WHOLE_FIELDS = ("vector_size", "window", "min_count", "max_vocab_size", "max_final_vocab",
                 "seed", "workers", "negative", "epochs", "sg", "hs", "cbow_mean")


def is_flag(x) -> bool:
    """True/False, NumPy booleans, or the integers 0 and 1 (gensim users write ``sg=1``);
    not strings, floats or None, which ``bool()`` would silently turn into a flag."""
    return isinstance(x, (bool, np.bool_)) or (is_int(x) and x in (0, 1))


#: fields that are switches: validated by :func:`is_flag`, stored as ``int`` (the gensim
#: 0/1 parameters) or ``bool``
_INT_FLAGS = ("sg", "hs", "cbow_mean")
_BOOL_FLAGS = ("shrink_windows", "compute_loss", "shared_negatives", "reproducible")

#: upper bounds of the integer hyper-parameters. ``window`` and ``epochs`` are C ints in
#: the kernels (gensim's too), so any value up to 2**31 - 1 trains: a window larger than
#: a sentence covers the whole sentence. ``vector_size`` and ``negative`` size per-thread
#: buffers and rows, and ``workers`` is a thread count: far above any use, low enough
#: that a typo fails here, naming the parameter, instead of as a MemoryError, an
#: OverflowError or a machine starting a billion threads once the corpus has been read.
MAX_C_INT = 2**31 - 1
MAX_VECTOR_SIZE = 2**20
MAX_NEGATIVE = 2**20
MAX_WORKERS = 4096


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
        Opt-in fast mode for skip-gram (not in gensim): train each centre word's window
        as one batch, every score from the weights as they were at the window's start
        ("HogBatch", Ji et al. 2016). Negative sampling draws one set of negatives per
        centre word for the whole window; hierarchical softmax trains the window's
        contexts against the centre's path (the same rows as pair by pair, only the
        updates within a window do not see each other). Fewer memory accesses per word;
        see benchmarks/RESULTS.md for its speed and quality next to the default.
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
        for name in _WHOLE_FIELDS:
            object.__setattr__(self, name, whole_number(getattr(self, name)))
        self.validate()
        # store plain Python numbers: NumPy scalars (np.int64(5), np.float32(0.1),
        # np.True_) pass validation but would not survive the JSON header of a saved model
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _BOOL_FLAGS:
                value = bool(value)
            elif f.name in _INT_FLAGS or is_int(value):
                value = int(value)
            elif is_real(value):
                value = float(value)
            object.__setattr__(self, f.name, value)

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first parameter outside its domain."""
        def need(cond, name, what):
            if not cond:
                raise ParameterError(
                    f"{name}={getattr(self, name)!r} is invalid: {name} must be {what}"
                )

        need(is_int(self.vector_size) and 1 <= self.vector_size <= MAX_VECTOR_SIZE,
             "vector_size", f"an integer from 1 to {MAX_VECTOR_SIZE}")
        need(is_int(self.window) and 1 <= self.window <= MAX_C_INT, "window",
             f"an integer from 1 to {MAX_C_INT}")
        need(is_int(self.min_count) and self.min_count >= 0, "min_count", "an integer >= 0")
        need(self.max_vocab_size is None or (is_int(self.max_vocab_size) and self.max_vocab_size >= 1),
             "max_vocab_size", "None or an integer >= 1")
        need(self.max_final_vocab is None or (is_int(self.max_final_vocab) and self.max_final_vocab >= 1),
             "max_final_vocab", "None or an integer >= 1")
        need(is_real(self.alpha) and math.isfinite(self.alpha) and self.alpha > 0, "alpha",
             "a finite number > 0")
        need(is_real(self.min_alpha) and math.isfinite(self.min_alpha) and self.min_alpha >= 0,
             "min_alpha", "a finite number >= 0")
        need(is_real(self.sample) and math.isfinite(self.sample) and self.sample >= 0, "sample",
             "a finite number >= 0 (0 disables down-sampling)")
        need(is_int(self.seed), "seed", "an integer")
        need(is_int(self.workers) and 1 <= self.workers <= MAX_WORKERS, "workers",
             f"an integer from 1 to {MAX_WORKERS}")
        need(is_flag(self.sg), "sg", "0 (CBOW) or 1 (skip-gram)")
        need(is_flag(self.hs), "hs", "0 or 1")
        need(is_int(self.negative) and 0 <= self.negative <= MAX_NEGATIVE, "negative",
             f"an integer from 0 to {MAX_NEGATIVE}")
        need(is_real(self.ns_exponent) and math.isfinite(self.ns_exponent), "ns_exponent",
             "a finite number")
        need(is_flag(self.cbow_mean), "cbow_mean", "0 or 1")
        need(is_int(self.epochs) and 1 <= self.epochs <= MAX_C_INT, "epochs",
             f"an integer from 1 to {MAX_C_INT}")
        for name in _BOOL_FLAGS:
            need(is_flag(getattr(self, name)), name, "True or False (or 0/1)")
        if self.shared_negatives and self.sg != 1:
            raise ParameterError(
                f"shared_negatives=True (the batched window) needs skip-gram (sg=1); "
                f"got sg={self.sg}")
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


# -- the model's settings (not hyper-parameters) ----------------------------------------


def check_batch_words(batch_words) -> int:
    """``batch_words`` as an ``int``; ``ParameterError`` unless an integer >= 1."""
    batch_words = whole_number(batch_words)
    if not is_int(batch_words) or not 1 <= batch_words <= MAX_BATCH_WORDS:
        raise ParameterError(f"batch_words={batch_words!r} is invalid: must be an integer "
                             f"from 1 to {MAX_BATCH_WORDS}")
    return int(batch_words)


def check_trim_rule(trim_rule) -> None:
    """``ParameterError`` unless ``trim_rule`` is None or a callable."""
    if trim_rule is not None and not callable(trim_rule):
        raise ParameterError(f"trim_rule={trim_rule!r} is invalid: must be None or a callable "
                             "trim_rule(word, count, min_count)")


def check_vocab_flag(name: str, value) -> int:
    """A vocabulary switch (``sorted_vocab``, ``null_word``) as 0 or 1;
    ``ParameterError`` unless a flag (:func:`is_flag`)."""
    if not is_flag(value):
        raise ParameterError(f"{name}={value!r} is invalid: {name} must be 0 or 1")
    return int(value)


def check_unicode_errors(unicode_errors) -> None:
    if unicode_errors not in UNICODE_ERRORS:
        raise ParameterError(f"unicode_errors={unicode_errors!r} is invalid: use 'strict', "
                             "'replace' or 'ignore'")


def check_progress(progress) -> None:
    """``ParameterError`` unless ``progress`` is None, True/False (or 0/1), 'tqdm' or
    'plain' (what :func:`fastw2v.training.progress.make_progress` accepts)."""
    ok = progress is None or (isinstance(progress, str) and progress in ("tqdm", "plain")) \
        or (is_flag(progress) and isinstance(progress, (bool, int)))
    if not ok:
        raise ParameterError(f"progress={progress!r} is invalid: use True, False, None, "
                             "'tqdm' or 'plain'")


def check_callbacks(callbacks) -> tuple:
    """``callbacks`` as a tuple (None: none); ``ParameterError`` unless a sequence."""
    if callbacks is None:
        return ()
    if isinstance(callbacks, (str, bytes)) or not hasattr(callbacks, "__iter__"):
        raise ParameterError(f"callbacks={callbacks!r} is invalid: must be a sequence of "
                             "callback objects (e.g. [MyCallback()])")
    return tuple(callbacks)


def check_progress_per(progress_per) -> None:
    if not is_int(progress_per) or progress_per < 1:
        raise ParameterError(f"progress_per={progress_per!r} is invalid: must be an "
                             "integer >= 1")


def check_source(corpus_iterable, corpus_file):
    """The one corpus given (``SourceError`` unless exactly one): a ``corpus_file`` whose
    paths exist (``CorpusError`` otherwise), or a re-iterable of token lists."""
    if (corpus_iterable is None) == (corpus_file is None):
        raise SourceError("pass exactly one of corpus_iterable (sentences) or corpus_file")
    if corpus_file is not None:
        corpus_paths(corpus_file)
        return corpus_file
    check_iterable(corpus_iterable)
    return corpus_iterable


# -- train() ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainArgs:
    """``train()``'s arguments, checked, with the defaults taken from the config."""

    epochs: int
    start_alpha: float
    end_alpha: float
    total_examples: Optional[int]
    total_words: Optional[int]
    report_delay: float
    progress: object


def check_train_args(config: TrainConfig, epochs=None, start_alpha=None, end_alpha=None,
                     total_examples=None, total_words=None, report_delay=1.0,
                     progress=None) -> TrainArgs:
    """Check ``train()``'s arguments (``ParameterError`` naming the first bad one) and
    fill ``epochs``/``start_alpha``/``end_alpha`` from ``config`` where None.

    As in gensim, ``start_alpha=0`` also means the model's ``alpha`` (a rate of 0 trains
    nothing), and ``report_delay=None`` the default of 1 s; ``report_delay=0`` logs at
    every look at the progress."""
    if start_alpha is not None and is_real(start_alpha) and start_alpha == 0:
        start_alpha = None
    if report_delay is None:
        report_delay = 1.0
    epochs, total_examples, total_words = (whole_number(v) for v in
                                           (epochs, total_examples, total_words))
    # gensim schedules by total_examples if it is truthy, else by total_words
    if total_examples == 0 and total_words is not None:
        total_examples = None
    epochs = config.epochs if epochs is None else epochs
    if not is_int(epochs) or not 1 <= epochs <= MAX_C_INT:
        raise ParameterError(f"epochs={epochs!r} is invalid: must be an integer from 1 "
                             f"to {MAX_C_INT}")
    for name, value, low in (("start_alpha", start_alpha, "> 0"),
                             ("end_alpha", end_alpha, ">= 0")):
        if value is not None and not (is_real(value) and math.isfinite(value)
                                      and (value > 0 if low == "> 0" else value >= 0)):
            raise ParameterError(f"{name}={value!r} is invalid: must be None or a finite "
                                 f"number {low}")
    for name, value in (("total_examples", total_examples), ("total_words", total_words)):
        # 0 would put the whole schedule in the first word: alpha at its end from then
        if value is not None and not (is_int(value) and value >= 1):
            raise ParameterError(f"{name}={value!r} is invalid: must be None or an "
                                 "integer >= 1 (the corpus's size per epoch)")
    if isinstance(report_delay, bool) or not isinstance(report_delay, (int, float)) \
            or not report_delay >= 0:
        raise ParameterError(f"report_delay={report_delay!r} is invalid: must be a "
                             "number of seconds >= 0")
    check_progress(progress)
    return TrainArgs(epochs=int(epochs),
                     start_alpha=config.alpha if start_alpha is None else float(start_alpha),
                     end_alpha=config.min_alpha if end_alpha is None else float(end_alpha),
                     total_examples=None if total_examples is None else int(total_examples),
                     total_words=None if total_words is None else int(total_words),
                     report_delay=float(report_delay), progress=progress)


# -- train_distributed() ------------------------------------------------------------------
#: the gensim parameters ``train_distributed`` passes on to the model
DISTRIBUTED_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size",
                      "sample", "seed", "min_alpha", "sg", "hs", "negative", "ns_exponent",
                      "cbow_mean", "epochs", "max_final_vocab", "shrink_windows",
                      "compute_loss")


def check_distributed_args(params: dict, workers, round_words, merge, retries) -> None:
    """``train_distributed``'s own arguments (the model's are checked by the model)."""
    unknown = sorted(set(params) - set(DISTRIBUTED_PARAMS))
    if unknown:
        raise TypeError(f"train_distributed() got unexpected arguments: {unknown}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"workers={workers!r} is invalid: must be None or an integer >= 1")
    if round_words is not None and (not isinstance(round_words, int)
                                    or isinstance(round_words, bool) or round_words < 1):
        raise ParameterError(f"round_words={round_words!r} is invalid: must be None or an "
                             "integer >= 1")
    if merge not in ("average", "sum"):
        raise ParameterError(f"merge={merge!r} is invalid: use 'average' or 'sum'")
    if not isinstance(retries, int) or retries < 0:
        raise ParameterError(f"retries={retries!r} is invalid: must be an integer >= 0")
