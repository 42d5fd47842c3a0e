"""The bad-input contract of docs/errors.md, row by row: what each kind of bad input gets
(exception type and a message naming the problem). Each test is named after its row.

Nothing here may crash the interpreter; the long-input rows run in a child process so
that their memory can be measured (and a crash would fail the test, not end the run).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import fields

import numpy as np
import pytest

from conftest import CHILD_CWD

from fastw2v import (CorpusError, KeyedVectors, LineSentence, ParameterError, TrainConfig,
                     VocabularyError, Word2Vec)
from fastw2v.corpus import check_iterable
from fastw2v.errors import TruncatedFileError, UndecodableError
from fastw2v.io.native import FormatError
from fastw2v.errors import EmptyQueryError

FAST = dict(vector_size=8, min_count=1, epochs=1, workers=2, progress=False)
SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 5


def run_child(code: str, *args, timeout=120):
    """Run ``code`` in a fresh interpreter; return its last stdout line parsed as JSON.
    A crash (signal) or hang fails the test with the child's stderr."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=CHILD_CWD)
    assert proc.returncode == 0, f"child exited with {proc.returncode}:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- corpus files --------------------------------------------------------------------------
def test_missing_corpus_path(tmp_path):
    missing = tmp_path / "no_such_corpus.txt"
    with pytest.raises(CorpusError, match=r"no_such_corpus\.txt.*does not exist"):
        Word2Vec(corpus_file=str(missing), **FAST)
    with pytest.raises(CorpusError, match=r"no_such_corpus\.txt.*does not exist"):
        LineSentence(missing)
    with pytest.raises(CorpusError, match=r"no_such_corpus\.txt.*does not exist"):
        Word2Vec(**FAST).build_vocab(corpus_file=str(missing))


def test_empty_corpus_directory(tmp_path):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "empty_dir" / ".hidden").write_text("hidden files are not corpus files")
    with pytest.raises(CorpusError, match=r"empty_dir.*contains no files"):
        Word2Vec(corpus_file=str(tmp_path / "empty_dir"), **FAST)
    with pytest.raises(CorpusError, match=r"empty_dir.*contains no files"):
        LineSentence(tmp_path / "empty_dir")


def test_corpus_path_that_is_not_a_file():
    # a character device: exists, is not a regular file or a directory
    with pytest.raises(CorpusError, match=r"/dev/null.*not a regular file"):
        Word2Vec(corpus_file="/dev/null", **FAST)


UNREADABLE_CHILD = """
import json, os, sys
from fastw2v import CorpusError, KeyedVectors, LineSentence, Word2Vec
import fastw2v.io.word2vec_format, fastw2v.io.native         # imported before giving up root's rights
if os.geteuid() == 0:                     # root reads anything: become 'nobody'
    os.setgid(65534)
    os.setuid(65534)
out = {"uid": os.geteuid()}
for name, call in [
        ("corpus_file", lambda: Word2Vec(corpus_file=sys.argv[1], min_count=1, progress=False)),
        ("LineSentence", lambda: LineSentence(sys.argv[1])),
        ("load_word2vec_format", lambda: KeyedVectors.load_word2vec_format(sys.argv[1])),
        ("load", lambda: KeyedVectors.load(sys.argv[1]))]:
    try:
        call()
        out[name] = ["no error", ""]
    except Exception as exc:
        out[name] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def test_unreadable_corpus_and_vector_files():
    """chmod 000 does not stop root, so the check runs in a child that, started as root,
    becomes the unprivileged user 'nobody' before reading (it must not be skipped)."""
    directory = tempfile.mkdtemp(prefix="fastw2v-unreadable-")
    try:
        os.chmod(directory, 0o755)
        path = os.path.join(directory, "locked.txt")
        with open(path, "w") as fh:
            fh.write("1 2\nsome 0.5 0.25\n")
        os.chmod(path, 0)
        out = run_child(UNREADABLE_CHILD, path)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert out.pop("uid") != 0
    for name in ("corpus_file", "LineSentence"):
        kind, msg = out[name]
        # a CorpusError that is also an OSError, as gensim's PermissionError is
        assert kind == "CorpusReadError" and "locked.txt" in msg and "not readable" in msg, out
    for name in ("load_word2vec_format", "load"):
        kind, msg = out[name]
        assert kind == "PermissionError" and "locked.txt" in msg, out


@pytest.mark.parametrize("content", [b"", b"\n\n  \t\n \r\n"], ids=["empty", "whitespace"])
def test_corpus_with_no_words(tmp_path, content):
    p = tmp_path / "nothing.txt"
    p.write_bytes(content)
    with pytest.raises(CorpusError, match="the corpus is empty"):
        Word2Vec(corpus_file=str(p), **FAST)
    with pytest.raises(CorpusError, match="the corpus is empty"):
        Word2Vec(LineSentence(p), **FAST)
    with pytest.raises(CorpusError, match="the corpus is empty"):
        Word2Vec([[], []], **FAST)
    # code written for gensim catches RuntimeError there (gensim fails when it trains)
    from gensim.models import Word2Vec as GensimWord2Vec
    for cls in (Word2Vec, GensimWord2Vec):
        with pytest.raises(RuntimeError):
            cls([], vector_size=8, min_count=1, workers=1)
    with pytest.raises(RuntimeError, match="the corpus is empty"):
        Word2Vec(corpus_file=str(p), **FAST)


def test_non_utf8_corpus_strict(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("first line\nna\xefve caf\xe9\n".encode("latin-1"))
    where = r"latin1\.txt: line 2 \(byte offset 13\) is not valid UTF-8"
    with pytest.raises(CorpusError, match=where):
        Word2Vec(corpus_file=str(p), **FAST)
    with pytest.raises(CorpusError, match=where):
        Word2Vec(LineSentence(p), **FAST)


@pytest.mark.parametrize("errors", ["replace", "ignore"])
def test_binary_garbage_corpus(tmp_path, errors):
    """Random bytes, NULs included: strict -> CorpusError; replace/ignore -> it trains."""
    rng = np.random.default_rng(5)
    data = bytearray(rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    data[100:120] = b"\0" * 20
    p = tmp_path / "garbage.bin"
    p.write_bytes(bytes(data))
    with pytest.raises(CorpusError, match=r"garbage\.bin: line \d+ \(byte offset \d+\)"):
        Word2Vec(corpus_file=str(p), **FAST)
    for model in (Word2Vec(corpus_file=str(p), unicode_errors=errors, **FAST),
                  Word2Vec(LineSentence(p, unicode_errors=errors), **FAST)):
        assert len(model.wv) > 100
        assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()
        assert model.corpus_total_words > 1000
    if errors == "replace":
        assert any("\ufffd" in w for w in model.wv.index_to_key)


def test_corrupt_compressed_corpus(tmp_path):
    p = tmp_path / "broken.txt.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(500))
    with pytest.raises(CorpusError, match=r"broken\.txt\.gz"):
        Word2Vec(corpus_file=str(p), **FAST)


LONG_LINE_CHILD = """
import json, resource, sys
import numpy as np
from fastw2v import LineSentence, Word2Vec
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kw = dict(vector_size=8, min_count=1, epochs=1, workers=2, progress=False)
Word2Vec([["warm", "up", "the", "kernels"]] * 100, **kw)
base = peak_mb()
out = {}
for name in ("corpus_file", "LineSentence"):
    m = (Word2Vec(corpus_file=sys.argv[1], **kw) if name == "corpus_file"
         else Word2Vec(LineSentence(sys.argv[1]), **kw))
    out[name] = dict(words=m.corpus_total_words, sentences=m.corpus_count, vocab=len(m.wv),
                     finite=bool(np.isfinite(m.wv.vectors).all()),
                     trained=m.epoch_stats[0].words_read)
    del m
