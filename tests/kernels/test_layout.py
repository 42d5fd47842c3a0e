"""The weights' memory layout (fastw2v.kernels.layout) and the kernels on it."""
import numpy as np
import pytest

from fastw2v import kernels as _kernels
from fastw2v.kernels import layout

from conftest import MODES
from reference import ReferenceTrainer
from test_kernels import make_case


def _expected_stride(d):
    """The definition: the first of the 16-, 8- and 4-float round-ups of ``d`` that
    wastes at most an eighth of the row, else ``d``; 32 floats more where that would be
    a whole number of 2 KiB."""
    for unit in (16, 8, 4):
        ld = (d + unit - 1) // unit * unit
        if 8 * (ld - d) <= d:
            return ld + 32 if (4 * ld) % 2048 == 0 else ld
    return d


def test_row_stride_follows_its_definition():
    for d in range(1, 2200):
        assert layout.row_stride(d) == _expected_stride(d), d
    # the sizes users train at
    assert [layout.row_stride(d) for d in (50, 100, 200, 256, 300, 500, 512, 768, 1024)] == \
        [56, 112, 208, 256, 304, 544, 544, 768, 1056]
    # no stride lands on a whole 2 KiB, so rows do not all start at one page offset
    assert all((4 * layout.row_stride(d)) % 2048 for d in range(1, 2200))


@pytest.mark.parametrize("n,d", [(0, 300), (1, 1), (7, 13), (5, 100), (33, 300), (3, 512)])
def test_zeros_are_aligned_padded_views(n, d):
    a = layout.zeros(n, d)
    assert a.shape == (n, d) and a.dtype == np.float32 and a.flags.writeable
    assert a.strides == (4 * layout.row_stride(d), 4)
    assert not a.any()
    if n:
        assert a.ctypes.data % layout.ROW_ALIGN == 0
        a[...] = 1.0
        base = a.base.reshape(-1) if a.base is not None else a
        # the padding stayed zero: every float written was inside a row
        assert np.count_nonzero(base) == n * d
    assert layout.in_layout(a)


def test_trainable_copies_only_what_is_not_laid_out():
    rng = np.random.default_rng(0)
    plain = rng.random((9, 100), dtype=np.float32)
    assert not layout.in_layout(plain)          # rows 400 bytes apart
    moved = layout.trainable(plain)
    assert moved is not plain and layout.in_layout(moved) and np.array_equal(moved, plain)
    assert layout.trainable(moved) is moved
    doubles = plain.astype(np.float64)          # not the kernels' type: left for them to refuse
    assert layout.trainable(doubles) is doubles


def _padded(weights):
    out = []
    for w in weights:
        p = layout.zeros(*w.shape)
        p[...] = w
        out.append(p)
    return out


def _train(mode, weights, worker_setup=None, padded_loops=True, **case_kw):
    vocab, _, kw, ids = make_case(mode, **case_kw)
    km = _kernels.Model(*weights, padded_loops=padded_loops, **kw)
    km.set_schedule(0.05, 0.001, 3 * len(ids))
    w = _kernels.Worker(km)
    if worker_setup:
        worker_setup(w)
    half = len(ids) // 2
    for seed, (s, e) in zip((11, 12), [(0, half), (half, len(ids))]):
        if worker_setup is _private:
            w.set_job_schedule(km.progress, 1)
        w.train(ids, s, e, seed)
        if worker_setup is _private:
            _kernels.merge_private_rows(km, [w])
    return w


def _private(w):
    w.use_private_rows(True)


def _hot(w):
    w.use_hot_rows(nodes=3, outputs=4, words=5, merge_every=2)


