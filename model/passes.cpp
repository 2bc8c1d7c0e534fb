#include "model/passes.hpp"

#include <algorithm>

namespace fwtax {
namespace {

// One op with its kernels, while a pass rewrites the op list.
struct OpKernels {
  Op op;
  std::vector<Kernel> kernels;
};

std::vector<OpKernels> unpack(const Workload& w) {
  std::vector<OpKernels> out(w.ops.size());
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    out[i].op = w.ops[i];
    const Op& op = w.ops[i];
    out[i].kernels.assign(w.kernels.begin() + op.first_kernel, w.kernels.begin() + op.first_kernel + op.kernel_count);
  }
  return out;
}

void pack(Workload& w, std::vector<OpKernels>& ops) {
  w.ops.clear();
  w.kernels.clear();
  for (auto& o : ops) {
    o.op.first_kernel = static_cast<std::uint32_t>(w.kernels.size());
    o.op.kernel_count = static_cast<std::uint32_t>(o.kernels.size());
    w.kernels.insert(w.kernels.end(), o.kernels.begin(), o.kernels.end());
    w.ops.push_back(o.op);
  }
}

// Ops that compute nothing in inference (dropout in eval): a frozen graph (torch.jit.freeze) and an
// exported ONNX graph (ONNX Runtime's EliminateDropout) remove them.
void drop_noop_ops(Workload& w, const PassContext&) {
  std::vector<Op> kept;
  kept.reserve(w.ops.size());
  for (const Op& op : w.ops)
    if (!op.noop) kept.push_back(op);
  w.ops.swap(kept);
}

// The output elements of a convolution op (its GEMM view's m x n), 0 for another op.
double conv_out(const OpKernels& o) {
  if (o.op.cls != OpClass::conv) return 0;
  // The kernel that carries the convolution's shape (a traced op may run a helper of the same kind).
  double out = 0;
  for (const Kernel& k : o.kernels)
    if (k.kind == KernelKind::conv || k.kind == KernelKind::depthwise) out = std::max(out, k.m * k.n);
  return out;
}

// Whether a folded batch norm's new bias needs a kernel of its own after the convolution: a GPU
// convolution on cuDNN that took no bias (ATen's depthwise kernel adds its bias itself).
bool needs_bias_kernel(const OpKernels& o) {
  if (o.kernels.empty() || o.kernels.back().kind == KernelKind::strided) return false;
  for (const Kernel& k : o.kernels)
    if (k.kind == KernelKind::conv) return true;
  return false;
}

// Inference batch norms folded into the convolution before them (torch.jit.freeze's conv-bn folding,
// torch.onnx.export's in eval mode, both of a batch norm whose input is a convolution's output): the
// weights are scaled and the convolution gets a bias, which a cuDNN convolution adds in a kernel of
// its own (ATen's broadcast add: Builder::conv2d). A batch norm that does not follow a convolution
// (DenseNet's pre-activation norm after a concatenation) has nothing to fold into and stays: the
// export keeps it as a BatchNormalization node, freezing as a batch norm.
void fold_batch_norm(Workload& w, const PassContext& c) {
  auto ops = unpack(w);
  std::vector<OpKernels> out;
  out.reserve(ops.size());
  const double elem = bytes_per_element(w.config.dtype);
  std::uint32_t bias_name = w.intern("elementwise");
  long last_kernel_op = -1;  // index in `out` of the last op with kernels
  bool conv_open = false;    // that op is a convolution no batch norm has consumed
  for (auto& o : ops) {
    if (o.op.cls == OpClass::batch_norm) {
      double elems = 0;
      for (const Kernel& k : o.kernels)
        if (k.kind == KernelKind::batch_norm) elems = std::max(elems, k.elements);
      if (conv_open && last_kernel_op >= 0 && conv_out(out[last_kernel_op]) == elems) {
        if (c.gpu && needs_bias_kernel(out[last_kernel_op])) {
          Kernel bias;
          bias.name = bias_name;
          bias.kind = KernelKind::strided;
          bias.math = vector_math(w.config.dtype);
          bias.flops = elems;
          bias.bytes = 2 * elems * elem;
          bias.elements = elems;
          bias.out_bytes = elems * elem;
          out[last_kernel_op].kernels.push_back(bias);
        }
        conv_open = false;
        continue;
      }
    }
    if (!o.kernels.empty()) {
      last_kernel_op = static_cast<long>(out.size());
      conv_open = conv_out(o) > 0;
    }
    out.push_back(std::move(o));
  }
  pack(w, out);
}

bool is_reduction_like(KernelKind k) {
  return k == KernelKind::norm || k == KernelKind::softmax || k == KernelKind::reduction;
}

// Whether a fuser takes the op into a generated kernel: pointwise maps (also with broadcast operands),
// inference batch norm, layer norm, softmax and reductions; with `copies`, copies too (contiguous,
// casts, concatenation: a pointwise map with other indexing); with `need_output`, only ops whose last
// kernel recorded its output (Kernel::out_bytes).
bool fusible_as(const OpKernels& o, bool copies, bool need_output) {
  switch (o.op.cls) {
    case OpClass::elementwise:
    case OpClass::batch_norm:
    case OpClass::layer_norm:
    case OpClass::softmax:
    case OpClass::reduction: break;
    case OpClass::copy:
      if (copies) break;
      return false;
    default: return false;
  }
  if (o.op.sync || o.kernels.empty() || o.op.host_s >= 0) return false;
  for (const Kernel& k : o.kernels) {
    bool pointwise = k.kind == KernelKind::elementwise || k.kind == KernelKind::strided ||
                     k.kind == KernelKind::batch_norm ||
                     (k.kind == KernelKind::copy && (o.op.cls == OpClass::batch_norm || copies));
    if (!pointwise && !is_reduction_like(k.kind)) return false;
  }
  return !need_output || o.kernels.back().out_bytes > 0;
}

// Whether a JIT fuser for GPUs takes the op: pointwise maps, norms and reductions with a recorded output.
bool fusible(const Workload&, const OpKernels& o) { return fusible_as(o, false, true); }

int reductions_in(const OpKernels& o) {
  int n = 0;
  for (const Kernel& k : o.kernels) n += is_reduction_like(k.kind) ? 1 : 0;
  return n;
}
// An in-place ATen op (relu_, add_, hardtanh_): its name ends in an underscore.
bool in_place(const Workload& w, const OpKernels& o) {
  const std::string_view n = w.name(o.op.name);
  return n.size() > 1 && n.back() == '_' && n[n.size() - 2] != '_';
}

// Whether PyTorch's TensorExpr fuser (NNC) takes the op on a GPU: functional pointwise maps and inference
// batch norm. Not an in-place op: a traced graph keeps relu_, add_ and hardtanh_ as the model called
// them, and NNC takes functional ops only (Debian's torch 1.13 with NNC forced on, on a CPU, leaves a
// traced block of conv, batch_norm, relu_ and add_ unfused, while the same block written functionally
// goes to the fuser). No reduction, layer norm or softmax: NNC lowers those for CPUs only.
bool te_fusible(const Workload& w, const OpKernels& o) {
  return fusible_as(o, false, true) && reductions_in(o) == 0 && o.op.cls != OpClass::layer_norm &&
         o.op.cls != OpClass::softmax && !in_place(w, o);
}
// The bytes a generated kernel's member writes, where the builder recorded none (copies, gathers).
double written_bytes(const Kernel& k) {
  if (k.out_bytes > 0) return k.out_bytes;
  if (k.kind == KernelKind::copy || k.kind == KernelKind::strided || k.kind == KernelKind::gather) return k.bytes / 2;
  return 0;
}

// Ops Inductor lowers to a clamp (NaN-propagating minimum and maximum in its C++).
bool is_clamp(std::string_view aten) {
  if (aten.substr(0, 6) == "aten::") aten.remove_prefix(6);
  if (!aten.empty() && aten.back() == '_') aten.remove_suffix(1);
  return aten == "hardtanh" || aten == "relu6" || aten == "clamp" || aten == "clip" || aten == "hardswish" ||
         aten == "hardsigmoid";
}

bool inductor_reduction(KernelKind k) { return is_reduction_like(k) || k == KernelKind::pool; }

// One kernel for a group of fused ops (one op or more): inputs read once, the result written once. Every
// output of an op but the last stays in registers: neither written nor read back.
OpKernels fuse_group(Workload& w, std::vector<OpKernels>& group, std::uint32_t name, std::uint32_t kernel_name) {
  OpKernels f;
  f.op = group.front().op;
  f.op.name = name;
  f.op.cls = OpClass::elementwise;
  f.op.noop = false;
  f.op.fused = true;
  Kernel k;
  k.name = kernel_name;
  k.kind = KernelKind::elementwise;
  k.math = vector_math(w.config.dtype);
  double saved = 0;
  const double elem = bytes_per_element(w.config.dtype);
  for (std::size_t i = 0; i < group.size(); ++i) {
    k.clamp = k.clamp || is_clamp(w.name(group[i].op.name));
    for (const Kernel& g : group[i].kernels) {
      k.flops += g.flops;
      k.bytes += g.bytes;
      if (inductor_reduction(g.kind)) k.kind = g.kind == KernelKind::pool ? KernelKind::reduction : g.kind;
      // The elements the kernel's loops visit (FrameworkSpec::generated_elements_per_s): the largest
      // tensor a member writes, or reads when it reduces; a member's own count where it has one
      // (Kernel::elements: strided, pool, batch norm, math function).
      double elems = std::max(written_bytes(g) / elem, g.elements);
      if (is_reduction_like(g.kind)) elems = std::max(elems, g.bytes / elem - written_bytes(g) / elem);
      k.elements = std::max(k.elements, elems);
    }
    if (i + 1 < group.size())
      saved += (group[i].kernels.back().output_kept ? 1 : 2) * written_bytes(group[i].kernels.back());
    // What a later member reads again of the chain's inputs, the kernel loads once: its first reader in
    // the group loads it (an earlier reader outside the group still counts for the group's first member).
    if (i > 0)
      for (const Kernel& g : group[i].kernels) saved += g.reread_bytes;
  }
  k.out_bytes = written_bytes(group.back().kernels.back());
  k.bytes = std::max(k.bytes - saved, 2 * k.out_bytes);
  f.kernels.push_back(k);
  return f;
}

// Whether a group holds a norm or a softmax (ONNX Runtime's transformer fusions are patterns around
// LayerNormalization and Softmax).
bool has_norm(const std::vector<OpKernels>& group) {
  for (const auto& g : group)
    for (const Kernel& k : g.kernels)
      if (k.kind == KernelKind::norm || k.kind == KernelKind::softmax) return true;
  return false;
}

bool any_group(const std::vector<OpKernels>&) { return true; }

// Chains of fusible ops, consecutive in the program, become one kernel and one op. Python module
// calls inside a chain are not in a traced graph and do not break it; any other op does (GEMMs,
// convolutions, views that change the layout, copies, gathers). A no-op (dropout in eval) next to a
// chain is a member of it: the fuser takes it as the identity (nvFuser's parse rule for
// aten::dropout with train false), so it goes with the group and is no node of its own; a no-op
// next to no fusible op stays. A fused kernel holds at most one reduction (norm, softmax, sum): a
// second one starts a new group, as the fuser's segmenter splits them. A group of one member stays
// as it was, and so does a chain `keep` refuses (ONNX Runtime has no general elementwise fuser: its
// fusions are patterns). `member` says which ops a chain takes (fusible: a JIT fuser's).
void fuse_chains(Workload& w, std::uint32_t name, std::uint32_t kernel_name,
                 bool (*keep)(const std::vector<OpKernels>&) = any_group,
                 bool (*member)(const Workload&, const OpKernels&) = fusible) {
  auto ops = unpack(w);
  std::vector<OpKernels> out, group, skipped;
  out.reserve(ops.size());
  int reductions = 0;
  auto flush = [&] {
    std::vector<OpKernels> members;  // the group's ops with kernels; its no-ops go with it
    for (auto& g : group)
      if (!g.kernels.empty()) members.push_back(g);
    if (group.size() >= 2 && !members.empty() && keep(members)) {
      out.push_back(fuse_group(w, members, name, kernel_name));
    } else {
      for (auto& g : group) out.push_back(std::move(g));
    }
    for (auto& s : skipped) out.push_back(std::move(s));
    group.clear();
    skipped.clear();
    reductions = 0;
  };
  for (auto& o : ops) {
    if (o.op.noop && o.kernels.empty()) {
      group.push_back(std::move(o));
      continue;
    }
    if (o.kernels.empty() && is_module_class(o.op.cls) && !group.empty()) {
      skipped.push_back(std::move(o));
      continue;
    }
    if (member(w, o)) {
      int r = reductions_in(o);
      if (reductions + r > 1) flush();
      reductions += r;
      group.push_back(std::move(o));
      continue;
    }
    flush();
    out.push_back(std::move(o));
  }
  flush();
  pack(w, out);
}

// PyTorch 1.12's TorchScript fuser on GPUs (nvFuser, its default for CUDA from 1.12): after the
// profiling runs, chains of pointwise ops, normalizations and reductions run as one generated kernel
// behind one graph node.
void fuse_pointwise(Workload& w, const PassContext& c) {
  if (!c.gpu) return;  // the CPU fuser is off by default
  fuse_chains(w, w.intern("prim::CudaFusionGroup"), w.intern("fused_pointwise"));
}

// PyTorch's TensorExpr fuser (NNC) on GPUs: TorchScript's fuser where nvFuser is not the default (PyTorch
// 1.12 on GPUs before Volta). Chains of functional pointwise ops (te_fusible) become one generated kernel
// behind one graph node; in-place ops, norms, softmax and reductions stay ops of their own.
void fuse_pointwise_te(Workload& w, const PassContext& c) {
  if (!c.gpu) return;  // the CPU fuser is off by default
  fuse_chains(w, w.intern("prim::TensorExprGroup"), w.intern("fused_pointwise"), any_group, te_fusible);
}

// An activation MLAS applies in a convolution's output (MLAS_ACTIVATION_KIND, which the CPU's
// FusedConv and NCHWc Conv take).
bool mlas_activation(std::string_view aten) {
  if (aten.substr(0, 6) == "aten::") aten.remove_prefix(6);
  if (!aten.empty() && aten.back() == '_') aten.remove_suffix(1);
  return aten == "relu" || aten == "relu6" || aten == "hardtanh" || aten == "clamp" || aten == "clip" ||
         aten == "sigmoid" || aten == "tanh" || aten == "leaky_relu" || aten == "hardsigmoid";
}

// A chain ORT's GELU fusions make one node: pointwise ops around an erf or a tanh.
bool gelu_like(const std::vector<OpKernels>& group) {
  for (const auto& g : group)
    for (const Kernel& k : g.kernels)
      if (k.func == ElemFunc::erf || k.func == ElemFunc::tanh || k.func == ElemFunc::gelu) return true;
  return false;
}

bool ort_fusible_chain(const std::vector<OpKernels>& group) { return has_norm(group) || gelu_like(group); }

// Ops ONNX Runtime's NCHWc transformer runs in the blocked layout (convolutions, pooling, global
// pooling: adaptive_avg_pool2d exports as GlobalAveragePool) and those that keep a blocked tensor
// blocked (pointwise ops, batch norms); module calls and no-ops are not nodes.
bool nchwc_node(const Workload& w, const OpKernels& o) {
  if (o.kernels.empty()) return false;
  switch (o.op.cls) {
    case OpClass::conv:
    case OpClass::pool:
    case OpClass::elementwise:
    case OpClass::batch_norm: return true;
    case OpClass::reduction: return w.name(o.op.name).find("pool") != std::string_view::npos;
    default: return false;
  }
}

// One ReorderOutput node (blocked -> NCHW) where a node without an NCHWc kernel (Flatten, Gemm, a
// reshape) first reads what a run of NCHWc nodes that began with a convolution wrote, or at the end:
// a copy of that tensor, one executor node.
void reorder_nchwc_output(Workload& w, std::vector<OpKernels>& ops) {
  std::vector<OpKernels> out;
  out.reserve(ops.size() + 1);
  bool blocked = false;
  double tensor_bytes = 0;  // what the last blocked node wrote
  auto reorder = [&] {
    OpKernels r;
    r.op.name = w.intern("com.microsoft.nchwc::ReorderOutput");
    r.op.cls = OpClass::copy;
    if (tensor_bytes > 0) {
      Kernel k;
      k.name = w.intern("reorder_output");
      k.kind = KernelKind::copy;
      k.math = vector_math(w.config.dtype);
      k.bytes = 2 * tensor_bytes;
      k.out_bytes = tensor_bytes;
      r.kernels.push_back(k);
    }
    out.push_back(std::move(r));
    blocked = false;
  };
  for (auto& o : ops) {
    const bool transparent = o.kernels.empty() && (is_module_class(o.op.cls) || o.op.noop);
    if (!transparent) {
      if (blocked && !nchwc_node(w, o)) reorder();
      if (o.op.cls == OpClass::conv && !o.kernels.empty()) blocked = true;
      if (blocked && !o.kernels.empty()) tensor_bytes = written_bytes(o.kernels.back());
    }
    out.push_back(std::move(o));
  }
  if (blocked) reorder();
  ops.swap(out);
}

// ONNX Runtime's graph optimizations at level "all". On the CUDA execution provider
// ConvActivationFusion (core/optimizer/conv_activation_fusion.cc, 2021-2022) makes a convolution a
// FusedConv (cudnnConvolutionBiasActivationForward: bias and activation in the convolution's
// epilogue) only for float tensors (the CUDA FusedConv kernel is registered for float alone) and only
// when a Relu follows it, or an Add and then a Relu (the residual); a Clip (ReLU6) or any other
// activation stays a node of its own. A half convolution stays a Conv, whose bias cuDNN adds in a
// kernel of its own (cudnnAddTensor after the convolution), and its Relu and Add stay nodes.
// On the CPU execution provider the NCHWc transformer (core/optimizer/nchwc_transformer.cc, level
// "all") runs every convolution in MLAS's blocked layout and gives it the Add after it (its Sum
// input) and the activation after that (Relu, Clip, Sigmoid, Tanh, LeakyRelu, HardSigmoid: MLAS's
// activation kinds), each alone or both; pooling stays in the blocked layout too, and one
// ReorderOutput node turns the blocked tensor back where a node without an NCHWc kernel (Flatten,
// Gemm) reads it. Observed with ONNX Runtime 1.32 (data/measured/ort-cpu-2026-12/optimized-graphs.json):
// ResNet-18 runs 20 NCHWc convolutions (9 with Relu, 8 with Add and Relu) and one ReorderOutput,
// MobileNet-V2 52 (35 with Clip, 10 with Add alone).
// The transformer fusions merge LayerNormalization with the residual add before it
// (SkipLayerNormalization), the attention's scale, mask and softmax (Attention), and a Gelu with the
// bias add of its MatMul (BiasGelu): pointwise chains around a norm or a softmax; GeluFusion and
// FastGeluFusion (both providers) make GELU's chains of pointwise ops around an erf or a tanh one
// node (Gelu, FastGelu); other pointwise chains are not fused. Dropout is gone (EliminateDropout) and
// batch norms are folded into convolutions by the export (run fold_batch_norm and drop_noop_ops
// before this pass).
// `cuda_fused_conv`: whether the CUDA provider makes FusedConv nodes (ONNX Runtime before 1.20).
void ort_fusions_with(Workload& w, const PassContext& c, bool cuda_fused_conv) {
  auto ops = unpack(w);
  std::vector<OpKernels> out;
  out.reserve(ops.size());
  const std::uint32_t fused_conv = w.intern(c.gpu ? "FusedConv" : "com.microsoft.nchwc::Conv");
  const bool float_conv = cuda_fused_conv && w.config.dtype == DType::fp32;
  // The index in `ops` of the next op with kernels from `j` on, past the transparent ops (module
  // calls, no-ops).
  auto next_kernel_op = [&](std::size_t j) {
    while (j < ops.size() && ops[j].kernels.empty() && (is_module_class(ops[j].op.cls) || ops[j].op.noop)) ++j;
    return j;
  };
  auto single_pointwise = [&](std::size_t j, auto&& named) {
    return j < ops.size() && ops[j].op.cls == OpClass::elementwise && ops[j].kernels.size() == 1 &&
           ops[j].kernels.front().kind == KernelKind::elementwise && named(w.name(ops[j].op.name));
  };
  auto is_add = [](std::string_view n) { return n.rfind("aten::add", 0) == 0; };
  auto is_relu = [](std::string_view n) { return n.rfind("aten::relu", 0) == 0 && n.rfind("aten::relu6", 0) != 0; };
  // The last op a convolution at `i` absorbs (0: none): on a GPU a Relu, or an Add and a Relu; on a
  // CPU an Add, an activation, or both.
  auto epilogue_end = [&](std::size_t i) -> std::size_t {
    std::size_t a = next_kernel_op(i + 1);
    if (c.gpu) {
      if (single_pointwise(a, is_relu)) return a;
      if (!single_pointwise(a, is_add)) return 0;
      std::size_t r = next_kernel_op(a + 1);
      return single_pointwise(r, is_relu) ? r : 0;
    }
    std::size_t last = 0;
    if (single_pointwise(a, is_add)) last = a, a = next_kernel_op(a + 1);
    if (single_pointwise(a, mlas_activation)) last = a;
    return last;
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    OpKernels& o = ops[i];
    const bool conv = o.op.cls == OpClass::conv && !o.kernels.empty();
    if (conv && !c.gpu) o.op.name = fused_conv;  // every CPU convolution runs as an NCHWc Conv
    std::size_t last = conv && (!c.gpu || float_conv) ? epilogue_end(i) : 0;
    if (last == 0) {
      out.push_back(std::move(o));
      continue;
    }
    // The bias kernel goes into the convolution's epilogue, and so do the Add and the activation,
    // reading nothing more than the convolution wrote (the residual is read in the epilogue).
    if (o.kernels.back().kind == KernelKind::strided) o.kernels.pop_back();
    o.op.name = fused_conv;
    out.push_back(std::move(o));
    for (std::size_t j = i + 1; j <= last; ++j)
      if (ops[j].kernels.empty()) out.push_back(std::move(ops[j]));
    i = last;
  }
  if (!c.gpu) reorder_nchwc_output(w, out);
  pack(w, out);
  // What is left of pointwise chains around norms and softmax fuses as the transformer fusions do,
  // and so do GELU's chains.
  fuse_chains(w, w.intern("com.microsoft::FusedNode"), w.intern("fused_pointwise"), ort_fusible_chain);
}

void ort_fusions(Workload& w, const PassContext& c) { ort_fusions_with(w, c, true); }

// ONNX Runtime from 1.20, built with cuDNN 9: its CUDA provider no longer fuses a convolution with its
// activation (PR 19470 removed ConvActivationFusion's FusedConv for the CUDA execution provider; the cuDNN
// frontend fuses the bias only with the provider option fuse_conv_bias=1, off by default), so on a GPU
// every convolution stays a Conv whose bias is a kernel of its own, its Relu and Add nodes of their own,
// in any precision. The CPU provider's NCHWc rules and the transformer fusions are ort_fusions'.
void ort_fusions_cudnn9(Workload& w, const PassContext& c) { ort_fusions_with(w, c, false); }

// What Inductor generates a kernel for (torch._inductor's lowerings; the scheduler fuses them): pointwise
// maps, casts and copies (a copy is a pointwise map with other indexing), gathers (embedding lowers to
// an indirect load), inference batch norm (decomposed into pointwise), layer norm, softmax, reductions
// and pooling windows. What it leaves to libraries (extern kernels): GEMMs, convolutions, attention,
// and anything it has no lowering for (other, fused_layer).
bool inductor_generated(const OpKernels& o) {
  switch (o.op.cls) {
    case OpClass::elementwise:
    case OpClass::batch_norm:
    case OpClass::layer_norm:
    case OpClass::softmax:
    case OpClass::reduction:
    case OpClass::copy:
    case OpClass::embedding:
    case OpClass::pool: break;
    default: return false;
  }
  if (o.op.sync || o.kernels.empty() || o.op.host_s >= 0) return false;
  for (const Kernel& k : o.kernels)
    switch (k.kind) {
      case KernelKind::gemm:
      case KernelKind::conv:
      case KernelKind::depthwise:
      case KernelKind::attention:
      case KernelKind::other: return false;
      default: break;
    }
  return true;
}

// Whether Inductor lays a GPU model's convolutions out channels-last (GraphLowering.decide_layout_opt
// in PyTorch 2.x, inference): when the convolutions' FLOPs weighted by the measured channels-last
// speed-up of each kind (grouped 1.358, others at most 0.823 - the default kind's factor is taken for
// all of them here) do not exceed their plain FLOPs. Then cuDNN works on NHWC tensors directly and
// the layout transforms around its tensor-core kernels go.
bool inductor_channels_last(const std::vector<OpKernels>& ops) {
  double total = 0, weighted = 0;
  for (const auto& o : ops)
    for (const Kernel& k : o.kernels) {
      if (k.kind == KernelKind::conv) total += k.flops, weighted += 0.823 * k.flops;
      if (k.kind == KernelKind::depthwise) total += k.flops, weighted += 1.358 * k.flops;
    }
  return total > 0 && weighted <= total;
}

// A convolution run on NHWC tensors: cuDNN's layout transforms around it go; work a trace filed on
// them (split among an op's kernels) stays with the convolution.
void drop_layout_transforms(OpKernels& o) {
  double moved = 0;
  for (const Kernel& k : o.kernels) moved += k.kind == KernelKind::layout ? k.flops : 0;
  o.kernels.erase(std::remove_if(o.kernels.begin(), o.kernels.end(),
                                 [](const Kernel& k) { return k.kind == KernelKind::layout; }),
                  o.kernels.end());
  for (Kernel& k : o.kernels)
    if (k.kind == KernelKind::conv && moved > 0) k.flops += moved, moved = 0;
}

// torch.compile's default backend (Inductor), mode "default": TorchDynamo captures the forward as one
// graph of aten ops, so Python module calls, dropout in eval and views (folded into the generated
// kernels' indexing) are gone; consecutive ops Inductor generates code for become one kernel (the
// scheduler fuses pointwise producers into their consumers and a reduction with the pointwise ops
// around it; a second reduction starts a new kernel here, where Inductor fuses reductions of the same
// size too); GEMMs, convolutions and attention stay library calls (extern kernels). On a GPU a
// convolution's bias is peeled off into the generated kernel after it (the lowering of
// aten.convolution: "cudnn is slower with it"; on a CPU oneDNN keeps it), nn.Linear's bias goes the
// same way before pointwise ops (post_grad's should_prefer_unfused_addmm: GPUs only; modelled only for
// the convolution's bias kernel, which the builder records apart), and convolutions run channels-last
// when inductor_channels_last says so. Every op left is one call of the generated wrapper.
void inductor_fusions(Workload& w, const PassContext& c) {
  auto ops = unpack(w);
  const bool channels_last = c.gpu && inductor_channels_last(ops);
  const std::uint32_t name = w.intern("inductor::fused_kernel"), kernel_name = w.intern("fused_generated");
  std::vector<OpKernels> out, group;
  out.reserve(ops.size());
  int reductions = 0;
  auto flush = [&] {
    if (!group.empty()) out.push_back(fuse_group(w, group, name, kernel_name));
    group.clear();
    reductions = 0;
  };
  auto add_to_group = [&](OpKernels&& o) {
    int r = 0;
    for (const Kernel& k : o.kernels) r += inductor_reduction(k.kind) ? 1 : 0;
    if (reductions + r > 1) flush();
    reductions += r;
    group.push_back(std::move(o));
  };
  for (auto& o : ops) {
    if (is_module_class(o.op.cls) || o.op.noop) continue;
    if (o.kernels.empty() && !o.op.sync && o.op.host_s < 0) continue;  // views, allocations
    if (inductor_generated(o)) {
      add_to_group(std::move(o));
      continue;
    }
    flush();
    if (o.op.cls == OpClass::conv && c.gpu) {
      OpKernels bias;
      if (!o.kernels.empty() && o.kernels.back().kind == KernelKind::strided) {
        bias.op = o.op;
        bias.op.cls = OpClass::elementwise;
        bias.kernels.push_back(o.kernels.back());
        o.kernels.pop_back();
      }
      if (channels_last) drop_layout_transforms(o);
      out.push_back(std::move(o));
      if (!bias.kernels.empty()) add_to_group(std::move(bias));
      continue;
    }
    out.push_back(std::move(o));
  }
  flush();
  pack(w, out);
}

// TensorRT 10.x building an engine from the exported graph (fp16 or TF32 tactics, timed per layer),
// as its developer guide's layer fusion catalog and its attention fusion describe them. The engine
// holds no Python, no module calls, no dropout, no host checks (an export leaves none: a sync op goes
// with its read-back kernel), no allocations (constants are the engine's weights), no views
// (Shuffle layers that only reshape are eliminated) and no concatenations (the layers before one
// write their outputs into its buffer); what is left:
// - multi-head attention written as primitives (a batched MatMul, pointwise scale and mask, one
//   Softmax, a batched MatMul, and the copy that merges the heads) becomes one fused attention
//   kernel, as an SDPA op already is (its library's memset goes);
// - a GEMM or a convolution keeps its main kernel, the one TensorRT's tactic timing picks (at least as
//   fast as cuBLAS's or cuDNN's for the shape, timed on the device's curves); the library's extra
//   kernels go (NCHW<->NHWC transforms: the engine keeps its tensors in the layout its tactics
//   want; workspace memsets), and its bias, the folded batch norm's bias (run fold_batch_norm
//   first) and the pointwise ops after it of the same size (activation, the residual add of a
//   ResNet block and the activation after it, GELU after a linear) run in its epilogue, reading
//   only their other inputs;
// - runs of the other pointwise ops, norms, softmax, reductions and copies (Shuffle, casts,
//   concatenation: TensorRT's pointwise fusion and Myelin's fusion of LayerNorm with the residual
//   and bias around it) become one kernel, at most one reduction each, as fuse_pointwise;
// - pooling, gathers and what TensorRT has no fusion for stay kernels of their own.
// Not modelled: horizontal fusion (the Q, K and V projections of one input as one GEMM), reformat
// layers at the engine's inputs and outputs, and fusions across a pooling layer.
bool is_matrix(KernelKind k) {
  return k == KernelKind::gemm || k == KernelKind::conv || k == KernelKind::depthwise || k == KernelKind::attention;
}

// A pointwise op a GEMM's or convolution's epilogue can take: one pointwise kernel.
bool epilogue_member(const OpKernels& o) {
  return o.op.cls == OpClass::elementwise && !o.op.sync && o.op.host_s < 0 && o.kernels.size() == 1 &&
         (o.kernels.front().kind == KernelKind::elementwise || o.kernels.front().kind == KernelKind::strided);
}

// Moves pointwise kernel `k` into matrix kernel `main`'s epilogue: its work is done there, and it reads
// only its inputs other than the matrix product's output (out_bytes: that output's size).
void into_epilogue(Kernel& main, const Kernel& k, double out_bytes) {
  main.flops += k.flops;
  main.bytes += std::max(0.0, k.bytes - 2 * out_bytes);
}

// An attention written as primitives from ops[i] on (ops with kernels only): a batched MatMul, pointwise
// ops, exactly one softmax, a batched MatMul. Returns the index of the second MatMul, or 0.
std::size_t attention_pattern_end(const std::vector<OpKernels>& ops, std::size_t i) {
  auto single_gemm = [&](std::size_t j) {
    return j < ops.size() && ops[j].op.cls == OpClass::matmul && ops[j].kernels.size() == 1 &&
           ops[j].kernels.front().kind == KernelKind::gemm;
  };
  if (!single_gemm(i)) return 0;
  int softmaxes = 0;
  std::size_t j = i + 1;
  for (; j < ops.size(); ++j) {
    if (ops[j].op.cls == OpClass::softmax && ops[j].kernels.size() == 1) {
      ++softmaxes;
      continue;
    }
    if (!epilogue_member(ops[j])) break;
  }
  return softmaxes == 1 && single_gemm(j) ? j : 0;
}

void tensorrt_fusions(Workload& w, const PassContext& c) {
  if (!c.gpu) return;  // TensorRT builds engines for GPUs only (check_runs_on refuses a CPU device)
  const double elem = bytes_per_element(w.config.dtype);
  auto ops = unpack(w);
  std::vector<OpKernels> kept;
  kept.reserve(ops.size());
  const std::uint32_t cat = w.intern("aten::cat");
  for (auto& o : ops)
    if (!is_module_class(o.op.cls) && !o.op.noop && !o.op.sync && o.op.cls != OpClass::alloc &&
        o.op.name != cat && !o.kernels.empty())
      kept.push_back(std::move(o));

  const std::uint32_t mha = w.intern("tensorrt::fused_mha"), mha_kernel = w.intern("fused_attention");
  std::vector<OpKernels> out;
  out.reserve(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const std::size_t end = attention_pattern_end(kept, i);
    OpKernels o = std::move(kept[i]);
    if (end) {
      const Kernel& qk = o.kernels.front();
      const Kernel& pv = kept[end].kernels.front();
      Kernel a = qk;
      a.name = mha_kernel;
      a.kind = KernelKind::attention;
      a.flops = qk.flops + pv.flops;
      for (std::size_t j = i + 1; j < end; ++j) a.flops += kept[j].kernels.front().flops;
      a.bytes = std::max(0.0, qk.bytes + pv.bytes - 2 * qk.m * qk.n * elem);  // the scores stay on chip
      o.op.name = mha;
      o.op.cls = OpClass::attention;
      o.kernels.assign(1, a);
      out.push_back(std::move(o));
      i = end;
      // The heads merged back (a transpose made contiguous): the fused kernel writes that layout itself.
      if (i + 1 < kept.size() && kept[i + 1].op.cls == OpClass::copy && kept[i + 1].kernels.size() == 1) ++i;
      continue;
    }
    const bool library = o.op.cls == OpClass::linear || o.op.cls == OpClass::matmul || o.op.cls == OpClass::conv ||
                         o.op.cls == OpClass::attention;
    auto main = std::find_if(o.kernels.rbegin(), o.kernels.rend(), [](const Kernel& k) { return is_matrix(k.kind); });
    if (!library || main == o.kernels.rend()) {
      out.push_back(std::move(o));
      continue;
    }
    drop_layout_transforms(o);  // moves their traced work to the convolution, so take it afterwards
    Kernel m = *std::find_if(o.kernels.rbegin(), o.kernels.rend(), [](const Kernel& k) { return is_matrix(k.kind); });
    const double out_bytes = m.kind == KernelKind::attention ? 0 : m.m * m.n * elem;
    for (const Kernel& k : o.kernels)  // the bias and split-K epilogues; memsets go
      if (!is_matrix(k.kind) && (k.kind == KernelKind::elementwise || k.kind == KernelKind::strided))
        into_epilogue(m, k, out_bytes);
    o.kernels.assign(1, m);
    // The pointwise ops after a GEMM or convolution on its output's elements join its epilogue.
    while (m.kind != KernelKind::attention && i + 1 < kept.size() && epilogue_member(kept[i + 1])) {
      const Kernel& k = kept[i + 1].kernels.front();
      if (k.out_bytes > 0 && k.out_bytes != out_bytes) break;  // another shape: not its consumer alone
      into_epilogue(o.kernels.front(), k, out_bytes);
      ++i;
    }
    out.push_back(std::move(o));
  }
  pack(w, out);
  fuse_chains(w, w.intern("tensorrt::PointWise"), w.intern("fused_pointwise"), any_group,
              [](const Workload&, const OpKernels& o) { return fusible_as(o, true, false); });
}

// The host waits for the GPU after every FusedConv (on a GPU): under ONNX Runtime 1.12 with cuDNN 8,
// whose cudnnConvolutionBiasActivationForward ran FusedConv, the host did not run ahead of its
// convolutions. Seen in the batch signature of the paper's fp32 ONNX Runtime runs (RTX 8000, where
// every FusedConv is fp32): ResNet-50's latency grows from batch 1 to 16 at the predicted kernel time
// per image but starts about 1.5 ms above it, about the host's whole time per call, where the same models
// in fp16 (plain Conv nodes, no FusedConv) stay flat at batch 1-4 while the host binds. Which call
// inside blocks is not known (a synchronizing allocation or copy in cuDNN 8's legacy fusion path are
// candidates); ONNX Runtime's PR 6351 (2021) reports that cuDNN 8 made this function much slower than
// 7.6. A GPU run of that stack under Nsight Systems would show it.
void host_waits_on_fused_conv(Workload& w, const PassContext& c) {
  if (!c.gpu) return;
  const std::uint32_t fused_conv = w.intern("FusedConv");
  for (Op& op : w.ops)
    if (op.name == fused_conv) op.sync = true;
}

const std::vector<WorkloadPass> kPasses = {
    {"drop_noop_ops", "remove ops that compute nothing in inference (dropout)", drop_noop_ops},
    {"fold_batch_norm", "fold inference batch norms into the convolutions before them", fold_batch_norm},
    {"fuse_pointwise", "fuse chains of pointwise ops, norms and reductions into one GPU kernel (nvFuser)",
     fuse_pointwise},
    {"fuse_pointwise_te",
     "fuse chains of functional pointwise ops into one GPU kernel (PyTorch's TensorExpr fuser, NNC: no "
     "in-place ops, norms or reductions)",
     fuse_pointwise_te},
    {"ort_fusions",
     "ONNX Runtime's graph fusions up to 1.19: conv+bias(+add)+activation (CUDA FusedConv, CPU NCHWc Conv with "
     "one ReorderOutput), skip layer norm, attention, GELU",
     ort_fusions},
    {"ort_fusions_cudnn9",
     "ONNX Runtime's graph fusions from 1.20 (cuDNN 9): ort_fusions' without FusedConv on the CUDA provider "
     "(convolutions keep their bias and activation nodes)",
     ort_fusions_cudnn9},
    {"host_waits_on_fused_conv",
     "the host waits for the GPU after each FusedConv (ONNX Runtime 1.12's cuDNN 8 fused convolution; "
     "run after ort_fusions)",
     host_waits_on_fused_conv},
    {"inductor_fusions",
     "torch.compile (Inductor): one generated kernel per run of pointwise ops, norms and reductions; "
     "views and module calls gone; GEMMs, convolutions, attention stay library calls",
     inductor_fusions},
    {"tensorrt_fusions",
     "TensorRT's engine: conv/GEMM + bias + activation + residual add in one kernel, fused attention, "
     "pointwise runs and norms fused, views and dropout gone",
     tensorrt_fusions},
};

}  // namespace

const std::vector<WorkloadPass>& workload_passes() { return kPasses; }

const WorkloadPass* find_workload_pass(std::string_view name) {
  for (const auto& p : kPasses)
    if (p.name == name) return &p;
  return nullptr;
}

std::string workload_pass_names() {
  std::string s;
  for (const auto& p : kPasses) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

void apply_passes(Workload& w, const std::vector<const WorkloadPass*>& passes, const PassContext& c) {
  for (const WorkloadPass* p : passes) p->run(w, c);
}

}  // namespace fwtax
