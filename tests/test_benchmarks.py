"""The benchmark scripts' bookkeeping: what their tables say must follow from the runs.

The scripts themselves are run by hand (they take minutes); here their summaries are fed
synthetic runs whose right answers are known.
"""
import importlib.util
import statistics
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench_train():
    return load("bench_train")


@pytest.fixture(scope="module")
def bench_scaling():
    return load("bench_scaling")


def run(tool, seed, secs, analogy, ws, simlex, mode="cbow-ns"):
    return {"mode": mode, "tool": tool, "seed": seed, "ok": True, "train_seconds": secs,
            "vocab_seconds": 1.0, "peak_rss_kib": 1024 * 100, "analogy": analogy,
            "ws353": ws, "simlex": simlex, "vocab_size": 10}


def test_seeds_average_quality_and_take_median_speed(bench_train):
    runs = [run("fastw2v", 1, 10.0, .30, .60, .25), run("fastw2v", 2, 12.0, .32, .62, .27),
            run("fastw2v", 3, 30.0, .31, .58, .26),
            run("gensim-iter", 1, 40.0, .305, .59, .26), run("gensim-iter", 2, 41.0, .295, .61, .24)]
    rows = bench_train.summarise(runs, ["cbow-ns"], ["fastw2v", "gensim-iter"], 1000, 5)
    mine = rows[0]
    assert mine["analogy"] == pytest.approx(.31)
    assert mine["analogy_sd"] == pytest.approx(statistics.stdev([.30, .32, .31]))
    assert mine["ws353"] == pytest.approx(.60)
    assert mine["train_seconds"] == 12.0                       # median, not mean
    assert mine["words_per_second"] == pytest.approx(5000 / 12.0)
    delta = bench_train.quality_delta_table(rows, ["cbow-ns"])
    assert len(delta) == 3
    cells = [c.strip() for c in delta[2].split("|")[1:-1]]
    # analogy in points: 100 * (.31 - .30); Spearman as differences; 2 seeds in common
    assert cells == ["cbow-ns", "gensim-iter", "+1.00", "+0.000", "+0.010", "2"]
    assert "± 0.010" in "\n".join(bench_train.main_table(rows))


def test_one_seed_reports_the_first_run(bench_train):
    runs = [run("fastw2v", 1, 10.0, .30, .60, .25), run("fastw2v", 1, 11.0, .99, .99, .99)]
    row = bench_train.summarise(runs, ["cbow-ns"], ["fastw2v"], 1000, 5)[0]
    assert row["analogy"] == .30 and "analogy_sd" not in row


def test_isolated_ceiling_is_measured_against_one_worker(bench_scaling):
    results = {"settings": {"modes": ["sg-ns"], "workers": [1, 2]}, "runs": [
        {"mode": "sg-ns", "tool": "fastw2v", "workers": 1, "words_per_second": 100.0},
        {"mode": "sg-ns", "tool": "fastw2v", "workers": 2, "words_per_second": 170.0},
        {"mode": "sg-ns", "tool": "isolated", "workers": 2, "words_per_second": 180.0},
        {"mode": "sg-ns", "tool": "isolated", "workers": 2, "words_per_second": 190.0},
    ]}
    rows = {(r["tool"], r["workers"]): r for r in bench_scaling.summary(results)}
    assert rows["fastw2v", 2]["speedup"] == pytest.approx(1.7)
    assert rows["isolated", 2]["speedup"] == pytest.approx(1.85)   # median 185 over 100
    results["machine"] = {"cpu": "x", "nproc": 2, "platform": "p"}
    results["date"] = "d"
    results["settings"].update(corpus="c", epochs=1, vector_size=100, window=5,
                               min_count=5, repeats=2)
    line = [l for l in bench_scaling.markdown(results, list(rows.values())).splitlines()
            if l.startswith("| sg-ns | 2 |")][0]
    assert line.rstrip().endswith("| 1.85x | 0.92 |")


def test_isolated_needs_a_one_worker_run(bench_scaling, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    with pytest.raises(SystemExit):
        bench_scaling.parse_args(["--corpus", str(corpus), "--workers", "2,4", "--isolated"])


def test_isolated_run_that_fails_raises_instead_of_waiting(monkeypatch, tmp_path):
    # the children are spawned and import this module by name, so it must be on the path
    monkeypatch.syspath_prepend(str(BENCH))
    import bench_scaling
    missing = str(tmp_path / "no-such-corpus.txt")
    kw = dict(vector_size=8, window=2, min_count=1, sg=1, hs=0, negative=2, epochs=1, seed=1)
    with pytest.raises(RuntimeError, match="--isolated process failed"):
        bench_scaling.isolated_rate(missing, kw, 1, 2)
