#!/usr/bin/env python
"""Distributed training on a Dask LocalCluster: words/s and quality against the number of
workers and the round length, with the traffic each round moves.

For every worker count a LocalCluster of that many worker processes is started (one
training at a time, so runs never compete with each other); the corpus is cut into
``--shards`` files of consecutive lines; for every round length ``fastw2v.distributed.
train_distributed`` trains the same settings. A single-machine ``fastw2v.Word2Vec`` run
with the same settings and ``--threads`` threads is the reference. Quality: Google
analogies (3CosAdd over the 30,000 most frequent words) and WordSim-353 Spearman,
computed here with NumPy so the script needs no other library.

Usage::

    python benchmarks/bench_distributed.py --corpus PATH --workers 1,2 \\
        --round-words 100000,400000 [--threads 1] [--mode sg-ns] [--epochs 2] \\
        [--merge sum] [--plot out.png] [--markdown out.md] [--json out.json]

``--plot`` needs matplotlib (``pip install matplotlib``); without it the script says so
and writes the tables only.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from fastw2v import datasets  # noqa: E402

MODES = common.MODES
log = common.log


def score(model):
    """(analogy accuracy over the 30,000 most frequent words, WordSim-353 Spearman): the
    shipped sets, fastw2v's evaluators (gensim's numbers)."""
    return (model.wv.evaluate_word_analogies(datasets.questions_words, restrict_vocab=30000)[0],
            float(model.wv.evaluate_word_pairs(datasets.wordsim353)[1][0]))


def make_shards(corpus, n, out_dir):
    with common.open_corpus(corpus, "rt", encoding="utf-8") as fh:
        lines = fh.readlines()
    paths = []
    for k in range(n):
        path = os.path.join(out_dir, f"part-{k:03d}.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(lines[k * len(lines) // n:(k + 1) * len(lines) // n])
        paths.append(path)
    plain = os.path.join(out_dir, "whole.txt")
    with open(plain, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
    return paths, plain


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True, help="text file (plain or .xz/.gz/.bz2)")
    ap.add_argument("--workers", default="1,2", help="Dask worker processes, comma-separated")
    ap.add_argument("--round-words", default="100000,400000",
                    help="round lengths (words per partition per round), comma-separated")
    ap.add_argument("--threads", type=int, default=1, help="training threads per worker")
    ap.add_argument("--shards", type=int, default=0, help="shard files (default: max workers)")
    ap.add_argument("--mode", default="sg-ns", choices=sorted(MODES))
    ap.add_argument("--merge", default="sum", choices=["sum", "average"])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--vector-size", type=int, default=100)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--no-baseline", action="store_true", help="skip the single-machine run")
    ap.add_argument("--plot", help="write a PNG plot here (needs matplotlib)")
    ap.add_argument("--markdown", help="write the Markdown table here")
    ap.add_argument("--json", help="write the raw numbers here")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.corpus):
        ap.error(f"corpus {args.corpus!r} does not exist")
    try:
        worker_counts = [int(x) for x in args.workers.split(",")]
        round_words = [int(x) for x in args.round_words.split(",")]
    except ValueError:
        ap.error("--workers and --round-words take comma-separated integers")
    if min(worker_counts) < 1 or min(round_words) < 1:
        ap.error("--workers and --round-words must be >= 1")
    if args.plot and common.import_pyplot() is None:
        log("matplotlib is not installed: no plot will be written "
            "(pip install matplotlib to get one)")
        args.plot = None
    from dask.distributed import Client, LocalCluster

    from fastw2v import Word2Vec
    from fastw2v.distributed import train_distributed

    settings = dict(vector_size=args.vector_size, window=5, min_count=args.min_count,
                    sample=1e-3, epochs=args.epochs, seed=1, **MODES[args.mode])
    rows = []
    with tempfile.TemporaryDirectory(prefix="fastw2v-bench-dist-") as tmp:
        shards, plain = make_shards(args.corpus, args.shards or max(worker_counts), tmp)
        if not args.no_baseline:
            log(f"single machine, {args.threads} thread(s)")
            t0 = time.perf_counter()
            m = Word2Vec(corpus_file=plain, workers=args.threads, **settings)
            secs = time.perf_counter() - t0
            words = m.vocab.retained_words * args.epochs
            a, ws = score(m)
            rows.append(dict(setup="single", workers=1, round_words=None, seconds=secs,
                             words=words, words_per_s=words / secs, analogy=a, ws353=ws,
                             rounds=0, mb_per_round_to=0.0, mb_per_round_from=0.0,
                             rows_changed_frac=None, train_frac=None))
            log(f"  {words / secs:,.0f} words/s, analogy {a:.4f}, WS-353 {ws:.4f}")
        for n in worker_counts:
            with LocalCluster(n_workers=n, threads_per_worker=args.threads, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                for rw in round_words:
                    log(f"{n} worker(s), round_words={rw:,}")
                    t0 = time.perf_counter()
                    m = train_distributed(shards, client=client, workers=args.threads,
                                          round_words=rw, merge=args.merge, **settings)
                    secs = time.perf_counter() - t0
                    st = m.distributed_stats
                    rs = st["rounds"]
                    words = sum(r["words"] for r in rs)
                    V = len(m.wv)
                    changed = np.mean([sum(r["rows_changed"].values()) / len(r["rows_changed"])
                                       for r in rs]) / V
                    train = sum(r["train_seconds"] for r in rs) / sum(r["seconds"] for r in rs)
                    a, ws = score(m)
                    rows.append(dict(
                        setup="dask", workers=n, round_words=rw, seconds=secs, words=words,
                        words_per_s=words / secs, analogy=a, ws353=ws, rounds=len(rs),
                        mb_per_round_to=st["bytes_to_workers"] / len(rs) / 1e6,
                        mb_per_round_from=st["bytes_from_workers"] / len(rs) / 1e6,
                        rows_changed_frac=float(changed), train_frac=float(train),
                        vocab_seconds=st["vocab_seconds"], model_mb=st["model_bytes"] / 1e6))
                    log(f"  {words / secs:,.0f} words/s ({secs:.1f} s, {len(rs)} rounds), "
                        f"analogy {a:.4f}, WS-353 {ws:.4f}")
    common.write_outputs(markdown(rows, args, settings), args.markdown, args.json,
                         dict(settings=settings, args=vars(args), rows=rows))
    if args.plot:
        plot(rows, args.plot, args)
    return 0


def markdown(rows, args, settings):
    out = [f"## Distributed training on a Dask LocalCluster "
           f"({time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
           f"{os.cpu_count()} cores)", "",
           f"corpus `{os.path.basename(args.corpus)}`, mode {args.mode}, merge={args.merge}, "
           f"{args.threads} thread(s) per worker, settings {settings}", ""]

    def two(x):
        return "-" if x is None else f"{x:.2f}"

    header = ["setup", "workers", "round words", "rounds", "seconds", "words/s", "analogy",
              "WS-353", "MB/round to workers", "MB/round back", "rows changed / V",
              "training share"]
    table = [[r["setup"], r["workers"], f"{r['round_words']:,}" if r["round_words"] else "-",
              r["rounds"], f"{r['seconds']:.1f}", f"{r['words_per_s']:,.0f}",
              f"{r['analogy']:.4f}", f"{r['ws353']:.4f}", f"{r['mb_per_round_to']:.1f}",
              f"{r['mb_per_round_from']:.1f}",
              two(r["rows_changed_frac"]), two(r["train_frac"])] for r in rows]
    out += common.md_table(header, table, "l" + "r" * 11)
    out += ["", f"- Machine: {common.host_line(common.host_info())}.",
            f"- Command: `{common.command_line()}`"]
    return "\n".join(out) + "\n"


def plot(rows, path, args):
    plt = common.import_pyplot()
    dask_rows = [r for r in rows if r["setup"] == "dask"]
    single = next((r for r in rows if r["setup"] == "single"), None)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for rw in sorted({r["round_words"] for r in dask_rows}):
        sel = sorted((r for r in dask_rows if r["round_words"] == rw), key=lambda r: r["workers"])
        ax1.plot([r["workers"] for r in sel], [r["words_per_s"] / 1e3 for r in sel], "o-",
                 label=f"round_words={rw:,}")
    for n in sorted({r["workers"] for r in dask_rows}):
        sel = sorted((r for r in dask_rows if r["workers"] == n), key=lambda r: r["round_words"])
        ax2.plot([r["round_words"] for r in sel], [r["analogy"] for r in sel], "o-",
                 label=f"{n} worker(s)")
    if single:
        ax1.axhline(single["words_per_s"] / 1e3, color="grey", ls="--", label="single machine")
        ax2.axhline(single["analogy"], color="grey", ls="--", label="single machine")
    ax1.set_xticks(sorted({r["workers"] for r in dask_rows}))
    ax1.set(xlabel="Dask workers", ylabel="thousand words/s", title="throughput")
    ax2.set(xlabel="round_words (per partition)", ylabel="analogy accuracy", xscale="log",
            title="quality")
    ax2.set_xticks(sorted({r["round_words"] for r in dask_rows}))
    ax2.set_xticklabels([f"{x:,}" for x in sorted({r["round_words"] for r in dask_rows})])
    ax2.minorticks_off()
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.suptitle(f"fastw2v on Dask: {os.path.basename(args.corpus)}, {args.mode}, "
                 f"{args.threads} thread(s)/worker, merge={args.merge}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    log(f"plot written to {path}")


if __name__ == "__main__":
    sys.exit(main())
