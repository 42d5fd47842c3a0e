"""Phrase models saved by gensim (4.x, and files laid out as gensim 3 wrote them) loaded by
fastw2v's Phrases.load / FrozenPhrases.load / Phraser.load, compared with gensim on the
same Wikipedia text; and files that must be refused without running anything."""
import collections
import os
import pickle
import sys
import types

import pytest

gensim_phrases = pytest.importorskip("gensim.models.phrases")

from fastw2v import (ENGLISH_CONNECTOR_WORDS, FormatError, FrozenPhrases, Phraser,  # noqa: E402
                     Phrases)
from fastw2v.errors import (TruncatedPickleError, UnsafePickleError,  # noqa: E402
                            UnsupportedModelError)
from fastw2v.phrases import npmi_scorer, original_scorer  # noqa: E402

GENSIM_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "data", "gensim")
CONFIGS = {
    "default": dict(min_count=3, threshold=5.0),
    "npmi": dict(min_count=3, threshold=0.4, scoring="npmi"),
    "connectors": dict(min_count=3, threshold=5.0, connector_words=ENGLISH_CONNECTOR_WORDS),
}
SETTINGS = ("min_count", "threshold", "max_vocab_size", "delimiter", "progress_per",
            "connector_words", "corpus_word_count", "min_reduce")


@pytest.fixture(scope="module")
def lines(small_text_file):
    """About 30k words of Wikipedia text, 50 words a line."""
    with open(small_text_file, encoding="utf-8") as fh:
        return [line.split() for _, line in zip(range(600), fh)]


def ratio_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                 corpus_word_count):
    """A custom scorer at module level, so that gensim can pickle it by name."""
    return bigram_count / (worda_count + wordb_count)


def assert_same_phrases(ours, theirs, sentences):
    """The same phrases and scores and the same joined sentences as gensim's model."""
    if isinstance(theirs, gensim_phrases.Phrases):
        assert type(ours) is Phrases
        assert list(ours.vocab.items()) == list(theirs.vocab.items())
        assert ours.export_phrases() == theirs.export_phrases()
        assert ours.freeze().phrasegrams == theirs.freeze().phrasegrams
    else:
        assert type(ours) is FrozenPhrases
        assert ours.phrasegrams == theirs.phrasegrams
    joined = list(theirs[sentences])
    assert list(ours[sentences]) == joined
    assert any(ours.delimiter in token for sentence in joined for token in sentence)


# -- gensim 4 files ----------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["model", "model.gz"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_a_gensim_phrases_file_loads_and_keeps_learning(tmp_path, lines, config, suffix):
    half = len(lines) // 2
    theirs = gensim_phrases.Phrases(lines[:half], **CONFIGS[config])
    path = str(tmp_path / f"phrases.{suffix}")
    theirs.save(path)
    ours = Phrases.load(path)
    for name in SETTINGS:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.scoring is (npmi_scorer if config == "npmi" else original_scorer)
    assert_same_phrases(ours, theirs, lines)
    # it learns on as gensim's does
    ours.add_vocab(lines[half:])
    theirs.add_vocab(lines[half:])
    assert ours.corpus_word_count == theirs.corpus_word_count
    assert ours.min_reduce == theirs.min_reduce
    assert_same_phrases(ours, theirs, lines)
    # and saves in fastw2v's format
    ours.save(tmp_path / "ours.model")
    assert Phrases.load(tmp_path / "ours.model").export_phrases() == theirs.export_phrases()


def test_a_gensim_phrases_file_with_pruning_learns_on_as_gensim(tmp_path, lines):
    theirs = gensim_phrases.Phrases(lines[:200], min_count=2, threshold=2.0,
                                    max_vocab_size=3000)
    theirs.add_vocab(lines[200:400])       # merged, then pruned: min_reduce grows
    theirs.save(str(tmp_path / "pruned.model"))
    ours = Phrases.load(tmp_path / "pruned.model")
    assert ours.min_reduce == theirs.min_reduce > 1
    for model in (ours, theirs):
        model.add_vocab(lines[400:])
    assert ours.min_reduce == theirs.min_reduce
    assert_same_phrases(ours, theirs, lines)


