#!/usr/bin/env python
"""Hot-row settings at N workers: which rows to keep in per-thread copies.

One N-worker model per mode trains under each setting of the trainer's hot rows, round
after round in one process (so a slow minute hits all settings alike), next to a
1-worker model; the report gives the median words/s and the speed-up over one worker,
and with ``--analogies`` each setting's analogy score (a setting that diverges is fast
and useless). A setting is ``name=nodes,outputs,words,merge_total``: the Huffman nodes
nearest the root, the most frequent words' output rows and input rows kept in copies,
and the trained centre words between merges summed over the workers (see
``fastw2v.training.trainer``). ``--uniform`` adds a model with ``ns_exponent=0`` under
the first setting: negatives spread over the whole vocabulary show what the frequent
noise words' rows cost.

Usage (N workers train N epochs when ``--epochs`` is left at the worker count)::

    python benchmarks/bench_hot_rows.py --corpus wiki3m.txt.xz --workers 16 \\
        --modes sg-ns,cbow-ns --setting nodes=511,0,0,2000 \\
        --setting out256=511,256,0,2000 --analogies fastw2v/data/questions-words.txt
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

FIELDS = ("HOT_NODES", "HOT_OUTPUTS", "HOT_WORDS", "HOT_MERGE_TOTAL")


def parse_setting(text: str) -> tuple:
    """``name=nodes,outputs,words,merge_total`` -> (name, {trainer constant: value})."""
    name, sep, values = text.partition("=")
    parts = values.split(",")
    if not sep or not name or len(parts) != 4:
        raise ValueError(f"a setting is name=nodes,outputs,words,merge_total, got {text!r}")
    numbers = [int(p) for p in parts]
    if min(numbers) < 0 or numbers[3] < 1:
        raise ValueError(f"setting {text!r}: counts must be >= 0 and merge_total >= 1")
    return name, dict(zip(FIELDS, numbers))


def apply(setting: dict) -> None:
    from fastw2v.training import trainer
    for key, value in setting.items():
        setattr(trainer, key, value)


def run(args) -> dict:
    results = {"date": common.now_iso(), "machine": common.host_info(),
               "settings": {k: v for k, v in vars(args).items() if k != "setting"},
               "hot_settings": dict(args.setting), "runs": []}
    first = next(iter(args.setting.values()))
    from fastw2v.training import trainer
    saved = {k: getattr(trainer, k)
             for k in FIELDS + ("HOT_FRACTION", "HOT_OUTPUTS_MIN_WORKERS")}
    trainer.HOT_OUTPUTS_MIN_WORKERS = 1        # a setting's outputs at any worker count
    if args.fraction:
        trainer.HOT_FRACTION = args.fraction
    results["settings"]["fraction"] = trainer.HOT_FRACTION
    try:
        run_modes(args, results, first)
    finally:
        apply(saved)
    return results


def run_modes(args, results: dict, first: dict) -> None:
    """Every mode's rounds, appended to ``results["runs"]``."""

    def record(corpus, mode, name, model, epochs, rep):
        secs, _ = common.train(model, corpus, epochs, count_sentences=True)
        run = {"mode": mode, "setting": name, "repeat": rep,
               "words_per_second": model.corpus_total_words * epochs / secs}
        if args.analogies:
            run["analogy"] = model.wv.evaluate_word_analogies(args.analogies,
                                                              restrict_vocab=30000)[0]
        results["runs"].append(run)
        common.log(f"{mode} {name} round {rep + 1}: {run['words_per_second'] / 1e3:,.0f}k "
                   "words/s" + (f", analogy {run['analogy']:.3f}" if args.analogies else ""),
                   "hot-rows")

    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(common.plain_corpus(args.corpus, tmp))
        for mode in args.modes:
            kw = dict(vector_size=args.vector_size, window=5, min_count=5, seed=1,
                      **common.MODES[mode])
            models = {"1 worker": common.new_model("fastw2v", workers=1, epochs=1, **kw),
                      "many": common.new_model("fastw2v", workers=args.workers,
                                               epochs=args.epochs, **kw)}
            if args.uniform:
                models["uniform"] = common.new_model("fastw2v", workers=args.workers,
                                                     epochs=args.epochs, ns_exponent=0.0, **kw)
            for m in models.values():
                common.build_vocab(m, corpus, encode=True)
            for rep in range(args.repeats):
                record(corpus, mode, "1 worker", models["1 worker"], 1, rep)
                for name, setting in args.setting.items():
                    apply(setting)
                    record(corpus, mode, name, models["many"], args.epochs, rep)
                if args.uniform:
                    apply(first)
                    record(corpus, mode, "uniform noise", models["uniform"], args.epochs, rep)


