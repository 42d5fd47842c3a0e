"""One ``train()`` call, from checked arguments to a trained model.

Owns what happens around the schedules of :mod:`.trainer`: the jobs of each epoch (the
corpus file's blocks, or the iterable's batches), the words the learning rate decays
over, the callbacks, the progress bar, recording each completed epoch in the model's
:class:`~fastw2v.state.ModelState` (:func:`end_epoch`, also used by distributed
training), how far an interrupted training got, and refusing a second concurrent
``train``/``build_vocab`` on one model (:class:`exclusive`).
"""
from __future__ import annotations

import logging
import threading
import weakref
from typing import Optional, Sequence

from ..errors import CorpusError
from .progress import make_progress
from .trainer import EpochStats, Trainer, corpus_blocks, iter_id_batches, round_job_size

logger = logging.getLogger("fastw2v")


# -- one model, one training at a time ---------------------------------------------------
# what each busy model is busy with; guarded by _BUSY_GUARD
_BUSY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_BUSY_GUARD = threading.Lock()


class exclusive:
    """Context manager refusing, with a clear error, a second concurrent
    ``train``/``build_vocab`` on the same model (from another thread or a callback)."""

    def __init__(self, model, what: str):
        self.model, self.what = model, what

    def __enter__(self):
        with _BUSY_GUARD:
            current = _BUSY.get(self.model)
            if current is not None:
                raise RuntimeError(
                    f"cannot {self.what}: this Word2Vec model is already busy with {current[0]} "
                    f"in thread {current[1]!r}; training or building the vocabulary of one "
                    "model from two threads at once would corrupt it (wait for the other "
                    "call to finish, or train a copy)")
            _BUSY[self.model] = (self.what, threading.current_thread().name)
        return self

    def __exit__(self, *exc):
        with _BUSY_GUARD:
            _BUSY.pop(self.model, None)
        return False


# -- callbacks and the end of an epoch -------------------------------------------------
class Callbacks:
    """Calls a callback method, on every callback that has it, with the model."""

    def __init__(self, model, callbacks: Sequence):
        self.model, self.callbacks = model, tuple(callbacks)

    def call(self, method: str) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, method, None)
            if fn is not None:
                fn(self.model)


def end_epoch(model, callbacks: Callbacks, stats: EpochStats, alpha: float) -> bool:
    """Record a completed epoch in ``model.state`` (statistics, the learning rate at its
    end, the loss) and call ``on_epoch_end``; False if a callback asked to stop."""
    model.state.record_epoch(stats, alpha)
    callbacks.call("on_epoch_end")
    return not model.stop_training


def end_training(model, callbacks: Callbacks) -> None:
    """Count a completed ``train()`` (gensim's ``train_count``, before the
    ``on_train_end`` callbacks see the model, as in gensim) and call them."""
    model.state.train_count += 1
    callbacks.call("on_train_end")


def log_stopped(exc: BaseException, partial: Optional[EpochStats], done: int, total: int,
                epochs_trained: int) -> None:
    """Say how far a training stopped by ``exc`` (Ctrl-C or an error) got."""
    # a KeyboardInterrupt may come from Ctrl-C or from a callback: named, not guessed at
    what = (f"stopped by {type(exc).__name__}: {exc}" if str(exc)
            else f"stopped by {type(exc).__name__}")
    if partial is not None:
        where = (f"during epoch {partial.epoch} after {partial.words_read} of its words; "
                 f"epochs_trained={epochs_trained} counts completed epochs only, the "
                 "partial epoch's updates stay in the weights (model.partial_epoch)")
    else:
        where = (f"between epochs; epochs_trained={epochs_trained}, and the weights hold "
                 "those epochs' updates")
    logger.warning("training %s %s (%d of %d scheduled words, %.1f%%); the model is "
                   "consistent and train() can continue", what, where, done, total,
                   100.0 * done / max(total, 1))


# -- the jobs of an epoch ---------------------------------------------------------------
def expected_words(state, total_examples, total_words) -> int:
    """In-vocabulary words per epoch of an iterable, for the learning-rate schedule."""
    v = state.vocab
    # tokens of the last counted corpus that are in the vocabulary (after an update
    # the vocabulary's counts cover several corpora)
    retained = state.corpus_retained_words
    if retained is None:
        # not counted here (a gensim model): the counts, unless they cover more than the
        # last corpus's tokens (counts summed over several corpora by an update)
        retained = v.retained_words
        if state.corpus_total_words:
            retained = min(retained, state.corpus_total_words)
    if total_words is not None and state.corpus_total_words:
        return max(1, round(total_words * retained / state.corpus_total_words))
    if total_examples is not None and state.corpus_count:
        return max(1, round(total_examples * retained / state.corpus_count))
    return max(1, retained)


