#!/usr/bin/env bash
# The reliability checks that need their own build (build-check/: clang, AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer coverage; libtorch probes left out):
#  1. the unit tests and the fuzz replays under the sanitizers: any report fails;
#  2. each libFuzzer harness for FWTAX_FUZZ_SECONDS (default 25) from its seed corpus. A crash,
#     sanitizer report, leak or timeout fails; the input is copied to tests/fuzz/regressions/<harness>/
#     so that it can be fixed and kept (ctest -L fuzz-replay replays that folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FWTAX_FUZZ_SECONDS:-25}
build=build-check
cmake -S . -B $build -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFWTAX_FUZZ=ON \
  -DFWTAX_BUILD_BENCH=OFF -DFWTAX_WITH_TORCH=OFF -DFWTAX_WITH_CUDA=OFF >/dev/null
cmake --build $build -j"$(nproc)" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== unit tests and fuzz replays under ASan + UBSan"
ctest --test-dir $build -j"$(nproc)" -L 'unit|fuzz-replay' --output-on-failure
echo "== fuzzing, ${seconds} s per harness"
status=0
for h in device architecture trace measured calibration cli_args; do
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$h/." "$work/"
  mkdir -p "$work/crashes"
  log="$build/fuzz_$h.log"
  if $build/tests/fuzz/fuzz_$h -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$work/crashes/" -print_final_stats=1 "$work" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz_$h: ${seconds} s, ${runs} inputs, no findings"
  else
    status=1
    mkdir -p "tests/fuzz/regressions/$h"
    cp "$work"/crashes/* "tests/fuzz/regressions/$h/" 2>/dev/null || true
    echo "fuzz_$h: FINDING (log: $log; input kept in tests/fuzz/regressions/$h/)"
    grep -m3 -E 'ERROR|finding|runtime error|terminate' "$log" || true
  fi
  rm -rf "$work"
done
exit $status
