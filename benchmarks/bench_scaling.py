#!/usr/bin/env python
"""Thread scaling: training words/s against the number of worker threads.

For each mode and each worker count, fastw2v (corpus_file mode) and, unless
``--no-gensim``, gensim 4 (its faster corpus_file mode) train the same corpus for
``--epochs`` epochs; the two alternate within each repeat so that load from other
processes hits both alike. The report gives the median words/s, the speed-up over one
worker, and fastw2v/gensim ratios; ``--plot`` draws them to a PNG (needs matplotlib).

``--isolated`` adds the machine's own ceiling for each worker count N > 1: N separate
processes, each training its own 1-worker fastw2v model on the corpus at the same time
(started together behind a barrier), so that nothing is shared between them but the
hardware. Their total words/s over one 1-worker run is the most that N threads of any
lock-free trainer could reach here; what N workers of one model fall short of it is the
cost of sharing the model (cache lines written by several cores).

Usage::

    python benchmarks/bench_scaling.py --corpus ../shared/data/wiki17m.txt.xz \\
        --modes sg-ns,cbow-ns --workers 1,2 --repeats 3 --plot scaling.png \\
        --markdown scaling.md --json scaling.json

Only vocabulary building and corpus encoding happen outside the timed region; the
learning-rate schedule and every other setting is the tools' default for one train()
call over ``--epochs`` epochs.
"""
from __future__ import annotations

import argparse
import datetime
import json
import lzma
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

MODES = {"sg-ns": (1, 0, 5), "cbow-ns": (0, 0, 5), "sg-hs": (1, 1, 0), "cbow-hs": (0, 1, 0)}


def plain_corpus(path: Path, tmp: Path) -> Path:
    """gensim's corpus_file mode reads plain text only: decompress .xz once if needed."""
    if path.suffix != ".xz":
        return path
    out = tmp / path.stem
    with lzma.open(path, "rb") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return out


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _isolated_child(corpus: str, kw: dict, epochs: int, barrier, queue) -> None:
    """One process of the ``--isolated`` ceiling: its own 1-worker model, timed from the
    moment every process is ready."""
    import fastw2v
    m = fastw2v.Word2Vec(workers=1, **kw)
    m.build_vocab(corpus_file=corpus)
    m._encode(corpus)
    barrier.wait()
    t0 = time.perf_counter()
    m.train(corpus_file=corpus, total_words=m.corpus_total_words,
            total_examples=m.corpus_count, epochs=epochs)
    queue.put((m.corpus_total_words * epochs, time.perf_counter() - t0))


def isolated_rate(corpus: str, kw: dict, epochs: int, n: int) -> float:
    """Total words/s of ``n`` independent 1-worker processes training at once."""
    import multiprocessing as mp
    import queue as queue_module
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_isolated_child, args=(corpus, kw, epochs, barrier, queue))
             for _ in range(n)]
    for p in procs:
        p.start()
    done = []
    try:
        while len(done) < n:
            try:
                done.append(queue.get(timeout=1.0))
            except queue_module.Empty:
                # a process that died would leave the others at the barrier and this
                # loop waiting for ever
                failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if failed:
                    raise RuntimeError(f"an --isolated process failed (exit code {failed[0]})")
    finally:
        if len(done) < n:
            barrier.abort()
            for p in procs:
                p.terminate()
        for p in procs:
            p.join()
    # the processes start together; the run lasts until the slowest one ends
    return sum(w for w, _ in done) / max(s for _, s in done)


