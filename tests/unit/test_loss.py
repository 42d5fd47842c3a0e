"""compute_loss=True against an independent NumPy computation of the same objective.

The weights are set to random values and training runs with a learning rate so small
(1e-12) that no float32 weight moves, with sample=0, shrink_windows=False and one
worker: the (input, output) examples are then exactly the window pairs, and

* hierarchical softmax: the loss of an example is the sum over the output word's
  Huffman path of ``-log s((1 - 2 code) * node . v)``: exactly computable;
* negative sampling: ``-log s(u_o . v) - sum over k noise words n != o of log s(-u_n . v)``.
  The noise words are random, so the measured mean is compared with its exact
  expectation under the unigram^0.75 noise distribution, within 5 standard errors.

Each test also checks that a deliberately wrong formula falls outside the tolerance.
"""
import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.tables import build_huffman

V, DIM, WINDOW, NEG = 12, 8, 2, 4
# a skewed vocabulary: frequent words are often drawn as noise for themselves
COUNTS = {f"w{i}": int(1000 / (i + 1) ** 1.5) + 5 for i in range(V)}


def nls(x):
    """-log sigmoid(x), stable."""
    return np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def make_model(sg, hs, negative, seed=0):
    m = Word2Vec(vector_size=DIM, window=WINDOW, min_count=1, sample=0, sg=sg, hs=hs,
                 negative=negative, shrink_windows=False, workers=1, seed=3)
    m.build_vocab_from_freq(COUNTS)
    rng = np.random.default_rng(seed)
    m.wv.vectors[...] = rng.normal(0, 0.6, m.wv.vectors.shape)
    if hs:
        m.syn1[...] = rng.normal(0, 0.6, m.syn1.shape)
    if negative:
        m.syn1neg[...] = rng.normal(0, 0.6, m.syn1neg.shape)
    return m


def corpus(n_sentences=300, length=10, seed=1):
    rng = np.random.default_rng(seed)
    p = np.array(list(COUNTS.values()), dtype=float)
    ids = rng.choice(V, size=(n_sentences, length), p=p / p.sum())
    return [[f"w{i}" for i in row] for row in ids]


def examples(model, sentences, sg):
    """(input vectors [N, d], output word ids [N]) of every training example."""
    idx = model.wv.key_to_index
    vecs = model.wv.vectors.astype(np.float64)
    inputs, outputs = [], []
    for s in sentences:
        ids = [idx[w] for w in s]
        n = len(ids)
        for i in range(n):
            ctx = [ids[j] for j in range(max(0, i - WINDOW), min(n, i + WINDOW + 1)) if j != i]
            if sg:                  # each context word's vector predicts the centre word
                for c in ctx:
                    inputs.append(vecs[c])
                    outputs.append(ids[i])
            else:                   # the mean of the context predicts the centre word
                inputs.append(vecs[ctx].mean(axis=0))
                outputs.append(ids[i])
    return np.array(inputs), np.array(outputs)


def hs_loss(model, inputs, outputs, flip=False):
    """Per-example HS loss; ``flip`` uses the wrong label (code instead of 1 - code)."""
    tree = build_huffman(model.vocab.counts)
    syn1 = model.syn1.astype(np.float64)
    out = np.zeros(len(outputs))
    for k, (v, w) in enumerate(zip(inputs, outputs)):
        code, path = tree.code(w).astype(np.float64), tree.path(w)
        f = syn1[path] @ v
        sign = (2 * code - 1) if flip else (1 - 2 * code)
        out[k] = nls(sign * f).sum()
    return out


def ns_loss_moments(model, inputs, outputs, exclude_target=True):
    """Exact mean and variance of each example's NS loss over the noise draws."""
    counts = model.vocab.counts.astype(np.float64)
    p = counts ** 0.75
    p /= p.sum()
    out_vecs = model.syn1neg.astype(np.float64)
    scores = inputs @ out_vecs.T                              # [N, V]
    positive = nls(scores[np.arange(len(outputs)), outputs])
    neg_terms = nls(-scores)                                   # loss if word n is a noise draw
    if exclude_target:
        neg_terms[np.arange(len(outputs)), outputs] = 0.0      # the kernel skips n == o
    m1 = neg_terms @ p
    m2 = (neg_terms ** 2) @ p
    return positive + NEG * m1, NEG * (m2 - m1 ** 2)


