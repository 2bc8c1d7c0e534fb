#!/usr/bin/env python3
"""Kineto traces of eager forwards, with the unprofiled latency of the same configuration beside each.

    python3 validate/gpu/trace_gpu.py --out DIR [--models mobilenet-v2,efficientnet-b0] [--dtypes fp16,fp32]
                                      [--batches 1,128] [--modes eager,torch-compile,...] [--budget-s 120]
                                      [--device cuda|cpu]

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

`--modes` also traces the compiled modes (measure_gpu.py's `torch-compile` and
`torch-compile-reduce-overhead`, compiled once per configuration, dynamic=False): the H200 runs of
2026-12-04 measured reduce-overhead at batch 1 at 0.75-1.1x the eager forward's CUDA graph where fwtax
predicts 0.5-0.74x, and a trace says which part is off: `kernel_count` and `kernel_busy_s` (every
kernel of the profiled call and their summed GPU time) against fwtax's `--breakdown`, the rest of the
call being host time and gaps. Files of a compiled mode are named `<model>_<dtype>_bs<batch>_<mode>.json.gz`.
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


def kernel_totals(trace_path):
    """(number of kernels, their summed GPU seconds) in a trace."""
    with gzip.open(trace_path, "rt") as f:
        doc = json.load(f)
    events = doc.get("traceEvents", []) if isinstance(doc, dict) else doc
    ks = [e for e in events if e.get("ph") == "X" and e.get("cat") == "kernel"]
    return len(ks), round(sum(e.get("dur", 0) for e in ks) * 1e-6, 9)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="mobilenet-v2,efficientnet-b0,resnet18,vgg16,densenet121")
    ap.add_argument("--dtypes", default="fp16,fp32")
    ap.add_argument("--batches", default="1,128")
    ap.add_argument("--modes", default="eager", help="eager and/or measure_gpu.py's compiled modes (comma-separated)")
    ap.add_argument("--budget-s", type=float, default=120)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    a = ap.parse_args()
    modes = a.modes.split(",")
    unknown = [x for x in modes if x != "eager" and x not in mg.COMPILE_MODES]
    if unknown:
        print(f"trace_gpu.py: unknown mode(s) {','.join(unknown)}: eager, {', '.join(mg.COMPILE_MODES)}", file=sys.stderr)
        return 2
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
            for bs, mode in ((int(b), mode) for b in a.batches.split(",") for mode in modes):
                if time.time() - start > a.budget_s:
                    index["errors"].append(f"budget: stopped before {name} {dname} bs{bs} {mode}")
                    save()
                    return 0
                try:
                    if kind == "image":
                        x = torch.randn(bs, 3, mg.IMAGE, mg.IMAGE, device=a.device, dtype=dts[dname])
                    else:
                        x = torch.randint(0, 1000, (bs, mg.SEQ), device=a.device)
                    fn = m
                    if mode != "eager":
                        torch._dynamo.reset()
                        fn = torch.compile(m, dynamic=False, **mg.COMPILE_MODES[mode])
                    with torch.no_grad():
                        r = mg.timed(lambda: fn(x), sync=lambda: sync(a.device))
                        med, lo = r["median_s"], r["min_s"]
                        with profile(activities=activities, record_shapes=True) as prof:
                            fn(x)
                            sync(a.device)
                    del fn
                    file = f"{name}_{dname}_bs{bs}{'' if mode == 'eager' else '_' + mode}.json.gz"
                    raw = os.path.join(a.out, file[:-3])
                    prof.export_chrome_trace(raw)
                    with open(raw, "rb") as fi, gzip.open(os.path.join(a.out, file), "wb") as fo:
                        shutil.copyfileobj(fi, fo)
                    os.remove(raw)
                    count, busy = kernel_totals(os.path.join(a.out, file))
                    index["traces"].append({
                        "file": file, "model": name, "dtype": dname, "batch": bs,
                        "seq": mg.SEQ if kind == "tokens" else None, "image": mg.IMAGE if kind == "image" else None,
                        "mode": mode, "latency_median_s": med, "latency_min_s": lo,
                        "kernel_count": count, "kernel_busy_s": busy,
                        "top_kernels": top_kernels(os.path.join(a.out, file))})
                    print(f"{name:16s} {dname} bs{bs:<4d} {mode:30s} {med * 1e3:9.3f} ms  {count} kernels  {file}", flush=True)
                except Exception as e:  # noqa: BLE001
                    index["errors"].append(f"{name} {dname} bs{bs} {mode}: {e!r}"[:500])
                save()
            del m
            if a.device == "cuda":
                torch.cuda.empty_cache()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
