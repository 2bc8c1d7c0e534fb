#!/usr/bin/env python3
"""What TorchDynamo adds to every call of a torch.compile'd zoo model, before any kernel: the compiled
frame's cache lookup, its guards and the bytecode that gathers the model's parameters as the graph's
inputs. Each model is compiled with a backend that returns its precomputed output (no kernel runs), so
the call's time is Dynamo's alone; the same for a one-line function (x + 1) gives the fixed part.
Random weights, no hub. Thread CPU time per call, median and min over `--reps` epochs of `--calls`
calls, one intra-op thread; also each model's parameter and buffer tensors, nn.Module count, and
Dynamo's guard and graph counts (torch._dynamo.explain).

  OPENBLAS_NUM_THREADS=1 venv/bin/python calibrate/derive/measure_dynamo_call.py --out FILE [--models ...]

Needs PyPI's torch 2.x, transformers and torchvision (the GPU runs' versions: see the output's env).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "validate", "gpu"))
import measure_gpu  # noqa: E402  (the GPU runs' models, built the same way)

MODELS = ("bert-base", "distilbert", "roberta-base", "gpt2", "resnet18", "resnet50", "mobilenet-v2",
          "efficientnet-b0", "densenet121", "vit-b16")


def make(name):
    """The model as validate/gpu/measure_gpu.py builds and calls it, and its input (batch 1)."""
    m, kind = measure_gpu.make(name)
    if kind == "tokens":
        return m.eval(), torch.randint(0, 1000, (1, measure_gpu.SEQ))
    return m.eval(), torch.randn(1, 3, measure_gpu.IMAGE, measure_gpu.IMAGE)


def per_call(fn, calls, reps):
    epochs = []
    for _ in range(reps):
        for _ in range(5):
            fn()
        t0 = time.thread_time()
        for _ in range(calls):
            fn()
        epochs.append((time.thread_time() - t0) / calls)
    return {"median_s": statistics.median(epochs), "min_s": min(epochs), "epochs": len(epochs), "calls": calls}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--reps", type=int, default=9)
    a = ap.parse_args()
    torch.set_num_threads(1)
    import torchvision
    import transformers
    env = {"torch": torch.__version__, "transformers": transformers.__version__,
           "torchvision": torchvision.__version__, "python": platform.python_version(),
           "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_start": os.getloadavg()[0]}
    with open("/proc/cpuinfo") as f:
        env["cpu_model"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    x = torch.ones(4)

    def fn(t):
        return t + 1

    torch._dynamo.reset()
    cf = torch.compile(fn, backend=lambda gm, ex: gm.forward)
    cf(x)
    bare = {"compiled": per_call(lambda: cf(x), a.calls, a.reps), "eager": per_call(lambda: fn(x), a.calls, a.reps)}
    rows = []
    for name in a.models.split(","):
        m, inp = make(name)
        with torch.no_grad():
            torch._dynamo.reset()
            ex = torch._dynamo.explain(m)(inp)
            out = m(inp)
            ret = out if isinstance(out, tuple) else (out,)
            torch._dynamo.reset()
            noop = torch.compile(m, backend=lambda gm, e: (lambda *args: ret), dynamic=False)
            noop(inp)
            t = per_call(lambda: noop(inp), a.calls, a.reps)
        rows.append({"model": name, "tensors": len(list(m.parameters())) + len(list(m.buffers())),
                     "modules": len(list(m.modules())), "guards": len(ex.out_guards or []),
                     "graphs": ex.graph_count, "graph_breaks": ex.graph_break_count, "dynamo_call": t})
        print(json.dumps(rows[-1]), flush=True)
    env["load_end"] = os.getloadavg()[0]
    doc = {"schema": "fwtax.dynamo_call/1", "env": env,
           "source": "calibrate/derive/measure_dynamo_call.py (its docstring says what is timed and how)",
           "bare_function": bare, "models": rows}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
