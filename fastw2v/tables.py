"""Tables built from vocabulary counts alone: the Huffman tree and the noise sampler.

Huffman paths are stored flat (CSR style) rather than as padded ``[V, max_depth]``
arrays: a skewed count distribution can make a few paths very deep, and padding every
word to the deepest one would waste memory. Word ``w``'s path is
``codes[offsets[w]:offsets[w+1]]`` / ``points[offsets[w]:offsets[w+1]]``, root first.

Negative samples are drawn with Walker's alias method: two arrays of length V and O(1)
work per draw, instead of the C tool's 100M-entry (400 MB) unigram table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The C tool's sigmoid table: 1000 entries over [-6, 6).
MAX_EXP = 6
EXP_TABLE_SIZE = 1000


def sigmoid_table() -> np.ndarray:
    """float32 [EXP_TABLE_SIZE]: sigmoid at ``(i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP``."""
    x = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    e = np.exp(x)
    return (e / (e + 1)).astype(np.float32)


@dataclass(frozen=True)
class HuffmanTree:
    """Binary Huffman tree over V words; inner nodes are numbered 0..V-2, the root is V-2.

    Attributes
    ----------
    codes : np.ndarray
        uint8 [sum of path lengths]: branch taken (0/1) at each inner node on the path.
    points : np.ndarray
        int32 [sum of path lengths]: inner-node index (row of the HS output matrix).
    offsets : np.ndarray
        int64 [V + 1]: word ``w``'s path is ``offsets[w]:offsets[w+1]``, root first.
    """

    codes: np.ndarray
    points: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def code(self, w: int) -> np.ndarray:
        return self.codes[self.offsets[w]:self.offsets[w + 1]]

    def path(self, w: int) -> np.ndarray:
        return self.points[self.offsets[w]:self.offsets[w + 1]]


def huffman_from_paths(codes, points, offsets, V: int) -> HuffmanTree:
    """A Huffman tree given by its paths (one saved with a model, or gensim's), checked
    so that the kernels can index the inner-node matrix with it: ``offsets`` [V + 1]
    from 0, rising by 1..255 per word; codes 0 or 1; points 0..V-2. ``ValueError``
    otherwise. (A well-formed prefix code is not required: a wrong one trains badly but
    never reads outside the matrix.)"""
    codes, points = np.asarray(codes), np.asarray(points)
    offsets = np.asarray(offsets)
    if V < 1 or offsets.shape != (V + 1,) or offsets.dtype.kind not in "iu":
        raise ValueError(f"Huffman offsets of shape {offsets.shape} for {V} words")
    steps = np.diff(offsets.astype(np.int64))
    if offsets[0] != 0 or steps.min() < 1 or steps.max() > 255:
        raise ValueError("Huffman paths must have 1..255 branches each")
    n = int(offsets[-1])
    if codes.shape != (n,) or points.shape != (n,) or codes.dtype.kind not in "iu" \
            or points.dtype.kind not in "iu":
        raise ValueError(f"Huffman codes {codes.shape} and points {points.shape}: "
                         f"expected {n} integers each")
    if n and (codes.min() < 0 or codes.max() > 1):
        raise ValueError("a Huffman code has a branch other than 0 or 1")
    inner = max(V - 1, 1)               # one word still gets one inner node (build_huffman)
    if n and (points.min() < 0 or points.max() > inner - 1):
        raise ValueError(f"a Huffman point is outside the {inner} inner nodes")
    return HuffmanTree(codes.astype(np.uint8), points.astype(np.int32),
                       offsets.astype(np.int64))


def build_huffman(counts, ties: str = "heap") -> HuffmanTree:
    """Build the Huffman tree of ``counts`` (in word order; word2vec passes them sorted),
    the tree gensim builds for the same counts.

    The two nodes of smallest count merge into a new inner node (numbered in the order
    they are made, the first merged taking branch 0 and the second branch 1), until one
    root is left. Equal counts can merge in more than one order, each giving an optimal
    code; gensim takes its nodes from a binary heap ordered by count alone, and so does
    :func:`fastw2v._tables.heap_merge_order`, making the heap's own moves, so the codes
    and points are gensim's word for word (and ``score()`` gives gensim's numbers on
    gensim's weights after a vocabulary update too). A single word gets a path of length
    1 through one inner node so that it still has an output unit to train (gensim gives
    it an empty path).

    ``ties="two-queue"`` builds the tree of earlier fastw2v builds (leaves sorted by
    count, a leaf taken before an inner node of equal count): the tree that their
    native files saved without a tree were trained with.
    """
    from ._tables import heap_merge_order
    counts = np.asarray(counts, dtype=np.int64)
    V = len(counts)
    if V == 0:
        raise ValueError("cannot build a Huffman tree over an empty vocabulary")
    if V == 1:
        return HuffmanTree(np.zeros(1, np.uint8), np.zeros(1, np.int32),
                           np.array([0, 1], dtype=np.int64))
    if ties == "heap":
        first, second = heap_merge_order(counts)
    elif ties == "two-queue":
        first, second = _two_queue_merge_order(counts)
    else:
        raise ValueError(f"ties={ties!r} is invalid: use 'heap' or 'two-queue'")
    # node ids: leaves 0..V-1 (word ids), inner nodes V..2V-2
    parent = np.empty(2 * V - 1, dtype=np.int64)
    branch = np.zeros(2 * V - 1, dtype=np.uint8)
    inner = np.arange(V, 2 * V - 1, dtype=np.int64)
    parent[first] = inner
    parent[second] = inner
    branch[second] = 1
    root = 2 * V - 2
    # depth of every node, top-down (a parent's id is always larger than its child's)
    depth = np.zeros(2 * V - 1, dtype=np.int64)
    parent_l = parent.tolist()
    depth_l = depth.tolist()
    for node in range(root - 1, -1, -1):
        depth_l[node] = depth_l[parent_l[node]] + 1
    lengths = np.asarray(depth_l[:V], dtype=np.int64)
    offsets = np.zeros(V + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.empty(offsets[-1], dtype=np.uint8)
    points = np.empty(offsets[-1], dtype=np.int32)
    # walk all leaves upwards at once, writing each path from its end (leaf side) to root
    node = np.arange(V, dtype=np.int64)
    write = offsets[1:] - 1
    active = np.arange(V)
    while active.size:
        n = node[active]
        codes[write[active]] = branch[n]
        up = parent[n]
        points[write[active]] = up - V
        node[active] = up
        write[active] -= 1
        active = active[up != root]
    return HuffmanTree(codes, points, offsets)


def _two_queue_merge_order(counts: np.ndarray):
    """The merge order of the two-queue construction (see :func:`build_huffman`)."""
    V = len(counts)
    order = np.argsort(counts, kind="stable").tolist()          # ascending leaves
    leaf_counts = counts[order].tolist()
    inner_counts = [0] * (V - 1)
    first, second = np.empty(V - 1, np.int64), np.empty(V - 1, np.int64)
    li = qi = 0         # next leaf (position in `order`), next inner node not yet merged
    for k in range(V - 1):
        picks = []
        for _ in range(2):
            if li < V and (qi >= k or leaf_counts[li] <= inner_counts[qi]):
                picks.append((order[li], leaf_counts[li]))
                li += 1
            else:
                picks.append((V + qi, inner_counts[qi]))
                qi += 1
        (a, ca), (b, cb) = picks
        inner_counts[k] = ca + cb
        first[k], second[k] = a, b
    return first, second


@dataclass(frozen=True)
class AliasTable:
    """Walker/Vose alias table for O(1) draws from a discrete distribution.

    A draw takes one 64-bit random number ``r``: ``i = ((r >> 32) * V) >> 32``; keep ``i``
    if ``(r & 0xffffffff) < threshold[i]``, else take ``alias[i]``.

    Attributes
    ----------
    threshold : np.ndarray
        uint64 [V]: acceptance threshold scaled to 2**32 (2**32 means always accept).
    alias : np.ndarray
        int32 [V]: the outcome taken when column ``i`` rejects.
    probabilities : np.ndarray
        float64 [V]: the distribution the table samples from.
    """

    threshold: np.ndarray
    alias: np.ndarray
    probabilities: np.ndarray

    def draw(self, random_u64: np.ndarray) -> np.ndarray:
        """Outcomes for given 64-bit random numbers (NumPy twin of the kernel's draw)."""
        r = np.asarray(random_u64, dtype=np.uint64)
        V = np.uint64(len(self.alias))
        col = ((r >> np.uint64(32)) * V) >> np.uint64(32)
        low = r & np.uint64(0xFFFFFFFF)
        col = col.astype(np.int64)
        return np.where(low < self.threshold[col], col, self.alias[col]).astype(np.int64)


def build_alias(weights) -> AliasTable:
    """Alias table for probabilities proportional to ``weights`` (Vose's stable variant)."""
    w = np.asarray(weights, dtype=np.float64)
    V = len(w)
    if V == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("alias table needs a non-empty vector of non-negative, finite, "
                         "not all zero weights")
    p = w / w.sum()
    scaled = (p * V).tolist()
    alias = list(range(V))
    prob = [1.0] * V
    small = [i for i, s in enumerate(scaled) if s < 1.0]
    large = [i for i, s in enumerate(scaled) if s >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            large.pop()
            small.append(g)
    # leftovers (rounding) always accept themselves: prob stays 1.0, alias stays self
    threshold = np.minimum(np.round(np.asarray(prob) * 2.0 ** 32), 2.0 ** 32).astype(np.uint64)
    return AliasTable(threshold, np.asarray(alias, dtype=np.int32), p)


def noise_table(counts, ns_exponent: float = 0.75) -> AliasTable:
    """The negative-sampling noise distribution: ``count ** ns_exponent``, normalised."""
    c = np.asarray(counts, dtype=np.float64)
    return build_alias(np.power(c, ns_exponent))


def keep_thresholds(keep_probabilities: np.ndarray) -> np.ndarray:
    """uint64 [V]: keep probability scaled to 2**32, compared with 32 random bits."""
    p = np.clip(np.asarray(keep_probabilities, dtype=np.float64), 0.0, 1.0)
    return np.round(p * 2.0 ** 32).astype(np.uint64)
