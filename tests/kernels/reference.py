"""Slow, plain NumPy twin of the Cython kernels, for tests only.

It follows the same algorithm with the same random stream (xorshift64* seeded through
splitmix64, consumed in the same order), so on a small case the weights it produces
must equal the kernels' to float32 rounding. Written for clarity, not speed.
"""
from __future__ import annotations

import math

import numpy as np

from fastw2v.tables import EXP_TABLE_SIZE, MAX_EXP

MASK64 = (1 << 64) - 1
NOISE_STREAM_KEY = 0x5851F42D4C957F2D   # a job's noise stream starts from seed ^ this
MAX_SENTENCE = 10000
PROGRESS_EVERY = 10000
SIGMOID_SCALE = np.float32(EXP_TABLE_SIZE / (2 * MAX_EXP))


def mix64(z: int) -> int:
    """splitmix64 finaliser (a stream's start state)."""
    z = (z + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    return z or 0x9E3779B97F4A7C15


class XorShift64Star:
    """The kernels' random generator."""

    def __init__(self, seed: int):
        self.state = mix64(seed & MASK64)

    def next(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & MASK64


def learning_rate(start_alpha, end_alpha, done, total_words) -> float:
    if total_words <= 0:
        return start_alpha
    return max(start_alpha - (start_alpha - end_alpha) * (done / total_words), end_alpha)


def sigmoid_lookup(table: np.ndarray, f: np.float32) -> np.float32:
    idx = int(np.float32(f + np.float32(MAX_EXP)) * SIGMOID_SCALE)
    return table[min(max(idx, 0), EXP_TABLE_SIZE - 1)]


def neg_log_sigmoid(x: float) -> float:
    return math.log1p(math.exp(-x)) if x >= 0 else -x + math.log1p(math.exp(x))


class ReferenceTrainer:
    """Same inputs as ``_kernels.Model`` + ``Worker``; trains one job at a time."""

    def __init__(self, input_vectors, output_hs, output_ns, *, sg, hs, negative, window,
                 cbow_mean, shrink_windows, compute_loss, keep_threshold, codes, points,
                 code_offsets, alias_threshold, alias_index, sigmoid, shared_negatives=False,
                 lockf=None):
        self.syn0 = input_vectors
        # gensim's vectors_lockf: an input row's update is scaled by lockf[row % len]
        self.lockf = None if lockf is None else np.asarray(lockf, dtype=np.float32)
        self.syn1 = output_hs
        self.syn1neg = output_ns
        self.sg, self.hs, self.negative = sg, hs, negative
        self.window, self.cbow_mean, self.shrink = window, cbow_mean, shrink_windows
        self.compute_loss = compute_loss
        self.keep = keep_threshold
        self.codes, self.points, self.offsets = codes, points, code_offsets
        self.alias_threshold, self.alias_index = alias_threshold, alias_index
        self.sigmoid = sigmoid
        self.shared_negatives = shared_negatives
        self.loss = 0.0
        self.loss_examples = 0
        self.words_trained = 0
        self.set_schedule(0.025, 0.0001, 0)

    def set_schedule(self, start_alpha, end_alpha, total_words, progress=0):
        self.start_alpha, self.end_alpha = start_alpha, end_alpha
        self.total_words, self.progress = total_words, progress

    def _lock(self, row):
        return np.float32(1.0) if self.lockf is None else self.lockf[row % len(self.lockf)]

    # -- the two output layers ----------------------------------------------------------
    def _hs(self, word, l1, neu1e, alpha):
        for k in range(self.offsets[word], self.offsets[word + 1]):
            node, code = int(self.points[k]), int(self.codes[k])
            l2 = self.syn1[node]
            f = np.float32(np.dot(l1, l2))
            if self.compute_loss:
                self.loss += neg_log_sigmoid((1 - 2 * code) * float(f))
            if f <= -MAX_EXP or f >= MAX_EXP:
                continue
            g = np.float32((np.float32(1 - code) - sigmoid_lookup(self.sigmoid, f)) * np.float32(alpha))
            neu1e += g * l2
            l2 += g * l1

    def _draw(self, rng):
        r = rng.next()
        col = ((r >> 32) * len(self.alias_index)) >> 32
        return col if (r & 0xFFFFFFFF) < int(self.alias_threshold[col]) else int(self.alias_index[col])

    def _gradient(self, f, label, alpha):
        if f > MAX_EXP:
            g = (label - np.float32(1)) * np.float32(alpha)
        elif f < -MAX_EXP:
            g = label * np.float32(alpha)
        else:
            g = (label - sigmoid_lookup(self.sigmoid, f)) * np.float32(alpha)
        return np.float32(g)

    def _ns(self, word, l1, neu1e, alpha):
        for d in range(self.negative + 1):
            if d == 0:
                target, label = word, np.float32(1)
            else:
                target = self._draw(self.noise_rng)
                if target == word:
                    continue
                label = np.float32(0)
            l2 = self.syn1neg[target]
            f = np.float32(np.dot(l1, l2))
            if self.compute_loss:
                self.loss += neg_log_sigmoid(float(f) if d == 0 else -float(f))
            g = self._gradient(f, label, alpha)
            neu1e += g * l2
            l2 += g * l1

    def _ns_shared(self, word, contexts, alpha):
        """One set of negatives for the window; scores from the weights at its start."""
        targets = [word]
        for _ in range(self.negative):
            t = self._draw(self.noise_rng)
            if t != word:
                targets.append(t)
        grads = np.zeros((len(contexts), len(targets)), dtype=np.float32)
        errs = np.zeros((len(contexts), self.syn0.shape[1]), dtype=np.float32)
        for a, c in enumerate(contexts):
            for t, target in enumerate(targets):
                f = np.float32(np.dot(self.syn0[c], self.syn1neg[target]))
                if self.compute_loss:
                    self.loss += neg_log_sigmoid(float(f) if t == 0 else -float(f))
                grads[a, t] = self._gradient(f, np.float32(t == 0), alpha)
                errs[a] += grads[a, t] * self.syn1neg[target]
        for t, target in enumerate(targets):
            for a, c in enumerate(contexts):
                self.syn1neg[target] += grads[a, t] * self.syn0[c]
        for a, c in enumerate(contexts):
            self.syn0[c] += self._lock(c) * errs[a]

    def _hs_shared(self, word, contexts, alpha):
        """The window against the centre's path; scores from the weights at its start."""
        nodes = range(self.offsets[word], self.offsets[word + 1])
        grads = np.zeros((len(contexts), len(nodes)), dtype=np.float32)
        errs = np.zeros((len(contexts), self.syn0.shape[1]), dtype=np.float32)
        for a, c in enumerate(contexts):
            for t, k in enumerate(nodes):
                node, code = int(self.points[k]), int(self.codes[k])
                f = np.float32(np.dot(self.syn0[c], self.syn1[node]))
                if self.compute_loss:
                    self.loss += neg_log_sigmoid((1 - 2 * code) * float(f))
                if -MAX_EXP < f < MAX_EXP:
                    grads[a, t] = (np.float32(1 - code) - sigmoid_lookup(self.sigmoid, f)) \
                        * np.float32(alpha)
                errs[a] += grads[a, t] * self.syn1[node]
        for t, k in enumerate(nodes):
            for a, c in enumerate(contexts):
                self.syn1[int(self.points[k])] += grads[a, t] * self.syn0[c]
        for a, c in enumerate(contexts):
            self.syn0[c] += self._lock(c) * errs[a]

    # -- windows ------------------------------------------------------------------------
    def _window(self, i, n, rng):
        b = rng.next() % self.window if self.shrink else 0
        return max(0, i - self.window + b), min(n, i + self.window + 1 - b)

    def _sentence(self, sent, alpha, rng):
        n = len(sent)
        for i in range(n):
            word = sent[i]
            lo, hi = self._window(i, n, rng)
            if self.sg and self.shared_negatives:
                contexts = [sent[j] for j in range(lo, hi) if j != i]
                self.loss_examples += len(contexts)
                if self.hs:
                    self._hs_shared(word, contexts, alpha)
                if self.negative:
                    self._ns_shared(word, contexts, alpha)
            elif self.sg:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    l1 = self.syn0[sent[j]]
                    neu1e = np.zeros_like(l1)
                    if self.hs:
                        self._hs(word, l1, neu1e, alpha)
                    if self.negative:
                        self._ns(word, l1, neu1e, alpha)
                    self.loss_examples += 1
                    l1 += self._lock(sent[j]) * neu1e
            else:
                ctx = [sent[j] for j in range(lo, hi) if j != i]
                if not ctx:
                    continue
                neu1 = np.sum(self.syn0[ctx], axis=0, dtype=np.float32)
                if self.cbow_mean:
                    neu1 *= np.float32(1.0 / len(ctx))
                neu1e = np.zeros_like(neu1)
                if self.hs:
                    self._hs(word, neu1, neu1e, alpha)
                if self.negative:
                    self._ns(word, neu1, neu1e, alpha)
                self.loss_examples += 1
                if not self.cbow_mean:
                    neu1e *= np.float32(1.0 / len(ctx))
                for c in ctx:
                    self.syn0[c] += self._lock(c) * neu1e

    def train(self, ids, start, end, seed):
        """Train on ``ids[start:end]`` (``-1`` ends a sentence) with the stream of ``seed``."""
        rng = XorShift64Star(seed)
        self.noise_rng = XorShift64Star(seed ^ NOISE_STREAM_KEY)
        pos, unreported = start, 0
        alpha = learning_rate(self.start_alpha, self.end_alpha, self.progress, self.total_words)
        while pos < end:
            sent = []
            while pos < end and len(sent) < MAX_SENTENCE:
                wid = int(ids[pos])
                pos += 1
                if wid < 0:
                    break
                unreported += 1
                if self.keep is not None and (rng.next() & 0xFFFFFFFF) >= int(self.keep[wid]):
                    continue
                sent.append(wid)
            if len(sent) > 1:
                self._sentence(sent, alpha, rng)
            self.words_trained += len(sent)
            if unreported >= PROGRESS_EVERY:
                self.progress += unreported
                unreported = 0
                alpha = learning_rate(self.start_alpha, self.end_alpha, self.progress,
                                      self.total_words)
        self.progress += unreported
