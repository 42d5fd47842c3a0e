"""The opcode walk that runs before the unpickler (``fastw2v.io._pickle_scan``), against
a slow reference: the hashing the unpickler does for the same pickle, counted on the
unpickled objects. Bombs are refused; genuine pickles of every protocol pass; a damaged
or truncated pickle ends the walk quietly, for the unpickler to report."""
import io
import pickle
import random
import struct

import pytest

from fastw2v.errors import FormatError, TruncatedPickleError
from conftest import xx_colliding_pairs
from fastw2v.io._pickle_scan import CHOSEN_GLOBALS, MEMO_SLACK, charges, probe, scan


def charged(data: bytes, budget: int = 10 ** 9) -> int:
    """What the walk charges for ``data``, which it must read to its STOP."""
    spent, scanned, complete = scan(io.BytesIO(data), budget)
    assert complete and scanned == len(data)
    return spent


def tree_size(x) -> int:
    """Objects in ``x`` expanded as a tree: what hashing it costs (a tuple's hash is not
    cached, so a shared element is hashed once per place it is held)."""
    if isinstance(x, (tuple, frozenset)):
        return 1 + sum(tree_size(e) for e in x)
    return 1


def reference_hashing(top) -> int:
    """The tree sizes of every dict key and set or frozenset item, each container counted
    once (the pickler writes a shared container once and refers back to it)."""
    seen, todo, total = set(), [top], 0
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, dict):
            total += sum(tree_size(k) for k in x)
            todo += list(x) + list(x.values())
        elif isinstance(x, (set, frozenset)):
            total += sum(tree_size(e) for e in x)
            todo += list(x)
        elif isinstance(x, (list, tuple)):
            todo += list(x)
    return total


def random_structure(rng: random.Random, n: int):
    """A dict of ``n`` random entries whose keys, values and items share objects made
    before them (strings, ints, tuples, frozensets; lists, dicts and sets as values)."""
    hashables, anything = [0, "a"], [0, "a"]

    def hashable():
        kind = rng.random()
        if kind < 0.3:
            x = rng.choice([rng.randrange(-5, 300), f"w{rng.randrange(50)}", 1.5, None])
        elif kind < 0.8:
            x = tuple(rng.choice(hashables) for _ in range(rng.randrange(0, 5)))
        else:
            x = frozenset(rng.choice(hashables) for _ in range(rng.randrange(0, 4)))
        hashables.append(x)
        anything.append(x)
        return x

    def value():
        kind = rng.random()
        if kind < 0.4:
            return hashable()
        if kind < 0.6:
            x = [rng.choice(anything) for _ in range(rng.randrange(0, 6))]
        elif kind < 0.8:
            x = {hashable(): rng.choice(anything) for _ in range(rng.randrange(0, 4))}
        else:
            x = {hashable() for _ in range(rng.randrange(0, 4))}
        anything.append(x)
        return x

    return {hashable(): value() for _ in range(n)}


@pytest.mark.parametrize("protocol", [4, 5])
def test_the_hashing_charged_is_the_unpicklers(protocol):
    """Protocols 4 and 5 build sets and frozensets with their own opcodes, so the walk's
    charge for hashing is exactly the reference's, and its charge for comparing keys of
    one hash is the reference's (over the whole pickle) where no key has a hash the
    walk cannot compute, and at least their number where some have. (Older protocols call
    ``set(list)``, and a call's arguments are charged whole: more than the reference,
    never less.)"""
    rng = random.Random(protocol)
    for trial in range(200):
        obj = random_structure(rng, rng.randrange(1, 40))
        data = pickle.dumps(obj, protocol=protocol)
        hashed, compared = charges(data)
        assert hashed == reference_hashing(pickle.loads(data))
        same, chosen = reference_comparisons(pickle.loads(data))
        if chosen:
            assert compared >= same + chosen * (chosen - 1) // 2
        else:
            assert compared == same
    for proto in range(0, 4):
        data = pickle.dumps(obj, protocol=proto)
        assert charged(data) >= reference_hashing(obj)


