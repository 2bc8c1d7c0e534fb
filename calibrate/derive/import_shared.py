#!/usr/bin/env python3
"""Copies the shared H100 measurements that fwtax's validation and tests use into data/measured/,
each file with a `source` naming where it came from.

  data/measured/h100-2026-11-runs.json          runs.json as measured (end-to-end latencies)
  data/measured/h100-2026-11-trace-counts.json  per trace: top-level ops, aten ops, kernels, GPU busy,
                                                unprofiled latency (from traces/ and traces/index.json)
  data/traces/h100-2026-11/                     the 18 Kineto traces and index.json, copied unchanged,
                                                with a README.md naming their source (the trace tests
                                                replay them: a clone has nothing beside it)

Run from the repository root:  python3 calibrate/derive/import_shared.py [--shared ../shared/data]
"""
import argparse
import gzip
import json
import os
import shutil

TRACES_README = """# H100 Kineto traces (2026-11)

Source: `../shared/data/h100-2026-11/traces/` (18 `*.json.gz` and `index.json`), copied unchanged by
`calibrate/derive/import_shared.py`. Taken on machine B, a second H100 VM of the same kind as machine A
(NVIDIA H100 80GB HBM3, PyTorch 2.11.0+cu130, transformers 5.17.0, torchvision 0.26.0), 2026-11, by that
folder's `method/traces.py`: standard torch.profiler (Kineto) Chrome traces with `record_shapes=True`,
CPU and CUDA activities, one eager forward each after warm-up, random weights; bert-base (HF BertModel)
and bert-base-torchnn (torch.nn.TransformerEncoder) at seq 128, resnet50 (torchvision) at 224x224, fp32
(TF32 matmul off, cuDNN TF32 on) and fp16 (`model.half()`), batch 1, 8 and 64.

`index.json` gives, per trace, `latency_median_s` and `latency_min_s`: the median and minimum of 15
unprofiled synchronized calls of the same configuration on the same machine just before the trace was
taken (seconds). The profiler inflates host op durations; the unprofiled latency is the truth.

Used by `tests/simulate/trace_test.cpp` (replay accuracy), `calibrate/derive/derive_h100.py` (which reads
the shared copy) and `data/measured/h100-2026-11-trace-counts.json` (counted from them). See
`../shared/data/h100-2026-11/README.md` for the machines and their caveats.
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--out", default="data/measured")
    ap.add_argument("--traces-out", default="data/traces/h100-2026-11")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    runs = json.load(open(os.path.join(a.shared, "h100-2026-11/runs.json")))
    doc = {"source": "../shared/data/h100-2026-11/runs.json (machine A, H100 80GB HBM3, PyTorch 2.11, 2026-11); "
                     "median, min and p90 of synchronized calls; see that folder's README for how",
           "env": runs["env"], "runs": runs["runs"]}
    with open(os.path.join(a.out, "h100-2026-11-runs.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    tdir = os.path.join(a.shared, "h100-2026-11/traces")
    index = json.load(open(os.path.join(tdir, "index.json")))
    rows = []
    for t in index["traces"]:
        d = json.load(gzip.open(os.path.join(tdir, t["file"])))
        ev = [e for e in d["traceEvents"] if e.get("ph") == "X"]
        cpu = sorted([e for e in ev if e.get("cat") == "cpu_op"], key=lambda e: (e["ts"], -e["dur"]))
        top, end = 0, -1.0
        for e in cpu:
            if e["ts"] >= end:
                top += 1
                end = e["ts"] + e["dur"]
        kernels = [e for e in ev if e.get("cat") in ("kernel", "gpu_memset", "gpu_memcpy")]
        rows.append({"file": t["file"], "model": t["model"], "dtype": t["dtype"], "batch": t["batch"],
                     "seq": t["seq"], "image": t["image"], "top_level_ops": top, "aten_ops": len(cpu),
                     "kernels": len(kernels), "gpu_busy_s": sum(k["dur"] for k in kernels) * 1e-6,
                     "latency_median_s": t["latency_median_s"], "latency_min_s": t["latency_min_s"]})
    doc = {"source": "counted in ../shared/data/h100-2026-11/traces/*.json.gz (machine B, torch.profiler, one eager "
                     "forward each) by calibrate/derive/import_shared.py; top_level_ops are cpu_op events not nested "
                     "in another, kernels include GPU memsets; latencies from traces/index.json (unprofiled)",
           "traces": rows}
    with open(os.path.join(a.out, "h100-2026-11-trace-counts.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    # The traces themselves, unchanged: the trace tests replay them from the repository.
    os.makedirs(a.traces_out, exist_ok=True)
    for name in ["index.json"] + [t["file"] for t in index["traces"]]:
        shutil.copyfile(os.path.join(tdir, name), os.path.join(a.traces_out, name))
    with open(os.path.join(a.traces_out, "README.md"), "w") as f:
        f.write(TRACES_README)


if __name__ == "__main__":
    main()
