"""word2vec C text/binary, GloVe and fastText .vec files: round trips through gensim both
ways, options, unicode, and loaders that fail cleanly on damaged files (fuzzed in
test_fuzz.py)."""
import gzip
import os
import stat
import threading

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from fastw2v import KeyedVectors
from fastw2v.io.native import FormatError

UNICODE_KEYS = ["café", "naïve", "Ærøskøbing", "東京", "北京大学", "🙂", "👩‍🔬", "ß", "Ωmega", "</s>"]


@pytest.fixture(scope="module")
def kv():
    """Vectors with unicode keys and awkward float values (denormals, -0.0, extremes)."""
    rng = np.random.default_rng(7)
    keys = UNICODE_KEYS + [f"w{i}" for i in range(190)]
    vecs = rng.standard_normal((len(keys), 12)).astype(np.float32)
    vecs[0, :4] = [-0.0, 1e-45, 3.4e38, -1.17549435e-38]
    vecs[1] *= np.float32(1e-7)
    counts = np.arange(len(keys), 0, -1) * 3
    return KeyedVectors(12, keys, vecs, counts)


def gensim_copy(kv):
    g = GensimKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors.copy())
    return g


def assert_equal_kv(a, b):
    assert list(a.index_to_key) == list(b.index_to_key)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert a.vectors.view(np.uint8).tobytes() == b.vectors.view(np.uint8).tobytes()  # bit for bit


@pytest.mark.parametrize("binary", [True, False])
def test_round_trip_through_gensim(kv, tmp_path, binary):
    ours_file, gensim_file = tmp_path / "ours.w2v", tmp_path / "gensim.w2v"
    kv.save_word2vec_format(ours_file, binary=binary)
    theirs = GensimKV.load_word2vec_format(str(ours_file), binary=binary)
    assert_equal_kv(kv, theirs)
    theirs.save_word2vec_format(str(gensim_file), binary=binary)
    back = KeyedVectors.load_word2vec_format(gensim_file, binary=binary)
    assert_equal_kv(kv, back)
    assert_equal_kv(kv, KeyedVectors.load_word2vec_format(ours_file, binary=binary))
    # made-up counts as gensim's (descending), so get_vecattr answers alike
    assert [back.get_vecattr(k, "count") for k in UNICODE_KEYS] == \
        [theirs.get_vecattr(k, "count") for k in UNICODE_KEYS]


def test_binary_layout_is_the_c_tools(kv, tmp_path):
    path = tmp_path / "c.bin"
    kv.save_word2vec_format(path, binary=True)
    expect = f"{len(kv)} {kv.vector_size}\n".encode() + b"".join(
        k.encode("utf-8") + b" " + kv[k].astype("<f4").tobytes() + b"\n" for k in kv.index_to_key)
    assert path.read_bytes() == expect
    # gensim writes no newline after a vector: both layouts read the same
    nonl = path.parent / "nonl.bin"
    nonl.write_bytes(f"{len(kv)} {kv.vector_size}\n".encode() + b"".join(
        k.encode("utf-8") + b" " + kv[k].astype("<f4").tobytes() for k in kv.index_to_key))
    assert_equal_kv(kv, KeyedVectors.load_word2vec_format(nonl, binary=True))


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("binary", [True, False])
def test_limit_and_datatype_match_gensim(kv, tmp_path, binary):
    path = tmp_path / "v.w2v"
    kv.save_word2vec_format(path, binary=binary)
    for limit in (1, 10, len(kv), len(kv) + 5):
        ours = KeyedVectors.load_word2vec_format(path, binary=binary, limit=limit)
        assert_equal_kv(ours, GensimKV.load_word2vec_format(str(path), binary=binary, limit=limit))
    for dt in (np.float16, np.float64):
        ours = KeyedVectors.load_word2vec_format(path, binary=binary, datatype=dt)
        theirs = GensimKV.load_word2vec_format(str(path), binary=binary, datatype=dt)
        assert ours.vectors.dtype == dt
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def test_float64_vectors_text_round_trip(kv, tmp_path):
    k64 = KeyedVectors(kv.vector_size, kv.index_to_key, kv.vectors.astype(np.float64) / 3)
    k64.save_word2vec_format(tmp_path / "f64.txt")
    back = KeyedVectors.load_word2vec_format(tmp_path / "f64.txt", datatype=np.float64)
    np.testing.assert_array_equal(back.vectors, k64.vectors)


