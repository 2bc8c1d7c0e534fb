#!/usr/bin/env python3
"""Writes data/frameworks/pytorch-eager@1.12.json, torchscript@1.12.json and onnxruntime@1.12.json: the
2022 stacks of the Framework Tax paper (PyTorch 1.12 eager and its TorchScript, ONNX Runtime 1.12's CUDA
execution provider).

PyTorch 1.12 eager is fwtax's PyTorch eager profile (data/frameworks/pytorch-eager.json) with one cost
of that stack's convolutions: half_conv_host_s (below), which its TorchScript shares.

Their host cost per op is fwtax's PyTorch eager cost of the same op class (data/frameworks/
pytorch-eager.json, on its reference host, which includes the kernel launch and the library call)
less what the runtime saves per node over eager PyTorch (TorchScript: the same ATen ops, without
Python), or times the ratio of the runtime's cost per node to eager's (ONNX Runtime: its own
kernels), measured on one CPU with tiny tensors by measure_node_costs.py:
  TorchScript: Debian's torch 1.13 (traced graph vs the same ops from Python, one version);
  ONNX Runtime: PyPI's onnxruntime vs PyPI's torch eager on the same ops.
The saving is taken as measured: this CPU has no host profile, and its single-thread speed is taken
as the reference host's. Op classes not measured take the median saving of the measured ones; no
cost goes below a tenth of eager's. Python module calls cost nothing (a traced or exported graph has
none). No latency of the paper enters.

  python3 calibrate/derive/derive_stacks_2022.py   # from the repository root
"""
import json
import statistics

MEASURED = "data/measured/node-costs-2026-12"
EAGER = "data/frameworks/pytorch-eager.json"
# Host time of an nvFuser fusion group's node beyond an elementwise op (its guard and its kernel cache),
# on the reference host: not measurable without a GPU. fit_fused_op_host.py fits it on the RTX 8000's
# TorchScript runs alone (12.5 us: 20.0% MAPE there against 22.2% at 0) and checks the seven other
# GPUs, which it made worse (24.6% against 23.0% at 0, 2026-12-03; with half_conv_host_s, 2026-12-06: 15 us,
# 16.3% against 19.0% there, the others 22.6% against 19.4%): not a property of the fuser, so 0.
FUSED_OP_HOST_S = 0.0
# Small fp32 GEMMs as one kernel, not cuBLASLt's four-kernel split-K (a memset and a beta scaling
# before, a reduction with the bias after) that fwtax's builder takes from the H100 traces of PyTorch
# 2.x (cuBLAS 12): nothing of that stack's cuBLAS shows it for PyTorch 1.12 with CUDA 11.6, and its
# four kernels (three launches more per nn.Linear at batch 1, where the output has too few tiles for
# the SMs) would make a batch-1 BERT cost more host time than a batch-2 one, which none of the paper's
# fp32 BERT runs shows, eager or TorchScript, on any of its eight GPUs (bert-base, TorchScript: 5.06
# against 7.74 ms on the RTX 8000, 3.81 against 4.74 on the 3090, 6.23 against 8.06 on the 2080 Ti).
# ONNX Runtime 1.12 calls cuBLAS's legacy GEMMs, not cuBLASLt, so the same likely holds there, but
# one-kernel GEMMs made its paper runs 22.76% -> 22.82% (fp32 21.7% -> 21.8%): left as it was.
GEMM_SPLIT_K = False
# Host time a half-precision convolution adds in PyTorch 1.12 (cuDNN 8.3's legacy API) when cuDNN runs it
# on tensor cores, on the reference host: not measurable without such a GPU and that stack.
# fit_half_conv_host.py fits it on the RTX 8000's fp16 eager runs alone (20 us: 12.4% MAPE there against
# 17.4% at 0) and checks what it was not fitted to, 2026-12-06: the seven other GPUs' fp16 eager runs
# 14.0% -> 11.6%, every TorchScript run 21.2% -> 19.3%. ONNX Runtime 1.12, whose CUDA Conv keeps its cuDNN state per node, does not take
# it: its paper runs went from 23.2% to 23.6% MAPE with 10 us, 28.1% with 20 us.
HALF_CONV_HOST_S = 2.0e-5
# cuDNN 8's choice for a grouped (not depthwise) TF32 convolution on GA10x GPUs (compute capability 8.6)
# under PyTorch 1.12's heuristics (cudnn.benchmark off): from about 1.4k output rows a tensor-core kernel in
# NHWC, its NCHW input and output moved by cuDNN's generic transpose (cudnn::ops::genericTranspose_kernel,
# the kernel PyTorch issue 54324 shows taking 13.7 ms for 64 M elements around grouped convolutions on
# RTX 30-series cards: about 3% of their DRAM bandwidth). bandwidth_fraction is fitted by
# fit_grouped_tf32_transpose.py on the paper's RTX 3090 fp32 eager runs alone, 2026-12-07: 0.08, 13.4% ->
# 11.6% MAPE there; what it was not fitted to: the A6000's fp32 eager runs 21.8% -> 19.8%, its fp32
# TorchScript runs 27.7% -> 21.5%, the 3090's TorchScript runs 16.7% -> 15.0%. ONNX Runtime 1.12 does not
# take it: its CUDA Conv searches cuDNN's algorithms by timing them (cudnn_conv_algo_search EXHAUSTIVE, its
# default), which would not keep a kernel this slow.
GROUPED_TF32_TRANSPOSE = {
    "compute_capability_min": 8.6,
    "compute_capability_below": 8.7,
    "min_rows": 1448,
    "bandwidth_fraction": 0.08,
    "source": "calibrate/derive/fit_grouped_tf32_transpose.py: bandwidth_fraction fitted on the Framework Tax "
              "paper's RTX 3090 fp32 eager runs alone (SqueezeBERT's grouped 1x1 convolutions at batch 16-128 "
              "took 3.4-4.3x the prediction without it); min_rows between the 3090's batch 8 (1024 rows, as "
              "predicted) and 16 (2048 rows, slow), the geometric middle; the kernel is cuDNN's generic "
              "transpose, as PyTorch issue 54324 profiles it around grouped convolutions on RTX 30-series "
              "cards (13.7 ms for 64 M elements); checked on the RTX A6000's fp32 eager and TorchScript runs, "
              "not fitted to them",
}
# The paper's HF models (transformers 4.22) ran their eager attention: matmul, scale, mask add, softmax,
# dropout, matmul; the scaled_dot_product_attention path came with PyTorch 2.0 and transformers 4.36.
HF_ATTENTION = "eager"
HF_ATTENTION_SOURCE = ("hf_attention: eager, the attention of transformers 4.22 (the paper's), which had no "
                       "scaled_dot_product_attention path")
