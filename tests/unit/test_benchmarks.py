"""The benchmark scripts' bookkeeping: what their tables say must follow from the runs.

The scripts themselves are run by hand (they take minutes); here their summaries are fed
synthetic runs whose right answers are known.
"""
import importlib.util
import os
import statistics
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


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


def write_rotating_corpus(path, lines):
    """A tiny real corpus: ``lines`` lines of 12 words, each a rotation of w0..w39."""
    words = [f"w{i}" for i in range(40)]
    path.write_text("\n".join(" ".join(words[(i + j) % 40] for j in range(12))
                               for i in range(lines)) + "\n")


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


@pytest.mark.parametrize("tool", ["fastw2v", "gensim-file"])
def test_train_job_trains_with_the_noise_exponent_asked(bench_train, tool, tmp_path):
    corpus = tmp_path / "c.txt"
    write_rotating_corpus(corpus, 100)
    args = bench_train.parse_args(["--corpus", str(corpus), "--tools", tool, "--modes", "sg-ns",
                                   "--ns-exponent", "1.0", "--vector-size", "8",
                                   "--min-count", "1", "--epochs", "1", "--workers", "1"])
    job = bench_train.make_job(args, "sg-ns", tool, 0, corpus, tmp_path, None)
    result, words_vectors = {}, []
    bench_train._worker_two_step(job, result, words_vectors)
    assert result["ns_exponent"] == 1.0
    assert words_vectors[1].shape == (40, 8)


def test_noise_exponent_is_refused_for_tools_with_their_own(bench_train, tmp_path):
    corpus = tmp_path / "c.txt"
    write_rotating_corpus(corpus, 10)
    for tool in ("ctool", "fasttext"):
        with pytest.raises(SystemExit):
            bench_train.parse_args(["--corpus", str(corpus), "--tools", f"fastw2v,{tool}",
                                    "--ns-exponent", "0.5"])
    assert bench_train.parse_args(["--corpus", str(corpus), "--tools", "ctool"]).ns_exponent == .75


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


def test_scaling_reports_the_median_analogy_of_each_tool(bench_scaling):
    """--analogies: each trained model's score, median per (tool, workers), in two more
    columns; --scale-epochs is named in the notes."""
    results = {"settings": {"modes": ["sg-ns"], "workers": [1, 16]}, "runs": [
        {"mode": "sg-ns", "tool": t, "workers": w, "words_per_second": 100.0 * w,
         "analogy": a}
        for t, w, a in [("fastw2v", 1, .30), ("fastw2v", 16, .01), ("fastw2v", 16, .02),
                        ("fastw2v", 16, .50), ("gensim", 16, .29)]]}
    rows = bench_scaling.summary(results)
    got = {(r["tool"], r["workers"]): r["analogy"] for r in rows}
    assert got == {("fastw2v", 1): .30, ("fastw2v", 16): .02, ("gensim", 16): .29}
    results.update(machine={"cpu": "x", "nproc": 16, "platform": "p"}, date="d")
    results["settings"].update(corpus="c", epochs=1, scale_epochs=True, vector_size=100,
                               window=5, min_count=5, repeats=3)
    text = bench_scaling.markdown(results, rows)
    assert "fastw2v analogy | gensim analogy |" in text
    line = [l for l in text.splitlines() if l.startswith("| sg-ns | 16 |")][0]
    assert line.rstrip().endswith("| 0.020 | 0.290 |")
    assert "epochs=1 x workers" in text


