"""How much faster does fastw2v learn and apply phrases than gensim, at what memory?

Each tool runs in a fresh child process on the same plain-text corpus (decompressed
once): learn a ``Phrases`` model (gensim's defaults unless told otherwise), freeze it,
then apply it to the whole corpus and write the result to a file (fastw2v:
``transform_file``; gensim: ``frozen[LineSentence]`` joined back into lines). Both read
whole lines as sentences (gensim's ``LineSentence`` with no length cut), so both give
the same file, which the report checks by its SHA-256. Peak memory is each child's
peak resident set.

    python benchmarks/bench_phrases.py                       # wiki17m, if present
    python benchmarks/bench_phrases.py --corpus sample --connector-words english
    python benchmarks/bench_phrases.py --markdown results/phrases.md --json results/phrases.json

The machine's other load is reported beside each child (in cores): timings taken while
other processes ran are suspect.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

WIKI17M = common.REPO_ROOT.parent / "shared" / "data" / "wiki17m.txt.xz"
TOOLS = ("fastw2v", "gensim")


def _digest(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _clock() -> tuple:
    """(wall, CPU) seconds: on a busy machine the CPU time is the steadier measure."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_utime + usage.ru_stime


def child(job: dict) -> dict:
    """One tool: learn, freeze, apply; timings and the output's digest."""
    params = dict(job["params"])
    if params.pop("english", False):
        params["connector_words"] = "english"
    corpus, output = job["corpus"], job["output"]
    if job["tool"] == "fastw2v":
        common.import_fastw2v()
        import fastw2v as lib
        if params.get("connector_words") == "english":
            params["connector_words"] = lib.ENGLISH_CONNECTOR_WORDS
        t0 = _clock()
        model = lib.Phrases(corpus_file=corpus, **params)
        t1 = _clock()
        frozen = model.freeze()
        t2 = _clock()
        frozen.transform_file(corpus, output)
        t3 = _clock()
    else:
        from gensim.models import phrases as lib
        from gensim.models.word2vec import LineSentence
        if params.get("connector_words") == "english":
            params["connector_words"] = lib.ENGLISH_CONNECTOR_WORDS
        sentences = LineSentence(corpus, max_sentence_length=1 << 62)
        t0 = _clock()
        model = lib.Phrases(sentences, **params)
        t1 = _clock()
        frozen = model.freeze()
        t2 = _clock()
        with open(output, "w", encoding="utf-8") as fh:
            for sentence in frozen[sentences]:
                fh.write(" ".join(sentence) + "\n")
        t3 = _clock()
    out = {"tool": job["tool"], "vocab": len(model.vocab),
            "phrases": len(frozen.phrasegrams), "output_sha256": _digest(output),
            "peak_rss_kib": common.self_peak_rss_kib()}
    for phase, (a, b) in {"learn": (t0, t1), "freeze": (t1, t2), "apply": (t2, t3),
                          "total": (t0, t3)}.items():
        out[f"{phase}_seconds"] = b[0] - a[0]
        out[f"{phase}_cpu_seconds"] = b[1] - a[1]
    return out


def run_tool(tool: str, corpus: Path, params: dict, tmpdir: str, timeout: float) -> dict:
    output = Path(tmpdir) / f"out_{tool}.txt"
    job = {"tool": tool, "corpus": str(corpus), "output": str(output), "params": params}
    log_path = Path(tmpdir) / f"{tool}.log"
    common.log(f"{tool}: learn, freeze, apply on {corpus.name}")
    status = common.run_child([sys.executable, __file__, "--_child", json.dumps(job)],
                              log_path, timeout=timeout)
    result = common.last_json_line(log_path.read_text(errors="replace"))
    if status["timed_out"]:
        result = {"error": f"timed out after {timeout:.0f} s"}
    elif status["returncode"] != 0 or result is None:
        result = {"error": f"exited with {status['returncode']}: {common.log_tail(log_path)}"}
    result["child"] = status
    output.unlink(missing_ok=True)
    if "error" not in result:
        common.log(f"{tool}: learn {result['learn_seconds']:.2f} s, freeze "
                   f"{result['freeze_seconds']:.2f} s, apply {result['apply_seconds']:.2f} s, "
                   f"peak {result['peak_rss_kib'] / 1024:.0f} MiB")
    return result


