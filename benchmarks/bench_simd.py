#!/usr/bin/env python
"""Is the runtime-dispatched build within 5% of a -march=native build?

fastw2v compiles its kernels once per instruction set and picks one at import, so that
one wheel runs everywhere; the price could be the instructions a ``-march=native`` build
would use beyond the chosen set. This script trains the same corpus slice, one epoch,
with the kernels the dispatcher picks on this machine and with the native ones
(``FASTW2V_FORCE_SIMD=native``), each run in a fresh child process, the two side by side
so that a slow minute of the machine hits both alike: each repeat is a pair of runs, one
of each, and which of the two runs first alternates from pair to pair. For every mode
and vector size it reports the median words/s of each and their ratio dispatched /
native; the answer is yes when every ratio is at least 0.95.

With one worker (``--workers 1``) both runs of a pair are pinned to the same CPU, and
the pairs take the CPUs in turn (two pairs each, one with either build first). On the
2-vCPU Zen 5 VM the build that always ran second won 17 of 18 pairs of two identical
builds, by 5-8% in the medians (CBOW/NS at 500, three runs of 6 pairs); pinned, one vCPU
trained 6% faster than the other in one spell and as fast in another, so a fixed order
can line a build up with the faster CPU. With the order alternating and each pair on one
CPU, two identical builds came out at 1.016 and 1.014. ``--pin off`` leaves the
placement to the system; the report gives each CPU's medians.

The native variant is built only on request, once::

    FASTW2V_NATIVE=1 python setup.py build_ext --inplace

Usage::

    python benchmarks/bench_simd.py [--corpus PATH] [--words 2000000] \\
        [--modes sg-ns,cbow-ns,sg-hs,cbow-hs] [--sizes 100,300] [--workers 2] \\
        [--repeats 5] [--markdown out.md] [--json out.json]

The default corpus is the Wikipedia sample shipped in the package (about 1.5M words, so
all of it at the default ``--words``). Only training is timed: vocabulary and encoding
happen before. ``--baseline`` compares with another compiled variant instead of native
(``portable`` shows what the vector instructions buy).

``--other-build PATH`` compares this checkout with another one instead (build A against
build B, both with the kernels the dispatcher picks): a ``git worktree`` of an earlier
commit, built in place, imported through ``PYTHONPATH``::

    git worktree add ../old-checkout HEAD~1
    (cd ../old-checkout && python setup.py build_ext --inplace)
    python benchmarks/bench_simd.py --other-build ../old-checkout --sizes 300,500
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

BUILD_NATIVE = f"cd {common.REPO_ROOT} && FASTW2V_NATIVE=1 python setup.py build_ext --inplace"
INSTALL_NATIVE = f"FASTW2V_NATIVE=1 pip install {common.REPO_ROOT}"
TOLERANCE = 0.05
OTHER_LOAD_WARN = 0.25  # cores used by other processes during a run before it is flagged
BASELINES = ("native", "avx512", "avx2", "portable")


def child_env(variant: str | None, build: str | None = None) -> dict:
    """This environment with the kernels forced to ``variant`` (None: the dispatcher's),
    importing fastw2v from the checkout ``build`` where given."""
    env = dict(os.environ)
    env.pop("FASTW2V_FORCE_SIMD", None)
    if variant:
        env["FASTW2V_FORCE_SIMD"] = variant
    if build:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(build).resolve())] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def build_name(path) -> str:
    """A checkout's commit (short hash, ``+`` where its tree has changes), or its path."""
    try:
        rev = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev, dirty = "", ""
    return f"{rev}{'+' if dirty else ''}" if rev else str(path)


def summarise(runs: list, modes, sizes) -> list:
    """One row per (mode, vector size): median words/s of the baseline and of the
    dispatched kernels, the ratio of the medians, and the range of the ratios of the
    runs made side by side (repeat by repeat)."""
    rows = []
    for mode in modes:
        for size in sizes:
            mine = [r for r in runs if r["mode"] == mode and r["vector_size"] == size
                    and r.get("ok")]
            rate = {role: {r["repeat"]: r["words_per_second"] for r in mine if r["role"] == role}
                    for role in ("baseline", "dispatched")}
            if not (rate["baseline"] or rate["dispatched"]):
                continue
            base = common.median(rate["baseline"].values())
            disp = common.median(rate["dispatched"].values())
            paired = [rate["dispatched"][k] / rate["baseline"][k]
                      for k in sorted(set(rate["baseline"]) & set(rate["dispatched"]))]
            rows.append({"mode": mode, "vector_size": size, "baseline_wps": base,
                         "dispatched_wps": disp, "ratio": common.ratio(disp, base),
                         "pairs": len(paired), "paired_min": min(paired, default=None),
                         "paired_max": max(paired, default=None)})
    return rows


def verdict(rows: list, tolerance: float = TOLERANCE, baseline: str = "native",
            subject: str = "the dispatched kernels") -> str:
    """The answer in one sentence: are all ratios at least 1 - tolerance?"""
    measured = [r for r in rows if r["ratio"] is not None]
    if not measured:
        return "No answer: no (mode, size) has runs of both builds."
    worst = min(measured, key=lambda r: r["ratio"])
    where = f"{worst['mode']} size {worst['vector_size']}"
    slow = [r for r in measured if r["ratio"] < 1 - tolerance]
    pct = f"{100 * tolerance:g}%"
    missing = len(rows) - len(measured)
    tail = f" ({missing} case(s) without both builds)" if missing else ""
    if slow:
        cases = ", ".join(f"{r['mode']} size {r['vector_size']} ({r['ratio']:.2f})" for r in slow)
        return (f"No: {subject} are more than {pct} slower than {baseline} in "
                f"{len(slow)} of {len(measured)} cases: {cases}{tail}.")
    return (f"Yes: {subject} are within {pct} of {baseline} in all "
            f"{len(measured)} cases (lowest ratio {worst['ratio']:.2f}, {where}){tail}.")


def report(meta: dict, rows: list, runs: list) -> str:
    base, disp = meta["variants"]["baseline"], meta["variants"]["dispatched"]
    other = meta.get("other_build")
    if other:
        # build A against build B: both run the kernels the dispatcher picks
        base, mine = f"build {other['name']}", f"build {meta['this_build']}"
        header = ["mode", "size", f"{base} words/s", f"{mine} words/s", f"{mine} / {base}",
                  "side-by-side ratios", "pairs"]
        title, subject = f"Build {meta['this_build']} against {base}", "this build's runs"
        kernels_line = (f"- Kernels: `{disp}` in both builds (the dispatcher's choice); {base}"
                        f" is `{other['path']}`, imported through `PYTHONPATH`.")
    else:
        header = ["mode", "size", f"{base} words/s", f"dispatched ({disp}) words/s",
                  "dispatched / " + base, "side-by-side ratios", "pairs"]
        title, subject = f"Dispatched kernels against {base}", "the dispatched kernels"
        kernels_line = (f"- Kernels: dispatched = `{disp}` (the variant chosen at import),"
                        f" baseline = `{base}` (`FASTW2V_FORCE_SIMD={base}`).")
    table = [[r["mode"], r["vector_size"], common.fmt_rate(r["baseline_wps"]),
              common.fmt_rate(r["dispatched_wps"]), common.fmt_float(r["ratio"], 3),
              f"{r['paired_min']:.3f}–{r['paired_max']:.3f}" if r["pairs"] else "—",
              r["pairs"]] for r in rows]
    s, c = meta["settings"], meta["corpus"]
    lines = [f"## {title} ({meta['date']})", "",
             verdict(rows, s["tolerance"], base, subject), ""]
    lines += common.md_table(header, table, "lrrrrrr")
    lines += [
        "",
        f"- Host: {common.host_line(meta['host'])}.",
        kernels_line,
        f"- Corpus: {c['words']:,} words from the start of `{c['path']}`; 1 epoch, workers={s['workers']},"
        f" window={s['window']}, min_count={s['min_count']}, seed=1.",
        f"- words/s: corpus words / `train()` seconds, median of {s['repeats']} runs per build,"
        " each in a fresh process; each repeat is a pair of runs, one per build, the first of"
        " the pair alternating, and a side-by-side ratio divides the two runs of one repeat.",
    ]
    pinned = meta.get("pinned_cpus") or []
    lines.append(f"- Both runs of a pair pinned to one CPU, the pairs taking CPUs "
                 f"{', '.join(map(str, pinned))} in turn." if pinned else
                 "- Not pinned: the system placed every run.")
    lines += per_cpu_lines(runs, {"baseline": base, "dispatched": mine if other else disp})
    failed = [r for r in runs if not r.get("ok")]
    if failed:
        lines.append(f"- {len(failed)} run(s) failed, first: {common.md_escape(failed[0]['error'])[:300]}")
    busy = [r.get("child", {}).get("other_cpu_cores") or 0.0 for r in runs if r.get("ok")]
    flagged = [b for b in busy if b > OTHER_LOAD_WARN]
    if flagged:
        lines.append(f"- WARNING: other processes used CPU during {len(flagged)} of {len(busy)}"
                     f" runs (up to {max(flagged):.1f} cores); rerun on an idle machine.")
    lines.append(f"- Command: `{meta['command']}`")
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=f"The native kernels are built by:\n  {BUILD_NATIVE}\n")
    p.add_argument("--corpus", default=None,
                   help="plain text or .xz/.gz/.bz2 (default: the package's wiki sample)")
    p.add_argument("--words", type=int, default=2_000_000,
                   help="train on the first WORDS words (0 = the whole corpus)")
    p.add_argument("--modes", default=",".join(common.ALL_MODES),
                   help="comma list of " + ",".join(common.ALL_MODES))
    p.add_argument("--sizes", default="100,300", help="comma list of vector sizes")
    p.add_argument("--workers", type=int, default=2, help="worker threads")
    p.add_argument("--repeats", type=int, default=5, help="runs of each build per case")
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--baseline", default="native", choices=BASELINES,
                   help="the variant to compare with (default native)")
    p.add_argument("--other-build", default=None, metavar="PATH",
                   help="compare with the fastw2v checkout at PATH (built in place) instead"
                        " of a variant")
    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help="the slowdown still counted as 'within' (default 0.05)")
    p.add_argument("--pin", default="auto", choices=("auto", "off"),
                   help="auto: with --workers 1, run both runs of a pair on one CPU, the "
                        "pairs taking the CPUs in turn (default); off: never pin")
    p.add_argument("--timeout", type=float, default=600, help="seconds per run")
    p.add_argument("--markdown", default=None, help="also write the report to this file")
    p.add_argument("--json", default=None, help="write all raw numbers to this file")
    args = p.parse_args(argv)
    try:
        args.modes = common.parse_list(args.modes, choices=common.MODES, what="mode")
        args.sizes = common.parse_list(args.sizes, kind=int, what="vector size")
    except ValueError as exc:
        p.error(str(exc))
    if not args.modes or not args.sizes or min(args.sizes) < 1:
        p.error("--modes and --sizes must list at least one mode / positive size")
    if args.workers < 1 or args.repeats < 1 or args.words < 0:
        p.error("--workers and --repeats must be >= 1, --words >= 0")
    args.corpus = args.corpus or common.sample_corpus()
    if not Path(args.corpus).is_file():
        p.error(f"corpus {args.corpus!r} is not a file")
    if args.other_build and not (Path(args.other_build) / "fastw2v" / "__init__.py").is_file():
        p.error(f"--other-build {args.other_build!r} is not a fastw2v checkout")
    return args


