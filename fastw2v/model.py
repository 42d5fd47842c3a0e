"""``Word2Vec``: a thin front end wiring vocabulary, tables, kernels and trainer together.

Parameter and attribute names are gensim 4's. Data flows one way::

    corpus -> VocabBuilder -> Vocab -> (Huffman tree, noise table, keep thresholds)
           -> encoded ids -> kernels (update weights in place) -> KeyedVectors
"""
from __future__ import annotations

import logging
import os
from typing import Dict, List, Optional

import numpy as np

from . import _kernels
from .config import ParameterError, TrainConfig
from .corpus import CorpusError, EncodedCorpus, check_iterable, corpus_paths
from .io import FormatError, decode_strings, encode_strings, load_native, save_native
from .keyedvectors import KeyedVectors, _top
from .tables import build_huffman, keep_thresholds, noise_table, sigmoid_table
from .trainer import EpochStats, Trainer, corpus_blocks, iter_id_batches
from .vocab import Vocab, VocabBuilder, builder_from_counts, read_vocab_counts

logger = logging.getLogger("fastw2v")

_FORMAT = "fastw2v.Word2Vec"


def _config_property(name):
    def get(self):
        return getattr(self.config, name)

    def set(self, value):
        self.config = self.config.replace(**{name: value})

    return property(get, set, doc=f"Training parameter ``{name}`` (see :class:`TrainConfig`).")


