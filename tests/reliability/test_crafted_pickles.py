"""Files crafted against the loaders of gensim pickles, native files and word2vec files:
NumPy's own pickle state turned into memory corruption, a few hundred bytes that expand to
gigabytes or hours, changes to the reader's own globals. Each must end in a clear
exception naming the file, before any large allocation, with nothing changed.

The pickles are written with the standard pickler from objects whose ``__reduce__``
says what to emit, inside real gensim models where a model is needed (gensim is
importable in the tests), so each file differs from a genuine one in one place only."""
import io
import json
import math
import pickle

import numpy as np
import pytest

from conftest import xx_colliding_pairs
from fastw2v import KeyedVectors, Phrases, Word2Vec
from fastw2v.errors import CorruptPickleError, FormatError, UnsafePickleError
from fastw2v.io import gensim_pickle
from fastw2v.io.gensim_pickle import MAX_CODE_LENGTH
from fastw2v.lifecycle import EVENT_VALUES

gensim_models = pytest.importorskip("gensim.models")

try:  # NumPy >= 2
    from numpy._core import multiarray as np_multiarray
    from numpy._core import numeric as np_numeric
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core import multiarray as np_multiarray
    from numpy.core import numeric as np_numeric


class Emit:
    """Pickles as ``call(*args)`` followed by ``BUILD state`` (when given)."""

    def __init__(self, call, args, state=None):
        self.reduced = (call, args) if state is None else (call, args, state)

    def __reduce__(self):
        return self.reduced


def dtype_with(name, state):
    """A dtype pickled as NumPy pickles one, with the BUILD state given."""
    return Emit(np.dtype, (name, False, True), state)


def array_with(state):
    """An array pickled as NumPy pickles one: _reconstruct, then BUILD ``state``."""
    return Emit(np_multiarray._reconstruct, (np.ndarray, (0,), b"b"), state)


def gensim_kv(words=("a", "b"), dims=4):
    kv = gensim_models.KeyedVectors(dims)
    kv.add_vectors(list(words), np.ones((len(words), dims), dtype=np.float32))
    return kv


def write(path, obj, protocol=4):
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=protocol)
    return path


def loads_refused(path, exc=FormatError, match=None):
    """Every loader of gensim pickles refuses ``path`` with ``exc`` naming it."""
    for load in (KeyedVectors.load, Word2Vec.load):
        with pytest.raises(exc, match=match) as info:
            load(path)
        assert str(path) in str(info.value)


# -- NumPy's state is checked before anything is built from it ----------------------------
def test_dtype_flags_cannot_hide_pointers_in_file_bytes(tmp_path):
    """A structured dtype whose object field is hidden by its flags (0), or an object
    dtype flagged as plain: NumPy would take 8 file bytes as a PyObject pointer."""
    kv = gensim_kv()
    hidden = dtype_with("V8", (3, "|", None, ("f0",), {"f0": (np.dtype(object), 0)},
                               8, 1, 0))
    kv.expandos["tag"] = array_with((1, (2,), hidden, False, b"AAAAAAAA" * 2))
    loads_refused(write(tmp_path / "v8.kv", kv), match=r"dtype 'V8' is not one a gensim")
    kv.expandos["tag"] = array_with((1, (2,), dtype_with("O8", (3, "|", None, None, None,
                                                               -1, -1, 0)),
                                     False, b"AAAAAAAA" * 2))
    loads_refused(write(tmp_path / "o8.kv", kv), match="an object array's data is a bytes")
    kv.expandos["tag"] = Emit(np_multiarray.scalar, (hidden, b"AAAAAAAA"))
    loads_refused(write(tmp_path / "scalar.kv", kv), match="dtype 'V8'")


@pytest.mark.parametrize("claimed", [2, 1000, 100000])
def test_object_arrays_hold_exactly_their_shape(tmp_path, claimed):
    """NumPy 2.4 reads past the end of an object array's list shorter than its shape."""
    kv = gensim_kv()
    kv.expandos["tag"] = array_with((1, (claimed,), np.dtype(object), False, ["x"]))
    loads_refused(write(tmp_path / "short.kv", kv),
                  match=rf"an object array of shape \({claimed},\) holds 1 items")


def test_an_array_cannot_be_a_view_of_another_records_memory(tmp_path):
    """_frombuffer over an array the pickle built, then a second BUILD of that array,
    freed the memory the view (used as the vectors) kept reading and writing."""
    kv = gensim_kv()
    inner = np.zeros(8, dtype=np.float32)
    kv.vectors = Emit(np_numeric._frombuffer, (inner, np.dtype(np.float32), (2, 4), "C"))
    loads_refused(write(tmp_path / "view.kv", kv), match="array data is a _Array, not bytes")


