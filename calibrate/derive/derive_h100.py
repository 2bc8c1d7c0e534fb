#!/usr/bin/env python3
"""Derives fwtax's built-in H100 profiles from the shared H100 measurements.

Reads ../shared/data/h100-2026-11/ (microbench.json and the Kineto traces with their unprofiled
latencies), and for kernels bound by the SMs rather than DRAM the H200's measurements in
data/measured/h200-2026-11/ (graph-check.json, sweeps.json: the same SMs, clocks and peaks), and
writes, each number with a `source`:
  data/devices/h100.json         device profile of the H100 on machine A
  data/hosts/h100-vm-a.json      machine A's host (the reference host, relative_time 1)
  data/hosts/h100-vm-b.json      machine B's host (where the traces were taken)
  data/frameworks/{pytorch-eager,libtorch,torchscript,cuda-graphs}.json

Nothing here uses an end-to-end latency of runs.json: the eager and CUDA-graph runs there are what
these profiles are validated against. The traces' unprofiled latencies are used once, to estimate
the profiler's own cost per recorded event, so that per-op host times can be read off the traces.

Run from the repository root:  python3 calibrate/derive/derive_h100.py [--shared ../shared]
"""
import argparse
import collections
import gzip
import json
import math
import os
import statistics

MB = "h100-2026-11/microbench.json"
MODEL_ENTRY_LEAF_UNITS = 33.3  # data/measured/hf-host-cpu-2026-12/README.md
# HF generate()'s own Python before its first forward, in leaf module calls (kGenerateSetupLeafUnits in
# model/framework.hpp; data/measured/hf-host-cpu-2026-12/generate-setup-5.17-cpu.json)
GENERATE_SETUP_LEAF_UNITS = 306
# and its loop per decode step outside the forward and the sampling ops (kGenerateStepLeafUnits;
# data/measured/hf-host-cpu-2026-12/generate-steps-5.17-cpu.json)
GENERATE_STEP_LEAF_UNITS = 36
TRACES = "h100-2026-11/traces"

# NVIDIA H100 SXM5 80GB datasheet / whitepaper (dense, boost clock): the peaks that efficiencies
# are fractions of.
H100_PEAK = {
    "fp32_simt": 66.9e12, "fp16_simt": 133.8e12, "bf16_simt": 133.8e12, "tf32_tensor": 494.7e12,
    "fp16_tensor": 989.4e12, "bf16_tensor": 989.4e12, "int8_tensor": 1978.9e12,
}
H100_BW = 3.35e12
H100_MEM = 80e9
# cuDNN runs an ungrouped 3x3 stride-1 convolution on the CUDA cores (fp32 without TF32: before Ampere;
# half precision without tensor cores: Pascal) as Winograd's algorithm, with fewer FLOPs than a direct
# convolution; not seen on the H100 (TF32 and tensor cores there), so fitted on the 2022 paper's runs.
WINOGRAD_CONV_SPEEDUP = 1.75
WINOGRAD_SOURCE = (
    "winograd_conv_speedup: fitted to the paper's eager fp32 VGG-16 runs on the 1080 Ti alone "
    "(data/measured/framework-tax-2022/pretrained-fp32/1080ti.csv, its 8 runs predicted compute-bound: median "
    "measured over predicted 0.65 with none, 0.97 at 1.7, 0.99 at 1.75, 1.01 at 1.8); below Winograd F(2x2,3x3)'s "
    "2.25x fewer multiplies. Checked on what it was not fitted to: the other pre-Ampere GPUs' fp32 VGG-16, "
    "ResNets and Wide ResNet-50 in eager (0.58-0.94 -> 0.91-1.09), Pascal's fp16 (VGG-16 0.72 -> 1.12), and TorchScript (0.81-1.22)")
# Host time a half-precision convolution adds over a TF32 one when cuDNN runs it on tensor cores, on the
# reference host: fitted by fit_half_conv_host_2x.py to H7's interleaved eager runs alone (the median over
# its framework-bound CNNs of fp16/fp32 measured over predicted, 1.168 without it, 1.006 with it), 2026-12-07.
# Not fitted to: H3's eager runs 1.162 -> 1.023 (11 CNN pairs of 6 models), H1's 1.109 -> 0.966, machine A's
# 1.146 -> 0.986, and
# the frozen TorchScript runs (no batch norm left) 1.260 -> 0.962 (H3) and 1.442 -> 1.098 (machine A).
HALF_CONV_HOST_S = 1.8e-5
HALF_CONV_SOURCE = (
    "half_conv_host_s: host time a half-precision convolution adds over a TF32 one when cuDNN runs it on "
    "tensor cores (not measurable without a GPU), fitted by calibrate/derive/fit_half_conv_host_2x.py to the "
    "H200 VM H7's interleaved eager runs alone (data/measured/h200-2026-12/runs-eager.json): the host binds "
    "both dtypes there, so its speed cancels in fp16/fp32 measured over predicted, median over the "
    "framework-bound CNN pairs 1.168 without it, 1.006 with it; the runs it was not fitted to: H3's eager "
    "CNNs 1.162 -> 1.023 (11 pairs, 6 models), H1's 1.109 -> 0.966, machine A's 1.146 -> 0.986, the frozen TorchScript runs (batch "
    "norm folded away, convolutions left) 1.260 -> 0.962 (H3) and 1.442 -> 1.098 (A); transformers, without "
    "convolutions, show no such excess. Machine B's profiled ResNet-50 traces do not show it in the "
    "convolutions' own spans (fp16 42-50 us, fp32 49-85 us): where in the call it is spent is not known. "
    "PyTorch 1.12's stack has its own, fitted on the 2022 paper's runs (20 us)")
GEMM_MATH = {"fp32": "fp32_simt", "tf32": "tf32_tensor", "fp16": "fp16_tensor", "bf16": "bf16_tensor"}

