#!/usr/bin/env python3
"""How much Python torch.nn's encoder fast path runs around its fused op, against a leaf module's
__call__, on this CPU: the host-side split of torch.nn BERT (bert-base-torchnn) that fwtax's
pytorch-eager profile takes from machine B's traces (module_fastpath per module call, fused_layer per
encoder layer). Tiny tensors (d_model 16, 2 heads, FFN 32, 4 tokens, batch 1), so kernels take next
to nothing and what is timed is dispatch and interpretation. One intra-op thread, no_grad, eval.

Cases, timed in interleaved passes (per pass each case over --calls calls, after 50 warm-up calls):
  layer_module   nn.TransformerEncoderLayer(x): its fast-path checks, then the fused op
  layer_op       torch._transformer_encoder_layer_fwd with the same arguments (the fused op alone)
  encoder12      nn.TransformerEncoder of 12 such layers (its own checks, then 12 layer calls)
  linear, nn_linear_module, layer_norm, nn_layernorm_module, add: the dispatch microbenchmarks'
The layer is checked to take the fast path (its output equals the fused op's).

  /root/venv-torch/bin/python validate/cpu/fastpath_python.py --out FILE
  /usr/bin/python3 validate/cpu/fastpath_python.py --out FILE     (Debian's torch 1.13)
"""
import argparse, datetime, json, os, platform, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--passes", type=int, default=9)
    ap.add_argument("--calls", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    d, h, ff, s = 16, 2, 32, 4
    x = torch.randn(1, s, d)
    layer = nn.TransformerEncoderLayer(d, h, ff, batch_first=True, dropout=0.0).eval()
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, ff, batch_first=True, dropout=0.0), 12,
                                enable_nested_tensor=False).eval()
    lin, ln = nn.Linear(d, d).eval(), nn.LayerNorm(d).eval()
    a = layer.self_attn
    fused_args = (x, a.embed_dim, a.num_heads, a.in_proj_weight, a.in_proj_bias, a.out_proj.weight,
                  a.out_proj.bias, layer.activation_relu_or_gelu == 2, layer.norm_first, layer.norm1.eps,
                  layer.norm1.weight, layer.norm1.bias, layer.norm2.weight, layer.norm2.bias, layer.linear1.weight,
                  layer.linear1.bias, layer.linear2.weight, layer.linear2.bias, None, None)
    cases = {
        "layer_module": lambda: layer(x),
        "layer_op": lambda: torch._transformer_encoder_layer_fwd(*fused_args),
        "encoder12": lambda: enc(x),
        "linear": lambda: F.linear(x, lin.weight, lin.bias),
        "nn_linear_module": lambda: lin(x),
        "layer_norm": lambda: F.layer_norm(x, (d,), ln.weight, ln.bias),
        "nn_layernorm_module": lambda: ln(x),
        "add": lambda: torch.add(x, x),
    }
    start = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()[0]
    times = {k: [] for k in cases}
    with torch.no_grad():
        if not torch.allclose(layer(x), cases["layer_op"](), atol=1e-5):
            raise SystemExit("the encoder layer did not take the fast path")
        for _ in range(args.passes):
            for k, f in cases.items():
                for _ in range(50):
                    f()
                t0 = time.thread_time_ns()
                for _ in range(args.calls):
                    f()
                times[k].append((time.thread_time_ns() - t0) * 1e-9 / args.calls)
    med = {k: statistics.median(v) for k, v in times.items()}
    leaf = ((med["nn_linear_module"] - med["linear"]) + (med["nn_layernorm_module"] - med["layer_norm"])) / 2
    fast = med["layer_module"] - med["layer_op"]
    enc_own = med["encoder12"] - 12 * med["layer_module"]
    out = {
        "schema": "fwtax.fastpath/1",
        "source": "validate/cpu/fastpath_python.py, " + str(args.passes) + " interleaved passes x " + str(args.calls) +
                  " calls per case, thread CPU time (time.thread_time_ns), one intra-op thread",
        "env": {"start": start.isoformat(timespec="seconds"),
                "end": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "torch": torch.__version__, "python": platform.python_version(), "cpu": platform.processor() or
                platform.machine(), "load_start": load_start, "load_end": os.getloadavg()[0]},
        "shape": {"d_model": d, "heads": h, "ffn": ff, "tokens": s, "batch": 1, "dtype": "fp32"},
        "median_s": med,
        "min_s": {k: min(v) for k, v in times.items()},
        "derived": {
            "fastpath_python_per_layer_s": fast,
            "encoder_python_beyond_layers_s": enc_own,
            "leaf_module_python_s": leaf,
            "fastpath_over_leaf": fast / leaf,
            "encoder_over_leaf": enc_own / leaf,
            "python_over_fused_op_per_forward": (12 * fast + enc_own) / (12 * med["layer_op"]),
        },
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(out["derived"], indent=1))


if __name__ == "__main__":
    main()
