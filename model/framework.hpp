#pragma once
// Framework profile: one execution mode of a framework and what it costs the host. Host costs are
// per op class, measured on a reference host; the mode also says what it does to the kernels.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "model/curve.hpp"
#include "model/json_spec.hpp"
#include "model/workload.hpp"

namespace fwtax {

// One workload pass of a mode, and the GPUs it runs on: a stack may pick its fuser by the GPU's
// compute capability (PyTorch 1.12's TorchScript: nvFuser from Volta, 7.0; its TensorExpr fuser,
// NNC, before). In a profile: "name", or {"pass": "name", "compute_capability_min": 7.0} /
// {"pass": "name", "compute_capability_below": 7.0}. A GPU whose profile gives no compute
// capability counts as the newest; the bounds say nothing of CPUs (a GPU fuser's pass skips them).
struct FrameworkPass {
  std::string name;
  double compute_capability_min = 0;    // 0: no lower bound
  double compute_capability_below = 0;  // 0: no upper bound
  bool operator==(const FrameworkPass&) const = default;
};
// Whether a device of compute capability `cc` lies in [min, below) (0: no bound). A GPU without a
// compute capability counts as the newest: above every lower bound, below none.
bool in_compute_capability_range(double cc, double min, double below);

// A convolution library's choice on some GPUs: cuDNN 8's heuristics (PyTorch 1.12, cudnn.benchmark off)
// run a grouped, not depthwise, TF32 convolution of at least min_rows output rows (N x H x W) on a
// tensor-core kernel in NHWC, reaching its NCHW input and output through cuDNN's generic transpose, a
// kernel that moves bandwidth_fraction of the DRAM bandwidth (Builder::conv2d).
struct GroupedConvTranspose {
  double compute_capability_min = 0, compute_capability_below = 0;  // 0: no bound
  double min_rows = 0;
  double bandwidth_fraction = 1;
  std::string source;
  bool operator==(const GroupedConvTranspose&) const = default;
};

enum class ExecMode {
  eager,   // every op dispatched by the host, kernels launched one by one
  script,  // an interpreter (TorchScript) dispatches ops; no Python per op
  executor,  // an ahead-of-time runtime's executor (ONNX Runtime) runs the nodes of an exported graph
  wrapper,   // a compiler's generated Python wrapper (torch.compile's Inductor) calls each kernel: a
             // fused kernel it generated or a library call (GEMM, convolution, attention); an op of
             // the passed workload is one wrapper call, so op_host_s holds per-call costs
  graph,   // the whole forward replays from one CUDA graph launch
  engine   // an inference engine (TensorRT) built ahead of time: one call per forward, whose enqueue
           // launches each of the engine's kernels from the host (one launch per kernel, no per-op
           // framework dispatch); op_host_s is not used
};
std::string_view exec_mode_name(ExecMode m);

// Host costs (per op, per call, per kernel) lie below this many seconds.
inline constexpr double kMaxHostCostS = 1.0;

// HF generate()'s own Python before its first forward, in leaf module calls (op class module_leaf) of
// the same host: the median over Llama, Qwen2 and GPT-2 shapes of 2 and 8 layers (289-330), transformers
// 5.17 on a CPU (data/measured/hf-host-cpu-2026-12/generate-setup-5.17-cpu.json). What a profile without
// a module_generate price takes; calibrate/derive/derive_h100.py prices the reference host's with it.
inline constexpr double kGenerateSetupLeafUnits = 306;
// HF generate()'s loop per decode step outside the forward, less its sampling ops (which the builders
// emit), in leaf module calls: the median over the same shapes, dynamic cache, of the time between two
// stopping checks less the forward (203-224 us on that CPU) less fwtax's price there of the sampling ops
// (42 us), per leaf module: 33.4-37.6 by model and depth (data/measured/hf-host-cpu-2026-12/
// generate-steps-5.17-cpu.json).
inline constexpr double kGenerateStepLeafUnits = 36;

struct FrameworkSpec {
  std::string name;          // required
  std::string description;   // defaulted: ""
  ExecMode mode = ExecMode::eager;  // required
  std::string reference_host;       // required but in mode graph: the host the costs were measured on
  // Host time of one op of each class, including the launch of its first kernel (required in the
  // per-op modes: eager, script, executor, wrapper).
  std::array<double, kOpClassCount> op_host_s{};
  // defaulted 0: the part of each class's op_host_s spent in Python (argument parsing, the binding),
  // which a host's Python speed scales (SimOptions::python_factor) in place of its dispatch speed;
  // module classes are Python whole. At most op_host_s.
  std::array<double, kOpClassCount> op_python_s{};
  std::string op_python_source;  // defaulted "": where op_python_s comes from
  // defaulted 0: host time of each further kernel an op launches (of every kernel in mode engine);
  // 0 takes the device's kernel launch (DeviceSpec::launch_host_s)
  double extra_kernel_host_s = 0;
  double call_host_s = 0;          // required: fixed host time per forward call
  // defaulted 0: a compiled frame's guards, evaluated at the start of every call (torch.compile): host
  // time per guard on the reference host, and guards per Python module call of the model's forward
  // (Workload::module_calls), the count growing with the model's parameters and modules
  double guard_host_s = 0;
  double guards_per_module_call = 0;
  bool tf32_matmul = false;        // defaulted: PyTorch's default (matmuls in full fp32)
  bool tf32_conv = true;           // defaulted: PyTorch's default (cuDNN may use TF32)
  // defaulted true: an fp32 (SIMT) GEMM whose output has too few tiles to fill the GPU runs as
  // cuBLASLt's split-K, four kernels (a memset and a beta scaling before, a reduction with the bias
  // after), as PyTorch 2.x's addmm does (seen in the H100 traces); false: one GEMM kernel, for
  // stacks without that path (Builder::gemm_kernels)
  bool gemm_split_k = true;
  // defaulted false: every call ends by waiting for the GPU (ONNX Runtime's CUDA provider synchronizes
  // its stream at the end of Run), so calls issued back to back do not overlap
  bool sync_each_call = false;
  // defaulted 0: host time a fused group's node adds to its op class's cost (a JIT fuser's guard
  // and its compiled-kernel cache lookup)
  double fused_op_host_s = 0;
  // defaulted 0: host time a half-precision convolution adds when cuDNN runs it on tensor cores (today's
  // ATen: calibrate/derive/fit_half_conv_host_2x.py; the 2022 stack's: fit_half_conv_host.py)
  double half_conv_host_s = 0;
  // defaulted absent: grouped TF32 convolutions through cuDNN's generic transpose (the 2022 stack's
  // cuDNN 8 on the GPUs it names). JSON: "grouped_tf32_conv_transpose": {"compute_capability_min",
  // "compute_capability_below", "min_rows", "bandwidth_fraction", "source"}
  std::optional<GroupedConvTranspose> grouped_tf32_conv_transpose;
  // defaulted 0 (no limit): the workspace the stack lets cuDNN use for a convolution; a half
  // convolution whose NHWC copies (input and output) do not fit runs without tensor cores
  double conv_workspace_limit_bytes = 0;
  // defaulted 1 (none): on a GPU, how many times fewer FLOPs cuDNN's Winograd algorithm spends on an
  // ungrouped 3x3 stride-1 convolution that runs on the CUDA cores (fp32 without TF32, or half
  // precision without tensor cores) than a direct convolution would (Builder::conv2d)
  double winograd_conv_speedup = 1;
  // defaulted false: on a GPU, the mode replays its kernels from CUDA graphs (torch.compile's
  // reduce-overhead: cudagraph trees); on a CPU it runs as without (Inductor skips cudagraphs there)
  bool cuda_graphs = false;
  // defaulted 0: host time per call that a graph replay adds on a GPU (cudagraph trees' bookkeeping:
  // checking the inputs against the recorded graph, copying them into its static buffers)
  double graph_replay_host_s = 0;
  // defaulted 0 (not bound): elements per second at which the mode's fused (generated) kernels work
  // where their code, not memory, bounds them: Inductor's C++ on a CPU where it found no usable
  // vector ISA and wrote scalar loops (measured per device: a CPU profile's own framework); those
  // holding a clamp (Kernel::clamp) at generated_clamp_elements_per_s (0: the same rate)
  double generated_elements_per_s = 0;
  double generated_clamp_elements_per_s = 0;
  // defaulted empty (the device's efficiency): FLOPs per second of the stack's own convolution and
  // GEMM kernels by shape (rows [m, n, k, flops_per_s] of the GEMM view, read by ShapeEfficiency's
  // lookup), where the stack brings its own library: ONNX Runtime's MLAS on a CPU, whose NCHWc
  // convolutions and SGEMM are not the ATen/oneDNN kernels the device profile was calibrated on.
  // Measured on the profile's own device (a CPU profile's framework), kernel by kernel, never from a
  // model's latency. JSON: "kernel_flops_per_s": {"conv": [...], "gemm": [...], "source": "..."}
  ShapeEfficiency conv_flops_per_s, gemm_flops_per_s;
  std::string kernel_rates_source;
  std::string version;             // defaulted "": the stack's version (NAME@VERSION selects NAME@VERSION.json)
  // defaulted "": on a GPU, the framework whose mode runs the model's forward in a decode step with a
  // static KV cache (HF generate() compiles it: torch-compile-reduce-overhead); the step's sampling
  // loop and the prefill stay in this one
  std::string static_cache_decode;
  // defaulted "": the attention HF transformers run in this stack, overriding the model's ("eager" for
  // the 2022 stacks: transformers 4.22 had no scaled_dot_product_attention path)
  std::string hf_attention;
  // defaulted empty: the workload passes of the mode, applied in order to the eager workload the
  // builders emit (model/passes.hpp: drop_noop_ops, fold_batch_norm, fuse_pointwise, ort_fusions)
  // on the devices each one names (passes_for in model/builder.hpp)
  std::vector<FrameworkPass> passes;
  std::string source;          // defaulted "": where the profile comes from
  std::string op_host_source;  // defaulted "": where op_host_s comes from (its "source" member)
};

// Whether the mode runs on GPUs only (CUDA graph replay, a TensorRT engine).
bool needs_gpu(const FrameworkSpec& f);
// Whether the mode dispatches op by op from costs per op class (op_host_s).
bool has_op_costs(ExecMode m);

FrameworkSpec parse_framework(const Json& j, Diagnostics& diag, const std::string& pointer = "");
// The profile file's form of a framework: what parse_framework reads back (fits write frameworks
// through it). Empty strings and an empty pass list are left out.
Json framework_to_json(const FrameworkSpec& f);

}  // namespace fwtax
