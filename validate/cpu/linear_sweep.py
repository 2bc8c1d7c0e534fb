#!/usr/bin/env python3
"""The GEMMs of the HF generate() ground truth, timed in the torch that ran it (PyPI torch, MKL), one
intra-op thread: F.linear on [m, k] x [n, k]^T for the weight shapes of the validation's models
(llama-tiny, qwen2-tiny, gpt2-tiny): their layers' at m = 1 ... 4096 rows (decode steps and prompts),
their LM heads' at m = 1, 2, 4, 8 (generate computes logits for the last token only), weights rotated
through copies that exceed the last-level cache (a decode step reads each weight once, and the LM
head evicts the layers'). Interleaved passes in a shuffled order; per shape the minimum and median of
the thread's CPU time (time.thread_time_ns), and a 1x8x8 linear's as the call's own cost.

  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python validate/cpu/linear_sweep.py --out FILE
"""
import argparse, datetime, json, os, platform, random, statistics, time
import torch
import torch.nn.functional as F

LAYERS = [(256, 256), (64, 256), (688, 256), (256, 688), (768, 256), (1024, 256), (256, 1024)]
HEADS = [(32000, 256), (50257, 256), (151936, 256)]
SHAPES = LAYERS + HEADS
LAYER_ROWS = [1, 2, 4, 8, 16, 64, 256, 1024, 4096]
HEAD_ROWS = [1, 2, 4, 8]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--passes", type=int, default=7)
    ap.add_argument("--calls", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rotate_bytes = 256 << 20
    weights = {}
    for n, k in SHAPES:
        copies = max(2, rotate_bytes // (n * k * 4))
        weights[(n, k)] = [torch.randn(n, k) for _ in range(min(copies, 64))]
    tiny_w, tiny_x = torch.randn(8, 8), torch.randn(1, 8)
    xs = {(m, k): torch.randn(m, k) for m in LAYER_ROWS for (_, k) in SHAPES}
    configs = ([(m, n, k) for (n, k) in LAYERS for m in LAYER_ROWS] + [(m, n, k) for (n, k) in HEADS for m in HEAD_ROWS]
               + [("tiny", 8, 8)])
    times = {c: [] for c in configs}
    load_before = os.getloadavg()[0]
    with torch.no_grad():
        for p in range(args.passes + 1):  # pass 0 warms up
            order = configs[:]
            random.shuffle(order)
            for c in order:
                m, n, k = c
                if m == "tiny":
                    ws, x = [tiny_w], tiny_x
                else:
                    ws, x = weights[(n, k)], xs[(m, k)]
                for i in range(args.calls):
                    w = ws[i % len(ws)]
                    t0 = time.thread_time_ns()
                    F.linear(x, w)
                    t1 = time.thread_time_ns()
                    if p > 0:
                        times[c].append((t1 - t0) * 1e-9)
    rows = []
    for c in configs:
        m, n, k = c
        v = times[c]
        rows.append({"m": m if m != "tiny" else 1, "n": n, "k": k, "tiny": m == "tiny",
                     "min_s": min(v), "median_s": statistics.median(v), "samples": len(v)})
    out = {"source": "validate/cpu/linear_sweep.py (its docstring says what is timed and how)",
           "env": {"load1_before": load_before,"torch": torch.__version__, "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
                   "cores": os.cpu_count(), "load1_after": os.getloadavg()[0],
                   "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "blas": torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in torch.__config__.show() else ""},
           "linear": rows}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
