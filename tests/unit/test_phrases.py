"""fastw2v.Phrases against gensim's Phrases on the same data, word2phrase against the C
tool's formula, corpus files, saving and loading, and bad input."""
import gzip
import lzma
import math
import pickle

import pytest

gensim_phrases = pytest.importorskip("gensim.models.phrases")

from fastw2v import (ENGLISH_CONNECTOR_WORDS, CorpusError, FormatError, FrozenPhrases,
                     ParameterError, Phraser, Phrases)
from fastw2v.corpus import sources
from fastw2v.phrases import npmi_scorer, original_scorer, word2phrase
from fastw2v.phrases.params import check_max_vocab_size, check_threshold

CONFIGS = {
    "default": dict(min_count=5, threshold=10.0),
    "npmi": dict(min_count=5, threshold=0.5, scoring="npmi"),
    "connectors": dict(min_count=3, threshold=5.0, connector_words=ENGLISH_CONNECTOR_WORDS),
}


def lines_of(path):
    with open(path, encoding="utf-8") as fh:
        return [line.split() for line in fh]


def gensim_model(sentences, **kw):
    return gensim_phrases.Phrases(sentences, **kw)


def assert_same_model(ours, theirs, sentences, thorough=True):
    """Same counts in the same order, same phrases and scores, same joined sentences
    (``thorough``: also applied by the unfrozen models, and find_phrases)."""
    assert ours.corpus_word_count == theirs.corpus_word_count
    assert len(ours.vocab) == len(theirs.vocab)
    assert list(ours.vocab.items()) == list(theirs.vocab.items())
    frozen, their_frozen = ours.freeze(), theirs.freeze()
    assert frozen.phrasegrams == their_frozen.phrasegrams
    expected = list(their_frozen[sentences])
    assert list(frozen[sentences]) == expected
    if thorough:
        assert ours.export_phrases() == theirs.export_phrases()
        assert list(ours[sentences]) == list(theirs[sentences])
        assert ours.find_phrases(sentences) == theirs.find_phrases(sentences)
    return frozen, expected


@pytest.fixture(scope="module")
def small_lines(small_text_file):
    return lines_of(small_text_file)


# -- the same answers as gensim ----------------------------------------------------------

@pytest.mark.parametrize("config", list(CONFIGS))
def test_corpus_file_matches_gensim(small_text_file, small_lines, tmp_path, config):
    kw = CONFIGS[config]
    ours = Phrases(corpus_file=small_text_file, **kw)
    frozen, expected = assert_same_model(ours, gensim_model(small_lines, **kw), small_lines)
    out = tmp_path / "joined.txt"
    stats = frozen.transform_file(small_text_file, out)
    assert lines_of(out) == expected
    assert not any(ours.delimiter in t for s in small_lines for t in s)
    assert stats["phrases"] == sum(ours.delimiter in t for s in expected for t in s)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_sentences_match_gensim(small_lines, config):
    kw = CONFIGS[config]
    assert_same_model(Phrases(small_lines, **kw), gensim_model(small_lines, **kw), small_lines)


@pytest.mark.slow
@pytest.mark.parametrize("config", list(CONFIGS))
def test_shipped_sample_matches_gensim(sample_corpus_path, sample_text_file, tmp_path, config):
    """The whole shipped sample (1.5M words), read compressed by fastw2v."""
    kw = CONFIGS[config]
    lines = lines_of(sample_text_file)
    ours = Phrases(corpus_file=sample_corpus_path, **kw)
    frozen, expected = assert_same_model(ours, gensim_model(lines, **kw), lines,
                                         thorough=False)
    out = tmp_path / "joined.txt.xz"
    frozen.transform_file(sample_corpus_path, out)
    with lzma.open(out, "rt", encoding="utf-8") as fh:
        assert [line.split() for line in fh] == expected


def test_custom_scorer_matches_gensim(small_lines):
    ours = Phrases(small_lines, scoring=count_ratio, threshold=0.05)
    theirs = gensim_model(small_lines, scoring=count_ratio, threshold=0.05)
    frozen, _ = assert_same_model(ours, theirs, small_lines)
    assert frozen.phrasegrams


def count_ratio(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                corpus_word_count):
    """A custom scorer at module level (so that it can be saved by name)."""
    return bigram_count / min(worda_count, wordb_count) if bigram_count >= min_count else -1.0


def test_gensims_own_scorer_functions_run_compiled(small_lines):
    ours = Phrases(small_lines, scoring=gensim_phrases.npmi_scorer, threshold=0.5)
    assert ours._kind() == Phrases(small_lines[:1], scoring="npmi", threshold=0.5)._kind()
    assert ours.export_phrases() == gensim_model(small_lines, scoring="npmi",
                                                 threshold=0.5).export_phrases()


def test_add_vocab_merges_as_gensim(small_lines):
    half = len(small_lines) // 2
    ours, theirs = Phrases(small_lines[:half]), gensim_model(small_lines[:half])
    ours.add_vocab(small_lines[half:])
    theirs.add_vocab(small_lines[half:])
    assert ours.min_reduce == theirs.min_reduce
    assert_same_model(ours, theirs, small_lines)


