"""Callbacks: stopping early through model.stop_training, EvaluationCallback,
EarlyStopping."""
import numpy as np
import pytest

from fastw2v import CallbackAny2Vec, EarlyStopping, EvaluationCallback, Word2Vec
from fastw2v.evaluation.scoring import datasets, evaluate_word_analogies, evaluate_word_pairs

FAST = dict(vector_size=16, min_count=3, workers=2, progress=False)


@pytest.fixture(scope="module")
def model(small_text_file):
    m = Word2Vec(**FAST)
    m.build_vocab(corpus_file=small_text_file)
    return m


class Recorder(CallbackAny2Vec):
    """Records calls; sets stop_training in the named method at the given epoch count."""

    def __init__(self, stop_in=None, stop_at=None):
        self.calls = []
        self.stop_in, self.stop_at = stop_in, stop_at

    def _record(self, name, model):
        self.calls.append((name, model.epochs_trained))
        if name == self.stop_in and model.epochs_trained == self.stop_at:
            model.stop_training = True

    def on_train_begin(self, model): self._record("train_begin", model)
    def on_epoch_begin(self, model): self._record("epoch_begin", model)
    def on_epoch_end(self, model): self._record("epoch_end", model)
    def on_train_end(self, model): self._record("train_end", model)


def fresh(model):
    model.state.reset_weights()
    return model


def test_stop_training_in_on_epoch_end(model, small_text_file):
    fresh(model)
    rec = Recorder("epoch_end", 2)
    trained, raw = model.train(corpus_file=small_text_file, epochs=5, callbacks=[rec])
    assert model.epochs_trained == 2
    assert rec.calls == [("train_begin", 0), ("epoch_begin", 0), ("epoch_end", 1),
                         ("epoch_begin", 1), ("epoch_end", 2), ("train_end", 2)]
    assert raw == 2 * model.corpus_total_words          # two epochs' worth of tokens
    # the flag is reset by the next train(), which runs all its epochs
    model.train(corpus_file=small_text_file, epochs=2, callbacks=[Recorder()])
    assert model.epochs_trained == 4 and not model.stop_training


def test_stop_training_in_on_epoch_begin_skips_that_epoch(model, small_text_file):
    fresh(model)
    rec = Recorder("epoch_begin", 1)
    model.train(corpus_file=small_text_file, epochs=4, callbacks=[rec])
    assert model.epochs_trained == 1
    assert rec.calls[-2:] == [("epoch_begin", 1), ("train_end", 1)]


def test_stop_training_before_any_epoch(model, small_text_file):
    fresh(model)
    before = model.wv.vectors.copy()
    assert model.train(corpus_file=small_text_file, epochs=3,
                       callbacks=[Recorder("train_begin", 0)]) == (0, 0)
    assert model.epochs_trained == 0
    np.testing.assert_array_equal(model.wv.vectors, before)


def test_evaluation_callback_records_scores_of_each_epoch(model, small_text_file):
    fresh(model)
    pairs = datasets()["wordsim353"]
    seen = []

    class Snapshot(CallbackAny2Vec):
        def on_epoch_end(self, m):
            seen.append(evaluate_word_pairs(m.wv, pairs)[1][0])

    ev = EvaluationCallback(analogies=datasets()["questions-words"], word_pairs=[pairs])
    model.train(corpus_file=small_text_file, epochs=3, callbacks=[ev, Snapshot()])
    assert ev.epochs == [1, 2, 3]
    assert set(ev.history) == {"analogies", "wordsim353", "wordsim353_pearson"}
    assert ev.history["wordsim353"] == pytest.approx(seen, abs=0)
    assert all(0.0 <= a <= 1.0 for a in ev.history["analogies"])
    assert ev.latest["wordsim353"] == ev.history["wordsim353"][-1]
    # a scripted change of the vectors changes the recorded score
    assert len(set(ev.history["wordsim353"])) == 3


def test_evaluation_callback_uses_3cosmul(model, small_text_file):
    fresh(model)
    q = datasets()["questions-words"]
    ev = EvaluationCallback(analogies=q, similarity_function="3CosMul", restrict_vocab=5000)
    model.train(corpus_file=small_text_file, epochs=1, callbacks=[ev])
    assert ev.history["analogies"] == [evaluate_word_analogies(
        model.wv, q, 5000, similarity_function="3CosMul")[0]]
    with pytest.raises(ValueError, match="similarity_function"):
        EvaluationCallback(analogies=q, similarity_function="cosine")


def scripted(values):
    """A monitor returning the next value each epoch."""
    it = iter(values)
    return lambda model: next(it)


