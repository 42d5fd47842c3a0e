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
