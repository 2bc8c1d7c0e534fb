#!/usr/bin/env python3
"""A 200 MB Kineto trace imports with bounded memory, and a batch of 10^9 is handled.

Writes a synthetic trace of repeated transformer-layer ops (cpu_op with shapes, CUDA runtime launches
and their kernels, as torch.profiler records them) of about 200 MB, then runs `fwtax simulate
--trace` on it and on its gzip form, and checks the exit status, the op count fwtax reports and the
peak memory (at most 2x the file: the events are kept compactly, the workload holds every op). Usage: large_trace_test.py FWTAX SCRATCH_DIR [MB]
"""
import gzip
import json
import os
import resource
import subprocess
import sys
import time

fwtax, scratch = sys.argv[1], sys.argv[2]
target_mb = float(sys.argv[3]) if len(sys.argv) > 3 else 200
os.makedirs(scratch, exist_ok=True)
path = os.path.join(scratch, "large_trace.json")

LAYER = [  # (aten op, input dims, kernel name or None)
    ("aten::linear", [[64, 128, 768], [2304, 768], [2304]], "sm90_xmma_gemm_f32f32_tf32f32_f32_tn_n_tilesize128x128x32"),
    ("aten::scaled_dot_product_attention", [[64, 12, 128, 64], [64, 12, 128, 64], [64, 12, 128, 64]],
     "pytorch_flash::flash_fwd_kernel"),
    ("aten::linear", [[64, 128, 768], [768, 768], [768]], "sm90_xmma_gemm_f32f32_tf32f32_f32_tn_n_tilesize64x128x32"),
    ("aten::add", [[64, 128, 768], [64, 128, 768]], "vectorized_elementwise_kernel"),
    ("aten::layer_norm", [[64, 128, 768], [], [768], [768]], "vectorized_layer_norm_kernel"),
    ("aten::view", [[64, 128, 768], []], None),
]

ops = 0
with open(path, "w") as f:
    f.write('{"deviceProperties": [{"id": 0, "name": "NVIDIA H100 80GB HBM3"}], "traceEvents": [\n')
    ts, corr, first = 1000.0, 1, True
    while f.tell() < target_mb * 1e6:
        for name, dims, kernel in LAYER:
            ev = [{"ph": "X", "cat": "cpu_op", "name": name, "pid": 1, "tid": 1, "ts": ts, "dur": 20.0,
                   "args": {"Input Dims": dims, "Input type": ["float"] * len(dims), "Sequence number": corr}}]
            if kernel:
                ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1,
                           "ts": ts + 10, "dur": 5.0, "args": {"correlation": corr}})
                ev.append({"ph": "X", "cat": "kernel", "name": kernel, "pid": 0, "tid": 7, "ts": ts + 18,
                           "dur": 12.0, "args": {"correlation": corr, "device": 0, "stream": 7}})
            for e in ev:
                f.write(("" if first else ",\n") + json.dumps(e))
                first = False
            ts += 25.0
            corr += 1
            ops += 1
    f.write("\n]}\n")
size = os.path.getsize(path)
with open(path, "rb") as src, gzip.open(path + ".gz", "wb", compresslevel=1) as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
print(f"wrote {size / 1e6:.0f} MB ({ops} ops), gzip {os.path.getsize(path + '.gz') / 1e6:.0f} MB")

failed = False
for p in (path, path + ".gz"):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.time()
    r = subprocess.run([fwtax, "simulate", "--trace", p, "--format", "json"], capture_output=True, text=True)
    wall = time.time() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB -> MB (max over children so far)
    ok = r.returncode == 0
    rows = json.loads(r.stdout) if ok else []
    reported = rows[0]["ops"] if ok and rows else -1
    print(f"{os.path.basename(p)}: exit {r.returncode}, {wall:.1f} s, peak RSS {peak_mb:.0f} MB "
          f"({peak_mb * 1e6 / size:.2f}x the JSON), {reported} ops")
    if not ok:
        print(r.stderr)
        failed = True
    elif reported != ops:
        print(f"expected {ops} ops")
        failed = True
    elif peak_mb * 1e6 > 2.0 * size:
        print("peak memory above 2x the file size")
        failed = True

# A batch of 10^9: simulated (or refused) cleanly, never a crash or a non-finite number.
r = subprocess.run([fwtax, "simulate", "--batch", "1000000000", "--model", "bert-base,resnet50", "--format", "json"],
                   capture_output=True, text=True)
if r.returncode == 0:
    for row in json.loads(r.stdout):
        lat = row["latency_s"]
        print(f"batch 1e9 {row['model']}: {lat:.4g} s")
        if not (lat > 0 and lat < float("inf")):
            failed = True
elif r.returncode != 2 or not r.stderr.startswith("fwtax: error: "):
    print("batch 1e9: exit", r.returncode, r.stderr)
    failed = True
for p in (path, path + ".gz"):
    os.remove(p)
print("1 passed, 0 failed" if not failed else "FAILED")
sys.exit(1 if failed else 0)
