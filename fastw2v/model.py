"""``Word2Vec``: the gensim 4 face of fastw2v.

Parameter, attribute and method names are gensim 4's. The class holds no logic of its
own: parameters are checked by :mod:`fastw2v.config`, the vocabulary, weights, tables,
history and the save/load schema live in a :class:`fastw2v.state.ModelState`
(``model.state``), and training is :func:`fastw2v.training.session.train_model`. Data
flows one way::

    corpus -> VocabBuilder -> Vocab -> (Huffman tree, noise table, keep thresholds)
           -> encoded ids -> kernels (update weights in place) -> KeyedVectors
"""
from __future__ import annotations

import logging
import math
import sys
import warnings
import weakref
from collections import Counter
from typing import Dict, Optional

import numpy as np

from .config import (MAX_WORDS_IN_BATCH, TrainConfig, check_batch_words, check_callbacks,
                     check_progress, check_progress_per, check_source, check_train_args,
                     check_trim_rule, check_unicode_errors, check_vocab_flag, is_int)
from .errors import ParameterError, SourceError
from .lifecycle import LifecycleEvents
from .state import SAVED_WEIGHTS, ModelState
from .training.progress import make_progress
from .training.score import score_sentences
from .training.session import exclusive, train_model
from .vectors.output_space import OutputSpaceMixin
from .vocab import (VocabBuilder, builder_from_counts, keep_vocab_item, read_vocab_counts,
                    update_min_count, vocab_report)

logger = logging.getLogger("fastw2v")

#: Bytes of Python objects per vocabulary word (the ``str``, its list slot and its
#: dictionary entry), measured on the shipped sample; :meth:`Word2Vec.estimate_memory`
#: uses it for vocabularies that do not exist yet.
PYTHON_BYTES_PER_WORD = 88

#: gensim's ``make_cum_table`` default domain: the noise table's last entry.
CUM_TABLE_DOMAIN = 2 ** 31 - 1


def _random_state(seed: int) -> "np.random.RandomState":
    """gensim's ``model.random``: ``np.random.RandomState(seed)``. NumPy takes seeds in
    ``[0, 2**32)``; fastw2v accepts any integer seed, so others are taken modulo 2**32."""
    return np.random.RandomState(seed if 0 <= seed < 2 ** 32 else seed & 0xFFFFFFFF)


def noise_cum_table(counts, ns_exponent: float, domain: int = CUM_TABLE_DOMAIN) -> np.ndarray:
    """gensim's cumulative noise table, uint32 [V]: entry ``i`` is ``domain`` times the
    share of ``count ** ns_exponent`` summed over words ``0..i``, rounded (the last entry
    is ``domain``). Computed as gensim computes it (each power by Python's ``float``
    pow, the running sum in order, in float64), so the entries are gensim's exactly."""
    exponent = float(ns_exponent)
    powers = np.fromiter((c ** exponent for c in np.asarray(counts).tolist()),
                         dtype=np.float64, count=len(counts))
    running = np.cumsum(powers)      # sequential, as gensim's loop adds them
    if not len(running):
        return np.zeros(0, dtype=np.uint32)
    return np.rint(running / running[-1] * domain).astype(np.uint32)


class TrainRecord:
    """The first callback of every ``train()`` call: the ``"train"`` lifecycle event at
    its end, before the user's callbacks see the model (gensim's order). The state
    counts ``train_count``, ``total_train_time`` and ``min_alpha_yet_reached``."""

    def __init__(self, model: "Word2Vec"):
        self.first_epoch = len(model.state.epoch_stats)

    def on_train_end(self, model: "Word2Vec") -> None:
        stats = model.state.epoch_stats[self.first_epoch:]
        raw = sum(st.raw_words for st in stats)
        trained = sum(st.words_trained for st in stats)
        seconds = sum(st.seconds for st in stats)
        model.add_lifecycle_event("train", log_level=logging.DEBUG, msg=(
            f"training on {raw} raw words ({trained} effective words) took "
            f"{seconds:.1f}s, {trained / max(seconds, 1e-9):.0f} effective words/s"))


def _config_property(name):
    def get(self):
        return getattr(self.state.config, name)

    def set(self, value):
        self.state.config = self.state.config.replace(**{name: value})

    return property(get, set, doc=f"Training parameter ``{name}`` (see :class:`TrainConfig`).")


def _state_property(name):
    def get(self):
        return getattr(self.state, name)

    def set(self, value):
        setattr(self.state, name, value)

    return property(get, set, doc=f"``{name}`` of the model's :class:`ModelState`.")


#: attributes that are the state's (read and written through to ``model.state``)
_STATE_ATTRIBUTES = ("config", "vocab", "wv", "syn1neg", "syn1", "corpus_count",
                     "corpus_total_words", "epochs_trained", "epoch_losses", "epoch_alphas",
                     "epoch_stats", "partial_epoch", "running_training_loss", "batch_words",
                     "unicode_errors", "comment", "sorted_vocab", "null_word")

#: ``prepare_vocab()`` arguments that ``build_vocab(**kwargs)`` passes on (as gensim)
_PREPARE_ARGS = ("min_count", "sample", "dry_run")