def test_shared_mode_is_compared_with_gensims_skip_gram(bench_scaling):
    """sg-ns-shared has no gensim counterpart: its gensim columns are gensim's sg-ns."""
    results = {"settings": {"modes": ["sg-ns", "sg-ns-shared"], "workers": [1, 4]}, "runs": [
        {"mode": m, "tool": t, "workers": w, "words_per_second": v}
        for m, t, w, v in [("sg-ns", "fastw2v", 1, 300.0), ("sg-ns", "fastw2v", 4, 900.0),
                           ("sg-ns", "gensim", 1, 100.0), ("sg-ns", "gensim", 4, 360.0),
                           ("sg-ns-shared", "fastw2v", 1, 600.0),
                           ("sg-ns-shared", "fastw2v", 4, 2160.0)]]}
    results.update(machine={"cpu": "x", "nproc": 4, "platform": "p"}, date="d")
    results["settings"].update(corpus="c", epochs=1, vector_size=300, window=5,
                               min_count=5, repeats=1)
    rows = bench_scaling.summary(results)
    assert not [r for r in rows if r["mode"] == "sg-ns-shared" and r["tool"] == "gensim"]
    line = [l for l in bench_scaling.markdown(results, rows).splitlines()
            if l.startswith("| sg-ns-shared | 4 |")][0]
    cells = [c.strip() for c in line.split("|")[1:-1]]
    # 2,160k / 600k = 3.6x its own 1 worker; gensim's sg-ns at 4: 360, so 6.0x
    assert cells[3] == "3.60x" and cells[6] == "6.00x"
    assert bench_scaling.MODES["sg-ns-shared"]["shared_negatives"] is True


def test_repeats_score_only_the_model_trained_once(bench_scaling, tmp_path):
    """A repeat trains the same model again; its analogy score would be that of a model
    trained twice, so only the first run of each model is scored."""
    corpus = tmp_path / "c.txt"
    write_rotating_corpus(corpus, 200)
    questions = tmp_path / "q.txt"
    questions.write_text(": s\nw1 w2 w3 w4\nw5 w6 w7 w8\n")
    args = bench_scaling.parse_args(["--corpus", str(corpus), "--modes", "sg-ns",
                                     "--workers", "1", "--repeats", "2", "--no-gensim",
                                     "--vector-size", "8", "--min-count", "1",
                                     "--analogies", str(questions)])
    runs = bench_scaling.run(args)["runs"]
    assert [r["repeat"] for r in runs] == [0, 1]
    assert "analogy" in runs[0] and "analogy" not in runs[1]


def test_a_failing_mode_keeps_the_others_report(bench_scaling, tmp_path, monkeypatch):
    """One mode crashing (as sg-hs once did on a lent machine) must not lose the modes
    that finished: the report is written with them, names the failure, and the exit
    status says something failed."""
    corpus = tmp_path / "c.txt"
    write_rotating_corpus(corpus, 200)
    real_train = bench_scaling.common.train

    def train(model, *a, **kw):
        if not model.sg:
            raise IndexError("index -27117 is out of bounds")
        return real_train(model, *a, **kw)

    monkeypatch.setattr(bench_scaling.common, "train", train)
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    status = bench_scaling.main(["--corpus", str(corpus), "--modes", "cbow-ns,sg-ns",
                                 "--workers", "1", "--no-gensim", "--vector-size", "8",
                                 "--min-count", "1", "--markdown", str(md), "--json", str(js)])
    assert status == 1
    text = md.read_text()
    rows = [l for l in text.splitlines() if l.startswith("| ") and "words/s" not in l]
    assert [r.split("|")[1].strip() for r in rows] == ["sg-ns"]
    assert "**cbow-ns failed**" in text and "IndexError: index -27117" in text
    import json
    saved = json.loads(js.read_text())
    assert {r["mode"] for r in saved["runs"]} == {"sg-ns"}
    assert saved["failed"][0]["mode"] == "cbow-ns"


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


@pytest.fixture(scope="module")
def common():
    return load("common")


@pytest.fixture(scope="module")
def bench_simd():
    return load("bench_simd")


def test_mode_table_names_the_four_modes(common):
    assert common.MODES == {"sg-ns": {"sg": 1, "hs": 0, "negative": 5},
                            "cbow-ns": {"sg": 0, "hs": 0, "negative": 5},
                            "sg-hs": {"sg": 1, "hs": 1, "negative": 0},
                            "cbow-hs": {"sg": 0, "hs": 1, "negative": 0}}
    assert common.mode_params("cbow-ns", negative=15) == {"sg": 0, "hs": 0, "negative": 15}
    assert common.mode_params("sg-hs", negative=15)["negative"] == 0   # hs modes keep 0
    common.mode_params("sg-ns", 9)
    assert common.MODES["sg-ns"]["negative"] == 5                      # the table is not changed


