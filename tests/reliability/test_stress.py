"""Thread stress: many short trainings with more workers than cores, concurrent queries
on one KeyedVectors, training interrupted at random points, and saves killed half way.
Every test runs under a time guard, so a deadlock fails it instead of hanging CI."""
import _thread
import faulthandler
import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from fastw2v import CallbackAny2Vec, KeyedVectors, Word2Vec

from conftest import MODES


def guarded(fn, seconds, *args):
    """Run ``fn(*args)`` in a thread; fail if it has not finished after ``seconds``
    (a deadlock), re-raise its error otherwise."""
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:          # noqa: B902 - re-raised below
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True, name="stress-guard")
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} still running after {seconds} s: deadlock?")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def training_threads(before=()):
    """Live training threads (lock-free workers or reproducible-mode workers) that were
    not in ``before``."""
    return [t for t in threading.enumerate() if t not in before and t.is_alive()
            and t.name.startswith(("fastw2v-worker", "fastw2v-sync"))]


@pytest.fixture(scope="module")
def corpus(small_text_file, tmp_path_factory):
    """About 30k words: a file and the same sentences as lists."""
    lines = open(small_text_file, encoding="utf-8").read().splitlines()[:600]
    path = tmp_path_factory.mktemp("stress") / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path), [line.split() for line in lines]


# -- many short trainings, more workers than cores ------------------------------------------
def test_many_short_trainings_with_eight_workers(corpus):
    path, sentences = corpus
    variants = [dict(), dict(reproducible=True), dict(shared_negatives=True, sg=1, hs=0,
                                                      negative=5)]
    modes = list(MODES.values())

    def run_all():
        before = set(threading.enumerate())
        for i in range(30):
            kw = dict(modes[i % len(modes)], **variants[i % len(variants)])
            if kw.get("shared_negatives"):
                kw.update(sg=1, negative=5)
            params = dict(vector_size=16, min_count=2, workers=8, epochs=1, seed=i,
                          progress=False, batch_words=500, **kw)
            m = (Word2Vec(corpus_file=path, **params) if i % 2
                 else Word2Vec(sentences, **params))
            assert m.epochs_trained == 1 and m.epoch_stats[0].words_read > 20_000, (i, kw)
            for arr in (m.wv.vectors, m.syn1neg, m.syn1):
                assert arr is None or np.isfinite(arr).all(), (i, kw)
            assert np.abs(m.wv.vectors).max() < 10, (i, kw)
            hits = m.wv.most_similar("the", topn=5)
            assert len(hits) == 5 and all(np.isfinite(s) for _, s in hits)
            assert not training_threads(before), i

    guarded(run_all, 120)


