"""The Cython kernels against the slow NumPy reference (tests/reference.py)."""
import numpy as np
import pytest

from fastw2v import kernels as _kernels
from fastw2v.corpus import encode_batch
from reference import ReferenceTrainer, XorShift64Star, learning_rate
from fastw2v.tables import build_huffman, keep_thresholds, noise_table, sigmoid_table
from fastw2v.vocab import VocabBuilder

from conftest import MODES

SENTENCES = [
    "the quick brown fox jumps over the lazy dog".split(),
    "the dog sleeps and the fox runs".split(),
    "a b c d e f g the fox the dog the cat".split(),
    ["single"],
    [],
    "cat sat on the mat with the dog and the fox and the bird".split(),
]


def make_case(mode, dim=13, sample=0.0, window=3, cbow_mean=1, shrink=True, compute_loss=False,
              seed=7, shared_negatives=False, negative=None, flat_sigmoid=False):
    b = VocabBuilder()
    b.add_sentences(SENTENCES * 2)
    vocab = b.finalize(min_count=1)
    V = len(vocab)
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    # non-zero output layers make every term of the update matter from the first step
    syn1 = (rng.standard_normal((V, dim)).astype(np.float32) * 0.3)
    syn1neg = (rng.standard_normal((V, dim)).astype(np.float32) * 0.3)
    cfg = MODES[mode]
    huff = build_huffman(vocab.counts)
    noise = noise_table(vocab.counts, 0.75)
    kw = dict(sg=cfg["sg"], hs=cfg["hs"],
              negative=cfg["negative"] if negative is None else negative, window=window,
              cbow_mean=cbow_mean, shrink_windows=shrink, compute_loss=compute_loss,
              keep_threshold=keep_thresholds(vocab.keep_probabilities(sample)) if sample else None,
              codes=huff.codes, points=huff.points, code_offsets=huff.offsets,
              alias_threshold=noise.threshold, alias_index=noise.alias,
              # flat: every gradient is (label - 0.25) * alpha, so no score lands on the
              # other side of a table bin because of the order its terms were summed in
              sigmoid=np.full(1000, 0.25, np.float32) if flat_sigmoid else sigmoid_table(),
              shared_negatives=shared_negatives)
    ids = []
    for s in SENTENCES * 3:
        ids.extend(vocab.index[w] for w in s)
        ids.append(-1)
    return vocab, (syn0, syn1, syn1neg), kw, np.array(ids, dtype=np.int32)


def run_both(mode, seeds=(11, 12), kernels=None, register_kernels=True, lockf=None, **case_kw):
    """Train one case with the kernels (``kernels``: a variant's module, default the one
    in use) and with the NumPy reference, in two jobs."""
    kernels = kernels or _kernels
    vocab, (syn0, syn1, syn1neg), kw, ids = make_case(mode, **case_kw)
    if lockf is not None:
        kw["lockf"] = lockf
    k_w = [syn0.copy(), syn1.copy(), syn1neg.copy()]
    r_w = [syn0.copy(), syn1.copy(), syn1neg.copy()]
    km = kernels.Model(*k_w, register_kernels=register_kernels, **kw)
    km.set_schedule(0.05, 0.001, 3 * len(ids))
    worker = kernels.Worker(km)
    ref = ReferenceTrainer(*r_w, **kw)
    ref.set_schedule(0.05, 0.001, 3 * len(ids))
    half = len(ids) // 2
    for seed, (s, e) in zip(seeds, [(0, half), (half, len(ids))]):
        worker.train(ids, s, e, seed)
        ref.train(ids, s, e, seed)
    return k_w, r_w, worker, ref, (syn0, syn1, syn1neg)


@pytest.mark.parametrize("mode,cbow_mean", [(m, 1) for m in MODES] +
                         [(m, 0) for m in MODES if m.startswith("cbow")])