def test_add_vocab_of_an_empty_batch_changes_nothing_as_gensim(small_lines, tmp_path):
    """Streaming code adds whatever batch came; an empty one is no error in gensim."""
    (tmp_path / "empty.txt").write_text(" \n\n")
    ours, theirs = Phrases(small_lines[:300]), gensim_model(small_lines[:300])
    before = (list(ours.vocab.items()), ours.corpus_word_count, ours.min_reduce)
    for batch in ([], [[]], [[], []], iter([])):
        ours.add_vocab(batch)
        theirs.add_vocab(batch)
    ours.add_vocab(corpus_file=tmp_path / "empty.txt")
    assert (list(ours.vocab.items()), ours.corpus_word_count, ours.min_reduce) == before
    assert_same_model(ours, theirs, small_lines[:300], thorough=False)
    assert ours.corpus_word_count == theirs.corpus_word_count
    fresh, their_fresh = Phrases(), gensim_model(None)      # a model without counts yet
    fresh.add_vocab([])
    their_fresh.add_vocab([])
    assert len(fresh.vocab) == len(their_fresh.vocab) == 0 and fresh.corpus_word_count == 0
    fresh.add_vocab(small_lines[:300])                      # and it still learns
    assert list(fresh.vocab.items()) == list(ours.vocab.items())
    # the constructor still refuses an empty corpus (documented)
    with pytest.raises(CorpusError, match="empty"):
        Phrases([])


@pytest.mark.parametrize("max_vocab_size", [500, 5000, 40000])
def test_pruning_matches_gensim(small_text_file, small_lines, max_vocab_size):
    kw = dict(min_count=2, threshold=1.0, max_vocab_size=max_vocab_size)
    theirs = gensim_model(small_lines, **kw)
    for ours in (Phrases(small_lines, **kw), Phrases(corpus_file=small_text_file, **kw)):
        assert list(ours.vocab.items()) == list(theirs.vocab.items())
        assert ours.export_phrases() == theirs.export_phrases()
    # merging two pruned tables prunes again, as gensim
    half = len(small_lines) // 2
    ours, theirs = Phrases(small_lines[:half], **kw), gensim_model(small_lines[:half], **kw)
    ours.add_vocab(small_lines[half:])
    theirs.add_vocab(small_lines[half:])
    assert ours.min_reduce == theirs.min_reduce
    assert list(ours.vocab.items()) == list(theirs.vocab.items())


def test_max_vocab_size_as_a_whole_float_as_gensim(small_lines):
    """gensim users write max_vocab_size=1e7 (gensim compares it with a count)."""
    from fastw2v.phrases import Phrases
    import gensim.models.phrases as gp
    for size in (1e7, 2000.0):
        ours = Phrases(small_lines, min_count=2, threshold=1.0, max_vocab_size=size)
        theirs = gp.Phrases(small_lines, min_count=2, threshold=1.0, max_vocab_size=size)
        assert ours.max_vocab_size == int(size) and type(ours.max_vocab_size) is int
        assert ours.export_phrases() == theirs.export_phrases()
    with pytest.raises(ValueError, match="max_vocab_size"):
        Phrases(small_lines, max_vocab_size=2.5)


@pytest.mark.parametrize("max_vocab_size", [2 ** 63 - 1, 2 ** 63, 10 ** 20])
def test_max_vocab_size_beyond_int64_prunes_nothing_as_gensim(small_text_file, small_lines,
                                                              tmp_path, max_vocab_size):
    """gensim takes any int (a limit no dict reaches); the compiled counting takes an
    int64, so a larger one counts as 2**63 - 1: no OverflowError, and no pruning."""
    assert check_max_vocab_size(max_vocab_size) == 2 ** 63 - 1
    lines = small_lines[:400]
    kw = dict(min_count=2, threshold=1.0, max_vocab_size=max_vocab_size)
    theirs = gensim_model(lines, **kw)
    unpruned = gensim_model(lines, min_count=2, threshold=1.0)
    assert dict(theirs.vocab) == dict(unpruned.vocab) and theirs.min_reduce == 1
    path = tmp_path / "c.txt"
    path.write_text("".join(" ".join(line) + "\n" for line in lines), encoding="utf-8")
    for ours in (Phrases(lines, **kw), Phrases(corpus_file=path, **kw)):
        assert ours.max_vocab_size == theirs.max_vocab_size == max_vocab_size
        assert list(ours.vocab.items()) == list(theirs.vocab.items())
        assert ours.export_phrases() == theirs.export_phrases()
        assert ours.min_reduce == theirs.min_reduce == 1
    # add_vocab counts into a table of the same limit, then merges without pruning
    ours, theirs = Phrases(lines[:200], **kw), gensim_model(lines[:200], **kw)
    ours.add_vocab(lines[200:])
    theirs.add_vocab(lines[200:])
    assert list(ours.vocab.items()) == list(theirs.vocab.items())
    # the value given is kept (as gensim) and survives a save
    ours.save(tmp_path / "p.model")
    assert Phrases.load(tmp_path / "p.model").max_vocab_size == max_vocab_size
    # the C tool's word2phrase takes it too, and prunes nothing either
    word2phrase(path, tmp_path / "big.txt", min_count=2, threshold=1.0,
                max_vocab_size=max_vocab_size)
    word2phrase(path, tmp_path / "plain.txt", min_count=2, threshold=1.0)
    assert (tmp_path / "big.txt").read_bytes() == (tmp_path / "plain.txt").read_bytes()


