"""Packed keys (fastw2v/vectors/_keys.pyx) against their definitions, and loaded vectors
that keep them: the same answers as vectors built from a list of keys, without building
``index_to_key`` and ``key_to_index`` until those are used."""
import lzma
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from fastw2v import KeyedVectors
from fastw2v.io.native import FormatError, load_native, save_native
from fastw2v.vectors import PackedKeys
from fastw2v.vectors._keys import siphash_bytes, table_size, utf8_error

KEY = bytes(range(16))
K0, K1 = int.from_bytes(KEY[:8], "little"), int.from_bytes(KEY[8:], "little")


@pytest.fixture(scope="module")
def words(sample_corpus_path):
    """The distinct words of the shipped Wikipedia sample, most frequent first, with
    keys that are awkward for bytes: non-ASCII, lone surrogates, an empty key."""
    from collections import Counter
    with lzma.open(sample_corpus_path, "rt", encoding="utf-8") as fh:
        counts = Counter(fh.read().split())
    return [w for w, _ in counts.most_common()] + \
        ["café", "東京", "👩‍🔬", "ß", "\ud800x", "", "a" * 300]


# -- the hash and the table ----------------------------------------------------------------
@pytest.mark.parametrize("n, expected", [(0, 0x726fdb47dd0e0e31), (1, 0x74f839c593dc67fd),
                                         (8, 0x93f5f5799a932462), (15, 0xa129ca6149be45e5),
                                         (63, 0x958a324ceb064572)])
def test_siphash_2_4_matches_the_published_vectors(n, expected):
    """SipHash-2-4's reference vectors: key 00..0f, message 00..(n-1)."""
    assert siphash_bytes(bytes(range(n)), K0, K1, 2, 4) == expected


@pytest.mark.skipif(sys.hash_info.algorithm != "siphash13",
                    reason="compares with CPython's own SipHash-1-3 of bytes")
def test_siphash_1_3_is_cpythons_bytes_hash():
    """The table's hash, SipHash-1-3, is the one CPython hashes bytes with; under
    PYTHONHASHSEED=0 CPython's key is zero, so the two must agree bit for bit."""
    messages = [b"a", b"abcdefgh", b"word2vec", "東京".encode(), bytes(range(40)), b"x" * 1000]
    code = f"import sys; print([hash(m) for m in {messages!r}])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "0"}, check=True).stdout
    signed = [h - (1 << 64) if h >= 1 << 63 else h
              for h in (siphash_bytes(m, 0, 0, 1, 3) for m in messages)]
    assert eval(out) == signed


def test_table_is_the_definition(words):
    """Every key sits at its hash's slot or after it, with no empty slot between (linear
    probing), at most half the slots are filled, and the hash is keyed: another key
    places the words elsewhere."""
    seed = bytes(range(16, 32))
    keys, repeated = PackedKeys.from_words(words, seed=seed)
    assert len(repeated) == 0 and len(keys) == len(words)
    table = keys.table
    size = len(table)
    assert size == table_size(len(words)) and size & (size - 1) == 0 and size >= 2 * len(words)
    assert np.count_nonzero(table >= 0) == len(words)
    assert sorted(table[table >= 0].tolist()) == list(range(len(words)))
    k0, k1 = int.from_bytes(seed[:8], "little"), int.from_bytes(seed[8:], "little")
    for row, slot in list(zip(table[table >= 0].tolist(), np.flatnonzero(table >= 0)))[::37]:
        home = siphash_bytes(words[row].encode("utf-8", "surrogatepass"), k0, k1) % size
        between = np.arange(home, home + (slot - home) % size) % size
        assert np.all(table[between] >= 0)
    other, _ = PackedKeys.from_words(words, seed=bytes(16))
    assert not np.array_equal(other.table, table)