def probe(baseline: str) -> dict:
    """The variant names of both builds; exits with the build command when the baseline
    is missing."""
    dispatched, err = common.simd_variant(child_env(None))
    if dispatched is None:
        sys.exit(f"fastw2v's kernels do not import here: {err}")
    got, err = common.simd_variant(child_env(baseline))
    if got is None:
        hint = ("The -march=native kernels are not compiled. Build them in the source checkout"
                f" (an editable install) with:\n\n    {BUILD_NATIVE}\n\nor reinstall with them:"
                f"\n\n    {INSTALL_NATIVE}\n" if baseline == "native" else "")
        sys.exit(f"{hint}\nFASTW2V_FORCE_SIMD={baseline} does not import: {err}")
    return {"baseline": got, "dispatched": dispatched}


def probe_other(path: str) -> dict:
    """The variant each build's dispatcher picks; exits where a build does not import."""
    mine, err = common.simd_variant(child_env(None, common.REPO_ROOT))
    if mine is None:
        sys.exit(f"this checkout's fastw2v does not import (built in place?): {err}")
    theirs, err = common.simd_variant(child_env(None, path))
    if theirs is None:
        sys.exit(f"the build at {path} does not import (built in place?): {err}")
    return {"baseline": theirs, "dispatched": mine}