out["peak_growth_mb"] = peak_mb() - base
print(json.dumps(out))
"""


def test_single_line_of_millions_of_words(tmp_path):
    """3 million words on one line (15 MB): trains in both input modes, and memory does
    not grow with the line (held whole as tokens it would cost about 200 MB)."""
    n, rng = 3_000_000, np.random.default_rng(1)
    vocab = np.array([f"w{i}" for i in range(1000)])
    p = tmp_path / "one_line.txt"
    with open(p, "w") as fh:
        for chunk in np.array_split(rng.integers(0, 1000, n), 30):
            fh.write(" ".join(vocab[chunk]) + " ")
    out = run_child(LONG_LINE_CHILD, p)
    for name in ("corpus_file", "LineSentence"):
        r = out[name]
        assert r["words"] == n and r["vocab"] == 1000 and r["finite"], (name, r)
        assert r["trained"] == n, (name, r)
    # gensim's count in both modes: pieces of 10,000 words (corpus_file trains the line whole)
    assert out["corpus_file"]["sentences"] == out["LineSentence"]["sentences"] == n // 10_000
    assert out["peak_growth_mb"] < 80, out


def test_word_of_ten_megabytes(tmp_path):
    giant = "x" * 10_000_000
    p = tmp_path / "giant.txt"
    p.write_text(f"a b {giant} c\nb c a {giant}\n")
    for model in (Word2Vec(corpus_file=str(p), **FAST), Word2Vec(LineSentence(p), **FAST),
                  Word2Vec([["a", giant, "b"], [giant, "c"]] * 3, **FAST)):
        assert giant in model.wv and model.wv.get_vecattr(giant, "count") >= 2
        assert np.isfinite(model.wv.vectors).all()
    model.save(tmp_path / "giant.fw2v")
    assert giant in Word2Vec.load(tmp_path / "giant.fw2v").wv
    model.wv.save_word2vec_format(tmp_path / "giant.bin", binary=True)
    assert KeyedVectors.load_word2vec_format(tmp_path / "giant.bin", binary=True).index_to_key \
        == model.wv.index_to_key


# -- sentences that are not token lists ----------------------------------------------------
@pytest.mark.parametrize("sentences,msg", [
    ("the cat sat", "single string"),
    (b"the cat sat", "single string"),
    ((s for s in SENTENCES), "iterator"),
    (iter(SENTENCES), "iterator"),
    (42, "not int"),
    ([["ok", "fine"], "a string sentence"], "sentence 1 is a str"),
    ([["ok"], b"bytes sentence"], "sentence 1 is a bytes"),
    ([["ok"], None], "sentence 1 is a NoneType"),
    ([["ok"], 7], "sentence 1 is a int"),
    ([["ok"], (w for w in ["gen"])], "sentence 1 is a generator"),
    ([["ok", 1, 2]], "tokens must be str.* 1 of type int"),
    ([["ok", None]], "tokens must be str.* None of type NoneType"),
    ([[b"bytes", b"tokens"]], "tokens must be str.*of type bytes"),
    ([["ok", ["nested"]]], "unhashable|tokens must be str"),
], ids=["str", "bytes", "generator", "iterator", "int", "str-sentence", "bytes-sentence",
        "None-sentence", "int-sentence", "generator-sentence", "int-tokens", "None-token",
        "bytes-tokens", "list-token"])
def test_sentences_that_are_not_token_lists(sentences, msg):
    with pytest.raises(TypeError, match=msg):
        Word2Vec(sentences, **FAST)


def test_no_corpus_or_two_corpora(tmp_path):
    with pytest.raises(ValueError, match="exactly one"):
        Word2Vec(**FAST).build_vocab()
    with pytest.raises(ValueError, match="either sentences or corpus_file"):
        Word2Vec(SENTENCES, corpus_file=str(tmp_path / "x.txt"), **FAST)
    with pytest.raises(TypeError, match="sentences is None"):
        check_iterable(None)


# -- vocabularies emptied by min_count -----------------------------------------------------
def test_min_count_empties_the_vocabulary(tmp_path):
    with pytest.raises(VocabularyError, match=r"min_count=50 .* occurs only 10 time"):
        Word2Vec(SENTENCES, **dict(FAST, min_count=50))
    p = tmp_path / "small.txt"
    p.write_text("a b c\nc d\n")
    with pytest.raises(VocabularyError, match=r"min_count=3 .* occurs only 2 time"):
        Word2Vec(corpus_file=str(p), **dict(FAST, min_count=3))
    with pytest.raises(VocabularyError, match=r"min_count=5 .* occurs only 4 time"):
        Word2Vec(**dict(FAST, min_count=5)).build_vocab_from_freq({"a": 4, "b": 1})


def test_corpus_with_no_word_of_the_vocabulary(tmp_path):
    m = Word2Vec(SENTENCES, **FAST)
    p = tmp_path / "other.txt"
    p.write_text("entirely different words\n")
    with pytest.raises(CorpusError, match="no word of .*other.txt.* is in the vocabulary"):
        m.train(corpus_file=str(p), epochs=1)


# -- every parameter outside its domain ----------------------------------------------------
NAN, INF = float("nan"), float("inf")
NOT_NUMBERS = ["1", None, [1], {"a": 1}, b"1"]
# whole numbers as floats (5.0) are taken as gensim's int() takes them; fractions are not
BAD_INT = NOT_NUMBERS + [2.5, 1.5, NAN, INF, True, np.float64(3.5)]
BAD_FLOAT = ["0.1", None, [0.1], NAN, INF, -INF, True, 1j]
BAD_FLAG = ["yes", "False", "", 2, -1, 0.5, 2.0, None, NAN, [1], np.float64(0.5), np.int64(2)]
# the 0/1 switches gensim passes through int() take 1.0; the booleans do not
BAD_BOOL_FLAG = BAD_FLAG + [1.0, np.float64(1.0)]
BOOL_FLAGS = {"shrink_windows", "compute_loss", "shared_negatives", "reproducible"}
# the lower edge of each numeric domain, beyond which values are rejected
BELOW = {"vector_size": [0, -1], "window": [0, -3], "min_count": [-1], "workers": [0, -2],
         "negative": [-1], "epochs": [0, -1], "max_vocab_size": [0, -5],
         "max_final_vocab": [0, -2], "alpha": [0, -0.1, 0.0], "min_alpha": [-1e-9],
         "sample": [-1e-3], "seed": [], "ns_exponent": []}
# and the upper edge, where a field has one (config.py says why each is where it is)
ABOVE = {"vector_size": [2**20 + 1, 2**40], "window": [2**31, 10**30],
         "negative": [2**20 + 1, 2**40], "workers": [4097, 2**40],
         "epochs": [2**31, 2**62]}
FLAGS = {"sg", "hs", "cbow_mean", "shrink_windows", "compute_loss", "shared_negatives",
         "reproducible"}


def bad_values(field):
    """Every out-of-domain value the contract promises to reject for one TrainConfig field,
    chosen from the field's declared type."""
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    if field.name in FLAGS:
        return BAD_BOOL_FLAG if field.name in BOOL_FLAGS else BAD_FLAG
    optional = "Optional" in kind
    if "int" in kind:
        values = BAD_INT + BELOW[field.name] + ABOVE.get(field.name, [])
    elif "float" in kind:
        values = BAD_FLOAT + BELOW[field.name]
    else:
        raise AssertionError(f"no contract case for TrainConfig.{field.name} ({kind})")
    return [v for v in values if not (optional and v is None)]