def train_frozen(model, sentences, epochs=1):
    before = [a.copy() for a in (model.wv.vectors, model.syn1, model.syn1neg) if a is not None]
    model.train(sentences, total_examples=len(sentences), epochs=epochs, start_alpha=1e-12,
                end_alpha=1e-12, compute_loss=True, progress=False)
    after = [a for a in (model.wv.vectors, model.syn1, model.syn1neg) if a is not None]
    for b, a in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)     # weights did not move


@pytest.mark.parametrize("sg", [1, 0], ids=["sg", "cbow"])
def test_hs_loss_matches_numpy_exactly(sg):
    model = make_model(sg, hs=1, negative=0)
    sentences = corpus(100)
    inputs, outputs = examples(model, sentences, sg)
    train_frozen(model, sentences, epochs=2)
    expected = hs_loss(model, inputs, outputs)
    stats = model.epoch_stats[-1]
    assert stats.loss_examples == len(outputs)
    assert len(model.epoch_losses) == 2
    for got in model.epoch_losses:
        assert got == pytest.approx(expected.mean(), rel=1e-5)
    # gensim's meaning: summed over both epochs of this train() call (equal, weights frozen)
    assert model.get_latest_training_loss() == pytest.approx(2 * expected.sum(), rel=1e-5)
    # a wrong label convention is far outside that tolerance
    wrong = hs_loss(model, inputs, outputs, flip=True).mean()
    assert abs(wrong - expected.mean()) > 1e-2 * expected.mean()


@pytest.mark.parametrize("sg", [1, 0], ids=["sg", "cbow"])
def test_ns_loss_matches_expectation_over_noise(sg):
    model = make_model(sg, hs=0, negative=NEG)
    sentences = corpus(300)
    inputs, outputs = examples(model, sentences, sg)
    train_frozen(model, sentences)
    n = len(outputs)
    assert model.epoch_stats[-1].loss_examples == n
    mean, var = ns_loss_moments(model, inputs, outputs)
    expected = mean.mean()
    tol = 5 * np.sqrt(var.sum()) / n                  # 5 standard errors of the mean
    got = model.epoch_losses[-1]
    assert abs(got - expected) < tol, (got, expected, tol)
    assert model.get_latest_training_loss() == pytest.approx(got * n, rel=1e-9)
    # counting noise draws of the target word itself (the kernel skips them) is detectably
    # different, and so is a wrong sign on the noise terms
    wrong1 = ns_loss_moments(model, inputs, outputs, exclude_target=False)[0].mean()
    assert abs(wrong1 - expected) > 2 * tol
    pos = nls((inputs * model.syn1neg[outputs]).sum(axis=1))
    wrong2 = (pos + NEG * (nls(inputs @ model.syn1neg.T.astype(np.float64)) @ (
        model.vocab.counts ** 0.75 / (model.vocab.counts ** 0.75).sum()))).mean()
    assert abs(wrong2 - expected) > 2 * tol


def test_hs_plus_ns_loss_is_the_sum():
    model = make_model(1, hs=1, negative=NEG)
    sentences = corpus(300)
    inputs, outputs = examples(model, sentences, 1)
    train_frozen(model, sentences)
    n = len(outputs)
    mean, var = ns_loss_moments(model, inputs, outputs)
    expected = (hs_loss(model, inputs, outputs) + mean).mean()
    tol = 5 * np.sqrt(var.sum()) / n
    assert abs(model.epoch_losses[-1] - expected) < tol


