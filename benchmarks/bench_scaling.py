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

Modes ``sg-ns-shared`` and ``sg-hs-shared`` time fastw2v's opt-in
``shared_negatives=True`` (its ceiling too); their gensim columns repeat gensim's
``sg-ns`` / ``sg-hs``, so list those as well to fill them.

``--scale-epochs`` gives N workers N times the epochs, so a 1..16-worker sweep on a
many-core machine takes minutes and no run is too short to time.

Only vocabulary building and corpus encoding happen outside the timed region; the
learning-rate schedule and every other setting is the tools' default for one train()
call over ``--epochs`` epochs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

#: the four modes, and fastw2v's opt-in batched windows (skip-gram; gensim has no such
#: mode, so its columns show gensim's sg-ns / sg-hs, the same model trained the usual way)
MODES = dict(common.MODES, **{f"{m}-shared": dict(common.MODES[m], shared_negatives=True)
                              for m in ("sg-ns", "sg-hs")})


def gensim_mode(mode: str) -> str:
    """The gensim mode a fastw2v mode is compared with."""
    return mode[:-len("-shared")] if mode.endswith("-shared") else mode


def analogy_score(kv, path: str) -> float:
    """3CosAdd accuracy over the 30k most frequent words. Both tools' vectors go through
    fastw2v's evaluation, which gives gensim's answers (tests/unit/test_evaluation.py checks that
    on real text) several times faster, so a 16-worker sweep spends its minutes training."""
    import importlib
    common.import_fastw2v()
    scoring = importlib.import_module("fastw2v.evaluation.scoring")
    return scoring.evaluate_word_analogies(kv, path, restrict_vocab=30000)[0]


def _isolated_child(corpus: str, kw: dict, epochs: int, barrier, queue) -> None:
    """One process of the ``--isolated`` ceiling: its own 1-worker model, timed from the
    moment every process is ready."""
    m = common.new_model("fastw2v", workers=1, **kw)
    common.build_vocab(m, corpus, encode=True)
    barrier.wait()
    secs, _ = common.train(m, corpus, epochs, count_sentences=True)
    queue.put((m.corpus_total_words * epochs, secs))


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
    tools = ["fastw2v"] + ([] if args.no_gensim else ["gensim"])
    versions = common.package_versions(["fastw2v", "gensim"])
    machine = common.host_info()
    machine["cpu"] = machine["cpu_model"] or "unknown CPU"   # the key earlier JSON files use
    results = {"date": common.now_iso(), "machine": machine,
               "versions": {"fastw2v": versions["fastw2v"] or "dev",
                            "gensim": None if args.no_gensim else versions["gensim"]},
               "settings": vars(args).copy(), "runs": [], "failed": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(common.plain_corpus(args.corpus, tmp))
        for mode in args.modes:
            # a mode that fails is reported and the others still run: on a lent machine
            # a crash in the third mode must not lose the first two (it did once)
            try:
                run_mode(args, results, corpus, mode, tools)
            except Exception as exc:  # noqa: BLE001 - in the report, and main exits 1
                results["failed"].append({"mode": mode, "error": f"{type(exc).__name__}: {exc}"})
                common.log(f"{mode} failed: {type(exc).__name__}: {exc}", "scaling")
    return results


def run_mode(args, results: dict, corpus: str, mode: str, tools: list) -> None:
    """Every worker count and repeat of one mode, appended to ``results["runs"]``."""
    kw = dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
              epochs=args.epochs, seed=1, **MODES[mode])
    models = {}
    # gensim trains the -shared mode's base mode in its own row
    mode_tools = ["fastw2v"] if mode.endswith("-shared") else tools
    for workers in args.workers:
        for tool in mode_tools:
            models[tool, workers] = m = common.new_model(tool, workers=workers, **kw)
            # ids now (fastw2v's train() would encode on its first call), so that
            # the timed region is training alone for both tools
            common.build_vocab(m, corpus, encode=True)
    for rep in range(args.repeats):
        for workers in args.workers:
            for tool in mode_tools:
                m = models[tool, workers]
                epochs = args.epochs * (workers if args.scale_epochs else 1)
                secs, _ = common.train(m, corpus, epochs, count_sentences=True)
                wps = m.corpus_total_words * epochs / secs
                run = {"mode": mode, "tool": tool, "workers": workers,
                       "repeat": rep, "seconds": secs, "words_per_second": wps}
                # later repeats train the same model further: its score would
                # be that of 2, 3, ... train() calls, so only the first counts
                if args.analogies and rep == 0:
                    run["analogy"] = analogy_score(m.wv, args.analogies)
                results["runs"].append(run)
                common.log(f"{mode} {tool} workers={workers} run {rep + 1}: "
                           f"{wps / 1e3:,.0f}k words/s"
                           + (f", analogy {run['analogy']:.3f}" if "analogy" in run else ""),
                           "scaling")
            if args.isolated and workers > 1:
                wps = isolated_rate(corpus, kw, args.epochs, workers)
                results["runs"].append({"mode": mode, "tool": "isolated",
                                        "workers": workers, "repeat": rep,
                                        "words_per_second": wps})
                common.log(f"{mode} {workers} isolated 1-worker processes run "
                           f"{rep + 1}: {wps / 1e3:,.0f}k words/s", "scaling")