MODULUS = 2 ** 61 - 1


def hash_kind(x, protocol: int = 4) -> str:
    """What the walk must take ``x``'s hash for: "secret" (text, bytes: keyed by a
    secret of the process; or unhashable), "distinct" (ints below 2**61 - 1 but -1,
    which hashes as -2; None, True, False), "known" (numbers and tuples of them, empty
    text and bytes, the empty frozenset: hashes the file chooses and the walk
    computes), "chosen" (the file chooses it, the walk does not compute it: frozensets
    of numbers, tuples mixing numbers and text, what calls of ``int``, ``tuple``... make:
    every frozenset below protocol 4, which calls ``frozenset(list)``), "opaque" (what
    another call made: bytes below protocol 3, ``_codecs.encode(text)``)."""
    if x is None or isinstance(x, bool):
        return "distinct"
    if isinstance(x, int):
        return "distinct" if -MODULUS < x < MODULUS and x != -1 else "known"
    if isinstance(x, float):
        return "secret" if x != x else "known"
    if isinstance(x, bytes) and protocol < 3:
        return "opaque"
    if isinstance(x, (str, bytes)):
        return "secret" if x else "known"
    if isinstance(x, (tuple, frozenset)):
        kinds = {hash_kind(e, protocol) for e in x}
        if isinstance(x, frozenset) and protocol < 4:
            return "chosen"
        if not x:
            return "known"
        if kinds == {"secret"}:
            return "secret"
        if isinstance(x, frozenset) or kinds & {"chosen", "secret", "opaque"}:
            return "chosen"
        return "known"
    return "secret"


def reference_comparisons(top) -> tuple:
    """``(same, chosen)``: what comparing dict keys and set items of one known hash
    costs, over every container, each counted once (c keys of tree sizes w, each
    compared with the others, each comparison reading a whole key: (c - 1) times the
    sum of w, which bounds what c insertions compare), and how many keys of a chosen
    hash there are."""
    seen, todo, counts, chosen = set(), [top], {}, 0
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, (dict, set, frozenset)):
            for k in x:
                kind = hash_kind(k)
                if kind in ("known", "distinct"):
                    c, w = counts.get(hash(k), (0, 0))
                    counts[hash(k)] = (c + 1, w + tree_size(k))
                chosen += kind == "chosen"
            todo += list(x) + (list(x.values()) if isinstance(x, dict) else [])
        elif isinstance(x, (list, tuple)):
            todo += list(x)
    return sum((c - 1) * w for c, w in counts.values()), chosen


def test_the_hashes_are_cpythons():
    """The walk's hash of every number and tuple of numbers, as every protocol writes
    it (BININT, LONG1 of up to 16 bytes and beyond, protocol 0's text), is CPython's;
    what it cannot compute is marked so."""
    rng = random.Random(7)
    values = [0, 1, -1, -2, 255, 256, 65535, 65536, 2 ** 31 - 1, -2 ** 31, 2 ** 31,
              MODULUS - 1, MODULUS, MODULUS + 1, -MODULUS, -MODULUS + 1, -MODULUS - 1,
              2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, 2 ** 64, -2 ** 64 - 1, 2 ** 127 - 1,
              -2 ** 127, 2 ** 127, -2 ** 127 - 1, 2 ** 128, -(2 ** 200), 1.5, -0.0,
              float("inf"), -float("inf"), 1e300, 2.0 ** 61, 5e-324, True, False, None,
              (), (1,), (1, (2, 3.5), -1), (None, True), ((), ((),)), float("nan"), "w",
              b"w", ("a", "b"), ("a", 1), frozenset([1]), frozenset(["a"]), [1], {1: 2},
              "", b"", frozenset(), ("", b""), (1, "")]
    for _ in range(1500):
        bits = rng.choice([8, 31, 32, 60, 61, 62, 63, 64, 65, 72, 100, 127, 128, 129, 5000])
        values.append(rng.getrandbits(rng.randrange(1, bits + 1)) * rng.choice([1, -1]))
    for _ in range(200):
        values.append(rng.uniform(-1e9, 1e9))
        values.append(tuple(rng.randrange(-10 ** 20, 10 ** 20) for _ in range(rng.randrange(4))))
    for v in values:
        for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
            kind, h = probe(pickle.dumps(v, protocol=protocol))
            assert kind == hash_kind(v, protocol), (v, protocol)
            if kind in ("distinct", "known"):
                assert h == hash(v), (v, protocol)


