"""Training callbacks: the base class and two ready-made ones.

A callback is any object with some of ``on_train_begin``, ``on_epoch_begin``,
``on_epoch_end`` and ``on_train_end``; ``Word2Vec.train`` calls each with the model,
in the order the callbacks were given. Subclassing :class:`CallbackAny2Vec` (gensim's
name) provides empty defaults.

**Stopping early.** Any callback method may set ``model.stop_training = True``
(as in Keras): the epoch under way finishes, no further epoch starts, and
``on_train_end`` is still called. ``train()`` resets the flag when it starts. The
learning rate was scheduled for all requested epochs, so it has not decayed to
``min_alpha`` when training stops early.
"""
from __future__ import annotations

import logging
import math
import os
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from ..evaluation.scoring import evaluate_word_analogies, evaluate_word_pairs

logger = logging.getLogger("fastw2v")


class CallbackAny2Vec:
    """Base class of training callbacks (every method does nothing)."""

    def on_train_begin(self, model) -> None:
        pass

    def on_epoch_begin(self, model) -> None:
        pass

    def on_epoch_end(self, model) -> None:
        pass

    def on_train_end(self, model) -> None:
        pass


def _pair_name(path) -> str:
    return os.path.splitext(os.path.basename(os.fspath(path)))[0]


class EvaluationCallback(CallbackAny2Vec):
    """Evaluate the word vectors after every epoch and keep the scores.

    Parameters
    ----------
    analogies : str or path, optional
        An analogy set (e.g. ``fastw2v.evaluation.scoring.datasets()["questions-words"]``);
        its accuracy is recorded as ``"analogies"``.
    word_pairs : str, path or sequence of them
        Word-pair similarity sets; each one's Spearman correlation is recorded under the
        file's base name without extension (e.g. ``"wordsim353"``) and its Pearson
        correlation under that name + ``"_pearson"``.
    restrict_vocab, case_insensitive
        Passed to the evaluation functions (:mod:`fastw2v.evaluation.scoring`).
    similarity_function : {"3CosAdd", "3CosMul"}
        The analogy objective.
    every : int
        Evaluate after every ``every``-th epoch (counted over the model's life).

    Attributes
    ----------
    history : dict of str to list of float
        Every score, one entry per evaluated epoch.
    epochs : list of int
        The model's ``epochs_trained`` at each evaluation (1 after the first epoch).
    latest : dict of str to float
        The scores of the last evaluation.
    """

    def __init__(self, analogies=None, word_pairs: Union[str, Sequence] = (),
                 restrict_vocab: int = 300000, case_insensitive: bool = True, every: int = 1,
                 similarity_function: str = "3CosAdd"):
        if isinstance(word_pairs, (str, os.PathLike)):
            word_pairs = [word_pairs]
        self.word_pairs = [os.fspath(p) for p in word_pairs]
        if analogies is None and not self.word_pairs:
            raise ValueError("EvaluationCallback needs analogies= and/or word_pairs=")
        for p in ([analogies] if analogies is not None else []) + self.word_pairs:
            if not os.path.isfile(p):
                raise FileNotFoundError(f"evaluation file {os.fspath(p)!r} does not exist")
        names = [_pair_name(p) for p in self.word_pairs]
        if len(set(names)) != len(names):
            raise ValueError(f"word_pairs files need distinct base names, got {names}")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every={every!r} is invalid: must be an integer >= 1")
        from ..evaluation import analogy_objective
        analogy_objective(similarity_function)           # validates
        self.similarity_function = similarity_function
        self.analogies = analogies
        self.restrict_vocab = restrict_vocab
        self.case_insensitive = case_insensitive
        self.every = every
        self.history: Dict[str, List[float]] = {}
        self.epochs: List[int] = []
        self.latest: Dict[str, float] = {}

    def evaluate(self, kv) -> Dict[str, float]:
        """The scores of the vectors ``kv`` (a KeyedVectors) now."""
        scores: Dict[str, float] = {}
        if self.analogies is not None:
            scores["analogies"] = evaluate_word_analogies(
                kv, self.analogies, self.restrict_vocab, self.case_insensitive,
                similarity_function=self.similarity_function)[0]
        for path in self.word_pairs:
            pearson, spearman, _ = evaluate_word_pairs(
                kv, path, restrict_vocab=self.restrict_vocab,
                case_insensitive=self.case_insensitive)
            name = _pair_name(path)
            scores[name] = spearman.statistic
            scores[name + "_pearson"] = pearson.statistic
        return scores

    def on_epoch_end(self, model) -> None:
        if model.epochs_trained % self.every:
            return
        scores = self.evaluate(model.wv)
        self.latest = scores
        self.epochs.append(model.epochs_trained)
        for k, v in scores.items():
            self.history.setdefault(k, []).append(v)
        logger.info("epoch %d: %s", model.epochs_trained - 1,
                    ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))


