#!/usr/bin/env python3
"""End-to-end latency of real models on one CUDA GPU, written as fwtax measured runs (fwtax.runs/1).

    python3 validate/gpu/measure_gpu.py --out runs.json [--budget-s 180] [--plan core,zoo]

Each model is the real implementation (HF transformers, torchvision, torch.nn) with random weights and
no downloads; token models get random ids (seq 128, no attention mask), image models 3x224x224.
Modes: `eager` (the Python forward under torch.no_grad), `cudagraph` (the same forward captured once
with torch.cuda.graph, then replayed), `torchscript` (torch.jit.trace, then torch.jit.freeze),
`torch-compile` (torch.compile's defaults: TorchDynamo + Inductor) and `torch-compile-reduce-overhead`
(mode="reduce-overhead": the same kernels replayed from CUDA graphs); the compiled modes compile once per
model, dtype and batch (dynamic=False, as a deployment with fixed shapes does) and record `compile_s`,
the first call's time. Their names are fwtax's framework names, so `fwtax validate` predicts each run
with that mode (`--plan compile --modes eager,torch-compile,torch-compile-reduce-overhead`: issue 18's
eager/default/reduce-overhead comparison at batch 1, 8 and 64). `--device cpu` runs the eager and
compiled modes on the CPU, a smoke test of the script where no GPU is lent.
Timing: warm-up calls for at least 5 calls and 0.15 s, then synchronized calls until at least 10
calls and 0.2 s (at most 60); median, minimum and 90th percentile per call. With `--passes N` every
configuration is measured N times in a new random order each pass, so that a host whose speed drifts
over minutes (framework-bound runs of the same configurations on two H200 VMs were 20% apart on
average) spreads its drift over all configurations instead of landing on one model's sweep; median_s
is then the median of the pass medians. `host_probe` holds the host's speed at the start of each pass and at
the end (Python calls of a tiny torch.add and an nn.Linear module, and the forward of a 12-layer BERT of
hidden size 64 that calibrate/python_dispatch.py's in-model probe times), to tell a host that drifted from
one that runs some models' code slower. The file is rewritten after every configuration, so a run cut
short keeps what it measured. Model names are fwtax's zoo names, so
`fwtax validate --measured runs.json --device PROFILE` compares them directly.
"""
import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time

import torch

SEQ = 128
IMAGE = 224


