#!/usr/bin/env python3
"""Writes data/frameworks/tensorrt.json: TensorRT 10.x running a built engine from Python
(context.execute_async_v3(stream), which calls enqueueV3).

The mode is `engine` (model/engine.cpp): per forward the host pays one Python call into the execution
context (call_host_s) and, for each kernel of the engine, the launch its enqueue makes (the device's
cudaLaunchKernel host time, DeviceSpec::launch_host_s; extra_kernel_host_s 0 takes it). No framework op
is dispatched. Nothing here was measured with TensorRT (no GPU on this machine): the Python call is
the same proxy cuda-graphs uses for graph.replay(), one Python call into C++ that launches nothing
(view_nokernel of the reference host's microbenchmarks, as derive_h100.py reads it).

The workload passes (model/passes.cpp): drop_noop_ops and fold_batch_norm (an exported graph has no
dropout, and TensorRT folds a batch norm's scale into the convolution before it), then
tensorrt_fusions (the developer guide's layer fusion catalog and its attention fusion).

  python3 calibrate/derive/derive_tensorrt.py   # from the repository root
"""
import json

MICROBENCH = "../shared/data/h100-2026-11/microbench.json"
OUT = "data/frameworks/tensorrt.json"


def g4(x):
    return float("%.4g" % x)


def main():
    with open(MICROBENCH) as f:
        mb = json.load(f)
    call = mb["python_dispatch"]["view_nokernel_host_us"] * 1e-6
    profile = {
        "name": "tensorrt",
        "version": "10",
        "description": "TensorRT 10.x: an engine built from the exported model (fp16 or TF32 tactics chosen by "
                       "timing), run from Python with execute_async_v3 (enqueueV3): fused layers, one call per "
                       "forward, whose enqueue launches each of the engine's kernels",
        "mode": "engine",
        "reference_host": "h100-vm-a",
        "call_host_s": g4(call),
        "extra_kernel_host_s": 0.0,
        "tf32_matmul": True,
        "tf32_conv": True,
        "passes": ["drop_noop_ops", "fold_batch_norm", "tensorrt_fusions"],
        "source": "calibrate/derive/derive_tensorrt.py; call_host_s: one Python call into C++ (view_nokernel of "
                  f"{MICROBENCH} /python_dispatch, machine A, the proxy cuda-graphs takes for graph.replay(); "
                  "not measured with TensorRT) for context.execute_async_v3(stream); extra_kernel_host_s 0: each "
                  "kernel the enqueue launches costs the device's cudaLaunchKernel host time (launch_host_s); "
                  "TensorRT's own per-layer work in enqueueV3 is not measured and taken as 0; tf32: TensorRT's "
                  "builder allows TF32 tactics for fp32 layers by default (BuilderFlag::kTF32, 'Enabled by "
                  "default' in the TensorRT API reference); passes: model/passes.cpp (tensorrt_fusions: the "
                  "developer guide's layer fusion catalog and its attention fusion)",
    }
    with open(OUT, "w") as f:
        json.dump(profile, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
