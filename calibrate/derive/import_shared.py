#!/usr/bin/env python3
"""Copies the shared H100 measurements that fwtax's validation and tests use into data/measured/,
each file with a `source` naming where it came from.

  data/measured/h100-2026-11-runs.json          runs.json as measured (end-to-end latencies)
  data/measured/h100-2026-11-trace-counts.json  per trace: top-level ops, aten ops, kernels, GPU busy,
                                                unprofiled latency (from traces/ and traces/index.json)

Run from the repository root:  python3 calibrate/derive/import_shared.py [--shared ../shared/data]
"""
import argparse
import gzip
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--out", default="data/measured")
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


if __name__ == "__main__":
    main()