HALF_CONV_SOURCE = (
    "half_conv_host_s: host time a half-precision convolution adds when cuDNN runs it on tensor cores, fitted "
    "by calibrate/derive/fit_half_conv_host.py to the Framework Tax paper's RTX 8000 fp16 eager runs alone "
    "(the only paper GPU whose host CPU is known; 17.4% -> 12.4% MAPE there); the other GPUs' fp16 eager runs "
    "(14.0% -> 11.6%) and the TorchScript runs (21.2% -> 19.3%) check it. In half precision on tensor-core GPUs (Volta to Ampere) the paper's CNNs ran at batch 1-8 a "
    "median 1.09-1.30x their prediction in eager and 1.21-1.60x in TorchScript, on Pascal 0.90-1.04x, while its "
    "transformers (no convolutions) ran 0.77-1.06x; over the RTX 8000's fp16 CNNs at batch 1 the excess grows "
    "with the number of convolutions, 30-50 us each on its host. Its fp32 runs show a smaller excess, not "
    "taken: with TF32 convolutions included the 3090's and A6000's fp32 eager runs got worse")
GEMM_SPLIT_K_SOURCE = (
    "gemm_split_k: false, small fp32 GEMMs as one kernel: the four-kernel cuBLASLt split-K the builder "
    "takes from PyTorch 2.x's H100 traces has no source for this stack, and would make batch 1 cost more "
    "host time than batch 2, which none of the paper's fp32 BERT runs shows on any GPU"
)

WINOGRAD_SOURCE = "winograd_conv_speedup: pytorch-eager's (the same ATen convolutions through cuDNN)"
NO_WINOGRAD_SOURCE = (
    "winograd_conv_speedup: 1, none: within its 32 MiB workspace ORT 1.12's convolutions on the CUDA cores ran "
    "slower than PyTorch's on the same GPU, not faster (the paper's RTX 8000 fp32 ResNet-50 runs: measured over "
    "predicted 1.19 under ORT, 0.90 eager; VGG-16, all 3x3 convolutions, 0.81 against 0.67); with eager's 1.75 "
    "this stack's MAPE went from 23.2% to 26.5%")


def load(path):
    with open(path) as f:
        return json.load(f)


