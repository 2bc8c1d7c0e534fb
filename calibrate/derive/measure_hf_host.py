#!/usr/bin/env python3
"""The host side of Hugging Face encoders' eager forwards, measured on this machine's CPU: what each
model's Python and dispatch cost per call, with kernels too small to matter.

  OPENBLAS_NUM_THREADS=1 /work/venv-hf/bin/python calibrate/derive/measure_hf_host.py \
      --out data/measured/hf-host-cpu-2026-12/hf-host-5.17-cpu.json \
      --configs data/measured/hf-host-cpu-2026-12/configs --depths 0,1,2,4 \
      --runs data/measured/hf-host-cpu-2026-12/runs.json

Why: the H200 runs leave some HF models predicted further short than BERT-base on every VM measured
(DistilBERT 1.22-1.62x measured/predicted on H7 where BERT-base is 1.16-1.31x); whether that is their Python
(a per-model mechanism the builders miss) or drift needs the models' own host time, which does not
depend on the GPU: the same modules run the same Python on any device.

Models: measure_gpu.py's transformers models (its `hf()` configurations: BERT-base, BERT-large,
RoBERTa-base, DistilBERT, ALBERT-base, GPT-2 without cache), each with its own layer count, heads and
structure but hidden size 64 (2 heads, FFN 256, vocabulary 1000), called as measure_gpu.py calls them
(LastHidden: input ids only, batch 1, 8 tokens, eval, no_grad). Per model:
- `thread_cpu_s`: median over all timed calls of the thread's CPU time per forward (time.thread_time;
  min and p90 too), PASSES round-robin passes over the models in a new random order each pass, CALLS
  calls per model per pass, one intra-op thread;
- `aten_ops`: ATen ops called from Python per forward (torch.profiler on the CPU: the ops whose parent
  is no other ATen op), by name;
- `module_calls`: nn.Module forward calls per forward, by class (forward pre-hooks, in an untimed call);
- `python_calls`: Python function calls per forward (sys.setprofile's "call" events), and those of
  the transformers package alone.
With --depths, each model is also built and timed with those layer counts (`<model>-L<d>`), in the same
passes: the slope over depth is a layer's host cost, the intercept what a forward costs outside its
layers (the model's own Python: input checks, masks, embeddings, output), which fwtax's builders must
carry as well.
Measurement instruments only: fwtax's build and tests do not run this.
"""
import argparse
import collections
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "validate", "gpu"))
import measure_gpu as mg  # noqa: E402 - the models as the GPU runs built them

TINY = {"hidden": 64, "heads": 2, "ffn": 256, "vocab": 1000}


def depth_attr(name):
    """The config field holding a model's layer count."""
    return {"distilbert": "n_layers", "gpt2": "n_layer"}.get(name, "num_hidden_layers")


def fwtax_name(n):
    """The name a timed model has in runs.json and configs/: bert-base -> bert-base-h64, bert-base-L2 ->
    bert-base-h64-L2."""
    return n.replace("-L", "-h64-L") if "-L" in n else n + "-h64"


def tiny(name, layers=None):
    """measure_gpu.py's model `name` with its structure and depth (or `layers` layers), hidden size 64."""
    import transformers as T
    m = mg.hf(name)
    c = m.config
    if layers is not None:
        setattr(c, depth_attr(name), layers)
    if name == "distilbert":
        c2 = T.DistilBertConfig(dim=TINY["hidden"], n_heads=TINY["heads"], hidden_dim=TINY["ffn"],
                                n_layers=c.n_layers, vocab_size=TINY["vocab"])
    elif name == "gpt2":
        c2 = T.GPT2Config(n_embd=TINY["hidden"], n_head=TINY["heads"], n_inner=TINY["ffn"], n_layer=c.n_layer,
                          vocab_size=TINY["vocab"], use_cache=False)
    else:
        kw = dict(hidden_size=TINY["hidden"], num_attention_heads=TINY["heads"], intermediate_size=TINY["ffn"],
                  num_hidden_layers=c.num_hidden_layers, vocab_size=TINY["vocab"])
        if name == "albert-base":
            kw["embedding_size"] = 32
        if name == "roberta-base":
            kw.update(max_position_embeddings=514, type_vocab_size=1, pad_token_id=1)
        c2 = type(c)(**kw)
    return mg.LastHidden(type(m)(c2)).eval()


