#!/bin/sh
# Fits the host speed (relative_time) of each GPU machine of the Framework Tax paper from one model's
# runs, bert-base eager fp32 and fp16 (the paper's reference model), and points the GPU's device
# profile at that host. The other zoo models the paper measured are left for validation.
# Run from the repository root after building, then rebuild (the profiles are embedded):
#   sh calibrate/derive/fit_paper_hosts.sh [build/fwtax] && cmake --build build
# Re-running after the rebuild gives the same hosts (the fit starts from the device's current host).
set -eu
fwtax=${1:-build/fwtax}
runs=data/measured/framework-tax-2022
for gpu in 1080ti 2080Ti 3090 A6000 RTX-8000 TitanX a100 v100; do
  dev=$(echo "$gpu" | tr 'A-Z' 'a-z' | sed 's/rtx-8000/rtx8000/')
  host=paper-$dev
  cpu=unknown
  if [ "$dev" = rtx8000 ]; then host=rtx8000-xeon-w2295; cpu="Intel Xeon W-2295 (18 cores, 3.0 GHz)"; fi
  files=$runs/pretrained-fp32/$gpu.csv,$runs/pretrained-fp16/$gpu.csv
  # The A6000's fp32 pass ran on a slower host (below): its GPU's host is its fp16 pass's.
  if [ "$dev" = a6000 ]; then files=$runs/pretrained-fp16/$gpu.csv; fi
  "$fwtax" calibrate --target host --runs "$files" --device "$dev" --model bert-base --name "$host" \
    --cpu "$cpu" --out "data/hosts/$host.json"
  python3 - "$dev" "$host" <<'PY'
import json, sys
dev, host = sys.argv[1], sys.argv[2]
p = f"data/devices/{dev}.json"
d = json.load(open(p))
d["host"] = host
with open(p, "w") as f:
    json.dump(d, f, indent=1)
    f.write("\n")
PY
done
# Passes that ran on a slower host than their GPU's other pass (validate/paper.cpp's host_of_file says
# why): a host of their own, from that pass's eager bert-base rows.
#   pass_host CSV DEVICE NAME DESCRIPTION: fits NAME to CSV's bert-base rows; DESCRIPTION replaces the
#   fit's opening words (what the host is), its "fitted from N runs" part kept.
pass_host() {
  "$fwtax" calibrate --target host --runs "$1" --device "$2" --model bert-base --name "$3" --cpu unknown \
    --out "data/hosts/$3.json"
  python3 - "data/hosts/$3.json" "$4" <<'PY'
import json, sys
p, what = sys.argv[1], sys.argv[2]
h = json.load(open(p))
h["description"] = what + "; " + h["description"].split(", ", 1)[1]
with open(p, "w") as f:
    json.dump(h, f, indent=1)
    f.write("\n")
PY
}
# The 3090's second fp16 pass (data/measured/framework-tax-2022/README.md).
pass_host "$runs/pretrained-fp16/3090-1.csv" 3090 paper-3090-pass2 \
  "the RTX 3090's host during the paper's second fp16 pass (3090-1.csv), slower than in 3090.csv"
# The A6000's fp32 eager pass, and its TorchScript passes, which validate/paper.cpp gives this host too
# (no TorchScript latency enters it).
pass_host "$runs/pretrained-fp32/A6000.csv" a6000 paper-a6000-slow \
  "the RTX A6000's host during the paper's fp32 eager pass and its TorchScript passes, slower than during its fp16 eager pass"
