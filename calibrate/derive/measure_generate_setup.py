#!/usr/bin/env python3
"""What Hugging Face generate() does on the host before its first forward, measured on this machine's CPU.

  OPENBLAS_NUM_THREADS=1 /work/venv-hf/bin/python calibrate/derive/measure_generate_setup.py \
      --out data/measured/hf-host-cpu-2026-12/generate-setup-5.17-cpu.json

Why: a generate call's time to first token is its prefill forward plus generate()'s own work before it
(the generation config merged and validated, special tokens made tensors, logits processors and
stopping criteria built, the cache and cache positions prepared, the model's inputs prepared). That
work is Python, the same on any device; fwtax's prefill had only the forward and the sampling after it.

Models: validate/cpu/hf_generate.py's families (LlamaForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel) at
hidden size 64 (4 heads, 2 key/value heads, FFN 176, vocabulary 1000) with 2 and 8 layers, called as
hf_generate.py calls them (input ids and attention mask 1x8, greedy, eos_token_id None, a stopping
criterion that reads only the clock), with generate's default DynamicCache and with
cache_implementation="static". Per configuration:
- `setup_s`: median over all timed calls of the thread's CPU time (time.thread_time, one intra-op
  thread) from the call of generate() to the model's first forward (a forward pre-hook); min and p90
  too; PASSES passes over the configurations in a new random order each, CALLS calls each per pass
  after warm-up calls;
- `first_forward_s`: the same from that pre-hook to the forward's end (the prefill forward itself);
- `tail_s`: from the last stopping check to generate()'s return;
- `step_outside_s`, `step_forward_s` (with --new-tokens 4 or more): per decode step after the first (whose
  allocations differ), the interval between two stopping checks less the step's forward, and the
  forward: generate's loop per token outside the model (its inputs prepared and its kwargs updated,
  logits processors, the sampling, the stopping check);
- `setup_aten_ops`: the ATen ops called from Python (parent: no other ATen op) during the setup, by
  name (torch.profiler, one untimed call).
Measurement instruments only: fwtax's build and tests do not run this.
"""
import argparse
import collections
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
from torch.profiler import ProfilerActivity, profile, record_function
from transformers import (GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          StoppingCriteria, StoppingCriteriaList)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "validate", "cpu"))
from hf_generate import cpu_model  # noqa: E402 - the runner whose models these are

PASSES = 5
CALLS = 40
WARMUP = 5
NEW = 3  # tokens per call: the prefill's and two decode steps (the tail follows the last check)
clock = time.thread_time


def models(depths):
    out = {}
    for L in depths:
        common = dict(hidden_size=64, intermediate_size=176, num_hidden_layers=L, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=2048, vocab_size=1000)
        out[f"llama-h64-L{L}"] = (LlamaConfig(**common), LlamaForCausalLM)
        out[f"qwen2-h64-L{L}"] = (Qwen2Config(**common), Qwen2ForCausalLM)
        out[f"gpt2-h64-L{L}"] = (GPT2Config(n_embd=64, n_layer=L, n_head=4, n_positions=2048, vocab_size=1000,
                                            bos_token_id=0, eos_token_id=None), GPT2LMHeadModel)
    return out