@pytest.mark.parametrize("dim", [13, 100, 300])
@pytest.mark.parametrize("setup", [None, _private, _hot], ids=["plain", "private", "hot"])
@pytest.mark.parametrize("mode,shared", [(m, False) for m in MODES] + [("sg-both", True)])
def test_padded_rows_train_exactly_as_contiguous_rows(mode, shared, setup, dim):
    """The kernels address rows by their stride: the same job on padded and on
    contiguous matrices gives the same floats, bit for bit (alignment changes speed,
    never values), in every row policy, and never writes a float of the padding. (The
    loops over whole padded rows are tested below: their scores may round differently.)"""
    _, weights, _, _ = make_case(mode, dim=dim, sample=0.05, shared_negatives=shared)
    plain = [w.copy() for w in weights]
    padded = _padded(weights)
    _train(mode, plain, setup, dim=dim, sample=0.05, shared_negatives=shared)
    _train(mode, padded, setup, padded_loops=False, dim=dim, sample=0.05,
           shared_negatives=shared)
    assert not np.array_equal(plain[0], weights[0])          # it trained
    for a, b in zip(plain, padded):
        assert np.array_equal(a, b)
        ld = layout.row_stride(dim)
        whole_rows = np.lib.stride_tricks.as_strided(b, (len(b), ld), b.strides)
        assert not whole_rows[:, dim:].any()


def test_kernels_refuse_rows_that_are_not_contiguous_or_strides_that_differ():
    vocab, (syn0, syn1, syn1neg), kw, ids = make_case("sg-both", dim=100)
    V, d = syn0.shape
    assert layout.row_stride(d) > d
    every_other = np.zeros((V, 2 * d), np.float32)[:, ::2]
    with pytest.raises(ValueError, match="contiguous rows"):
        _kernels.Model(every_other, syn1, syn1neg, **kw)
    overlapping = np.lib.stride_tricks.as_strided(np.zeros(V * d, np.float32), (V, d), (8, 4))
    with pytest.raises(ValueError, match="contiguous rows"):
        _kernels.Model(overlapping, syn1, syn1neg, **kw)
    with pytest.raises(ValueError, match="row stride"):
        _kernels.Model(_padded([syn0])[0], syn1, syn1neg, **kw)
    with pytest.raises(ValueError, match="row stride"):
        p = _padded([syn0, syn1])
        _kernels.Model(p[0], p[1], syn1neg, **kw)


