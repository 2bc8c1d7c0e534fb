#include "model/framework.hpp"

namespace fwtax {

std::string_view exec_mode_name(ExecMode m) {
  switch (m) {
    case ExecMode::eager: return "eager";
    case ExecMode::script: return "script";
    case ExecMode::graph: return "graph";
  }
  return "eager";
}

FrameworkSpec parse_framework(const Json& j, Diagnostics& diag, const std::string& pointer) {
  FrameworkSpec f;
  ObjectReader r(j, pointer, diag);
  r.allow({"source", "schema"});
  f.name = r.string("name");
  f.description = r.string_or("description", "");
  std::string mode = r.choice("mode", {"eager", "script", "graph"}, "eager");
  if (!r.has("mode") && r.ok()) diag.add(pointer + "/mode", "missing required member (\"eager\", \"script\" or \"graph\")");
  f.mode = mode == "graph" ? ExecMode::graph : mode == "script" ? ExecMode::script : ExecMode::eager;
  bool per_op = f.mode != ExecMode::graph;
  f.reference_host = per_op ? r.string("reference_host") : r.string_or("reference_host", "");
  f.call_host_s = r.number("call_host_s", NumberRule::non_negative);
  f.extra_kernel_host_s = r.number_or("extra_kernel_host_s", NumberRule::non_negative, 0);
  f.tf32_matmul = r.boolean_or("tf32_matmul", false);
  f.tf32_conv = r.boolean_or("tf32_conv", true);
  f.fold_batch_norm = r.boolean_or("fold_batch_norm", false);
  f.drop_noop_ops = r.boolean_or("drop_noop_ops", false);
  if (const Json* costs = r.object("op_host_s", per_op)) {
    ObjectReader cr(*costs, pointer + "/op_host_s", diag);
    cr.allow({"source"});
    auto fallback = cr.optional_number("default", NumberRule::non_negative);
    for (int i = 0; i < kOpClassCount; ++i) {
      auto key = op_class_name(static_cast<OpClass>(i));
      if (fallback)
        f.op_host_s[i] = cr.number_or(key, NumberRule::non_negative, *fallback);
      else
        f.op_host_s[i] = cr.number(key, NumberRule::non_negative);
    }
    cr.finish();
  }
  r.finish();
  return f;
}

}  // namespace fwtax
