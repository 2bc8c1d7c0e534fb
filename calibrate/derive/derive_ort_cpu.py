#!/usr/bin/env python3
"""Writes data/measured/ort-cpu-2026-12/cpu-profile-ort.json: this CPU's profile
(data/measured/cpu-llm-2026-12/cpu-profile-python.json: Debian's libtorch 1.13 calibration plus Python
costs measured here) with an `onnxruntime` framework measured on this CPU, for validating ONNX Runtime
zoo runs here (data/measured/ort-cpu-2026-12/zoo-cpu-runs.json). No conversion between hosts: every
cost is this CPU's.

  - op_host_s: what ONNX Runtime 1.32's executor costs per node of each op class, the slopes of
    data/measured/node-costs-2026-12/onnxruntime-1.32-cpu.json (`onnxruntime_node_s`; chains of nodes,
    graph optimizations off). Classes not measured there take the median of the measured ones, but
    attention, which the exported SDPA runs as three nodes (FusedMatMul, Softmax, MatMul), takes two
    matmul nodes and a softmax node; module calls and allocations cost 0 (an ONNX graph has neither).
  - call_host_s: the median over the classes of the chains' intercept at 0 nodes (`onnxruntime_call_s`:
    InferenceSession.run from Python with one input and one output).
  - kernel_flops_per_s: MLAS's convolutions (NCHWc) and SGEMM, timed alone here by measure_ort_zoo.py
    (conv-kernels.json: the slope of chains of the convolution, `chain_slope_s`, where its output has
    its input's shape, else `conv_s`, the lone node's graph less its ReorderInput and ReorderOutput timed
    alone, plus the Run's own cost that those took once too often, less the conv class's node cost; gemm-kernels.json: one Gemm node less the linear class's node and call costs),
    by GEMM-view shape [m, n, k]: m output pixels x batch (tokens for a GEMM), n output channels,
    k input channels per group x kernel area (the inner dimension). They replace the device's
    efficiency, which ATen's oneDNN kernels set, for the framework's convolutions and GEMMs.

  python3 calibrate/derive/derive_ort_cpu.py   # from the repository root
"""
import json
import statistics

NODES = "data/measured/node-costs-2026-12/onnxruntime-1.32-cpu.json"
CONVS = "data/measured/ort-cpu-2026-12/conv-kernels.json"
GEMMS = "data/measured/ort-cpu-2026-12/gemm-kernels.json"
CPU_PROFILE = "data/measured/cpu-llm-2026-12/cpu-profile-python.json"
OUT = "data/measured/ort-cpu-2026-12/cpu-profile-ort.json"
PASSES = ["drop_noop_ops", "fold_batch_norm", "ort_fusions"]


def load(path):
    with open(path) as f:
        return json.load(f)


def g4(x):
    return float("%.4g" % x)


