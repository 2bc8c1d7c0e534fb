#!/usr/bin/env python3
"""ONNX Runtime (CPU execution provider) running exported zoo models on this machine's CPU: what its
graph optimizations make of each model, the latencies to validate fwtax's onnxruntime mode against,
and the convolution kernels' speed under ORT (MLAS) and eager PyTorch (oneDNN) apart from any model.

  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python calibrate/derive/measure_ort_zoo.py graphs \
      --out data/measured/ort-cpu-2026-12/optimized-graphs.json
  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python calibrate/derive/measure_ort_zoo.py models \
      --out data/measured/ort-cpu-2026-12/zoo-cpu-runs.json
  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python calibrate/derive/measure_ort_zoo.py convs \
      --out data/measured/ort-cpu-2026-12/conv-kernels.json
  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python calibrate/derive/measure_ort_zoo.py gemms \
      --out data/measured/ort-cpu-2026-12/gemm-kernels.json

Models: the ones data/measured/compile-costs-2026-12 measured (torchvision ResNet-18 at batch 1 and 4,
ResNet-50 and MobileNet-V2 at batch 1, 224 pixels) and the transformers of `fwtax validate --run cpu`
(bert-mini and gpt2-mini: HF BertModel and GPT2Model with hidden 256, 4 layers, 4 heads, FFN 1024,
vocab 1000; batch 1, 128 tokens), random weights, exported with torch.onnx.export (opset 17, the
TorchScript-based exporter) in eval mode.

`graphs`: per model, the node types of the exported graph and of the graph ONNX Runtime runs after
its optimizations at ORT_ENABLE_EXTENDED and ORT_ENABLE_ALL (SessionOptions.optimized_model_filepath;
ALL adds the NCHWc layout transformer on this CPU), as counts per domain::op_type, and for each FusedConv
or NCHWc Conv its activation and whether it sums a residual.

`models`: InferenceSession at ORT_ENABLE_ALL, one intra-op and one inter-op thread, sequential
execution (the caller's thread runs every node), and the same model in eager PyTorch
(torch.set_num_threads(1), torch.no_grad()), timed in the same interleaved passes as
measure_compile_costs.py does (its `interleaved`): min/median/p90 of the thread's CPU time and of the
wall clock, the load before and after every pass. Written as fwtax.runs/1, mode `onnxruntime` (the
framework of that name in data/measured/ort-cpu-2026-12/cpu-profile-ort.json) and `eager`.

`convs`: every distinct convolution of the CNNs above, alone: one Conv node (+ bias) in ORT at
ORT_ENABLE_ALL (so NCHWc where ORT would use it; the ReorderInput and ReorderOutput around a lone
node, which a model's chain of NCHWc nodes does not pay, are timed alone as one-node graphs and
subtracted: `conv_s`, the convolution node less one Run's own cost; where the output has the
input's shape, chains of 1, 2 and 4 of it too, whose slope `chain_slope_s` is one convolution node
between blocked tensors, as in a model, nothing subtracted) and F.conv2d in eager PyTorch, interleaved, thread CPU time; each shape's FLOPs per second under each. `gemms`: the same
for the linear layers (x W + b) of the transformers and the CNNs' classifiers: one Gemm node against
F.linear. Kernel-level measurements: no model latency enters them.

Measurement instruments only: fwtax's build and tests do not run this.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_compile_costs as mc  # noqa: E402  (its env, stats and interleaved timing)

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
CNNS = (("resnet18", 1), ("resnet18", 4), ("resnet50", 1), ("mobilenet-v2", 1))
TRANSFORMERS = (("bert-mini", 1, 128), ("gpt2-mini", 1, 128))
MINI = {"hidden": 256, "layers": 4, "heads": 4, "intermediate": 1024, "vocab": 1000, "max_position": 512}


def arch_of(name):
    """The architecture JSON fwtax builds the run's model from (`fwtax validate --run cpu`'s shapes; the
    BertModel here has no pooler: add_pooling_layer=False, the last hidden state is the output)."""
    a = {"name": name, "family": name.split("-")[0], **MINI, "pooler": False}
    if a["family"] == "gpt2":
        a["activation"] = "gelu_new"
    return a


class LastHidden(torch.nn.Module):
    """The model's last hidden state from its token ids. GPT-2 gets an all-ones attention mask: without
    one, transformers 5's mask code calls aten::diff (packed-sequence detection), which the exporter has
    no ONNX symbol for."""
    def __init__(self, m, mask):
        super().__init__()
        self.m = m
        self.mask = mask

    def forward(self, ids):
        if self.mask:
            return self.m(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
        return self.m(input_ids=ids).last_hidden_state


def make_transformer(name, batch, seq):
    import transformers as T
    torch.manual_seed(0)
    if name.startswith("bert"):
        cfg = T.BertConfig(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
                           vocab_size=1000, max_position_embeddings=512, attn_implementation="sdpa")
        m = T.BertModel(cfg, add_pooling_layer=False)
    else:
        cfg = T.GPT2Config(n_embd=256, n_layer=4, n_head=4, n_inner=1024, vocab_size=1000, n_positions=512,
                           attn_implementation="sdpa", use_cache=False)
        m = T.GPT2Model(cfg)
    return LastHidden(m.eval(), name.startswith("gpt2")).eval(), torch.randint(0, 1000, (batch, seq))


def all_models():
    """(key, run fields, module, input) for every model measured."""
    out = []
    for name, batch in CNNS:
        m, x = mc.make(name, batch)
        out.append((f"{name}/bs{batch}", {"model": name, "batch": batch, "image": 224, "seq": None}, m, x))
    for name, batch, seq in TRANSFORMERS:
        m, x = make_transformer(name, batch, seq)
        out.append((f"{name}/bs{batch}/s{seq}",
                    {"model": name, "batch": batch, "image": None, "seq": seq, "arch": arch_of(name)}, m, x))
    return out


def export(key, m, x, folder):
    path = os.path.join(folder, key.replace("/", "_") + ".onnx")
    with torch.no_grad():
        torch.onnx.export(m, (x,), path, dynamo=False, opset_version=17, input_names=["x"], output_names=["y"])
    return path


def session(path, level, optimized_to=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = level
    so.log_severity_level = 3
    if optimized_to:
        so.optimized_model_filepath = optimized_to
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def node_counts(path):
    g = onnx.load(path).graph
    counts = collections.Counter((n.domain + "::" if n.domain else "") + n.op_type for n in g.node)
    convs = collections.Counter()
    for n in g.node:
        if n.op_type in ("Conv", "FusedConv") and n.domain in ("com.microsoft", "com.microsoft.nchwc"):
            attrs = {a.name: a for a in n.attribute}
            act = attrs["activation"].s.decode() if "activation" in attrs else "none"
            residual = n.domain == "com.microsoft.nchwc" and len([i for i in n.input if i]) > 3 or \
                n.op_type == "FusedConv" and len([i for i in n.input if i]) > 3
            convs[f"{n.domain}::{n.op_type} activation={act}{' +sum' if residual else ''}"] += 1
    return {"nodes": len(g.node), "op_types": dict(sorted(counts.items())), "convs": dict(sorted(convs.items()))}


def env():
    e = mc.env()
    import transformers
    e.update({"onnxruntime": ort.__version__, "onnx": onnx.__version__, "transformers": transformers.__version__,
              "ort_intra_op_threads": 1, "ort_inter_op_threads": 1, "ort_execution_mode": "sequential",
              "ort_providers": ["CPUExecutionProvider"], "exporter": "torch.onnx.export(dynamo=False, opset_version=17)"})
    return e


def measure_graphs(folder):
    e0 = env()
    graphs = {}
    for key, fields, m, x in all_models():
        path = export(key, m, x, folder)
        g = {"model": fields["model"], "batch": fields["batch"], "exported": node_counts(path)}
        for lname, level in (("extended", ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
                             ("all", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)):
            opt = path.replace(".onnx", f".{lname}.onnx")
            session(path, level, opt)
            g[lname] = node_counts(opt)
        graphs[key] = g
        print(key, g["all"]["op_types"], file=sys.stderr)
    return {"env": e0, "graphs": graphs,
            "source": (f"calibrate/derive/measure_ort_zoo.py graphs on {e0['cpu']}, {e0['date']}, onnxruntime "
                       f"{e0['onnxruntime']}, torch {e0['torch']}: node types of each exported model and of the graph "
                       "ONNX Runtime's CPU execution provider runs after its optimizations (optimized_model_filepath) "
                       "at ORT_ENABLE_EXTENDED and ORT_ENABLE_ALL")}


def measure_models(folder, passes, calls):
    e0 = env()
    cases, meta = {}, {}
    for key, fields, m, x in all_models():
        path = export(key, m, x, folder)
        s = session(path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
        feed = {"x": x.numpy()}
        cases[key + "/eager"] = (m, x)
        cases[key + "/onnxruntime"] = (lambda f, s=s: s.run(None, f), feed)
        meta[key] = fields
    timing, loads = mc.interleaved(cases, passes, calls)
    runs = []
    for key, fields in meta.items():
        for mode in ("eager", "onnxruntime"):
            r = {"model": fields["model"], "mode": mode, "dtype": "fp32", "batch": fields["batch"],
                 "image": fields["image"], "seq": fields["seq"], **mc.run_times(timing[f"{key}/{mode}"], passes * calls)}
            if "arch" in fields:
                r["arch"] = fields["arch"]
            runs.append(r)
    mc.stamp_end(e0)
    e0.update({"cpu_model": e0["cpu"], "torch_threads": e0["intra_op_threads"],
               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_per_pass": loads})
    return {"schema": "fwtax.runs/1", "env": e0, "runs": runs,
            "timing": (f"{passes} passes over every (configuration, eager/onnxruntime) pair, the order reversed every "
                       f"other pass, after 3 warm-up calls each; {calls} synchronous calls per pair and pass. median_s, "
                       "min_s, p90_s: the calling thread's CPU time (time.thread_time; one intra-op thread in both "
                       "runtimes, ORT's sequential executor running every node on the caller's thread); wall_*: the "
                       "wall clock; pass_medians_s: each pass's median of the wall clock. mode onnxruntime = "
                       "InferenceSession(CPUExecutionProvider, ORT_ENABLE_ALL) of torch.onnx.export's graph"),
            "source": (f"calibrate/derive/measure_ort_zoo.py models on {e0['cpu']} ({e0['cores']} cores), {e0['date']}, "
                       f"onnxruntime {e0['onnxruntime']}, torch {e0['torch']}, torchvision {e0['torchvision']}, "
                       f"transformers {e0['transformers']}: random weights, one thread; {passes} interleaved passes of "
                       f"{calls} calls per configuration and runtime; see timing")}


def conv_shapes():
    """Distinct (cin, cout, kernel, stride, pad, groups, input side, batch) of the CNNs' convolutions."""
    shapes = []
    for name, batch in CNNS:
        m, x = mc.make(name, batch)
        seen = []

        def hook(mod, inp, out, seen=seen):
            seen.append((mod.in_channels, mod.out_channels, mod.kernel_size[0], mod.stride[0], mod.padding[0],
                         mod.groups, inp[0].shape[2], inp[0].shape[0]))
        hs = [c.register_forward_hook(hook) for c in m.modules() if isinstance(c, torch.nn.Conv2d)]
        with torch.no_grad():
            m(x)
        for h in hs:
            h.remove()
        for s in seen:
            if s not in shapes:
                shapes.append(s)
    return shapes


