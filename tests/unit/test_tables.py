import heapq
import itertools

import numpy as np
import pytest
from scipy import stats

from fastw2v import kernels as _kernels
from fastw2v.tables import (EXP_TABLE_SIZE, MAX_EXP, build_alias, build_huffman,
                            keep_thresholds, noise_table, sigmoid_table)
from fastw2v.vocab import VocabBuilder


def optimal_cost(counts):
    """Minimum sum(count * code length) over binary prefix codes (merge-cost identity)."""
    h = list(counts)
    heapq.heapify(h)
    cost = 0
    while len(h) > 1:
        a, b = heapq.heappop(h), heapq.heappop(h)
        cost += a + b
        heapq.heappush(h, a + b)
    return cost


CASES = [
    [5, 3],
    [10, 10, 10, 10],
    [45, 13, 12, 16, 9, 5],
    [1] * 9,
    [100, 50, 25, 12, 6, 3, 2, 1, 1],            # skewed: deep paths
    [int(x) for x in np.random.default_rng(0).zipf(1.3, 500) % 100000 + 1],
    [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987],   # Fibonacci: depth V-1
]


@pytest.mark.parametrize("counts", CASES)
def test_huffman_codes_prefix_free_and_optimal(counts):
    counts = sorted(counts, reverse=True)
    t = build_huffman(counts)
    V = len(counts)
    codes = ["".join(map(str, t.code(w))) for w in range(V)]
    assert all(len(c) >= 1 for c in codes)
    for a, b in itertools.permutations(range(V), 2):
        assert not codes[b].startswith(codes[a]), (codes[a], codes[b])
    assert sum(c * len(code) for c, code in zip(counts, codes)) == optimal_cost(counts)
    # Kraft equality: a full binary tree
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)


class _ByCount:
    """A heap item that compares by count alone (as gensim's Heapitem)."""
    __slots__ = ("count", "node", "first", "second")

    def __init__(self, count, node, first=None, second=None):
        self.count, self.node, self.first, self.second = count, node, first, second

    def __lt__(self, other):
        return self.count < other.count