def test_kernel_matches_reference(mode, cbow_mean):
    k_w, r_w, worker, ref, initial = run_both(mode, cbow_mean=cbow_mean)
    for name, k, r, init in zip(("syn0", "syn1", "syn1neg"), k_w, r_w, initial):
        np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6, err_msg=name)
    # the case really trained: every weight matrix that the mode uses moved
    cfg = MODES[mode]
    assert not np.allclose(k_w[0], initial[0])
    assert np.allclose(k_w[1], initial[1]) != bool(cfg["hs"])
    assert np.allclose(k_w[2], initial[2]) != bool(cfg["negative"])


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs", "sg-both"])
def test_kernel_matches_reference_with_subsampling_and_fixed_windows(mode):
    for shrink in (True, False):
        k_w, r_w, worker, ref, _ = run_both(mode, sample=0.05, shrink=shrink)
        for k, r in zip(k_w, r_w):
            np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6)
        loss, examples, read, trained = worker.take_stats()
        assert trained == ref.words_trained and read == ref.progress
        assert trained < read            # down-sampling dropped words


@pytest.mark.parametrize("mode", list(MODES))
def test_kernel_loss_matches_reference(mode):
    _, _, worker, ref, _ = run_both(mode, compute_loss=True)
    loss, examples, read, trained = worker.take_stats()
    assert examples == ref.loss_examples > 0
    assert loss == pytest.approx(ref.loss, rel=1e-4)
    assert worker.take_stats() == (0.0, 0, 0, 0)         # taking resets


@pytest.mark.parametrize("mode", ["sg-ns", "sg-hs", "sg-both"])
@pytest.mark.parametrize("compute_loss", [False, True])
def test_shared_negatives_kernel_matches_reference(mode, compute_loss):
    k_w, r_w, worker, ref, initial = run_both(mode, shared_negatives=True, sample=0.05,
                                              compute_loss=compute_loss)
    for name, k, r in zip(("syn0", "syn1", "syn1neg"), k_w, r_w):
        np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6, err_msg=name)
    cfg = MODES[mode]
    assert np.allclose(k_w[1], initial[1]) != bool(cfg["hs"])
    assert np.allclose(k_w[2], initial[2]) != bool(cfg["negative"])
    loss, examples, read, trained = worker.take_stats()
    assert examples == ref.loss_examples > 0
    if compute_loss:
        assert loss == pytest.approx(ref.loss, rel=1e-4)
    # and it is a different update from the default one (one batch per window)
    k_default, _, _, _, _ = run_both(mode, sample=0.05)
    assert not np.allclose(k_default[0], k_w[0], rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("mode,negative,dim,window", [
    # the NS window: every block count of noise targets
    ("sg-ns", 1, 13, 3), ("sg-ns", 5, 3, 3), ("sg-ns", 6, 8, 2), ("sg-ns", 7, 13, 3),
    ("sg-ns", 13, 20, 5), ("sg-ns", 25, 12, 4), ("sg-ns", 5, 300, 5),
    # the HS window: paths of 1 to 6+ nodes, alone and beside the NS window
    ("sg-hs", 0, 13, 3), ("sg-hs", 0, 3, 5), ("sg-hs", 0, 300, 5), ("sg-both", 5, 20, 4)])
def test_shared_window_blocks_and_widths_match_reference(mode, negative, dim, window):
    """The window kernels work on blocks of 6 targets (noise words or path nodes) and on
    16-, 8-, 4- and 1-wide column chunks: every block count and chunk mix gives the
    reference's weights, with repeated noise and context words (a 31-word vocabulary, so
    repeats are common).

    A flat sigmoid table keeps rounding from flipping a score's table bin (at dim=300 a
    different summation order does that within a few windows, and the runs part); the
    scores themselves are checked through the loss, which uses them unbinned."""
    k_w, r_w, worker, ref, initial = run_both(mode, shared_negatives=True, negative=negative,
                                              dim=dim, window=window, compute_loss=True,
                                              flat_sigmoid=True)
    for name, k, r in zip(("syn0", "syn1", "syn1neg"), k_w, r_w):
        np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6, err_msg=name)
    assert not np.allclose(k_w[0], initial[0])
    assert np.allclose(k_w[1], initial[1]) != bool(MODES[mode]["hs"])
    assert np.allclose(k_w[2], initial[2]) != bool(negative)
    loss, examples, _, _ = worker.take_stats()
    assert examples == ref.loss_examples > 0
    assert loss == pytest.approx(ref.loss, rel=1e-4)


