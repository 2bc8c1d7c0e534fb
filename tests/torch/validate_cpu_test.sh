#!/usr/bin/env bash
# fwtax validate --run cpu --quick --format json: real libtorch models measured here against
# predictions with a profile calibrated here; MAPE must stay within 20%. The measurement is live.
# validate alternates the calibration and the runs in rounds and keeps each one's fastest round
# (validate/runner.hpp says why: this VM's speed moves by up to 2x every few seconds), which took it
# from 9-46% between runs of one build to 8.1-11.0% over four runs, 10.4% with a busy loop on the
# other core. A MAPE over 20% is still measured once more, and the test fails only when both
# measurements are over it. The accuracy CI keeps on fixed data is cpu_libtorch_accuracy_test.cpp's.
set -euo pipefail
fwtax=$1
dir=$2
mkdir -p "$dir"
check() {
  python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("configs", s["configs"], "MAPE %.1f%%" % s["mape_percent"], "median %.1f%%" % s["median_ape_percent"],
      "baselines: roofline %.1f%%, FLOPs %.1f%%" % (s["baselines"]["roofline"]["mape_percent"],
                                                   s["baselines"]["flops_proportional"]["mape_percent"]))
assert s["configs"] >= 15, s["configs"]
assert s["skipped"] == 0
if s["mape_percent"] > 20.0:
    sys.exit("MAPE %.1f%% > 20%%" % s["mape_percent"])
PY
}
for attempt in 1 2; do
  "$fwtax" validate --run cpu --quick --format json --quiet > "$dir/validate-$attempt.json"
  if check "$dir/validate-$attempt.json"; then
    echo "1 passed, 0 failed"
    exit 0
  fi
  echo "attempt $attempt over 20% (load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown))"
done
echo "0 passed, 1 failed"
exit 1
