#include "model/device.hpp"

#include <cmath>
#include <cstdio>

namespace fwtax {
namespace {

const std::vector<std::string> kKinds = {"gpu", "cpu"};

void read_math_shapes(const Json* obj, const std::string& ptr, Diagnostics& diag,
                      std::array<ShapeEfficiency, kMathCount>& out) {
  if (!obj) return;
  ObjectReader r(*obj, ptr, diag);
  r.allow({"source"});
  for (int i = 0; i < kMathCount; ++i) {
    auto key = math_name(static_cast<Math>(i));
    if (const Json* c = r.member(key)) out[i] = read_shape_efficiency(*c, pointer_join(ptr, key), diag);
  }
  r.finish();
}

void read_math_curves(const Json* obj, const std::string& ptr, Diagnostics& diag,
                      std::array<Curve, kMathCount>& out) {
  if (!obj) return;
  ObjectReader r(*obj, ptr, diag);
  r.allow({"source"});
  for (int i = 0; i < kMathCount; ++i) {
    auto key = math_name(static_cast<Math>(i));
    if (const Json* c = r.member(key)) out[i] = read_curve(*c, pointer_join(ptr, key), diag, NumberRule::fraction);
  }
  r.finish();
}

// An object of positive numbers keyed by an enum's names (and a "source"): entries [first, N) of `out`,
// each `fallback` where the object, or its key, is absent.
template <typename E, std::size_t N>
void read_named_numbers(const Json* obj, const std::string& ptr, Diagnostics& diag, std::array<double, N>& out,
                        std::string_view (*name)(E), double fallback, std::size_t first = 0) {
  for (std::size_t i = first; i < N; ++i) out[i] = fallback;
  if (!obj) return;
  ObjectReader r(*obj, ptr, diag);
  r.allow({"source"});
  for (std::size_t i = first; i < N; ++i) out[i] = r.number_or(name(static_cast<E>(i)), NumberRule::positive, fallback);
  r.finish();
}

}  // namespace

void check_compute_capability(double cc, const std::string& where, Diagnostics& diag) {
  if (cc >= kMaxComputeCapability)
    diag.add(where, "expected major.minor below " + std::to_string(static_cast<int>(kMaxComputeCapability)) +
                        " (e.g. 8.6), got " + describe(Json(cc)));
}

DeviceSpec parse_device(const Json& j, Diagnostics& diag) {
  DeviceSpec d;
  ObjectReader r(j, "", diag);
  r.allow({"source", "schema", "calibration"});
  d.name = r.string("name");
  d.description = r.string_or("description", "");
  d.kind = r.choice("kind", kKinds, "gpu") == "cpu" ? DeviceKind::cpu : DeviceKind::gpu;
  if (!r.has("kind") && r.ok()) diag.add("/kind", "missing required member (\"gpu\" or \"cpu\")");
  if (const Json* h = r.member("host"); h && h->is_object()) {  // a host measured with the device
    d.host_profile.push_back(parse_host(*h, diag, "/host"));
    d.host = d.host_profile.back().name;
  } else {
    d.host = r.string("host");
  }
  if (const Json* fw = r.object("frameworks", false)) {
    for (auto it = fw->begin(); it != fw->end(); ++it) {
      d.frameworks.push_back(parse_framework(it.value(), diag, pointer_join("/frameworks", it.key())));
      if (d.frameworks.back().name != it.key())
        diag.add(pointer_join("/frameworks", it.key()) + "/name",
                 "expected the key's name \"" + it.key() + "\", got \"" + d.frameworks.back().name + "\"");
    }
  }
  d.parallel_units = r.number_or("parallel_units", NumberRule::at_least_one, 0);
  d.compute_capability = r.number_or("compute_capability", NumberRule::at_least_one, 0);
  check_compute_capability(d.compute_capability, "/compute_capability", diag);
  if (d.kind == DeviceKind::cpu && r.has("compute_capability"))
    diag.add("/compute_capability", "expected absent for a CPU device (a CUDA compute capability, GPUs only)");

  if (const Json* p = r.object("peak_flops_per_s", true)) {
    ObjectReader pr(*p, "/peak_flops_per_s", diag);
    pr.allow({"source"});
    for (int i = 0; i < kMathCount; ++i)
      d.peak_flops_per_s[i] = pr.number_or(math_name(static_cast<Math>(i)), NumberRule::positive, 0);
    pr.finish();
    if (pr.ok() && d.peak_flops_per_s[static_cast<int>(Math::fp32_simt)] <= 0 &&
        !pr.has("fp32_simt"))
      diag.add("/peak_flops_per_s/fp32_simt", "missing required member (every device computes in fp32)");
  }
  if (const Json* m = r.object("memory", true)) {
    ObjectReader mr(*m, "/memory", diag);
    mr.allow({"source"});
    d.memory_bandwidth_bytes_per_s = mr.number("bandwidth_bytes_per_s", NumberRule::positive);
    d.memory_capacity_bytes = mr.number_or("capacity_bytes", NumberRule::positive, 0);
    mr.finish();
  }
  if (const Json* e = r.object("efficiency", true)) {
    ObjectReader er(*e, "/efficiency", diag);
    er.allow({"source"});
    d.efficiency_like = er.string_or("like", "");
    read_math_curves(er.object("gemm", false), "/efficiency/gemm", diag, d.gemm_efficiency);
    read_math_curves(er.object("linear", false), "/efficiency/linear", diag, d.linear_efficiency);
    read_math_curves(er.object("conv", false), "/efficiency/conv", diag, d.conv_efficiency);
    read_math_curves(er.object("attention", false), "/efficiency/attention", diag, d.attention_efficiency);
    read_math_shapes(er.object("gemm_shapes", false), "/efficiency/gemm_shapes", diag, d.gemm_shapes);
    read_math_shapes(er.object("linear_shapes", false), "/efficiency/linear_shapes", diag, d.linear_shapes);
    read_math_shapes(er.object("conv_shapes", false), "/efficiency/conv_shapes", diag, d.conv_shapes);
    if (const Json* c = er.member("memory"))
      d.memory_efficiency = read_curve(*c, "/efficiency/memory", diag, NumberRule::fraction);
    d.causal_attention_factor = er.number_or("causal_attention_factor", NumberRule::positive, 1.0);
    d.strided_elements_per_s = er.number_or("strided_elements_per_s", NumberRule::positive, 0);
    d.pool_elements_per_s = er.number_or("pool_elements_per_s", NumberRule::positive, 0);
    d.pool_window_elements_per_s = er.number_or("pool_window_elements_per_s", NumberRule::positive, 0);
    d.layout_tile_elements_per_s = er.number_or("layout_tile_elements_per_s", NumberRule::positive, 0);
    if (const Json* b = er.object("batch_norm", false)) {
      ObjectReader br(*b, "/efficiency/batch_norm", diag);
      br.allow({"source"});
      d.batch_norm.elements_per_s = br.number_or("elements_per_s", NumberRule::positive, 0);
      d.batch_norm.planes_per_s = br.number_or("planes_per_s", NumberRule::positive, 0);
      d.batch_norm.plane_elements_per_s = br.number_or("plane_elements_per_s", NumberRule::positive, 0);
      d.batch_norm.min_s = br.number_or("min_s", NumberRule::positive, 0);
      br.finish();
    }
    // ElemFunc 0 is `none`: no rate.
    read_named_numbers(er.object("function_elements_per_s", false), "/efficiency/function_elements_per_s", diag,
                       d.function_elements_per_s, elem_func_name, 0.0, 1);
    read_named_numbers(er.object("kind_time_factor", false), "/efficiency/kind_time_factor", diag, d.kind_time_factor,
                       kernel_kind_name, 1.0);
    if (er.ok() && d.efficiency_like.empty()) {
      if (d.memory_efficiency.empty() && !er.has("memory"))
        diag.add("/efficiency/memory", "missing required member (or give \"like\": a calibrated device)");
      if (d.gemm_efficiency[static_cast<int>(Math::fp32_simt)].empty() && !er.has("gemm"))
        diag.add("/efficiency/gemm", "missing required member (or give \"like\": a calibrated device)");
    }
    er.finish();
  }
  d.kernel_min_s = r.number("kernel_min_s", NumberRule::positive);
  if (const Json* l = r.object("launch", d.kind == DeviceKind::gpu)) {
    ObjectReader lr(*l, "/launch", diag);
    lr.allow({"source"});
    d.launch_host_s = lr.number("host_s", NumberRule::non_negative);
    d.launch_latency_s = lr.number("latency_s", NumberRule::non_negative);
    d.sync_s = lr.number("sync_s", NumberRule::non_negative);
    d.graph_launch_host_s = lr.number_or("graph_launch_host_s", NumberRule::non_negative, 0);
    d.graph_launch_latency_s = lr.number_or("graph_launch_latency_s", NumberRule::non_negative, 0);
    d.graph_kernel_gap_s = lr.number_or("graph_kernel_gap_s", NumberRule::non_negative, 0);
    d.stream_kernel_gap_s = lr.number_or("stream_kernel_gap_s", NumberRule::non_negative, 0);
    d.launch_measured_on = lr.string_or("measured_on_host", "");
    lr.finish();
  }
  r.finish();
  return d;
}

DeviceSources read_device_sources(const Json& j) {
  auto at = [&](std::initializer_list<const char*> path) {
    const Json* o = &j;
    for (const char* k : path) {
      if (!o->is_object() || !o->contains(k)) return std::string();
      o = &(*o)[k];
    }
    return o->is_object() ? string_member(*o, "source", "") : std::string();
  };
  DeviceSources s;
  s.profile = j.is_object() ? string_member(j, "source", "") : "";
  s.peak = at({"peak_flops_per_s"});
  s.memory = at({"memory"});
  s.efficiency = at({"efficiency"});
  s.launch = at({"launch"});
  s.kind_time_factor = at({"efficiency", "kind_time_factor"});
  s.batch_norm = at({"efficiency", "batch_norm"});
  s.function_elements_per_s = at({"efficiency", "function_elements_per_s"});
  return s;
}

Json device_to_json(const DeviceSpec& d, const DeviceSources& sources) {
  auto src = [](const std::string& s) { return Json(s.empty() ? "unspecified" : s); };
  // A nested section's source, where it has one.
  auto with_source = [](Json o, const std::string& s) {
    if (!s.empty()) o["source"] = s;
    return o;
  };
  Json j;
  j["name"] = d.name;
  j["description"] = d.description;
  j["kind"] = d.kind == DeviceKind::gpu ? "gpu" : "cpu";
  if (!d.host_profile.empty()) j["host"] = host_to_json(d.host_profile.front());
  else j["host"] = d.host;
  if (!d.frameworks.empty()) {
    Json fw = Json::object();
    for (const auto& f : d.frameworks) fw[f.name] = framework_to_json(f);
    j["frameworks"] = fw;
  }
  if (!sources.profile.empty()) j["source"] = sources.profile;
  if (d.parallel_units > 0) j["parallel_units"] = d.parallel_units;
  if (d.compute_capability > 0) j["compute_capability"] = d.compute_capability;
  Json peak;
  for (int i = 0; i < kMathCount; ++i)
    if (d.peak_flops_per_s[i] > 0) peak[std::string(math_name(static_cast<Math>(i)))] = d.peak_flops_per_s[i];
  peak["source"] = src(sources.peak);
  j["peak_flops_per_s"] = peak;
  Json mem{{"bandwidth_bytes_per_s", d.memory_bandwidth_bytes_per_s}};
  if (d.memory_capacity_bytes > 0) mem["capacity_bytes"] = d.memory_capacity_bytes;
  mem["source"] = src(sources.memory);
  j["memory"] = mem;
  Json eff;
  if (!d.efficiency_like.empty()) eff["like"] = d.efficiency_like;
  Json gemm, lin, conv, attn;
  for (int i = 0; i < kMathCount; ++i) {
    std::string k(math_name(static_cast<Math>(i)));
    if (!d.gemm_efficiency[i].empty()) gemm[k] = curve_to_json(d.gemm_efficiency[i]);
    if (!d.linear_efficiency[i].empty()) lin[k] = curve_to_json(d.linear_efficiency[i]);
    if (!d.conv_efficiency[i].empty()) conv[k] = curve_to_json(d.conv_efficiency[i]);
    if (!d.attention_efficiency[i].empty()) attn[k] = curve_to_json(d.attention_efficiency[i]);
  }
  if (!gemm.is_null()) eff["gemm"] = gemm;
  if (!lin.is_null()) eff["linear"] = lin;
  if (!conv.is_null()) eff["conv"] = conv;
  if (!attn.is_null()) eff["attention"] = attn;
  for (auto [key, arr] : {std::pair{"gemm_shapes", &d.gemm_shapes}, std::pair{"linear_shapes", &d.linear_shapes},
                          std::pair{"conv_shapes", &d.conv_shapes}}) {
    Json o;
    for (int i = 0; i < kMathCount; ++i)
      if (!(*arr)[i].empty()) o[std::string(math_name(static_cast<Math>(i)))] = shape_efficiency_to_json((*arr)[i]);
    if (!o.is_null()) eff[key] = o;
  }
  if (!d.memory_efficiency.empty()) eff["memory"] = curve_to_json(d.memory_efficiency);
  Json f;
  for (int i = 0; i < kKernelKindCount; ++i)
    if (d.kind_time_factor[i] != 1.0) f[std::string(kernel_kind_name(static_cast<KernelKind>(i)))] = d.kind_time_factor[i];
  if (!f.is_null()) eff["kind_time_factor"] = with_source(f, sources.kind_time_factor);
  if (d.causal_attention_factor != 1.0) eff["causal_attention_factor"] = d.causal_attention_factor;
  if (d.strided_elements_per_s > 0) eff["strided_elements_per_s"] = d.strided_elements_per_s;
  if (d.pool_elements_per_s > 0) eff["pool_elements_per_s"] = d.pool_elements_per_s;
  if (d.pool_window_elements_per_s > 0) eff["pool_window_elements_per_s"] = d.pool_window_elements_per_s;
  if (d.layout_tile_elements_per_s > 0) eff["layout_tile_elements_per_s"] = d.layout_tile_elements_per_s;
  Json fn;
  for (int i = 1; i < kElemFuncCount; ++i)
    if (d.function_elements_per_s[i] > 0) fn[std::string(elem_func_name(static_cast<ElemFunc>(i)))] = d.function_elements_per_s[i];
  if (!fn.is_null()) eff["function_elements_per_s"] = with_source(fn, sources.function_elements_per_s);
  Json bn;
  for (auto [key, v] : {std::pair{"elements_per_s", d.batch_norm.elements_per_s},
                        std::pair{"planes_per_s", d.batch_norm.planes_per_s},
                        std::pair{"plane_elements_per_s", d.batch_norm.plane_elements_per_s},
                        std::pair{"min_s", d.batch_norm.min_s}})
    if (v > 0) bn[key] = v;
  if (!bn.is_null()) eff["batch_norm"] = with_source(bn, sources.batch_norm);
  eff["source"] = src(sources.efficiency);
  j["efficiency"] = eff;
  j["kernel_min_s"] = d.kernel_min_s;
  if (d.kind == DeviceKind::gpu) {
    j["launch"] = {{"host_s", d.launch_host_s},
                   {"latency_s", d.launch_latency_s},
                   {"sync_s", d.sync_s},
                   {"graph_launch_host_s", d.graph_launch_host_s},
                   {"graph_launch_latency_s", d.graph_launch_latency_s},
                   {"graph_kernel_gap_s", d.graph_kernel_gap_s},
                   {"stream_kernel_gap_s", d.stream_kernel_gap_s},
                   {"source", src(sources.launch)}};
    if (!d.launch_measured_on.empty()) j["launch"]["measured_on_host"] = d.launch_measured_on;
  }
  return j;
}

Math effective_math(const DeviceSpec& d, Math m) {
  auto has = [&](Math x) { return d.peak_flops_per_s[static_cast<int>(x)] > 0; };
  if (has(m)) return m;
  switch (m) {
    // Without tensor cores, cuBLAS runs half and bfloat16 GEMMs with fp32 arithmetic.
    case Math::fp16_tensor: return Math::fp32_simt;
    case Math::bf16_tensor: return Math::fp32_simt;
    case Math::tf32_tensor: return Math::fp32_simt;
    case Math::int8_tensor: return has(Math::fp16_tensor) ? Math::fp16_tensor : Math::fp32_simt;
    default: return Math::fp32_simt;
  }
}

std::string dtype_fallback_warning(const DeviceSpec& d, DType t) {
  if (t != DType::fp16 && t != DType::bf16) return "";
  const Math wanted = matmul_math(t, false);
  const Math used = effective_math(d, wanted);
  if (used == wanted) return "";
  auto tflops = [&](Math m) {  // in the unit a datasheet would use: a CPU's in GFLOP/s
    const double peak = d.peak_flops_per_s[static_cast<int>(m)];
    char buf[32];
    if (peak >= 1e12) std::snprintf(buf, sizeof buf, "%.3g TFLOP/s", peak / 1e12);
    else std::snprintf(buf, sizeof buf, "%.3g GFLOP/s", peak / 1e9);
    return std::string(buf);
  };
  const std::string dt(dtype_name(t)), used_name(math_name(used));
  std::string w = d.name + " has no " + dt + (d.kind == DeviceKind::gpu ? " tensor cores" : " matrix math") +
                  " (its profile gives no peak_flops_per_s." + std::string(math_name(wanted)) + "): " + dt +
                  " matrix products are predicted in " + used_name.substr(0, used_name.find('_')) +
                  " arithmetic (" + used_name + ", " + tflops(used) + ")";
  const Math fp16 = Math::fp16_tensor;
  if (t == DType::bf16 && effective_math(d, fp16) == fp16)
    w += ", so wherever the GPU binds, bf16 is far slower than fp16 (fp16 tensor cores: " + tflops(fp16) + ")";
  return w;
}

void inherit_efficiency(DeviceSpec& d, const DeviceSpec& ref) {
  for (int i = 0; i < kMathCount; ++i) {
    auto m = static_cast<Math>(i);
    double own = d.peak_flops_per_s[i], theirs = ref.peak_flops_per_s[static_cast<int>(effective_math(ref, m))];
    if (own <= 0 || theirs <= 0) continue;
    // Work needed to fill a device grows with its throughput: a kernel of F FLOPs on this device
    // behaves like one of F * (their peak / our peak) on the reference.
    double factor = theirs / own;
    const Curve& g = ref.gemm_efficiency[static_cast<int>(effective_math(ref, m))];
    const Curve& l = ref.linear_efficiency[static_cast<int>(effective_math(ref, m))];
    const Curve& cv = ref.conv_efficiency[static_cast<int>(effective_math(ref, m))];
    if (d.conv_efficiency[i].empty() && !cv.empty()) d.conv_efficiency[i] = cv.scaled_x(factor);
    const Curve& at = ref.attention_efficiency[static_cast<int>(effective_math(ref, m))];
    if (d.attention_efficiency[i].empty() && !at.empty()) d.attention_efficiency[i] = at.scaled_x(factor);
    int rm = static_cast<int>(effective_math(ref, m));
    if (d.gemm_shapes[i].empty() && !ref.gemm_shapes[rm].empty()) d.gemm_shapes[i] = ref.gemm_shapes[rm].scaled_m(factor);
    if (d.linear_shapes[i].empty() && !ref.linear_shapes[rm].empty()) d.linear_shapes[i] = ref.linear_shapes[rm].scaled_m(factor);
    if (d.conv_shapes[i].empty() && !ref.conv_shapes[rm].empty()) d.conv_shapes[i] = ref.conv_shapes[rm].scaled_m(factor);
    if (d.gemm_efficiency[i].empty() && !g.empty()) d.gemm_efficiency[i] = g.scaled_x(factor);
    if (d.linear_efficiency[i].empty() && !l.empty()) d.linear_efficiency[i] = l.scaled_x(factor);
  }
  if (d.memory_efficiency.empty() && !ref.memory_efficiency.empty())
    d.memory_efficiency = ref.memory_efficiency.scaled_x(ref.memory_bandwidth_bytes_per_s /
                                                         d.memory_bandwidth_bytes_per_s);
  for (int i = 0; i < kKernelKindCount; ++i)
    if (d.kind_time_factor[i] == 1.0) d.kind_time_factor[i] = ref.kind_time_factor[i];
  // The generic elementwise kernel is bound by its integer index arithmetic, which every generation
  // since Volta issues at 64 lanes per SM: it scales with the SM count (boost clocks differ by up to
  // 1.4x across these GPUs, which this leaves out). Without SM counts, with the fp32 peak. Batch
  // norm's element and plane rates spread over the SMs alike; one plane's rate (one thread block) and
  // its shortest kernel stay as they are.
  constexpr int fp32 = static_cast<int>(Math::fp32_simt);
  double sm_ratio = d.parallel_units > 0 && ref.parallel_units > 0 ? d.parallel_units / ref.parallel_units
                    : ref.peak_flops_per_s[fp32] > 0 ? d.peak_flops_per_s[fp32] / ref.peak_flops_per_s[fp32]
                                                     : 0;
  auto own = element_rates(d);
  auto theirs = element_rates(ref);
  for (std::size_t i = 0; i < own.size(); ++i)
    if (*own[i].value == 0 && *theirs[i].value > 0)
      *own[i].value = *theirs[i].value * (own[i].scaling == ElementScaling::sm_spread ? sm_ratio : 1.0);
}

}  // namespace fwtax
