"""Loader fuzzing: hundreds of damaged word2vec text/binary, GloVe, gzip and native .fw2v
files, each loaded in a child process so that a crash (a signal) or a hang fails the test
naming the case instead of killing pytest.

Contract checked for every case: the loader either returns a self-consistent object, or
raises :class:`fastw2v.FormatError` whose message names the file. Nothing else (no
``IndexError``, ``struct.error``, ``zlib.error``, ``MemoryError``, no crash, no hang). A
loaded Word2Vec model must then also train one short epoch or refuse with a
``ValueError`` (its kernels must never see inconsistent tables).
"""
import json
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import CHILD_CWD

from fastw2v import KeyedVectors, Word2Vec

CASES_PER_FORMAT = 100
SEED = 20240607

CHILD = r'''
import json, os, signal, sys, warnings
import numpy as np
from fastw2v import KeyedVectors, Word2Vec
from fastw2v.io.native import FormatError

warnings.simplefilter("ignore")         # overflow in casts of huge text values is expected

def alarm(*_):
    raise TimeoutError("loader hung")
signal.signal(signal.SIGALRM, alarm)

def check_kv(kv):
    V, d = kv.vectors.shape
    assert kv.vectors.ndim == 2 and d == kv.vector_size and V == len(kv.index_to_key)
    assert len(kv.key_to_index) == V and all(isinstance(k, str) for k in kv.index_to_key)
    assert all(kv.key_to_index[k] == i for i, k in enumerate(kv.index_to_key))
    for attr, vals in kv.expandos.items():
        assert vals.shape == (V,), attr
    if V and d:
        kv.most_similar(kv.index_to_key[0], topn=3)      # queries run on what was loaded
    return V, d

LOADERS = {
    "text": lambda p: KeyedVectors.load_word2vec_format(p),
    "binary": lambda p: KeyedVectors.load_word2vec_format(p, binary=True),
    "glove": lambda p: KeyedVectors.load_word2vec_format(p, no_header=True),
    "gzip": lambda p: KeyedVectors.load_word2vec_format(p, binary=True),
    "kvnative": lambda p: KeyedVectors.load(p),
    "kvnative-mmap": lambda p: KeyedVectors.load(p, mmap="r"),
    "model": lambda p: Word2Vec.load(p),
    "model-wv": lambda p: KeyedVectors.load(p),     # a model file's wv
}

for line in sys.stdin:
    case = json.loads(line)
    name, fmt, path = case["name"], case["format"], case["path"]
    print(json.dumps({"begin": name}), flush=True)
    result = {"name": name}
    signal.alarm(20)
    try:
        obj = LOADERS[fmt](path)
        if fmt == "model":
            shape = check_kv(obj.wv)
            for arr in (obj.syn1neg, obj.syn1):
                assert arr is None or arr.shape == obj.wv.vectors.shape
            assert len(obj.vocab) == shape[0] and obj.vocab.counts.min(initial=0) >= 0
            try:
                obj.workers = 1
                obj.train([obj.wv.index_to_key[:50]] * 3, total_examples=3, epochs=1)
                result["trained"] = "ok"
            except ValueError as exc:
                result["trained"] = f"{type(exc).__name__}: {exc}"
        else:
            shape = check_kv(obj)
        result.update(outcome="loaded", shape=list(shape))
    except FormatError as exc:
        result.update(outcome="rejected", error=str(exc))
    except AssertionError as exc:
        result.update(outcome="inconsistent", error=repr(exc))
    except BaseException as exc:
        result.update(outcome="wrong-exception", error=f"{type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
    print(json.dumps(result), flush=True)
'''


