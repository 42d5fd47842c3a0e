"""The weights' memory layout (fastw2v.kernels.layout) and the kernels on it."""
import numpy as np
import pytest

from fastw2v import kernels as _kernels
from fastw2v.kernels import layout

from conftest import MODES
from test_kernels import make_case


def _expected_stride(d):
    """The definition: the first of the 16-, 8- and 4-float round-ups of ``d`` that
    wastes at most an eighth of the row, else ``d``."""
    for unit in (16, 8, 4):
        ld = (d + unit - 1) // unit * unit
        if 8 * (ld - d) <= d:
            return ld
    return d


def test_row_stride_follows_its_definition():
    for d in range(1, 1100):
        assert layout.row_stride(d) == _expected_stride(d), d
    # the sizes users train at
    assert [layout.row_stride(d) for d in (50, 100, 200, 300, 500, 768)] == \
        [56, 112, 208, 304, 512, 768]


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


def _train(mode, weights, worker_setup=None, **case_kw):
    vocab, _, kw, ids = make_case(mode, **case_kw)
    km = _kernels.Model(*weights, **kw)
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
    never values), in every row policy, and never writes a float of the padding."""
    _, weights, _, _ = make_case(mode, dim=dim, sample=0.05, shared_negatives=shared)
    plain = [w.copy() for w in weights]
    padded = _padded(weights)
    _train(mode, plain, setup, dim=dim, sample=0.05, shared_negatives=shared)
    _train(mode, padded, setup, dim=dim, sample=0.05, shared_negatives=shared)
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
