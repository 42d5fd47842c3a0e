"""What the benchmark scripts share: modes, corpora, the host, tool adapters, child
processes, medians and Markdown tables.

Each ``bench_*.py`` script answers one question; this module holds what they would
otherwise each repeat. Importing it is cheap: fastw2v, gensim and NumPy are imported
only by the functions that need them, so a parent process that only starts children
and writes tables stays small and never picks a kernel variant itself.

Run as a script it is the child side of :func:`run_training` (``--_train JOB``) and of
:func:`simd_variant` (``--_simd``).
"""
from __future__ import annotations

import datetime
import importlib
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------ modes

#: mode -> the Word2Vec parameters that make it (5 negatives for the -ns modes)
MODES = {
    "sg-ns": {"sg": 1, "hs": 0, "negative": 5},
    "cbow-ns": {"sg": 0, "hs": 0, "negative": 5},
    "sg-hs": {"sg": 1, "hs": 1, "negative": 0},
    "cbow-hs": {"sg": 0, "hs": 1, "negative": 0},
}
ALL_MODES = tuple(MODES)


def mode_params(mode: str, negative: int = 5) -> dict:
    """``sg``, ``hs`` and ``negative`` of a mode; ``negative`` is the -ns modes' count
    (the -hs modes keep 0)."""
    params = dict(MODES[mode])
    if params["negative"]:
        params["negative"] = negative
    return params


