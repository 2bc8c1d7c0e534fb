#!/usr/bin/env python3
"""Kineto traces of eager forwards, with the unprofiled latency of the same configuration beside each.

    python3 validate/gpu/trace_gpu.py --out DIR [--models mobilenet-v2,efficientnet-b0] [--dtypes fp16,fp32]
                                      [--batches 1,128] [--budget-s 120] [--device cuda|cpu]

Why: fwtax's builders emit the kernels the real implementation launches; for the torchvision CNNs on a
GPU this was checked only for ResNet-50 (the shared H100 traces). The H200 runs leave fp16 MobileNet V2
and EfficientNet-B0 at batch 128 predicted 35-45% fast while their fp32 runs are 16-25% fast, which
points at what PyTorch launches for half-precision depthwise convolutions (cuDNN or its own kernel,
layout transforms or not). These traces answer that: replay one with
`fwtax simulate --trace DIR/<file> --breakdown`, and compare its kernels with
`fwtax simulate --model <model> --breakdown`.

Per configuration: `<model>_<dtype>_bs<batch>.json.gz` (one profiled forward after warm-up, CPU and CUDA
activity, shapes recorded) and an entry in DIR/index.json with the median and minimum of unprofiled
synchronized calls, timed as measure_gpu.py times its runs (the shared H100 traces' index format: file, model, dtype, batch, seq, image, mode,
latency_median_s, latency_min_s), plus `top_kernels`: the ten kernels with the most GPU time. Model names
and the models themselves are measure_gpu.py's (fwtax's zoo names). `--device cpu` runs the same on the
CPU (a check of the script on a machine without a GPU; the traces then hold no kernels).
"""
import argparse
import collections
import gzip
import json
import os
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_gpu as mg  # noqa: E402 - the models and timing of the end-to-end runs


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def top_kernels(trace_path, n=10):
    """The n kernels with the most GPU time in a trace: name, calls, total seconds."""
    with gzip.open(trace_path, "rt") as f:
        doc = json.load(f)
    events = doc.get("traceEvents", []) if isinstance(doc, dict) else doc  # a profiler without Kineto writes a list
    total, calls = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("cat") == "kernel":
            total[e["name"]] += e.get("dur", 0) * 1e-6
            calls[e["name"]] += 1
    return [{"kernel": k[:160], "calls": calls[k], "total_s": round(s, 9)} for k, s in total.most_common(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="mobilenet-v2,efficientnet-b0,resnet18,vgg16,densenet121")
    ap.add_argument("--dtypes", default="fp16,fp32")
    ap.add_argument("--batches", default="1,128")
    ap.add_argument("--budget-s", type=float, default=120)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("trace_gpu.py: no CUDA GPU visible to torch (use --device cpu to check the script)", file=sys.stderr)
        return 2
    from torch.profiler import ProfilerActivity, profile
    os.makedirs(a.out, exist_ok=True)
    start = time.time()
    env = mg.env() if a.device == "cuda" else {"torch": torch.__version__, "device": "cpu"}
    index = {"env": env, "source": "validate/gpu/trace_gpu.py", "traces": [], "errors": []}
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if a.device == "cuda" else [])
    dts = {"fp32": torch.float32, "fp16": torch.float16}

    def save():
        index["elapsed_s"] = round(time.time() - start, 1)
        with open(os.path.join(a.out, "index.json"), "w") as f:
            json.dump(index, f, indent=1)

    for name in a.models.split(","):
        for dname in a.dtypes.split(","):
            try:
                m, kind = mg.make(name)
                m = m.eval().to(device=a.device, dtype=dts[dname])
            except Exception as e:  # noqa: BLE001 - reported, not fatal
                index["errors"].append(f"{name} {dname}: build: {e!r}"[:500])
                continue
            for bs in (int(b) for b in a.batches.split(",")):
                if time.time() - start > a.budget_s:
                    index["errors"].append(f"budget: stopped before {name} {dname} bs{bs}")
                    save()
                    return 0
                try:
                    if kind == "image":
                        x = torch.randn(bs, 3, mg.IMAGE, mg.IMAGE, device=a.device, dtype=dts[dname])
                    else:
                        x = torch.randint(0, 1000, (bs, mg.SEQ), device=a.device)
                    with torch.no_grad():
                        r = mg.timed(lambda: m(x), sync=lambda: sync(a.device))
                        med, lo = r["median_s"], r["min_s"]
                        with profile(activities=activities, record_shapes=True) as prof:
                            m(x)
                            sync(a.device)
                    file = f"{name}_{dname}_bs{bs}.json.gz"
                    raw = os.path.join(a.out, file[:-3])
                    prof.export_chrome_trace(raw)
                    with open(raw, "rb") as fi, gzip.open(os.path.join(a.out, file), "wb") as fo:
                        shutil.copyfileobj(fi, fo)
                    os.remove(raw)
                    index["traces"].append({
                        "file": file, "model": name, "dtype": dname, "batch": bs,
                        "seq": mg.SEQ if kind == "tokens" else None, "image": mg.IMAGE if kind == "image" else None,
                        "mode": "eager", "latency_median_s": med, "latency_min_s": lo,
                        "top_kernels": top_kernels(os.path.join(a.out, file))})
                    print(f"{name:16s} {dname} bs{bs:<4d} {med * 1e3:9.3f} ms  {file}", flush=True)
                except Exception as e:  # noqa: BLE001
                    index["errors"].append(f"{name} {dname} bs{bs}: {e!r}"[:500])
                save()
            del m
            if a.device == "cuda":
                torch.cuda.empty_cache()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