#: keys that share one hash: ints equal modulo 2**61 - 1 (either sign), tuples chosen
#: against CPython's tuple hash, and tuples holding those
COLLIDING = {
    "ints": lambda n: [k * MODULUS + 5 for k in range(1, n + 1)],
    "negative": lambda n: [-k * MODULUS - 5 for k in range(1, n + 1)],
    "pairs": xx_colliding_pairs,
    "nested": lambda n: [(p, ()) for p in xx_colliding_pairs(n)],
}


@pytest.mark.parametrize("name", list(COLLIDING))
def test_keys_that_share_a_hash_are_charged_each_comparison(name):
    """Each insertion compares with every earlier key of its hash: n keys of one hash
    of weight w (tree size), charged (n - 1) n w (at most twice what they compare), in
    a dict, a set and a frozenset, by every protocol (protocol 0 writes numbers as text,
    which weighs more). 16,000 of them took the unpickler 1.3-2.2 s (4x per doubling)
    and are refused."""
    keys = COLLIDING[name](300)
    assert len({hash(k) for k in keys}) == 1 and len(set(keys)) == 300
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        for container in (dict.fromkeys(keys, 0), set(keys), frozenset(keys)):
            if protocol < 4 and not isinstance(container, dict):
                continue            # set(list) is a call: charged in Python (_hash_cost)
            compared = charges(pickle.dumps(container, protocol=protocol))[1]
            if protocol >= 2:
                assert compared == 299 * 300 * tree_size(keys[0])
            else:
                assert compared >= 299 * 300 * tree_size(keys[0])
    # written opcode by opcode: building the dict here would take the seconds it costs
    bomb = b"\x80\x02}(" + b"".join(pickle.dumps(k, protocol=2)[2:-1] + b"K\x00"
                                    for k in COLLIDING[name](16000)) + b"u."
    with pytest.raises(FormatError, match="share hashes: inserting them makes more than"):
        scan(io.BytesIO(bomb), 50_000_000)
    assert charges(bomb, 10 ** 12)[1] == 16000 * 15999 * tree_size(COLLIDING[name](1)[0])


def test_keys_of_distinct_hashes_are_not_charged():
    """Random 64-bit ids (most are past 2**61 - 1, so the walk computes their hashes),
    floats, tuples of them and text: no two share a hash, nothing is charged."""
    rng = random.Random(11)
    keys = ([rng.getrandbits(64) for _ in range(20000)] + [rng.random() for _ in range(2000)]
            + [(rng.getrandbits(64), i) for i in range(2000)] + [f"w{i}" for i in range(2000)])
    for protocol in (2, 4):
        assert charges(pickle.dumps(dict.fromkeys(keys, 0), protocol=protocol))[1] == 0
    # one value as a key of many dicts is counted as if they were one dict (an
    # over-count no genuine model meets: their keys are text, or each int once)
    assert charges(pickle.dumps([{2 ** 70: 0} for _ in range(10)], protocol=4))[1] == 90


