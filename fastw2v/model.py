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

from typing import Dict

from .config import (TrainConfig, check_batch_words, check_callbacks, check_progress,
                     check_progress_per, check_source, check_train_args, check_trim_rule,
                     check_unicode_errors)
from .state import ModelState
from .training.progress import make_progress
from .training.session import exclusive, train_model
from .vectors.output_space import OutputSpaceMixin
from .vocab import VocabBuilder, builder_from_counts, read_vocab_counts


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
                     "unicode_errors", "comment")


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
    """

    stop_training = False
    progress = None

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, sample=1e-3, seed=1,
                 workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75,
                 cbow_mean=1, epochs=5, trim_rule=None, batch_words=10000,
                 compute_loss=False, callbacks=(), comment=None, max_final_vocab=None,
                 shrink_windows=True, unicode_errors="strict", progress=None,
                 shared_negatives=False, reproducible=False):
        config = TrainConfig(
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
            min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, epochs=epochs, max_final_vocab=max_final_vocab,
            shrink_windows=shrink_windows, compute_loss=compute_loss,
            shared_negatives=shared_negatives, reproducible=reproducible)
        batch_words = check_batch_words(batch_words)
        check_trim_rule(trim_rule)
        check_unicode_errors(unicode_errors)
        check_progress(progress)
        self.state = ModelState(config, batch_words, unicode_errors, comment)
        self.progress = progress
        self.callbacks = check_callbacks(callbacks)
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
        check_progress_per(progress_per)
        check_trim_rule(trim_rule)
        if progress is not None:
            check_progress(progress)
        with exclusive(self, "build_vocab()"):
            if update:
                self.state.need_vocab()
            builder = VocabBuilder(self.config.max_vocab_size)
            source = check_source(corpus_iterable, corpus_file)
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
            self.state.set_vocab(builder, trim_rule, update)
        return self

    def build_vocab_from_freq(self, word_freq: Dict[str, int], keep_raw_vocab=False,
                              corpus_count=None, trim_rule=None, update=False):
        """Build the vocabulary from ``{word: count}`` instead of a corpus (gensim's name);
        ``update=True`` grows the existing vocabulary as :meth:`build_vocab` does."""
        check_trim_rule(trim_rule)
        with exclusive(self, "build_vocab_from_freq()"):
            if update:
                self.state.need_vocab()
            builder = builder_from_counts(word_freq)
            if corpus_count is not None:
                builder.n_sentences = int(corpus_count)
            self.state.set_vocab(builder, trim_rule, update)
        return self

    def read_vocab(self, path, trim_rule=None):
        """Use the vocabulary file ``path`` (``word count`` lines, the C tool's
        ``-save-vocab`` format) instead of counting the corpus."""
        return self.build_vocab_from_freq(read_vocab_counts(path), trim_rule=trim_rule)

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
            self.state.need_vocab()
            args = check_train_args(self.config, epochs, start_alpha, end_alpha,
                                    total_examples, total_words, report_delay,
                                    self.progress if progress is None else progress)
            if compute_loss is not None:
                self.config = self.config.replace(compute_loss=compute_loss)   # validated there
            check_source(corpus_iterable, corpus_file)
            callbacks = check_callbacks(callbacks) or self.callbacks
            return train_model(self, args, corpus_iterable, corpus_file, callbacks)

    def get_latest_training_loss(self) -> float:
        """Total training objective of the last epoch (0.0 unless ``compute_loss=True``)."""
        return float(self.state.running_training_loss)

    # -- persistence --------------------------------------------------------------------
    def save(self, fname) -> None:
        """Save the whole model (vocabulary, weights, parameters) to one file, atomically."""
        self.state.save(fname)

    @classmethod
    def load(cls, fname, mmap=None) -> "Word2Vec":
        """Load a model saved by :meth:`save`; ``mmap="r"`` maps the weights read-only."""
        return cls.from_state(ModelState.load(fname, mmap=mmap))

    @classmethod
    def from_state(cls, state: ModelState) -> "Word2Vec":
        """A model over ``state`` (no callbacks, progress shown as by default)."""
        model = cls.__new__(cls)
        model.state = state
        model.callbacks = ()
        return model

    def __del__(self):
        try:
            self.state.drop_encoded()
        except Exception:
            pass

    def __str__(self) -> str:
        c = self.config
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={c.vector_size}, "
                f"alpha={c.alpha}, {'sg' if c.sg else 'cbow'}, hs={c.hs}, negative={c.negative}>")

    __repr__ = __str__


for _name in _STATE_ATTRIBUTES:
    setattr(Word2Vec, _name, _state_property(_name))
for _name in TrainConfig.field_names():
    setattr(Word2Vec, _name, _config_property(_name))
del _name
