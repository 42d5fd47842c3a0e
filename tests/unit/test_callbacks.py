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


class _EpochAlphas(gensim_callbacks.CallbackAny2Vec if gensim_callbacks else object):
    """Records min_alpha_yet_reached after each epoch; ``freeze`` then sets alpha and
    min_alpha to 1e-9 (the manual-decay pattern) and keeps a copy of the vectors."""

    def __init__(self, freeze=False):
        self.alphas, self.vectors, self.freeze = [], [], freeze

    def on_epoch_end(self, model):
        self.alphas.append(model.min_alpha_yet_reached)
        self.vectors.append(model.wv.vectors.copy())
        if self.freeze:
            model.alpha = model.min_alpha = 1e-9


def _both(sentences, **kw):
    # small jobs: gensim sets one rate per job, from the progress at the job's start
    kw = dict(vector_size=12, min_count=3, workers=1, seed=1, batch_words=500, **kw)
    ours = Word2Vec(progress=False, **kw)
    theirs = gensim_word2vec.Word2Vec(**kw)
    return ours, theirs


def test_a_callback_that_sets_alpha_changes_the_next_epochs_as_gensim(sentences):
    """gensim reads alpha and min_alpha for every job, so a callback that sets them
    changes the rate from the next epoch on: set to 1e-9 after epoch 1, the vectors stop
    moving in both libraries (fastw2v used to keep its schedule to the end of the call)."""
    for model in _both(sentences):
        rec = _EpochAlphas(freeze=True)
        model.build_vocab(sentences)
        model.train(sentences, total_examples=len(sentences), epochs=3, callbacks=[rec])
        moved = [float(np.abs(b - a).max()) for a, b in zip(rec.vectors, rec.vectors[1:])]
        assert rec.alphas[0] > 0.01 and max(rec.alphas[1:]) < 1e-8, (type(model), rec.alphas)
        assert max(moved) < 1e-5, (type(model), moved)
    # a new rate (not a freeze) continues on the line between the new ends, as gensim's
    for model in _both(sentences):
        rec = _EpochAlphas()

        class Halve(gensim_callbacks.CallbackAny2Vec):
            def on_epoch_end(self, m):
                m.alpha = 0.0125
        model.build_vocab(sentences)
        model.train(sentences, total_examples=len(sentences), epochs=2,
                    callbacks=[rec, Halve()])
        # after epoch 1 of 2: 0.0125 - (0.0125 - min_alpha) * 1 at the call's end
        assert rec.alphas[1] == pytest.approx(0.0001, abs=2e-4), (type(model), rec.alphas)


def test_total_examples_schedules_by_sentences_as_gensim(sentences, caplog):
    """total_examples counts sentences; the kernels schedule by words, converted with the
    density of the corpus build_vocab counted. Trained on the same words cut into shorter
    sentences, that estimate is off: the first epoch says so, and from the second epoch on
    the rate follows the sentences read, where gensim's is (before, it barely decayed:
    0.0233, 0.0217, 0.0200 against gensim's 0.0174, 0.0091, 0.0008)."""
    words = [w for s in sentences for w in s]
    short = [words[i:i + 10] for i in range(0, len(words), 10)]
    got = {}
    for model in _both(sentences):
        rec = _EpochAlphas()
        model.build_vocab(sentences)
        with caplog.at_level("WARNING", logger="fastw2v"):
            model.train(short, total_examples=len(short), epochs=3, callbacks=[rec])
        got[type(model).__module__.split(".")[0]] = rec.alphas
    assert got["fastw2v"][1:] == pytest.approx(got["gensim"][1:], abs=1.5e-3), got
    assert "words of the vocabulary per sentence" in caplog.text
    # with total_words too, the exact word count schedules every epoch (no estimate)
    ours = _both(sentences)[0]
    rec = _EpochAlphas()
    ours.build_vocab(sentences)
    ours.train(short, total_examples=len(short), total_words=len(words), epochs=3,
               callbacks=[rec])
    line = [0.025 - (0.025 - 0.0001) * k / 3 for k in (1, 2, 3)]
    assert rec.alphas == pytest.approx(line, abs=5e-4), rec.alphas
    # the vocabulary built from frequencies alone (no corpus_count): the same
    for model in _both(sentences):
        rec = _EpochAlphas()
        freq = {}
        for w in words:
            freq[w] = freq.get(w, 0) + 100            # counts of a corpus 100x larger
        model.build_vocab_from_freq(freq)
        model.train(sentences, total_examples=len(sentences), epochs=3, callbacks=[rec])
        got[type(model).__module__.split(".")[0]] = rec.alphas
    assert got["fastw2v"][1:] == pytest.approx(got["gensim"][1:], abs=1.5e-3), got