def test_numbers_made_by_calls_are_chosen():
    """``int``, ``float``, ``complex``, ``bool``, ``tuple`` and ``frozenset`` called by
    the pickle make values whose hash the file chooses and the walk does not compute:
    as keys each is compared with every earlier one. Text and bytes made by calls
    (``_codecs.encode``, as protocol 2 writes bytes) are not: their hash is secret."""
    import _compat_pickle
    names = {(m.decode(), n.decode()) for m, n in CHOSEN_GLOBALS}
    chosen_names = {n for _, n in names}
    for (module, name), target in _compat_pickle.NAME_MAPPING.items():
        if target[0] == "builtins" and target[1] in chosen_names:
            assert (module, name) in names
    for module, name in names:
        # GLOBAL lines (protocols 0-3) and STACK_GLOBAL (4, 5), through the memo
        lines = b"c" + module.encode() + b"\n" + name.encode() + b"\n"
        stacked = (b"\x8c" + bytes([len(module)]) + module.encode() + b"\x94\x8c" +
                   bytes([len(name)]) + name.encode() + b"\x94\x93\x94")
        for call in (lines, stacked):
            # 5 keys, each compared with those before, weighing 3 (the call's result,
            # its argument tuple and the int)
            data = b"\x80\x04}" + (call + b"K\x05\x85RK\x00s") * 5 + b"."
            assert charges(data)[1] == 10 * 3
            assert probe(b"\x80\x04" + call + b"K\x05\x85R.")[0] == "chosen"
    # the same names as protocol 0's quoted string lines
    assert probe(b"\x80\x04S'builtins'\nS'int'\n\x93K\x05\x85R.")[0] == "chosen"
    assert probe(b"\x80\x04S'builtins'\nS'str'\n\x93K\x05\x85R.")[0] == "opaque"


def test_globals_the_walk_cannot_name_are_taken_as_chosen():
    """From a review: STACK_GLOBAL takes its module and name from anything on the
    stack. A module name spelled in 80 escapes of a protocol 0 UNICODE line, or made
    by a call (``str(b'builtins', 'latin1')``), named ``builtins.int`` while the walk
    saw ordinary text, and 32,000 int keys of one residue took 11 s. Unless the module
    or the name is text the walk read and knows is not theirs, the global counts as one
    whose calls make chosen keys."""
    keys = lambda call: b"".join(call + b"\x8a\x09" + (k * MODULUS + 5).to_bytes(9, "little")
                                 + b"\x85RN" for k in range(1, 101))
    escaped = "".join("\\U%08x" % ord(c) for c in "builtins").encode()
    made = b"cbuiltins\nstr\nC\x08builtins\x8c\x06latin1\x86R"
    for module in (b"V" + escaped + b"\n", made):
        stacked = b"\x80\x04" + module + b"\x94\x8c\x03int\x93\x94"
        data = stacked + b"0}(" + keys(b"h\x01") + b"u."
        assert len(pickle.loads(data)) == 100
        assert charges(data)[1] == 100 * 99 // 2 * 3
    # a name the walk reads as not one of theirs keeps its calls' results opaque
    plain = b"\x80\x04" + made + b"\x8c\x03set\x93\x94" + b"0}(" + keys(b"h\x00") + b"u."
    assert charges(plain)[1] == 0


def test_empty_text_and_frozensets_have_known_hashes():
    """From a review: ``''``, ``b''`` and ``frozenset()`` hash alike in every process
    (0, 0 and a constant), so frozensets and tuples built of them can be made to share
    a hash by the thousand (a frozenset's hash XORs its items'). The walk takes their
    hashes as known: tuples of them are hashed, frozensets holding them are chosen."""
    e = [b"\x8c\x00", b"C\x00", b"(\x91"]          # '', b'', frozenset()
    for item in e:
        kind, h = probe(b"\x80\x04" + item + b".")
        assert kind == "known" and h in (0, hash(frozenset()))
    # tuples of '' and b'' (distinct, all of one hash), as dict keys
    import itertools
    combos = list(itertools.product(e[:2], repeat=7))          # 128 keys of one hash
    data = b"\x80\x04}(" + b"".join(b"(" + b"".join(c) + b"tN" for c in combos) + b"u."
    assert charges(data)[1] == 127 * 128 * 8
    assert probe(b"\x80\x04(\x8c\x00\x8c\x01a\x91.")[0] == "chosen"
    assert probe(b"\x80\x04(\x8c\x01a\x8c\x01b\x91.")[0] == "secret"
    # bytes keys as protocol 2 writes them: _codecs.encode(text, 'latin1')
    data = pickle.dumps({b"k%d" % i: i for i in range(1000)}, protocol=2)
    assert b"_codecs" in data and charges(data)[1] == 0
    assert probe(pickle.dumps(b"k", protocol=2))[0] == "opaque"