def main():
    nodes = load(NODES)
    per = nodes["per_class"]
    node = {cls: v["onnxruntime_node_s"] for cls, v in per.items()}
    median = statistics.median(node.values())
    prof = load(CPU_PROFILE)
    classes = [c for c in prof["frameworks"]["pytorch-eager"]["op_host_s"] if c != "source"]
    costs = {}
    for cls in classes:
        if cls.startswith("module_") or cls == "alloc":  # no Python module calls; no allocation per node
            costs[cls] = 0.0
        elif cls in node:
            costs[cls] = g4(node[cls])
        elif cls == "attention":
            costs[cls] = g4(2 * node["matmul"] + node["softmax"])
        else:
            costs[cls] = g4(median)
    env = nodes["env"]
    measured_on = f"{env['cpu']}, onnxruntime {env['onnxruntime']}, {env['date']}"
    costs["source"] = (f"{NODES} ({measured_on}): onnxruntime_node_s of each measured class (slopes over chains of "
                       f"nodes, optimizations off); attention = 2 matmul + softmax nodes (the exported SDPA: "
                       f"FusedMatMul, Softmax, MatMul); other classes the median {median * 1e6:.3f} us; module "
                       "calls and allocations 0")
    call = statistics.median(v["onnxruntime_call_s"] for v in per.values())

    convs = load(CONVS)
    conv_rows = []
    for c in convs["convs"].values():
        m = c["out_side"] ** 2 * c["batch"]
        n = c["cout"]
        k = c["cin"] // c["groups"] * c["kernel"] ** 2
        # conv_s: the lone graph's time less each reorder graph's, each of which held a Run's own cost
        # as the lone graph did: the kernel is conv_s plus a Run's cost per reorder beyond the first,
        # less the conv node's cost.
        extra_runs = sum(1 for v in c["reorders_s"].values() if v) - 1
        t = c["onnxruntime"]["conv_s"] + extra_runs * call
        if "chain_slope_s" in c["onnxruntime"]:  # a chain's slope, where one was timed: nothing subtracted
            t = c["onnxruntime"]["chain_slope_s"]
        t = max(t - node["conv"], 0.5 * t)
        conv_rows.append([m, n, k, g4(c["flops"] / t)])
    gemms = load(GEMMS)
    gemm_rows = []
    linear_call = per["linear"]["onnxruntime_call_s"]
    for g in gemms["gemms"].values():
        t = g["onnxruntime"]["median_s"]
        t = max(t - node["linear"] - linear_call, 0.5 * t)
        gemm_rows.append([g["m"], g["n"], g["k"], g4(g["flops"] / t)])
    ce, ge = convs["env"], gemms["env"]
    rates = {
        "conv": conv_rows, "gemm": gemm_rows,
        "source": (f"{CONVS} and {GEMMS} (calibrate/derive/measure_ort_zoo.py convs, gemms on {ce['cpu']}, "
                   f"{ce['date']}, onnxruntime {ce['onnxruntime']}, one thread, thread CPU time medians; load "
                   f"{ce['uptime'].split('load average:')[-1].strip()} and {ge['uptime'].split('load average:')[-1].strip()}): "
                   "each distinct convolution of ResNet-18 (batch 1, 4), ResNet-50 and MobileNet-V2 (batch 1) alone "
                   "as one ORT Conv node (NCHWc) less its reorders timed alone and the conv node cost; the "
                   "transformers' linear layers and the classifiers as one Gemm node less the linear node and "
                   "call costs. FLOPs over that time; rows [m, n, k, flops_per_s]")}
    ref_host = prof["host"]["name"]
    prof["frameworks"]["onnxruntime"] = {
        "name": "onnxruntime", "version": env["onnxruntime"],
        "description": ("ONNX Runtime on this CPU: CPU execution provider, graph optimizations 'all' (NCHWc "
                        "layout, convolutions with their Add and activation, transformer fusions), one intra-op "
                        "thread, sequential executor (measured)"),
        "mode": "executor", "reference_host": ref_host, "call_host_s": g4(call), "op_host_s": costs,
        "passes": PASSES, "kernel_flops_per_s": rates,
        "source": (f"calibrate/derive/derive_ort_cpu.py; call_host_s: the median over op classes of "
                   f"onnxruntime_call_s in {NODES} (InferenceSession.run's own time: the chains' intercept at 0 "
                   "nodes); passes: drop_noop_ops, fold_batch_norm (the export folds batch norms in eval mode), "
                   "ort_fusions (model/passes.cpp, its CPU branch checked against optimized-graphs.json)")}
    prof["name"] = prof["name"] + "-ort"
    prof["description"] = prof["description"] + "; onnxruntime measured here"
    prof["source"] = (prof.get("source", "") + "; " + CPU_PROFILE + " with an onnxruntime framework added by "
                      "calibrate/derive/derive_ort_cpu.py")
    with open(OUT, "w") as f:
        json.dump(prof, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