def test_array_data_must_fill_the_shape_exactly(tmp_path):
    kv = gensim_kv()
    kv.vectors = array_with((1, (2, 4), np.dtype(np.float32), False, b"\0" * 31))
    loads_refused(write(tmp_path / "short.kv", kv), match="holds 31 bytes, not 32")
    kv.vectors = array_with((1, (2, -4), np.dtype(np.float32), False, b""))
    loads_refused(write(tmp_path / "neg.kv", kv), match="not a tuple of sizes")
    # a huge void dtype made each scalar a 2 GB allocation; and a NumPy scalar of text
    # claiming more bytes than it has
    kv.vectors = gensim_kv().vectors
    kv.expandos["tag"] = Emit(np_multiarray.scalar, (np.dtype("V2000000000"), b""))
    loads_refused(write(tmp_path / "void.kv", kv), match="dtype 'V2000000000'")
    kv.expandos["tag"] = Emit(np_multiarray.scalar, (np.dtype("<U4"), b"ab"))
    loads_refused(write(tmp_path / "text.kv", kv), match="holds 2 bytes, not 16")


def test_build_on_an_allowed_global_is_refused_and_changes_nothing(tmp_path):
    """BUILD with a (None, {...}) state sets attributes on whatever it is given: on the
    reader's own globals (numpy.ndarray, _codecs.encode) that change outlived the load."""
    before = {key: repr(call) for key, call in gensim_pickle._ALLOWED.items()}
    for module, name in (("numpy", "ndarray"), ("_codecs", "encode"),
                         ("collections", "OrderedDict"), ("builtins", "object")):
        raw = (b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"N}X\x08\x00\x00\x00__name__"
               b"X\x05\x00\x00\x00pwneds\x86b.")
        path = tmp_path / f"{name}.kv"
        path.write_bytes(raw)
        loads_refused(path, UnsafePickleError, match=rf"changes {module}\.{name}")
    assert {key: repr(call) for key, call in gensim_pickle._ALLOWED.items()} == before
    # and the reader still reads
    real = gensim_kv()
    real.save(str(tmp_path / "real.kv"))
    assert KeyedVectors.load(tmp_path / "real.kv").index_to_key == ["a", "b"]


# -- small files that would expand without bound -------------------------------------------
def test_huffman_codes_shared_among_words_are_bounded_before_joining(tmp_path):
    """One long code array shared by every word (the memo) cost bytes per word in the
    file and words x length bytes when the paths were joined."""
    words = [f"w{i}" for i in range(50)]
    model = gensim_models.Word2Vec([words] * 3, vector_size=4, min_count=1, hs=1,
                                   negative=0, epochs=1, workers=1)
    long_code = np.zeros(MAX_CODE_LENGTH + 1, dtype=np.uint8)
    long_point = np.zeros(MAX_CODE_LENGTH + 1, dtype=np.uint32)
    codes = np.empty(len(model.wv), dtype=object)
    points = np.empty(len(model.wv), dtype=object)
    for i in range(len(model.wv)):
        codes[i], points[i] = long_code, long_point
    model.wv.expandos["code"], model.wv.expandos["point"] = codes, points
    path = tmp_path / "hs.model"
    model.save(str(path))
    with pytest.raises(FormatError, match=rf"Huffman code has {MAX_CODE_LENGTH + 1} branches"):
        Word2Vec.load(path)


def nested_events(depth):
    level = ["leaf"]
    for _ in range(depth):
        level = [level, level]          # one list, referenced twice: 2**depth leaves
    return [{"event": "created", "msg": level}]