# How aten op names map to fwtax op classes (the same table as model/trace import).
CLASS_OF = {
    "aten::linear": "linear", "aten::addmm": "linear", "aten::matmul": "matmul", "aten::bmm": "matmul",
    "aten::conv2d": "conv", "aten::convolution": "conv", "aten::batch_norm": "batch_norm",
    "aten::layer_norm": "layer_norm", "aten::softmax": "softmax",
    "aten::scaled_dot_product_attention": "attention", "aten::embedding": "embedding",
    "aten::max_pool2d": "pool", "aten::adaptive_avg_pool2d": "reduction",
    "aten::_transformer_encoder_layer_fwd": "fused_layer",
    "aten::add": "elementwise", "aten::add_": "elementwise", "aten::relu_": "elementwise",
    "aten::gelu": "elementwise", "aten::tanh": "elementwise", "aten::gather": "elementwise",
    "aten::view": "view", "aten::transpose": "view", "aten::reshape": "view", "aten::dropout": "view",
    "aten::expand": "view", "aten::slice": "view", "aten::select": "view", "aten::flatten": "view",
}


# Events whose work does not depend on the model: their duration in a trace tells how fast the host ran
# while it was taken (machine B drifted: the torch.nn BERT traces, taken 45 s after the others, ran these
# 1.4-1.9x slower).
PROBE_EVENTS = ("cudaLaunchKernel", "aten::empty")


def rel(path, shared):
    return os.path.relpath(path, os.path.dirname(shared.rstrip("/")))


def load_trace(path):
    d = json.load(gzip.open(path))
    ev = [e for e in d["traceEvents"] if e.get("ph") == "X"]
    cpu = sorted([e for e in ev if e.get("cat") == "cpu_op"], key=lambda e: (e["ts"], -e["dur"]))
    rt = sorted([e for e in ev if e.get("cat") in ("cuda_runtime", "cuda_driver")], key=lambda e: e["ts"])
    kernels = [e for e in ev if e.get("cat") in ("kernel", "gpu_memset", "gpu_memcpy")]
    top, end = [], -1.0
    for e in cpu:
        if e["ts"] >= end:
            top.append(e)
            end = e["ts"] + e["dur"]
    # nested events of each top-level op (cpu ops and runtime calls), for deflation
    ci = 0
    for t in top:
        t1 = t["ts"] + t["dur"]
        t["n_cpu"] = sum(1 for e in cpu if t["ts"] <= e["ts"] < t1)
        t["rt"] = [r for r in rt if t["ts"] <= r["ts"] <= t1]
    corr = collections.defaultdict(list)
    for k in kernels:
        corr[k["args"].get("correlation")].append(k)
    for t in top:
        t["kernels"] = [k for r in t["rt"] for k in corr.get(r["args"].get("correlation"), [])]
    span = max(e["ts"] + e["dur"] for e in top) - top[0]["ts"]
    # The host's own speed while this trace was taken: work that is the same in every model (the CUDA
    # runtime's kernel launch, the caching allocator's aten::empty), median duration of each.
    probe = {n: median([e["dur"] for e in cpu + rt if e["name"] == n]) for n in PROBE_EVENTS}
    return {"top": top, "n_events": len(cpu) + len(rt), "span_us": span, "probe_us": probe,
            "gpu_busy_us": sum(k["dur"] for k in kernels),
            "top_busy_us": sum(t["dur"] for t in top)}


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def log_interp(points, x):
    """The curve through [x, y] points, linear in log10 x and held at both ends (as model/curve.cpp)."""
    pts = sorted(points)
    lx = [math.log10(p[0]) for p in pts]
    l = math.log10(x)
    if l <= lx[0]:
        return pts[0][1]
    if l >= lx[-1]:
        return pts[-1][1]
    for i in range(1, len(pts)):
        if l <= lx[i]:
            w = (l - lx[i - 1]) / (lx[i] - lx[i - 1])
            return pts[i - 1][1] + w * (pts[i][1] - pts[i - 1][1])


GRAPH_CHECK = "data/measured/h200-2026-11/graph-check.json"


def strided_rate(path=GRAPH_CHECK):
    """Elements per second of ATen's generic (non-vectorized) elementwise kernel, from the H200's CUDA-graph
    replays of HF BERT-base at batch 32 (seq 128), whose SDPA math path runs it for strided copies and casts
    of q, k, v and the output (B*128*768 elements each) and for the broadcast mask add over the scores
    (B*12*128*128 elements); its `where` kernels are left out (two per layer over tensors of two sizes, in
    one entry in fp32). The kernel is bound by its index arithmetic on the SMs, which the H100
    and H200 share (132 SMs, same clocks), not by DRAM. Returns (rate, note)."""
    gc = json.load(open(path))
    elems = secs = 0.0
    for case in gc["cases"]:
        if "replay_kernels" not in case or case["batch"] < 32 or "ones-mask" in case["case"] or "torchnn" in case["case"]:
            continue
        b = case["batch"]
        q, scores = b * 128 * 768, b * 12 * 128 * 128
        for name, count, total_s in case["replay_kernels"]["by_name"]:
            generic = name.startswith("void at::native::elementwise_kernel<") or \
                name.startswith("void at::native::unrolled_elementwise_kernel<")
            if not generic:
                continue
            if "direct_copy_kernel_cuda" in name:
                n = q
            elif "CUDAFunctor_add<float>" in name:
                n = scores
            else:
                continue
            elems += count * n
            secs += total_s
    rate = elems / secs
    note = (f"strided_elements_per_s: {GRAPH_CHECK} (H200, same SMs and clocks as the H100): elements over time of "
            f"ATen's non-vectorized elementwise kernels (strided copies and casts of q, k, v and the output, the "
            f"broadcast mask add) in the CUDA-graph replays of HF BERT-base at batch 32 "
            f"({elems / 1e6:.0f} M elements in {secs * 1e6:.0f} us)")
    return rate, note


