"""The C tool's command line writes the C tool's files: ``</s>`` first in vector and
vocabulary files (so that the C tool's own ``-read-vocab`` reads them back), its text
format, its lines on standard output, its k-means word classes (``-classes``) and its
parsing of repeated and boolean flags."""
import gzip
import subprocess
import sys

import numpy as np
import pytest

from conftest import CHILD_CWD

from fastw2v import KeyedVectors
from fastw2v.cli.ctool import parse_c_args, sentence_end_row, UsageError
from fastw2v.vectors.clusters import word_classes


def run(*args):
    cmd = [sys.executable, "-m", "fastw2v"] + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=CHILD_CWD,
                          timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, small_text_file):
    """The small sample, 50 words a line, its last line without a line break."""
    out = tmp_path_factory.mktemp("ctool") / "corpus.txt"
    text = open(small_text_file, encoding="utf-8").read()
    out.write_text(text.rstrip("\n"), encoding="utf-8")
    return out


FLAGS = ("-size", "12", "-iter", "1", "-threads", "1", "-min-count", "10")


def reference_sentence_end_row(size):
    """The C tool's initialisation of its first input row, step by step."""
    r, out = 1, []
    for _ in range(size):
        r = (r * 25214903917 + 11) % 2**64
        out.append(np.float32(((r % 65536) / 65536 - 0.5) / size))
    return np.array(out, dtype=np.float32)


def test_sentence_end_row_is_the_c_tools():
    # printed by the C tool (word2vec 0.11.1, -size 4) for its '</s>' row
    np.testing.assert_allclose(sentence_end_row(4),
                               [0.100067, 0.110485, -0.095757, -0.081951], atol=5e-7)
    for size in (1, 7, 300):
        np.testing.assert_array_equal(sentence_end_row(size), reference_sentence_end_row(size))


def test_text_vectors_and_vocabulary_as_the_c_tool_writes_them(corpus, tmp_path):
    out, voc = tmp_path / "v.txt", tmp_path / "v.vocab"
    r = run("-train", corpus, "-output", out, "-save-vocab", voc, *FLAGS)
    assert r.returncode == 0, r.stderr
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    rows = lines[1:-1]
    n, d = map(int, lines[0].split())
    assert (n, d) == (len(rows), 12)
    first = rows[0].split(b" ")
    # '</s>' first, '%lf ' values: six decimals and a space after each, the last one too
    assert first[0] == b"</s>" and first[-1] == b"" and len(first) == 14
    assert [x.decode() for x in first[1:-1]] == [f"{v:f}" for v in sentence_end_row(12)]
    assert all(len(row.split(b" ")) == 14 and row.endswith(b" ") for row in rows)
    assert all(len(v.split(b".")[1]) == 6 for v in rows[5].split(b" ")[1:-1])
    # the vocabulary: '</s>' and the corpus's line breaks, then the words the vectors hold
    vocab = [ln.split(" ") for ln in voc.read_text(encoding="utf-8").splitlines()]
    text = corpus.read_bytes()
    assert vocab[0] == ["</s>", str(text.count(b"\n"))]
    assert [w for w, _ in vocab] == [row.split(b" ")[0].decode() for row in rows]
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.index_to_key[0] == "</s>" and len(kv) == n
    # the C tool's lines on standard output
    assert r.stdout.splitlines() == [
        f"Starting training using file {corpus}", f"Vocab size: {n}",
        f"Words in train file: {sum(int(c) for _, c in vocab)}"]
    assert "Vocab size" not in r.stderr


def test_binary_vectors_and_read_back(corpus, tmp_path):
    out = tmp_path / "v.bin"
    r = run("-train", corpus, "-output", out, "-binary", "1", "-debug", "0", *FLAGS)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"Starting training using file {corpus}\n"     # as the C tool
    assert r.stderr == ""
    head = out.read_bytes()[:200]
    n = int(head.split(b" ")[0])
    assert head.startswith(f"{n} 12\n</s> ".encode())
    assert head[len(f"{n} 12\n</s> "):][:48] == sentence_end_row(12).astype("<f4").tobytes()
    assert head[len(f"{n} 12\n</s> ") + 48:][:1] == b"\n"
    from gensim.models import KeyedVectors as GensimKV
    g = GensimKV.load_word2vec_format(str(out), binary=True)
    assert len(g) == n and g.index_to_key[0] == "</s>"


