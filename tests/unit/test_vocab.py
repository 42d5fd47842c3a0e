import pytest

from fastw2v import CorpusError, VocabularyError
from fastw2v.vocab import (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Vocab, VocabBuilder,
                           builder_from_counts, check_vocab_word, read_vocab_counts, read_word_counts,
                           write_word_counts)


def build(sentences, **kw):
    return VocabBuilder(kw.pop("max_vocab_size", None)).add_sentences(sentences).finalize(**kw)


def test_counts_sorted_descending_ties_last_seen_first_as_gensim():
    # first seen: b a c d e; b and c tie, d and e tie: the later-seen one comes first
    v = build([["b", "a", "c", "a"], ["c", "d", "a", "b"], ["e"]], min_count=1)
    assert v.words == ["a", "c", "b", "e", "d"]
    assert v.counts.tolist() == [3, 2, 2, 1, 1]
    assert v.index == {"a": 0, "c": 1, "b": 2, "e": 3, "d": 4}
    assert v.total_words == 9 and v.retained_words == 9 and v.n_sentences == 3


def test_min_count_and_totals():
    v = build([["x"] * 5 + ["y"] * 4 + ["z"]], min_count=4)
    assert v.words == ["x", "y"]
    assert v.total_words == 10 and v.retained_words == 9


def test_max_final_vocab_keeps_exact_top_n():
    sents = [[f"w{i}"] * (20 - i) for i in range(20)]
    v = build(sents, min_count=1, max_final_vocab=7)
    assert v.words == [f"w{i}" for i in range(7)]
    v = build(sents, min_count=15, max_final_vocab=100)
    assert len(v) == 6


def test_max_vocab_size_prunes_like_the_c_tool():
    # limit 3: after the 4th distinct word, words with count <= 1 go, and the threshold rises
    b = VocabBuilder(max_vocab_size=3)
    b.add_tokens(["a", "a", "b", "b", "c"])       # 3 distinct: no pruning yet
    assert len(b.counter) == 3
    b.add_tokens(["d"])                           # 4 distinct: drop counts <= 1 (c, d)
    assert dict(b.counter) == {"a": 2, "b": 2} and b.min_reduce == 2
    b.add_tokens(["a", "e", "f"])                  # 4 distinct again: drop counts <= 2
    assert dict(b.counter) == {"a": 3} and b.min_reduce == 3
    assert b.total_words == 9


def test_trim_rule():
    rule = lambda w, c, m: RULE_DISCARD if w == "a" else (RULE_KEEP if w == "rare" else RULE_DEFAULT)
    v = build([["a"] * 9 + ["b"] * 6 + ["rare"]], min_count=5, trim_rule=rule)
    assert v.words == ["b", "rare"]


def test_empty_corpus_and_nothing_left_errors():
    with pytest.raises(CorpusError, match="empty"):
        build([[], []], min_count=1)
    with pytest.raises(VocabularyError, match="min_count=5"):
        build([["a", "b", "a"]], min_count=5)


def test_non_string_tokens_and_sentences_rejected():
    with pytest.raises(TypeError, match="tokens must be str"):
        build([["a", 3, "b"]], min_count=1)
    with pytest.raises(TypeError, match="not a list of tokens"):
        build(["just a string sentence"], min_count=1)
    with pytest.raises(TypeError, match="sentence 1 is a int"):
        build([["ok"], 5], min_count=1)


def test_save_and_read_vocab_roundtrip(tmp_path):
    v = build([["é", "b", "é", "日本", "😀", "😀", "😀"]], min_count=1)
    p = tmp_path / "vocab.txt"
    v.save(p)
    assert p.read_text(encoding="utf-8").splitlines() == ["😀 3", "é 2", "日本 1", "b 1"]
    assert list(read_vocab_counts(p).items()) == [("😀", 3), ("é", 2), ("日本", 1), ("b", 1)]
    # read back as a ranking, the tie keeps the file's order (gensim's rule would swap it)
    again = builder_from_counts(read_vocab_counts(p), ranked=True).finalize(min_count=1)
    assert again.words == v.words
    assert builder_from_counts(read_vocab_counts(p)).finalize(min_count=1).words == \
        ["😀", "é", "b", "日本"]


def test_read_c_tool_vocab_skips_sentence_token(tmp_path):
    p = tmp_path / "c.vocab"
    p.write_text("</s> 120\nthe 50\nof 30\n")
    assert read_vocab_counts(p) == {"the": 50, "of": 30}


@pytest.mark.parametrize("content,msg", [
    ("the 5\nof\n", "line 2"),
    ("the five\n", "line 1"),
    ("the -3\n", "negative"),
    ("", "no entries"),
])
def test_read_vocab_malformed(tmp_path, content, msg):
    p = tmp_path / "bad.vocab"
    p.write_text(content)
    with pytest.raises(VocabularyError, match=msg):
        read_vocab_counts(p)
    with pytest.raises(VocabularyError, match="does not exist"):
        read_vocab_counts(tmp_path / "missing.vocab")


def test_vocab_rejects_unsorted_or_duplicate():
    with pytest.raises(ValueError):
        Vocab(["a", "b"], [1, 2])
    with pytest.raises(ValueError):
        Vocab(["a", "a"], [2, 1])


def test_order_does_not_depend_on_hash_seed(tmp_path):
    import subprocess, sys
    code = ("from fastw2v.vocab import VocabBuilder;"
            "b=VocabBuilder().add_sentences([[c*3 for c in 'qwertyuiopasdfghjkl']*2]);"
            "print(b.finalize(min_count=1).words)")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": str(s), "PATH": ""}, cwd=tmp_path,
                           check=True).stdout
            for s in (0, 1, 2)}
    assert len(outs) == 1