def aten_ops(fn):
    """ATen ops called from Python in one call of fn: name -> count."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    events = [e for e in prof.events() if e.name.startswith("aten::")]
    # An op is top-level when no other ATen op's interval encloses it on its thread.
    events.sort(key=lambda e: (e.thread, e.time_range.start, -e.time_range.end))
    top, stack = collections.Counter(), []
    for e in events:
        while stack and (stack[-1].thread != e.thread or stack[-1].time_range.end <= e.time_range.start):
            stack.pop()
        if not stack:
            top[e.name] += 1
        stack.append(e)
    return dict(sorted(top.items()))


def module_calls(model, fn):
    """nn.Module forward calls in one call of fn: class name -> count."""
    n = collections.Counter()
    hooks = [m.register_forward_pre_hook(lambda mod, args: n.update([type(mod).__name__])) for m in model.modules()]
    try:
        fn()
    finally:
        for h in hooks:
            h.remove()
    return dict(sorted(n.items()))


def python_calls(fn):
    """(all Python function calls, those in the transformers package) in one call of fn."""
    n = collections.Counter()

    def prof(frame, event, arg):
        if event == "call":
            n["all"] += 1
            if "/transformers/" in frame.f_code.co_filename:
                n["transformers"] += 1
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n["all"], n["transformers"]


def load():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="bert-base,bert-large,roberta-base,distilbert,albert-base,gpt2")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--seq", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--depths", default="",
                    help="also time each model with these layer counts (comma-separated, e.g. 0,1,2,4), in the same "
                         "passes: what a forward costs outside its layers and per layer")
    ap.add_argument("--configs", help="write each model's config.json here (<model>-h64.json)")
    ap.add_argument("--runs", help="also write the timings as fwtax.runs/1 (docs/measured-runs.md), each run "
                    "carrying its model's config as `arch`, for fwtax validate --measured")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    bases = a.models.split(",")
    depths = [int(d) for d in a.depths.split(",") if d]
    names = bases + [f"{n}-L{d}" for n in bases for d in depths]
    ids = torch.randint(0, TINY["vocab"], (1, a.seq))
    models = {n: tiny(n) for n in bases}
    models.update({f"{n}-L{d}": tiny(n, d) for n in bases for d in depths})
    calls = {n: (lambda m=models[n]: m(ids)) for n in names}
    out = {"schema": "fwtax.hf-host/1", "runs": {}}
    configs = {}
    with torch.no_grad():
        for n in names:
            for _ in range(20):  # warm-up: the first calls pay for lazy setup
                calls[n]()
            allc, tf = python_calls(calls[n])
            ops = aten_ops(calls[n])
            mods = module_calls(models[n], calls[n])
            config = models[n].m.config.to_dict()
            config["source"] = ("calibrate/derive/measure_hf_host.py: the transformers config of the model timed "
                                "(random weights), as config.to_dict() gives it")
            if a.configs:
                os.makedirs(a.configs, exist_ok=True)
                with open(os.path.join(a.configs, fwtax_name(n) + ".json"), "w") as f:
                    json.dump(config, f, indent=1, sort_keys=True, default=str)
            configs[n] = config
            out["runs"][n] = {"layers_timed": getattr(models[n].m.config, depth_attr(n.split("-L")[0])),
                              "params": sum(p.numel() for p in models[n].parameters()),
                              "aten_ops_total": sum(ops.values()), "aten_ops": ops,
                              "module_calls_total": sum(mods.values()), "module_calls": mods,
                              "python_calls": allc, "python_calls_transformers": tf}
        rng = random.Random(a.seed)
        times = {n: [] for n in names}
        pass_medians = {n: [] for n in names}
        loads = []
        for p in range(a.passes):
            order = names[:]
            rng.shuffle(order)
            loads.append(load())
            for n in order:
                ts = []
                for _ in range(a.calls):
                    t0 = time.thread_time()
                    calls[n]()
                    ts.append(time.thread_time() - t0)
                times[n] += ts
                pass_medians[n].append(statistics.median(ts))
        loads.append(load())
    for n in names:
        ts = sorted(times[n])
        out["runs"][n].update({"thread_cpu_median_s": ts[len(ts) // 2], "thread_cpu_min_s": ts[0],
                               "thread_cpu_p90_s": ts[int(len(ts) * 0.9)], "calls": len(ts),
                               "pass_medians_s": pass_medians[n]})
    try:
        cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        cpu = ""
    import transformers
    out["env"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                  "python": platform.python_version(), "cpu_model": cpu, "threads": 1,
                  "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_1min": loads}
    out["source"] = ("calibrate/derive/measure_hf_host.py " + " ".join(sys.argv[1:]) +
                     ": measure_gpu.py's HF models at hidden size 64 (2 heads, FFN 256, vocabulary 1000), their own "
                     "depth and structure, input ids 1x%d, eval, no_grad, one thread; thread CPU time per forward "
                     "over %d interleaved passes of %d calls" % (a.seq, a.passes, a.calls))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    if a.runs:
        runs = {"schema": "fwtax.runs/1", "source": out["source"], "env": out["env"],
                "timing": "median_s, min_s, p90_s: the thread's CPU time per forward (time.thread_time, one intra-op "
                          "thread) over all calls of all passes; pass_medians_s: each pass's median",
                "runs": []}
        for n in names:
            r = out["runs"][n]
            if n not in bases and r["layers_timed"] == 0:
                continue  # fwtax's builders take one layer or more
            runs["runs"].append({"model": fwtax_name(n), "mode": "eager", "dtype": "fp32", "batch": 1, "seq": a.seq,
                                 "image": None, "params": r["params"], "arch": configs[n],
                                 "median_s": r["thread_cpu_median_s"], "min_s": r["thread_cpu_min_s"],
                                 "p90_s": r["thread_cpu_p90_s"], "iters": r["calls"],
                                 "pass_medians_s": r["pass_medians_s"]})
        with open(a.runs, "w") as f:
            json.dump(runs, f, indent=1, default=str)
    for n in names:
        r = out["runs"][n]
        print(f"{n:14s} cpu {r['thread_cpu_median_s']*1e3:7.3f} ms  ops {r['aten_ops_total']:4d}  "
              f"py calls {r['python_calls']:6d} (transformers {r['python_calls_transformers']})")


if __name__ == "__main__":
    main()
