"""Quality on real text: fastw2v against gensim, same corpus and settings, all four modes.

Trains on the shipped 1.5M-word Wikipedia sample (5 epochs, 2 threads) and scores the
vectors of both libraries with the same referee (gensim's evaluator): Google analogies
over the 30k most frequent words, WordSim-353 and SimLex-999 Spearman. On a corpus this
small the scores move between seeds (analogy by ~0.002, Spearman by ~0.015), so each
library is trained with five seeds and the means are compared. A broken update (wrong
sign, wrong row, lost gradient) scores near zero on all three, far outside the bars.

The Spearman bar is .04. Measured on this sample (AMD EPYC, 2 workers, CBOW/NS, the
cell nearest its bar): gensim's WS-353 mean over 24 seeds is .256 (SD .016 per seed),
fastw2v's .243 over 60 (SD .014; 1 or 2 workers, with or without hot rows, with
gensim's rule of skipping scores beyond +-6 instead of the C tool's saturation: all
means .240 to .247). The persistent gap of .013 (also -.009 on wiki17m, within
the .01 bar there, benchmarks/RESULTS.md) plus three standard errors of a five-seed
difference (.0095 each) is .041. With .03, this cell failed a CI run (.232 against
gensim's .269). The scores are very sensitive to the amount of training here: alpha
.030 instead of .025 moves fastw2v's CBOW/NS WS-353 from .243 to .266.

The reference is gensim's iterable mode. Its learning rate decays from alpha to
min_alpha over the corpus as documented, as fastw2v's does in both modes. gensim's
corpus_file mode measures each worker's progress against the whole corpus, so with 2
workers an epoch ends half way along the schedule and alpha stays higher than asked.
On a 1.5M-word corpus that higher rate is worth a few hundredths of Spearman for CBOW.
On wiki17m at 5 epochs both gensim modes score alike (benchmarks/RESULTS.md).
"""
import os

import numpy as np
import pytest

gensim = pytest.importorskip("gensim")     # a test dependency: pip install fastw2v[test]
from gensim.models import KeyedVectors as GensimKV, Word2Vec as GensimW2V

from fastw2v import LineSentence, Word2Vec

from conftest import DATA

pytestmark = pytest.mark.slow

SETTINGS = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=5, workers=2)
QUALITY_MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
}
SEEDS = (1, 2, 3, 4, 5)
# tolerated shortfall of fastw2v's mean score below gensim's mean score
ANALOGY_TOL = 0.008
SPEARMAN_TOL = 0.04


def scores(words, vectors):
    kv = GensimKV(vectors.shape[1])
    kv.add_vectors(list(words), np.asarray(vectors))
    analogy = kv.evaluate_word_analogies(os.path.join(DATA, "questions-words.txt"),
                                         restrict_vocab=30000)[0]
    ws = kv.evaluate_word_pairs(os.path.join(DATA, "wordsim353.tsv"))[1][0]
    simlex = kv.evaluate_word_pairs(os.path.join(DATA, "simlex999.txt"))[1][0]
    return np.array([analogy, ws, simlex])


@pytest.fixture(scope="module")
def gensim_scores(sample_text_file):
    from gensim.models.word2vec import LineSentence as GensimLineSentence
    out = {}
    for mode, kw in QUALITY_MODES.items():
        runs = []
        for seed in SEEDS:
            m = GensimW2V(sentences=GensimLineSentence(sample_text_file), seed=seed,
                          **SETTINGS, **kw)
            runs.append(scores(m.wv.index_to_key, m.wv.vectors))
        out[mode] = np.mean(runs, axis=0)
    return out


def check(mode, ours, theirs):
    print(f"{mode}: fastw2v analogy/WS-353/SimLex {np.round(ours, 3)}  gensim {np.round(theirs, 3)}")
    assert ours[0] >= theirs[0] - ANALOGY_TOL, f"analogy {ours[0]:.4f} vs gensim {theirs[0]:.4f}"
    assert ours[1] >= theirs[1] - SPEARMAN_TOL, f"WS-353 {ours[1]:.4f} vs gensim {theirs[1]:.4f}"
    assert ours[2] >= theirs[2] - SPEARMAN_TOL, f"SimLex {ours[2]:.4f} vs gensim {theirs[2]:.4f}"


@pytest.mark.parametrize("mode", list(QUALITY_MODES))
def test_corpus_file_quality_matches_gensim(mode, sample_text_file, gensim_scores):
    runs = []
    for seed in SEEDS:
        m = Word2Vec(corpus_file=sample_text_file, seed=seed, **SETTINGS, **QUALITY_MODES[mode])
        runs.append(scores(m.wv.index_to_key, m.wv.vectors))
    ours = np.mean(runs, axis=0)
    # sanity: the models learnt something (random vectors score ~0 on all three)
    assert ours[0] > 0.02 and ours[1] > 0.2
    check(mode, ours, gensim_scores[mode])


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs"])
def test_iterable_mode_quality_matches_gensim(mode, sample_corpus_path, gensim_scores):
    sentences = list(LineSentence(sample_corpus_path))
    runs = []
    for seed in SEEDS:
        m = Word2Vec(sentences=sentences, seed=seed, **SETTINGS, **QUALITY_MODES[mode])
        runs.append(scores(m.wv.index_to_key, m.wv.vectors))
    check(mode, np.mean(runs, axis=0), gensim_scores[mode])


@pytest.mark.parametrize("mode", list(QUALITY_MODES))
def test_many_threads_quality_matches_gensim(mode, sample_text_file, gensim_scores):
    """16 lock-free workers (more threads than CI has cores, so every thread's copies of
    the hot rows go stale for long) still train as well as gensim with 2. A hot-row
    setting whose merges add up too many stale moves fails here: with the frequent words'
    input rows hot as well, skip-gram/NS scored 0.001 on analogies and 0.06 on WS-353."""
    runs = []
    settings = dict(SETTINGS, workers=16)
    for seed in SEEDS:
        m = Word2Vec(corpus_file=sample_text_file, seed=seed, **settings, **QUALITY_MODES[mode])
        runs.append(scores(m.wv.index_to_key, m.wv.vectors))
    check(mode, np.mean(runs, axis=0), gensim_scores[mode])