@pytest.mark.parametrize("mode", ["cbow-ns", "cbow-hs"])
def test_shared_negatives_needs_skipgram(mode):
    with pytest.raises(ValueError, match="shared_negatives"):
        vocab, weights, kw, ids = make_case(mode, shared_negatives=True)
        _kernels.Model(*weights, **kw)


def test_kernel_reads_every_word_and_sentence_cut_at_sentinels():
    vocab, weights, kw, ids = make_case("sg-ns")
    km = _kernels.Model(*[w.copy() for w in weights], **kw)
    worker = _kernels.Worker(km)
    n = worker.train(ids, 0, len(ids), 1)
    assert n == int(np.sum(ids >= 0)) == km.progress


def test_rejects_ids_outside_vocabulary():
    vocab, weights, kw, ids = make_case("sg-ns")
    km = _kernels.Model(*[w.copy() for w in weights], **kw)
    worker = _kernels.Worker(km)
    bad = ids.copy()
    bad[3] = len(vocab)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        worker.train(bad, 0, len(bad), 1)
    with pytest.raises(IndexError):
        worker.train(ids, 0, len(ids) + 1, 1)


def test_rejects_wrong_weight_arrays():
    vocab, (syn0, syn1, syn1neg), kw, ids = make_case("sg-ns")
    with pytest.raises(ValueError, match="float32"):
        _kernels.Model(syn0.astype(np.float64), syn1, syn1neg, **kw)
    with pytest.raises(ValueError, match="shape"):
        _kernels.Model(syn0, syn1, syn1neg[:-1], **kw)
    ro = syn0.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _kernels.Model(ro, syn1, syn1neg, **kw)


def test_learning_rate_schedule():
    assert _kernels.learning_rate(0.025, 0.0001, 0, 1000) == pytest.approx(0.025)
    assert _kernels.learning_rate(0.025, 0.0001, 500, 1000) == pytest.approx((0.025 + 0.0001) / 2)
    assert _kernels.learning_rate(0.025, 0.0001, 1000, 1000) == pytest.approx(0.0001)
    assert _kernels.learning_rate(0.025, 0.0001, 5000, 1000) == pytest.approx(0.0001)
    for done in (0, 17, 999, 1000, 3000):
        assert _kernels.learning_rate(0.05, 0.001, done, 1000) == pytest.approx(
            learning_rate(0.05, 0.001, done, 1000))


def test_alpha_decays_during_a_long_job():
    """Over more than PROGRESS_EVERY words the kernel lowers alpha as the reference does."""
    vocab, weights, kw, ids = make_case("cbow-ns")
    long_ids = np.tile(ids, 30000 // len(ids) + 1)
    k_w = [w.copy() for w in weights]
    r_w = [w.copy() for w in weights]
    km = _kernels.Model(*k_w, **kw)
    ref = ReferenceTrainer(*r_w, **kw)
    total = int(np.sum(long_ids >= 0))
    km.set_schedule(0.05, 0.0001, total)
    ref.set_schedule(0.05, 0.0001, total)
    _kernels.Worker(km).train(long_ids, 0, len(long_ids), 5)
    ref.train(long_ids, 0, len(long_ids), 5)
    assert km.progress == ref.progress == total
    assert km.alpha == pytest.approx(0.0001)
    # 30k updates on a 25-word vocabulary amplify float32 summation-order differences, so
    # compare relative to the weights' scale; a different alpha schedule would move them
    # by tens of percent
    for k, r, w0 in zip(k_w, r_w, weights):
        assert np.max(np.abs(k - r)) <= 1e-3 * np.max(np.abs(r - w0))
    const = [w.copy() for w in weights]
    km2 = _kernels.Model(*const, **kw)
    km2.set_schedule(0.05, 0.05, total)
    _kernels.Worker(km2).train(long_ids, 0, len(long_ids), 5)
    assert np.max(np.abs(const[0] - r_w[0])) > 0.05 * np.max(np.abs(r_w[0] - weights[0]))


def test_random_stream_matches_reference_generator():
    rng = XorShift64Star(42)
    assert _kernels.random_stream(42, 50).tolist() == [rng.next() for _ in range(50)]


def test_encode_batch_matches_plain_python_conversion():
    from fastw2v.corpus import check_sentence
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(50)]
    index = {w: i for i, w in enumerate(words[:30])}        # w30..w49 are out of vocabulary
    sentences = [[words[j] for j in rng.integers(0, 50, rng.integers(0, 40))] for _ in range(300)]
    sentences[7] = tuple(sentences[7])

    class Sub(list):
        pass
    sentences[9] = Sub(sentences[9])
    expected = []
    for s in sentences:
        expected += [index[w] for w in s if w in index] + [-1]
    it, got, raws, k = iter(sentences), [], 0, 0
    while True:
        ids, raw, n = encode_batch(it, index, 100, k, check_sentence)
        if n == 0:
            break
        assert n == 300 - k or np.sum(ids >= 0) >= 100        # only the last batch is short
        k += n
        raws += raw
        got.append(ids)
    assert np.concatenate(got).tolist() == expected
    assert raws == sum(len(s) for s in sentences) and k == 300