def test_look_ups_are_a_dict_and_a_list(words):
    keys, _ = PackedKeys.from_words(words)
    assert keys.to_list() == words
    assert all(keys.index(w) == i for i, w in enumerate(words))
    assert [keys.key_at(i) for i in range(0, len(words), 11)] == words[::11]
    assert keys.key_at(-1) == words[-1]
    for absent in ("not-a-word-xyz", "Café", "東", "a" * 299, "\udc80"):
        assert keys.index(absent) == -1 and absent not in keys
    assert "café" in keys and 3 not in keys
    with pytest.raises(IndexError):
        keys.key_at(len(words))
    blob, offsets = keys.blob, keys.offsets
    assert [bytes(blob[offsets[i]:offsets[i + 1]]).decode("utf-8", "surrogatepass")
            for i in range(len(words))] == words


def test_repeated_keys_index_their_first_row():
    keys, repeated = PackedKeys.from_words(["a", "b", "a", "c", "b", "a"])
    assert repeated.tolist() == [2, 4, 5]
    assert (keys.index("a"), keys.index("b"), keys.index("c")) == (0, 1, 3)
    kept = keys.take([0, 1, 3])
    assert kept.to_list() == ["a", "b", "c"] and kept.index("c") == 2
    with pytest.raises(ValueError, match="repeats"):
        keys.take([0, 2])


def test_empty_and_pickled(words):
    with pytest.raises(TypeError, match="from_words"):
        PackedKeys()
    empty, repeated = PackedKeys.from_words([])
    assert len(empty) == 0 and empty.index("a") == -1 and empty.to_list() == []
    keys, _ = PackedKeys.from_words(words)
    back = pickle.loads(pickle.dumps(keys))
    assert back.to_list() == words and back.index(words[500]) == 500
    assert (back.k0, back.k1) == (keys.k0, keys.k1)
    np.testing.assert_array_equal(back.table, keys.table)


@pytest.mark.parametrize("blob, offsets, message", [
    (b"ab\xffc", [0, 2, 4], "key 1 is not valid UTF-8"),
    ("é".encode(), [0, 1, 2], "key 0 is not valid UTF-8"),
    (b"ab\xed\xa0", [0, 2, 4], "key 1 is not valid UTF-8"),
    (b"abc", [0, 2, 1, 3], "in order"),
    (b"abc", [0, 2], "in order"),
    (b"abc", [1, 3], "in order"),
    (b"abc", [], "in order"),
    # an offset past the blob's end, then one back inside: no key is read before all
    # offsets are known to be in order (key 0 would span the blob's end and its \xff)
    (b"a" * 40 + b"\xffbcd", [0, 50, 10, 44], "in order"),
])
def test_bad_arrays_are_refused(blob, offsets, message):
    with pytest.raises(ValueError, match=message):
        PackedKeys.from_arrays(np.frombuffer(blob, dtype=np.uint8), np.array(offsets))


def test_utf8_check_is_pythons_decoder():
    """The C check accepts exactly what ``decode("utf-8", "surrogatepass")`` accepts and
    reports where the first bad sequence starts, on random bytes biased towards UTF-8's
    lead and continuation bytes and on the boundary cases."""
    rng = np.random.default_rng(11)
    alphabet = np.array([0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                         0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF],
                        dtype=np.uint8)
    cases = [bytes(alphabet[rng.integers(0, len(alphabet), rng.integers(0, 9))])
             for _ in range(20000)]
    cases += [bytes(rng.integers(0, 256, 12, dtype=np.uint8)) for _ in range(5000)]
    cases += ["naïve 東京 👩‍🔬".encode(), "\ud800\udfff".encode("utf-8", "surrogatepass"),
              b"\xed\xa0", b"\xf4\x90\x80\x80", b"\xe0\x9f\x80", b"\xc1\xbf", b""]
    for data in cases:
        try:
            data.decode("utf-8", "surrogatepass")
            expected = -1
        except UnicodeDecodeError as exc:
            expected = exc.start
        assert utf8_error(data) == expected, data