def test_pruning_bounds_memory_on_one_long_line(tmp_path):
    """One huge line: gensim would count it whole; fastw2v prunes inside it at twice
    max_vocab_size, so the table stays bounded."""
    path = tmp_path / "one_line.txt"
    path.write_text(" ".join(f"w{i % 7919} w{i}" for i in range(100000)) + "\n")
    model = Phrases(corpus_file=path, max_vocab_size=2000)
    assert len(model.vocab) <= 2 * 2000 + 2 < 200000 * 0.9


EDGE_SENTENCES = [
    ["new", "york", "is", "in", "new_york", "state"],          # a token holding the delimiter
    ["new", "york", "", "new", "york", ""],                    # empty tokens
    ["", "of", "new", "york", "of", "the", "york"],
    ["the", "bank", "of", "the", "new", "york", "of"],
    ["new", "york"] * 3,
    ["ünïcode", "wörds", "ünïcode", "wörds", "東京", "大学", "東京", "大学"],
    [],
    ["of", "the"],
    ["bank", "of", "america", "bank", "of", "america", "bank_of_america"],
]


@pytest.mark.parametrize("connectors", [frozenset(), ENGLISH_CONNECTOR_WORDS])
def test_edge_tokens_match_gensim(connectors):
    kw = dict(min_count=1, threshold=0.5, connector_words=connectors)
    ours, theirs = Phrases(EDGE_SENTENCES, **kw), gensim_model(EDGE_SENTENCES, **kw)
    assert_same_model(ours, theirs, EDGE_SENTENCES)
    for sentence in EDGE_SENTENCES:
        assert list(ours.analyze_sentence(sentence)) == list(theirs.analyze_sentence(sentence))
        assert ours.score_candidate("new", "york", []) == theirs.score_candidate("new", "york", [])
        assert ours.freeze().score_candidate("bank", "america", ["of"]) == \
            theirs.freeze().score_candidate("bank", "america", ["of"])


def test_connector_phrase_bank_of_america():
    sentences = [["bank", "of", "america", "is", "a", "bank"]] * 5 + [["of", "america"]]
    model = Phrases(sentences, min_count=1, threshold=0.1, connector_words=ENGLISH_CONNECTOR_WORDS)
    assert model[["the", "bank", "of", "america", "of"]] == ["the", "bank_of_america", "of"]
    assert "bank_of_america" in model.freeze().phrasegrams


def test_getitem_sentence_corpus_and_generators():
    sentences = [["new", "york", "city"], ["new", "york"], ["york", "new"]] * 5
    model = Phrases(sentences, min_count=1, threshold=0.2)
    assert model[["new", "york", "city"]] == ["new_york", "city"]
    assert model[("new", "york")] == ["new_york"]
    assert model[iter(["new", "york"])] == ["new_york"]          # one sentence, as an iterator
    assert model[[]] == []
    corpus = model[sentences]
    assert list(corpus) == list(corpus) and len(corpus) == len(sentences)
    generated = model[(s for s in sentences[:2])]
    assert list(generated) == [["new_york", "city"], ["new_york"]]
    # learning reads the corpus once: a generator is fine, as in gensim
    assert Phrases((s for s in sentences), min_count=1).vocab["new_york"] == 10
    frozen = model.freeze()
    assert Phraser is FrozenPhrases and list(frozen[sentences]) == list(corpus)


def test_vocab_view_and_setter():
    model = Phrases([["a", "b", "a", "b"]], min_count=1, threshold=0.5)
    assert model.vocab["a_b"] == 2 and model.vocab.get("zz") is None and "a" in model.vocab
    with pytest.raises(KeyError):
        model.vocab["zz"]
    model.vocab = {"x": 3, "y": 3, "x_y": 3}
    assert dict(model.vocab) == {"x": 3, "y": 3, "x_y": 3} and model[["x", "y"]] == ["x_y"]
    assert "3 vocab" in str(model)