def test_encode_batch_rejects_bad_sentences_with_their_number():
    from fastw2v.corpus import check_sentence
    with pytest.raises(TypeError, match="sentence 3 is a str"):
        encode_batch(iter([["a"], ["b"], [], "a b c"]), {"a": 0}, 10, 0, check_sentence)
    with pytest.raises(TypeError):                          # unhashable token
        encode_batch(iter([["a", ["b"]]]), {"a": 0}, 10, 0, check_sentence)


def _private_case(mode, **kw):
    vocab, weights, kwargs, ids = make_case(mode, **kw)
    return [w.copy() for w in weights], kwargs, ids


def _three_jobs_against_plain(mode, prepare, run_job, **case_kw):
    """Train three jobs with a plain worker and with a worker set up by ``prepare`` (run
    through ``run_job(model, worker, ids, start, end, seed)``); return both weight sets."""
    weights, kw, ids = _private_case(mode, sample=0.05, **case_kw)
    plain_w = [w.copy() for w in weights]
    km_p, km_x = _kernels.Model(*plain_w, **kw), _kernels.Model(*weights, **kw)
    for km in (km_p, km_x):
        km.set_schedule(0.05, 0.001, 3 * len(ids))
    plain, other = _kernels.Worker(km_p), _kernels.Worker(km_x)
    prepare(other)
    third = len(ids) // 3
    for job, (s, e) in enumerate([(0, third), (third, 2 * third), (2 * third, len(ids))]):
        plain.train(ids, s, e, 100 + job)
        run_job(km_x, other, ids, s, e, 100 + job)
    return plain_w, weights


