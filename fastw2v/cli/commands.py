"""The ``fastw2v`` subcommands and their helpers (queries, evaluation tables, neighbour
overlap); :mod:`fastw2v.cli.app` parses the command line and calls them, and
:mod:`fastw2v.cli.vector_files` reads and writes the vector files they take."""
from __future__ import annotations

import io
import json
import logging
import math
import os
import sys
import tempfile
import time
from typing import Sequence

import numpy as np

from .. import datasets
from ..vocab import C_SENTENCE_END, read_word_counts
from .ctool import (in_c_terms, sentence_end_row, sentence_ends, write_classes_file,
                    write_vocab_file)
from .vector_files import format_of, load_vectors, save_vectors


def say(*args) -> None:
    """A message for the user: on stderr, flushed (stdout is for results)."""
    print(*args, file=sys.stderr, flush=True)


# -- shared helpers --------------------------------------------------------------------
def _existing(parser, path, what="file") -> str:
    if not os.path.isfile(path):
        parser.error(f"{what} {path!r} does not exist")
    return path


def plural(n: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_writable(parser, path, what="output", example="vectors.bin") -> str:
    """Usage error (exit 2) unless a file can be written at ``path``: its directory
    exists and takes new files, and ``path`` is not a directory. Checked before the
    work starts, so that a long training does not end in a file that cannot be written.

    A symbolic link is checked where it points (a save replaces that file), and an
    existing path that is not a regular file (``/dev/stdout``, a named pipe), which a
    save writes straight through, by its own write permission."""
    if os.path.isdir(path):
        parser.error(f"{what} {path!r} is a directory: give a file name, e.g. "
                     f"{os.path.join(path, example)!r}")
    if os.path.exists(path) and not os.path.isfile(path):
        if not os.access(path, os.W_OK):
            parser.error(f"cannot write {what} {path!r}: permission denied")
        return path
    directory = os.path.dirname(os.path.realpath(path))
    if not os.path.isdir(directory):
        reason = (f"{directory!r} is not a directory" if os.path.exists(directory)
                  else f"directory {directory!r} does not exist")
        parser.error(f"cannot write {what} {path!r}: {reason}")
    try:
        # an unnamed file where the filesystem allows (O_TMPFILE): nothing stays behind
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        parser.error(f"cannot write {what} {path!r}: directory {directory!r} is not "
                     f"writable ({exc.strerror or exc})")
    return path


def _is_stdout(path) -> bool:
    """Whether ``path`` is the file standard output goes to (``/dev/stdout``, or the
    file it is redirected into)."""
    if not path:
        return False
    try:
        a, b = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _write_failed(path, exc: OSError) -> str:
    """The message for an output that could not be written, naming the file the user gave
    (the writers write a temporary file beside it first, whose name means nothing to the
    user); the writers remove their temporary file and leave ``path`` as it was."""
    reason = exc.strerror or str(exc)
    return f"cannot write {path}: {reason}; nothing was written"


def _query_lines(words: Sequence[str], prompt: str):
    """The queries: from the command line if given, else stdin lines until EOF or EXIT."""
    if words:
        yield from words
        return
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print(prompt, end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        line = line.strip()
        if line == "EXIT":
            return
        if line:
            yield line


def _missing(kv, word) -> str:
    hint = ""
    for alt in (word.lower(), word.capitalize(), word.upper()):
        if alt != word and alt in kv:
            hint = f" (did you mean {alt!r}?)"
            break
    return f"Out of dictionary word: {word}{hint}"


def _print_neighbours(rows, tsv: bool, score: str = "Cosine distance") -> None:
    """The C tool's table (``score`` heads the second column), or ``word<TAB>score``."""
    if tsv:
        for w, s in rows:
            print(f"{w}\t{s:.6f}")
        return
    print(f"\n{'Word':>50}       {score}")
    print("-" * 72)
    for w, s in rows:
        print(f"{w:>50}\t\t{s:.6f}")


# -- subcommands -----------------------------------------------------------------------
def _report_unknown(kv, words) -> bool:
    """Say on stderr which of ``words`` are not in ``kv``; True if any."""
    unknown = [w for w in words if w not in kv]
    for w in unknown:
        say(_missing(kv, w))
    return bool(unknown)


def cmd_similar(args, parser) -> int:
    kv = load_vectors(_existing(parser, args.vectors), args.format, args.unicode_errors)
    failed = 0
    for query in _query_lines(args.words, "Enter word or sentence (EXIT to break): "):
        words = query.split()
        if _report_unknown(kv, words):
            failed += 1
            continue
        if not args.tsv:
            for w in words:
                print(f"\nWord: {w}  Position in vocabulary: {kv.get_index(w)}")
        _print_neighbours(kv.most_similar(positive=words, topn=args.topn), args.tsv)
        sys.stdout.flush()
    return 1 if failed and args.words else 0


def cmd_analogy(args, parser) -> int:
    if args.words and len(args.words) != 3:
        parser.error(f"analogy needs three words A B C (A is to B as C is to ?), got "
                     f"{len(args.words)}")
    kv = load_vectors(_existing(parser, args.vectors), args.format, args.unicode_errors)
    queries = [" ".join(args.words)] if args.words else None
    failed = 0
    for query in _query_lines(queries, "Enter three words (EXIT to break): "):
        words = query.split()
        if len(words) != 3:
            say(f"Only {len(words)} words were entered.. three words are needed at the input "
                 "to perform the calculation")
            failed += 1
            continue
        if _report_unknown(kv, words):
            failed += 1
            continue
        a, b, c = words
        if args.cosmul:
            rows = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=args.topn)
        else:
            rows = kv.most_similar(positive=[b, c], negative=[a], topn=args.topn)
        if not args.tsv:
            print(f"\n{a} : {b} :: {c} : ?")
        _print_neighbours(rows, args.tsv, "3CosMul score" if args.cosmul else "Cosine distance")
        sys.stdout.flush()
    return 1 if failed and args.words else 0


def _default_sets(args):
    analogies = args.analogies
    pairs = args.pairs
    if analogies is None and not pairs:
        analogies = datasets.questions_words
        pairs = [datasets.wordsim353, datasets.simlex999]
    return analogies, pairs or []


def evaluate_all(kv, analogies, pairs, restrict_vocab=300000, case_insensitive=True,
                 dummy4unknown=False, similarity_function="3CosAdd", c_tool=False,
                 threshold=30000) -> dict:
    """Every score of ``kv`` as a flat dict (what ``evaluate`` and ``compare`` print)."""
    from ..evaluation.scoring import compute_accuracy, evaluate_word_analogies, evaluate_word_pairs
    out: dict = {}
    if analogies:
        name = os.path.splitext(os.path.basename(analogies))[0]
        if c_tool:
            r = compute_accuracy(kv, analogies, threshold=threshold)
            out[f"{name} (compute-accuracy)"] = r.accuracy
            out[f"{name} semantic"] = r.semantic_accuracy
            out[f"{name} syntactic"] = r.syntactic_accuracy
            out[f"{name} seen"] = r.questions_seen / max(r.questions_total, 1)
            out["_c_tool"] = r
        else:
            score, sections = evaluate_word_analogies(
                kv, analogies, restrict_vocab, case_insensitive, dummy4unknown,
                similarity_function)
            out[f"{name} ({similarity_function})"] = score
            out["_sections"] = sections
    stems = [os.path.splitext(os.path.basename(p))[0] for p in pairs]
    for path, stem in zip(pairs, stems):
        # files of one name in two folders: named by their paths, so neither hides the other
        name = stem if stems.count(stem) == 1 else os.fspath(path)
        pearson, spearman, oov = evaluate_word_pairs(
            kv, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown)
        out[f"{name} spearman"] = spearman.statistic
        out[f"{name} pearson"] = pearson.statistic
        out[f"{name} oov%"] = oov
    return out


def _eval_kwargs(args) -> dict:
    analogies, pairs = _default_sets(args)
    return dict(analogies=analogies, pairs=pairs, restrict_vocab=args.restrict_vocab,
                case_insensitive=not args.case_sensitive, dummy4unknown=args.dummy4unknown,
                similarity_function="3CosMul" if args.cosmul else "3CosAdd",
                c_tool=args.c_tool, threshold=args.threshold)


def _check_eval_files(parser, args) -> None:
    for p in ([args.analogies] if args.analogies else []) + list(args.pairs):
        _existing(parser, p, "evaluation file")
    for name in ("restrict_vocab", "threshold"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")


def _json_scores(scores: dict) -> dict:
    """Scores for JSON: NaN (a correlation of constant scores) is not JSON, so null."""
    return {k: (v if math.isfinite(v) else None) for k, v in scores.items()}


def _print_sections(sections) -> None:
    """Accuracy per section of gensim's analogy result (its last entry is the total)."""
    for s in sections[:-1]:
        n = len(s["correct"]) + len(s["incorrect"])
        acc = len(s["correct"]) / n if n else 0.0
        print(f"  {s['section']:<32} {acc:.4f}  ({len(s['correct'])} / {n})")


def cmd_evaluate(args, parser) -> int:
    _check_eval_files(parser, args)
    kv = load_vectors(_existing(parser, args.vectors), args.format, args.unicode_errors)
    say(f"{args.vectors}: {len(kv)} words x {kv.vector_size}")
    scores = evaluate_all(kv, **_eval_kwargs(args))
    c_tool = scores.pop("_c_tool", None)
    sections = scores.pop("_sections", None)
    if args.json:
        print(json.dumps(_json_scores(scores), indent=1))
        return 0
    if c_tool is not None:
        print(c_tool.report())
    elif sections is not None:
        _print_sections(sections)
    width = max(len(k) for k in scores) if scores else 0
    for k, v in scores.items():
        print(f"{k:<{width}}  {v:.4f}")
    return 0


def neighbour_overlap(kv_a, kv_b, n_words: int = 1000, topn: int = 10) -> tuple:
    """Mean overlap@topn of the nearest-neighbour lists of the ``n_words`` most frequent
    words the two vector sets share (mean rank in both), neighbours searched among the
    shared words only. Returns ``(mean_overlap, words_compared, shared_words)``."""
    rank_b = kv_b.key_to_index
    shared = [w for w in kv_a.index_to_key if w in rank_b]
    if len(shared) <= topn:
        raise ValueError(f"the two vector sets share only {len(shared)} words")
    pos_a = {w: i for i, w in enumerate(shared)}
    order = sorted(shared, key=lambda w: (pos_a[w] + rank_b[w], pos_a[w]))[:n_words]

    def unit(kv):
        m = np.asarray(kv.vectors[[kv.key_to_index[w] for w in shared]], dtype=np.float32)
        norms = np.linalg.norm(m, axis=1)
        return m / np.where(norms > 0, norms, 1)[:, None]

    ua, ub = unit(kv_a), unit(kv_b)
    q = np.array([pos_a[w] for w in order])
    total = 0.0
    for s in range(0, len(q), 256):
        rows = q[s:s + 256]
        tops = []
        for u in (ua, ub):
            sims = u[rows] @ u.T
            sims[np.arange(len(rows)), rows] = -np.inf
            top = np.argpartition(-sims, topn - 1, axis=1)[:, :topn]
            tops.append(top)
        for x, y in zip(*tops):
            total += len(set(x.tolist()) & set(y.tolist())) / topn
    return total / len(q), len(q), len(shared)


def cmd_compare(args, parser) -> int:
    _check_eval_files(parser, args)
    if args.words < 1 or args.topn < 1:
        parser.error("--words and --topn must be >= 1")
    kvs = [load_vectors(_existing(parser, p), args.format, args.unicode_errors)
           for p in (args.a, args.b)]
    names = [args.a, args.b]
    scores = []
    for name, kv in zip(names, kvs):
        say(f"evaluating {name} ({len(kv)} words x {kv.vector_size})...")
        s = evaluate_all(kv, **_eval_kwargs(args))
        s.pop("_c_tool", None)
        s.pop("_sections", None)
        scores.append(s)
    overlap, n, shared = neighbour_overlap(kvs[0], kvs[1], args.words, args.topn)
    if args.json:
        print(json.dumps({"a": args.a, "b": args.b, "scores_a": _json_scores(scores[0]),
                          "scores_b": _json_scores(scores[1]), f"overlap@{args.topn}": overlap,
                          "words_compared": n, "shared_words": shared}, indent=1))
        return 0
    labels = ["A", "B"]
    print(f"A: {args.a} ({len(kvs[0])} words x {kvs[0].vector_size})")
    print(f"B: {args.b} ({len(kvs[1])} words x {kvs[1].vector_size})")
    width = max([len(k) for k in scores[0]] + [6])
    print(f"{'score':<{width}}  {labels[0]:>8}  {labels[1]:>8}  {'B - A':>8}")
    for k in scores[0]:
        a, b = scores[0][k], scores[1][k]
        print(f"{k:<{width}}  {a:8.4f}  {b:8.4f}  {b - a:+8.4f}")
    print(f"nearest neighbours: mean overlap@{args.topn} = {overlap:.4f} over the {n} most "
          f"frequent of {shared} shared words")
    return 0


def cmd_convert(args, parser) -> int:
    _existing(parser, args.input)
    to = format_of(args.output, args.to)
    if to is None:
        parser.error(f"cannot tell the output format from {args.output!r}: name it .bin, "
                     ".txt, .vec or .fw2v, or give --to")
    check_writable(parser, args.output, "output", "vectors" + os.path.splitext(args.output)[1])
    kv = load_vectors(args.input, getattr(args, "from"), args.unicode_errors)
    if args.limit is not None:
        if args.limit < 1:
            parser.error("--limit must be >= 1")
        from ..vectors.keyedvectors import KeyedVectors
        n = min(args.limit, len(kv))
        counts = kv.expandos.get("count")
        kv = KeyedVectors(kv.vector_size, kv.index_to_key[:n], np.array(kv.vectors[:n]),
                          None if counts is None else counts[:n])
    save_vectors(kv, args.output, to)
    say(f"wrote {args.output} ({to}, {len(kv)} words x {kv.vector_size})")
    return 0


def _parse_groups(parser, specs) -> dict:
    groups = {}
    for spec in specs or []:
        name, sep, words = spec.partition("=")
        if not sep or not name or not words.strip(","):
            parser.error(f"--group {spec!r}: expected NAME=word1,word2,...")
        groups[name] = [w for w in words.split(",") if w]
    return groups


def _parse_arrows(parser, specs) -> list:
    arrows = []
    for spec in specs or []:
        a, sep, b = spec.partition(":")
        if not sep or not a or not b:
            parser.error(f"--arrow {spec!r}: expected FROM:TO, e.g. man:woman")
        arrows.append((a, b))
    return arrows


def cmd_plot(args, parser) -> int:
    from .. import plotting
    groups = _parse_groups(parser, args.group)
    arrows = _parse_arrows(parser, args.arrow)
    words = list(args.words)
    for ws in groups.values():
        words += [w for w in ws if w not in words]
    for a, b in arrows:
        words += [w for w in (a, b) if w not in words]
    if len(words) < 2:
        parser.error("plot needs at least two words (WORD..., --group or --arrow)")
    try:
        plotting.picture_format(args.output)
    except ValueError as exc:
        parser.error(str(exc))
    check_writable(parser, args.output, "picture", example="words.png")
    kv = load_vectors(_existing(parser, args.vectors), args.format, args.unicode_errors)
    unknown = [w for w in words if w not in kv]
    for w in unknown:
        say(_missing(kv, w) + " (left out)")
    plotting.plot_words(kv, words, args.output, method=args.method, groups=groups or None,
                        arrows=arrows or None, title=args.title, skip_unknown=True)
    say(f"wrote {args.output}")
    return 0


def cmd_projector(args, parser) -> int:
    from ..plotting import export_tensorboard
    kv = load_vectors(_existing(parser, args.vectors), args.format, args.unicode_errors)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be >= 1")
    vec_path, meta_path = export_tensorboard(kv, args.prefix, limit=args.limit)
    say(f"wrote {vec_path} and {meta_path} (load them at https://projector.tensorflow.org)")
    return 0


DEMO_QUERIES = ("king", "france", "computer", "music", "three")
#: (a, b, c, expected d) for "a : b :: c : d". 1.5M words are far too few for most of
#: the Google analogies (about 6% right with the demo's settings; billions of words give
#: 70% and more); these five came out right with the demo's settings (2 threads) in all
#: eight runs, two for each of the seeds 1, 2, 3 and 4, on an AVX2 host (AMD EPYC, Zen
#: 3).
DEMO_ANALOGIES = (("man", "woman", "father", "mother"), ("large", "larger", "small", "smaller"),
                  ("computer", "computers", "machine", "machines"),
                  ("france", "french", "germany", "german"),
                  ("berlin", "germany", "paris", "france"))


def cmd_demo(args, parser) -> int:
    from ..model import Word2Vec
    corpus = args.corpus or datasets.wiki_sample
    _existing(parser, corpus, "corpus")
    if args.workers < 1 or args.epochs < 1:
        parser.error("--workers and --epochs must be >= 1")
    if args.output:
        check_writable(parser, args.output, "output")
    say(f"training {'skip-gram' if args.sg else 'CBOW'} with negative sampling on {corpus} "
        f"({plural(args.workers, 'thread')}, {plural(args.epochs, 'epoch')})...")
    t0 = time.perf_counter()
    model = Word2Vec(corpus_file=corpus, vector_size=100, window=5, min_count=5, sg=args.sg,
                     workers=args.workers, epochs=args.epochs, seed=args.seed,
                     progress=args.progress)
    secs = time.perf_counter() - t0
    wv = model.wv
    print(f"{len(wv)} words, {model.corpus_total_words} tokens, {secs:.1f} s "
          f"({model.corpus_total_words * args.epochs / secs:,.0f} words/s including reading)")
    print("nearest neighbours:")
    for q in DEMO_QUERIES:
        if q in wv:
            print(f"  {q:>9}: " + ", ".join(f"{w} {s:.2f}" for w, s in
                                          wv.most_similar(q, topn=8)))
    print("analogies (a : b :: c : ?, 3CosAdd; the expected answer in brackets):")
    right = shown = 0
    for a, b, c, d in DEMO_ANALOGIES:
        if all(w in wv for w in (a, b, c)):
            best = wv.most_similar(positive=[b, c], negative=[a], topn=3)
            shown += 1
            right += best[0][0] == d
            print(f"  {a} : {b} :: {c} : " + ", ".join(f"{w} {s:.2f}" for w, s in best)
                  + f"  [{d}]")
    if shown:
        print(f"{right} of {shown} right. 1.5M words teach frequent words' neighbours and "
              "common patterns (gender, plurals, comparatives); most analogies need far "
              "more text (fastw2v evaluate scores the 19,544 Google analogies).")
    if args.output:
        save_vectors(wv, args.output)
        say(f"wrote {args.output}")
    return 0


class _TrainLog(logging.Filter):
    """Keeps the library's log quiet where the command speaks for itself: the note on an
    interrupted or failed training (advice for Python users: ``model.partial_epoch``,
    ``train()`` can continue; the command says what became of its output instead), and
    everything below errors with the C tool's ``-debug 0``."""

    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose = verbose

    def filter(self, record) -> bool:
        if record.funcName == "log_stopped":
            return False
        return self.verbose or record.levelno >= logging.ERROR


def _interrupted(args, model, run) -> str:
    """What a Ctrl-C left behind, for the user of the command."""
    stage = run.stage
    if stage == "done":
        return "interrupted (Ctrl-C) after " + ", ".join(f"writing {p}" for p in run.written)
    if stage == "training":
        p = model.partial_epoch
        epoch = (p.epoch if p is not None else model.epochs_trained) + 1
        where = (f"during epoch {epoch} of {args.epochs} ({plural(model.epochs_trained, 'epoch')} "
                 "completed)")
    else:
        where = {"vocabulary": "while building the vocabulary",
                 "writing": f"while writing {args.output}"}.get(stage, "")
    lines = [f"interrupted (Ctrl-C) {where}".rstrip()]
    if args.output:
        kept = " (the file there before is unchanged)" if os.path.exists(args.output) else ""
        why = ("" if stage == "writing" else ": the vectors are written only after the last "
               "epoch; run the command again to train them")
        lines.append(f"nothing was written to {args.output}{kept}{why}")
    for path in run.written:
        lines.append(f"{path} was written before the interruption and is complete")
    return "\n".join(lines)


def cmd_train(args, parser) -> int:
    from ..config import ParameterError
    from ..model import Word2Vec
    if not os.path.exists(args.corpus):
        parser.error(f"corpus {args.corpus!r} does not exist")
    c_tool = getattr(args, "c_tool", False)
    verbose = getattr(args, "verbose", True)
    note = say if verbose else (lambda *_: None)
    if not args.output and not (c_tool or args.save_vocab):
        parser.error("nothing to write: give -o OUT (and/or --save-vocab FILE)")
    fmt = (format_of(args.output, args.format) if args.output else None) or \
        ("bin" if args.binary else "txt")
    if args.read_vocab:
        _existing(parser, args.read_vocab, "vocabulary file")
    accuracy = getattr(args, "accuracy", None)
    if accuracy:
        _existing(parser, accuracy, "analogy file")
    if args.output:
        check_writable(parser, args.output, "output")
    if args.save_vocab:
        check_writable(parser, args.save_vocab, "vocabulary file")
    options = dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
                   sample=args.sample, sg=args.sg, hs=args.hs, negative=args.negative,
                   epochs=args.epochs, alpha=args.alpha, min_alpha=args.min_alpha,
                   workers=args.workers, seed=args.seed, ns_exponent=args.ns_exponent,
                   cbow_mean=args.cbow_mean, max_vocab_size=args.max_vocab_size,
                   max_final_vocab=args.max_final_vocab, compute_loss=args.compute_loss,
                   progress=args.progress, shared_negatives=args.shared_negatives,
                   reproducible=args.reproducible,
                   unicode_errors=getattr(args, "unicode_errors", "strict"))
    try:
        model = Word2Vec(**options)
    except ParameterError as exc:
        parser.error(in_c_terms(str(exc)) if c_tool else str(exc))
    log = logging.getLogger("fastw2v")
    log_filter = _TrainLog(verbose)
    log.addFilter(log_filter)
    run = _TrainRun()
    try:
        return _train(args, model, fmt, accuracy, note, run)
    except KeyboardInterrupt:
        say(_interrupted(args, model, run))
        return 130
    except OSError as exc:
        if run.stage != "writing" or isinstance(exc, BrokenPipeError):
            raise           # a reader that went away ('| head'): main() ends quietly
        raise OSError(_write_failed(args.output, exc)) from None
    finally:
        log.removeFilter(log_filter)


class _TrainRun:
    """How far ``fastw2v train`` got: ``stage`` (vocabulary, training, writing, done) and
    the files already written."""

    def __init__(self):
        self.stage = "vocabulary"
        self.written = []


def _c_sentence_ends(args) -> int:
    """The count of the C tool's ``</s>``: the corpus's line breaks, or the count a
    ``-read-vocab`` file gives it (0 where it has none)."""
    if args.read_vocab:
        counts = read_word_counts(args.read_vocab, skip_sentence_end=False,
                                  decode=lambda raw, _: raw.decode("utf-8", "replace"))
        return counts.get(C_SENTENCE_END, 0)
    return sentence_ends(args.corpus)


def _write_c_output(args, model, fmt: str, ends: int) -> str:
    """The C tool's output file: its word classes (``-classes K``), or the vectors with
    its ``</s>`` row first (unless a corpus word is spelled ``</s>``) and its text
    format; returns what was written, for the message."""
    wv = model.wv
    lead = [] if C_SENTENCE_END in wv else [
        (C_SENTENCE_END, sentence_end_row(model.vector_size), ends)]
    if args.classes:
        from ..vectors.clusters import word_classes
        matrices = [row[None, :] for _, row, _ in lead] + [wv.vectors]
        classes = word_classes(*matrices, classes=args.classes)
        write_classes_file(args.output, [k for k, _, _ in lead] + list(wv.index_to_key),
                           classes)
        return f"classes of {len(classes)} words, k-means with {args.classes} classes"
    wv.save_word2vec_format(args.output, binary=(fmt == "bin"), leading=lead,
                            c_text=(fmt != "bin"))
    return f"{fmt}, {len(wv) + len(lead)} words x {model.vector_size}"


def _train(args, model, fmt, accuracy, note, run: _TrainRun) -> int:
    t0 = time.perf_counter()
    c_tool = getattr(args, "c_tool", False)
    # the C tool's lines, on standard output where its users' scripts read them, unless
    # a file is written there ('-output /dev/stdout'), which they would make unreadable
    lines_to = sys.stderr if any(_is_stdout(p) for p in (args.output, args.save_vocab)) \
        else sys.stdout
    if c_tool:
        for line in args.c_notes:
            note(f"warning: {line}")
        print(f"Starting training using file {args.corpus}", file=lines_to, flush=True)
    if args.read_vocab:
        model.read_vocab(args.read_vocab)
        note(f"read {plural(len(model.wv), 'word')} from {args.read_vocab}")
    else:
        model.build_vocab(corpus_file=args.corpus)
    if c_tool:
        ends = _c_sentence_ends(args)
        if args.debug > 0:
            with_end = len(model.wv) + (C_SENTENCE_END not in model.wv)
            print(f"Vocab size: {with_end}\nWords in train file: "
                  f"{model.vocab.retained_words + ends}", file=lines_to, flush=True)
    else:
        note(f"vocabulary: {plural(len(model.wv), 'word')}")
    if args.save_vocab:
        if c_tool:
            write_vocab_file(args.save_vocab, model.vocab.words, model.vocab.counts, ends)
        else:
            model.save_vocab(args.save_vocab)
        run.written.append(args.save_vocab)
        note(f"wrote {args.save_vocab}")
    if not args.output:
        run.stage = "done"
        return 0            # the C tool without -output: the vocabulary only
    note(f"training {'skip-gram' if model.sg else 'CBOW'} on {args.corpus} with "
         f"{plural(args.workers, 'thread')}, {plural(args.epochs, 'epoch')}...")
    run.stage = "training"
    model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                epochs=model.epochs)
    secs = time.perf_counter() - t0
    words = sum(s.words_read for s in model.epoch_stats)
    note(f"trained in {secs:.1f} s ({words / max(secs, 1e-9):,.0f} words/s)")
    run.stage = "writing"
    what = f"{fmt}, {len(model.wv)} words x {model.vector_size}"
    if fmt == "fw2v":
        model.save(args.output)
    elif c_tool:
        what = _write_c_output(args, model, fmt, ends)
    else:
        save_vectors(model.wv, args.output, fmt)
    run.stage = "done"
    run.written.append(args.output)
    note(f"wrote {args.output} ({what})")
    if accuracy:
        # gensim's word2vec_standalone -accuracy: the analogy scores after training
        scores = evaluate_all(model.wv, accuracy, [])
        sections = scores.pop("_sections")
        _print_sections(sections)
        for k, v in scores.items():
            print(f"{k}  {v:.4f}")
    return 0
