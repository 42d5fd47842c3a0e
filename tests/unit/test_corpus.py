import bz2
import gzip
import lzma
import io
import os
import tempfile

import numpy as np
import pytest

from fastw2v import CorpusError, LineSentence, PathLineSentences, Text8Corpus, Word2Vec
from fastw2v.corpus import sources
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
    monkeypatch.setattr(sources, "BLOCK_BYTES", 64)      # force many blocks per line
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


def test_read_errors_are_the_builtins_gensim_readers_raise(tmp_path):
    """Code written for gensim catches FileNotFoundError, UnicodeDecodeError, EOFError and
    OSError around its readers: fastw2v's CorpusError for each is also that built-in, for
    the readers and for corpus_file=, and gensim raises the same built-in on the file."""
    from gensim.models.word2vec import LineSentence as GensimLineSentence
    from fastw2v import Word2Vec
    from fastw2v.errors import (CorpusNotFoundError, CorpusReadError, TruncatedCorpusError,
                                UndecodableCorpusError)
    undecodable = tmp_path / "bad.txt"
    undecodable.write_bytes(b"ok \xff word\n")
    truncated = tmp_path / "t.gz"
    truncated.write_bytes(gzip.compress(b"a b c\n" * 100)[:30])
    not_gzip = tmp_path / "n.gz"
    not_gzip.write_bytes(b"this is not gzip data at all")
    missing = tmp_path / "nope.txt"
    for path, ours, builtin in ((missing, CorpusNotFoundError, FileNotFoundError),
                                (undecodable, UndecodableCorpusError, UnicodeDecodeError),
                                (truncated, TruncatedCorpusError, EOFError),
                                (not_gzip, CorpusReadError, OSError)):
        with pytest.raises(builtin):
            list(GensimLineSentence(str(path)))
        for make in (lambda: list(LineSentence(path)), lambda: list(Text8Corpus(path)),
                     lambda: list(PathLineSentences(path)),
                     lambda: Word2Vec(corpus_file=str(path), min_count=1, vector_size=4)):
            with pytest.raises(ours) as info:
                make()
            assert isinstance(info.value, (builtin, CorpusError)), path
            assert isinstance(info.value, builtin) and isinstance(info.value, CorpusError)
            assert path.name in str(info.value)
    with pytest.raises(UnicodeDecodeError) as info:
        list(LineSentence(undecodable))
    assert (info.value.encoding, info.value.start, info.value.object[info.value.start]) == \
        ("utf-8", 3, 0xFF)