CASES = [(f.name, v) for f in fields(TrainConfig) for v in bad_values(f)]


def test_every_config_field_has_contract_cases():
    names = {f.name for f in fields(TrainConfig)}
    assert names == {n for n, _ in CASES}
    assert names == FLAGS | set(BELOW)


@pytest.mark.parametrize("name,value", CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_parameter_outside_its_domain(name, value, tmp_path):
    with pytest.raises(ParameterError, match=rf"^{name}=") as info:
        Word2Vec(corpus_file=str(tmp_path / "never_read.txt"), **{**FAST, name: value})
    assert name in str(info.value)
    with pytest.raises(ParameterError, match=rf"^{name}="):
        TrainConfig(**{name: value})
    m = Word2Vec(**FAST)
    with pytest.raises(ParameterError, match=rf"^{name}="):
        setattr(m, name, value)
    assert getattr(m, name) == FAST.get(name, getattr(TrainConfig(), name))   # unchanged


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_flags_accept_bools_numpy_bools_and_0_1(name):
    for value, expect in [(True, 1), (False, 0), (np.True_, 1), (np.False_, 0), (1, 1),
                          (0, 0), (np.int64(1), 1)]:
        if name == "shared_negatives" and expect:
            c = TrainConfig(sg=1, **{name: value})
        elif name == "hs" and not expect:
            c = TrainConfig(negative=5, **{name: value})
        else:
            c = TrainConfig(**{name: value})
        stored = getattr(c, name)
        assert stored == expect and type(stored) in (bool, int)


def test_numpy_numbers_are_accepted_and_saved(tmp_path):
    m = Word2Vec(SENTENCES, **dict(FAST, vector_size=np.int64(6), alpha=np.float32(0.05),
                                   window=np.int32(3), sg=np.int64(1), compute_loss=np.True_))
    assert type(m.vector_size) is int and type(m.alpha) is float and m.sg == 1
    m.save(tmp_path / "np.fw2v")          # the JSON header holds plain numbers
    assert Word2Vec.load(tmp_path / "np.fw2v").config == m.config


@pytest.mark.parametrize("kw,name", [
    (dict(hs=0, negative=0), "no training objective"),
    (dict(shared_negatives=True, sg=0), "shared_negatives"),
    (dict(batch_words=0), "batch_words"), (dict(batch_words=2.5), "batch_words"),
    (dict(batch_words="100"), "batch_words"),
    (dict(unicode_errors="latin-1"), "unicode_errors"),
    (dict(progress="fancy"), "progress"), (dict(progress=7), "progress"),
    (dict(trim_rule="min_count"), "trim_rule"), (dict(callbacks=5), "callbacks"),
    (dict(callbacks="cb"), "callbacks"),
])
def test_other_constructor_parameters(kw, name):
    with pytest.raises(ParameterError, match=name):
        Word2Vec(**{**FAST, **kw})


@pytest.mark.parametrize("kw,name", [
    (dict(epochs=0), "epochs"), (dict(epochs=1.5), "epochs"), (dict(epochs="2"), "epochs"),
    (dict(start_alpha=-0.1), "start_alpha"), (dict(start_alpha=NAN), "start_alpha"),
    (dict(start_alpha="0.1"), "start_alpha"), (dict(end_alpha=-1), "end_alpha"),
    (dict(end_alpha=INF), "end_alpha"), (dict(total_words=-5), "total_words"),
    (dict(total_examples="10"), "total_examples"), (dict(total_examples=1.5), "total_examples"),
    (dict(compute_loss="yes"), "compute_loss"), (dict(report_delay=-1), "report_delay"),
    (dict(total_examples=0), "total_examples"), (dict(total_words=0), "total_words"),
    (dict(report_delay=NAN), "report_delay"), (dict(callbacks=3), "callbacks"),
    (dict(progress="fancy"), "progress"),
])
def test_train_parameters(kw, name):
    m = Word2Vec(SENTENCES, **FAST)
    before = m.wv.vectors.copy()
    with pytest.raises(ParameterError, match=name):
        m.train(SENTENCES, **{"epochs": 1, "total_examples": len(SENTENCES), **kw})
    np.testing.assert_array_equal(m.wv.vectors, before)       # nothing trained
    m.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)   # and not left busy