def test_glove_without_header(kv, tmp_path):
    ours_file, gensim_file = tmp_path / "glove_ours.txt", tmp_path / "glove_gensim.txt"
    kv.save_word2vec_format(ours_file, write_header=False)
    assert not ours_file.read_text(encoding="utf-8").split("\n")[0].split(" ")[0].isdigit()
    assert_equal_kv(kv, GensimKV.load_word2vec_format(str(ours_file), no_header=True))
    gensim_copy(kv).save_word2vec_format(str(gensim_file), write_header=False)
    assert_equal_kv(kv, KeyedVectors.load_word2vec_format(gensim_file, no_header=True))
    limited = KeyedVectors.load_word2vec_format(ours_file, no_header=True, limit=7)
    assert_equal_kv(limited, GensimKV.load_word2vec_format(str(ours_file), no_header=True, limit=7))
    with pytest.raises(FormatError, match="no_header=True"):
        KeyedVectors.load_word2vec_format(ours_file)
    with pytest.raises(ValueError, match="only for text"):
        KeyedVectors.load_word2vec_format(ours_file, binary=True, no_header=True)


def test_fasttext_vec_file(tmp_path):
    # fastText writes "word v1 ... vd " with a trailing space on every line
    rows = [("the", [0.1, -0.25, 3.0]), ("東京", [1e-3, 2.5e-7, -4.0]), ("🙂", [0.0, 1.0, -1.0])]
    text = "3 3\n" + "".join(w + " " + " ".join(f"{x:.5g}" for x in v) + " \n" for w, v in rows)
    path = tmp_path / "wiki.vec"
    path.write_text(text, encoding="utf-8")
    ours = KeyedVectors.load_word2vec_format(path)
    assert_equal_kv(ours, GensimKV.load_word2vec_format(str(path)))
    np.testing.assert_array_equal(ours["東京"], np.array([1e-3, 2.5e-7, -4.0], dtype=np.float32))


@pytest.mark.parametrize("binary", [True, False])
def test_unicode_errors_like_gensim(tmp_path, binary):
    # a multi-byte character cut in the middle (the C tool truncates long words by bytes)
    words = ["ok".encode(), "caf\xc3".encode("latin-1"), "\xff\xfebad".encode("latin-1"), "東".encode()]
    vecs = np.arange(len(words) * 2, dtype=np.float32).reshape(-1, 2)
    path = tmp_path / ("bad.bin" if binary else "bad.txt")
    with open(path, "wb") as fh:
        fh.write(b"4 2\n")
        for w, v in zip(words, vecs):
            fh.write(w + b" " + (v.tobytes() + b"\n" if binary else b" ".join(b"%g" % x for x in v) + b"\n"))
    with pytest.raises(FormatError, match=r"bad.(bin|txt).*(row 2|line 3).*caf.*unicode_errors"):
        KeyedVectors.load_word2vec_format(path, binary=binary)
    for errors in ("replace", "ignore"):
        ours = KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors=errors)
        theirs = GensimKV.load_word2vec_format(str(path), binary=binary, unicode_errors=errors)
        assert_equal_kv(ours, theirs)
    with pytest.raises(ValueError, match="unicode_errors"):
        KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="nonsense")


