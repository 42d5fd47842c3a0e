# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled part of :mod:`fastw2v.tables`: the order in which a Huffman tree's nodes
merge when they are taken from a binary heap ordered by count alone, as gensim builds its
tree (Python's ``heapq`` over items that compare by count only).

Ties between equal counts fall by the heap's layout, so reproducing gensim's tree means
making the heap's own moves: ``heapify`` sifts every inner position from the last one up
to the root; a pop moves the last item to the root and sifts it down to a leaf, always
to the smaller child (the right one unless the left is strictly smaller), then up again
while it is strictly smaller than its parent; a push appends and sifts up the same way.
These are the standard library's documented algorithms; here they run on two int64
arrays (count, node) in C, in about a second for 3 million words instead of gensim's
minutes of Python comparisons.
"""
import numpy as np
from libc.stdint cimport int64_t


cdef inline void sift_towards_root(int64_t[::1] cnt, int64_t[::1] ids, Py_ssize_t start,
                                   Py_ssize_t pos) noexcept nogil:
    """Move the item at ``pos`` up while it is strictly smaller than its parent."""
    cdef int64_t c = cnt[pos], node = ids[pos]
    cdef Py_ssize_t parent
    while pos > start:
        parent = (pos - 1) >> 1
        if c < cnt[parent]:
            cnt[pos] = cnt[parent]
            ids[pos] = ids[parent]
            pos = parent
            continue
        break
    cnt[pos] = c
    ids[pos] = node


cdef inline void sift_to_leaf(int64_t[::1] cnt, int64_t[::1] ids, Py_ssize_t pos,
                              Py_ssize_t end) noexcept nogil:
    """Move the item at ``pos`` down to a leaf along the smaller children (the right child
    unless the left one is strictly smaller), then back up to its place."""
    cdef Py_ssize_t start = pos, child = 2 * pos + 1, right
    cdef int64_t c = cnt[pos], node = ids[pos]
    while child < end:
        right = child + 1
        if right < end and not (cnt[child] < cnt[right]):
            child = right
        cnt[pos] = cnt[child]
        ids[pos] = ids[child]
        pos = child
        child = 2 * pos + 1
    cnt[pos] = c
    ids[pos] = node
    sift_towards_root(cnt, ids, start, pos)


cdef inline int64_t pop_min(int64_t[::1] cnt, int64_t[::1] ids, Py_ssize_t *size,
                            int64_t *count) noexcept nogil:
    """Remove the heap's first item: returns its node, sets ``count``."""
    cdef Py_ssize_t last = size[0] - 1
    cdef int64_t node
    size[0] = last
    if last == 0:
        count[0] = cnt[0]
        return ids[0]
    node = ids[0]
    count[0] = cnt[0]
    cnt[0] = cnt[last]
    ids[0] = ids[last]
    sift_to_leaf(cnt, ids, 0, last)
    return node


def heap_merge_order(counts):
    """``(first, second)``: int64 [V - 1] arrays, the two nodes merged into inner node
    ``V + k`` at step ``k`` (leaves are word ids 0..V-1, inner nodes V..2V-2), taking the
    two smallest counts from a heap of ``counts`` in word order, as gensim does."""
    cdef int64_t[::1] cnt = np.array(counts, dtype=np.int64)
    cdef Py_ssize_t V = cnt.shape[0]
    cdef int64_t[::1] ids = np.arange(V, dtype=np.int64)
    first_arr = np.empty(max(V - 1, 0), dtype=np.int64)
    second_arr = np.empty(max(V - 1, 0), dtype=np.int64)
    cdef int64_t[::1] first = first_arr, second = second_arr
    cdef Py_ssize_t size = V, i, k
    cdef int64_t c1, c2
    with nogil:
        i = V // 2 - 1
        while i >= 0:
            sift_to_leaf(cnt, ids, i, V)
            i -= 1
        for k in range(V - 1):
            first[k] = pop_min(cnt, ids, &size, &c1)
            second[k] = pop_min(cnt, ids, &size, &c2)
            cnt[size] = c1 + c2
            ids[size] = V + k
            size += 1
            sift_towards_root(cnt, ids, 0, size - 1)
    return first_arr, second_arr
