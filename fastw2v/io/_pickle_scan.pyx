# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""A walk over a pickle's opcodes, in C, before the unpickler runs.

Some steps of CPython's C unpickler cannot be interrupted or checked from Python once it
runs, and a few bytes can make them take forever or fill the memory:

* hashing: a dict key or set item is hashed in C, and a tuple's hash is not cached, so a
  tuple built of itself twice, 80 times over (168 bytes of ``DUP`` and ``TUPLE2``),
  takes 2**80 steps to hash;
* the memo: ``LONG_BINPUT`` with index 2**30 makes the unpickler allocate and clear a
  table of 2**31 slots (16 GB) for one object.

:func:`scan` follows the unpickler's stack, marks, memo and frames without building
anything. Each object is a weight: how many objects it holds when expanded as a tree (a
tuple of a shared tuple counts it twice), saturating at 2**62. Every hash the unpickler
(or a builtin the pickle calls) may compute is charged its key's weight against a
budget, a memo index far past the objects stored so far is refused, and so is an
opcode that crosses the end of its frame
(the unpickler reads such a pickle differently from a plain reading; no pickler writes
one). Where the pickle is damaged or ends early the walk stops and says where: the
unpickler is then given only the bytes up to there, so it raises its own error at that
point and runs nothing the walk did not check. Byte strings are skipped, not read
(``seek`` on a plain file), so the walk costs a few nanoseconds per opcode: about 80 ms
for a 1M-word gensim file (35 MB) whose load takes 1.8 s. Objects that can no longer be
reached (popped, and not in the memo) are forgotten, so the walk's own memory follows
what the unpickler holds.

