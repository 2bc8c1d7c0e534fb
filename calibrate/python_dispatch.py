#!/usr/bin/env python3
"""Measures the host cost of PyTorch ops called from Python, for `fwtax calibrate --merge`.

Run it with the python3 and torch you use:
    python3 calibrate/python_dispatch.py [--device cpu|cuda] [--quick] > python.json
    fwtax calibrate --target cpu --merge python.json --out profile.json

Each op runs on tiny tensors (so the kernel itself costs next to nothing) in repeated epochs after a
warm-up; the JSON holds the median per op and its spread, the op class fwtax files it under, and the
cost of one bare nn.Module call.
"""
import argparse
import json
import platform
import statistics
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("python_dispatch.py: no CUDA device available to torch", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    F = torch.nn.functional
    x = torch.randn(1, 16, device=dev)
    y = torch.randn(1, 16, device=dev)
    w = torch.randn(16, 16, device=dev)
    b = torch.randn(16, device=dev)
    img = torch.randn(1, 2, 4, 4, device=dev)
    cw = torch.randn(2, 2, 3, 3, device=dev)
    q = torch.randn(1, 2, 4, 8, device=dev)
    table = torch.randn(100, 16, device=dev)
    idx = torch.randint(0, 100, (1, 4), device=dev)
    mean, var = torch.zeros(2, device=dev), torch.ones(2, device=dev)
    lin = torch.nn.Linear(16, 16).to(dev)

    def attention():
        if hasattr(F, "scaled_dot_product_attention"):
            return F.scaled_dot_product_attention(q, q, q)
        return torch.softmax(q @ q.transpose(-2, -1), -1) @ q

    class Bare(torch.nn.Module):
        def forward(self, t):
            return t

    bare = Bare()
    ops = {
        "add": ("elementwise", lambda: x + y),
        "mul_scalar": ("elementwise", lambda: x * 2.0),
        "relu": ("elementwise", lambda: torch.relu(x)),
        "gelu": ("elementwise", lambda: F.gelu(x)),
        "linear": ("linear", lambda: F.linear(x, w, b)),
        "matmul": ("matmul", lambda: x @ w),
        "layer_norm": ("layer_norm", lambda: F.layer_norm(x, (16,))),
        "softmax": ("softmax", lambda: torch.softmax(x, -1)),
        "conv2d": ("conv", lambda: F.conv2d(img, cw, padding=1)),
        "batch_norm": ("batch_norm", lambda: F.batch_norm(img, mean, var)),
        "attention": ("attention", attention),
        "embedding": ("embedding", lambda: F.embedding(idx, table)),
        "max_pool2d": ("pool", lambda: F.max_pool2d(img, 3, 2, 1)),
        "mean": ("reduction", lambda: img.mean((2, 3))),
        "transpose_contiguous": ("copy", lambda: w.t().contiguous()),
        "view_nokernel": ("view", lambda: x.view(16)),
        "empty_alloc": ("alloc", lambda: torch.empty(1, 16, device=dev)),
        "module_call": ("", lambda: bare(x)),
        "nn_linear_module": ("", lambda: lin(x)),
    }
    epochs, per_epoch = (7, 2000) if a.quick else (21, 20000)
    result = {}
    with torch.no_grad():
        for name, (cls, fn) in ops.items():
            for _ in range(per_epoch // 10):
                fn()
            if a.device == "cuda":
                torch.cuda.synchronize()
            samples = []
            for _ in range(epochs):
                t0 = time.perf_counter()
                for _ in range(per_epoch):
                    fn()
                samples.append((time.perf_counter() - t0) / per_epoch)
                if a.device == "cuda":
                    torch.cuda.synchronize()
            med = statistics.median(samples)
            result[name] = {"class": cls, "median_s": med,
                            "mdape": statistics.median(abs(s - med) / med for s in samples)}
    out = {"schema": "fwtax.python_dispatch/1", "device": a.device,
           "env": {"torch": torch.__version__, "python": platform.python_version(),
                   "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()},
           "ops": result,
           "source": "calibrate/python_dispatch.py: median over %d epochs of %d calls" % (epochs, per_epoch)}
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
