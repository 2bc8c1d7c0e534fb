#!/usr/bin/env bash
# fwtax calibrate --target cpu --quick writes a profile that loads as a device (schema checked by
# `fwtax list`-style loading in simulate) and that simulate uses with the libtorch framework.
set -euo pipefail
fwtax=$1
dir=$2
mkdir -p "$dir"
"$fwtax" calibrate --target cpu --quick --quiet --out "$dir/p.json"
python3 - "$dir/p.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["kind"] == "cpu", p["kind"]
for key in ("name", "host", "peak_flops_per_s", "memory", "efficiency", "kernel_min_s", "frameworks", "calibration", "source"):
    assert key in p, "missing " + key
lt = p["frameworks"]["libtorch"]["op_host_s"]
for cls in ("view", "elementwise", "linear", "conv", "attention", "layer_norm", "embedding"):
    assert 0 < lt[cls] < 1e-3, (cls, lt[cls])
assert 0 < p["peak_flops_per_s"]["fp32_simt"] < 1e14
assert p["memory"]["bandwidth_bytes_per_s"] > 1e8
env = p["calibration"]["env"]
for key in ("cpu_model", "cores", "governor", "torch", "torch_threads", "build_type"):
    assert key in env, "env lacks " + key
print("profile schema ok")
PY
out=$("$fwtax" simulate --device "$dir/p.json" --framework libtorch --model bert-base --batch 1,4 --seq 32 --format json)
python3 -c "
import json,sys
rows=json.loads(sys.argv[1])
assert len(rows)==2 and all(r['latency_s']>0 and r['device']=='this-cpu' and r['framework']=='libtorch' for r in rows), rows
print('simulate --device p.json --framework libtorch ok:', [round(r['latency_s']*1e3,2) for r in rows], 'ms')
" "$out"
echo "1 passed, 0 failed"
