"""Phrase models saved by gensim (``Phrases``, ``FrozenPhrases``, and gensim 3's
``Phraser``), read without gensim and without running anything from the file.

gensim's ``save()`` pickles the model's ``__dict__``. The pickle is read by a
:class:`~fastw2v.io.gensim_pickle.RestrictedUnpickler` that also knows gensim's phrase
classes (inert stand-ins recording their state) and refers to functions by name only:
``scoring`` is a pickled reference to a function (``gensim.models.phrases.original_scorer``,
``npmi_scorer``, or one of the user's own), which is never imported; gensim's two scorers
become fastw2v's, any other needs ``load(..., scoring=function)``.

What gensim 3 wrote is upgraded as gensim 4's ``load`` does: UTF-8 ``bytes`` in the
vocabulary, the delimiter and ``common_terms`` (gensim 4's ``connector_words``) become
``str``, and a ``Phraser``'s ``{(b'new', b'york'): (count, score)}`` becomes
``{'new_york': score}``.
"""
from __future__ import annotations

import math
import os
from typing import Dict, Optional, Tuple

import numpy as np

from ..config import is_int, is_real
from ..errors import FormatError, ParameterError, UnsafePickleError, UnsupportedModelError
from ..io.gensim_pickle import PickledObject, RestrictedUnpickler, brief, restricted_unpickle
from ..lifecycle import plain_events
from ._phrases import KeyTable
from .params import check_connector_words, check_delimiter
from .scoring import npmi_scorer, original_scorer

_MODULE = "gensim.models.phrases"
#: gensim's phrase classes, and the fastw2v class each becomes (``Phraser`` is gensim 3's
#: class and gensim 4's alias of ``FrozenPhrases``)
CLASSES = {"Phrases": "Phrases", "FrozenPhrases": "FrozenPhrases", "Phraser": "FrozenPhrases"}
_SCORERS = {f"{_MODULE}.original_scorer": original_scorer,
            f"{_MODULE}.npmi_scorer": npmi_scorer}
_INT64_MAX = 2 ** 63 - 1
_READS = ("Phrases.load reads fastw2v's phrase models and gensim's Phrases, FrozenPhrases "
          "and Phraser")


class FunctionReference:
    """What a pickled function (a ``GLOBAL`` naming ``module.name``) becomes inside a
    phrase model: its name only. Nothing is imported; calling it (a crafted file asking
    to run ``os.system``, or to build an object with the function) raises
    :class:`~fastw2v.errors.UnsafePickleError`."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise UnsafePickleError(f"the pickle calls {self.name}(), which fastw2v never runs "
                                "from a file; refused before anything ran")

    def __setstate__(self, state):
        raise UnsafePickleError(f"the pickle gives a state to {self.name}; refused")

    def __repr__(self) -> str:
        return f"<pickled reference to {self.name}>"


_STAND_INS: Dict[str, type] = {}


def _stand_in(name: str) -> type:
    qualified = f"{_MODULE}.{name}"
    cls = _STAND_INS.get(qualified)
    if cls is None:
        cls = _STAND_INS[qualified] = type(name, (PickledObject,),
                                           {"__slots__": (), "pickled_name": qualified})
    return cls


class PhrasesUnpickler(RestrictedUnpickler):
    """A :class:`RestrictedUnpickler` for gensim's phrase models: their classes become
    stand-ins, and once the file has named one, any other name it asks for (a custom
    scoring function) becomes an inert :class:`FunctionReference`. Before that (a crafted
    pickle, some other file) names outside NumPy, plain containers and gensim's models
    are refused, as the base class refuses them."""

    def __init__(self, file, path: str = "<pickle>"):
        super().__init__(file, path)
        self.phrase_class: Optional[str] = None

    def find_class(self, module: str, name: str):
        if module == _MODULE:
            qualified = f"{module}.{name}"
            if self.top_class is None:
                self.top_class = qualified
            if name in CLASSES:
                self.phrase_class = self.phrase_class or qualified
                return _stand_in(name)
            if qualified in _SCORERS and self.phrase_class:
                return FunctionReference(qualified)
            where = (" before the model's class" if qualified in _SCORERS else "")
            raise UnsafePickleError(f"{self.path}: the pickle asks for {qualified}{where}, "
                                    "which no saved phrase model does; refused before "
                                    "anything ran")
        try:
            return super().find_class(module, name)
        except UnsafePickleError:
            if self.phrase_class:     # a custom scorer (or a crafted name): inert
                return FunctionReference(f"{module}.{name}")
            if module == "fastw2v" or module.startswith("fastw2v."):
                raise UnsafePickleError(
                    f"{self.path}: a pickle of {module}.{name} (pickle.dump of a fastw2v "
                    "object), not a saved model: save() writes what load() reads; "
                    "pickle.load reads a pickle you trust") from None
            raise UnsafePickleError(
                f"{self.path}: the pickle asks for {module}.{name}, which no saved phrase "
                "model starts with; fastw2v builds nothing outside plain containers and "
                "gensim's models, and refused it before anything ran") from None
        except UnsupportedModelError as exc:
            what = str(exc).partition("; fastw2v reads")[0]
            if what.startswith(self.path + ": "):
                what = what[len(self.path) + 2:]
            raise UnsupportedModelError(f"{self.path}: {what}, not a phrase model. "
                                        f"{_READS}.") from None


def _fail(path: str, what: str) -> FormatError:
    return FormatError(f"{path}: corrupt gensim phrase model ({what})")


def _text(value, path: str, what: str) -> str:
    """``value`` as str: gensim 3 kept UTF-8 bytes."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail(path, f"{what} {bytes(value)[:60]!r} is not UTF-8: {exc.reason}"
                        ) from None
    if not isinstance(value, str):
        raise _fail(path, f"{what} {brief(value)} is not text but {type(value).__name__}")
    return value