def stack(name, version, mode, passes, description, measured_file, node_key, call_key, extra_source,
          sync_each_call=False, sync_source="", extra=None, scale=False, gemm_split_k=True, winograd=True,
          versioned_name=True, tf32_matmul=False, hf_attention_2022=True, winograd_source=WINOGRAD_SOURCE):
    """A stack's profile. versioned_name: named NAME@VERSION (else NAME, today's stack); tf32_matmul: its fp32
    GEMMs on TF32; hf_attention_2022: HF models run transformers 4.22's eager attention (else the builder's,
    today's SDPA); winograd_source: where its Winograd speedup comes from, when it has one."""
    eager = load(EAGER)
    m = load(f"{MEASURED}/{measured_file}")
    saves = {cls: v["eager_op_s"] - v[node_key] for cls, v in m["per_class"].items()}
    ratios = {cls: v["ratio"] for cls, v in m["per_class"].items()}
    median = statistics.median((ratios if scale else saves).values())
    costs = {}
    for cls, s in eager["op_host_s"].items():
        if cls == "source":
            continue
        if cls.startswith("module_"):  # Python module calls (model/workload.cpp's is_module_class): none here
            costs[cls] = 0.0
        elif scale:
            costs[cls] = float("%.4g" % (s * ratios.get(cls, median)))
        else:
            costs[cls] = float("%.4g" % max(0.1 * s, s - saves.get(cls, median)))
    # One call: eager's per-call cost (one Python call into the model) plus what the runtime adds per
    # call over a Python function call, from the same measurement (a one-op chain's time less one op,
    # less eager's), which is not negative.
    call_extra = statistics.median(v[call_key] - v["eager_call_s"] for v in m["per_class"].values())
    call = eager["call_host_s"] + max(0.0, call_extra)
    env = m["env"]
    measured_on = f"{env['cpu']}, {env.get('torch')}" + (f", onnxruntime {env['onnxruntime']}" if "onnxruntime" in env else "")
    costs["source"] = (
        f"pytorch-eager's op_host_s times the {node_key} / eager_op_s ratio of each class measured in "
        f"{MEASURED}/{measured_file} ({measured_on}, {env['date']}; "
        + ", ".join(f"{k} {v:.3f}" for k, v in sorted(ratios.items()))
        + f"); other classes take the median ratio {median:.3f}; module calls 0 (an {extra_source} has none). "
        "Scaled, not less the saving: the runtime's own kernels keep their library state per node "
        "(ONNX Runtime's CUDA Conv caches its cuDNN descriptors and algorithm for the node's shapes), so "
        "the whole per-op cost shrinks as it does on the CPU"
    ) if scale else (
        f"pytorch-eager's op_host_s less eager_op_s - {node_key} of each class measured in "
        f"{MEASURED}/{measured_file} ({measured_on}, {env['date']}; in us: "
        + ", ".join(f"{k} {v * 1e6:.2f}" for k, v in sorted(saves.items()))
        + f"), taken as measured (this CPU's speed as the reference host's); other classes take the median "
        f"{median * 1e6:.2f} us; at least a tenth of eager's; module calls 0 (a {extra_source} has none). "
        "Less the saving, not scaled: the interpreter calls the same ATen ops, whose library calls and "
        "launches cost what they cost in eager"
    )
    return {
        "name": f"{name}@{version}" if versioned_name else name,
        "version": version,
        "description": description,
        "mode": mode,
        "reference_host": eager["reference_host"],
        "call_host_s": float("%.4g" % call),
        "op_host_s": costs,
        "tf32_matmul": tf32_matmul,
        "tf32_conv": True,
        "gemm_split_k": gemm_split_k,
        "winograd_conv_speedup": eager["winograd_conv_speedup"] if winograd else 1.0,
        "passes": passes,
        "sync_each_call": sync_each_call,
        **(extra or {}),
        **({"hf_attention": HF_ATTENTION} if hf_attention_2022 else {}),
        "source": (
            f"calibrate/derive/derive_stacks_2022.py; call_host_s: pytorch-eager's plus the median extra per-call "
            f"time of {call_key} over eager_call_s in {MEASURED}/{measured_file} (0 if negative); "
            + (sync_source or "sync_each_call: false, the interpreter returns without waiting for the GPU")
            + ("" if gemm_split_k else "; " + GEMM_SPLIT_K_SOURCE)
            + "; " + (winograd_source if winograd else NO_WINOGRAD_SOURCE)
            + ("; " + HF_ATTENTION_SOURCE if hf_attention_2022 else "")
        ),
    }


# PyTorch 1.12's TorchScript fuser on a GPU: nvFuser from Volta, its TensorExpr fuser (NNC) before.
TS_PASSES = [
    {"pass": "fuse_pointwise", "compute_capability_min": 7.0,
     "source": "PyTorch 1.12 made nvFuser TorchScript's default fuser on CUDA GPUs from Volta (compute capability "
               "7.0; PyTorch's nvFuser tutorial: 'Volta and later CUDA accelerators')"},
    {"pass": "fuse_pointwise_te", "compute_capability_below": 7.0,
     "source": "before Volta TorchScript keeps its TensorExpr fuser (NNC), which takes functional pointwise ops "
               "only: torchvision's in-place relu_, add_ and hardtanh_ stay unfused (Debian's torch 1.13 with NNC "
               "forced on, a traced conv-batch_norm-relu_-add_ block: nothing fused)"},
]