def test_a_second_review_comparisons_weigh_the_keys():
    """From a second review. Keys of one hash are compared item by item: 1,000 tuples
    each holding a tree of 1,000 fresh floats took 9.7 s while charged 1.56M, now each
    comparison weighs the key. And a key whose hash is distinct among ints (7) still
    sits among big ints of its hash: set 200,000 times after 5,000 of them it took
    8.1 s; distinct keys are counted by hash too."""
    tree = b"(" + b"(" + b"G" + struct.pack(">d", 1.5) + b"2" * 31 + b"t" + b"2" * 31 + b"t"
    pairs = xx_colliding_pairs(300, before=[((1.5,) * 32,) * 32])
    wide = b"\x80\x02}(" + b"".join(b"(" + tree + pickle.dumps(a, protocol=2)[2:-1] +
                                    pickle.dumps(b, protocol=2)[2:-1] + b"tN"
                                    for a, b in pairs) + b"u."
    assert len({hash(v) for v in pickle.loads(wide)}) == 1
    hashed, compared = charges(wide)
    assert hashed == 300 * 1060 and compared == 299 * 300 * 1060
    seven = (b"\x80\x02}(" + b"".join(pickle.dumps(k * MODULUS + 7, protocol=2)[2:-1] + b"N"
                                     for k in range(1, 101)) + b"u" + b"K\x07Ns" * 1000 + b".")
    assert charges(seven)[1] >= 1000 * 100


def test_the_objects_built_are_bounded():
    """From the second review: 48M empty lists are 47 KB of gzip and took the
    unpickler 3.4 GB (16M empty sets 3.7 GB). The walk counts a lower bound of what
    each opcode builds (CPython's sizes: a list 56 bytes, a set 216, a dict entry
    24...) against a limit; genuine gensim files take 2.4-5.0 times their pickle."""
    for op, size in ((b"]", 56), (b"\x8f", 216), (b"}", 64)):
        data = b"\x80\x04" + op * 100_000 + b"."
        with pytest.raises(FormatError, match="builds more than 1,000,000 bytes of objects"):
            scan(io.BytesIO(data), 10 ** 9, memory=1_000_000)
        scan(io.BytesIO(data), 10 ** 9, memory=100_000 * size)
        with pytest.raises(FormatError):
            scan(io.BytesIO(data), 10 ** 9, memory=100_000 * size - 1)
    # short keys of a vocabulary as dense as it gets: under 8 times (the limit is 16)
    genuine = pickle.dumps({f"w{i}": i for i in range(10000)}, protocol=4)
    scan(io.BytesIO(genuine), 10 ** 9, memory=8 * len(genuine))


def test_genuine_pickles_of_every_protocol_pass():
    values = [list(range(3000)), {"x": (1,) * 5, (1, 2): [3]}, set(range(300)),
              frozenset({(1, 2), "a"}), b"xx" * 100000, "\u00e9" * 100, 2 ** 100, -5,
              bytearray(b"abc"), 1.5, None, True, ((),) * 3, [[[]]]]
    shared = ("s", 1)
    values.append([shared] * 1000 + [{shared: shared}])       # sharing, linear
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        for v in values:
            data = pickle.dumps(v, protocol=protocol)
            scan(io.BytesIO(data), 10 ** 6)
            # a plain file: byte strings are skipped by seeking
            scan(io.BytesIO(data), 10 ** 6, size=len(data))


