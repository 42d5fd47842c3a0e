"""Property-based tests (hypothesis): the vocabulary, the Huffman tree, the noise (alias)
table and the file loaders, each checked against a plain reference on random inputs."""
import heapq
import os
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fastw2v import CorpusError, KeyedVectors, VocabularyError
from fastw2v.tables import build_huffman, noise_table
from fastw2v.vocab import VocabBuilder, read_vocab_counts

# FASTW2V_HYPOTHESIS_EXAMPLES=2000 for a deeper run (docs/reliability.md)
SETTINGS = settings(max_examples=int(os.environ.get("FASTW2V_HYPOTHESIS_EXAMPLES", 60)),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# small alphabets so that words repeat and counts tie
words = st.text(alphabet="abcdé東", min_size=1, max_size=3)
sentences = st.lists(st.lists(words, max_size=12), max_size=25)


def first_seen(corpus):
    order = {}
    for s in corpus:
        for w in s:
            order.setdefault(w, len(order))
    return order


# -- vocabulary ----------------------------------------------------------------------------
@SETTINGS
@given(corpus=sentences, min_count=st.integers(0, 6))
def test_vocab_counts_min_count_and_order(corpus, min_count):
    counts = Counter(w for s in corpus for w in s)
    builder = VocabBuilder().add_sentences(corpus)
    expect = [w for w in counts if counts[w] >= min_count]
    if not counts:
        with pytest.raises(CorpusError, match="empty"):
            builder.finalize(min_count=min_count)
        return
    if not expect:
        with pytest.raises(VocabularyError, match=f"min_count={min_count}"):
            builder.finalize(min_count=min_count)
        return
    v = builder.finalize(min_count=min_count)
    assert sorted(v.words) == sorted(expect)
    assert v.counts.tolist() == [counts[w] for w in v.words]
    assert v.total_words == sum(counts.values()) and v.n_sentences == len(corpus)
    assert v.index == {w: i for i, w in enumerate(v.words)}
    # descending count; equal counts in gensim's order: the word first seen last comes first
    seen = first_seen(corpus)
    assert v.words == sorted(expect, key=lambda w: (-counts[w], -seen[w]))


@SETTINGS
@given(corpus=sentences.filter(lambda c: any(c)), n=st.integers(1, 12))
def test_max_final_vocab_is_the_top_n(corpus, n):
    full = VocabBuilder().add_sentences(corpus).finalize(min_count=1)
    top = VocabBuilder().add_sentences(corpus).finalize(min_count=1, max_final_vocab=n)
    assert top.words == full.words[:n]
    assert top.counts.tolist() == full.counts.tolist()[:n]


@SETTINGS
@given(corpus=sentences, limit=st.integers(1, 6))
def test_max_vocab_size_prunes_like_the_c_tool(corpus, limit):
    # reference: after each sentence, if over the limit, drop counts <= min_reduce, then
    # raise min_reduce (the C tool's ReduceVocab)
    ref, min_reduce = {}, 1
    for s in corpus:
        for w in s:
            ref[w] = ref.get(w, 0) + 1
        if len(ref) > limit:
            ref = {w: c for w, c in ref.items() if c > min_reduce}
            min_reduce += 1
    b = VocabBuilder(max_vocab_size=limit).add_sentences(corpus)
    assert dict(b.counter) == ref
    true = Counter(w for s in corpus for w in s)
    assert all(c <= true[w] for w, c in b.counter.items())


@SETTINGS
@given(corpus=st.lists(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=6),
                       min_size=1, max_size=8))
def test_vocab_file_round_trip_or_clear_refusal(corpus, tmp_path_factory):
    v = VocabBuilder().add_sentences(corpus).finalize(min_count=1)
    path = tmp_path_factory.mktemp("vocab") / "v.txt"
    # the format splits on ASCII whitespace (bytes.split), and skips the C tool's "</s>"
    writable = all(w.encode().split() == [w.encode()] for w in v.words)
    if not writable:
        with pytest.raises(ValueError, match="cannot be written"):
            v.save(path)
        assert not path.exists()
        return
    v.save(path)
    expect = {w: c for w, c in zip(v.words, v.counts.tolist()) if w != "</s>"}
    if expect:
        assert read_vocab_counts(path) == expect


# -- Huffman tree --------------------------------------------------------------------------
def optimal_cost(counts):
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a + b
        heapq.heappush(heap, a + b)
    return cost


counts_lists = st.lists(st.integers(1, 10 ** 6), min_size=2, max_size=150)


@SETTINGS
@given(counts=counts_lists, presort=st.booleans())
def test_huffman_is_an_optimal_prefix_code(counts, presort):
    if presort:
        counts = sorted(counts, reverse=True)
    t = build_huffman(counts)
    V = len(counts)
    codes = ["".join(map(str, t.code(w))) for w in range(V)]
    assert all(codes) and len(t.offsets) == V + 1 and t.offsets[0] == 0
    # prefix-free: in sorted order a prefix would sit right before a word it starts
    ordered = sorted(codes)
    assert all(not b.startswith(a) for a, b in zip(ordered, ordered[1:]))
    # Kraft equality (a full binary tree), exactly
    assert sum(Fraction(1, 2 ** len(c)) for c in codes) == 1
    assert sum(c * len(code) for c, code in zip(counts, codes)) == optimal_cost(counts)