def test_fvocab_counts(kv, tmp_path):
    path, vocab = tmp_path / "v.bin", tmp_path / "v.vocab"
    kv.save_word2vec_format(path, fvocab=vocab, binary=True)
    ours = KeyedVectors.load_word2vec_format(path, fvocab=vocab, binary=True)
    theirs = GensimKV.load_word2vec_format(str(path), fvocab=str(vocab), binary=True)
    for k in kv.index_to_key:
        assert ours.get_vecattr(k, "count") == kv.get_vecattr(k, "count") == theirs.get_vecattr(k, "count")


def test_fvocab_is_read_and_written_by_the_vocab_module(kv, tmp_path):
    from fastw2v import VocabularyError
    from fastw2v.vocab import read_word_counts
    path, vocab = tmp_path / "v.txt", tmp_path / "v.vocab"
    kv.save_word2vec_format(path, fvocab=vocab)
    assert read_word_counts(vocab, skip_sentence_end=False) == {
        k: int(kv.get_vecattr(k, "count")) for k in kv.index_to_key}
    with pytest.raises(FileNotFoundError, match="vocabulary file"):
        KeyedVectors.load_word2vec_format(path, fvocab=tmp_path / "missing.vocab")
    for content, msg in [(b"a 1 2\n", "line 1"), (b"a -1\n", "negative"),
                         (b"a 1\na 2\n", "listed again"), (b"", "no entries")]:
        vocab.write_bytes(content)
        with pytest.raises(VocabularyError, match=msg):
            KeyedVectors.load_word2vec_format(path, fvocab=vocab)
    odd = KeyedVectors(2, ["ok", "tab\there"], np.ones((2, 2), dtype=np.float32),
                       counts=[2, 1])
    with pytest.raises(ValueError, match="cannot be written to a vocabulary file"):
        odd.save_word2vec_format(tmp_path / "odd.txt", fvocab=tmp_path / "odd.vocab")
    assert not (tmp_path / "odd.txt").exists() and not (tmp_path / "odd.vocab").exists()


def test_fvocab_without_counts_is_refused_as_gensim(tmp_path):
    """Vectors read from a word2vec file have no counts: gensim refuses to write their
    vocabulary file, which would say 0 for every word; so does fastw2v now."""
    kv = KeyedVectors(2, ["a", "b"], np.ones((2, 2), dtype=np.float32))
    theirs = GensimKV(2)
    theirs.add_vectors(["a", "b"], np.ones((2, 2), dtype=np.float32))
    for k, where in ((kv, "ours"), (theirs, "theirs")):
        with pytest.raises(ValueError, match="Cannot store vocabulary with 'count'"):
            k.save_word2vec_format(str(tmp_path / f"{where}.txt"),
                                   fvocab=str(tmp_path / f"{where}.vocab"))
    assert not (tmp_path / "ours.txt").exists() and not (tmp_path / "ours.vocab").exists()