def test_keys_from_joined_chunks_are_the_keys(words):
    """``from_joined`` (how the loader hands over a file's words) against the words:
    chunks of space-joined keys, single keys, empty keys between two spaces."""
    real = [w for w in words if w and " " not in w and "\ud800" not in w]
    chunks = [" ".join(real[i:min(i + 97, 2000)]).encode() for i in range(0, 2000, 97)]
    chunks += [b"q-single", b"q-a  q-b", b""]
    expected = real[:2000] + ["q-single", "q-a", "", "q-b", ""]
    keys, repeated = PackedKeys.from_joined(chunks, len(expected))
    assert keys.to_list() == expected
    assert repeated.tolist() == [len(expected) - 1]         # the second empty key
    assert keys.index("") == len(expected) - 3 and keys.index("q-single") == 2000
    for count in (len(expected) - 1, len(expected) + 1):
        with pytest.raises(ValueError, match="keys"):
            PackedKeys.from_joined(chunks, count)
    with pytest.raises(ValueError, match="not valid UTF-8"):
        PackedKeys.from_joined([b"ok bad\xff"], 2)


# -- loaded vectors ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def listed(words):
    """Vectors built from a list of keys: the reference."""
    rng = np.random.default_rng(3)
    real = [w for w in words[:3000] if w and " " not in w and "\ud800" not in w]
    vecs = rng.standard_normal((len(real), 16)).astype(np.float32)
    return KeyedVectors(16, real + ["café", "東京"], np.vstack([vecs, vecs[:2] * 2]))


def built_lists(kv):
    return {"index_to_key", "key_to_index"} & set(vars(kv))


@pytest.mark.parametrize("binary", [True, False])
def test_loaded_vectors_answer_without_building_the_index(listed, tmp_path, binary):
    path = tmp_path / "v.w2v"
    listed.save_word2vec_format(path, binary=binary)
    kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    w = listed.index_to_key
    assert len(kv) == len(listed) and w[10] in kv and "not-a-word-xyz" not in kv
    assert kv.get_index("東京") == listed.get_index("東京") and kv.get_index(5) == 5
    np.testing.assert_array_equal(kv["café"], listed["café"])
    np.testing.assert_array_equal(kv[[w[3], w[7]]], listed[[w[3], w[7]]])
    assert kv.get_vecattr(w[4], "count") == len(listed) - 4
    assert kv.most_similar(w[1], topn=8) == listed.most_similar(w[1], topn=8)
    assert kv.most_similar_cosmul([w[1], w[2]], [w[3]], topn=5) == \
        listed.most_similar_cosmul([w[1], w[2]], [w[3]], topn=5)
    assert kv.similar_by_vector(listed[w[9]], topn=4) == listed.similar_by_vector(listed[w[9]], topn=4)
    assert kv.closer_than(w[1], w[2]) == listed.closer_than(w[1], w[2])
    assert kv.rank(w[1], w[2]) == listed.rank(w[1], w[2])
    assert kv.doesnt_match(w[1:6]) == listed.doesnt_match(w[1:6])
    with pytest.raises(KeyError, match="not present"):
        kv["not-a-word-xyz"]
    kv.save(tmp_path / "v.fw")
    again = KeyedVectors.load(tmp_path / "v.fw")
    assert again.most_similar(w[1], topn=8) == listed.most_similar(w[1], topn=8)
    assert not built_lists(kv) and not built_lists(again)
    # gensim reads what the packed vectors write
    kv.save_word2vec_format(tmp_path / "back.w2v", binary=binary)
    theirs = GensimKV.load_word2vec_format(str(tmp_path / "back.w2v"), binary=binary)
    assert theirs.index_to_key == w and theirs.most_similar(w[1], topn=8) == \
        [(k, pytest.approx(s, abs=1e-6)) for k, s in listed.most_similar(w[1], topn=8)]


