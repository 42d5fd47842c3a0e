#!/usr/bin/env python
"""Training-speed, memory and quality benchmark: fastw2v against gensim, the C tool and fastText.

Every (mode, tool) training runs in its own child process, one at a time, so that the
peak resident memory of that one training can be measured and no two trainings ever
compete for the CPU. The child reports its training time and writes the learned vectors
to a scratch directory; the parent then scores all tools' vectors with the same neutral
referee (gensim's ``KeyedVectors`` evaluators).

Usage::

    python benchmarks/bench_train.py --corpus ../shared/data/wiki17m.txt.xz \\
        --modes sg-ns,cbow-ns,sg-hs,cbow-hs \\
        --tools fastw2v,gensim-iter,gensim-file,ctool,fasttext \\
        --workers 2 --epochs 5 --markdown bench.md --json bench.json

With ``--seeds 1,2,3`` every (mode, tool) trains once per seed and the quality columns
are means over the seeds (± their standard deviation); a single run's analogy score moves
by about .006 and its Spearman by about .015 between seeds, more than the differences
between the libraries. A last table gives fastw2v's mean minus each gensim mode's mean.

Tools
-----
fastw2v      ``fastw2v.Word2Vec``: build_vocab(corpus_file=...), then a timed train(corpus_file=...).
fastw2v-iter fastw2v fed by its ``LineSentence`` (iterable mode); also reports how much of a
             core the calling thread spent reading the iterable and converting it to ids.
fastw2v-shared  fastw2v with the opt-in ``shared_negatives=True`` (skip-gram modes only; CBOW skipped).
fastw2v-repro   fastw2v with ``reproducible=True`` (bit-identical threaded training).
gensim-iter  gensim 4 ``Word2Vec`` fed by ``LineSentence`` (build_vocab, then a timed train).
gensim-file  gensim 4 ``Word2Vec`` in corpus_file mode (build_vocab, then a timed train).
ctool        Mikolov's ``word2vec`` command (as built by the PyPI ``word2vec`` package); the whole
             command is timed, so its time includes its own vocabulary pass.
fasttext     ``fasttext.train_unsupervised`` with minn=maxn=0, wordNgrams=1 (plain word2vec);
             the whole call is timed, so its time includes its own vocabulary pass.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import fmt_float, fmt_rate, md_escape  # noqa: E402

ALL_TOOLS = ("fastw2v", "fastw2v-iter", "fastw2v-shared", "fastw2v-repro", "gensim-iter",
             "gensim-file", "ctool", "fasttext")
#: The noise distribution's exponent: gensim's default and the C tool's built-in one
#: (fastText's is 0.5, built in). ``--ns-exponent`` sets it for fastw2v and gensim only.
NS_EXPONENT = 0.75
PY_TOOLS = ("fastw2v", "fastw2v-iter", "fastw2v-shared", "fastw2v-repro", "gensim-iter",
            "gensim-file")
ALL_MODES = common.ALL_MODES

CHILD_ENV = None  # environment for the training children (set in main)
EVAL_FILES = {
    "analogy": "questions-words.txt",
    "ws353": "wordsim353.tsv",
    "simlex": "simlex999.txt",
}
DEFAULT_EVAL_DIRS = (common.REPO_ROOT / "fastw2v" / "data", Path("/work/shared/data/eval"))
ANALOGY_RESTRICT_VOCAB = 30000
OTHER_LOAD_WARN = 0.25  # cores used by other processes during a run before it is flagged
log = common.log


# ----------------------------------------------------------------------------------
# Child side: one training per process
# ----------------------------------------------------------------------------------

def _save_vectors(outdir: Path, words, vectors) -> None:
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(words) != vectors.shape[0]:
        raise RuntimeError(f"{len(words)} words but {vectors.shape[0]} vector rows")
    np.save(outdir / "vectors.npy", vectors)
    with open(outdir / "words.txt", "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(words))
        f.write("\n")


def _is_non_increasing(counts) -> bool:
    return all(counts[i] >= counts[i + 1] for i in range(len(counts) - 1))


def _worker_two_step(job: dict, result: dict, words_vectors: list) -> None:
    """fastw2v / gensim-file / gensim-iter: untimed build_vocab, then a timed train()."""
    tool = job["tool"]
    lib = common.library(tool)
    params = dict(
        vector_size=job["vector_size"], window=job["window"], min_count=job["min_count"],
        sample=job["sample"], sg=job["sg"], hs=job["hs"], negative=job["negative"],
        workers=job["workers"], epochs=job["epochs"], seed=job["seed"],
        ns_exponent=job["ns_exponent"],
    )
    if tool == "fastw2v-shared":
        params["shared_negatives"] = True
    if tool == "fastw2v-repro":
        params["reproducible"] = True
    if lib == "fastw2v":
        params["progress"] = False
        mod = common.import_fastw2v()
        result["module_file"] = getattr(mod, "__file__", None)
        result["tool_version"] = getattr(mod, "__version__", None)
    else:
        import gensim
        result["tool_version"] = gensim.__version__

    model = common.new_model(lib, **params)
    result["alpha"] = getattr(model, "alpha", None)
    result["ns_exponent"] = getattr(model, "ns_exponent", None)

    # gensim's LineSentence (default max_sentence_length=10000) does NOT truncate long
    # lines: it yields every line in consecutive pieces of at most 10,000 words, so all
    # words of the corpus are trained (each piece also fits gensim's 10,000-word
    # per-job limit, beyond which the Cython kernel would silently drop words).
    # Context windows do not straddle the piece boundaries, a negligible effect.
    iterable = tool in ("fastw2v-iter", "gensim-iter")
    corpus = common.line_sentences(lib, job["corpus"]) if iterable else job["corpus"]
    result["vocab_seconds"] = common.build_vocab(model, corpus)
    c0 = time.thread_time()
    result["train_seconds"], trained = common.train(model, corpus, model.epochs)
    if tool == "fastw2v-iter":
        # the calling thread reads the file, splits lines and converts tokens to ids
        result["producer_cores"] = (time.thread_time() - c0) / result["train_seconds"]
    result["peak_rss_kib"] = common.self_peak_rss_kib()
    result["rss_source"] = "VmHWM of the Python child (whole process, its own memory only)"

    result["tool_corpus_words"] = getattr(model, "corpus_total_words", None)
    if isinstance(trained, tuple) and len(trained) == 2:
        result["tool_effective_words"], result["tool_raw_words"] = (int(x) for x in trained)

    wv = model.wv
    words = list(wv.index_to_key)
    try:
        counts = [int(wv.get_vecattr(w, "count")) for w in words]
        result["frequency_sorted"] = _is_non_increasing(counts)
    except Exception as exc:  # the API may not expose counts
        result["frequency_sorted"] = None
        result.setdefault("notes", []).append(f"no word counts: {type(exc).__name__}")
    words_vectors[:] = [words, wv.vectors]


def _worker_ctool(job: dict, result: dict, words_vectors: list, outdir: Path) -> None:
    """Mikolov's word2vec command, run as a grandchild so that wait4 gives its rusage."""
    out_bin = outdir / "ctool_vectors.bin"
    cmd = [
        job["ctool_bin"], "-train", job["corpus"], "-output", str(out_bin),
        "-size", str(job["vector_size"]), "-window", str(job["window"]),
        "-sample", repr(float(job["sample"])), "-hs", str(job["hs"]),
        "-negative", str(job["negative"]), "-threads", str(job["workers"]),
        "-iter", str(job["epochs"]), "-min-count", str(job["min_count"]),
        "-cbow", "0" if job["sg"] else "1", "-binary", "1",
    ]  # no -alpha: the tool's own default (0.025 skip-gram, 0.05 CBOW)
    result["command"] = shlex.join(cmd)
    result["alpha"] = 0.025 if job["sg"] else 0.05
    ctool_log = outdir / "ctool.log"
    # in this child's process group, so that the parent's kill on a timeout reaches it
    run = common.run_child(cmd, ctool_log, new_session=False)
    result["train_seconds"] = run["wall_seconds"]
    result["peak_rss_kib"] = run["peak_rss_kib"]
    result["rss_source"] = "os.wait4 rusage of the word2vec process"
    if run["returncode"] != 0:
        raise RuntimeError(f"word2vec exited with {run['returncode']}: {common.log_tail(ctool_log, 3)}")
    text = ctool_log.read_bytes().decode("utf-8", "replace")
    m = re.search(r"Words in train file:\s*(\d+)", text)
    if m:  # the C tool counts only in-vocabulary words (and one </s> per line) here
        result["ctool_train_words_in_vocab"] = int(m.group(1))
    m = re.search(r"Vocab size:\s*(\d+)", text)
    if m:
        result["tool_vocab_size_incl_eos"] = int(m.group(1))

    if job["save_vectors"]:
        from gensim.models import KeyedVectors
        kv = KeyedVectors.load_word2vec_format(str(out_bin), binary=True)
        words = list(kv.index_to_key)
        vectors = kv.vectors
        # The C tool keeps its sentence-end token "</s>" in row 0; it is not a word.
        if "</s>" in kv.key_to_index:
            keep = [i for i, w in enumerate(words) if w != "</s>"]
            words = [words[i] for i in keep]
            vectors = vectors[keep]
            result.setdefault("notes", []).append("dropped </s>")
        # The C tool sorts its vocabulary by count (after </s>) but does not export counts.
        result["frequency_sorted"] = None
        words_vectors[:] = [words, vectors]
    out_bin.unlink(missing_ok=True)