def wide_events():
    row = ["x"] * 1000
    return [{"event": "created", "msg": [row] * (EVENT_VALUES // 1000 + 1)}]


@pytest.mark.parametrize("events,message", [
    (nested_events(40), "nest deeper than"), (wide_events(), "expand to more than")])
def test_lifecycle_events_that_expand_are_refused(tmp_path, events, message):
    """A few hundred bytes of shared lists expand to 2**40 values when the events are
    copied or written as JSON (Phrases.load; Word2Vec and KeyedVectors at their next
    save)."""
    kv = gensim_kv()
    kv.lifecycle_events = events
    loads_refused(write(tmp_path / "events.kv", kv), match=message)
    phrases = gensim_models.phrases.Phrases([["a", "b"]] * 3, min_count=1)
    phrases.lifecycle_events = events
    path = write(tmp_path / "events.phrases", phrases)
    with pytest.raises(FormatError, match=message):
        Phrases.load(path)


def test_deep_nesting_is_a_clear_error(tmp_path):
    """A list nested 100,000 deep (written with raw opcodes: 100,000 empty lists, each
    appended to the one below) is read by the unpickler's own stack; rebuilding it must
    end in a clear error, not a RecursionError from deep inside."""
    depth = 100000
    path = tmp_path / "deep.kv"
    path.write_bytes(b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b".")
    for load in (KeyedVectors.load, Word2Vec.load, Phrases.load):
        with pytest.raises((CorruptPickleError, FormatError), match="too deeply"):
            load(path)


# -- steps of the C unpickler that nothing interrupts ----------------------------------------
def test_pickles_that_hash_for_ever_or_allocate_a_huge_memo(tmp_path):
    """168 bytes: a tuple of one shared tuple twice, 80 times over, as a dict key. The
    unpickler hashes it in C (2**80 steps: the load hung for good). 12 bytes: an object
    stored at memo index 2**27, for which the unpickler allocated and cleared a 2 GB
    table (2**30: 16 GB). Both are refused by the walk over the opcodes that runs first,
    also inside a compressed file."""
    import bz2
    bomb = b"\x80\x04}" + b")" + b"2\x86" * 80 + b"K\x01s."
    memo = b"\x80\x02N" + b"r" + (1 << 27).to_bytes(4, "little") + b"."
    for name, data, message in (("hash", bomb, "objects to hash"),
                                ("memo", memo, "memo index 134,217,728")):
        for path, raw in ((tmp_path / f"{name}.kv", data),
                          (tmp_path / f"{name}.kv.bz2", bz2.compress(data))):
            path.write_bytes(raw)
            loads_refused(path, match=message)
            with pytest.raises(FormatError, match=message):
                Phrases.load(path)


def test_ways_around_the_walk_found_by_a_review(tmp_path):
    """Each was a valid pickle that the walk passed while the unpickler hashed the
    2**80 tuple. A list filled after it went into a call's arguments: set(L), dict(L)
    hash what it holds when called (charged then, in Python). A NUL in a PUT or GET
    line: the unpickler's C string ends there, and the walk reads it the same way. An
    opcode across the end of a frame: the unpickler re-reads it after the frame; no
    pickler writes one. A byte string longer than the file (2**62): a clear error, not
    the seek's OSError. str() decoding with punycode (quadratic) is refused."""
    import struct
    bomb = b"K\x01" + b"2\x86" * 80
    frame = 1 << 17
    cases = {
        "set": (b"\x80\x02c__builtin__\nset\n]q\x00\x85h\x00" + bomb + b"a0R.",
                r"set\(\) in the pickle hashes and compares more than 50,000,000 objects"),
        "dict": (b"\x80\x02c__builtin__\ndict\n]q\x00\x85h\x00(" + bomb + b"Nla0R.",
                 r"dict\(\) in the pickle hashes and compares more than 50,000,000 objects"),
        "nul-get": (b"\x80\x02}q\x00g0\x00\n0" + bomb + b"Ns.", "objects to hash"),
        "nul-put": (b"\x80\x02}p0\x00\n" + bomb + b"Ns.", "objects to hash"),
        "frame": (b"\x80\x04\x95" + struct.pack("<Q", frame) + b"B" +
                  struct.pack("<I", frame - 8) + bytes(frame - 8) + b"0M\x00\x00.}" + bomb +
                  b"Ns.", "crosses the end of its frame"),
        "seek": (b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"xx.",
                 r"ends early: a string of 4,611,686,018,427,387,904 bytes at byte 2 runs"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / f"{name}.kv"
        path.write_bytes(data)
        with pytest.raises(FormatError, match=message) as info:
            KeyedVectors.load(path)
        assert str(path) in str(info.value)
    kv = gensim_kv()
    kv.lifecycle_events = [{"event": "x", "text": Emit(str, (b"abc-d", "punycode"))}]
    loads_refused(write(tmp_path / "puny.kv", kv, protocol=2),
                  match=r"str\(\) with the encoding 'punycode'")


def test_second_review_deep_tuples_big_ints_shared_states_and_arrays(tmp_path):
    """A second review of the walk. A tuple nested a million deep crashed the process
    (CPython hashes tuples recursively in C: SIGSEGV); an int of many digits counted as
    one object though each hash reads all its digits; one dict given as the state of
    many BUILDs was copied each time (quadratic); 4,000 arrays made from one shared
    100 KB string took 382 MB from a 132 KB file; shapes of huge ints took minutes in
    math.prod; ints past 4300 digits broke the error messages themselves."""
    import struct
    from fastw2v.io._pickle_scan import scan
    deep = b"\x80\x04})" + b"\x85" * 1_000_000 + b"Ns."
    with pytest.raises(FormatError, match="nests containers too deeply"):
        scan(io.BytesIO(deep), 50_000_000)
    # one 4,000-byte int as a key 100 times: each insertion hashes all its digits
    big = b"\x80\x04\x8b" + struct.pack("<I", 4000) + b"\x01" * 4000 + b"\x94}"
    charged, _, complete = scan(io.BytesIO(big + b"h\x00Ns" * 100 + b"."), 50_000_000)
    assert complete and charged >= 100 * 500
    # one shared dict as the state of 20,000 stand-ins
    state = b"}q\x00(" + b"".join(b"J" + struct.pack("<i", i) + b"N" for i in range(3000))
    builds = (b"\x80\x04cgensim.models.keyedvectors\nKeyedVectors\n)\x81" + state +
              b"u0" + b"h\x00b" * 20000 + b".")
    (tmp_path / "builds.kv").write_bytes(builds)
    with pytest.raises(FormatError, match="state in the pickle has a key that is not an "
                       "attribute name: 0"):
        gensim_pickle.restricted_unpickle(str(tmp_path / "builds.kv"))
    # 4,000 arrays from one memoised 100 KB state
    n = 100000
    arrays = (b"\x80\x04cnumpy.core.multiarray\n_reconstruct\nq\x00"
              b"cnumpy\nndarray\nK\x00\x85C\x01b\x87q\x01(K\x01J" + struct.pack("<i", n) +
              b"\x85cnumpy\ndtype\nX\x02\x00\x00\x00u1\x89\x88\x87R\x89\x8e" +
              struct.pack("<Q", n) + bytes(n) + b"tq\x020](" + b"h\x00h\x01Rh\x02b" * 4000 +
              b"e.")
    (tmp_path / "arrays.kv").write_bytes(arrays)
    with pytest.raises(FormatError, match="builds more array bytes than it holds"):
        gensim_pickle.restricted_unpickle(str(tmp_path / "arrays.kv"))
    # huge ints in a shape, and in a model's parameters
    kv = gensim_kv()
    kv.vectors = Emit(np_numeric._frombuffer, (b"", np.dtype("f4"), (1 << 70000, 0), "C"))
    loads_refused(write(tmp_path / "shape.kv", kv),
                  match=r"<an int of 70001 bits>, 0\) is not a tuple of sizes")
    model = gensim_models.Word2Vec(vector_size=4, min_count=1)
    model.build_vocab([["a", "b"]] * 3)
    for name in ("alpha", "seed", "corpus_count", "running_training_loss"):
        setattr(model, name, 1 << 20000)
        with pytest.raises(FormatError, match=r"<an int of 20001 bits>|beyond any float"):
            Word2Vec.load(write(tmp_path / f"{name}.model", model))
        setattr(model, name, 1)


def test_copies_are_bounded_by_the_pickles_own_size(tmp_path, monkeypatch):
    """Protocol 2 writes each bytes object as _codecs.encode(text, 'latin1'): a gensim 3
    phrase model calls it once per key, copying its own bytes once, so the copy budget
    grows with the file. The same text encoded thousands of times is refused."""
    monkeypatch.setattr(gensim_pickle, "COPY_BUDGET", 1000)
    kv = gensim_kv()
    kv.lifecycle_events = [{"event": "x", "keys": [b"key-%05d" % i for i in range(500)]}]
    path = write(tmp_path / "keys.kv", kv, protocol=2)
    assert path.read_bytes().count(b"latin1") >= 1 and b"_codecs" in path.read_bytes()
    KeyedVectors.load(path)                 # 4,500 bytes copied: within 1,000 + its size
    import struct
    shared = (b"\x80\x02c_codecs\nencode\nq\x00X" + struct.pack("<I", 100) + b"k" * 100 +
              b"q\x01X\x06\x00\x00\x00latin1q\x02](" + b"h\x00h\x01h\x02\x86R" * 5000 + b"e.")
    (tmp_path / "shared.kv").write_bytes(shared)
    with pytest.raises(FormatError, match=f"copies more than {1000 + len(shared):,} items"):
        gensim_pickle.restricted_unpickle(str(tmp_path / "shared.kv"))


def test_integer_keys_made_to_share_a_hash(tmp_path):
    """Ints equal modulo 2**61 - 1 hash alike, and each insertion into a set or dict
    compares with every earlier key of that hash: 10,000 such keys took 0.5 s, 1M would
    take an hour. More than 64 keys of one hash are refused; random 64-bit ids load."""
    import random
    modulus = 2 ** 61 - 1
    crafted = gensim_models.KeyedVectors(4)
    crafted.add_vectors([k * modulus for k in range(1, 101)], np.ones((100, 4), np.float32))
    loads_refused(write(tmp_path / "same.kv", crafted),
                  match="more than 64 of its integer keys share one hash")
    rng = random.Random(3)
    ids = [rng.getrandbits(64) for _ in range(5000)]
    genuine = gensim_models.KeyedVectors(4)
    genuine.add_vectors(ids, np.ones((5000, 4), np.float32))
    assert KeyedVectors.load(write(tmp_path / "ids.kv", genuine)).index_to_key == ids


def test_keys_made_to_share_a_hash_inside_the_pickle(tmp_path):
    """The unpickler inserts a dict's keys before any Python code sees them, each
    compared with every earlier key of its hash: 16,000 big ints of one residue took
    1.3 s, tuples of two ints chosen against CPython's tuple hash 2.2 s (4x per
    doubling). The walk computes those hashes and refuses them; ``set(list)`` (protocol
    2) and a state given to many objects are charged in Python, where they run."""
    assert len({hash(p) for p in xx_colliding_pairs(50)}) == 1
    items = {
        "ints": [k * (2 ** 61 - 1) + 7 for k in range(1, 16001)],
        "pairs": xx_colliding_pairs(16000),
    }
    for name, keys in items.items():
        body = b"".join(pickle.dumps(k, protocol=2)[2:-1] for k in keys)
        as_dict = b"\x80\x02}(" + b"".join(pickle.dumps(k, protocol=2)[2:-1] + b"N"
                                            for k in keys) + b"u."
        as_set = b"\x80\x02c__builtin__\nset\n](" + body + b"e\x85R."
        for kind, data in (("dict", as_dict), ("set", as_set)):
            path = tmp_path / f"{name}-{kind}.kv"
            path.write_bytes(data)
            match = "share hashes" if kind == "dict" else r"set\(\) in the pickle hashes and"
            with pytest.raises(FormatError, match=match):
                gensim_pickle.restricted_unpickle(str(path))
    # keys other than attribute names in an object's state: each BUILD that gives it,
    # and each later update of the object's fields, would insert and hash them again
    state = b"}q\x01(" + b"".join(pickle.dumps(k, protocol=2)[2:-1] + b"N"
                                   for k in xx_colliding_pairs(3)) + b"u"
    builds = (b"\x80\x04cgensim.models.keyedvectors\nKeyedVectors\n)\x81" + state +
              b"b" + b"cgensim.models.keyedvectors\nKeyedVectors\n)\x81h\x01b" + b".")
    (tmp_path / "state.kv").write_bytes(builds)
    with pytest.raises(FormatError, match=r"has a key that is not an attribute name: \("):
        gensim_pickle.restricted_unpickle(str(tmp_path / "state.kv"))


def test_keys_a_review_found_going_in_after_the_walk(tmp_path, monkeypatch):
    """From a review of the walk's hash charges, each refused now (the budget lowered
    to 100,000 so the files stay small): (1) one stand-in given a BUILD per key, each a
    one-key dict of one hash, gathers them all in its fields (32,000 took 16 s; an
    object's state may hold attribute names only, as gensim's do); (2)
    NumPy scalar records, whose hash in the unpickler is their identity, made into
    complex numbers of hash 0 when the arrays are built (32,000 took 9 s); (3) a global
    named by a 4 MB string, copied and hashed at each look-up (5,000: 5.6 s)."""
    import struct
    monkeypatch.setattr(gensim_pickle, "HASH_BUDGET", 100_000)
    modulus = 2 ** 61 - 1

    def long1(v):
        data = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
        return b"\x8a" + bytes([len(data)]) + data

    def builds(keys):
        return (b"\x80\x02cgensim.models.keyedvectors\nKeyedVectors\n)\x81"
                b"c__builtin__\ndict\nq\x010" +
                b"".join(b"h\x01]" + long1(k) + b"N\x86a\x85Rb" for k in keys) + b".")

    def scalars(values):
        return (b"\x80\x02cnumpy.core.multiarray\nscalar\nq\x000"
                b"cnumpy\ndtype\nX\x03\x00\x00\x00c16\x89\x88\x87Rq\x010}(" +
                b"".join(b"h\x00h\x01C\x10" + struct.pack("<dd", re, im) + b"\x86RN"
                         for re, im in values) + b"u.")
    path = tmp_path / "builds.pkl"
    path.write_bytes(builds([k * modulus + 5 for k in range(1, 601)]))
    with pytest.raises(FormatError, match="has a key that is not an attribute name"):
        gensim_pickle.restricted_unpickle(str(path))
    path = tmp_path / "scalars.pkl"
    path.write_bytes(scalars([(-1000003.0 * j, float(j)) for j in range(600)]))
    with pytest.raises(FormatError, match="a NumPy scalar as a key in the pickle hashes"):
        gensim_pickle.restricted_unpickle(str(path))
    path.write_bytes(scalars([(float(j), 0.5) for j in range(600)]))
    assert len(gensim_pickle.restricted_unpickle(str(path))[0]) == 600
    name = "gensim.models.callbacks"
    long_name = (b"\x80\x04\x8c" + bytes([len(name)]) + name.encode() + b"\x94\x8d" +
                 struct.pack("<Q", 4000) + b"x" * 4000 + b"\x94" + b"h\x00h\x01\x930" * 3 + b"N.")
    (tmp_path / "name.pkl").write_bytes(long_name)
    with pytest.raises(FormatError, match="names a global of 4,023 characters"):
        gensim_pickle.restricted_unpickle(str(tmp_path / "name.pkl"))


def test_calls_a_second_review_found(tmp_path):
    """``int(text, 16)`` of a megabyte made a number whose every hash reads 4M bits,
    weighed by the walk as one short string (shared 32,768 times in one key: 21.8 s);
    numbers are made from at most 100 characters of text. ``dict(L)`` takes any pair
    it can iterate, a dict's two keys among them, which went in uncharged (152 KB:
    50 s); a dict() call takes pairs only, as its pickles give it."""
    cases = {
        "int": (b"\x80\x02c__builtin__\nint\nX" + (1000).to_bytes(4, "little") + b"f" * 1000 +
                b"K\x10\x86R.", r"int\(\) of a text of 1,000 characters"),
        "dict": (b"\x80\x02c__builtin__\ndict\n]}(K\x01NX\x01\x00\x00\x00xNua\x85R.",
                 r"dict\(\) of something other than pairs"),
    }
    for name, (data, match) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(FormatError, match=match):
            gensim_pickle.restricted_unpickle(str(tmp_path / name))
    (tmp_path / "ok").write_bytes(b"\x80\x02c__builtin__\nint\nX\x02\x00\x00\x00ffK\x10\x86R.")
    assert gensim_pickle.restricted_unpickle(str(tmp_path / "ok"))[0] == 255


def test_a_small_file_that_builds_gigabytes_of_objects(tmp_path, monkeypatch):
    """48M empty lists are 47 KB of gzip, within the decompression bound, and took
    the unpickler 3.4 GB of memory. The objects a pickle builds may take 16 times its
    decompressed size plus a floor (256 MiB; 1 MiB here), and never more than the
    memory available."""
    import gzip
    monkeypatch.setattr(gensim_pickle, "OBJECTS_FLOOR", 1 << 20)
    path = tmp_path / "lists.kv"
    with gzip.open(path, "wb") as fh:
        fh.write(b"\x80\x04" + b"]" * 2_000_000 + b".")
    assert path.stat().st_size < 10_000
    with pytest.raises(FormatError, match="builds more than 33,"):
        gensim_pickle.restricted_unpickle(str(path))
    assert gensim_pickle.objects_limit(10 ** 6) == 16 * 10 ** 6 + (1 << 20)


# -- decompression bombs --------------------------------------------------------------------
def zeros_pickle(path, opener, n):
    """A pickle of ``n`` zero bytes (PROTO 4, BINBYTES8 n) compressed by ``opener``."""
    with opener(path, "wb") as fh:
        fh.write(b"\x80\x04\x8e" + n.to_bytes(8, "little"))
        for _ in range(n >> 20):
            fh.write(bytes(1 << 20))
        fh.write(b".")
    return path


def test_compressed_pickles_that_expand_beyond_their_bound(tmp_path, monkeypatch):
    """A few hundred bytes of bzip2 or xz hold gigabytes of zeros (1 GB: 807 bytes of
    bzip2, which took 2.1 GB of memory to refuse as "not a gensim model"; 20 GB ended in
    the kernel's OOM killer). The pickle may expand to 1,100 times its compressed size
    (deflate's own limit is 1,032) or the floor, lowered here to 1 MiB; reading stops at
    the bound. gzip cannot go that far, so its files are bounded by the memory only."""
    import bz2
    import gzip
    import lzma
    monkeypatch.setattr(gensim_pickle, "EXPANSION_FLOOR", 1 << 20)
    for suffix, opener in (("bz2", bz2.open), ("xz", lzma.open)):
        path = zeros_pickle(tmp_path / f"bomb.kv.{suffix}", opener, 64 << 20)
        assert path.stat().st_size * 1100 < 64 << 20
        limit = max(1 << 20, 1100 * path.stat().st_size)
        loads_refused(path, match=f"the {'bzip2' if suffix == 'bz2' else 'xz'} file "
                                  f"expands to more than {limit:,} bytes.*decompression bomb")
        with pytest.raises(FormatError, match="decompression bomb"):
            Phrases.load(path)
    # within the bound: read whole, then refused for what it is
    path = zeros_pickle(tmp_path / "zeros.kv.gz", gzip.open, 16 << 20)
    loads_refused(path, match="a pickle of a bytes, not a gensim model")
    # the memory available bounds every format
    monkeypatch.setattr(gensim_pickle, "available_memory", lambda: 4 << 20)
    loads_refused(path, match=r"more than 4,194,304 bytes \(the memory available\)")
    # a genuine compressed model loads as before
    kv = gensim_kv()
    kv.save(str(tmp_path / "real.kv.bz2"))
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "real.kv.bz2")["a"], kv["a"])


def test_npz_companions_are_bounded_before_numpy_allocates(tmp_path, monkeypatch):
    """A compressed model's arrays are ``.npz`` files (deflate: up to 1,032 times their
    size, so 20 MB can hold 20 GB of zeros). An array larger than the memory available,
    or than its compressed bytes can hold, is refused from its header, before NumPy
    allocates and fills it; the genuine companion loads."""
    import zipfile
    kv = gensim_kv(dims=1 << 18)                       # 2 MiB of vectors
    path = tmp_path / "m.kv.bz2"
    kv.save(str(path), separately=["vectors"])
    companion = tmp_path / "m.kv.bz2.vectors.npz"
    np.testing.assert_array_equal(KeyedVectors.load(path).vectors, kv.vectors)
    with monkeypatch.context() as patch:
        patch.setattr(gensim_pickle, "available_memory", lambda: 1 << 20)
        loads_refused(path, match=r"m\.kv\.bz2\.vectors\.npz: its array claims 2,097,152 "
                                  r"bytes from [\d,]+ compressed bytes, more than they may expand"
                                  r" to here \(1,048,576: the memory available\)")
    with zipfile.ZipFile(companion, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("val.npy", "w") as fh:
            np.lib.format.write_array_header_1_0(
                fh, {"descr": "<f4", "fortran_order": False, "shape": (100000, 100000)})
            fh.write(bytes(4096))
    loads_refused(path, match=r"its array claims 40,000,000,000 bytes from [\d,]+ compressed")


# -- values a model cannot hold --------------------------------------------------------------
def test_values_a_gensim_model_cannot_hold(tmp_path):
    kv = gensim_kv()
    kv.vectors_lockf = np.array([np.nan], dtype=np.float32)
    loads_refused(write(tmp_path / "lockf.kv", kv), match="vectors_lockf holds values that "
                                                           "are not finite")
    kv = gensim_kv()
    kv.expandos["count"] = np.array([2 ** 64 - 1, 2 ** 63], dtype=np.uint64)
    loads_refused(write(tmp_path / "counts.kv", kv), match=r"counts outside 0\.\.2\*\*63-1")
    kv = gensim_kv()
    kv.index_to_key = ["a", "a"]
    loads_refused(write(tmp_path / "twice.kv", kv), match="key 'a' is in index_to_key twice")
    phrases = gensim_models.phrases.Phrases([["a", "b"]] * 3, min_count=1)
    phrases.threshold = 10 ** 400
    with pytest.raises(FormatError, match=r"threshold=1000.* is not a number"):
        Phrases.load(write(tmp_path / "big.phrases", phrases))


# -- native files and word2vec headers -------------------------------------------------------
def native_file(path, meta, descr, data: bytes):
    """A native file of the given header and data (the layout of io.native)."""
    from fastw2v.io.native import _ALIGN, _PREFIX, MAGIC, VERSION
    header = json.dumps({"meta": meta, "arrays": descr}).encode()
    start = -(-(_PREFIX.size + len(header)) // _ALIGN) * _ALIGN
    path.write_bytes(_PREFIX.pack(MAGIC, VERSION, len(header)) + header
                     + b"\0" * (start - _PREFIX.size - len(header)) + data)
    return path


def test_native_arrays_may_not_overlap_or_describe_impossible_shapes(tmp_path):
    meta = {"format": "fastw2v.KeyedVectors", "vector_size": 4}
    keys = b"ab"
    data = keys.ljust(64, b"\0") + np.ones(8, dtype="<f4").tobytes()
    good = {"keys_blob": {"dtype": "|u1", "shape": [2], "offset": 0},
            "keys_offsets": {"dtype": "<i8", "shape": [3], "offset": 128},
            "vectors": {"dtype": "<f4", "shape": [2, 4], "offset": 64}}
    data = data.ljust(128, b"\0") + np.array([0, 1, 2], dtype="<i8").tobytes()
    assert KeyedVectors.load(native_file(tmp_path / "good.kv", meta, good,
                                         data)).index_to_key == ["a", "b"]
    overlap = dict(good, vectors={"dtype": "<f4", "shape": [2, 4], "offset": 0})
    for load in (KeyedVectors.load, Word2Vec.load):
        with pytest.raises(FormatError, match="'keys_blob' and 'vectors' overlap"):
            load(native_file(tmp_path / "overlap.kv", meta, overlap, data))
    impossible = dict(good, vectors={"dtype": "<f4", "shape": [2, 2 ** 62, 0], "offset": 64})
    with pytest.raises(FormatError, match="corrupt description of array 'vectors'"):
        KeyedVectors.load(native_file(tmp_path / "shape.kv", meta, impossible, data))


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("dims", [3000000000, 10 ** 20, 2 ** 20 + 1])
def test_word2vec_headers_with_impossible_dimensions(tmp_path, binary, dims):
    """Checked even with no rows, where nothing else catches them: 10**20 raised NumPy's
    'Maximum allowed dimension exceeded', 10**10 an OverflowError, 3e9 loaded."""
    path = tmp_path / "v"
    path.write_bytes(f"0 {dims}\n".encode())
    with pytest.raises(FormatError, match=rf"{dims} dimensions, more than the {2 ** 20}"):
        KeyedVectors.load_word2vec_format(path, binary=binary)
    path.write_bytes(f"0 {2 ** 20}\n".encode())
    assert KeyedVectors.load_word2vec_format(path, binary=binary).vector_size == 2 ** 20


def test_npy_companions_whose_size_overflows(tmp_path):
    """A separate .npy of shape (2**32, 2**32): the product wrapped to 0 in int64."""
    kv = gensim_kv()
    kv.save(str(tmp_path / "m.kv"), sep_limit=0)
    shape = (2 ** 32, 2 ** 32)
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %r, }" % (shape,)
    header = header.ljust(117) + "\n"
    (tmp_path / "m.kv.vectors.npy").write_bytes(b"\x93NUMPY\x01\x00"
                                                + len(header).to_bytes(2, "little")
                                                + header.encode() + b"\0" * 64)
    for mmap in (None, "r"):
        with pytest.raises(FormatError, match=rf"needs {math.prod(shape) * 4 + 128}"):
            KeyedVectors.load(tmp_path / "m.kv", mmap=mmap)


# -- a second review's attacks on the records' design ----------------------------------------
def laughs(depth, leaf="x"):
    level = [leaf]
    for _ in range(depth):
        level = [level, level]
    return level


def test_messages_and_logs_do_not_build_a_files_whole_repr(tmp_path, caplog):
    """``f"{value!r:.60}"`` built the whole repr of a value before cutting it: a shared
    list nested 27 deep made a 600-byte file take half a minute and a gigabyte."""
    kv = gensim_kv()
    kv.__dict__["__numpys"] = laughs(30)
    loads_refused(write(tmp_path / "numpys.kv", kv), match=r"bookkeeping '__numpys' \(\[\[")
    kv = gensim_kv()
    name = ("x",)
    for _ in range(20):
        name = (name, name)            # an attribute name whose repr has 6 million characters
    kv.expandos[name] = np.zeros(2)    # not loaded, and logged briefly
    write(tmp_path / "names.kv", kv)
    assert len(KeyedVectors.load(tmp_path / "names.kv")) == 2
    assert max(len(r.getMessage()) for r in caplog.records) < 2000
    model = gensim_models.Word2Vec(vector_size=4, min_count=1)
    model.build_vocab([["a", "b"]])
    model.window = laughs(30)
    path = tmp_path / "window.model"
    model.save(str(path))
    with pytest.raises(FormatError, match=r"window is a list \(\[\[.*not a number or text"):
        Word2Vec.load(path)


def test_calls_to_builtins_are_budgeted_and_str_takes_text_only(tmp_path, monkeypatch):
    """A pickle may call set(), list(), bytes()... (protocols 0-2 do): each copies its
    argument, and one shared list given to many calls multiplied a megabyte by
    thousands; str() of a list is its repr. The walk before the unpickler charges each
    call its arguments and refuses first; the copies are counted too, as they are made."""
    shared = list(range(1000))
    kv = gensim_kv()
    kv.lifecycle_events = [{"event": "x", "copies": [Emit(list, (shared,))
                                                     for _ in range(60000)]}]
    path = write(tmp_path / "copies.kv", kv)
    loads_refused(path, match="expand to more than 50,[0-9,]+ objects to hash")
    monkeypatch.setattr(gensim_pickle, "HASH_BUDGET", 10 ** 12)
    loads_refused(path, match=r"copies more than 50,[\d,]+ items")
    kv.lifecycle_events = [{"event": "x", "text": Emit(str, (laughs(30),))}]
    loads_refused(write(tmp_path / "str.kv", kv), match=r"str\(\) of something other than")


def test_events_never_print_arrays_and_bookkeeping_is_walked_once(tmp_path):
    """str() of an object array holding the level below twice is exponential: events
    hold an array's kind, not its text. An object named from many attributes at many
    levels of gensim's bookkeeping was walked once per path (N**7)."""
    level = np.array(["x"], dtype=object)
    for _ in range(40):
        pair = np.empty(2, dtype=object)
        pair[0] = pair[1] = level
        level = pair
    kv = gensim_kv()
    kv.lifecycle_events = [{"event": "x", "msg": level}]
    write(tmp_path / "array.kv", kv)
    events = KeyedVectors.load(tmp_path / "array.kv").lifecycle_events
    assert events[0]["msg"] == "<ndarray of shape (2,)>"
    child = gensim_kv()
    kv = gensim_kv()
    kv.__dict__.update({"a": child, "b": child, "__recursive_saveloads": ["a", "b"]})
    loads_refused(write(tmp_path / "fanout.kv", kv), match="names one object twice")


def test_gensim_fields_are_checked_as_a_native_files(tmp_path):
    """A model loaded from gensim must train and save to a file that loads again:
    batch_words='x' failed in train(), comment=<object> in save()."""
    for name, value, match in (("batch_words", "x", "batch_words"),
                               ("comment", gensim_models.KeyedVectors(2), "comment is a"),
                               ("effective_min_count", [1], "effective_min_count is a list"),
                               ("corpus_count", float("inf"), "corpus_count is inf")):
        model = gensim_models.Word2Vec(vector_size=4, min_count=1)
        model.build_vocab([["a", "b"]])
        setattr(model, name, value)
        path = tmp_path / f"{name}.model"
        model.save(str(path))
        with pytest.raises(FormatError, match=match) as info:
            Word2Vec.load(path)
        assert str(path) in str(info.value)
    kv = gensim_kv(words=(), dims=4)
    kv.vector_size = 2 ** 40
    kv.vectors = np.zeros((0, 2 ** 40), dtype=np.float32)
    loads_refused(write(tmp_path / "dims.kv", kv), match=r"vector_size 1099511627776 is not")
