#!/usr/bin/env python
"""Weight layout: rows on cache-line boundaries (fastw2v's) against plain C-contiguous rows.

fastw2v keeps its weight matrices as views of a buffer whose rows start every 64 bytes
(``fastw2v/kernels/layout.py``). This benchmark trains two models per mode and vector
size on the same corpus, round after round in one process (so a slow minute hits both
alike): one in that layout, one whose matrices were replaced by plain C-contiguous
copies (NumPy's and gensim's layout, rows ``4 * vector_size`` bytes apart from wherever
the allocator put the first), and reports the median words/s of each and their ratio.

Usage::

    python benchmarks/bench_layout.py --corpus wiki3m.txt --workers 1 \\
        --modes sg-ns,cbow-ns,sg-hs,cbow-hs --vector-sizes 100,300 --repeats 3
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

LAYOUTS = ("padded", "contiguous")


def to_contiguous(model) -> int:
    """Replace the model's matrices by plain C-contiguous copies; the first row's
    address modulo 64."""
    model.wv.vectors = np.array(model.wv.vectors, order="C")
    for name in ("syn1", "syn1neg"):
        if getattr(model, name) is not None:
            setattr(model, name, np.array(getattr(model, name), order="C"))
    return int(model.wv.vectors.ctypes.data % 64)


def run(args) -> dict:
    from fastw2v.kernels import layout
    results = {"date": common.now_iso(), "machine": common.host_info(),
               "settings": vars(args).copy(), "runs": [], "contiguous_offsets": []}
    keep = layout.trainable
    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(common.plain_corpus(args.corpus, tmp))
        for d in args.vector_sizes:
            for mode in args.modes:
                kw = dict(vector_size=d, window=5, min_count=5, seed=1, workers=args.workers,
                          epochs=1, **common.mode_params(mode))
                models = {name: common.new_model("fastw2v", **kw) for name in LAYOUTS}
                for m in models.values():
                    common.build_vocab(m, corpus, encode=True)
                results["contiguous_offsets"].append(to_contiguous(models["contiguous"]))
                for rep in range(args.repeats):
                    for name, m in models.items():
                        # the trainer moves matrices into the padded layout: not this one
                        layout.trainable = keep if name == "padded" else (lambda a: a)
                        try:
                            secs, _ = common.train(m, corpus, 1)
                        finally:
                            layout.trainable = keep
                        wps = m.corpus_total_words / secs
                        results["runs"].append({"mode": mode, "vector_size": d, "layout": name,
                                                "repeat": rep, "words_per_second": wps,
                                                "row_stride": m.wv.vectors.strides[0] // 4})
                        common.log(f"{mode} d={d} {name} round {rep + 1}: {wps / 1e3:,.0f}k "
                                   "words/s", "layout")
    return results


def summary(results: dict) -> list:
    rows = []
    s = results["settings"]
    for d in s["vector_sizes"]:
        for mode in s["modes"]:
            med, stride = {}, {}
            for name in LAYOUTS:
                runs = [r for r in results["runs"]
                        if r["mode"] == mode and r["vector_size"] == d and r["layout"] == name]
                med[name] = common.median([r["words_per_second"] for r in runs])
                stride[name] = runs[0]["row_stride"] if runs else None
            rows.append({"mode": mode, "vector_size": d, "padded": med["padded"],
                         "contiguous": med["contiguous"], "stride": stride["padded"],
                         "ratio": common.ratio(med["padded"], med["contiguous"])})
    return rows


def markdown(results: dict, rows: list) -> str:
    s, m = results["settings"], results["machine"]
    table = [[r["mode"], r["vector_size"], r["stride"], common.fmt_rate(r["padded"]),
              common.fmt_rate(r["contiguous"]), common.fmt_ratio(r["ratio"])] for r in rows]
    offsets = sorted(set(results["contiguous_offsets"]))
    out = [f"## Weight layout: padded rows against contiguous rows ({results['date']})", ""]
    out += common.md_table(["mode", "vector_size", "padded row stride (floats)",
                            "padded words/s", "contiguous words/s", "padded / contiguous"],
                           table, "lrrrrr")
    out += ["", f"- Machine: {common.host_line(m)}.",
            f"- Corpus `{s['corpus']}`, 1 epoch per round, {s['workers']} worker(s); median "
            f"of {s['repeats']} rounds, the two layouts alternating.",
            f"- The contiguous copies' first rows sat at {offsets} bytes past a 64-byte "
            "boundary.", f"- Command: `{common.command_line()}`"]
    return "\n".join(out) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    p.add_argument("--vector-sizes", default="100,300")
    p.add_argument("--markdown", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    try:
        args.modes = common.parse_list(args.modes, choices=common.MODES, what="mode")
        args.vector_sizes = common.parse_list(args.vector_sizes, kind=int, what="vector size")
    except ValueError as exc:
        p.error(str(exc))
    if args.workers < 1 or args.repeats < 1 or min(args.vector_sizes, default=0) < 1:
        p.error("--workers, --repeats and every vector size must be >= 1")
    if not Path(args.corpus).is_file():
        p.error(f"corpus {args.corpus!r} is not a file")
    return args


def main(argv=None) -> int:
    common.run_and_report(parse_args(argv), run, summary, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