def conv_model(cin, cout, k, stride, pad, groups, side, batch, path, count=1):
    """`count` identical convolutions in a chain (count > 1 only where the output has the input's shape)."""
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((cout, cin // groups, k, k)).astype("float32") * 0.05, "w")
    b = numpy_helper.from_array(np.zeros(cout, "float32"), "b")
    names = ["x"] + [f"t{j}" for j in range(count - 1)] + ["y"]
    nodes = [helper.make_node("Conv", [names[j], "w", "b"], [names[j + 1]], kernel_shape=[k, k],
                              strides=[stride, stride], pads=[pad] * 4, group=groups) for j in range(count)]
    g = helper.make_graph(nodes, "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, cin, side, side])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w, b])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)


CHAIN = (1, 2, 4)
NCHWC_BLOCK = 16  # MLAS's NCHWc block on an AVX-512 CPU (MlasNchwcGetBlockSize): channels padded to it


def reorder_model(which, channels, side, batch, path):
    """One ReorderInput (NCHW -> NCHWc) or one ReorderOutput (NCHWc -> NCHW) of a tensor: what ORT adds
    around a lone NCHWc convolution, which a model's chain of NCHWc nodes does not pay."""
    from onnx import TensorProto, helper
    padded = -(-channels // NCHWC_BLOCK) * NCHWC_BLOCK
    if which == "in":
        node = helper.make_node("ReorderInput", ["x"], ["y"], domain="com.microsoft.nchwc")
        shape = [batch, channels, side, side]
    else:
        node = helper.make_node("ReorderOutput", ["x"], ["y"], domain="com.microsoft.nchwc", channels=channels)
        shape = [batch, padded, side, side]
    g = helper.make_graph([node], "reorder", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                                  helper.make_opsetid("com.microsoft.nchwc", 1)]), path)
    return shape


def mode_rates(info, timing):
    """Each kernel's eager and ORT thread-CPU times (median, min, p90) and FLOPs per second."""
    for key, i in info.items():
        for mode in ("eager", "onnxruntime"):
            t = timing[f"{key}/{mode}"]["thread_cpu"]
            i[mode] = {"median_s": t["median_s"], "min_s": t["min_s"], "p90_s": t["p90_s"],
                       "flops_per_s": i["flops"] / t["median_s"]}


def measure_convs(folder, passes, calls):
    import torch.nn.functional as F
    e0 = env()
    cases, info = {}, {}
    for (cin, cout, k, stride, pad, groups, side, batch) in conv_shapes():
        key = f"c{cin}_o{cout}_k{k}_s{stride}_g{groups}_hw{side}_b{batch}"
        path = os.path.join(folder, key + ".onnx")
        conv_model(cin, cout, k, stride, pad, groups, side, batch, path)
        s = session(path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL, path.replace(".onnx", ".all.onnx"))
        x = torch.randn(batch, cin, side, side)
        w = torch.randn(cout, cin // groups, k, k) * 0.05
        b = torch.zeros(cout)
        out = (side + 2 * pad - k) // stride + 1
        flops = 2.0 * batch * cout * out * out * (cin // groups) * k * k
        cases[key + "/onnxruntime"] = (lambda f, s=s: s.run(None, f), {"x": x.numpy()})
        cases[key + "/eager"] = (lambda a, w=w, b=b, st=stride, p=pad, g=groups: F.conv2d(a, w, b, st, p, 1, g), x)
        info[key] = {"cin": cin, "cout": cout, "kernel": k, "stride": stride, "pad": pad, "groups": groups,
                     "side": side, "batch": batch, "out_side": out, "flops": flops,
                     "ort_graph": node_counts(path.replace(".onnx", ".all.onnx"))["op_types"]}
        # Where the output has the input's shape, chains of CHAIN convolutions: the slope of their time
        # is one convolution between blocked tensors, as inside a model, with no reorder to subtract.
        if cin == cout and out == side:
            for count in CHAIN[1:]:
                cp = path.replace(".onnx", f".x{count}.onnx")
                conv_model(cin, cout, k, stride, pad, groups, side, batch, cp, count)
                cs = session(cp, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
                cases[f"{key}/x{count}"] = (lambda f, s=cs: s.run(None, f), {"x": x.numpy()})
        # The reorders around the lone node, each timed alone (basic level: nothing rewrites them).
        graph = info[key]["ort_graph"]
        for which, (ch, sd) in (("in", (cin, side)), ("out", (cout, out))):
            if f"com.microsoft.nchwc::Reorder{'Input' if which == 'in' else 'Output'}" not in graph:
                info[key][f"reorder_{which}"] = None  # a 3-channel input is read as NCHW
                continue
            rk = f"reorder{which}_c{ch}_hw{sd}_b{batch}"
            if rk + "/onnxruntime" not in cases:
                rp = os.path.join(folder, rk + ".onnx")
                shape = reorder_model(which, ch, sd, batch, rp)
                rs = session(rp, ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)
                cases[rk + "/onnxruntime"] = (lambda f, s=rs: s.run(None, f), {"x": torch.randn(*shape).numpy()})
            info[key][f"reorder_{which}"] = rk
    timing, loads = mc.interleaved(cases, passes, calls)
    mode_rates(info, timing)
    for key, i in info.items():
        # The convolution node: the lone node's graph less each reorder graph it holds (each of those
        # holds one Run's own cost as well: conv_s is the convolution node less one Run's cost).
        alone = {w: timing[i[f"reorder_{w}"] + "/onnxruntime"]["thread_cpu"]["median_s"] if i[f"reorder_{w}"] else 0
                 for w in ("in", "out")}
        i["reorders_s"] = alone
        conv_s = max(i["onnxruntime"]["median_s"] - alone["in"] - alone["out"], 0.25 * i["onnxruntime"]["median_s"])
        i["onnxruntime"]["conv_s"] = conv_s
        if f"{key}/x{CHAIN[-1]}" in timing:
            ts = [i["onnxruntime"]["median_s"]] + [timing[f"{key}/x{c}"]["thread_cpu"]["median_s"] for c in CHAIN[1:]]
            i["onnxruntime"]["chain_s"] = dict(zip((str(c) for c in CHAIN), ts))
            i["onnxruntime"]["chain_slope_s"] = mc.fit(list(CHAIN), ts)[0]
    mc.stamp_end(e0)
    return {"env": e0, "convs": info, "load_per_pass": loads,
            "source": (f"calibrate/derive/measure_ort_zoo.py convs on {e0['cpu']}, {e0['date']}, onnxruntime "
                       f"{e0['onnxruntime']}, torch {e0['torch']}: each distinct convolution of ResNet-18 (batch 1, 4), "
                       "ResNet-50 and MobileNet-V2 (batch 1) at 224 pixels alone, one Conv node with bias in ORT "
                       "(ORT_ENABLE_ALL, one thread; ort_graph: what it ran) and F.conv2d eagerly (one thread); "
                       f"{passes} interleaved passes of {calls} calls, thread CPU time")}


def gemm_model(m, n, k, path):
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((k, n)).astype("float32") * 0.05, "w")
    b = numpy_helper.from_array(np.zeros(n, "float32"), "b")
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"])
    g = helper.make_graph([node], "gemm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w, b])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)


# The linear layers of the mini transformers at 128 tokens (x W + b: m tokens, k in, n out), and the
# CNNs' classifiers (batch 1 and 4, 512 or 1280 or 2048 in, 1000 out).
GEMMS = ((128, 256, 256), (128, 1024, 256), (128, 256, 1024), (128, 768, 256),
         (1, 1000, 512), (4, 1000, 512), (1, 1000, 2048), (1, 1000, 1280))


def measure_gemms(folder, passes, calls):
    import torch.nn.functional as F
    e0 = env()
    cases, info = {}, {}
    for m, n, k in GEMMS:
        key = f"m{m}_n{n}_k{k}"
        path = os.path.join(folder, key + ".onnx")
        gemm_model(m, n, k, path)
        s = session(path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
        x, w, b = torch.randn(m, k), torch.randn(n, k) * 0.05, torch.zeros(n)
        cases[key + "/onnxruntime"] = (lambda f, s=s: s.run(None, f), {"x": x.numpy()})
        cases[key + "/eager"] = (lambda a, w=w, b=b: F.linear(a, w, b), x)
        info[key] = {"m": m, "n": n, "k": k, "flops": 2.0 * m * n * k}
    timing, loads = mc.interleaved(cases, passes, calls)
    mode_rates(info, timing)
    mc.stamp_end(e0)
    return {"env": e0, "gemms": info, "load_per_pass": loads,
            "source": (f"calibrate/derive/measure_ort_zoo.py gemms on {e0['cpu']}, {e0['date']}, onnxruntime "
                       f"{e0['onnxruntime']}, torch {e0['torch']}: the zoo models' linear layers alone, one Gemm node "
                       "(x W + b) in ORT (ORT_ENABLE_ALL, one thread) and F.linear eagerly (one thread); "
                       f"{passes} interleaved passes of {calls} calls, thread CPU time")}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["graphs", "models", "convs", "gemms"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/fwtax-ort-zoo", help="where the exported .onnx files go")
    ap.add_argument("--passes", type=int, default=None)
    ap.add_argument("--calls", type=int, default=None)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if a.part == "graphs":
        r = measure_graphs(a.work)
    elif a.part == "models":
        r = measure_models(a.work, a.passes or 8, a.calls or 5)
    elif a.part == "convs":
        r = measure_convs(a.work, a.passes or 6, a.calls or 5)
    else:
        r = measure_gemms(a.work, a.passes or 6, a.calls or 20)
    with open(a.out, "w") as f:
        json.dump(r, f, indent=1)
        f.write("\n")
    print("wrote", a.out)
