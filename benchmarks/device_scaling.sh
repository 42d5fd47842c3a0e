#!/usr/bin/env bash
# Thread scaling on a many-core machine without network access, in a few minutes:
# builds fastw2v in place, then runs bench_scaling.py for fastw2v and gensim at
# 1, 2, 4, 8 and 16 workers (N workers train N epochs, so every run lasts about as long),
# with the ceiling of N independent 1-worker processes and each model's analogy score
# (speed with broken vectors is no speed), and writes the tables, JSON, plots and lscpu
# into $OUT/results.tgz (packed again after every step, so a run cut short still returns
# what it finished), the log to $OUT/log.txt.
#
# Set-up on the machine you work from (the files travel with the working tree, ignored
# by git through .git/info/exclude):
#   .whl/      gensim and smart_open wheels for the target's Python, when it lacks gensim
#              (pip download --no-deps --only-binary=:all: --python-version 3.12 ...)
#   .devdata/  the corpus, e.g. the first 3M words of wiki17m, xz-compressed
# Knobs (environment): OUT, CORPUS, WORKERS, MODES, VECTOR_SIZES, REPEATS, NO_GENSIM=1,
# PYTHON; per vector size d: WORKERS_d, MODES_d, ISOLATED_d=0 (no ceiling runs at d);
# SWEEP=1 first runs bench_hot_rows.py (which rows to keep in per-thread copies, with
# each setting's analogy score) at the largest worker count, or at each count of
# SWEEP_WORKERS (e.g. 4,8: where hot output rows start to pay; the trainer uses them
# from HOT_OUTPUTS_MIN_WORKERS = 3 on); FRACTION=N lets a setting copy up to V/N rows,
# 64 by default.
#
# Time on the 16-core Xeon (2026-11-27, 3M words): build 33 s; vector_size 100, sg-ns
# and cbow-ns with gensim and the ceiling, 1..16 workers: 260 s; vector_size 300, sg-ns
# and cbow-ns at 1 and 16 workers: 140 s; a 4-setting sweep of two modes: 65 s. A lent
# machine gives 15 minutes in all, a start included, and 10 minutes a call: run the
# rest (sg-hs, cbow-hs) as a second call on the warm machine, e.g. SKIP_BUILD=1
# MODES=sg-hs,cbow-hs (build outputs stay between calls).
set -euo pipefail
OUT=${OUT:-/tmp/fastw2v-scaling}
CORPUS=${CORPUS:-.devdata/wiki3m.txt.xz}
WORKERS=${WORKERS:-1,2,4,8,16}
MODES=${MODES:-sg-ns,cbow-ns}
VECTOR_SIZES=${VECTOR_SIZES:-100}
REPEATS=${REPEATS:-1}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
RES=$(mktemp -d)
pack() { tar czf "$OUT/results.tgz" -C "$RES" . ; }
exec > >(tee -a "$OUT/log.txt") 2>&1

if ! "$PY" -c "import gensim" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/fastw2v-site .whl/*.whl
    export PYTHONPATH=/tmp/fastw2v-site${PYTHONPATH:+:$PYTHONPATH}
fi
lscpu > "$RES/lscpu.txt"
grep -m1 "Model name" "$RES/lscpu.txt"
pack

start=$(date +%s)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    "$PY" setup.py -q build_ext --inplace -j "$(nproc)" > "$RES/build.log" 2>&1 \
        || { tail -40 "$RES/build.log"; pack; exit 1; }
    echo "built in $(( $(date +%s) - start )) s"
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
"$PY" -c "import fastw2v; fastw2v.show_config()"

if [ "${SWEEP:-0}" = 1 ]; then
    sweep_workers=${SWEEP_WORKERS:-${WORKERS##*,}}
    for top in ${sweep_workers//,/ }; do
        PYTHONUNBUFFERED=1 "$PY" benchmarks/bench_hot_rows.py --corpus "$CORPUS" --workers "$top" \
            --modes "$MODES" --uniform --analogies fastw2v/data/questions-words.txt \
            --fraction "${FRACTION:-64}" \
            --setting nodes=511,0,0,2000 --setting out256=511,256,0,2000 \
            --setting out256-m16k=511,256,0,16000 --setting out256-w64=511,256,64,2000 \
            --setting out256-w256=511,256,256,2000 \
            --markdown "$RES/hot_rows_$top.md" --json "$RES/hot_rows_$top.json"
        pack
    done
fi

extra=()
[ "${NO_GENSIM:-0}" = 1 ] && extra+=(--no-gensim)
for d in ${VECTOR_SIZES//,/ }; do
    w=WORKERS_$d; m=MODES_$d; iso=ISOLATED_$d
    iso_flag=(--isolated)
    [ "${!iso:-1}" = 0 ] && iso_flag=()
    PYTHONUNBUFFERED=1 "$PY" benchmarks/bench_scaling.py --corpus "$CORPUS" \
        --modes "${!m:-$MODES}" --workers "${!w:-$WORKERS}" --scale-epochs --repeats "$REPEATS" \
        "${iso_flag[@]}" --vector-size "$d" --analogies fastw2v/data/questions-words.txt \
        "${extra[@]}" --markdown "$RES/scaling$d.md" --json "$RES/scaling$d.json" \
        --plot "$RES/scaling$d.png" || echo "bench_scaling at vector_size $d failed"
    pack
done
echo "total $(( $(date +%s) - start )) s"