def test_comma_lists_are_checked(common):
    assert common.parse_list("sg-ns, cbow-hs,", choices=common.MODES) == ["sg-ns", "cbow-hs"]
    assert common.parse_list("1,2,16", kind=int) == [1, 2, 16]
    with pytest.raises(ValueError, match="unknown mode 'sg'"):
        common.parse_list("sg-ns,sg", choices=common.MODES, what="mode")
    with pytest.raises(ValueError, match="'x'"):
        common.parse_list("1,x", kind=int)


def test_median_and_ratio_skip_what_is_missing(common):
    assert common.median([3.0, None, 1.0, 2.0]) == 2.0
    assert common.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert common.median([]) is None and common.median([None]) is None
    assert common.ratio(3.0, 2.0) == 1.5
    assert common.ratio(None, 2.0) is None and common.ratio(3.0, None) is None
    assert common.ratio(3.0, 0) is None
    assert common.ratio(0.0, 2.0) == 0.0


def test_numbers_are_formatted_for_tables(common):
    assert common.fmt_rate(1_234_567) == "1,235k"
    assert common.fmt_rate(9_500) == "9,500"
    assert common.fmt_rate(None) == "—"
    assert common.fmt_ratio(1.2345) == "1.23x" and common.fmt_ratio(None) == "—"
    assert common.fmt_float(0.5, 3) == "0.500" and common.fmt_float(None, 3) == "—"
    assert common.md_escape("a|b\nc") == "a\\|b c"


def test_markdown_table_rows_and_alignment(common):
    lines = common.md_table(["mode", "words/s", "ratio"], [["sg-ns", "1,000k", 1.5],
                                                            ["cbow-hs", "—", None]], "lr")
    assert lines == ["| mode | words/s | ratio |", "|---|---:|---|",
                     "| sg-ns | 1,000k | 1.5 |", "| cbow-hs | — | None |"]


def test_markdown_and_json_are_written(common, tmp_path, capsys):
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    common.write_outputs("# report\n", str(md), str(js), {"rate": 1.5, "path": tmp_path})
    assert md.read_text() == "# report\n"
    import json
    assert json.loads(js.read_text()) == {"rate": 1.5, "path": str(tmp_path)}
    assert "# report" in capsys.readouterr().out


def test_run_and_report_stores_the_summary_and_writes_the_report(common, tmp_path, capsys):
    import json
    from types import SimpleNamespace
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    args = SimpleNamespace(n=3, markdown=str(md), json=str(js))
    results, rows = common.run_and_report(
        args, lambda a: {"runs": list(range(a.n))}, lambda r: [sum(r["runs"])],
        lambda r, rows: f"total {rows[0]}\n")
    assert rows == [3] and results == {"runs": [0, 1, 2], "summary": [3]}
    assert md.read_text() == "total 3\n" and json.loads(js.read_text()) == results
    assert "total 3" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_corpus_slice_keeps_lines_and_cuts_the_last(common, tmp_path, suffix):
    text = b"a b c\nd e\n\nf g h i\nj"
    path = tmp_path / f"c.txt{suffix}"
    with common.open_corpus(path, "wb") as fh:
        fh.write(text)
    out = common.corpus_slice(path, 7, tmp_path)
    assert out.read_bytes() == b"a b c\nd e\n\nf g\n"
    assert common.count_corpus(out)[:2] == (7, 4)
    (tmp_path / "whole").mkdir()
    whole = common.corpus_slice(path, 100, tmp_path / "whole")
    assert whole.read_bytes() == text + b"\n"
    plain = common.plain_corpus(path, tmp_path)
    assert plain.read_bytes() == text and (plain == path) == (suffix == "")


