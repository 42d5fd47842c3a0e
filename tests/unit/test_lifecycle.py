"""Lifecycle: continued training, build_vocab(update=True), Ctrl-C, worker errors,
and refusing concurrent training of one model."""
import json
import logging
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from fastw2v import CallbackAny2Vec, LineSentence, Word2Vec, kernels
from fastw2v.training.trainer import Trainer

FAST = dict(vector_size=16, min_count=3, workers=2, progress=False)


@pytest.fixture(scope="module")
def sentences(small_text_file):
    return [line.split() for line in open(small_text_file, encoding="utf-8")]


def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


# -- continued training --------------------------------------------------------------
def test_train_again_continues_from_current_weights(sentences):
    params = dict(FAST, workers=1, seed=5)
    a = Word2Vec(sentences[:500], epochs=1, **params)
    start = [x.copy() for x in (a.wv.vectors, a.syn1neg)]
    a.train(sentences[:500], total_examples=500, epochs=1)
    assert a.epochs_trained == 2
    assert not np.array_equal(a.wv.vectors, start[0])
    # the same state (weights + epochs done) trained once more gives the same result ...
    b = Word2Vec(**params)
    b.build_vocab(sentences[:500])
    b.wv.vectors[...], b.syn1neg[...] = start
    b.epochs_trained = 1
    b.train(sentences[:500], total_examples=500, epochs=1)
    np.testing.assert_array_equal(b.wv.vectors, a.wv.vectors)
    # ... and other starting weights give another result: train() did not start afresh
    c = Word2Vec(**params)
    c.build_vocab(sentences[:500])
    c.wv.vectors[...] = start[0] * 1.5
    c.syn1neg[...] = start[1]
    c.epochs_trained = 1
    c.train(sentences[:500], total_examples=500, epochs=1)
    assert not np.allclose(c.wv.vectors, a.wv.vectors)


# -- build_vocab(update=True) ----------------------------------------------------------
RENAMED = {"city": "city_new", "war": "war_new", "music": "music_new", "french": "french_new"}


def renamed(sentences):
    return [[RENAMED.get(w, w) for w in s] for s in sentences]


@pytest.mark.parametrize("mode", [dict(sg=1, hs=0, negative=5), dict(sg=0, hs=1, negative=0)],
                         ids=["sg-ns", "cbow-hs"])
def test_update_keeps_old_vectors_and_trains_new_words(sentences, mode, tmp_path):
    # one worker: a deterministic run (the twin test below is statistical, and with
    # threads its margin on this 100k-word corpus varies from run to run)
    m = Word2Vec(sentences, epochs=5, seed=2, **dict(FAST, vector_size=32, workers=1), **mode)
    old_words = list(m.wv.index_to_key)
    old_vectors = m.wv.vectors.copy()
    old_counts = m.vocab.counts.copy()
    out = m.syn1neg if m.syn1neg is not None else m.syn1
    old_out = out.copy()
    second = renamed(sentences)
    m.build_vocab(second, update=True)
    V0, V = len(old_words), len(m.wv)
    new_words = m.wv.index_to_key[V0:]
    assert m.wv.index_to_key[:V0] == old_words
    assert set(RENAMED.values()) <= set(new_words)
    assert all(w in RENAMED.values() for w in new_words)
    # old rows unchanged; counts of existing words summed over both corpora
    np.testing.assert_array_equal(m.wv.vectors[:V0], old_vectors)
    out = m.syn1neg if m.syn1neg is not None else m.syn1
    assert out.shape == (V, 32)
    np.testing.assert_array_equal(out[:V0], old_out)
    assert not out[V0:].any()
    the = m.wv.key_to_index["the"]
    assert m.vocab.counts[the] == 2 * old_counts[the]
    assert m.wv.get_vecattr("the", "count") == 2 * old_counts[the]
    city = m.wv.key_to_index["city"]
    assert m.vocab.counts[city] == old_counts[city]           # it no longer occurs
    # new rows initialised like fresh ones: uniform in [-1, 1) / vector_size
    fresh = m.wv.vectors[V0:]
    assert np.all(np.abs(fresh) <= 1 / 32) and fresh.std() > 0.2 / 32
    new_before = fresh.copy()
    m.train(second, total_examples=len(second), epochs=5)
    assert m.epochs_trained == 10
    # the new words were trained into the old space: each lands nearer its old twin
    # (trained on the same contexts before the renaming) than half of 200 other words
    # do, and on average nearer than 90% of them. (One twin alone can rank 20-47th with
    # CBOW/HS at 32 dimensions on 100k words, depending on the seed; the mean rank was
    # 3-14 over seeds 1-4, and skip-gram's ranks 0-5.)
    ranks = {}
    for old, new in RENAMED.items():
        assert not np.array_equal(m.wv[new], new_before[new_words.index(new)])
        twin = cosine(m.wv[old], m.wv[new])
        others = [cosine(m.wv[w], m.wv[new]) for w in m.wv.index_to_key[50:250]]
        ranks[old] = sum(o > twin for o in others)
    assert max(ranks.values()) < 100 and np.mean(list(ranks.values())) < 20, ranks
    # an updated model (counts no longer sorted) saves and loads
    m.save(tmp_path / "m.fw2v")
    back = Word2Vec.load(tmp_path / "m.fw2v")
    assert back.wv.index_to_key == m.wv.index_to_key
    np.testing.assert_array_equal(back.vocab.counts, m.vocab.counts)


