#!/usr/bin/env bash
# Build fastw2v's compiled modules with AddressSanitizer + UndefinedBehaviorSanitizer into a
# separate directory and run the kernel, vocabulary, table, loader and reliability tests
# against that build. Fails on any sanitizer report (in pytest or in the child processes
# the tests start). The regular build (.venv, site-packages) is left alone.
#
#   scripts/sanitize.sh                 # the default test list
#   scripts/sanitize.sh tests/kernels -k sg    # or your own pytest arguments
#
# Needs gcc with libasan/libubsan and a Python with the test extras installed (the
# script uses `python` from PATH, or $PYTHON). Results: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python}
BUILD=${FASTW2V_SANITIZE_DIR:-$ROOT/build/sanitize}
FLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# every kernel variant keeps its own instruction-set flags (setup.py adds them), so the
# variants this CPU runs are all checked (tests/kernels/test_kernel_variants.py runs each)
TESTS=("$@")
if [ ${#TESTS[@]} -eq 0 ]; then
    TESTS=(tests/kernels tests/unit/test_vocab.py tests/unit/test_tables.py
           tests/unit/test_formats.py tests/unit/test_text_loader.py tests/unit/test_corpus.py
           tests/unit/test_packed_keys.py tests/unit/test_pickle_scan.py
           tests/reliability)
fi

rm -rf "$BUILD/src" "$BUILD/logs"
mkdir -p "$BUILD/src" "$BUILD/logs"
cp -r setup.py pyproject.toml README.md LICENSE MANIFEST.in fastw2v "$BUILD/src/"
find "$BUILD/src/fastw2v" \( -name '*.so' -o -name '*.c' -o -name '__pycache__' \) -prune \
    -exec rm -rf {} +

# the build requirements (pyproject.toml) beside, not in, the Python environment
if [ ! -d "$BUILD/tools/Cython" ]; then
    "$PYTHON" -m pip install -q --target "$BUILD/tools" "Cython>=3.0" "setuptools>=77" wheel
fi
BUILD_PATH="$BUILD/tools"
echo "== building the kernels with: $FLAGS"
(cd "$BUILD/src" && FASTW2V_DEBUG_FLAGS="$FLAGS" LDFLAGS="-fsanitize=address,undefined" \
    PYTHONPATH="$BUILD_PATH" "$PYTHON" setup.py -q build_ext --inplace \
    >"$BUILD/logs/build.log" 2>&1) \
    || { tail -30 "$BUILD/logs/build.log"; exit 1; }
for SO in "$BUILD"/src/fastw2v/kernels/_train_*.so "$BUILD"/src/fastw2v/corpus/_tokenize*.so; do
    nm -D "$SO" >"$BUILD/logs/symbols.txt"
    grep -q __asan_init "$BUILD/logs/symbols.txt" || { echo "$SO lacks ASan"; exit 1; }
    grep -q __ubsan_handle "$BUILD/logs/symbols.txt" || { echo "$SO lacks UBSan"; exit 1; }
done

LIBASAN=$(gcc -print-file-name=libasan.so)
LIBUBSAN=$(gcc -print-file-name=libubsan.so)
# CPython keeps objects alive until exit by design: leak reports would be noise.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$BUILD/logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LD_PRELOAD="$LIBASAN $LIBUBSAN"
export PYTHONPATH="$BUILD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONMALLOC=malloc          # Python's allocations go through ASan too

echo "== self-test: the sanitizers report a use-after-free and an integer overflow"
cat >"$BUILD/canary.c" <<'C'
#include <stdlib.h>
int use_after_free(int i) { int *a = malloc(4 * sizeof(int)); a[i] = i; free(a); return a[i]; }
int signed_overflow(int x) { return x + 1; }
C
gcc -shared -fPIC $FLAGS -o "$BUILD/canary.so" "$BUILD/canary.c"
for fn in "use_after_free(1)" "signed_overflow(2147483647)"; do
    if ("$PYTHON" -c "import ctypes; ctypes.CDLL('$BUILD/canary.so').$fn") \
            2>>"$BUILD/logs/canary.log"; then
        echo "sanitizers did not catch $fn: the set-up is broken"; exit 1
    fi
done
grep -lq "heap-use-after-free" "$BUILD"/logs/asan.* \
    || { echo "no ASan report for the canary use-after-free"; exit 1; }
# UBSan reports go to stderr (log_path is ASan's), and halt_on_error makes them fatal
grep -q "runtime error: signed integer overflow" "$BUILD/logs/canary.log" \
    || { echo "no UBSan report for the canary overflow"; exit 1; }
rm -f "$BUILD"/logs/asan.* "$BUILD/logs/canary.log"

# run from $BUILD: from the source tree, `import fastw2v` would find ./fastw2v first
cd "$BUILD"
echo "== tests against $("$PYTHON" -c 'import fastw2v.kernels as k; print(k.impl.__file__)')"
"$PYTHON" -c 'import fastw2v.kernels as k, sys; sys.exit(not k.impl.__file__.startswith(sys.argv[1]))' \
    "$BUILD/src" || { echo "the tests would not use the sanitized build"; exit 1; }
# (pytest's status is read from PIPESTATUS right after the pipeline: behind `|| true`
# it would be true's, and a failing run would pass)
set +e
"$PYTHON" -m pytest -q -p no:cacheprovider --rootdir="$ROOT" "${TESTS[@]/#/$ROOT/}" 2>&1 \
    | tee "$BUILD/logs/pytest.log"
status=${PIPESTATUS[0]}
set -e
# ASan reports: log files (from pytest and every child process); UBSan reports: stderr,
# which pytest shows for failing tests and children's stderr is in the failures' output
asan=$(cat "$BUILD"/logs/asan.* 2>/dev/null | grep -c "ERROR: AddressSanitizer" || true)
ubsan=$(grep -c "runtime error:" "$BUILD/logs/pytest.log" || true)
echo "== AddressSanitizer reports: $asan, UndefinedBehaviorSanitizer reports: $ubsan," \
     "pytest exit status: $status"
if [ "$asan" -gt 0 ]; then
    head -80 "$BUILD"/logs/asan.*
fi
if [ "$asan" -gt 0 ] || [ "$ubsan" -gt 0 ] || [ "$status" -ne 0 ]; then
    exit 1
fi
echo "== clean"
