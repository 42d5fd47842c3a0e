"""gensim 4's phrase models (:class:`Phrases`, :class:`FrozenPhrases`) on compiled counting
and applying.

The names, defaults and answers are gensim's (``gensim.models.phrases``): the same
vocabulary of unigram and candidate counts, the same scores, the same greedy joining
from left to right, the same ``max_vocab_size`` pruning. What differs is where the work
happens: tokens are counted and joined in C on their UTF-8 bytes
(:mod:`fastw2v.phrases._phrases`), and a corpus file is read, learnt from and
transformed in blocks of bytes without a Python object per token.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Iterator, List

from ..config import check_progress_per, check_unicode_errors, whole_number
from ..corpus import iter_file_sentences
from ..errors import FormatError, ParameterError
from ..io import load_native, save_native
from ..io.gensim_pickle import is_gensim_pickle
from ..io.native import MAGIC as NATIVE_MAGIC
from ..lifecycle import LifecycleEvents, loaded_events, saved_events
from . import _phrases
from ._phrases import Applier, KeyTable
from .gensim_format import phrasegram_table, read_gensim_phrases
from .params import (check_connector_words, check_delimiter, check_max_vocab_size,
                     check_min_count, check_scoring, check_source, check_threshold)
from .passes import connector_table, learn_counts, write_transformed
from .scoring import NEGATIVE_INFINITY, builtin_kind, scoring_from_name, scoring_name

logger = logging.getLogger(__name__)

_FORMAT = "fastw2v.phrases"
_MMAP_MODES = (None, "r", "r+", "c")


def _is_single(obj):
    """``(True, tokens)`` if ``obj`` is one sentence (its first item is a str, or it is
    empty), ``(False, sentences)`` if it is a corpus; gensim's rule, and like gensim the
    first item of an iterator is put back in front."""
    iterator = iter(obj)
    try:
        first = next(iterator)
    except StopIteration:
        return True, obj
    rest = itertools.chain([first], iterator)
    if isinstance(first, str):
        return True, rest
    return False, (rest if iterator is obj else obj)


def _starts_as_native(fname) -> bool:
    """Whether ``fname`` starts as a fastw2v native file does (its magic, or the start of
    it in a file cut short, an empty one included): a file that fails to load is then a
    damaged fastw2v file, not some other format such as a gensim pickle."""
    try:
        with open(fname, "rb") as fh:
            head = fh.read(len(NATIVE_MAGIC))
    except OSError:
        return False
    return NATIVE_MAGIC.startswith(head)


#: Guards every model's count of table users (held for a few instructions only)
_USERS_LOCK = threading.Lock()

# -- the models ------------------------------------------------------------------------

class _PhrasesTransformation(LifecycleEvents):
    """What both models share: applying (``model[sentence]``, ``model[corpus]``,
    :meth:`transform_file`), :meth:`find_phrases`, saving and loading."""

    delimiter: str
    connector_words: frozenset
    threshold: float
    min_count: float

    def _applier(self) -> Applier:
        raise NotImplementedError

    def _thread_cache(self) -> threading.local:
        """Where this thread keeps its applier, as ``entry = (key, applier)``: an applier
        holds one sentence's or one file's work in progress, so threads never share one.
        (A ``threading.local`` in ``_cache``, dropped when the model is pickled.)"""
        local = self._cache
        if local is None:
            local = self._cache = threading.local()
        return local

    def score_candidate(self, word_a, word_b, in_between):
        """``(phrase, score)`` if ``word_a``, the connector words ``in_between`` and
        ``word_b`` form a phrase, else ``(None, None)``."""
        raise NotImplementedError

    def analyze_sentence(self, sentence) -> Iterator:
        """Yield ``(phrase, score)`` for each phrase of ``sentence`` and ``(word, None)``
        for each token left as it is, in order."""
        return iter(self._applier().analyze_sentence(sentence))

    def __getitem__(self, sentence):
        """``sentence`` (a list of str) with its phrases joined by the delimiter, greedily
        from left to right; or, given a corpus (an iterable of sentences), an iterable
        that transforms its sentences one by one as they are read."""
        single, sentence = _is_single(sentence)
        if not single:
            return _TransformedCorpus(self, sentence)
        return self._applier().apply_sentence(sentence)

    def find_phrases(self, sentences=None, corpus_file=None, unicode_errors="strict") -> dict:
        """Every phrase formed in ``sentences`` (or the corpus file), with its score."""
        check_source(sentences, corpus_file)
        check_unicode_errors(unicode_errors)
        if corpus_file is not None:
            sentences = iter_file_sentences(corpus_file, unicode_errors)
        applier = self._applier()
        found: dict = {}
        for sentence in sentences if sentences is not None else ():
            applier.add_phrases(sentence, found)
        return found

    def transform_file(self, corpus_file, output, unicode_errors="strict") -> dict:
        """Write ``corpus_file`` (a file or directory, plain or compressed) to ``output``
        with its phrases joined, at C speed: one line per input line, tokens separated by
        one space (a directory's files are written one after another). ``output`` is
        compressed by its suffix (``.gz``, ``.bz2``, ``.xz``) and written atomically.

        Then train on it: ``Word2Vec(corpus_file=output)``.

        Returns
        -------
        dict
            ``phrases`` joined, ``bytes_in``, ``bytes_out``, ``seconds``.
        """
        check_unicode_errors(unicode_errors)
        with self._using_table("transform_file()", changes=False):
            return write_transformed(corpus_file, output, self._applier(), unicode_errors,
                                     type(self).__name__)

    @contextlib.contextmanager
    def _using_table(self, what: str, changes: bool):
        """Around work on the counts table: :meth:`transform_file` reads it without the
        GIL, so changing it then (``add_vocab``) would pull it from under the reader.
        Readers may overlap; a change while any reader runs, or reading while a change
        runs, raises ``RuntimeError`` (as training one Word2Vec from two threads does)."""
        with _USERS_LOCK:
            readers, writing = self.__dict__.get("_readers", 0), self.__dict__.get("_writing")
            if writing or (changes and readers):
                raise RuntimeError(f"{what} cannot run while another thread "
                                   f"{'changes' if writing else 'reads'} this model's table "
                                   f"({writing or 'transform_file()'}); wait for it to end")
            if changes:
                self._writing = what
            else:
                self._readers = readers + 1
        try:
            yield
        finally:
            with _USERS_LOCK:
                if changes:
                    self._writing = None
                else:
                    self._readers -= 1

    def __getstate__(self) -> dict:
        # the compiled applier is a cache, rebuilt on first use; who uses the table is
        # this process's business
        state = dict(self.__dict__)
        state["_cache"] = None
        state.pop("_readers", None)
        state.pop("_writing", None)
        return state

    # -- files -------------------------------------------------------------------------
    def _meta(self) -> dict:
        meta = {"format": _FORMAT, "version": 1, "class": type(self).__name__,
                "threshold": self.threshold, "min_count": self.min_count,
                "delimiter": self.delimiter, "scoring": scoring_name(self.scoring),
                "connector_words": sorted(self.connector_words)}
        events = saved_events(getattr(self, "lifecycle_events", None))
        if events is not None:
            meta["lifecycle_events"] = events
        return meta

    def _restore(self, meta: dict, table: KeyTable, scoring) -> None:
        """Set what :meth:`_meta` saved for both models; each model adds its own."""
        self.delimiter = check_delimiter(meta["delimiter"])
        self.connector_words = check_connector_words(meta["connector_words"])
        self.scoring = scoring
        self.min_count = meta["min_count"]
        self.threshold = meta["threshold"]
        self.lifecycle_events = loaded_events(meta.get("lifecycle_events"))

    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024 ** 2,
             ignore=frozenset(), pickle_protocol=4) -> None:
        """Save the model to ``fname_or_handle`` in fastw2v's native format (one header
        and the tables as raw arrays; no pickle), atomically; it may also be a binary
        file object open for writing (as gensim allows), which gets the same bytes
        (written in place, so not atomically, and left open). A custom scoring function
        is saved by its importable name (``module:qualname``).

        ``separately``, ``sep_limit``, ``ignore`` and ``pickle_protocol`` are gensim's
        and have no effect: they choose which NumPy arrays gensim writes beside its
        pickle, which attributes it leaves out, and the pickle's protocol, where a phrase
        model's file holds its settings and one table, and nothing is pickled."""
        self.add_lifecycle_event("saving", log_level=logging.DEBUG,
                                 fname_or_handle=str(fname_or_handle),
                                 separately=str(separately), sep_limit=sep_limit,
                                 ignore=sorted(ignore, key=str))
        blob, offsets, values = self._table_for_save().to_arrays()
        arrays = {"key_blob": blob, "key_offsets": offsets, "values": values}
        save_native(fname_or_handle, self._meta(), arrays)

    @classmethod
    def load(cls, fname, mmap=None, scoring=None):
        """Load a model saved by :meth:`save`, or by gensim's ``save()`` (gensim 4's
        ``Phrases`` and ``FrozenPhrases``, gensim 3's ``Phrases`` and ``Phraser``; read
        without gensim and without running code from the file): a :class:`Phrases` or
        a :class:`FrozenPhrases`, whichever was saved, as gensim's ``load`` (``Phrases``,
        ``FrozenPhrases`` and ``Phraser`` all load either).

        Parameters
        ----------
        fname : str or os.PathLike
        mmap : {None, 'r', 'r+', 'c'}
            gensim's; no effect (the table is read into memory).
        scoring : {'default', 'npmi'} or callable, optional
            The scoring function of the loaded model, in place of the one the file
            names, which is then not imported. Needed for a gensim model that scores
            with a function of its own (fastw2v imports no function a gensim file
            names).
        """
        if mmap not in _MMAP_MODES:
            raise ParameterError(f"mmap={mmap!r} is invalid: use one of {_MMAP_MODES}")
        if scoring is not None:
            scoring = check_scoring(scoring)
        if not _starts_as_native(fname) and is_gensim_pickle(fname):
            kind, meta, table, scorer = read_gensim_phrases(fname, scoring)
            model = _CLASSES[kind].__new__(_CLASSES[kind])
            model._restore(meta, table, scorer)
            model.add_lifecycle_event("loaded", log_level=logging.DEBUG, fname=str(fname))
            return model
        try:
            meta, arrays = load_native(fname)
        except FormatError as exc:
            if _starts_as_native(fname):
                raise     # a fastw2v file, truncated or damaged: the hint would mislead
            raise FormatError(f"{exc} (neither a fastw2v phrase model nor a model saved "
                              "by gensim)") from None
        if meta.get("format") != _FORMAT or meta.get("class") not in _CLASSES:
            raise FormatError(f"{fname}: not a fastw2v phrase model")
        try:
            frozen = meta["class"] == "FrozenPhrases"
            table = KeyTable.from_arrays(arrays["key_blob"], arrays["key_offsets"],
                                         arrays["values"], frozen)
            if scoring is None:
                scoring = scoring_from_name(meta["scoring"], fname)
            model = _CLASSES[meta["class"]].__new__(_CLASSES[meta["class"]])
            model._restore(meta, table, scoring)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"{fname}: corrupt phrase model ({exc})") from None
        model.add_lifecycle_event("loaded", log_level=logging.DEBUG, fname=str(fname))
        return model