def test_early_stopping_on_a_scripted_score(model, small_text_file):
    fresh(model)
    es = EarlyStopping(scripted([1.0, 2.0, 3.0, 3.0, 3.05, 2.0, 9.0, 9.0]), patience=3,
                       min_delta=0.1, mode="max")
    model.train(corpus_file=small_text_file, epochs=8, callbacks=[es])
    # best 3.0 at epoch 3; epochs 4, 5 (3.05 < 3.0 + min_delta) and 6 do not improve
    assert model.epochs_trained == 6
    assert (es.best, es.best_epoch, es.stopped_epoch, es.wait) == (3.0, 3, 6, 3)


def test_early_stopping_restores_best_weights(model, small_text_file):
    fresh(model)
    snapshots = {}

    class Snapshot(CallbackAny2Vec):
        def on_epoch_end(self, m):
            snapshots[m.epochs_trained] = (m.wv.vectors.copy(), m.syn1neg.copy())

    es = EarlyStopping(scripted([0.5, 0.9, 0.4, 0.3]), patience=2,
                       restore_best_weights=True, mode="max")
    model.train(corpus_file=small_text_file, epochs=6, callbacks=[Snapshot(), es])
    assert model.epochs_trained == 4 and es.best_epoch == 2
    assert not np.array_equal(snapshots[4][0], snapshots[2][0])
    np.testing.assert_array_equal(model.wv.vectors, snapshots[2][0])
    np.testing.assert_array_equal(model.syn1neg, snapshots[2][1])


def test_early_stopping_on_loss(model, small_text_file):
    fresh(model)
    es = EarlyStopping("loss", patience=1, min_delta=10.0)     # nothing improves by 10
    model.train(corpus_file=small_text_file, epochs=5, compute_loss=True, callbacks=[es])
    assert model.epochs_trained == 2 and es.best == model.epoch_losses[0]
    model.compute_loss = False
    with pytest.raises(RuntimeError, match="compute_loss=True"):
        model.train(corpus_file=small_text_file, epochs=1,
                    callbacks=[EarlyStopping("loss")])


def test_early_stopping_on_an_evaluation_score(model, small_text_file):
    fresh(model)
    ev = EvaluationCallback(word_pairs=datasets()["simlex999"])
    es = EarlyStopping("simlex999", evaluation=ev, patience=1, min_delta=1.0)
    model.train(corpus_file=small_text_file, epochs=5, callbacks=[ev, es])
    assert model.epochs_trained == 2
    assert es.best == ev.history["simlex999"][0]
    # wrong order: the score of this epoch is not there yet
    with pytest.raises(RuntimeError, match="before it"):
        model.train(corpus_file=small_text_file, epochs=1,
                    callbacks=[EarlyStopping("simlex999", evaluation=ev), ev])


def test_callback_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="analogies= and/or word_pairs="):
        EvaluationCallback()
    with pytest.raises(FileNotFoundError):
        EvaluationCallback(word_pairs=tmp_path / "missing.tsv")
    with pytest.raises(ValueError, match="evaluation="):
        EarlyStopping("wordsim353")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


# -- gensim 4's rules for callbacks and train()'s arguments --------------------------------
gensim_word2vec = pytest.importorskip("gensim.models.word2vec")
gensim_callbacks = pytest.importorskip("gensim.models.callbacks")


@pytest.fixture(scope="module")
def sentences(small_text_file):
    """20,000 words of the sample as token lists."""
    with open(small_text_file, encoding="utf-8") as fh:
        return [line.split() for line in fh][:400]


def _counting(base):
    class Count(base):
        def __init__(self):
            self.n = 0

        def on_train_begin(self, model): self.n += 1
        def on_epoch_begin(self, model): self.n += 1
        def on_epoch_end(self, model): self.n += 1
        def on_train_end(self, model): self.n += 1
    return Count()


def test_callbacks_are_not_kept_by_the_model_as_gensim(sentences, caplog):
    """gensim 4 runs a callback only in the training it was given to: the constructor's
    callbacks are not run again by a later train(), and train(callbacks=[]) runs none.
    The model also pickles with a callback that cannot be pickled."""
    counts = []
    for lib, base in ((gensim_word2vec.Word2Vec, gensim_callbacks.CallbackAny2Vec),
                      (Word2Vec, CallbackAny2Vec)):
        cb = _counting(base)
        cb.unpicklable = open(__file__)            # a callback holding a file
        try:
            m = lib(sentences, vector_size=8, min_count=3, epochs=3, workers=1,
                    callbacks=[cb])
            seen = [cb.n]
            m.train(sentences, total_examples=m.corpus_count, epochs=1)
            seen.append(cb.n)
            m.train(sentences, total_examples=m.corpus_count, epochs=1, callbacks=[])
            seen.append(cb.n)
            import pickle
            pickle.dumps(m)
        finally:
            cb.unpicklable.close()
        counts.append(seen)
    assert counts[0] == counts[1] == [8, 8, 8]
    # given without a corpus, they are ignored with a warning (gensim's behaviour)
    cb = _counting(CallbackAny2Vec)
    with caplog.at_level("WARNING", logger="fastw2v"):
        m = Word2Vec(vector_size=8, min_count=3, epochs=2, callbacks=[cb], progress=False)
    assert "callbacks given without a corpus are ignored" in caplog.text
    m.build_vocab(sentences)
    m.train(sentences, total_examples=m.corpus_count, epochs=2)
    assert cb.n == 0


