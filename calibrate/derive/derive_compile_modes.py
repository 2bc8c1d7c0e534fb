#!/usr/bin/env python3
"""Writes data/frameworks/torch-compile.json and torch-compile-reduce-overhead.json (torch.compile's
Inductor, default and reduce-overhead modes, on the reference host) and
data/measured/compile-costs-2026-12/cpu-profile-compile.json (this CPU's profile with a torch-compile
framework measured on it, for validating compiled zoo models here), from what measure_compile_costs.py
measured on this CPU (data/measured/compile-costs-2026-12/torch-compile-2.15-cpu.json).

Reference host (GPU) costs follow derive_stacks_2022.py: fwtax's eager cost of the op class on the
reference host (data/frameworks/pytorch-eager.json: Python, dispatch, the library call and one kernel
launch) less what the compiled wrapper saves per call over eager PyTorch on this CPU, this CPU's
single-thread speed taken as the reference host's:
  - library calls (GEMM, convolution, attention and the classes Inductor has no lowering for): eager's
    cost less (eager op - extern call), the slopes of the chains of torch.mm;
  - generated kernels (what inductor_fusions leaves of pointwise ops, norms, reductions, copies,
    gathers, pooling; class elementwise): eager's elementwise cost less (eager pointwise op - generated
    kernel). On a GPU that call is a Triton launch, whose launcher is assumed to cost what a C++
    kernel call from the wrapper costs here plus the CUDA launch eager's cost already holds: not
    measured without a GPU;
  - per call: eager's per-call cost plus (compiled call - eager call), the chains' intercepts: guards,
    the compiled frame's entry and the wrapper's prologue.
No cost goes below a tenth of eager's. The fits over the thread's CPU time (medians) are used.

  python3 calibrate/derive/derive_compile_modes.py   # from the repository root
"""
import copy
import json
import statistics
import subprocess

MEASURED = "data/measured/compile-costs-2026-12/torch-compile-2.15-cpu.json"
EAGER = "data/frameworks/pytorch-eager.json"
CPU_PROFILE = "data/measured/cpu-llm-2026-12/cpu-profile-python.json"
GENERATED = ("elementwise", "batch_norm", "layer_norm", "softmax", "reduction", "copy", "embedding", "pool")
FREE = ("view", "alloc")  # inductor_fusions removes them: folded into the kernels' indexing
OUTSIDE = ("module_generate", "module_generate_step")  # Python around the compiled forward (HF generate's setup): eager's; the
# compiled graph drops module ops, so no compiled row prices it today (README: LLM generation)
PASSES = ["inductor_fusions"]
STAT = "thread_cpu_median_s"  # the steadier clock on a shared machine (measure_compile_costs.py)


def load(path):
    with open(path) as f:
        return json.load(f)


def g4(x):
    return float("%.4g" % x)


def reference_costs(eager, fit):
    extern_saving = fit["eager_op_s"] - fit["compiled_extern_call_s"]
    generated_saving = fit["eager_pointwise_op_s"] - fit["compiled_generated_kernel_s"]
    costs = {}
    for cls, s in eager["op_host_s"].items():
        if cls == "source":
            continue
        if cls in OUTSIDE:
            costs[cls] = s
        elif cls.startswith("module_") or cls in FREE:  # module calls: not in the compiled graph
            costs[cls] = 0.0
        elif cls in GENERATED:
            costs[cls] = g4(max(0.1 * eager["op_host_s"]["elementwise"], eager["op_host_s"]["elementwise"] - generated_saving))
        else:
            costs[cls] = g4(max(0.1 * s, s - extern_saving))
    call = g4(max(0.1 * eager["call_host_s"], eager["call_host_s"] + fit["compiled_call_s"] - fit["eager_call_s"]))
    return costs, call, extern_saving, generated_saving


# Guards: their time per guard and how many a model has per Python module call of its forward, which is
# what fwtax's builders count (Workload::module_calls; read from build/fwtax, so build first).
GUARDS = "data/measured/compile-costs-2026-12/guards-2.15-cpu.json"


