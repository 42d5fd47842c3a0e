"""The C reader of word2vec text rows (fastw2v.io._text) against the pure-Python reader
it replaces (``_read_text_rows_python``: each row split in Python and parsed by
``np.array(values, dtype=...)``), which stays the reference: every value bit for bit,
every error (type, message, line number), every warning; also against gensim."""
import codecs
import gzip
import logging
import random
import shutil
import struct
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from fastw2v import KeyedVectors
from fastw2v.errors import TruncatedFileError, UndecodableError
from fastw2v.io import word2vec_format as wf
from fastw2v.io._text import DONE, FULL, PYTHON_LINE, count_lines, parse_rows
from fastw2v.io.native import FormatError

DTYPES = [np.float32, np.float64]


# ---------------------------------------------------------------------------------------
# numbers: the C parser against NumPy, bit for bit

def numpy_value(token: bytes, dtype):
    """What the Python reader stores for ``token``: None where NumPy rejects it (or
    warns: a float32 overflow, which the C parser leaves to NumPy so that it warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return np.array([token], dtype=dtype)
        except (ValueError, RuntimeWarning):
            return None


def c_values(tokens, dtype, word=b"w" * 20, sep=b"\n", last_newline=True):
    """Each token in a row of its own (one value per row), parsed by parse_rows; rows it
    leaves to Python are None."""
    data = sep.join(word + b" " + t for t in tokens) + (sep if last_newline else b"")
    n = len(tokens)
    out = np.zeros((n, 1), dtype)
    starts, ends = np.zeros(n, np.int64), np.zeros(n, np.int64)
    got = [None] * n
    pos, line, row = 0, 1, 0
    while row < n:
        first = row
        pos, line, row, status = parse_rows(data, pos, len(data), line, row, n, out, starts, ends)
        for r in range(first, row):
            got[r] = out[r].copy()
            assert (starts[r], ends[r]) == (data.index(word + b" " + tokens[r], starts[r]),
                                            starts[r] + len(word))
        if status == PYTHON_LINE:
            end = data.find(b"\n", pos)
            pos, line, row = (end + 1 if end >= 0 else len(data)), line + 1, row + 1
        else:
            assert status == DONE and row == n
    assert line == n + 1
    return got


def check_tokens(tokens, dtype, **layout):
    got = c_values(tokens, dtype, **layout)
    for token, value in zip(tokens, got):
        expect = numpy_value(token, dtype)
        if expect is None:
            assert value is None, (token, value)
        else:
            assert value is not None, token
            assert value.tobytes() == expect.tobytes(), (token, value, expect)
    return got


def random_tokens(rng: random.Random, n: int):
    out = []
    for _ in range(n):
        k = rng.random()
        if k < 0.25:
            x = rng.gauss(0, 1) * 10.0 ** rng.randint(-40, 40)
            fmt = rng.choice(["%.6f", "%.9g", "%.17g", "%.3e", "%.20g", "%.8f", "%g", "%.12f",
                              "%.0f", "%.1f", "%.25f", "%.15e", "%E"])
            out.append((fmt % x).encode())
        elif k < 0.35:
            out.append(repr(rng.gauss(0, 1) * 10.0 ** rng.randint(-320, 300)).encode())
        elif k < 0.5:       # float32 values as gensim and fastw2v write them
            f = np.float32(rng.gauss(0, 1) * 10.0 ** rng.randint(-8, 8))
            out.append(rng.choice([repr(float(f)), str(f), "%.9g" % f, "%.8e" % f]).encode())
        elif k < 0.85:      # digit strings: any length, point, sign, exponent
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 26)))
            if rng.random() < 0.3:
                digits = "0" * rng.randint(1, 6) + digits
            if rng.random() < 0.8:
                p = rng.randint(0, len(digits))
                digits = digits[:p] + "." + digits[p:]
            if rng.random() < 0.5:
                digits = rng.choice("+-") + digits
            if rng.random() < 0.25:
                digits += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 420))
            out.append(digits.encode())
        else:               # bytes from the alphabet of numbers and their neighbours
            alphabet = b"0123456789.eE+-_nNaAiIfFtyx,\x00\xff"
            out.append(bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    return out


SPECIAL_TOKENS = [
    # zeros and signs
    b"0", b"-0", b"+0", b"-0.0", b"0.0", b"-.0", b"0.", b"-0e5", b"0e999", b"-0e-999",
    b"00000", b"-000.000", b"+5", b"+.5", b"-.5e-3", b"5.", b".5", b"1e5", b"1E5", b"1e+5",
    b"1e-5", b"1.e5", b"-1.E-5",
    # exactness edges: Clinger's bounds, 2^53, 10^22, long significands
    b"9007199254740992", b"9007199254740993", b"9007199254740991", b"900719925474099.3",
    b"1e22", b"1e23", b"9e22", b"123e30", b"1234567e30", b"9e37", b"1e-22", b"1e-23",
    b"123456789012345678", b"1234567890123456789", b"12345678901234567890",
    b"0.1234567890123456789", b"1.00000000000000000000000000001", b"1" * 40, b"1" * 30,
    b"0." + b"0" * 40 + b"1", b"00000000000000000000000001.5", b"0.000000000000000000001",
    b"4.9406564584124654e-324", b"2.4703282292062327e-324", b"2.4703282292062328e-324",
    b"2.2250738585072014e-308", b"2.2250738585072011e-308", b"1.7976931348623157e308",
    b"1.7976931348623158e308", b"1.7976931348623159e308", b"1e309", b"-1e400", b"1e-400",
    b"1e99999999999999999999", b"1e-99999999999999999999",
    # float32 edges: overflow (NumPy warns), largest, denormals, rounding ties
    b"3.4028235e38", b"3.4028234664e38", b"3.40282356779733661637539395458142568448e38",
    b"3.4028236e38", b"-3.5e38", b"1e39", b"1.4e-45", b"1.401298464324817e-45", b"7e-46",
    b"7.006492321624086e-46", b"7.006492321624087e-46", b"1.17549435e-38",
    b"0.1", b"0.2", b"0.3", b"16777217", b"16777216.5", b"33554435", b"1.00000005960464477539",
    b"1.0000000596046448", b"1.000000059604644775390625",
    # spellings NumPy (float()) accepts
    b"nan", b"-nan", b"+nan", b"NaN", b"NAN", b"inf", b"-inf", b"+inf", b"Inf", b"INF",
    b"infinity", b"-Infinity", b"iNfInItY", b"1_000", b"1_000.5", b"1.5_5", b"1e1_0",
    b"0_0", b"1_2_3.4_5e-6_7",
    # and spellings it rejects
    b"nan(1)", b"-nanx", b"infinit", b"in", b"1__0", b"_1", b"1_", b"1._5", b"1_.5", b"1e_5",
    b".", b"-", b"+", b"e5", b".e5", b"1e", b"1e+", b"1e-", b"--1", b"+-1", b"1.5.", b"1..5",
    b"0x10", b"0b1", b"1d5", b"1,5", b"1\x00", b"\x001", b"\xff", b"\xc3\xa9", b"1\x1c",
    b"\xa01", b"1f", b"1.5e5e5", b"e", b"E", b"abc",
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_numbers_are_numpys(dtype):
    got = check_tokens(SPECIAL_TOKENS, dtype)
    # (check_tokens: a token is left to Python exactly where NumPy rejects it, or warns)
    left = {t for t, v in zip(SPECIAL_TOKENS, got) if v is None}
    assert not left & {b"nan", b"-Infinity", b"1_000", b"1e400", b"1e-400", b"-0", b"1" * 30}
    assert (b"1e39" in left) == (dtype is np.float32)
    assert {b"1__0", b".", b"1\x00", b"nan(1)", b"0x10"} <= left


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(4))
def test_random_numbers_are_numpys(dtype, seed):
    rng = random.Random(seed)
    check_tokens(random_tokens(rng, 6000), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_floats_in_every_format_are_numpys(dtype):
    rng = np.random.default_rng(5)
    xs = np.concatenate([rng.standard_normal(3000), rng.standard_normal(1000) * 1e-6,
                         rng.standard_normal(1000) * 1e6, 10.0 ** rng.uniform(-40, 40, 1000),
                         rng.standard_normal(500).astype(np.float32).astype(np.float64)])
    for fmt in ("%.6f", "%.17g", "%.9g", "%r", "%.4e", "%.8f", "%s"):
        with np.errstate(over="ignore"):          # (str of a float32 cast of 1e40: inf)
            tokens = [(repr(float(x)) if fmt == "%r" else str(np.float32(x)) if fmt == "%s"
                       else fmt % x).encode() for x in xs]
        got = check_tokens(tokens, dtype)
        assert all(v is not None for v in got) or dtype is np.float32


TOKEN_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "_text.h"
int main(int argc, char **argv) {   /* one token a line in; kind and double bits out */
    FILE *f = fopen(argv[1], "rb");
    long n;
    unsigned char *buf;
    const unsigned char *p, *end;
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    buf = malloc(n);
    if (fread(buf, 1, n, f) != (size_t)n) return 1;
    p = buf; end = buf + n;
    while (p < end) {
        const unsigned char *q = memchr(p, '\n', end - p);
        double v = 0;
        unsigned long long bits;
        int kind = fw_parse_token(p, q - p, buf, end, &v);
        memcpy(&bits, &v, 8);
        printf("%d %016llx\n", kind, kind == FW_OK ? bits : 0ULL);
        p = q + 1;
    }
    return 0;
}
"""


