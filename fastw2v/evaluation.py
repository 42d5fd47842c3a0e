"""Standard intrinsic benchmarks: word analogies (3CosAdd) and word-pair similarity.

The scores are the ones gensim 4's ``KeyedVectors.evaluate_word_analogies`` and
``evaluate_word_pairs`` give on the same vectors (same file conventions, same
case folding, same out-of-vocabulary handling, float32 arithmetic), computed with NumPy
only: analogy questions are answered in batches with one matrix product per batch, and
the Pearson/Spearman correlations and their p-values are computed here (no SciPy).

The standard sets ship with the package; :func:`datasets` returns their paths.
"""
from __future__ import annotations

import logging
import math
import os
from typing import Dict, List, NamedTuple, Tuple

import numpy as np

logger = logging.getLogger("fastw2v")

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

#: Matrix entries (questions x candidate words) scored at once by the analogy evaluator.
_BATCH_ENTRIES = 1 << 23


def datasets() -> Dict[str, str]:
    """Paths of the shipped evaluation sets: ``questions-words`` (Google analogies),
    ``wordsim353`` and ``simlex999`` (tab-separated word pairs)."""
    return {"questions-words": os.path.join(_DATA, "questions-words.txt"),
            "wordsim353": os.path.join(_DATA, "wordsim353.tsv"),
            "simlex999": os.path.join(_DATA, "simlex999.txt")}


class CorrelationResult(NamedTuple):
    """A correlation and its two-sided p-value (indexable like SciPy's results)."""

    statistic: float
    pvalue: float

    @property
    def correlation(self) -> float:
        return self.statistic


def _read_lines(path) -> List[str]:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"evaluation file {path!r} does not exist")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"{path}: line {line}: bytes that are not UTF-8 "
                         f"(at byte offset {exc.start})") from None
    return text.splitlines(keepends=True)


def _ok_vocab(kv, restrict_vocab, case_insensitive) -> Dict[str, int]:
    """Allowed word -> row, over the first ``restrict_vocab`` rows. With case folding,
    several spellings map to the same upper-case key: the first (most frequent) wins."""
    keys = kv.index_to_key[:restrict_vocab]
    ok: Dict[str, int] = {}
    for i, k in enumerate(keys):
        k = k.upper() if case_insensitive else k
        if k not in ok:
            ok[k] = i
    return ok


def _check_kv(kv, restrict_vocab):
    if not hasattr(kv, "vectors") or not hasattr(kv, "index_to_key"):
        raise TypeError(f"expected KeyedVectors (with .vectors and .index_to_key), got "
                        f"{type(kv).__name__}")
    if restrict_vocab is None:
        return len(kv.index_to_key)
    if not isinstance(restrict_vocab, (int, np.integer)) or restrict_vocab < 1:
        raise ValueError(f"restrict_vocab={restrict_vocab!r} is invalid: must be an integer >= 1")
    return int(restrict_vocab)