@pytest.mark.parametrize("loader", [Phrases, FrozenPhrases, Phraser])
def test_a_gensim_frozen_file_loads_with_any_class_as_in_gensim(tmp_path, lines, loader):
    model = gensim_phrases.Phrases(lines, **CONFIGS["connectors"])
    model.save(str(tmp_path / "phrases.model"))
    theirs = model.freeze()
    theirs.save(str(tmp_path / "frozen.model"))
    ours = loader.load(tmp_path / "frozen.model")
    for name in ("min_count", "threshold", "delimiter", "connector_words"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert_same_phrases(ours, theirs, lines)
    # gensim's load returns the class that was saved, whichever class it is called on;
    # so does fastw2v's
    their_cross = getattr(gensim_phrases, loader.__name__).load(str(tmp_path / "phrases.model"))
    assert type(their_cross) is gensim_phrases.Phrases
    assert type(loader.load(tmp_path / "phrases.model")) is Phrases


def test_a_gensim_file_saved_with_old_pickle_protocols(tmp_path, lines):
    theirs = gensim_phrases.Phrases(lines[:300], **CONFIGS["connectors"])
    for protocol in (0, 1, 2, 5):
        path = str(tmp_path / f"p{protocol}.model")
        theirs.save(path, pickle_protocol=protocol)
        assert_same_phrases(Phrases.load(path), theirs, lines[:300])


# -- custom scorers ----------------------------------------------------------------------

def test_a_custom_scorer_is_never_imported_and_can_be_given(tmp_path, lines):
    theirs = gensim_phrases.Phrases(lines, min_count=3, threshold=0.3, scoring=ratio_scorer)
    theirs.save(str(tmp_path / "custom.model"))
    theirs.freeze().save(str(tmp_path / "custom-frozen.model"))
    name = f"{ratio_scorer.__module__}.ratio_scorer"
    for file in ("custom.model", "custom-frozen.model"):
        with pytest.raises(UnsupportedModelError, match=f"scores with {name}.*scoring="
                                                        "ratio_scorer.*convert"):
            Phrases.load(tmp_path / file)
    ours = Phrases.load(tmp_path / "custom.model", scoring=ratio_scorer)
    assert ours.scoring is ratio_scorer
    assert_same_phrases(ours, theirs, lines)
    frozen = FrozenPhrases.load(tmp_path / "custom-frozen.model", scoring="default")
    assert_same_phrases(frozen, theirs.freeze(), lines)


def test_a_scorer_of_a_module_not_imported_stays_unimported(tmp_path, lines, monkeypatch):
    module = types.ModuleType("fastw2v_test_unimported_scorers")

    def scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
               corpus_word_count):
        return 1.0
    scorer.__module__, scorer.__qualname__ = module.__name__, "scorer"
    module.scorer = scorer
    monkeypatch.setitem(sys.modules, module.__name__, module)
    theirs = gensim_phrases.Phrases(lines[:100], min_count=1, threshold=0.5, scoring=scorer)
    theirs.save(str(tmp_path / "p.model"))
    monkeypatch.delitem(sys.modules, module.__name__)
    with pytest.raises(UnsupportedModelError, match="fastw2v_test_unimported_scorers.scorer"):
        Phrases.load(tmp_path / "p.model")
    assert module.__name__ not in sys.modules
    assert Phrases.load(tmp_path / "p.model", scoring=scorer).export_phrases() \
        == theirs.export_phrases()


# -- files as gensim 3 wrote them ----------------------------------------------------------

def as_gensim3(model, scoring=None):
    """``model`` (gensim 4) with gensim 3's attributes: UTF-8 bytes for the vocabulary
    (a defaultdict), the delimiter and ``common_terms`` (gensim 4: ``connector_words``)."""
    model.delimiter = model.delimiter.encode("utf-8")
    if hasattr(model, "vocab"):
        model.vocab = collections.defaultdict(int, ((k.encode("utf-8"), v)
                                                    for k, v in model.vocab.items()))
    model.common_terms = frozenset(w.encode("utf-8") for w in model.connector_words)
    del model.connector_words
    if scoring is not None:
        model.scoring = scoring
    return model


@pytest.mark.parametrize("scoring", [None, "default", "npmi"])
def test_a_gensim3_phrases_file(tmp_path, lines, scoring):
    config = dict(CONFIGS["connectors"])
    if scoring == "npmi":
        config.update(scoring="npmi", threshold=0.4)
    original = gensim_phrases.Phrases(lines, **config)
    as_gensim3(gensim_phrases.Phrases(lines, **config), scoring).save(
        str(tmp_path / "g3.model"), pickle_protocol=2)
    ours = Phrases.load(tmp_path / "g3.model")
    assert ours.delimiter == "_" and ours.connector_words == ENGLISH_CONNECTOR_WORDS
    assert ours.scoring is (npmi_scorer if scoring == "npmi" else original_scorer)
    # the same model as the one gensim 3 would have saved
    assert_same_phrases(ours, original, lines)
    # gensim 4 loads the connector words as the bytes they were, so they never match a
    # token: fastw2v decodes them (gensim 3 compared bytes with bytes)
    their_load = gensim_phrases.Phrases.load(str(tmp_path / "g3.model"))
    assert their_load.connector_words == frozenset(w.encode() for w in ENGLISH_CONNECTOR_WORDS)
    assert their_load.export_phrases() == ours.export_phrases()


