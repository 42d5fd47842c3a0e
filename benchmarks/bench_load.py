#!/usr/bin/env python
"""How fast, and in how much memory, do word2vec files load: fastw2v against gensim.

Writes (once, into ``--dir``) a binary and a text word2vec file of ``--rows`` x ``--dims``
random vectors with made-up words (``--rows 500000 --dims 300``: the binary is 605 MB),
reads each file once so that it sits in the page cache, then loads it with
``KeyedVectors.load_word2vec_format`` of fastw2v and of gensim, alternating the two, each
load in a fresh child process (``--tools fastw2v,fastw2v-pyrows`` times fastw2v's C text
parser against its pure-Python reference reader). Reports the median load time, the speed in GB/s of file,
and each child's peak resident memory against the size of the float32 matrix: right after
the load, and again after the load and ``kv.key_to_index`` ("with the index": fastw2v
builds ``key_to_index`` and ``index_to_key`` from its packed keys when first used; gensim
has them already).

Usage::

    python benchmarks/bench_load.py --rows 500000 --dims 300 --repeats 3 \\
        --markdown load.md --json load.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

#: fastw2v-pyrows: fastw2v with its text rows read by the pure-Python reference reader
#: (each row split in Python, parsed by NumPy) instead of the C parser: the A/B of that
#: parser in one run (binary files load the same way in both). fastw2v-other: fastw2v
#: imported from the checkout given by ``--other-build`` (built in place, e.g. a ``git
#: worktree`` of an earlier commit after ``python setup.py build_ext --inplace``): build A
#: against build B in one run.
TOOLS = ("fastw2v", "fastw2v-pyrows", "fastw2v-other", "gensim")
FORMATS = ("binary", "text")


def write_files(directory: Path, rows: int, dims: int, formats) -> dict:
    """The benchmark's files (kept between runs): ``{format: path}``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {f: directory / f"vectors_{rows}x{dims}.{'bin' if f == 'binary' else 'txt'}"
             for f in formats}
    missing = [f for f, p in paths.items() if not p.exists()]
    if missing:
        from fastw2v import KeyedVectors
        rng = np.random.default_rng(12345)
        kv = KeyedVectors(dims)
        step = 100_000
        for lo in range(0, rows, step):
            hi = min(rows, lo + step)
            kv.add_vectors([f"w{i}" for i in range(lo, hi)],
                           rng.standard_normal((hi - lo, dims), dtype=np.float32))
        for f in missing:
            common.log(f"writing {paths[f]}")
            kv.save_word2vec_format(str(paths[f]), binary=(f == "binary"))
    return paths


def warm(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in KiB; 0 where
    unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def current_rss_kib() -> int:
    return status_kib("VmRSS")


def peak_rss_kib() -> int:
    """This process image's peak RSS. VmHWM starts afresh at exec; getrusage's maximum
    does not (it keeps the forked parent's size), which would blame the parent's memory
    on the child."""
    return status_kib("VmHWM") or common.self_peak_rss_kib()


def child(tool: str, path: str, binary: bool, other_build: str = "", cpus: int = 0) -> dict:
    """One load in this process: seconds, shape, peak RSS, the RSS before loading (the
    interpreter and the library's imports) and the peak RSS once ``key_to_index`` has
    been used. ``cpus``: run on the first this many
    usable CPUs (fastw2v parses a text file with one thread per usable CPU)."""
    if cpus:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cpus])
    if tool == "fastw2v":
        from fastw2v import KeyedVectors
    elif tool == "fastw2v-other":
        sys.path.insert(0, other_build)
        import fastw2v
        from fastw2v import KeyedVectors
        if not Path(fastw2v.__file__).resolve().is_relative_to(Path(other_build).resolve()):
            raise RuntimeError(f"fastw2v came from {fastw2v.__file__}, not {other_build}")
    elif tool == "fastw2v-pyrows":
        from fastw2v import KeyedVectors
        from fastw2v.io import word2vec_format
        word2vec_format._read_text_rows = word2vec_format._read_text_rows_python
    else:
        from gensim.models import KeyedVectors
    before = current_rss_kib()
    t0 = time.perf_counter()
    kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    seconds = time.perf_counter() - t0
    peak = peak_rss_kib()
    rows = len(kv)
    indexed = len(kv.key_to_index)
    return {"seconds": seconds, "rows": rows, "indexed": indexed, "dims": kv.vector_size,
            "peak_rss_kib": peak, "rss_before_kib": before,
            "peak_rss_indexed_kib": peak_rss_kib()}


def run_one(tool: str, path: Path, binary: bool, other_build: str = "", cpus: int = 0) -> dict:
    fd, log_path = tempfile.mkstemp(prefix="bench_load_", suffix=".log")
    os.close(fd)
    try:
        argv = [sys.executable, __file__, "--_child", tool, str(path), "1" if binary else "0",
                other_build, str(cpus)]
        info = common.run_child(argv, log_path)
        result = common.last_json_line(Path(log_path).read_text(errors="replace"))
        if info["returncode"] != 0 or result is None:
            raise RuntimeError(f"{tool} load of {path} failed: {common.log_tail(log_path)}")
    finally:
        os.unlink(log_path)
    result["other_cpu_cores"] = info.get("other_cpu_cores")
    return result