#: Entries (4 bytes each) of an encoded corpus trained between two releases of its pages.
RELEASE_ENTRIES = 1 << 18


def file_jobs(state, corpus_file):
    """``(words per epoch, epoch_jobs)`` for a corpus file, encoded once."""
    enc = state.encoded(corpus_file)
    if enc.n_words == 0:
        raise CorpusError(f"no word of {corpus_file!r} is in the vocabulary")
    ids = enc.ids
    blocks = corpus_blocks(len(ids), state.config.workers, state.config.reproducible, ids,
                           release=enc.release)
    # an epoch's raw token count spread over its jobs (exact sum), so that an
    # interrupted epoch reports about the share it trained
    n_ids = max(len(ids), 1)
    raw_counts = [enc.raw_words * e // n_ids - enc.raw_words * s // n_ids for s, e in blocks]

    # jobs are handed out at most 3 x workers ahead of the last one a thread took (a
    # queue of 2 x workers, workers training): the jobs further back are done with, but
    # for a thread far slower than the others, which then maps its pages again. They
    # go from memory in steps of RELEASE_ENTRIES.
    lag = 4 * state.config.workers

    def epoch_jobs(_):
        # all but the first job's pages: the previous epoch's last jobs, which had stayed
        # mapped beside this epoch's (3 MB more in the second epoch of a 12 MB stream);
        # an epoch ends when all its jobs are trained
        enc.release(blocks[0][1], len(ids))
        released = 0
        for k, ((s, e), raw) in enumerate(zip(blocks, raw_counts)):
            done = blocks[k - lag][1] if k >= lag else 0    # where the jobs done end
            if done - released >= RELEASE_ENTRIES:
                enc.release(released, done)
                released = done
            yield ids, s, e, raw
    return enc.n_words, epoch_jobs


def iterable_jobs(state, sentences, total_examples, total_words, measured=None):
    """``(words per epoch, epoch_jobs)`` for a re-iterable of token lists. ``measured``
    (a dict, optional) gets each whole epoch's ``sentences`` and in-vocabulary ``words``."""
    index, batch_words = state.vocab.index, state.batch_words
    limit = round_job_size(state.config.workers) if state.config.reproducible else None
    if limit is not None:
        batch_words = min(batch_words, limit)

    per_epoch = expected_words(state, total_examples, total_words)

    def epoch_jobs(i):
        read = sentences_read = words = 0
        for b, raw, n in iter_id_batches(sentences, index, batch_words):
            read += raw
            sentences_read += n
            words += len(b) - n             # the ids less the n sentence ends
            yield b, 0, len(b), raw
        if measured is not None:
            measured.update(sentences=sentences_read, words=words)
        # (an epoch without a vocabulary word gets train()'s own warning instead)
        if i == 0 and total_examples is not None and total_words is None and words:
            assumed = per_epoch * sentences_read / total_examples
            if abs(words - assumed) > 0.05 * assumed:
                logger.warning(
                    "epoch 1 of this train(): %.1f words of the vocabulary per sentence, "
                    "where the corpus build_vocab counted has %.1f: this epoch's learning "
                    "rate decayed by that estimate, later epochs' follow total_examples "
                    "(pass total_words= for an exact schedule)", words / sentences_read,
                    per_epoch / total_examples)
        # the whole epoch read: a total that was not the corpus's put the learning rate
        # on the wrong schedule (gensim's warnings)
        if total_examples is not None and sentences_read != total_examples:
            logger.warning("epoch %d of this train(): %d sentences read, but total_examples"
                           "=%d; the learning rate decays as if the corpus had that many",
                           i + 1, sentences_read, total_examples)
        if total_words is not None and read != total_words:
            logger.warning("epoch %d of this train(): %d words read, but total_words=%d; "
                           "the learning rate decays as if the corpus had that many",
                           i + 1, read, total_words)
    return per_epoch, epoch_jobs


def scheduled_words(total_examples, total_words, measured, words_per_epoch) -> int:
    """Words per epoch for the rest of a ``train()`` call, once an epoch was read.

    The schedule runs on words (the kernels count them); ``total_examples`` is a count of
    sentences, which :func:`expected_words` turned into words by the density of the
    corpus ``build_vocab`` counted. gensim's rate follows the sentences, so once a whole
    epoch was read its own density (``measured``) takes over: from the next epoch on,
    alpha is where gensim's is. Without ``total_examples``, or with ``total_words`` too
    (an exact count of words, which fastw2v's schedule takes first), the first schedule
    stands."""
    if total_examples is None or total_words is not None or not measured.get("sentences"):
        return words_per_epoch
    return max(1, round(total_examples * measured["words"] / measured["sentences"]))


# -- one train() call --------------------------------------------------------------------
def train_model(model, args, corpus_iterable, corpus_file, callbacks: Sequence):
    """Train ``model`` (a :class:`fastw2v.Word2Vec`) for ``args.epochs`` epochs.

    ``args`` is a :class:`fastw2v.config.TrainArgs`; the source was checked. Returns
    ``(trained_words, raw_words)`` summed over the epochs."""
    state = model.state
    c = state.config
    measured: dict = {}        # an iterable's last whole epoch: sentences, words
    if corpus_file is not None:
        words_per_epoch, epoch_jobs = file_jobs(state, corpus_file)
    else:
        words_per_epoch, epoch_jobs = iterable_jobs(state, corpus_iterable,
                                                    args.total_examples, args.total_words,
                                                    measured)
    kernel_model = state.kernel_model(c.compute_loss)
    trainer = Trainer(kernel_model, c.workers, c.seed, reproducible=c.reproducible)
    cbs = Callbacks(model, callbacks)
    model.stop_training = False
    state.partial_epoch = None
    # gensim's meaning: the objective summed since this train() call began, so the
    # common callback "latest loss minus the previous epoch's" gives each epoch's loss
    state.running_training_loss = 0.0

    def on_epoch_begin(epoch):
        if model.stop_training:
            return False
        cbs.call("on_epoch_begin")
        # a callback may switch the loss on or off (gensim reads compute_loss per job):
        # it counts from the epoch about to start
        kernel_model.computes_loss = state.config.compute_loss
        reschedule()
        return not model.stop_training

    schedule = {"rates": (args.start_alpha, args.end_alpha),
                "total": words_per_epoch * args.epochs}

    def reschedule():
        """Between epochs (no worker runs): the rate follows gensim's, which reads
        ``alpha``/``min_alpha`` for every job (a callback that sets them, as in manual
        decay, changes the rate from the next epoch on, on the line between them over the
        whole call) and counts ``total_examples`` in sentences (:func:`scheduled_words`)."""
        rates = (state.config.alpha, state.config.min_alpha)
        total = scheduled_words(args.total_examples, args.total_words, measured,
                                words_per_epoch) * args.epochs
        if rates != schedule["rates"] or total != schedule["total"]:
            kernel_model.set_schedule(rates[0], rates[1], total, kernel_model.progress)
            schedule.update(rates=rates, total=total)

    def on_epoch_end(epoch, stats: EpochStats):
        return end_epoch(model, cbs, stats, kernel_model.alpha)

    total = words_per_epoch * args.epochs
    cbs.call("on_train_begin")
    bar = make_progress(args.progress, "training", total)
    try:
        stats = trainer.train(epoch_jobs, args.epochs, state.epochs_trained, args.start_alpha,
                              args.end_alpha, total, on_epoch_begin, on_epoch_end,
                              progress=bar, report_delay=args.report_delay)
    except BaseException as exc:
        bar.close()
        state.partial_epoch = trainer.partial
        if trainer.partial is not None and trainer.partial.loss_computed:
            state.running_training_loss += trainer.partial.loss
        log_stopped(exc, trainer.partial, kernel_model.progress, total, state.epochs_trained)
        raise
    finally:
        bar.close()
    if model.stop_training:
        logger.info("training stopped by a callback (model.stop_training) with %d "
                    "epochs trained", state.epochs_trained)
    end_training(model, cbs)
    if stats and sum(s.words_read for s in stats) == 0:
        # gensim trains nothing and returns (0, raw): a batch of new words in online
        # training is no error
        logger.warning("training read no word that is in the vocabulary: nothing was "
                       "trained (add the words with build_vocab(update=True) first)")
    return sum(s.words_trained for s in stats), sum(s.raw_words for s in stats)