def test_threshold_and_phrasegrams_edits_apply_at_once():
    model = Phrases([["a", "b"]] * 10 + [["a", "c"]], min_count=1, threshold=0.2)
    assert model[["a", "b"]] == ["a_b"]
    model.threshold = 1e9
    assert model[["a", "b"]] == ["a", "b"]
    frozen = Phrases([["a", "b"]] * 10 + [["a", "c"]], min_count=1, threshold=0.2).freeze()
    frozen.phrasegrams["c_d"] = 100.0
    assert frozen[["c", "d"]] == ["c_d"]
    del frozen.phrasegrams["a_b"]
    assert frozen[["a", "b"]] == ["a", "b"]
    frozen.phrasegrams = {"a_b": 2.0}
    assert frozen[["a", "b", "c", "d"]] == ["a_b", "c", "d"]


def test_frozen_from_a_gensim_model(small_lines):
    theirs = gensim_model(small_lines, connector_words=ENGLISH_CONNECTOR_WORDS)
    for source in (theirs, theirs.freeze()):
        frozen = FrozenPhrases(source)
        assert frozen.phrasegrams == theirs.freeze().phrasegrams
        assert list(frozen[small_lines[:50]]) == list(theirs.freeze()[small_lines[:50]])


def test_connector_words_given_as_bytes_are_decoded():
    """gensim 3 kept connector words (``common_terms``) as UTF-8 bytes."""
    sentences = [["bank", "of", "america"], ["the", "bank", "of", "the", "river"]] * 4
    model = Phrases(sentences, min_count=1, threshold=0.1, connector_words=[b"of", "the"])
    assert model.connector_words == frozenset({"of", "the"})
    assert model[["bank", "of", "america"]] == ["bank_of_america"]
    with pytest.raises(ParameterError, match="not UTF-8"):
        Phrases(sentences, connector_words=[b"\xff"])


# -- word2phrase.c -----------------------------------------------------------------------

def test_word2phrase_by_hand(tmp_path):
    """word2phrase.c on 'a b c / a b d / a b c / x y', -min-count 2 -threshold 1:
    11 words; a_b counted 3 times, a and b 3 times each: (3 - 2) / 3 / 3 * 11 = 1.22 > 1;
    b_c: (2 - 2) / ... = 0. Only a_b joins."""
    src = tmp_path / "in.txt"
    src.write_text("a b c\na b d\na b c\nx y\n")
    stats = word2phrase(src, tmp_path / "out.txt", min_count=2, threshold=1)
    assert (tmp_path / "out.txt").read_text() == "a_b c\na_b d\na_b c\nx y\n"
    assert stats["train_words"] == 11 and stats["phrases"] == 3
    word2phrase(src, tmp_path / "out2.txt", min_count=2, threshold=11 / 9 + 1e-6)
    assert (tmp_path / "out2.txt").read_text() == "a b c\na b d\na b c\nx y\n"


def test_word2phrase_counts_pairs_across_lines_but_never_joins_them(tmp_path):
    """The C tool reads one stream: 'z p / q r / p q' counts p_q twice (once across the
    first line's end), so with -min-count 1 its score is (2 - 1) / 2 / 2 * 6 = 1.5; the
    pair across the line end itself is never joined."""
    src = tmp_path / "in.txt"
    src.write_text("z p\nq r\np q\n")
    word2phrase(src, tmp_path / "out.txt", min_count=1, threshold=1.4)
    assert (tmp_path / "out.txt").read_text() == "z p\nq r\np_q\n"
    word2phrase(src, tmp_path / "out.txt", min_count=1, threshold=1.5)   # not above
    assert (tmp_path / "out.txt").read_text() == "z p\nq r\np q\n"
    # gensim's Phrases counts within sentences and multiplies by the vocabulary size
    model = Phrases(corpus_file=src, min_count=1, threshold=1.4)
    assert model.vocab["p_q"] == 1 and model[["p", "q"]] == ["p", "q"]


def test_word2phrase_score_is_float32(tmp_path):
    """(pab - min_count) / pa / pb * train_words in float32, compared with a float32
    threshold: the C tool's arithmetic."""
    import numpy as np
    src = tmp_path / "in.txt"
    src.write_text(("a b c d e f g\n" * 3) + "a h\n")
    a, b, ab, words, mc = 4, 3, 3, 23, 2
    score = np.float32(ab - mc) / np.float32(a) / np.float32(b) * np.float32(words)
    word2phrase(src, tmp_path / "o.txt", min_count=mc, threshold=float(score))
    assert "a_b" not in (tmp_path / "o.txt").read_text()
    word2phrase(src, tmp_path / "o.txt", min_count=mc,
                threshold=float(np.nextafter(score, np.float32(0))))
    assert "a_b" in (tmp_path / "o.txt").read_text()


# -- corpus files ------------------------------------------------------------------------

