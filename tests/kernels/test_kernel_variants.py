"""The SIMD variants of the kernels: each one compiled in and runnable here matches the
NumPy reference, the best one is chosen at import, and FASTW2V_FORCE_SIMD overrides it."""
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

from fastw2v import kernels
from fastw2v.kernels._cpu import runnable_variants

from conftest import MODES
from test_kernels import make_case, run_both


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(f.read().split())
    except OSError:
        return set()


@pytest.mark.parametrize("variant", kernels.available_variants())
@pytest.mark.parametrize("mode", list(MODES) + ["sg-both"])
def test_every_variant_matches_reference(variant, mode):
    """Each variant (a whole compiled copy of the sentence loop) trains what the NumPy
    reference trains, at a width with a tail (13), one above the register path (129) and
    one whose columns end in blocks of every width after the 64- or 32-float chunks (300)."""
    impl = importlib.import_module(f"fastw2v.kernels._train_{variant}")
    for dim in (13, 129, 300):
        k_w, r_w, worker, ref, _ = run_both(mode, dim=dim, compute_loss=True, kernels=impl)
        for name, k, r in zip(("syn0", "syn1", "syn1neg"), k_w, r_w):
            np.testing.assert_allclose(k, r, rtol=1e-4, atol=2e-6, err_msg=f"{variant} {name}")
        assert worker.take_stats()[0] == pytest.approx(ref.loss, rel=1e-4)


def test_best_runnable_variant_is_chosen():
    if os.environ.get("FASTW2V_FORCE_SIMD"):
        assert kernels.SIMD_VARIANT == os.environ["FASTW2V_FORCE_SIMD"].strip().lower()
    else:
        assert kernels.SIMD_VARIANT == kernels.available_variants()[0]
    assert kernels.available_variants()[-1] == "portable"


def test_cpu_detection_agrees_with_the_cpu_flags():
    flags = _cpu_flags()
    if not flags or not sys.platform.startswith("linux"):
        pytest.skip("no /proc/cpuinfo to compare with")
    runnable = runnable_variants()
    assert ("avx2" in runnable) == ({"avx2", "fma"} <= flags)
    assert ("avx512" in runnable) == ({"avx2", "fma", "avx512f", "avx512vl", "avx512bw",
                                       "avx512dq"} <= flags)


def test_register_path_only_in_the_avx512_variant():
    """The register-resident loops exist only where AVX-512 is compiled in, and a model
    uses them only up to 128 floats and unless asked not to."""
    for variant in kernels.available_variants():
        impl = importlib.import_module(f"fastw2v.kernels._train_{variant}")
        if variant in ("portable", "avx2"):
            assert not impl.HAVE_REG_PATH
        elif variant == "avx512":
            assert impl.HAVE_REG_PATH
        for dim, asked in ((100, True), (129, True), (100, False)):
            _, weights, kw, _ = make_case("sg-ns", dim=dim)
            km = impl.Model(*weights, register_kernels=asked, **kw)
            assert km.uses_register_kernels is (impl.HAVE_REG_PATH and dim <= 128 and asked)


def test_amd_family_agrees_with_cpuinfo():
    """The CPU family read by CPUID is the one Linux reports (0 on other vendors)."""
    from fastw2v.kernels._cpu import amd_family
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                        if ":" in line)
    except OSError:
        pytest.skip("no /proc/cpuinfo to compare with")
    info = {k.strip(): v.strip() for k, v in info.items()}
    if "vendor_id" not in info or "cpu family" not in info:
        pytest.skip("/proc/cpuinfo names no x86 vendor and family")
    amd = info["vendor_id"] == "AuthenticAMD"
    assert amd_family() == (int(info["cpu family"]) if amd else 0)


@pytest.mark.parametrize("env, family, want", [
    ("", 0x19, False),          # Zen 4: the register loops are slower there
    ("", 0x1A, True),           # Zen 5
    ("", 0, True),              # Intel, or not x86
    ("1", 0x19, True),
    ("0", 0x1A, False),
    (" 0 ", 0, False),
])
def test_register_kernels_choice(monkeypatch, env, family, want):
    """Models use the register-resident loops where the variant has them, unless the CPU
    runs them slower (AMD family 0x19 with AVX-512: Zen 4) or FASTW2V_REGISTER_KERNELS
    says otherwise."""
    monkeypatch.setenv("FASTW2V_REGISTER_KERNELS", env)
    monkeypatch.setattr(kernels, "amd_family", lambda: family)
    assert kernels._register_kernels() is (want and kernels.HAVE_REG_PATH)


def test_register_kernels_rejects_a_bad_setting(monkeypatch):
    monkeypatch.setenv("FASTW2V_REGISTER_KERNELS", "yes")
    with pytest.raises(ImportError, match="FASTW2V_REGISTER_KERNELS='yes': use 1"):
        kernels._register_kernels()


@pytest.mark.parametrize("setting", ["0", "1"])
def test_models_train_with_the_register_kernels_chosen(setting):
    """A model's kernels follow the choice made at import (FASTW2V_REGISTER_KERNELS here),
    and show_config reports it."""
    code = ("import fastw2v, io; from fastw2v import Word2Vec, kernels; "
            "m = Word2Vec([['a', 'b', 'c']] * 20, vector_size=100, min_count=1); "
            "print(m.state.kernel_model(False).uses_register_kernels, "
            "fastw2v.show_config(io.StringIO())['register_kernels'], kernels.HAVE_REG_PATH)")
    env = dict(os.environ, FASTW2V_REGISTER_KERNELS=setting)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=os.path.dirname(__file__))
    assert r.returncode == 0, r.stderr
    used, reported, have = r.stdout.split()
    want = str(have == "True" and setting == "1")
    assert used == reported == want


def _import_with(value):
    env = dict(os.environ, FASTW2V_FORCE_SIMD=value)
    code = "import fastw2v.kernels as k; print(k.SIMD_VARIANT)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, cwd=os.path.dirname(__file__))


def test_force_simd_selects_the_portable_variant():
    r = _import_with("portable")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "portable"


def test_force_simd_rejects_an_unknown_variant():
    r = _import_with("sse9")
    assert r.returncode != 0
    assert "FASTW2V_FORCE_SIMD='sse9' is not a kernel variant" in r.stderr


def test_force_simd_rejects_a_variant_this_cpu_cannot_run():
    unrunnable = [v for v in ("avx512", "avx2") if v not in runnable_variants()]
    if not unrunnable:
        pytest.skip("this CPU runs every variant")
    r = _import_with(unrunnable[0])
    assert r.returncode != 0
    assert "this CPU cannot run" in r.stderr


def test_show_config_names_the_variant(capsys):
    import fastw2v
    info = fastw2v.show_config()
    out = capsys.readouterr().out
    assert info["simd_variant"] == kernels.SIMD_VARIANT
    assert f"simd_variant:     {kernels.SIMD_VARIANT}" in out