def mutations(data: bytes, rng, n: int, header_end: int):
    """``n`` damaged copies of ``data``: truncations, flipped, inserted and removed bytes,
    digits in the header rewritten, 8-byte size fields overwritten."""
    for i in range(n):
        b = bytearray(data)
        kind = i % 7
        if kind == 0:
            b = b[:int(rng.integers(0, len(b)))]
        elif kind == 1:
            for _ in range(int(rng.integers(1, 8))):
                b[int(rng.integers(0, len(b)))] ^= 1 << int(rng.integers(0, 8))
        elif kind == 2:
            pos = int(rng.integers(0, len(b)))
            b[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 20)), dtype=np.uint8).tobytes()
        elif kind == 3:
            pos = int(rng.integers(0, len(b)))
            del b[pos:pos + int(rng.integers(1, 64))]
        elif kind == 4:          # a number of the header (rows, dims, JSON shapes/offsets)
            nums = list(re.finditer(rb"-?\d+", bytes(b[:header_end])))
            if nums:
                m = nums[int(rng.integers(0, len(nums)))]
                value = int(m.group())
                new = int(rng.choice([0, 1, value - 1, value + 1, value * 2, -1, 2 ** 31,
                                      2 ** 63, 10 ** 30]))
                b[m.start():m.end()] = str(new).encode()
        elif kind == 5:          # random bytes in the first 200 (where the sizes live)
            for _ in range(int(rng.integers(1, 4))):
                b[int(rng.integers(0, min(len(b), 200)))] = int(rng.choice(list(b"0123456789- \n{}\"")))
        else:
            num = int(rng.choice([-1, 0, 2 ** 31, 2 ** 62, 10 ** 18, 7]))
            pos = int(rng.integers(0, max(1, min(len(b), 300) - 8)))
            b[pos:pos + 8] = struct.pack("<q", num) if rng.random() < .5 else str(num).encode()[:8]
        yield bytes(b)


@pytest.fixture(scope="module")
def base_files(tmp_path_factory):
    """One small, valid file of each format (unicode words, awkward floats)."""
    d = tmp_path_factory.mktemp("fuzz_bases")
    rng = np.random.default_rng(4)
    keys = ["the", "of", "café", "東京", "🙂", "naïve"] + [f"w{i}" for i in range(9)]
    vecs = rng.standard_normal((len(keys), 6)).astype(np.float32)
    vecs[0, :3] = [-0.0, 1e-45, 3.4e38]
    kv = KeyedVectors(6, keys, vecs, np.arange(len(keys), 0, -1) * 2)
    model = Word2Vec([["a", "b", "c", "é", "東"] * 4, ["b", "c", "a"] * 3], vector_size=4,
                     min_count=1, epochs=1, workers=1, hs=1, negative=2, progress=False)
    writers = {
        "text": lambda p: kv.save_word2vec_format(p),
        "binary": lambda p: kv.save_word2vec_format(p, binary=True),
        "glove": lambda p: kv.save_word2vec_format(p, write_header=False),
        "kvnative": lambda p: kv.save(p),
        "model": lambda p: model.save(p),
    }
    out = {}
    for fmt, write in writers.items():
        p = d / f"base_{fmt}"
        write(p)
        data = p.read_bytes()
        if fmt in ("kvnative", "model"):
            header_end = 20 + int.from_bytes(data[12:20], "little")
        else:
            header_end = data.index(b"\n") + 1
        out[fmt] = (data, header_end)
    return out


def run_cases(cases, timeout=240):
    """Load every case in one child; return {name: result}. A child that dies (signal,
    crash) or hangs fails the test naming the case it was loading."""
    stdin = "".join(json.dumps(c) + "\n" for c in cases)
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD], input=stdin, capture_output=True,
                              cwd=CHILD_CWD,  # the installed package, not ./fastw2v
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
        pytest.fail(f"fuzz child hung; last case started: {last[-1] if last else None}")
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    results = {r["name"]: r for r in lines if "outcome" in r}
    begun = [r["begin"] for r in lines if "begin" in r]
    if proc.returncode != 0:
        crashed = begun[-1] if begun else None
        pytest.fail(f"fuzz child died with exit status {proc.returncode} (signal "
                    f"{-proc.returncode if proc.returncode < 0 else None}) while loading case "
                    f"{crashed!r}; stderr:\n{proc.stderr[-3000:]}")
    assert len(results) == len(cases), "some cases produced no result"
    return results