def test_update_corpus_file_and_from_freq(small_text_file, tmp_path):
    m = Word2Vec(corpus_file=small_text_file, epochs=1, **FAST)
    V0 = len(m.wv)
    extra = tmp_path / "extra.txt"
    extra.write_text("zebra quagga okapi zebra quagga okapi the\n" * 4, encoding="utf-8")
    m.build_vocab(corpus_file=str(extra), update=True)
    assert m.wv.index_to_key[V0:] == ["zebra", "quagga", "okapi"]
    before = m.wv.vectors.copy()
    m.train(corpus_file=str(extra), epochs=2)
    assert not np.array_equal(m.wv.vectors[V0:], before[V0:])
    the = m.wv.get_vecattr("the", "count")
    m.build_vocab_from_freq({"gnu": 10, "the": 5, "zzrare": 1}, update=True)
    assert m.wv.index_to_key[-1] == "gnu"
    assert "zzrare" not in m.wv                                       # min_count=3
    assert m.wv.get_vecattr("the", "count") == the + 5
    # a model without vocabulary cannot be updated
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec(**FAST).build_vocab([["a", "b"]], update=True)


# -- Ctrl-C ----------------------------------------------------------------------------
CHILD = r"""
import json, logging, signal, sys, time
import numpy as np
# a shell's background job starts with SIGINT ignored (POSIX), which Python keeps: this
# test is about Ctrl-C, so make it behave as in a terminal
signal.signal(signal.SIGINT, signal.default_int_handler)
from fastw2v import Word2Vec, CallbackAny2Vec
logging.basicConfig(level=logging.WARNING)

class Ready(CallbackAny2Vec):
    def on_epoch_begin(self, model):
        if model.epochs_trained == 1:
            print("READY", flush=True)

# skip-gram with both objectives: a slow mode, so that an epoch lasts seconds and the
# signal surely lands inside the second one
m = Word2Vec(vector_size=32, min_count=5, workers=2, progress=False, sg=1, hs=1, negative=5,
             window=8)
m.build_vocab(corpus_file=sys.argv[1])
t0 = time.perf_counter()
try:
    m.train(corpus_file=sys.argv[1], epochs=40, callbacks=[Ready()])
    result = {"interrupted": False}
except KeyboardInterrupt:
    result = {"interrupted": True, "at": time.perf_counter()}
p = m.partial_epoch
result.update(epochs_trained=m.epochs_trained, n_stats=len(m.epoch_stats),
              finite=bool(np.isfinite(m.wv.vectors).all() and np.isfinite(m.syn1neg).all()),
              partial=None if p is None else [p.epoch, p.words_read, p.completed])
m.train(corpus_file=sys.argv[1], epochs=1)      # consistent: training goes on
result["after"] = m.epochs_trained
print(json.dumps(result), flush=True)
"""