def came_from(result: dict, other: str | None, role: str) -> str | None:
    """Why a run's fastw2v is not the checkout its role asked for (build A against build
    B: the other one, or this one), or None."""
    if not other or not result.get("ok"):
        return None
    want = Path(other if role == "baseline" else common.REPO_ROOT).resolve() / "fastw2v"
    got = Path(result.get("package_dir", ""))
    return None if got == want else f"imported fastw2v from {got}, not {want}"


def pin_cpus(pin: str, workers: int) -> list | None:
    """The CPUs that one-worker pairs take in turn (``--pin auto`` with one worker and at
    least two usable CPUs), else None: no pinning."""
    if pin == "off" or workers != 1 or not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return cpus if len(cpus) >= 2 else None


def pair_plan(modes, sizes, repeats: int, cpus: list | None) -> list:
    """The runs in order, as (mode, size, repeat, role, cpu): each repeat a pair of one
    run per build, the baseline first in even repeats and second in odd ones, so that
    neither build always follows the other; with ``cpus``, both runs of a repeat on
    ``cpus[(repeat // 2) % len(cpus)]``, so each CPU gets pairs in both orders."""
    plan = []
    for mode in modes:
        for size in sizes:
            for rep in range(repeats):
                cpu = None if cpus is None else cpus[(rep // 2) % len(cpus)]
                roles = ("baseline", "dispatched") if rep % 2 == 0 else ("dispatched", "baseline")
                plan += [(mode, size, rep, role, cpu) for role in roles]
    return plan


def per_cpu_lines(runs: list, names: dict) -> list:
    """Report lines: each pinned CPU's median words/s per build and case, where runs were
    pinned to more than one CPU (how much the CPUs differ)."""
    pinned = sorted({r["cpu"] for r in runs if r.get("ok") and r.get("cpu") is not None})
    if len(pinned) < 2:
        return []
    lines = []
    for (mode, size) in dict.fromkeys((r["mode"], r["vector_size"]) for r in runs):
        parts = []
        for role in ("baseline", "dispatched"):
            meds = [common.median(r["words_per_second"] for r in runs
                                  if r.get("ok") and r["mode"] == mode and r["vector_size"] == size
                                  and r["role"] == role and r.get("cpu") == cpu) for cpu in pinned]
            parts.append(f"{names[role]} " + " / ".join(common.fmt_rate(m) for m in meds))
        lines.append(f"  - {mode} {size}: " + "; ".join(parts))
    return [f"- Per CPU ({' / '.join(f'CPU {c}' for c in pinned)}), median words/s:"] + lines


def main(argv=None) -> int:
    args = parse_args(argv)
    other = args.other_build
    variants = probe_other(other) if other else probe(args.baseline)
    if not other and variants["baseline"] == variants["dispatched"]:
        common.log(f"the dispatcher already picks {variants['baseline']}: both builds are one")
    envs = {"baseline": child_env(None, other) if other else child_env(args.baseline),
            "dispatched": child_env(None, common.REPO_ROOT if other else None)}
    meta = {"date": common.now_iso(), "command": common.command_line(),
            "host": common.host_info(), "variants": variants,
            "settings": {k: v for k, v in vars(args).items() if k not in ("markdown", "json")}}
    if other:
        meta["other_build"] = {"path": str(other), "name": build_name(other)}
        meta["this_build"] = build_name(common.REPO_ROOT)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_simd_") as tmp:
        corpus = (common.corpus_slice(args.corpus, args.words, tmp) if args.words
                  else common.plain_corpus(args.corpus, tmp))
        words, _, _ = common.count_corpus(corpus)
        meta["corpus"] = {"path": str(args.corpus), "words": words}
        plan = pair_plan(args.modes, args.sizes, args.repeats, pin_cpus(args.pin, args.workers))
        meta["pinned_cpus"] = sorted({cpu for *_, cpu in plan if cpu is not None})
        for n, (mode, size, rep, role, cpu) in enumerate(plan, 1):
            job = {"tool": "fastw2v", "corpus": str(corpus), "epochs": 1,
                   "params": dict(vector_size=size, window=args.window, min_count=args.min_count,
                                  workers=args.workers, epochs=1, seed=1, progress=False,
                                  **common.MODES[mode])}
            result = common.run_training(job, envs[role], args.timeout,
                                         cpus=None if cpu is None else [cpu])
            if result["ok"] and result["simd_variant"] != variants[role]:
                result.update(ok=False, error=f"ran {result['simd_variant']} instead of {variants[role]}")
            wrong = came_from(result, other, role)
            if wrong:
                result.update(ok=False, error=wrong)
            result.update(mode=mode, vector_size=size, repeat=rep, role=role, variant=variants[role],
                          cpu=cpu)
            runs.append(result)
            common.log(f"[{n}/{len(plan)}] {mode} size {size} {variants[role]}"
                       + ("" if cpu is None else f" on CPU {cpu}") + ": "
                       + (f"{common.fmt_rate(result['words_per_second'])} words/s"
                          if result["ok"] else f"FAILED: {result['error']}"), "simd")
    rows = summarise(runs, args.modes, args.sizes)
    common.write_outputs(report(meta, rows, runs), args.markdown, args.json,
                         {"meta": meta, "summary": rows, "runs": runs})
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