def test_every_build_of_the_token_reader(tmp_path):
    """_text.h reads a token one of three ways, by what the compiler offers: SSE2 (x86),
    128-bit integers (aarch64 and others), plain 64-bit arithmetic. Only the first runs
    in this package's build here, so each is compiled on its own and must give float()'s
    double for every value it computes itself (the 128-bit build once read 16-digit
    integers wrong: a shift by 128 bits)."""
    cc = shutil.which(sysconfig.get_config_var("CC").split()[0]) or shutil.which("cc")
    if cc is None or sys.platform == "win32":
        pytest.skip("needs a C compiler (as building fastw2v does)")
    import fastw2v.io
    header_dir = Path(fastw2v.io.__file__).parent
    assert (header_dir / "_text.h").is_file()
    rng = random.Random(21)
    tokens = [t for t in SPECIAL_TOKENS + random_tokens(rng, 20000)
              if b"\n" not in t and b" " not in t]
    tokens += [str(rng.randrange(10 ** (k - 1), 10 ** k)).encode()
               for k in range(1, 20) for _ in range(200)]
    tokens += [b"-" + t for t in tokens[-3800:]]
    (tmp_path / "tokens").write_bytes(b"\n".join(tokens) + b"\n")
    (tmp_path / "h.c").write_text(TOKEN_HARNESS)
    outputs = {}
    for flags in ([], ["-U__SSE2__"], ["-U__SSE2__", "-U__SIZEOF_INT128__"]):
        exe = tmp_path / ("h" + "".join(flags).replace("-", "_"))
        subprocess.run([cc, "-O2", f"-I{header_dir}", *flags, str(tmp_path / "h.c"),
                        "-o", str(exe)], check=True)
        lines = subprocess.run([str(exe), str(tmp_path / "tokens")], check=True,
                               capture_output=True).stdout.decode().split("\n")[:-1]
        outputs[tuple(flags)] = lines
        assert len(lines) == len(tokens), flags
        computed = 0
        for token, line in zip(tokens, lines):
            kind, bits = line.split()
            if kind == "0":             # FW_OK: the value is float()'s, bit for bit
                computed += 1
                expect = struct.pack(">d", float(token)).hex()
                assert bits == expect, (flags, token, bits, expect)
        assert computed > len(tokens) // 2, flags
    assert len({tuple(v) for v in outputs.values()}) == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_at_the_edges_of_the_bytes(dtype):
    """Tokens at the very start of the bytes (no 16 bytes before them), and the last
    token of bytes that end without a newline: read by the general reader, same values."""
    rng = random.Random(9)
    tokens = SPECIAL_TOKENS + random_tokens(rng, 300)
    for token in tokens:
        expect = numpy_value(token, dtype)
        for word, newline in ((b"", True), (b"", False), (b"x" * 30, False)):
            got = c_values([token], dtype, word=word, last_newline=newline)[0]
            if expect is None:
                assert got is None, (token, word, newline)
            else:
                assert got is not None and got.tobytes() == expect.tobytes(), (token, got, expect)


