#include "model/workload.hpp"

#include <array>

namespace fwtax {
namespace {
constexpr std::array<std::string_view, kKernelKindCount> kKindNames = {
    "gemm", "conv", "depthwise", "attention", "elementwise", "reduction", "norm", "batch_norm", "softmax",
    "gather", "pool", "copy", "layout", "strided", "memset", "other"};
constexpr std::array<std::string_view, kOpClassCount> kClassNames = {
    "view",  "alloc",     "elementwise", "linear", "matmul",      "conv",         "batch_norm",
    "layer_norm", "softmax", "attention", "fused_layer", "embedding", "pool", "reduction", "copy", "other",
    "module_leaf", "module_block", "module_heavy", "module_fastpath", "module_model", "module_generate",
    "module_generate_step"};
}  // namespace

std::string_view elem_func_name(ElemFunc f) {
  static constexpr std::array<std::string_view, kElemFuncCount> names = {"none", "tanh", "erf", "exp",
                                                                         "sigmoid", "silu", "gelu"};
  return names[static_cast<int>(f)];
}
ElemFunc elem_func_of(std::string_view aten) {
  if (aten.substr(0, 6) == "aten::") aten.remove_prefix(6);
  if (!aten.empty() && aten.back() == '_') aten.remove_suffix(1);  // the in-place variant
  for (int i = 1; i < kElemFuncCount; ++i)
    if (elem_func_name(static_cast<ElemFunc>(i)) == aten) return static_cast<ElemFunc>(i);
  return ElemFunc::none;
}

void mark_function(Kernel& k, std::string_view aten, double elements) {
  ElemFunc f = elem_func_of(aten);
  if (f == ElemFunc::none) return;
  k.func = f;
  k.elements = elements;
}

std::string_view kernel_kind_name(KernelKind k) { return kKindNames[static_cast<int>(k)]; }
std::optional<KernelKind> parse_kernel_kind(std::string_view s) {
  for (int i = 0; i < kKernelKindCount; ++i)
    if (kKindNames[i] == s) return static_cast<KernelKind>(i);
  return std::nullopt;
}
std::string_view op_class_name(OpClass c) { return kClassNames[static_cast<int>(c)]; }

std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::forward: return "forward";
    case Phase::prefill: return "prefill";
    case Phase::decode: return "decode";
  }
  return "forward";
}
std::optional<OpClass> parse_op_class(std::string_view s) {
  for (int i = 0; i < kOpClassCount; ++i)
    if (kClassNames[i] == s) return static_cast<OpClass>(i);
  return std::nullopt;
}
bool is_module_class(OpClass c) {
  return c == OpClass::module_leaf || c == OpClass::module_block || c == OpClass::module_heavy ||
         c == OpClass::module_fastpath || c == OpClass::module_model || c == OpClass::module_generate ||
         c == OpClass::module_generate_step;
}

std::uint32_t Workload::intern(std::string_view s) {
  std::string key(s);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(names.size());
  names.push_back(key);
  index_.emplace(std::move(key), id);
  return id;
}

void Workload::append_ops(const Workload& src, std::size_t first_op) {
  for (std::size_t i = first_op; i < src.ops.size(); ++i) {
    Op op = src.ops[i];
    op.name = intern(src.name(op.name));
    if (op.scope) op.scope = intern(src.name(op.scope));  // 0: none recorded
    if (op.module) op.module = intern(src.name(op.module));
    op.first_kernel = static_cast<std::uint32_t>(kernels.size());
    for (std::uint32_t j = 0; j < op.kernel_count; ++j) {
      Kernel k = src.kernels[src.ops[i].first_kernel + j];
      k.name = intern(src.name(k.name));
      kernels.push_back(k);
    }
    ops.push_back(op);
  }
}

double Workload::total_flops() const {
  double f = 0;
  for (const auto& k : kernels) f += k.flops;
  return f;
}

double Workload::total_bytes() const {
  double b = 0;
  for (const auto& k : kernels) b += k.bytes;
  return b;
}

std::size_t Workload::framework_op_count() const {
  std::size_t n = 0;
  for (const auto& op : ops) n += is_module_class(op.cls) ? 0 : 1;
  return n;
}

}  // namespace fwtax
