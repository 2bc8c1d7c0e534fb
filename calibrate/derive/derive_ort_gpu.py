#!/usr/bin/env python3
"""Writes data/frameworks/onnxruntime.json: today's ONNX Runtime (1.32) on the CUDA execution provider.

Its host cost per node is onnxruntime@1.12's derivation (derive_stacks_2022.stack): fwtax's PyTorch
eager cost of the same op class on the reference host times the ratio of ONNX Runtime's cost per node
to eager PyTorch's, measured on one CPU with ONNX Runtime 1.32 (data/measured/node-costs-2026-12). What
differs from 1.12 is what the releases since changed, each with its source:
  - no FusedConv on the CUDA provider (ort_fusions_cudnn9: PR 19470, ONNX Runtime 1.20), so no host
    wait after it (host_waits_on_fused_conv was inferred for cuDNN 8's fused convolution);
  - no 32 MiB cap on cuDNN's convolution workspace (cudnn_conv_use_max_workspace, on by default from 1.14);
  - TF32 for fp32 GEMMs and convolutions (the use_tf32 provider option, on unless set to 0: PRs 19357 and
    19426; the cuDNN frontend's convolution graphs use TF32 by default: PR 19470);
  - the attention of today's transformers (scaled_dot_product_attention), which exports to one node.
No GPU run of this stack is in the repository: it is derived, not validated on a GPU.

  python3 calibrate/derive/derive_ort_gpu.py   # from the repository root
"""
import json

from derive_stacks_2022 import stack, load, EAGER

PASSES = [
    "drop_noop_ops", "fold_batch_norm",
    {"pass": "ort_fusions_cudnn9",
     "source": "ONNX Runtime PR 19470 (in 1.20): the CUDA provider no longer fuses a convolution and its activation "
               "into FusedConv; with cuDNN 9 the cuDNN frontend fuses conv and bias only with the provider option "
               "fuse_conv_bias=1, off by default; the transformer fusions and the CPU provider's NCHWc rules stay"},
]


def main():
    ort = stack(
        "onnxruntime", "1.32", "executor", PASSES,
        "ONNX Runtime 1.32, CUDA execution provider (cuDNN 9), graph optimizations 'all', run_with_iobinding: the "
        "executor runs the nodes of the exported graph (batch norms folded by the export, dropout removed, no "
        "FusedConv on the CUDA provider since 1.20, transformer fusions); derived from 1.12's costs and the "
        "changes since, not measured on a GPU",
        "onnxruntime-1.32-cpu.json", "onnxruntime_node_s", "onnxruntime_call_s", "exported ONNX graph",
        True, "sync_each_call: the CUDA provider synchronizes its compute stream at the end of every Run "
        "(CUDAExecutionProvider::OnRunEnd) unless the run option disable_synchronize_execution_providers is set",
        scale=True, versioned_name=False, tf32_matmul=True,
        hf_attention_2022=False,  # today's transformers: scaled_dot_product_attention, the builder's default
        winograd_source="winograd_conv_speedup: pytorch-eager's (cuDNN's convolutions, no longer under 1.12's "
                        "workspace cap)")
    eager = load(EAGER)
    # The derivation's own words come after its first "; " (the first part names derive_stacks_2022.py).
    ort["source"] = (
        "calibrate/derive/derive_ort_gpu.py: onnxruntime@1.12's derivation (" + ort["source"].split("; ", 1)[1]
        + "); conv_workspace_limit_bytes: none, cudnn_conv_use_max_workspace is on by default from ONNX Runtime "
        "1.14; tf32_matmul and tf32_conv: the use_tf32 provider option is on unless set to 0 (PRs 19357 and 19426, "
        "2024) and the cuDNN frontend's convolution graphs use TF32 by default (PR 19470); attention: today's "
        "transformers call scaled_dot_product_attention, one node in the exported graph; no GPU run of this stack "
        "checks it")
    assert eager["reference_host"] == ort["reference_host"]
    with open("data/frameworks/onnxruntime.json", "w") as f:
        json.dump(ort, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