class _TransformedCorpus:
    """``model[corpus]``: the corpus's sentences with phrases joined, transformed as they
    are read (iterable again if the corpus is)."""

    def __init__(self, model, corpus):
        self.model = model
        self.corpus = corpus

    def __iter__(self) -> Iterator[List[str]]:
        # the model's applier is asked for each sentence, so a change of threshold or
        # vocabulary between sentences applies from the next one, as in gensim
        for sentence in self.corpus:
            yield self.model._applier().apply_sentence(sentence)

    def __getitem__(self, index):
        """Sentence ``index`` (or a slice) of an indexable corpus, transformed (gensim's
        ``TransformedCorpus`` allows it too)."""
        picked = self.corpus[index]
        if isinstance(index, slice):
            return _TransformedCorpus(self.model, picked)
        return self.model._applier().apply_sentence(picked)

    def __len__(self) -> int:
        return len(self.corpus)


class PhraseVocab(Mapping):
    """:attr:`Phrases.vocab`: a read-only mapping view (str -> count) over the compiled
    table of unigrams and candidate phrases, in the order they were first counted; no
    Python object is held per entry. ``dict(model.vocab)`` copies it."""

    def __init__(self, table: KeyTable):
        self._table = table

    def __getitem__(self, key) -> int:
        value = self._table.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        return self._table.get(key, default)

    def __contains__(self, key) -> bool:
        return key in self._table

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Iterator[str]:
        return self._table.keys()

    def items(self):
        return self._table.items()

    def __repr__(self) -> str:
        return f"<PhraseVocab of {len(self)} entries>"