def test_duplicate_words_keep_the_first(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n", encoding="utf-8")
    ours = KeyedVectors.load_word2vec_format(path)
    theirs = GensimKV.load_word2vec_format(str(path))
    # gensim leaves a zero row (and a None key) where the duplicate was
    np.testing.assert_array_equal(ours.vectors, theirs.vectors[:2])
    assert ours.index_to_key == ["a", "b"] == theirs.index_to_key[:2] and list(ours["a"]) == [1, 2]
    assert ours.key_to_index == {"a": 0, "b": 1}
    assert ours.get_vecattr("b", "count") == theirs.get_vecattr("b", "count")


@pytest.mark.parametrize("binary", [False, True])
def test_loaded_index_is_the_loaders_own(kv, tmp_path, binary):
    """Loaded keys, once used as ``key_to_index`` and ``index_to_key``, are a dict whose
    every key maps to its row and a list (built from the packed keys, see
    test_packed_keys.py)."""
    path = tmp_path / ("v.bin" if binary else "v.txt")
    kv.save_word2vec_format(path, binary=binary)
    loaded = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert loaded.key_to_index == {w: i for i, w in enumerate(kv.index_to_key)}
    assert loaded.index_to_key == kv.index_to_key and type(loaded.index_to_key) is list
    assert_equal_kv(kv, loaded)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_files(kv, tmp_path, suffix):
    path = tmp_path / ("v.bin" + suffix)
    kv.save_word2vec_format(path, binary=True)
    assert path.read_bytes()[:2] != f"{len(kv)}".encode()[:2]       # really compressed
    assert_equal_kv(kv, KeyedVectors.load_word2vec_format(path, binary=True))
    if suffix == ".gz":
        assert_equal_kv(kv, GensimKV.load_word2vec_format(str(path), binary=True))
        raw = tmp_path / "gensim.txt.gz"
        gensim_copy(kv).save_word2vec_format(str(raw))
        assert_equal_kv(kv, KeyedVectors.load_word2vec_format(raw))


def test_failed_save_leaves_old_file(kv, tmp_path):
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(path)
    before = path.read_bytes()
    bad = KeyedVectors(2, ["fine", "two words"], np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="two words"):
        bad.save_word2vec_format(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["v.txt"]


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("binary", [True, False])
def test_lying_headers_raise_clear_errors(kv, tmp_path, binary):
    good = tmp_path / "good"
    kv.save_word2vec_format(good, binary=binary)
    data = good.read_bytes()
    body = data[data.index(b"\n") + 1:]
    V, d = len(kv), kv.vector_size
    cases = {
        "more_rows": (f"{V + 1} {d}\n".encode() + body, "row"),
        "more_dims": (f"{V} {d + 1}\n".encode() + body, ""),
        "absurd": (f"{10 ** 15} {10 ** 6}\n".encode() + body, "header promises"),
        "negative": (f"-5 {d}\n".encode() + body, "-5 rows"),
        "zero_dims": (f"{V} 0\n".encode() + body, "0 dimensions"),
        "words": (b"hello world\n" + body, "header"),
        "three": (f"{V} {d} 7\n".encode() + body, "header"),
        "truncated": (data[:len(data) * 2 // 3], ""),
        "header_only": (f"{V} {d}".encode(), "truncated"),
        "garbage": (bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8)), ""),
    }
    for name, (content, msg) in cases.items():
        path = _write(tmp_path / f"case_{name}", content)
        with pytest.raises(FormatError, match=f"case_{name}.*{msg}"):
            KeyedVectors.load_word2vec_format(path, binary=binary)


def test_mislabelled_files(kv, tmp_path):
    text, binfile = tmp_path / "t.txt", tmp_path / "b.bin"
    kv.save_word2vec_format(text)
    kv.save_word2vec_format(binfile, binary=True)
    with pytest.raises(FormatError, match="t.txt"):
        KeyedVectors.load_word2vec_format(text, binary=True)
    with pytest.raises(FormatError, match="b.bin"):
        KeyedVectors.load_word2vec_format(binfile, binary=False)
    # float64 rows under a float32 header: rows misaligned, the file runs out
    f64 = _write(tmp_path / "f64.bin", f"{len(kv)} {kv.vector_size}\n".encode() + b"".join(
        k.encode() + b" " + kv[k].astype("<f8").tobytes() + b"\n" for k in kv.index_to_key))
    with pytest.raises(FormatError, match="f64.bin"):
        KeyedVectors.load_word2vec_format(f64, binary=True)
    with pytest.raises(FormatError, match="empty"):
        KeyedVectors.load_word2vec_format(_write(tmp_path / "empty", b""))
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load_word2vec_format(tmp_path / "missing")
    with pytest.raises(FormatError, match="corrupt compressed"):
        KeyedVectors.load_word2vec_format(_write(tmp_path / "x.gz", gzip.compress(os.urandom(3000))[:1000]))


# -- issue #17: gensim's exception types, fvocab decoding, file modes, mislabelled files ----
def test_fvocab_words_decoded_with_unicode_errors_like_gensim(tmp_path):
    from fastw2v.errors import UndecodableError
    # the C tool cuts long words by bytes, in the vector file and in its -save-vocab file
    words = [b"ok", b"caf\xc3", b"\xff\xfebad", "東".encode()]
    vecs = np.arange(8, dtype=np.float32).reshape(4, 2)
    path, vocab = tmp_path / "v.bin", tmp_path / "v.vocab"
    path.write_bytes(b"4 2\n" + b"".join(w + b" " + v.tobytes() + b"\n" for w, v in zip(words, vecs)))
    vocab.write_bytes(b"".join(w + b" %d\n" % (100 - 7 * i) for i, w in enumerate(words)))
    with pytest.raises(UndecodableError, match=r"v\.vocab: line 2: .*caf.*unicode_errors") as err:
        KeyedVectors.load_word2vec_format(path, fvocab=vocab, binary=True)
    assert isinstance(err.value, UnicodeDecodeError) and err.value.object == b"caf\xc3"
    for errors in ("replace", "ignore"):
        ours = KeyedVectors.load_word2vec_format(path, fvocab=vocab, binary=True, unicode_errors=errors)
        theirs = GensimKV.load_word2vec_format(str(path), fvocab=str(vocab), binary=True,
                                               unicode_errors=errors)
        assert_equal_kv(ours, theirs)
        assert [ours.get_vecattr(k, "count") for k in ours.index_to_key] == \
            [theirs.get_vecattr(k, "count") for k in theirs.index_to_key] == [100, 93, 86, 79]
    # the vocabulary file's words are decoded as the vector file's (gensim: always UTF-8)
    latin = tmp_path / "l.txt"
    latin.write_bytes("2 1\ncafé 1\nna\u00efve 2\n".encode("latin-1"))
    lvocab = tmp_path / "l.vocab"
    lvocab.write_bytes("café 5\nna\u00efve 3\n".encode("latin-1"))
    kv = KeyedVectors.load_word2vec_format(latin, fvocab=lvocab, encoding="latin-1")
    assert kv.index_to_key == ["café", "naïve"] and kv.get_vecattr("naïve", "count") == 3


@pytest.mark.parametrize("binary", [True, False])
def test_truncated_files_are_eoferrors_as_in_gensim(kv, tmp_path, binary):
    from fastw2v.errors import TruncatedFileError
    good = tmp_path / "good"
    kv.save_word2vec_format(good, binary=binary)
    data = good.read_bytes()
    V, d = len(kv), kv.vector_size
    body = data[data.index(b"\n") + 1:]
    cases = {"cut_half": data[:len(data) // 2],
             "cut_last_row": data[:-7] if binary else data[:data.rindex(b" ")],
             "more_rows": f"{V + 2} {d}\n".encode() + body}
    for name, content in cases.items():
        path = _write(tmp_path / name, content)
        # a text file cut inside a row: gensim fails in NumPy (ValueError: could not
        # broadcast), fastw2v says it is truncated
        with pytest.raises(EOFError if binary or name == "more_rows" else ValueError):
            GensimKV.load_word2vec_format(str(path), binary=binary)
        with pytest.raises(TruncatedFileError, match=name) as err:
            KeyedVectors.load_word2vec_format(path, binary=binary)
        assert isinstance(err.value, (EOFError, FormatError, ValueError))
    gz = tmp_path / "cut.bin.gz"
    gz.write_bytes(gzip.compress(data)[:-30])
    with pytest.raises(EOFError, match="cut.bin.gz"):
        KeyedVectors.load_word2vec_format(gz, binary=binary)
    native = tmp_path / "k.fw2v"
    kv.save(native)
    _write(tmp_path / "cut.fw2v", native.read_bytes()[:-100])
    with pytest.raises(TruncatedFileError, match="cut.fw2v"):
        KeyedVectors.load(tmp_path / "cut.fw2v")


@pytest.mark.parametrize("binary", [True, False])
def test_undecodable_words_are_unicodedecodeerrors_as_in_gensim(tmp_path, binary):
    from fastw2v.errors import UndecodableError
    path = tmp_path / "bad"
    rows = [(b"ok", [1.0, 2.0]), (b"caf\xe9", [3.0, 4.0])]
    path.write_bytes(b"2 2\n" + b"".join(
        w + b" " + (np.array(v, "<f4").tobytes() if binary else b"%g %g" % tuple(v)) + b"\n"
        for w, v in rows))
    with pytest.raises(UnicodeDecodeError):
        GensimKV.load_word2vec_format(str(path), binary=binary)
    with pytest.raises(UndecodableError) as err:
        KeyedVectors.load_word2vec_format(path, binary=binary)
    exc = err.value
    assert isinstance(exc, UnicodeDecodeError) and isinstance(exc, FormatError)
    assert str(exc).startswith(str(path)) and "unicode_errors" in str(exc)
    assert (exc.encoding, exc.object, exc.start, exc.end) == ("utf-8", b"caf\xe9", 3, 4)


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_saved_files_honour_the_umask_like_gensim(kv, tmp_path, umask):
    old = os.umask(umask)
    try:
        (tmp_path / "gensim.txt").unlink(missing_ok=True)
        gensim_copy(kv).save_word2vec_format(str(tmp_path / "gensim.txt"))
        kv.save_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab")
        kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
        kv.save_word2vec_format(tmp_path / "v.txt.gz")
        kv.save(tmp_path / "v.fw2v")
    finally:
        os.umask(old)
    expect = 0o666 & ~umask
    assert os.stat(tmp_path / "gensim.txt").st_mode & 0o777 == expect
    for name in ("v.txt", "v.vocab", "v.bin", "v.txt.gz", "v.fw2v"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == expect, name


def test_overwriting_keeps_the_files_mode_and_errors_name_the_target(kv, tmp_path):
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(path)
    os.chmod(path, 0o640)
    kv.save_word2vec_format(path, binary=True)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["v.txt"]
    target = tmp_path / "no_such_dir" / "v.txt"
    with pytest.raises(FileNotFoundError) as err:
        kv.save_word2vec_format(target)
    assert err.value.filename == str(target) and ".tmp" not in str(err.value)
    with pytest.raises(FileNotFoundError) as err:
        kv.save(tmp_path / "no_such_dir" / "k.fw2v")
    assert ".tmp" not in str(err.value)


def test_saving_through_a_link_or_into_a_pipe_writes_the_target(kv, tmp_path):
    # saves are atomic (a temporary file renamed over the target); a rename must not
    # replace a symbolic link by a regular file, nor /dev/stdout or a pipe by a file
    target = tmp_path / "target.txt"
    target.write_bytes(b"")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    kv.save_word2vec_format(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert KeyedVectors.load_word2vec_format(target).index_to_key == kv.index_to_key
    dangling = tmp_path / "dangling.bin"
    dangling.symlink_to(tmp_path / "made.bin")
    kv.save_word2vec_format(dangling, binary=True)
    assert dangling.is_symlink() and (tmp_path / "made.bin").is_file()
    assert sorted(os.listdir(tmp_path)) == ["dangling.bin", "link.txt", "made.bin", "target.txt"]

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    kv.save_word2vec_format(fifo)
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    (tmp_path / "plain.txt").write_bytes(got[0])
    assert KeyedVectors.load_word2vec_format(tmp_path / "plain.txt").index_to_key == kv.index_to_key
    kv.save(os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize("dims", [100, 12, 2])
def test_binary_file_read_as_text_says_pass_binary(tmp_path, dims):
    rng = np.random.default_rng(dims)
    keys = [f"w{i}" for i in range(40)]
    kv = KeyedVectors(dims, keys, rng.standard_normal((40, dims)).astype(np.float32))
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path, binary=True)
    with pytest.raises(FormatError, match=r"v\.bin: this looks like a binary file: pass binary=True"):
        KeyedVectors.load_word2vec_format(path)
    kv.save_word2vec_format(tmp_path / "v.txt")
    with pytest.raises(FormatError, match=r"v\.txt: this looks like a text file.*pass binary=False"):
        KeyedVectors.load_word2vec_format(tmp_path / "v.txt", binary=True)
    # gensim's binary rows (no newline after each) are recognised too
    g = tmp_path / "g.bin"
    gensim_copy(kv).save_word2vec_format(str(g), binary=True)
    with pytest.raises(FormatError, match=r"g\.bin: this looks like a binary file: pass binary=True"):
        KeyedVectors.load_word2vec_format(g)


def test_text_errors_are_not_blamed_on_binary(tmp_path):
    # a text file with a latin-1 word and a short row: the row is what is wrong
    path = _write(tmp_path / "t.txt", "3 2\ncafé 1 2\nb 3\nc 4 5\n".encode("latin-1"))
    with pytest.raises(FormatError, match=r"t\.txt: line 3: 1 values, expected 2") as err:
        KeyedVectors.load_word2vec_format(path, unicode_errors="replace")
    assert "binary" not in str(err.value)


def test_binary_bytes_differ_from_gensims_only_by_row_newlines(kv, tmp_path):
    """What docs/errors.md promises: same header, words and float32 bytes in the same
    order; fastw2v adds the C tool's newline after each row; fvocab files are equal."""
    theirs = gensim_copy(kv)
    theirs.allocate_vecattrs(["count"], [np.int64])
    theirs.expandos["count"][:] = kv.expandos["count"]
    kv.save_word2vec_format(tmp_path / "o.bin", fvocab=tmp_path / "o.vocab", binary=True)
    theirs.save_word2vec_format(str(tmp_path / "g.bin"), fvocab=str(tmp_path / "g.vocab"), binary=True)
    ours_bytes, gensim_bytes = (tmp_path / "o.bin").read_bytes(), (tmp_path / "g.bin").read_bytes()
    header = f"{len(kv)} {kv.vector_size}\n".encode()
    rows = [k.encode("utf-8") + b" " + kv[k].astype("<f4").tobytes() for k in kv.index_to_key]
    assert gensim_bytes == header + b"".join(rows)
    assert ours_bytes == header + b"".join(r + b"\n" for r in rows)
    assert len(ours_bytes) == len(gensim_bytes) + len(kv)
    assert (tmp_path / "o.vocab").read_bytes() == (tmp_path / "g.vocab").read_bytes()


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_two_vector_sets_appended_into_one_file_as_gensim(tmp_path, binary, suffix):
    from gensim.models import KeyedVectors as GensimKV
    rng = np.random.default_rng(0)
    a = KeyedVectors(5, ["alpha", "beta", "gamma"], rng.random((3, 5), dtype=np.float32),
                     counts=[9, 8, 7])
    b = KeyedVectors(5, ["delta", "epsilon"], rng.random((2, 5), dtype=np.float32),
                     counts=[6, 5])
    path = tmp_path / f"both.vec{suffix}"
    a.save_word2vec_format(path, binary=binary, total_vec=5, fvocab=tmp_path / "v.txt")
    b.save_word2vec_format(path, binary=binary, append=True, write_header=False,
                           fvocab=tmp_path / "v.txt")
    for kv in (KeyedVectors.load_word2vec_format(path, binary=binary),
               GensimKV.load_word2vec_format(str(path), binary=binary)):
        assert kv.index_to_key == a.index_to_key + b.index_to_key
        np.testing.assert_allclose(kv.vectors, np.vstack([a.vectors, b.vectors]), rtol=1e-6)
    assert [ln.split()[0] for ln in (tmp_path / "v.txt").read_text().splitlines()] == \
        a.index_to_key + b.index_to_key
    # a header announcing fewer rows than are written would hide the last ones
    with pytest.raises(ValueError, match="total_vec=2 is less than the 3 vectors"):
        a.save_word2vec_format(tmp_path / "short.vec", total_vec=2)
    assert not (tmp_path / "short.vec").exists()