def test_child_runner_reports_exit_and_timeout(common, tmp_path):
    import sys
    done = common.run_child([sys.executable, "-c", "print('{\"x\": 1}'); raise SystemExit(3)"],
                            tmp_path / "a.log")
    assert done["returncode"] == 3 and not done["timed_out"] and done["peak_rss_kib"] > 0
    assert common.last_json_line((tmp_path / "a.log").read_text()) == {"x": 1}
    slow = common.run_child([sys.executable, "-c", "import time; time.sleep(60)"],
                            tmp_path / "b.log", timeout=0.5)
    assert slow["timed_out"] and slow["returncode"] != 0 and slow["wall_seconds"] < 30


def test_child_runner_pins_the_child_to_the_cpus_asked(common, tmp_path):
    import os
    import sys
    cpus = sorted(os.sched_getaffinity(0))
    code = "import json, os; print(json.dumps({'cpus': sorted(os.sched_getaffinity(0))}))"
    for want in ([cpus[-1]], None):
        done = common.run_child([sys.executable, "-c", code], tmp_path / "c.log", cpus=want)
        assert done["returncode"] == 0
        assert common.last_json_line((tmp_path / "c.log").read_text()) == {"cpus": want or cpus}


def test_json_line_is_the_last_object(common):
    assert common.last_json_line('{"a": 1}\nnoise\n{"a": 2}\n{broken\n') == {"a": 2}
    assert common.last_json_line("no json here") is None


def simd_run(mode, size, role, rep, wps, ok=True):
    return {"mode": mode, "vector_size": size, "role": role, "repeat": rep, "ok": ok,
            "words_per_second": wps}


def test_simd_ratio_is_of_medians_with_side_by_side_range(bench_simd):
    runs = [simd_run("sg-ns", 100, "baseline", 0, 100.0), simd_run("sg-ns", 100, "dispatched", 0, 98.0),
            simd_run("sg-ns", 100, "baseline", 1, 110.0), simd_run("sg-ns", 100, "dispatched", 1, 99.0),
            simd_run("sg-ns", 100, "baseline", 2, 300.0), simd_run("sg-ns", 100, "dispatched", 2, 300.0),
            simd_run("sg-ns", 100, "dispatched", 3, 1.0, ok=False),     # failed runs do not count
            simd_run("sg-ns", 300, "baseline", 0, 50.0)]                 # no dispatched run
    rows = bench_simd.summarise(runs, ["sg-ns", "cbow-hs"], [100, 300])
    assert len(rows) == 2                                                # cbow-hs has no runs
    r = rows[0]
    assert (r["baseline_wps"], r["dispatched_wps"]) == (110.0, 99.0)    # medians
    assert r["ratio"] == pytest.approx(0.9)
    assert r["pairs"] == 3
    assert r["paired_min"] == pytest.approx(0.9) and r["paired_max"] == pytest.approx(1.0)
    assert rows[1]["ratio"] is None and rows[1]["pairs"] == 0


