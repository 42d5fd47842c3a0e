"""``Word2Vec``: a thin front end wiring vocabulary, tables, kernels and trainer together.

Parameter and attribute names are gensim 4's. Data flows one way::

    corpus -> VocabBuilder -> Vocab -> (Huffman tree, noise table, keep thresholds)
           -> encoded ids -> kernels (update weights in place) -> KeyedVectors
"""
from __future__ import annotations

import logging
import math
import os
from typing import Dict, List, Optional

import numpy as np

from . import kernels as _kernels
from .config import ParameterError, TrainConfig, _is_flag, _is_int, _is_real
from .corpus import CorpusError, EncodedCorpus, check_iterable, corpus_paths
from .io.native import FormatError, decode_strings, encode_strings, load_native, save_native
from .vectors.keyedvectors import KeyedVectors
from .vectors.output_space import OutputSpaceMixin
from .training.progress import make_progress, progress_enabled
from .tables import build_huffman, keep_thresholds, noise_table, sigmoid_table
from .training.trainer import (EpochStats, Trainer, corpus_blocks, exclusive, iter_id_batches,
                      log_stopped)
from .vocab import (Vocab, VocabBuilder, builder_from_counts, extend_vocab,
                    read_vocab_counts, retained_in)

logger = logging.getLogger("fastw2v")

_FORMAT = "fastw2v.Word2Vec"


def _check_trim_rule(trim_rule) -> None:
    if trim_rule is not None and not callable(trim_rule):
        raise ParameterError(f"trim_rule={trim_rule!r} is invalid: must be None or a callable "
                             "trim_rule(word, count, min_count)")


def _check_progress(progress) -> None:
    """``ParameterError`` unless ``progress`` is None, a flag, 'tqdm' or 'plain'."""
    ok = progress is None or (isinstance(progress, str) and progress in ("tqdm", "plain")) \
        or _is_flag(progress)
    if ok:
        try:
            progress_enabled(progress)
        except ValueError:
            ok = False
    if not ok:
        raise ParameterError(f"progress={progress!r} is invalid: use True, False, None, "
                             "'tqdm' or 'plain'")


def _check_callbacks(callbacks) -> tuple:
    if callbacks is None:
        return ()
    if isinstance(callbacks, (str, bytes)) or not hasattr(callbacks, "__iter__"):
        raise ParameterError(f"callbacks={callbacks!r} is invalid: must be a sequence of "
                             "callback objects (e.g. [MyCallback()])")
    return tuple(callbacks)


def _config_property(name):
    def get(self):
        return getattr(self.config, name)

    def set(self, value):
        self.config = self.config.replace(**{name: value})

    return property(get, set, doc=f"Training parameter ``{name}`` (see :class:`TrainConfig`).")