def summary(results: dict) -> list:
    rows = []
    runs = results["runs"]
    first = results["settings"]["workers"][0]

    def median_of(mode, tool, workers, key="words_per_second"):
        xs = [r[key] for r in runs
              if r["mode"] == mode and r["tool"] == tool and r["workers"] == workers
              and key in r]
        return common.median(xs) if xs else None

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
                             "speedup": common.ratio(med, base),
                             "analogy": median_of(mode, tool, workers, "analogy")})
    return rows


def markdown(results: dict, rows: list) -> str:
    s = results["settings"]
    header = ["mode", "workers", "fastw2v words/s", f"speed-up vs {s['workers'][0]}",
              "gensim words/s", "gensim speed-up", "fastw2v / gensim",
              "isolated processes: speed-up (ceiling)", "fastw2v / ceiling"]
    get = {(r["mode"], r["tool"], r["workers"]): r for r in rows}
    quality = any(r.get("analogy") is not None for r in rows)
    if quality:
        header += ["fastw2v analogy", "gensim analogy"]
    table = []
    failed = {f["mode"]: f["error"] for f in results.get("failed", [])}
    for mode in s["modes"]:
        if mode in failed and not any(r["mode"] == mode for r in rows):
            continue
        for w in s["workers"]:
            f, iso = (get.get((mode, tool, w)) or {} for tool in ("fastw2v", "isolated"))
            g = get.get((gensim_mode(mode), "gensim", w)) or {}
            rate = common.ratio(f.get("words_per_second"), iso.get("words_per_second"))
            table.append([mode, w, common.fmt_rate(f.get("words_per_second")),
                          common.fmt_ratio(f.get("speedup")),
                          common.fmt_rate(g.get("words_per_second")),
                          common.fmt_ratio(g.get("speedup")),
                          common.fmt_ratio(common.ratio(f.get("words_per_second"),
                                                        g.get("words_per_second"))),
                          common.fmt_ratio(iso.get("speedup")), common.fmt_float(rate, 2)]
                         + ([common.fmt_float(f.get("analogy"), 3), common.fmt_float(g.get("analogy"), 3)]
                            if quality else []))
    m = results["machine"]
    kernels = f"; fastw2v kernels: {m['simd_variant']}" if m.get("simd_variant") else ""
    out = [f"## Thread scaling ({results['date']})", ""] + common.md_table(header, table, "lr" + "r" * (len(header) - 2))
    out += [""] + [f"- **{mode} failed** (its rows are incomplete or missing): {err}"
                   for mode, err in failed.items()]
    out += [f"- Machine: {m['cpu']}, {m['nproc']} CPUs; {m['platform']}{kernels}.",
            f"- Corpus `{s['corpus']}`, epochs={s['epochs']}"
            + (" x workers (each --isolated process trains " + str(s['epochs']) + ")"
               if s.get('scale_epochs') else "")
            + f", vector_size={s['vector_size']}, "
            f"window={s['window']}, min_count={s['min_count']}; median of {s['repeats']} runs; "
            "fastw2v and gensim alternate within each repeat.",
            f"- Command: `{common.command_line()}`"]
    return "\n".join(out) + "\n"


def plot(results: dict, rows: list, path: str) -> None:
    plt = common.import_pyplot()
    if plt is None:
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
    p.add_argument("--corpus", required=True, help="plain text or .xz/.gz/.bz2 (decompressed to a temp file)")
    p.add_argument("--modes", default="sg-ns,cbow-ns", help="comma list of " + ",".join(MODES))
    p.add_argument("--workers", default="1,2", help="comma list of worker counts, e.g. 1,2,4,8,16")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--scale-epochs", action="store_true",
                   help="N workers train N x --epochs epochs, so that every run does the same "
                        "work per thread and lasts about as long (keeps a many-core sweep "
                        "short without timing sub-second runs)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--no-gensim", action="store_true", help="time fastw2v only")
    p.add_argument("--isolated", action="store_true",
                   help="also time N independent 1-worker processes at once (the machine's "
                        "ceiling for N workers)")
    p.add_argument("--analogies", default=None,
                   help="also score each model after its first run on this analogy file "
                        "(e.g. fastw2v/data/questions-words.txt; 30k most frequent words): "
                        "speed that comes with broken vectors is no speed")
    p.add_argument("--plot", default=None, help="write a PNG plot here (needs matplotlib)")
    p.add_argument("--markdown", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    try:
        args.modes = common.parse_list(args.modes, choices=MODES, what="mode")
    except ValueError as exc:
        p.error(str(exc))
    try:
        args.workers = sorted(set(common.parse_list(args.workers, kind=int)))
    except ValueError:
        p.error(f"--workers must be a comma list of integers, got {args.workers!r}")
    if not args.workers or args.workers[0] < 1:
        p.error("--workers must list positive integers")
    if args.isolated and args.workers[0] != 1:
        p.error("--isolated compares with one 1-worker run: include 1 in --workers")
    if not Path(args.corpus).is_file():
        p.error(f"corpus {args.corpus!r} is not a file")
    if args.analogies and not Path(args.analogies).is_file():
        p.error(f"analogy file {args.analogies!r} is not a file")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    results, rows = common.run_and_report(args, run, summary, markdown)
    if args.plot:
        plot(results, rows, args.plot)
        common.log(f"plot written to {args.plot}", "scaling")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