class Marks(StoppingCriteria):
    def __init__(self, log):
        self.log = log

    def __call__(self, input_ids, scores, **kwargs):
        self.log.append(("stop", clock()))
        return torch.zeros(input_ids.shape[0], dtype=torch.bool)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--depths", default="2,8")
    ap.add_argument("--passes", type=int, default=PASSES)
    ap.add_argument("--calls", type=int, default=CALLS)
    ap.add_argument("--new-tokens", type=int, default=NEW, help="tokens per call (4 or more: decode steps timed too)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    random.seed(0)
    log = []
    built = {}
    for name, (config, cls) in models([int(x) for x in args.depths.split(",")]).items():
        m = cls(config).eval()
        m.generation_config.eos_token_id = None
        m.generation_config.pad_token_id = 0
        m.register_forward_pre_hook(lambda mod, a: log.append(("pre", clock())))
        m.register_forward_hook(lambda mod, a, o: log.append(("post", clock())))
        for cache in ("dynamic", "static"):
            built[(name, cache)] = m
    ids = torch.randint(0, 1000, (1, 8))
    mask = torch.ones_like(ids)
    stop = StoppingCriteriaList([Marks(log)])

    def call(m, cache):
        kw = {"cache_implementation": "static"} if cache == "static" else {}
        return m.generate(ids, attention_mask=mask, max_new_tokens=args.new_tokens, do_sample=False,
                          stopping_criteria=stop, **kw)

    times = collections.defaultdict(lambda: collections.defaultdict(list))
    ops = {}
    with torch.no_grad():
        for (name, cache), m in built.items():
            for _ in range(WARMUP):
                call(m, cache)
            # The setup's ATen ops: a record_function marks the first forward's start.
            first = []
            h = m.register_forward_pre_hook(
                lambda mod, a: first.append(record_function("FIRST_FORWARD").__enter__()) if not first else None)
            with profile(activities=[ProfilerActivity.CPU]) as p:
                with record_function("GENERATE"):
                    call(m, cache)
            h.remove()
            for r in first:
                r.__exit__(None, None, None)
            ev = p.events()
            gen = next(e for e in ev if e.name == "GENERATE")
            ff = next(e for e in ev if e.name == "FIRST_FORWARD")
            ops[(name, cache)] = collections.Counter(
                e.name for e in ev if e.name.startswith("aten::") and e.cpu_parent is not None
                and e.cpu_parent.name == "GENERATE" and gen.time_range.start <= e.time_range.start < ff.time_range.start)
        order = list(built)
        for _ in range(args.passes):
            random.shuffle(order)
            for key in order:
                m = built[key]
                for _ in range(args.calls):
                    log.clear()
                    t0 = clock()
                    call(m, key[1])
                    t1 = clock()
                    pre = [t for k, t in log if k == "pre"]
                    post = [t for k, t in log if k == "post"]
                    stops = [t for k, t in log if k == "stop"]
                    times[key]["setup"].append(pre[0] - t0)
                    times[key]["first_forward"].append(post[0] - pre[0])
                    times[key]["tail"].append(t1 - stops[-1])
                    for k in range(2, len(stops)):  # decode steps after the first
                        fwd = post[k] - pre[k]
                        times[key]["step_forward"].append(fwd)
                        times[key]["step_outside"].append(stops[k] - stops[k - 1] - fwd)
    results = []
    for (name, cache) in built:
        t = times[(name, cache)]
        row = {"model": name, "cache": cache}
        for k in ("setup", "first_forward", "tail", "step_outside", "step_forward"):
            if not t[k]:
                continue
            row[f"{k}_s"] = statistics.median(t[k])
            row[f"{k}_min_s"] = min(t[k])
            row[f"{k}_p90_s"] = pct(t[k], 0.9)
        row["setup_aten_ops"] = dict(sorted(ops[(name, cache)].items()))
        results.append(row)
    out = {
        "schema": "fwtax.generate_setup/1",
        "source": "calibrate/derive/measure_generate_setup.py (its docstring says what is timed)",
        "env": {"torch": torch.__version__, "transformers": transformers.__version__,
                "python": platform.python_version(), "cpu_model": cpu_model(), "threads": 1,
                "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "passes": args.passes, "calls_per_pass": args.calls, "prompt": list(ids.shape), "new_tokens": args.new_tokens},
        "runs": results,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for r in results:
        print(f"{r['model']:16s} {r['cache']:8s} setup {r['setup_s'] * 1e6:7.0f} us  first forward "
              f"{r['first_forward_s'] * 1e6:7.0f} us  tail {r['tail_s'] * 1e6:5.0f} us  "
              f"{sum(r['setup_aten_ops'].values())} ATen ops" +
              (f"  step: outside {r['step_outside_s'] * 1e6:5.0f} us, forward {r['step_forward_s'] * 1e6:6.0f} us"
               if "step_outside_s" in r else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
