#!/usr/bin/env python
"""Do two workers of one model lose speed when the host hands cache lines between its
cores slowly? A probe times one cache line bounced between CPU 0 and CPU 1, just before
and just after each 2-worker training run; a 1-worker run follows each. The runs are
then grouped by the probe (both under ``--fast-ns``, both over ``--slow-ns``, or one of
each) and each group's median speed-up over one worker is reported. With ``--tools
fastw2v,gensim`` gensim (``corpus_file`` mode) takes its turn after fastw2v in each
round, probed the same way, and each group also gives fastw2v's median over gensim's:
the two tools compared in the same placement (``--no-single`` skips the 1-worker runs).

On VMs whose two vCPUs are sometimes placed on cores without a shared L3, the handoff
takes several times longer in spells, and a lock-free shared model (fastw2v's or
gensim's) writes the frequent words' rows from both threads all the time; two
independent processes share no line and do not notice (``bench_scaling.py --isolated``).

The probe is a few lines of C compiled with the system's ``cc`` into a temporary
folder (Linux: it pins its threads with ``pthread_setaffinity_np``).

Usage::

    python benchmarks/bench_handoff.py --corpus wiki3m.txt --vector-size 300 \\
        --modes sg-ns,cbow-ns --minutes 4 --markdown handoff.md --json handoff.json
    python benchmarks/bench_handoff.py --corpus wiki17m.txt --vector-size 500 \
        --modes cbow-ns,cbow-hs --tools fastw2v,gensim --no-single --minutes 20
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

PROBE_C = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static _Alignas(64) atomic_long flag;
static long rounds;
static void pin(int cpu) {
    cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}
static void *answer(void *arg) {
    (void)arg; pin(1);
    for (long i = 0; i < rounds; i++) {
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
    }
    return NULL;
}
int main(int argc, char **argv) {
    rounds = argc > 1 ? atol(argv[1]) : 100000;
    pthread_t t; struct timespec a, b;
    pin(0);
    pthread_create(&t, NULL, answer, NULL);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < rounds; i++) {
        atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2) {}
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    pthread_join(t, NULL);
    printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (2.0 * rounds));
    return 0;
}
"""


def build_probe(directory: str) -> str:
    src, exe = os.path.join(directory, "handoff.c"), os.path.join(directory, "handoff")
    Path(src).write_text(PROBE_C)
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-pthread", "-o", exe, src], check=True)
    return exe


def probe(exe: str, rounds: int) -> float:
    """Nanoseconds per one-way handoff of a cache line between CPU 0 and CPU 1."""
    return float(subprocess.run([exe, str(rounds)], capture_output=True, text=True,
                                check=True).stdout)


def group(before: float, after: float, fast: float, slow: float) -> str:
    if before < fast and after < fast:
        return "fast"
    if before > slow and after > slow:
        return "slow"
    if min(before, after) < fast and max(before, after) > slow:
        return "mixed"
    return "between"


GROUPS = ("fast", "slow", "mixed", "between")


def summarise(runs: list, fast: float, slow: float) -> list:
    """Table rows: mode, tool, probe group, runs, median probe, median 2-worker words/s,
    and (where 1-worker runs were made) the median speed-up over the 1-worker run after
    each and its range."""
    rows = []
    for mode in dict.fromkeys(r["mode"] for r in runs):
        for tool in dict.fromkeys(r.get("tool", "fastw2v") for r in runs):
            for name in GROUPS:
                sel = [r for r in runs if r["mode"] == mode and r.get("tool", "fastw2v") == tool
                       and group(r["probe_before"], r["probe_after"], fast, slow) == name]
                if not sel:
                    continue
                ups = [r["two"] / r["one"] for r in sel if r.get("one")]
                probes = [p for r in sel for p in (r["probe_before"], r["probe_after"])]
                rows.append([mode, tool, name, str(len(sel)), f"{common.median(probes):.0f}",
                             common.fmt_rate(common.median([r["two"] for r in sel])),
                             f"{common.median(ups):.2f}x" if ups else "—",
                             f"{min(ups):.2f}-{max(ups):.2f}" if ups else "—"])
    return rows


