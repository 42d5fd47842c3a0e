"""fastw2v.evaluation.scoring against gensim's evaluators (and SciPy's statistics) on the same
vectors: trained vectors, plus case variants of frequent words to exercise the
case-folding rules."""
import logging
import os

import numpy as np
import pytest

gensim = pytest.importorskip("gensim")     # test dependencies: pip install fastw2v[test]
scipy_stats = pytest.importorskip("scipy.stats")
from gensim.models import KeyedVectors as GensimKV

from fastw2v import KeyedVectors, Word2Vec, evaluate_word_analogies, evaluate_word_pairs
from fastw2v.evaluation.scoring import datasets
from fastw2v.evaluation.statistics import pearson_correlation, rankdata, spearman_correlation


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


@pytest.mark.parametrize("n", [2, 3, 4, 10, 57, 1000])
def test_statistics_match_scipy(n):
    # two pairs: Pearson's p is 1.0 in SciPy, Spearman's NaN (no degrees of freedom)
    rng = np.random.default_rng(n)
    x = rng.integers(0, 5, n).astype(float) if n > 2 else np.array([1.0, 2.0])  # ties
    y = x * 0.3 + rng.normal(size=n)
    np.testing.assert_allclose(rankdata(x), scipy_stats.rankdata(x))
    p, s = pearson_correlation(x, y), spearman_correlation(x, y)
    sp, ss = scipy_stats.pearsonr(x, y), scipy_stats.spearmanr(x, y)
    assert p.statistic == pytest.approx(sp[0], abs=1e-12)
    assert p.pvalue == pytest.approx(sp[1], rel=1e-8, abs=1e-300)
    assert s.statistic == pytest.approx(ss[0], abs=1e-12)
    assert s.pvalue == pytest.approx(ss[1], rel=1e-8, abs=1e-300, nan_ok=True)


def test_shipped_datasets_exist():
    paths = datasets()
    assert set(paths) == {"questions-words", "wordsim353", "simlex999"}
    assert all(os.path.isfile(p) for p in paths.values())


def test_bad_input_is_reported(kvs, tmp_path):
    ours, theirs = kvs
    with pytest.raises(FileNotFoundError, match="does not exist"):
        evaluate_word_analogies(ours, tmp_path / "missing.txt")
    headless = tmp_path / "headless.txt"
    headless.write_text("a b c d\n")
    with pytest.raises(ValueError, match="section"):
        evaluate_word_analogies(ours, headless)
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes(b"caf\xe9\tthe\t3.0\n")
    for kv in (ours, theirs):        # the built-in that gensim raises, and a ValueError
        with pytest.raises(UnicodeDecodeError, match="not UTF-8" if kv is ours else ""):
            kv.evaluate_word_pairs(latin1)
    with pytest.raises(ValueError, match="latin1.tsv: line 1: bytes that are not UTF-8"):
        evaluate_word_pairs(ours, latin1)
    unknown = tmp_path / "unknown.tsv"
    unknown.write_text("qqqzzz\txxyyzz\t3.0\nnot a valid line\n")
    with pytest.raises(ValueError, match="no valid similarity"):
        evaluate_word_pairs(ours, unknown)
    with pytest.raises(ValueError, match="restrict_vocab"):
        evaluate_word_pairs(ours, datasets()["wordsim353"], restrict_vocab=0)
    with pytest.raises(TypeError, match="KeyedVectors"):
        evaluate_word_pairs([[1.0]], datasets()["wordsim353"])


# -- 3CosMul, gensim-shaped methods, the C tool's compute-accuracy ----------------------
def _gensim_cosmul_reference(theirs, path, restrict_vocab, case_insensitive):
    """gensim's evaluation loop with ``most_similar_cosmul`` as the objective, over a
    gensim KeyedVectors truncated to the first ``restrict_vocab`` words (gensim 3.8's
    behaviour; gensim 4 accepts ``similarity_function`` but ignores it)."""
    keys = theirs.index_to_key[:restrict_vocab]
    small = GensimKV(theirs.vector_size)
    small.add_vectors(keys, theirs.vectors[:restrict_vocab])
    fold = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    ok_vocab = {fold(k): small.get_index(k) for k in reversed(keys)}
    original = small.key_to_index
    correct, incorrect = [], []
    for line in open(path, encoding="utf-8"):
        if line.startswith(": "):
            continue
        a, b, c, expected = [fold(w) for w in line.split()]
        if any(w not in ok_vocab for w in (a, b, c, expected)):
            continue
        small.key_to_index = ok_vocab
        sims = small.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        small.key_to_index = original
        predicted = None
        for word, _ in sims:
            predicted = fold(word)
            if predicted in ok_vocab and predicted not in {a, b, c}:
                break
        (correct if predicted == expected else incorrect).append((a, b, c, expected))
    return correct, incorrect