def _number(fields: dict, name: str, path: str, default, check, description: str):
    value = fields.get(name, default)
    if isinstance(value, np.generic):
        value = value.item()     # a NumPy scalar
    try:
        ok = check(value)
    except OverflowError:        # an int beyond any float (math.isfinite(10**400))
        ok = False
    if not ok:
        raise _fail(path, f"{name}={brief(value)} is not {description}")
    return value


def _scoring(value, path: str, scoring, frozen: bool):
    """The scoring function the file names, as fastw2v's (``scoring``: the caller's,
    which replaces it)."""
    if scoring is not None:
        return scoring
    if value is None or (isinstance(value, str) and value == "default"):
        return original_scorer   # gensim before pluggable scoring: the original score
    if isinstance(value, str) and value == "npmi":
        return npmi_scorer
    if isinstance(value, FunctionReference):
        if value.name in _SCORERS:
            return _SCORERS[value.name]
        other = ("a FrozenPhrases keeps its scorer without calling it, so scoring='default' "
                 "will do too" if frozen else "or scoring='default' / 'npmi' to score "
                 "another way")
        raise UnsupportedModelError(
            f"{path}: the model scores with {value.name}, a function of your own, and "
            "fastw2v imports no function a file names. Pass it: "
            f"load({os.path.basename(path)!r}, scoring={value.name.rpartition('.')[2]}) "
            f"({other}), or load the model with gensim and convert it with "
            "fastw2v.FrozenPhrases(model)")
    raise _fail(path, f"scoring is {brief(value)}")


def _connector_words(fields: dict, path: str) -> frozenset:
    # gensim 3 called them common_terms (UTF-8 bytes, which the check decodes); older
    # models have neither
    words = fields.get("connector_words", fields.get("common_terms", frozenset()))
    if not isinstance(words, (set, frozenset, list, tuple)):
        raise _fail(path, f"connector_words is a {type(words).__name__}")
    try:
        return check_connector_words(words)
    except ParameterError as exc:
        raise _fail(path, str(exc)) from None


#: how long a phrase of gensim 3's tuple keys may be once joined
MAX_PHRASE_LENGTH = 1 << 20


def _key(key, delimiter: str, path: str) -> str:
    """A phrasegram's key: ``'new_york'``, or gensim 3's ``(b'new', b'york')``."""
    if isinstance(key, tuple):
        if len(key) < 2:
            raise _fail(path, f"phrase {brief(key)} has fewer than two words")
        # one shared 100 KB word a thousand times over would join into 100 MB per key
        size = len(delimiter) * (len(key) - 1) + sum(
            len(part) if isinstance(part, (str, bytes)) else 0 for part in key)
        if size > MAX_PHRASE_LENGTH:
            raise _fail(path, f"a phrase of {len(key):,} words joins into {size:,} "
                        f"characters (more than {MAX_PHRASE_LENGTH:,}: a crafted file?)")
        return delimiter.join(_text(part, path, "phrase word") for part in key)
    return _text(key, path, "phrase")


def _score(value, key: str, path: str) -> float:
    """A phrasegram's score: a number, or gensim 3's ``(count, score)``."""
    if isinstance(value, tuple) and len(value) == 2:
        value = value[1]
    if hasattr(value, "item") and not isinstance(value, (list, dict, tuple)):
        value = value.item()
    try:
        if is_real(value):
            return float(value)
    except OverflowError:        # an int beyond any float
        pass
    raise _fail(path, f"the score of {brief(key)} is {brief(value)}")


def phrasegram_table(grams, delimiter: str, path: str = "<model>") -> KeyTable:
    """The compiled score table of ``grams`` (``{phrase: score}`` as gensim 4 keeps it,
    or gensim 3's ``{(word, word): (count, score)}`` with bytes or str words)."""
    if not isinstance(grams, dict):
        raise _fail(path, f"phrasegrams is a {type(grams).__name__}")
    table = KeyTable(True, len(grams))
    for key, value in grams.items():
        phrase = _key(key, delimiter, path)
        table.set(phrase, _score(value, phrase, path))
    if len(table) != len(grams):
        raise _fail(path, "phrases repeat once their bytes are decoded")
    return table