def _worker_fasttext(job: dict, result: dict, words_vectors: list) -> None:
    import fasttext

    result["tool_version"] = getattr(fasttext, "__version__", None)
    kwargs = dict(
        model="skipgram" if job["sg"] else "cbow", dim=job["vector_size"], ws=job["window"],
        minCount=job["min_count"], t=job["sample"], epoch=job["epochs"], thread=job["workers"],
        minn=0, maxn=0, wordNgrams=1, loss="hs" if job["hs"] else "ns",
    )  # no lr: fastText's own default (0.05)
    if not job["hs"]:
        kwargs["neg"] = job["negative"]
    result["fasttext_kwargs"] = kwargs
    result["alpha"] = 0.05
    t0 = time.perf_counter()
    model = fasttext.train_unsupervised(job["corpus"], **kwargs)
    result["train_seconds"] = time.perf_counter() - t0
    result["peak_rss_kib"] = common.self_peak_rss_kib()
    result["rss_source"] = "VmHWM of the Python child (whole process, its own memory only)"

    if job["save_vectors"]:
        import numpy as np

        words, freqs = model.get_words(include_freq=True)
        words = list(words)
        freqs = [int(x) for x in freqs]
        matrix = np.asarray(model.get_input_matrix(), dtype=np.float32)
        # With minn=maxn=0 and wordNgrams=1 fastText has no subword buckets: row i of the
        # input matrix is the vector of get_words()[i]. Check it on a few words anyway.
        result["input_matrix_rows"] = int(matrix.shape[0])
        vectors = matrix[: len(words)]
        probe = sorted({0, 1, len(words) // 2, len(words) - 1} & set(range(len(words))))
        ok = all(np.allclose(model.get_word_vector(words[i]), vectors[i], atol=1e-6) for i in probe)
        result["input_matrix_matches_words"] = bool(ok)
        if not ok:  # fall back to the per-word lookup
            vectors = np.stack([model.get_word_vector(w) for w in words])
        # fastText counts its end-of-line token "</s>" as a word; drop it.
        keep = [i for i, w in enumerate(words) if w != "</s>"]
        if len(keep) != len(words):
            result.setdefault("notes", []).append("dropped </s>")
        words = [words[i] for i in keep]
        freqs = [freqs[i] for i in keep]
        vectors = vectors[keep]
        result["frequency_sorted"] = _is_non_increasing(freqs)
        if not result["frequency_sorted"]:
            order = sorted(range(len(words)), key=lambda i: -freqs[i])
            words = [words[i] for i in order]
            vectors = vectors[order]
            result.setdefault("notes", []).append("re-sorted by frequency")
        words_vectors[:] = [words, vectors]


def run_worker(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text())
    outdir = Path(job["outdir"])
    result: dict = {"tool": job["tool"], "mode": job["mode"], "pid": os.getpid()}
    words_vectors: list = []
    try:
        if job["tool"] in PY_TOOLS:
            _worker_two_step(job, result, words_vectors)
        elif job["tool"] == "ctool":
            _worker_ctool(job, result, words_vectors, outdir)
        elif job["tool"] == "fasttext":
            _worker_fasttext(job, result, words_vectors)
        else:
            raise ValueError(f"unknown tool {job['tool']!r}")
        if job["save_vectors"] and words_vectors:
            words, vectors = words_vectors
            result["vocab_size"] = len(words)
            _save_vectors(outdir, words, vectors)
        elif words_vectors:
            result["vocab_size"] = len(words_vectors[0])
        result["ok"] = True
    except BaseException as exc:  # report every failure to the parent
        import traceback

        traceback.print_exc()
        result["ok"] = False
        result["error"] = f"{type(exc).__name__}: {exc}"
    (outdir / "result.json").write_text(json.dumps(result, default=str))
    return 0 if result["ok"] else 1


def run_probe(tool: str) -> int:
    """Check in a throw-away process that a Python tool imports; print a JSON line."""
    info = {"tool": tool, "ok": False}
    try:
        if tool.startswith("fastw2v"):
            mod = common.import_fastw2v()
            getattr(mod, "Word2Vec")
            info["version"] = getattr(mod, "__version__", None)
            info["path"] = getattr(mod, "__file__", None)
            info["simd_variant"] = sys.modules["fastw2v.kernels"].SIMD_VARIANT
        elif tool in ("gensim-iter", "gensim-file"):
            import gensim
            from gensim.models import Word2Vec  # noqa: F401
            info["version"] = gensim.__version__
            info["path"] = gensim.__file__
        elif tool == "fasttext":
            import fasttext
            getattr(fasttext, "train_unsupervised")
            info["path"] = fasttext.__file__
        info["ok"] = True
    except BaseException as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(info))
    return 0


# ----------------------------------------------------------------------------------
# Parent side
# ----------------------------------------------------------------------------------

def find_ctool(explicit: str | None) -> tuple[str | None, str]:
    """Locate Mikolov's word2vec binary; return (path or None, note)."""
    def is_elf(p: Path) -> bool:
        try:
            with open(p, "rb") as f:
                return f.read(4) == b"\x7fELF"
        except OSError:
            return False

    candidates = []
    if explicit:
        candidates.append(Path(explicit))
    candidates.append(Path(sys.executable).parent / "word2vec")
    which = shutil.which("word2vec")
    if which:
        candidates.append(Path(which))
    try:
        import importlib.util

        spec = importlib.util.find_spec("word2vec")
        if spec and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                for sub in ("bin/word2vec", "includes/word2vec", "word2vec"):
                    candidates.append(Path(loc) / sub)
    except Exception:
        pass
    for cand in candidates:
        # the PyPI package could also ship a Python entry point named word2vec: need the ELF
        if cand.is_file() and os.access(cand, os.X_OK) and is_elf(cand):
            return str(cand), f"word2vec binary {cand}"
    if explicit:
        return None, f"--ctool-bin {explicit} is not an executable ELF binary"
    return None, "no word2vec C binary found (PyPI package 'word2vec' not installed?)"


def probe_tools(tools, script: str, ctool_explicit: str | None) -> tuple[dict, dict]:
    """Return ({tool: info}, {tool: skip reason}) for the requested tools."""
    available, skipped = {}, {}
    for tool in tools:
        if tool == "ctool":
            path, note = find_ctool(ctool_explicit)
            if path:
                available[tool] = {"path": path}
            else:
                skipped[tool] = note
            continue
        try:
            proc = subprocess.run([sys.executable, script, "--_probe", tool], capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL, env=CHILD_ENV)
            info = (common.last_json_line(proc.stdout)
                    or {"ok": False, "error": proc.stderr.strip()[-300:]})
        except Exception as exc:
            info = {"ok": False, "error": f"probe failed: {exc}"}
        if info.get("ok"):
            available[tool] = info
        else:
            skipped[tool] = info.get("error") or "import failed"
    return available, skipped


def package_versions() -> dict:
    return {"python": platform.python_version(), **common.package_versions(
        ("fastw2v", "gensim", "numpy", "scipy", "fasttext", "word2vec", "Cython"))}


def resolve_eval_dir(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    for d in DEFAULT_EVAL_DIRS:
        if (d / EVAL_FILES["analogy"]).is_file():
            return d
    return None


def evaluate(outdir: Path, vector_size: int, eval_dir: Path | None) -> dict:
    """Score saved vectors with gensim's evaluators, identically for every tool."""
    import numpy as np
    from gensim.models import KeyedVectors

    words = (outdir / "words.txt").read_text(encoding="utf-8", errors="surrogateescape").split("\n")
    if words and words[-1] == "":
        words.pop()
    vectors = np.load(outdir / "vectors.npy")
    kv = KeyedVectors(vector_size, count=0)
    kv.add_vectors(words, vectors)
    del vectors
    out = {"analogy": None, "ws353": None, "simlex": None}
    if eval_dir is None:
        return out
    path = eval_dir / EVAL_FILES["analogy"]
    if path.is_file():
        try:
            score, _sections = kv.evaluate_word_analogies(str(path), restrict_vocab=ANALOGY_RESTRICT_VOCAB)
            out["analogy"] = float(score)
        except Exception as exc:
            out["analogy_error"] = f"{type(exc).__name__}: {exc}"
    for key in ("ws353", "simlex"):
        path = eval_dir / EVAL_FILES[key]
        if not path.is_file():
            continue
        try:
            pearson, spearman, oov = kv.evaluate_word_pairs(str(path))
            value = float(spearman[0])
            out[key] = None if math.isnan(value) else value
            out[key + "_oov_percent"] = float(oov)
        except Exception as exc:
            out[key + "_error"] = f"{type(exc).__name__}: {exc}"
    return out


def run_child(script: str, job: dict, timeout: float | None) -> dict:
    """Run one training in a fresh process group; return the child's result dict."""
    outdir = Path(job["outdir"])
    outdir.mkdir(parents=True, exist_ok=True)
    job_path = outdir / "job.json"
    job_path.write_text(json.dumps(job))
    child_log = outdir / "worker.log"
    run = common.run_child([sys.executable, script, "--_worker", str(job_path)], child_log,
                           env=CHILD_ENV, timeout=timeout)
    if run["timed_out"]:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    result_path = outdir / "result.json"
    if result_path.is_file():
        result = json.loads(result_path.read_text())
    else:
        result = {"ok": False,
                  "error": f"child exited with {run['returncode']}: {common.log_tail(child_log)}"}
    result["child_wall_seconds"] = run["wall_seconds"]
    result["child_returncode"] = run["returncode"]
    result["child_cpu_seconds"] = run["cpu_seconds"]
    if "other_cpu_cores" in run:
        result["other_cpu_cores"] = run["other_cpu_cores"]
    return result


# ---------------------------- formatting ------------------------------------------

def fmt_score(row: dict, key: str) -> str:
    """A quality score, with its standard deviation over seeds when there is one."""
    sd = row.get(key + "_sd")
    return fmt_float(row.get(key), 3) + (f" ± {sd:.3f}" if sd is not None else "")


def find_row(rows: list, mode: str, tool: str, key: str):
    """The summary row of (mode, tool) if it has a value for ``key``, else None."""
    return next((r for r in rows if r["mode"] == mode and r["tool"] == tool
                 and r.get(key) is not None), None)


def quality_delta_table(rows: list, modes) -> list[str]:
    """fastw2v's quality minus each gensim mode's (means over seeds when several)."""
    def row(mode, tool):
        return find_row(rows, mode, tool, "analogy")

    out = ["| mode | vs | analogy (points) | WS-353 | SimLex | seeds |",
           "|---|---|---:|---:|---:|---:|"]
    for mode in modes:
        mine = row(mode, "fastw2v")
        for other in ("gensim-iter", "gensim-file"):
            theirs = row(mode, other)
            if not (mine and theirs):
                continue
            cells = [f"{100 * (mine['analogy'] - theirs['analogy']):+.2f}"]
            for key in ("ws353", "simlex"):
                both = mine.get(key) is not None and theirs.get(key) is not None
                cells.append(f"{mine[key] - theirs[key]:+.3f}" if both else "—")
            n = min(mine.get("scored_runs", 1), theirs.get("scored_runs", 1))
            out.append(f"| {mode} | {other} | " + " | ".join(cells) + f" | {n} |")
    return out if len(out) > 2 else []


def summarise(runs: list, modes, tools, corpus_words: int, epochs: int) -> list:
    """One summary row per (mode, tool): medians over repeats; quality of the first run, or
    with several seeds the mean over all scored runs (and its standard deviation)."""
    rows = []
    for mode in modes:
        for tool in tools:
            mine = [r for r in runs if r["mode"] == mode and r["tool"] == tool]
            if not mine:
                continue
            good = [r for r in mine if r.get("ok")]
            first = mine[0]
            row = {"mode": mode, "tool": tool, "runs": len(mine), "ok_runs": len(good)}
            if not good:
                row["error"] = first.get("error", "failed")
            else:
                secs = [r["train_seconds"] for r in good]
                row["train_seconds"] = statistics.median(secs)
                row["words_per_second"] = statistics.median(corpus_words * epochs / s for s in secs)
                vocab_secs = [r["vocab_seconds"] for r in good if r.get("vocab_seconds") is not None]
                row["vocab_seconds"] = statistics.median(vocab_secs) if vocab_secs else None
                rss = [r["peak_rss_kib"] for r in good if r.get("peak_rss_kib")]
                row["peak_rss_mib"] = max(rss) / 1024 if rss else None
                q = first if first.get("ok") else good[0]
                row["vocab_size"] = q.get("vocab_size")
                seeds = {r.get("seed") for r in good}
                for key in ("analogy", "ws353", "simlex"):
                    scored = [r[key] for r in good if r.get(key) is not None]
                    if len(seeds) > 1 and scored:
                        row[key] = statistics.fmean(scored)
                        row[key + "_sd"] = statistics.stdev(scored) if len(scored) > 1 else None
                        row["scored_runs"] = len(scored)
                    else:
                        row[key] = q.get(key)
                prod = [r["producer_cores"] for r in good if r.get("producer_cores") is not None]
                row["producer_cores"] = statistics.median(prod) if prod else None
                if len(good) < len(mine):
                    row["error"] = f"{len(mine) - len(good)} of {len(mine)} runs failed"
            rows.append(row)
    return rows


def main_table(rows: list) -> list[str]:
    out = ["| mode | tool | train s | vocab s | words/s | peak RSS MiB | analogy | WS-353 | SimLex | vocab size |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("train_seconds") is None:
            err = md_escape(str(r.get("error", "failed")))[:160]
            out.append(f"| {r['mode']} | {r['tool']} | ERROR: {err} | | | | | | | |")
            continue
        vocab_s = "incl." if r["tool"] in ("ctool", "fasttext") else fmt_float(r.get("vocab_seconds"), 1)
        cells = [r["mode"], r["tool"], fmt_float(r["train_seconds"], 1), vocab_s,
                 fmt_rate(r["words_per_second"]), fmt_float(r.get("peak_rss_mib"), 0),
                 fmt_score(r, "analogy"), fmt_score(r, "ws353"), fmt_score(r, "simlex"),
                 "—" if r.get("vocab_size") is None else f"{r['vocab_size']:,}"]
        if r.get("error"):
            cells[-1] += f" ({md_escape(r['error'])})"
        out.append("| " + " | ".join(cells) + " |")
    return out


def ratio_table(rows: list, modes) -> list[str]:
    """fastw2v words/s relative to the best gensim variant (and the others) per mode."""
    def rate(mode, tool):
        r = find_row(rows, mode, tool, "words_per_second")
        return r["words_per_second"] if r else None

    out = ["| mode | fastw2v words/s | best gensim words/s | fastw2v / best gensim | fastw2v / C tool | fastw2v / fastText |",
           "|---|---:|---:|---:|---:|---:|"]
    any_row = False
    for mode in modes:
        mine = rate(mode, "fastw2v")
        gensims = [(rate(mode, t), t) for t in ("gensim-iter", "gensim-file") if rate(mode, t)]
        best, best_tool = max(gensims) if gensims else (None, None)
        ctool, ft = rate(mode, "ctool"), rate(mode, "fasttext")
        if mine is None and best is None:
            continue
        any_row = True

        def ratio(other):
            return f"{mine / other:.2f}x" if mine and other else "—"

        best_cell = f"{fmt_rate(best)} ({best_tool})" if best else "—"
        out.append(f"| {mode} | {fmt_rate(mine)} | {best_cell} | {ratio(best)} | {ratio(ctool)} | {ratio(ft)} |")
    return out if any_row else []


def variant_table(rows: list, modes) -> list[str]:
    """fastw2v's iterable mode against gensim's, and the opt-in shared-negatives mode."""
    def row(mode, tool):
        return find_row(rows, mode, tool, "words_per_second")

    out = ["| mode | variant | words/s | vs | ratio | reader+conversion cores |",
           "|---|---|---:|---|---:|---:|"]
    for mode in modes:
        it, git = row(mode, "fastw2v-iter"), row(mode, "gensim-iter")
        if it:
            ratio = f"{it['words_per_second'] / git['words_per_second']:.2f}x" if git else "—"
            prod = fmt_float(it.get("producer_cores"), 2)
            out.append(f"| {mode} | fastw2v-iter | {fmt_rate(it['words_per_second'])} | gensim-iter | {ratio} | {prod} |")
        base = row(mode, "fastw2v")
        rep = row(mode, "fastw2v-repro")
        if rep and base:
            out.append(f"| {mode} | fastw2v-repro | {fmt_rate(rep['words_per_second'])} | fastw2v |"
                       f" {rep['words_per_second'] / base['words_per_second']:.2f}x | |")
        sh = row(mode, "fastw2v-shared")
        if sh:
            gens = [r for r in (row(mode, "gensim-iter"), row(mode, "gensim-file")) if r]
            best = max((r["words_per_second"] for r in gens), default=None)
            if base:
                out.append(f"| {mode} | fastw2v-shared | {fmt_rate(sh['words_per_second'])} | fastw2v |"
                           f" {sh['words_per_second'] / base['words_per_second']:.2f}x | |")
            if best:
                out.append(f"| {mode} | fastw2v-shared | {fmt_rate(sh['words_per_second'])} | best gensim |"
                           f" {sh['words_per_second'] / best:.2f}x | |")
    return out if len(out) > 2 else []


def build_report(meta: dict, rows: list, runs: list) -> str:
    lines = [f"## Word2vec training benchmark ({meta['date']})", ""]
    lines += main_table(rows)
    ratios = ratio_table(rows, meta["settings"]["modes"])
    if any(r["tool"] == "fastw2v" and r.get("words_per_second") for r in rows):
        lines += ["", "Speed of fastw2v relative to the other tools, same run:", ""] + ratios
    else:
        lines += ["", "(No fastw2v run finished, so there is no speed-ratio table.)"]
    deltas = quality_delta_table(rows, meta["settings"]["modes"])
    if deltas:
        lines += ["", "Quality of fastw2v minus gensim's (the issue's bar: analogy within 0.5"
                  " point, Spearman within 0.01):", ""] + deltas
    variants = variant_table(rows, meta["settings"]["modes"])
    if variants:
        lines += ["", "fastw2v's iterable mode and its opt-in modes (reproducible, shared negatives), same run"
                  " (reader+conversion cores: CPU time of the thread that reads the iterable and"
                  " converts it to ids, divided by the training time):", ""] + variants
    s = meta["settings"]
    m = meta["machine"]
    c = meta["corpus"]
    v = meta["versions"]
    repeats = s["repeats"]
    lines += [
        "",
        f"- Machine: {m['cpu_model'] or m['processor'] or 'unknown CPU'}, nproc={m['nproc']}"
        f" (usable {m['usable_cpus']}), {m['mem_total_gib']} GiB RAM; {m['platform']}"
        + (f"; fastw2v kernels: {m['simd_variant']}." if m.get("simd_variant") else "."),
        f"- Date: {meta['date']}.",
        f"- Corpus: `{c['path']}`" + (f" (decompressed to `{c['plain_path']}`)" if c["plain_path"] != c["path"] else "")
        + f": {c['words']:,} words (whitespace tokens), {c['lines']:,} lines, {c['bytes']:,} bytes.",
        f"- Settings: vector_size={s['vector_size']}, window={s['window']}, min_count={s['min_count']},"
        f" sample={s['sample']:g}, negative={s['negative']} for the -ns modes (0 with hs=1 for the -hs"
        f" modes), ns_exponent={s.get('ns_exponent', NS_EXPONENT):g} for fastw2v and gensim"
        " (built in: the C tool 0.75, fastText 0.5),"
        f" epochs={s['epochs']}, workers/threads={s['workers']}, "
        + (f"seeds {', '.join(map(str, s['seeds']))}" if s.get("seeds") else f"seed={s['seed']}")
        + " where the tool"
        " takes one; each tool's default learning rate (gensim and fastw2v 0.025; C tool 0.025"
        " skip-gram, 0.05 CBOW; fastText 0.05). fastText with minn=maxn=0, wordNgrams=1.",
        "- train s: " + ("median of " + str(repeats) + " runs; " if repeats > 1 else "")
        + "fastw2v and gensim: the `train()` call alone (their vocabulary pass is the `vocab s`"
        " column); C tool and fastText: the whole command / `train_unsupervised` call, which"
        " includes reading the corpus for the vocabulary (`incl.`).",
        "- words/s = corpus words x epochs / train s" + (" (median)" if repeats > 1 else "") + ".",
        "- peak RSS: for the Python tools, `VmHWM` of the child process that trained (interpreter,"
        " imported libraries, vocabulary and model; `ru_maxrss` would carry over the benchmark"
        " parent's peak through fork and exec); for the C tool, `ru_maxrss` of the `word2vec`"
        " process itself (via `os.wait4`; it can include its Python parent's peak, so it is"
        " an upper bound)" + ("; the largest of the repeats" if repeats > 1 else "") + ".",
        "- Quality" + (" (mean ± standard deviation over the seeds)" if s.get("seeds") and repeats > 1
                        else " (first run)" if repeats > 1 else "")
        + ": gensim `KeyedVectors` evaluators on"
        f" every tool's vectors: analogy = `evaluate_word_analogies` accuracy restricted to the"
        f" {ANALOGY_RESTRICT_VOCAB:,} most frequent words; WS-353 and SimLex = Spearman of"
        f" `evaluate_word_pairs`. Eval data: `{meta['eval_dir']}`. The `</s>` token of the C tool"
        " and fastText is dropped before scoring.",
        "- gensim-iter reads the corpus with `LineSentence`, which splits lines longer than 10,000"
        " words into consecutive pieces (nothing is dropped).",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + "."
        + (f" C tool binary: `{meta['ctool_bin']}`." if meta.get("ctool_bin") else ""),
    ]
    busy = [(r.get("other_cpu_cores") or 0.0, r) for r in runs if r.get("ok")]
    flagged = [(c, r) for c, r in busy if c > OTHER_LOAD_WARN]
    if flagged:
        worst, worst_run = max(flagged, key=lambda x: x[0])
        lines.append(
            f"- WARNING: other processes were using CPU during {len(flagged)} of {len(busy)} runs (up to"
            f" {worst:.1f} cores, during {worst_run['mode']} {worst_run['tool']}); those timings are"
            " inflated. Rerun on an idle machine for numbers to publish.")
    elif busy:
        lines.append(f"- Machine otherwise idle during the runs (other processes used at most"
                     f" {max(c for c, _ in busy):.2f} cores).")
    for tool, reason in meta["skipped"].items():
        lines.append(f"- Skipped {tool}: {md_escape(reason)[:300]}")
    if meta.get("interrupted"):
        lines.append("- Interrupted: the table holds only the runs that finished.")
    lines.append(f"- Command: `{meta['command']}`")
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, help="plain text, or .xz/.gz/.bz2 compressed")
    p.add_argument("--modes", default=",".join(ALL_MODES), help="comma list of " + ",".join(ALL_MODES))
    p.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma list of " + ",".join(ALL_TOOLS))
    p.add_argument("--workers", type=int, default=2, help="worker threads for every tool")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--negative", type=int, default=5, help="negatives for the -ns modes")
    p.add_argument("--ns-exponent", type=float, default=NS_EXPONENT,
                   help="the noise distribution's exponent (fastw2v and gensim only: the C tool"
                        " and fastText have theirs built in)")
    p.add_argument("--seed", type=int, default=1, help="seed for fastw2v and gensim")
    p.add_argument("--repeats", type=int, default=1, help="runs per (mode, tool); median time is reported")
    p.add_argument("--seeds", default=None,
                   help="comma list of seeds: one run per seed (instead of --seed/--repeats), "
                        "every run scored, quality reported as the mean over seeds")
    p.add_argument("--eval-dir", default=None, help="folder with questions-words.txt, wordsim353.tsv, simlex999.txt")
    p.add_argument("--markdown", default=None, help="also write the report to this file")
    p.add_argument("--json", default=None, help="write all raw numbers to this file")
    p.add_argument("--ctool-bin", default=None, help="path of the word2vec C binary (found automatically)")
    p.add_argument("--timeout", type=float, default=0, help="seconds per training run, 0 = none")
    p.add_argument("--tmp-dir", default=None, help="scratch folder (decompressed corpus, vectors)")
    p.add_argument("--keep-tmp", action="store_true", help="keep the scratch folder")
    args = p.parse_args(argv)
    try:
        args.modes = common.parse_list(args.modes, choices=ALL_MODES, what="mode")
        args.tools = common.parse_list(args.tools, choices=ALL_TOOLS, what="tool")
    except ValueError as exc:
        p.error(str(exc))
    if args.workers < 1 or args.epochs < 1 or args.repeats < 1:
        p.error("--workers, --epochs and --repeats must be >= 1")
    if args.ns_exponent != NS_EXPONENT and {"ctool", "fasttext"} & set(args.tools):
        p.error(f"--ns-exponent other than {NS_EXPONENT} is for fastw2v and gensim only (the C"
                " tool and fastText have their noise distribution built in)")
    if args.seeds is not None:
        try:
            args.seeds = common.parse_list(args.seeds, kind=int)
        except ValueError:
            p.error(f"--seeds must be a comma list of integers, got {args.seeds!r}")
        if not args.seeds:
            p.error("--seeds lists no seed")
        args.repeats = len(args.seeds)
    return args


BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def make_job(args, mode, tool, rep, plain, outdir, ctool_bin) -> dict:
    return {"tool": tool, "mode": mode, "corpus": str(plain), "outdir": str(outdir),
            **common.mode_params(mode, args.negative),
            "vector_size": args.vector_size, "window": args.window,
            "min_count": args.min_count, "sample": args.sample, "epochs": args.epochs,
            "ns_exponent": args.ns_exponent,
            "workers": args.workers, "seed": args.seeds[rep] if args.seeds else args.seed,
            "save_vectors": rep == 0 or bool(args.seeds), "ctool_bin": ctool_bin}


def train_and_score(script, job, timeout, corpus_words, eval_dir) -> tuple:
    """One training in its child, its vectors scored: (result, log message)."""
    result = run_child(script, job, timeout)
    if not result.get("ok"):
        return result, f"FAILED: {result.get('error')} (log: {job['outdir']}/worker.log)"
    result["words_per_second"] = corpus_words * job["epochs"] / result["train_seconds"]
    msg = (f"train {result['train_seconds']:.1f} s, {fmt_rate(result['words_per_second'])} words/s, "
           f"peak RSS {result.get('peak_rss_kib', 0) / 1024:.0f} MiB")
    if result.get("other_cpu_cores", 0) > OTHER_LOAD_WARN:
        msg += f"; WARNING: other processes used {result['other_cpu_cores']:.1f} cores meanwhile"
    if job["save_vectors"]:
        try:
            t_eval = time.perf_counter()
            result.update(evaluate(Path(job["outdir"]), job["vector_size"], eval_dir))
            result["eval_seconds"] = time.perf_counter() - t_eval
            msg += (f"; analogy {fmt_float(result.get('analogy'), 3)}, WS-353 "
                    f"{fmt_float(result.get('ws353'), 3)}, SimLex {fmt_float(result.get('simlex'), 3)}")
        except KeyboardInterrupt:
            result["interrupted"] = True
        except Exception as exc:
            result["eval_error"] = f"{type(exc).__name__}: {exc}"
            msg += f"; evaluation failed: {result['eval_error']}"
    return result, "done: " + msg


def main(argv=None) -> int:
    args = parse_args(argv)
    # The parent only scores vectors; a single BLAS thread keeps it from spinning on a
    # busy core (multi-threaded OpenBLAS can slow down badly on a shared machine). The
    # trainings get the environment exactly as it was given to this script.
    global CHILD_ENV
    CHILD_ENV = dict(os.environ)
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")
    script = str(Path(__file__).resolve())
    corpus_path = Path(args.corpus)
    if not corpus_path.is_file():
        print(f"corpus {corpus_path} not found", file=sys.stderr)
        return 2
    eval_dir = resolve_eval_dir(args.eval_dir)
    if eval_dir is None:
        log("no evaluation data found; quality columns will be empty")

    scratch = Path(tempfile.mkdtemp(prefix="bench_train_", dir=args.tmp_dir))
    log(f"scratch folder {scratch}")
    interrupted = False
    runs: list = []
    try:
        plain = common.plain_corpus(corpus_path, scratch)
        words, lines, nbytes = common.count_corpus(plain)
        log(f"corpus: {words:,} words, {lines:,} lines, {nbytes:,} bytes")

        available, skipped = probe_tools(args.tools, script, args.ctool_bin)
        for tool, reason in skipped.items():
            log(f"skipping {tool}: {reason}")
        tools = [t for t in args.tools if t in available]
        machine = common.host_info(simd=False)
        machine["simd_variant"] = next((info.get("simd_variant") for t, info in available.items()
                                        if t.startswith("fastw2v")), None)
        ctool_bin = available.get("ctool", {}).get("path")
        meta = {
            "date": common.now_iso(),
            "command": common.command_line(),
            "machine": machine,
            "versions": package_versions(),
            "corpus": {"path": str(corpus_path), "plain_path": str(plain), "words": words,
                       "lines": lines, "bytes": nbytes},
            "settings": {"modes": args.modes, "tools": args.tools, "workers": args.workers,
                         "epochs": args.epochs, "vector_size": args.vector_size,
                         "window": args.window, "min_count": args.min_count,
                         "sample": args.sample, "negative": args.negative,
                         "ns_exponent": args.ns_exponent, "seed": args.seed,
                         "seeds": args.seeds, "repeats": args.repeats},
            "eval_dir": str(eval_dir) if eval_dir else None,
            "ctool_bin": ctool_bin,
            "tool_info": available,
            "skipped": skipped,
        }

        plan = [(mode, rep, tool) for mode in args.modes for rep in range(args.repeats) for tool in tools
                if not (tool == "fastw2v-shared" and not mode.startswith("sg"))]
        timeout = args.timeout if args.timeout and args.timeout > 0 else None
        for n, (mode, rep, tool) in enumerate(plan, 1):
            outdir = scratch / f"{mode}_{tool}_{rep}"
            job = make_job(args, mode, tool, rep, plain, outdir, ctool_bin)
            label = f"[{n}/{len(plan)}] {mode} {tool}" + (f" run {rep + 1}/{args.repeats}" if args.repeats > 1 else "")
            log(f"{label}: starting")
            try:
                result, msg = train_and_score(script, job, timeout, words, eval_dir)
            except KeyboardInterrupt:
                result, msg = None, "interrupted; reporting the finished runs"
            interrupted = result is None or bool(result.pop("interrupted", False))
            if result is not None:
                result.update({"mode": mode, "tool": tool, "repeat": rep, "seed": job["seed"]})
                runs.append(result)
            if interrupted:
                log("interrupted; reporting the finished runs")
                break
            log(f"{label}: {msg}")
            for name in ("vectors.npy", "words.txt"):
                (outdir / name).unlink(missing_ok=True)

        meta["interrupted"] = interrupted
        rows = summarise(runs, args.modes, tools, words, args.epochs)
        common.write_outputs(build_report(meta, rows, runs), args.markdown, args.json,
                             {"meta": meta, "summary": rows, "runs": runs})
    finally:
        if args.keep_tmp:
            log(f"kept scratch folder {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 130 if interrupted else 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--_worker":
        sys.exit(run_worker(sys.argv[2]))
    if len(sys.argv) >= 3 and sys.argv[1] == "--_probe":
        sys.exit(run_probe(sys.argv[2]))
    sys.exit(main())
