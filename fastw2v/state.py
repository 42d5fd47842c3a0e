"""``ModelState``: everything a trained model is, and the one save/load schema.

A :class:`ModelState` holds the configuration, the vocabulary, the weights (input vectors,
``syn1`` for hierarchical softmax, ``syn1neg`` for negative sampling), the tables derived
from the vocabulary (Huffman tree, noise table: built on first use and cached until the
vocabulary changes, as is the corpus file encoded to ids), and the training history
(epochs trained, per-epoch statistics, losses and learning rates). It initialises the
weights (fresh, reset, grown after a vocabulary update) and builds the kernel model over
them.

Saving and loading go through one schema, :data:`SAVED_FIELDS` (header values) and
:data:`SAVED_WEIGHTS` (optional matrices), plus the config, vocabulary and input vectors
that every file holds: :meth:`ModelState.save` writes what it lists, and
:meth:`ModelState.load` reads the same names back. :class:`fastw2v.Word2Vec`, io and
distributed training use this public API only.
"""
from __future__ import annotations

import logging
import math
import reprlib
import os
from typing import Dict, List, Optional

import numpy as np

from . import kernels
from .config import (TrainConfig, check_batch_words, check_unicode_errors, check_vocab_flag,
                     is_int, is_real)
from .corpus import EncodedCorpus, corpus_paths
from .errors import FormatError, VocabularyError
from .interrupts import deferred_interrupt
from .io.gensim_pickle import GensimModel, is_gensim_pickle, read_gensim
from .lifecycle import saved_events
from .io.native import (decode_strings, encode_strings, load_native, pack_attrs, save_native,
                        unpack_attrs)
from .tables import build_huffman, huffman_from_paths, keep_thresholds, noise_table, sigmoid_table
from .vectors.keyedvectors import KeyedVectors
from .vocab import (NULL_WORD, Vocab, VocabBuilder, extend_vocab, retained_in,
                    with_null_word)

logger = logging.getLogger("fastw2v")

#: the ``format`` value of a saved model's header
FORMAT = "fastw2v.Word2Vec"

#: The save/load schema: the header values saved beside ``config`` and the vocabulary,
#: each with the value a file written before the field existed loads with.
SAVED_FIELDS: Dict[str, object] = {
    "corpus_count": 0, "corpus_total_words": 0, "epochs_trained": 0,
    # in-vocabulary tokens of the last counted corpus: after build_vocab(update=True) the
    # counts cover every corpus, and train() on the last one schedules by this
    "corpus_retained_words": None,
    "epoch_losses": [], "epoch_alphas": [], "batch_words": 10000,
    "unicode_errors": "strict", "comment": None, "effective_min_count": None,
    "sorted_vocab": 1, "null_word": 0,
    # gensim's record of the model's life (Word2Vec's attributes of these names)
    "train_count": 0, "total_train_time": 0.0, "min_alpha_yet_reached": None,
    "lifecycle_events": [],
    # get_latest_training_loss(): the loss of the last train() call (gensim pickles it)
    "running_training_loss": 0.0,
}
def _checked_field(name: str, value):
    """A :data:`SAVED_FIELDS` value read from a file, checked against what a save writes
    (``ValueError`` otherwise, which the loader turns into ``FormatError``): a crafted
    header must not reach training as a string where a count belongs."""
    def need(ok, what):
        if not ok:
            raise ValueError(f"{name} is {reprlib.repr(value)}, not {what}")
    if name in ("corpus_count", "corpus_total_words", "epochs_trained"):
        need(is_int(value) and value >= 0, "an integer >= 0")
    elif name in ("epoch_losses", "epoch_alphas"):
        need(isinstance(value, list) and all(is_real(v) for v in value), "a list of numbers")
    elif name == "batch_words":
        check_batch_words(value)
    elif name == "unicode_errors":
        check_unicode_errors(value)
    elif name == "comment":
        need(value is None or isinstance(value, str), "None or a string")
    elif name in ("effective_min_count", "corpus_retained_words"):
        need(value is None or (is_int(value) and value >= 0), "None or an integer >= 0")
    elif name in ("sorted_vocab", "null_word"):
        check_vocab_flag(name, value)
    elif name == "train_count":
        need(is_int(value) and value >= 0, "an integer >= 0")
    elif name == "running_training_loss":
        need(is_real(value), "a number")
    elif name == "total_train_time":
        need(is_real(value) and math.isfinite(value) and value >= 0, "a number of seconds")
    elif name == "min_alpha_yet_reached":
        need(value is None or (is_real(value) and math.isfinite(value)),
             "None or a finite number")
    elif name == "lifecycle_events":
        need(value is None or (isinstance(value, list)
                               and all(isinstance(e, dict) for e in value)),
             "None or a list of objects")
    return value