def test_simd_pairs_alternate_their_order_and_share_a_cpu(bench_simd):
    plan = bench_simd.pair_plan(["sg-ns"], [100, 300], 4, [0, 5])
    assert len(plan) == 16
    pairs = [plan[k:k + 2] for k in range(0, 16, 2)]
    for (m1, s1, rep1, role1, cpu1), (m2, s2, rep2, role2, cpu2) in pairs:
        assert (m1, s1, rep1, cpu1) == (m2, s2, rep2, cpu2) and {role1, role2} == {
            "baseline", "dispatched"}
        # the baseline first in even repeats; CPUs in turn, two pairs each
        assert (role1 == "baseline") == (rep1 % 2 == 0)
        assert cpu1 == [0, 5][rep1 // 2]
    unpinned = bench_simd.pair_plan(["cbow-hs"], [100], 3, None)
    assert [(rep, role, cpu) for _, _, rep, role, cpu in unpinned] == [
        (0, "baseline", None), (0, "dispatched", None), (1, "dispatched", None),
        (1, "baseline", None), (2, "baseline", None), (2, "dispatched", None)]


def test_simd_pins_only_one_worker_runs(bench_simd, monkeypatch):
    monkeypatch.setattr(bench_simd.os, "sched_getaffinity", lambda pid: {3, 1})
    assert bench_simd.pin_cpus("auto", 1) == [1, 3]
    assert bench_simd.pin_cpus("auto", 2) is None and bench_simd.pin_cpus("off", 1) is None
    monkeypatch.setattr(bench_simd.os, "sched_getaffinity", lambda pid: {2})
    assert bench_simd.pin_cpus("auto", 1) is None


def test_simd_report_gives_each_pinned_cpus_medians(bench_simd):
    runs = [dict(simd_run("cbow-ns", 500, role, rep, wps), cpu=cpu)
            for role, rep, wps, cpu in [("baseline", 0, 100_000.0, 0), ("dispatched", 0, 104_000.0, 0),
                                        ("baseline", 1, 110_000.0, 1), ("dispatched", 1, 112_000.0, 1)]]
    rows = bench_simd.summarise(runs, ["cbow-ns"], [500])
    meta = dict(simd_meta("avx512", "avx512"), this_build="def5678", pinned_cpus=[0, 1],
                other_build={"path": "../old", "name": "abc1234"})
    text = bench_simd.report(meta, rows, runs)
    assert "pinned to one CPU, the pairs taking CPUs 0, 1 in turn" in text
    assert "- Per CPU (CPU 0 / CPU 1), median words/s:" in text
    assert "  - cbow-ns 500: build abc1234 100k / 110k; build def5678 104k / 112k" in text
    assert "Not pinned" in bench_simd.report(simd_meta("native", "avx2"), rows, runs)


def test_simd_verdict_counts_ratios_below_the_tolerance(bench_simd):
    def row(mode, ratio):
        return {"mode": mode, "vector_size": 100, "ratio": ratio}
    yes = bench_simd.verdict([row("sg-ns", 1.02), row("cbow-ns", 0.95)])
    assert yes.startswith("Yes") and "all 2 cases" in yes and "0.95, cbow-ns size 100" in yes
    no = bench_simd.verdict([row("sg-ns", 1.02), row("cbow-ns", 0.94), row("sg-hs", None)])
    assert no.startswith("No") and "1 of 2 cases: cbow-ns size 100 (0.94)" in no
    assert "1 case(s) without both builds" in no
    assert bench_simd.verdict([row("cbow-ns", 0.94)], tolerance=0.1).startswith("Yes")
    assert bench_simd.verdict([row("sg-ns", None)]).startswith("No answer")


def simd_meta(baseline, dispatched):
    return {"date": "d", "command": "c",
            "variants": {"baseline": baseline, "dispatched": dispatched},
            "host": {"cpu_model": "Some CPU", "nproc": 2, "platform": "p", "python": "3",
                     "numpy": "2"},
            "corpus": {"path": "x.txt", "words": 1000},
            "settings": {"tolerance": 0.05, "workers": 2, "window": 5, "min_count": 5,
                         "repeats": 1}}


def test_simd_report_names_both_variants_and_the_host(bench_simd):
    runs = [simd_run("cbow-ns", 300, "baseline", 0, 200_000.0),
            simd_run("cbow-ns", 300, "dispatched", 0, 180_000.0),
            dict(simd_run("cbow-ns", 300, "dispatched", 1, None, ok=False), error="boom")]
    rows = bench_simd.summarise(runs, ["cbow-ns"], [300])
    text = bench_simd.report(simd_meta("native", "avx2"), rows, runs)
    assert "No: the dispatched kernels are more than 5% slower than native" in text
    assert "| cbow-ns | 300 | 200k | 180k | 0.900 | 0.900–0.900 | 1 |" in text
    assert "dispatched (avx2) words/s" in text and "Some CPU" in text
    assert "1 run(s) failed, first: boom" in text


def test_simd_children_get_the_forced_or_the_dispatched_kernels(bench_simd, monkeypatch):
    monkeypatch.setenv("FASTW2V_FORCE_SIMD", "portable")
    assert "FASTW2V_FORCE_SIMD" not in bench_simd.child_env(None)
    assert bench_simd.child_env("native")["FASTW2V_FORCE_SIMD"] == "native"


def test_simd_other_build_report_names_both_builds(bench_simd):
    runs = [simd_run("sg-ns", 500, "baseline", 0, 100_000.0),
            simd_run("sg-ns", 500, "dispatched", 0, 110_000.0)]
    rows = bench_simd.summarise(runs, ["sg-ns"], [500])
    meta = dict(simd_meta("avx512", "avx512"), this_build="def5678",
                other_build={"path": "../old", "name": "abc1234"})
    text = bench_simd.report(meta, rows, runs)
    assert "## Build def5678 against build abc1234" in text
    assert "Yes: this build's runs are within 5% of build abc1234" in text
    assert "| build def5678 / build abc1234 |" in text
    assert "| sg-ns | 500 | 100k | 110k | 1.100 | 1.100–1.100 | 1 |" in text
    assert "`../old`, imported through `PYTHONPATH`" in text


def test_simd_other_build_runs_must_import_their_checkout(bench_simd, monkeypatch, tmp_path):
    env = bench_simd.child_env(None, str(tmp_path))
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path.resolve())
    mine = str(bench_simd.common.REPO_ROOT.resolve() / "fastw2v")
    theirs = str(tmp_path.resolve() / "fastw2v")
    ok = {"ok": True}
    assert bench_simd.came_from(dict(ok, package_dir=theirs), str(tmp_path), "baseline") is None
    assert bench_simd.came_from(dict(ok, package_dir=mine), str(tmp_path), "dispatched") is None
    assert "not" in bench_simd.came_from(dict(ok, package_dir=mine), str(tmp_path), "baseline")
    assert "not" in bench_simd.came_from(dict(ok, package_dir=theirs), str(tmp_path), "dispatched")
    assert bench_simd.came_from(dict(ok, package_dir=mine), None, "baseline") is None