def reference_heap_tree(counts):
    """The definition: merge the two smallest of a heapq heap of count-only items, the
    first popped on branch 0; paths read from the root. Returns (codes, points) per word."""
    V = len(counts)
    heap = [_ByCount(c, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    for k in range(V - 1):
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        heapq.heappush(heap, _ByCount(a.count + b.count, V + k, a, b))
    out = [None] * V
    stack = [(heap[0], [], [])]
    while stack:
        node, codes, points = stack.pop()
        if node.node < V:
            out[node.node] = (codes, points)
        else:
            stack.append((node.first, codes + [0], points + [node.node - V]))
            stack.append((node.second, codes + [1], points + [node.node - V]))
    return out


@pytest.mark.parametrize("counts", CASES + [
    [int(x) for x in np.random.default_rng(1).integers(1, 4, 300)],        # ties everywhere
    sorted(int(x) for x in np.random.default_rng(2).zipf(1.5, 2000) % 50 + 1)[::-1]])
def test_huffman_is_the_heap_tree(counts):
    """Ties between equal counts fall as in a binary heap ordered by count alone (gensim's
    construction): the same codes and points for every word."""
    t = build_huffman(counts)
    for w, (codes, points) in enumerate(reference_heap_tree(counts)):
        assert t.code(w).tolist() == codes and t.path(w).tolist() == points, w


def test_huffman_is_gensims_on_real_text(small_text_file):
    from gensim.models import Word2Vec as GensimWord2Vec
    with open(small_text_file, encoding="utf-8") as fh:
        sentences = [line.split() for _, line in zip(range(400), fh)]
    for min_count in (1, 3):
        g = GensimWord2Vec(vector_size=4, hs=1, negative=0, min_count=min_count)
        g.build_vocab(sentences)
        t = build_huffman(g.wv.expandos["count"])
        for w in range(len(g.wv)):
            assert np.array_equal(t.code(w), g.wv.get_vecattr(w, "code"))
            assert np.array_equal(t.path(w), g.wv.get_vecattr(w, "point"))


@pytest.mark.parametrize("counts", CASES)
def test_huffman_paths_are_consistent_inner_nodes(counts):
    counts = sorted(counts, reverse=True)
    t = build_huffman(counts)
    V = len(counts)
    assert t.points.min() >= 0 and t.points.max() <= V - 2
    assert len(np.unique(t.points)) == V - 1          # every inner node is used
    prefix_node = {}
    for w in range(V):
        path, code = t.path(w), t.code(w)
        assert path[0] == V - 2                        # root first
        for depth in range(len(path)):
            prefix = tuple(code[:depth])
            # the same code prefix always leads to the same inner node
            assert prefix_node.setdefault(prefix, path[depth]) == path[depth]
    assert np.array_equal(t.offsets, np.concatenate([[0], np.cumsum(t.lengths)]))


def test_huffman_single_word_and_errors():
    t = build_huffman([7])
    assert list(t.code(0)) == [0] and list(t.path(0)) == [0]
    with pytest.raises(ValueError):
        build_huffman([])


def test_huffman_frequent_words_get_shorter_codes():
    """count(a) > count(b) implies len(code(a)) <= len(code(b))."""
    counts = np.sort(np.random.default_rng(1).integers(1, 300, 2000))[::-1]
    lengths = build_huffman(counts).lengths
    groups = [lengths[counts == c] for c in np.unique(counts)[::-1]]   # most frequent first
    for a in range(len(groups) - 1):
        assert groups[a].max() <= min(h.min() for h in groups[a + 1:])


def test_alias_kernel_draws_match_count_power_chi_square():
    counts = np.array([1000, 400, 250, 90, 50, 20, 7, 3, 1, 1], dtype=np.int64)
    table = noise_table(counts, 0.75)
    expected_p = counts ** 0.75 / np.sum(counts ** 0.75)
    assert np.allclose(table.probabilities, expected_p)
    n = 400_000
    draws = _kernels.draw_noise_samples(table.threshold, table.alias, n, 12345)
    observed = np.bincount(draws, minlength=len(counts))
    _, p = stats.chisquare(observed, expected_p * n)
    assert p > 1e-4, (observed, expected_p * n)
    # and a wrong exponent is rejected by the same test (the test has power)
    wrong = counts ** 1.0 / counts.sum()
    assert stats.chisquare(observed, wrong * n)[1] < 1e-10


def test_alias_numpy_twin_equals_kernel_draws():
    counts = np.random.default_rng(3).integers(1, 5000, 300)
    table = noise_table(np.sort(counts)[::-1], 0.75)
    seed = 99
    # negatives come from a stream of their own, drawn ahead through a ring buffer: the
    # words handed out must still be exactly the stream's draws, in order
    stream = _kernels.random_stream(seed ^ _kernels.NOISE_STREAM_KEY, 10_000)
    assert np.array_equal(table.draw(stream), _kernels.draw_noise_samples(table.threshold, table.alias, 10_000, seed))


def test_packed_alias_table_keeps_every_probability():
    counts = np.random.default_rng(4).integers(1, 5000, 200)
    table = noise_table(np.sort(counts)[::-1], 0.75)
    packed = _kernels.pack_alias(table.threshold, table.alias)
    thr = (packed & np.uint64(0xFFFFFFFF)).astype(np.float64)
    alias = (packed >> np.uint64(32)).astype(np.int64)
    V = len(counts)
    implied = np.zeros(V)
    for i in range(V):
        implied[i] += thr[i] / 2**32 / V
        implied[alias[i]] += (1 - thr[i] / 2**32) / V
    assert np.allclose(implied, table.probabilities, rtol=0, atol=1e-9)
    with pytest.raises(ValueError):
        _kernels.pack_alias(table.threshold, np.full(V, V, dtype=np.int32))


def test_alias_exact_probabilities():
    """The table's implied probabilities equal the target distribution."""
    w = np.array([5.0, 1.0, 0.0, 2.5, 7.5])
    t = build_alias(w)
    V = len(w)
    implied = np.zeros(V)
    for i in range(V):
        acc = float(t.threshold[i]) / 2 ** 32
        implied[i] += acc / V
        implied[t.alias[i]] += (1 - acc) / V
    assert np.allclose(implied, w / w.sum(), atol=1e-9)
    assert implied[2] == 0.0
    for bad in ([], [0, 0], [1, -1], [1, np.nan]):
        with pytest.raises(ValueError):
            build_alias(bad)


def test_subsampling_probabilities_equal_formula():
    b = VocabBuilder()
    b.add_sentences([["the"] * 5000 + ["of"] * 800 + ["cat"] * 40 + ["rare"] * 5])
    vocab = b.finalize(min_count=1)
    sample = 1e-3
    T = 5000 + 800 + 40 + 5
    p = vocab.keep_probabilities(sample)
    for word, f in (("the", 5000), ("of", 800), ("cat", 40), ("rare", 5)):
        expect = min(1.0, (np.sqrt(f / (sample * T)) + 1) * (sample * T) / f)
        assert p[vocab.index[word]] == pytest.approx(expect, rel=1e-12)
    assert p[vocab.index["the"]] < 0.2 and p[vocab.index["rare"]] == 1.0
    assert np.all(vocab.keep_probabilities(0) == 1.0)
    thr = keep_thresholds(p)
    assert thr.dtype == np.uint64 and thr[vocab.index["rare"]] == 2 ** 32


def test_sigmoid_table_covers_c_tool_range():
    t = sigmoid_table()
    assert t.shape == (EXP_TABLE_SIZE,) and t.dtype == np.float32
    x = (np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    assert np.allclose(t, 1 / (1 + np.exp(-x)), atol=1e-6)
    assert np.all(np.diff(t) > 0)
    # the kernels (their Cython and C loops alike) read the table with the same range
    assert _kernels.SIGMOID_TABLE_RANGE == (MAX_EXP, EXP_TABLE_SIZE)