class Phrases(_PhrasesTransformation):
    """Detect phrases from collocation counts (gensim's ``Phrases``).

    Parameters
    ----------
    sentences : iterable of list of str, optional
        Sentences to learn from (a list, a generator, ``LineSentence``...).
    min_count : float
        Candidates counted fewer times are never phrases (the default scorer subtracts
        it from the count). Must be > 0.
    threshold : float
        A candidate is a phrase when its score is above this (the default scorer: > 0;
        npmi: in [-1, 1]).
    max_vocab_size : int
        When more entries (unigrams and candidates together) than this are counted,
        after a sentence, entries counted fewer than ``min_reduce`` times are dropped and
        ``min_reduce`` grows by one (gensim's pruning). A value beyond int64 is a limit
        never reached (counted as ``2**63 - 1``).
    delimiter : str
        Joins the words of a phrase; non-empty, no whitespace.
    progress_per : int
        Log progress every this many sentences.
    scoring : {'default', 'npmi'} or callable
        ``'default'``: :func:`original_scorer`; ``'npmi'``: :func:`npmi_scorer`; or a
        function of ``(worda_count, wordb_count, bigram_count, len_vocab, min_count,
        corpus_word_count)`` (called from the compiled loop, so slower).
    connector_words : set of str
        Words that may sit inside a phrase but never start or end one
        (:data:`ENGLISH_CONNECTOR_WORDS` for English: ``bank_of_america``).
    corpus_file : str or path, optional
        Learn from this corpus file or directory (plain, ``.gz``, ``.bz2``, ``.xz``; one
        sentence per line) in compiled code instead of ``sentences``.
    unicode_errors : {'strict', 'replace', 'ignore'}
        How ``corpus_file`` bytes that are not UTF-8 are handled.

    Attributes
    ----------
    vocab : PhraseVocab
        Counts of unigrams and candidate phrases (joined by the delimiter).
    corpus_word_count : int
        Tokens learnt from, connector words included.
    min_reduce : int
        The count below which the next pruning drops entries.
    """

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000,
                 delimiter="_", progress_per=10000, scoring="default",
                 connector_words=frozenset(), corpus_file=None, unicode_errors="strict"):
        check_threshold(threshold, scoring)      # before the name becomes a function
        scoring = check_scoring(scoring)
        check_min_count(min_count)
        check_max_vocab_size(max_vocab_size)
        check_progress_per(progress_per)
        check_unicode_errors(unicode_errors)
        check_source(sentences, corpus_file)
        self.delimiter = check_delimiter(delimiter)
        self.connector_words = check_connector_words(connector_words)
        self.scoring = scoring
        self.min_count = min_count
        self.threshold = threshold
        self.max_vocab_size = whole_number(max_vocab_size)     # 1e7 as gensim takes it
        self.progress_per = progress_per
        self.min_reduce = 1
        self.corpus_word_count = 0
        self._table = KeyTable(False)
        self._cache = None
        if sentences is not None or corpus_file is not None:
            start = time.perf_counter()
            self._add_vocab(sentences, corpus_file, unicode_errors, empty_ok=False)
            self.add_lifecycle_event("created", msg=f"built {self} in "
                                                    f"{time.perf_counter() - start:.2f}s")

    def _restore(self, meta: dict, table: KeyTable, scoring) -> None:
        super()._restore(meta, table, scoring)
        self.max_vocab_size = int(meta["max_vocab_size"])
        self.progress_per = int(meta["progress_per"])
        self.min_reduce = int(meta["min_reduce"])
        self.corpus_word_count = int(meta["corpus_word_count"])
        self._table = table
        self._cache = None

    def _meta(self) -> dict:
        meta = super()._meta()
        meta.update(max_vocab_size=self.max_vocab_size, progress_per=self.progress_per,
                    min_reduce=self.min_reduce, corpus_word_count=self.corpus_word_count)
        return meta

    def _table_for_save(self) -> KeyTable:
        return self._table

    def __str__(self) -> str:
        return (f"{type(self).__name__}<{len(self._table)} vocab, min_count={self.min_count}, "
                f"threshold={self.threshold}, max_vocab_size={self.max_vocab_size}>")

    @property
    def vocab(self) -> PhraseVocab:
        """Counts of the unigrams and candidate phrases (a read-only mapping view)."""
        return PhraseVocab(self._table)

    @vocab.setter
    def vocab(self, counts) -> None:
        table = KeyTable(False, len(counts))
        for key, count in counts.items():
            table.set(key, count)
        self._table = table

    def add_vocab(self, sentences=None, corpus_file=None, unicode_errors="strict") -> None:
        """Count more sentences (or a corpus file) into the model.

        As gensim does, the new corpus is counted into a table of its own (pruned on its
        own), then merged; if the merged table holds more than ``max_vocab_size``
        entries it is pruned once more. A batch without words (``add_vocab([])``, empty
        sentences, an empty corpus file) changes nothing, as in gensim (only the
        constructor refuses an empty corpus).
        """
        self._add_vocab(sentences, corpus_file, unicode_errors, empty_ok=True)

    def _add_vocab(self, sentences, corpus_file, unicode_errors, empty_ok: bool) -> None:
        check_source(sentences, corpus_file)
        if sentences is None and corpus_file is None:
            raise ParameterError("add_vocab needs sentences or corpus_file")
        check_unicode_errors(unicode_errors)
        # a max_vocab_size beyond int64 (gensim takes any int) is a limit never reached
        learner = learn_counts(sentences, corpus_file, self.connector_words, self.delimiter,
                               check_max_vocab_size(self.max_vocab_size), self.progress_per,
                               unicode_errors, empty_ok=empty_ok)
        if learner.total_words == 0:
            (logger.warning if corpus_file is not None else logger.info)(
                "add_vocab: no words in %s; %s is unchanged",
                repr(os.fspath(corpus_file)) if corpus_file is not None else "the sentences",
                self)
            return
        with self._using_table("add_vocab()", changes=True):
            self.corpus_word_count += learner.total_words
            if len(self._table):
                logger.info("merging %i counts into %s", len(learner.vocab), self)
                self.min_reduce = max(self.min_reduce, learner.min_reduce)
                self._table.merge(learner.vocab)
                if len(self._table) > self.max_vocab_size:
                    self._table.prune(self.min_reduce)
                    self.min_reduce += 1
            else:
                self._table = learner.vocab
        logger.info("merged %s", self)

    def _kind(self) -> int:
        kind = builtin_kind(self.scoring)
        return _phrases.CALLBACK if kind is None else kind

    def _applier(self) -> Applier:
        # the key's parts are compared by == (a tuple compares identity first): the table
        # and the scorer by identity, delimiter and connector words by value
        key = (self._table, self.scoring, self.delimiter, self.connector_words)
        local = self._thread_cache()
        entry = getattr(local, "entry", None)
        if entry is None or entry[0] != key:
            entry = local.entry = (key, Applier(self._table,
                                                connector_table(self.connector_words),
                                                self.delimiter, self._kind(), self.scoring))
        applier = entry[1]
        applier.configure(self.threshold, self.min_count, len(self._table),
                          self.corpus_word_count)
        return applier

    def score_candidate(self, word_a, word_b, in_between):
        table = self._table
        count_a = table.get(word_a, 0)
        if count_a <= 0:
            return None, None
        count_b = table.get(word_b, 0)
        if count_b <= 0:
            return None, None
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        count_ab = table.get(phrase, 0)
        if count_ab <= 0:
            return None, None
        score = self.scoring(worda_count=count_a, wordb_count=count_b, bigram_count=count_ab,
                             len_vocab=len(table), min_count=self.min_count,
                             corpus_word_count=self.corpus_word_count)
        if score <= self.threshold:
            return None, None
        return phrase, score

    def _export_table(self) -> KeyTable:
        return _phrases.export_phrases(self._table, self.delimiter, self._kind(),
                                       self.threshold, self.min_count, len(self._table),
                                       self.corpus_word_count, self.scoring)

    def export_phrases(self) -> dict:
        """Every candidate in the vocabulary that scores above the threshold, with its
        score (``{phrase: score}``)."""
        return dict(self._export_table().items())

    def freeze(self) -> "FrozenPhrases":
        """A :class:`FrozenPhrases`: only the phrases and their scores, smaller and
        faster; it cannot learn more."""
        return FrozenPhrases(self)