def test_ctrl_c_stops_training_and_leaves_a_consistent_model(sample_text_file, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    # the child imports the installed package (the source tree has no compiled kernels
    # when the package was installed non-editable, as in CI)
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, str(script), sample_text_file], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "READY"
        threading.Event().wait(0.2)            # into the second epoch
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["interrupted"] is True and result["finite"] is True
    assert result["epochs_trained"] == result["n_stats"] == 1    # completed epochs only
    epoch, words_read, completed = result["partial"]
    assert epoch == 1 and completed is False and words_read > 0
    assert result["after"] == 2
    assert "stopped by KeyboardInterrupt" in err and "during epoch 1" in err


class InterruptingCorpus:
    """Re-iterable corpus whose second pass raises KeyboardInterrupt half way."""

    def __init__(self, sentences):
        self.sentences, self.passes = sentences, 0

    def __iter__(self):
        self.passes += 1
        for i, s in enumerate(self.sentences):
            if self.passes == 2 and i == 3 * len(self.sentences) // 4:
                raise KeyboardInterrupt
            yield s


def test_interrupt_in_iterable_mode(sentences, caplog):
    m = Word2Vec(**FAST)
    corpus = InterruptingCorpus(sentences)
    m.build_vocab(sentences)
    with caplog.at_level(logging.WARNING, logger="fastw2v"):
        with pytest.raises(KeyboardInterrupt):
            m.train(corpus, total_examples=len(sentences), epochs=3)
    assert m.epochs_trained == 1 and len(m.epoch_stats) == 1
    p = m.partial_epoch
    assert p.epoch == 1 and not p.completed
    # the jobs handed to the workers before the interrupt were trained, no more
    assert 0 <= p.words_read < m.epoch_stats[0].words_read
    assert 0 <= p.raw_words < m.epoch_stats[0].raw_words
    assert "stopped by KeyboardInterrupt during epoch 1" in caplog.text
    m.train(sentences, total_examples=len(sentences), epochs=1)      # not left busy
    assert m.epochs_trained == 2 and m.partial_epoch is None


@pytest.mark.parametrize("update", [False, True])
def test_ctrl_c_while_building_the_vocabulary_leaves_the_model_as_it_was(sentences,
                                                                         monkeypatch, update):
    """A Ctrl-C while the new vocabulary's vectors are made (the slow part of
    build_vocab() on a large vocabulary) changes nothing: vocabulary, vectors, output
    weights and history are the old ones, still matching, and training goes on."""
    from fastw2v.state import ModelState
    m = Word2Vec(sentences[:300], epochs=1, seed=3, **FAST)
    before = (list(m.wv.index_to_key), m.wv.vectors.copy(), m.syn1neg.copy(),
              m.epochs_trained, m.corpus_count, m.wv.get_vecattr(m.wv.index_to_key[0], "count"))

    def interrupted(self, n, rng):
        raise KeyboardInterrupt

    monkeypatch.setattr(ModelState, "fresh_vectors", interrupted)
    with pytest.raises(KeyboardInterrupt):
        m.build_vocab(sentences, update=update, min_count=2)
    monkeypatch.undo()
    assert m.min_count == FAST["min_count"]
    assert list(m.wv.index_to_key) == before[0] == list(m.state.vocab.words)
    np.testing.assert_array_equal(m.wv.vectors, before[1])
    np.testing.assert_array_equal(m.syn1neg, before[2])
    assert (m.epochs_trained, m.corpus_count) == before[3:5]
    assert m.wv.get_vecattr(before[0][0], "count") == before[5]
    m.train(sentences[:300], total_examples=300, epochs=1)
    trained = m.wv.vectors.copy()
    m.build_vocab(sentences, update=update)             # and the call works once let be
    assert len(m.wv) > len(before[0]) and list(m.wv.index_to_key) == list(m.state.vocab.words)
    if update:                                          # the trained rows kept
        np.testing.assert_array_equal(m.wv.vectors[:len(before[0])], trained)