def test_loss_off_by_default_and_per_epoch_not_cumulative(small_text_file):
    m = Word2Vec(corpus_file=small_text_file, vector_size=16, min_count=5, epochs=2,
                 workers=2, progress=False)
    assert m.epoch_losses == [] and m.get_latest_training_loss() == 0.0
    m.train(corpus_file=small_text_file, epochs=3, compute_loss=True, progress=False)
    losses = m.epoch_losses
    assert len(losses) == 3 and all(np.isfinite(losses))
    # per-epoch means of a model that is learning: decreasing, not accumulating
    assert losses[0] > losses[-1] > 0
    s = m.epoch_stats[-1]
    # gensim's meaning: the running sum since this train() call began (its 3 epochs)
    assert m.get_latest_training_loss() == pytest.approx(sum(e.loss for e in m.epoch_stats[-3:]))
    assert losses[-1] == pytest.approx(s.loss / s.loss_examples)


class LossPerEpoch:
    """The callback gensim users write: this epoch's loss is the latest loss minus the
    one seen at the previous epoch's end."""

    def __init__(self):
        self.previous, self.totals, self.epoch_losses = 0.0, [], []

    def on_train_begin(self, model):
        self.previous = 0.0

    def on_epoch_begin(self, model):
        pass

    def on_train_end(self, model):
        pass

    def on_epoch_end(self, model):
        total = model.get_latest_training_loss()
        self.totals.append(total)
        self.epoch_losses.append(total - self.previous)
        self.previous = total


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs"])
def test_latest_training_loss_is_gensims_running_sum(small_text_file, mode):
    """gensim's get_latest_training_loss() is the objective summed since train() began;
    the classic callback then gives each epoch's loss (it printed negative numbers when
    fastw2v returned the last epoch's total). gensim with one worker (with several its
    threads overwrite each other's tally) sums the same objective: each epoch's figure
    is within 15% of fastw2v's (gensim adds in float32 and samples other negatives)."""
    from gensim.models import Word2Vec as GensimWord2Vec
    from fastw2v import LineSentence
    from conftest import MODES
    sentences = list(LineSentence(small_text_file))
    params = dict(vector_size=32, min_count=3, epochs=3, compute_loss=True, **MODES[mode])
    ours, theirs = LossPerEpoch(), LossPerEpoch()
    m = Word2Vec(sentences, workers=2, callbacks=[ours], **params)
    GensimWord2Vec(sentences, workers=1, callbacks=[theirs], **params)
    assert all(x > 0 for x in ours.epoch_losses) and all(x > 0 for x in theirs.epoch_losses)
    assert ours.totals == sorted(ours.totals)
    assert ours.epoch_losses == pytest.approx([s.loss for s in m.epoch_stats], rel=1e-9)
    ratios = np.array(ours.epoch_losses) / np.array(theirs.epoch_losses)
    assert np.all((ratios > 0.85) & (ratios < 1.15)), ratios
    # epoch_losses stay the per-epoch mean per example
    assert m.epoch_losses == pytest.approx([s.loss / s.loss_examples for s in m.epoch_stats])
    # a new train() call starts the sum again, as gensim's
    m.train(sentences, total_examples=m.corpus_count, epochs=1, callbacks=[ours])
    assert ours.totals[-1] == pytest.approx(m.epoch_stats[-1].loss, rel=1e-9)
    assert m.get_latest_training_loss() == ours.totals[-1]


@pytest.mark.parametrize("compute_loss", [False, True])
def test_epoch_log_shows_a_loss_only_when_computed(caplog, compute_loss):
    """Without compute_loss there is no loss to show: the epoch log line must not print
    one (it used to print 'mean loss 0.0000')."""
    import logging
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 20
    with caplog.at_level(logging.INFO, logger="fastw2v"):
        Word2Vec(sentences, vector_size=8, min_count=1, epochs=2, workers=1,
                 compute_loss=compute_loss)
    epoch_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert len(epoch_lines) == 2
    assert all(("mean loss" in line) is compute_loss for line in epoch_lines)