class _PhraseScores(dict):
    """:attr:`FrozenPhrases.phrasegrams`: a dict that tells its model when it changes, so
    that the compiled table applied is rebuilt."""

    def _changed(self):
        self.version = getattr(self, "version", 0) + 1

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def popitem(self):
        self._changed()
        return super().popitem()

    def setdefault(self, key, default=None):
        self._changed()
        return super().setdefault(key, default)

    def clear(self):
        super().clear()
        self._changed()

    def __ior__(self, other):
        out = super().__ior__(other)
        self._changed()
        return out


class FrozenPhrases(_PhrasesTransformation):
    """The phrases of a :class:`Phrases` model and their scores only: smaller and faster
    to apply; it cannot learn more (gensim's ``FrozenPhrases``, alias ``Phraser``).

    Parameters
    ----------
    phrases_model : Phrases
        A learnt model (fastw2v's; a gensim ``Phrases`` or ``FrozenPhrases`` is converted
        too).

    Attributes
    ----------
    phrasegrams : dict
        ``{phrase: score}`` (editing it changes what is applied).
    """

    def __init__(self, phrases_model):
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = check_delimiter(phrases_model.delimiter)
        self.scoring = phrases_model.scoring
        # a gensim 3 model loaded by gensim 4 keeps its connector words as bytes
        self.connector_words = check_connector_words(getattr(phrases_model,
                                                             "connector_words", ()))
        start = time.perf_counter()
        if isinstance(phrases_model, Phrases):
            table = phrases_model._export_table()
        elif isinstance(phrases_model, FrozenPhrases):
            table = phrases_model._scores_table()
        else:   # a gensim model: its phrases and their scores
            grams = getattr(phrases_model, "phrasegrams", None)
            if grams is None:
                grams = phrases_model.export_phrases()
            table = phrasegram_table(grams, self.delimiter, str(phrases_model))
        self._set_table(table)
        self.add_lifecycle_event("created", msg=f"exported {self} from {phrases_model} in "
                                                f"{time.perf_counter() - start:.2f}s")

    def _set_table(self, table: KeyTable) -> None:
        self._table = table
        self._phrasegrams = _PhraseScores(table.items())
        self._table_version = getattr(self._phrasegrams, "version", 0)
        self._cache = None

    def _restore(self, meta: dict, table: KeyTable, scoring) -> None:
        super()._restore(meta, table, scoring)
        self._set_table(table)

    @property
    def phrasegrams(self) -> dict:
        return self._phrasegrams

    @phrasegrams.setter
    def phrasegrams(self, grams) -> None:
        table = KeyTable(True, len(grams))
        for phrase, score in grams.items():
            table.set(phrase, score)
        self._set_table(table)

    def _scores_table(self) -> KeyTable:
        if getattr(self._phrasegrams, "version", 0) != self._table_version:
            self._table = KeyTable(True, len(self._phrasegrams))
            for phrase, score in self._phrasegrams.items():
                self._table.set(phrase, score)
            self._table_version = getattr(self._phrasegrams, "version", 0)
            self._cache = None
        return self._table

    def _table_for_save(self) -> KeyTable:
        return self._scores_table()

    def __str__(self) -> str:
        return (f"{type(self).__name__}<{len(self._phrasegrams)} phrases, "
                f"min_count={self.min_count}, threshold={self.threshold}>")

    def _applier(self) -> Applier:
        table = self._scores_table()
        key = (table, self.delimiter, self.connector_words)
        local = self._thread_cache()
        entry = getattr(local, "entry", None)
        if entry is None or entry[0] != key:
            entry = local.entry = (key, Applier(table, connector_table(self.connector_words),
                                                self.delimiter, _phrases.FROZEN))
        applier = entry[1]
        applier.configure(self.threshold, self.min_count, 0, 0)
        return applier

    def score_candidate(self, word_a, word_b, in_between):
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self._phrasegrams.get(phrase, NEGATIVE_INFINITY)
        if score > self.threshold:
            return phrase, score
        return None, None


#: gensim's older name for :class:`FrozenPhrases`.
Phraser = FrozenPhrases

#: the class of each class name a saved model records
_CLASSES = {"Phrases": Phrases, "FrozenPhrases": FrozenPhrases}


__all__ = ["FrozenPhrases", "PhraseVocab", "Phraser", "Phrases"]