@SETTINGS
@given(counts=counts_lists)
def test_huffman_points_and_codes_agree(counts):
    t = build_huffman(counts)
    V = len(counts)
    assert t.codes.dtype == np.uint8 and set(np.unique(t.codes)) <= {0, 1}
    assert t.points.min() >= 0 and t.points.max() == V - 2
    assert len(np.unique(t.points)) == V - 1                # every inner node is used
    node_of_prefix = {}
    for w in range(V):
        code, path = t.code(w).tolist(), t.path(w).tolist()
        assert path[0] == V - 2                             # the root first
        for depth, node in enumerate(path):
            # the same branch history always reaches the same inner node
            key = tuple(code[:depth])
            assert node_of_prefix.setdefault(key, node) == node
    # a node is never reached by two different branch histories
    assert len(set(node_of_prefix.values())) == len(node_of_prefix)


def test_huffman_single_word():
    t = build_huffman([7])
    assert t.code(0).tolist() == [0] and t.path(0).tolist() == [0]


# -- noise (alias) table -------------------------------------------------------------------
@SETTINGS
@given(counts=st.lists(st.integers(1, 10 ** 9), min_size=1, max_size=300),
       exponent=st.sampled_from([0.0, 0.5, 0.75, 1.0, 1.3]))
def test_alias_table_reproduces_count_power(counts, exponent):
    table = noise_table(counts, exponent)
    V = len(counts)
    accept = table.threshold.astype(np.float64) / 2.0 ** 32
    assert np.all(accept >= 0) and np.all(accept <= 1)
    assert table.alias.min() >= 0 and table.alias.max() < V
    # P(i) = (accept[i] + sum over columns j aliasing to i of (1 - accept[j])) / V
    reconstructed = accept.copy()
    np.add.at(reconstructed, table.alias, 1.0 - accept)
    reconstructed /= V
    expect = np.power(np.asarray(counts, dtype=np.float64), exponent)
    expect /= expect.sum()
    np.testing.assert_allclose(table.probabilities, expect, rtol=1e-12, atol=0)
    np.testing.assert_allclose(reconstructed, expect, rtol=0, atol=1e-9)


@SETTINGS
@given(counts=st.lists(st.integers(1, 1000), min_size=1, max_size=40),
       r=st.lists(st.integers(0, 2 ** 64 - 1), min_size=1, max_size=50))
def test_alias_draws_stay_in_range(counts, r):
    drawn = noise_table(counts).draw(np.array(r, dtype=np.uint64))
    assert drawn.min() >= 0 and drawn.max() < len(counts)


# -- loaders -------------------------------------------------------------------------------
# any text the formats can hold: no surrogates, and none of the separators save refuses
keys = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \n\r"),
               min_size=1, max_size=8)
floats = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def keyed_vectors(draw):
    ks = draw(st.lists(keys, min_size=1, max_size=20, unique=True))
    d = draw(st.integers(1, 6))
    values = draw(st.lists(floats, min_size=len(ks) * d, max_size=len(ks) * d))
    vecs = np.array(values, dtype=np.float32).reshape(len(ks), d)
    return KeyedVectors(d, ks, vecs, np.arange(len(ks), 0, -1))


def bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


AWKWARD = KeyedVectors(2, ["\t", "a\tb", "\x0b", "\x0c", "\u2028", "\x85", "\x00", "東京", "🙂"],
                       np.array([[-0.0, 1e-45], [3.4e38, -1.17549435e-38]] * 4 + [[1, 2]],
                                dtype=np.float32))


@SETTINGS
@given(kv=keyed_vectors(), how=st.sampled_from(["text", "binary", "glove", "native"]))
@example(kv=AWKWARD, how="text")
@example(kv=AWKWARD, how="binary")
@example(kv=AWKWARD, how="glove")
@example(kv=AWKWARD, how="native")
def test_save_load_round_trip(kv, how, tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "v"
    if how == "native":
        kv.save(path)
        back = KeyedVectors.load(path)
    elif how == "glove":
        # a first key that reads as a number would look like a header: not GloVe's problem
        kv.save_word2vec_format(path, write_header=False)
        back = KeyedVectors.load_word2vec_format(path, no_header=True)
    else:
        kv.save_word2vec_format(path, binary=how == "binary")
        back = KeyedVectors.load_word2vec_format(path, binary=how == "binary")
    assert back.index_to_key == kv.index_to_key
    assert back.vectors.shape == kv.vectors.shape
    np.testing.assert_array_equal(bits(back.vectors), bits(kv.vectors))    # bit for bit