#: pickles holding a tuple of one shared tuple twice, ``n`` times over (2**n objects
#: when expanded), that the unpickler hashes
BOMBS = {
    # as a dict key: EMPTY_DICT, the tuple, a value, SETITEM
    "setitem": lambda n: b"\x80\x04}" + b")" + b"2\x86" * n + b"K\x01s.",
    # built through the memo instead of DUP: BINPUT, then BINGET twice
    "memo": lambda n: (b"\x80\x02}" + b")q\x000" + b"h\x00h\x00\x86q\x000" * n +
                       b"h\x00K\x01s."),
    # as a set item (protocol 4's ADDITEMS) and in a frozenset
    "additems": lambda n: b"\x80\x04\x8f(" + b")" + b"2\x86" * n + b"\x90.",
    "frozenset": lambda n: b"\x80\x04(" + b")" + b"2\x86" * n + b"\x91.",
    # the DICT opcode: mark, key, value, DICT
    "dict": lambda n: b"\x80\x02(" + b")" + b"2\x86" * n + b"K\x01d.",
    # protocol 0's text opcodes: PUT and GET by decimal index
    "text": lambda n: b"(dp0\n" + b")p1\n0" + b"g1\ng1\n\x86p1\n0" * n + b"g1\nI1\ns.",
    # in a list changed after it was memoised, then given to a call: set(list)
    "list": lambda n: (b"\x80\x02c__builtin__\nset\n]q\x00" + b")" + b"2\x86" * n +
                       b"a0h\x00\x85R."),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_hash_bombs_are_refused(name):
    """Each is a valid pickle that the unpickler really hashes: at 2**18 objects it
    loads (and the walk charges at least that), at 2**80 it would hash for ever."""
    small = BOMBS[name](18)
    pickle.loads(small)
    assert 2 ** 18 <= charged(small, 2 ** 20) < 2 ** 20
    with pytest.raises(FormatError, match="expand to more than 50,000,.* objects to hash"):
        scan(io.BytesIO(BOMBS[name](80)), 50_000_000)


def test_the_budget_counts_what_a_small_bomb_would_hash():
    """2**20 - 1 objects in a key: charged in full, within a budget a little larger,
    and refused by one a little smaller."""
    data = b"\x80\x04}" + b")" + b"2\x86" * 20 + b"K\x01s."
    assert charged(data, 2 ** 21) == 2 ** 21 - 1
    with pytest.raises(FormatError):
        scan(io.BytesIO(data), 2 ** 21 - 100)


def test_a_memo_index_far_past_the_objects_stored_is_refused():
    """``LONG_BINPUT 2**27`` after one object: the unpickler would allocate and clear a
    table of 2**28 slots (2 GB), 2**30 took 16 GB; indices a pickler writes pass."""
    far = b"\x80\x02N" + b"r" + (1 << 27).to_bytes(4, "little") + b"."
    with pytest.raises(FormatError, match="memo index 134,217,728 after storing 0"):
        scan(io.BytesIO(far), 10 ** 6)
    near = b"\x80\x02N" + b"r" + MEMO_SLACK.to_bytes(4, "little") + b"."
    scan(io.BytesIO(near), 10 ** 6)
    data = pickle.dumps([str(i) for i in range(100000)], protocol=2)   # BINPUT, LONG_BINPUT
    scan(io.BytesIO(data), 10 ** 6)


def test_damaged_or_truncated_pickles_end_the_walk_quietly():
    """The walk stops where the unpickler would raise, and leaves the error to it."""
    data = pickle.dumps({"a": [1, (2, 3)], "b": b"x" * 5000}, protocol=4)
    start = data.index(b"x" * 5000)
    for cut in range(0, len(data), 7):
        for size in (None, cut):
            if start <= cut < start + 5000:
                # a string cut short is refused by the walk itself: the unpickler would
                # allocate its whole length first
                with pytest.raises(TruncatedPickleError, match="runs past its end"):
                    scan(io.BytesIO(data[:cut]), 10 ** 6, size=size)
            else:
                assert not scan(io.BytesIO(data[:cut]), 10 ** 6, size=size)[2]
    rng = random.Random(5)
    for _ in range(2000):
        broken = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            broken[rng.randrange(len(broken))] = rng.randrange(256)
        try:
            scan(io.BytesIO(bytes(broken)), 10 ** 6)
        except FormatError:
            pass                       # a damaged length or index can look like a bomb
    # underflows, unknown opcodes, a GET of nothing, a BINBYTES8 longer than the file
    for bad in (b"\x80\x04\x86.", b"\x80\x04(\x86.", b"\xff", b"h\x05.", b"0.", b"1."):
        assert not scan(io.BytesIO(bad), 10 ** 6)[2]
        assert not scan(io.BytesIO(bad), 10 ** 6, size=len(bad))[2]
    huge = b"\x80\x04\x8e" + (1 << 62).to_bytes(8, "little") + b"."
    for size in (None, len(huge)):
        with pytest.raises(TruncatedPickleError):
            scan(io.BytesIO(huge), 10 ** 6, size=size)


def test_the_walk_says_where_it_stopped():
    """Short of STOP, the walk reports how far it read: the unpickler is given no more,
    so it raises there and runs nothing the walk did not see."""
    data = pickle.dumps({"a": [1, (2, 3)], "b": b"x" * 5000}, protocol=4)
    assert scan(io.BytesIO(data), 10 ** 6)[1:] == (len(data), True)
    for cut in (1, 10, len(data) - 1):
        _, scanned, complete = scan(io.BytesIO(data[:cut]), 10 ** 6)
        assert not complete and scanned <= cut
    bad = b"\x80\x04K\x01\xff" + data
    assert scan(io.BytesIO(bad), 10 ** 6)[1:] == (5, False)     # after the bad opcode
    # a NUL ends a PUT's number, as the unpickler's C string does
    assert scan(io.BytesIO(b"\x80\x02Np0\x00junk\nh\x00."), 10 ** 6)[2]


def test_frames_are_read_as_the_unpickler_reads_them():
    """Protocols 4 and 5 cut the opcodes into frames; large byte strings go between
    frames. An opcode across a frame's end, or a frame in a frame, is refused: the
    unpickler re-reads such bytes differently, and no pickler writes them."""
    import struct
    big = [b"x" * 300000, "y" * 70000, list(range(50000)), b"z" * 10]
    for protocol in (4, 5):
        data = pickle.dumps(big, protocol=protocol)
        assert b"\x95" in data                      # frames, and data between them
        assert charged(data) >= 0
    frame = b"\x80\x04\x95" + struct.pack("<Q", 3) + b"K\x01K"     # cuts BININT1's byte
    with pytest.raises(FormatError, match="crosses the end of its frame"):
        scan(io.BytesIO(frame + b"\x02."), 10 ** 6)
    nested = b"\x80\x04\x95" + struct.pack("<Q", 20) + b"\x95" + struct.pack("<Q", 2)
    with pytest.raises(FormatError, match="frame inside another"):
        scan(io.BytesIO(nested + b"N." + bytes(10)), 10 ** 6)


def test_objects_nothing_refers_to_are_forgotten():
    """16M empty lists made and popped: the walk's tables stay small (its memory follows
    what the unpickler holds), and what stays referenced keeps its weight."""
    data = b"\x80\x04" + b"]0" * (1 << 24) + b"}" + b")" + b"2\x86" * 20 + b"K\x01s."
    assert charged(data) == 2 ** 21 - 1