# ONNX Runtime 1.12 on a GPU: its graph fusions, then the host's wait after each FusedConv.
ORT_PASSES = [
    "drop_noop_ops", "fold_batch_norm", "ort_fusions",
    {"pass": "host_waits_on_fused_conv",
     "source": "inferred, not traced: in the paper's fp32 ONNX Runtime runs (RTX 8000; every FusedConv is fp32) "
               "ResNet-18/50/101/152 take the predicted kernel time plus the host's whole time per call at "
               "every batch (ResNet-50: 2.80 ms measured at batch 1, 1.26 ms of kernels; from batch 1 to 16 the "
               "latency grows at the predicted kernel time per image), where their fp16 runs (plain Conv, no "
               "FusedConv) stay flat at batch 1-4 while the host binds; ONNX Runtime PR 6351 (2021) reports "
               "cuDNN 8's cudnnConvolutionBiasActivationForward, which runs FusedConv, much slower than 7.6's; "
               "which call inside it blocks is not known"},
]

def main():
    ts = stack(
        "torchscript", "1.12", "script", TS_PASSES,
        "PyTorch 1.12 torch.jit.trace (not frozen): the TorchScript interpreter runs the traced graph; on a GPU "
        "its default fuser runs chains of pointwise ops as one kernel (from Volta nvFuser, with norms and reductions; "
        "before, NNC, functional ops only)",
        "torchscript-1.13-cpu.json", "torchscript_node_s", "torchscript_call_s", "traced graph",
        False, "", {"fused_op_host_s": FUSED_OP_HOST_S, "half_conv_host_s": HALF_CONV_HOST_S,
                    "grouped_tf32_conv_transpose": GROUPED_TF32_TRANSPOSE},
        gemm_split_k=GEMM_SPLIT_K)
    ts["source"] += "; " + HALF_CONV_SOURCE
    eager = load(EAGER)
    eager_2022 = {
        "name": "pytorch-eager@1.12",
        "version": "1.12",
        "description": "PyTorch 1.12 eager (the Framework Tax paper's): today's PyTorch eager costs with three "
                       "differences, HF models' eager attention (transformers 4.22), 20 us of host time per "
                       "half-precision convolution on tensor cores (today's: 18 us) and cuDNN 8's generic transpose around grouped "
                       "TF32 convolutions on GA10x GPUs",
        # (HF generate's compiled static-cache decoding is not of 2022: no static_cache_decode)
        **{k: v for k, v in eager.items() if k not in ("name", "description", "source", "version", "static_cache_decode")},
        "half_conv_host_s": HALF_CONV_HOST_S,
        "grouped_tf32_conv_transpose": GROUPED_TF32_TRANSPOSE,
        "hf_attention": HF_ATTENTION,
        "source": "calibrate/derive/derive_stacks_2022.py: pytorch-eager's profile (" + eager["source"] + "; its "
                  "static_cache_decode left out: HF generate's compiled static-cache decoding is not of 2022); "
                  + HALF_CONV_SOURCE + "; " + HF_ATTENTION_SOURCE,
    }
    ort = stack(
        "onnxruntime", "1.12", "executor", ORT_PASSES,
        "ONNX Runtime 1.12, CUDA execution provider, graph optimizations 'all', run_with_iobinding: the executor "
        "runs the nodes of the exported graph (batch norms after a convolution folded by the export, dropout removed, "
        "conv+bias+ReLU for float convolutions (FusedConv), transformer fusions); the host waits for the GPU after "
        "each FusedConv (cuDNN 8's fused convolution)",
        "onnxruntime-1.32-cpu.json", "onnxruntime_node_s", "onnxruntime_call_s", "exported ONNX graph",
        True, "sync_each_call: ONNX Runtime's CUDA provider synchronizes its compute stream at the end of every "
        "Run (CUDAExecutionProvider::OnRunEnd, cudaStreamSynchronize, in the 1.x releases of 2022); "
        "conv_workspace_limit_bytes: ORT 1.12's CUDA Conv searches and runs cuDNN algorithms within a 32 MiB "
        "workspace (AlgoSearchWorkspaceSize in its conv.cc; cudnn_conv_use_max_workspace, off by default until "
        "1.14, lifts it)",
        {"conv_workspace_limit_bytes": 32 * 1024 * 1024}, scale=True, winograd=False)
    for spec in (eager_2022, ts, ort):
        with open(f"data/frameworks/{spec['name']}.json", "w") as f:
            json.dump(spec, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