def test_paths_expand_the_home_directory_and_file_urls(tmp_path, monkeypatch):
    """gensim opens paths through smart_open, which expands '~' and reads file:// URLs;
    other URLs are refused with a message that says where they are read."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "c.txt").write_text("a b\nc\n", encoding="utf-8")
    for source in ("~/c.txt", "file://" + str(tmp_path / "c.txt")):
        assert list(LineSentence(source)) == [["a", "b"], ["c"]]
        assert list(PathLineSentences(source)) == [["a", "b"], ["c"]]
        assert list(Text8Corpus(source)) == [["a", "b", "c"]]
    with pytest.raises(CorpusError, match="is a URL"):
        LineSentence("s3://bucket/c.txt")


def test_limit_and_sentence_length_are_checked_as_gensim_checks_them(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b\nc\nd\n", encoding="utf-8")
    assert [len(list(LineSentence(p, limit=n))) for n in (0, 1, 2, 9, None)] == [0, 1, 2, 3, 3]
    for bad in (-1, 2.0, "2", True):
        with pytest.raises(ValueError, match="limit"):
            LineSentence(p, limit=bad)
        with pytest.raises(ValueError, match="limit"):
            PathLineSentences(p, limit=bad)
    for bad in (None, True, 0, 2.5):
        with pytest.raises(ValueError, match="max_sentence_length"):
            Text8Corpus(p, max_sentence_length=bad)


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


# --- the C byte encoder (corpus_file fast path) against str.split() and a dict ---------

WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def reference_stream(files, key_to_index):
    """The definition: decode, split lines at '\\n', split each line with str.split(),
    look tokens up in a dict; -1 after every line and after a file's unterminated last
    line."""
    out, raw, lines = [], 0, 0
    for text in files:
        parts = text.split("\n")
        for i, line in enumerate(parts):
            toks = line.split()
            raw += len(toks)
            out += [key_to_index[t] for t in toks if t in key_to_index]
            if i < len(parts) - 1 or toks:
                out.append(-1)
                lines += 1
    return out, raw, lines


def random_text(rng, words, n_tokens):
    seps = [" "] * 20 + ["\n"] * 4 + WHITESPACE
    return "".join(str(rng.choice(words)) + str(rng.choice(seps)) for _ in range(n_tokens))


def test_whitespace_table_matches_str_isspace():
    """Every character str.split() splits at separates tokens in the encoder, and no
    other: each one between two words, and the neighbours of each multi-byte one."""
    from fastw2v.corpus import ByteEncoder
    enc = ByteEncoder(["a", "b"])
    for ch in WHITESPACE:
        got = enc.encode(("a" + ch + "b").encode()).tolist()
        assert [t for t in got if t >= 0] == [0, 1], repr(ch)
    # characters that share leading bytes with whitespace but are not whitespace
    near = [chr(c) for c in (0x84, 0x86, 0x9F, 0xA1, 0x1681, 0x1680 - 1, 0x200B, 0x2027,
                              0x202A, 0x202E, 0x2030, 0x205E, 0x2060, 0x3001, 0x180E, 0xFEFF)]
    for ch in near:
        assert not ch.isspace()
        enc2 = ByteEncoder(["a" + ch + "b"])
        assert enc2.encode(("a" + ch + "b").encode()).tolist() == [0], repr(ch)


@pytest.mark.parametrize("block, threads", [(7, 1), (64, 1), (1 << 20, 1), (7, 3), (64, 2)])
def test_byte_encoder_equals_python_split(tmp_path, monkeypatch, block, threads):
    """The C encoder gives the stream of the definition, also with several threads each
    encoding its own blocks (lines cut across blocks, files ending mid-line)."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", block)
    monkeypatch.setattr(sources, "usable_cpus", lambda: 8)      # threads even on 1 CPU
    rng = np.random.default_rng(block)
    words = ["the", "cat", "naïve", "東京", "x" * 300, "a\u00adb", "é", "zz", "ünïcode", "🙂",
             "sat", "on", "mat"]
    known = {w: i for i, w in enumerate(words[::2])}
    texts = [random_text(rng, words, 400), random_text(rng, words, 50).rstrip() + " mat",
             "\n\n", "no newline at all", "", "   \t "]
    d = tmp_path / "corpus"
    d.mkdir()
    for i, t in enumerate(texts):
        (d / f"part{i}.txt").write_text(t, encoding="utf-8")
    want, raw, lines = reference_stream(texts, known)
    enc = EncodedCorpus(d, known, threads=threads)
    assert enc.ids.tolist() == want
    assert (enc.raw_words, enc.n_sentences, enc.n_words) == (raw, lines, sum(x >= 0 for x in want))
    slow = EncodedCorpus(d, known, unicode_errors="replace")     # the Python path
    assert slow.ids.tolist() == want
    assert (slow.raw_words, slow.n_sentences) == (raw, lines)