def _whole_rows(a):
    return np.lib.stride_tricks.as_strided(a, (a.shape[0], a.strides[0] // 4), a.strides)


def test_zero_padded_width_follows_its_definition():
    a = layout.zeros(6, 300)
    assert layout.zero_padded_width(a) == 304
    assert layout.zero_padded_width(layout.zeros(6, 64)) == 64      # no padding
    assert layout.zero_padded_width(np.zeros((6, 300), np.float32)) == 300
    a[...] = 1.0                                # data in the columns, not the padding
    assert layout.zero_padded_width(a) == 304
    theirs = np.zeros((6, 304), np.float32)
    assert layout.zero_padded_width(theirs[:, :300]) == 304
    theirs[5, 303] = 7.0                        # someone's data in the "padding"
    assert layout.zero_padded_width(theirs[:, :300]) == 300
    assert layout.zero_padded_width(theirs[:5, :300]) == 304
    # the last row's padding would lie past the end of the buffer
    flat = np.zeros(5 * 304 + 300, np.float32)
    short = np.lib.stride_tricks.as_strided(flat, (6, 300), (304 * 4, 4))
    assert layout.zero_padded_width(short) == 300
    assert layout.zero_padded_width(np.zeros((6, 300))) == 300       # float64: not ours


@pytest.mark.parametrize("dim,width", [(100, 100), (200, 200), (124, 128), (250, 256),
                                       (300, 304), (500, 512), (512, 512), (768, 768)])
def test_loop_width_follows_its_definition(dim, width):
    """vector_size rounded up to 16 floats where that spares a pass of 4 floats or
    fewer (vector_size not a multiple of 8) for at most 1/16 more products, and the
    padding is zero; vector_size elsewhere. At 500 the padding runs on past that width
    (the stride is 544)."""
    _, weights, kw, _ = make_case("sg-both", dim=dim)
    assert _kernels.Model(*_padded(weights), **kw).loop_width == width
    assert _kernels.Model(*weights, **kw).loop_width == dim          # no padding
    # someone else's zero-padded rows, their stride not a multiple of 16 floats
    theirs = [np.zeros((w.shape[0], width + 4), np.float32)[:, :dim] for w in weights]
    for t, w in zip(theirs, weights):
        t[...] = w
    assert _kernels.Model(*theirs, **kw).loop_width == width


@pytest.mark.parametrize("dim", [124, 300, 500])
@pytest.mark.parametrize("mode,shared", [(m, False) for m in MODES] + [("sg-both", True)])
def test_padded_loops_match_reference_and_keep_padding_zero(mode, shared, dim):
    """Where the loops run over whole padded rows, the NumPy reference (on plain
    matrices) gives the same weights and loss, and the padding is still zero
    afterwards."""
    vocab, weights, kw, ids = make_case(mode, dim=dim, compute_loss=True,
                                        shared_negatives=shared)
    padded = _padded(weights)
    plain = [w.copy() for w in weights]
    km = _kernels.Model(*padded, **kw)
    assert km.loop_width == (dim + 15) // 16 * 16 > dim
    assert _kernels.Model(*padded, padded_loops=False, **kw).loop_width == dim
    km.set_schedule(0.05, 0.001, 3 * len(ids))
    worker = _kernels.Worker(km)
    ref = ReferenceTrainer(*plain, **kw)
    ref.set_schedule(0.05, 0.001, 3 * len(ids))
    half = len(ids) // 2
    for seed, (s, e) in zip((11, 12), [(0, half), (half, len(ids))]):
        worker.train(ids, s, e, seed)
        ref.train(ids, s, e, seed)
    assert not np.allclose(padded[0], weights[0])
    for name, k, r in zip(("syn0", "syn1", "syn1neg"), padded, plain):
        np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6, err_msg=name)
        assert not _whole_rows(k)[:, dim:].any(), name
    assert worker.take_stats()[0] == pytest.approx(ref.loss, rel=1e-4)


@pytest.mark.parametrize("setup", [_private, _hot], ids=["private", "hot"])
@pytest.mark.parametrize("mode,shared", [(m, False) for m in MODES] + [("sg-both", True)])
def test_padded_loops_in_every_row_policy(mode, shared, setup):
    """The thread's row copies (reproducible mode, hot rows) are whole padded rows too:
    the same weights as the loops over vector_size, padding still zero."""
    _, weights, _, _ = make_case(mode, dim=500, sample=0.05, shared_negatives=shared)
    short, whole = _padded(weights), _padded(weights)
    _train(mode, short, setup, padded_loops=False, dim=500, sample=0.05,
           shared_negatives=shared)
    _train(mode, whole, setup, dim=500, sample=0.05, shared_negatives=shared)
    assert not np.array_equal(whole[0], weights[0])
    for a, b in zip(short, whole):
        # a score that rounds differently changes an update by one ulp, and training
        # carries that on: up to 2.2e-5 (one case of 14, hot-row sg-ns) on weights of
        # about 0.05; the others were bit-identical. A wrong row or a padding float read
        # would differ by whole updates (1e-3 and more)
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4)
        assert not _whole_rows(b)[:, 500:].any()


def test_padding_that_holds_data_is_neither_read_nor_written():
    """A row-padded view of someone's matrix whose padding holds data trains over
    vector_size floats only: the same floats as plain matrices, the data untouched."""
    _, weights, kw, ids = make_case("sg-both", dim=300)
    plain = [w.copy() for w in weights]
    theirs = []
    for w in weights:
        whole = np.full((w.shape[0], 304), 7.0, np.float32)
        whole[:, :300] = w
        theirs.append(whole[:, :300])
    for ws in (plain, theirs):
        km = _kernels.Model(*ws, **kw)
        assert km.loop_width == 300
        km.set_schedule(0.05, 0.001, len(ids))
        _kernels.Worker(km).train(ids, 0, len(ids), 5)
    for a, b in zip(plain, theirs):
        assert np.array_equal(a, b)
        assert (_whole_rows(b)[:, 300:] == 7.0).all()