def test_simd_arguments(bench_simd, tmp_path):
    from fastw2v import datasets
    args = bench_simd.parse_args([])
    assert args.corpus == datasets.wiki_sample and args.sizes == [100, 300]
    assert args.modes == ["sg-ns", "cbow-ns", "sg-hs", "cbow-hs"]
    assert (args.repeats, args.workers, args.baseline) == (5, 2, "native")
    for argv in (["--modes", "sg"], ["--sizes", "100,x"], ["--sizes", "0"], ["--repeats", "0"],
                 ["--corpus", str(tmp_path / "missing.txt")]):
        with pytest.raises(SystemExit) as e:
            bench_simd.parse_args(argv)
        assert e.value.code == 2


@pytest.fixture(scope="module")
def bench_hot_rows():
    return load("bench_hot_rows")


def test_hot_row_settings_parse_and_reject_nonsense(bench_hot_rows):
    name, setting = bench_hot_rows.parse_setting("out256=511,256,0,2000")
    assert name == "out256"
    assert setting == {"HOT_NODES": 511, "HOT_OUTPUTS": 256, "HOT_WORDS": 0,
                       "HOT_MERGE_TOTAL": 2000}
    for bad in ["out256", "x=1,2,3", "x=1,2,3,0", "x=-1,0,0,5", "=1,2,3,4"]:
        with pytest.raises(ValueError):
            bench_hot_rows.parse_setting(bad)


def test_hot_row_settings_exist_in_the_trainer(bench_hot_rows):
    """The benchmark sets the trainer's constants by name: they must exist there."""
    from fastw2v.training import trainer
    for field in bench_hot_rows.FIELDS:
        assert isinstance(getattr(trainer, field), int)