@pytest.mark.parametrize("threads", [1, 2])
def test_file_ending_mid_line_at_a_block_edge_ends_its_sentence(tmp_path, monkeypatch,
                                                                 threads):
    """A file whose last line spans blocks and ends in whitespace without a newline still
    ends a sentence (it used not to, joining it to the next file's first line)."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", 8)
    monkeypatch.setattr(sources, "usable_cpus", lambda: 8)
    d = tmp_path / "c"
    d.mkdir()
    (d / "1.txt").write_text("aa bb aa bb ")
    (d / "2.txt").write_text("bb\n")
    pieces = list(iter_file_pieces(d))
    assert [t for p, _ in pieces for t in p] == ["aa", "bb", "aa", "bb", "bb"]
    assert [list(s) for s in iter_file_sentences(d)] == [["aa", "bb", "aa", "bb"], ["bb"]]
    enc = EncodedCorpus(d, {"aa": 0, "bb": 1}, threads=threads)
    assert enc.ids.tolist() == [0, 1, 0, 1, -1, 1, -1]
    assert (enc.n_sentences, enc.raw_words) == (2, 5)


def test_encode_block_is_encode_without_the_running_totals():
    """encode_block gives a block's ids and counts and leaves the encoder's totals alone;
    encode adds them up block after block. A buffer passed in is filled the same, and one
    that cannot hold the block is refused, not overrun."""
    from fastw2v.corpus import ByteEncoder
    blocks = [b"aa zz bb\n\naa ", b"bb aa", b" zz\nbb \n", b"aa "]
    enc, each = ByteEncoder(["aa", "bb"]), ByteEncoder(["aa", "bb"])
    stream = [enc.encode(b).tolist() for b in blocks]
    assert stream == [[0, 1, -1, -1, 0], [1, 0], [-1, 1, -1], [0]]
    assert (enc.raw_tokens, enc.sentences, enc.end_file().tolist()) == (9, 4, [-1])
    got = [each.encode_block(b) for b in blocks]
    assert [g[0].tolist() for g in got] == stream
    assert [g[1:] for g in got] == [(4, 2, True), (2, 0, True), (2, 2, False), (1, 0, True)]
    assert (each.raw_tokens, each.sentences, each.end_file().tolist()) == (0, 0, [])
    buf = np.full(20, 7, dtype=np.int32)
    ids, *_ = each.encode_block(blocks[0], buf)
    assert ids.tolist() == stream[0] and np.shares_memory(ids, buf)
    for bad in (np.zeros(len(blocks[0]), np.int32), np.zeros(20, np.int64),
                np.zeros(20, np.int32)[::-1], bytearray(80)):
        with pytest.raises(ValueError, match="int32 array of at least 14"):
            each.encode_block(blocks[0], bad)


def test_block_passes_use_a_thread_per_worker_up_to_the_usable_cpus(monkeypatch):
    """More threads than CPUs would only hold more blocks in memory: the passes over a
    file's blocks take one per worker, at most one per usable CPU, at least one."""
    assert sources.usable_cpus() >= 1
    monkeypatch.setattr(sources, "usable_cpus", lambda: 4)
    assert [sources.block_threads(w) for w in (1, 3, 4, 64, 0, -2)] == [1, 3, 4, 4, 1, 1]


def test_counted_sentences_are_gensims_line_sentences(tmp_path):
    """A corpus file's sentence count is what gensim's LineSentence yields (gensim's
    corpus_file scan counts it so): empty and blank lines are none, a line longer than
    10,000 words is one per started 10,000, a last line without a line break is one. It
    comes out the same from any cut of the file into blocks merged in order, from the
    Python pass and from the file read as an iterable of LineSentence."""
    from fastw2v.corpus import LINE_SENTENCE_WORDS, ByteCounter, line_sentences
    from fastw2v.vocab import VocabBuilder
    assert LINE_SENTENCE_WORDS == 10000
    assert [line_sentences(n) for n in (0, 1, 9999, 10000, 10001, 25000)] == [0, 1, 1, 1, 2, 3]
    rng = np.random.default_rng(3)
    lines = ["a b", "", "   ", " ".join(["w"] * 25000), "c", "\t", " ".join(["v"] * 10000),
             " ".join(["u"] * 10001), "d e"]
    data = ("\n".join(lines)).encode()            # the last line without a line break
    expected = sum(1 for _ in LineSentence(io.BytesIO(data)))
    assert expected == 1 + 3 + 1 + 1 + 2 + 1
    for trial in range(20):
        cuts = sorted(rng.choice(np.arange(1, len(data)), size=6, replace=False))
        one, merged = ByteCounter(), ByteCounter()
        for lo, hi in zip([0] + list(cuts), list(cuts) + [len(data)]):
            part = ByteCounter()
            part.count(data[lo:hi])
            merged.merge(part)
            one.count(data[lo:hi])
        one.end_file()
        merged.end_file()
        assert one.sentences == merged.sentences == expected, cuts
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    for kw in ({}, {"max_vocab_size": 10 ** 6}):           # the C pass, the Python pass
        b = VocabBuilder(**kw).add_file(str(path))
        assert b.n_sentences == expected, kw
    b = VocabBuilder().add_file(str(path), unicode_errors="replace")
    assert b.n_sentences == expected