class EarlyStopping(CallbackAny2Vec):
    """Stop training when a score stops improving.

    Parameters
    ----------
    monitor : str or callable
        ``"loss"``: the epoch's mean training loss (needs ``compute_loss=True``);
        a score name recorded by ``evaluation`` (an :class:`EvaluationCallback` placed
        before this callback in ``callbacks``), e.g. ``"analogies"`` or ``"wordsim353"``;
        or a callable ``f(model) -> float``.
    evaluation : EvaluationCallback, optional
        Where named scores are read from.
    patience : int
        Epochs in a row without improvement after which training stops (>= 1).
    min_delta : float
        Smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``"auto"``: lower for ``"loss"``, else higher.
    restore_best_weights : bool
        At the end of training, put back the weights of the best epoch (a copy of the
        input and output matrices is kept while training).

    Attributes
    ----------
    best : float
        Best value seen (``nan`` before the first epoch).
    best_epoch : int or None
        ``epochs_trained`` of the model when the best value was seen.
    wait : int
        Epochs since the last improvement.
    stopped_epoch : int or None
        ``epochs_trained`` when this callback stopped the training.
    """

    def __init__(self, monitor: Union[str, Callable] = "loss", evaluation=None,
                 patience: int = 2, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False):
        if not (callable(monitor) or isinstance(monitor, str)):
            raise ValueError(f"monitor={monitor!r} is invalid: a score name or a callable")
        if isinstance(monitor, str) and monitor != "loss" and evaluation is None:
            raise ValueError(f"monitor={monitor!r} needs evaluation=<EvaluationCallback> "
                             "(or use monitor='loss' or a callable)")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode={mode!r} is invalid: use 'auto', 'min' or 'max'")
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience={patience!r} is invalid: must be an integer >= 1")
        if not (isinstance(min_delta, (int, float)) and min_delta >= 0):
            raise ValueError(f"min_delta={min_delta!r} is invalid: must be a number >= 0")
        self.monitor = monitor
        self.evaluation = evaluation
        self.patience = patience
        self.min_delta = float(min_delta)
        self.lower_is_better = (mode == "min") or (mode == "auto" and monitor == "loss")
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self) -> None:
        self.best = float("nan")
        self.best_epoch: Optional[int] = None
        self.wait = 0
        self.stopped_epoch: Optional[int] = None
        self._best_weights = None

    def on_train_begin(self, model) -> None:
        self._reset()

    def current(self, model) -> float:
        """The monitored value after the epoch just finished."""
        if callable(self.monitor):
            return float(self.monitor(model))
        if self.monitor == "loss":
            if not model.compute_loss or not model.epoch_losses:
                raise RuntimeError("EarlyStopping(monitor='loss') needs compute_loss=True")
            return float(model.epoch_losses[-1])
        ev = self.evaluation
        if not ev.epochs or ev.epochs[-1] != model.epochs_trained:
            raise RuntimeError(
                "EarlyStopping found no score for this epoch: put its EvaluationCallback "
                "before it in callbacks, with every=1")
        if self.monitor not in ev.latest:
            raise RuntimeError(f"EarlyStopping: no score named {self.monitor!r}; the "
                               f"evaluation records {sorted(ev.latest)}")
        return float(ev.latest[self.monitor])

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if math.isnan(self.best):
            return True
        if self.lower_is_better:
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, model) -> None:
        value = self.current(model)
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, model.epochs_trained, 0
            if self.restore_best_weights:
                self._best_weights = [None if a is None else np.array(a, copy=True)
                                      for a in (model.wv.vectors, model.syn1neg, model.syn1)]
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = model.epochs_trained
            model.stop_training = True
            logger.info("early stopping after epoch %d: %s has not improved on %.6f "
                        "(epoch %d) for %d epochs", model.epochs_trained - 1,
                        getattr(self.monitor, "__name__", self.monitor), self.best,
                        (self.best_epoch or 1) - 1, self.wait)

    def on_train_end(self, model) -> None:
        if self._best_weights is None or self.best_epoch == model.epochs_trained:
            return
        for arr, best in zip((model.wv.vectors, model.syn1neg, model.syn1),
                             self._best_weights):
            if arr is not None and best is not None:
                arr[...] = best
        model.wv.norms = None                     # cached norms of the old vectors
        logger.info("restored the weights of epoch %d (%s %.6f)", self.best_epoch - 1,
                    getattr(self.monitor, "__name__", self.monitor), self.best)
        self._best_weights = None