def _unit_rows(vectors: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """float32 norms [n] and unit rows [n, d] (rows of norm 0 are left at zero)."""
    norms = np.linalg.norm(vectors, axis=1).astype(np.float32)
    safe = np.where(norms > 0, norms, np.float32(1))
    return norms, (vectors / safe[:, None]).astype(np.float32)


def evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False) -> Tuple[float, List[dict]]:
    """Accuracy on an analogy set such as Google's ``questions-words.txt`` (3CosAdd).

    For ``a : b :: c : ?`` the answer is the word among the first ``restrict_vocab``
    whose vector has the largest cosine with ``unit(b) + unit(c) - unit(a)``, the three
    question words excluded. Same conventions and numbers as gensim 4's
    ``KeyedVectors.evaluate_word_analogies``.

    Parameters
    ----------
    kv : KeyedVectors
        Vectors (``.vectors`` [V, d], ``.index_to_key`` most frequent first).
    path : str or path
        Lines ``a b c expected``, grouped under ``: section name`` lines.
    restrict_vocab : int
        Only the first ``restrict_vocab`` words are used (questions with other words
        are out of vocabulary) and considered as answers.
    case_insensitive : bool
        Compare words upper-cased; of several spellings, the most frequent is used.
    dummy4unknown : bool
        Count questions with out-of-vocabulary words as wrong instead of skipping them.

    Returns
    -------
    (accuracy, sections) : (float, list of dict)
        Overall accuracy (0.0 if no question could be asked), and per section
        ``{"section": name, "correct": [(a, b, c, expected), ...], "incorrect": [...]}``,
        the last one being ``"Total accuracy"``.
    """
    r = _check_kv(kv, restrict_vocab)
    ok = _ok_vocab(kv, r, case_insensitive)
    lines = _read_lines(path)
    sections: List[dict] = []
    entries: List[list] = []        # per section, in file order: question number or -1 (OOV)
    questions: List[Tuple[str, str, str, str]] = []
    quads: List[list] = []
    n_questions = n_oov = 0
    for line_no, line in enumerate(lines):
        if line.startswith(": "):
            sections.append({"section": line.lstrip(": ").strip(), "correct": [],
                             "incorrect": []})
            entries.append([])
            quads.append([])
            continue
        if not sections:
            raise ValueError(f"{os.fspath(path)}: line {line_no + 1}: a question before the "
                             "first ': section' header")
        words = line.split()
        if len(words) != 4:
            logger.info("skipping invalid line #%d in %s", line_no, path)
            continue
        if case_insensitive:
            words = [w.upper() for w in words]
        quad = tuple(words)
        n_questions += 1
        if any(w not in ok for w in quad):
            n_oov += 1
            if dummy4unknown:
                entries[-1].append(-1)
                quads[-1].append(quad)
            continue
        entries[-1].append(len(questions))
        quads[-1].append(quad)
        questions.append(quad)

    predictions = _answer_analogies(kv, r, ok, questions, case_insensitive)
    for s, ent, qs in zip(sections, entries, quads):
        for e, quad in zip(ent, qs):
            right = e >= 0 and predictions[e] == quad[3]
            s["correct" if right else "incorrect"].append(quad)
    total = {"section": "Total accuracy",
             "correct": [q for s in sections for q in s["correct"]],
             "incorrect": [q for s in sections for q in s["incorrect"]]}
    for s in sections:
        _log_section(s)
    if n_questions:
        logger.info("analogies with out-of-vocabulary words: %.1f%%", 100.0 * n_oov / n_questions)
    score = _log_section(total)
    sections.append(total)
    return score, sections


def _log_section(section) -> float:
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%d/%d)", section["section"], 100.0 * score, correct,
                correct + incorrect)
    return score