@pytest.mark.parametrize("update", [False, True])
def test_ctrl_c_while_the_vocabulary_is_switched_comes_after_it(sentences, monkeypatch,
                                                               update):
    """A Ctrl-C that lands while the new vocabulary and vectors are put in place (a real
    SIGINT, raised by Python at its next check point) is raised once they are: the
    model has the new vocabulary, its vectors matching, and trains."""
    from fastw2v.state import ModelState
    from fastw2v.vectors.keyedvectors import KeyedVectors
    m = Word2Vec(sentences[:300], epochs=1, seed=3, **FAST)
    old = len(m.wv)
    # a step within the switch: the grown wv settling its keys, the history cleared
    owner, name = (KeyedVectors, "_settle") if update else (ModelState, "clear_history")
    real, sent = getattr(owner, name), []

    def step(self):
        if not sent:
            sent.append(1)
            signal.raise_signal(signal.SIGINT)
        return real(self)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        monkeypatch.setattr(owner, name, step)
        with pytest.raises(KeyboardInterrupt):
            m.build_vocab(sentences, update=update)
    finally:
        signal.signal(signal.SIGINT, previous)
        monkeypatch.undo()
    assert sent and len(m.wv) > old
    assert list(m.wv.index_to_key) == list(m.state.vocab.words)
    assert len(m.wv.vectors) == len(m.syn1neg) == len(m.wv)
    m.train(sentences, total_examples=len(sentences), epochs=1)


