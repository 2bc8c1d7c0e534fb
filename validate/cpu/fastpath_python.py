#!/usr/bin/env python3
"""How much Python torch.nn's encoder fast path runs around its fused op, against a leaf module's
__call__, on this CPU: the host-side split of torch.nn BERT (bert-base-torchnn) that fwtax's
pytorch-eager profile takes from machine B's traces (module_fastpath per module call, fused_layer per
encoder layer). Tiny tensors (d_model 16, 2 heads, FFN 32, 4 tokens, batch 1), so kernels take next
to nothing and what is timed is dispatch and interpretation. One intra-op thread, no_grad, eval.

Cases, timed in interleaved passes by calibrate/derive/measure_compile_costs.py's interleaved() (per
pass each case over --calls calls, the pass order alternating; per call the thread's CPU time):
  layer_module   nn.TransformerEncoderLayer(x): its fast-path checks, then the fused op
  layer_op       torch._transformer_encoder_layer_fwd with the same arguments (the fused op alone)
  encoder12      nn.TransformerEncoder of 12 such layers (its own checks, then 12 layer calls)
  linear, nn_linear_module, layer_norm, nn_layernorm_module, add: the dispatch microbenchmarks'
The layer is checked to take the fast path (its output equals the fused op's).

  /root/venv-torch/bin/python validate/cpu/fastpath_python.py --out FILE
  /usr/bin/python3 validate/cpu/fastpath_python.py --out FILE     (Debian's torch 1.13)
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "calibrate", "derive"))
import measure_compile_costs as mc  # noqa: E402  (its interleaved timing, stats, CPU model and load)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--passes", type=int, default=9)
    ap.add_argument("--calls", type=int, default=1000)
    args = ap.parse_args()
    torch.manual_seed(0)  # one intra-op thread: measure_compile_costs sets it
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
        "layer_module": (layer, x),
        "layer_op": (lambda t: torch._transformer_encoder_layer_fwd(*fused_args), x),
        "encoder12": (enc, x),
        "linear": (lambda t: F.linear(t, lin.weight, lin.bias), x),
        "nn_linear_module": (lin, x),
        "layer_norm": (lambda t: F.layer_norm(t, (d,), ln.weight, ln.bias), x),
        "nn_layernorm_module": (ln, x),
        "add": (lambda t: torch.add(t, t), x),
    }
    with torch.no_grad():
        if not torch.allclose(layer(x), torch._transformer_encoder_layer_fwd(*fused_args), atol=1e-5):
            raise SystemExit("the encoder layer did not take the fast path")
    env = {"cpu": mc.cpu_model(), "python": mc.platform.python_version(), "torch": torch.__version__,
           "intra_op_threads": torch.get_num_threads(), "date": mc.time.strftime("%Y-%m-%d"),
           "start_utc": mc.time.strftime("%H:%M:%S", mc.time.gmtime()), "load1_start": mc.load1()}
    timing, loads = mc.interleaved(cases, args.passes, args.calls)
    mc.stamp_end(env)
    med = {k: t["thread_cpu"]["median_s"] for k, t in timing.items()}
    leaf = ((med["nn_linear_module"] - med["linear"]) + (med["nn_layernorm_module"] - med["layer_norm"])) / 2
    fast = med["layer_module"] - med["layer_op"]
    enc_own = med["encoder12"] - 12 * med["layer_module"]
    out = {
        "schema": "fwtax.fastpath/1",
        "source": "validate/cpu/fastpath_python.py, " + str(args.passes) + " interleaved passes x " + str(args.calls) +
                  " calls per case (measure_compile_costs.interleaved), thread CPU time per call, one intra-op thread",
        "env": env,
        "loads": loads,
        "shape": {"d_model": d, "heads": h, "ffn": ff, "tokens": s, "batch": 1, "dtype": "fp32"},
        "timing": timing,
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
