"""The memory layout of the weight matrices that the kernels train fastest.

Every row starts on a 64-byte boundary (one cache line, one AVX-512 register): the
buffer's start is aligned and the row stride is rounded up to whole 16-float units
(8 or 4 where 16 would waste more than an eighth of the row). Unpadded, the rows of a
[V, 300] float32 matrix lie 1,200 bytes apart, so three rows in four start inside a
cache line and every 64-byte load or store of them is split across two lines. Padded to
304 floats (300) and 112 (100), training ran 1.06-1.34x as fast across the four modes at
1 and 2 workers on a Zen 5 host (``benchmarks/bench_layout.py``, RESULTS.md), for 1.3%
and 12% more memory in the matrices. A stride of a whole number of 2 KiB (vector_size
497-512) is skewed by 32 floats more (:data:`SKEW`).

To everything outside the kernels the matrices stay [V, vector_size] float32 arrays:
views of the padded buffer (strided like a column slice). NumPy, pickling and every
writer take them as they are; ``np.ascontiguousarray`` gives a plain copy. The kernels
take any matrix whose rows are contiguous, padded or not (a model loaded from disk is
moved into this layout before it trains, by :func:`trainable`).
"""
from __future__ import annotations

import numpy as np

#: Where every row starts, in bytes.
ROW_ALIGN = 64
_FLOAT = 4
#: Rows whose stride is a multiple of SKEW_EVERY bytes (vector_size 497-512 gives 512
#: floats, 2 KiB) all start at the same few offsets within a 4 KiB page, and trained
#: slower: at vector_size 500 a stride of 544 floats ran 1.03-1.12x as fast as 512 in
#: all four modes with 1 worker on a Zen 5 EPYC (cbow-hs 1.078, sg-hs 1.115, cbow-ns
#: 1.043, sg-ns 1.034; 8 pinned pairs each, ``bench_simd.py --other-build``), for 6%
#: more memory in the matrices. 528 floats gained 0-2.4%, 576 no more than 544. Strides
#: of 1 or 3 KiB (vector_size 256, 768) gained 0-4% with 32 floats more and keep theirs.
SKEW_EVERY = 2048
SKEW = 32


def row_stride(vector_size: int) -> int:
    """The row stride, in floats, of a matrix of ``vector_size`` columns: a multiple of
    16 floats (64 bytes), else of 8 or 4, whichever first wastes at most an eighth of a
    row; ``vector_size`` itself where even 4 would waste more (tiny vectors). A stride
    that would be a multiple of :data:`SKEW_EVERY` bytes gets :data:`SKEW` floats more."""
    d = int(vector_size)
    for unit in (16, 8, 4):
        ld = -(-d // unit) * unit
        if (ld - d) * 8 <= d:
            return ld + SKEW if (ld * _FLOAT) % SKEW_EVERY == 0 else ld
    return d


def zeros(n: int, vector_size: int) -> np.ndarray:
    """A zero float32 [n, vector_size] matrix in the kernels' layout (padding zero too)."""
    d = int(vector_size)
    ld = row_stride(d)
    try:
        buf = np.zeros(n * ld + ROW_ALIGN // _FLOAT, dtype=np.float32)
    except MemoryError:
        padded = f", its rows padded to {ld:,} floats" if ld != d else ""
        raise MemoryError(f"cannot allocate a {n:,} x {d:,} float32 matrix "
                          f"({n * ld * _FLOAT / 2**30:,.1f} GiB{padded}): too many words "
                          "for this vector_size on this machine") from None
    skip = (-buf.ctypes.data % ROW_ALIGN) // _FLOAT
    return buf[skip:skip + n * ld].reshape(n, ld)[:, :d]


def in_layout(arr: np.ndarray) -> bool:
    """Whether ``arr`` is a float32 matrix laid out as :func:`zeros` lays it out."""
    return (isinstance(arr, np.ndarray) and arr.dtype == np.float32 and arr.ndim == 2
            and arr.strides == (row_stride(arr.shape[1]) * _FLOAT, _FLOAT)
            and (arr.size == 0 or arr.ctypes.data % ROW_ALIGN == 0))


def trainable(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself where it is already in the kernels' layout (or is not a float32
    matrix: the kernels refuse those by name), else a copy in the layout; a float32
    matrix of the other byte order (a file can hold one) is copied in native order."""
    if in_layout(arr) or not isinstance(arr, np.ndarray) or arr.dtype.kind != "f" \
            or arr.dtype.itemsize != 4 or arr.ndim != 2:
        return arr
    out = zeros(arr.shape[0], arr.shape[1])
    out[...] = arr
    return out


def _extent(arr: np.ndarray) -> tuple:
    """The first and one-past-the-last byte address of ``arr``'s elements."""
    low = high = arr.ctypes.data
    if arr.size == 0:
        return low, high
    for size, stride in zip(arr.shape, arr.strides):
        if stride < 0:
            low += (size - 1) * stride
        else:
            high += (size - 1) * stride
    return low, high + arr.itemsize


def zero_padded_width(arr: np.ndarray) -> int:
    """The row stride of ``arr`` in floats where every row's padding (the floats between
    the end of its ``vector_size`` columns and the next row's start) lies inside the
    buffer that ``arr`` views and is all zero, else ``arr.shape[1]``.

    The kernels may then run their loops over whole padded rows: the extra products are
    0 and every update adds 0 to the padding, so it stays zero and the visible columns
    train as before, only without the loops' short tails. A row-padded view of someone
    else's matrix, whose padding holds data, or a view whose last row's padding would
    lie past the end of its buffer, keeps the unpadded width.
    """
    if not isinstance(arr, np.ndarray) or arr.ndim != 2 or arr.dtype != np.float32 \
            or arr.strides[1] != _FLOAT or arr.strides[0] % _FLOAT:
        return arr.shape[1] if isinstance(arr, np.ndarray) and arr.ndim == 2 else 0
    n, d = arr.shape
    ld = arr.strides[0] // _FLOAT
    if ld <= d or n == 0:
        return d
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    low, high = _extent(root)
    start = arr.ctypes.data
    if start < low or start + n * ld * _FLOAT > high:
        return d
    whole = np.lib.stride_tricks.as_strided(arr, shape=(n, ld), strides=arr.strides,
                                            writeable=False)
    return ld if not whole[:, d:].any() else d