@pytest.mark.parametrize("fmt", ["text", "binary", "glove", "gzip", "kvnative", "model"])
def test_fuzz_loader_in_child_process(base_files, tmp_path, fmt):
    import gzip
    source = "binary" if fmt == "gzip" else fmt
    data, header_end = base_files[source]
    rng = np.random.default_rng([SEED, len(fmt)])
    cases = []
    if fmt == "gzip":
        zipped = gzip.compress(data, mtime=0)
        damaged_zips = list(mutations(zipped, rng, CASES_PER_FORMAT, 10))
    for i, damaged in enumerate(mutations(data, rng, CASES_PER_FORMAT, header_end)):
        name = f"fuzz_{fmt}_{i:03d}"
        path = tmp_path / name
        if fmt == "gzip":
            # damage inside the compressed stream too: every other case is mutated after
            # compression instead of before
            if i % 2:
                damaged = damaged_zips[i]
            else:
                damaged = gzip.compress(damaged, mtime=0)
        path.write_bytes(damaged)
        cases.append({"name": name, "format": fmt, "path": str(path)})
        if fmt == "kvnative" and i % 2:
            cases.append({"name": name + "_mmap", "format": "kvnative-mmap", "path": str(path)})
        if fmt == "model" and i % 2:
            cases.append({"name": name + "_wv", "format": "model-wv", "path": str(path)})
    results = run_cases(cases)

    bad = {n: r for n, r in results.items() if r["outcome"] not in ("loaded", "rejected")}
    assert not bad, f"{len(bad)} cases broke the contract, e.g. {list(bad.items())[:3]}"
    unnamed = {n: r["error"] for n, r in results.items()
               if r["outcome"] == "rejected"
               and n.removesuffix("_mmap").removesuffix("_wv") not in r["error"]}
    assert not unnamed, f"errors that do not name the file: {list(unnamed.items())[:3]}"
    if fmt == "kvnative":       # mapped or read, a file gets the same answer
        for n, r in results.items():
            if n.endswith("_mmap"):
                assert r["outcome"] == results[n[:-5]]["outcome"], (n, r, results[n[:-5]])
    if fmt == "model":
        untrainable = {n: r["trained"] for n, r in results.items()
                       if r["outcome"] == "loaded" and r.get("trained", "ok") != "ok"}
        # a loaded model either trains or refuses with a ValueError (recorded above):
        # reaching this point means no crash; the refusals must say why
        assert all(": " in msg for msg in untrainable.values()), untrainable
    n_loaded = sum(r["outcome"] == "loaded" for r in results.values())
    n_rejected = sum(r["outcome"] == "rejected" for r in results.values())
    # the mutations really damage files: most are rejected, and some survive (bit flips
    # inside float values), so both branches are exercised
    assert n_rejected >= len(cases) // 4, (n_loaded, n_rejected)
    assert n_loaded + n_rejected == len(cases)


def test_a_crashing_loader_fails_the_fuzz_test_instead_of_pytest(tmp_path, monkeypatch):
    """The isolation works: a case that kills the child is reported by name."""
    crash = tmp_path / "crash_me"
    crash.write_bytes(b"1 2\nx 1 2\n")
    monkeypatch.setattr(sys.modules[__name__], "CHILD", CHILD.replace(
        "obj = LOADERS[fmt](path)",
        "obj = LOADERS[fmt](path)\n        if name == 'boom': os.kill(os.getpid(), 9)"))
    # (SIGKILL rather than SIGSEGV, which a sanitizer build would catch and report)
    with pytest.raises(pytest.fail.Exception, match=r"signal 9\) while loading case 'boom'"):
        run_cases([{"name": "fine", "format": "text", "path": str(crash)},
                   {"name": "boom", "format": "text", "path": str(crash)}])