# -- concurrent queries ----------------------------------------------------------------------
def test_concurrent_queries_match_single_threaded_answers(corpus):
    _, sentences = corpus
    wv = Word2Vec(sentences, vector_size=24, min_count=2, workers=2, epochs=2,
                  progress=False).wv
    words = wv.index_to_key[:300]
    rng = random.Random(3)
    queries = []
    for _ in range(60):
        a, b, c = rng.sample(words, 3)
        queries += [("most_similar", (a,)), ("similarity", (a, b)),
                    ("analogy", (a, b, c)), ("cosmul", (a, b, c)),
                    ("batch", (a, b, c)), ("n_similarity", (a, b, c))]

    def answer(kind, args):
        if kind == "most_similar":
            return wv.most_similar(args[0], topn=10)
        if kind == "similarity":
            return wv.similarity(*args)
        if kind == "analogy":
            return wv.most_similar(positive=[args[0], args[1]], negative=[args[2]], topn=5)
        if kind == "cosmul":
            return wv.most_similar_cosmul(positive=[args[0], args[1]], negative=[args[2]], topn=5)
        if kind == "batch":
            return wv.most_similar_batch(list(args), topn=5)
        return wv.n_similarity([args[0], args[1]], [args[2]])

    expected = [answer(*q) for q in queries]
    failures = []

    def hammer(seed):
        order = list(range(len(queries)))
        random.Random(seed).shuffle(order)
        try:
            for _ in range(3):
                wv.norms = None              # threads race to rebuild the norm cache
                for i in order:
                    got = answer(*queries[i])
                    if not same(got, expected[i]):
                        failures.append((queries[i], got, expected[i]))
        except BaseException as exc:         # noqa: B902 - reported by the test
            failures.append(("raised", repr(exc)))

    def run_threads():
        threads = [threading.Thread(target=hammer, args=(s,)) for s in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    guarded(run_threads, 90)
    assert not failures, failures[:3]


def same(a, b):
    """Equal query answers: same words in the same order, scores to float32 rounding."""
    if isinstance(a, (float, np.floating)):
        return abs(a - b) <= 1e-6
    if isinstance(a, list) and a and isinstance(a[0], list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return [w for w, _ in a] == [w for w, _ in b] and \
        np.allclose([s for _, s in a], [s for _, s in b], rtol=0, atol=1e-6)


def test_queries_while_the_model_trains(corpus):
    """Queries from 4 threads while 4 workers write the same weights (Hogwild): no crash,
    answers well-formed."""
    path, _ = corpus
    m = Word2Vec(vector_size=16, min_count=2, workers=4, progress=False)
    m.build_vocab(corpus_file=path)
    done = threading.Event()
    problems = []

    def query(seed):
        rng = random.Random(seed)
        try:
            while not done.is_set():
                w = rng.choice(m.wv.index_to_key[:200])
                hits = m.wv.most_similar(w, topn=5)
                if len(hits) != 5 or w in [h for h, _ in hits]:
                    problems.append((w, hits))
        except BaseException as exc:         # noqa: B902 - reported by the test
            problems.append(("raised", repr(exc)))

    def run():
        threads = [threading.Thread(target=query, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        try:
            m.train(corpus_file=path, epochs=8)
        finally:
            done.set()
            for t in threads:
                t.join()

    guarded(run, 90)
    assert not problems, problems[:3]
    assert m.epochs_trained == 8 and np.isfinite(m.wv.vectors).all()


# -- training interrupted at random points ---------------------------------------------------
def check_consistent_and_saveable(m, tmp_path, tag):
    assert np.isfinite(m.wv.vectors).all()
    # no thread still writes the weights once train() has returned or raised
    snapshot = m.wv.vectors.copy()
    time.sleep(0.05)
    np.testing.assert_array_equal(m.wv.vectors, snapshot)
    assert m.epochs_trained == len(m.epoch_stats)
    path = tmp_path / f"{tag}.fw2v"
    m.save(path)
    back = Word2Vec.load(path)
    np.testing.assert_array_equal(back.wv.vectors, m.wv.vectors)
    for a, b in ((back.syn1neg, m.syn1neg), (back.syn1, m.syn1)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert back.epochs_trained == m.epochs_trained and back.wv.index_to_key == m.wv.index_to_key


def test_stop_training_from_a_callback_or_a_timer_at_random_points(corpus, tmp_path):
    path, sentences = corpus
    rng = random.Random(11)

    class StopAt(CallbackAny2Vec):
        def __init__(self, epoch):
            self.epoch = epoch

        def on_epoch_end(self, model):
            if model.epochs_trained == self.epoch:
                model.stop_training = True

    class StartTimer(CallbackAny2Vec):
        """Sets stop_training from a timer thread, ``delay`` seconds after epoch 1."""
        def __init__(self, delay):
            self.delay, self.timer = delay, None

        def on_epoch_end(self, model):
            if self.timer is None:
                self.timer = threading.Timer(self.delay, setattr,
                                             (model, "stop_training", True))
                self.timer.start()

        def join(self):
            if self.timer is not None:
                self.timer.join()

    def run():
        before = set(threading.enumerate())
        for i in range(6):
            stop = rng.randint(1, 4)
            m = Word2Vec(vector_size=16, min_count=2, workers=3, progress=False,
                         reproducible=bool(i % 2))
            m.build_vocab(corpus_file=path)
            m.train(corpus_file=path, epochs=6, callbacks=[StopAt(stop)])
            assert m.epochs_trained == stop
            check_consistent_and_saveable(m, tmp_path, f"cb{i}")
        for i in range(6):           # a timer on another thread, at a random moment
            m = Word2Vec(vector_size=16, min_count=2, workers=3, progress=False)
            m.build_vocab(sentences)
            # started once the first epoch has ended: train() resets stop_training as it
            # begins, and a flag set between that reset and the first epoch's check
            # rightly trains no epoch at all
            timer = StartTimer(rng.uniform(0, 0.3))
            m.train(sentences, total_examples=len(sentences), epochs=30, callbacks=[timer])
            timer.join()
            assert 1 <= m.epochs_trained <= 30
            check_consistent_and_saveable(m, tmp_path, f"timer{i}")
        assert not training_threads(before)

    guarded(run, 120)


@pytest.mark.parametrize("source", ["corpus_file", "iterable", "reproducible"])
def test_ctrl_c_at_random_points(corpus, tmp_path, source):
    """KeyboardInterrupt delivered to the training (main) thread at random moments, as
    Ctrl-C would be: the model stays consistent, saves, loads and trains on."""
    assert threading.current_thread() is threading.main_thread()
    # Ctrl-C needs the main thread, so no guard thread here: a deadlock dumps the stacks
    # and ends the run instead of hanging it
    faulthandler.dump_traceback_later(120, exit=True)
    # interrupt_main() does nothing while SIGINT is ignored, as it is when the suite runs
    # as a shell's background job (POSIX): install Python's own handler for this test
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    # An interrupt that lands inside a gc callback is printed and dropped by Python
    # ("Exception ignored in"): hypothesis installs one (it times the collector), and a
    # CI run lost one of the eight Ctrl-Cs there. Run without foreign gc callbacks, and
    # name any interrupt that Python still drops, so that a loss is never silent.
    callbacks, gc.callbacks[:] = gc.callbacks[:], []
    dropped = []
    hook = sys.unraisablehook

    def record(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            dropped.append(repr(unraisable.object))
        hook(unraisable)

    sys.unraisablehook = record
    try:
        ctrl_c_rounds(corpus, tmp_path, source, dropped)
    finally:
        sys.unraisablehook = hook
        gc.callbacks[:] = callbacks
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGINT, previous)


def ctrl_c_rounds(corpus, tmp_path, source, dropped):
    path, sentences = corpus
    rng = random.Random({"corpus_file": 1, "iterable": 2, "reproducible": 3}[source])
    kw = dict(corpus_file=path) if source != "iterable" else \
        dict(corpus_iterable=sentences, total_examples=len(sentences))
    interrupted = 0
    t_end = time.monotonic() + 40
    for i in range(8):
        assert time.monotonic() < t_end, "interrupted trainings take too long (deadlock?)"
        m = Word2Vec(vector_size=16, min_count=2, workers=3, progress=False,
                     reproducible=source == "reproducible")
        m.build_vocab(**({"corpus_file": path} if source != "iterable" else
                         {"corpus_iterable": sentences}))
        timer = threading.Timer(rng.uniform(0.0, 0.4), _thread.interrupt_main)
        try:
            try:
                timer.start()
                m.train(epochs=1000, **kw)      # minutes: the interrupt comes first
            finally:
                timer.cancel()
                timer.join()
                time.sleep(0.05)          # a late interrupt lands here, inside the try
        except KeyboardInterrupt:
            interrupted += 1
        assert m.partial_epoch is None or not m.partial_epoch.completed
        check_consistent_and_saveable(m, tmp_path, f"ki{i}")
        epochs = m.epochs_trained
        m.train(epochs=1, **kw)          # not left busy, and trains on
        assert m.epochs_trained == epochs + 1
    assert interrupted == 8, f"Ctrl-Cs dropped by Python in: {dropped}"
    # (a Ctrl-C that lands in Thread.start(): see the next test)


@pytest.mark.parametrize("reproducible", [False, True], ids=["lock-free", "reproducible"])
def test_ctrl_c_while_starting_the_worker_threads_leaks_none(corpus, monkeypatch, reproducible):
    """Deterministic version of a failure the random interrupts above hit: the Ctrl-C
    arrives just after the second worker thread started."""
    _, sentences = corpus
    m = Word2Vec(vector_size=16, min_count=2, workers=3, progress=False,
                 reproducible=reproducible)
    m.build_vocab(sentences)
    before = set(threading.enumerate())
    real_start = threading.Thread.start

    def start(thread):
        real_start(thread)
        if thread.name in ("fastw2v-worker-1", "fastw2v-sync-1"):
            raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(KeyboardInterrupt):
        m.train(sentences, total_examples=len(sentences), epochs=1)
    monkeypatch.undo()
    deadline = time.monotonic() + 5
    while training_threads(before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not training_threads(before)


# -- a save killed half way --------------------------------------------------------------------
SAVER = r"""
import sys
import numpy as np
from fastw2v import KeyedVectors
path, fmt = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(int(sys.argv[3]))
keys = [f"k{i}" for i in range(40_000)]
kv = KeyedVectors(64, keys, rng.standard_normal((len(keys), 64)).astype(np.float32))
print("READY", flush=True)
while True:
    if fmt == "native":
        kv.save(path)
    else:
        kv.save_word2vec_format(path, binary=True)
    print("SAVED", flush=True)
"""


@pytest.mark.parametrize("fmt", ["native", "binary"])
def test_save_killed_half_way_leaves_the_old_or_the_new_file(tmp_path, fmt):
    path = tmp_path / f"target.{fmt}"

    def load():
        return KeyedVectors.load(path) if fmt == "native" else \
            KeyedVectors.load_word2vec_format(path, binary=True)

    old = KeyedVectors(64, ["old", "file"], np.ones((2, 64), np.float32))
    if fmt == "native":
        old.save(path)
    else:
        old.save_word2vec_format(path, binary=True)
    rng = random.Random(5)
    seen = set()

    def run():
        for i in range(6):
            proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SAVER), str(path),
                                     fmt, "1"], stdout=subprocess.PIPE, text=True,
                                    cwd=tmp_path)   # the installed package, not ./fastw2v
            try:
                assert proc.stdout.readline().strip() == "READY"
                if i % 2:
                    # every other kill comes after at least one complete save, however
                    # slow the host (a sanitizer build on a slow VM took longer than
                    # any of the random delays for all six kills)
                    assert proc.stdout.readline().strip() == "SAVED"
                time.sleep(rng.uniform(0.0, 0.6))
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
            finally:
                if proc.poll() is None:
                    proc.kill()
            kv = load()                      # never a half-written file
            assert kv.vectors.shape[1] == 64 and np.isfinite(kv.vectors).all()
            assert len(kv) in (2, 40_000)
            seen.add(len(kv))
            if len(kv) == 40_000:
                expect = np.random.default_rng(1).standard_normal((40_000, 64)).astype(np.float32)
                np.testing.assert_array_equal(kv.vectors, expect)

    guarded(run, 120)
    assert 40_000 in seen          # some kill came after a complete save
    # leftovers of killed saves are temporary files beside the target, never the target
    assert all(n.endswith(".tmp") for n in os.listdir(tmp_path) if n != path.name)
