#!/usr/bin/env python3
"""What TorchDynamo adds to every call of a torch.compile'd zoo model, before any kernel: the compiled
frame's cache lookup, its guards and the bytecode that gathers the model's parameters as the graph's
inputs. Each model is compiled with a backend that returns its precomputed output (no kernel runs), so
the call's time is Dynamo's alone; the same for a one-line function (x + 1) gives the fixed part.
Random weights, no hub. Every case timed in interleaved passes by measure_compile_costs.interleaved
(thread CPU time and wall clock per call, one intra-op thread); also each model's parameter and buffer tensors, nn.Module count, and
Dynamo's guard and graph counts (torch._dynamo.explain).

  OPENBLAS_NUM_THREADS=1 venv/bin/python calibrate/derive/measure_dynamo_call.py --out FILE [--models ...]

Needs PyPI's torch 2.x, transformers and torchvision (the GPU runs' versions: see the output's env).
"""
import argparse
import json
import os
import sys

import torch

import measure_compile_costs as mcc  # this folder: env(), stamp_end(), interleaved() (sets one intra-op thread)

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--passes", type=int, default=9)
    ap.add_argument("--calls", type=int, default=300)
    a = ap.parse_args()
    import transformers
    e = mcc.env()
    e["transformers"] = transformers.__version__

    def fn(t):
        return t + 1

    cases = {"bare/eager": (fn, torch.ones(4))}
    built = [(name, *make(name)) for name in a.models.split(",")]
    rows = []
    with torch.no_grad():
        for name, m, inp in built:  # every explain first: it resets Dynamo's caches
            ex = torch._dynamo.explain(m)(inp)
            rows.append({"model": name, "tensors": len(list(m.parameters())) + len(list(m.buffers())),
                         "modules": len(list(m.modules())), "guards": len(ex.out_guards or []),
                         "graphs": ex.graph_count, "graph_breaks": ex.graph_break_count})
        torch._dynamo.reset()
        cases["bare/compiled"] = (torch.compile(fn, backend=lambda gm, ex: gm.forward), torch.ones(4))
        for name, m, inp in built:
            out = m(inp)
            ret = out if isinstance(out, tuple) else (out,)
            cases[name] = (torch.compile(m, backend=lambda gm, ex, ret=ret: (lambda *args: ret), dynamic=False), inp)
    timing, loads = mcc.interleaved(cases, a.passes, a.calls)
    for r in rows:
        r["dynamo_call"] = timing[r["model"]]
    mcc.stamp_end(e)
    e["load_per_pass"] = loads
    doc = {"schema": "fwtax.dynamo_call/1", "env": e,
           "source": "calibrate/derive/measure_dynamo_call.py (its docstring says what is timed and how)",
           "timing": f"measure_compile_costs.interleaved: {a.passes} passes over every case, the order reversed every "
                     f"other pass, {a.calls} calls per case and pass; thread_cpu (time.thread_time) and wall statistics",
           "bare_function": {"eager": timing["bare/eager"], "compiled": timing["bare/compiled"]}, "models": rows}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for r in rows:
        print(r["model"], "%.1f us" % (r["dynamo_call"]["thread_cpu"]["median_s"] * 1e6))


if __name__ == "__main__":
    main()