def pool_window_rate(traces, strided, tr_src):
    """Window elements per second, beyond each output's first, of ATen's NCHW max pooling kernel (a thread per
    output element walking its window), from ResNet-50's 3x3 stride-2 max pool (64 channels, 112x112 in,
    56x56 out) in the batch-64 traces: the kernel's time less its outputs at the generic elementwise kernel's
    rate (a thread's own cost), over its outputs' other 8 window elements. Batch 64 fills the GPU (the
    batch-1 and -8 kernels run below a full wave). Returns (rate, note)."""
    rates, durs = [], []
    for f, (meta, tr) in sorted(traces.items()):
        if meta["model"] != "resnet50" or meta["batch"] != 64:
            continue
        for t in tr["top"]:
            for k in t["kernels"]:
                if "max_pool_forward_nchw" in k["name"]:
                    out = meta["batch"] * 64 * 56 * 56
                    dur = k["dur"] * 1e-6
                    rates.append(out * 8 / (dur - out / strided))
                    durs.append(k["dur"])
    rate = median(rates)
    note = (f"pool_window_elements_per_s: {tr_src}/resnet50_*_bs64.json.gz, ResNet-50's 3x3 stride-2 max pool "
            f"({len(durs)} kernels, {min(durs):.0f}-{max(durs):.0f} us for 12.8 M outputs): the kernel's time less "
            "its outputs at strided_elements_per_s, over the outputs' 8 further window elements each")
    return rate, note


def layout_tile_rate(traces, tr_src, floor_s):
    """Elements per second of cuDNN's NCHW -> NHWC transform counted in whole 32 x 32 tiles of (channels,
    positions) (model/builder.cpp's layout_tiles), after the device's shortest streaming kernel (`floor_s`;
    model/kernel_time.cpp adds the two): from the ResNet-50 traces' transforms of a convolution's input
    [n, c, h w] and weight [cout, cin, kh kw] (the first two nchwToNhwc kernels under each aten::conv2d),
    those whose tiles span at least twice their elements (a 3x3 or 1x1 weight, the 3-channel image) and that
    run 4 us or more. Returns (rate, note)."""
    rates, n_elems = [], []
    for f, (meta, tr) in sorted(traces.items()):
        if meta["model"] != "resnet50":
            continue
        for t in tr["top"]:
            dims = t.get("args", {}).get("Input Dims")
            if t["name"] != "aten::conv2d" or not dims or len(dims) < 2:
                continue
            x, w = dims[0], dims[1]
            ks = [k for k in t["kernels"] if "nchwToNhwc" in k["name"]]
            if len(ks) != 2:
                continue
            for k, (n, c, p) in zip(ks, ((x[0], x[1], x[2] * x[3]), (w[0], w[1], w[2] * w[3]))):
                tiles = n * math.ceil(c / 32) * 32 * math.ceil(p / 32) * 32
                if tiles >= 2 * n * c * p and k["dur"] >= 4:
                    rates.append(tiles / (k["dur"] * 1e-6 - floor_s))
                    n_elems.append(n * c * p)
    rate = median(rates)
    note = (f"layout_tile_elements_per_s: {tr_src}/resnet50_*.json.gz, cuDNN's nchwToNhwc transforms of a "
            f"convolution's input or weight whose 32 x 32 tiles of (channels, positions) span at least twice "
            f"their elements and that take 4 us or more ({len(rates)} kernels, {min(n_elems) / 1e6:.2f}-"
            f"{max(n_elems) / 1e6:.1f} M elements: 3x3 weights, the 3-channel image and the one 1x1 weight cuDNN "
            "transformed, at batch 64 in fp32): median of the "
            f"tiles' elements over the kernel's time less the shortest streaming kernel ({floor_s * 1e6:.2f} us)")
    return rate, note


SWEEPS = "data/measured/h200-2026-11/sweeps.json"


def batch_norm_bounds(path=SWEEPS):
    """The bounds of NCHW batch norm (model/kernel_time.cpp), fitted to the H200's batch-norm sweep
    (cuDNN's inference kernel in fp32, ATen's in fp16; CUPTI times of ResNet-50's layer shapes at batch 1
    and 32). The kernel works plane by plane (one sample's channel), so its time is the largest of
    elements / elements_per_s, planes / planes_per_s, one plane's elements / plane_elements_per_s and
    min_s. min_s is the shortest kernel of the sweep; the three rates minimize the squared log error
    over all points (a grid search, 1% steps). These are bound by the SMs, which the H100 and H200
    share (132 SMs, same clocks), not by DRAM. Returns (bounds, note)."""
    pts = []
    for r in json.load(open(path))["sweeps"]["batch_norm"]:
        planes = r["batch"] * r["channels"]
        pts.append((planes * r["h"] * r["h"], planes, r["kernel_s"]))
    min_s = min(t for _, _, t in pts)

    def err(re, rp, rb):
        return sum(math.log(max(e / re, p / rp, e / p / rb, min_s) / t) ** 2 for e, p, t in pts)

    def grid(lo, hi, step):
        return [10 ** (lo + i * step) for i in range(int(round((hi - lo) / step)) + 1)]

    # A coarse grid (12% steps) over a wide range, then a fine one (1% steps) around its best point.
    best = min((err(re, rp, rb), re, rp, rb)
               for re in grid(10.5, 12.5, 0.05) for rp in grid(8, 10.5, 0.05) for rb in grid(8, 11, 0.05))
    c = [math.log10(x) for x in best[1:]]
    best = min((err(re, rp, rb), re, rp, rb) for re in grid(c[0] - 0.05, c[0] + 0.05, 0.005)
               for rp in grid(c[1] - 0.05, c[1] + 0.05, 0.005) for rb in grid(c[2] - 0.05, c[2] + 0.05, 0.005))
    rms = math.sqrt(best[0] / len(pts))
    bounds = {"elements_per_s": float(f"{best[1]:.3g}"), "planes_per_s": float(f"{best[2]:.3g}"),
              "plane_elements_per_s": float(f"{best[3]:.3g}"), "min_s": float(f"{min_s:.3g}")}
    note = (f"{path} /sweeps/batch_norm (H200, same SMs and clocks as the H100; {len(pts)} kernels, fp32 and "
            f"fp16, batch 1 and 32): min_s the shortest, the rates a least-squares fit in log time of the "
            f"largest of the four bounds (rms log error {rms:.2f}); calibrate/derive/derive_h100.py")
    return dict(bounds, source=note), note