def test_files_compressed_directories_and_blocks(tmp_path, small_text_file, monkeypatch):
    text = open(small_text_file, encoding="utf-8").read()
    with gzip.open(tmp_path / "c.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write(text)
    corpus_dir = tmp_path / "dir"
    corpus_dir.mkdir()
    lines = text.splitlines(keepends=True)
    (corpus_dir / "1.txt").write_text("".join(lines[:500]), encoding="utf-8")
    (corpus_dir / "2.txt").write_text("".join(lines[500:]).rstrip("\n"), encoding="utf-8")
    reference = Phrases(corpus_file=small_text_file)
    for source in (tmp_path / "c.txt.gz", corpus_dir):
        model = Phrases(corpus_file=source)
        assert list(model.vocab.items()) == list(reference.vocab.items())
    monkeypatch.setattr(sources, "BLOCK_BYTES", 97)        # lines cut across many blocks
    model = Phrases(corpus_file=small_text_file)
    assert list(model.vocab.items()) == list(reference.vocab.items())
    reference.freeze().transform_file(corpus_dir, tmp_path / "out.txt.bz2")
    import bz2
    with bz2.open(tmp_path / "out.txt.bz2", "rt", encoding="utf-8") as fh:
        got = fh.read()
    joined = reference.freeze()[lines_of(small_text_file)]
    assert got.split("\n")[:-1] == [" ".join(s) for s in joined]


def test_transform_keeps_lines_and_unicode_spaces(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("new york\u00a0new\tyork\n\n  \nnew\u3000york", encoding="utf-8")
    model = Phrases(corpus_file=src, min_count=1, threshold=0.1)
    assert model.vocab["new_york"] == 3            # str.split() splits at U+00A0, U+3000
    out = tmp_path / "out.txt"
    model.transform_file(src, out)
    assert out.read_text(encoding="utf-8") == "new_york new_york\n\n\nnew_york\n"


def test_two_step_path_trains_on_phrases(tmp_path, small_text_file):
    from fastw2v import Word2Vec
    frozen = Phrases(corpus_file=small_text_file, connector_words=ENGLISH_CONNECTOR_WORDS).freeze()
    out = tmp_path / "phrased.txt"
    frozen.transform_file(small_text_file, out)
    model = Word2Vec(corpus_file=str(out), vector_size=16, epochs=1, min_count=5, workers=1)
    joined = [w for w in model.wv.index_to_key if frozen.delimiter in w]
    assert joined and all(w in frozen.phrasegrams for w in joined[:20])


def test_unicode_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"new york\nnew \xff york\n")
    with pytest.raises(CorpusError, match=r"line 2 .*not valid UTF-8"):
        Phrases(corpus_file=bad)
    model = Phrases(corpus_file=bad, min_count=1, threshold=0.1, unicode_errors="replace")
    assert model.vocab["\ufffd"] == 1
    assert Phrases(corpus_file=bad, min_count=1, unicode_errors="ignore").vocab["new_york"] == 2
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        model.freeze().transform_file(bad, tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()            # nothing half-written


# -- saving and loading ------------------------------------------------------------------

def test_save_load_round_trip(tmp_path, small_lines):
    model = Phrases(small_lines, connector_words=ENGLISH_CONNECTOR_WORDS, threshold=5)
    model.save(tmp_path / "p.model")
    loaded = Phrases.load(tmp_path / "p.model")
    assert type(loaded) is Phrases and list(loaded.vocab.items()) == list(model.vocab.items())
    for name in ("min_count", "threshold", "max_vocab_size", "delimiter", "progress_per",
                 "connector_words", "corpus_word_count", "min_reduce", "scoring"):
        assert getattr(loaded, name) == getattr(model, name), name
    frozen = model.freeze()
    frozen.save(tmp_path / "f.model")
    for cls in (Phrases, FrozenPhrases):                   # gensim's load returns what was saved
        again = cls.load(tmp_path / "f.model")
        assert type(again) is FrozenPhrases and again.phrasegrams == frozen.phrasegrams
        assert list(again[small_lines[:100]]) == list(frozen[small_lines[:100]])
    custom = Phrases(small_lines[:200], scoring=count_ratio, threshold=0.1)
    custom.save(tmp_path / "c.model")
    assert Phrases.load(tmp_path / "c.model").scoring is count_ratio
    for obj in (model, frozen, custom):
        clone = pickle.loads(pickle.dumps(obj))
        assert list(clone[small_lines[:100]]) == list(obj[small_lines[:100]])


def test_save_load_take_gensims_keywords(tmp_path, small_lines):
    """gensim's SaveLoad arguments are accepted (and change nothing in a native file);
    save() also writes to an open binary file object, as gensim's does."""
    import io
    model = Phrases(small_lines[:300], connector_words=ENGLISH_CONNECTOR_WORDS, threshold=5)
    model.save(tmp_path / "events.model")
    saving = Phrases.load(tmp_path / "events.model").lifecycle_events[-2]
    assert saving["event"] == "saving" and saving["sep_limit"] == 10 * 1024 ** 2
    # each save records itself (gensim's "saving" event): off, so that the bytes compare
    model.lifecycle_events = None
    model.save(tmp_path / "plain.model")
    plain = (tmp_path / "plain.model").read_bytes()
    model.save(tmp_path / "kw.model", separately=["vocab"], sep_limit=0,
               ignore=frozenset({"vocab"}), pickle_protocol=2)
    model.save(tmp_path / "pos.model", None, 10 * 1024 ** 2, frozenset(), 4)
    assert (tmp_path / "kw.model").read_bytes() == (tmp_path / "pos.model").read_bytes() \
        == plain
    buffer = io.BytesIO()
    model.save(buffer)
    assert buffer.getvalue() == plain
    with open(tmp_path / "handle.model", "wb") as fh:
        fh.write(b"")
        model.save(fh)
        assert not fh.closed                                 # the caller's to close
    for mmap in (None, "r", "r+", "c"):
        loaded = Phrases.load(tmp_path / "handle.model", mmap=mmap)
        assert list(loaded.vocab.items()) == list(model.vocab.items())
        assert loaded.export_phrases() == model.export_phrases()
    frozen = model.freeze()
    buffer = io.BytesIO()
    frozen.save(buffer, pickle_protocol=5)
    (tmp_path / "f.model").write_bytes(buffer.getvalue())
    assert FrozenPhrases.load(tmp_path / "f.model", mmap="r").phrasegrams == frozen.phrasegrams
    with pytest.raises(ParameterError, match="mmap='w' is invalid"):
        Phrases.load(tmp_path / "f.model", mmap="w")


def test_load_with_scoring_replaces_the_saved_scorer(tmp_path, small_lines):
    custom = Phrases(small_lines[:300], scoring=count_ratio, threshold=0.1)
    custom.save(tmp_path / "c.model")
    assert Phrases.load(tmp_path / "c.model", scoring="npmi").scoring is npmi_scorer
    assert Phrases.load(tmp_path / "c.model", scoring=original_scorer).scoring \
        is original_scorer
    with pytest.raises(ParameterError, match="scoring='pmi' is invalid"):
        Phrases.load(tmp_path / "c.model", scoring="pmi")


def test_load_rejects_other_files(tmp_path):
    (tmp_path / "text.txt").write_text("a b c\n")
    (tmp_path / "long.txt").write_text("a b c d e f g h i j k l m n o p q r s t u v w x\n")
    for name in ("text.txt", "long.txt"):
        with pytest.raises(FormatError, match="neither a fastw2v phrase model nor a model "
                                              "saved by gensim"):
            Phrases.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        Phrases.load(tmp_path / "missing.model")
    model = Phrases([["a", "b"]] * 3, min_count=1)
    model.save(tmp_path / "p.model")
    data = (tmp_path / "p.model").read_bytes()
    (tmp_path / "cut.model").write_bytes(data[: len(data) - 5])
    with pytest.raises(FormatError, match="truncated"):
        Phrases.load(tmp_path / "cut.model")
    # a fastw2v file cut short, empty, or with a damaged header is not a gensim model:
    # its error is told as it is, without the hint (and a cut one is still an EOFError)
    (tmp_path / "empty.model").write_bytes(b"")
    (tmp_path / "head.model").write_bytes(data[:5])
    broken = bytearray(data)
    broken[20:24] = b"\xff\xff\xff\xff"           # inside the JSON header
    (tmp_path / "header.model").write_bytes(bytes(broken))
    for name, match in (("cut.model", "truncated"), ("empty.model", "too short"),
                        ("head.model", "too short"), ("header.model", "corrupt header")):
        with pytest.raises(FormatError, match=match) as exc:
            Phrases.load(tmp_path / name)
        assert "gensim" not in str(exc.value), name
        assert isinstance(exc.value, EOFError) == (name != "header.model"), name
    local = Phrases([["a", "b"]], scoring=lambda worda_count, wordb_count, bigram_count,
                    len_vocab, min_count, corpus_word_count: 1.0)
    with pytest.raises(ParameterError, match="cannot be saved"):
        local.save(tmp_path / "l.model")


# -- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(min_count=0), "min_count=0 is invalid"),
    (dict(min_count=-1), "min_count=-1 is invalid"),
    (dict(min_count=float("nan")), "min_count=nan is invalid"),
    (dict(min_count="5"), "min_count='5' is invalid"),
    (dict(threshold=0), "threshold=0 is invalid.*> 0"),
    (dict(threshold=-3.0), "threshold=-3.0 is invalid"),
    (dict(threshold=float("nan")), "threshold=nan is invalid"),
    (dict(threshold=1.5, scoring="npmi"), "between -1 and 1"),
    (dict(scoring="pmi"), "scoring='pmi' is invalid"),
    (dict(scoring=lambda a, b: 0), "lacks the parameters"),
    (dict(delimiter=""), "delimiter='' is invalid"),
    (dict(delimiter=" "), "holds whitespace"),
    (dict(delimiter="_\n"), "holds whitespace"),
    (dict(delimiter=5), "delimiter=5 is invalid"),
    (dict(max_vocab_size=0), "max_vocab_size=0 is invalid"),
    (dict(progress_per=0), "progress_per=0 is invalid"),
    (dict(connector_words="of the"), "connector_words='of the' is invalid"),
    (dict(connector_words=[1]), "1 is not a str"),
    (dict(unicode_errors="lenient"), "unicode_errors='lenient' is invalid"),
])
def test_parameters_out_of_domain(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Phrases([["a", "b"]], **kwargs)


def test_threshold_of_a_scorer_function_is_checked_only_when_asked():
    """gensim checks the threshold against the scoring names only: Phrases(threshold=-1,
    scoring=original_scorer) is accepted by both. A loaded model holds its scorer as a
    function, so the command line asks (functions=True) for the names' ranges."""
    sentences = [["a", "b", "c"]] * 4 + [["a", "c"]]
    for scorer in (original_scorer, gensim_phrases.original_scorer):
        ours = Phrases(sentences, min_count=1, threshold=-1.0, scoring=scorer)
        theirs = gensim_model(sentences, min_count=1, threshold=-1.0, scoring=scorer)
        assert ours.export_phrases() == theirs.export_phrases()
        check_threshold(-1.0, scorer)
        with pytest.raises(ParameterError, match="threshold=-1.0 is invalid: must be > 0 "
                           "for the default scoring"):
            check_threshold(-1.0, scorer, functions=True)
        check_threshold(0.5, scorer, functions=True)
    for scorer in (npmi_scorer, gensim_phrases.npmi_scorer):
        assert gensim_model(sentences, min_count=1, threshold=2.0, scoring=scorer)
        check_threshold(2.0, scorer)
        for bad in (2.0, -1.5):
            with pytest.raises(ParameterError, match=f"threshold={bad} is invalid: must be "
                               "between -1 and 1 for npmi scoring"):
                check_threshold(bad, scorer, functions=True)
        check_threshold(-0.5, scorer, functions=True)
    # a custom function has no known range
    check_threshold(-1e9, count_ratio, functions=True)
    with pytest.raises(ParameterError, match="threshold=nan is invalid"):
        check_threshold(float("nan"), count_ratio, functions=True)


def test_corpus_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        Phrases(corpus_file=tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text(" \n\n")
    with pytest.raises(CorpusError, match="empty"):
        Phrases(corpus_file=tmp_path / "empty.txt")
    with pytest.raises(CorpusError, match="empty"):
        Phrases([[], []])
    model = Phrases([["a", "b"]] * 3, min_count=1)
    with pytest.raises(CorpusError, match="empty"):
        model.freeze().transform_file(tmp_path / "empty.txt", tmp_path / "out.txt")
    with pytest.raises(CorpusError, match="does not exist"):
        model.transform_file(tmp_path / "missing.txt", tmp_path / "out.txt")
    with pytest.raises(ParameterError, match="not both"):
        Phrases([["a"]], corpus_file=tmp_path / "empty.txt")
    with pytest.raises(TypeError, match="single string"):
        Phrases("new york")
    with pytest.raises(TypeError, match="not a str|not a list"):
        Phrases(["new york", "new york"])
    with pytest.raises(TypeError, match="tokens must be str"):
        Phrases([["new", 5]])
    with pytest.raises(TypeError, match="tokens must be str"):
        model[["a", None]]


def test_custom_scorer_errors_propagate():
    def bad_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                   corpus_word_count):
        raise RuntimeError("scorer failed")
    model = Phrases([["a", "b"]] * 3, min_count=1, scoring=bad_scorer)
    with pytest.raises(RuntimeError, match="scorer failed"):
        model[["a", "b"]]
    with pytest.raises(RuntimeError, match="scorer failed"):
        model.freeze()


def test_scorers_are_gensims():
    args = dict(worda_count=10, wordb_count=20, bigram_count=8, len_vocab=1000, min_count=5,
                corpus_word_count=5000)
    assert original_scorer(**args) == gensim_phrases.original_scorer(**args)
    assert npmi_scorer(**args) == gensim_phrases.npmi_scorer(**args)
    assert npmi_scorer(**dict(args, bigram_count=2)) == -math.inf
    assert ENGLISH_CONNECTOR_WORDS == gensim_phrases.ENGLISH_CONNECTOR_WORDS


# -- state between calls, threads ---------------------------------------------------------
NY = [["new", "york", "is", "big"]] * 5


def _custom_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                   corpus_word_count):
    return bigram_count / (worda_count * wordb_count)