@pytest.mark.filterwarnings("ignore::DeprecationWarning")     # gensim's own init_sims call
@pytest.mark.parametrize("restrict_vocab,case_insensitive", [(30000, True), (4000, False)])
def test_3cosmul_matches_gensim_cosmul(kvs, questions, restrict_vocab, case_insensitive):
    ours, theirs = kvs
    score, sections = evaluate_word_analogies(ours, questions, restrict_vocab,
                                              case_insensitive, similarity_function="3CosMul")
    correct, incorrect = _gensim_cosmul_reference(theirs, questions, restrict_vocab,
                                                  case_insensitive)
    assert sections[-1]["correct"] == correct
    assert sections[-1]["incorrect"] == incorrect
    assert score == len(correct) / (len(correct) + len(incorrect))
    assert len(correct) >= 3
    # a different objective: not simply 3CosAdd's answers
    add = evaluate_word_analogies(ours, questions, restrict_vocab, case_insensitive)[1][-1]
    assert add["correct"] != correct


def test_keyedvectors_methods_match_gensim(kvs, questions):
    ours, theirs = kvs
    score, sections = ours.evaluate_word_analogies(questions, restrict_vocab=20000)
    g_score, g_sections = theirs.evaluate_word_analogies(questions, restrict_vocab=20000)
    assert score == g_score and len(sections) == len(g_sections) == 15
    for s, g in zip(sections, g_sections):
        assert (s["section"], s["correct"], s["incorrect"]) == \
            (g["section"], g["correct"], g["incorrect"])
    cosmul = ours.evaluate_word_analogies(questions, restrict_vocab=20000,
                                          similarity_function="most_similar_cosmul")
    assert cosmul == evaluate_word_analogies(ours, questions, 20000,
                                             similarity_function="3cosmul")
    path = datasets()["simlex999"]
    p, s, oov = ours.evaluate_word_pairs(path, restrict_vocab=10000)
    gp, gs, goov = theirs.evaluate_word_pairs(path, restrict_vocab=10000)
    assert oov == pytest.approx(goov, abs=1e-12)
    assert p[0] == pytest.approx(gp[0], abs=1e-6)
    assert s[0] == pytest.approx(gs[0], abs=5e-5)
    with pytest.raises(ValueError, match="similarity_function"):
        ours.evaluate_word_analogies(questions, similarity_function="3CosAvg")


def _c_tool_reference(words, vectors, path, threshold):
    """compute-accuracy.c, one question at a time: upper-cased words, rows divided by
    their length, first row of a spelling, b - a + c against every row but the three,
    strict '>' from a best distance of 0, QID <= 5 semantic."""
    words = [w.upper() for w in words[:threshold]]
    M = np.array(vectors[:threshold], dtype=np.float64)
    M /= np.sqrt((M * M).sum(axis=1))[:, None]
    per_section, qid = [], 0
    seen = total = 0
    sem = [0, 0]
    syn = [0, 0]
    for line in open(path, encoding="utf-8"):
        tok = line.split()
        if tok[0] == ":":
            qid += 1
            per_section.append([tok[1], 0, 0])
            continue
        tok = [t.upper() for t in tok]
        total += 1
        try:
            b1, b2, b3, b4 = (words.index(t) for t in tok)
        except ValueError:
            continue
        seen += 1
        vec = (M[b2] - M[b1]) + M[b3]
        best_d, best_w = 0.0, ""
        for c in range(len(words)):
            if c in (b1, b2, b3):
                continue
            d = float(np.dot(vec, M[c]))
            if d > best_d:
                best_d, best_w = d, words[c]
        right = best_w == tok[3]
        per_section[-1][1] += right
        per_section[-1][2] += 1
        acc = sem if qid <= 5 else syn
        acc[0] += right
        acc[1] += 1
    return per_section, sem, syn, seen, total


