#!/usr/bin/env bash
# fwtax validate --run cpu --quick --format json: real libtorch models measured here against
# predictions with a profile calibrated here; MAPE must stay within 20%.
set -euo pipefail
fwtax=$1
dir=$2
mkdir -p "$dir"
"$fwtax" validate --run cpu --quick --format json --quiet > "$dir/validate.json"
python3 - "$dir/validate.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("configs", s["configs"], "MAPE %.1f%%" % s["mape_percent"], "median %.1f%%" % s["median_ape_percent"],
      "baselines: roofline %.1f%%, FLOPs %.1f%%" % (s["baselines"]["roofline"]["mape_percent"],
                                                   s["baselines"]["flops_proportional"]["mape_percent"]))
assert s["configs"] >= 15, s["configs"]
assert s["skipped"] == 0
assert s["mape_percent"] <= 20.0, "MAPE %.1f%% > 20%%" % s["mape_percent"]
PY
echo "1 passed, 0 failed"
