#!/usr/bin/env python3
"""Ground truth for fwtax's LLM phases on this machine's CPU: Hugging Face generate() of small
Llama-, Qwen2- and GPT-2-shaped causal LMs with random weights built from configs (nothing is
downloaded), with the dynamic cache (generate's default) and the static cache, timed in interleaved
passes. Writes a measured-runs file (docs/measured-runs.md, schema fwtax.runs/1) that
`fwtax validate --measured` reads, and the config.json of each model next to it.

Needs PyPI's torch 2.x and transformers 5.x (a virtual environment; Debian's torch 1.13 has neither).
Usage, from the repository root:

  /root/venv-torch/bin/python validate/cpu/hf_generate.py --threads 1 --out data/measured/cpu-llm-2026-12

--threads should be the intra-op thread count of the CPU profile the runs are validated against
(data/traces/cpu-2026-12/cpu-profile.json was calibrated with one).

On a GPU (`--device cuda`, a session with a GPU lent): `--gpu-models` builds TinyLlama-1.1B- and
GPT-2-124M-shaped models instead (random weights), in `--dtype fp16`, and median_s is the wall clock
(every call ends synchronized; the per-step intervals are steady-state periods, since generate reads its
stop flag back from the GPU every step). There generate compiles the static-cache decode step
(transformers' auto-compile: Inductor, reduce-overhead), so two warm-up calls of each configuration
come first (compilation and cudagraph recording), and `eager-static-cache` runs are what fwtax predicts
as the compiled step under pytorch-eager on a GPU.

What is timed: generate(input_ids, attention_mask, max_new_tokens=NEW, do_sample=False), with
eos_token_id None so that every call makes all its tokens, and a stopping criterion that only reads
the clock: generate calls it once per token, after that token's forward, sampling and bookkeeping.
The time from the call to its first stop check is the prefill (time to first token); the interval
between two consecutive checks is one decode step (HF's whole loop per token: forward, logits
processing, argmax, concatenation, the stopping check's read back). The first interval after the
prefill is dropped (its allocations differ); a step over a cache of CONTEXT + k tokens is named by the
run's context, the mean CONTEXT + NEW / 2. After one warm-up call of each configuration, PASSES
passes go over all configurations in an order shuffled per pass (drift hits all alike); the decode
statistics are over all steps of all passes (median, min, p90), the prefill's and the whole call's over
the passes. The 1-minute load average before and after each pass is recorded: the machine is shared
with other builds, and the median of many short steps is what survives their interference best.
"""
import argparse
import datetime
import json
import os
import platform
import random
import statistics
import sys
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

PASSES = 5
NEW = 17  # tokens per generate call: the first from the prefill, 16 decode steps
BATCHES = [1, 4, 8]
CONTEXTS = [32, 256, 1024]


def gpu_models():
    # GPU-sized shapes of two families: TinyLlama 1.1B (22 layers, GQA 32:4) and GPT-2 124M.
    return {
        "tinyllama-shape": (LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                                        num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048),
                            LlamaForCausalLM),
        "gpt2-shape": (GPT2Config(n_embd=768, n_layer=12, n_head=12, n_positions=1024, vocab_size=50257), GPT2LMHeadModel),
    }


def models():
    # Small enough that a 1024-token prefill of 8 sequences takes about a second on one core; shaped
    # like their families: GQA 8:2, SwiGLU, RMSNorm and RoPE (Llama); the same with q/k/v biases and
    # Qwen2's 151,936-token vocabulary (Qwen2); learned positions, LayerNorm and gelu_new (GPT-2).
    common = dict(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=8,
                  num_key_value_heads=2, max_position_embeddings=2048)
    return {
        "llama-tiny": (LlamaConfig(vocab_size=32000, **common), LlamaForCausalLM),
        "qwen2-tiny": (Qwen2Config(vocab_size=151936, **common), Qwen2ForCausalLM),
        "gpt2-tiny": (GPT2Config(n_embd=256, n_layer=4, n_head=8, n_positions=2048, vocab_size=50257), GPT2LMHeadModel),
    }