#: Weight matrices saved when present, by attribute name (``wv.vectors`` always is, as
#: ``vectors``).
SAVED_WEIGHTS = ("syn1neg", "syn1")


class ModelState:
    """Configuration, vocabulary, weights, derived tables and training history.

    Attributes
    ----------
    config : TrainConfig
    vocab : Vocab or None
        None until a vocabulary is built.
    wv : KeyedVectors
        The input vectors (``wv.vectors`` float32 [V, vector_size]).
    syn1neg, syn1 : np.ndarray or None
        Output weights of negative sampling / hierarchical softmax, float32 [V, vector_size].
    corpus_count, corpus_total_words : int
        Sentences and tokens of the last corpus counted.
    corpus_retained_words : int or None
        Tokens of the last corpus counted that are in the vocabulary.
    epochs_trained : int
    epoch_losses, epoch_alphas : list of float
        Per completed epoch: mean loss (with ``compute_loss``), learning rate at its end.
    epoch_stats : list of EpochStats
    partial_epoch : EpochStats or None
        The epoch cut short by the last training, else None.
    running_training_loss : float
        With ``compute_loss``: the objective summed over every epoch (completed or cut
        short) since the current or last ``train()`` began (gensim's meaning).
    effective_min_count : int or None
        The lowest count a word needed to be kept by the last vocabulary built:
        ``min_count``, or more where ``max_final_vocab`` cut the vocabulary.
    batch_words, unicode_errors, comment
        Settings saved with the model.
    sorted_vocab, null_word : int
        gensim's vocabulary switches: 1 sorts words by descending count (0: first-seen
        order); 1 adds gensim's padding word ``"\\0"`` (count 1) at the end.
    """

    def __init__(self, config: TrainConfig, batch_words: int = 10000,
                 unicode_errors: str = "strict", comment=None, sorted_vocab: int = 1,
                 null_word: int = 0):
        self.config = config
        self.sorted_vocab = sorted_vocab
        self.null_word = null_word
        self.batch_words = batch_words
        self.unicode_errors = unicode_errors
        self.comment = comment
        self.vocab: Optional[Vocab] = None
        self.wv = KeyedVectors(config.vector_size)
        self.syn1neg: Optional[np.ndarray] = None
        self.syn1: Optional[np.ndarray] = None
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.corpus_retained_words: Optional[int] = None
        self.running_training_loss = 0.0
        self.effective_min_count: Optional[int] = None
        # gensim's record: train() calls completed, seconds in epochs, the learning rate
        # last reached (None: not trained yet) and its list of lifecycle events
        self.train_count = 0
        self.total_train_time = 0.0
        self.min_alpha_yet_reached: Optional[float] = None
        self.lifecycle_events: Optional[list] = []
        self.clear_history()
        self._tables: dict = {}
        self._encoded: Optional[EncodedCorpus] = None
        self._encoded_key = None

    def __getstate__(self) -> dict:
        """Pickling and ``copy``: everything but the encoded corpus, a cache on a
        temporary file that belongs to this state alone (a copy that trains on a file
        again encodes its own, and removing one copy's file cannot break the other)."""
        state = self.__dict__.copy()
        state["_encoded"] = state["_encoded_key"] = None
        return state

    # -- vocabulary and weights -----------------------------------------------------------
    def check_wv_matches_vocab(self) -> None:
        """:class:`VocabularyError` if ``wv``'s keys are no longer the vocabulary's words
        in its order: keys added to ``model.wv`` directly, or the keys reordered, would
        otherwise train the wrong rows. (The keys share their str objects with the
        vocabulary's, so the comparison is one identity check per key.)"""
        keys, words = self.wv.index_to_key, self.vocab.words
        if len(keys) == len(words) and keys == words:
            return
        at = next((i for i, (k, w) in enumerate(zip(keys, words)) if k != w),
                  min(len(keys), len(words)))
        raise VocabularyError(
            f"model.wv no longer matches the model's vocabulary ({len(keys)} keys against "
            f"{len(words)} words, first differing at row {at}): keys added to or reordered "
            "in model.wv directly are not part of the model; to add words use "
            "build_vocab(new_corpus, update=True)")

    def need_vocab(self) -> None:
        """``RuntimeError`` unless a vocabulary has been built."""
        if self.vocab is None:
            raise RuntimeError("the model has no vocabulary yet: call build_vocab() first "
                               "(or pass sentences=/corpus_file= to Word2Vec())")

    def set_vocab(self, builder: VocabBuilder, trim_rule=None, update: bool = False,
                  min_count: Optional[int] = None) -> None:
        """Make the vocabulary from ``builder``'s counts, then fresh weights (or, with
        ``update=True``, grow the existing vocabulary and weights); clears the caches.

        ``min_count`` (unless given) and ``max_final_vocab`` come from the
        configuration, ``sorted_vocab`` and ``null_word`` from the state.

        The vocabulary and the new weights are made first, then the state changes as
        one step that a Ctrl-C does not split (:func:`~fastw2v.interrupts.
        deferred_interrupt`): an interrupt leaves the model as it was or as it is to
        become, its vocabulary and vectors matching."""
        c = self.config
        if min_count is not None:
            c = c.replace(min_count=min_count)
        if update:
            self.need_vocab()
            self.check_wv_matches_vocab()       # before anything changes
            old_size = len(self.vocab)
            vocab = extend_vocab(self.vocab, builder, c.min_count, trim_rule)
        else:
            vocab = builder.finalize(c.min_count, c.max_final_vocab, trim_rule,
                                     sorted_vocab=bool(self.sorted_vocab))
        if self.null_word:
            vocab = with_null_word(vocab, by_count=bool(self.sorted_vocab) and not update)
        effective_min_count = c.min_count
        if not update and c.max_final_vocab is not None and len(vocab):
            kept = vocab.counts
            if self.null_word:
                kept = np.delete(kept, vocab.index[NULL_WORD])
            if len(kept):
                effective_min_count = max(c.min_count, int(kept.min()))
        retained = retained_in(vocab, builder)
        if update:
            rows = self._new_rows(vocab, old_size)
        else:
            fresh = self._fresh_weights(vocab)
        # the state changes from here on, as one step for Ctrl-C (the grown matrices are
        # made within it: made before, they would all be held twice at once)
        with deferred_interrupt():
            if update:
                self._set_grown_weights(vocab, old_size, rows)
            else:
                self._set_fresh_weights(*fresh)
            self.drop_encoded()
            self._tables = {}
            self.vocab = vocab
            self.effective_min_count = effective_min_count
            # the last counted corpus sizes train()'s default schedule
            self.corpus_count = builder.n_sentences
            self.corpus_total_words = builder.total_words
            self.corpus_retained_words = retained
        if update:
            logger.info("vocabulary update: %d new words (min_count=%d), %d in all",
                        len(vocab) - old_size, c.min_count, len(vocab))
        else:
            logger.info("vocabulary: %d words (min_count=%d) of %d distinct, %d of %d "
                        "tokens kept", len(vocab), c.min_count, len(builder.counter),
                        vocab.retained_words, builder.total_words)

    def adopt_vocab(self, other: "ModelState") -> None:
        """Share ``other``'s vocabulary, tables and corpus sizes, then fresh weights
        (gensim's ``reset_from``). The vocabulary is frozen, so sharing it is safe; a
        later vocabulary update of either state replaces that state's own reference."""
        other.need_vocab()
        self.vocab = other.vocab
        self.corpus_count = other.corpus_count
        self.corpus_total_words = other.corpus_total_words
        self.corpus_retained_words = other.corpus_retained_words
        self.effective_min_count = other.effective_min_count
        self.reset_weights()
        self._tables = dict(other._tables)
        self.drop_encoded()

    def fresh_vectors(self, n: int, rng) -> np.ndarray:
        """``n`` new input vectors, float32 [n, vector_size]."""
        # uniform in [-1, 1) / vector_size, as gensim 4 (the C tool uses half that range;
        # measured on the shipped sample, gensim's range scored slightly better for CBOW)
        d = self.config.vector_size
        vectors = kernels.layout.zeros(n, d)
        # in blocks of rows of about 256 KiB (the draws are the same as in one call), so
        # that no second [n, d] array, nor a large piece of one, raises the peak memory
        step = max(1, (1 << 16) // max(d, 1))
        for lo in range(0, n, step):
            vectors[lo:lo + step] = rng.random((min(step, n - lo), d), dtype=np.float32)
        vectors *= np.float32(2.0)
        vectors -= np.float32(1.0)
        vectors /= np.float32(d)
        return vectors

    def reset_weights(self) -> None:
        """Fresh weights for the vocabulary (seeded by ``seed``) and an empty history."""
        self._set_fresh_weights(*self._fresh_weights(self.vocab))

    def _fresh_weights(self, vocab):
        """Fresh ``(wv, syn1neg, syn1)`` for ``vocab``, the state unchanged."""
        c, V = self.config, len(vocab)
        # a negative seed (allowed, as in gensim) is taken modulo 2**64, as the trainer's
        # job seeds are; NumPy's generators refuse negative seeds
        vectors = self.fresh_vectors(V, np.random.default_rng(
            c.seed if c.seed >= 0 else c.seed & 0xFFFFFFFFFFFFFFFF))
        return (KeyedVectors(c.vector_size, vocab.words, vectors, vocab.counts),
                kernels.layout.zeros(V, c.vector_size) if c.negative else None,
                kernels.layout.zeros(V, c.vector_size) if c.hs else None)

    def _set_fresh_weights(self, wv, syn1neg, syn1) -> None:
        self.wv, self.syn1neg, self.syn1 = wv, syn1neg, syn1
        self.clear_history()

    def grow_weights(self, old_size: int) -> None:
        """Keep the first ``old_size`` rows of every matrix; new rows as fresh ones
        (input vectors random, seeded by ``(seed, old_size)``; output rows zero).

        With ``hs=1`` the Huffman tree is rebuilt from the new counts, so the old rows of
        ``syn1`` now belong to different inner nodes: training re-adapts them (as gensim).
        """
        with deferred_interrupt():
            self._set_grown_weights(self.vocab, old_size,
                                    self._new_rows(self.vocab, old_size))

    def _new_rows(self, vocab, old_size: int) -> np.ndarray:
        """Fresh input rows for the words of ``vocab`` past ``old_size``."""
        c = self.config
        return self.fresh_vectors(len(vocab) - old_size,
                                  np.random.default_rng([c.seed & 0xFFFFFFFF, old_size]))

    def _set_grown_weights(self, vocab, old_size: int, rows) -> None:
        """Every matrix grown to ``vocab``: its first ``old_size`` rows kept, ``rows``
        the new input rows, the new output rows zero. (Each grown matrix is made as the
        old one is dropped, so the peak memory holds one matrix twice, not all.)"""
        c, V = self.config, len(vocab)

        def grow(arr):
            if arr is None:
                return None
            out = kernels.layout.zeros(V, c.vector_size)
            out[:old_size] = arr[:old_size]
            return out

        # the same KeyedVectors grows, as gensim's does, so that a reference to model.wv
        # taken before stays the model's; add_vectors gives a per-word vectors_lockf 1.0
        # (trainable) for the new words
        if len(rows):
            self.wv.add_vectors(vocab.words[old_size:], rows)
        self.wv.expandos["count"] = np.array(vocab.counts, dtype=np.int64)
        self.wv.vectors = kernels.layout.trainable(self.wv.vectors)
        self.syn1neg = grow(self.syn1neg)
        self.syn1 = grow(self.syn1)

    def weights(self) -> Dict[str, np.ndarray]:
        """The weight matrices present, by saved name (``vectors``, ``syn1neg``, ``syn1``)."""
        out = {"vectors": self.wv.vectors, "syn1neg": self.syn1neg, "syn1": self.syn1}
        return {k: v for k, v in out.items() if v is not None}

    # -- history --------------------------------------------------------------------------
    def clear_history(self) -> None:
        self.epochs_trained = 0
        self.epoch_losses: List[float] = []
        self.epoch_alphas: List[float] = []
        self.epoch_stats: list = []
        self.partial_epoch = None

    def record_epoch(self, stats, alpha: float) -> None:
        """Count a completed epoch: its statistics, the learning rate at its end (also
        gensim's ``min_alpha_yet_reached``), its seconds (added to ``total_train_time``)
        and, if the epoch computed it (``compute_loss``), its loss."""
        self.epochs_trained += 1
        self.epoch_stats.append(stats)
        self.epoch_alphas.append(float(alpha))
        self.min_alpha_yet_reached = float(alpha)
        self.total_train_time += stats.seconds
        computed = stats.loss_computed
        if self.config.compute_loss if computed is None else computed:
            self.epoch_losses.append(stats.mean_loss)
            self.running_training_loss += stats.loss

    # -- tables and the kernel model ------------------------------------------------------
    def _table(self, key, build):
        if key not in self._tables:
            self._tables[key] = build()
        return self._tables[key]

    def huffman(self):
        """The Huffman tree of the vocabulary (one for training and predictions)."""
        self.need_vocab()
        return self._table("huffman", lambda: build_huffman(self.vocab.counts))

    def noise(self):
        """The noise distribution of negative sampling for the current ``ns_exponent``."""
        self.need_vocab()
        exponent = self.config.ns_exponent
        return self._table(("noise", exponent),
                           lambda: noise_table(self.vocab.counts, exponent))

    def build_tables(self) -> dict:
        """Build the tables the configuration trains with; returns them (to hand to
        :meth:`use_tables` of another state over the same vocabulary)."""
        if self.config.hs:
            self.huffman()
        if self.config.negative:
            self.noise()
        return dict(self._tables)

    def use_tables(self, tables: dict) -> None:
        """Adopt tables built by :meth:`build_tables` over the same vocabulary."""
        self._tables = dict(tables)

    def kernel_model(self, compute_loss: bool) -> "kernels.Model":
        """A kernel model training this state's weights in place (output weights that
        the configuration needs but the state lacks are created, zero)."""
        self.need_vocab()
        self.check_wv_matches_vocab()
        c, V = self.config, len(self.vocab)
        huff = self.huffman() if c.hs else None
        noise = self.noise() if c.negative else None
        # weights may be missing (model loaded before hs/negative were switched on)
        if c.hs and self.syn1 is None:
            self.syn1 = kernels.layout.zeros(V, c.vector_size)
        if c.negative and self.syn1neg is None:
            self.syn1neg = kernels.layout.zeros(V, c.vector_size)
        for name, arr in (("wv.vectors", self.wv.vectors), ("syn1", self.syn1),
                          ("syn1neg", self.syn1neg)):
            if arr is not None and not arr.flags.writeable:
                raise ValueError(f"{name} is read-only (model loaded with mmap='r'?); load "
                                 "with mmap=None or mmap='c' to continue training")
        # matrices loaded from disk (or set by hand) move into the kernels' layout once:
        # rows on cache-line boundaries (kernels/layout.py); a no-op for trained ones
        self.wv.vectors = kernels.layout.trainable(self.wv.vectors)
        if self.syn1 is not None:
            self.syn1 = kernels.layout.trainable(self.syn1)
        if self.syn1neg is not None:
            self.syn1neg = kernels.layout.trainable(self.syn1neg)
        keep = self.vocab.keep_probabilities(c.sample)
        return kernels.Model(
            self.wv.vectors, self.syn1, self.syn1neg, sg=c.sg, hs=c.hs, negative=c.negative,
            window=c.window, cbow_mean=c.cbow_mean, shrink_windows=c.shrink_windows,
            compute_loss=compute_loss,
            keep_threshold=keep_thresholds(keep) if c.sample > 0 else None,
            codes=huff.codes if huff else None, points=huff.points if huff else None,
            code_offsets=huff.offsets if huff else None,
            alias_threshold=noise.threshold if noise else None,
            alias_index=noise.alias if noise else None, sigmoid=sigmoid_table(),
            shared_negatives=c.shared_negatives, register_kernels=kernels.REGISTER_KERNELS,
            lockf=self.lockf())

    def lockf(self) -> Optional[np.ndarray]:
        """The input rows' update factors for the kernels: ``wv.vectors_lockf`` (gensim's
        attribute: row ``r``'s update is scaled by ``lockf[r % len(lockf)]``), or None
        where it is absent or all ones (the kernels then skip the multiplication)."""
        lockf = np.ascontiguousarray(self.wv.vectors_lockf, dtype=np.float32).reshape(-1)
        if lockf.size == 0:
            raise ValueError("wv.vectors_lockf is empty: use np.ones(1, np.float32) (train "
                             "every row) or one factor per row")
        if not np.all(np.isfinite(lockf)):
            # a NaN factor would silently train every vector it touches to NaN
            raise ValueError("wv.vectors_lockf holds values that are not finite (NaN or "
                             "inf): use 0.0 to freeze a row and 1.0 to train it")
        return None if np.all(lockf == 1.0) else lockf

    # -- the corpus file encoded to ids -----------------------------------------------------
    def encoded(self, corpus_file) -> EncodedCorpus:
        """``corpus_file`` encoded to ids over the vocabulary, kept while neither the
        files (size, modification time) nor the vocabulary change."""
        self.need_vocab()
        paths = corpus_paths(corpus_file)
        key = (tuple(os.path.abspath(p) for p in paths),
               tuple((os.path.getsize(p), os.path.getmtime(p)) for p in paths), id(self.vocab))
        if self._encoded is None or self._encoded_key != key:
            self.drop_encoded()
            self._encoded = EncodedCorpus(corpus_file, self.vocab.index, self.unicode_errors,
                                          threads=self.config.workers)
            self._encoded_key = key
            logger.info("encoded %s: %d words in vocabulary, %d sentences",
                        corpus_file, self._encoded.n_words, self._encoded.n_sentences)
        return self._encoded

    def drop_encoded(self) -> None:
        """Close the encoded corpus (its temporary file goes away)."""
        if self._encoded is not None:
            self._encoded.close()
        self._encoded = None
        self._encoded_key = None

    # -- persistence ------------------------------------------------------------------------
    def save(self, fname, ignore=()) -> None:
        """Write the state to one native file, atomically (the schema above).

        ``ignore``: names of :data:`SAVED_WEIGHTS` matrices to leave out (they load as
        None; training creates them again, zero)."""
        self.need_vocab()
        self.check_weights(ignore)      # before anything is written: load() would refuse it
        blob, offsets = encode_strings(self.vocab.words)
        arrays = {"words_blob": blob, "words_offsets": offsets, "counts": self.vocab.counts,
                  "vectors": self.wv.vectors,
                  "vectors_lockf": np.ascontiguousarray(self.wv.vectors_lockf, np.float32)}
        for name in SAVED_WEIGHTS:
            if getattr(self, name) is not None and name not in ignore:
                arrays[name] = getattr(self, name)
        # the other per-key attributes (the vocabulary's counts are saved above)
        attr_arrays, attr_lists = pack_attrs(
            {a: v for a, v in self.wv.expandos.items() if a != "count"}, len(self.vocab))
        arrays.update(attr_arrays)
        if self.syn1 is not None and "syn1" not in ignore:
            # the tree syn1 was trained for, always: one taken over from gensim or from a
            # file of an earlier build need not be the one the counts give now
            tree = self.huffman()
            arrays.update(huffman_codes=tree.codes, huffman_points=tree.points,
                          huffman_offsets=tree.offsets)
        meta = {"format": FORMAT, "config": self.config.as_dict(),
                "vocab_total_words": self.vocab.total_words}
        meta.update((name, getattr(self, name)) for name in SAVED_FIELDS)
        if attr_lists:
            meta["object_attrs"] = attr_lists
        if self.lifecycle_events is not None:
            # events may hold anything a caller of add_lifecycle_event passed (gensim
            # pickles it): what JSON cannot hold is saved as its str()
            meta["lifecycle_events"] = saved_events(self.lifecycle_events)
        save_native(fname, meta, arrays)

    @classmethod
    def load(cls, fname, mmap=None) -> "ModelState":
        """Read a file written by :meth:`save`, or a Word2Vec model saved by gensim 4's
        ``save()`` (read without gensim and without running code from the file; see
        :mod:`fastw2v.io.gensim_pickle`). ``FormatError`` if it is neither."""
        if is_gensim_pickle(fname):
            return cls.from_gensim(read_gensim(fname, mmap=mmap))
        meta, arrays = load_native(fname, mmap=mmap)
        if meta.get("format") != FORMAT:
            raise FormatError(f"{os.fspath(fname)}: not a fastw2v Word2Vec file (format "
                              f"{meta.get('format')!r}; KeyedVectors.load() reads "
                              "'fastw2v.KeyedVectors' files)")
        try:
            return cls._from_native(meta, arrays)
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{fname}: corrupt Word2Vec file ({type(exc).__name__}: "
                              f"{exc})") from None

    @classmethod
    def from_gensim(cls, g: GensimModel) -> "ModelState":
        """The state of a gensim 4 ``Word2Vec`` read by :func:`read_gensim`: vocabulary,
        counts, weights, ``vectors_lockf``, parameters and corpus totals, so that
        ``train()`` continues where gensim stopped. gensim records ``train()`` calls, not
        epochs: ``epochs_trained`` is taken as calls x ``epochs``."""
        if g.kind != "word2vec":
            raise FormatError(f"{g.path}: a gensim KeyedVectors file, not a Word2Vec model: "
                              "read it with KeyedVectors.load()")
        names = set(TrainConfig.field_names())
        t = g.training
        try:
            # every value as a native file's is checked: a model loaded from gensim must
            # train, and save to a file that loads again
            config = TrainConfig(**{k: v for k, v in g.params.items() if k in names})
            fields = {"batch_words": g.params.get("batch_words", 10000),
                      "comment": g.params.get("comment"),
                      "sorted_vocab": g.params.get("sorted_vocab", 1),
                      "null_word": g.params.get("null_word", 0),
                      "corpus_count": t.get("corpus_count") or 0,
                      "corpus_total_words": t.get("corpus_total_words") or 0,
                      "running_training_loss": t.get("running_training_loss") or 0.0,
                      "effective_min_count": t.get("effective_min_count")}
            fields = {name: _checked_field(name, value) for name, value in fields.items()}
        except (ValueError, OverflowError) as exc:     # ParameterError too; ints past floats
            raise FormatError(f"{g.path}: corrupt gensim model ({exc})") from None
        state = cls(config, batch_words=fields["batch_words"], comment=fields["comment"],
                    sorted_vocab=int(fields["sorted_vocab"]), null_word=int(fields["null_word"]))
        counts = g.counts if g.counts is not None else np.zeros(len(g.index_to_key), np.int64)
        state.corpus_count = int(fields["corpus_count"])
        state.corpus_total_words = int(fields["corpus_total_words"])
        state.vocab = Vocab(g.index_to_key, counts, state.corpus_total_words or None,
                            state.corpus_count, require_sorted=False)
        state.wv = KeyedVectors(config.vector_size, g.index_to_key, g.vectors, counts)
        state.wv.expandos.update(g.attrs)
        if g.vectors_lockf is not None:
            state.wv.vectors_lockf = g.vectors_lockf
        state.syn1neg, state.syn1 = g.syn1neg, g.syn1
        try:
            for name in ("train_count", "total_train_time", "min_alpha_yet_reached"):
                value = t.get(name)
                if value is not None:
                    setattr(state, name, _checked_field(name, value))
        except (ValueError, OverflowError) as exc:
            raise FormatError(f"{g.path}: corrupt gensim model ({exc})") from None
        try:
            running_loss = float(fields["running_training_loss"])
        except OverflowError:
            raise FormatError(f"{g.path}: corrupt gensim model (running_training_loss "
                              "is an int beyond any float)") from None
        state.epochs_trained = state.train_count * config.epochs
        state.lifecycle_events = list(g.lifecycle_events)
        state.running_training_loss = running_loss
        state.effective_min_count = fields["effective_min_count"]
        if g.huffman_paths is not None:
            # syn1's rows are the inner nodes of gensim's own tree, whose ties between
            # equal counts can fall otherwise than in a tree rebuilt from the counts
            state._tables["huffman"] = huffman_from_paths(*g.huffman_paths, len(counts))
        return state

    @classmethod
    def _from_native(cls, meta: dict, arrays: dict) -> "ModelState":
        if not isinstance(meta.get("config"), dict):
            raise TypeError("the header has no 'config' object")
        state = cls(TrainConfig(**meta["config"]))
        for name, default in SAVED_FIELDS.items():
            value = _checked_field(name, meta.get(name, default))
            setattr(state, name, list(value) if isinstance(default, list) and value is not None
                    else value)
        total = meta.get("vocab_total_words")
        if total is not None and not (is_int(total) and total >= 0):
            raise ValueError(f"vocab_total_words is {total!r}")
        words = decode_strings(arrays["words_blob"], arrays["words_offsets"])
        if arrays["counts"].dtype.kind not in "iu":
            raise ValueError(f"counts have dtype {arrays['counts'].dtype}, not integers")
        state.vocab = Vocab(words, np.array(arrays["counts"]), total,
                            state.corpus_count, require_sorted=False)
        state.wv = KeyedVectors(state.config.vector_size, words, arrays["vectors"],
                                state.vocab.counts)
        if "vectors_lockf" in arrays:           # absent from files of earlier versions
            lockf = np.array(arrays["vectors_lockf"], dtype=np.float32)
            if lockf.ndim != 1 or len(lockf) == 0 or not np.all(np.isfinite(lockf)):
                raise ValueError(f"vectors_lockf has shape {lockf.shape} or values that "
                                 "are not finite")
            state.wv.vectors_lockf = lockf
        # per-key attributes (set_vecattr)
        state.wv.expandos.update(unpack_attrs(arrays, meta.get("object_attrs", {}), len(words)))
        for name in SAVED_WEIGHTS:
            setattr(state, name, arrays.get(name))
        state.check_weights()
        if "huffman_offsets" in arrays:         # absent from files of earlier versions
            state._tables["huffman"] = huffman_from_paths(
                np.array(arrays["huffman_codes"]), np.array(arrays["huffman_points"]),
                np.array(arrays["huffman_offsets"]), len(words))
        elif state.syn1 is not None:
            # a file of an earlier build, whose syn1 rows are the nodes of the tree that
            # build made (ties between equal counts broken otherwise than gensim's heap)
            state._tables["huffman"] = build_huffman(state.vocab.counts, ties="two-queue")
        return state

    def check_weights(self, ignore=()) -> None:
        """``ValueError`` unless ``wv.vectors`` and the output weights (but those named in
        ``ignore``) are float32 [len(vocabulary), vector_size], in either byte order:
        what the kernels train and the native file holds. :meth:`save` checks first, so
        that a model it writes always loads again."""
        shape = (len(self.vocab), self.config.vector_size)
        for name, arr in (("wv.vectors", self.wv.vectors),
                          *((n, getattr(self, n)) for n in SAVED_WEIGHTS if n not in ignore)):
            if arr is None:
                continue
            if arr.shape != shape:
                way_out = ("set it to None (training makes it again, zero) or leave it out "
                           "with save(ignore=...)" if name != "wv.vectors" else
                           "save the vectors alone with wv.save()")
            elif arr.dtype.kind != "f" or arr.dtype.itemsize != 4:
                way_out = "convert it with .astype(np.float32)"
            else:
                continue
            raise ValueError(f"{name} has shape {arr.shape} and dtype {arr.dtype}; a Word2Vec "
                             f"model keeps float32 {shape} (vocabulary x vector_size): "
                             f"{way_out}")
