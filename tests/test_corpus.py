import bz2
import gzip
import lzma

import numpy as np
import pytest

from fastw2v import CorpusError, LineSentence, Text8Corpus, corpus
from fastw2v.corpus import EncodedCorpus, check_iterable, iter_file_pieces, iter_file_sentences

TEXT = "the cat sat\non the mat\n\nthe end"


def sentences_of(path, **kw):
    return list(iter_file_sentences(path, **kw))


@pytest.mark.parametrize("ext,opener", [("", open), (".gz", gzip.open), (".bz2", bz2.open),
                                        (".xz", lzma.open)])
def test_plain_and_compressed_files(tmp_path, ext, opener):
    p = tmp_path / f"c.txt{ext}"
    with opener(p, "wb") as fh:
        fh.write(TEXT.encode())
    assert sentences_of(p) == [["the", "cat", "sat"], ["on", "the", "mat"], ["the", "end"]]


def test_directory_of_files_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_text("two words")
    (tmp_path / "a.txt").write_text("one\n")
    assert sentences_of(tmp_path) == [["one"], ["two", "words"]]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="no files"):
        sentences_of(empty)


def test_long_lines_are_never_truncated(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "_BLOCK_BYTES", 64)      # force many blocks per line
    words = [f"w{i}" for i in range(5000)]
    p = tmp_path / "long.txt"
    p.write_text(" ".join(words) + "\nshort line\n" + "x" * 1000 + " tail")
    got = sentences_of(p)
    assert got == [words, ["short", "line"], ["x" * 1000, "tail"]]
    pieces = list(iter_file_pieces(p))
    assert sum(len(t) for t, _ in pieces) == 5004 and sum(e for _, e in pieces) == 3


def test_line_sentence_splits_long_lines_in_pieces(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text(" ".join(map(str, range(25))) + "\na b\n")
    got = list(LineSentence(p, max_sentence_length=10))
    assert [len(s) for s in got] == [10, 10, 5, 2]
    assert sum(got, []) == [str(i) for i in range(25)] + ["a", "b"]
    assert list(LineSentence(p, max_sentence_length=100, limit=1)) == [[str(i) for i in range(25)]]
    assert list(Text8Corpus(p, max_sentence_length=1000))[0][:2] == ["0", "1"]


def test_non_utf8_strict_names_file_line_and_offset(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"good line\nbad \xff\xfe byte\n")
    with pytest.raises(CorpusError, match=r"bad\.txt: line 2 \(byte offset 14\) is not valid UTF-8"):
        sentences_of(p)
    assert sentences_of(p, unicode_errors="replace") == [["good", "line"], ["bad", "\ufffd\ufffd", "byte"]]
    assert sentences_of(p, unicode_errors="ignore")[1] == ["bad", "byte"]
    with pytest.raises(ValueError, match="unicode_errors"):
        sentences_of(p, unicode_errors="bogus")


def test_binary_garbage_is_a_clear_error(tmp_path):
    p = tmp_path / "garbage.bin"
    p.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)))
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        sentences_of(p)


def test_missing_and_unreadable(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        sentences_of(tmp_path / "nope.txt")
    with pytest.raises(CorpusError, match="does not exist"):
        LineSentence(tmp_path / "nope.txt")
    bad_gz = tmp_path / "broken.gz"
    bad_gz.write_bytes(b"this is not gzip data at all")
    with pytest.raises(CorpusError, match="cannot read"):
        sentences_of(bad_gz)


def test_check_iterable():
    check_iterable([["a"]])
    for bad, msg in ((None, "None"), ("a b c", "single string"), (5, "iterable"),
                     ((s for s in [["a"]]), "iterator")):
        with pytest.raises(TypeError, match=msg):
            check_iterable(bad)


def test_encoded_corpus_drops_oov_and_marks_sentence_ends(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b zz c\n\nc a\nzz\n")
    enc = EncodedCorpus(p, {"a": 0, "b": 1, "c": 2})
    assert enc.ids.tolist() == [0, 1, 2, -1, -1, 2, 0, -1, -1]
    assert (enc.n_words, enc.n_sentences, enc.raw_words) == (5, 4, 7)
    path = enc.path
    enc.close()
    import os
    assert not os.path.exists(path)