def test_the_index_is_built_when_used_and_then_is_the_reference(listed, tmp_path):
    path = tmp_path / "v.bin"
    listed.save_word2vec_format(path, binary=True)
    for first in ("index_to_key", "key_to_index", "add_vectors", "assign"):
        kv = KeyedVectors.load_word2vec_format(path, binary=True)
        if first == "add_vectors":
            kv.add_vectors(["new-word", listed.index_to_key[2]], np.ones((2, 16)))
            assert kv.index_to_key == listed.index_to_key + ["new-word"]
            assert kv.key_to_index["new-word"] == len(listed) and kv.get_index("new-word") == len(listed)
            continue
        if first == "assign":
            kv.key_to_index = dict(listed.key_to_index)
        else:
            getattr(kv, first)
        assert built_lists(kv) == {"index_to_key", "key_to_index"}
        assert type(kv.index_to_key) is list and type(kv.key_to_index) is dict
        assert kv.index_to_key == listed.index_to_key and kv.key_to_index == listed.key_to_index
        assert kv.most_similar("café", topn=3) == listed.most_similar("café", topn=3)
    with pytest.raises(AttributeError, match="removed"):
        kv.vocab
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        kv.nothing_here


def test_packed_vectors_pickle_and_copy(listed, tmp_path):
    import copy
    path = tmp_path / "v.txt"
    listed.save_word2vec_format(path)
    kv = KeyedVectors.load_word2vec_format(path)
    for other in (pickle.loads(pickle.dumps(kv)), copy.deepcopy(kv)):
        assert not built_lists(other)
        assert other.most_similar("東京", topn=5) == listed.most_similar("東京", topn=5)
        assert other.index_to_key == listed.index_to_key


def test_duplicates_keep_the_first_row_as_gensim(tmp_path, caplog):
    path = tmp_path / "dup.txt"
    path.write_text("5 2\na 1 2\nb 3 4\na 5 6\nc 7 8\nb 9 9\n", encoding="utf-8")
    kv = KeyedVectors.load_word2vec_format(path)
    assert not built_lists(kv)
    assert len(kv) == 3 and kv.get_index("c") == 2
    np.testing.assert_array_equal(kv.vectors, [[1, 2], [3, 4], [7, 8]])
    assert sum("duplicate word" in r.getMessage() for r in caplog.records) == 2
    listed = KeyedVectors.load_word2vec_format(path, unicode_errors="replace")   # not packed
    assert [kv.get_vecattr(w, "count") for w in "abc"] == \
        [listed.get_vecattr(w, "count") for w in "abc"] == [5, 4, 3]
    assert kv.index_to_key == ["a", "b", "c"]


@pytest.mark.parametrize("unicode_errors", ["replace", "ignore"])
def test_lenient_decoding_keeps_lists(tmp_path, unicode_errors):
    """Words whose file bytes are not their UTF-8 (repaired on decoding) are not packed:
    the same answers as gensim's."""
    path = tmp_path / "bad.txt"
    path.write_bytes(b"2 2\nok 1 2\nbad\xff 3 4\n")
    ours = KeyedVectors.load_word2vec_format(path, unicode_errors=unicode_errors)
    theirs = GensimKV.load_word2vec_format(str(path), unicode_errors=unicode_errors)
    assert ours.index_to_key == theirs.index_to_key
    assert ours.get_index(theirs.index_to_key[1]) == 1


def test_native_files_with_bad_keys_are_format_errors(listed, tmp_path):
    good = tmp_path / "good.fw"
    listed.save(good)
    meta, arrays = load_native(good)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    offsets = arrays["keys_offsets"]
    twice = dict(arrays, keys_blob=np.frombuffer(b"ab" * (len(offsets) - 1), np.uint8),
                 keys_offsets=np.arange(len(offsets), dtype=np.int64) * 2)
    save_native(tmp_path / "twice.fw", meta, twice)
    with pytest.raises(FormatError, match="'ab' is there twice"):
        KeyedVectors.load(tmp_path / "twice.fw")
    blob = arrays["keys_blob"].copy()
    blob[0] = 0xFF
    save_native(tmp_path / "bytes.fw", meta, dict(arrays, keys_blob=blob))
    with pytest.raises(FormatError, match="not valid UTF-8"):
        KeyedVectors.load(tmp_path / "bytes.fw")
    shuffled = offsets.copy()
    shuffled[[1, 2]] = shuffled[[2, 1]]
    save_native(tmp_path / "order.fw", meta, dict(arrays, keys_offsets=shuffled))
    with pytest.raises(FormatError, match="in order"):
        KeyedVectors.load(tmp_path / "order.fw")
