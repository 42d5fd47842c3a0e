"""Standard intrinsic benchmarks: word analogies (3CosAdd or 3CosMul) and word-pair
similarity, plus the word2vec C tool's ``compute-accuracy``.

The scores are the ones gensim 4's ``KeyedVectors.evaluate_word_analogies`` and
``evaluate_word_pairs`` give on the same vectors (same file conventions, same
case folding, same out-of-vocabulary handling, float32 arithmetic), computed with NumPy
only: analogy questions are answered in batches with matrix products, and the
Pearson/Spearman correlations and their p-values are computed by
:mod:`fastw2v.evaluation.statistics` (no SciPy).
:func:`compute_accuracy` counts as the C tool's ``compute-accuracy`` does (30,000-word
threshold, semantic/syntactic split).

The standard sets ship with the package; :func:`datasets` (or :mod:`fastw2v.datasets`)
returns their paths.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from ..corpus.compression import DECOMPRESSION_ERRORS, open_by_suffix
from ..errors import UndecodableError
from .statistics import pearson_correlation, spearman_correlation

logger = logging.getLogger("fastw2v")

#: Matrix entries (questions x candidate words) scored at once by the analogy evaluator.
_BATCH_ENTRIES = 1 << 23


def datasets() -> Dict[str, str]:
    """Paths of the shipped evaluation sets: ``questions-words`` (Google analogies),
    ``wordsim353`` and ``simlex999`` (tab-separated word pairs). See also
    :mod:`fastw2v.datasets`."""
    from .. import datasets as shipped      # (this function's name hides the module)
    return shipped.evaluation_sets()


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _read_lines(path, encoding="utf-8") -> List[str]:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"evaluation file {path!r} does not exist")
    try:
        # .gz/.bz2/.xz by suffix, as gensim opens these files through smart_open
        with open_by_suffix(path) as fh:
            raw = fh.read()
    except DECOMPRESSION_ERRORS as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise                   # the file itself cannot be read: the system's error
        raise ValueError(f"{path}: corrupt compressed file ({exc})") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        name = "UTF-8" if encoding.lower().replace("-", "") in ("utf8",) else encoding
        # a ValueError, and the UnicodeDecodeError that gensim code catches here
        raise UndecodableError(f"{path}: line {line}: bytes that are not {name} "
                               f"(at byte offset {exc.start})", exc.encoding, exc.object,
                               exc.start, exc.end, exc.reason) from None
    # lines end at \n, \r\n or \r only (str.splitlines would also cut at \x0b, \x0c,
    # \x85, \u2028, ..., which gensim reads as spaces inside a line)
    return _LINE.findall(text)


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


#: accepted names of the two analogy objectives (gensim's method names included)
_OBJECTIVES = {"3cosadd": "add", "most_similar": "add", "3cosmul": "mul",
               "most_similar_cosmul": "mul"}


def analogy_objective(similarity_function) -> str:
    """``'add'`` or ``'mul'`` for a name of the analogy objective (gensim's method names
    included); ``ValueError`` naming the accepted names otherwise."""
    key = str(similarity_function).lower() if isinstance(similarity_function, str) else None
    if key not in _OBJECTIVES:
        raise ValueError(f"similarity_function={similarity_function!r} is invalid: use "
                         "'3CosAdd' (alias 'most_similar') or '3CosMul' (alias "
                         "'most_similar_cosmul')")
    return _OBJECTIVES[key]


def evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False, similarity_function="3CosAdd",
                            encoding="utf-8") -> Tuple[float, List[dict]]:
    """Accuracy on an analogy set such as Google's ``questions-words.txt``.

    For ``a : b :: c : ?`` the answer is the word among the first ``restrict_vocab``
    that scores best, the three question words excluded:

    - ``"3CosAdd"`` (default): the largest cosine with ``unit(b) + unit(c) - unit(a)``
      (gensim's ``most_similar``);
    - ``"3CosMul"`` (Levy and Goldberg, 2014): the largest
      ``cos'(x, b) cos'(x, c) / (cos'(x, a) + 1e-6)`` with ``cos' = (1 + cos) / 2``
      (gensim's ``most_similar_cosmul``).

    Same conventions and numbers as gensim 4's ``KeyedVectors.evaluate_word_analogies``
    (gensim 4 accepts ``similarity_function`` but always uses 3CosAdd; the 3CosMul
    answers here are those of gensim's ``most_similar_cosmul`` over the first
    ``restrict_vocab`` words, as gensim 3.8 evaluated them).

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
    similarity_function : {"3CosAdd", "3CosMul"}
        The objective (case-insensitive; gensim's names ``"most_similar"`` and
        ``"most_similar_cosmul"`` are accepted too).
    encoding : str
        Of the file.

    Returns
    -------
    (accuracy, sections) : (float, list of dict)
        Overall accuracy (0.0 if no question could be asked), and per section
        ``{"section": name, "correct": [(a, b, c, expected), ...], "incorrect": [...]}``,
        the last one being ``"Total accuracy"``.
    """
    r = _check_kv(kv, restrict_vocab)
    objective = analogy_objective(similarity_function)
    ok = _ok_vocab(kv, r, case_insensitive)
    lines = _read_lines(path, encoding)
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

    predictions = _answer_analogies(kv, r, ok, questions, case_insensitive, objective)
    for s, ent, qs in zip(sections, entries, quads):
        for e, quad in zip(ent, qs):
            right = e >= 0 and predictions[e] == quad[3]
            s["correct" if right else "incorrect"].append(quad)
    total = {"section": "Total accuracy",
             "correct": [q for s in sections for q in s["correct"]],
             "incorrect": [q for s in sections for q in s["incorrect"]]}
    for s in sections:
        log_accuracy(s)
    if n_questions:
        logger.info("analogies with out-of-vocabulary words: %.1f%%", 100.0 * n_oov / n_questions)
    score = log_accuracy(total)
    sections.append(total)
    return score, sections


def log_accuracy(section) -> float:
    """Log one section of :func:`evaluate_word_analogies` (``{"section": name, "correct":
    [...], "incorrect": [...]}``) as gensim's ``KeyedVectors.log_accuracy`` does, and
    return its accuracy (0.0 for a section with no questions, which is not logged)."""
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%d/%d)", section["section"], 100.0 * score, correct,
                correct + incorrect)
    return score


def _answer_analogies(kv, r, ok, quads, case_insensitive, objective="add") -> List[Optional[str]]:
    """The predicted answer (folded like the question) of each ``(a, b, c, _)``, None
    where no allowed word is left."""
    if not quads:
        return []
    vectors = np.asarray(kv.vectors[:r], dtype=np.float32)
    norms, unit = _unit_rows(vectors)
    safe_norms = np.where(norms > 0, norms, np.float32(1))
    names = kv.index_to_key[:r]
    rows = np.array([[ok[a], ok[b], ok[c]] for a, b, c, _ in quads], dtype=np.int64)
    # 3CosMul holds three score blocks at once
    batch = max(1, _BATCH_ENTRIES // max(r, 1) // (1 if objective == "add" else 3))
    out: List[Optional[str]] = []
    topn = 5
    for s in range(0, len(quads), batch):
        idx = rows[s:s + batch]
        if objective == "add":
            scores = _scores_3cosadd(unit, vectors, safe_norms, idx)
        else:
            scores = _scores_3cosmul(unit, vectors, safe_norms, idx)
        rows_b = np.arange(len(idx))[:, None]
        scores[rows_b, idx] = -np.inf                   # the question's own words
        # a NaN vector scores NaN, which argmax would pick for every question (gensim's
        # sort puts it last): it can never be the answer
        scores[np.isnan(scores)] = -np.inf
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
            predicted = None        # none of them: no answer, counted wrong (as gensim)
            for i in cand[np.isfinite(row[cand])]:
                name = names[i].upper() if case_insensitive else names[i]
                if name in ok and name not in ignore:
                    predicted = name
                    break
            out.append(predicted)
    return out


def _scores_3cosadd(unit, vectors, safe_norms, idx) -> np.ndarray:
    # gensim's order of float32 operations: (b + c - a) / 3, then unit length
    mean = unit[idx[:, 1]] + unit[idx[:, 2]]
    mean -= unit[idx[:, 0]]
    mean /= np.float32(3)
    mlen = np.linalg.norm(mean, axis=1).astype(np.float32)
    mean /= np.where(mlen > 0, mlen, np.float32(1))[:, None]
    scores = mean @ vectors.T
    scores /= safe_norms
    return scores


def _scores_3cosmul(unit, vectors, safe_norms, idx) -> np.ndarray:
    """``cos'(x,b) cos'(x,c) / (cos'(x,a) + 1e-6)``, ``cos' = (1 + cos) / 2``, in
    gensim's order of float32 operations."""
    one, two = np.float32(1), np.float32(2)

    def shifted(col):
        cos = unit[idx[:, col]] @ vectors.T
        cos /= safe_norms
        cos += one
        cos /= two
        return cos

    scores = shifted(1)
    scores *= shifted(2)
    neg = shifted(0)
    neg += np.float32(1e-6)
    scores /= neg
    return scores


class CToolAccuracy(NamedTuple):
    """What the word2vec C tool's ``compute-accuracy`` reports (see :func:`compute_accuracy`).

    ``sections`` holds ``(name, correct, asked)`` per section, in file order; ``asked``
    counts the questions whose four words are all within the threshold.
    """

    sections: List[Tuple[str, int, int]]
    correct: int
    asked: int
    semantic_correct: int
    semantic_asked: int
    syntactic_correct: int
    syntactic_asked: int
    questions_seen: int
    questions_total: int
    semantic_sections: int = 5

    @staticmethod
    def _pct(a: int, b: int) -> float:
        return 100.0 * a / b if b else 0.0

    @property
    def accuracy(self) -> float:
        """Total accuracy, a fraction (0.0 when nothing was asked)."""
        return self.correct / self.asked if self.asked else 0.0

    @property
    def semantic_accuracy(self) -> float:
        return self.semantic_correct / self.semantic_asked if self.semantic_asked else 0.0

    @property
    def syntactic_accuracy(self) -> float:
        return self.syntactic_correct / self.syntactic_asked if self.syntactic_asked else 0.0

    def report(self) -> str:
        """The text ``compute-accuracy`` prints: per section its accuracy and the running
        totals, then ``Questions seen / total``."""
        lines = []
        c = a = sc = sa = yc = ya = 0
        for i, (name, correct, asked) in enumerate(self.sections):
            c, a = c + correct, a + asked
            if i < self.semantic_sections:
                sc, sa = sc + correct, sa + asked
            else:
                yc, ya = yc + correct, ya + asked
            lines.append(f"{name}:")
            lines.append(f"ACCURACY TOP1: {self._pct(correct, asked):.2f} %  "
                         f"({correct} / {asked})")
            lines.append(f"Total accuracy: {self._pct(c, a):.2f} %   Semantic accuracy: "
                         f"{self._pct(sc, sa):.2f} %   Syntactic accuracy: "
                         f"{self._pct(yc, ya):.2f} % ")
        lines.append(f"Questions seen / total: {self.questions_seen} {self.questions_total}"
                     f"   {self._pct(self.questions_seen, self.questions_total):.2f} % ")
        return "\n".join(lines)


def compute_accuracy(kv, path, threshold: int = 30000,
                     semantic_sections: int = 5) -> CToolAccuracy:
    """Analogy accuracy counted as the word2vec C tool's ``compute-accuracy`` counts it.

    Differences from :func:`evaluate_word_analogies` (which follows gensim):

    - only the first ``threshold`` words of ``kv`` are read (30,000 in the C tool's
      ``demo-word-accuracy.sh``; ``None``: all, as the C tool without that argument);
      every word is upper-cased and the *first* row with a spelling is the
      one a question word refers to;
    - a question is asked only if all four words are among those rows, else skipped
      (counted in ``questions_total`` but not in ``questions_seen``);
    - the answer is the row with the largest cosine with ``b - a + c`` (unit vectors)
      among all ``threshold`` rows except the three question words' rows (another
      spelling of a question word can win); it is right if its upper-cased spelling
      equals the expected word; a best cosine <= 0 gives no answer (wrong);
    - the first ``semantic_sections`` sections (5 in Google's file) are "semantic",
      the others "syntactic".

    Returns
    -------
    CToolAccuracy
        Counts per section and in total; ``.report()`` gives the C tool's printout.
    """
    if threshold is not None and (not isinstance(threshold, (int, np.integer))
                                  or threshold < 1):
        raise ValueError(f"threshold={threshold!r} is invalid: an integer >= 1, or None")
    _check_kv(kv, None)
    n = len(kv.index_to_key) if threshold is None else min(int(threshold), len(kv.index_to_key))
    names = [w.upper() for w in kv.index_to_key[:n]]
    first: Dict[str, int] = {}
    for i, w in enumerate(names):
        first.setdefault(w, i)
    # the C tool divides each row by its length (in float32)
    vectors = np.asarray(kv.vectors[:n], dtype=np.float32)
    _, unit = _unit_rows(vectors)
    sections: List[list] = []
    questions: List[Tuple[int, int, int, str]] = []
    owner: List[int] = []
    total = 0
    for line in _read_lines(path):
        words = line.split()
        if not words:
            continue
        if words[0] == ":":
            sections.append([words[1] if len(words) > 1 else "", 0, 0])
            continue
        if len(words) != 4 or not sections:
            logger.info("compute_accuracy: skipping malformed line %r", line.strip())
            continue
        total += 1
        a, b, c, d = (w.upper() for w in words)
        if a in first and b in first and c in first and d in first:
            questions.append((first[a], first[b], first[c], d))
            owner.append(len(sections) - 1)
    if questions:
        idx = np.array([q[:3] for q in questions], dtype=np.int64)
        batch = max(1, _BATCH_ENTRIES // max(n, 1))
        for s in range(0, len(questions), batch):
            sl = idx[s:s + batch]
            query = unit[sl[:, 1]] - unit[sl[:, 0]]
            query += unit[sl[:, 2]]
            scores = query @ unit.T
            scores[np.arange(len(sl))[:, None], sl] = -np.inf
            scores[np.isnan(scores)] = -np.inf      # a NaN vector is never the answer
            best = np.argmax(scores, axis=1)
            ok = scores[np.arange(len(sl)), best] > 0
            for j, (i, good) in enumerate(zip(best.tolist(), ok.tolist())):
                sec = sections[owner[s + j]]
                sec[2] += 1
                if good and names[i] == questions[s + j][3]:
                    sec[1] += 1
    k = max(0, int(semantic_sections))
    sem, syn = sections[:k], sections[k:]
    result = CToolAccuracy(
        [tuple(x) for x in sections], sum(x[1] for x in sections), sum(x[2] for x in sections),
        sum(x[1] for x in sem), sum(x[2] for x in sem),
        sum(x[1] for x in syn), sum(x[2] for x in syn), len(questions), total, k)
    logger.info("compute-accuracy: %.2f%% (%d / %d), semantic %.2f%%, syntactic %.2f%%; "
                "questions seen %d of %d", 100 * result.accuracy, result.correct,
                result.asked, 100 * result.semantic_accuracy,
                100 * result.syntactic_accuracy, result.questions_seen, total)
    return result


def evaluate_word_pairs(kv, path, delimiter="\t", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False, encoding="utf-8"):
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
    encoding : str
        Of the file.

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
    for line_no, line in enumerate(_read_lines(path, encoding)):
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
    log_evaluate_word_pairs(pearson, spearman, oov_ratio, path)
    return pearson, spearman, oov_ratio


def log_evaluate_word_pairs(pearson, spearman, oov, pairs) -> None:
    """Log :func:`evaluate_word_pairs`' results as gensim's
    ``KeyedVectors.log_evaluate_word_pairs`` does (``pearson``/``spearman``: a result
    whose first item is the correlation; ``oov``: percent; ``pairs``: the file)."""
    logger.info("Pearson correlation with %s: %.4f", pairs, pearson[0])
    logger.info("Spearman rank-order correlation with %s: %.4f", pairs, spearman[0])
    logger.info("pairs with unknown words: %.1f%%", oov)
