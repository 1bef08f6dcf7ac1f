#!/usr/bin/env bash
# The whole suite (`npm test`) with two CPU-bound processes running alongside, as on a busy CI
# runner or a laptop doing other work: a test that holds only on an idle machine fails here.
#   scripts/test-under-load.sh [RUNS] [-- jest arguments]     (npm run test:load -- RUNS)
# Prints one line per run (passed or failed, wall time, load average) and exits non-zero when any
# run failed. Each run's output is in reports/test-under-load-N.log.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1}
shift || true
[ "${1:-}" = "--" ] && shift
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/test-under-load.sh [RUNS] [-- jest arguments]" >&2
  exit 2
fi

burners=()
suite=''
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${burners[@]}"; do wait "$pid" 2>/dev/null; done
  burners=()
}
stop_all() {
  [ -n "$suite" ] && kill -- "-$suite" 2>/dev/null
  stop_burners
}
trap stop_all EXIT
trap 'exit 130' INT TERM

mkdir -p reports
failed=0
for run in $(seq 1 "$runs"); do
  for _ in 1 2; do
    node -e 'for (;;);' &
    burners+=("$!")
  done
  log="reports/test-under-load-$run.log"
  started=$(date +%s%N)
  # A process group of its own (setsid): an interrupted run stops jest's workers too.
  setsid npm test -- "$@" >"$log" 2>&1 &
  suite=$!
  if wait "$suite"; then outcome=passed; else outcome=FAILED; failed=$((failed + 1)); fi
  suite=''
  tenths=$((($(date +%s%N) - started) / 100000000))
  stop_burners
  printf 'run %d of %d: %s in %d.%d s (load average %s); %s\n' "$run" "$runs" "$outcome" \
    "$((tenths / 10))" "$((tenths % 10))" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$(grep -E '^Tests:' "$log" | tail -1)"
done
echo "$((runs - failed)) of $runs runs passed with two CPU-bound processes alongside"
[ "$failed" -eq 0 ]
