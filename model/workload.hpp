#pragma once
// The workload IR: the ordered framework-level ops that one forward call dispatches from the host,
// each with the kernels it launches. Builders (architectures, HF configs, traces) produce it; the
// simulator consumes it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/dtype.hpp"

namespace fwtax {

// What a kernel does; decides which efficiency curve times it.
enum class KernelKind : std::uint8_t {
  gemm,         // dense matrix product (cuBLAS / oneDNN)
  conv,         // convolution as implicit GEMM
  depthwise,    // depthwise convolution: ATen's own NCHW kernel (cuDNN's in half precision on some shapes)
  attention,    // fused scaled-dot-product attention
  elementwise,  // streaming map over tensors
  reduction,    // sums, means, argmax
  norm,         // layer / group / RMS norm
  batch_norm,   // inference batch norm (cuDNN's NCHW kernel; ATen's for half types)
  softmax,
  gather,       // embedding lookups, index_select
  pool,
  copy,         // contiguous(), casts, concatenation
  layout,       // NCHW <-> NHWC transforms inserted by a library
  strided,      // ATen's generic (non-vectorized) elementwise kernel: copies of strided views, broadcast
                // operands, casts it cannot vectorize; bound by elements processed (Kernel::elements), not bytes
  memset,
  other,
  count
};
constexpr int kKernelKindCount = static_cast<int>(KernelKind::count);
std::string_view kernel_kind_name(KernelKind k);
std::optional<KernelKind> parse_kernel_kind(std::string_view s);

// The math function an elementwise kernel evaluates per element, where that, not memory, can bound it:
// on a CPU, ATen evaluates some of these with vectorized polynomials (exp, sigmoid, silu, gelu's erf:
// a few tenths of a ns per element on one core) and others element by element (tanh, erf: 2-3 ns), both
// slower than the DRAM stream of an add. A device profile may give elements per second for each.
enum class ElemFunc : std::uint8_t { none, tanh, erf, exp, sigmoid, silu, gelu, count };
constexpr int kElemFuncCount = static_cast<int>(ElemFunc::count);
std::string_view elem_func_name(ElemFunc f);
// The function an aten elementwise op evaluates ("aten::tanh" -> tanh); none for the others.
ElemFunc elem_func_of(std::string_view aten);
struct Kernel;
// Marks `k` as evaluating `aten`'s math function (Kernel::func) over `elements`, if it has one.
void mark_function(Kernel& k, std::string_view aten, double elements);

// The host-cost class of a framework op: the key into a framework profile's per-op costs.
// module_* entries are Python nn.Module calls (their forward's Python code, no kernels).
enum class OpClass : std::uint8_t {
  view,         // view, reshape, transpose, slice, expand, dropout in eval: no kernel
  alloc,        // empty, empty_like
  elementwise,  // add, mul, relu, gelu, tanh ...
  linear,       // nn.Linear / F.linear / addmm with bias
  matmul,       // matmul, bmm, baddbmm
  conv,
  batch_norm,
  layer_norm,   // also RMS and group norm
  softmax,
  attention,    // scaled_dot_product_attention and fused MHA
  fused_layer,  // one op running a whole layer in C++ (torch.nn Transformer fast path)
  embedding,
  pool,
  reduction,
  copy,         // contiguous, to(dtype), cat
  other,        // an aten op with no better class (trace import)
  module_leaf,      // a torch.nn leaf module call (Linear, Conv2d, ReLU ...)
  module_block,     // a small user module (torchvision block, Sequential)
  module_heavy,     // a module with much Python (HF transformers layers)
  module_fastpath,  // torch.nn.TransformerEncoderLayer's fast-path checks
  module_model,     // a library model's own forward, outside its layers (HF transformers: input checks,
                    // mask creation, the output dataclass); a profile without it prices it as module_heavy
  module_generate,  // HF generate()'s own Python before its first forward (generation config, logits
                    // processors, stopping criteria, cache preparation), once per call; a profile without
                    // it prices it as kGenerateSetupLeafUnits module_leaf
  module_generate_step,  // HF generate()'s loop per decode step outside the forward and its sampling ops
                         // (inputs prepared, kwargs updated, logits processors, the stopping check); a
                         // profile without it prices it as kGenerateStepLeafUnits module_leaf
  count
};
constexpr int kOpClassCount = static_cast<int>(OpClass::count);
std::string_view op_class_name(OpClass c);
std::optional<OpClass> parse_op_class(std::string_view s);
bool is_module_class(OpClass c);

enum class GemmForm : std::uint8_t { matmul, linear };

struct Kernel {
  double flops = 0;  // FLOPs (multiply-add = 2)
  // How many times fewer FLOPs the kernel's algorithm spends than `flops` counts (cuDNN's Winograd
  // convolutions): its compute time and efficiency take flops / flops_divisor, totals count flops.
  double flops_divisor = 1;
  double bytes = 0;  // DRAM bytes read plus written, if nothing were cached
  // The share of the DRAM bandwidth the kernel's access pattern reaches where memory binds it (cuDNN 8's
  // generic transpose, FrameworkSpec::grouped_tf32_conv_transpose); 1: what the device's curve gives.
  double bandwidth_fraction = 1;
  double m = 0, n = 0, k = 0;  // a matrix product's GEMM view (gemm, conv, depthwise, attention; batch
                               // folded into m); 0 for every other kind
  // The counts that bound the kernels timed by elements rather than FLOPs or bytes (0: not known):
  double elements = 0;  // elements processed: a strided kernel's, a pool's inputs, a batch norm's, those
                        // of an elementwise kernel with a math function (func), a generated kernel's loops
  double outputs = 0;   // a pool's output elements (a thread each, walking its window)
  double window = 0;    // a pool's elements per output window
  double planes = 0;    // a batch norm's (sample, channel) planes, which its NCHW kernel walks one by one
  double measured_s = -1;      // a duration measured on the target device (trace replay); < 0: modelled
  std::uint32_t name = 0;      // index into Workload::names
  KernelKind kind = KernelKind::other;
  Math math = Math::fp32_simt;
  GemmForm form = GemmForm::matmul;
  bool causal = false;  // causal attention (its FLOPs count only the unmasked half)
  double out_bytes = 0;  // bytes of the tensor the kernel writes, for the pointwise and normalization
                         // kernels a fuser may merge (model/passes.cpp); 0: not recorded
  // Bytes of its inputs that an earlier op of its pointwise chain already read (HF's gelu_new reads its
  // input in three ops): counted in `bytes`, as a kernel of its own reads them again; a fused kernel
  // loads them once (model/passes.cpp).
  double reread_bytes = 0;
  // Its output is read again after the ops that follow it (a pre-norm block's residual stream): a fused
  // kernel that takes it in reads it from registers but still writes it (model/passes.cpp).
  bool output_kept = false;
  ElemFunc func = ElemFunc::none;  // an elementwise kernel's math function (then `elements` holds its count)
  bool clamp = false;  // a kernel a fusing pass generated evaluates a clamp (hardtanh, ReLU6): NaN-propagating
                       // min/max, which a compiler may not vectorize (FrameworkSpec::generated_*_per_s)
};

struct Op {
  std::uint32_t name = 0;  // index into Workload::names, e.g. "aten::linear"
  OpClass cls = OpClass::other;
  bool sync = false;                  // the host waits for the GPU after this op (e.g. .item())
  bool noop = false;                  // computes nothing in inference (dropout in eval): a pass may drop it
  bool fused = false;                 // a group of ops a fusing pass merged (FrameworkSpec::fused_op_host_s)
  bool graphed = false;               // replayed from a CUDA graph within an eager call: the first op of a run
                                      // of graphed ops launches the graph (its host_s: the framework's call and
                                      // replay costs; the device's graph launch is added), the others cost the
                                      // host nothing (HF generate's compiled decode step)
  std::uint32_t first_kernel = 0;     // kernels [first_kernel, first_kernel + kernel_count)
  std::uint32_t kernel_count = 0;
  double host_s = -1;                 // host time known from a trace; < 0: from the framework profile
  std::uint32_t scope = 0;            // index into Workload::names: a module call's name, for breakdowns
  std::uint32_t module = 0;           // index into Workload::names: the container module the op runs in
                                      // (Builder::module; 0: none recorded), for breakdowns
};

// Which call of a model: one forward (a base model, no cache), the prefill of a generate call (the
// prompt into an empty KV cache, logits of its last token) or one decode step (one new token per
// sequence over `context` cached ones, logits, greedy sampling and generate's end-of-sequence check).
enum class Phase : std::uint8_t { forward, prefill, decode };
std::string_view phase_name(Phase p);

// The KV cache of HF generate(): DynamicCache (the default) grows by concatenation; StaticCache
// (cache_implementation="static") is allocated once at its full length and written in place.
enum class KvCache { dynamic, static_cache };

struct WorkloadConfig {
  std::string model;
  DType dtype = DType::fp32;
  long long batch = 1;
  long long seq = 0;    // tokens per sample (new tokens; 1 for a decode step); 0 when not a token model
  long long image = 0;  // image side; 0 when not an image model
  Phase phase = Phase::forward;
  long long context = 0;  // tokens already in the KV cache (decode)
  KvCache cache = KvCache::dynamic;
  long long cache_len = 0;  // a static cache's length in tokens (HF max_cache_len); 0: context + seq
  bool sampling = true;     // prefill/decode: generate's loop after the LM head (fp32 logits, greedy pick,
                            // stop check); false: the model's forward alone, as torch.compile sees it
};

struct Workload {
  WorkloadConfig config;
  std::vector<Op> ops;
  std::vector<Kernel> kernels;
  std::vector<std::string> names;
  // Python nn.Module calls of the forward as built (Builder::module), before any pass drops them:
  // what a compiled frame's guards grow with (FrameworkSpec::guards_per_module_call)
  double module_calls = 0;
  // Half convolutions the builder put on the CUDA cores because their NHWC copies exceed the stack's
  // cuDNN workspace (FrameworkSpec::conv_workspace_limit_bytes), for breakdowns
  double workspace_capped_convs = 0;

  std::uint32_t intern(std::string_view s);
  const std::string& name(std::uint32_t i) const { return names[i]; }
  double total_flops() const;
  double total_bytes() const;
  std::size_t framework_op_count() const;  // ops that are not Python module calls
  // Appends `src`'s ops from `first_op` on, with their kernels and names.
  void append_ops(const Workload& src, std::size_t first_op);

 private:
  std::unordered_map<std::string, std::uint32_t> index_;
};

}  // namespace fwtax