def load1():
    return os.getloadavg()[0]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--passes", type=int, default=PASSES)
    ap.add_argument("--quick", action="store_true", help="one model, batch 1, context 32 (a smoke test)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "fp16"])
    ap.add_argument("--gpu-models", action="store_true", help="TinyLlama- and GPT-2-sized shapes (for a GPU)")
    ap.add_argument("--batches", help="comma-separated batch sizes instead of 1,4,8")
    ap.add_argument("--contexts", help="comma-separated prompt lengths instead of 32,256,1024")
    ap.add_argument("--models", help="only these of the models (comma-separated names)")
    ap.add_argument("--caches", default="dynamic,static", help="dynamic, static or both (comma-separated)")
    args = ap.parse_args()
    dev = torch.device(args.device)
    dtype = {"fp32": torch.float32, "fp16": torch.float16}[args.dtype]
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print("hf_generate.py: no CUDA GPU visible to torch", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    os.makedirs(os.path.join(args.out, "configs"), exist_ok=True)

    built = {}
    for name, (config, cls) in (gpu_models() if args.gpu_models else models()).items():
        if args.quick and name not in ("llama-tiny", "tinyllama-shape"):
            continue
        if args.models and name not in args.models.split(","):
            continue
        config.eos_token_id = None
        with torch.device(dev):
            model = cls(config).eval().to(dtype)  # random weights
        model.generation_config.eos_token_id = None
        model.generation_config.pad_token_id = 0
        path = os.path.join(args.out, "configs", name + ".json")
        config.to_json_file(path)
        with open(path) as f:  # every number in data/ says where it came from
            saved = json.load(f)
        saved["source"] = ("validate/cpu/hf_generate.py models(): the transformers config the runs' model was built "
                           "from (random weights), written by config.to_json_file")
        with open(path, "w") as f:
            json.dump(saved, f, indent=2, sort_keys=True)
            f.write("\n")
        built[name] = (model, config, path)

    caches = [c for c in ("dynamic", "static") if c in args.caches.split(",")]
    if not built or not caches:
        print("hf_generate.py: no model or cache left to run (see --models, --caches)", file=sys.stderr)
        return 2
    batches, contexts = ([1], [32]) if args.quick else (BATCHES, CONTEXTS)
    if args.batches:
        batches = [int(b) for b in args.batches.split(",")]
    if args.contexts:
        contexts = [int(c) for c in args.contexts.split(",")]
    configs = [(m, c, b, s) for m in built for c in caches for b in batches for s in contexts]

    class Clock(transformers.StoppingCriteria):
        """Records when generate checks whether to stop: once per token, after its step."""

        def __init__(self):
            self.at = []

        def __call__(self, input_ids, scores, **kwargs):
            self.at.append((time.perf_counter(), time.thread_time()))
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    def call(model, config, cache, batch, context):
        ids = torch.randint(3, config.vocab_size, (batch, context), device=dev)
        mask = torch.ones_like(ids)
        kw = dict(max_new_tokens=NEW, do_sample=False)
        if cache == "static":
            kw["cache_implementation"] = "static"
        clock = Clock()
        t0 = (time.perf_counter(), time.thread_time())
        out = model.generate(input_ids=ids, attention_mask=mask,
                             stopping_criteria=transformers.StoppingCriteriaList([clock]), **kw)
        if cuda:
            torch.cuda.synchronize()
        t = (time.perf_counter(), time.thread_time())
        assert out.shape == (batch, context + NEW), out.shape
        assert len(clock.at) == NEW, len(clock.at)
        # Per clock (0: wall, 1: this thread's CPU time): prefill, the decode steps, the whole call.
        return [(clock.at[0][k] - t0[k], [b[k] - a[k] for a, b in zip(clock.at[1:], clock.at[2:])], t[k] - t0[k])
                for k in (0, 1)]

    def write(passes_done):
        # rewritten after every pass, so that a run cut short keeps the passes it finished
        runs = []
        for cfg in configs:
            m, c, b, s = cfg
            mode = "eager" if c == "dynamic" else "eager-static-cache"
            cfg_json = json.load(open(built[m][2]))
            wall, cpu = times[cfg]
            # generate keeps a static cache at the largest length any earlier call of the model needed
            # (_prepare_static_cache's _previous_max_cache_length): after the warm-up, that of the longest prompt.
            cache_len = {"max_cache_len": built[m][0]._previous_max_cache_length} if c == "static" else {}
            base = {"model": m, "mode": mode, "cache": c, **cache_len, "dtype": args.dtype, "batch": b, "image": None,
                    "params": sum(x.numel() for x in built[m][0].base_model.parameters()),
                    "arch": cfg_json}

            def stats(key):
                # The thread's CPU time is what is compared (median_s): with one intra-op thread it is the
                # call's time less the time the loaded machine kept the thread waiting for a core. The wall
                # clock's statistics are kept beside it.
                c, w = (wall[key], wall[key]) if cuda else (cpu[key], wall[key])
                return {"median_s": statistics.median(c), "min_s": min(c), "p90_s": pct(c, 0.9),
                        "wall_median_s": statistics.median(w), "wall_min_s": min(w), "wall_p90_s": pct(w, 0.9),
                        "iters": len(c)}

            runs.append(dict(base, phase="prefill", seq=s, **stats("first")))
            runs.append(dict(base, phase="decode", seq=1, context=s + NEW // 2, **stats("steps")))
            runs.append(dict(base, phase="generate", seq=s, new_tokens=NEW, **stats("all")))
        env = {
            "torch": torch.__version__, "transformers": transformers.__version__, "python": platform.python_version(),
            "torch_threads": torch.get_num_threads(), "cpu_model": platform.processor() or cpu_model(),
            "cores": os.cpu_count(), "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load_per_pass": load,
        }
        if cuda:
            env.update({"gpu": torch.cuda.get_device_name(0), "cuda_runtime": torch.version.cuda})
        where = (f"a {torch.cuda.get_device_name(0)} (its VM's host CPU: {cpu_model()})" if cuda else
                 "this repository's development machine (a 2-core KVM guest of an AMD EPYC)")
        out = {
            "schema": "fwtax.runs/1",
            "source": f"validate/cpu/hf_generate.py on {where}, PyPI torch and transformers; random weights from the "
                      "configs in configs/ (nothing downloaded)",
            "env": env,
            "timing": f"{passes_done} passes over all configurations in a shuffled order, after "
                      f"{'two warm-up calls' if cuda else 'one warm-up call'} of each; "
                      f"one generate(max_new_tokens={NEW}) per configuration and pass, a stopping criterion reading the "
                      "clock once per token: prefill = call to first check, decode = interval between consecutive checks "
                      f"(the first dropped; {NEW - 2} steps a call, over caches of context + 1 ... context + {NEW - 1} "
                      "tokens), generate = the whole call; decode statistics over all steps of all passes, the others "
                      + ("over the passes. median_s, min_s, p90_s: the wall clock (the call ends with torch.cuda.synchronize; "
                         "generate reads its stop flag back every step). eager: generate's default DynamicCache; "
                         "eager-static-cache: cache_implementation='static', whose decode steps generate compiles on a GPU "
                         "(Inductor, reduce-overhead); " if cuda else
                         "over the passes. median_s, min_s, p90_s: the thread's CPU time (time.thread_time; one intra-op "
                         "thread, so the work's time without the waits for a core on the loaded machine); wall_*: the "
                         "wall clock (time.perf_counter). eager: generate's default DynamicCache; eager-static-cache: "
                         "cache_implementation='static', still eager (no torch.compile on a CPU); ") +
                      "max_cache_len: the static cache's length, "
                      "which generate keeps at the largest of the model's earlier calls (the warm-up's longest prompt + "
                      f"{NEW} - 1)",
            "runs": runs,
        }
        with open(os.path.join(args.out, "runs.json"), "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")

    times = {cfg: [{"first": [], "steps": [], "all": []} for _ in (0, 1)] for cfg in configs}
    load = []
    with torch.no_grad():
        for cfg in configs:  # warm-up: one call of each (two on a GPU: compilation, then graph recording)
            m, c, b, s = cfg
            for _ in range(2 if cuda else 1):
                call(built[m][0], built[m][1], c, b, s)
        for p in range(args.passes):
            order = configs[:]
            random.shuffle(order)
            before = load1()
            for cfg in order:
                m, c, b, s = cfg
                for k, (first, steps, whole) in enumerate(call(built[m][0], built[m][1], c, b, s)):
                    times[cfg][k]["first"].append(first)
                    times[cfg][k]["steps"] += steps
                    times[cfg][k]["all"].append(whole)
            load.append({"pass": p, "load1_before": before, "load1_after": load1()})
            print(f"pass {p}: load {before:.2f} -> {load1():.2f}", file=sys.stderr)
            write(p + 1)



def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    sys.exit(main())