@pytest.mark.parametrize("kw,name", [
    (dict(progress_per=0), "progress_per"), (dict(trim_rule=3), "trim_rule"),
    (dict(progress="x"), "progress"),
])
def test_build_vocab_parameters(kw, name):
    with pytest.raises(ParameterError, match=name):
        Word2Vec(**FAST).build_vocab(SENTENCES, **kw)


def test_negative_and_huge_seeds_work():
    a = Word2Vec(SENTENCES, **dict(FAST, seed=-5, workers=1))
    b = Word2Vec(SENTENCES, **dict(FAST, seed=-5, workers=1))
    c = Word2Vec(SENTENCES, **dict(FAST, seed=2 ** 70, workers=1))
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    assert np.isfinite(c.wv.vectors).all() and not np.array_equal(a.wv.vectors, c.wv.vectors)


# -- errors raised in the caller's iterable ------------------------------------------------
class FailingCorpus:
    def __iter__(self):
        yield ["a", "b"]
        raise OSError("disk went away at sentence 2")


def test_error_in_the_users_iterable_is_raised_by_train():
    m = Word2Vec(**FAST)
    m.build_vocab(SENTENCES)
    with pytest.raises(OSError, match="disk went away"):
        m.train(FailingCorpus(), total_examples=2, epochs=1)
    m.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)       # usable afterwards


# -- vector files -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(3)
    keys = [f"w{i}" for i in range(30)] + ["東京", "café"]
    return KeyedVectors(5, keys, rng.standard_normal((len(keys), 5)).astype(np.float32),
                        np.arange(len(keys), 0, -1))


def saved(kv, tmp_path, binary):
    p = tmp_path / ("good.bin" if binary else "good.txt")
    kv.save_word2vec_format(p, binary=binary)
    data = p.read_bytes()
    return data, data[data.index(b"\n") + 1:]


