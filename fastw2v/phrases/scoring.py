"""The phrase scorers (gensim's ``original_scorer`` and ``npmi_scorer``), the English
connector words, and how a scorer is named in a saved model.

Each built-in scorer has a compiled twin (``_phrases.h``) that gives the same doubles;
:func:`builtin_kind` tells the models which twin a scoring function stands for, so that
only custom functions are called from the compiled loop.
"""
from __future__ import annotations

import importlib
import math
from typing import Optional

from ..errors import FormatError, ParameterError
from . import _phrases

NEGATIVE_INFINITY = float("-inf")

#: English articles, prepositions and conjunctions that may sit inside a phrase
#: (``bank_of_america``) but never start or end one: gensim's set.
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split()
)

#: The arguments a scoring function takes, by name (gensim's).
SCORER_ARGS = ("worda_count", "wordb_count", "bigram_count", "len_vocab", "min_count",
               "corpus_word_count")


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                    corpus_word_count):
    """Mikolov et al.'s score, as gensim computes it:
    ``(bigram_count - min_count) / (worda_count * wordb_count) * len_vocab``, where
    ``len_vocab`` is the number of entries (unigrams and candidates) counted.
    ``corpus_word_count`` is not used. ``-inf`` when a count is zero."""
    denominator = worda_count * wordb_count
    if denominator == 0:
        return NEGATIVE_INFINITY
    return (bigram_count - min_count) / float(denominator) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                corpus_word_count):
    """Normalized pointwise mutual information (Bouma 2009), in [-1, 1]:
    ``ln(p(ab) / (p(a) p(b))) / -ln(p(ab))`` with ``p(x) = count(x) / corpus_word_count``;
    ``-inf`` for a candidate counted fewer than ``min_count`` times. ``len_vocab`` is not
    used."""
    if bigram_count < min_count:
        return NEGATIVE_INFINITY
    total = float(corpus_word_count)
    pa, pb, pab = worda_count / total, wordb_count / total, bigram_count / total
    try:
        return math.log(pab / (pa * pb)) / -math.log(pab)
    except ValueError:
        return NEGATIVE_INFINITY


def builtin_kind(scoring) -> Optional[int]:
    """The compiled scorer equal to ``scoring`` (ours or gensim's function), or None."""
    if scoring is original_scorer:
        return _phrases.DEFAULT
    if scoring is npmi_scorer:
        return _phrases.NPMI
    if getattr(scoring, "__module__", None) == "gensim.models.phrases":
        name = getattr(scoring, "__name__", None)
        if name == "original_scorer":
            return _phrases.DEFAULT
        if name == "npmi_scorer":
            return _phrases.NPMI
    return None


def scoring_name(scoring) -> str:
    kind = builtin_kind(scoring)
    if kind == _phrases.DEFAULT:
        return "default"
    if kind == _phrases.NPMI:
        return "npmi"
    module, qualname = getattr(scoring, "__module__", None), getattr(scoring, "__qualname__", "")
    if not module or "<" in qualname:
        raise ParameterError(f"the scoring function {scoring!r} cannot be saved: save needs "
                             "a function defined at the top level of an importable module")
    return f"{module}:{qualname}"


def scoring_from_name(name: str, fname):
    if name == "default":
        return original_scorer
    if name == "npmi":
        return npmi_scorer
    module, _, qualname = str(name).partition(":")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise FormatError(f"{fname}: its scoring function {name!r} cannot be imported "
                          f"({exc})") from None
    from .params import check_scoring    # params imports this module
    return check_scoring(obj)


__all__ = ["ENGLISH_CONNECTOR_WORDS", "NEGATIVE_INFINITY", "SCORER_ARGS", "builtin_kind",
           "npmi_scorer", "original_scorer", "scoring_from_name", "scoring_name"]
