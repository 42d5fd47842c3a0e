"""fastw2v.evaluation against gensim's evaluators (and SciPy's statistics) on the same
vectors: trained vectors, plus case variants of frequent words to exercise the
case-folding rules."""
import os

import numpy as np
import pytest

gensim = pytest.importorskip("gensim")     # test dependencies: pip install fastw2v[test]
scipy_stats = pytest.importorskip("scipy.stats")
from gensim.models import KeyedVectors as GensimKV

from fastw2v import KeyedVectors, Word2Vec, evaluate_word_analogies, evaluate_word_pairs
from fastw2v.evaluation import datasets, pearson_correlation, rankdata, spearman_correlation


@pytest.fixture(scope="module")
def vectors(sample_text_file):
    """Words and vectors of a quick model, with capitalised near-copies of 300 frequent
    words appended (so upper-casing maps two rows to one key)."""
    # one worker: the same vectors every run (the sanity counts below must not flicker)
    m = Word2Vec(corpus_file=sample_text_file, sg=1, vector_size=32, epochs=2, workers=1,
                 progress=False)
    words = list(m.wv.index_to_key)
    vecs = m.wv.vectors.copy()
    rng = np.random.default_rng(0)
    extra = [w for w in words[:300] if w.capitalize() not in m.wv.key_to_index
             and w.capitalize() != w]
    noisy = vecs[[m.wv.key_to_index[w] for w in extra]]
    noisy = noisy + rng.normal(0, 0.05, noisy.shape).astype(np.float32) * np.abs(noisy).mean()
    words += [w.capitalize() for w in extra]
    return words, np.vstack([vecs, noisy]).astype(np.float32)


@pytest.fixture(scope="module")
def kvs(vectors):
    words, vecs = vectors
    ours = KeyedVectors(vecs.shape[1], words, vecs)
    theirs = GensimKV(vecs.shape[1])
    theirs.add_vectors(words, vecs)
    return ours, theirs


@pytest.fixture(scope="module")
def questions(tmp_path_factory):
    """Every 4th question of the Google set (all sections), to keep gensim's side fast."""
    out = tmp_path_factory.mktemp("eval") / "questions.txt"
    lines = open(datasets()["questions-words"], encoding="utf-8").read().splitlines()
    keep, k = [], 0
    for line in lines:
        if line.startswith(": "):
            keep.append(line)
        else:
            k += 1
            if k % 4 == 0:
                keep.append(line)
    out.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return str(out)


@pytest.mark.parametrize("restrict_vocab,case_insensitive,dummy4unknown", [
    (30000, True, False), (300000, False, False), (3000, True, True)])
def test_analogies_match_gensim(kvs, questions, restrict_vocab, case_insensitive,
                                dummy4unknown):
    ours, theirs = kvs
    score, sections = evaluate_word_analogies(ours, questions, restrict_vocab,
                                              case_insensitive, dummy4unknown)
    g_score, g_sections = theirs.evaluate_word_analogies(
        questions, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
        dummy4unknown=dummy4unknown)
    assert [s["section"] for s in sections] == [s["section"] for s in g_sections]
    assert sections[-1]["section"] == "Total accuracy"
    for s, g in zip(sections, g_sections):
        assert s["correct"] == g["correct"], s["section"]
        assert s["incorrect"] == g["incorrect"], s["section"]
    assert score == g_score
    assert len(sections[-1]["correct"]) >= 3           # some answers are right


@pytest.mark.parametrize("name", ["wordsim353", "simlex999"])
@pytest.mark.parametrize("restrict_vocab,case_insensitive,dummy4unknown", [
    (300000, True, False), (20000, False, True)])
def test_word_pairs_match_gensim(kvs, name, restrict_vocab, case_insensitive, dummy4unknown):
    ours, theirs = kvs
    path = datasets()[name]
    pearson, spearman, oov = evaluate_word_pairs(
        ours, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
        dummy4unknown=dummy4unknown)
    g_pearson, g_spearman, g_oov = theirs.evaluate_word_pairs(
        path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
        dummy4unknown=dummy4unknown)
    assert oov == pytest.approx(g_oov, abs=1e-12)
    assert pearson[0] == pytest.approx(g_pearson[0], abs=1e-6)
    assert pearson[1] == pytest.approx(g_pearson[1], rel=1e-4, abs=1e-12)
    # two float32 cosines that tie to the last bit can swap ranks between two correct
    # implementations (gensim sums in another order): one swap among ~1000 pairs moves
    # Spearman by ~1e-6..1e-5, a wrong ranking rule by far more
    assert spearman[0] == pytest.approx(g_spearman[0], abs=5e-5)
    assert spearman[1] == pytest.approx(g_spearman[1], rel=1e-3, abs=1e-12)


@pytest.mark.parametrize("n", [3, 4, 10, 57, 1000])
def test_statistics_match_scipy(n):
    rng = np.random.default_rng(n)
    x = rng.integers(0, 5, n).astype(float)              # many ties
    y = x * 0.3 + rng.normal(size=n)
    np.testing.assert_allclose(rankdata(x), scipy_stats.rankdata(x))
    p, s = pearson_correlation(x, y), spearman_correlation(x, y)
    sp, ss = scipy_stats.pearsonr(x, y), scipy_stats.spearmanr(x, y)
    assert p.statistic == pytest.approx(sp[0], abs=1e-12)
    assert p.pvalue == pytest.approx(sp[1], rel=1e-8, abs=1e-300)
    assert s.statistic == pytest.approx(ss[0], abs=1e-12)
    assert s.pvalue == pytest.approx(ss[1], rel=1e-8, abs=1e-300)


def test_shipped_datasets_exist():
    paths = datasets()
    assert set(paths) == {"questions-words", "wordsim353", "simlex999"}
    assert all(os.path.isfile(p) for p in paths.values())


def test_bad_input_is_reported(kvs, tmp_path):
    ours, _ = kvs
    with pytest.raises(FileNotFoundError, match="does not exist"):
        evaluate_word_analogies(ours, tmp_path / "missing.txt")
    headless = tmp_path / "headless.txt"
    headless.write_text("a b c d\n")
    with pytest.raises(ValueError, match="section"):
        evaluate_word_analogies(ours, headless)
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes(b"caf\xe9\tthe\t3.0\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        evaluate_word_pairs(ours, latin1)
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("qqqzzz\txxyyzz\t3.0\nnot a valid line\n")
    with pytest.raises(ValueError, match="no valid similarity"):
        evaluate_word_pairs(ours, unknown)
    with pytest.raises(ValueError, match="restrict_vocab"):
        evaluate_word_pairs(ours, datasets()["wordsim353"], restrict_vocab=0)
    with pytest.raises(TypeError, match="KeyedVectors"):
        evaluate_word_pairs([[1.0]], datasets()["wordsim353"])