def module_calls(model):
    out = subprocess.run(["build/fwtax", "simulate", "--model", model, "--breakdown", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return sum(c["ops"] for c in json.loads(out)[0]["breakdown_by_class"] if c["class"].startswith("module_"))


def guard_costs():
    g = load(GUARDS)
    ratios = {c["model"]: c["guards"] / module_calls(c["model"]) for c in g["guard_counts"]}
    per_call = statistics.median(ratios.values())
    source = (f"guard_host_s: the time per guard of a compiled call's guard evaluation on this CPU ({GUARDS}, "
              f"torch {g['env']['torch']}, {g['env']['date']}: the slope of a compiled call's time less the same call "
              f"with guard evaluation skipped over the guard counts of HF BertModel of 1, 4 and 12 layers, "
              f"{g['guard_s_slope'] * 1e9:.1f} ns); guards_per_module_call: the median over "
              + ", ".join(f"{k} {v:.1f}" for k, v in sorted(ratios.items()))
              + " of a model's guard count (torch._dynamo.explain) over the Python module calls of its forward "
              "as fwtax builds it")
    return g4(g["guard_s_slope"]), g4(per_call), source


def main():
    m = load(MEASURED)
    eager = load(EAGER)
    fit = m["fits"][STAT]
    env = m["env"]
    costs, call, extern_saving, generated_saving = reference_costs(eager, fit)
    measured_on = f"{env['cpu']}, torch {env['torch']}, {env['date']}"
    costs["source"] = (
        f"calibrate/derive/derive_compile_modes.py: pytorch-eager's op_host_s less what the compiled wrapper "
        f"saves per call over eager on this CPU ({MEASURED}, {measured_on}; fits over the thread CPU time's medians): "
        f"library calls (linear, matmul, conv, attention, fused_layer, other) eager's own class less "
        f"{extern_saving * 1e6:.3f} us (eager torch.mm {fit['eager_op_s'] * 1e6:.3f} us - extern_kernels.mm "
        f"{fit['compiled_extern_call_s'] * 1e6:.3f} us); generated kernels (elementwise and every class "
        f"inductor_fusions fuses) eager's elementwise less {generated_saving * 1e6:.3f} us (eager tanh "
        f"{fit['eager_pointwise_op_s'] * 1e6:.3f} us - a generated kernel's call "
        f"{fit['compiled_generated_kernel_s'] * 1e6:.3f} us; on a GPU a Triton launch, assumed to cost that "
        f"plus the CUDA launch eager's cost holds: unmeasured without a GPU); view, alloc and module calls 0 "
        f"(not in the compiled graph); none below a tenth of eager's")
    guard_s, guards_per_call, guard_source = guard_costs()
    common = {
        "reference_host": eager["reference_host"],
        "call_host_s": call,
        "guard_host_s": guard_s,
        "guards_per_module_call": guards_per_call,
        "op_host_s": costs,
        "tf32_matmul": False,
        "tf32_conv": True,
        "winograd_conv_speedup": eager["winograd_conv_speedup"],
        "passes": PASSES,
    }
    call_source = (f"call_host_s: pytorch-eager's plus the compiled call's extra fixed cost over an eager Python "
                   f"function's on this CPU ({fit['compiled_call_s'] * 1e6:.2f} - {fit['eager_call_s'] * 1e6:.2f} us, "
                   f"the chains' intercepts at 0 ops: TorchDynamo's guards, the compiled frame's entry and the "
                   f"wrapper's prologue; {MEASURED}); " + guard_source + "; winograd_conv_speedup: "
                   f"pytorch-eager's (Inductor calls ATen's cuDNN convolutions)")
    default = {"name": "torch-compile", "version": env["torch"].split("+")[0],
               "description": "torch.compile (Inductor, mode default): fused generated kernels, library GEMMs, "
                              "convolutions and attention, guards per call, every kernel called from the "
                              "generated Python wrapper",
               "mode": "wrapper", **common,
               "source": "calibrate/derive/derive_compile_modes.py; passes: inductor_fusions (model/passes.cpp); "
                         + call_source}
    ro = {"name": "torch-compile-reduce-overhead", "version": env["torch"].split("+")[0],
          "description": "torch.compile(mode=\"reduce-overhead\"): Inductor's kernels replayed from CUDA graphs "
                         "(cudagraph trees) on a GPU; on a CPU the same as torch-compile",
          "mode": "wrapper", "cuda_graphs": True, "graph_replay_host_s": 0.0, **common,
          "source": "calibrate/derive/derive_compile_modes.py; as torch-compile (its costs apply on a CPU, where "
                    "Inductor skips cudagraphs); on a GPU one graph launch per call (the device's "
                    "graph_launch_host_s) after the guards (call_host_s); graph_replay_host_s (cudagraph trees' "
                    "check of the inputs and their copy into the graph's static buffers) is 0: not measured, it "
                    "needs a GPU. " + call_source}
    for name, spec in (("torch-compile", default), ("torch-compile-reduce-overhead", ro)):
        with open(f"data/frameworks/{name}.json", "w") as f:
            json.dump(spec, f, indent=1)
            f.write("\n")

    # This CPU's profile with torch-compile measured on it: no conversion between hosts.
    prof = load(CPU_PROFILE)
    lib = prof["frameworks"]["libtorch"]["op_host_s"]
    wrapper_extra = max(0.0, fit["compiled_extern_call_s"] - lib["matmul"])
    cpu_costs = {}
    for cls in eager["op_host_s"]:
        if cls == "source":
            continue
        if cls in OUTSIDE:
            cpu_costs[cls] = prof["frameworks"]["pytorch-eager"]["op_host_s"].get(cls, 0.0)
        elif cls.startswith("module_") or cls in FREE:  # module calls: not in the compiled graph
            cpu_costs[cls] = 0.0
        elif cls in GENERATED:
            cpu_costs[cls] = g4(max(0.0, fit["compiled_generated_kernel_s"]))
        else:
            cpu_costs[cls] = g4(lib[cls] + wrapper_extra)
    cpu_costs["source"] = (
        f"{MEASURED} ({measured_on}, fits over the thread CPU time's medians): generated kernels (elementwise and every "
        f"class inductor_fusions fuses) the slope per generated C++ kernel "
        f"({fit['compiled_generated_kernel_s'] * 1e6:.3f} us, 0 if negative); library calls the libtorch "
        f"calibration's cost of the class here plus the wrapper's Python per call (extern_kernels.mm's slope "
        f"{fit['compiled_extern_call_s'] * 1e6:.3f} us less libtorch's matmul {lib['matmul'] * 1e6:.3f} us); "
        f"view, alloc and module calls 0")
    ref_host = prof["host"]["name"]
    prof["frameworks"]["torch-compile"] = {
        "name": "torch-compile", "version": env["torch"].split("+")[0],
        "description": "torch.compile (Inductor, mode default) on this CPU (measured)", "mode": "wrapper",
        "reference_host": ref_host, "call_host_s": g4(max(0.0, fit["compiled_call_s"])), "op_host_s": cpu_costs,
        "guard_host_s": guard_s, "guards_per_module_call": guards_per_call,
        "passes": PASSES, "generated_elements_per_s": g4(fit["compiled_bn_relu_elements_per_s"]),
        "generated_clamp_elements_per_s": g4(fit["compiled_bn_relu6_elements_per_s"]),
        "source": f"calibrate/derive/derive_compile_modes.py from {MEASURED}; call_host_s: the torch.mm chains' "
                  f"intercept at 0 ops (guards, frame entry, wrapper prologue); generated_elements_per_s and "
                  f"generated_clamp_elements_per_s: the elements per second of one fused batch norm + ReLU kernel "
                  f"and of one fused batch norm + ReLU6 (a clamp) kernel (slopes of their time over 8192-401408 "
                  f"elements), Inductor's vector ISA here being {env.get('inductor_vec_isa', {}).get('picked', '?')} "
                  f"(eager's ATen kernels: {fit['eager_bn_relu_elements_per_s'] / 1e9:.3g} and "
                  f"{fit['eager_bn_relu6_elements_per_s'] / 1e9:.3g} G elements/s); " + guard_source}
    ro_cpu = copy.deepcopy(prof["frameworks"]["torch-compile"])
    ro_cpu.update({"name": "torch-compile-reduce-overhead", "cuda_graphs": True,
                   "description": "torch.compile(mode=\"reduce-overhead\") on this CPU: Inductor skips cudagraphs "
                                  "for CPU tensors, so torch-compile's costs (measured)"})
    prof["frameworks"]["torch-compile-reduce-overhead"] = ro_cpu
    prof["name"] = prof["name"] + "-compile"
    prof["description"] = prof["description"] + "; torch-compile measured here"
    prof["source"] = (prof.get("source", "") + "; data/measured/cpu-llm-2026-12/cpu-profile-python.json with a "
                      "torch-compile framework added by calibrate/derive/derive_compile_modes.py")
    with open("data/measured/compile-costs-2026-12/cpu-profile-compile.json", "w") as f:
        json.dump(prof, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote data/frameworks/torch-compile.json, torch-compile-reduce-overhead.json and "
          "data/measured/compile-costs-2026-12/cpu-profile-compile.json")


if __name__ == "__main__":
    main()