def _vocab_table(vocab, path: str) -> KeyTable:
    if not isinstance(vocab, dict):
        raise _fail(path, f"vocab is a {type(vocab).__name__}")
    table = KeyTable(False, len(vocab))
    for key, count in vocab.items():
        word = _text(key, path, "vocabulary key")
        if hasattr(count, "item"):
            count = count.item()
        if not is_int(count) or not 0 <= count <= _INT64_MAX:
            raise _fail(path, f"the count of {brief(word)} is {brief(count)}")
        table.set(word, count)
    if len(table) != len(vocab):
        raise _fail(path, "vocabulary keys repeat once their bytes are decoded")
    return table


def _positive_int(value) -> bool:
    return is_int(value) and value >= 1


def read_gensim_phrases(path, scoring=None) -> Tuple[str, dict, KeyTable, object]:
    """Read a phrase model written by gensim's ``save()`` (gensim 4, or gensim 3's
    layout): ``(class name, settings, table, scoring)``, where the class name is
    ``"Phrases"`` or ``"FrozenPhrases"``, the settings are those fastw2v's native file
    keeps (``delimiter``, ``connector_words``, ``min_count``, ``threshold``, and for a
    ``Phrases`` ``max_vocab_size``, ``progress_per``, ``min_reduce``,
    ``corpus_word_count``) and the table holds the counts or the phrases' scores.

    ``scoring`` (a function, or None) replaces the scoring function the file names; it
    is required when that is not gensim's ``original_scorer`` or ``npmi_scorer``.

    Raises
    ------
    UnsafePickleError
        The pickle asks to build or call something other than plain containers and
        gensim's models; nothing from it has run.
    UnsupportedModelError
        Another gensim model (Word2Vec...), or a custom scoring function and no
        ``scoring``.
    TruncatedPickleError, CorruptPickleError, FormatError
        The pickle ends early, is damaged, or holds values a phrase model cannot have.
    """
    path = os.fspath(path)
    top, _ = restricted_unpickle(path, PhrasesUnpickler)
    if not isinstance(top, PickledObject):
        raise FormatError(f"{path}: a pickle of a {type(top).__name__}, not a gensim phrase "
                          f"model. {_READS}.")
    module, _, name = top.pickled_name.rpartition(".")
    if module != _MODULE or name not in CLASSES:
        hint = ""
        if top.pickled_name in ("gensim.models.word2vec.Word2Vec",
                                "gensim.models.keyedvectors.KeyedVectors"):
            hint = f" (load it with fastw2v.{name}.load)"
        raise UnsupportedModelError(f"{path}: a pickled {top.pickled_name}, not a phrase "
                                    f"model{hint}. {_READS}.")
    kind = CLASSES[name]
    fields = top.fields
    if "delimiter" not in fields:
        raise _fail(path, "no delimiter")
    try:
        delimiter = check_delimiter(_text(fields["delimiter"], path, "delimiter"))
    except ParameterError as exc:
        raise _fail(path, str(exc)) from None
    settings = {
        "delimiter": delimiter,
        "connector_words": _connector_words(fields, path),
        "min_count": _number(fields, "min_count", path, None,
                             lambda v: is_real(v) and math.isfinite(v) and v > 0,
                             "a number > 0"),
        "threshold": _number(fields, "threshold", path, None,
                             lambda v: is_real(v) and not math.isnan(v), "a number"),
    }
    try:
        # gensim's record of the model's life, as plain JSON (bounded: see plain_events)
        settings["lifecycle_events"] = plain_events(fields.get("lifecycle_events"))
    except ValueError as exc:
        raise _fail(path, str(exc)) from None
    scorer = _scoring(fields.get("scoring"), path, scoring, kind == "FrozenPhrases")
    if kind == "FrozenPhrases":
        table = phrasegram_table(fields.get("phrasegrams"), delimiter, path)
    else:
        settings.update(
            max_vocab_size=_number(fields, "max_vocab_size", path, 40000000, _positive_int,
                                   "an integer >= 1"),
            progress_per=_number(fields, "progress_per", path, 10000, _positive_int,
                                 "an integer >= 1"),
            min_reduce=_number(fields, "min_reduce", path, 1, _positive_int,
                               "an integer >= 1"),
            corpus_word_count=_number(fields, "corpus_word_count", path, 0,
                                      lambda v: is_int(v) and v >= 0, "an integer >= 0"))
        table = _vocab_table(fields.get("vocab"), path)
    return kind, settings, table, scorer


__all__ = ["CLASSES", "FunctionReference", "PhrasesUnpickler", "phrasegram_table",
           "read_gensim_phrases"]