def test_sentence_end_count_with_a_directory_and_the_read_vocab_file(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.txt").write_text("x y z x\ny x\n\nz z", encoding="utf-8")       # 3 line breaks
    (d / "b.txt").write_text("x y\n", encoding="utf-8")                     # 1
    voc = tmp_path / "v.vocab"
    r = run("-train", d, "-save-vocab", voc, "-min-count", "1")
    assert r.returncode == 0, r.stderr
    lines = voc.read_text().splitlines()
    assert lines[:2] == ["</s> 4", "x 4"] and sorted(lines[2:]) == ["y 3", "z 3"]
    assert r.stdout.splitlines()[1:] == ["Vocab size: 4", "Words in train file: 14"]
    # read back: '</s>' takes the file's count again, and is no word to train
    out = tmp_path / "v.txt"
    r = run("-train", d, "-read-vocab", voc, "-output", out, "-min-count", "1", "-size", "3",
            "-iter", "1", "-threads", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == ["Vocab size: 4", "Words in train file: 14"]
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.index_to_key[0] == "</s>" and sorted(kv.index_to_key[1:]) == ["x", "y", "z"]


def test_sentence_end_count_with_unterminated_blank_lines(tmp_path):
    """A last line of spaces without a line break is no sentence (corpus_count skips
    it) and has no '</s>' in the C tool either; the count never goes below 0."""
    for files, ends in (({"a.txt": "a b a\n   "}, 1), ({"a.txt": "x y x", "b.txt": " "}, 0),
                        ({"a.txt": "x y\n\n x"}, 2)):
        d = tmp_path / f"c{ends}{len(files)}"
        d.mkdir()
        for name, text in files.items():
            (d / name).write_text(text, encoding="utf-8")
        voc = tmp_path / f"v{ends}{len(files)}.vocab"
        r = run("-train", d, "-save-vocab", voc, "-min-count", "1")
        assert r.returncode == 0, r.stderr
        assert voc.read_text().splitlines()[0] == f"</s> {ends}", files


def test_a_corpus_word_spelled_like_the_sentence_end(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a </s> b a\nb a </s>\n", encoding="utf-8")
    out, voc = tmp_path / "v.txt", tmp_path / "v.vocab"
    r = run("-train", corpus, "-output", out, "-save-vocab", voc, "-min-count", "1",
            "-size", "3", "-iter", "1", "-threads", "1")
    assert r.returncode == 0, r.stderr
    lines = voc.read_text().splitlines()
    assert lines[0] == "</s> 4" and sum(ln.startswith("</s> ") for ln in lines) == 1
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.index_to_key.count("</s>") == 1 and len(kv) == 3


def test_flags_parse_as_the_c_tool_parses_them():
    a = parse_c_args(["-train", "c.txt", "-size", "5", "-size", "7", "-cbow", "2",
                      "-binary", "-1", "-hs", "3"])
    assert a.vector_size == 5                             # the first value counts
    assert a.c_notes == ["-size given again (7): the first value (5) is used, as in the C tool"]
    assert (a.sg, a.binary, a.hs) == (0, True, 1)         # any other integer is "on"
    with pytest.raises(UsageError, match="-classes must be >= 0"):
        parse_c_args(["-train", "c.txt", "-classes", "-1"])
    with pytest.raises(UsageError, match="-classes writes"):
        parse_c_args(["-train", "c.txt", "-classes", "3", "-output", "m.fw2v"])
    assert parse_c_args(["-train", "c.txt", "-classes", "30"]).classes == 30
    # numbers in ASCII digits only (Python's int() and float() take more)
    for flag, raw in (("-size", "1_0"), ("-size", "\u0661\u0660"), ("-size", " 10"),
                      ("-alpha", "0_1"), ("-alpha", "nan"), ("-sample", "\u0661e-3")):
        with pytest.raises(UsageError, match="expected an? (integer|number)"):
            parse_c_args(["-train", "c.txt", flag, raw])
    a = parse_c_args(["-train", "c.txt", "-size", "+10", "-alpha", ".05", "-sample", "1E-4",
                      "-min-count", "-3"])
    assert (a.vector_size, a.alpha, a.sample, a.min_count) == (10, 0.05, 1e-4, -3)


@pytest.mark.parametrize("flags,message", [
    (["-size", "-5"], "error: -size -5 is invalid: -size must be an integer"),
    (["-threads", "0"], "error: -threads 0 is invalid: -threads must be"),
    (["-hs", "0", "-negative", "0"], "set -hs 1 (hierarchical softmax) and/or -negative > 0"),
    (["-min-count", "10000000"], "-min-count 10000000 but the most frequent"),
])
def test_errors_name_the_c_tools_flags(corpus, tmp_path, flags, message):
    r = run("-train", corpus, "-output", tmp_path / "v.txt", "-iter", "1", *flags)
    assert r.returncode in (1, 2) and message in r.stderr, r.stderr
    assert "vector_size" not in r.stderr and "Traceback" not in r.stderr


def test_repeated_flag_warns_on_stderr(corpus, tmp_path):
    out = tmp_path / "v.txt"
    r = run("-train", corpus, "-output", out, "-size", "6", "-size", "9", "-iter", "1",
            "-threads", "1", "-min-count", "10")
    assert r.returncode == 0, r.stderr
    assert "warning: -size given again (9): the first value (6) is used" in r.stderr
    assert out.read_text().split("\n", 1)[0].endswith(" 6")


def test_classes_are_the_k_means_of_the_written_vectors(corpus, tmp_path):
    # (word_classes itself is checked against the C tool's definition below)
    vec, cls = tmp_path / "v.bin", tmp_path / "classes.txt"
    # one thread and the fixed seed: both runs train the same vectors
    r = run("-train", corpus, "-output", vec, "-binary", "1", *FLAGS)
    assert r.returncode == 0, r.stderr
    r = run("-train", corpus, "-output", cls, "-classes", "20", *FLAGS)
    assert r.returncode == 0, r.stderr
    r = run("-train", corpus, "-output", tmp_path / "classes.txt.gz", "-classes", "20", *FLAGS)
    # compressed by its name, as vectors are
    assert r.returncode == 0 and gzip.open(tmp_path / "classes.txt.gz").read() == cls.read_bytes()
    kv = KeyedVectors.load_word2vec_format(vec, binary=True)
    lines = [ln.split(" ") for ln in cls.read_text(encoding="utf-8").splitlines()]
    assert [w for w, _ in lines] == kv.index_to_key            # '</s>' first, vocab order
    got = np.array([int(c) for _, c in lines])
    np.testing.assert_array_equal(got, word_classes(kv.vectors, classes=20))
    assert got.min() >= 0 and got.max() < 20 and len(set(got.tolist())) > 5


def test_read_vocab_takes_unicode_errors(corpus, tmp_path):
    voc = tmp_path / "latin1.vocab"
    voc.write_bytes(b"</s> 3\nthe 100\ncaf\xe9 20\nof 50\n")
    out = tmp_path / "v.txt"
    r = run("-train", corpus, "-read-vocab", voc, "-output", out, "-min-count", "1", "-size",
            "3", "-iter", "1", "-threads", "1", "-debug", "0")
    assert r.returncode == 1 and "line 3" in r.stderr
    r = run("-train", corpus, "-read-vocab", voc, "-output", out, "-min-count", "1", "-size",
            "3", "-iter", "1", "-threads", "1", "-debug", "0", "-unicode-errors", "replace")
    assert r.returncode == 0, r.stderr
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.index_to_key == ["</s>", "the", "of", "caf\ufffd"]


# -- word_classes against its definition ----------------------------------------------------
def reference_classes(x, k, rounds=10):
    """The C tool's k-means, one word and one class at a time, in float64."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    cl = [a % k for a in range(n)]
    for _ in range(rounds):
        cent = np.zeros((k, x.shape[1]))
        cnt = np.ones(k)
        for c in range(n):
            cent[cl[c]] += x[c]
            cnt[cl[c]] += 1
        usable = []
        for b in range(k):
            cent[b] /= cnt[b]
            norm = np.sqrt(np.dot(cent[b], cent[b]))
            usable.append(norm > 0)
            if norm > 0:
                cent[b] /= norm
        for c in range(n):
            best, best_id = -10.0, 0
            for b in range(k):
                if usable[b]:
                    s = float(np.dot(cent[b], x[c]))
                    if s > best:
                        best, best_id = s, b
            cl[c] = best_id
    return np.array(cl)


@pytest.mark.parametrize("n,k", [(60, 4), (40, 7), (9, 20), (1, 3)])
def test_word_classes_follow_the_definition(n, k):
    rng = np.random.default_rng(n * 100 + k)
    # clustered data with well-separated scores, so float32 and float64 agree
    centres = rng.normal(size=(3, 5)) * 4
    x = (centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 5)) * 0.3).astype(np.float32)
    np.testing.assert_array_equal(word_classes(x, classes=k), reference_classes(x, k))
    # rows split over several matrices: the same classes
    np.testing.assert_array_equal(word_classes(x[:1], x[1:], classes=k),
                                  word_classes(x, classes=k))
    for rounds in (0, 1, 2):
        np.testing.assert_array_equal(word_classes(x, classes=k, rounds=rounds),
                                      reference_classes(x, k, rounds))


def test_word_classes_edge_cases():
    # a zero vector, a class left empty, a word far below the floor: class 0
    x = np.array([[0, 0], [1, 0], [1, 0.1], [-20, 0], [0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(word_classes(x, classes=2), reference_classes(x, 2))
    assert word_classes(x, classes=2)[0] == 0
    nan = x.copy()
    nan[4] = np.nan
    assert word_classes(nan, classes=2)[4] == 0
    assert word_classes(np.zeros((0, 3), np.float32), classes=4).shape == (0,)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="classes must be a positive integer"):
            word_classes(x, classes=bad)
    with pytest.raises(ValueError, match="differ in width"):
        word_classes(x, np.zeros((2, 3), np.float32), classes=2)