def test_merged_block_counters_are_the_counter_of_one_pass():
    """Counters of consecutive blocks, merged in order, hold what one counter reading the
    blocks holds: words in first-seen order, counts, tokens, lines, and whether the last
    line is still open (so that a file's end closes it)."""
    from fastw2v.corpus import ByteCounter
    blocks = [b"b a b\n\nc ", b"a d", b" d\ne ", b"\n", b"f a "]
    one, merged = ByteCounter(), ByteCounter()
    for b in blocks:
        one.count(b)
        part = ByteCounter()
        part.count(b)
        merged.merge(part)
        assert (merged.raw_tokens, merged.sentences) == (one.raw_tokens, one.sentences)
    one.end_file()
    merged.end_file()
    words, counts = merged.items()
    assert words == ["b", "a", "c", "d", "e", "f"] and counts.tolist() == [2, 3, 1, 2, 1, 1]
    assert [x.tolist() if hasattr(x, "tolist") else x for x in one.items()] == \
        [words, counts.tolist()]
    # lines "b a b", "", "c a d d", "e", "f a": the empty one is no sentence (gensim's)
    assert (merged.raw_tokens, merged.sentences) == (one.raw_tokens, one.sentences) == (10, 4)
    with pytest.raises(ValueError, match="itself"):
        merged.merge(merged)
    part.clear()                        # emptied for the next block, and usable again
    assert (part.raw_tokens, part.sentences, part.distinct, part.items()[0]) == (0, 0, 0, [])
    part.count(b"z b z\n")
    assert part.items()[0] == ["z", "b"] and part.items()[1].tolist() == [2, 1]
    assert (part.raw_tokens, part.sentences) == (3, 1)