def test_a_batch_without_vocabulary_words_trains_nothing_as_gensim(sentences, caplog):
    """Online training meets batches of new words only: gensim returns (0, raw words);
    fastw2v did the same but then raised CorpusError after the call was recorded."""
    batch = [["zzqx", "yyqx"]] * 10
    results = []
    for model in _both(sentences):
        model.build_vocab(sentences)
        before = model.wv.vectors.copy()
        with caplog.at_level("WARNING", logger="fastw2v"):
            results.append(model.train(batch, total_examples=10, epochs=1))
        assert np.array_equal(model.wv.vectors, before)
    assert results[0] == results[1] == (0, 20)
    assert "read no word that is in the vocabulary" in caplog.text
    assert "per sentence" not in caplog.text        # not also the schedule's warning


def test_whole_numbers_given_as_floats_are_accepted_as_gensim(sentences):
    """gensim passes its integer parameters through int(): tuners and JSON configs give
    window=5.0, min_count=np.float64(3), ... A float that is not whole is still refused."""
    from fastw2v import ParameterError
    floats = dict(window=3.0, negative=2.0, sg=1.0, hs=0.0, cbow_mean=0.0,
                  min_count=np.float64(3))
    ints = {k: int(v) for k, v in floats.items()}
    # and these, which gensim itself does not take as floats
    a = Word2Vec(sentences, batch_words=500.0, workers=1, progress=False, vector_size=8.0,
                 seed=2.0, epochs=1.0, **floats)
    b = Word2Vec(sentences, batch_words=500, workers=1, progress=False, vector_size=8, seed=2,
                 epochs=1, **ints)
    g = gensim_word2vec.Word2Vec(sentences, batch_words=500.0, workers=1, vector_size=8,
                                 epochs=1, **floats)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert all(type(getattr(a, k)) is int for k in list(ints) + ["vector_size", "seed"])
    assert a.wv.index_to_key == g.wv.index_to_key
    assert a.train(sentences, total_examples=float(len(sentences)), epochs=1.0)[1] == \
        g.train(sentences, total_examples=float(len(sentences)), epochs=1)[1]
    # total_examples=0 beside total_words is "not given", as gensim takes it
    a.train(sentences, total_examples=0, total_words=a.corpus_total_words, epochs=1)
    for bad in (dict(window=2.5), dict(sg=2.0), dict(min_count=float("inf"))):
        with pytest.raises(ParameterError):
            Word2Vec(**bad)


def test_str_and_training_warnings_as_gensim(sentences, caplog):
    """str() is gensim's (its lifecycle event and logs carry it); gensim's warnings for
    both objectives on and for a rate above the previous training's end are logged."""
    ours, theirs = _both(sentences, hs=1, negative=2)
    ours.build_vocab(sentences)
    theirs.build_vocab(sentences)
    assert str(ours) == str(theirs)
    assert ours.lifecycle_events[0]["params"] == theirs.lifecycle_events[0]["params"]
    assert "sg" in repr(ours) or "cbow" in repr(ours)
    for model in (ours, theirs):
        caplog.clear()
        with caplog.at_level("WARNING"):
            model.train(sentences, total_examples=len(sentences), epochs=1)
        assert "Both hierarchical softmax and negative sampling" in caplog.text
        assert "Effective 'alpha'" not in caplog.text
        caplog.clear()
        with caplog.at_level("WARNING"):
            model.train(sentences, total_examples=len(sentences), epochs=1)
        assert "Effective 'alpha' higher than previous training cycles" in caplog.text
    with pytest.warns(DeprecationWarning, match="init_sims"):
        ours.init_sims()