def test_compute_accuracy_matches_c_tool_reference(vectors, tmp_path):
    from fastw2v import compute_accuracy
    words, vecs = vectors
    # the slow reference loops over all rows: every 2nd question whose words are all
    # frequent, and every 50th other one (mostly skipped as out of vocabulary)
    frequent = {w.upper() for w in words[:1500]}
    lines = open(datasets()["questions-words"], encoding="utf-8").read().splitlines()
    keep, k, j = [], 0, 0
    for line in lines:
        if line.startswith(": "):
            keep.append(line)
        elif all(w.upper() in frequent for w in line.split()):
            k += 1
            if k % 2 == 0:
                keep.append(line)
        else:
            j += 1
            if j % 50 == 0:
                keep.append(line)
    path = tmp_path / "q.txt"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    # capitalised copies among the rows read: another spelling of a question word can win
    order = list(range(1500)) + list(range(len(words) - 300, len(words)))
    sub_words = [words[i] for i in order]
    sub_vecs = vecs[order]
    kv = KeyedVectors(vecs.shape[1], sub_words, sub_vecs)
    threshold = 1700
    result = compute_accuracy(kv, path, threshold=threshold)
    per_section, sem, syn, seen, total = _c_tool_reference(sub_words, sub_vecs, path,
                                                           threshold)
    assert [list(s) for s in result.sections] == per_section
    assert (result.semantic_correct, result.semantic_asked) == tuple(sem)
    assert (result.syntactic_correct, result.syntactic_asked) == tuple(syn)
    assert (result.questions_seen, result.questions_total) == (seen, total)
    assert result.questions_total == sum(1 for x in keep if not x.startswith(":"))
    assert 0 < result.questions_seen < result.questions_total
    assert result.correct >= 5 and len(result.sections) == 14
    assert result.semantic_asked > 10 and result.syntactic_asked > 50
    report = result.report().splitlines()
    assert report[0] == "capital-common-countries:"
    assert report[1].startswith("ACCURACY TOP1: ")
    assert report[-1].startswith(f"Questions seen / total: {seen} {total}   ")
    assert "Semantic accuracy" in report[2]
    # the threshold really limits the words read
    fewer = compute_accuracy(kv, path, threshold=200)
    assert fewer.questions_seen < result.questions_seen


def test_fastw2v_datasets_module():
    from fastw2v import datasets as ds
    assert ds.paths()["questions-words"] == ds.questions_words == datasets()["questions-words"]
    for p in ds.paths().values():
        assert os.path.isfile(p) and os.path.getsize(p) > 5000
    assert set(ds.word_pairs()) == {"wordsim353", "simlex999"}


# -- from a review against gensim 4.4 on the same vectors -----------------------------------
def _copies(kvs):
    """Fresh copies of the two KeyedVectors (tests below damage their vectors)."""
    ours, theirs = kvs
    a = KeyedVectors(ours.vector_size, list(ours.index_to_key), ours.vectors.copy())
    b = GensimKV(theirs.vector_size)
    b.add_vectors(list(theirs.index_to_key), theirs.vectors.copy())
    return a, b


def test_a_nan_vector_is_never_the_answer(kvs, questions):
    """argmax picked the first NaN score, so one NaN row in no question made every
    analogy wrong (accuracy 0.0); gensim's sort puts it last."""
    from fastw2v import compute_accuracy
    ours, theirs = _copies(kvs)
    before = ours.evaluate_word_analogies(questions)[0]
    c_before = compute_accuracy(ours, questions, threshold=None).accuracy
    asked = {w for line in open(questions) for w in line.split()}
    row = next(i for i, w in enumerate(ours.index_to_key[:1000]) if w not in asked)
    for kv in (ours, theirs):
        kv.vectors[row] = np.nan
    assert before > 0
    for objective in ("3CosAdd", "3CosMul"):
        got = ours.evaluate_word_analogies(questions, similarity_function=objective)[0]
        if objective == "3CosAdd":
            assert got == before == theirs.evaluate_word_analogies(questions)[0]
        else:
            assert got > 0
    assert compute_accuracy(ours, questions, threshold=None).accuracy == c_before


def test_nan_in_word_pairs_gives_nan_as_scipy(kvs, tmp_path):
    """min(1.0, nan) is 1.0: a NaN similarity or gold score gave Pearson 1.0, p = 0."""
    from scipy import stats
    ours, theirs = _copies(kvs)
    path = datasets()["wordsim353"]
    ours.vectors[ours.get_index("war")] = np.nan
    theirs.vectors[theirs.get_index("war")] = np.nan
    for result in (ours.evaluate_word_pairs(path), theirs.evaluate_word_pairs(path)):
        assert np.isnan(result[0][0]) and np.isnan(result[1][0])
    x, y = [1.0, 2.0, np.nan, 4.0], [1.0, 3.0, 2.0, 5.0]
    for ours_r, scipy_r in ((pearson_correlation(x, y), stats.pearsonr(x, y)),
                            (spearman_correlation(x, y), stats.spearmanr(x, y))):
        assert np.isnan(ours_r[0]) and np.isnan(scipy_r[0])
    assert np.isnan(rankdata([1.0, np.nan])).all()
    assert np.isnan(pearson_correlation([1.0, np.inf, 2.0], [1.0, 2.0, 3.0])[0])