def test_compute_loss_switched_on_by_a_callback_counts_from_the_next_epoch(sentences):
    """gensim reads compute_loss as it trains: switched on in on_epoch_end, the loss
    counts from the next epoch. It used to be recorded as 0.0 for every epoch (the
    kernels had been set up without it)."""
    class SwitchOn(CallbackAny2Vec):
        def __init__(self):
            self.latest = []

        def on_epoch_end(self, model):
            self.latest.append(model.get_latest_training_loss())
            model.compute_loss = True

    class GensimSwitchOn(gensim_callbacks.CallbackAny2Vec):
        def __init__(self):
            self.latest = []

        def on_epoch_end(self, model):
            self.latest.append(model.get_latest_training_loss())
            model.compute_loss = True

    ours, theirs = SwitchOn(), GensimSwitchOn()
    Word2Vec(sentences, vector_size=8, min_count=3, epochs=3, workers=1, callbacks=[ours],
             progress=False)
    gensim_word2vec.Word2Vec(sentences, vector_size=8, min_count=3, epochs=3, workers=1,
                             callbacks=[theirs])
    for latest in (ours.latest, theirs.latest):
        assert latest[0] == 0.0 and 0 < latest[1] < latest[2]
    assert ours.latest[2] / ours.latest[1] == pytest.approx(theirs.latest[2] / theirs.latest[1],
                                                            rel=0.25)
    m = Word2Vec(sentences, vector_size=8, min_count=3, epochs=3, workers=2,
                 callbacks=[SwitchOn()], progress=False)
    assert len(m.epoch_losses) == 2 and all(x > 0 for x in m.epoch_losses)
    # switched off: the epochs after it record nothing (no made-up zeros)
    m.compute_loss = True
    m.train(sentences, total_examples=m.corpus_count, epochs=1)
    m.train(sentences, total_examples=m.corpus_count, epochs=1, compute_loss=False)
    assert len(m.epoch_losses) == 3 and all(x > 0 for x in m.epoch_losses)


def test_latest_training_loss_survives_save_and_load(sentences, tmp_path):
    m = Word2Vec(sentences, vector_size=8, min_count=3, epochs=2, compute_loss=True,
                 progress=False)
    assert m.get_latest_training_loss() > 0
    m.save(str(tmp_path / "m.fw"))
    assert Word2Vec.load(str(tmp_path / "m.fw")).get_latest_training_loss() == \
        m.get_latest_training_loss()


def test_train_arguments_as_gensim(sentences, caplog):
    from fastw2v import ParameterError, SourceError
    m = Word2Vec(vector_size=8, min_count=3, progress=False)
    m.build_vocab(sentences)
    g = gensim_word2vec.Word2Vec(vector_size=8, min_count=3)
    g.build_vocab(sentences)
    # both corpora, or neither: gensim's TypeError (also a ValueError here)
    for kw in (dict(corpus_iterable=sentences, corpus_file=__file__), {}):
        with pytest.raises(TypeError):
            g.train(total_examples=len(sentences), epochs=1, **kw)
        with pytest.raises(SourceError):
            m.train(total_examples=len(sentences), epochs=1, **kw)
    with pytest.raises(TypeError):
        Word2Vec(sentences=sentences, corpus_file=__file__)
    # a size of 0 would put the whole schedule in the first word (gensim hangs)
    for kw in (dict(total_examples=0), dict(total_words=0)):
        with pytest.raises(ParameterError, match=">= 1"):
            m.train(sentences, epochs=1, **kw)
    # start_alpha=0 is the model's alpha and report_delay 0/None are accepted, as gensim
    m.train(sentences, total_examples=len(sentences), epochs=1, start_alpha=0,
            report_delay=0)
    assert m.alpha == 0.025
    m.train(sentences, total_examples=len(sentences), epochs=1, report_delay=None)
    # a total that is not the corpus's is named, as gensim warns
    with caplog.at_level("WARNING", logger="fastw2v"):
        m.train(sentences, total_examples=len(sentences) // 4, epochs=1)
        m.train(sentences, total_words=1000, epochs=1)
    assert f"{len(sentences)} sentences read, but total_examples={len(sentences) // 4}" \
        in caplog.text
    assert "but total_words=1000" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="fastw2v"):
        Word2Vec(sentences, vector_size=8, min_count=3, epochs=1, progress=False)
        m.train(sentences, total_examples=len(sentences), epochs=1)
    assert "read, but" not in caplog.text