@pytest.mark.parametrize("frozen", [False, True])
def test_an_error_mid_sentence_leaves_no_trace(frozen, tmp_path):
    """A call stopped by an exception (a bad token, a failing scorer, a file that is
    not UTF-8) must not leave its half-applied sentence for the next call: that once
    gave ['is', 'is_big'] and read past the end of the next sentence's list."""
    model = Phrases(NY, min_count=1, threshold=0.1)
    if frozen:
        model = model.freeze()
    for bad in (["new", None], ["a", "b", "c", "d", 5], ["new", b"york"]):
        with pytest.raises(TypeError):
            model[bad]
        assert model[["is", "big"]] == ["is_big"]
        assert model[["x"]] == ["x"]
        assert list(model.analyze_sentence(["new", "york"])) == [("new_york", pytest.approx(
            model.score_candidate("new", "york", [])[1]))]
    text = tmp_path / "bad.txt"
    text.write_bytes(b"new york is big " * 1000 + b"new \xff\n")
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        model.transform_file(text, tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()
    assert model[["is", "big"]] == ["is_big"]
    good = tmp_path / "good.txt"
    good.write_text("new york\nis big\n")
    model.transform_file(good, tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_text() == "new_york\nis_big\n"


def test_a_scorer_that_fails_once_leaves_no_trace():
    calls = {"n": 0}

    def flaky(worda_count, wordb_count, bigram_count, len_vocab, min_count,
              corpus_word_count):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ZeroDivisionError("boom")
        return 10.0

    model = Phrases(NY, min_count=1, threshold=1.0, scoring=flaky)
    assert model[["new", "york"]] == ["new_york"]
    with pytest.raises(ZeroDivisionError, match="boom"):
        model[["is", "big", "new"]]
    assert model[["new", "york"]] == ["new_york"]


def test_threads_applying_one_model_get_their_own_answers(small_text_file, tmp_path):
    import threading
    sentences = lines_of(small_text_file)[:400]
    # a Python scorer lets the GIL pass between threads in the middle of a sentence
    model = Phrases(sentences, min_count=2, threshold=1e-7, scoring=_custom_scorer)
    frozen = Phrases(sentences, min_count=2, threshold=5).freeze()
    expect = [model[s] for s in sentences]
    expect_frozen = [frozen[s] for s in sentences]
    frozen.transform_file(small_text_file, tmp_path / "ref.txt")
    assert sum(len(e) for e in expect) < sum(len(s) for s in sentences)   # phrases formed
    wrong, errors = [0, 0, 0], []

    def apply(k):
        try:
            for _ in range(2):
                wrong[k] += sum(model[s] != e for s, e in zip(sentences, expect))
                wrong[k] += sum(frozen[s] != e for s, e in zip(sentences, expect_frozen))
        except Exception as exc:                     # pragma: no cover - the failure
            errors.append(exc)

    def transform():
        try:
            for i in range(3):      # without the GIL, while the others apply the model
                frozen.transform_file(small_text_file, tmp_path / f"t{i}.txt")
                wrong[2] += (tmp_path / f"t{i}.txt").read_bytes() != \
                    (tmp_path / "ref.txt").read_bytes()
        except Exception as exc:                     # pragma: no cover
            errors.append(exc)

    import sys
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=apply, args=(k,)) for k in (0, 1)]
        threads.append(threading.Thread(target=transform))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and wrong == [0, 0, 0]