@pytest.mark.parametrize("suffix,opener", [(".gz", "gzip"), (".bz2", "bz2"), (".xz", "lzma")])
def test_compressed_evaluation_files(kvs, questions, tmp_path, suffix, opener):
    """gensim opens these files through smart_open, which decompresses by suffix."""
    import importlib
    ours, theirs = kvs
    module = importlib.import_module(opener)
    for plain in (questions, datasets()["wordsim353"]):
        packed = tmp_path / (os.path.basename(plain) + suffix)
        packed.write_bytes(module.compress(open(plain, "rb").read()))
        if plain == questions:
            assert ours.evaluate_word_analogies(str(packed))[0] == \
                ours.evaluate_word_analogies(plain)[0] == \
                theirs.evaluate_word_analogies(str(packed))[0]
        else:
            assert ours.evaluate_word_pairs(str(packed))[0][0] == \
                pytest.approx(theirs.evaluate_word_pairs(str(packed))[0][0], abs=1e-6)
    broken = tmp_path / ("broken.txt" + suffix)
    broken.write_bytes(module.compress(b": s\na b c d\n")[:-8])
    with pytest.raises(ValueError, match="broken.txt.*corrupt compressed file"):
        ours.evaluate_word_analogies(str(broken))


def test_lines_end_only_at_line_breaks(kvs, tmp_path):
    """str.splitlines also cut lines at \\x0b, \\x0c, \\x85, \\u2028, ...; gensim reads
    those as spaces inside a line."""
    ours, theirs = kvs
    w = ours.index_to_key
    for sep in ("\u2028", "\x0c", "\x0b", "\x85"):
        a = tmp_path / "a.txt"
        a.write_text(f": s\n{w[10]} {w[11]} {w[12]}{sep}{w[13]}\n{w[20]} {w[21]} {w[22]} {w[23]}\n",
                     encoding="utf-8")
        ours_n = sum(len(s["correct"]) + len(s["incorrect"])
                     for s in ours.evaluate_word_analogies(a, dummy4unknown=True)[1][-1:])
        theirs_n = sum(len(s["correct"]) + len(s["incorrect"])
                       for s in theirs.evaluate_word_analogies(str(a), dummy4unknown=True)[1][-1:])
        assert ours_n == theirs_n == 2
        p = tmp_path / "p.txt"
        p.write_text(f"{w[5]}\t{w[6]}{sep}\t5\n{w[7]}\t{w[8]}\t2\n{w[9]}\t{w[10]}\t3\n"
                     f"{w[11]}\t{w[12]}\t1\n", encoding="utf-8")
        assert ours.evaluate_word_pairs(p)[2] == theirs.evaluate_word_pairs(str(p))[2] == 25.0


def test_no_allowed_word_left_is_a_wrong_answer(kvs, tmp_path):
    """With restrict_vocab=3 and the three allowed words in the question, no answer is
    left: gensim counts it wrong; fastw2v kept an excluded question word as its answer."""
    ours, theirs = kvs
    a, b, c = ours.index_to_key[:3]
    path = tmp_path / "t.txt"
    path.write_text(f": s\n{a} {b} {c} {a}\n", encoding="utf-8")
    assert ours.evaluate_word_analogies(path, restrict_vocab=3)[0] == \
        theirs.evaluate_word_analogies(str(path), restrict_vocab=3)[0] == 0.0


def test_log_helpers_as_gensim(caplog):
    """gensim's static logging helpers: the same figures logged, for a section and for
    a word-pair result; a section without questions logs nothing."""
    section = {"section": "capital-world", "correct": [("a", "b", "c", "d")] * 3,
               "incorrect": [("a", "b", "c", "e")]}
    empty = {"section": "empty", "correct": [], "incorrect": []}
    with caplog.at_level(logging.INFO):
        GensimKV.log_accuracy(section)
        GensimKV.log_accuracy(empty)
        GensimKV.log_evaluate_word_pairs((0.5, 0.01), (0.25, 0.1), 12.5, "ws.tsv")
    theirs = [r.getMessage() for r in caplog.records]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fastw2v"):
        assert KeyedVectors.log_accuracy(section) == 0.75
        assert KeyedVectors.log_accuracy(empty) == 0.0
        KeyedVectors.log_evaluate_word_pairs((0.5, 0.01), (0.25, 0.1), 12.5, "ws.tsv")
    ours = [r.getMessage() for r in caplog.records]
    assert len(ours) == len(theirs) == 4
    assert ours[0] == theirs[0] == "capital-world: 75.0% (3/4)"
    for figure, o, t in zip(["0.5000", "0.2500", "12.5%"], ours[1:], theirs[1:]):
        assert figure in o and figure in t and ("ws.tsv" in o) == ("ws.tsv" in t)
    with pytest.raises(NotImplementedError, match="Doc2Vec"):
        GensimKV(4).similarity_unseen_docs()
    with pytest.raises(NotImplementedError, match="Doc2Vec"):
        KeyedVectors(4).similarity_unseen_docs()
