#include "model/framework.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "model/device.hpp"
#include "model/passes.hpp"

namespace fwtax {

std::string_view exec_mode_name(ExecMode m) {
  switch (m) {
    case ExecMode::eager: return "eager";
    case ExecMode::script: return "script";
    case ExecMode::graph: return "graph";
    case ExecMode::executor: return "executor";
    case ExecMode::wrapper: return "wrapper";
    case ExecMode::engine: return "engine";
  }
  return "eager";
}

bool needs_gpu(const FrameworkSpec& f) { return f.mode == ExecMode::graph || f.mode == ExecMode::engine; }

bool has_op_costs(ExecMode m) { return m != ExecMode::graph && m != ExecMode::engine; }

namespace {
// A number as a person writes it: 8, not 8.0; 1.5, not 1.5000.
std::string shortest(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// An object's optional "compute_capability_min" and "compute_capability_below" (0: absent), checked as
// compute capabilities and as a non-empty range.
void read_compute_capability_bounds(ObjectReader& r, const std::string& where, Diagnostics& diag, double& min,
                                    double& below) {
  min = r.number_or("compute_capability_min", NumberRule::at_least_one, 0);
  below = r.number_or("compute_capability_below", NumberRule::at_least_one, 0);
  check_compute_capability(min, where + "/compute_capability_min", diag);
  check_compute_capability(below, where + "/compute_capability_below", diag);
  if (min > 0 && below > 0 && below <= min)
    diag.add(where + "/compute_capability_below",
             "expected more than compute_capability_min (" + Json(min).dump() + "), got " + Json(below).dump());
}
}  // namespace

bool in_compute_capability_range(double cc, double min, double below) {
  if (min > 0 && cc > 0 && cc < min) return false;
  return !(below > 0 && (cc <= 0 || cc >= below));
}

FrameworkSpec parse_framework(const Json& j, Diagnostics& diag, const std::string& pointer) {
  FrameworkSpec f;
  ObjectReader r(j, pointer, diag);
  r.allow({"schema", "passes"});
  f.source = r.string_or("source", "");
  f.name = r.string("name");
  f.description = r.string_or("description", "");
  std::string mode = r.choice("mode", {"eager", "script", "graph", "executor", "wrapper", "engine"}, "eager");
  if (!r.has("mode") && r.ok())
    diag.add(pointer + "/mode", "missing required member (\"eager\", \"script\", \"graph\", \"executor\", "
                                "\"wrapper\" or \"engine\")");
  f.mode = mode == "graph"      ? ExecMode::graph
           : mode == "script"   ? ExecMode::script
           : mode == "executor" ? ExecMode::executor
           : mode == "wrapper"  ? ExecMode::wrapper
           : mode == "engine"   ? ExecMode::engine
                                : ExecMode::eager;
  f.version = r.string_or("version", "");
  f.static_cache_decode = r.string_or("static_cache_decode", "");
  f.hf_attention = r.choice("hf_attention", {"sdpa", "eager"}, "");
  f.sync_each_call = r.boolean_or("sync_each_call", false);
  f.fused_op_host_s = r.number_or("fused_op_host_s", NumberRule::non_negative, 0);
  f.half_conv_host_s = r.number_or("half_conv_host_s", NumberRule::non_negative, 0);
  if (const Json* g = r.object("grouped_tf32_conv_transpose", false)) {
    const std::string where = pointer + "/grouped_tf32_conv_transpose";
    ObjectReader gr(*g, where, diag);
    GroupedConvTranspose t;
    t.source = gr.string("source");
    if (gr.has("source") && (*g)["source"].is_string() && t.source.empty())
      diag.add(where + "/source", "expected where the numbers come from, got an empty string");
    read_compute_capability_bounds(gr, where, diag, t.compute_capability_min, t.compute_capability_below);
    t.min_rows = gr.number("min_rows", NumberRule::at_least_one);
    if (t.min_rows != std::floor(t.min_rows))
      diag.add(where + "/min_rows", "expected a whole number of output rows (N x H x W), got " +
                                        shortest(t.min_rows));
    t.bandwidth_fraction = gr.number("bandwidth_fraction", NumberRule::positive);
    if (t.bandwidth_fraction > 1)
      diag.add(where + "/bandwidth_fraction",
               "expected a share of the DRAM bandwidth in (0, 1], got " + shortest(t.bandwidth_fraction));
    gr.finish();
    f.grouped_tf32_conv_transpose = t;
  }
  f.conv_workspace_limit_bytes = r.number_or("conv_workspace_limit_bytes", NumberRule::non_negative, 0);
  f.winograd_conv_speedup = r.number_or("winograd_conv_speedup", NumberRule::at_least_one, 1);
  f.cuda_graphs = r.boolean_or("cuda_graphs", false);
  f.graph_replay_host_s = r.number_or("graph_replay_host_s", NumberRule::non_negative, 0);
  f.generated_elements_per_s = r.number_or("generated_elements_per_s", NumberRule::non_negative, 0);
  f.generated_clamp_elements_per_s = r.number_or("generated_clamp_elements_per_s", NumberRule::non_negative, 0);
  if (const Json* rates = r.object("kernel_flops_per_s", false)) {
    ObjectReader kr(*rates, pointer + "/kernel_flops_per_s", diag);
    f.kernel_rates_source = kr.string("source");
    if (kr.has("conv"))
      f.conv_flops_per_s = read_shape_table((*rates)["conv"], kr.pointer() + "/conv", diag, "flops_per_s", NumberRule::positive);
    if (kr.has("gemm"))
      f.gemm_flops_per_s = read_shape_table((*rates)["gemm"], kr.pointer() + "/gemm", diag, "flops_per_s", NumberRule::positive);
    if (!kr.has("conv") && !kr.has("gemm") && kr.ok())
      diag.add(kr.pointer(), "expected \"conv\" or \"gemm\" (rows [m, n, k, flops_per_s]) beside \"source\"");
    kr.allow({"conv", "gemm"});
    kr.finish();
  }
  if (f.cuda_graphs && f.mode == ExecMode::graph)
    diag.add(pointer + "/cuda_graphs", "expected false or absent in mode \"graph\" (it always replays a graph)");
  const bool per_op = has_op_costs(f.mode);
  f.reference_host = f.mode != ExecMode::graph ? r.string("reference_host") : r.string_or("reference_host", "");
  f.call_host_s = r.number("call_host_s", NumberRule::non_negative);
  f.extra_kernel_host_s = r.number_or("extra_kernel_host_s", NumberRule::non_negative, 0);
  f.guard_host_s = r.number_or("guard_host_s", NumberRule::non_negative, 0);
  f.guards_per_module_call = r.number_or("guards_per_module_call", NumberRule::non_negative, 0);
  f.tf32_matmul = r.boolean_or("tf32_matmul", false);
  f.tf32_conv = r.boolean_or("tf32_conv", true);
  f.gemm_split_k = r.boolean_or("gemm_split_k", true);
  if (r.has("passes")) {
    const Json& p = j["passes"];
    if (!p.is_array()) {
      diag.add(pointer + "/passes", "expected an array of pass names (" + workload_pass_names() + ")");
    } else {
      for (std::size_t i = 0; i < p.size(); ++i) {
        std::string where = pointer + "/passes/" + std::to_string(i);
        FrameworkPass step;
        std::string name_at = where;
        if (p[i].is_string()) {
          step.name = p[i].get<std::string>();
        } else if (p[i].is_object()) {
          ObjectReader pr(p[i], where, diag);
          pr.allow({"source"});
          step.name = pr.string("pass");
          read_compute_capability_bounds(pr, where, diag, step.compute_capability_min, step.compute_capability_below);
          pr.finish();
          name_at = where + "/pass";
          if (step.name.empty()) continue;  // missing or not a string: reported by the reader
        } else {
          diag.add(where, "expected a pass name (" + workload_pass_names() + ") or {\"pass\": name, ...}, got " +
                              p[i].dump());
          continue;
        }
        if (!find_workload_pass(step.name))
          diag.add(name_at, "unknown pass \"" + step.name + "\" - passes are " + workload_pass_names());
        else
          f.passes.push_back(step);
      }
    }
  }
  if (f.mode == ExecMode::engine && r.has("op_host_s"))
    diag.add(pointer + "/op_host_s",
             "expected absent in mode \"engine\" (the engine's enqueue launches its kernels: no per-op dispatch)");
  std::array<bool, kOpClassCount> host_given{};  // op_host_s has the class (else its error is reported)
  if (const Json* costs = r.object("op_host_s", per_op)) {
    ObjectReader cr(*costs, pointer + "/op_host_s", diag);
    f.op_host_source = cr.string_or("source", "");
    auto fallback = cr.optional_number("default", NumberRule::non_negative);
    // Classes that came later, priced for profiles written before they had a price: a model's own
    // forward as a heavy module, generate()'s setup and its loop per step as their measured numbers of
    // leaf module calls. Read after the classes they derive from (the enum's order).
    static_assert(OpClass::module_leaf < OpClass::module_model && OpClass::module_heavy < OpClass::module_model);
    auto later = [&](OpClass c) -> std::optional<double> {
      const double leaf = f.op_host_s[static_cast<int>(OpClass::module_leaf)];
      switch (c) {
        case OpClass::module_model: return f.op_host_s[static_cast<int>(OpClass::module_heavy)];
        case OpClass::module_generate: return kGenerateSetupLeafUnits * leaf;
        case OpClass::module_generate_step: return kGenerateStepLeafUnits * leaf;
        default: return std::nullopt;
      }
    };
    for (int i = 0; i < kOpClassCount; ++i) {
      auto key = op_class_name(static_cast<OpClass>(i));
      const auto otherwise = fallback ? fallback : later(static_cast<OpClass>(i));
      host_given[i] = otherwise || cr.has(key);
      f.op_host_s[i] = otherwise ? cr.number_or(key, NumberRule::non_negative, *otherwise)
                                 : cr.number(key, NumberRule::non_negative);
    }
    cr.finish();
  }
  if (const Json* py = r.object("op_python_s", false)) {
    ObjectReader pr(*py, pointer + "/op_python_s", diag);
    f.op_python_source = pr.string_or("source", "");
    for (int i = 0; i < kOpClassCount; ++i) {
      auto cls = static_cast<OpClass>(i);
      auto key = op_class_name(cls);
      if (is_module_class(cls)) {
        if (pr.has(key))
          diag.add(pointer + "/op_python_s/" + std::string(key),
                   "expected absent: a module call's cost is Python whole (its op_host_s)");
        continue;
      }
      f.op_python_s[i] = pr.number_or(key, NumberRule::non_negative, 0);
      if (host_given[i] && f.op_python_s[i] > f.op_host_s[i]) {
        char msg[160];
        std::snprintf(msg, sizeof msg, "expected at most op_host_s/%s (%g), the op's whole host cost, got %g",
                      std::string(key).c_str(), f.op_host_s[i], f.op_python_s[i]);
        diag.add(pointer + "/op_python_s/" + std::string(key), msg);
      }
    }
    pr.finish();
  }
  // A host cost of a second or more per op or per call is a unit slip (milliseconds or microseconds
  // written as seconds), not a framework: the slowest host costs measured are about a millisecond.
  auto bounded = [&](const std::string& at, double v) {
    if (v >= kMaxHostCostS) {
      char msg[120];
      std::snprintf(msg, sizeof msg, "expected a host time in seconds below %g (a unit slip?), got %g", kMaxHostCostS, v);
      diag.add(pointer + at, msg);
    }
  };
  bounded("/call_host_s", f.call_host_s);
  bounded("/extra_kernel_host_s", f.extra_kernel_host_s);
  bounded("/fused_op_host_s", f.fused_op_host_s);
  bounded("/half_conv_host_s", f.half_conv_host_s);
  bounded("/graph_replay_host_s", f.graph_replay_host_s);
  bounded("/guard_host_s", f.guard_host_s);
  if (f.guards_per_module_call > 1e4)
    diag.add(pointer + "/guards_per_module_call", "expected at most 10000 guards per module call, got " +
                                                      std::to_string(f.guards_per_module_call));
  for (int i = 0; i < kOpClassCount; ++i)
    bounded("/op_host_s/" + std::string(op_class_name(static_cast<OpClass>(i))), f.op_host_s[i]);
  r.finish();
  return f;
}

Json framework_to_json(const FrameworkSpec& f) {
  Json j = {{"name", f.name}, {"mode", exec_mode_name(f.mode)}, {"call_host_s", f.call_host_s}};
  if (!f.description.empty()) j["description"] = f.description;
  if (!f.version.empty()) j["version"] = f.version;
  if (!f.static_cache_decode.empty()) j["static_cache_decode"] = f.static_cache_decode;
  if (!f.hf_attention.empty()) j["hf_attention"] = f.hf_attention;
  if (!f.reference_host.empty()) j["reference_host"] = f.reference_host;
  j["extra_kernel_host_s"] = f.extra_kernel_host_s;
  j["tf32_matmul"] = f.tf32_matmul;
  j["tf32_conv"] = f.tf32_conv;
  j["gemm_split_k"] = f.gemm_split_k;
  j["sync_each_call"] = f.sync_each_call;
  j["fused_op_host_s"] = f.fused_op_host_s;
  if (f.half_conv_host_s > 0) j["half_conv_host_s"] = f.half_conv_host_s;
  if (const auto& t = f.grouped_tf32_conv_transpose) {
    Json g = {{"min_rows", t->min_rows}, {"bandwidth_fraction", t->bandwidth_fraction}, {"source", t->source}};
    if (t->compute_capability_min > 0) g["compute_capability_min"] = t->compute_capability_min;
    if (t->compute_capability_below > 0) g["compute_capability_below"] = t->compute_capability_below;
    j["grouped_tf32_conv_transpose"] = g;
  }
  j["conv_workspace_limit_bytes"] = f.conv_workspace_limit_bytes;
  j["winograd_conv_speedup"] = f.winograd_conv_speedup;
  j["cuda_graphs"] = f.cuda_graphs;
  j["graph_replay_host_s"] = f.graph_replay_host_s;
  if (f.guard_host_s > 0) j["guard_host_s"] = f.guard_host_s;
  if (f.guards_per_module_call > 0) j["guards_per_module_call"] = f.guards_per_module_call;
  j["generated_elements_per_s"] = f.generated_elements_per_s;
  j["generated_clamp_elements_per_s"] = f.generated_clamp_elements_per_s;
  if (!f.conv_flops_per_s.empty() || !f.gemm_flops_per_s.empty()) {
    Json rates = {{"source", f.kernel_rates_source}};
    if (!f.conv_flops_per_s.empty()) rates["conv"] = shape_efficiency_to_json(f.conv_flops_per_s);
    if (!f.gemm_flops_per_s.empty()) rates["gemm"] = shape_efficiency_to_json(f.gemm_flops_per_s);
    j["kernel_flops_per_s"] = rates;
  }
  if (!f.passes.empty()) {
    Json steps = Json::array();
    for (const FrameworkPass& step : f.passes) {
      if (step.compute_capability_min <= 0 && step.compute_capability_below <= 0) {
        steps.push_back(step.name);
        continue;
      }
      Json o{{"pass", step.name}};
      if (step.compute_capability_min > 0) o["compute_capability_min"] = step.compute_capability_min;
      if (step.compute_capability_below > 0) o["compute_capability_below"] = step.compute_capability_below;
      steps.push_back(o);
    }
    j["passes"] = steps;
  }
  if (has_op_costs(f.mode)) {
    Json costs = Json::object();
    for (int i = 0; i < kOpClassCount; ++i) costs[std::string(op_class_name(static_cast<OpClass>(i)))] = f.op_host_s[i];
    if (!f.op_host_source.empty()) costs["source"] = f.op_host_source;
    j["op_host_s"] = costs;
    if (std::any_of(f.op_python_s.begin(), f.op_python_s.end(), [](double v) { return v > 0; })) {
      Json py = Json::object();
      for (int i = 0; i < kOpClassCount; ++i)
        if (!is_module_class(static_cast<OpClass>(i)))
          py[std::string(op_class_name(static_cast<OpClass>(i)))] = f.op_python_s[i];
      if (!f.op_python_source.empty()) py["source"] = f.op_python_source;
      j["op_python_s"] = py;
    }
  }
  if (!f.source.empty()) j["source"] = f.source;
  return j;
}

}  // namespace fwtax