def load_bytes(tmp_path, name, content, **kw):
    p = tmp_path / name
    p.write_bytes(content)
    return KeyedVectors.load_word2vec_format(p, **kw)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_truncated_vector_file(kv, tmp_path, binary):
    data, _ = saved(kv, tmp_path, binary)
    # (cutting digits off a text file's last value leaves a shorter number, which is
    # what the file says: text files may end without a newline)
    cuts = [data.rindex(b" "), len(data) // 2, 12] + ([len(data) - 3] if binary else [])
    for cut in cuts:
        # TruncatedFileError: a FormatError and the EOFError gensim code catches
        with pytest.raises(TruncatedFileError, match=rf"cut_{cut}.*(truncated|promises|rows but)"):
            load_bytes(tmp_path, f"cut_{cut}", data[:cut], binary=binary)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_header_rows_differ_from_content(kv, tmp_path, binary):
    _, body = saved(kv, tmp_path, binary)
    V, d = kv.vectors.shape
    with pytest.raises(FormatError, match=rf"more_rows.*(promises {V + 1} rows|truncated)"):
        load_bytes(tmp_path, "more_rows", f"{V + 1} {d}\n".encode() + body, binary=binary)
    with pytest.raises(FormatError, match=rf"fewer_rows: header says {V - 3} rows.*limit="):
        load_bytes(tmp_path, "fewer_rows", f"{V - 3} {d}\n".encode() + body, binary=binary)
    # asking for fewer rows on purpose is fine
    part = load_bytes(tmp_path, "fewer_ok", f"{V - 3} {d}\n".encode() + body, binary=binary,
                      limit=V - 3)
    assert part.index_to_key == kv.index_to_key[:V - 3]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_header_dims_differ_from_content(kv, tmp_path, binary):
    _, body = saved(kv, tmp_path, binary)
    V, d = kv.vectors.shape
    for dims in (d - 1, d + 1, 2, d * 3):
        with pytest.raises(FormatError, match=rf"dims_{dims}.*(expected {dims}|{dims} dimensions|"
                                              rf"promises {V} rows of {dims})"):
            load_bytes(tmp_path, f"dims_{dims}", f"{V} {dims}\n".encode() + body, binary=binary,
                       unicode_errors="replace")


def test_non_numeric_value_in_text_file(tmp_path):
    with pytest.raises(FormatError, match=r"nonnum.*line 3: values are not numbers"):
        load_bytes(tmp_path, "nonnum", b"2 3\na 1 2 3\nb 1 two 3\n")


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_random_bytes_as_vector_file(tmp_path, binary):
    rng = np.random.default_rng(9)
    for i in range(20):
        data = rng.integers(0, 256, int(rng.integers(1, 4000)), dtype=np.uint8).tobytes()
        with pytest.raises(FormatError, match=f"random_{i}"):
            load_bytes(tmp_path, f"random_{i}", data, binary=binary)
    with pytest.raises(FormatError, match="random_glove"):
        load_bytes(tmp_path, "random_glove", rng.integers(0, 256, 3000, dtype=np.uint8).tobytes(),
                   no_header=True)


def test_empty_missing_and_directory_vector_files(tmp_path):
    with pytest.raises(FormatError, match=r"empty\.txt: empty file"):
        load_bytes(tmp_path, "empty.txt", b"")
    with pytest.raises(FileNotFoundError, match=r"absent\.bin.*does not exist"):
        KeyedVectors.load_word2vec_format(tmp_path / "absent.bin", binary=True)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        KeyedVectors.load_word2vec_format(tmp_path)
    with pytest.raises(FormatError, match=r"glove\.txt.*not a '<rows> <dims>' header.*no_header"):
        load_bytes(tmp_path, "glove.txt", b"the 0.1 0.2\nof 0.3 0.4\n")
    with pytest.raises(FormatError, match=r"broken\.gz: corrupt compressed"):
        load_bytes(tmp_path, "broken.gz", b"\x1f\x8b\x08\x00" + b"\x07" * 300)


def test_vector_file_with_a_word_that_is_not_utf8(tmp_path):
    # UndecodableError: a FormatError and the UnicodeDecodeError gensim code catches
    with pytest.raises(UndecodableError, match=r"latin\.txt: line 3: word .* not valid utf8.*unicode_errors"):
        load_bytes(tmp_path, "latin.txt", b"2 1\nok 1\ncaf\xe9 2\n")
    (tmp_path / "ok.txt").write_bytes(b"1 1\nok 1\n")
    (tmp_path / "latin.vocab").write_bytes(b"ok 3\ncaf\xe9 2\n")
    with pytest.raises(UndecodableError, match=r"latin\.vocab: line 2: word .* not valid utf8.*unicode_errors"):
        KeyedVectors.load_word2vec_format(tmp_path / "ok.txt", fvocab=tmp_path / "latin.vocab")


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_vector_file_of_the_other_kind(kv, tmp_path, binary):
    data, _ = saved(kv, tmp_path, not binary)
    other = "text" if binary else "binary"
    with pytest.raises(FormatError, match=rf"other: this looks like a {other} file.*pass binary={not binary}"):
        load_bytes(tmp_path, "other", data, binary=binary)


# -- native .fw2v files --------------------------------------------------------------------
@pytest.fixture(scope="module")
def native_files(tmp_path_factory, kv):
    d = tmp_path_factory.mktemp("native")
    Word2Vec(SENTENCES, **FAST).save(d / "model.fw2v")
    kv.save(d / "kv.fw2v")
    return {"model": ((d / "model.fw2v").read_bytes(), Word2Vec.load),
            "kv": ((d / "kv.fw2v").read_bytes(), KeyedVectors.load),
            # KeyedVectors.load reads a model file's wv
            "model-wv": ((d / "model.fw2v").read_bytes(), KeyedVectors.load)}


@pytest.mark.parametrize("which", ["model", "kv", "model-wv"])
def test_native_file_truncated(native_files, tmp_path, which):
    data, load = native_files[which]
    for cut in (len(data) - 1, len(data) // 2, 100, 19, 5, 0):
        p = tmp_path / f"cut_{cut}.fw2v"
        p.write_bytes(data[:cut])
        with pytest.raises(FormatError, match=rf"cut_{cut}\.fw2v.*(truncated|too short|corrupt)"):
            load(p)


@pytest.mark.parametrize("which", ["model", "kv", "model-wv"])
def test_native_file_corrupt_header(native_files, tmp_path, which):
    data, load = native_files[which]
    header_len = int.from_bytes(data[12:20], "little")
    header = data[20:20 + header_len]
    cases = {
        "magic": b"NOTAFILE" + data[8:],
        "version": data[:8] + (99).to_bytes(4, "little") + data[12:],
        "json": data[:20] + b"{" + os.urandom(header_len - 1) + data[20 + header_len:],
        "length": data[:12] + (2 ** 40).to_bytes(8, "little") + data[20:],
        "shape": data[:20] + header.replace(b'"shape": [', b'"shape": [999999, ', 1)
        + data[20 + header_len:],
        "dtype": data[:20] + header.replace(b'"<f4"', b'"|O8"', 1) + data[20 + header_len:],
    }
    for name, content in cases.items():
        p = tmp_path / f"bad_{name}.fw2v"
        p.write_bytes(content)
        with pytest.raises(FormatError, match=rf"bad_{name}\.fw2v"):
            load(p)


def test_native_file_of_the_other_kind(native_files, tmp_path):
    (tmp_path / "m.fw2v").write_bytes(native_files["model"][0])
    (tmp_path / "k.fw2v").write_bytes(native_files["kv"][0])
    with pytest.raises(FormatError, match=r"k\.fw2v: not a fastw2v Word2Vec file"):
        Word2Vec.load(tmp_path / "k.fw2v")
    # a model file gives its wv, as a gensim model file does (gensim: the whole model)
    wv, model = KeyedVectors.load(tmp_path / "m.fw2v"), Word2Vec.load(tmp_path / "m.fw2v")
    assert type(wv) is KeyedVectors and wv.index_to_key == model.wv.index_to_key
    assert np.array_equal(wv.vectors, model.wv.vectors)
    assert np.array_equal(wv.expandos["count"], model.wv.expandos["count"])
    assert np.array_equal(wv.vectors_lockf, model.wv.vectors_lockf)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Word2Vec.load(tmp_path / "absent.fw2v")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        KeyedVectors.load(tmp_path)
    (tmp_path / "w2v.txt").write_bytes(b"3 2\nword 0.5 0.5\nother 0.25 0.5\nthird 1 2\n")
    with pytest.raises(FormatError, match=r"w2v\.txt: not a fastw2v model file"):
        Word2Vec.load(tmp_path / "w2v.txt")


# -- queries -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    return Word2Vec(SENTENCES, **FAST).wv


@pytest.mark.parametrize("query", [
    lambda wv: wv["zebra"], lambda wv: wv.most_similar("zebra"),
    lambda wv: wv.most_similar(positive=["cat"], negative=["zebra"]),
    lambda wv: wv.most_similar_cosmul(["cat", "zebra"]), lambda wv: wv.similarity("cat", "zebra"),
    lambda wv: wv.most_similar_batch(["cat", "zebra"]), lambda wv: wv.distances("zebra"),
    lambda wv: wv.n_similarity(["cat"], ["zebra"]), lambda wv: wv.rank("cat", "zebra"),
    lambda wv: wv.get_vecattr("zebra", "count"),
], ids=["getitem", "most_similar", "negative", "cosmul", "similarity", "batch", "distances",
        "n_similarity", "rank", "vecattr"])
def test_unknown_word_in_a_query(trained, query):
    with pytest.raises(KeyError, match="'zebra' not present"):
        query(trained)


@pytest.mark.parametrize("query", [
    lambda wv: wv.most_similar([]), lambda wv: wv.most_similar(None),
    lambda wv: wv.most_similar_cosmul([]), lambda wv: wv.n_similarity([], ["cat"]),
    lambda wv: wv.doesnt_match([]), lambda wv: wv.doesnt_match(["zebra", "okapi"]),
    lambda wv: wv.get_mean_vector([]),
], ids=["most_similar", "None", "cosmul", "n_similarity", "doesnt_match", "all_unknown", "mean"])
def test_empty_query(trained, query):
    with pytest.raises(EmptyQueryError, match="no input|empty"):
        query(trained)
    assert issubclass(EmptyQueryError, ValueError)


def test_query_vector_of_the_wrong_shape(trained):
    with pytest.raises(ValueError, match=r"shape \(3,\), expected \(8,\)"):
        trained.similar_by_vector(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="3 columns, expected 8"):
        trained.most_similar_batch(np.zeros((2, 3), np.float32))
    assert trained.most_similar_batch([]) == []
    with pytest.raises(ValueError, match="topn"):
        trained.most_similar_batch(["cat"], topn=0)


def test_review_found_bad_inputs_get_clear_errors(tmp_path):
    """A batch_words whose buffer size overflowed corrupted the heap; a negative
    max_sentence_length cut lines into empty pieces for ever; a tiny max_vocab_size gave
    an IndexError; a one-word hs model saved but did not load again."""
    from fastw2v import EmptyVocabularyError, ParameterError, PathLineSentences
    for bw in (2 ** 62, 2 ** 62 - 1024, 0):
        with pytest.raises(ParameterError, match="batch_words"):
            Word2Vec([["a", "b"] * 5] * 3, min_count=1, workers=1, batch_words=bw)
    p = tmp_path / "c.txt"
    p.write_text("x y z\n")
    for cls in (LineSentence, PathLineSentences):
        for bad in (-1, "x", 2.5):
            with pytest.raises(ValueError, match="max_sentence_length"):
                cls(p, max_sentence_length=bad)
    with pytest.raises(EmptyVocabularyError, match="max_vocab_size=10 pruned every word"):
        Word2Vec([[f"w{i}" for i in range(200)]] * 15, max_vocab_size=10, min_count=1)
    m = Word2Vec([["a", "a", "a"]] * 10, vector_size=4, min_count=1, hs=1, negative=0)
    m.save(tmp_path / "one.fw2v")
    back = Word2Vec.load(tmp_path / "one.fw2v")
    np.testing.assert_array_equal(back.syn1, m.syn1)
    assert back.state.huffman().points.tolist() == [0]


# -- limits, crafted headers, full disks, joined files (the loader/CLI review) ------------
@pytest.mark.parametrize("mode", [dict(sg=1), dict(sg=0), dict(sg=1, shared_negatives=True),
                                  dict(sg=0, hs=1, negative=0)],
                         ids=["sg", "cbow", "sg-shared", "cbow-hs"])
def test_the_largest_window_trains_whole_sentences(small_text_file, mode):
    """window is a C int: 2**31 - 1 used to overflow the window's bounds and the size of
    the context buffers. Its lines are 50 words long, so without shrinking a window of 50
    already covers each line, and the largest window must train exactly as that one."""
    kw = dict(vector_size=16, min_count=5, epochs=1, workers=1, seed=3,
              shrink_windows=False, progress=False, **mode)
    small = Word2Vec(corpus_file=small_text_file, window=50, **kw)
    huge = Word2Vec(corpus_file=small_text_file, window=2**31 - 1, **kw)
    assert np.isfinite(huge.wv.vectors).all()
    np.testing.assert_array_equal(huge.wv.vectors, small.wv.vectors)
    narrow = Word2Vec(corpus_file=small_text_file, window=5, **kw)
    assert not np.array_equal(narrow.wv.vectors, small.wv.vectors)


def test_counts_beyond_int64(tmp_path):
    """Counts are int64: a larger one gave an OverflowError from NumPy."""
    p = tmp_path / "huge.vocab"
    p.write_text("the 99999999999999999999999\nof 5\n")
    with pytest.raises(VocabularyError, match=r"huge.vocab: line 1: count 9+ is more than"):
        Word2Vec(**FAST).read_vocab(p)
    p.write_text(f"the {2**63 - 1}\nof {2**63 - 1}\n")
    with pytest.raises(VocabularyError, match="add up to"):
        Word2Vec(**FAST).read_vocab(p)
    for bad in (2**63, -1, float("nan"), 2.5, "3", None):
        with pytest.raises(VocabularyError, match="count of 'a'"):
            Word2Vec(**FAST).build_vocab_from_freq({"a": bad, "b": 2})
    m = Word2Vec(**FAST)
    m.build_vocab_from_freq({"a": 3.0, "b": np.int64(2)})      # whole numbers, as gensim
    assert [m.wv.get_vecattr(w, "count") for w in ("a", "b")] == [3, 2]


def test_tokens_longer_than_a_block_are_read_whole(tmp_path, monkeypatch):
    """A token running over many read blocks is gathered in pieces and joined once (it was
    re-joined and searched again for each block: quadratic in its length)."""
    from fastw2v.corpus import sources
    monkeypatch.setattr(sources, "BLOCK_BYTES", 7)
    long = "x" * 1000
    p = tmp_path / "c.txt"
    p.write_text(f"a {long} b\nc {long}\n{long}")
    blocks = list(sources.iter_blocks(str(p)))
    assert b"".join(raw for raw, _, _ in blocks) == p.read_bytes()
    assert [text.split() for _, text, _ in blocks if text.split()] and \
        " ".join(t for _, t, _ in blocks).split() == ["a", long, "b", "c", long, long]
    assert list(LineSentence(p)) == [["a", long, "b"], ["c", long], [long]]


def _rewrite_header(data: bytes, edit) -> bytes:
    """The native file ``data`` with its JSON header changed in place by ``edit(header)``,
    or replaced by the bytes ``edit`` returns; the arrays keep their offsets from the
    (re-aligned) start of the data."""
    n = int.from_bytes(data[12:20], "little")
    header = json.loads(data[20:20 + n])
    raw = edit(header)
    raw = raw if isinstance(raw, bytes) else json.dumps(header).encode()
    start, old_start = (-(-(20 + k) // 64) * 64 for k in (len(raw), n))
    return (data[:12] + len(raw).to_bytes(8, "little") + raw
            + b"\0" * (start - 20 - len(raw)) + data[old_start:])


def test_native_header_values_are_checked(tmp_path):
    """A crafted header's values reached training unchecked: a NaN lockf trained every
    vector to NaN, strings stood where counts belong, JSON nested 100,000 deep raised
    RecursionError, float counts were truncated."""
    m = Word2Vec(SENTENCES, **FAST)
    m.save(tmp_path / "m.fw2v")
    data = (tmp_path / "m.fw2v").read_bytes()

    def meta(key, value):
        return lambda h: h["meta"].__setitem__(key, value)

    def dtype(array, value):
        return lambda h: h["arrays"][array].__setitem__("dtype", value)

    bad = {"epochs_trained": meta("epochs_trained", "5"), "batch_words": meta("batch_words", 2**62),
           "epoch_losses": meta("epoch_losses", "x"), "unicode_errors": meta("unicode_errors", "no"),
           "vocab_total_words": meta("vocab_total_words", -4), "config": meta("config", [1]),
           "nested": lambda h: b'{"meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
           "counts": dtype("counts", "<f8"), "null_word": meta("null_word", 7),
           "train_count": meta("train_count", -1),
           "total_train_time": meta("total_train_time", "1 s"),
           "lifecycle_events": meta("lifecycle_events", ["x"])}
    for name, edit in bad.items():
        p = tmp_path / f"bad_{name}.fw2v"
        p.write_bytes(_rewrite_header(data, edit))
        with pytest.raises(FormatError, match=rf"bad_{name}\.fw2v: corrupt"):
            Word2Vec.load(p)
    # a float32 matrix of the other byte order is a valid file: it trains, as native
    for name in ("vectors", "syn1neg"):
        p = tmp_path / f"be_{name}.fw2v"
        swapped = m.wv.vectors if name == "vectors" else m.syn1neg
        raw = _rewrite_header(data, dtype(name, ">f4"))
        p.write_bytes(raw)
        back = Word2Vec.load(p)
        # the same bytes read big-endian: each value's bytes reversed
        np.testing.assert_array_equal(back.wv.vectors if name == "vectors" else back.syn1neg,
                                      swapped.byteswap())
        back.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    # NaN lockf: refused on load and before training
    m.wv.vectors_lockf = np.full(1, np.nan, np.float32)
    with pytest.raises(ValueError, match="vectors_lockf holds values that are not finite"):
        m.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    m.save(tmp_path / "nan.fw2v")
    with pytest.raises(FormatError, match="nan.fw2v: corrupt.*vectors_lockf"):
        Word2Vec.load(tmp_path / "nan.fw2v")
    m.wv.save(tmp_path / "nan_kv.fw2v")
    with pytest.raises(FormatError, match="nan_kv.fw2v: corrupt.*vectors_lockf"):
        KeyedVectors.load(tmp_path / "nan_kv.fw2v")


def test_a_full_disk_names_the_file(tmp_path, monkeypatch):
    """ENOSPC comes without a file name: a save said only 'No space left on device'. The
    device /dev/full stands in for a full disk."""
    import errno
    from fastw2v.io import native
    m = Word2Vec(SENTENCES, **FAST)
    with pytest.raises(OSError, match="/dev/full") as info:
        m.wv.save_word2vec_format("/dev/full", append=True)
    assert info.value.errno == errno.ENOSPC
    real_fdopen = os.fdopen

    def full_fdopen(fd, *args, **kwargs):
        os.close(fd)
        return open("/dev/full", "wb", buffering=0)

    monkeypatch.setattr(native.os, "fdopen", full_fdopen)
    for save, name in ((m.save, "m.fw2v"), (m.wv.save, "kv.fw2v"),
                       (m.wv.save_word2vec_format, "v.txt"),
                       (m.wv.save_word2vec_format, "v.txt.gz")):
        with pytest.raises(OSError, match=rf"No space left.*{name}") as info:
            save(str(tmp_path / name))
        assert info.value.errno == errno.ENOSPC
        assert not os.listdir(tmp_path)             # no temporary file left behind
    monkeypatch.setattr(native.os, "fdopen", real_fdopen)
    # the encoded corpus's temporary file
    from fastw2v.corpus import encode
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\n" * 10)
    monkeypatch.setattr(encode.os, "fdopen", full_fdopen)
    with pytest.raises(OSError, match=r"No space left.*encoded corpus.*TMPDIR"):
        encode.EncodedCorpus(str(corpus), {"the": 0, "cat": 1}, tmp_dir=str(tmp_path))
    assert os.listdir(tmp_path) == ["c.txt"]


@pytest.mark.parametrize("tool,suffix", [("bz2", ".bz2"), ("lzma", ".xz")])
def test_bytes_after_a_compressed_stream(tmp_path, tool, suffix):
    """The standard library's bzip2 and xz readers stop at the first bytes that are not a
    stream and drop the rest unread; gzip's refuses them. Now all refuse them, and
    still read joined streams and zero padding."""
    import importlib
    compress = importlib.import_module(tool).compress
    one, two = compress(b"the cat sat\n"), compress(b"a dog ran\n")
    cases = {"joined": one + two, "padded": one + bytes(8), "garbage": one + b"GARBAGE",
             "garbage_later": one + two + b"\x01junk"}
    for name, content in cases.items():
        (tmp_path / f"{name}.txt{suffix}").write_bytes(content)
    assert list(LineSentence(tmp_path / f"joined.txt{suffix}")) == \
        [["the", "cat", "sat"], ["a", "dog", "ran"]]
    assert list(LineSentence(tmp_path / f"padded.txt{suffix}")) == [["the", "cat", "sat"]]
    for name in ("garbage", "garbage_later"):
        path = tmp_path / f"{name}.txt{suffix}"
        with pytest.raises(CorpusError, match=rf"{name}.txt.*trailing garbage"):
            list(LineSentence(path))
        with pytest.raises(CorpusError, match=rf"{name}.txt.*trailing garbage"):
            Word2Vec(corpus_file=str(path), **FAST)
    m = Word2Vec(SENTENCES, **FAST)
    for binary in (False, True):
        p = tmp_path / f"v{binary}{suffix}"
        m.wv.save_word2vec_format(str(p), binary=binary)
        p.write_bytes(p.read_bytes() + b"GARBAGE")
        with pytest.raises(FormatError, match="trailing garbage"):
            KeyedVectors.load_word2vec_format(str(p), binary=binary)


def test_cli_reports_memory_and_overflow_errors(monkeypatch, capsys):
    """The CLI printed a traceback for MemoryError (a huge -size) and OverflowError."""
    from fastw2v.cli import app
    for exc in (MemoryError("cannot allocate a 9 x 9 float32 matrix"), OverflowError("big")):
        def boom(*args, **kwargs):
            raise exc
        monkeypatch.setattr(app, "cmd_train", boom)
        assert app.main(["-train", "x.txt", "-output", "y.bin"]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(exc) in err


def test_every_exception_class_is_importable_from_the_package():
    """docs/errors.md: every class is importable from ``fastw2v`` and is also the
    built-in gensim code catches."""
    import pickle
    import fastw2v
    from fastw2v import errors
    for name in errors.__all__:
        assert getattr(fastw2v, name) is getattr(errors, name), name
    assert issubclass(fastw2v.TruncatedPickleError, (EOFError, pickle.UnpicklingError))
    assert issubclass(fastw2v.TruncatedPickleError, pickle.UnpicklingError)
    assert issubclass(fastw2v.CorruptPickleError, pickle.UnpicklingError)
    assert issubclass(fastw2v.MissingFileError, FileNotFoundError)
    assert issubclass(fastw2v.MissingFileError, ValueError)