class TorchnnBert(torch.nn.Module):
    """BERT-base shape from torch.nn.TransformerEncoder (fwtax's bert-base-torchnn)."""

    def __init__(self, vocab=30522, d=768, heads=12, ff=3072, layers=12, max_pos=512):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, d)
        self.pos = torch.nn.Embedding(max_pos, d)
        self.ln = torch.nn.LayerNorm(d)
        layer = torch.nn.TransformerEncoderLayer(d, heads, ff, activation="gelu", batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        return self.enc(self.ln(self.tok(ids) + self.pos(pos)))


class LastHidden(torch.nn.Module):
    """A transformers model called with input ids only, returning its last hidden state."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids):
        return self.m(input_ids=ids)[0]


def hf(name):
    import transformers as T
    cfgs = {
        "bert-base": lambda: T.BertModel(T.BertConfig()),
        "bert-large": lambda: T.BertModel(T.BertConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                                       intermediate_size=4096)),
        "roberta-base": lambda: T.RobertaModel(T.RobertaConfig(vocab_size=50265, max_position_embeddings=514,
                                                               type_vocab_size=1, pad_token_id=1)),
        "distilbert": lambda: T.DistilBertModel(T.DistilBertConfig()),
        "albert-base": lambda: T.AlbertModel(T.AlbertConfig(hidden_size=768, num_attention_heads=12,
                                                            intermediate_size=3072, embedding_size=128)),
        "gpt2": lambda: T.GPT2Model(T.GPT2Config(use_cache=False)),
    }
    return cfgs[name]()


VISION = {"resnet18": "resnet18", "resnet50": "resnet50", "mobilenet-v2": "mobilenet_v2",
          "efficientnet-b0": "efficientnet_b0", "vit-b16": "vit_b_16", "vgg16": "vgg16", "densenet121": "densenet121"}


def make(name):
    """(module, 'tokens' or 'image')"""
    if name == "bert-base-torchnn":
        return TorchnnBert(), "tokens"
    if name in VISION:
        import torchvision.models as V
        return getattr(V, VISION[name])(weights=None), "image"
    return LastHidden(hf(name)), "tokens"


def timed(fn, warmup=5, warmup_s=0.15, min_calls=10, min_s=0.2, max_calls=60, sync=None):
    # `sync` waits for the device after each call (default: torch.cuda.synchronize).
    # Warm-up until both `warmup` calls and `warmup_s` seconds: a model's first calls at a new shape
    # pay for allocations and library setup, which 3 calls did not always cover (a first run of these
    # scripts measured batch-1 medians up to 1.9x their minimum).
    sync = sync or (torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None))
    begin, n = time.perf_counter(), 0
    while n < warmup or (time.perf_counter() - begin < warmup_s and n < 50):
        fn()
        sync()
        n += 1
    ts, begin = [], time.perf_counter()
    while len(ts) < max_calls and (len(ts) < min_calls or time.perf_counter() - begin < min_s):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return {"median_s": ts[len(ts) // 2], "min_s": ts[0], "p90_s": ts[int(len(ts) * 0.9)], "iters": len(ts)}


def graphed(fn):
    """fn captured in a CUDA graph after warm-up on a side stream (the documented recipe)."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return g


def host_probe(dev, calls=200, epochs=5):
    """The host's speed at this moment, beside the runs of a pass: seconds per call of torch.add on two
    8-element tensors and of an nn.Linear(8, 8) module, from Python (the median of `epochs` epochs of
    `calls` calls each, synchronized at each epoch's end; kernels this small leave the host binding)."""
    x = torch.ones(8, device=dev)
    lin = torch.nn.Linear(8, 8, device=dev)
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    out = {}
    items = [("add_s", lambda: torch.add(x, x), calls), ("linear_module_s", lambda: lin(x), calls)]
    bert = _probe_bert(dev)
    if bert:
        items.append(("bert_h64_s", bert, max(2, calls // 10)))
    with torch.no_grad():
        for key, fn, n in items:
            for _ in range(max(2, n // 10)):
                fn()
            per = []
            for _ in range(epochs):
                sync()
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                sync()
                per.append((time.perf_counter() - t0) / n)
            out[key] = statistics.median(per)
    return out


_BERT = {}


def _probe_bert(dev):
    """A forward of calibrate/python_dispatch.py's in-model probe (its probe_bert), built once per device;
    None without transformers."""
    if dev not in _BERT:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "calibrate"))
        from python_dispatch import probe_bert
        probe = probe_bert(dev)
        _BERT[dev] = probe[0] if probe else None
    return _BERT[dev]


def env():
    e = {"torch": torch.__version__, "python": platform.python_version(), "cores": os.cpu_count(),
         "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        with open("/proc/cpuinfo") as f:
            e["cpu_model"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if not torch.cuda.is_available():
        return e
    p = torch.cuda.get_device_properties(0)
    e.update({"gpu": p.name, "sm_count": p.multi_processor_count, "gpu_mem_bytes": p.total_memory,
              "cuda_runtime": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
              "allow_tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
              "allow_tf32_cudnn": torch.backends.cudnn.allow_tf32})
    for mod in ("transformers", "torchvision"):
        try:
            e[mod] = __import__(mod).__version__
        except ImportError:
            e[mod] = None
    try:
        e["driver"] = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                     capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return e


PLANS = {
    # the shared H100 set: eager and graphs, both dtypes, a batch sweep
    "core": [(m, [1, 8, 64, 256]) for m in ("bert-base", "resnet50", "bert-base-torchnn")],
    # TorchScript (torch.jit.trace + freeze) of the shared H100 set
    "ts": [(m, [1, 8, 64]) for m in ("bert-base", "resnet50")],
    # torch.compile (default and reduce-overhead) beside eager: a transformer, a CNN and a decoder
    "compile": [(m, [1, 8, 64]) for m in ("bert-base", "resnet50", "gpt2")],
    # zoo models the shared data do not have
    "zoo": [(m, [1, 16, 128]) for m in ("gpt2", "distilbert", "bert-large", "roberta-base", "albert-base",
                                         "vit-b16", "mobilenet-v2", "efficientnet-b0", "resnet18", "vgg16",
                                         "densenet121")],
}


# torch.compile's arguments per compiled mode (the mode names are fwtax's framework names)
COMPILE_MODES = {"torch-compile": {}, "torch-compile-reduce-overhead": {"mode": "reduce-overhead"}}


def combine(passes):
    """One run's statistics from its passes: the median of the pass medians (a host that drifts between
    passes moves single passes, not their median), the fastest call, the largest p90, and every pass's
    median for people to see the spread."""
    if len(passes) == 1:
        return dict(passes[0])
    return {"median_s": statistics.median(r["median_s"] for r in passes), "min_s": min(r["min_s"] for r in passes),
            "p90_s": max(r["p90_s"] for r in passes),
            "iters": sum(r["iters"] for r in passes), "pass_medians_s": [r["median_s"] for r in passes]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=180)
    ap.add_argument("--plan", default="core,zoo")
    ap.add_argument("--modes", default="eager,cudagraph")
    ap.add_argument("--dtypes", default="fp32,fp16")
    ap.add_argument("--passes", type=int, default=1,
                    help="measure every configuration this many times, in a new random order each pass "
                         "(models and dtypes shuffled, and modes and batches within them); a run's median_s "
                         "is then the median of its pass medians")
    ap.add_argument("--seed", type=int, default=1, help="seed of the pass order")
    ap.add_argument("--models", help="only these models of the plans (comma-separated)")
    ap.add_argument("--batches", help="these batch sizes instead of the plans' (comma-separated)")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                    help="cpu: a smoke test of the eager and compiled modes where no GPU is lent (fp32)")
    a = ap.parse_args()
    dev = a.device
    if dev == "cuda" and not torch.cuda.is_available():
        print("measure_gpu.py: no CUDA GPU visible to torch", file=sys.stderr)
        return 2
    if dev == "cpu" and any(m in a.modes.split(",") for m in ("cudagraph", "torchscript")):
        print("measure_gpu.py: --device cpu runs eager and the compiled modes only", file=sys.stderr)
        return 2
    start = time.time()
    errors = []
    timing = ("warm-up calls until >= 5 calls and >= 0.15 s, then synchronized calls until >= 10 calls and >= 0.2 s "
              "(at most 60); median, min, p90 of the wall time per call (torch.cuda.synchronize after each)")
    if a.passes > 1:
        timing += (f"; {a.passes} passes over all configurations, each in a random order (seed {a.seed}); median_s is "
                   "the median of the pass medians, min_s the fastest call, p90_s the largest pass p90")
    doc = {"schema": "fwtax.runs/1", "env": env(), "runs": [],
           "source": "validate/gpu/measure_gpu.py on " + (torch.cuda.get_device_name(0) if dev == "cuda" else "the CPU"),
           "timing": timing}
    results = {}  # (name, mode, dname, bs) -> [statistics of each pass]
    meta = {}     # (name, mode, dname, bs) -> seq, image, compile_s

    def save():
        doc["runs"] = [{"model": k[0], "mode": k[1], "dtype": k[2], "batch": k[3], **meta[k], **combine(v)}
                       for k, v in results.items()]
        doc["env"]["elapsed_s"] = round(time.time() - start, 1)
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=1)
        if errors:  # beside the runs, so that the runs file stays a plain fwtax.runs/1 document
            with open(a.out + ".errors", "w") as f:
                f.write("\n".join(errors) + "\n")

    dts = {"fp32": torch.float32, "fp16": torch.float16}
    only = set(a.models.split(",")) if a.models else None
    bss = [int(b) for b in a.batches.split(",")] if a.batches else None
    units = [(name, bss or batches, dname) for plan in a.plan.split(",") for name, batches in PLANS[plan]
             for dname in a.dtypes.split(",") if only is None or name in only]
    rng = random.Random(a.seed)
    doc["host_probe"] = []  # one per pass and one at the end: how fast the host was while the runs were taken
    for p in range(a.passes):
        doc["host_probe"].append({"pass": p + 1, "at_s": round(time.time() - start, 1), **host_probe(dev)})
        order = list(units)
        if a.passes > 1:
            rng.shuffle(order)
        for name, batches, dname in order:
            if time.time() - start > a.budget_s:
                errors.append(f"budget: stopped in pass {p + 1} before {name} {dname}")
                save()
                return 0
            try:
                with torch.device(dev):
                    m, kind = make(name)
                m = m.eval().to(dts[dname])
            except Exception as e:  # noqa: BLE001 - a model that cannot be built is reported, not fatal
                errors.append(f"{name} {dname}: build: {e!r}"[:500])
                continue
            configs = [(mode, bs) for mode in a.modes.split(",") for bs in batches]
            if a.passes > 1:
                rng.shuffle(configs)
            for mode, bs in configs:
                if time.time() - start > a.budget_s:  # checked per configuration: a compile can take a minute
                    errors.append(f"budget: stopped in pass {p + 1} at {name} {mode} {dname} bs{bs}")
                    save()
                    return 0
                try:
                    if kind == "tokens":
                        x = torch.randint(0, 1000, (bs, SEQ), device=dev)
                    else:
                        x = torch.randn(bs, 3, IMAGE, IMAGE, device=dev, dtype=dts[dname])
                    extra = {}
                    with torch.no_grad():
                        if mode == "eager":
                            r = timed(lambda: m(x))
                        elif mode == "torchscript":  # traced and frozen, as deployments do
                            ts = torch.jit.freeze(torch.jit.trace(m, (x,), strict=False, check_trace=False))
                            r = timed(lambda: ts(x))
                            del ts
                        elif mode in COMPILE_MODES:
                            torch._dynamo.reset()  # a fresh compile per configuration, no recompile limits
                            cm = torch.compile(m, dynamic=False, **COMPILE_MODES[mode])
                            sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
                            t0 = time.perf_counter()
                            cm(x)
                            sync()
                            extra["compile_s"] = time.perf_counter() - t0
                            r = timed(lambda: cm(x))
                            del cm
                        else:
                            g = graphed(lambda: m(x))
                            r = timed(g.replay)
                            del g
                    key = (name, mode, dname, bs)
                    results.setdefault(key, []).append(r)
                    meta[key] = {"seq": SEQ if kind == "tokens" else None, "image": IMAGE if kind == "image" else None,
                                 **extra}
                    print(f"pass {p + 1} {name:18s} {mode:9s} {dname} bs{bs:<4d} {r['median_s'] * 1e3:9.3f} ms", flush=True)
                except Exception as e:  # noqa: BLE001
                    errors.append(f"{name} {mode} {dname} bs{bs}: {e!r}"[:500])
                    if dev == "cuda":
                        torch.cuda.synchronize()
                if dev == "cuda":
                    torch.cuda.empty_cache()
                save()  # after every configuration, so that a run cut short keeps what it measured
            del m
            if dev == "cuda":
                torch.cuda.empty_cache()
            save()
    doc["host_probe"].append({"pass": "end", "at_s": round(time.time() - start, 1), **host_probe(dev)})
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