Keys chosen to share a hash are the other way to make the unpickler's hashing slow:
each insertion into a dict or set compares with every earlier key of its hash. A str
or bytes hash is keyed by a secret of the process, but ints hash modulo 2**61 - 1 and a
tuple's hash is a fixed function of its items' (10,000 big ints of one residue took
0.5 s, 4x per doubling; 351 KB of two-int tuples 5.7 s). So the walk also computes
CPython's own hash of every number and of every tuple of numbers it follows, and
charges each such key one comparison per earlier key of the same hash. A key whose
hash the file chooses but the walk cannot compute (a frozenset or a tuple holding
numbers and text, a number made by calling ``int``, ``float``, ``tuple``...) is
charged one comparison per earlier key of that sort: such keys are rare in a model, and
10,000 of them cost what the budget allows.
"""
import codecs
import io
import struct

from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memcmp, memcpy

from ..errors import FormatError, TruncatedPickleError

#: weights saturate here (no overflow, and any bound is far below)
cdef uint64_t WEIGHT_CAP = (<uint64_t>1) << 62
cdef Py_ssize_t CHUNK = 1 << 20

# what a value on the simulated stack is: an index into the objects' tables; the first
# RESERVED are shared and never change or go, each of weight 1
cdef enum:
    SCALAR = 0                  # text or bytes the file holds (not empty, not one of
                                # the names below), a global, a NaN: a secret hash
    CHOSEN_CALL = 1             # a global whose calls make numbers, tuples or frozensets
    STR_MODULE = 2              # a short string naming the builtins module
    STR_NAME = 3                # ... or one of those globals' names (for STACK_GLOBAL)
    R_NONE = 4
    R_TRUE = 5
    R_FALSE = 6
    R_EMPTY = 7                 # empty text or bytes: hash 0 in every process
    RESERVED = 8
    EMPTY = -1                  # a memo slot not stored
    C_MEMO_SLACK = 1 << 16
    C_MAX_DEPTH = 5000

# what the walk knows of an object's hash (see the module's docstring)
cdef enum:
    H_SECRET = 0                # text, bytes, ids: not the file's to choose; or unhashable
    H_DISTINCT = 1              # known, and unlike every other value of its sort (ints
                                # below 2**61 - 1 hash to themselves)
    H_KNOWN = 2                 # known, and chosen by the file (big ints, floats, tuples)
    H_CHOSEN = 3                # chosen by the file, unknown to the walk
    H_OPAQUE = 4                # what a call made (text, bytes, an object): a secret
                                # hash, unless it is empty text; not charged as a key,
                                # chosen inside a tuple or frozenset

#: what :func:`probe` calls each
HASH_KINDS = ("secret", "distinct", "known", "chosen", "opaque")

cdef unsigned char R_KIND[RESERVED]
cdef uint64_t R_HASH[RESERVED]
R_KIND[:] = [H_SECRET, H_SECRET, H_SECRET, H_SECRET, H_DISTINCT, H_DISTINCT, H_DISTINCT,
             H_KNOWN]
R_HASH[:] = [0, 0, 0, 0, <uint64_t><int64_t>hash(None), 1, 0, 0]
#: the one frozenset whose hash is fixed without items
cdef uint64_t EMPTY_FROZENSET_HASH = <uint64_t><int64_t>hash(frozenset())

#: CPython's ints hash modulo this prime
cdef uint64_t MODULUS = (<uint64_t>1 << 61) - 1
_MODULUS = 2 ** 61 - 1
#: ints of up to this many bytes are read and hashed; a longer one as a key is charged
#: as one whose hash the walk does not know
cdef uint64_t LONG_READ = 4096

#: the memo index may run this far past twice the objects stored so far
MEMO_SLACK = C_MEMO_SLACK
#: containers may nest this deep (CPython hashes and compares tuples recursively in C,
#: and a million levels overflowed its stack: SIGSEGV)
MAX_DEPTH = C_MAX_DEPTH


# the opcodes (pickletools.opcodes)
cdef enum:
    OP_MARK = 0x28              # (
    OP_STOP = 0x2e              # .
    OP_POP = 0x30               # 0
    OP_POP_MARK = 0x31          # 1
    OP_DUP = 0x32               # 2
    OP_FLOAT = 0x46             # F
    OP_INT = 0x49               # I
    OP_BININT = 0x4a            # J
    OP_BININT1 = 0x4b           # K
    OP_LONG = 0x4c              # L
    OP_BININT2 = 0x4d           # M
    OP_NONE = 0x4e              # N
    OP_PERSID = 0x50            # P
    OP_BINPERSID = 0x51         # Q
    OP_REDUCE = 0x52            # R
    OP_STRING = 0x53            # S
    OP_BINSTRING = 0x54         # T
    OP_SHORT_BINSTRING = 0x55   # U
    OP_UNICODE = 0x56           # V
    OP_BINUNICODE = 0x58        # X
    OP_APPEND = 0x61            # a
    OP_BUILD = 0x62             # b
    OP_GLOBAL = 0x63            # c
    OP_DICT = 0x64              # d
    OP_EMPTY_DICT = 0x7d        # }
    OP_APPENDS = 0x65           # e
    OP_GET = 0x67               # g
    OP_BINGET = 0x68            # h
    OP_INST = 0x69              # i
    OP_LONG_BINGET = 0x6a       # j
    OP_LIST = 0x6c              # l
    OP_EMPTY_LIST = 0x5d        # ]
    OP_OBJ = 0x6f               # o
    OP_PUT = 0x70               # p
    OP_BINPUT = 0x71            # q
    OP_LONG_BINPUT = 0x72       # r
    OP_SETITEM = 0x73           # s
    OP_TUPLE = 0x74             # t
    OP_EMPTY_TUPLE = 0x29       # )
    OP_SETITEMS = 0x75          # u
    OP_BINFLOAT = 0x47          # G
    OP_PROTO = 0x80
    OP_NEWOBJ = 0x81
    OP_EXT1 = 0x82
    OP_EXT2 = 0x83
    OP_EXT4 = 0x84
    OP_TUPLE1 = 0x85
    OP_TUPLE2 = 0x86
    OP_TUPLE3 = 0x87
    OP_NEWTRUE = 0x88
    OP_NEWFALSE = 0x89
    OP_LONG1 = 0x8a
    OP_LONG4 = 0x8b
    OP_SHORT_BINBYTES = 0x43    # C
    OP_BINBYTES = 0x42          # B
    OP_SHORT_BINUNICODE = 0x8c
    OP_BINUNICODE8 = 0x8d
    OP_BINBYTES8 = 0x8e
    OP_EMPTY_SET = 0x8f
    OP_ADDITEMS = 0x90
    OP_FROZENSET = 0x91
    OP_NEWOBJ_EX = 0x92
    OP_STACK_GLOBAL = 0x93
    OP_MEMOIZE = 0x94
    OP_FRAME = 0x95
    OP_BYTEARRAY8 = 0x96
    OP_NEXT_BUFFER = 0x97
    OP_READONLY_BUFFER = 0x98


# -- CPython's hashes of what the file chooses ----------------------------------------
# a tuple's (CPython 3.8 on, 64-bit: xxHash's rounds over its items' hashes)
cdef uint64_t XX1 = 11400714785074694791ULL
cdef uint64_t XX2 = 14029467366897019727ULL
cdef uint64_t XX5 = 2870177450012600261ULL


cdef inline uint64_t xx_round(uint64_t acc, uint64_t lane) noexcept nogil:
    acc += lane * XX2
    acc = (acc << 31) | (acc >> 33)
    return acc * XX1


cdef inline uint64_t xx_end(uint64_t acc, uint64_t n) noexcept nogil:
    acc += n ^ (XX5 ^ 3527539ULL)
    return 1546275796ULL if acc == <uint64_t>-1 else acc


def _tuple_hash(hashes) -> int:
    """What the walk takes for the hash of a tuple whose items hash to ``hashes``."""
    cdef uint64_t acc = XX5
    for h in hashes:
        acc = xx_round(acc, <uint64_t><int64_t>h)
    return <int64_t>xx_end(acc, len(hashes))


def _tuples_hashed() -> bool:
    """Whether this Python hashes tuples as the walk does (CPython 3.8 and later, 64
    bits); where it does not, every tuple holding a number counts as a key whose hash
    the walk does not know."""
    samples = [(), (1,), (1, 2), (-1, 2 ** 70, 1.5, None), ((3, 4), (True, -7)),
               tuple(range(40))]
    try:
        return all(_tuple_hash([hash(x) for x in t]) == hash(t) for t in samples)
    except OverflowError:
        return False


cdef bint TUPLES_HASHED = _tuples_hashed()
_DOUBLE = struct.Struct(">d")

# the globals whose calls make numbers, tuples or frozensets, by the module and name
# the unpickler's find_class takes (before Python 2's names are mapped)
_CHOSEN_MODULES = ("builtins", "__builtin__")
_CHOSEN_NAMES = ("int", "long", "float", "complex", "bool", "tuple", "frozenset")
CHOSEN_GLOBALS = frozenset((m.encode(), n.encode()) for m in _CHOSEN_MODULES
                           for n in _CHOSEN_NAMES)
_NAME_TAGS = {**{m: STR_MODULE for m in _CHOSEN_MODULES},
              **{n: STR_NAME for n in _CHOSEN_NAMES}}


cdef int name_tag(const unsigned char *s, Py_ssize_t n) noexcept:
    """STR_MODULE or STR_NAME for a string (UTF-8 or Latin-1: the same bytes for these
    ASCII names) that STACK_GLOBAL could take as the module or name of a global in
    :data:`CHOSEN_GLOBALS`; R_EMPTY for an empty one; SCALAR for any other (without
    making an object of it)."""
    cdef const char *c = <const char *>s
    if n == 0:
        return R_EMPTY
    if n == 8 and memcmp(c, b"builtins", 8) == 0 or \
            n == 11 and memcmp(c, b"__builtin__", 11) == 0:
        return STR_MODULE
    if (n == 3 and memcmp(c, b"int", 3) == 0 or
            n == 4 and (memcmp(c, b"long", 4) == 0 or memcmp(c, b"bool", 4) == 0) or
            n == 5 and (memcmp(c, b"float", 5) == 0 or memcmp(c, b"tuple", 5) == 0) or
            n == 7 and memcmp(c, b"complex", 7) == 0 or
            n == 9 and memcmp(c, b"frozenset", 9) == 0):
        return STR_NAME
    return SCALAR


cdef int text_name_tag(bytes text, bint unicode) except -1:
    """:func:`name_tag` for protocol 0's ``STRING`` (a quoted literal) and ``UNICODE``
    (raw-unicode-escape) lines, decoded as the unpickler decodes them. A line longer
    than 11 characters' escapes (4 bytes each in a literal, 10 in raw-unicode-escape)
    cannot be a name, nor empty."""
    if len(text) > (110 if unicode else 46):
        return SCALAR
    try:
        if unicode:
            value = text.decode("raw-unicode-escape")
        elif len(text) >= 2 and text[:1] == text[len(text) - 1:] and text[:1] in (b"'", b'"'):
            value = codecs.escape_decode(text[1:len(text) - 1])[0].decode("latin1")
        else:
            return SCALAR
    except (UnicodeDecodeError, ValueError):
        return SCALAR
    return R_EMPTY if not value else _NAME_TAGS.get(value, SCALAR)


#: a number's hash lies within (-HASH_OFFSET, HASH_OFFSET) (|hash| < 2**61 - 1)
cdef int64_t HASH_OFFSET = (<int64_t>1) << 61


cdef inline int64_t immediate(int64_t h, bint known) noexcept:
    """A number on the stack without an entry in the objects' tables: every value below
    -1 stands for a number of weight 1, its hash ``h`` and whether it is ``known``
    (H_KNOWN, else H_DISTINCT) in its bits. An int file of a million keys would
    otherwise make and forget an entry for each."""
    return -2 - (((h + HASH_OFFSET) << 1) | known)


cdef void radix_sort(uint64_t *a, uint64_t *tmp, uint64_t n) noexcept nogil:
    """Sort the ``n`` pairs ``a[2 i], a[2 i + 1]`` by their first (``tmp``: room for n
    more pairs), a byte at a time from the lowest; a byte that all share takes no
    pass."""
    cdef uint64_t count[256]
    cdef uint64_t i, at, c
    cdef uint64_t *src = a
    cdef uint64_t *dst = tmp
    cdef uint64_t *swap
    cdef int shift, b
    for shift in range(0, 64, 8):
        for b in range(256):
            count[b] = 0
        for i in range(n):
            count[(src[2 * i] >> shift) & 255] += 1
        if count[(src[0] >> shift) & 255] == n:
            continue
        at = 0
        for b in range(256):
            c = count[b]
            count[b] = at
            at += c
        for i in range(n):
            b = (src[2 * i] >> shift) & 255
            dst[2 * count[b]] = src[2 * i]
            dst[2 * count[b] + 1] = src[2 * i + 1]
            count[b] += 1
        swap = src
        src = dst
        dst = swap
    if src != a:
        memcpy(a, src, 2 * n * sizeof(uint64_t))


cdef void *resized(void *p, size_t size) except NULL:
    """``realloc`` (``malloc`` for ``p`` NULL), raising MemoryError where it fails (``p``
    is then left as it was)."""
    cdef void *q = realloc(p, size)
    if q == NULL:
        raise MemoryError()
    return q


cdef inline bint could_be(int64_t obj, int64_t tag) noexcept:
    """Whether the stack's item ``obj`` may be the string ``tag`` stands for: it is, or
    it is something a call made (the walk does not know what)."""
    return obj == tag or obj >= RESERVED


cdef inline uint64_t sat_add(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t r = a + b
    if r < a or r > WEIGHT_CAP:
        return WEIGHT_CAP
    return r


cdef inline uint64_t sat_mul(uint64_t a, uint64_t b) noexcept nogil:
    if a and b > WEIGHT_CAP // a:
        return WEIGHT_CAP
    return a * b


cdef class _Walk:
    # the input: ``buf`` holds the bytes from absolute offset ``base``; ``pos`` and
    # ``end`` index it
    cdef object stream
    cdef bytes buf
    cdef const unsigned char *p
    cdef Py_ssize_t pos, end
    cdef int64_t base
    cdef bint seekable
    cdef int64_t size          # a plain file's size (for seeks), or -1
    cdef int64_t frame_end     # where the current frame ends, or -1 outside frames
    # per object: weight, nesting depth, and references from the stack and memo
    cdef uint64_t *weight
    cdef int64_t *depth
    cdef int64_t *refs
    cdef uint64_t *hval         # CPython's hash, where the walk knows it
    cdef unsigned char *hkind
    cdef int64_t n_obj, cap_obj
    cdef int64_t *stack
    cdef int64_t n_stack, cap_stack
    cdef int64_t *marks
    cdef int64_t n_marks, cap_marks
    cdef int64_t *memo
    cdef int64_t cap_memo, memo_filled
    # the hashing charged so far, and its bound
    cdef uint64_t spent, budget, ops
    cdef bint complete
    # keys whose hash the file chooses: how many of each known hash were inserted so
    # far, how many in all, and how many of them of a hash the walk does not know
    cdef uint64_t *same         # the known hashes of keys, in bulk (count_same)
    cdef uint64_t n_same, cap_same, next_count, same_charged
    cdef uint64_t risky, chosen, compared
    # a lower bound of the memory the unpickler's objects take, in bytes, and its limit
    cdef uint64_t built, memory
    # the top of the stack at STOP (for :func:`probe`)
    cdef int top_kind
    cdef uint64_t top_hash

    def __cinit__(self):
        self.weight = NULL
        self.depth = NULL
        self.refs = NULL
        self.hval = NULL
        self.hkind = NULL
        self.same = NULL
        self.stack = NULL
        self.marks = NULL
        self.memo = NULL

    def __dealloc__(self):
        free(self.weight)
        free(self.depth)
        free(self.refs)
        free(self.hval)
        free(self.hkind)
        free(self.same)
        free(self.stack)
        free(self.marks)
        free(self.memo)

    # -- input -----------------------------------------------------------------------
    cdef inline int64_t at(self) noexcept:
        """The absolute offset of the next byte."""
        return self.base + self.pos

    cdef bint fill(self, Py_ssize_t k) except -1:
        """At least ``k`` bytes from ``pos`` in the buffer; False at the end of the input."""
        cdef bytes more
        cdef Py_ssize_t have
        while self.end - self.pos < k:
            have = self.end - self.pos
            more = self.stream.read(max(CHUNK, k - have, have))      # geometric growth
            if not more:
                return False
            self.base += self.pos
            self.buf = self.buf[self.pos:self.end] + more
            self.p = <const unsigned char *>self.buf
            self.pos, self.end = 0, len(self.buf)
        return True

    cdef bint skip(self, uint64_t n) except -1:
        """Pass ``n`` bytes; False if the input ends first."""
        cdef Py_ssize_t have = self.end - self.pos
        cdef bytes chunk
        if n <= <uint64_t>have:
            self.pos += <Py_ssize_t>n
            return True
        n -= <uint64_t>have
        self.base += self.end
        self.buf = b""
        self.p = <const unsigned char *>self.buf
        self.pos = self.end = 0
        if self.seekable:
            if n > <uint64_t>(self.size - self.base):
                return False
            self.stream.seek(n, 1)
            self.base += <int64_t>n
            return True
        while n:
            chunk = self.stream.read(min(n, <uint64_t>CHUNK))
            if not chunk:
                return False
            n -= len(chunk)
            self.base += len(chunk)
        return True

    cdef uint64_t uint(self, int k) noexcept:
        """The little-endian unsigned integer of the next ``k`` bytes (filled already)."""
        cdef uint64_t v = 0
        cdef int i
        for i in range(k - 1, -1, -1):
            v = (v << 8) | self.p[self.pos + i]
        self.pos += k
        return v

    cdef object line(self):
        """The next line without its end, as bytes; None if the input ends first."""
        cdef const void *nl
        cdef Py_ssize_t at, searched = 0
        cdef bytes out
        while True:
            if not self.fill(searched + 1):
                return None
            nl = memchr(self.p + self.pos + searched, b"\n", self.end - self.pos - searched)
            if nl != NULL:
                at = <const unsigned char *>nl - self.p
                out = self.buf[self.pos:at]
                self.pos = at + 1
                return out
            searched = self.end - self.pos

    cdef object number(self):
        """A text line's integer as the unpickler reads it (C's string ends at a NUL),
        or None (the unpickler refuses it, or the input ends)."""
        cdef object text = self.line()
        if text is None:
            return None
        try:
            return int(text.split(b"\0", 1)[0])
        except ValueError:
            return None

    # -- objects and the stack ---------------------------------------------------------
    cdef int grow_objects(self) except -1:
        # where one fails, those grown before it are only longer than cap_obj says
        cdef int64_t cap = max(1024, 2 * self.cap_obj)
        self.weight = <uint64_t *>resized(self.weight, cap * sizeof(uint64_t))
        self.refs = <int64_t *>resized(self.refs, cap * sizeof(int64_t))
        self.depth = <int64_t *>resized(self.depth, cap * sizeof(int64_t))
        self.hval = <uint64_t *>resized(self.hval, cap * sizeof(uint64_t))
        self.hkind = <unsigned char *>resized(self.hkind, cap * sizeof(unsigned char))
        self.cap_obj = cap
        return 0

    cdef int64_t new_object(self, uint64_t w, int64_t depth=0, int kind=H_SECRET,
                            uint64_t h=0) except -1:
        if depth > C_MAX_DEPTH:
            raise FormatError(
                f"the pickle nests containers too deeply (more than {C_MAX_DEPTH:,} "
                "levels: hashing or freeing them would overflow the C stack)")
        if self.n_obj == self.cap_obj:
            self.grow_objects()
        self.weight[self.n_obj] = w
        self.depth[self.n_obj] = depth
        self.refs[self.n_obj] = 0
        self.hkind[self.n_obj] = kind
        self.hval[self.n_obj] = h
        self.n_obj += 1
        return self.n_obj - 1

    cdef inline void hold(self, int64_t obj) noexcept:
        if obj >= RESERVED:
            self.refs[obj] += 1

    cdef inline void release(self, int64_t obj) noexcept:
        """One reference fewer; objects at the end of the table that nothing refers to
        any more are forgotten (their weights were copied into whatever held them)."""
        if obj >= RESERVED:
            self.refs[obj] -= 1
            while self.n_obj > RESERVED and self.refs[self.n_obj - 1] == 0:
                self.n_obj -= 1

    cdef int push(self, int64_t obj) except -1:
        if self.n_stack == self.cap_stack:
            self.stack = <int64_t *>resized(
                self.stack, max(1024, 2 * self.cap_stack) * sizeof(int64_t))
            self.cap_stack = max(1024, 2 * self.cap_stack)
        self.stack[self.n_stack] = obj
        self.n_stack += 1
        self.hold(obj)
        return 0

    cdef void truncate(self, int64_t m) noexcept:
        """Drop the stack from ``m`` on (top first)."""
        while self.n_stack > m:
            self.n_stack -= 1
            self.release(self.stack[self.n_stack])

    cdef int push_mark(self) except -1:
        if self.n_marks == self.cap_marks:
            self.marks = <int64_t *>resized(
                self.marks, max(64, 2 * self.cap_marks) * sizeof(int64_t))
            self.cap_marks = max(64, 2 * self.cap_marks)
        self.marks[self.n_marks] = self.n_stack
        self.n_marks += 1
        return 0

    cdef int64_t pop_mark(self) noexcept:
        """The stack index of the last mark, which is removed; -1 if there is none."""
        if self.n_marks == 0:
            return -1
        self.n_marks -= 1
        return self.marks[self.n_marks]

    cdef inline uint64_t w(self, int64_t obj) noexcept:
        return 1 if obj < RESERVED else self.weight[obj]

    cdef inline int64_t d(self, int64_t obj) noexcept:
        return 0 if obj < RESERVED else self.depth[obj]

    cdef inline int hk(self, int64_t obj) noexcept:
        if obj < 0:
            return H_KNOWN if (-2 - obj) & 1 else H_DISTINCT
        return R_KIND[obj] if obj < RESERVED else self.hkind[obj]

    cdef inline uint64_t hv(self, int64_t obj) noexcept:
        if obj < 0:
            return <uint64_t>(((-2 - obj) >> 1) - HASH_OFFSET)
        return R_HASH[obj] if obj < RESERVED else self.hval[obj]

    cdef int push_hashed(self, int64_t h, bint known, uint64_t weight=1) except -1:
        """A number whose CPython hash is ``h``; ``known``: other values of its sort may
        share it. One of weight 1 needs no entry in the tables: it goes on the stack as
        an immediate (see :func:`immediate`)."""
        if weight == 1 and -HASH_OFFSET < h < HASH_OFFSET:
            return self.push(immediate(h, known))
        return self.push(self.new_object(weight, 0, H_KNOWN if known else H_DISTINCT,
                                         <uint64_t>h))

    cdef int push_int(self, object v, uint64_t weight=1) except -1:
        """An int the file holds, with CPython's hash of it."""
        return self.push_hashed(hash(v), not (-_MODULUS < v < _MODULUS and v != -1), weight)

    cdef int push_le_int(self, const unsigned char *s, int n) except -1:
        """``push_int`` without Python, for the little-endian two's-complement int of
        ``n`` <= 16 bytes at ``s`` (LONG1, BININT): CPython hashes an int as its
        magnitude modulo 2**61 - 1, the sign put back, -1 made -2."""
        cdef uint64_t lo = 0, hi = 0, h
        cdef int i
        cdef bint negative = n > 0 and s[n - 1] & 0x80
        for i in range(min(n, 8)):
            lo |= (<uint64_t>s[i]) << (8 * i)
        for i in range(8, n):
            hi |= (<uint64_t>s[i]) << (8 * (i - 8))
        if negative:                    # sign-extended to 128 bits, then negated
            if n < 8:
                lo |= ~((<uint64_t>1 << (8 * n)) - 1)
            if n <= 8:
                hi = ~(<uint64_t>0)
            elif n < 16:
                hi |= ~((<uint64_t>1 << (8 * (n - 8))) - 1)
            lo, hi = ~lo + 1, ~hi
            if lo == 0:
                hi += 1
        if hi == 0 and lo < MODULUS:
            h = lo
        else:                           # 2**64 is 8 modulo 2**61 - 1
            h = ((hi % MODULUS) * 8 % MODULUS + lo % MODULUS) % MODULUS
        if negative:
            return self.push_hashed(-2 if h == 1 else -<int64_t>h, h == 1 or h != lo or hi)
        return self.push_hashed(<int64_t>h, h != lo or hi != 0)

    cdef int push_number(self, object text, bint is_int) except -1:
        """A number written as text (protocol 0), hashed as CPython reads it; where it
        cannot be sure how, one whose hash the file chose."""
        cdef uint64_t weight = 1 + len(text) // 19 if is_int and len(text) > 19 else 1
        cdef object v
        text = text.split(b"\0", 1)[0]
        try:
            if is_int:
                if text in (b"00", b"01"):          # protocol 0's False and True
                    self.push(R_TRUE if text == b"01" else R_FALSE)
                    return 0
                v = int(text[:len(text) - 1] if text.endswith(b"L") else text, 0)
                return self.push_int(v, weight)
            v = float(text)
        except (ValueError, OverflowError):
            self.push(self.new_object(weight, 0, H_CHOSEN))
            return 0
        return self.push_float(v)

    cdef int push_float(self, double v) except -1:
        if v != v:          # a NaN hashes by its identity: each is its own key
            return self.push(SCALAR)
        return self.push_hashed(hash(v), True)

    cdef int64_t deepest(self, int64_t lo, int64_t hi) noexcept:
        cdef int64_t i, best = 0
        for i in range(lo, hi):
            best = max(best, self.d(self.stack[i]))
        return best

    cdef uint64_t total(self, int64_t lo, int64_t hi) noexcept:
        cdef uint64_t t = 0
        cdef int64_t i
        for i in range(lo, hi):
            t = sat_add(t, self.w(self.stack[i]))
        return t

    cdef bint under_fence(self, int64_t k) noexcept:
        """Whether popping ``k`` items would reach below the last mark (or the bottom):
        the unpickler's "stack underflow"."""
        cdef int64_t fence = self.marks[self.n_marks - 1] if self.n_marks else 0
        return self.n_stack - k < fence

    # -- charges -----------------------------------------------------------------------
    cdef int builds(self, uint64_t n) except -1:
        """Count ``n`` bytes of objects the unpickler makes (CPython's sizes, rounded
        down: an empty list 56, a set 216, a dict entry 24...) against the memory
        limit. Objects freed again (popped, never stored) are counted too: no pickler
        makes many of those."""
        self.built = sat_add(self.built, n)
        if self.built > self.memory:
            raise FormatError(
                f"the pickle builds more than {self.memory:,} bytes of objects (empty "
                "containers by the million, a few bytes each in the file: a crafted "
                "file?)")
        return 0

    cdef int charge(self, uint64_t weight) except -1:
        """Count ``weight`` objects hashed, compared or copied against the budget."""
        self.spent = sat_add(self.spent, weight)
        if self.spent > sat_add(self.budget, self.ops):
            raise FormatError(
                f"the pickle's dict keys, set items and call arguments expand to more than "
                f"{self.budget + self.ops:,} objects to hash or copy (a tuple or list that "
                "holds one shared object many times over: a crafted file?)")
        return 0

    cdef int charge_all(self, int64_t lo, int64_t hi, int64_t step) except -1:
        """Charge the stack's items ``lo, lo + step, ...`` below ``hi`` as keys or set
        items: each is hashed (its weight), and compared with the earlier keys of its
        hash (:meth:`collisions`)."""
        cdef int64_t i
        for i in range(lo, hi, step):
            self.charge(self.w(self.stack[i]))
            self.collisions(self.stack[i])
        return 0

    cdef int collisions(self, int64_t key) except -1:
        """Charge inserting ``key`` into a dict or set: one comparison with each earlier
        key of the same hash, counted over the whole pickle (more than any one dict
        does), for the keys whose hash the file chooses, each comparison weighing the
        key. A key whose hash the walk does not know could share one with any of them."""
        cdef int kind = self.hk(key)
        cdef uint64_t earlier, weight = self.w(key)
        if kind == H_KNOWN or kind == H_DISTINCT:
            # a distinct key can still sit among known ones of its hash (7 after
            # big ints equal to 7 modulo 2**61 - 1) and be set again and again
            earlier = self.chosen
            self.note_known(self.hv(key), weight)
        elif kind == H_CHOSEN:
            earlier = self.risky
            self.chosen += 1
        else:
            return 0
        # each comparison may read the whole key (tuples compare item by item)
        earlier = sat_mul(earlier, weight)
        self.spent = sat_add(self.spent, earlier)
        self.compared = sat_add(self.compared, earlier)
        self.risky += 1
        return self.over_budget()

    cdef int note_known(self, uint64_t h, uint64_t weight) except -1:
        """Note a key of the known hash ``h`` and ``weight``; the hashes are counted in
        bulk (:meth:`count_same`) as their number doubles, and when the walk ends."""
        if self.n_same == self.cap_same:
            self.same = <uint64_t *>resized(
                self.same, 2 * max(<uint64_t>4096, 2 * self.cap_same) * sizeof(uint64_t))
            self.cap_same = max(<uint64_t>4096, 2 * self.cap_same)
        self.same[2 * self.n_same] = h
        self.same[2 * self.n_same + 1] = weight
        self.n_same += 1
        if self.n_same >= self.next_count:
            self.count_same()
            self.next_count *= 2
        return 0

    cdef int count_same(self) except -1:
        """Charge the keys noted so far a comparison per earlier key of the same hash,
        each weighing the key (a hash held by c keys of weights w: at most (c - 1) times
        their sum), less what the last count charged. The hashes are sorted and runs
        counted: a table of them would take a cache miss per key (110 ms for a million
        random 64-bit ids), the sort a few passes over an array."""
        cdef uint64_t *tmp
        cdef uint64_t i, run = 1, total = 0, weights
        if self.n_same < 2:
            return 0
        tmp = <uint64_t *>resized(NULL, 2 * self.n_same * sizeof(uint64_t))
        radix_sort(self.same, tmp, self.n_same)
        free(tmp)
        weights = self.same[1]
        for i in range(1, self.n_same + 1):
            if i < self.n_same and self.same[2 * i] == self.same[2 * i - 2]:
                run += 1
                weights = sat_add(weights, self.same[2 * i + 1])
            else:
                total = sat_add(total, sat_mul(run - 1, weights))
                run = 1
                if i < self.n_same:
                    weights = self.same[2 * i + 1]
        self.spent = sat_add(self.spent, total - self.same_charged)
        self.compared = sat_add(self.compared, total - self.same_charged)
        self.same_charged = total
        return self.over_budget()

    cdef int over_budget(self) except -1:
        if self.spent > sat_add(self.budget, self.ops):
            raise FormatError(
                f"the pickle's dict keys or set items share hashes: inserting them makes "
                f"more than {self.budget + self.ops:,} comparisons and hashes (keys chosen "
                "to collide: a crafted file?)")
        return 0

    cdef int memo_put(self, uint64_t idx, int64_t obj) except -1:
        cdef int64_t *grown
        cdef int64_t i, cap
        if idx > <uint64_t>(2 * self.memo_filled + C_MEMO_SLACK):
            raise FormatError(
                f"the pickle stores an object at memo index {idx:,} after storing "
                f"{self.memo_filled:,} (a pickler numbers them in order; this one would "
                "make the unpickler allocate a table of that size: a crafted file?)")
        if <int64_t>idx >= self.cap_memo:
            cap = max(1024, 2 * <int64_t>idx + 1)
            grown = <int64_t *>resized(self.memo, cap * sizeof(int64_t))
            for i in range(self.cap_memo, cap):
                grown[i] = EMPTY
            self.memo, self.cap_memo = grown, cap
        if self.memo[idx] == EMPTY:
            self.memo_filled += 1
        else:
            self.release(self.memo[idx])
        self.memo[idx] = obj
        self.hold(obj)
        return 0

    # -- what the opcodes build ----------------------------------------------------------
    cdef int build(self, int64_t m, bint hashed, int kind=H_SECRET, uint64_t h=0) except -1:
        """Replace the stack from ``m`` on by one new object holding them all (a tuple,
        a frozenset, a list, a call's result) whose hash is ``kind``, ``h``;
        ``hashed``: their weights are charged."""
        cdef uint64_t t = self.total(m, self.n_stack)
        cdef int64_t depth = 1 + self.deepest(m, self.n_stack)
        if hashed:
            self.charge(t)
        self.truncate(m)
        # what a call made holds its arguments, but hashes by its identity or as text
        # and bytes (cached): as a key or an item it weighs one
        self.push(self.new_object(1 if kind == H_OPAQUE else sat_add(1, t), depth, kind, h))
        return 0

    cdef int build_tuple(self, int64_t m) except -1:
        """A tuple of the stack from ``m`` on. Its hash is CPython's of its items'
        hashes where the walk knows them all; text beside a number makes it one the
        walk does not know (the text's hash is secret, the rest chosen), and so does
        what a call made (it may be empty text, hash 0)."""
        cdef int64_t i, n = self.n_stack - m
        cdef int kind, k
        cdef uint64_t h = 0
        cdef bint secret = False, known = False, chosen = False
        for i in range(m, self.n_stack):
            k = self.hk(self.stack[i])
            secret |= k == H_SECRET
            known |= k == H_DISTINCT or k == H_KNOWN
            chosen |= k == H_CHOSEN or k == H_OPAQUE
        if n and not known and not chosen:
            kind = H_SECRET
        elif secret or chosen or not TUPLES_HASHED:
            kind = H_CHOSEN
        else:
            kind = H_KNOWN
            h = XX5
            for i in range(m, self.n_stack):
                h = xx_round(h, self.hv(self.stack[i]))
            h = xx_end(h, <uint64_t>n)
        return self.build(m, False, kind, h)

    cdef int set_kind(self, int64_t m) noexcept:
        """A frozenset's hash: secret if its items' are, else chosen (the walk does not
        compute frozenset hashes; the empty one's is fixed)."""
        cdef int64_t i
        if m == self.n_stack:
            return H_KNOWN
        for i in range(m, self.n_stack):
            if self.hk(self.stack[i]) != H_SECRET:
                return H_CHOSEN
        return H_SECRET

    cdef int call_kind(self, int64_t at) noexcept:
        """The hash of what calling the stack's item ``at`` makes."""
        return H_CHOSEN if self.stack[at] == CHOSEN_CALL else H_OPAQUE

    cdef int swap_under(self) except -1:
        """A call's result (the top, built from its arguments) replaces the callable
        under it."""
        cdef int64_t result = self.stack[self.n_stack - 1]
        self.hold(result)
        self.truncate(self.n_stack - 2)
        self.push(result)
        self.release(result)
        return 0

    cdef int add_to(self, int64_t obj, int64_t m) except -1:
        """Add the stack from ``m`` on to the container ``obj`` and drop it."""
        cdef uint64_t t = self.total(m, self.n_stack)
        cdef int64_t depth = 1 + self.deepest(m, self.n_stack)
        if obj >= RESERVED:
            self.weight[obj] = sat_add(self.weight[obj], t)
            if depth > self.depth[obj]:
                if depth > C_MAX_DEPTH:
                    self.new_object(1, depth)           # raises
                self.depth[obj] = depth
        self.truncate(m)
        return 0

    # -- the walk --------------------------------------------------------------------
    cdef int run(self) except -1:
        """Follow the opcodes up to STOP (``complete``), or until the pickle is damaged
        or ends; the input is then left where the walk stopped."""
        cdef unsigned char op
        cdef uint64_t n
        cdef int64_t m, start
        cdef int k
        cdef bint chosen
        cdef object text, module, name
        while True:
            if not self.fill(1):
                return 0
            start = self.at()
            if self.frame_end >= 0 and start >= self.frame_end:
                self.frame_end = -1
            op = self.p[self.pos]
            self.pos += 1
            self.ops += 1
            # -- data, pushed as scalars; byte strings skipped -------------------------
            if op in (OP_BININT1, OP_BININT2, OP_BININT, OP_BINFLOAT, OP_PROTO,
                      OP_EXT1, OP_EXT2, OP_EXT4):
                k = (1 if op in (OP_BININT1, OP_PROTO, OP_EXT1) else
                     2 if op in (OP_BININT2, OP_EXT2) else
                     4 if op in (OP_BININT, OP_EXT4) else 8)
                if not self.fill(k):
                    return 0
                if op in (OP_BININT, OP_BININT2, OP_BINFLOAT):
                    self.builds(24)             # BININT1's values are shared objects
                if op == OP_BININT:
                    self.push_le_int(self.p + self.pos, 4)
                    self.pos += 4
                elif op in (OP_BININT1, OP_BININT2):    # unsigned
                    self.push_hashed(<int64_t>self.uint(k), False)
                elif op == OP_BINFLOAT:
                    self.push_float(_DOUBLE.unpack_from(self.buf, self.pos)[0])
                    self.pos += 8
                else:
                    self.pos += k
                    if op != OP_PROTO:      # a global from copyreg's extension codes
                        self.push(CHOSEN_CALL)
            elif op == OP_FRAME:
                if not self.fill(8):
                    return 0
                n = self.uint(8)
                if self.frame_end >= 0:
                    raise FormatError("the pickle starts a frame inside another (no "
                                      "pickler writes that: a crafted file?)")
                if n > <uint64_t>WEIGHT_CAP:
                    return 0
                self.frame_end = self.at() + <int64_t>n
            elif op in (OP_SHORT_BINBYTES, OP_LONG1, OP_SHORT_BINSTRING,
                        OP_SHORT_BINUNICODE, OP_LONG4, OP_BINSTRING, OP_BINBYTES,
                        OP_BINUNICODE, OP_BINUNICODE8, OP_BINBYTES8, OP_BYTEARRAY8):
                k = (4 if op in (OP_LONG4, OP_BINSTRING, OP_BINBYTES, OP_BINUNICODE) else
                     8 if op in (OP_BINUNICODE8, OP_BINBYTES8, OP_BYTEARRAY8) else 1)
                if not self.fill(k):
                    return 0
                n = self.uint(k)
                if op in (OP_LONG4, OP_BINSTRING) and n >= (<uint64_t>1 << 31):
                    return 0                # a negative length: the unpickler refuses it
                if op in (OP_LONG1, OP_LONG4) and n <= <uint64_t>LONG_READ:
                    if not self.fill(n):
                        raise TruncatedPickleError(
                            f"the pickle ends early: an int of {n:,} bytes at byte "
                            f"{start:,} runs past its end (truncated file?)")
                    if n <= 16:
                        self.push_le_int(self.p + self.pos, <int>n)
                    else:
                        # hashing an int reads all its digits, every time (not cached)
                        self.push_int(int.from_bytes(self.buf[self.pos:self.pos + n],
                                                     "little", signed=True), 1 + n // 8)
                    self.pos += n
                elif op in (OP_SHORT_BINUNICODE, OP_BINUNICODE, OP_BINUNICODE8,
                            OP_SHORT_BINSTRING, OP_BINSTRING) and n <= 11 and self.fill(n):
                    # STACK_GLOBAL takes its module and name from strings
                    self.push(name_tag(self.p + self.pos, n))
                    self.pos += n
                elif n == 0 and op != OP_BYTEARRAY8:
                    self.push(R_EMPTY)
                elif not self.skip(n):
                    # the unpickler would allocate all n bytes before it reads them
                    raise TruncatedPickleError(
                        f"the pickle ends early: a string of {n:,} bytes at byte {start:,} "
                        "runs past its end (truncated file?)")
                elif op in (OP_LONG1, OP_LONG4):
                    self.push(self.new_object(1 + n // 8, 0, H_CHOSEN))
                else:
                    self.push(SCALAR)
                self.builds(sat_add(24, n))     # read: the file holds the n bytes
            elif op == OP_NONE:
                self.push(R_NONE)
            elif op in (OP_NEWTRUE, OP_NEWFALSE):
                self.push(R_TRUE if op == OP_NEWTRUE else R_FALSE)
            elif op == OP_NEXT_BUFFER:
                self.push(SCALAR)
            elif op == OP_READONLY_BUFFER:
                pass
            elif op in (OP_INT, OP_LONG, OP_FLOAT, OP_STRING, OP_UNICODE, OP_PERSID):
                text = self.line()
                if text is None:
                    return 0
                self.builds(24)
                if op in (OP_INT, OP_LONG, OP_FLOAT):
                    self.push_number(text, op != OP_FLOAT)
                elif op in (OP_STRING, OP_UNICODE):
                    self.push(text_name_tag(text, op == OP_UNICODE))
                else:
                    self.push(SCALAR)
            elif op in (OP_GLOBAL, OP_INST):    # module and name lines
                module = self.line()
                name = self.line()
                if module is None or name is None:
                    return 0
                if op == OP_GLOBAL:
                    self.push(CHOSEN_CALL if (module, name) in CHOSEN_GLOBALS else SCALAR)
                else:                           # INST: a call of the global on mark, args...
                    m = self.pop_mark()
                    if m < 0:
                        return 0
                    self.builds(56)
                    self.build(m, True, H_CHOSEN if (module, name) in CHOSEN_GLOBALS
                               else H_OPAQUE)
            elif op == OP_MARK:
                self.push_mark()
            elif op == OP_STOP:
                self.complete = True
                if self.n_stack:
                    self.top_kind = self.hk(self.stack[self.n_stack - 1])
                    self.top_hash = self.hv(self.stack[self.n_stack - 1])
                return 0
            # -- the memo ----------------------------------------------------------------
            elif op in (OP_PUT, OP_BINPUT, OP_LONG_BINPUT, OP_MEMOIZE):
                if op == OP_PUT:
                    text = self.number()
                    if text is None or text < 0:
                        return 0
                    if text > WEIGHT_CAP:
                        text = WEIGHT_CAP
                    n = text
                elif op == OP_MEMOIZE:
                    n = <uint64_t>self.memo_filled
                else:
                    k = 1 if op == OP_BINPUT else 4
                    if not self.fill(k):
                        return 0
                    n = self.uint(k)
                if self.under_fence(1):
                    return 0
                self.memo_put(n, self.stack[self.n_stack - 1])
            elif op in (OP_GET, OP_BINGET, OP_LONG_BINGET):
                if op == OP_GET:
                    text = self.number()
                    if text is None or text < 0 or text >= self.cap_memo:
                        return 0
                    n = text
                else:
                    k = 1 if op == OP_BINGET else 4
                    if not self.fill(k):
                        return 0
                    n = self.uint(k)
                if n >= <uint64_t>self.cap_memo or self.memo[n] == EMPTY:
                    return 0                # the unpickler raises: no such memo entry
                self.push(self.memo[n])
            # -- containers ----------------------------------------------------------------
            elif op == OP_EMPTY_TUPLE:
                self.push(self.new_object(1, 0, H_KNOWN if TUPLES_HASHED else H_CHOSEN,
                                          xx_end(XX5, 0)))
            elif op in (OP_EMPTY_LIST, OP_EMPTY_DICT, OP_EMPTY_SET):
                self.builds(56 if op == OP_EMPTY_LIST else 64 if op == OP_EMPTY_DICT else 216)
                self.push(self.new_object(1))
            elif op in (OP_TUPLE1, OP_TUPLE2, OP_TUPLE3):
                k = op - OP_TUPLE1 + 1
                if self.under_fence(k):
                    return 0
                self.builds(40 + 8 * k)
                self.build_tuple(self.n_stack - k)
            elif op == OP_TUPLE:
                m = self.pop_mark()
                if m < 0:
                    return 0
                self.builds(40 + 8 * (self.n_stack - m))
                self.build_tuple(m)
            elif op in (OP_LIST, OP_FROZENSET, OP_DICT):
                m = self.pop_mark()
                if m < 0:
                    return 0
                self.builds((56 if op == OP_LIST else 216 if op == OP_FROZENSET else 64) +
                            (8 if op == OP_LIST else 16) * (self.n_stack - m))
                if op == OP_DICT:
                    if (self.n_stack - m) % 2:
                        return 0            # a key without its value: refused
                    self.charge_all(m, self.n_stack, 2)
                if op == OP_FROZENSET:
                    self.charge_all(m, self.n_stack, 1)
                    self.build(m, False, self.set_kind(m), EMPTY_FROZENSET_HASH)
                else:
                    self.build(m, False)
            elif op in (OP_APPEND, OP_SETITEM):
                k = 1 if op == OP_APPEND else 2
                if self.under_fence(k + 1):
                    return 0
                m = self.n_stack - k
                self.builds(8 if op == OP_APPEND else 24)
                if op == OP_SETITEM:
                    self.charge_all(m, m + 1, 1)
                self.add_to(self.stack[m - 1], m)
            elif op in (OP_APPENDS, OP_SETITEMS, OP_ADDITEMS):
                m = self.pop_mark()
                if m < 1 or self.under_fence(self.n_stack - m + 1):
                    return 0
                self.builds((8 if op == OP_APPENDS else 12 if op == OP_SETITEMS else 16) *
                            (self.n_stack - m))
                if op == OP_SETITEMS:
                    if (self.n_stack - m) % 2:
                        return 0
                    self.charge_all(m, self.n_stack, 2)
                elif op == OP_ADDITEMS:
                    self.charge_all(m, self.n_stack, 1)
                self.add_to(self.stack[m - 1], m)
            # -- calls -------------------------------------------------------------------
            elif op in (OP_REDUCE, OP_NEWOBJ, OP_NEWOBJ_EX):   # callable, args (, kwargs)
                k = 3 if op == OP_NEWOBJ_EX else 2
                if self.under_fence(k):
                    return 0
                self.builds(56)
                self.build(self.n_stack - k + 1, True, self.call_kind(self.n_stack - k))
                self.swap_under()
            elif op == OP_OBJ:                  # mark, class, args...
                m = self.pop_mark()
                if m < 0 or m == self.n_stack:
                    return 0
                self.builds(56)
                self.build(m + 1, True, self.call_kind(m))
                self.swap_under()
            elif op == OP_BUILD:                # obj, state
                if self.under_fence(2):
                    return 0
                self.add_to(self.stack[self.n_stack - 2], self.n_stack - 1)
            elif op in (OP_STACK_GLOBAL, OP_BINPERSID):   # module, name / pid
                k = 2 if op == OP_STACK_GLOBAL else 1
                if self.under_fence(k):
                    return 0
                # unless the module or the name is text the walk read and knows is
                # not one of theirs, the global may be int, tuple...
                chosen = (op == OP_STACK_GLOBAL and
                          could_be(self.stack[self.n_stack - 2], STR_MODULE) and
                          could_be(self.stack[self.n_stack - 1], STR_NAME))
                self.truncate(self.n_stack - k)
                self.push(CHOSEN_CALL if chosen else SCALAR)
            # -- the stack itself ----------------------------------------------------------
            elif op == OP_POP:                  # the top item, or the last mark
                if self.n_marks and self.marks[self.n_marks - 1] == self.n_stack:
                    self.n_marks -= 1
                elif self.n_stack:
                    self.truncate(self.n_stack - 1)
                else:
                    return 0
            elif op == OP_POP_MARK:
                m = self.pop_mark()
                if m < 0:
                    return 0
                self.truncate(m)
            elif op == OP_DUP:
                if self.under_fence(1):
                    return 0
                self.push(self.stack[self.n_stack - 1])
            else:
                return 0                        # not an opcode: the unpickler refuses it
            if self.frame_end >= 0 and start < self.frame_end < self.at():
                raise FormatError("an opcode of the pickle crosses the end of its frame "
                                  "(no pickler writes that: a crafted file?)")


cdef _Walk walked(stream, uint64_t budget, size, uint64_t memory=WEIGHT_CAP):
    """A walk over ``stream`` (see :func:`scan`), run."""
    cdef _Walk walk = _Walk()
    cdef int i
    walk.stream = stream
    walk.buf = b""
    walk.p = <const unsigned char *>walk.buf
    walk.pos = walk.end = 0
    walk.base = 0
    walk.seekable = size is not None
    walk.size = size if size is not None else -1
    walk.frame_end = -1
    walk.budget = budget
    walk.memory = memory
    walk.next_count = 1 << 16
    for i in range(RESERVED):
        walk.new_object(1)
    walk.run()
    walk.count_same()
    return walk


def scan(stream, uint64_t budget, size=None, memory=None):
    """Walk the pickle that ``stream`` holds (binary, read from its start) and raise
    :class:`~fastw2v.errors.FormatError` where the unpickler would hash, compare or copy
    more than ``budget`` objects (plus one per opcode), allocate a memo far larger than
    the objects stored, or read a frame differently from the walk. ``size``: the file's
    size when ``stream`` is a plain file (seekable: byte strings are then skipped with
    ``seek``). ``memory``: how many bytes the unpickler's objects may take (a lower
    bound of CPython's sizes is counted), or None.

    Returns ``(charged, scanned, complete)``: the objects charged; how many bytes of
    the stream the walk read; whether it reached STOP. When it did not, the pickle is
    damaged or cut short within those bytes, and the unpickler must be given no more of
    them (it then raises its own error and runs nothing unchecked)."""
    cdef _Walk walk = walked(stream, budget, size,
                             WEIGHT_CAP if memory is None else min(memory, WEIGHT_CAP))
    return walk.spent, walk.at(), walk.complete


def probe(data: bytes) -> tuple:
    """``(kind, hash)`` the walk takes for the object ``data`` pickles (for tests):
    ``kind`` one of :data:`HASH_KINDS`; ``hash`` CPython's where the kind is "distinct"
    or "known"."""
    cdef _Walk walk = walked(io.BytesIO(data), WEIGHT_CAP, None)
    if not walk.complete:
        raise ValueError("the walk did not reach STOP")
    return HASH_KINDS[walk.top_kind], <int64_t>walk.top_hash


def charges(data: bytes, uint64_t budget=WEIGHT_CAP) -> tuple:
    """``(hashed, compared)`` the walk charges for the pickle ``data`` (for tests): the
    objects its keys, set items and call arguments expand to, and the comparisons of
    keys that share a hash."""
    cdef _Walk walk = walked(io.BytesIO(data), budget, None)
    if not walk.complete:
        raise ValueError("the walk did not reach STOP")
    return walk.spent - walk.compared, walk.compared