class Word2Vec(OutputSpaceMixin, LifecycleEvents):
    """Train word2vec embeddings: skip-gram or CBOW, hierarchical softmax and/or negative
    sampling, on worker threads that run without the GIL.

    Parameters
    ----------
    sentences : iterable of list of str, optional
        A re-iterable corpus (e.g. a list of token lists, or :class:`fastw2v.LineSentence`).
        If given (or ``corpus_file``), the model is built and trained at once.
    corpus_file : str or path, optional
        A text file (plain, .gz, .bz2, .xz) or directory of them: one sentence per line,
        whitespace-separated tokens. Faster than ``sentences``: it is encoded to ids once.
    vector_size, alpha, window, min_count, max_vocab_size, sample, seed, workers,
    min_alpha, sg, hs, negative, ns_exponent, cbow_mean, epochs, max_final_vocab,
    shrink_windows, compute_loss
        As gensim 4 (see :class:`fastw2v.config.TrainConfig`).
    sorted_vocab : {0, 1}
        1 (gensim's default): words by descending count, equal counts in gensim 4's
        order (the word seen last first); 0: in the order they were first seen in the
        corpus. Both give gensim's ``index_to_key``.
    null_word : {0, 1}
        1: add gensim's padding word ``"\\0"`` (count 1) where gensim puts it (first
        among the words counted once; at the end with ``sorted_vocab=0``).
    hashfxn : callable
        Accepted for gensim's signature and kept as ``model.hashfxn``. gensim 4 uses it
        only in its deprecated ``seeded_vector``; fastw2v's initial vectors come from
        ``seed`` alone, so it changes nothing.
    trim_rule : callable, optional
        ``trim_rule(word, count, min_count)`` returning ``RULE_DISCARD``, ``RULE_KEEP`` or
        ``RULE_DEFAULT`` (gensim's convention).
    batch_words : int
        Words per job handed to a worker in ``sentences`` mode.
    callbacks : sequence
        Objects with any of ``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end``,
        ``on_train_end`` methods, each called with the model (see
        :mod:`fastw2v.training.callbacks`). A callback stops training early by setting
        ``model.stop_training = True``: no further epoch starts. They run for the
        training the constructor starts (with a corpus) only; without a corpus they
        are ignored with a warning, as in gensim 4: pass them to ``train()``.
    progress : bool, str or None
        Progress bar for ``build_vocab`` and ``train`` (words/s, alpha, loss, ETA):
        ``None`` shows it only when stderr is a terminal, ``False`` never, ``True``
        always; ``"tqdm"``/``"plain"`` pick the drawer (default: tqdm if installed).
    unicode_errors : {"strict", "replace", "ignore"}
        What to do with bytes in ``corpus_file`` that are not UTF-8: ``strict`` raises
        :class:`fastw2v.corpus.CorpusError` naming the file, line and byte offset.
    shared_negatives : bool
        Opt-in fast mode for ``sg=1``: each window trained as one batch (see
        :class:`fastw2v.config.TrainConfig`).
    reproducible : bool
        Bit-identical results with ``workers > 1`` for the same seed, corpus and worker
        count (see :mod:`fastw2v.training.rounds`).

    Attributes
    ----------
    wv : KeyedVectors
        The input word vectors (``wv.vectors`` float32 [V, vector_size]).
    syn1neg : np.ndarray or None
        Output vectors for negative sampling, float32 [V, vector_size].
    syn1 : np.ndarray or None
        Inner-node vectors for hierarchical softmax, float32 [V, vector_size]
        (row ``V-1`` is unused: a tree over V words has V-1 inner nodes).
    corpus_count, corpus_total_words : int
        Sentences and tokens seen by ``build_vocab``.
    epoch_losses : list of float
        With ``compute_loss=True``: the mean objective per training example of each epoch.
    epoch_alphas : list of float
        The learning rate at the end of each completed epoch.
    state : ModelState
        Everything above in one object (:class:`fastw2v.state.ModelState`): the
        attributes of this class read and write it.
    epochs_trained : int
        Epochs completed over all ``train()`` calls (an interrupted epoch is not counted).
    epoch_stats : list of EpochStats
        Per completed epoch: words read/trained, loss sum and examples, seconds.
    partial_epoch : EpochStats or None
        The epoch cut short by the last ``train()`` (Ctrl-C or an error), else None. Its
        updates stay in the weights (the model is consistent and can train further).
    stop_training : bool
        Set to True (by a callback, say) to stop ``train()`` before its next epoch;
        reset to False when ``train()`` starts.
    layer1_size : int
        gensim's name for the width of the output layers: ``vector_size``.
    cum_table : np.ndarray or None
        gensim's cumulative noise table (uint32 [V], see :meth:`make_cum_table`),
        computed from the vocabulary's counts and ``ns_exponent`` when read; None before
        a vocabulary is built or with ``negative=0``, as in gensim. fastw2v's training
        samples from an equivalent alias table instead.
    train_count : int
        ``train()`` calls completed (counted before ``on_train_end`` callbacks run).
    total_train_time : float
        Seconds spent training epochs, over all ``train()`` calls (as gensim: the epochs'
        time, an interrupted epoch's included).
    min_alpha_yet_reached : float
        The learning rate at the end of the last completed epoch (gensim: of the last
        job), ``alpha`` before any training.
    random : np.random.RandomState
        gensim's ``RandomState(seed)``; fastw2v draws nothing from it.
    lifecycle_events : list of dict or None
        gensim's log of the model's life: one dict per event ("created",
        "prepare_vocab", "build_vocab", "train", "saving", "loaded"), with the event's
        own keys (``msg``, ``params``, ``fname``, ...) and ``datetime``, ``fastw2v``
        (the version; gensim's events say ``gensim``), ``python``, ``platform`` and
        ``event``. Saved with the model, as gensim does (a model read from a gensim file
        starts a new list). Set it to None to stop recording.

    These four records live in the model's state (:mod:`fastw2v.state`), which saves
    them in the native file's header.
    """

    stop_training = False
    progress = None

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, sample=1e-3, seed=1,
                 workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75,
                 cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, trim_rule=None,
                 sorted_vocab=1, batch_words=MAX_WORDS_IN_BATCH, compute_loss=False,
                 callbacks=(), comment=None, max_final_vocab=None, shrink_windows=True,
                 unicode_errors="strict", progress=None, shared_negatives=False,
                 reproducible=False):
        if not callable(hashfxn):
            raise ParameterError(f"hashfxn={hashfxn!r} is invalid: must be a callable")
        config = TrainConfig(
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
            min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, epochs=epochs, max_final_vocab=max_final_vocab,
            shrink_windows=shrink_windows, compute_loss=compute_loss,
            shared_negatives=shared_negatives, reproducible=reproducible)
        sorted_vocab = check_vocab_flag("sorted_vocab", sorted_vocab)
        null_word = check_vocab_flag("null_word", null_word)
        self.hashfxn = hashfxn
        batch_words = check_batch_words(batch_words)
        check_trim_rule(trim_rule)
        check_unicode_errors(unicode_errors)
        check_progress(progress)
        self.state = ModelState(config, batch_words, unicode_errors, comment, sorted_vocab,
                                null_word)
        self.progress = progress
        callbacks = check_callbacks(callbacks)
        if sentences is not None and corpus_file is not None:
            raise SourceError("pass either sentences or corpus_file, not both")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, callbacks=callbacks)
        elif callbacks:
            # as gensim 4: callbacks belong to one training, not to the model (a model
            # holding them would run them in every later train() and pickle them)
            logger.warning("callbacks given without a corpus are ignored: the model does "
                           "not keep callbacks, pass them to train()")
        # last, as in gensim (after the build_vocab and train events)
        self.add_lifecycle_event("created", log_level=logging.DEBUG, params=str(self))

    # -- vocabulary ---------------------------------------------------------------------
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False,
                    progress_per=10000, keep_raw_vocab=False, trim_rule=None, progress=None,
                    **kwargs):
        """Count the corpus, build the vocabulary and initialise the weights
        (:meth:`scan_vocab`, then :meth:`prepare_vocab`, as gensim).

        With ``update=True`` the vocabulary of a built (and possibly trained) model grows
        instead: existing words keep their rows and trained vectors (their counts get the
        new corpus's counts added), words new to the model that reach ``min_count`` in the
        new corpus are appended and initialised like fresh ones, the output layers grow
        and the Huffman tree and noise distribution are rebuilt from the new counts; a
        following ``train()`` continues from there. ``progress`` overrides the model's
        progress setting for this call. ``kwargs`` (``min_count``, ``sample``,
        ``dry_run``) go to :meth:`prepare_vocab`; ``keep_raw_vocab=True`` keeps the raw
        counts in :attr:`raw_vocab`.
        """
        unknown = sorted(set(kwargs) - set(_PREPARE_ARGS))
        if unknown:
            raise TypeError(f"build_vocab() got unexpected arguments: {unknown}")
        check_progress_per(progress_per)
        check_trim_rule(trim_rule)
        if progress is not None:
            check_progress(progress)
        with exclusive(self, "build_vocab()"):
            if update:
                self.state.need_vocab()
            self._raw = self._count(corpus_iterable, corpus_file, progress_per, trim_rule,
                                    progress)
            report = self._prepare(update, keep_raw_vocab, trim_rule, **kwargs)
            report["memory"] = self.estimate_memory(vocab_size=report["num_retained_words"])
        self.add_lifecycle_event("build_vocab", log_level=logging.DEBUG, update=update,
                                 trim_rule=str(trim_rule))
        return self

    def _count(self, corpus_iterable, corpus_file, progress_per, trim_rule,
               progress=None) -> VocabBuilder:
        """Count the corpus (the raw vocabulary)."""
        builder = VocabBuilder(self.config.max_vocab_size, trim_rule)
        source = check_source(corpus_iterable, corpus_file)
        bar = make_progress(self.progress if progress is None else progress, "vocabulary")

        def report(b):
            bar.update(b.total_words, distinct=b.distinct)
        try:
            if corpus_file is not None:
                builder.add_file(source, self.unicode_errors, report, progress_per,
                                 threads=self.config.workers)
            else:
                builder.add_sentences(source, report, progress_per)
            report(builder)
        finally:
            bar.close()
        logger.info("collected %d word types from a corpus of %d raw words and %d "
                    "sentences", len(builder.counter), builder.total_words,
                    builder.n_sentences)
        return builder

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000,
                   workers=None, trim_rule=None):
        """Count the corpus into :attr:`raw_vocab` without building the vocabulary
        (gensim's first step of :meth:`build_vocab`; :meth:`prepare_vocab` is the second).

        ``trim_rule`` is consulted while pruning to ``max_vocab_size``; ``workers`` is
        accepted for gensim's signature (counting runs on the calling thread, in C for
        strictly decoded corpus files).

        Returns
        -------
        (total_words, corpus_count) : tuple of int
            Tokens and sentences read.
        """
        check_progress_per(progress_per)
        check_trim_rule(trim_rule)
        with exclusive(self, "scan_vocab()"):
            self._raw = self._count(corpus_iterable, corpus_file, progress_per, trim_rule)
        return self._raw.total_words, self._raw.n_sentences

    @property
    def raw_vocab(self) -> Dict[str, int]:
        """``{word: count}`` of the last corpus counted, kept from :meth:`scan_vocab`
        until :meth:`prepare_vocab` uses it (unless ``keep_raw_vocab=True``); empty
        otherwise."""
        raw = getattr(self, "_raw", None)
        return raw.counter if raw is not None else Counter()

    @raw_vocab.setter
    def raw_vocab(self, word_counts) -> None:
        self._raw = None if not word_counts else builder_from_counts(dict(word_counts))

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None,
                      min_count=None, sample=None, dry_run=False) -> Dict[str, int]:
        """Build the vocabulary from :attr:`raw_vocab` (counted by :meth:`scan_vocab`):
        apply ``min_count``, ``max_final_vocab`` and ``trim_rule``, and initialise the
        weights (gensim does that in a separate ``prepare_weights()``, which fastw2v
        also has).

        ``min_count``/``sample`` override the model's values and are stored in it; as in
        gensim, 0 (like None) keeps the model's value, so ``sample=0`` here does not turn
        down-sampling off (set ``model.sample = 0`` or pass it to the constructor). With
        ``dry_run=True`` nothing changes: only the report is computed.
        The raw counts are dropped afterwards unless ``keep_raw_vocab=True``.

        Returns
        -------
        dict
            gensim's report: ``drop_unique`` (distinct words dropped),
            ``retain_total`` (corpus words kept), ``downsample_unique`` (kept words that
            ``sample`` down-samples), ``downsample_total`` (corpus words expected to
            survive down-sampling), ``num_retained_words`` (vocabulary size).
        """
        check_trim_rule(trim_rule)
        with exclusive(self, "prepare_vocab()"):
            return self._prepare(update, keep_raw_vocab, trim_rule, min_count, sample,
                                 dry_run)

    def _prepare(self, update, keep_raw_vocab, trim_rule, min_count=None, sample=None,
                 dry_run=False) -> Dict[str, int]:
        builder = getattr(self, "_raw", None)
        if builder is None:
            raise RuntimeError("no raw vocabulary to prepare: call scan_vocab() (or "
                               "build_vocab()) first")
        if update:
            self.state.need_vocab()
        # as gensim (``min_count or self.min_count``): 0 or None keeps the model's value
        config = self.config.replace(min_count=min_count or self.config.min_count,
                                     sample=sample or self.config.sample)
        if update:
            if config.max_final_vocab is not None:
                # as gensim: max_final_vocab raises the new corpus's min_count so that
                # about that many of its words pass (all those of the cut count drop)
                config = config.replace(min_count=max(config.min_count, update_min_count(
                    builder.counter.values(), config.max_final_vocab)))
            # as gensim: the words of the new corpus that pass min_count (and trim_rule),
            # whether new to the model or not
            known, kept, new_words = self.state.vocab.index, [], 0
            for w, c in builder.counter.items():
                if keep_vocab_item(w, c, config.min_count, trim_rule):
                    kept.append(c)
                    new_words += w not in known
        else:
            kept = [c for _, c in builder.retained_items(config.min_count,
                                                         config.max_final_vocab, trim_rule)]
            new_words = None
        report = vocab_report(len(builder.counter), kept, config.sample)
        self._prepare_events(builder, config, kept, report, new_words)
        logger.info("min_count=%d retains %d unique words (drops %d), %d corpus words; "
                    "sample=%g down-samples %d most-common words to about %d",
                    config.min_count, report["num_retained_words"], report["drop_unique"],
                    report["retain_total"], config.sample, report["downsample_unique"],
                    report["downsample_total"])
        if dry_run:
            return report
        self.state.set_vocab(builder, trim_rule, update, min_count=config.min_count)
        if not update:               # as gensim: the applied settings become the model's
            self.config = config     # (after the vocabulary: a Ctrl-C there keeps both)
        if not keep_raw_vocab:
            self._raw = None
        return report

    def _prepare_events(self, builder, config, kept, report, new_words: Optional[int]):
        """gensim's ``prepare_vocab`` lifecycle events for a vocabulary keeping the
        ``kept`` counts (``new_words`` of them new to the model when updating)."""
        def pct(part, whole):
            return 100.0 * part / max(whole, 1)

        distinct, retain_total = len(builder.counter), report["retain_total"]
        effective = config.min_count
        if new_words is None and config.max_final_vocab is not None and kept:
            effective = max(config.min_count, min(kept))
            msgs = [f"max_final_vocab={config.max_final_vocab} and min_count="
                    f"{config.min_count} resulted in effective_min_count={effective}"]
        else:
            msgs = []
        if new_words is None:
            original_total = sum(builder.counter.values())
            msgs += [f"effective_min_count={effective} retains {len(kept)} unique words "
                     f"({pct(len(kept), distinct):.2f}% of original {distinct}, drops "
                     f"{report['drop_unique']})",
                     f"effective_min_count={effective} leaves {retain_total} word corpus "
                     f"({pct(retain_total, original_total):.2f}% of original "
                     f"{original_total}, drops {original_total - retain_total})"]
        else:
            known = len(kept) - new_words
            msgs.append(f"added {new_words} new unique words ({pct(new_words, distinct):.2f}% "
                        f"of original {distinct}) and increased the count of {known} "
                        f"pre-existing words ({pct(known, distinct):.2f}% of original "
                        f"{distinct})")
        msgs.append(f"downsampling leaves estimated {report['downsample_total']} word corpus "
                    f"({pct(report['downsample_total'], retain_total):.1f}% of prior "
                    f"{retain_total})")
        for msg in msgs:
            self.add_lifecycle_event("prepare_vocab", log_level=logging.DEBUG, msg=msg)

    def prepare_weights(self, update=False) -> None:
        """gensim's last step of :meth:`build_vocab`. fastw2v initialises the weights in
        :meth:`prepare_vocab` already; without ``update`` this initialises them again,
        from ``seed`` (so to the same values), with ``update`` it does nothing."""
        self.state.need_vocab()
        if not update:
            self.state.reset_weights()

    def init_weights(self) -> None:
        """gensim's name: all weights back to their untrained values (from ``seed``),
        the vocabulary kept."""
        self.prepare_weights(update=False)

    def update_weights(self) -> None:
        """gensim's step after ``build_vocab(update=True)``: keep the trained rows and
        initialise the new words' rows. fastw2v does this within the update already, so
        this only checks that there is a vocabulary."""
        self.prepare_weights(update=True)

    @property
    def effective_min_count(self) -> int:
        """The lowest count a word needed to enter the vocabulary last built:
        ``min_count``, or the lowest count kept where ``max_final_vocab`` cut the
        vocabulary (fastw2v keeps exactly that many words, so a word with the same
        count as the first dropped one can be in)."""
        value = self.state.effective_min_count
        return self.config.min_count if value is None else int(value)

    def build_vocab_from_freq(self, word_freq: Dict[str, int], keep_raw_vocab=False,
                              corpus_count=None, trim_rule=None, update=False, *,
                              corpus_total_words=None):
        """Build the vocabulary from ``{word: count}`` instead of a corpus (gensim's name);
        ``update=True`` grows the existing vocabulary as :meth:`build_vocab` does.
        ``corpus_total_words`` (fastw2v's): the corpus's tokens, where they are more than
        the counts add up to (counts pruned while counting); by default their sum."""
        return self._build_from_counts(word_freq, keep_raw_vocab, corpus_count, trim_rule,
                                       update, corpus_total_words=corpus_total_words)

    def _build_from_counts(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                           trim_rule=None, update=False, ranked=False,
                           corpus_total_words=None):
        check_trim_rule(trim_rule)
        with exclusive(self, "build_vocab_from_freq()"):
            if update:
                self.state.need_vocab()
            builder = builder_from_counts(word_freq, ranked)
            if corpus_count is not None:
                builder.n_sentences = int(corpus_count)
            if corpus_total_words is not None:
                if not is_int(corpus_total_words) or \
                        corpus_total_words < builder.total_words:
                    raise ParameterError(
                        f"corpus_total_words={corpus_total_words!r} is invalid: must be an "
                        f"integer >= the counts' sum ({builder.total_words})")
                builder.total_words = int(corpus_total_words)
            self._raw = builder
            self._prepare(update, keep_raw_vocab, trim_rule)
        return self

    def reset_from(self, other_model) -> None:
        """Use ``other_model``'s vocabulary (words, counts, Huffman tree, noise table)
        and corpus sizes, and give this model fresh weights from its own ``seed`` and
        ``vector_size`` (gensim's ``reset_from``: for training several models on one
        corpus without counting it again).

        The vocabulary is frozen in fastw2v, so the two models share it safely: a later
        ``build_vocab(update=True)`` on either gives that model a new vocabulary and
        leaves the other's as it was.
        """
        with exclusive(self, "reset_from()"):
            self.state.adopt_vocab(other_model.state)

    def estimate_memory(self, vocab_size=None, report=None) -> Dict[str, int]:
        """Bytes the model needs for ``vocab_size`` words (default: its vocabulary),
        by gensim's keys: ``vocab``, ``vectors``, ``syn1`` (with ``hs``), ``syn1neg``
        (with ``negative``) and ``total``; entries of ``report`` are kept and summed too.

        The weight matrices are ``vocab_size * vector_size * 4`` bytes each, as in
        gensim. ``vocab`` is fastw2v's own figure, not gensim's 500 (700 with ``hs``)
        bytes per word: the words as Python objects, their counts and down-sampling
        thresholds (8 bytes each), the Huffman paths (``hs``: 5 bytes per node of every
        path, 8 per word) and the alias noise table (``negative``: 12 bytes per word);
        measured for the model's own vocabulary, estimated otherwise (paths of
        ``log2(V) + 2`` nodes, :data:`PYTHON_BYTES_PER_WORD`).
        """
        c, vocab = self.config, self.state.vocab
        V = int(vocab_size) if vocab_size else (len(vocab) if vocab is not None else 0)
        report = dict(report or {})
        own = vocab is not None and V == len(vocab)
        if own:
            python = (sum(sys.getsizeof(w) for w in vocab.words)
                      + sys.getsizeof(vocab.words) + sys.getsizeof(vocab.index))
        else:
            python = V * PYTHON_BYTES_PER_WORD
        vocab_bytes = python + 16 * V
        if c.hs and V:
            if own:
                huffman = self.state.huffman()
                vocab_bytes += (huffman.codes.nbytes + huffman.points.nbytes
                                + huffman.offsets.nbytes)
            else:
                vocab_bytes += V * (8 + 5 * int(math.log2(max(V, 2)) + 2))
        if c.negative:
            vocab_bytes += 12 * V
        report["vocab"] = int(vocab_bytes)
        matrix = V * c.vector_size * 4
        report["vectors"] = matrix
        if c.hs:
            report["syn1"] = matrix
        if c.negative:
            report["syn1neg"] = matrix
        report.pop("total", None)
        report["total"] = int(sum(report.values()))
        logger.info("estimated required memory for %d words and %d dimensions: %d bytes",
                    V, c.vector_size, report["total"])
        return report

    def read_vocab(self, path, trim_rule=None):
        """Use the vocabulary file ``path`` (``word count`` lines, the C tool's
        ``-save-vocab`` format) instead of counting the corpus. Words with equal counts
        keep the file's order, as in the C tool, so a vocabulary saved and read back is
        the same. Its words are decoded as the corpus is (the model's ``unicode_errors``)."""
        return self._build_from_counts(read_vocab_counts(path, self.unicode_errors),
                                       trim_rule=trim_rule,
                                       ranked=True)

    def save_vocab(self, path) -> None:
        """Write the vocabulary as ``word count`` lines (the C tool's ``-save-vocab``)."""
        self.state.need_vocab()
        self.vocab.save(path)

    # -- training -----------------------------------------------------------------------
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None,
              total_words=None, epochs=None, start_alpha=None, end_alpha=None, word_count=0,
              queue_factor=2, report_delay=1.0, compute_loss=None, callbacks=(),
              progress=None, **kwargs):
        """Train on a corpus for ``epochs`` passes (gensim's signature).

        Calling ``train()`` again continues training from the current weights.
        ``total_examples``/``total_words`` (sentences/tokens per epoch) size the
        learning-rate schedule in ``sentences`` mode; they default to the counts seen by
        ``build_vocab``. In ``corpus_file`` mode the exact word count is known and used.
        ``epochs``, ``start_alpha`` and ``end_alpha``, where given, become the model's
        ``epochs``, ``alpha`` and ``min_alpha``, as in gensim.

        Callbacks (``callbacks``: those of this call only, as in gensim 4; the model
        does not keep the constructor's) get ``on_train_begin``,
        ``on_epoch_begin``, ``on_epoch_end`` and ``on_train_end`` calls with the model;
        any of them may set ``model.stop_training = True`` to start no further epoch.
        Progress is logged every ``report_delay`` seconds; ``progress`` overrides the
        model's progress-bar setting for this call.

        Ctrl-C (``KeyboardInterrupt``) stops the workers within a fraction of a second,
        leaves the model consistent (``epochs_trained`` counts completed epochs, the
        partial one is in ``partial_epoch``), logs how far training got and is re-raised;
        ``on_train_end`` is not called then. A worker's error is re-raised here the same
        way. Training one model from two threads at once raises ``RuntimeError``.

        Returns
        -------
        (trained_words, raw_words) : tuple of int
            As gensim: words kept after down-sampling, and corpus tokens read
            (including words not in the vocabulary), summed over epochs.
        """
        if kwargs:
            raise TypeError(f"train() got unexpected arguments: {sorted(kwargs)}")
        with exclusive(self, "train()"):
            self.state.need_vocab()
            args = check_train_args(self.config, epochs, start_alpha, end_alpha,
                                    total_examples, total_words, report_delay,
                                    self.progress if progress is None else progress)
            if compute_loss is not None:
                self.config = self.config.replace(compute_loss=compute_loss)   # validated there
            # as gensim: the call's epochs and learning rates become the model's, for the
            # next train() call too
            self.config = self.config.replace(epochs=args.epochs, alpha=args.start_alpha,
                                              min_alpha=args.end_alpha)
            check_source(corpus_iterable, corpus_file)
            callbacks = check_callbacks(callbacks)
            c = self.config
            # gensim's two warnings, in its words
            if c.hs and c.negative:
                logger.warning("Both hierarchical softmax and negative sampling are "
                               "activated: each word trains both objectives, probably a "
                               "mistake; set hs=0 or negative=0 to disable one of them")
            if c.alpha > self.min_alpha_yet_reached:
                logger.warning("Effective 'alpha' higher than previous training cycles "
                               "(alpha=%g, the last epoch ended at %g)", c.alpha,
                               self.min_alpha_yet_reached)
            self.add_lifecycle_event("train", log_level=logging.DEBUG, msg=(
                f"training model with {c.workers} workers on {len(self.wv)} vocabulary and "
                f"{self.layer1_size} features, using sg={c.sg} hs={c.hs} sample={c.sample} "
                f"negative={c.negative} window={c.window} shrink_windows={c.shrink_windows}"))
            earlier = self.state.partial_epoch
            try:
                return train_model(self, args, corpus_iterable, corpus_file,
                                   (TrainRecord(self), *callbacks))
            except BaseException:
                partial = self.state.partial_epoch      # the epoch this error cut short
                if partial is not None and partial is not earlier:
                    self.total_train_time += partial.seconds
                raise

    # -- gensim's bookkeeping attributes ------------------------------------------------
    def _record_property(name, doc):
        def get(self):
            return getattr(self.state, name)

        def set_(self, value):
            setattr(self.state, name, value)
        return property(get, set_, doc=doc)

    # kept in the state, so that a native file saves them as gensim's pickle does
    train_count = _record_property("train_count", "``train()`` calls completed.")
    total_train_time = _record_property("total_train_time", "Seconds spent in epochs.")
    lifecycle_events = _record_property("lifecycle_events", "gensim's list of events.")
    del _record_property

    @property
    def min_alpha_yet_reached(self) -> float:
        """The learning rate at the end of the last completed epoch; ``alpha`` before
        any training."""
        value = self.state.min_alpha_yet_reached
        return self.config.alpha if value is None else value

    @min_alpha_yet_reached.setter
    def min_alpha_yet_reached(self, value) -> None:
        self.state.min_alpha_yet_reached = float(value)

    @property
    def random(self) -> "np.random.RandomState":
        """gensim's ``RandomState(seed)``, made when first read (fastw2v's training draws
        nothing from it, and a model need not import ``numpy.random``); assignable."""
        rng = self.__dict__.get("_random")
        if rng is None:
            rng = self._random = _random_state(self.config.seed)
        return rng

    @random.setter
    def random(self, value) -> None:
        self._random = value

    @property
    def layer1_size(self) -> int:
        """gensim's width of the output layers (``syn1neg``, ``syn1``): ``vector_size``."""
        return self.config.vector_size

    @property
    def cum_table(self) -> Optional[np.ndarray]:
        """gensim's cumulative noise table for the current vocabulary and
        ``ns_exponent`` (uint32 [V], computed when first read and kept while neither
        changes), or None: before a vocabulary is built, and with ``negative=0`` unless
        :meth:`make_cum_table` was called, as in gensim. Read-only."""
        vocab = self.state.vocab
        if vocab is None:
            return None
        cached = self.__dict__.get("_cum_table")
        if cached is not None and cached[0]() is vocab and cached[1] == self.config.ns_exponent:
            return cached[2]
        if not self.config.negative:
            return None
        self.make_cum_table()
        return self.__dict__["_cum_table"][2]

    def make_cum_table(self, domain: int = CUM_TABLE_DOMAIN) -> None:
        """Compute :attr:`cum_table` (gensim's method): ``domain`` times the cumulative
        share of ``count ** ns_exponent`` of the words in vocabulary order, rounded;
        gensim draws a negative word as the insertion point of a random integer below
        ``cum_table[-1]``. fastw2v's training does not use it (its alias table gives the
        same distribution in O(1) per draw)."""
        self.state.need_vocab()
        vocab = self.state.vocab
        exponent = self.config.ns_exponent
        # the vocabulary is frozen: the table holds while it is the model's (a weak
        # reference, so that a replaced vocabulary is not kept alive by the cache)
        self._cum_table = (weakref.ref(vocab), exponent,
                           noise_cum_table(vocab.counts, exponent, domain))

    def get_latest_training_loss(self) -> float:
        """The training objective summed since the current (or last) ``train()`` call
        began (gensim's meaning; 0.0 unless ``compute_loss=True``). It is brought up to
        date at the end of each epoch, so in ``on_epoch_end`` the value minus the one
        seen at the previous epoch's end is that epoch's loss. ``epoch_losses`` has
        each epoch's mean per training example."""
        return float(self.state.running_training_loss)

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2,
              report_delay=1):
        """The log-probability of each sentence under the model (gensim's ``score``,
        after Taddy 2015): hierarchical softmax only (``hs=1``, else ``RuntimeError``).

        For skip-gram, the sum over each word and each context word in its window of the
        log-probabilities of the Huffman branches leading from the context word to the
        word; for CBOW, from the (mean, with ``cbow_mean``) context vector to the word.
        Out-of-vocabulary words are skipped; ``log sigmoid`` comes from the same table
        as gensim's. The weights are not changed. At most ``total_sentences`` sentences
        are scored; ``chunksize`` and ``queue_factor`` are accepted for gensim's
        signature (the scoring runs on the calling thread, NumPy's matrix products
        doing the work).

        Returns
        -------
        np.ndarray
            float32 [sentences scored].
        """
        return score_sentences(self.state, sentences, total_sentences, report_delay)

    def init_sims(self, replace=False) -> None:
        """Deprecated, as in gensim 4: ``wv.init_sims(replace)`` (queries compute the
        norms themselves; ``replace=True`` makes the vectors unit length)."""
        warnings.warn("init_sims() is deprecated, as in gensim 4: queries compute the norms "
                      "themselves (wv.fill_norms()); use wv.unit_normalize_all() to replace "
                      "the vectors by unit vectors", DeprecationWarning, stacklevel=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)      # said once, above
            self.wv.init_sims(replace=replace)

    # -- persistence --------------------------------------------------------------------
    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024 ** 2,
             ignore=frozenset(), pickle_protocol=4) -> None:
        """Save the whole model (vocabulary, weights, parameters) to one native file,
        atomically; or, as gensim allows, into a binary file object open for writing
        (``io.BytesIO``, an archive member), written in place and left open.

        gensim's arguments are accepted. ``separately`` and ``sep_limit`` choose which
        arrays gensim writes beside its pickle: the native format keeps every array in
        the one file at an aligned offset, so all of them can be memory-mapped
        (``load(mmap="r")``) whatever their size. ``pickle_protocol``: nothing is
        pickled. ``ignore``: names of output matrices (``"syn1neg"``, ``"syn1"``) to
        leave out; they load as None and training creates them again, zero. Other
        names that gensim would skip (its caches, e.g. ``"cum_table"``) are not in the
        file anyway; the input vectors always are (``ParameterError`` for ``"wv"``).
        """
        ignore = {ignore} if isinstance(ignore, str) else set(ignore or ())
        if ignore & {"wv", "vectors"}:
            raise ParameterError("save(ignore=...) cannot leave out the word vectors: a "
                                 "native file always holds them")
        self.add_lifecycle_event("saving", log_level=logging.DEBUG,
                                 fname_or_handle=str(fname_or_handle),
                                 separately=str(separately), sep_limit=sep_limit,
                                 ignore=sorted(ignore, key=str))
        self.state.save(fname_or_handle, ignore=ignore & set(SAVED_WEIGHTS))

    @classmethod
    def load(cls, fname, mmap=None, *, rethrow=False) -> "Word2Vec":
        """Load a model saved by :meth:`save`, or by gensim 4 (see
        :meth:`ModelState.load`); ``mmap="r"`` maps the weights read-only.

        ``rethrow`` is gensim's and changes nothing: gensim, without it, tries its
        pre-4.0 loader after a failure; fastw2v always raises the error, which names
        the file and the problem.

        ``train_count``, ``total_train_time``, ``min_alpha_yet_reached`` and
        ``lifecycle_events`` come from the file (a native file of an earlier version:
        an empty list; a gensim file: gensim's events), and a ``"loaded"`` event is
        added."""
        model = cls.from_state(ModelState.load(fname, mmap=mmap))
        model.add_lifecycle_event("loaded", log_level=logging.DEBUG, fname=str(fname))
        return model

    @classmethod
    def from_state(cls, state: ModelState) -> "Word2Vec":
        """A model over ``state`` (no callbacks, progress shown as by default;
        ``random`` is ``RandomState(seed)``)."""
        model = cls.__new__(cls)
        model.state = state
        model.hashfxn = hash
        return model

    def __getstate__(self) -> dict:
        """Pickling and ``copy``: the cached ``cum_table`` stays behind (it holds a weak
        reference; a copy computes its own when read)."""
        state = self.__dict__.copy()
        state.pop("_cum_table", None)
        return state

    def __copy__(self) -> "Word2Vec":
        """``copy.copy(model)`` as gensim's: the copy shares the vocabulary, ``wv`` and
        the weight matrices with the model, but its settings, counters and history are
        its own (``copy.alpha = 0.5``, or training the copy, leaves the model's settings,
        ``epochs_trained`` and per-epoch losses as they were). Without this the two would
        share one :class:`ModelState` and so every setting."""
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(self.__getstate__())
        new.state = self.state.__class__.__new__(self.state.__class__)
        new.state.__dict__.update(self.state.__getstate__())
        for holder in (new, new.state):        # lists and dicts of history and caches
            for name, value in vars(holder).items():
                if type(value) in (list, dict):
                    setattr(holder, name, type(value)(value))
        return new

    def __del__(self):
        try:
            self.state.drop_encoded()
        except Exception:
            pass

    def __str__(self) -> str:
        """gensim's string, word for word (its "created" lifecycle event and logs carry
        it); ``repr()`` adds the training mode."""
        c = self.config
        return f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={c.vector_size}, alpha={c.alpha}>"

    def __repr__(self) -> str:
        c = self.config
        return (f"{str(self)[:-1]}, {'sg' if c.sg else 'cbow'}, hs={c.hs}, "
                f"negative={c.negative}>")


for _name in _STATE_ATTRIBUTES:
    setattr(Word2Vec, _name, _state_property(_name))
for _name in TrainConfig.field_names():
    setattr(Word2Vec, _name, _config_property(_name))
del _name