class Word2Vec(OutputSpaceMixin):
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
    trim_rule : callable, optional
        ``trim_rule(word, count, min_count)`` returning ``RULE_DISCARD``, ``RULE_KEEP`` or
        ``RULE_DEFAULT`` (gensim's convention).
    batch_words : int
        Words per job handed to a worker in ``sentences`` mode.
    callbacks : sequence
        Objects with any of ``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end``,
        ``on_train_end`` methods, each called with the model (see
        :mod:`fastw2v.training.callbacks`). A callback stops training early by setting
        ``model.stop_training = True``: no further epoch starts.
    progress : bool, str or None
        Progress bar for ``build_vocab`` and ``train`` (words/s, alpha, loss, ETA):
        ``None`` shows it only when stderr is a terminal, ``False`` never, ``True``
        always; ``"tqdm"``/``"plain"`` pick the drawer (default: tqdm if installed).
    unicode_errors : {"strict", "replace", "ignore"}
        What to do with bytes in ``corpus_file`` that are not UTF-8: ``strict`` raises
        :class:`fastw2v.corpus.CorpusError` naming the file, line and byte offset.
    shared_negatives : bool
        Opt-in fast mode for ``sg=1`` with negative sampling (see
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
    """

    stop_training = False
    partial_epoch: Optional[EpochStats] = None
    progress = None

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, sample=1e-3, seed=1,
                 workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75,
                 cbow_mean=1, epochs=5, trim_rule=None, batch_words=10000,
                 compute_loss=False, callbacks=(), comment=None, max_final_vocab=None,
                 shrink_windows=True, unicode_errors="strict", progress=None,
                 shared_negatives=False, reproducible=False):
        self.config = TrainConfig(
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
            min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, epochs=epochs, max_final_vocab=max_final_vocab,
            shrink_windows=shrink_windows, compute_loss=compute_loss,
            shared_negatives=shared_negatives, reproducible=reproducible)
        if not _is_int(batch_words) or batch_words < 1:
            raise ParameterError(f"batch_words={batch_words!r} is invalid: must be an integer >= 1")
        batch_words = int(batch_words)
        _check_trim_rule(trim_rule)
        if unicode_errors not in ("strict", "replace", "ignore"):
            raise ParameterError(f"unicode_errors={unicode_errors!r} is invalid: use 'strict', "
                                 "'replace' or 'ignore'")
        _check_progress(progress)
        self.batch_words = batch_words
        self.unicode_errors = unicode_errors
        self.progress = progress
        self.callbacks = _check_callbacks(callbacks)
        self.comment = comment
        self.vocab: Optional[Vocab] = None
        self.wv = KeyedVectors(vector_size)
        self.syn1neg: Optional[np.ndarray] = None
        self.syn1: Optional[np.ndarray] = None
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.epochs_trained = 0
        self.epoch_losses: List[float] = []
        self.epoch_alphas: List[float] = []
        self.epoch_stats: List[EpochStats] = []
        self._encoded: Optional[EncodedCorpus] = None
        self._encoded_key = None
        self._tables = None
        if sentences is not None and corpus_file is not None:
            raise ValueError("pass either sentences or corpus_file, not both")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, callbacks=self.callbacks)

    # -- vocabulary ---------------------------------------------------------------------
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False,
                    progress_per=10000, keep_raw_vocab=False, trim_rule=None, progress=None,
                    **kwargs):
        """Count the corpus, build the vocabulary and initialise the weights.

        With ``update=True`` the vocabulary of a built (and possibly trained) model grows
        instead: existing words keep their rows and trained vectors (their counts get the
        new corpus's counts added), words new to the model that reach ``min_count`` in the
        new corpus are appended and initialised like fresh ones, the output layers grow
        and the Huffman tree and noise distribution are rebuilt from the new counts; a
        following ``train()`` continues from there. ``progress`` overrides the model's
        progress setting for this call.
        """
        if kwargs:
            raise TypeError(f"build_vocab() got unexpected arguments: {sorted(kwargs)}")
        if not _is_int(progress_per) or progress_per < 1:
            raise ParameterError(f"progress_per={progress_per!r} is invalid: must be an "
                                 "integer >= 1")
        _check_trim_rule(trim_rule)
        if progress is not None:
            _check_progress(progress)
        with exclusive(self, "build_vocab()"):
            if update:
                self._need_vocab()
            builder = VocabBuilder(self.config.max_vocab_size)
            source = self._check_source(corpus_iterable, corpus_file)
            bar = make_progress(self.progress if progress is None else progress,
                                "vocabulary")

            def report(b):
                bar.update(b.total_words, distinct=b.distinct)
            try:
                if corpus_file is not None:
                    builder.add_file(source, self.unicode_errors, report, progress_per)
                else:
                    builder.add_sentences(source, report, progress_per)
                report(builder)
            finally:
                bar.close()
            self._set_vocab(builder, trim_rule, update)
        return self

    def build_vocab_from_freq(self, word_freq: Dict[str, int], keep_raw_vocab=False,
                              corpus_count=None, trim_rule=None, update=False):
        """Build the vocabulary from ``{word: count}`` instead of a corpus (gensim's name);
        ``update=True`` grows the existing vocabulary as :meth:`build_vocab` does."""
        _check_trim_rule(trim_rule)
        with exclusive(self, "build_vocab_from_freq()"):
            if update:
                self._need_vocab()
            builder = builder_from_counts(word_freq)
            if corpus_count is not None:
                builder.n_sentences = int(corpus_count)
            self._set_vocab(builder, trim_rule, update)
        return self

    def read_vocab(self, path, trim_rule=None):
        """Use the vocabulary file ``path`` (``word count`` lines, the C tool's
        ``-save-vocab`` format) instead of counting the corpus."""
        return self.build_vocab_from_freq(read_vocab_counts(path), trim_rule=trim_rule)

    def save_vocab(self, path) -> None:
        """Write the vocabulary as ``word count`` lines (the C tool's ``-save-vocab``)."""
        self._need_vocab()
        self.vocab.save(path)

    def _set_vocab(self, builder: VocabBuilder, trim_rule, update: bool = False) -> None:
        c = self.config
        if update:
            old_size = len(self.vocab)
            self.vocab = extend_vocab(self.vocab, builder, c.min_count, trim_rule)
            logger.info("vocabulary update: %d new words (min_count=%d), %d in all",
                        len(self.vocab) - old_size, c.min_count, len(self.vocab))
        else:
            self.vocab = builder.finalize(c.min_count, c.max_final_vocab, trim_rule)
            logger.info("vocabulary: %d words (min_count=%d) of %d distinct, %d of %d "
                        "tokens kept", len(self.vocab), c.min_count, len(builder.counter),
                        self.vocab.retained_words, builder.total_words)
        # the last counted corpus sizes train()'s default schedule
        self.corpus_count = builder.n_sentences
        self.corpus_total_words = builder.total_words
        self._corpus_retained_words = retained_in(self.vocab, builder)
        if update:
            self._grow_weights(old_size)
        else:
            self._reset_weights()
        self._tables = None
        self._drop_encoded()

    def _fresh_vectors(self, n: int, rng) -> np.ndarray:
        # uniform in [-1, 1) / vector_size, as gensim 4 (the C tool uses half that range;
        # measured on the shipped sample, gensim's range scored slightly better for CBOW)
        d = self.config.vector_size
        vectors = rng.random((n, d), dtype=np.float32)
        vectors *= np.float32(2.0)
        vectors -= np.float32(1.0)
        vectors /= np.float32(d)
        return vectors

    def _reset_weights(self) -> None:
        c, V = self.config, len(self.vocab)
        # a negative seed (allowed, as in gensim) is taken modulo 2**64, as the trainer's
        # job seeds are; NumPy's generators refuse negative seeds
        vectors = self._fresh_vectors(V, np.random.default_rng(
            c.seed if c.seed >= 0 else c.seed & 0xFFFFFFFFFFFFFFFF))
        self.wv = KeyedVectors(c.vector_size, self.vocab.words, vectors, self.vocab.counts)
        self.syn1neg = np.zeros((V, c.vector_size), dtype=np.float32) if c.negative else None
        self.syn1 = np.zeros((V, c.vector_size), dtype=np.float32) if c.hs else None
        self.epochs_trained = 0
        self.epoch_losses = []
        self.epoch_alphas = []
        self.epoch_stats = []
        self.partial_epoch = None

    def _grow_weights(self, old_size: int) -> None:
        """Keep the first ``old_size`` rows of every matrix; new rows as fresh ones
        (input vectors random, seeded by ``(seed, old_size)``; output rows zero).

        With ``hs=1`` the Huffman tree is rebuilt from the new counts, so the old rows of
        ``syn1`` now belong to different inner nodes: training re-adapts them (as gensim).
        """
        c, V = self.config, len(self.vocab)
        extra = V - old_size

        def grow(arr):
            if arr is None:
                return None
            out = np.zeros((V, c.vector_size), dtype=np.float32)
            out[:old_size] = arr[:old_size]
            return out

        vectors = grow(self.wv.vectors)
        if extra:
            vectors[old_size:] = self._fresh_vectors(
                extra, np.random.default_rng([c.seed & 0xFFFFFFFF, old_size]))
        self.wv = KeyedVectors(c.vector_size, self.vocab.words, vectors, self.vocab.counts)
        self.syn1neg = grow(self.syn1neg)
        self.syn1 = grow(self.syn1)

    def _need_vocab(self) -> None:
        if self.vocab is None:
            raise RuntimeError("the model has no vocabulary yet: call build_vocab() first "
                               "(or pass sentences=/corpus_file= to Word2Vec())")

    @staticmethod
    def _check_source(corpus_iterable, corpus_file):
        if (corpus_iterable is None) == (corpus_file is None):
            raise ValueError("pass exactly one of corpus_iterable (sentences) or corpus_file")
        if corpus_file is not None:
            corpus_paths(corpus_file)
            return corpus_file
        check_iterable(corpus_iterable)
        return corpus_iterable

    # -- training -----------------------------------------------------------------------
    def _table(self, key, build):
        """A table derived from the vocabulary (Huffman tree, noise distribution), built on
        first use and kept until the vocabulary changes (``_tables`` is reset then)."""
        if self._tables is None:
            self._tables = {}
        if key not in self._tables:
            self._tables[key] = build()
        return self._tables[key]

    def _huffman(self):
        """The Huffman tree of the vocabulary: one for training and predict_output_word."""
        return self._table("huffman", lambda: build_huffman(self.vocab.counts))

    def _kernel_model(self, compute_loss: bool) -> "_kernels.Model":
        c, V = self.config, len(self.vocab)
        huff = self._huffman() if c.hs else None
        noise = self._table(("noise", c.ns_exponent),
                            lambda: noise_table(self.vocab.counts, c.ns_exponent)) if c.negative else None
        # weights may be missing (model loaded before hs/negative were switched on)
        if c.hs and self.syn1 is None:
            self.syn1 = np.zeros((V, c.vector_size), dtype=np.float32)
        if c.negative and self.syn1neg is None:
            self.syn1neg = np.zeros((V, c.vector_size), dtype=np.float32)
        for name, arr in (("wv.vectors", self.wv.vectors), ("syn1", self.syn1),
                          ("syn1neg", self.syn1neg)):
            if arr is not None and not arr.flags.writeable:
                raise ValueError(f"{name} is read-only (model loaded with mmap='r'?); load "
                                 "with mmap=None or mmap='c' to continue training")
        keep = self.vocab.keep_probabilities(c.sample)
        return _kernels.Model(
            self.wv.vectors, self.syn1, self.syn1neg, sg=c.sg, hs=c.hs, negative=c.negative,
            window=c.window, cbow_mean=c.cbow_mean, shrink_windows=c.shrink_windows,
            compute_loss=compute_loss,
            keep_threshold=keep_thresholds(keep) if c.sample > 0 else None,
            codes=huff.codes if huff else None, points=huff.points if huff else None,
            code_offsets=huff.offsets if huff else None,
            alias_threshold=noise.threshold if noise else None,
            alias_index=noise.alias if noise else None, sigmoid=sigmoid_table(),
            shared_negatives=c.shared_negatives)

    def _encode(self, corpus_file) -> EncodedCorpus:
        paths = corpus_paths(corpus_file)
        key = (tuple(os.path.abspath(p) for p in paths),
               tuple((os.path.getsize(p), os.path.getmtime(p)) for p in paths), id(self.vocab))
        if self._encoded is None or self._encoded_key != key:
            self._drop_encoded()
            self._encoded = EncodedCorpus(corpus_file, self.vocab.index, self.unicode_errors)
            self._encoded_key = key
            logger.info("encoded %s: %d words in vocabulary, %d sentences",
                        corpus_file, self._encoded.n_words, self._encoded.n_sentences)
        return self._encoded

    def _drop_encoded(self) -> None:
        if getattr(self, "_encoded", None) is not None:
            self._encoded.close()
        self._encoded = None
        self._encoded_key = None

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None,
              total_words=None, epochs=None, start_alpha=None, end_alpha=None, word_count=0,
              queue_factor=2, report_delay=1.0, compute_loss=None, callbacks=(),
              progress=None, **kwargs):
        """Train on a corpus for ``epochs`` passes (gensim's signature).

        Calling ``train()`` again continues training from the current weights.
        ``total_examples``/``total_words`` (sentences/tokens per epoch) size the
        learning-rate schedule in ``sentences`` mode; they default to the counts seen by
        ``build_vocab``. In ``corpus_file`` mode the exact word count is known and used.

        Callbacks (``callbacks``, else the model's) get ``on_train_begin``,
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
            return self._train(corpus_iterable, corpus_file, total_examples, total_words,
                               epochs, start_alpha, end_alpha, report_delay, compute_loss,
                               callbacks, progress)

    def _train(self, corpus_iterable, corpus_file, total_examples, total_words, epochs,
               start_alpha, end_alpha, report_delay, compute_loss, callbacks, progress):
        self._need_vocab()
        c = self.config
        epochs = c.epochs if epochs is None else epochs
        if not _is_int(epochs) or epochs < 1:
            raise ParameterError(f"epochs={epochs!r} is invalid: must be an integer >= 1")
        epochs = int(epochs)
        for name, value, low in (("start_alpha", start_alpha, "> 0"),
                                 ("end_alpha", end_alpha, ">= 0")):
            if value is not None and not (_is_real(value) and math.isfinite(value)
                                          and (value > 0 if low == "> 0" else value >= 0)):
                raise ParameterError(f"{name}={value!r} is invalid: must be None or a finite "
                                     f"number {low}")
        start_alpha = c.alpha if start_alpha is None else float(start_alpha)
        end_alpha = c.min_alpha if end_alpha is None else float(end_alpha)
        for name, value in (("total_examples", total_examples), ("total_words", total_words)):
            if value is not None and not (_is_int(value) and value >= 0):
                raise ParameterError(f"{name}={value!r} is invalid: must be None or an "
                                     "integer >= 0")
        if isinstance(report_delay, bool) or not isinstance(report_delay, (int, float)) \
                or not report_delay > 0:
            raise ParameterError(f"report_delay={report_delay!r} is invalid: must be a "
                                 "number of seconds > 0")
        progress = self.progress if progress is None else progress
        _check_progress(progress)
        if compute_loss is not None:
            self.config = c = c.replace(compute_loss=compute_loss)    # validated there
        source = self._check_source(corpus_iterable, corpus_file)
        callbacks = _check_callbacks(callbacks) or self.callbacks

        if corpus_file is not None:
            enc = self._encode(source)
            if enc.n_words == 0:
                raise CorpusError(f"no word of {corpus_file!r} is in the vocabulary")
            words_per_epoch = enc.n_words
            ids = enc.ids
            blocks = corpus_blocks(len(ids), c.workers)

            # an epoch's raw token count spread over its jobs (exact sum), so that an
            # interrupted epoch reports about the share it trained
            n_ids = max(len(ids), 1)
            raw_counts = [enc.raw_words * e // n_ids - enc.raw_words * s // n_ids
                          for s, e in blocks]

            def epoch_jobs(_):
                return ((ids, s, e, raw) for (s, e), raw in zip(blocks, raw_counts))
        else:
            words_per_epoch = self._expected_words(total_examples, total_words)
            batch_words = self.batch_words

            def epoch_jobs(_):
                return ((b, 0, len(b), raw) for b, raw in
                        iter_id_batches(source, self.vocab.index, batch_words))

        kernel_model = self._kernel_model(c.compute_loss)
        trainer = Trainer(kernel_model, c.workers, c.seed, reproducible=c.reproducible)
        first_epoch = self.epochs_trained
        self.stop_training = False
        self.partial_epoch = None

        def call(method):
            for cb in callbacks:
                fn = getattr(cb, method, None)
                if fn is not None:
                    fn(self)

        def on_epoch_begin(epoch):
            if self.stop_training:
                return False
            call("on_epoch_begin")
            return not self.stop_training

        def on_epoch_end(epoch, stats: EpochStats):
            self.epochs_trained += 1
            self.epoch_stats.append(stats)
            self.epoch_alphas.append(float(kernel_model.alpha))
            if c.compute_loss:
                self.epoch_losses.append(stats.mean_loss)
                self.running_training_loss = stats.loss
            call("on_epoch_end")
            return not self.stop_training

        total = words_per_epoch * epochs
        call("on_train_begin")
        bar = make_progress(progress, "training", total)
        try:
            stats = trainer.train(epoch_jobs, epochs, first_epoch, start_alpha, end_alpha,
                                  total, on_epoch_begin, on_epoch_end, progress=bar,
                                  report_delay=float(report_delay))
        except BaseException as exc:
            bar.close()
            self.partial_epoch = trainer.partial
            log_stopped(exc, trainer.partial, kernel_model.progress, total,
                        self.epochs_trained)
            raise
        finally:
            bar.close()
        if self.stop_training:
            logger.info("training stopped by a callback (model.stop_training) with %d "
                        "epochs trained", self.epochs_trained)
        call("on_train_end")
        if stats and sum(s.words_read for s in stats) == 0:
            raise CorpusError("training read no word that is in the vocabulary")
        return sum(s.words_trained for s in stats), sum(s.raw_words for s in stats)

    def _expected_words(self, total_examples, total_words) -> int:
        """In-vocabulary words per epoch of the iterable, for the learning-rate schedule."""
        v = self.vocab
        # tokens of the last counted corpus that are in the vocabulary (after an update
        # the vocabulary's counts cover several corpora)
        retained = getattr(self, "_corpus_retained_words", None)
        if retained is None:
            retained = v.retained_words
        if total_words is not None and self.corpus_total_words:
            return max(1, round(total_words * retained / self.corpus_total_words))
        if total_examples is not None and self.corpus_count:
            return max(1, round(total_examples * retained / self.corpus_count))
        return max(1, retained)

    def get_latest_training_loss(self) -> float:
        """Total training objective of the last epoch (0.0 unless ``compute_loss=True``)."""
        return float(getattr(self, "running_training_loss", 0.0))

    # -- persistence --------------------------------------------------------------------
    def save(self, fname) -> None:
        """Save the whole model (vocabulary, weights, parameters) to one file, atomically."""
        self._need_vocab()
        blob, offsets = encode_strings(self.vocab.words)
        arrays = {"words_blob": blob, "words_offsets": offsets, "counts": self.vocab.counts,
                  "vectors": self.wv.vectors}
        if self.syn1neg is not None:
            arrays["syn1neg"] = self.syn1neg
        if self.syn1 is not None:
            arrays["syn1"] = self.syn1
        meta = {"format": _FORMAT, "config": self.config.as_dict(),
                "corpus_count": self.corpus_count, "corpus_total_words": self.corpus_total_words,
                "vocab_total_words": self.vocab.total_words, "epochs_trained": self.epochs_trained,
                "epoch_losses": self.epoch_losses, "epoch_alphas": self.epoch_alphas,
                "batch_words": self.batch_words,
                "unicode_errors": self.unicode_errors, "comment": self.comment}
        save_native(fname, meta, arrays)

    @classmethod
    def load(cls, fname, mmap=None) -> "Word2Vec":
        """Load a model saved by :meth:`save`; ``mmap="r"`` maps the weights read-only."""
        meta, arrays = load_native(fname, mmap=mmap)
        if meta.get("format") != _FORMAT:
            raise FormatError(f"{os.fspath(fname)}: not a fastw2v Word2Vec file (format "
                              f"{meta.get('format')!r}; KeyedVectors.load() reads "
                              "'fastw2v.KeyedVectors' files)")
        try:
            return cls._from_native(meta, arrays)
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{fname}: corrupt Word2Vec file ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _from_native(cls, meta, arrays) -> "Word2Vec":
        model = cls.__new__(cls)
        model.config = TrainConfig(**meta["config"])
        model.batch_words = meta.get("batch_words", 10000)
        model.unicode_errors = meta.get("unicode_errors", "strict")
        model.callbacks = ()
        model.comment = meta.get("comment")
        words = decode_strings(arrays["words_blob"], arrays["words_offsets"])
        model.vocab = Vocab(words, np.array(arrays["counts"]), meta.get("vocab_total_words"),
                            meta.get("corpus_count", 0), require_sorted=False)
        model.wv = KeyedVectors(model.config.vector_size, words, arrays["vectors"], model.vocab.counts)
        model.syn1neg = arrays.get("syn1neg")
        model.syn1 = arrays.get("syn1")
        for arr in (model.wv.vectors, model.syn1neg, model.syn1):
            if arr is not None and (arr.shape != model.wv.vectors.shape or arr.dtype != np.float32):
                raise ValueError(f"weight matrix of shape {arr.shape} and dtype {arr.dtype}, "
                                 f"expected {model.wv.vectors.shape} float32")
        model.corpus_count = meta.get("corpus_count", 0)
        model.corpus_total_words = meta.get("corpus_total_words", 0)
        model.epochs_trained = meta.get("epochs_trained", 0)
        model.epoch_losses = list(meta.get("epoch_losses", []))
        model.epoch_alphas = list(meta.get("epoch_alphas", []))
        model.epoch_stats = []
        model._encoded = None
        model._encoded_key = None
        model._tables = None
        return model

    def __del__(self):
        try:
            self._drop_encoded()
        except Exception:
            pass

    def __str__(self) -> str:
        c = self.config
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={c.vector_size}, "
                f"alpha={c.alpha}, {'sg' if c.sg else 'cbow'}, hs={c.hs}, negative={c.negative}>")

    __repr__ = __str__


for _name in TrainConfig.field_names():
    setattr(Word2Vec, _name, _config_property(_name))
del _name