def test_an_older_phrases_file_without_scoring_or_word_count(tmp_path, lines):
    """Before pluggable scoring, connector words and corpus_word_count (gensim < 3.?),
    gensim's load assumes the original scorer, none, and 0; so does fastw2v's."""
    model = as_gensim3(gensim_phrases.Phrases(lines, **CONFIGS["default"]))
    del model.scoring, model.common_terms, model.corpus_word_count
    model.save(str(tmp_path / "old.model"))
    ours = Phrases.load(tmp_path / "old.model")
    theirs = gensim_phrases.Phrases.load(str(tmp_path / "old.model"))
    assert ours.scoring is original_scorer and ours.connector_words == frozenset()
    assert ours.corpus_word_count == theirs.corpus_word_count == 0
    assert_same_phrases(ours, theirs, lines)


@pytest.fixture
def gensim3_phraser_class(monkeypatch):
    """A class pickled as ``gensim.models.phrases.Phraser``, as gensim 3's Phraser was
    (gensim 4's ``Phraser`` is an alias of FrozenPhrases, pickled under that name)."""
    cls = type("Phraser", (gensim_phrases.FrozenPhrases,), {})
    cls.__module__, cls.__qualname__ = "gensim.models.phrases", "Phraser"
    monkeypatch.setattr(gensim_phrases, "Phraser", cls)
    return cls


@pytest.mark.parametrize("words", ["bytes", "str"])
@pytest.mark.parametrize("loader", [Phraser, FrozenPhrases, Phrases])
def test_a_gensim3_phraser_file(tmp_path, lines, gensim3_phraser_class, loader, words):
    """gensim 3's Phraser kept ``{(b'new', b'york'): (count, score)}``."""
    model = gensim_phrases.Phrases(lines, **CONFIGS["connectors"])
    original = model.freeze()
    old = as_gensim3(model.freeze())
    old.__class__ = gensim3_phraser_class
    encode = (lambda w: w.encode("utf-8")) if words == "bytes" else (lambda w: w)
    old.phrasegrams = {tuple(encode(w) for w in phrase.split("_")): (model.vocab[phrase], score)
                       for phrase, score in original.phrasegrams.items()}
    old.save(str(tmp_path / "phraser.model"), pickle_protocol=2)
    assert b"Phraser" in (tmp_path / "phraser.model").read_bytes()[:64]
    ours = loader.load(tmp_path / "phraser.model")
    assert ours.connector_words == ENGLISH_CONNECTOR_WORDS and ours.delimiter == "_"
    assert_same_phrases(ours, original, lines)
    if words == "bytes":       # what gensim 4 itself makes of it
        assert gensim_phrases.Phrases.load(str(tmp_path / "phraser.model")).phrasegrams \
            == ours.phrasegrams


def test_converting_a_gensim3_model_with_bytes_connector_words(tmp_path, lines):
    """gensim 4 loads a gensim 3 model's common_terms as bytes; FrozenPhrases(model)
    decodes them, so applying and saving work and match the original model."""
    original = gensim_phrases.Phrases(lines, **CONFIGS["connectors"])
    as_gensim3(gensim_phrases.Phrases(lines, **CONFIGS["connectors"])).save(
        str(tmp_path / "g3.model"))
    their_load = gensim_phrases.Phrases.load(str(tmp_path / "g3.model"))
    for source in (their_load, their_load.freeze()):
        frozen = FrozenPhrases(source)
        assert frozen.connector_words == ENGLISH_CONNECTOR_WORDS
        assert_same_phrases(frozen, original.freeze(), lines)
        frozen.save(tmp_path / "converted.model")
        again = FrozenPhrases.load(tmp_path / "converted.model")
        assert again.connector_words == ENGLISH_CONNECTOR_WORDS
        assert list(again[lines]) == list(original.freeze()[lines])


# -- files that are refused ----------------------------------------------------------------