def test_hot_row_fraction_applies_while_training_and_is_restored(bench_hot_rows, tmp_path,
                                                                 monkeypatch):
    """--fraction sets the trainer's cap on copied rows for the runs (the 16-core sweep
    needed 1,024 rows of a 27k-word vocabulary, above V/64), and every trainer constant
    is back to its value afterwards, also when a run fails."""
    from fastw2v.training import trainer
    corpus = tmp_path / "c.txt"
    write_rotating_corpus(corpus, 100)
    before = {k: getattr(trainer, k) for k in bench_hot_rows.FIELDS
              + ("HOT_FRACTION", "HOT_OUTPUTS_MIN_WORKERS")}
    seen = []

    def train(model, *a, **kw):
        assert trainer.HOT_OUTPUTS_MIN_WORKERS == 1     # the setting's outputs apply at 2
        seen.append((model.workers, trainer.HOT_FRACTION, trainer.HOT_OUTPUTS))
        if len(seen) == 3:
            raise RuntimeError("stop")
        return 1.0, None

    monkeypatch.setattr(bench_hot_rows.common, "train", train)
    args = bench_hot_rows.parse_args(["--corpus", str(corpus), "--workers", "2", "--modes", "sg-ns",
                                      "--vector-size", "8", "--fraction", "4",
                                      "--setting", "a=7,33,0,10", "--setting", "b=7,9,0,10"])
    with pytest.raises(RuntimeError, match="stop"):
        bench_hot_rows.run(args)
    assert seen == [(1, 4, before["HOT_OUTPUTS"]), (2, 4, 33), (2, 4, 9)]
    assert {k: getattr(trainer, k) for k in before} == before
    with pytest.raises(SystemExit):
        bench_hot_rows.parse_args(["--corpus", str(corpus), "--fraction", "0"])


def test_hot_row_summary_is_against_one_worker(bench_hot_rows):
    results = {"settings": {"modes": ["sg-ns"]}, "runs": [
        {"mode": "sg-ns", "setting": "1 worker", "words_per_second": 100.0},
        {"mode": "sg-ns", "setting": "a", "words_per_second": 300.0, "analogy": .2},
        {"mode": "sg-ns", "setting": "a", "words_per_second": 500.0, "analogy": .4},
    ]}
    rows = {r["setting"]: r for r in bench_hot_rows.summary(results)}
    assert rows["a"]["speedup"] == pytest.approx(4.0)
    assert rows["a"]["analogy"] == pytest.approx(.3)
    assert rows["1 worker"]["analogy"] is None


def test_child_peak_rss_is_its_own_not_the_parents():
    """A child's peak RSS must not inherit the parent's high-water mark (ru_maxrss
    does, through fork and exec): a parent holding 300 MiB starts a child that uses
    little, and the child reports well under 300 MiB."""
    import subprocess
    import sys
    ballast = bytearray(300 * 1024 * 1024)            # touched: zero-filled by the kernel
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    code = ("import sys; sys.path.insert(0, %r); import common; "
            "print(common.self_peak_rss_kib())" % str(BENCH))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    del ballast
    assert 0 < int(out.split()[-1]) < 200 * 1024


@pytest.fixture(scope="module")
def bench_layout():
    return load("bench_layout")


def test_layout_bench_trains_each_model_in_its_layout(bench_layout, tmp_path, monkeypatch):
    """The "contiguous" model trains on plain C-contiguous rows (the trainer is kept
    from moving them into the padded layout) and the "padded" one on padded rows; the
    trainer's layout function is restored after the runs."""
    import numpy as np
    from fastw2v.kernels import layout
    corpus = tmp_path / "c.txt"
    write_rotating_corpus(corpus, 100)
    keep = layout.trainable
    real_train = bench_layout.common.train
    seen = []

    def train(model, corpus, epochs, **kw):
        out = real_train(model, corpus, epochs, **kw)
        v = model.wv.vectors
        seen.append((v.flags.c_contiguous, layout.in_layout(v)))
        return out

    monkeypatch.setattr(bench_layout.common, "train", train)
    args = bench_layout.parse_args(["--corpus", str(corpus), "--modes", "sg-ns",
                                    "--vector-sizes", "100", "--repeats", "2"])
    results = bench_layout.run(args)
    assert seen == [(False, True), (True, False)] * 2
    assert layout.trainable is keep
    rows = bench_layout.summary(results)
    assert len(rows) == 1 and rows[0]["stride"] == 112
    wps = {name: np.median([r["words_per_second"] for r in results["runs"]
                            if r["layout"] == name]) for name in bench_layout.LAYOUTS}
    assert rows[0]["ratio"] == pytest.approx(wps["padded"] / wps["contiguous"])
    assert "| sg-ns | 100 | 112 |" in bench_layout.markdown(results, rows)
    with pytest.raises(SystemExit):
        bench_layout.parse_args(["--corpus", str(corpus), "--vector-sizes", "0"])