# -- the one reader and writer of ``word count`` files ----------------------------------
def test_word_count_file_definition(tmp_path):
    """One ``word count`` per line, separated by any ASCII whitespace; blank lines and
    surrounding whitespace ignored; order kept."""
    p = tmp_path / "v.txt"
    p.write_bytes(b"the 50\n\n  of\t30  \r\n\xc3\xa9t\xc3\xa9 7\nzero 0\n")
    assert list(read_word_counts(p).items()) == [("the", 50), ("of", 30), ("été", 7), ("zero", 0)]


def test_word_count_sentence_end_kept_on_request(tmp_path):
    p = tmp_path / "c.vocab"
    p.write_text("</s> 120\nthe 50\n")
    assert read_word_counts(p) == {"the": 50}
    assert read_word_counts(p, skip_sentence_end=False) == {"</s>": 120, "the": 50}
    p.write_text("</s> 120\n")
    assert read_word_counts(p, skip_sentence_end=False) == {"</s>": 120}
    with pytest.raises(VocabularyError, match="no entries"):
        read_word_counts(p)


@pytest.mark.parametrize("content,msg", [
    (b"the 5 6\n", r"line 1: expected 'word count'"),
    (b"the\n", r"line 1: expected 'word count'"),
    (b"a 1\nthe 5x\n", r"line 2: expected a UTF-8 word and an integer count"),
    (b"the 1.5\n", "line 1: expected a UTF-8 word and an integer count"),
    (b"the +5\n", "line 1: expected a UTF-8 word and an integer count"),
    (b"the 1_000\n", "line 1: expected a UTF-8 word and an integer count"),
    (b"caf\xe9 5\n", "line 1: expected a UTF-8 word and an integer count"),
    (b"the -1\n", "line 1: negative count -1"),
    (b"the 5\nof 3\nthe 2\n", r"line 3: word 'the' is listed again \(first on line 1\)"),
    (b"\n \n", "no entries"),
])
def test_word_count_file_errors_name_the_line(tmp_path, content, msg):
    p = tmp_path / "bad.vocab"
    p.write_bytes(content)
    with pytest.raises(VocabularyError, match=msg) as info:
        read_word_counts(p)
    assert str(p) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_word_count_writer_round_trips_and_refuses_unwritable_words(tmp_path):
    import io
    out = io.BytesIO()
    write_word_counts(out, ["😀", "é", "</s>"], [3, 2, 1])
    assert out.getvalue() == "😀 3\né 2\n</s> 1\n".encode("utf-8")
    p = tmp_path / "v.txt"
    p.write_bytes(out.getvalue())
    assert read_word_counts(p, skip_sentence_end=False) == {"😀": 3, "é": 2, "</s>": 1}
    for bad in ("", "a b", "tab\there", "line\nbreak", "ff\x0c"):
        with pytest.raises(ValueError, match="cannot be written"):
            check_vocab_word(bad)
        out = io.BytesIO()
        with pytest.raises(ValueError, match="cannot be written"):
            write_word_counts(out, ["ok", bad], [2, 1])
        assert out.getvalue() == b""                      # nothing written
    with pytest.raises(ValueError, match="2 words but 1 counts"):
        write_word_counts(io.BytesIO(), ["a", "b"], [1])


def test_rule_constants_are_gensims():
    from gensim import utils
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (
        utils.RULE_DEFAULT, utils.RULE_DISCARD, utils.RULE_KEEP)


def test_trim_rule_returning_gensims_constants_matches_gensim(small_text_file):
    """A rule written for gensim (returning gensim.utils.RULE_*) keeps and drops the same
    words as in gensim: before the renumbering, gensim's RULE_DISCARD (1) meant "keep"."""
    from gensim import utils
    from gensim.models import Word2Vec as GensimWord2Vec
    from fastw2v import LineSentence, Word2Vec

    def rule(word, count, min_count):
        if word in ("the", "of", "and"):
            return utils.RULE_DISCARD
        if len(word) > 12:
            return utils.RULE_KEEP
        return utils.RULE_DEFAULT

    sentences = list(LineSentence(small_text_file))
    ours = Word2Vec(min_count=5, trim_rule=None)
    ours.build_vocab(sentences, trim_rule=rule)
    theirs = GensimWord2Vec(min_count=5)
    theirs.build_vocab(sentences, trim_rule=rule)
    assert "the" not in ours.wv and "the" not in theirs.wv
    long_rare = [w for w in theirs.wv.index_to_key if len(w) > 12
                 and theirs.wv.get_vecattr(w, "count") < 5]
    assert long_rare and all(w in ours.wv for w in long_rare)
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
    assert {w: ours.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key} == \
        {w: theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key}


def test_trim_rule_is_consulted_while_pruning_to_max_vocab_size():
    keep_z = lambda w, c, m: RULE_KEEP if w == "z" else RULE_DEFAULT
    b = VocabBuilder(max_vocab_size=2, trim_rule=keep_z)
    b.add_tokens(["a", "a", "z", "c"])          # 3 distinct > 2: counts <= 1 pruned, z kept
    assert dict(b.counter) == {"a": 2, "z": 1}


def test_empty_vocabulary_is_a_runtime_error_as_in_gensim():
    from fastw2v import EmptyVocabularyError
    with pytest.raises(RuntimeError, match="min_count=5") as info:
        build([["a", "b", "a"]], min_count=5)
    assert isinstance(info.value, (EmptyVocabularyError, VocabularyError))


def test_sorted_vocab_false_keeps_first_seen_order():
    b = VocabBuilder().add_sentences([["b", "a", "c", "a"], ["c", "d", "a", "b"]])
    assert b.finalize(min_count=2, sorted_vocab=False).words == ["b", "a", "c"]
    assert b.finalize(min_count=2).words == ["a", "c", "b"]