def summary(results: dict) -> list:
    rows = []
    for mode in results["settings"]["modes"]:
        names = list(dict.fromkeys(r["setting"] for r in results["runs"] if r["mode"] == mode))
        med = {}
        for name in names:
            runs = [r for r in results["runs"] if r["mode"] == mode and r["setting"] == name]
            med[name] = common.median([r["words_per_second"] for r in runs])
            scores = [r["analogy"] for r in runs if "analogy" in r]
            rows.append({"mode": mode, "setting": name, "words_per_second": med[name],
                         "speedup": common.ratio(med[name], med.get("1 worker")),
                         "analogy": common.median(scores) if scores else None})
    return rows


def markdown(results: dict, rows: list) -> str:
    s, m = results["settings"], results["machine"]
    table = [[r["mode"], r["setting"], common.fmt_rate(r["words_per_second"]),
              common.fmt_ratio(r["speedup"]), common.fmt_float(r["analogy"], 3)] for r in rows]
    out = [f"## Hot-row settings at {s['workers']} workers ({results['date']})", ""]
    out += common.md_table(["mode", "setting", "words/s", "speed-up vs 1 worker", "analogy"],
                           table, "llrrr")
    hot = ", ".join(f"{k} = {v['HOT_NODES']} nodes, {v['HOT_OUTPUTS']} outputs, "
                    f"{v['HOT_WORDS']} words, merge every {v['HOT_MERGE_TOTAL']} / workers"
                    for k, v in results["hot_settings"].items())
    out += ["", f"- Machine: {m['cpu_model'] or 'unknown CPU'}, {m['nproc']} CPUs.",
            f"- Corpus `{s['corpus']}`, {s['epochs']} epochs at {s['workers']} workers (1 for "
            f"the 1-worker model), vector_size={s['vector_size']}; median of {s['repeats']} "
            "rounds.", f"- Settings: {hot}; each kind capped at V / {s['fraction']} rows.",
            f"- Command: `{common.command_line()}`"]
    return "\n".join(out) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=None, help="default: the worker count")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--modes", default="sg-ns,cbow-ns")
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--setting", action="append", default=[],
                   help="name=nodes,outputs,words,merge_total (repeatable)")
    p.add_argument("--fraction", type=int, default=None,
                   help="copy at most 1/N of the vocabulary's rows of each kind (the "
                        "trainer's HOT_FRACTION, 64 by default); lower it to try more rows "
                        "than V/64 on a small corpus")
    p.add_argument("--uniform", action="store_true")
    p.add_argument("--analogies", default=None)
    p.add_argument("--markdown", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    try:
        args.modes = common.parse_list(args.modes, choices=common.MODES, what="mode")
        args.setting = dict(parse_setting(t) for t in args.setting or ["default=511,256,0,2000"])
    except ValueError as exc:
        p.error(str(exc))
    if args.fraction is not None and args.fraction < 1:
        p.error("--fraction must be >= 1")
    if args.workers < 2:
        p.error("--workers must be at least 2 (one worker keeps no copies)")
    args.epochs = args.epochs or args.workers
    if not Path(args.corpus).is_file():
        p.error(f"corpus {args.corpus!r} is not a file")
    if args.analogies and not Path(args.analogies).is_file():
        p.error(f"analogy file {args.analogies!r} is not a file")
    return args


def main(argv=None) -> int:
    common.run_and_report(parse_args(argv), run, summary, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
