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
"""
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr

from ..errors import FormatError, TruncatedPickleError

#: weights saturate here (no overflow, and any bound is far below)
cdef uint64_t WEIGHT_CAP = (<uint64_t>1) << 62
cdef Py_ssize_t CHUNK = 1 << 20

# what a value on the simulated stack is: an index into the objects' tables; the first
# RESERVED are shared and never change or go (0: every scalar, weight 1)
cdef enum:
    SCALAR = 0
    RESERVED = 1
    EMPTY = -1                  # a memo slot not stored
    C_MEMO_SLACK = 1 << 16
    C_MAX_DEPTH = 5000

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

    def __cinit__(self):
        self.weight = NULL
        self.depth = NULL
        self.refs = NULL
        self.stack = NULL
        self.marks = NULL
        self.memo = NULL

    def __dealloc__(self):
        free(self.weight)
        free(self.depth)
        free(self.refs)
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
        cdef int64_t cap = max(1024, 2 * self.cap_obj)
        cdef void *w = realloc(self.weight, cap * sizeof(uint64_t))
        if w != NULL:
            self.weight = <uint64_t *>w
        cdef void *r = realloc(self.refs, cap * sizeof(int64_t))
        if r != NULL:
            self.refs = <int64_t *>r
        cdef void *d = realloc(self.depth, cap * sizeof(int64_t))
        if d != NULL:
            self.depth = <int64_t *>d
        if w == NULL or r == NULL or d == NULL:
            raise MemoryError()
        self.cap_obj = cap
        return 0

    cdef int64_t new_object(self, uint64_t w, int64_t depth=0) except -1:
        if depth > C_MAX_DEPTH:
            raise FormatError(
                f"the pickle nests containers too deeply (more than {C_MAX_DEPTH:,} "
                "levels: hashing or freeing them would overflow the C stack)")
        if self.n_obj == self.cap_obj:
            self.grow_objects()
        self.weight[self.n_obj] = w
        self.depth[self.n_obj] = depth
        self.refs[self.n_obj] = 0
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
        cdef int64_t *grown
        if self.n_stack == self.cap_stack:
            self.cap_stack = max(1024, 2 * self.cap_stack)
            grown = <int64_t *>realloc(self.stack, self.cap_stack * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
            self.stack = grown
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
        cdef int64_t *grown
        if self.n_marks == self.cap_marks:
            self.cap_marks = max(64, 2 * self.cap_marks)
            grown = <int64_t *>realloc(self.marks, self.cap_marks * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
            self.marks = grown
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
        """Charge the weights of the stack's items ``lo, lo + step, ...`` below ``hi``
        (keys, set items): each is hashed."""
        cdef int64_t i
        for i in range(lo, hi, step):
            self.charge(self.w(self.stack[i]))
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
            grown = <int64_t *>realloc(self.memo, cap * sizeof(int64_t))
            if grown == NULL:
                raise MemoryError()
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
    cdef int build(self, int64_t m, bint hashed) except -1:
        """Replace the stack from ``m`` on by one new object holding them all (a tuple,
        a frozenset, a list, a call's result); ``hashed``: their weights are charged."""
        cdef uint64_t t = self.total(m, self.n_stack)
        cdef int64_t depth = 1 + self.deepest(m, self.n_stack)
        if hashed:
            self.charge(t)
        self.truncate(m)
        self.push(self.new_object(sat_add(1, t), depth))
        return 0

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
        cdef object text, module
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
                self.pos += k
                if op != OP_PROTO:
                    self.push(SCALAR)
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
                if not self.skip(n):
                    # the unpickler would allocate all n bytes before it reads them
                    raise TruncatedPickleError(
                        f"the pickle ends early: a string of {n:,} bytes at byte {start:,} "
                        "runs past its end (truncated file?)")
                if op in (OP_LONG1, OP_LONG4) and n > 8:
                    # hashing an int reads all its digits, every time (not cached)
                    self.push(self.new_object(1 + n // 8))
                else:
                    self.push(SCALAR)
            elif op in (OP_NONE, OP_NEWTRUE, OP_NEWFALSE, OP_NEXT_BUFFER):
                self.push(SCALAR)
            elif op == OP_READONLY_BUFFER:
                pass
            elif op in (OP_INT, OP_LONG, OP_FLOAT, OP_STRING, OP_UNICODE, OP_PERSID):
                text = self.line()
                if text is None:
                    return 0
                if op in (OP_INT, OP_LONG) and len(text) > 19:
                    self.push(self.new_object(1 + len(text) // 19))
                else:
                    self.push(SCALAR)
            elif op in (OP_GLOBAL, OP_INST):    # module and name lines
                module = self.line()
                if module is None or self.line() is None:
                    return 0
                if op == OP_GLOBAL:
                    self.push(SCALAR)
                else:                           # INST: a call of the global on mark, args...
                    m = self.pop_mark()
                    if m < 0:
                        return 0
                    self.build(m, True)
            elif op == OP_MARK:
                self.push_mark()
            elif op == OP_STOP:
                self.complete = True
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
            elif op in (OP_EMPTY_TUPLE, OP_EMPTY_LIST, OP_EMPTY_DICT, OP_EMPTY_SET):
                self.push(self.new_object(1))
            elif op in (OP_TUPLE1, OP_TUPLE2, OP_TUPLE3):
                k = op - OP_TUPLE1 + 1
                if self.under_fence(k):
                    return 0
                self.build(self.n_stack - k, False)
            elif op in (OP_TUPLE, OP_LIST, OP_FROZENSET, OP_DICT):
                m = self.pop_mark()
                if m < 0:
                    return 0
                if op == OP_DICT:
                    if (self.n_stack - m) % 2:
                        return 0            # a key without its value: refused
                    self.charge_all(m, self.n_stack, 2)
                self.build(m, op == OP_FROZENSET)
            elif op in (OP_APPEND, OP_SETITEM):
                k = 1 if op == OP_APPEND else 2
                if self.under_fence(k + 1):
                    return 0
                m = self.n_stack - k
                if op == OP_SETITEM:
                    self.charge(self.w(self.stack[m]))
                self.add_to(self.stack[m - 1], m)
            elif op in (OP_APPENDS, OP_SETITEMS, OP_ADDITEMS):
                m = self.pop_mark()
                if m < 1 or self.under_fence(self.n_stack - m + 1):
                    return 0
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
                self.build(self.n_stack - k + 1, True)
                self.swap_under()
            elif op == OP_OBJ:                  # mark, class, args...
                m = self.pop_mark()
                if m < 0 or m == self.n_stack:
                    return 0
                self.build(m + 1, True)
                self.swap_under()
            elif op == OP_BUILD:                # obj, state
                if self.under_fence(2):
                    return 0
                self.add_to(self.stack[self.n_stack - 2], self.n_stack - 1)
            elif op in (OP_STACK_GLOBAL, OP_BINPERSID):   # module, name / pid
                k = 2 if op == OP_STACK_GLOBAL else 1
                if self.under_fence(k):
                    return 0
                self.truncate(self.n_stack - k)
                self.push(SCALAR)
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


def scan(stream, uint64_t budget, size=None):
    """Walk the pickle that ``stream`` holds (binary, read from its start) and raise
    :class:`~fastw2v.errors.FormatError` where the unpickler would hash, compare or copy
    more than ``budget`` objects (plus one per opcode), allocate a memo far larger than
    the objects stored, or read a frame differently from the walk. ``size``: the file's
    size when ``stream`` is a plain file (seekable: byte strings are then skipped with
    ``seek``).

    Returns ``(charged, scanned, complete)``: the objects charged; how many bytes of
    the stream the walk read; whether it reached STOP. When it did not, the pickle is
    damaged or cut short within those bytes, and the unpickler must be given no more of
    them (it then raises its own error and runs nothing unchecked)."""
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
    for i in range(RESERVED):
        walk.new_object(1)
    walk.run()
    return walk.spent, walk.at(), walk.complete