def compare(runs: list, fast: float, slow: float, base: str = "gensim") -> list:
    """Rows: mode, probe group, fastw2v's median 2-worker words/s over ``base``'s, each
    tool's runs in that group counted."""
    rows = []
    for mode in dict.fromkeys(r["mode"] for r in runs):
        for name in GROUPS:
            rates = {t: [r["two"] for r in runs if r["mode"] == mode and r.get("tool") == t
                         and group(r["probe_before"], r["probe_after"], fast, slow) == name]
                     for t in ("fastw2v", base)}
            if rates["fastw2v"] and rates[base]:
                rows.append([mode, name, f"{len(rates['fastw2v'])} / {len(rates[base])}",
                             common.fmt_ratio(common.median(rates["fastw2v"])
                                              / common.median(rates[base]))])
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--modes", default="sg-ns,cbow-ns")
    p.add_argument("--tools", default="fastw2v", help="fastw2v, or fastw2v,gensim")
    p.add_argument("--no-single", action="store_true", help="skip the 1-worker runs")
    p.add_argument("--vector-size", type=int, default=300)
    p.add_argument("--minutes", type=float, default=4.0, help="how long to loop")
    p.add_argument("--rounds", type=int, default=100_000, help="handoffs per probe")
    p.add_argument("--fast-ns", type=float, default=100.0)
    p.add_argument("--slow-ns", type=float, default=150.0)
    p.add_argument("--markdown", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    modes = common.parse_list(args.modes, choices=list(common.MODES), what="mode")
    tools = common.parse_list(args.tools, choices=["fastw2v", "gensim"], what="tool")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_probe(tmp)
        corpus = str(common.plain_corpus(args.corpus, tmp))
        end = time.monotonic() + 60 * args.minutes
        while time.monotonic() < end:
            for mode, tool in ((m, t) for m in modes for t in tools):
                job = {"corpus": corpus, "epochs": 1, "tool": tool,
                       "params": dict(common.mode_params(mode), vector_size=args.vector_size,
                                      window=5, min_count=5, sample=1e-3, seed=1, workers=2)}
                before = probe(exe, args.rounds)
                two = common.run_training(job)
                after = probe(exe, args.rounds)
                one = None
                if not args.no_single:
                    job["params"]["workers"] = 1
                    one = common.run_training(job)
                for got in (two, one):
                    if got is not None and not got["ok"]:
                        raise RuntimeError(got["error"])
                runs.append({"mode": mode, "tool": tool, "probe_before": before,
                             "probe_after": after, "two": two["words_per_second"],
                             "one": one["words_per_second"] if one else None})
                common.log(f"{mode} {tool}: probe {before:.0f} ns, 2 workers "
                           f"{common.fmt_rate(two['words_per_second'])}, probe {after:.0f} ns"
                           + (f", 1 worker {common.fmt_rate(one['words_per_second'])}"
                              if one else ""))
    info = common.host_info()
    lines = [f"## Two workers against the cache-line handoff ({common.now_iso()})", ""]
    lines += common.md_table(["mode", "tool", "probe before and after", "runs",
                              "probe ns (median)", "2 workers, words/s (median)",
                              "speed-up over 1 worker", "range"],
                             summarise(runs, args.fast_ns, args.slow_ns), align="lllrrrrr")
    if "gensim" in tools:
        lines += ["", "fastw2v over gensim (`corpus_file` mode), 2 workers, runs in the same "
                      "probe group:", ""]
        lines += common.md_table(["mode", "probe before and after", "runs (fastw2v / gensim)",
                                  "fastw2v / gensim (medians)"],
                                 compare(runs, args.fast_ns, args.slow_ns), align="llrr")
    lines += ["", f"- Groups: fast = both probes under {args.fast_ns:.0f} ns, slow = both "
                  f"over {args.slow_ns:.0f} ns, mixed = one of each.",
              f"- Corpus `{args.corpus}`, 1 epoch, vector_size={args.vector_size}, each run "
              "a fresh process; the loop ran "
              f"{args.minutes:g} minutes.",
              f"- Host: {common.host_line(info)}",
              f"- Command: `{common.command_line()}`"]
    common.write_outputs("\n".join(lines), args.markdown, args.json,
                         {"args": vars(args), "host": info, "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