def test_rows_of_many_values_and_any_whitespace():
    """Whole rows (hundreds of values across many 64-byte blocks) with the separators
    bytes.split() knows: the matrix is NumPy's."""
    rng = np.random.default_rng(3)
    seps = [b" ", b"  ", b"\t", b" \t ", b"\x0b", b"\x0c", b"\r", b" " * 70]
    for dims in (1, 7, 64, 300):
        rows = []
        values = []
        for r in range(40):
            toks = [("%.9g" % x).encode() for x in rng.standard_normal(dims)]
            if r % 5 == 0:
                toks[rng.integers(dims)] = b"nan"
            line = b"word%d " % r
            for i, t in enumerate(toks):
                line += (rng.choice(seps) if i and r % 3 == 0 else b" " if i else b"") + t
            rows.append(line + (b" \r" if r % 4 == 1 else b""))
            values.append(toks)
        data = b"\n".join(rows) + b"\n"
        for dtype in DTYPES:
            out = np.zeros((40, dims), dtype)
            starts, ends = np.zeros(40, np.int64), np.zeros(40, np.int64)
            pos, line, row, status = parse_rows(data, 0, len(data), 1, 0, 40, out, starts, ends)
            assert (pos, line, row, status) == (len(data), 41, 40, DONE)
            expect = np.array(values, dtype=dtype)
            assert out.tobytes() == expect.tobytes()
            assert [data[s:e] for s, e in zip(starts, ends)] == [b"word%d" % r for r in range(40)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_tokens_and_gaps_longer_than_a_block(dtype):
    """The separator bitmap covers 64 bytes at a time: a value or a run of whitespace
    longer than that, starting anywhere in a block, is read whole (these once looped for
    ever)."""
    for shift in range(0, 70, 3):
        for length in (63, 64, 65, 66, 127, 128, 129, 200):
            token = b"-" + b"7" * 30 + b"." + b"01" * ((length - 32) // 2) + b"5" * (length % 2)
            gap = b" " * length
            data = b"w" * shift + b" " + token + gap + b"1.5\t" + b"\x0b" * length + token + b"\n"
            out = np.zeros((1, 3), dtype)
            starts, ends = np.zeros(1, np.int64), np.zeros(1, np.int64)
            assert parse_rows(data, 0, len(data), 1, 0, 1, out, starts, ends) \
                == (len(data), 2, 1, DONE)
            expect = np.array([[token, b"1.5", token]], dtype=dtype)
            assert out.tobytes() == expect.tobytes(), (shift, length)


def test_parse_rows_stops_where_told():
    data = b"a 1 2\n\n\t\r\nb 3 4\nc 5 6\n"
    out = np.zeros((3, 2), np.float32)
    s, e = np.zeros(3, np.int64), np.zeros(3, np.int64)
    # a chunk ends before the row that starts at or after `stop`
    assert parse_rows(data, 0, 1, 7, 0, 3, out, s, e) == (6, 8, 1, DONE)
    # blank lines (no space in them) are skipped, counted as lines
    assert parse_rows(data, 6, 12, 8, 1, 3, out, s, e) == (16, 11, 2, DONE)
    # the rows asked for are done: FULL where more bytes follow
    assert parse_rows(data, 16, len(data), 11, 2, 2, out, s, e) == (16, 11, 2, FULL)
    assert parse_rows(data, 16, len(data), 11, 2, 3, out, s, e) == (len(data), 12, 3, DONE)
    assert (s.tolist(), e.tolist()) == ([0, 10, 16], [1, 11, 17])
    assert out.tolist() == [[1, 2], [3, 4], [5, 6]]
    # lines for the caller: too few or too many values, a word alone, not a number, a
    # blank line holding a space
    for bad in (b"a 1\n", b"a 1 2 3\n", b"a\n", b"a 1 x\n", b" \n", b"a 1\n2\n"):
        assert parse_rows(bad + b"b 1 2\n", 0, 100, 1, 0, 3, out, s, e) == (0, 1, 0, PYTHON_LINE)
    with pytest.raises(ValueError, match="rows exceeds"):
        parse_rows(data, 0, len(data), 1, 0, 4, out, s, e)
    assert count_lines(data, 0, len(data)) == data.count(b"\n")
    assert count_lines(data, 3, 12) == data[3:12].count(b"\n")
    assert count_lines(data, 5, 5) == 0 and count_lines(data, 0, 10**9) == data.count(b"\n")


# ---------------------------------------------------------------------------------------
# whole files: the loader against the pure-Python reader

@pytest.fixture(params=[1, 2, 3, 5], ids=lambda n: f"{n}threads")
def threads(request, monkeypatch):
    """Files loaded by this many threads however small they are (a plain file with a
    header is parsed by several threads from 32 MB on); the Python reader stays the
    reference."""
    monkeypatch.setattr(wf, "_text_threads", lambda nbytes: request.param)
    return request.param


def outcome(path, python=False, **kw):
    """What read_word2vec_rows gives (words, dtype, shape, matrix bytes, rows) or raises
    (type, message, and a UnicodeDecodeError's fields), with the warnings it emits."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if python:
                with mock.patch.object(wf, "_read_text_rows", wf._read_text_rows_python):
                    words, vectors, rows = wf.read_word2vec_rows(path, **kw)
            else:
                words, vectors, rows = wf.read_word2vec_rows(path, **kw)
            result = ("loaded", words, vectors.dtype.str, vectors.shape, vectors.tobytes(), rows)
        except Exception as exc:  # noqa: BLE001 - compared, not swallowed
            extra = ()
            if isinstance(exc, UnicodeDecodeError):
                extra = (exc.encoding, exc.object, exc.start, exc.end, exc.reason)
            result = ("raised", type(exc), str(exc), extra)
    return result, sorted((w.category.__name__, str(w.message)) for w in caught)


def same_as_python(path, **kw):
    new, old = outcome(path, **kw), outcome(path, python=True, **kw)
    assert new == old
    return new[0]


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def random_text_file(rng, rows, dims, fmt="%.9g", header=True, crlf=False, blank_lines=0,
                     messy=False):
    lines = [f"{rows} {dims}".encode()] if header else []
    for r in range(rows):
        vec = rng.standard_normal(dims) * 10.0 ** rng.integers(-3, 4)
        word = rng.choice(["w", "café", "東京", "x\ty", "</s>", "-1.5"]) + str(r)
        vals = [(fmt % v).encode() for v in vec]
        if messy:
            vals = [rng.choice([b" ", b"\t", b"  ", b" \x0b"]) + v for v in vals]
            line = word.encode() + b" " + b"".join(vals).lstrip(b" \t\x0b")
        else:
            line = word.encode() + b" " + b" ".join(vals)
        lines.append(line + (b" " if r % 7 == 3 else b""))
        for _ in range(blank_lines if r % 10 == 5 else 0):
            lines.append(rng.choice([b"", b"   ", b"\t"]))
    return (b"\r\n" if crlf else b"\n").join(lines) + (b"\r\n" if crlf else b"\n")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", ["%.9g", "%.6f", "%.17g", "%r", "%.3e"])
def test_files_load_as_with_the_python_reader(tmp_path, dtype, fmt, threads):
    rng = np.random.default_rng(len(fmt))
    for i, options in enumerate([dict(), dict(crlf=True), dict(blank_lines=2),
                                 dict(messy=True), dict(header=False)]):
        body = random_text_file(rng, 60, 37, fmt="%r" if fmt == "%r" else fmt, **options)
        if fmt == "%r":
            body = body.replace(b"np.float64(", b"").replace(b")", b"")
        path = write(tmp_path, f"f{i}.txt", body)
        result = same_as_python(path, datatype=dtype, no_header=not options.get("header", True))
        assert result[0] == "loaded" and result[3] == (60, 37), result[:4]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("at", [0, 127, 128, 255, 256, 299])
def test_odd_values_anywhere_in_a_long_row(tmp_path, dtype, at, threads):
    """A row's values are read in runs of 128, then converted: a value that only Python
    parses, one the exact path leaves to the correctly rounding parser, a float32
    overflow, zeros with huge exponents, each at a run's edges or inside one."""
    rng = np.random.default_rng(at)
    odd = [b"nan", b"1.0000000000000000000000001", b"-4e39", b"0e-400", b"-0.0e500",
           b"1e23", b"123456789012345678e-30", b"inf"]
    lines = [b"%d 300" % len(odd)]
    for r, token in enumerate(odd):
        vals = [(b"%.9g" % v) for v in rng.standard_normal(300)]
        vals[at] = token
        lines.append(b"w%d " % r + b" ".join(vals))
    path = write(tmp_path, "odd.txt", b"\n".join(lines) + b"\n")
    result = same_as_python(path, datatype=dtype)
    assert result[0] == "loaded" and result[3] == (len(odd), 300), result[:4]


@pytest.mark.parametrize("dtype", DTYPES)
def test_files_with_few_dims_and_many_rows(tmp_path, dtype, monkeypatch, threads):
    """Small chunks (pages released between them) and rows cut by chunk boundaries."""
    monkeypatch.setattr(wf, "_RELEASE_BYTES", 4096)
    rng = np.random.default_rng(11)
    for dims in (1, 2, 3, 50):
        path = write(tmp_path, f"d{dims}.txt", random_text_file(rng, 3000 // dims + 5, dims))
        assert same_as_python(path, datatype=dtype)[0] == "loaded"
        glove = write(tmp_path, f"g{dims}.txt", random_text_file(rng, 400, dims, header=False))
        assert same_as_python(glove, datatype=dtype, no_header=True)[0] == "loaded"
        assert same_as_python(glove, datatype=dtype, no_header=True, limit=17)[3][0] == 17


@pytest.mark.parametrize("n_threads", [2, 3, 7])
def test_parallel_reader_takes_plain_files_and_leaves_the_rest(tmp_path, n_threads,
                                                               monkeypatch):
    """The threads read a plain file (line i is row i) themselves, values only Python
    parses included, bit for bit as the Python reader; any other file they leave to the
    sequential reader (None), which then gives its errors."""
    monkeypatch.setattr(wf, "_RELEASE_BYTES", 4096)
    rng = np.random.default_rng(8)
    body = random_text_file(rng, 400, 20)
    lines = body.split(b"\n")
    for r in (5, 77, 300):       # values for Python's parser: nan, 25 digits, 1_0
        lines[r] = lines[r].rsplit(b" ", 1)[0] + rng.choice([b" nan", b" 0." + b"3" * 25, b" 1_0"])
    body = b"\n".join(lines)
    start = body.index(b"\n") + 1
    path = write(tmp_path, "plain.txt", body)
    _, words, _, shape, matrix, _ = outcome(path, python=True)[0]
    for dtype in DTYPES:
        got = wf._parallel_text_rows(body, start, 400, 20, np.dtype(dtype), 2, n_threads)
        assert got is not None
        parts, starts, out = got
        assert [first for first, _, _ in parts] == \
            np.cumsum([0] + [count for _, count, _ in parts[:-1]]).tolist()
        assert b" ".join(blob for _, _, blob in parts).decode().split(" ") == words
        assert all(body[a:].startswith(w.encode() + b" ") for a, w in zip(starts, words))
        expect = np.frombuffer(matrix, np.float32).reshape(shape).astype(dtype)
        if dtype is np.float32:
            assert out.tobytes() == expect.tobytes()
        else:                    # (the reference matrix is float32 here)
            assert out.astype(np.float32).tobytes() == expect.astype(np.float32).tobytes()
        # blank lines after the last row change nothing
        trailing = wf._parallel_text_rows(body + b"\n \t\n\n  ", start, 400, 20,
                                          np.dtype(dtype), 2, n_threads)
        assert trailing is not None and trailing[2].tobytes() == out.tobytes()
        # not plain: a blank line, a short row, a row too many or too few
        for bad in (body.replace(b"\n", b"\n\n", 1), body.replace(lines[200], b" ".join(lines[200].split()[:-1])),
                    body + b"extra 1 2\n", body.rsplit(b"\n", 2)[0] + b"\n"):
            assert wf._parallel_text_rows(bad, start, 400, 20, np.dtype(dtype), 2,
                                          n_threads) is None


def test_end_of_last_line():
    """Where the threads stop: after the last line holding more than whitespace, however
    much whitespace follows (it is read 64 KB at a time from the end)."""
    head = b"2 1\na 1\nb 2"
    for tail, end in [(b"\n", len(head) + 1), (b"", len(head)), (b"  ", len(head) + 2),
                      (b" \n \t\n" * 40000, len(head) + 2), (b"\n" * 70000, len(head) + 1)]:
        assert wf._end_of_last_line(head + tail, 4) == end, (tail[:8], end)
    assert wf._end_of_last_line(b"2 1\n \n\t\n", 4) == 4
    assert wf._end_of_last_line(b"2 1\n", 4) == 4


def test_limit_and_header_counts(tmp_path, threads):
    rng = np.random.default_rng(2)
    body = random_text_file(rng, 50, 8)
    path = write(tmp_path, "v.txt", body)
    for limit in (None, 0, 1, 7, 49, 50, 51, 1000):
        assert same_as_python(path, limit=limit)[0] == "loaded"
    more = write(tmp_path, "more.txt", b"40 8\n" + body.split(b"\n", 1)[1])
    r = same_as_python(more)
    assert r[1] is FormatError and "header says 40 rows but line 42 holds another" in r[2]
    assert same_as_python(more, limit=40)[0] == "loaded"
    assert same_as_python(more, limit=45)[1] is FormatError
    fewer = write(tmp_path, "fewer.txt", b"60 8\n" + body.split(b"\n", 1)[1])
    r = same_as_python(fewer)
    assert r[1] is TruncatedFileError and "header promises 60 rows but the file has 50" in r[2]
    trailing = write(tmp_path, "trailing.txt", body + b"\n\n  \n\t\n")
    assert same_as_python(trailing)[0] == "loaded"
    zero = write(tmp_path, "zero.txt", b"0 8\n")
    assert same_as_python(zero)[3] == (0, 8)


def test_gzip_text_file(tmp_path):
    rng = np.random.default_rng(4)
    path = write(tmp_path, "v.txt.gz", gzip.compress(random_text_file(rng, 30, 9)))
    assert same_as_python(path)[0] == "loaded"


ERROR_CASES = {
    # wrong number of values
    "fewer_values": b"3 3\na 1 2 3\nb 1 2\nc 1 2 3\n",
    "more_values": b"3 3\na 1 2 3\nb 1 2 3 4\nc 1 2 3\n",
    "word_alone": b"3 3\na 1 2 3\nb\nc 1 2 3\n",
    "word_and_space": b"3 3\na 1 2 3\nb  \t \nc 1 2 3\n",
    "tab_after_word": b"2 3\na\t1 2 3\nc 1 2 3\n",
    "values_on_two_lines": b"2 3\na 1 2\n3\nc 1 2 3\n",
    # not numbers
    "not_a_number": b"3 3\na 1 2 3\nb 1 x 3\nc 1 2 3\n",
    "comma_decimal": b"2 3\na 1,5 2 3\nb 1 2 3\n",
    "nul_in_value": b"2 3\na 1 2\x00 3\nb 1 2 3\n",
    "hex_value": b"2 3\na 0x1 2 3\nb 1 2 3\n",
    "bad_underscore": b"2 3\na 1__0 2 3\nb 1 2 3\n",
    # accepted oddities
    "nan_inf_underscores": b"2 3\na nan -inf 1_000\nb +Infinity -nan 1e1_0\n",
    "signs_and_points": b"2 4\na +1 -.5 5. .5e-3\nb -0 +0 -0.0 0e9\n",
    "empty_word": b"2 2\n 1 2\nb 3 4\n",
    "leading_tab_word": b"2 2\n\ta 1 2\n\t 3 4\n",
    "blank_lines": b"2 2\n\na 1 2\n \n\t\r\n\nb 3 4\n\n",
    "crlf": b"2 2\r\na 1 2\r\nb 3 4\r\n",
    "cr_only": b"2 2\ra 1 2\rb 3 4\r",
    "float32_overflow": b"2 2\na 1e39 -3.5e38\nb 3.4028235e38 1\n",
    "huge_and_tiny": b"2 2\na 1e400 1e-400\nb 1e-46 -1e-50\n",
    "long_significands": b"1 2\na 0.1000000000000000055511151231257827 1234567890123456789012\n",
    "control_bytes_in_word": b"2 2\na\x0bb 1 2\n\x0cc 3 4\n",
    # truncated files
    "cut_in_last_row": b"3 3\na 1 2 3\nb 1 2 3\nc 1 2",
    "cut_in_last_value": b"3 3\na 1 2 3\nb 1 2 3\nc 1 2 3.",
    "cut_after_word": b"3 3\na 1 2 3\nb 1 2 3\nc",
    "cut_last_row_spaces": b"3 3\na 1 2 3\nb 1 2 3\nc 1 2  ",
    "tail_equal_to_early_line": b"3 2\na 1\nb 1 2\na 1",
    "header_promises_more": b"5 3\na 1 2 3\nb 1 2 3\n",
    "too_few_bytes": b"50 3\na 1 2 3\n",
    "header_only": b"2 2\n",
    "blank_only": b"2 2\n\n\n  \n",
    # words
    "undecodable_word": b"3 2\na 1 2\ncaf\xe9 3 4\nc 5 6\n",
    "undecodable_then_bad_row": b"4 2\na 1 2\ncaf\xe9 3 4\nc 5 6\nd 7\n",
    "bad_row_then_undecodable": b"4 2\na 1 2\nb 3\ncaf\xe9 5 6\nd 7 8\n",
    "undecodable_in_bad_row": b"3 2\na 1 2\ncaf\xe9 3\nc 5 6\n",
    "undecodable_then_truncated": b"4 2\na 1 2\ncaf\xe9 3 4\nc 5 6\n",
    "undecodable_then_more_rows": b"2 2\na 1 2\ncaf\xe9 3 4\nc 5 6\n",
    "duplicate_words": b"3 2\na 1 2\nb 3 4\na 5 6\n",
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_odd_and_broken_files_as_with_the_python_reader(tmp_path, dtype, name, threads):
    data = ERROR_CASES[name]
    # long words put the values past the first 16 bytes (the C fast path reads them)
    padded = data.replace(b"\na ", b"\n" + b"a" * 20 + b" ")
    for i, body in enumerate((data, padded)):
        path = write(tmp_path, f"{name}_{i}.txt", body)
        same_as_python(path, datatype=dtype)
        same_as_python(path, datatype=dtype, unicode_errors="replace")
        same_as_python(path, datatype=dtype, limit=1)
        glove = write(tmp_path, f"{name}_{i}_glove.txt", body.split(b"\n", 1)[-1]
                      if b"\n" in body else body)
        same_as_python(glove, datatype=dtype, no_header=True)
        same_as_python(glove, datatype=dtype, no_header=True, limit=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_an_unended_last_line_warns(tmp_path, caplog, dtype, threads):
    """A file cut inside its last value still has all its values, the last one shorter
    ("6.25" cut to "6.2"): nothing but the missing line break tells. So where the rows
    read run to a last line without one, the loader warns, once, in both readers (at
    every thread count), and loads the file as gensim does."""
    body = b"3 2\na 1 2\nb 3 4\nc 5 6.2"

    def warnings_for(data, **kw):
        path = write(tmp_path, "cut.txt", data)
        counts = []
        for python in (False, True):
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="fastw2v"):
                result, _ = outcome(path, python=python, datatype=dtype, **kw)
            assert result[0] == "loaded", result
            counts.append(sum("ends without a line break, so its last value may have been cut"
                              in r.getMessage() for r in caplog.records))
        return counts

    assert warnings_for(body) == [1, 1]
    assert warnings_for(body.split(b"\n", 1)[1], no_header=True) == [1, 1]
    assert warnings_for(body + b" \t") == [1, 1]
    # the file ends with a line break, or the rows read stop before its last line
    assert warnings_for(body + b"\n") == [0, 0]
    assert warnings_for(body + b"\n\n  ") == [0, 0]
    assert warnings_for(body, limit=2) == [0, 0]
    kv = KeyedVectors.load_word2vec_format(write(tmp_path, "cut.txt", body), datatype=dtype)
    gkv = GensimKV.load_word2vec_format(str(tmp_path / "cut.txt"), datatype=dtype)
    np.testing.assert_array_equal(kv["c"], gkv["c"])


def test_error_messages_name_the_line(tmp_path, threads):
    def error(data, **kw):
        result = same_as_python(write(tmp_path, "e.txt", data), **kw)
        assert result[0] == "raised", result
        return result[1], result[2]

    kind, msg = error(ERROR_CASES["fewer_values"])
    assert kind is FormatError and "e.txt: line 3: 2 values, expected 3" in msg
    kind, msg = error(ERROR_CASES["more_values"])
    assert "line 3: 4 values, expected 3" in msg
    kind, msg = error(ERROR_CASES["not_a_number"])
    assert "line 3: values are not numbers" in msg and "a binary file? (binary=True)" in msg
    kind, msg = error(ERROR_CASES["cut_in_last_row"])
    assert kind is TruncatedFileError and "truncated in line 4" in msg
    kind, msg = error(ERROR_CASES["undecodable_word"])
    assert kind is UndecodableError and "line 3: word b'caf\\xe9' is not valid utf8" in msg
    # the first problem in the file is the one reported, as line by line
    kind, msg = error(ERROR_CASES["undecodable_then_bad_row"])
    assert kind is UndecodableError and "line 3" in msg
    kind, msg = error(ERROR_CASES["bad_row_then_undecodable"])
    assert kind is FormatError and "line 3: 1 values" in msg
    kind, msg = error(b"2 2\n" + b"a 1 2\n" * 5000 + b"b 1 2\n\n\nw\xff 3 4\n", limit=None)
    assert "header says 2 rows but line 4 holds another" in msg
    # an undecodable word far into the file: its line, counted through blank lines
    body = b"".join(b"w%d 1 2\n" % i + (b"\n" if i % 100 == 0 else b"") for i in range(5000))
    kind, msg = error(b"5002 2\n" + body + b"\xff\xfe 3 4\nz 5 6\n")
    assert kind is UndecodableError and f"line {2 + 5000 + 50}:" in msg
    assert "e.txt: line" in msg


def test_overflow_warnings_are_numpys(tmp_path):
    path = write(tmp_path, "o.txt", ERROR_CASES["float32_overflow"])
    new, old = outcome(path), outcome(path, python=True)
    assert new == old
    assert ("RuntimeWarning", "overflow encountered in cast") in new[1]
    assert np.frombuffer(new[0][4], np.float32)[:2].tolist() == [np.inf, -np.inf]
    assert outcome(path, datatype=np.float64)[1] == []


def test_binary_file_read_as_text(tmp_path):
    rng = np.random.default_rng(1)
    kv = KeyedVectors(20, [f"w{i}" for i in range(30)],
                      rng.standard_normal((30, 20)).astype(np.float32))
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    r = same_as_python(tmp_path / "v.bin")
    assert r[1] is FormatError and "this looks like a binary file: pass binary=True" in r[2]


@pytest.mark.parametrize("encoding,unicode_errors", [
    ("utf-8", "strict"), ("utf-8", "replace"), ("utf-8", "ignore"), ("utf-8", "surrogateescape"),
    ("utf-8", "backslashreplace"), ("latin-1", "strict"), ("cp1252", "replace"),
    ("koi8-r", "strict"), ("utf-8-sig", "strict"), ("ascii", "replace"), ("utf-8", "spaces"),
])
def test_words_decode_as_word_by_word(tmp_path, encoding, unicode_errors):
    codecs.register_error("spaces", lambda exc: (" " * (exc.end - exc.start), exc.end))
    words = [b"plain", b"caf\xc3\xa9", b"\xef\xbb\xbfbom", b"cut\xe6\x9d", b"\xe6\x9d\xb1\xe4\xba\xac",
             b"\x80x", b"", b"a\xffb", b"\xef\xbb\xbf", b"\xc3"]
    body = b"".join(w + b" %d 1.5\n" % i for i, w in enumerate(words))
    path = write(tmp_path, "u.txt", b"%d 2\n" % len(words) + body)
    same_as_python(path, encoding=encoding, unicode_errors=unicode_errors)
    same_as_python(path, encoding=encoding, unicode_errors=unicode_errors, datatype=np.float64)


@pytest.mark.parametrize("datatype", [np.float16, np.longdouble, ">f4", ">f8", "float32", "f8"])
def test_every_float_datatype_still_loads(tmp_path, datatype):
    rng = np.random.default_rng(6)
    path = write(tmp_path, "v.txt", random_text_file(rng, 20, 5, fmt="%.17g"))
    result = same_as_python(path, datatype=datatype)
    assert result[0] == "loaded" and np.dtype(result[2]) == np.dtype(datatype)


def test_only_float32_and_float64_take_the_c_path(tmp_path):
    rng = np.random.default_rng(8)
    path = write(tmp_path, "v.txt", random_text_file(rng, 10, 4))
    with mock.patch.object(wf, "_read_text_rows_python",
                           side_effect=AssertionError("python reader used")) as python:
        wf.read_word2vec_rows(path, datatype=np.float32)
        wf.read_word2vec_rows(path, datatype=np.float64)
        assert not python.called
    with mock.patch.object(wf, "_read_text_rows_python", wraps=wf._read_text_rows_python) as python:
        wf.read_word2vec_rows(path, datatype=np.float16)
        assert python.called


def test_same_vectors_as_gensim(tmp_path):
    rng = np.random.default_rng(12)
    keys = [f"w{i}" for i in range(300)] + ["café", "東京", "</s>"]
    vecs = (rng.standard_normal((len(keys), 50)) * 10.0 ** rng.integers(-5, 5, (len(keys), 1))) \
        .astype(np.float32)
    vecs[0, :4] = [-0.0, 1e-45, 3.4e38, -1.17549435e-38]
    kv = KeyedVectors(50, keys, vecs)
    for saver in ("fastw2v", "gensim"):
        path = tmp_path / f"{saver}.txt"
        if saver == "fastw2v":
            kv.save_word2vec_format(path)
        else:
            g = GensimKV(50)
            g.add_vectors(keys, vecs.copy())
            g.save_word2vec_format(str(path))
        ours = KeyedVectors.load_word2vec_format(path)
        theirs = GensimKV.load_word2vec_format(str(path))
        assert list(ours.index_to_key) == list(theirs.index_to_key) == keys
        assert ours.vectors.tobytes() == theirs.vectors.tobytes() == vecs.tobytes()
        ours64 = KeyedVectors.load_word2vec_format(path, datatype=np.float64)
        theirs64 = GensimKV.load_word2vec_format(str(path), datatype=np.float64)
        assert ours64.vectors.tobytes() == theirs64.vectors.tobytes()


def test_glove_file_as_gensim(tmp_path):
    rng = np.random.default_rng(13)
    lines = [f"w{i} " + " ".join("%.6f" % x for x in rng.standard_normal(25)) for i in range(200)]
    path = write(tmp_path, "glove.txt", ("\n".join(lines) + "\n").encode())
    ours = KeyedVectors.load_word2vec_format(path, no_header=True)
    theirs = GensimKV.load_word2vec_format(str(path), no_header=True)
    assert list(ours.index_to_key) == list(theirs.index_to_key)
    assert ours.vectors.tobytes() == theirs.vectors.tobytes()


@pytest.mark.parametrize("stage", ["count", "parse"])
def test_ctrl_c_stops_every_parser_thread_at_its_next_chunk(tmp_path, monkeypatch, stage):
    """Ctrl-C while several threads read a text file: the interrupt is raised once every
    thread has stopped at the end of its current chunk (1 MiB), not after the whole file,
    and no thread still reads the memory map when the loader closes it (that closing
    raised BufferError instead of the KeyboardInterrupt)."""
    import os
    import signal
    import threading
    import time

    rng = np.random.default_rng(17)
    path = tmp_path / "big.txt"
    path.write_bytes(random_text_file(rng, 40_000, 50))     # about 20 chunks of 1 MiB
    chunks = path.stat().st_size >> 20
    monkeypatch.setattr(wf, "_text_threads", lambda nbytes: 2)
    name = {"count": "count_lines", "parse": "parse_text_rows"}[stage]
    real, calls, lock = getattr(wf, name), [], threading.Lock()

    def chunk(*args, **kw):
        with lock:
            calls.append(threading.current_thread().name)
            first = len(calls) == 1
        if first:           # a real SIGINT, as a terminal sends it, while the main
            os.kill(os.getpid(), signal.SIGINT)     # thread waits for the parsers
        time.sleep(0.1)     # a chunk of a slower disk or CPU
        return real(*args, **kw)

    monkeypatch.setattr(wf, name, chunk)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            KeyedVectors.load_word2vec_format(path)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-load")]
    # each thread finishes the chunk it is in, and at most two more if the kernel handed
    # the signal to another thread than the main one (which then sees it within 0.2 s)
    assert len(calls) <= 2 * 3 < chunks, (len(calls), chunks)