def report(results: dict, corpus_name: str, words: int, params: dict, host: dict) -> str:
    fw, gs = results.get("fastw2v", {}), results.get("gensim", {})
    rows = []
    for tool in TOOLS:
        r = results.get(tool)
        if r is None:
            continue
        if "error" in r:
            rows.append([tool, r["error"], "", "", "", "", ""])
            continue
        rows.append([tool] + [common.fmt_float(r[k], 2) for k in
                              ("learn_seconds", "freeze_seconds", "apply_seconds",
                               "total_seconds")]
                    + [f"{r['peak_rss_kib'] / 1024:,.0f}",
                       common.fmt_float(r["child"].get("other_cpu_cores"), 2)])
    if "error" not in fw and "error" not in gs and fw and gs:
        rows.append(["speed-up"] + [common.fmt_ratio(common.ratio(gs[k], fw[k]), 1) for k in
                                    ("learn_seconds", "freeze_seconds", "apply_seconds",
                                     "total_seconds")]
                    + [common.fmt_ratio(common.ratio(fw["peak_rss_kib"], gs["peak_rss_kib"]))
                       + " of gensim's", ""])
        rows[-1][0] = "speed-up, wall time"
    if "error" not in fw and "error" not in gs and fw and gs:
        rows.append(["speed-up, CPU time"] + [
            common.fmt_ratio(common.ratio(gs[k], fw[k]), 1) for k in
            ("learn_cpu_seconds", "freeze_cpu_seconds", "apply_cpu_seconds",
             "total_cpu_seconds")] + ["", ""])
    lines = [f"# Phrases: fastw2v against gensim on {corpus_name}", "",
             f"{words:,} words; Phrases({', '.join(f'{k}={v!r}' for k, v in params.items())})"
             " learnt, frozen, then applied to the whole corpus and written to a file; wall "
             "seconds (each tool single-threaded), the CPU-time ratios below them.", ""]
    lines += common.md_table(["tool", "learn s", "freeze s", "apply s", "total s",
                              "peak MiB", "other load (cores)"], rows, "lrrrrrr")
    if fw.get("output_sha256") and gs.get("output_sha256"):
        same = fw["output_sha256"] == gs["output_sha256"]
        lines += ["", f"Same output file: {'yes' if same else 'NO'}; same phrases: "
                  f"{'yes' if fw['phrases'] == gs['phrases'] else 'NO'} "
                  f"({fw['phrases']:,}); vocabulary entries: {fw['vocab']:,} / {gs['vocab']:,}."]
    versions = common.package_versions(["gensim"])
    lines += ["", f"Host: {common.host_line(host)}.", f"gensim {versions['gensim']}; "
              f"{common.now_iso()}.", "", f"Command: `{common.command_line()}`"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(WIKI17M) if WIKI17M.exists() else "sample",
                        help="corpus file (plain or compressed), or 'sample' (default: "
                        "wiki17m if present)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma list of tools")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=10.0)
    parser.add_argument("--scoring", choices=("default", "npmi"), default="default")
    parser.add_argument("--connector-words", choices=("none", "english"), default="none")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per child")
    parser.add_argument("--markdown", help="write the report here")
    parser.add_argument("--json", help="write the numbers here")
    args = parser.parse_args(argv)
    tools = common.parse_list(args.tools, choices=TOOLS, what="tool")
    source = common.sample_corpus() if args.corpus == "sample" else args.corpus
    params = {"min_count": args.min_count, "threshold": args.threshold,
              "scoring": args.scoring}
    if args.connector_words == "english":
        params["connector_words"] = "english"
    host = common.host_info(simd=False)
    with tempfile.TemporaryDirectory(prefix="bench_phrases_") as tmpdir:
        corpus = common.plain_corpus(source, tmpdir)
        words = common.count_corpus(corpus)[0]
        results = {tool: run_tool(tool, corpus, params, tmpdir, args.timeout) for tool in tools}
    text = report(results, Path(source).name, words, params, host)
    common.write_outputs(text, args.markdown, args.json,
                         {"host": host, "corpus": str(source), "words": words,
                          "params": params, "results": results,
                          "command": common.command_line()})
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--_child"]:
        print(json.dumps(child(json.loads(sys.argv[2]))), flush=True)
        sys.exit(0)
    sys.exit(main())