def test_load_table_follows_the_runs():
    """bench_load's row: median seconds, GB/s of the file, what loading added over the
    matrix, and the same once key_to_index was used (absent from older runs)."""
    bench_load = load("bench_load")
    mib = 1024

    def res(secs, before, peak, indexed=None):
        r = {"seconds": secs, "rss_before_kib": before * mib, "peak_rss_kib": peak * mib}
        if indexed is not None:
            r["peak_rss_indexed_kib"] = indexed * mib
        return r
    matrix = 400 * 2**20
    results = {"binary": {"fastw2v": [res(0.5, 50, 470, 500), res(0.4, 50, 462, 510),
                                      res(2.0, 50, 466, 490)],
                          "gensim": [res(2.0, 60, 520), res(1.0, 60, 500)]}}
    rows = bench_load.summarise(results, {"binary": 10**9}, matrix)
    assert rows[0] == ["binary", "fastw2v", "0.50", "2.00", "0.46", "0.41", "1.040", "1.125"]
    assert rows[1] == ["binary", "gensim", "1.50", "0.67", "0.50", "0.44", "1.125", "—"]


def test_handoff_groups_follow_the_probes():
    """bench_handoff: a run is fast or slow only when both of its probes say so; each
    group's speed-up is the median of two-worker over one-worker words/s."""
    bench_handoff = load("bench_handoff")
    assert bench_handoff.group(50, 60, 100, 150) == "fast"
    assert bench_handoff.group(210, 230, 100, 150) == "slow"
    assert bench_handoff.group(50, 230, 100, 150) == "mixed"
    assert bench_handoff.group(120, 60, 100, 150) == "between"

    def r(before, after, two, one=1000.0, mode="sg-ns"):
        return {"mode": mode, "probe_before": before, "probe_after": after, "two": two,
                "one": one}
    runs = [r(50, 60, 1900.0), r(55, 70, 1800.0), r(40, 45, 2000.0),
            r(220, 230, 1200.0, 990.0), r(60, 210, 1400.0)]
    rows = bench_handoff.summarise(runs, 100, 150)
    assert rows[0] == ["sg-ns", "fastw2v", "fast", "3", "52", "1,900", "1.90x", "1.80-2.00"]
    assert rows[1][:4] == ["sg-ns", "fastw2v", "slow", "1"] and rows[1][6] == "1.21x"
    assert rows[2][:4] == ["sg-ns", "fastw2v", "mixed", "1"] and rows[2][6] == "1.40x"
    # against gensim: medians of the same probe group, no single-worker runs needed
    for run in runs:
        run["tool"] = "fastw2v"
    runs += [dict(r(50, 50, 600.0), tool="gensim", one=None),
             dict(r(60, 40, 400.0), tool="gensim", one=None),
             dict(r(220, 220, 300.0), tool="gensim", one=None)]
    assert bench_handoff.compare(runs, 100, 150) == [["sg-ns", "fast", "3 / 2", "3.80x"],
                                                     ["sg-ns", "slow", "1 / 1", "4.00x"]]
    gensim_rows = [row for row in bench_handoff.summarise(runs, 100, 150) if row[1] == "gensim"]
    assert gensim_rows[0] == ["sg-ns", "gensim", "fast", "2", "50", "500", "—", "—"]