@pytest.mark.parametrize("mode", list(MODES))
def test_private_rows_single_worker_equals_direct_training(mode):
    """One worker with private rows, merged after each job, trains like a plain worker."""
    def run_job(km, repro, ids, s, e, seed):
        repro.set_job_schedule(km.progress, 1)
        repro.train(ids, s, e, seed)
        assert repro.private_row_count > 0
        _kernels.merge_private_rows(km, [repro])
        assert repro.private_row_count == 0

    plain_w, weights = _three_jobs_against_plain(mode, lambda w: w.use_private_rows(True), run_job)
    for a, b in zip(plain_w, weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(weights[0], _private_case(mode, sample=0.05)[0][0])


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs"])
def test_private_rows_merge_adds_each_workers_change(mode):
    """Two workers start a round from the same weights; the merged result is the start
    plus each worker's own change (computed separately with plain workers)."""
    weights, kw, ids = _private_case(mode)
    half = len(ids) // 2
    jobs = [(0, half, 5), (half, len(ids), 6)]
    start = [w.copy() for w in weights]
    expected = [w.copy() for w in weights]
    for s, e, seed in jobs:                       # each job alone, from the start weights
        alone = [w.copy() for w in start]
        km = _kernels.Model(*alone, **kw)
        km.set_schedule(0.03, 0.03, 0)            # constant alpha: no schedule coupling
        _kernels.Worker(km).train(ids, s, e, seed)
        for x, a, s0 in zip(expected, alone, start):
            x += a - s0
    km = _kernels.Model(*weights, **kw)
    km.set_schedule(0.03, 0.03, 0)
    workers = [_kernels.Worker(km) for _ in jobs]
    for w, (s, e, seed) in zip(workers, jobs):
        w.use_private_rows(True)
        w.set_job_schedule(0, 2)
        w.train(ids, s, e, seed)
    # nothing reached the shared weights before the merge
    for a, s0 in zip(weights, start):
        assert np.array_equal(a, s0)
    for w in workers:
        w.private_to_deltas()
    for part in range(3):                         # partitioned application, as threads do
        _kernels.apply_private_deltas(km, workers, part, 3)
    for a, x in zip(weights, expected):
        np.testing.assert_allclose(a, x, rtol=1e-5, atol=1e-6)


def _merge_weight(uses, contraction):
    """The weight of a row's summed differences (the definition in apply_private_deltas):
    1 for up to 2 workers, else min(1, 2 F / (k f)) with f = 1 - (1 - c) ** mean(uses)
    and F = 1 - (1 - f) ** k."""
    k = len(uses)
    if k <= 2 or contraction == 0:
        return 1.0
    f = 1.0 - (1.0 - contraction) ** (sum(uses) / k)
    return min(1.0, 2.0 * (1.0 - (1.0 - f) ** k) / (k * f))


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs", "sg-both"])
@pytest.mark.parametrize("n_workers,contraction", [(3, 0.2), (5, 0.05), (5, None), (4, 0.0)])
def test_private_rows_merge_weighs_rows_that_many_workers_touched(mode, n_workers, contraction):
    """More than two workers: each row gets the sum of the differences of the workers that
    touched it (each computed alone from the round's start), times the weight its use
    counts give; a row one worker touched gets that worker's difference whole."""
    weights, kw, ids = _private_case(mode)
    bounds = np.linspace(0, len(ids), n_workers + 1).astype(int)
    jobs = [(bounds[i], bounds[i + 1], 11 + i) for i in range(n_workers)]
    start = [w.copy() for w in weights]
    alone_deltas = []
    for s, e, seed in jobs:
        alone = [w.copy() for w in start]
        km = _kernels.Model(*alone, **kw)
        km.set_schedule(0.03, 0.03, 0)
        _kernels.Worker(km).train(ids, s, e, seed)
        alone_deltas.append([a.astype(np.float64) - s0 for a, s0 in zip(alone, start)])
    km = _kernels.Model(*weights, **kw)
    km.set_schedule(0.03, 0.03, 0)
    workers = [_kernels.Worker(km) for _ in jobs]
    touched = {}                                  # (matrix, row) -> [uses of each worker]
    for t, (w, (s, e, seed)) in enumerate(zip(workers, jobs)):
        w.use_private_rows(True)
        w.set_job_schedule(0, n_workers)
        w.train(ids, s, e, seed)
        mats, rows, uses = w.private_rows()
        assert len(rows) == w.private_row_count and (uses >= 1).all()
        for mat, row, u in zip(mats.tolist(), rows.tolist(), uses.tolist()):
            touched.setdefault((mat, row), []).append((t, u))
    c = 0.01 if contraction is None else contraction
    expected = [s0.astype(np.float64) for s0 in start]
    for (mat, row), who in touched.items():
        weight = _merge_weight([u for _, u in who], c)
        expected[mat][row] += weight * sum(alone_deltas[t][mat][row] for t, _ in who)
    assert any(len(who) > 2 for who in touched.values())
    if contraction == 0.2:           # the weights do cut some rows down (to 2/3 at most, k=3)
        assert min(_merge_weight([u for _, u in who], c) for who in touched.values()) < 0.9
    for w in workers:
        w.private_to_deltas()
    extra = {} if contraction is None else {"contraction": contraction}
    for part in range(3):
        _kernels.apply_private_deltas(km, workers, part, 3, **extra)
    for a, x in zip(weights, expected):
        if a is not None and a.size:
            np.testing.assert_allclose(a, x, rtol=1e-5, atol=1e-6)


def test_merge_refuses_workers_without_private_rows():
    weights, kw, ids = _private_case("sg-ns")
    km = _kernels.Model(*weights, **kw)
    plain = _kernels.Worker(km)
    with pytest.raises(ValueError, match="private rows"):
        _kernels.apply_private_deltas(km, [plain])
    repro = _kernels.Worker(km)
    repro.use_private_rows(True)
    for bad in (-0.1, 1.0, float("nan")):
        with pytest.raises(ValueError, match="contraction"):
            _kernels.apply_private_deltas(km, [repro], contraction=bad)


HOT_SETTINGS = [dict(nodes=4, merge_every=1000), dict(nodes=4, merge_every=1),
                dict(nodes=7, merge_every=2), dict(nodes=1, merge_every=1),
                dict(merge_every=1000), dict(outputs=5, merge_every=1),
                dict(outputs=3, words=4, merge_every=3),
                dict(words=6, nodes=3, outputs=6, merge_every=1000)]


@pytest.mark.parametrize("hot", HOT_SETTINGS)
@pytest.mark.parametrize("mode", ["sg-hs", "cbow-hs", "sg-both", "cbow-ns", "sg-ns"])
def test_hot_rows_single_worker_equals_direct_training(mode, hot):
    """Hot-row copies change nothing for one worker (up to float rounding of the merge),
    whichever rows are hot (nodes are none in the NS-only modes, outputs none in the
    HS-only ones), whether they merge at each job's end or after every sentence
    (merge_every=1: a row is copied afresh when first touched after each merge)."""
    plain_w, weights = _three_jobs_against_plain(
        mode, lambda w: w.use_hot_rows(**hot),
        lambda km, w, ids, s, e, seed: w.train(ids, s, e, seed))
    for a, b in zip(plain_w, weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_hot_rows_single_worker_shared_negatives():
    """The shared-negatives window reads and writes hot copies like the other paths."""
    plain_w, weights = _three_jobs_against_plain(
        "sg-ns", lambda w: w.use_hot_rows(words=5, outputs=5, merge_every=2),
        lambda km, w, ids, s, e, seed: w.train(ids, s, e, seed), shared_negatives=True)
    for a, b in zip(plain_w, weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _twin_models(mode):
    """Two kernel models over equal copies of one case's weights, at a constant
    learning rate: (weights 1, weights 2, model 1, model 2, ids)."""
    weights, kw, ids = _private_case(mode)
    twin = [w.copy() for w in weights]
    km_1, km_2 = _kernels.Model(*twin, **kw), _kernels.Model(*weights, **kw)
    for km in (km_1, km_2):
        km.set_schedule(0.03, 0.03, 0)
    return twin, weights, km_1, km_2, ids


@pytest.mark.parametrize("merge_every", [1, 1000])
@pytest.mark.parametrize("mode", ["cbow-hs", "sg-ns"])
def test_hot_rows_pick_up_changes_made_between_jobs(merge_every, mode):
    """A hot row's copy is taken when first touched after a merge, so a change another
    thread merged into the shared row in between is seen, not overwritten by a stale
    copy: the same as a plain worker training from the changed weights."""
    plain_w, weights, km_p, km_h, ids = _twin_models(mode)
    p, h = _kernels.Worker(km_p), _kernels.Worker(km_h)
    V = len(weights[0])
    h.use_hot_rows(words=V, nodes=V, outputs=V, merge_every=merge_every)   # every row
    assert h.hot_rows == (V, V - 1 if "hs" in mode else 0, V if "ns" in mode else 0)
    half = len(ids) // 2
    p.train(ids, 0, half, 1)
    h.train(ids, 0, half, 1)
    for mats in (plain_w, weights):                # "another thread" moves every row
        mats[0] += 0.25
        for out in mats[1:]:
            out -= 0.125
    p.train(ids, half, len(ids), 2)
    h.train(ids, half, len(ids), 2)
    for a, b in zip(plain_w, weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [dict(nodes=4, merge_every=0), dict(words=-1),
                                 dict(outputs=-2)])
def test_hot_rows_reject_nonsense(bad):
    weights, kw, ids = _private_case("sg-hs")
    w = _kernels.Worker(_kernels.Model(*weights, **kw))
    with pytest.raises(ValueError, match="merge_every|>= 0"):
        w.use_hot_rows(**bad)


def test_hot_rows_exist_only_for_present_matrices():
    """Without hierarchical softmax there are no nodes to copy, without negative
    sampling no output rows; counts are capped at the vocabulary."""
    weights, kw, ids = _private_case("sg-ns")
    w = _kernels.Worker(_kernels.Model(*weights, **kw))
    w.use_hot_rows(words=10**6, nodes=4, outputs=3)
    assert w.hot_rows == (len(weights[0]), 0, 3)
    weights, kw, ids = _private_case("sg-hs")
    w = _kernels.Worker(_kernels.Model(*weights, **kw))
    w.use_hot_rows(nodes=4, outputs=3)
    assert w.hot_rows == (0, 4, 0)
    w.use_hot_rows()
    assert w.hot_rows == (0, 0, 0)


@pytest.mark.parametrize("mode", ["sg-hs", "cbow-ns"])
def test_hot_rows_merge_each_workers_change(mode):
    """Two workers with hot rows: each job's change of a hot row reaches the shared row
    at the job's end (here one job after the other, so the result is sequential)."""
    seq, weights, km_s, km_h, ids = _twin_models(mode)
    a, b = _kernels.Worker(km_h), _kernels.Worker(km_h)
    V = len(weights[0])
    for w in (a, b):
        w.use_hot_rows(words=V, nodes=V, outputs=V)            # every row is hot
    s = _kernels.Worker(km_s)
    half = len(ids) // 2
    s.train(ids, 0, half, 1)
    s.train(ids, half, len(ids), 2)
    a.train(ids, 0, half, 1)
    b.train(ids, half, len(ids), 2)
    for x, y in zip(seq, weights):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim", [1, 4, 13, 16, 17, 100, 128, 129])
@pytest.mark.parametrize("mode", ["sg-hs", "cbow-hs", "sg-ns", "cbow-ns", "sg-both"])
def test_register_kernels_match_reference_at_every_width(mode, dim):
    """The register-resident HS path and NS target set (AVX-512 variant, vector_size <=
    128, masked last vector) and the portable loops all agree with the NumPy reference;
    widths cover one partial vector, exact multiples of 16, a one-float tail and the
    fallback above 128. The vocabulary is tiny, so noise words repeat back to back."""
    for register_kernels in (True, False):
        k_w, r_w, worker, ref, initial = run_both(mode, dim=dim, compute_loss=True,
                                                  register_kernels=register_kernels)
        for name, k, r in zip(("syn0", "syn1", "syn1neg"), k_w, r_w):
            np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6,
                                       err_msg=f"{name} register_kernels={register_kernels}")
        assert not np.allclose(k_w[1] if "hs" in mode else k_w[2], initial[1] if "hs" in mode else initial[2])
        loss, examples, _, _ = worker.take_stats()
        assert loss == pytest.approx(ref.loss, rel=1e-4)


@pytest.mark.parametrize("mode,shared_negatives", [(m, False) for m in MODES]
                         + [("sg-ns", True), ("sg-both", True)])
def test_lockf_scales_input_updates_as_reference(mode, shared_negatives):
    """gensim's ``vectors_lockf``: input row r's update is scaled by lockf[r % len]; 0.0
    freezes the row (the outputs still train), in every mode and in the shared-negatives
    path. A lockf shorter than the vocabulary repeats, as in gensim."""
    lockf = np.array([1.0, 0.0, 0.5, 0.0, 0.25], dtype=np.float32)
    k_w, r_w, _, _, initial = run_both(mode, lockf=lockf, shared_negatives=shared_negatives)
    for name, k, r in zip(("syn0", "syn1", "syn1neg"), k_w, r_w):
        np.testing.assert_allclose(k, r, rtol=1e-5, atol=1e-6, err_msg=name)
    rows = np.arange(len(k_w[0]))
    frozen = lockf[rows % len(lockf)] == 0.0
    np.testing.assert_array_equal(k_w[0][frozen], initial[0][frozen])
    assert not np.allclose(k_w[0][~frozen], initial[0][~frozen])


def test_lockf_must_be_a_vector():
    _, weights, kw, _ = make_case("sg-ns")
    for bad in (np.ones((2, 2), dtype=np.float32), np.ones(0, dtype=np.float32)):
        with pytest.raises(ValueError, match="lockf"):
            _kernels.Model(*weights, lockf=bad, **kw)


def _three_jobs(mode, prefetch_soon, policy, dim=300, **case_kw):
    """Three jobs of one case with the kernels, one worker under row ``policy`` (see
    SOON_POLICIES). Returns (weights, stats, model)."""
    weights, kw, ids = _private_case(mode, dim=dim, sample=0.05, compute_loss=True, **case_kw)
    km = _kernels.Model(*weights, prefetch_soon=prefetch_soon, **kw)
    km.set_schedule(0.05, 0.001, 3 * len(ids))
    worker = _kernels.Worker(km)
    if policy == "hot":
        worker.use_hot_rows(nodes=4, outputs=5, words=3, merge_every=2)
    elif policy == "private":
        worker.use_private_rows(True)
    third = len(ids) // 3
    for job, (s, e) in enumerate([(0, third), (third, 2 * third), (2 * third, len(ids))]):
        if policy == "private":
            worker.set_job_schedule(km.progress, 1)
        worker.train(ids, s, e, 100 + job)
        if policy == "private":
            _kernels.merge_private_rows(km, [worker])
    return weights, worker.take_stats(), km


@pytest.mark.parametrize("policy", ["shared", "hot", "private"])
@pytest.mark.parametrize("mode,negative,shared_negatives", [
    ("sg-ns", None, False), ("cbow-ns", None, False), ("sg-hs", None, False),
    ("cbow-hs", None, False), ("sg-both", None, False), ("cbow-both", None, False),
    ("sg-ns", 12, False), ("cbow-ns", 7, False), ("sg-ns", None, True), ("sg-both", 9, True)])
def test_prefetching_rows_soon_leaves_every_weight_as_it_was(mode, negative, shared_negatives,
                                                             policy):
    """With negative sampling, rows of more than 128 floats wanted by the next set
    (noise words, the next centre's output row, the entering input row) are prefetched
    a line at a time during the current update pass: hints only, so the weights and the
    loss are the same bit for bit as with every row prefetched when it becomes known,
    under every row policy (hot copies and private slots are where the list's addresses
    point), with noise rows on the list (negative <= 7) or not (more), beside HS (whose
    passes take the list too) or with HS alone (no list)."""
    runs = {soon: _three_jobs(mode, soon, policy, negative=negative,
                              shared_negatives=shared_negatives) for soon in (True, False)}
    (w_on, stats_on, km_on), (w_off, stats_off, km_off) = runs[True], runs[False]
    neg = MODES[mode]["negative"] if negative is None else negative
    assert km_on.prefetches_soon == (neg > 0, 0 < neg <= 7)
    assert km_off.prefetches_soon == (False, False)
    for name, a, b in zip(("syn0", "syn1", "syn1neg"), w_on, w_off):
        assert np.array_equal(a, b), name
    assert stats_on == stats_off and stats_on[1] > 0
    initial = _private_case(mode, dim=300, sample=0.05, negative=negative)[0]
    assert not np.array_equal(w_on[0], initial[0])


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-both", "sg-hs"])
@pytest.mark.parametrize("dim,soon", [(128, False), (129, True), (300, True)])
def test_rows_wanted_soon_only_above_128_floats_and_off_the_register_loops(mode, dim, soon):
    """Rows of 8 cache lines or fewer are fetched whole when known (they do not fill the
    queue of outstanding misses); the register-resident loops take no list, and neither
    does hierarchical softmax alone."""
    soon = soon and MODES[mode]["negative"] > 0
    weights, kw, ids = _private_case(mode, dim=dim)
    km = _kernels.Model(*weights, **kw)
    assert km.prefetches_soon == (soon and not km.uses_register_kernels,) * 2
    km = _kernels.Model(*[w.copy() for w in weights], register_kernels=False, **kw)
    assert km.prefetches_soon == (soon,) * 2