def test_deferred_interrupt_holds_ctrl_c_to_the_end_of_the_block():
    from fastw2v.interrupts import deferred_interrupt
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        steps = []
        with pytest.raises(KeyboardInterrupt):
            with deferred_interrupt():
                with deferred_interrupt():          # nested: handed to the outer one
                    signal.raise_signal(signal.SIGINT)
                    steps.append("inner")
                steps.append("outer")
        assert steps == ["inner", "outer"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with deferred_interrupt():                  # no signal: nothing raised
            steps.append("quiet")
        # off the main thread the block just runs (Python runs handlers on the main one)
        done = []
        t = threading.Thread(target=lambda: done.append(deferred_interrupt().__enter__()))
        t.start()
        t.join()
        assert done == [None]
        signal.signal(signal.SIGINT, signal.SIG_IGN)    # ignored: stays ignored
        with deferred_interrupt():
            signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


# -- errors and threads ------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_hot_rows_by_worker_count(sentences, workers):
    # hot nodes from 2 workers on, hot output rows from HOT_OUTPUTS_MIN_WORKERS (3) on;
    # never more than 1/HOT_FRACTION of a matrix's rows
    from fastw2v.training import trainer as tr
    m = Word2Vec(sentences[:2000], epochs=1, hs=1, negative=5, min_count=1, vector_size=16,
                 workers=2, progress=False)
    V = len(m.wv)
    cap = V // tr.HOT_FRACTION
    assert cap >= 1
    t = Trainer(m.state.kernel_model(False), workers, 1)
    expected = ((0, 0, 0) if workers == 1 else
                (0, min(tr.HOT_NODES, cap),
                 min(tr.HOT_OUTPUTS, cap) if workers >= tr.HOT_OUTPUTS_MIN_WORKERS else 0))
    assert all(w.hot_rows == expected for w in t.workers)
    assert tr.HOT_OUTPUTS_MIN_WORKERS == 3


@pytest.mark.parametrize("vector_size,nodes", [(100, 511), (128, 511), (300, 215), (500, 120)])
def test_hot_nodes_fit_their_byte_budget(monkeypatch, vector_size, nodes):
    # the copies of the hot Huffman nodes stay within HOT_NODE_BYTES (a core's L2 share):
    # all 511 nodes for short rows, fewer as rows grow
    from fastw2v.training import trainer as tr
    monkeypatch.setattr(tr, "HOT_FRACTION", 1)           # a tiny vocabulary, no cap by V
    words = [f"w{i}" for i in range(600)]
    m = Word2Vec([words], epochs=1, hs=1, negative=0, min_count=1, vector_size=vector_size,
                 workers=1, progress=False)
    km = m.state.kernel_model(False)
    assert km.row_stride == kernels.layout.row_stride(vector_size)
    assert nodes == min(tr.HOT_NODES, tr.HOT_NODE_BYTES // (4 * km.row_stride))
    t = Trainer(km, 2, 1)
    assert all(w.hot_rows == (0, nodes, 0) for w in t.workers)


def test_worker_error_is_raised_on_the_calling_thread(sentences):
    m = Word2Vec(sentences[:200], epochs=1, **FAST)
    trainer = Trainer(m.state.kernel_model(False), 2, 1)
    good = np.array([0, 1, 2, -1], dtype=np.int32)
    bad = np.array([0, len(m.wv) + 5, -1], dtype=np.int32)

    def jobs(_):
        return iter([(good, 0, 4, 4), (bad, 0, 3, 3), (good, 0, 4, 4)])

    with pytest.raises(ValueError, match="outside the vocabulary"):
        trainer.train(jobs, 1, 0, 0.025, 0.0001, 12)
    assert trainer.partial is not None and not trainer.partial.completed
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-worker")]


def test_training_one_model_from_two_threads_is_refused(small_text_file):
    m = Word2Vec(**FAST)
    m.build_vocab(corpus_file=small_text_file)
    started = threading.Event()
    outcome = {}

    class Signal(CallbackAny2Vec):
        def on_epoch_begin(self, model):
            started.set()

    def background():
        outcome["result"] = m.train(corpus_file=small_text_file, epochs=500,
                                    callbacks=[Signal()])

    t = threading.Thread(target=background)
    t.start()
    try:
        assert started.wait(60)
        with pytest.raises(RuntimeError, match="already busy with train"):
            m.train(corpus_file=small_text_file, epochs=1)
        with pytest.raises(RuntimeError, match="already busy"):
            m.build_vocab(corpus_file=small_text_file)
    finally:
        m.stop_training = True
        t.join(60)
    assert not t.is_alive() and m.epochs_trained < 500
    # free again once the other call has returned
    m.train(corpus_file=small_text_file, epochs=1)


def test_train_from_a_callback_is_refused(sentences):
    m = Word2Vec(**FAST)
    m.build_vocab(sentences[:200])

    class Reenter(CallbackAny2Vec):
        def on_epoch_end(self, model):
            model.train(sentences[:200], total_examples=200, epochs=1)

    with pytest.raises(RuntimeError, match="already busy"):
        m.train(sentences[:200], total_examples=200, epochs=1, callbacks=[Reenter()])


def test_busy_marker_stays_out_of_the_model(sentences):
    # the "busy" bookkeeping lives in fastw2v.training.session, not in the model's
    # attributes, and a model that is not training is not busy
    m = Word2Vec(**FAST)
    m.build_vocab(sentences[:200])
    seen = {}

    class Look(CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen["attrs"] = set(vars(model))

    m.train(sentences[:200], total_examples=200, epochs=1, callbacks=[Look()])
    assert not any("busy" in name for name in seen["attrs"])
    m.build_vocab(sentences[:200])          # free again


@pytest.mark.parametrize("workers", [1, 2])
def test_corpus_file_pages_released_behind_the_jobs(small_text_file, monkeypatch, workers):
    """An encoded corpus's pages are handed back in order: behind the searches for
    sentence ends that place the cuts, then for jobs 4 x workers behind the one handed
    out, and an epoch's last jobs when the next epoch starts. Releasing changes nothing
    in what is trained."""
    from fastw2v.corpus import EncodedCorpus
    from fastw2v.training import session
    from fastw2v.training.trainer import corpus_blocks

    kw = dict(vector_size=16, window=3, min_count=3, epochs=2, seed=4, workers=workers)
    calls = []
    real = EncodedCorpus.release
    real_blocks = session.corpus_blocks

    stream = []

    def spy(enc, start, end):
        calls.append((start, end, len(enc.ids)))
        if not stream:
            stream.append(np.array(enc.ids))
        real(enc, start, end)

    def blocks_spy(*args, **kwargs):
        calls.append("cuts")
        out = real_blocks(*args, **kwargs)
        calls.append("jobs")
        return out
    monkeypatch.setattr(EncodedCorpus, "release", spy)
    monkeypatch.setattr(session, "corpus_blocks", blocks_spy)

    def phases():
        cuts = calls[calls.index("cuts") + 1:calls.index("jobs")]
        jobs = calls[calls.index("jobs") + 1:]
        calls.clear()
        # the searches: from the start to the end of the stream, each from where the
        # last one ended
        assert cuts[0][0] == 0 and cuts[-1][1] == cuts[-1][2] and len(cuts) > 2
        assert all(a[1] == b[0] and a[0] <= a[1] for a, b in zip(cuts, cuts[1:]))
        return jobs

    kept = Word2Vec(corpus_file=small_text_file, **kw)
    jobs = phases()
    n = jobs[0][2]
    blocks = corpus_blocks(n, workers, ids=stream[0])
    lag = 4 * workers
    assert len(blocks) > lag + 1
    # 100k words: less than RELEASE_ENTRIES, no job's pages released; each epoch
    # starts by dropping all but its first job's (the previous epoch's last jobs)
    start = [(blocks[0][1], n, n)]
    assert jobs == start * kw["epochs"]
    monkeypatch.setattr(session, "RELEASE_ENTRIES", 1)          # after every job
    released = Word2Vec(corpus_file=small_text_file, **kw)
    # per epoch: jobs 0 .. len - lag - 1 released one by one, in order, as the job lag
    # places after each is handed out; the last lag jobs stay mapped until the next
    # epoch starts
    per_epoch = [(blocks[k - 1][1] if k else 0, blocks[k][1], n)
                 for k in range(len(blocks) - lag)]
    assert phases() == (start + per_epoch) * kw["epochs"]
    if workers == 1:                                            # bit for bit the same
        assert np.array_equal(kept.wv.vectors, released.wv.vectors)
        assert np.array_equal(kept.syn1neg, released.syn1neg)
    else:
        assert released.wv.vectors.shape == kept.wv.vectors.shape
        assert np.isfinite(released.wv.vectors).all()


@pytest.mark.parametrize("workers, reproducible", [(1, False), (2, False), (4, False),
                                                   (8, True), (20, True)])
def test_corpus_file_jobs_train_every_pair_of_every_sentence(tmp_path, workers,
                                                             reproducible):
    """A corpus file is cut into jobs; a cut inside a sentence lost the context pairs
    across it (12 of 119,600 with 1-4 workers, 60 with 20), so what was trained
    depended on the worker count. Jobs now end at sentence ends: with window 1, no
    down-sampling and no window shrinking, every sentence of n words gives 2 (n - 1)
    pairs, as the iterable mode trains them."""
    from fastw2v.training.trainer import corpus_blocks
    rng = np.random.default_rng(3)
    p = tmp_path / "c.txt"
    p.write_text("\n".join(" ".join(f"w{i}" for i in rng.integers(0, 500, 300))
                           for _ in range(200)) + "\n", encoding="utf-8")
    kw = dict(vector_size=8, window=1, shrink_windows=False, sample=0, sg=1, min_count=1,
              compute_loss=True, epochs=1, seed=1, workers=workers,
              reproducible=reproducible)
    for model in (Word2Vec(corpus_file=str(p), **kw),
                  Word2Vec(LineSentence(str(p)), **kw)):
        assert model.epoch_stats[-1].loss_examples == 200 * 2 * 299
    # the cuts: at sentence ends where one comes within half a block, else where they were
    ids = np.array(([1] * 9 + [-1]) * 3000, dtype=np.int32)
    blocks = corpus_blocks(len(ids), 1, ids=ids)
    assert blocks[0][0] == 0 and blocks[-1][1] == len(ids) and len(blocks) > 1
    assert all(a[1] == b[0] and ids[a[1] - 1] == -1 for a, b in zip(blocks, blocks[1:]))
    assert corpus_blocks(len(ids), 1, ids=np.ones_like(ids)) == corpus_blocks(len(ids), 1)