def test_bad_bytes_while_threads_encode_name_the_line_and_leave_no_file(tmp_path,
                                                                         monkeypatch):
    """Invalid UTF-8 far into a file, with blocks being encoded (or counted) by other
    threads: the error names the line, the threads stop, the temporary id file is
    removed, and the vocabulary builder is left as it was."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", 16)
    monkeypatch.setattr(sources, "usable_cpus", lambda: 8)
    p = tmp_path / "c.txt"
    p.write_bytes(b"aa bb\n" * 40 + b"aa \xff bb\n" + b"bb aa\n" * 40)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(CorpusError, match="line 41 .* not valid UTF-8"):
        EncodedCorpus(p, {"aa": 0, "bb": 1}, tmp_dir=scratch, threads=3)
    assert os.listdir(scratch) == []
    import threading
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-encode")]
    from fastw2v.vocab import VocabBuilder
    b = VocabBuilder()
    with pytest.raises(CorpusError, match="line 41 .* not valid UTF-8"):
        b.add_file(p, threads=3)
    assert (b.total_words, b.n_sentences, len(b.counter)) == (0, 0, 0)
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-count")]


@pytest.mark.parametrize("block, threads", [(7, 1), (1 << 20, 1), (7, 3), (4096, 2)])
def test_byte_counter_equals_counting_split_tokens(tmp_path, monkeypatch, block, threads):
    """The C vocabulary pass gives the counts, first-seen order, token and sentence totals
    of counting str.split() tokens (the Python pass, used for non-strict decoding; the
    sentences as LineSentence yields them), also
    with several threads counting blocks whose counters are merged in order."""
    from fastw2v.vocab import VocabBuilder
    monkeypatch.setattr(sources, "BLOCK_BYTES", block)
    monkeypatch.setattr(sources, "usable_cpus", lambda: 8)
    rng = np.random.default_rng(5)
    words = ["the", "cat", "naïve", "東京", "y" * 200, "é", "zz", "🙂", "sat"] + \
        [f"w{i}" for i in range(3000)]           # enough distinct words to grow the table
    texts = [random_text(rng, words, 6000), "tail without newline", "\n", ""]
    d = tmp_path / "corpus"
    d.mkdir()
    for i, t in enumerate(texts):
        (d / f"part{i}.txt").write_text(t, encoding="utf-8")
    fast = VocabBuilder().add_file(d, threads=threads)
    slow = VocabBuilder().add_file(d, unicode_errors="replace")
    assert list(fast.counter.items()) == list(slow.counter.items())
    _, raw, lines = reference_stream(texts, {})
    sentences = sum(1 for _ in LineSentence(d))          # gensim's count: not every line
    assert sentences < lines
    assert (fast.total_words, fast.n_sentences) == (slow.total_words, slow.n_sentences) == \
        (raw, sentences)
    assert fast.distinct == len(slow.counter) > 2000
    # counting adds to what a builder already holds, as Counter.update does
    twice = VocabBuilder().add_file(d, threads=threads).add_file(d, threads=threads)
    assert dict(twice.counter) == {w: 2 * c for w, c in slow.counter.items()}
    assert twice.total_words == 2 * raw


# -- the table of compressions -------------------------------------------------------------
COMPRESSED = [("gzip", ".gz", gzip.open, b"\x1f\x8b"), ("bzip2", ".bz2", bz2.open, b"BZh"),
              ("xz", ".xz", lzma.open, b"\xfd7zXZ\x00"), ("xz", ".lzma", lzma.open, b"\xfd7zXZ\x00")]


def test_compression_table_lists_each_format_once():
    from fastw2v.corpus import COMPRESSIONS
    names = [c.name for c in COMPRESSIONS]
    assert names == ["gzip", "bzip2", "xz"]
    suffixes = [s for c in COMPRESSIONS for s in c.suffixes]
    assert sorted(suffixes) == [".bz2", ".gz", ".lzma", ".xz"]


@pytest.mark.parametrize("name,suffix,opener,magic", COMPRESSED)
def test_compression_by_suffix_and_by_magic(tmp_path, name, suffix, opener, magic):
    from fastw2v.corpus import compression as cz
    p = tmp_path / f"c.txt{suffix}"
    with opener(p, "wb") as fh:
        fh.write(TEXT.encode())
    assert cz.by_suffix(p).name == name
    assert cz.by_suffix(str(p).upper()).name == name          # case ignored
    assert p.read_bytes().startswith(magic)
    assert cz.by_magic(p.read_bytes()[:cz.MAGIC_LENGTH]).name == name
    assert cz.sniff(p).name == name
    assert cz.strip_suffix(p) == str(tmp_path / "c.txt")
    for open_ in (cz.open_by_suffix, cz.open_by_magic):
        with open_(p) as fh:
            assert fh.read() == TEXT.encode()
    assert cz.by_suffix(p).decompress(p.read_bytes()) == TEXT.encode()


@pytest.mark.parametrize("name,suffix,opener,magic", COMPRESSED)
def test_compression_writer_round_trips(tmp_path, name, suffix, opener, magic):
    from fastw2v.corpus import compression as cz
    p = tmp_path / f"w.txt{suffix}"
    with open(p, "wb") as raw:
        out = cz.by_suffix(p).wrap_writer(raw)
        out.write(TEXT.encode())
        out.close()
        assert not raw.closed                  # the caller's file stays open
    assert p.read_bytes().startswith(magic)
    with opener(p, "rb") as fh:
        assert fh.read() == TEXT.encode()
    assert sentences_of(p) == [["the", "cat", "sat"], ["on", "the", "mat"], ["the", "end"]]


def test_plain_file_is_no_compression(tmp_path):
    from fastw2v.corpus import compression as cz
    p = tmp_path / "plain.txt"
    p.write_bytes(b"BZ not bzip2\n")                 # a prefix of a magic is not enough
    assert cz.by_suffix(p) is None and cz.sniff(p) is None
    assert cz.by_magic(b"") is None and cz.by_magic(b"\x1f") is None
    assert cz.strip_suffix(p) == str(p)
    for open_ in (cz.open_by_suffix, cz.open_by_magic):
        with open_(p) as fh:
            assert fh.read() == b"BZ not bzip2\n"


def test_compressed_content_under_a_plain_name_is_read_as_bytes(tmp_path):
    # corpora go by suffix: gzip bytes in a .txt file are not UTF-8 text
    p = tmp_path / "gz-inside.txt"
    p.write_bytes(gzip.compress(TEXT.encode()))
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        sentences_of(p)


def test_corrupt_compressed_corpus_is_a_corpus_error(tmp_path):
    p = tmp_path / "bad.txt.gz"
    p.write_bytes(gzip.compress(TEXT.encode() * 100)[:-30])
    with pytest.raises(CorpusError, match="cannot read corpus file"):
        sentences_of(p)


# -- gensim's sentence classes, compared with gensim on the shipped text ------------------
@pytest.fixture(scope="module")
def sample_words(sample_text_file):
    return open(sample_text_file, encoding="utf-8").read().split()[:60_000]


def test_text8corpus_matches_gensim(tmp_path, sample_words):
    from gensim.models.word2vec import Text8Corpus as GensimText8
    p = tmp_path / "text8"
    p.write_text(" ".join(sample_words))             # text8: one line, no newline
    ours, theirs = list(Text8Corpus(p)), list(GensimText8(str(p)))
    assert [len(s) for s in ours] == [10000] * 6     # gensim's default, not 1,000
    assert ours == theirs
    assert list(Text8Corpus(p, max_sentence_length=7000)) == \
        list(GensimText8(str(p), max_sentence_length=7000))


def test_text8corpus_ignores_line_ends_as_gensim(tmp_path):
    from gensim.models.word2vec import Text8Corpus as GensimText8
    p = tmp_path / "lines.txt"
    p.write_text("a b c\nd e\nf g h i\n")
    assert list(Text8Corpus(p, max_sentence_length=4)) == [["a", "b", "c", "d"],
                                                           ["e", "f", "g", "h"], ["i"]]
    assert list(Text8Corpus(p, max_sentence_length=4)) == \
        list(GensimText8(str(p), max_sentence_length=4))


def _write_lines(path, opener, lines):
    with opener(path, "wb") as fh:
        fh.write("".join(line + "\n" for line in lines).encode("utf-8"))


@pytest.mark.parametrize("opener", [open, gzip.open, bz2.open], ids=["plain", "gzip", "bz2"])
def test_line_sentence_over_open_file_objects_matches_gensim(tmp_path, sample_words, opener):
    from gensim.models.word2vec import LineSentence as GensimLineSentence
    lines = [" ".join(sample_words[i:i + 40]) for i in range(0, 8000, 40)]
    lines[3] = " ".join(sample_words[:2500])           # longer than max_sentence_length
    lines[7] = ""
    p = tmp_path / "c.txt"
    _write_lines(p, opener, lines)
    for kw in ({}, {"max_sentence_length": 1000}, {"limit": 10}):
        with opener(p, "rb") as ours_fh, opener(p, "rb") as theirs_fh:
            ours = LineSentence(ours_fh, **kw)
            theirs = GensimLineSentence(theirs_fh, **kw)
            first = list(ours)
            assert first == list(theirs) and first
            assert list(ours) == first                 # re-iterable: seeks back to the start


def test_line_sentence_limit_counts_lines_as_gensim(tmp_path):
    from gensim.models.word2vec import LineSentence as GensimLineSentence
    p = tmp_path / "c.txt"
    p.write_text(" ".join(map(str, range(25))) + "\na b\nc d\n")
    ours = list(LineSentence(p, max_sentence_length=10, limit=2))
    assert ours == list(GensimLineSentence(str(p), max_sentence_length=10, limit=2))
    assert [len(s) for s in ours] == [10, 10, 5, 2]


def test_line_sentence_over_text_file_object(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("päivää maailma\nzwei wörter\n", encoding="utf-8")
    with open(p, encoding="utf-8") as fh:
        assert list(LineSentence(fh)) == [["päivää", "maailma"], ["zwei", "wörter"]]


def test_path_line_sentences_matches_gensim(tmp_path, sample_words):
    from gensim.models.word2vec import PathLineSentences as GensimPathLineSentences
    d = tmp_path / "corpus"
    d.mkdir()
    lines = [" ".join(sample_words[i:i + 30]) for i in range(0, 9000, 30)]
    _write_lines(d / "b.txt.gz", gzip.open, lines[:100])
    _write_lines(d / "a.txt", open, lines[100:200])
    _write_lines(d / "c.txt.bz2", bz2.open, lines[200:] + [" ".join(sample_words[:700])])
    for kw in ({}, {"limit": 5}, {"max_sentence_length": 250}):
        ours = PathLineSentences(d, **kw)
        theirs = GensimPathLineSentences(str(d), **kw)
        assert [os.path.basename(f) for f in ours.input_files] == ["a.txt", "b.txt.gz",
                                                                   "c.txt.bz2"]
        got = list(ours)
        assert got == list(theirs) and got
    assert len(list(PathLineSentences(d, limit=5))) == 15          # 5 lines per file
    single = PathLineSentences(d / "a.txt")
    assert list(single) == list(GensimPathLineSentences(str(d / "a.txt")))
    with pytest.raises(ValueError, match="neither a file nor a"):
        GensimPathLineSentences(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="does not exist"):     # gensim's ValueError, and
        PathLineSentences(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):                      # what a missing file is
        PathLineSentences(tmp_path / "missing")


def test_path_line_sentences_trains_a_model(tmp_path, sample_words):
    from fastw2v import Word2Vec
    d = tmp_path / "corpus"
    d.mkdir()
    _write_lines(d / "part1.txt", open, [" ".join(sample_words[i:i + 30]) for i in range(0, 30000, 30)])
    _write_lines(d / "part2.txt", open, [" ".join(sample_words[i:i + 30]) for i in range(30000, 60000, 30)])
    m = Word2Vec(PathLineSentences(d), vector_size=8, min_count=5, epochs=1, workers=1)
    assert m.corpus_count == 2000 and m.corpus_total_words == 60000


# --- handing an encoded corpus's pages back ---------------------------------------------

def resident_kib(maps) -> int:
    """Resident KiB of this process's mappings whose smaps header line ``maps(line)``
    accepts (/proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                inside = maps(line.rstrip())
            elif inside and line.startswith("Rss:"):
                total += int(head[1])
    return total


def mapped_kib(path) -> int:
    """Resident KiB of this process's mappings of ``path``."""
    return resident_kib(lambda line: line.endswith(str(path)))


def encoded_kib(folder) -> int:
    """Resident KiB of this process's maps of encoded corpora in ``folder``."""
    return resident_kib(lambda line: f"{folder}{os.sep}fastw2v-encoded-" in line)


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's /proc")
@pytest.mark.parametrize("line_words", [300, 3_000_000])
def test_training_keeps_few_pages_of_the_encoded_corpus(tmp_path, monkeypatch, line_words):
    """While a corpus file trains, its encoded stream (12 MB here) is resident only
    around the jobs in flight. The cuts between jobs move to sentence ends, and the
    search for them read each cut's whole half block: half the stream was resident
    before the first job (68 MB more at the peak of a 17M-word corpus at vector_size 300,
    above gensim's peak). Lines of 300 words and one line of 3M words (no end to find)."""
    import threading
    import time
    n, rng = 3_000_000, np.random.default_rng(2)
    vocab = np.array([f"w{i}" for i in range(500)])
    p = tmp_path / "c.txt"
    with open(p, "w") as fh:
        for chunk in np.array_split(rng.integers(0, 500, n), n // line_words):
            fh.write(" ".join(vocab[chunk]) + "\n")
    folder = tmp_path / "encoded"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))    # where the stream is written
    peak, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], encoded_kib(folder))
            time.sleep(0.001)
    watcher = threading.Thread(target=sample)
    watcher.start()
    try:
        model = Word2Vec(corpus_file=str(p), vector_size=4, window=2, min_count=1, epochs=2,
                         workers=2, seed=1)
    finally:
        done.set()
        watcher.join()
    assert model.epoch_stats[-1].words_read == n
    assert len(list(folder.iterdir())) == 1             # the stream measured
    # jobs of 50,000 entries, 8 behind the last one handed out, released in 1 MB steps
    assert 0 < peak[0] < 4096, f"{peak[0]} KiB of the {n * 4 // 1024} KiB stream resident"


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs Linux's /proc")
def test_release_drops_whole_pages_and_the_ids_read_the_same(tmp_path):
    p = tmp_path / "c.txt"
    words = [f"w{i % 50}" for i in range(1_000_000)]
    p.write_text("\n".join(" ".join(words[i:i + 1000]) for i in range(0, len(words), 1000)))
    enc = EncodedCorpus(p, {f"w{i}": i for i in range(50)})
    want = [i % 50 for i in range(1000)] + [-1]
    n = len(enc.ids)
    assert n == 1_001_000 and enc.ids[:1001].tolist() == want
    total = int(enc.ids.astype(np.int64).sum())           # every page touched
    full = mapped_kib(enc.path)
    assert full >= n * 4 // 1024 - 8
    page = os.sysconf("SC_PAGE_SIZE")
    enc.release(0, page // 4 - 1)                          # less than a whole page: kept
    assert mapped_kib(enc.path) == full
    enc.release(0, n // 2)
    half = mapped_kib(enc.path)
    assert abs(half - full / 2) <= page // 1024 + 64 and half < full
    assert int(enc.ids.astype(np.int64).sum()) == total    # read again from the page cache
    enc.release(0, n)                                      # the last, partial page too
    assert mapped_kib(enc.path) == 0
    assert enc.ids[n - 1001:].tolist() == want and int(enc.ids.astype(np.int64).sum()) == total
    enc.release(n // 3, n + 10**9)                         # out-of-range ends are clipped
    path = enc.path
    enc.close()
    assert enc.ids is None and not os.path.exists(path)
    enc.release(0, n)                                      # closed: nothing to release


def test_brown_corpus_as_gensims(tmp_path, sample_corpus_path):
    """gensim's BrownCorpus on NLTK's layout: 'word/TAG' tokens, kept as 'word/TA'
    (lower-cased, two tag letters) where the tag starts with two letters; punctuation
    tags, tokens without exactly one '/', and lines left empty are dropped. Built here
    from the Wikipedia sample's words with Brown tags."""
    from gensim.models.word2vec import BrownCorpus as GensimBrown
    from fastw2v import BrownCorpus
    words = lzma.open(sample_corpus_path, "rt", encoding="utf-8").read(60_000).split()
    tags = ["nn", "NN-TL", "vbd", "at", "np$", ",", ".", "``", "jj", "in", "cd", "*",
            "ppss+bem", "nn-hl", "fw-nn", "'", "--", "rb"]
    rng = np.random.default_rng(7)
    d = tmp_path / "brown"
    d.mkdir()
    (d / "sub").mkdir()                                    # not read
    for f in range(3):
        lines = []
        for _ in range(120):
            n = int(rng.integers(0, 14))
            toks = [f"{rng.choice(words).title() if rng.random() < .2 else rng.choice(words)}"
                    f"/{rng.choice(tags)}" for _ in range(n)]
            if rng.random() < 0.2:
                toks.insert(0, rng.choice(["a/b/nn", "noslash", "Café/NN", "./."]))
            lines.append("\t" + " ".join(toks))
        (d / f"c{f}").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    ours = list(BrownCorpus(d))
    theirs = list(GensimBrown(str(d)))
    assert sorted(map(tuple, ours)) == sorted(map(tuple, theirs)) and len(ours) > 200
    single = tmp_path / "one"
    single.mkdir()
    (single / "ca01").write_bytes((d / "c0").read_bytes())
    assert list(BrownCorpus(single)) == list(GensimBrown(str(single)))
    assert "café/NN" in {w for s in BrownCorpus(d) for w in s}
    with pytest.raises(FileNotFoundError):
        BrownCorpus(tmp_path / "missing")
    with pytest.raises(CorpusError, match="not a directory"):
        BrownCorpus(d / "c0")


def test_text_mode_file_objects_keep_their_own_decoding_as_gensim(tmp_path):
    """A file object opened in text mode has decoded its bytes already, by its own
    encoding and errors: gensim takes its lines as they are, lone surrogates of
    errors='surrogateescape' included. fastw2v re-encoded them and then refused them."""
    from gensim.models.word2vec import LineSentence as GensimLineSentence
    p = tmp_path / "c.txt"
    p.write_bytes(b"ok \xff word\nb\xe9 c\rd\n" + b"x y\n" * 3000)
    for make in (lambda: open(p, errors="surrogateescape"),
                 lambda: open(p, encoding="latin-1"),
                 lambda: io.StringIO("a \ud800 b\nc\n")):
        with make() as a, make() as b:
            ours = list(LineSentence(a))
            assert ours == list(GensimLineSentence(b)) and len(ours) >= 2
    with open(p, encoding="utf-8") as fh:
        with pytest.raises(UnicodeDecodeError) as info:
            list(LineSentence(fh))
    assert isinstance(info.value, CorpusError) and "c.txt" in str(info.value)