def _answer_analogies(kv, r, ok, quads, case_insensitive) -> List[str]:
    """The predicted answer (folded like the question) of each ``(a, b, c, _)``."""
    if not quads:
        return []
    vectors = np.asarray(kv.vectors[:r], dtype=np.float32)
    norms, unit = _unit_rows(vectors)
    safe_norms = np.where(norms > 0, norms, np.float32(1))
    names = kv.index_to_key[:r]
    rows = np.array([[ok[a], ok[b], ok[c]] for a, b, c, _ in quads], dtype=np.int64)
    batch = max(1, _BATCH_ENTRIES // max(r, 1))
    out: List[str] = []
    topn = 5
    for s in range(0, len(quads), batch):
        idx = rows[s:s + batch]
        # gensim's order of float32 operations: (b + c - a) / 3, then unit length
        mean = unit[idx[:, 1]] + unit[idx[:, 2]]
        mean -= unit[idx[:, 0]]
        mean /= np.float32(3)
        mlen = np.linalg.norm(mean, axis=1).astype(np.float32)
        mean /= np.where(mlen > 0, mlen, np.float32(1))[:, None]
        scores = mean @ vectors.T
        scores /= safe_norms
        rows_b = np.arange(len(idx))[:, None]
        scores[rows_b, idx] = -np.inf                   # the question's own words
        best = np.argmax(scores, axis=1)
        for j, (q, i) in enumerate(zip(quads[s:s + batch], best.tolist())):
            ignore = set(q[:3])
            predicted = names[i].upper() if case_insensitive else names[i]
            if predicted in ok and predicted not in ignore:
                out.append(predicted)
                continue
            # rare: the best word is another spelling of a question word; as gensim,
            # look further among the five best
            row = scores[j]
            k = min(topn, r)
            cand = np.argpartition(-row, k - 1)[:k] if k < r else np.arange(r)
            cand = cand[np.argsort(-row[cand], kind="stable")]
            for i in cand[np.isfinite(row[cand])]:
                predicted = names[i].upper() if case_insensitive else names[i]
                if predicted in ok and predicted not in ignore:
                    break
            out.append(predicted)
    return out


def evaluate_word_pairs(kv, path, delimiter="\t", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False):
    """Correlation of the vectors' cosine similarities with human judgements.

    Same conventions and numbers as gensim 4's ``KeyedVectors.evaluate_word_pairs``.

    Parameters
    ----------
    kv : KeyedVectors
    path : str or path
        Lines ``word1<delimiter>word2<delimiter>score``; lines starting with ``#`` are
        comments, malformed lines are skipped.
    delimiter : str
    restrict_vocab : int
        Only the first ``restrict_vocab`` words count as known.
    case_insensitive : bool
        Compare words upper-cased; of several spellings, the most frequent is used.
    dummy4unknown : bool
        Give pairs with unknown words similarity 0 instead of skipping them.

    Returns
    -------
    (pearson, spearman, oov_ratio) : (CorrelationResult, CorrelationResult, float)
        Each correlation as ``(statistic, pvalue)``; ``oov_ratio`` is the percentage of
        pairs with an unknown word.
    """
    r = _check_kv(kv, restrict_vocab)
    ok = _ok_vocab(kv, r, case_insensitive)
    gold: List[float] = []
    pairs: List[Tuple[int, int]] = []
    n_oov = 0
    for line_no, line in enumerate(_read_lines(path)):
        if line.startswith("#"):
            continue
        parts = line.split(delimiter)
        try:
            if len(parts) != 3:
                raise ValueError
            a, b = (p.upper() for p in parts[:2]) if case_insensitive else parts[:2]
            sim = float(parts[2])
        except ValueError:
            logger.info("skipping invalid line #%d in %s", line_no, path)
            continue
        if a not in ok or b not in ok:
            n_oov += 1
            if dummy4unknown:
                gold.append(sim)
                pairs.append((-1, -1))
            continue
        gold.append(sim)
        pairs.append((ok[a], ok[b]))
    if not gold:
        raise ValueError(f"no valid similarity judgement found in {os.fspath(path)!r}: "
                         "either the format is wrong or every pair has an unknown word")
    idx = np.array(pairs, dtype=np.int64)
    known = idx[:, 0] >= 0
    model = np.zeros(len(gold), dtype=np.float64)
    if known.any():
        _, unit = _unit_rows(np.asarray(kv.vectors, dtype=np.float32)[np.unique(idx[known])])
        pos = {row: i for i, row in enumerate(np.unique(idx[known]).tolist())}
        ua = unit[[pos[i] for i in idx[known, 0].tolist()]]
        ub = unit[[pos[i] for i in idx[known, 1].tolist()]]
        model[known] = np.einsum("ij,ij->i", ua, ub, dtype=np.float32)
    gold_a = np.asarray(gold, dtype=np.float64)
    pearson = pearson_correlation(gold_a, model)
    spearman = spearman_correlation(gold_a, model)
    oov_ratio = 100.0 * n_oov / (len(gold) if dummy4unknown else len(gold) + n_oov)
    logger.info("Pearson correlation with %s: %.4f", path, pearson.statistic)
    logger.info("Spearman rank-order correlation with %s: %.4f", path, spearman.statistic)
    logger.info("pairs with unknown words: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio


# -- statistics (NumPy only) ------------------------------------------------------------
def rankdata(x) -> np.ndarray:
    """Ranks 1..n of ``x``, ties given the mean of the ranks they span."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    sx = x[order]
    # start of each run of equal values
    starts = np.flatnonzero(np.r_[True, sx[1:] != sx[:-1]])
    ends = np.r_[starts[1:], len(x)]
    mean_rank = (starts + ends + 1) / 2.0          # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def pearson_correlation(x, y) -> CorrelationResult:
    """Pearson's r and its two-sided p-value (exact under normality, as SciPy)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    if n != len(y) or n < 2:
        raise ValueError(f"need two sequences of the same length >= 2, got {len(x)} and {len(y)}")
    xm, ym = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(np.dot(xm, xm)) * float(np.dot(ym, ym)))
    if denom == 0:
        return CorrelationResult(float("nan"), float("nan"))
    rho = max(-1.0, min(1.0, float(np.dot(xm, ym)) / denom))
    return CorrelationResult(rho, _correlation_pvalue(rho, n))


def spearman_correlation(x, y) -> CorrelationResult:
    """Spearman's rho (Pearson's r of the tie-averaged ranks) and its two-sided p-value
    (Student's t approximation with n - 2 degrees of freedom, as SciPy)."""
    return pearson_correlation(rankdata(x), rankdata(y))


def _correlation_pvalue(r: float, n: int) -> float:
    """P(|R| >= |r|) for a correlation of n samples under independence:
    ``t = r sqrt((n-2) / (1-r^2))`` has Student's t law with n-2 degrees of freedom,
    and its two-sided tail is the regularised incomplete beta ``I_{1-r^2}((n-2)/2, 1/2)``."""
    if n <= 2:
        return 1.0
    return _betainc((n - 2) / 2.0, 0.5, 1.0 - r * r)


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b), by its continued fraction
    (modified Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the
    fraction converges slowly."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _betainc(b, a, 1.0 - x)
    return math.exp(log_front) * _beta_fraction(a, b, x) / a


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 10000):
        # even step
        num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        f *= d * c
        # odd step
        num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        f *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return f