def summarise(results: dict, sizes: dict, matrix_bytes: int) -> list:
    """Table rows: format, tool, median seconds, GB/s, peak RSS, what loading added to
    the RSS of the imports, that addition over the matrix's size, and the same once
    ``key_to_index`` has been used (runs of earlier versions of this script lack it)."""
    rows = []
    for fmt, by_tool in results.items():
        for tool, runs in by_tool.items():
            secs = common.median([r["seconds"] for r in runs])
            rss = common.median([r["peak_rss_kib"] * 1024 for r in runs])
            added = common.median([(r["peak_rss_kib"] - r["rss_before_kib"]) * 1024
                                   for r in runs])
            indexed = [(r["peak_rss_indexed_kib"] - r["rss_before_kib"]) * 1024
                       for r in runs if "peak_rss_indexed_kib" in r]
            rows.append([fmt, tool, f"{secs:.2f}", f"{sizes[fmt] / secs / 1e9:.2f}",
                         f"{rss / 2**30:.2f}", f"{added / 2**30:.2f}",
                         f"{added / matrix_bytes:.3f}",
                         f"{common.median(indexed) / matrix_bytes:.3f}" if indexed else "—"])
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=500_000)
    p.add_argument("--dims", type=int, default=300)
    p.add_argument("--formats", default="binary,text", help="comma list of binary,text")
    p.add_argument("--tools", default="fastw2v,gensim")
    p.add_argument("--cpus", type=int, default=0,
                   help="pin each load to this many CPUs (0: all usable; 1: one text thread)")
    p.add_argument("--other-build", default="",
                   help="a checkout with fastw2v built in place: the fastw2v-other tool")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "fastw2v_bench_load"),
                   help="where the files are written (kept for later runs)")
    p.add_argument("--markdown", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    formats = common.parse_list(args.formats, choices=FORMATS, what="format")
    tools = common.parse_list(args.tools, choices=TOOLS, what="tool")
    if "fastw2v-other" in tools and not (Path(args.other_build) / "fastw2v").is_dir():
        p.error("the fastw2v-other tool needs --other-build, a checkout with fastw2v built "
                "in place")
    paths = write_files(Path(args.dir), args.rows, args.dims, formats)
    sizes = {f: paths[f].stat().st_size for f in formats}
    matrix_bytes = 4 * args.rows * args.dims
    results = {f: {t: [] for t in tools} for f in formats}
    for f in formats:
        warm(paths[f])
        for r in range(args.repeats):
            # each round starts with the next tool: the load right after another tool's
            # (gensim's frees its memory; the next process touches fresh pages) ran
            # slower, so no tool keeps that place
            for t in tools[r % len(tools):] + tools[:r % len(tools)]:
                res = run_one(t, paths[f], f == "binary", args.other_build, args.cpus)
                if (res["rows"], res["indexed"], res["dims"]) != (args.rows, args.rows, args.dims):
                    raise RuntimeError(f"{t} read {res['rows']} x {res['dims']}")
                results[f][t].append(res)
                common.log(f"[{f} {r + 1}/{args.repeats}] {t}: {res['seconds']:.2f} s, "
                           f"peak RSS {res['peak_rss_kib'] / 2**20:.2f} GiB")
    info = common.host_info()
    lines = [f"## Loading word2vec files ({common.now_iso()})", ""]
    lines += common.md_table(["format", "tool", "seconds (median)", "GB/s of file",
                              "peak RSS GiB", "added by loading, GiB", "added / matrix",
                              "with the index: added / matrix"],
                             summarise(results, sizes, matrix_bytes), align="llrrrrrr")
    lines += ["", f"- Files: {args.rows:,} x {args.dims} float32 "
                  f"(matrix {matrix_bytes / 2**20:.0f} MiB); "
              + ", ".join(f"{f} {sizes[f] / 1e6:.0f} MB" for f in formats)
              + "; read once before timing (page cache).",
              f"- Each load in a fresh process, tools alternating (each round starting with "
              f"the next tool), {args.repeats} repeats; "
              "'added by loading' is the peak RSS minus the RSS after the imports.",
              f"- Host: {common.host_line(info)}",
              *([f"- fastw2v-other: the build in `{args.other_build}`"]
                if "fastw2v-other" in tools else []),
              *([f"- Each load pinned to {args.cpus} CPU(s)"] if args.cpus else []),
              f"- Command: `{common.command_line()}`"]
    text = "\n".join(lines)
    common.write_outputs(text, args.markdown, args.json,
                         {"args": vars(args), "host": info, "sizes": sizes, "results": results})
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--_child"]:
        print(json.dumps(child(sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5],
                               int(sys.argv[6]))))
        sys.exit(0)
    sys.exit(main())