def run(args) -> dict:
    import fastw2v
    tools = ["fastw2v"] + ([] if args.no_gensim else ["gensim"])
    if not args.no_gensim:
        import gensim
        from gensim.models import Word2Vec as GensimWord2Vec
    results = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               "machine": {"cpu": cpu_model(), "nproc": os.cpu_count(),
                           "platform": platform.platform()},
               "versions": {"fastw2v": getattr(fastw2v, "__version__", "dev"),
                            "gensim": None if args.no_gensim else gensim.__version__},
               "settings": vars(args).copy(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(plain_corpus(Path(args.corpus), Path(tmp)))
        for mode in args.modes:
            sg, hs, negative = MODES[mode]
            kw = dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
                      sg=sg, hs=hs, negative=negative, epochs=args.epochs, seed=1)
            models = {}
            for workers in args.workers:
                for tool in tools:
                    if tool == "fastw2v":
                        m = fastw2v.Word2Vec(workers=workers, **kw)
                    else:
                        m = GensimWord2Vec(workers=workers, **kw)
                    m.build_vocab(corpus_file=corpus)
                    if tool == "fastw2v":
                        # encode the corpus to ids now (train() would do it on its first
                        # call), so the timed region is training alone for both tools
                        m._encode(corpus)
                    models[tool, workers] = m
            for rep in range(args.repeats):
                for workers in args.workers:
                    for tool in tools:
                        m = models[tool, workers]
                        t0 = time.perf_counter()
                        m.train(corpus_file=corpus, total_words=m.corpus_total_words,
                                total_examples=m.corpus_count, epochs=args.epochs)
                        secs = time.perf_counter() - t0
                        wps = m.corpus_total_words * args.epochs / secs
                        results["runs"].append({"mode": mode, "tool": tool, "workers": workers,
                                                "repeat": rep, "seconds": secs,
                                                "words_per_second": wps})
                        print(f"[scaling] {mode} {tool} workers={workers} run {rep + 1}: "
                              f"{wps / 1e3:,.0f}k words/s", file=sys.stderr, flush=True)
                    if args.isolated and workers > 1:
                        wps = isolated_rate(corpus, kw, args.epochs, workers)
                        results["runs"].append({"mode": mode, "tool": "isolated",
                                                "workers": workers, "repeat": rep,
                                                "words_per_second": wps})
                        print(f"[scaling] {mode} {workers} isolated 1-worker processes run "
                              f"{rep + 1}: {wps / 1e3:,.0f}k words/s", file=sys.stderr,
                              flush=True)
    return results


def summary(results: dict) -> list:
    rows = []
    runs = results["runs"]
    first = results["settings"]["workers"][0]

    def median_of(mode, tool, workers):
        xs = [r["words_per_second"] for r in runs
              if r["mode"] == mode and r["tool"] == tool and r["workers"] == workers]
        return statistics.median(xs) if xs else None

    for mode in results["settings"]["modes"]:
        for tool in sorted({r["tool"] for r in runs}):
            # the isolated processes are measured against one 1-worker fastw2v run
            base = median_of(mode, "fastw2v", 1) if tool == "isolated" else None
            for workers in results["settings"]["workers"]:
                med = median_of(mode, tool, workers)
                if med is None:
                    continue
                base = base or (med if workers == first else None)
                rows.append({"mode": mode, "tool": tool, "workers": workers,
                             "words_per_second": med,
                             "speedup": med / base if base else None})
    return rows