def conv_factors(gemm, memory_bw, path=SWEEPS):
    """cuDNN's convolution kernels over a GEMM of the same FLOPs on the GEMM curve, per tensor-core math:
    the median, over the H200's convolution sweep (the main kernel of ResNet-50's layer shapes, batch 1 and
    32, CUPTI) of the kernels the roofline calls compute-bound (FLOPs time on the curve at least the
    bytes over the datasheet bandwidth). The H200 has the H100's SMs, clocks and peaks. bf16 takes fp16's
    (not swept). Returns ({math: factor}, note)."""
    ratios = collections.defaultdict(list)
    for r in json.load(open(path))["sweeps"]["conv"]:
        m = GEMM_MATH["tf32" if r["dtype"] == "fp32" else r["dtype"]]
        esize = 4 if r["dtype"] == "fp32" else 2
        oh = (r["h"] + 2 * (r["k"] // 2) - r["k"]) // r["stride"] + 1
        nbytes = (r["batch"] * r["cin"] * r["h"] ** 2 + r["cout"] * r["cin"] * r["k"] ** 2 +
                  r["batch"] * r["cout"] * oh * oh) * esize
        compute = r["flops"] / (H100_PEAK[m] * log_interp(gemm[m], r["flops"]))
        if compute >= nbytes / memory_bw:
            ratios[m].append(r["kernel_s"] / compute)
    factors = {m: round(median(v), 3) for m, v in ratios.items()}
    factors["bf16_tensor"] = factors["fp16_tensor"]
    note = (f"conv: the gemm curve over a factor per math, cuDNN's main convolution kernel over the GEMM curve's "
            f"time for its FLOPs, median over the compute-bound kernels of {path} /sweeps/conv (H200, same SMs, "
            f"clocks and peaks as the H100): " +
            ", ".join(f"{m} {factors[m]} ({len(ratios[m])} kernels)" for m in sorted(ratios)) +
            "; bf16_tensor takes fp16's")
    return factors, note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--out", default="data")
    args = ap.parse_args()
    shared = args.shared
    mb_path = os.path.join(shared, MB)
    mb = json.load(open(mb_path))
    mb_src = "../shared/data/" + MB
    index = json.load(open(os.path.join(shared, TRACES, "index.json")))["traces"]
    traces = {}
    for t in index:
        traces[t["file"]] = (t, load_trace(os.path.join(shared, TRACES, t["file"])))
    tr_src = "../shared/data/" + TRACES

    # ---- profiler slow-down, from host-bound traces ------------------------------------------
    # In a host-bound trace the unprofiled latency is the host's time; the profiled host span is
    # longer by the profiler's own work. Host times read off a trace are scaled by their ratio
    # (the trace's own where host-bound, else the median).
    scale = {}
    for f, (meta, tr) in sorted(traces.items()):
        lat_us = meta["latency_median_s"] * 1e6
        if tr["gpu_busy_us"] < 0.5 * lat_us:
            scale[f] = lat_us / tr["span_us"]
    per_trace_host_bound = list(scale.values())
    median_scale = median(per_trace_host_bound)
    for f in traces:
        scale.setdefault(f, median_scale)
    c_evt = median_scale

    # Host drift between traces: each trace's probe events over their median across all traces (geometric
    # mean over the probe events). Host times read off a trace are divided by it, so that costs taken from
    # traces recorded in a slow stretch of the host are not read as costs of their models.
    drift = {}
    for f, (meta, tr) in traces.items():
        logs = [math.log(tr["probe_us"][n] / median([t2["probe_us"][n] for _, t2 in traces.values()]))
                for n in PROBE_EVENTS]
        drift[f] = math.exp(sum(logs) / len(logs))
    for f in scale:
        scale[f] /= drift[f]

    def deflated(t, f):
        return t["dur"] * scale[f]

    # ---- per-class host cost on machine B (deflated), and Python glue between ops ------------
    # A class cost is an op's host time up to and including its first kernel launch: the simulator adds
    # one launch (the device's launch host_s) for every further kernel of the op. A traced op's span
    # holds all its launches (a torch.nn encoder layer launches 10-16 kernels, a cuDNN convolution up to
    # 4 with its layout transforms), so the launches after the first come off at machine A's measured
    # launch cost; otherwise they would be counted twice (the traced op's time reproduces on the
    # reference host when the builder emits the kernels the trace shows).
    launch_us = mb["raw_cuda"]["launch_host_us"]
    by_class = collections.defaultdict(list)
    gaps_by_model = collections.defaultdict(list)
    for f, (meta, tr) in traces.items():
        for t in tr["top"]:
            cls = CLASS_OF.get(t["name"])
            if cls and not (t["name"] == "aten::gather" and t["dur"] > 200):  # first op carries profiler start-up
                extra = max(len(t["kernels"]) - 1, 0) * launch_us
                by_class[(cls, meta["model"])].append(deflated(t, f) - extra)
        gaps_by_model[meta["model"]].append(((tr["span_us"] - tr["top_busy_us"]) * scale[f], len(tr["top"])))

    def b_cost(cls, models=None):
        xs = [x for (c, m), v in by_class.items() if c == cls and (models is None or m in models) for x in v]
        return median(xs)

    py = {k[:-len("_host_us")]: v * 1e-6 for k, v in mb["python_dispatch"].items()}
    at = {k[:-len("_host_us")]: v * 1e-6 for k, v in mb["aten_dispatch"].items() if k.endswith("_host_us")}

    # Python binding overhead per op on A: Python op minus the same op from C++.
    py_bind = median([py[k] - at[k] for k in ("add", "mul_scalar", "relu", "gelu", "linear", "matmul",
                                              "layer_norm", "softmax", "view_nokernel")])

    # In-model factor: an op inside a model costs more than the same op repeated in a tight
    # microbenchmark loop (cold caches, varied shapes, allocator work). Measured as B's in-model op
    # times (Python level: aten time plus binding overhead) over A's Python microbenchmarks of the same
    # ops; machines A and B are VMs of the same kind, so their speed is taken as equal.
    pairs = [("linear", py["linear"]), ("layer_norm", py["layer_norm"]),
             ("elementwise", statistics.mean([py["add"], py["relu"], py["gelu"]]))]
    ratios = [(b_cost(c) * 1e-6 + py_bind) / a for c, a in pairs]
    in_model = median(ratios)

    def a_from_trace(cls, models=None):
        """Python-level in-model host cost of an op class seen in the traces."""
        return b_cost(cls, models) * 1e-6 + py_bind

    def a_cpp_from_trace(cls, models=None):
        return b_cost(cls, models) * 1e-6

    # Python glue (module calls) from the gaps between top-level ops on B: each op's binding
    # overhead happens in a gap, the rest is module code. Leaf modules cost what the microbench
    # says (nn.Linear module minus F.linear); the remainder is spread over the model's other modules.
    leaf = statistics.mean([py["nn_linear_module"] - py["linear"], py["nn_layernorm_module"] - py["layer_norm"]])
    modules = {  # (leaf, other) module calls per forward, from the builders in model/arch/
        "bert-base": (139, 76, "module_heavy"),
        "resnet50": (158, 25, "module_block"),
        "bert-base-torchnn": (3, 14, "module_fastpath"),
    }
    # One of bert-base's 76 is BertModel's own forward (input checks, mask creation, the output
    # dataclass), priced apart as module_model: MODEL_ENTRY_LEAF_UNITS leaf modules, what HF
    # transformers 5.17 models' forwards cost outside their layers on a CPU, in that CPU's leaf-module
    # units (data/measured/hf-host-cpu-2026-12/README.md: the median over five models of the intercept
    # over depth that fwtax's builders missed, plus the heavy module it had priced there).
    model_entry = MODEL_ENTRY_LEAF_UNITS * leaf * in_model
    glue = {}
    glue_detail = {}
    for model, (n_leaf, n_other, cls) in modules.items():
        gap_us = median([g for g, _ in gaps_by_model[model]])
        n_top = gaps_by_model[model][0][1]
        gap_a = gap_us * 1e-6
        entry = model_entry if cls == "module_heavy" else 0.0
        other = (gap_a - n_top * py_bind - n_leaf * leaf * in_model - entry) / (n_other - (1 if entry else 0))
        glue[cls] = max(other, leaf)
        glue_detail[cls] = {"model": model, "gap_b_s": gap_us * 1e-6, "top_level_ops": n_top,
                            "leaf_modules": n_leaf, "other_modules": n_other}

    # ---- device profile ---------------------------------------------------------------------
    ceil = mb["ceilings"]
    raw = mb["raw_cuda"]
    # The sweeps were timed by replaying CUDA graphs of identical kernels. Their per-kernel times match
    # the CUPTI durations of kernels of the same size in the traces (a 1.2 us add), so they are used
    # as kernel durations; the gap between different kernels is added by the model (stream gap).
    gemm = collections.defaultdict(list)
    for g in ceil["gemm_sweep"]:
        m = GEMM_MATH[g["dtype"]]
        gemm[m].append([g["flops"], min(1.0, g["flops"] / (g["kernel_s"] * H100_PEAK[m]))])
    memory = [[s["bytes_moved"], min(1.0, s["bytes_moved"] / (s["kernel_s"] * H100_BW))] for s in ceil["add_fp32_sweep"]]

    # Kernel-level calibration from the torch.nn BERT traces (not the HF BERT or ResNet ones, which
    # the model is validated on): nn.Linear GEMMs (weights transposed, bias epilogue), fused attention
    # relative to a GEMM of the same FLOPs, and norms relative to a streaming kernel of the same bytes.
    linear_pts = collections.defaultdict(list)
    attn_ratio = collections.defaultdict(list)
    norm_ratio = []
    for f, (meta, tr) in traces.items():
        if meta["model"] != "bert-base-torchnn":
            continue
        dt = meta["dtype"]
        esize = 4 if dt == "fp32" else 2
        tokens = meta["batch"] * meta["seq"]
        heads, d, s = 12, 64, meta["seq"]
        for t in tr["top"]:
            if t["name"] != "aten::_transformer_encoder_layer_fwd":
                continue
            ks = t["kernels"]
            gemms = [k for k in ks if ("gemm" in k["name"] or "nvjet" in k["name"] or "sgemm" in k["name"])
                     and "splitKreduce" not in k["name"] and "epilogue" not in k["name"]]
            # GEMMs in the layer, in order: in_proj (H->3H), out_proj (H->H), linear1 (H->I), linear2 (I->H)
            shapes = [(tokens, 2304, 768), (tokens, 768, 768), (tokens, 3072, 768), (tokens, 768, 3072)]
            if len(gemms) == 4:
                for k, (m_, n_, k_) in zip(gemms, shapes):
                    fl = 2.0 * m_ * n_ * k_
                    linear_pts[GEMM_MATH[dt]].append([fl, min(1.0, fl / (k["dur"] * 1e-6 * H100_PEAK[GEMM_MATH[dt]]))])
            for k in ks:
                if "sdpa" in k["name"] or "fmha" in k["name"] or "attention" in k["name"].lower():
                    fl = 4.0 * meta["batch"] * heads * s * s * d
                    m = GEMM_MATH[dt]
                    predicted = fl / (H100_PEAK[m] * log_interp(gemm[m], fl))
                    attn_ratio[dt].append(k["dur"] * 1e-6 / predicted)
                if "layer_norm" in k["name"]:
                    b = 2.0 * tokens * 768 * esize
                    predicted = b / (H100_BW * log_interp(memory, b))
                    norm_ratio.append(k["dur"] * 1e-6 / predicted)
    attn_factor = max(1.0, median([x for v in attn_ratio.values() for x in v]))
    # Gap between kernels queued on a busy stream (eager): CUPTI start minus previous end, where the
    # next launch returned before the previous kernel ended.
    stream_gaps = []
    for f, (meta, tr) in traces.items():
        if meta["model"] != "bert-base-torchnn":
            continue
        ks = sorted([k for t in tr["top"] for k in t["kernels"]], key=lambda k: k["ts"])
        launch_end = {}
        for t in tr["top"]:
            for r in t["rt"]:
                launch_end[r["args"].get("correlation")] = r["ts"] + r["dur"]
        for a, b in zip(ks, ks[1:]):
            le = launch_end.get(b["args"].get("correlation"))
            if le is not None and le < a["ts"] + a["dur"] - 2:
                stream_gaps.append(b["ts"] - (a["ts"] + a["dur"]))
    stream_gap = median(stream_gaps) * 1e-6
    norm_factor = max(1.0, median(norm_ratio))
    strided, strided_note = strided_rate()
    pool_window, pool_note = pool_window_rate(traces, float(f"{strided:.3g}"), tr_src)
    first = min(memory)  # the memory curve's smallest kernel: the shortest streaming kernel's time
    layout_tile, layout_note = layout_tile_rate(traces, tr_src, first[0] / (H100_BW * first[1]))
    bn_bounds, bn_note = batch_norm_bounds()
    conv_factor, conv_note = conv_factors(gemm, 4.8e12)

    graph_host = median([raw[f"graph_K{k}_host_us_per_launch"] for k in (1, 10, 100, 1000)]) * 1e-6
    kernel_min = raw["graph_K1000_gpu_us_per_kernel"] * 1e-6
    graph_latency = max(0.0, raw["graph_K1_gpu_us_per_kernel"] * 1e-6 - kernel_min)
    launch_latency = 2.0e-6  # assumption: enqueue-to-start on an idle GPU (not separable in the data)
    sync = raw["launch_sync_roundtrip_us"] * 1e-6 - raw["launch_host_us"] * 1e-6 - kernel_min - launch_latency

    device = {
        "name": "h100",
        "description": "NVIDIA H100 80GB HBM3 SXM (132 SMs), calibrated on an H100 VM (machine A, 2026-11)",
        "source": f"efficiency and launch costs fitted from {mb_src} by calibrate/derive/derive_h100.py; "
                  "peaks from the NVIDIA H100 datasheet; compute_capability from NVIDIA's CUDA GPUs list "
                  "(developer.nvidia.com/cuda-gpus)",
        "kind": "gpu",
        "host": "h100-vm-a",
        "parallel_units": mb["env"]["sm_count"],
        "compute_capability": 9.0,
        "peak_flops_per_s": dict(H100_PEAK, source="NVIDIA H100 SXM5 datasheet and Hopper whitepaper, dense, boost clock"),
        "memory": {"bandwidth_bytes_per_s": H100_BW, "capacity_bytes": H100_MEM,
                   "source": "NVIDIA H100 SXM5 datasheet (HBM3); the measured copy bandwidth is "
                             f"{ceil['copy_bw_Bps']:.4g} B/s ({mb_src} /ceilings/copy_bw_Bps)"},
        "efficiency": {
            "gemm": {m: sorted(v) for m, v in gemm.items()},
            "linear": {m: sorted(v) for m, v in linear_pts.items()},
            "memory": sorted(memory),
            "conv": {m: sorted([x, y / conv_factor[m]] for x, y in gemm[m]) for m in sorted(conv_factor)},
            "kind_time_factor": {
                "attention": round(attn_factor, 3),
                "norm": round(norm_factor, 3),
                "source": f"median kernel time in {tr_src}/bert-base-torchnn_*.json.gz over the time of a "
                          "GEMM of the same FLOPs (attention) or a streaming kernel of the same bytes (norm)",
            },
            "strided_elements_per_s": float(f"{strided:.3g}"),
            "pool_window_elements_per_s": float(f"{pool_window:.3g}"),
            "layout_tile_elements_per_s": float(f"{layout_tile:.3g}"),
            "batch_norm": bn_bounds,
            "source": f"gemm: /ceilings/gemm_sweep of {mb_src} (matmul, weights rotated through DRAM, "
                      "CUDA-graph replay of identical kernels); linear: nn.Linear GEMM kernels "
                      f"(x W^T + b) in {tr_src}/bert-base-torchnn_*.json.gz; memory: /ceilings/add_fp32_sweep "
                      "(bytes read plus written over the datasheet bandwidth); " + conv_note + "; " + strided_note +
                      "; " + pool_note + "; " + layout_note +
                      "; batch_norm: see its source",
        },
        "kernel_min_s": kernel_min,
        "launch": {
            "host_s": raw["launch_host_us"] * 1e-6,
            "latency_s": launch_latency,
            "sync_s": round(sync, 12),
            "graph_launch_host_s": graph_host,
            "graph_launch_latency_s": round(graph_latency, 12),
            "graph_kernel_gap_s": round(stream_gap, 12),
            "stream_kernel_gap_s": round(stream_gap, 12),
            "source": f"{mb_src} /raw_cuda: host_s = launch_host_us; sync_s = launch_sync_roundtrip_us - "
                      "launch_host_us - kernel_min_s - latency_s; latency_s = 2 us is an assumption (not "
                      "separable from sync in these data); graph_launch_host_s = median of graph_K*_host_us_per_launch; "
                      "kernel_min_s = graph_K1000_gpu_us_per_kernel (an empty kernel back to back); "
                      "graph_launch_latency_s = graph_K1_gpu_us_per_kernel - kernel_min_s; stream_kernel_gap_s = median "
                      f"gap between queued kernels in {tr_src}/bert-base-torchnn_*.json.gz; graph_kernel_gap_s: the "
                      "same gap (assumption: graph replay removes the host's launch cost, not the GPU's gap between "
                      "different kernels)",
        },
    }

    def r9(x):
        return float(f"{x:.4g}")

    trace_note = (f"in-model aten-op host times from {tr_src} (machine B, a VM of the same kind as A), scaled by "
                  f"unprofiled latency over profiled host span (median {c_evt:.3f}), each op's launches after its first "
                  f"taken off at machine A's launch_host_us ({launch_us:.2f} us; the simulator adds them back per kernel)")
    k = in_model
    eager_costs = {
        "view": r9(k * py["view_nokernel"]), "alloc": r9(k * py["empty_alloc"]),
        "elementwise": r9(k * statistics.mean([py["add"], py["mul_scalar"], py["relu"], py["gelu"]])),
        "linear": r9(k * py["linear"]), "matmul": r9(k * py["matmul"]), "layer_norm": r9(k * py["layer_norm"]),
        "softmax": r9(k * py["softmax"]), "copy": r9(k * (py["transpose_contiguous"] - py["view_nokernel"])),
        "conv": r9(a_from_trace("conv")), "batch_norm": r9(a_from_trace("batch_norm")),
        "attention": r9(a_from_trace("attention")), "embedding": r9(a_from_trace("embedding")),
        "pool": r9(a_from_trace("pool")), "reduction": r9(a_from_trace("reduction")),
        "fused_layer": r9(a_from_trace("fused_layer")), "other": r9(k * py["add"]),
        "module_leaf": r9(k * leaf), "module_block": r9(glue["module_block"]),
        "module_heavy": r9(glue["module_heavy"]), "module_fastpath": r9(glue["module_fastpath"]),
        "module_model": r9(model_entry),
        "module_generate": r9(GENERATE_SETUP_LEAF_UNITS * k * leaf),
        "module_generate_step": r9(GENERATE_STEP_LEAF_UNITS * k * leaf),
        "source": f"view, alloc, elementwise (mean of add, mul, relu, gelu), linear, matmul, layer_norm, softmax, "
                  f"copy (transpose_contiguous - view), other (add), module_leaf: {mb_src} /python_dispatch (machine A) "
                  f"times the in-model factor {k:.3f} (in-model op times in the traces over the microbenchmark; "
                  f"median over linear, layer_norm, elementwise); conv, batch_norm, "
                  f"attention, embedding, pool, reduction, fused_layer: {trace_note}, plus the Python binding "
                  f"overhead {py_bind * 1e6:.2f} us (median python_dispatch - aten_dispatch); module_leaf: "
                  "nn_linear_module - linear and nn_layernorm_module - layer_norm; module_block/heavy/fastpath: "
                  "the time between top-level ops in the resnet50 / bert-base / bert-base-torchnn traces, less the "
                  "ops' binding overhead and the leaf modules, per remaining module call; module_model: "
                  f"{MODEL_ENTRY_LEAF_UNITS} module_leaf (an HF model's own forward outside its layers, measured "
                  "by depth on a CPU: data/measured/hf-host-cpu-2026-12), taken out of bert-base's time before "
                  "module_heavy is spread over its other 75 module calls; module_generate: "
                  f"{GENERATE_SETUP_LEAF_UNITS} module_leaf (HF generate()'s own Python before its first forward, "
                  "measured on a CPU: data/measured/hf-host-cpu-2026-12/generate-setup-5.17-cpu.json); "
                  f"module_generate_step: {GENERATE_STEP_LEAF_UNITS} module_leaf (its loop per decode step outside the "
                  "forward and the sampling ops: generate-steps-5.17-cpu.json there)",
    }
    cpp_costs = {
        "view": r9(k * at["view_nokernel"]), "alloc": r9(k * at["empty_alloc"]),
        "elementwise": r9(k * statistics.mean([at["add"], at["mul_scalar"], at["relu"], at["gelu"]])),
        "linear": r9(k * at["linear"]), "matmul": r9(k * at["matmul"]), "layer_norm": r9(k * at["layer_norm"]),
        "softmax": r9(k * at["softmax"]), "copy": r9(k * (at["transpose_contiguous"] - at["view_nokernel"])),
        "conv": r9(a_cpp_from_trace("conv")), "batch_norm": r9(a_cpp_from_trace("batch_norm")),
        "attention": r9(a_cpp_from_trace("attention")), "embedding": r9(a_cpp_from_trace("embedding")),
        "pool": r9(a_cpp_from_trace("pool")), "reduction": r9(a_cpp_from_trace("reduction")),
        "fused_layer": r9(a_cpp_from_trace("fused_layer")), "other": r9(k * at["add"]),
        "module_leaf": 0.0, "module_block": 0.0, "module_heavy": 0.0, "module_fastpath": 0.0,
        "module_generate": 0.0, "module_generate_step": 0.0,
        "source": f"{mb_src} /aten_dispatch (machine A, libtorch C++ on CUDA tensors) times the in-model factor "
                  f"{k:.3f} for view, alloc, elementwise, linear, matmul, layer_norm, softmax, copy, other; "
                  f"{trace_note} for the rest; C++ module calls are plain virtual calls (0)",
    }
    # The Python side of each op: its eager cost less the same op called from C++ (module calls are
    # Python whole). A host's Python speed scales this part, its dispatch speed the rest.
    python_costs = {c: r9(max(eager_costs[c] - cpp_costs[c], 0.0)) for c in eager_costs
                    if c != "source" and not c.startswith("module_")}
    python_costs["source"] = ("the part of op_host_s spent in Python (argument parsing, the binding and the Python "
                              "around the call): op_host_s less libtorch's op_host_s of the class (C++ calls of the "
                              "same ops, the same in-model factor), which a host's Python speed "
                              "(python_relative_time) scales in place of its dispatch speed")
    # The TorchScript interpreter calls every op through the boxed dispatcher: arguments pushed to and
    # popped from an IValue stack. Its per-op cost is taken as the Python binding overhead (also a
    # boxing of arguments), an assumption: no TorchScript microbenchmark exists in these data.
    ts_costs = {c: (v if c == "source" else r9(v + (0 if c.startswith("module_") else py_bind)))
                for c, v in cpp_costs.items()}
    ts_costs["source"] = (cpp_costs["source"] + f"; plus {py_bind * 1e6:.2f} us per op of interpreter work (the median "
                          "Python binding overhead, python_dispatch - aten_dispatch, as a proxy for boxed dispatch)")
    frameworks = {
        "pytorch-eager": {
            "name": "pytorch-eager",
            "description": "PyTorch eager mode driven from Python (model.eval(), torch.no_grad())",
            "mode": "eager", "reference_host": "h100-vm-a", "call_host_s": r9(py["nn_linear_module"] - py["linear"]),
            "op_host_s": eager_costs, "op_python_s": python_costs, "half_conv_host_s": HALF_CONV_HOST_S,
            "tf32_matmul": False, "tf32_conv": True, "winograd_conv_speedup": WINOGRAD_CONV_SPEEDUP,
            "static_cache_decode": "torch-compile-reduce-overhead",
            "source": "PyTorch 2.11 on machine A; call_host_s is one module call (the model's own __call__); "
                      "tf32 flags are PyTorch's defaults; static_cache_decode: transformers 5.x generate() compiles "
                      "the decode step's forward when the cache is compileable (a static cache) and the device is a "
                      "GPU (GenerationMixin._valid_auto_compile_criteria), with CompileConfig's defaults (Inductor, "
                      "mode 'reduce-overhead'); its prefill (_prefill) and its sampling loop stay eager",
        },
        "libtorch": {
            "name": "libtorch",
            "description": "PyTorch eager ops called from C++ (libtorch), no Python",
            "mode": "eager", "reference_host": "h100-vm-a", "call_host_s": 0.0,
            "op_host_s": cpp_costs, "half_conv_host_s": HALF_CONV_HOST_S, "tf32_matmul": False, "tf32_conv": True, "winograd_conv_speedup": WINOGRAD_CONV_SPEEDUP,
            "source": "libtorch 2.11 on machine A",
        },
        "torchscript": {
            "name": "torchscript",
            "description": "torch.jit.trace + freeze: the TorchScript interpreter dispatches the ops, BN folded",
            "mode": "script", "reference_host": "h100-vm-a", "call_host_s": r9(py["nn_linear_module"]),
            "op_host_s": ts_costs, "half_conv_host_s": HALF_CONV_HOST_S,
            "tf32_matmul": False, "tf32_conv": True, "winograd_conv_speedup": WINOGRAD_CONV_SPEEDUP, "passes": ["drop_noop_ops", "fold_batch_norm"],
            "source": "freezing folds inference batch norm into convolutions (a weight scale and a bias, which ATen adds "
                      "after a cuDNN convolution) and removes dropout (torch.jit.freeze); "
                      "call_host_s: one Python call into the scripted module (nn_linear_module as a proxy)",
        },
        "cuda-graphs": {
            "name": "cuda-graphs",
            "description": "the eager forward captured once in a CUDA graph, then replayed (torch.cuda.CUDAGraph)",
            "mode": "graph", "call_host_s": r9(py["view_nokernel"]), "tf32_matmul": False, "tf32_conv": True, "winograd_conv_speedup": WINOGRAD_CONV_SPEEDUP,
            "source": f"call_host_s: one Python call into C++ (view_nokernel of {mb_src} /python_dispatch as a proxy "
                      "for graph.replay()); the graph launch itself is the device's graph_launch_host_s",
        },
    }
    for fw in frameworks.values():
        fw["source"] += "; " + WINOGRAD_SOURCE
        if "half_conv_host_s" in fw:
            fw["source"] += "; " + HALF_CONV_SOURCE
    hosts = {
        "h100-vm-a": {
            "name": "h100-vm-a", "relative_time": 1.0,
            "description": "machine A: 16 cores of an unnamed Intel Xeon in the H100 VM (the reference host)",
            "cpu": mb["env"].get("cpu_model", ""),
            "source": f"{mb_src} /env; the reference that framework host costs are given for",
            # What `fwtax calibrate --target cuda` compares another host's dispatch probes with.
            "microbench": {
                "aten_dispatch_s": {op: r9(v) for op, v in at.items()},
                "python_dispatch_s": {op: r9(v) for op, v in py.items()},
                "launch_host_s": r9(raw["launch_host_us"] * 1e-6),
                "source": f"{mb_src} /aten_dispatch and /python_dispatch: host time of one op on tiny CUDA "
                          "tensors from C++ and from Python (machine A); launch_host_s: /raw_cuda/launch_host_us, "
                          "the kernel launch that the framework profiles' per-kernel host cost is",
            },
        },
        "h100-vm-b": {
            "name": "h100-vm-b", "relative_time": 1.0,
            "description": "machine B: the second H100 VM, where the Kineto traces were taken",
            "cpu": "Intel Xeon (unnamed)",
            "source": "../shared/data/h100-2026-11/README.md: a second H100 VM of the same kind as machine A; "
                      "taken as fast as A (the traces give in-model costs, A the microbenchmarks: their ratio per op "
                      "class is in 'fit', and is used as the in-model factor rather than a speed difference)",
            "fit": {"in_model_over_microbench": {c: round(r, 4) for (c, _), r in zip(pairs, ratios)}},
        },
    }
    os.makedirs(os.path.join(args.out, "devices"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "frameworks"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "hosts"), exist_ok=True)

    def write(path, obj):
        with open(os.path.join(args.out, path), "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
    write("devices/h100.json", device)
    for name, fw in frameworks.items():
        write(f"frameworks/{name}.json", fw)
    for name, h in hosts.items():
        write(f"hosts/{name}.json", h)
    # Datasheet GPUs borrow these launch costs; they were measured on machine A's host, and a GPU paired
    # with a slower host launches slower (launch.measured_on_host lets the simulator scale them).
    for fname in sorted(os.listdir(os.path.join(args.out, "devices"))):
        with open(os.path.join(args.out, "devices", fname)) as fh:
            other = json.load(fh)
        if other.get("efficiency", {}).get("like") != "h100":
            continue
        launch = {k: v for k, v in device["launch"].items() if k != "source"}
        launch["measured_on_host"] = device["host"]
        launch["source"] = ("assumed equal to the H100 profile's launch and sync costs (devices/h100.json), measured "
                            "on its host; not measured on this GPU (copied by calibrate/derive/derive_h100.py)")
        other["launch"] = launch
        write(f"devices/{fname}", other)
    write("profiler.json", {
        "name": "torch.profiler",
        "description": "how much the PyTorch profiler (record_shapes=True, CPU and CUDA activities) inflates host time",
        "host_time_scale": round(c_evt, 4),
        "source": f"median, over the {len(per_trace_host_bound)} host-bound traces of {tr_src} (GPU busy < half the "
                  "latency), of the unprofiled median latency (traces/index.json) over the profiled host span; "
                  "computed by calibrate/derive/derive_h100.py",
    })
    print(json.dumps({"profiler_scale": c_evt, "scales": scale, "drift": drift, "in_model": in_model,
                      "ratios": ratios, "py_bind_s": py_bind, "glue_s": glue, "glue_detail": glue_detail,
                      "attn_factor": attn_factor, "norm_factor": norm_factor,
                      "b_costs_us": {f"{c}/{m}": median(v) for (c, m), v in sorted(by_class.items())}},
                     indent=1))


if __name__ == "__main__":
    main()