def test_add_vocab_while_the_table_is_read_is_refused(tmp_path):
    text = tmp_path / "c.txt"
    text.write_text("new york is big\n" * 3)
    model = None

    def meddling(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                 corpus_word_count):
        model.add_vocab([["new", "york"]])            # changes the table being read
        return 1.0

    model = Phrases(NY, min_count=1, threshold=0.1, scoring=meddling)
    with pytest.raises(RuntimeError, match=r"add_vocab\(\) cannot run while .*transform_file"):
        model.transform_file(text, tmp_path / "out.txt")
    assert model.vocab["new_york"] == 5                # nothing was added
    model.scoring = _custom_scorer
    model.add_vocab([["new", "york"]])                 # and afterwards it may
    assert model.vocab["new_york"] == 6


def test_lazy_corpus_follows_the_model_and_can_be_indexed():
    model = Phrases(NY, min_count=1, threshold=0.1)
    lazy = model[[["new", "york"], ["new", "york"], ["is", "big"]]]
    it = iter(lazy)
    assert next(it) == ["new_york"]
    model.threshold = 1e9                             # from the next sentence on, as gensim
    assert next(it) == ["new", "york"]
    model.threshold = 0.1
    assert lazy[2] == ["is_big"]
    assert list(lazy[1:]) == [["new_york"], ["is_big"]]
    theirs = gensim_phrases.Phrases(NY, min_count=1, threshold=0.1)
    assert theirs[[["new", "york"], ["is", "big"]]][1] == lazy[2]


def test_threshold_checked_for_scoring_names_only_as_gensim():
    # gensim checks the threshold against 'default' and 'npmi' given by name; a scoring
    # function, even the same one, is the caller's business
    for scoring, threshold in ((original_scorer, 0), (npmi_scorer, 1.5),
                               (gensim_phrases.original_scorer, 0)):
        ours = Phrases(NY, min_count=1, threshold=threshold, scoring=scoring)
        theirs = gensim_phrases.Phrases(NY, min_count=1, threshold=threshold, scoring=scoring)
        assert ours.export_phrases() == theirs.export_phrases()
    for scoring, threshold in (("default", 0), ("npmi", 1.5)):
        with pytest.raises(ParameterError, match="threshold"):
            Phrases(NY, min_count=1, threshold=threshold, scoring=scoring)
        with pytest.raises(ValueError):
            gensim_phrases.Phrases(NY, min_count=1, threshold=threshold, scoring=scoring)