class RunsACommand:
    """Unpickling this (with pickle.load) runs ``touch PATH``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


def test_a_crafted_pickle_runs_nothing(tmp_path, lines):
    ran = tmp_path / "ran"
    (tmp_path / "plain.model").write_bytes(pickle.dumps(RunsACommand(ran)))
    with pytest.raises(UnsafePickleError, match=r"asks for (posix|os)\.system.*refused"):
        Phrases.load(tmp_path / "plain.model")
    # inside a real phrase model, where a custom scorer's reference would be
    model = gensim_phrases.Phrases(lines[:50], min_count=1, threshold=1.0)
    model.scoring = RunsACommand(ran)
    for protocol in (0, 2, 4):
        (tmp_path / "inside.model").write_bytes(pickle.dumps(model, protocol=protocol))
        with pytest.raises(UnsafePickleError, match=r"calls (posix|os)\.system.*refused"):
            FrozenPhrases.load(tmp_path / "inside.model")
    assert not ran.exists()


def test_damaged_and_foreign_files(tmp_path, lines):
    gensim_phrases.Phrases(lines[:100]).save(str(tmp_path / "p.model"))
    data = (tmp_path / "p.model").read_bytes()
    (tmp_path / "cut.model").write_bytes(data[:len(data) // 2])
    with pytest.raises(TruncatedPickleError, match="cut.model: the pickle ends early") as exc:
        Phrases.load(tmp_path / "cut.model")
    assert isinstance(exc.value, EOFError)
    for name in ("w2v_sg_ns.model", "vectors.kv"):
        with pytest.raises(UnsupportedModelError, match=f"{name}: a pickled gensim.*not a "
                                                        "phrase model.*load it with fastw2v"):
            Phrases.load(os.path.join(GENSIM_DATA, name))
    for name, what in (("fasttext.model", "FastText"), ("doc2vec.model", "Doc2Vec")):
        with pytest.raises(UnsupportedModelError, match=f"gensim {what} model.*not a phrase "
                                                        "model"):
            FrozenPhrases.load(os.path.join(GENSIM_DATA, name))
    (tmp_path / "ours.pkl").write_bytes(pickle.dumps(Phrases(lines[:10])))
    with pytest.raises(UnsafePickleError, match="pickle.dump of a fastw2v object"):
        Phrases.load(tmp_path / "ours.pkl")
    (tmp_path / "dict.pkl").write_bytes(pickle.dumps({"vocab": {}}))
    with pytest.raises(FormatError, match="a pickle of a dict, not a gensim phrase model"):
        Phrases.load(tmp_path / "dict.pkl")


@pytest.mark.parametrize("attribute,value,match", [
    ("vocab", {"new": "many"}, "the count of 'new' is 'many'"),
    ("vocab", {b"\xff": 1}, "vocabulary key .* is not UTF-8"),
    ("vocab", [("new", 1)], "vocab is a list"),
    ("min_count", 0, "min_count=0 is not a number > 0"),
    ("threshold", "high", "threshold='high' is not a number"),
    ("delimiter", " ", "delimiter=' ' is invalid"),
    ("max_vocab_size", -1, "max_vocab_size=-1 is not an integer >= 1"),
    ("scoring", 3, "scoring is 3"),
    ("connector_words", "of", "connector_words is a str"),
])
def test_a_gensim_model_with_values_it_cannot_have(tmp_path, attribute, value, match):
    model = gensim_phrases.Phrases([["new", "york"]] * 3, min_count=1, threshold=1.0)
    setattr(model, attribute, value)
    model.save(str(tmp_path / "bad.model"))
    with pytest.raises(FormatError, match=f"bad.model: corrupt gensim phrase model.*{match}"):
        Phrases.load(tmp_path / "bad.model")


def test_a_frozen_model_with_bad_phrasegrams(tmp_path):
    frozen = gensim_phrases.Phrases([["new", "york"]] * 3, min_count=1, threshold=0.1).freeze()
    for grams, match in (({"new_york": "high"}, "the score of 'new_york' is 'high'"),
                         ({("new",): (3, 1.0)}, "fewer than two words"),
                         ({5: 1.0}, "phrase 5 is not text but int")):
        frozen.phrasegrams = grams
        frozen.save(str(tmp_path / "bad.model"))
        with pytest.raises(FormatError, match=match):
            FrozenPhrases.load(tmp_path / "bad.model")


def test_a_phrase_that_joins_into_megabytes_is_refused(tmp_path, lines):
    """gensim 3's phrase keys are tuples of words, joined when read; a pickle shares one
    word at every place for free, so 25 keys of a 100 KB word 1,000 times over would
    join into 2.5 GB (14 s and 4.9 GB from a 151 KB file, found by a review). A phrase
    may join into 1 MiB; a genuine one is a few words."""
    frozen = gensim_phrases.Phrases(lines, **CONFIGS["default"]).freeze()
    word = b"x" * 100_000
    frozen.phrasegrams = {(word,) * 1000 + (b"%d" % i,): 1.0 for i in range(3)}
    frozen.save(str(tmp_path / "joins.model"), pickle_protocol=4)
    assert (tmp_path / "joins.model").stat().st_size < 200_000
    with pytest.raises(FormatError, match="a phrase of 1,001 words joins into 100,001,00"):
        FrozenPhrases.load(tmp_path / "joins.model")
    frozen.phrasegrams = {(b"new", b"york"): 1.0}
    frozen.save(str(tmp_path / "pair.model"), pickle_protocol=4)
    assert FrozenPhrases.load(tmp_path / "pair.model").phrasegrams == {"new_york": 1.0}