class Word2Vec:
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
        ``on_train_end`` methods, each called with the model.
    unicode_errors : {"strict", "replace", "ignore"}
        What to do with bytes in ``corpus_file`` that are not UTF-8: ``strict`` raises
        :class:`fastw2v.corpus.CorpusError` naming the file, line and byte offset.

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
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, sample=1e-3, seed=1,
                 workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75,
                 cbow_mean=1, epochs=5, trim_rule=None, batch_words=10000,
                 compute_loss=False, callbacks=(), comment=None, max_final_vocab=None,
                 shrink_windows=True, unicode_errors="strict"):
        self.config = TrainConfig(
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
            min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, epochs=epochs, max_final_vocab=max_final_vocab,
            shrink_windows=bool(shrink_windows), compute_loss=bool(compute_loss))
        if not isinstance(batch_words, int) or batch_words < 1:
            raise ParameterError(f"batch_words={batch_words!r} is invalid: must be an integer >= 1")
        if unicode_errors not in ("strict", "replace", "ignore"):
            raise ParameterError(f"unicode_errors={unicode_errors!r} is invalid: use 'strict', "
                                 "'replace' or 'ignore'")
        self.batch_words = batch_words
        self.unicode_errors = unicode_errors
        self.callbacks = tuple(callbacks)
        self.comment = comment
        self.vocab: Optional[Vocab] = None
        self.wv = KeyedVectors(vector_size)
        self.syn1neg: Optional[np.ndarray] = None
        self.syn1: Optional[np.ndarray] = None
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.epochs_trained = 0
        self.epoch_losses: List[float] = []
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
                    progress_per=10000, keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Count the corpus, build the vocabulary and initialise the weights."""
        if kwargs:
            raise TypeError(f"build_vocab() got unexpected arguments: {sorted(kwargs)}")
        if update:
            raise NotImplementedError(
                "build_vocab(update=True) (adding words to a trained model) is not supported yet")
        builder = VocabBuilder(self.config.max_vocab_size)
        source = self._check_source(corpus_iterable, corpus_file)
        if corpus_file is not None:
            builder.add_file(source, self.unicode_errors)
        else:
            builder.add_sentences(source)
        self._set_vocab(builder, trim_rule)
        return self

    def build_vocab_from_freq(self, word_freq: Dict[str, int], keep_raw_vocab=False,
                              corpus_count=None, trim_rule=None, update=False):
        """Build the vocabulary from ``{word: count}`` instead of a corpus (gensim's name)."""
        if update:
            raise NotImplementedError("build_vocab_from_freq(update=True) is not supported yet")
        builder = builder_from_counts(word_freq)
        if corpus_count is not None:
            builder.n_sentences = int(corpus_count)
        self._set_vocab(builder, trim_rule)
        return self

    def read_vocab(self, path, trim_rule=None):
        """Use the vocabulary file ``path`` (``word count`` lines, the C tool's
        ``-save-vocab`` format) instead of counting the corpus."""
        return self.build_vocab_from_freq(read_vocab_counts(path), trim_rule=trim_rule)

    def save_vocab(self, path) -> None:
        """Write the vocabulary as ``word count`` lines (the C tool's ``-save-vocab``)."""
        self._need_vocab()
        self.vocab.save(path)

    def _set_vocab(self, builder: VocabBuilder, trim_rule) -> None:
        c = self.config
        self.vocab = builder.finalize(c.min_count, c.max_final_vocab, trim_rule)
        self.corpus_count = builder.n_sentences
        self.corpus_total_words = builder.total_words
        logger.info("vocabulary: %d words (min_count=%d) of %d distinct, %d of %d tokens kept",
                    len(self.vocab), c.min_count, len(builder.counter),
                    self.vocab.retained_words, builder.total_words)
        self._reset_weights()
        self._tables = None
        self._drop_encoded()

    def _reset_weights(self) -> None:
        c, V = self.config, len(self.vocab)
        # uniform in [-1, 1) / vector_size, as gensim 4 (the C tool uses half that range;
        # measured on the shipped sample, gensim's range scored slightly better for CBOW)
        rng = np.random.default_rng(c.seed)
        vectors = rng.random((V, c.vector_size), dtype=np.float32)
        vectors *= np.float32(2.0)
        vectors -= np.float32(1.0)
        vectors /= np.float32(c.vector_size)
        self.wv = KeyedVectors(c.vector_size, self.vocab.words, vectors, self.vocab.counts)
        self.syn1neg = np.zeros((V, c.vector_size), dtype=np.float32) if c.negative else None
        self.syn1 = np.zeros((V, c.vector_size), dtype=np.float32) if c.hs else None
        self.epochs_trained = 0
        self.epoch_losses = []
        self.epoch_stats = []

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
    def _kernel_model(self, compute_loss: bool) -> "_kernels.Model":
        c, V = self.config, len(self.vocab)
        if self._tables is None:
            huff = build_huffman(self.vocab.counts) if c.hs else None
            noise = noise_table(self.vocab.counts, c.ns_exponent) if c.negative else None
            self._tables = (huff, noise)
        huff, noise = self._tables
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
            alias_index=noise.alias if noise else None, sigmoid=sigmoid_table())

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
              queue_factor=2, report_delay=1.0, compute_loss=None, callbacks=(), **kwargs):
        """Train on a corpus for ``epochs`` passes (gensim's signature).

        Calling ``train()`` again continues training from the current weights.
        ``total_examples``/``total_words`` (sentences/tokens per epoch) size the
        learning-rate schedule in ``sentences`` mode; they default to the counts seen by
        ``build_vocab``. In ``corpus_file`` mode the exact word count is known and used.

        Returns
        -------
        (trained_words, raw_words) : tuple of int
            As gensim: words kept after down-sampling, and corpus tokens read
            (including words not in the vocabulary), summed over epochs.
        """
        if kwargs:
            raise TypeError(f"train() got unexpected arguments: {sorted(kwargs)}")
        self._need_vocab()
        c = self.config
        epochs = c.epochs if epochs is None else epochs
        if not isinstance(epochs, int) or epochs < 1:
            raise ParameterError(f"epochs={epochs!r} is invalid: must be an integer >= 1")
        start_alpha = c.alpha if start_alpha is None else float(start_alpha)
        end_alpha = c.min_alpha if end_alpha is None else float(end_alpha)
        if not (start_alpha > 0 and end_alpha >= 0):
            raise ParameterError(f"start_alpha={start_alpha}, end_alpha={end_alpha}: need "
                                 "start_alpha > 0 and end_alpha >= 0")
        if compute_loss is not None:
            self.config = c = c.replace(compute_loss=bool(compute_loss))
        source = self._check_source(corpus_iterable, corpus_file)
        callbacks = tuple(callbacks) or self.callbacks

        if corpus_file is not None:
            enc = self._encode(source)
            if enc.n_words == 0:
                raise CorpusError(f"no word of {corpus_file!r} is in the vocabulary")
            words_per_epoch = enc.n_words
            ids = enc.ids
            blocks = corpus_blocks(len(ids), c.workers)

            # an epoch's raw token count is carried by its first job
            raw_counts = [enc.raw_words] + [0] * (len(blocks) - 1)

            def epoch_jobs(_):
                return ((ids, s, e, raw) for (s, e), raw in zip(blocks, raw_counts))
        else:
            words_per_epoch = self._expected_words(total_examples, total_words)
            batch_words = self.batch_words

            def epoch_jobs(_):
                return ((b, 0, len(b), raw) for b, raw in
                        iter_id_batches(source, self.vocab.index, batch_words))

        kernel_model = self._kernel_model(c.compute_loss)
        trainer = Trainer(kernel_model, c.workers, c.seed)
        first_epoch = self.epochs_trained

        def on_epoch_begin(epoch):
            for cb in callbacks:
                if hasattr(cb, "on_epoch_begin"):
                    cb.on_epoch_begin(self)

        def on_epoch_end(epoch, stats: EpochStats):
            self.epochs_trained += 1
            self.epoch_stats.append(stats)
            if c.compute_loss:
                self.epoch_losses.append(stats.mean_loss)
                self.running_training_loss = stats.loss
            for cb in callbacks:
                if hasattr(cb, "on_epoch_end"):
                    cb.on_epoch_end(self)

        for cb in callbacks:
            if hasattr(cb, "on_train_begin"):
                cb.on_train_begin(self)
        stats = trainer.train(epoch_jobs, epochs, first_epoch, start_alpha, end_alpha,
                              words_per_epoch * epochs, on_epoch_begin, on_epoch_end)
        for cb in callbacks:
            if hasattr(cb, "on_train_end"):
                cb.on_train_end(self)
        if sum(s.words_read for s in stats) == 0:
            raise CorpusError("training read no word that is in the vocabulary")
        return sum(s.words_trained for s in stats), sum(s.raw_words for s in stats)

    def _expected_words(self, total_examples, total_words) -> int:
        """In-vocabulary words per epoch of the iterable, for the learning-rate schedule."""
        v = self.vocab
        if total_words is not None and self.corpus_total_words:
            return max(1, round(total_words * v.retained_words / self.corpus_total_words))
        if total_examples is not None and self.corpus_count:
            return max(1, round(total_examples * v.retained_words / self.corpus_count))
        return max(1, v.retained_words)

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
                "epoch_losses": self.epoch_losses, "batch_words": self.batch_words,
                "unicode_errors": self.unicode_errors, "comment": self.comment}
        save_native(fname, meta, arrays)

    @classmethod
    def load(cls, fname, mmap=None) -> "Word2Vec":
        """Load a model saved by :meth:`save`; ``mmap="r"`` maps the weights read-only."""
        meta, arrays = load_native(fname, mmap=mmap)
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{fname}: not a fastw2v Word2Vec file (format {meta.get('format')!r})")
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
                            meta.get("corpus_count", 0))
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

    # -- output space -------------------------------------------------------------------
    # Negative sampling trains a second matrix, ``syn1neg``: one OUT (context) vector per
    # word, in the same row order as the IN vectors ``wv.vectors``. Queries across the
    # two spaces (the Dual Embedding Space Model) always name the spaces explicitly.
    _SPACES = ("in-in", "in-out", "out-in", "out-out")

    def output_vectors(self) -> KeyedVectors:
        """The output (context) word vectors, ``syn1neg``, as a :class:`KeyedVectors`
        sharing the model's array (no copy) and vocabulary counts.

        Raises
        ------
        ValueError
            The model has no ``syn1neg`` (hierarchical softmax only: its output matrix
            ``syn1`` holds Huffman inner nodes, not words).
        """
        self._need_vocab()
        if self.syn1neg is None:
            raise ValueError("this model has no output word vectors: they exist only with "
                             "negative sampling (negative > 0); with hs=1, negative=0 the "
                             "output matrix syn1 holds Huffman-tree nodes, not words")
        cached = getattr(self, "_output_kv", None)
        if cached is not None and cached.vectors is self.syn1neg \
                and cached.index_to_key == self.wv.index_to_key:
            return cached
        kv = KeyedVectors(self.wv.vector_size, self.wv.index_to_key, self.syn1neg,
                          self.wv.expandos.get("count"))
        self._output_kv = kv
        return kv

    def _space_pair(self, space: str):
        spec = str(space).lower().replace("_", "-")
        if spec not in self._SPACES:
            raise ValueError(f"space={space!r} is invalid: use one of {', '.join(self._SPACES)} "
                             "(query space - candidate space)")
        src, dst = spec.split("-")
        pick = {"in": lambda: self.wv, "out": self.output_vectors}
        return pick[src](), pick[dst]()

    def most_similar_across(self, positive=None, negative=None, topn: Optional[int] = 10,
                            space: str = "in-out", restrict_vocab: Optional[int] = None,
                            exclude_query: bool = True):
        """``most_similar`` with the query taken in one space and answers in another.

        ``space="in-out"`` ranks OUT vectors by cosine with the (unit-normalised, averaged
        as in ``most_similar``) IN vectors of the query: words that typically appear around
        the query words. ``"out-in"`` is the reverse, ``"in-in"`` equals
        ``wv.most_similar`` and ``"out-out"`` queries the output space alone.

        Parameters
        ----------
        positive, negative, topn, restrict_vocab
            As :meth:`KeyedVectors.most_similar`; vectors in ``positive``/``negative``
            are taken to be in the query space.
        space : {"in-in", "in-out", "out-in", "out-out"}
            Query space, then candidate space.
        exclude_query : bool
            Leave the query words out of the answer (as ``most_similar`` does).

        Returns
        -------
        list of (str, float), or np.ndarray of every cosine if ``topn`` is None
        """
        if isinstance(topn, int) and topn < 1:
            return []
        src, dst = self._space_pair(space)
        keys, weights = src._weighted_keys(positive, negative)
        query = src.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        end = len(dst) if not restrict_vocab else min(int(restrict_vocab), len(dst))
        dists = dst._cosines(query, 0, end)
        if not topn:
            return dists
        exclude = [src.get_index(k) for k in keys if not isinstance(k, np.ndarray)] \
            if exclude_query else []
        return [(dst.index_to_key[i], float(dists[i])) for i in _top(dists, int(topn), exclude)]

    def similarity_across(self, w1, w2, space: str = "in-out") -> float:
        """Cosine of ``w1``'s vector in the first space with ``w2``'s in the second
        (``"in-out"``: the DESM word-context score)."""
        src, dst = self._space_pair(space)
        return float(np.dot(src.get_vector(w1, norm=True), dst.get_vector(w2, norm=True)))

    def combined_vectors(self, method: str = "sum", normalize: bool = False) -> KeyedVectors:
        """New :class:`KeyedVectors` combining input and output vectors of every word.

        Parameters
        ----------
        method : {"sum", "concat"}
            ``IN + OUT`` ([V, d]) or ``[IN, OUT]`` side by side ([V, 2d]).
        normalize : bool
            Scale each IN and OUT row to unit length first (the two spaces' norms differ).
        """
        if method not in ("sum", "concat"):
            raise ValueError(f"method={method!r} is invalid: use 'sum' or 'concat'")
        out_kv = self.output_vectors()
        a, b = self.wv.vectors, out_kv.vectors
        if normalize:
            a, b = self.wv.get_normed_vectors(), out_kv.get_normed_vectors()
        vectors = (a + b) if method == "sum" else np.hstack([a, b])
        return KeyedVectors(vectors.shape[1], self.wv.index_to_key,
                            np.ascontiguousarray(vectors, dtype=np.float32),
                            self.wv.expandos.get("count"))

    def predict_output_word(self, context_words_list, topn: Optional[int] = 10,
                            output_layer: Optional[str] = None):
        """Probability of each centre word given context words, through the output layer.

        The hidden vector is the mean (``cbow_mean=1``) or sum of the context words' input
        vectors, as gensim. ``output_layer="ns"``: softmax over ``syn1neg @ h`` (gensim's
        answer). ``"hs"``: each word's probability is the product along its Huffman path
        of ``sigmoid(h . syn1[node])`` for branch 0 and ``1 - sigmoid(...)`` for branch 1,
        the distribution the hierarchical-softmax kernels train (it sums to 1).

        Parameters
        ----------
        context_words_list : list of str
            Unknown words are ignored.
        topn : int or None
            Number of ``(word, probability)`` pairs to return, most probable first;
            ``None`` returns the whole distribution as a float64 [V] array.
        output_layer : {"ns", "hs"}, optional
            Default: ``"ns"`` if the model has negative sampling, else ``"hs"``.

        Returns
        -------
        list of (str, float), np.ndarray, or None if no context word is known (as gensim)
        """
        self._need_vocab()
        layer = output_layer or ("ns" if self.syn1neg is not None else "hs")
        if layer not in ("ns", "hs"):
            raise ValueError(f"output_layer={output_layer!r} is invalid: use 'ns' or 'hs'")
        if layer == "ns" and self.syn1neg is None:
            raise ValueError("output_layer='ns' needs a model trained with negative > 0")
        if layer == "hs" and self.syn1 is None:
            raise ValueError("output_layer='hs' needs a model trained with hs=1")
        if isinstance(context_words_list, str):
            context_words_list = [context_words_list]
        ids = [self.wv.get_index(w) for w in context_words_list if w in self.wv]
        if not ids:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        h = np.sum(self.wv.vectors[ids], axis=0)
        if self.config.cbow_mean:
            h /= len(ids)
        if layer == "ns":
            logits = (self.syn1neg @ h).astype(np.float64)
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
        else:
            probs = np.exp(self._hs_log_probs(h))
        if topn is None:
            return probs
        return [(self.wv.index_to_key[i], float(probs[i])) for i in _top(probs, int(topn))]

    def _hs_log_probs(self, h: np.ndarray) -> np.ndarray:
        """log P(word | h) for every word under the hierarchical softmax, float64 [V]."""
        tree = getattr(self, "_predict_tree", None)
        if tree is None or tree[0] is not self.vocab:
            tree = (self.vocab, build_huffman(self.vocab.counts))
            self._predict_tree = tree
        huff = tree[1]
        node_scores = self.syn1.astype(np.float64, copy=False) @ h.astype(np.float64)
        # branch with code 0 is trained towards label 1: its probability is sigmoid(f)
        signed = (1.0 - 2.0 * huff.codes) * node_scores[huff.points]
        log_sig = -np.logaddexp(0.0, -signed)
        return np.add.reduceat(log_sig, huff.offsets[:-1])


for _name in TrainConfig.field_names():
    setattr(Word2Vec, _name, _config_property(_name))
del _name