def markdown(results: dict, rows: list) -> str:
    s = results["settings"]
    first = s["workers"][0]
    out = [f"## Thread scaling ({results['date']})", "",
           f"| mode | workers | fastw2v words/s | speed-up vs {first} | gensim words/s | gensim speed-up | fastw2v / gensim | isolated processes: speed-up (ceiling) | fastw2v / ceiling |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    get = {(r["mode"], r["tool"], r["workers"]): r for r in rows}
    for mode in s["modes"]:
        for w in s["workers"]:
            f, g = get.get((mode, "fastw2v", w)), get.get((mode, "gensim", w))
            iso = get.get((mode, "isolated", w))
            cells = [mode, str(w),
                     f"{f['words_per_second'] / 1e3:,.0f}k" if f else "—",
                     f"{f['speedup']:.2f}x" if f and f["speedup"] else "—",
                     f"{g['words_per_second'] / 1e3:,.0f}k" if g else "—",
                     f"{g['speedup']:.2f}x" if g and g["speedup"] else "—",
                     f"{f['words_per_second'] / g['words_per_second']:.2f}x" if f and g else "—",
                     f"{iso['speedup']:.2f}x" if iso and iso["speedup"] else "—",
                     f"{f['words_per_second'] / iso['words_per_second']:.2f}"
                     if f and iso else "—"]
            out.append("| " + " | ".join(cells) + " |")
    m = results["machine"]
    out += ["", f"- Machine: {m['cpu']}, {m['nproc']} CPUs; {m['platform']}.",
            f"- Corpus `{s['corpus']}`, epochs={s['epochs']}, vector_size={s['vector_size']}, "
            f"window={s['window']}, min_count={s['min_count']}; median of {s['repeats']} runs; "
            "fastw2v and gensim alternate within each repeat.",
            f"- Command: `{' '.join(sys.argv)}`"]
    return "\n".join(out) + "\n"


def plot(results: dict, rows: list, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'fastw2v[bench]' (or matplotlib)")
    s = results["settings"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, mode in enumerate(s["modes"]):
        # one colour per mode; the line style tells the tool
        for tool, style in (("fastw2v", "-o"), ("gensim", "--s"), ("isolated", ":^")):
            pts = [(r["workers"], r["words_per_second"], r["speedup"]) for r in rows
                   if r["mode"] == mode and r["tool"] == tool]
            if not pts:
                continue
            ws, wps, sp = zip(*pts)
            colour = colours[n % len(colours)]
            label = f"{mode} {tool}" + (" (ceiling)" if tool == "isolated" else "")
            ax1.plot(ws, [x / 1e6 for x in wps], style, color=colour, label=label)
            ax2.plot(ws, sp, style, color=colour, label=label)
    top = max(s["workers"])
    ax2.plot([s["workers"][0], top], [1, top / s["workers"][0]], ":", color="grey", label="linear")
    ax1.set(xlabel="worker threads", ylabel="million words / s", title="Training speed")
    ax2.set(xlabel="worker threads", ylabel=f"speed-up over {s['workers'][0]} worker(s)",
            title="Thread scaling")
    for ax in (ax1, ax2):
        ax.set_xticks(s["workers"])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{results['machine']['cpu']} ({results['machine']['nproc']} CPUs), "
                 f"{Path(s['corpus']).name}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="plain text or .xz (decompressed to a temp file)")
    p.add_argument("--modes", default="sg-ns,cbow-ns", help="comma list of " + ",".join(MODES))
    p.add_argument("--workers", default="1,2", help="comma list of worker counts, e.g. 1,2,4,8,16")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--no-gensim", action="store_true", help="time fastw2v only")
    p.add_argument("--isolated", action="store_true",
                   help="also time N independent 1-worker processes at once (the machine's "
                        "ceiling for N workers)")
    p.add_argument("--plot", default=None, help="write a PNG plot here (needs matplotlib)")
    p.add_argument("--markdown", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    args.modes = [m for m in args.modes.split(",") if m]
    bad = [m for m in args.modes if m not in MODES]
    if bad:
        p.error(f"unknown mode(s) {bad}; choose from {sorted(MODES)}")
    try:
        args.workers = sorted({int(w) for w in args.workers.split(",") if w})
    except ValueError:
        p.error(f"--workers must be a comma list of integers, got {args.workers!r}")
    if not args.workers or args.workers[0] < 1:
        p.error("--workers must list positive integers")
    if args.isolated and args.workers[0] != 1:
        p.error("--isolated compares with one 1-worker run: include 1 in --workers")
    if not Path(args.corpus).is_file():
        p.error(f"corpus {args.corpus!r} is not a file")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    results = run(args)
    rows = summary(results)
    results["summary"] = rows
    text = markdown(results, rows)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.plot:
        plot(results, rows, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
