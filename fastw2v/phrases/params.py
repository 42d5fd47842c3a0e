"""Every check on the phrase models' parameters: each raises ``ParameterError``
naming the parameter (``TypeError`` for a corpus of the wrong type, as gensim)."""
from __future__ import annotations

import math
from inspect import getfullargspec

from ..config import is_int, is_real, whole_number
from ..errors import ParameterError
from . import _phrases
from .scoring import SCORER_ARGS, builtin_kind, npmi_scorer, original_scorer


def check_scoring(scoring):
    """``scoring`` as a function: 'default', 'npmi', or a callable taking gensim's six
    arguments by name."""
    if isinstance(scoring, str):
        if scoring == "default":
            return original_scorer
        if scoring == "npmi":
            return npmi_scorer
        raise ParameterError(f"scoring={scoring!r} is invalid: use 'default', 'npmi' or a "
                             f"function of ({', '.join(SCORER_ARGS)})")
    if not callable(scoring):
        raise ParameterError(f"scoring={scoring!r} is invalid: use 'default', 'npmi' or a "
                             f"function of ({', '.join(SCORER_ARGS)})")
    try:
        names = getfullargspec(scoring).args
    except TypeError:
        names = []
    missing = [a for a in SCORER_ARGS if a not in names]
    if missing:
        raise ParameterError(f"scoring function {getattr(scoring, '__name__', scoring)!r} "
                             f"is invalid: it lacks the parameters {missing} (gensim calls it "
                             f"with {', '.join(SCORER_ARGS)} by name)")
    return scoring


def check_min_count(min_count):
    if not is_real(min_count) or not math.isfinite(min_count) or min_count <= 0:
        raise ParameterError(f"min_count={min_count!r} is invalid: must be a number > 0 "
                             "(gensim: at least 1)")


def check_threshold(threshold, scoring, functions=False):
    """``threshold`` must be a number; with ``scoring`` named ``'default'``, above 0, with
    ``'npmi'``, in -1..1. A scoring function passed as such is not checked, whichever it
    is (gensim checks the names only), unless ``functions`` is true: then the default and
    npmi scorer functions (fastw2v's or gensim's, as a loaded model holds them) are
    checked as their names are (the command line, which applies a saved model)."""
    if not is_real(threshold) or math.isnan(threshold):
        raise ParameterError(f"threshold={threshold!r} is invalid: must be a number")
    if functions and not isinstance(scoring, str):
        kind = builtin_kind(scoring)
        scoring = ("default" if kind == _phrases.DEFAULT else
                   "npmi" if kind == _phrases.NPMI else scoring)
    if isinstance(scoring, str) and scoring == "default" and threshold <= 0:
        raise ParameterError(f"threshold={threshold!r} is invalid: must be > 0 for the "
                             "default scoring")
    if isinstance(scoring, str) and scoring == "npmi" and not -1 <= threshold <= 1:
        raise ParameterError(f"threshold={threshold!r} is invalid: must be between -1 and 1 "
                             "for npmi scoring")


#: The largest ``max_vocab_size`` the compiled counting takes (an int64); a larger one
#: is a limit no table reaches, so it counts as this one.
MAX_VOCAB_SIZE_LIMIT = 2 ** 63 - 1


def check_max_vocab_size(max_vocab_size) -> int:
    """``max_vocab_size`` must be an integer >= 1; returns it as the compiled counting
    takes it: a value beyond int64 (``2**63``, ``10**20``, which gensim accepts and never
    reaches) becomes :data:`MAX_VOCAB_SIZE_LIMIT`, so nothing is pruned, as in gensim.
    A float holding a whole number (``1e7``) is that integer."""
    max_vocab_size = whole_number(max_vocab_size)
    if not is_int(max_vocab_size) or max_vocab_size < 1:
        raise ParameterError(f"max_vocab_size={max_vocab_size!r} is invalid: must be an "
                             "integer >= 1")
    return min(int(max_vocab_size), MAX_VOCAB_SIZE_LIMIT)


def check_delimiter(delimiter):
    if isinstance(delimiter, bytes):
        delimiter = delimiter.decode("utf-8")    # gensim 3 models kept bytes
    if not isinstance(delimiter, str) or not delimiter:
        raise ParameterError(f"delimiter={delimiter!r} is invalid: must be a non-empty str")
    if any(c.isspace() for c in delimiter):
        raise ParameterError(f"delimiter={delimiter!r} is invalid: it holds whitespace, so "
                             "a joined phrase would split into its words again in a text "
                             "file")
    return delimiter


def check_connector_words(connector_words) -> frozenset:
    """``connector_words`` as a frozenset of str; UTF-8 ``bytes`` are decoded (gensim 3
    kept its ``common_terms`` so, and gensim 4 loads them unchanged)."""
    if isinstance(connector_words, (str, bytes)) or not hasattr(connector_words, "__iter__"):
        raise ParameterError(f"connector_words={connector_words!r} is invalid: must be a set "
                             "of str (e.g. fastw2v.ENGLISH_CONNECTOR_WORDS)")
    words = []
    for word in connector_words:
        if isinstance(word, (bytes, bytearray)):
            try:
                word = bytes(word).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ParameterError(f"connector_words is invalid: {bytes(word)!r} is not "
                                     f"UTF-8 ({exc.reason})") from None
        words.append(word)
    words = frozenset(words)
    bad = [w for w in words if not isinstance(w, str)]
    if bad:
        raise ParameterError(f"connector_words is invalid: {bad[0]!r} is not a str")
    return words


def check_source(sentences, corpus_file) -> None:
    if sentences is not None and corpus_file is not None:
        raise ParameterError("pass either sentences or corpus_file, not both")
    if sentences is not None:
        if isinstance(sentences, (str, bytes)):
            raise TypeError("sentences is a single string; pass an iterable of token lists "
                            "such as [['new', 'york'], ...], or a path as corpus_file=")
        if not hasattr(sentences, "__iter__"):
            raise TypeError(f"sentences must be an iterable of token lists, not "
                            f"{type(sentences).__name__}")


__all__ = ["MAX_VOCAB_SIZE_LIMIT", "check_connector_words", "check_delimiter",
           "check_max_vocab_size", "check_min_count", "check_scoring", "check_source",
           "check_threshold"]
