#!/usr/bin/env python3
"""Measures what torch.compile's guards cost per call, and how many a model has, on this CPU.

A compiled call first evaluates its frame's guards (TorchDynamo's checks that the module and its
inputs are still what was compiled: each parameter, buffer, module attribute and global it read).
Their number grows with the model; their time is timed here as a compiled call's time less the same
call with guard evaluation skipped (torch.compiler.set_stance(skip_guard_eval_unsafe=True)), on HF
BertModel shapes of 1, 4 and 12 layers with tiny widths (the kernels cost little, the guards do not
shrink), one intra-op thread. The guard counts (torch._dynamo.explain's out_guards) of torchvision
ResNet-18/50 and MobileNet-V2 and HF GPT-2 and BERT (12 layers, tiny widths: the count does not depend
on widths) say how many guards a model has per Python module call of its forward.

  OPENBLAS_NUM_THREADS=1 VENV/bin/python calibrate/derive/measure_guard_costs.py --out FILE
Needs PyPI's torch 2.x, torchvision and transformers 5.x (no weights: random initialization).
"""
import argparse, json, os, platform, statistics, subprocess, time
import torch
import torch._dynamo as dynamo
import torchvision
import transformers
from transformers import BertConfig, BertModel, GPT2Config, GPT2Model


def median_call_s(f, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def guards_of(m, x):
    dynamo.reset()
    with torch.no_grad():
        ex = dynamo.explain(m)(x)
    return len(ex.out_guards), ex.graph_count


def bert(layers):
    return BertModel(BertConfig(hidden_size=64, num_hidden_layers=layers, num_attention_heads=4, intermediate_size=128,
                                vocab_size=1000, max_position_embeddings=128)).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    tokens = torch.randint(0, 1000, (1, 16))
    timing = []
    for layers in (1, 4, 12):
        m = bert(layers)
        guards, graphs = guards_of(m, tokens)
        with_guards, without = [], []
        dynamo.reset()
        with torch.no_grad():
            c = torch.compile(m)
            for _ in range(3):
                c(tokens)
            for _ in range(a.passes):  # interleaved passes: with guards, then without
                with_guards.append(median_call_s(lambda: c(tokens), a.calls))
                with torch.compiler.set_stance(skip_guard_eval_unsafe=True):
                    c(tokens)
                    without.append(median_call_s(lambda: c(tokens), a.calls))
        timing.append({"model": f"HF BertModel, {layers} layers, hidden 64, 4 heads, intermediate 128, seq 16, batch 1",
                       "layers": layers, "guards": guards, "graphs": graphs,
                       "compiled_call_s": statistics.median(with_guards),
                       "compiled_call_without_guard_eval_s": statistics.median(without),
                       "passes": {"compiled_call_s": with_guards, "compiled_call_without_guard_eval_s": without}})
    xs = [t["guards"] for t in timing]
    ys = [t["compiled_call_s"] - t["compiled_call_without_guard_eval_s"] for t in timing]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    image = torch.randn(1, 3, 32, 32)
    counts = []
    for name, m, x in [("resnet18", torchvision.models.resnet18().eval(), image),
                       ("resnet50", torchvision.models.resnet50().eval(), image),
                       ("mobilenet-v2", torchvision.models.mobilenet_v2().eval(), image),
                       ("gpt2", GPT2Model(GPT2Config(n_embd=64, n_layer=12, n_head=4, vocab_size=1000, n_positions=128,
                                                     bos_token_id=0, eos_token_id=0)).eval(), tokens),
                       ("bert-base", bert(12), tokens)]:
        g, graphs = guards_of(m, x)
        counts.append({"model": name, "guards": g, "graphs": graphs, "modules": sum(1 for _ in m.modules()),
                       "parameters": sum(1 for _ in m.parameters()), "buffers": sum(1 for _ in m.buffers())})
    out = {
        "source": "calibrate/derive/measure_guard_costs.py on this project's build machine (its docstring says how)",
        "env": {"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__, "torchvision": torchvision.__version__,
                "transformers": transformers.__version__, "python": platform.python_version(),
                "cpu": subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True,
                                      text=True).stdout.strip(), "threads": 1, "uptime": os.getloadavg()},
        "timing": timing,
        "guard_s_slope": slope,
        "guard_counts": counts,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"guard time {slope * 1e9:.1f} ns per guard; counts:",
          ", ".join(f"{c['model']} {c['guards']}" for c in counts))


if __name__ == "__main__":
    main()