def parse_list(text: str, kind=str, choices=None, what: str = "item") -> list:
    """A comma list -> a list of ``kind``; ``ValueError`` names the first bad item."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            value = kind(item)
        except ValueError:
            raise ValueError(f"{what} {item!r} is not a valid {kind.__name__}") from None
        if choices is not None and value not in choices:
            raise ValueError(f"unknown {what} {item!r}; choose from {', '.join(choices)}")
        out.append(value)
    return out


def log(msg: str, tag: str = "bench") -> None:
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def now_iso() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def command_line() -> str:
    """The command that started this script, to paste into a report."""
    return shlex.join([sys.executable] + sys.argv)


# ----------------------------------------------------------------------------- corpora

#: suffix of a compressed corpus -> the module whose ``open`` reads it
COMPRESSED = {".xz": "lzma", ".lzma": "lzma", ".gz": "gzip", ".bz2": "bz2"}


def open_corpus(path, mode: str = "rb", **kwargs):
    """Open a corpus file, plain or compressed (by its suffix)."""
    module = COMPRESSED.get(Path(path).suffix.lower())
    opener = importlib.import_module(module).open if module else open
    return opener(path, mode, **kwargs)


def sample_corpus() -> str:
    """The English Wikipedia sample shipped inside the package (about 1.5M words, .xz)."""
    from fastw2v import datasets
    return datasets.wiki_sample


def plain_corpus(path, tmpdir) -> Path:
    """``path`` itself if it is plain text, else a decompressed copy in ``tmpdir``
    (corpus_file readers take plain text only)."""
    path = Path(path)
    if path.suffix.lower() not in COMPRESSED:
        return path
    plain = Path(tmpdir) / (path.stem if path.stem.endswith(".txt") else path.stem + ".txt")
    log(f"decompressing {path} -> {plain}")
    t0 = time.perf_counter()
    with open_corpus(path) as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst, length=16 << 20)
    log(f"decompressed {plain.stat().st_size:,} bytes in {time.perf_counter() - t0:.1f} s")
    return plain


def corpus_slice(path, words: int, tmpdir) -> Path:
    """A plain-text file in ``tmpdir`` with the first ``words`` whitespace tokens of the
    corpus, its lines kept (the last one cut short); the whole corpus if it is shorter."""
    out = Path(tmpdir) / f"{Path(path).name.split('.')[0]}_{words}w.txt"
    left = words
    with open_corpus(path) as src, open(out, "wb") as dst:
        for line in src:
            tokens = line.split()
            if len(tokens) >= left:
                dst.write(b" ".join(tokens[:left]) + b"\n")
                break
            dst.write(line if line.endswith(b"\n") else line + b"\n")
            left -= len(tokens)
    return out


def count_corpus(path) -> tuple:
    """(whitespace tokens, lines, bytes) of a plain-text file."""
    words = lines = 0
    with open(path, "rb") as f:
        for line in f:
            words += len(line.split())
            lines += 1
    return words, lines, Path(path).stat().st_size


# -------------------------------------------------------------------------------- host

def _lscpu() -> dict:
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10,
                              env=dict(os.environ, LC_ALL="C")).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in text.splitlines()) if v}


def cpu_model() -> str | None:
    """The CPU's model name (``lscpu``, else ``/proc/cpuinfo``), or None."""
    name = _lscpu().get("Model name")
    if name:
        return name
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def simd_variant(env: dict | None = None) -> tuple:
    """(variant, None) of the kernels a fresh process picks under ``env``, or
    (None, its error) when fastw2v cannot import them there."""
    try:
        proc = subprocess.run([sys.executable, __file__, "--_simd"], capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    info = last_json_line(proc.stdout) or {"error": proc.stderr.strip()[-300:] or "no output"}
    return info.get("variant"), info.get("error")


def host_info(simd: bool = True) -> dict:
    """The machine and software a run happened on."""
    lscpu = _lscpu()
    info = {"cpu_model": cpu_model(), "processor": platform.processor() or None,
            "nproc": os.cpu_count(), "cores": None, "platform": platform.platform(),
            "mem_total_gib": None, "python": platform.python_version(), "numpy": None}
    try:
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        info["usable_cpus"] = os.cpu_count()
    try:
        info["cores"] = int(lscpu["Core(s) per socket"]) * int(lscpu.get("Socket(s)", 1))
    except (KeyError, ValueError):
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_gib"] = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    info["numpy"] = package_versions(["numpy"])["numpy"]
    if simd:
        info["simd_variant"], _ = simd_variant()
    return info


def host_line(info: dict) -> str:
    """One sentence about the host, for a report's notes."""
    cores = f", {info['cores']} cores" if info.get("cores") else ""
    text = (f"{info.get('cpu_model') or 'unknown CPU'}, {info['nproc']} CPUs{cores}"
            f" ({info.get('usable_cpus', info['nproc'])} usable)")
    if info.get("mem_total_gib"):
        text += f", {info['mem_total_gib']} GiB RAM"
    text += f"; {info['platform']}; Python {info['python']}, NumPy {info['numpy']}"
    if info.get("simd_variant"):
        text += f"; fastw2v kernels: {info['simd_variant']}"
    return text


def package_versions(names) -> dict:
    """Installed version of each distribution (None if it is not installed)."""
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


# ----------------------------------------------------------------------- tool adapters

def import_fastw2v():
    """Import fastw2v, falling back to the source checkout next to this folder."""
    try:
        import fastw2v  # noqa: F401
    except ImportError:
        if str(REPO_ROOT) in sys.path:
            raise
        sys.path.insert(0, str(REPO_ROOT))
        for name in [m for m in sys.modules if m == "fastw2v" or m.startswith("fastw2v.")]:
            del sys.modules[name]
        import fastw2v  # noqa: F401
    return sys.modules["fastw2v"]


def library(tool: str) -> str:
    """The library behind a tool name: ``fastw2v-iter`` -> ``fastw2v``, ``gensim-file``
    -> ``gensim``."""
    return tool.split("-", 1)[0]


def new_model(lib: str, **params):
    """An untrained ``Word2Vec`` of fastw2v or gensim 4 (same parameter names)."""
    if lib == "fastw2v":
        return import_fastw2v().Word2Vec(**params)
    if lib == "gensim":
        from gensim.models import Word2Vec
        return Word2Vec(**params)
    raise ValueError(f"unknown library {lib!r}")


def line_sentences(lib: str, path):
    """The library's own ``LineSentence`` reader of a plain-text file (iterable mode)."""
    if lib == "fastw2v":
        return import_fastw2v().LineSentence(str(path))
    from gensim.models.word2vec import LineSentence
    return LineSentence(str(path))


def _is_path(corpus) -> bool:
    return isinstance(corpus, (str, os.PathLike))


def build_vocab(model, corpus, encode: bool = False) -> float:
    """The vocabulary pass over a corpus file (a path) or an iterable; its seconds.

    ``encode``: fastw2v also encodes the file to ids now (its first ``train()`` would),
    so that a timed ``train()`` is training alone."""
    t0 = time.perf_counter()
    if _is_path(corpus):
        model.build_vocab(corpus_file=str(corpus))
        if encode and hasattr(model, "state"):
            model.state.encoded(str(corpus))
    else:
        model.build_vocab(corpus_iterable=corpus)
    return time.perf_counter() - t0


def train(model, corpus, epochs: int, count_sentences: bool = False) -> tuple:
    """One ``train()`` over a corpus file or an iterable: (seconds, what it returned).

    ``count_sentences`` also passes ``total_examples`` in corpus_file mode, where gensim
    then decays its learning rate by sentences instead of words (bench_scaling always
    did; bench_train never did)."""
    t0 = time.perf_counter()
    if _is_path(corpus):
        extra = {"total_examples": model.corpus_count} if count_sentences else {}
        out = model.train(corpus_file=str(corpus), total_words=model.corpus_total_words,
                          epochs=epochs, **extra)
    else:
        out = model.train(corpus_iterable=corpus, total_examples=model.corpus_count,
                          epochs=epochs)
    return time.perf_counter() - t0, out


def self_peak_rss_kib() -> int:
    """Peak resident set size of this process so far, in KiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: the high-water mark of this
    program's own memory. ``getrusage``'s ``ru_maxrss`` is not: it carries over the
    parent's high-water mark through fork and exec, so a child started by a benchmark
    that had grown to 365 MiB reported at least 365 MiB whatever it used itself."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // 1024 if sys.platform == "darwin" else peak)  # macOS: bytes


def timed_training(job: dict) -> dict:
    """Child side of :func:`run_training`: vocabulary (and ids), then one timed
    ``train()`` of ``job["tool"]`` (fastw2v or gensim) on ``job["corpus"]``."""
    lib = job.get("tool", "fastw2v")
    model = new_model(lib, **job["params"])
    vocab_seconds = build_vocab(model, job["corpus"], encode=True)
    seconds, _ = train(model, job["corpus"], job["epochs"])
    words = model.corpus_total_words * job["epochs"]
    out = {"tool": lib, "vocab_seconds": vocab_seconds, "train_seconds": seconds,
           "words": words, "words_per_second": words / seconds,
           "peak_rss_kib": self_peak_rss_kib()}
    if lib == "fastw2v":
        out["simd_variant"] = importlib.import_module("fastw2v.kernels").SIMD_VARIANT
        out["package_dir"] = str(Path(sys.modules["fastw2v"].__file__).resolve().parent)
    return out


# --------------------------------------------------------------------- child processes

def _busy_cpu_seconds() -> float | None:
    """CPU seconds every process of the machine has used since boot (/proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        # user nice system idle iowait irq softirq steal (guest time is already in user)
        v = [int(x) for x in fields[1:9]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_child(argv: list, log_path, env: dict | None = None, timeout: float | None = None,
              new_session: bool = True, cpus=None) -> dict:
    """Run ``argv`` (in a session of its own unless ``new_session`` is false, so that a
    caller killing its own group kills it too), its output to ``log_path``; wait for it.
    ``cpus``: the CPUs the child (and every thread it starts) may run on (default: this
    process's).

    Returns ``returncode``, ``wall_seconds``, ``cpu_seconds`` and ``peak_rss_kib`` of the
    child (with the descendants it waited for), ``other_cpu_cores`` (what every other
    process used meanwhile, in cores: a busy machine makes that timing suspect) and
    ``timed_out``. A timeout or Ctrl-C kills the child (its whole session if it has one)."""
    busy0, t0 = _busy_cpu_seconds(), time.perf_counter()
    with open(log_path, "wb") as lf:
        pin = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
        proc = subprocess.Popen(argv, stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=new_session, env=env,
                                preexec_fn=pin)

    def kill():
        if new_session:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()

    timed_out, delay = False, 0.001
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - t0 > timeout:
                timed_out = True
                kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
    except BaseException:
        kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.perf_counter() - t0
    busy1 = _busy_cpu_seconds()
    cpu = usage.ru_utime + usage.ru_stime
    out = {"returncode": proc.returncode, "wall_seconds": wall, "cpu_seconds": cpu,
           "peak_rss_kib": int(usage.ru_maxrss), "timed_out": timed_out}
    if busy0 is not None and busy1 is not None and wall > 0:
        out["other_cpu_cores"] = max(0.0, (busy1 - busy0) - cpu) / wall
    return out


def last_json_line(text: str) -> dict | None:
    """The last line of ``text`` that parses as a JSON object, or None."""
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def log_tail(path, lines: int = 1) -> str:
    """The last non-empty lines of a child's log, for an error message."""
    text = Path(path).read_bytes().decode("utf-8", "replace")
    tail = [ln for ln in re.split(r"[\r\n]+", text) if ln.strip()][-lines:]
    return " / ".join(tail) or "no output"


def run_training(job: dict, env: dict | None = None, timeout: float | None = None,
                 cpus=None) -> dict:
    """:func:`timed_training` in a fresh process (so ``env`` decides, for example, which
    kernels it imports; ``cpus``, where given, the CPUs it runs on); its result plus
    ``ok`` (or ``error``) and :func:`run_child`'s numbers under ``child``."""
    fd, log_path = tempfile.mkstemp(prefix="bench_child_", suffix=".log")
    os.close(fd)
    try:
        child = run_child([sys.executable, __file__, "--_train", json.dumps(job)], log_path,
                          env=env, timeout=timeout, cpus=cpus)
        result = last_json_line(Path(log_path).read_text(errors="replace"))
        if child["timed_out"]:
            result = {"error": f"timed out after {timeout:.0f} s"}
        elif child["returncode"] != 0 or result is None:
            result = {"error": f"child exited with {child['returncode']}: {log_tail(log_path)}"}
    finally:
        os.unlink(log_path)
    result["ok"] = "error" not in result
    result["child"] = child
    return result


# ------------------------------------------------------------------- numbers and tables

def median(values) -> float | None:
    """Median of the values that are not None; None if there are none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b) -> float | None:
    """a / b, or None when either is missing or b is 0."""
    return a / b if a is not None and b else None


def fmt_rate(x) -> str:
    """Words/s as ``1,234k`` (or ``950`` below 10,000)."""
    if x is None:
        return "—"
    return f"{x / 1000:,.0f}k" if x >= 10_000 else f"{x:,.0f}"


def fmt_float(x, digits: int) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def fmt_ratio(x, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}x"


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def md_row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def md_table(header, rows, align: str = "") -> list:
    """Lines of a Markdown table; ``align`` has an ``l`` or ``r`` per column (missing
    ones are ``l``)."""
    rule = "|" + "|".join("---:" if align[i:i + 1] == "r" else "---"
                          for i in range(len(header))) + "|"
    return [md_row(header), rule] + [md_row(r) for r in rows]


def write_outputs(text: str, markdown=None, json_path=None, data=None) -> None:
    """Print the report; write it to ``markdown`` and ``data`` to ``json_path`` if given."""
    print(text)
    if markdown:
        Path(markdown).write_text(text, encoding="utf-8")
        log(f"wrote {markdown}")
    if json_path:
        Path(json_path).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        log(f"wrote {json_path}")


def run_and_report(args, run, summary, markdown) -> tuple:
    """The body of a round-based benchmark's ``main``: ``results = run(args)``, its
    ``summary`` rows stored in it as ``results["summary"]``, the ``markdown`` report
    printed and written where ``args.markdown`` / ``args.json`` say; (results, rows)."""
    results = run(args)
    rows = summary(results)
    results["summary"] = rows
    write_outputs(markdown(results, rows), args.markdown, args.json, results)
    return results, rows


def import_pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or None if it is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _child_main(argv: list) -> int:
    if argv[:1] == ["--_simd"]:
        try:
            kernels = importlib.import_module("fastw2v.kernels")
            info = {"variant": kernels.SIMD_VARIANT, "available": kernels.available_variants()}
        except ImportError as exc:
            info = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(info))
        return 0
    if argv[:1] == ["--_train"] and len(argv) == 2:
        print(json.dumps(timed_training(json.loads(argv[1]))))
        return 0
    print(f"usage: {Path(__file__).name} --_train JOB_JSON | --_simd", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
