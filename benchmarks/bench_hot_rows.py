#!/usr/bin/env python
"""Hot-row settings: N-worker words/s of each setting, interleaved in one process.

With several lock-free workers, fastw2v keeps some rows in per-thread copies merged
every so often (``fastw2v.trainer.HOT_*``, see ``Worker.use_hot_rows``): the Huffman
nodes nearest the root, and optionally the input and negative-sampling output rows of
the most frequent words. This script times one N-worker model under each setting given
with ``--setting NAME=WORDS,NODES,OUTPUT,MERGE_EVERY`` (the trainer's module constants
are set before each ``train()``, sizes used as given, without the trainer's cap of
1/64 of the vocabulary), plus a 1-worker run of the same corpus as the
reference, all in one process, round after round, so that a slow minute of the machine
hits every setting alike. ``--two-models`` also times N separate 1-worker models trained
at once by N threads of this process: the same threads, GIL and memory, with nothing
shared, which is the ceiling a setting can reach.

Usage::

    python benchmarks/bench_hot_rows.py --corpus wiki4m.txt --mode cbow-ns --rounds 4 \\
        --setting default=0,511,0,1000 --setting words128=128,511,128,1000 --two-models

Speed-ups are medians over the rounds, each against the median 1-worker rate.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

MODES = {"sg-ns": (1, 0, 5), "cbow-ns": (0, 0, 5), "sg-hs": (1, 1, 0), "cbow-hs": (0, 1, 0)}
FIELDS = ("HOT_WORDS", "HOT_NODES", "HOT_OUTPUT", "HOT_MERGE_EVERY")


def parse_setting(text: str) -> tuple:
    """``NAME=WORDS,NODES,OUTPUT,MERGE_EVERY`` -> (name, {trainer constant: value})."""
    name, sep, values = text.partition("=")
    parts = values.split(",")
    if not sep or not name or len(parts) != len(FIELDS):
        raise ValueError(f"setting {text!r} is not NAME=WORDS,NODES,OUTPUT,MERGE_EVERY")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"setting {text!r}: the four values must be integers") from None
    if min(nums) < 0 or nums[3] < 1:
        raise ValueError(f"setting {text!r}: sizes must be >= 0 and MERGE_EVERY >= 1")
    return name, dict(zip(FIELDS, nums))


def summarise(rates: dict) -> list:
    """``rates``: name -> list of words/s, with "1 worker" among them. Returns rows of
    (name, median words/s, median / median of "1 worker")."""
    base = statistics.median(rates["1 worker"])
    return [(name, statistics.median(v), statistics.median(v) / base) for name, v in rates.items()]


def run(args) -> dict:
    import fastw2v
    import fastw2v.trainer as trainer

    sg, hs, negative = MODES[args.mode]
    kw = dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
              sg=sg, hs=hs, negative=negative, epochs=1, seed=1)

    def model(workers):
        m = fastw2v.Word2Vec(workers=workers, **kw)
        m.build_vocab(corpus_file=args.corpus)
        m._encode(args.corpus)            # outside the timed region
        return m

    def train(m):
        m.train(corpus_file=args.corpus, total_words=m.corpus_total_words, epochs=1)

    one, many = model(1), model(args.workers)
    singles = [model(1) for _ in range(args.workers)] if args.two_models else []
    words = one.corpus_total_words
    rates = {"1 worker": []}
    rates.update({name: [] for name, _ in args.settings})
    if singles:
        rates[f"{args.workers} separate models"] = []
    # the sizes are used as given: the trainer's cap of 1/HOT_FRACTION of the rows is off.
    # Every setting sets all of these; 1-worker models never use hot rows, so the
    # trainer's own values come back once, at the end.
    defaults = {f: getattr(trainer, f) for f in FIELDS + ("HOT_FRACTION",)}
    try:
        for r in range(args.rounds):
            t0 = time.perf_counter()
            train(one)
            rates["1 worker"].append(words / (time.perf_counter() - t0))
            for name, values in args.settings:
                for f in FIELDS:
                    setattr(trainer, f, values[f])
                trainer.HOT_FRACTION = 1
                t0 = time.perf_counter()
                train(many)
                rates[name].append(words / (time.perf_counter() - t0))
            if singles:
                threads = [threading.Thread(target=train, args=(m,)) for m in singles]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                rates[f"{args.workers} separate models"].append(
                    len(singles) * words / (time.perf_counter() - t0))
            print(f"[hot] round {r + 1}: " + ", ".join(
                f"{k} {v[-1] / 1e3:,.0f}k" for k, v in rates.items()), file=sys.stderr, flush=True)
    finally:
        for f, v in defaults.items():
            setattr(trainer, f, v)
    return rates


def markdown(args, rates: dict) -> str:
    lines = [f"## Hot-row settings: {args.mode}, {args.workers} workers",
             "", "| setting | words/s | speed-up vs 1 worker | runs (k words/s) |",
             "|---|---:|---:|---|"]
    for name, med, ratio in summarise(rates):
        runs = ", ".join(f"{x / 1e3:,.0f}" for x in rates[name])
        lines.append(f"| {name} | {med / 1e3:,.0f}k | {ratio:.2f}x | {runs} |")
    settings = "; ".join(f"{n} = words {v['HOT_WORDS']}, nodes {v['HOT_NODES']}, output "
                         f"{v['HOT_OUTPUT']}, merge every {v['HOT_MERGE_EVERY']}"
                         for n, v in args.settings)
    lines += ["", f"- Corpus `{args.corpus}`, 1 epoch, vector_size={args.vector_size}, "
              f"window={args.window}, min_count={args.min_count}; median of {args.rounds} "
              "rounds, all in one process.", f"- Settings: {settings}.",
              "- Command: `benchmarks/bench_hot_rows.py " + " ".join(sys.argv[1:]) + "`", ""]
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="plain text file")
    p.add_argument("--mode", default="cbow-ns", choices=sorted(MODES))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--setting", action="append", default=[],
                   help="NAME=WORDS,NODES,OUTPUT,MERGE_EVERY (repeatable)")
    p.add_argument("--two-models", action="store_true",
                   help="also time --workers separate 1-worker models trained at once")
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--markdown", default=None)
    args = p.parse_args(argv)
    try:
        args.settings = [parse_setting(s) for s in args.setting]
    except ValueError as e:
        p.error(str(e))
    if not args.settings:
        p.error("give at least one --setting")
    if len({n for n, _ in args.settings}) != len(args.settings):
        p.error("setting names must differ")
    if args.workers < 2:
        p.error("--workers must be at least 2 (hot rows are used with several workers)")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if not Path(args.corpus).is_file():
        p.error(f"corpus {args.corpus!r} is not a file")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    text = markdown(args, run(args))
    if args.markdown:                 # first: a closed stdout must not lose the report
        Path(args.markdown).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
