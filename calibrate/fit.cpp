#include "calibrate/fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include <Eigen/Dense>

#include "calibrate/stats.hpp"
#include "model/builder.hpp"
#include "model/curve.hpp"
#include "model/device.hpp"
#include "model/error.hpp"
#include "model/engine.hpp"
#include "model/host.hpp"
#include "model/kernel_time.hpp"

namespace fwtax {

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  LinearFit f;
  const auto n = static_cast<Eigen::Index>(x.size());
  if (n == 0) return f;
  if (n == 1) {
    f.intercept = y[0];
    return f;
  }
  Eigen::MatrixXd a(n, 2);
  Eigen::VectorXd b(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    a(i, 0) = 1;
    a(i, 1) = x[static_cast<std::size_t>(i)];
    b(i) = y[static_cast<std::size_t>(i)];
  }
  Eigen::Vector2d c = a.colPivHouseholderQr().solve(b);
  double mean = b.mean(), ss_tot = (b.array() - mean).square().sum(), ss_res = (a * c - b).squaredNorm();
  double lo = *std::min_element(y.begin(), y.end());
  f.intercept = std::clamp(c(0), 0.0, lo);
  f.slope = c(1);
  f.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 1;
  return f;
}

namespace {

// A member of a measurement file; `what` names the kind of file it should be in the error.
const Json& need(const Json& j, const char* key, const std::string& file, const std::string& where,
                 const char* what = "a probe's output") {
  if (!j.is_object() || !j.contains(key))
    throw InputError(file, where + "/" + key, std::string("missing: is this ") + what + "?");
  return j[key];
}

// Batch norm's bounds (model/kernel_time.cpp: the largest of elements / elements_per_s, planes /
// planes_per_s, one plane's elements / plane_elements_per_s and min_s) fitted to measured kernels
// {elements, planes, seconds}: min_s is the shortest, the rates minimize the squared log error, on a
// grid of 12% steps over a wide range and then of 1% steps around its best point.
struct BatchNormFit {
  double elements_per_s = 0, planes_per_s = 0, plane_elements_per_s = 0, min_s = 0, rms_log_error = 0;
};
BatchNormFit fit_batch_norm(const std::vector<std::array<double, 3>>& pts) {
  BatchNormFit f;
  if (pts.empty()) return f;
  f.min_s = pts[0][2];
  for (const auto& p : pts) f.min_s = std::min(f.min_s, p[2]);
  auto error = [&](double re, double rp, double rb) {
    double e = 0;
    for (const auto& p : pts) {
      double t = std::max({p[0] / re, p[1] / rp, p[0] / p[1] / rb, f.min_s});
      e += std::pow(std::log(t / p[2]), 2);
    }
    return e;
  };
  std::array<double, 3> best{11.5, 9.0, 9.5};  // log10 of the three rates
  double best_err = error(std::pow(10, best[0]), std::pow(10, best[1]), std::pow(10, best[2]));
  auto search = [&](std::array<double, 3> lo, std::array<double, 3> hi, double step) {
    std::array<double, 3> c = best;
    for (double a = lo[0]; a <= hi[0] + 1e-9; a += step)
      for (double b = lo[1]; b <= hi[1] + 1e-9; b += step)
        for (double d = lo[2]; d <= hi[2] + 1e-9; d += step) {
          double e = error(std::pow(10, a), std::pow(10, b), std::pow(10, d));
          if (e < best_err) best_err = e, c = {a, b, d};
        }
    best = c;
  };
  search({10.5, 8, 8}, {12.5, 10.5, 11}, 0.05);
  search({best[0] - 0.05, best[1] - 0.05, best[2] - 0.05}, {best[0] + 0.05, best[1] + 0.05, best[2] + 0.05}, 0.005);
  f.elements_per_s = std::pow(10, best[0]);
  f.planes_per_s = std::pow(10, best[1]);
  f.plane_elements_per_s = std::pow(10, best[2]);
  f.rms_log_error = std::sqrt(best_err / static_cast<double>(pts.size()));
  return f;
}

// A positive number member of probe output.
double need_number(const Json& j, const char* key, const std::string& file, const std::string& where,
                   const char* what = "a probe's output") {
  double v = 0;
  if (auto msg = check_number(need(j, key, file, where, what), NumberRule::positive, &v); !msg.empty())
    throw InputError(file, where + "/" + key, msg);
  return v;
}

double stat(const Json& s, const std::string& file, const std::string& where) {
  const Json& st = need(s, "stats", file, where);
  const Json& m = need(st, "median_s", file, where + "/stats");
  double v = 0;
  if (auto msg = check_number(m, NumberRule::positive, &v); !msg.empty())
    throw InputError(file, where + "/stats/median_s", msg);
  return v;
}

// A fitted per-op cost must be positive: a fit at or below zero (dispatch hidden in the noise) is
// floored at 10 ns, with a warning. Module calls are free in C++ and stay 0.
void floor_costs(FrameworkSpec& f, std::vector<std::string>& warnings) {
  for (int i = 0; i < kOpClassCount; ++i) {
    const auto c = static_cast<OpClass>(i);
    double& v = f.op_host_s[i];
    if (is_module_class(c) || (std::isfinite(v) && v > 0)) continue;
    warnings.push_back(std::string(op_class_name(c)) + ": the fit gave " + std::to_string(v) +
                       " s per op; floored at 10 ns (the measurements are too noisy to separate it)");
    v = 1e-8;
  }
}

// Every number a fit writes is finite and >= 0; otherwise the probe output was inconsistent.
void check_fitted(const Json& j, const std::string& file, const std::string& where = "") {
  if (j.is_number() && (!std::isfinite(j.get<double>()) || j.get<double>() < 0))
    throw InputError(file, where, "the fit produced " + j.dump() + "; the probe output is inconsistent (rerun the probe)");
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) check_fitted(it.value(), file, where + "/" + it.key());
  if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i) check_fitted(j[i], file, where + "/" + std::to_string(i));
}

// Dispatch cost per op of a probe's /dispatch section: the intercept at zero size (least squares
// over its sizes), with the fit recorded in `fits`; noisy ops are reported.
std::map<std::string, std::pair<std::string, double>> fit_dispatch(const Json& dispatch, const std::string& file,
                                                                   Json& fits, std::vector<std::string>& warnings) {
  std::map<std::string, std::pair<std::string, double>> per_op;  // op -> (class, cost)
  for (auto it = dispatch.begin(); it != dispatch.end(); ++it) {
    std::string where = "/dispatch/" + it.key();
    const Json& sizes = need(it.value(), "sizes", file, where);
    std::vector<double> x, y;
    double worst_noise = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      x.push_back(need_number(sizes[i], "size", file, where + "/sizes/" + std::to_string(i)));
      y.push_back(stat(sizes[i], file, where + "/sizes/" + std::to_string(i)));
      worst_noise = std::max(worst_noise, number_member(sizes[i]["stats"], "mdape", 0.0));
    }
    std::string cls = string_member(it.value(), "class", "other");
    // The work of matrix-like probes grows with the square of the size.
    if (cls == "linear" || cls == "matmul" || cls == "conv" || cls == "attention")
      for (double& v : x) v *= v;
    LinearFit f = fit_line(x, y);
    per_op[it.key()] = {cls, f.intercept};
    fits[it.key()] = {{"class", cls}, {"dispatch_s", f.intercept}, {"per_element_s", f.slope}, {"r2", f.r2},
                      {"max_mdape", worst_noise}};
    if (worst_noise > kNoisyMdape) {
      // Printed as a double: a garbled probe output can say any mdape, beyond an int.
      char pct[64];
      std::snprintf(pct, sizeof pct, "%.0f", worst_noise * 100);
      warnings.push_back(it.key() + ": noisy (" + pct +
                         "% median deviation between epochs); the machine is busy or its clock varies");
    }
  }
  return per_op;
}

// This host's dispatch time over the reference host's, per op measured on both (same op on the same
// tiny CUDA tensors): `measured` by op name, `reference` the reference host's microbench section.
// view_nokernel (well under a microsecond) is left out: its ratio is mostly timer noise.
Json dispatch_ratios(const std::map<std::string, double>& measured, const Json& reference) {
  Json out = Json::object();
  for (const auto& [op, t] : measured) {
    if (op == "view_nokernel" || !reference.contains(op) || !reference[op].is_number() || t <= 0) continue;
    double ref = reference[op].get<double>();
    if (ref > 0) out[op] = t / ref;
  }
  return out;
}

// A host from its dispatch time over the reference host's per op (`fit`: parts of op -> ratio, as
// dispatch_ratios gives them): relative_time is the median of every op's ratio (C++ and Python
// dispatch), python_relative_time the median of the nn.Module probes' (nn_linear_module: a Linear
// module called from Python, its __call__ and attribute lookups around the op), where there are any;
// the host keeps `fit` as its provenance.
ProbedHost host_from_ratios(const Json& fit, const std::string& name, const std::string& description,
                            const std::string& reference_name, const std::string& cpu) {
  std::vector<double> all, modules;
  for (auto part = fit.begin(); part != fit.end(); ++part)
    for (auto it = part.value().begin(); it != part.value().end(); ++it)
      (it.key().ends_with("_module") ? modules : all).push_back(it.value().get<double>());
  ProbedHost p;
  HostSpec& h = p.host;
  h.name = name;
  h.description = description;
  h.cpu = cpu;
  h.relative_time = median(all);
  h.source = "median over " + std::to_string(all.size()) + " ops of this host's dispatch time over " + reference_name +
             "'s (its microbench), same ops on the same tiny CUDA tensors; the built-in frameworks' costs scale by it";
  if (!modules.empty()) {
    h.python_relative_time = median(modules);
    h.source += "; python_relative_time: the same for " + std::to_string(modules.size()) +
                " Python nn.Module call(s) (nn_linear_module), which Python costs scale by (module calls, each op's Python side)";
  }
  p.fit = fit;
  p.fit["reference"] = reference_name;
  return p;
}

// The embedded host of a calibrated GPU profile (host_from_ratios). Its launch cost is this host's
// too (the profile no longer says it was measured on another), taken in context: the reference
// host's launch scaled by this host's speed. The framework profiles' per-op costs hold their op's
// first launch and scale by relative_time, and a kernel after the first costs the same kind of
// launch, so it scales with them. The probe's bare loop of empty-kernel launches (raw_cuda,
// kept in calibration.raw) need not say it: on the H200 VM of data/measured/h200-2026-11 it read
// 4.79 us, as on the reference host, while that host's libtorch ops took 0.62x the reference's,
// their launch included (softmax 5.2 us, gelu 5.7 us).
void set_host_speed(DeviceProfile& profile, const Json& fit, const Json& reference_host, const std::string& cpu) {
  DeviceSpec& d = profile.device;
  const HostSpec* embedded = d.host_profile.empty() ? nullptr : &d.host_profile.front();
  const std::string name = embedded ? embedded->name : d.name + "-host";
  const std::string c = !cpu.empty() ? cpu : embedded ? embedded->cpu : "";
  const std::string reference_name = reference_host.value("name", "reference");
  ProbedHost h = host_from_ratios(fit, name, "the host that ran fwtax calibrate --target cuda", reference_name, c);
  d.host_profile = {h.host};
  d.host = name;
  profile.host_fit = h.fit;
  d.launch_measured_on.clear();  // this host's
  const Json& mb = reference_host.at("microbench");
  if (mb.contains("launch_host_s") && mb["launch_host_s"].is_number() && mb["launch_host_s"].get<double>() > 0) {
    d.launch_host_s = mb["launch_host_s"].get<double>() * h.host.relative_time;
    const std::string why = "; host_s: " + reference_name + "'s kernel launch (its microbench/launch_host_s) times "
                            "this host's relative_time, a launch in context (the probe's bare launch loop is in "
                            "calibration.raw)";
    if (profile.sources.launch.find(why) == std::string::npos) profile.sources.launch += why;
  }
}

// calibrate/python_dispatch.py's ops: op -> (class, median_s), every bad entry listed.
std::map<std::string, std::pair<std::string, double>> read_dispatch_ops(const Json& ops, Diagnostics& diag) {
  std::map<std::string, std::pair<std::string, double>> measured;
  for (auto it = ops.begin(); it != ops.end(); ++it) {
    double v = 0;
    const Json* t = it.value().is_object() && it.value().contains("median_s") ? &it.value()["median_s"] : nullptr;
    if (!t || !check_number(*t, NumberRule::positive, &v).empty())
      diag.add("/ops/" + it.key() + "/median_s", "expected a number > 0");
    else
      measured[it.key()] = {string_member(it.value(), "class", ""), v};
  }
  return measured;
}

// The Python probe's ratios over the reference host's python_dispatch_s, or an error naming the file.
Json python_ratios(const std::map<std::string, std::pair<std::string, double>>& measured, const Json& reference_host,
                   const Json& py, const std::string& file, std::vector<std::string>& warnings) {
  std::map<std::string, double> cost;
  for (const auto& [op, c] : measured) cost[op] = c.second;
  const Json ref = reference_host.at("microbench").value("python_dispatch_s", Json::object());
  Json ratios = dispatch_ratios(cost, ref);
  if (ratios.empty()) {
    std::string names;
    for (auto it = ref.begin(); it != ref.end(); ++it)
      if (it.key() != "view_nokernel") names += (names.empty() ? "" : ", ") + it.key();
    throw InputError(file, "/ops", "expected ops the reference host measured too (" + names + ")");
  }
  if (string_member(py, "device", "cpu") != "cuda")
    warnings.push_back(file + " was measured on the CPU: a GPU host's speed should come from --device cuda");
  return ratios;
}

}  // namespace

ProbedHost host_from_python_dispatch(const Json& py, const std::string& file, const Json& reference_host,
                               const std::string& name, std::vector<std::string>& warnings, double probed_low,
                               double probed_high) {
  if (py.is_object() && py.contains("runs"))
    throw InputError(file, "/runs", "a measured-runs file; a host is fitted to runs with --runs, and --merge takes "
                                    "calibrate/python_dispatch.py --device cuda output");
  Diagnostics diag(file);
  ObjectReader r(py, "", diag);
  r.allow({"env", "source", "schema", "device", "sweeps", "models"});  // models: probe_model_runs
  const Json* ops = r.object("ops", true);
  r.finish();
  diag.throw_if_any();
  if (const std::string schema = string_member(py, "schema", "fwtax.python_dispatch/1");
      schema != "fwtax.python_dispatch/1")
    throw InputError(file, "/schema", "expected fwtax.python_dispatch/1 (calibrate/python_dispatch.py's output), got \"" +
                                         schema + "\"");
  // Ops on CPU tensors launch no kernels: their host speed would read about twice a GPU host's.
  const std::string device = string_member(py, "device", "cpu");
  if (device != "cuda")
    throw InputError(file, "/device", "expected a probe of CUDA tensors (calibrate/python_dispatch.py --device cuda on "
                                      "the GPU machine), got device \"" + device + "\": CPU ops launch no kernels");
  auto measured = read_dispatch_ops(*ops, diag);
  diag.throw_if_any();
  Json fit = {{"python_dispatch_over_reference", python_ratios(measured, reference_host, py, file, warnings)}};
  std::string cpu = py.contains("env") && py["env"].is_object() ? string_member(py["env"], "cpu_model", "") : "";
  ProbedHost p = host_from_ratios(fit, name, "the host that ran calibrate/python_dispatch.py (" + file + ")",
                                  reference_host.value("name", "reference"), cpu);
  HostSpec& h = p.host;
  h.source = "fwtax calibrate --target host --merge " + file + ": " + h.source;
  set_probed_spread(h, probed_low, probed_high);
  return p;
}

void set_probed_spread(HostSpec& h, double low, double high) {
  if (!(low > 0)) return;
  h.spread_low = low;
  h.spread_high = high;
  h.spread_models = {"*"};
  const std::string why = "; host_time_spread: data/ranges.json's host_time_probed (how far runs stray from a host "
                          "measured by its own probe), for every model";
  if (h.source.find(why) == std::string::npos) h.source += why;
}

Json ProbedHost::to_json() const {
  Json j = host_to_json(host);
  j["fit"] = fit;
  return j;
}

namespace {

// ATen's generic elementwise kernel (/sweeps/strided: transpose copies, broadcast adds): elements per
// second where the elements, not the launch, set the time (over a million elements, above `floor`).
void merge_strided_rate(DeviceProfile& profile, const Json& sw, const std::string& file, double floor) {
  if (!sw.contains("strided")) return;
  const Json& st = sw["strided"];
  if (!st.is_array()) throw InputError(file, "/sweeps/strided", "expected a list");
  std::vector<double> strided;
  for (std::size_t i = 0; i < st.size(); ++i) {
    std::string w = "/sweeps/strided/" + std::to_string(i);
    double n = need_number(st[i], "elements", file, w), t = need_number(st[i], "kernel_s", file, w);
    if (n >= 1e6 && t > floor) strided.push_back(n / t);
  }
  if (strided.empty()) return;
  profile.device.strided_elements_per_s = median(strided);
  profile.sources.efficiency += "; strided_elements_per_s: " + file + " /sweeps/strided (median elements per second of " +
                                std::to_string(strided.size()) +
                                " transpose copies and broadcast adds of at least a million elements)";
}

// Kernel sweeps timed through the framework (calibrate/python_dispatch.py --sweeps) into a GPU
// profile: nn.Linear's and cuDNN's efficiencies per shape and math, and the attention, norm and
// batch-norm time factors: the measured kernel over what the profile's own GEMM and memory curves give
// for it, median over the points whose modelled time is well above the shortest kernel (small kernels
// are latency, not throughput, and the floor already covers them).
void merge_kernel_sweeps(DeviceProfile& profile, const Json& sw, const std::string& file, std::vector<std::string>& warnings) {
  // A file of strided kernels alone (a later sweep's, where its other kernels are not taken) sets their
  // rate and nothing else.
  if (sw.is_object() && !sw.contains("linear") && sw.contains("strided")) {
    merge_strided_rate(profile, sw, file, 10 * profile.device.kernel_min_s);
    check_fitted(device_to_json(profile.device, profile.sources)["efficiency"], file, "/efficiency");
    return;
  }
  if (!sw.is_object() || !sw.contains("linear"))
    throw InputError(file, "/sweeps/linear", "expected a list (a kernel sweep), or /sweeps/strided alone");
  DeviceSpec& out = profile.device;
  // The profile's kernels as timed before this merge, without the factors it refits.
  DeviceSpec dev = out;
  dev.kind_time_factor = DeviceSpec::filled(1.0);
  KernelTimer timer(dev);
  const Backend backend = make_backend(dev, FrameworkSpec{});  // PyTorch's defaults, as the sweep ran
  auto points = [&](const char* key) -> const Json& {
    if (!sw.contains(key) || !sw[key].is_array())
      throw InputError(file, std::string("/sweeps/") + key, "expected a list");
    return sw[key];
  };
  auto num = [&](const Json& j, const char* key, const std::string& where) {
    return need_number(j, key, file, where);
  };
  auto math_of = [&](const Json& j, const std::string& where) {
    std::string dt = string_member(j, "dtype", "");
    if (dt == "fp32") return Math::fp32_simt;
    if (dt == "fp16") return Math::fp16_tensor;
    if (dt == "bf16") return Math::bf16_tensor;
    throw InputError(file, where + "/dtype", "expected fp32, fp16 or bf16");
  };
  // Points per math, which replace the profile's shapes of that kind (every math's).
  using ShapePoints = std::array<std::vector<std::array<double, 4>>, kMathCount>;
  auto set_shapes = [](std::array<ShapeEfficiency, kMathCount>& to, const ShapePoints& pts) {
    for (int i = 0; i < kMathCount; ++i) to[i] = pts[i].empty() ? ShapeEfficiency() : ShapeEfficiency(pts[i]);
  };
  ShapePoints shapes;
  const Json& lin = points("linear");
  for (std::size_t i = 0; i < lin.size(); ++i) {
    std::string w = "/sweeps/linear/" + std::to_string(i);
    Math m = math_of(lin[i], w);
    double peak = dev.peak_flops_per_s[static_cast<int>(m)];
    if (peak <= 0) continue;
    double eff = std::min(1.0, num(lin[i], "flops", w) / num(lin[i], "kernel_s", w) / peak);
    shapes[static_cast<int>(m)].push_back({num(lin[i], "m", w), num(lin[i], "n", w), num(lin[i], "k", w), eff});
  }
  set_shapes(out.linear_shapes, shapes);
  // Convolutions as implicit GEMMs (rows = output pixels of the batch, columns = output channels,
  // depth = input channels x kernel area), in the math the builder gives them (fp32: TF32 where the
  // GPU has it, cuDNN's default).
  // cuDNN's NCHW <-> NHWC transforms around tensor-core convolutions (layout_s, when the sweep
  // recorded them): measured over the builder's transform kernels for that convolution.
  std::vector<double> layout;
  if (sw.contains("conv")) {
    ShapePoints conv;
    const Json& cv = points("conv");
    for (std::size_t i = 0; i < cv.size(); ++i) {
      std::string w = "/sweeps/conv/" + std::to_string(i);
      Math m = math_of(cv[i], w);
      if (m == Math::fp32_simt && dev.peak_flops_per_s[static_cast<int>(Math::tf32_tensor)] > 0) m = Math::tf32_tensor;
      double peak = dev.peak_flops_per_s[static_cast<int>(m)];
      if (peak <= 0) continue;
      double n = num(cv[i], "batch", w), cin = num(cv[i], "cin", w), cout = num(cv[i], "cout", w);
      double k = num(cv[i], "k", w), h = num(cv[i], "h", w), stride = num(cv[i], "stride", w), pad = std::floor(k / 2);
      double oh = Builder::conv_out(h, k, stride, pad);
      double eff = std::min(1.0, num(cv[i], "flops", w) / num(cv[i], "kernel_s", w) / peak);
      conv[static_cast<int>(m)].push_back({n * oh * oh, cout, cin * k * k, eff});
      // The transforms the builder puts around this convolution (none for pointwise ones or fp32 SIMT).
      const double layout_s = number_member(cv[i], "layout_s", 0.0);
      if (layout_s <= 0) continue;
      Workload wl;
      Builder(wl, backend, m == Math::fp16_tensor ? DType::fp16 : m == Math::bf16_tensor ? DType::bf16 : DType::fp32)
          .conv2d(n, cin, h, h, cout, k, k, stride, pad, pad);
      double model = 0;
      for (const Kernel& kn : wl.kernels)
        if (kn.kind == KernelKind::layout) model += timer.time(kn).time_s;
      if (model > 0) layout.push_back(layout_s / model);
    }
    set_shapes(out.conv_shapes, conv);
  }
  std::vector<double> attn;
  const double floor = 10 * dev.kernel_min_s;
  const Json& at = points("attention");
  for (std::size_t i = 0; i < at.size(); ++i) {
    std::string w = "/sweeps/attention/" + std::to_string(i);
    Kernel k;
    k.kind = KernelKind::attention;
    k.math = math_of(at[i], w);
    double b = num(at[i], "batch", w), h = num(at[i], "heads", w), sq = num(at[i], "seq", w),
           d = num(at[i], "head_dim", w);
    k.flops = num(at[i], "flops", w);
    k.bytes = 4 * b * h * sq * d * (k.math == Math::fp32_simt ? 4 : 2);
    k.m = b * h * sq, k.n = sq, k.k = d;
    double t = num(at[i], "kernel_s", w), model = std::max(timer.compute_time_s(k), timer.memory_time_s(k));
    if (model > floor) attn.push_back(t / model);
  }
  // Streaming kernels with their own factor: measured over the memory curve's time for their bytes.
  auto memory_ratios = [&](const char* key, KernelKind kind) {
    std::vector<double> r;
    if (!sw.contains(key)) return r;
    const Json& pts = points(key);
    for (std::size_t i = 0; i < pts.size(); ++i) {
      std::string w = std::string("/sweeps/") + key + "/" + std::to_string(i);
      Kernel k;
      k.kind = kind;
      k.bytes = num(pts[i], "bytes", w);
      double t = num(pts[i], "kernel_s", w), model = timer.memory_time_s(k);
      if (model > floor) r.push_back(t / model);
    }
    return r;
  };
  std::vector<double> norm = memory_ratios("layer_norm", KernelKind::norm);
  // NCHW batch norm: its bounds (elements, planes, one plane, shortest kernel), not a bandwidth factor.
  std::vector<std::array<double, 3>> bn;
  if (sw.contains("batch_norm")) {
    const Json& pts = points("batch_norm");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      std::string w = "/sweeps/batch_norm/" + std::to_string(i);
      double planes = num(pts[i], "batch", w) * num(pts[i], "channels", w), h = num(pts[i], "h", w);
      bn.push_back({planes * h * h, planes, num(pts[i], "kernel_s", w)});
    }
  }
  if (!bn.empty()) {
    BatchNormFit b = fit_batch_norm(bn);
    char rms[32];
    std::snprintf(rms, sizeof rms, "%.2f", b.rms_log_error);
    out.batch_norm = {b.elements_per_s, b.planes_per_s, b.plane_elements_per_s, b.min_s};
    profile.sources.batch_norm = file + " /sweeps/batch_norm: min_s the shortest of " + std::to_string(bn.size()) +
                                 " kernels, the rates a least-squares fit in log time of the largest of the four bounds "
                                 "(rms log error " + rms + ")";
  }
  // ATen's depthwise convolutions (MobileNet's, EfficientNet's; sweeps recorded from 2026-11-27 on):
  // measured over the builder's depthwise kernel on this profile, convolution shapes included, one
  // factor for the whole kernel.
  std::vector<double> depthwise;
  if (sw.contains("depthwise")) {
    DeviceSpec with_shapes = out;  // the shapes and bounds just fitted, still without the refitted factors
    with_shapes.kind_time_factor = DeviceSpec::filled(1.0);
    const KernelTimer dw_timer(with_shapes);
    const Json& pts = points("depthwise");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      std::string w = "/sweeps/depthwise/" + std::to_string(i);
      const auto dt = parse_dtype(string_member(pts[i], "dtype", ""));
      if (!dt) throw InputError(file, w + "/dtype", "expected fp32, fp16 or bf16");
      double shape[5];
      const char* keys[5] = {"batch", "channels", "h", "k", "stride"};
      for (int s = 0; s < 5; ++s) {
        shape[s] = num(pts[i], keys[s], w);
        if (shape[s] < 1 || shape[s] > 1e6 || shape[s] != std::floor(shape[s]))
          throw InputError(file, w + "/" + keys[s], "expected a whole number in [1, 1e6]");
      }
      const double n = shape[0], c = shape[1], h = shape[2], k = shape[3], stride = shape[4];
      const double t = num(pts[i], "kernel_s", w);
      Workload wl;
      Builder(wl, backend, *dt).conv2d(n, c, h, h, c, k, k, stride, std::floor(k / 2), std::floor(k / 2), c);
      double model = 0;
      for (const Kernel& kn : wl.kernels)
        if (kn.kind == KernelKind::depthwise) model += dw_timer.time(kn).time_s;
      if (model > floor) depthwise.push_back(t / model);
    }
  }
  // The factors this sweep measures replace the profile's; a kind it has too few kernels of stays 1.
  out.kind_time_factor = DeviceSpec::filled(1.0);
  auto factor = [&](KernelKind k, const std::vector<double>& ratios) {
    if (!ratios.empty()) out.kind_time_factor[static_cast<int>(k)] = median(ratios);
  };
  factor(KernelKind::depthwise, depthwise);
  factor(KernelKind::attention, attn);
  factor(KernelKind::norm, norm);
  factor(KernelKind::layout, layout);
  if (attn.empty() || norm.empty())
    warnings.push_back(file + ": too few attention or norm kernels above the shortest kernel; their factor stays 1");
  merge_strided_rate(profile, sw, file, floor);
  std::string& f = profile.sources.kind_time_factor;
  f = file + " /sweeps: median measured kernel time over the profile's GEMM-curve (attention) or memory-curve "
      "(norm) time, over " + std::to_string(attn.size()) + " attention and " + std::to_string(norm.size()) + " norm kernels";
  if (!layout.empty())
    f += "; layout: cuDNN's NCHW/NHWC transforms around " + std::to_string(layout.size()) +
         " convolutions over the builder's transform kernels for them";
  if (!depthwise.empty())
    f += "; depthwise: ATen's depthwise convolutions, " + std::to_string(depthwise.size()) +
         " above the shortest kernel, over the builder's kernel for them";
  profile.sources.efficiency += "; linear_shapes: " + file +
                                " /sweeps/linear (nn.Linear's main kernel, CUPTI, over the best rate per math); conv_shapes: " +
                                file + " /sweeps/conv (cuDNN's main kernel, likewise)";
  check_fitted(device_to_json(out, profile.sources)["efficiency"], file, "/efficiency");
}

// "64x56x56": whole numbers joined by x (formatted as doubles: the probe output may say anything).
std::string fmt_shape(std::initializer_list<double> dims) {
  std::string out;
  char buf[32];
  for (double d : dims) {
    std::snprintf(buf, sizeof buf, "%.0f", d);
    if (!out.empty()) out += 'x';
    out += buf;
  }
  return out;
}

// The fitted CPU profile predicts its own GEMM and convolution probes back (one op each, as the
// builder emits it, simulated with the profile's libtorch costs): a probe the model misses by more
// than 25% is named in a warning, since the shapes a model runs near it will be missed too. Returns
// one row per probe and the median error.
Json self_check_cpu(const DeviceSpec& dev, const FrameworkSpec& fw, const Json& mb, std::vector<std::string>& warnings) {
  Backend backend = make_backend(dev, fw);
  Json rows = Json::array();
  std::vector<double> errors;
  auto check = [&](const std::string& what, const Json& point, const std::function<void(Builder&)>& emit) {
    double measured = number_member(point.value("stats", Json::object()), "median_s", 0.0);
    if (!(measured > 0)) return;
    Workload wl;
    Builder b(wl, backend, DType::fp32);
    emit(b);
    double predicted = simulate(wl, dev, fw, SimOptions{}).latency_s;
    double error = predicted / measured - 1;
    errors.push_back(std::abs(error));
    rows.push_back({{"probe", what}, {"predicted_s", predicted}, {"measured_s", measured}, {"error", error}});
    if (std::abs(error) > 0.25) {
      char line[200];
      std::snprintf(line, sizeof line, "self-check: %s predicted %.3g ms, measured %.3g ms (%+.0f%%)", what.c_str(),
                    predicted * 1e3, measured * 1e3, error * 100);
      warnings.push_back(line);
    }
  };
  for (const Json& g : mb.value("gemm_sweep", Json::array())) {
    double m = number_member(g, "m", 0), n = number_member(g, "n", 0), k = number_member(g, "k", 0);
    if (m > 0 && n > 0 && k > 0)
      check("linear " + fmt_shape({m, n, k}), g, [&](Builder& b) { b.linear(m, k, n); });
  }
  const double threads = number_member(mb["env"], "torch_threads", 1.0);
  for (const Json& c : mb.value("conv_sweep", Json::array())) {
    double batch = number_member(c, "batch", 1), cin = number_member(c, "cin", 0), h = number_member(c, "h", 0),
           cout = number_member(c, "cout", 0), k = number_member(c, "k", 0), stride = number_member(c, "stride", 1),
           groups = number_member(c, "groups", 1);
    if (!(batch >= 1 && cin >= 1 && h >= 1 && cout >= 1 && k >= 1 && stride >= 1 && groups >= 1)) continue;
    bool onednn = Builder::cpu_conv_uses_onednn(batch, cin, h, h, k, k, stride, groups, threads);
    check("conv2d " + fmt_shape({batch, cin, h, h}) + " k" + fmt_shape({k}) + (stride > 1 ? " stride " + fmt_shape({stride}) : "") +
              (groups > 1 ? " depthwise" : "") + (onednn ? " (oneDNN)" : " (native im2col + GEMM)"),
          c, [&](Builder& b) { b.conv2d(batch, cin, h, h, cout, k, k, stride, std::floor(k / 2), std::floor(k / 2), groups); });
  }
  return {{"rows", rows}, {"median_abs_error", median(errors)}};
}

}  // namespace

FitResult fit_cpu_microbench(const Json& mb, const std::string& file, const std::string& name) {
  FitResult r;
  const Json& env = need(mb, "env", file, "");
  const Json& dispatch = need(mb, "dispatch", file, "");
  // 1. Dispatch cost per op (intercept at zero size), then per op class (median over its ops).
  std::map<std::string, std::vector<double>> by_class;
  Json fits = Json::object();
  for (const auto& [op, c] : fit_dispatch(dispatch, file, fits, r.warnings)) by_class[c.first].push_back(c.second);
  auto cls = [&](const char* c, double fallback) {
    auto it = by_class.find(c);
    return it == by_class.end() ? fallback : median(it->second);
  };
  double elementwise = cls("elementwise", 1e-6);
  FrameworkSpec libtorch;
  libtorch.name = "libtorch";
  libtorch.description = "libtorch C++ eager on this CPU (measured)";
  libtorch.mode = ExecMode::eager;
  libtorch.reference_host = name + "-host";
  libtorch.source = "fwtax calibrate --target cpu on this machine";
  auto cost = [&](OpClass c) -> double& { return libtorch.op_host_s[static_cast<int>(c)]; };
  for (int i = 0; i < kOpClassCount; ++i) {
    const auto c = static_cast<OpClass>(i);
    if (!is_module_class(c)) cost(c) = cls(std::string(op_class_name(c)).c_str(), elementwise);  // module calls: free in C++
  }
  // The fused encoder layer runs ~9 of these ops in C++: four GEMMs, attention, two norms, two adds.
  cost(OpClass::fused_layer) = 4 * cost(OpClass::linear) + cost(OpClass::attention) + 2 * cost(OpClass::layer_norm) +
                               2 * elementwise;
  cost(OpClass::other) = elementwise;
  libtorch.op_host_source = "dispatch intercepts fitted (least squares over three small sizes) to " + file +
                            " /dispatch, median per op class; fused_layer = 4 linear + attention + 2 layer_norm + 2 "
                            "elementwise; module calls cost nothing in C++";

  // 2. Matrix efficiencies: relative to the best throughput measured (a CPU has no datasheet here),
  // of GEMMs (the BLAS library's) or oneDNN's convolutions, whichever is faster.
  const Json& sweep = need(mb, "gemm_sweep", file, "");
  double best = 0;
  std::vector<std::pair<double, double>> gemm;
  std::vector<std::array<double, 3>> gemm_mnk;
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    std::string w = "/gemm_sweep/" + std::to_string(i);
    double flops = need_number(sweep[i], "flops", file, w);
    double t = stat(sweep[i], file, w);
    // The probe times the whole torch::linear call: take the dispatch out, leave the kernel.
    double kernel = std::max(t - cost(OpClass::linear), t * 0.05);
    gemm.push_back({flops, flops / kernel});
    gemm_mnk.push_back({need_number(sweep[i], "m", file, w), need_number(sweep[i], "n", file, w),
                        need_number(sweep[i], "k", file, w)});
    best = std::max(best, flops / kernel);
  }
  if (best <= 0) throw InputError(file, "/gemm_sweep", "expected at least one GEMM measurement");
  // Convolutions: their own curve and shapes (oneDNN's kernels are not the BLAS library's), from the
  // points ATen ran on oneDNN; those it ran natively are GEMMs, which the GEMM shapes time.
  const double threads = number_member(env, "torch_threads", 1.0);
  std::vector<std::array<double, 5>> onednn;  // flops, rate, m, n, k
  if (mb.contains("conv_sweep"))
    for (std::size_t i = 0; i < mb["conv_sweep"].size(); ++i) {
      const Json& c = mb["conv_sweep"][i];
      std::string w = "/conv_sweep/" + std::to_string(i);
      double flops = need_number(c, "flops", file, w);
      double k = need_number(c, "k", file, w), h = need_number(c, "h", file, w),
             stride = need_number(c, "stride", file, w), cin = need_number(c, "cin", file, w);
      double batch = number_member(c, "batch", 1.0), groups = number_member(c, "groups", 1.0);
      if (!Builder::cpu_conv_uses_onednn(batch, cin, h, h, k, k, stride, groups, threads)) continue;
      double t = std::max(stat(c, file, w) - cost(OpClass::conv), 1e-9);
      // As an implicit GEMM: rows = output pixels of all images, columns = output channels, depth = Cin k^2.
      double oh = Builder::conv_out(h, k, stride, std::floor(k / 2));
      onednn.push_back({flops, flops / t, batch * oh * oh, need_number(c, "cout", file, w), cin / groups * k * k});
      best = std::max(best, flops / t);
    }
  std::vector<std::pair<double, double>> curve, conv_curve;
  std::vector<std::array<double, 4>> conv_shapes, gemm_shapes;
  for (auto [f, rate] : gemm) curve.push_back({f, std::min(1.0, rate / best)});
  for (std::size_t i = 0; i < gemm.size(); ++i)
    gemm_shapes.push_back({gemm_mnk[i][0], gemm_mnk[i][1], gemm_mnk[i][2], std::min(1.0, gemm[i].second / best)});
  for (const auto& c : onednn) {
    conv_curve.push_back({c[0], std::min(1.0, c[1] / best)});
    conv_shapes.push_back({c[2], c[3], c[4], std::min(1.0, c[1] / best)});
  }
  // Attention (ATen's math path on a CPU: two batched GEMMs around a softmax) by its FLOPs: its own
  // curve, as its operands are activations in cache and its GEMMs per head are small, unlike the
  // weight GEMMs of the GEMM curve.
  std::vector<std::pair<double, double>> attn_curve;
  std::vector<double> causal_ratio;
  if (mb.contains("attention_sweep"))
    for (std::size_t i = 0; i < mb["attention_sweep"].size(); ++i) {
      const Json& c = mb["attention_sweep"][i];
      std::string w = "/attention_sweep/" + std::to_string(i);
      double flops = need_number(c, "flops", file, w);
      double t = std::max(stat(c, file, w) - cost(OpClass::attention), 1e-9);
      attn_curve.push_back({flops, std::min(1.0, flops / t / best)});
      if (c.contains("causal_stats")) {
        double tc = std::max(need_number(need(c, "causal_stats", file, w), "median_s", file, w + "/causal_stats") - cost(OpClass::attention), 1e-9);
        causal_ratio.push_back(tc / (0.5 * t));  // causal kernels are credited with half the FLOPs
      }
    }
  double causal_factor = causal_ratio.empty() ? 1.0 : std::max(0.5, median(causal_ratio));
  // 3. Memory: copy bandwidth and the add sweep's efficiency.
  const Json& copy = need(mb, "copy", file, "");
  double bw = need_number(copy, "bytes_moved", file, "/copy") / stat(copy, file, "/copy");
  const Json& add = need(mb, "add_sweep", file, "");
  std::vector<std::pair<double, double>> mem;
  for (std::size_t i = 0; i < add.size(); ++i) {
    double bytes = need_number(add[i], "bytes_moved", file, "/add_sweep/" + std::to_string(i));
    double t = std::max(stat(add[i], file, "/add_sweep/" + std::to_string(i)) - elementwise, 1e-9);
    mem.push_back({bytes, std::min(1.0, bytes / (t * bw))});
  }
  std::string cpu = string_member(env, "cpu_model", "unknown CPU");
  DeviceProfile& p = r.profile;
  DeviceSpec& d = p.device;
  DeviceSources& src = p.sources;
  d.name = name;
  char nthreads[64];  // formatted as a double: the probe's env may say anything
  std::snprintf(nthreads, sizeof nthreads, "%.0f", threads);
  d.description = "calibrated CPU: " + cpu + ", " + nthreads + " libtorch threads (from " + file + ")";
  d.kind = DeviceKind::cpu;
  HostSpec host;
  host.name = name + "-host";
  host.description = "the host that ran fwtax calibrate";
  host.cpu = cpu;
  host.source = "this machine; frameworks below were measured on it, so no conversion applies";
  d.host = host.name;
  d.host_profile = {host};
  d.parallel_units = std::max(1.0, threads);
  constexpr int fp32 = static_cast<int>(Math::fp32_simt);
  d.peak_flops_per_s[fp32] = best;
  src.peak = "the best fp32 throughput of " + file + " /gemm_sweep and /conv_sweep's oneDNN convolutions (measured, not "
             "a datasheet peak)";
  d.memory_bandwidth_bytes_per_s = bw;
  src.memory = file + " /copy: bytes read plus written over time";
  d.gemm_efficiency[fp32] = Curve(curve);
  d.memory_efficiency = Curve(mem);
  d.causal_attention_factor = causal_factor;
  src.efficiency = file + " /gemm_sweep (torch::linear with weights rotated through memory, less its dispatch cost, over "
                          "the best rate), /conv_sweep (likewise for the conv2d calls ATen ran on oneDNN), "
                          "/attention_sweep (scaled_dot_product_attention less its dispatch cost, over the best rate) "
                          "and /add_sweep (less the add's dispatch cost, over the copy bandwidth)";
  d.gemm_shapes[fp32] = ShapeEfficiency(gemm_shapes);
  if (!attn_curve.empty()) d.attention_efficiency[fp32] = Curve(attn_curve);
  d.linear_shapes[fp32] = d.gemm_shapes[fp32];
  // 4. Math functions per element (tanh, erf ...): elements over time, less the op's dispatch cost.
  if (mb.contains("function_sweep")) {
    const Json& fs = need(mb, "function_sweep", file, "");
    if (!fs.is_object()) throw InputError(file, "/function_sweep", "expected an object of functions");
    for (auto it = fs.begin(); it != fs.end(); ++it) {
      std::string w = "/function_sweep/" + it.key();
      const ElemFunc fn = elem_func_of(it.key());
      if (fn == ElemFunc::none) throw InputError(file, w, "expected a known function (tanh, erf, exp, sigmoid, silu, gelu)");
      double n = need_number(it.value(), "elements", file, w);
      double t = std::max(stat(it.value(), file, w) - elementwise, 1e-9);
      d.function_elements_per_s[static_cast<int>(fn)] = n / t;
    }
    src.function_elements_per_s = file + " /function_sweep: elements over time (less the add's dispatch cost) of each "
                                         "function at 1 M fp32 elements";
  }
  // 5. Pooling: input elements over time, less the op's dispatch cost.
  if (mb.contains("pool_sweep")) {
    const Json& ps = need(need(mb, "pool_sweep", file, ""), "max_pool2d", file, "/pool_sweep");
    double n = need_number(ps, "elements", file, "/pool_sweep/max_pool2d");
    double t = std::max(stat(ps, file, "/pool_sweep/max_pool2d") - cost(OpClass::pool), 1e-9);
    d.pool_elements_per_s = n / t;
    src.efficiency += "; pool_elements_per_s: " + file +
                      " /pool_sweep/max_pool2d (input elements over time, less the pool's dispatch cost)";
  }
  if (!conv_curve.empty()) {
    d.conv_efficiency[fp32] = Curve(conv_curve);
    d.conv_shapes[fp32] = ShapeEfficiency(conv_shapes);
  }
  d.kernel_min_s = 1e-8;
  floor_costs(libtorch, r.warnings);
  d.frameworks = {libtorch};
  src.profile = "fwtax calibrate --target cpu (" + file + ")";
  check_fitted(device_to_json(d, src), file);
  p.calibration = {{"probe", file}, {"env", env}, {"dispatch_fits", fits}};
  p.calibration["warnings"] = r.warnings;
  p.calibration["self_check"] = self_check_cpu(d, libtorch, mb, r.warnings);
  return r;
}

FitResult fit_cuda_microbench(const Json& mb, const std::string& file, const std::string& name,
                              const std::string& host, const Json* reference_host) {
  FitResult r;
  const Json& env = need(mb, "env", file, "");
  const Json& ceil = need(mb, "ceilings", file, "");
  const Json& raw = need(mb, "raw_cuda", file, "");
  auto num = [&](const Json& j, const char* key, const std::string& where) {
    return need_number(j, key, file, where);
  };
  static const std::map<std::string, Math> maths = {
      {"fp32", Math::fp32_simt}, {"tf32", Math::tf32_tensor}, {"fp16", Math::fp16_tensor}, {"bf16", Math::bf16_tensor}};
  std::map<Math, std::vector<std::pair<double, double>>> rate;  // math -> (flops, flops/s)
  const Json& sweep = need(ceil, "gemm_sweep", file, "/ceilings");
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    std::string w = "/ceilings/gemm_sweep/" + std::to_string(i);
    auto m = maths.find(string_member(sweep[i], "dtype", ""));
    if (m == maths.end()) throw InputError(file, w + "/dtype", "expected fp32, tf32, fp16 or bf16");
    rate[m->second].push_back({num(sweep[i], "flops", w), num(sweep[i], "flops", w) / num(sweep[i], "kernel_s", w)});
  }
  if (!rate.contains(Math::fp32_simt)) throw InputError(file, "/ceilings/gemm_sweep", "expected fp32 GEMMs");
  DeviceProfile& p = r.profile;
  DeviceSpec& d = p.device;
  DeviceSources& src = p.sources;
  for (const auto& [m, pts] : rate) {
    double best = 0;
    for (auto [f, v] : pts) best = std::max(best, v);
    d.peak_flops_per_s[static_cast<int>(m)] = best;
    std::vector<std::pair<double, double>> c;
    for (auto [f, v] : pts) c.push_back({f, std::min(1.0, v / best)});
    d.gemm_efficiency[static_cast<int>(m)] = Curve(c);
  }
  double bw = num(ceil, "copy_bw_Bps", "/ceilings");
  std::vector<std::pair<double, double>> mem;
  const Json& add = need(ceil, "add_fp32_sweep", file, "/ceilings");
  for (std::size_t i = 0; i < add.size(); ++i) {
    std::string w = "/ceilings/add_fp32_sweep/" + std::to_string(i);
    double b = num(add[i], "bytes_moved", w);
    mem.push_back({b, std::min(1.0, b / (num(add[i], "kernel_s", w) * bw))});
  }
  double launch = num(raw, "launch_host_us", "/raw_cuda") * 1e-6;
  double kmin = num(raw, "graph_K1000_gpu_us_per_kernel", "/raw_cuda") * 1e-6;
  double latency = 2e-6;
  double sync = std::max(0.0, num(raw, "launch_sync_roundtrip_us", "/raw_cuda") * 1e-6 - launch - kmin - latency);
  // The gap between different kernels in a graph: a graph cycling through four small kernels over one
  // of identical adds of the same size (the add sweep, and so the memory curve, already holds the
  // identical-kernel time). Taken for queued eager kernels too.
  std::vector<double> gaps;
  if (ceil.contains("graph_mix") && ceil["graph_mix"].is_array())
    for (std::size_t i = 0; i < ceil["graph_mix"].size(); ++i) {
      std::string w = "/ceilings/graph_mix/" + std::to_string(i);
      gaps.push_back(std::max(0.0, num(ceil["graph_mix"][i], "mixed_kernel_s", w) - num(ceil["graph_mix"][i], "same_kernel_s", w)));
    }
  const double gap = median(gaps);
  std::vector<double> graph_host;
  for (int k : {1, 10, 100, 1000})
    graph_host.push_back(num(raw, ("graph_K" + std::to_string(k) + "_host_us_per_launch").c_str(), "/raw_cuda") * 1e-6);
  d.name = name;
  d.description = "calibrated GPU: " + string_member(env, "gpu", "unknown") + " (fwtax calibrate --target cuda)";
  d.kind = DeviceKind::gpu;
  d.host = host;
  if (env.contains("sm_count")) {
    if (auto msg = check_number(env["sm_count"], NumberRule::at_least_one, &d.parallel_units); !msg.empty())
      throw InputError(file, "/env/sm_count", msg);
  }
  // "major.minor" as the probe writes it (cudaDeviceProp); older probes have none (taken as the newest).
  if (env.contains("compute_capability")) {
    const std::string cc = env["compute_capability"].is_string() ? env["compute_capability"].get<std::string>() : "";
    char* end = nullptr;
    const double v = std::strtod(cc.c_str(), &end);
    if (cc.empty() || *end != '\0' || !(v >= 1 && v < kMaxComputeCapability))
      throw InputError(file, "/env/compute_capability",
                       "expected \"major.minor\" as the probe writes it (e.g. \"9.0\"), got " + env["compute_capability"].dump());
    d.compute_capability = v;
  }
  src.peak = file + " /ceilings/gemm_sweep: the best throughput measured per math (not a datasheet peak)";
  d.memory_bandwidth_bytes_per_s = bw;
  src.memory = file + " /ceilings/copy_bw_Bps";
  d.memory_efficiency = Curve(mem);
  src.efficiency = file + " /ceilings: GEMM sweep over the best rate per math; add sweep over the copy bandwidth";
  d.kernel_min_s = kmin;
  d.launch_host_s = launch;
  d.launch_latency_s = latency;
  d.sync_s = sync;
  d.graph_launch_host_s = median(graph_host);
  d.graph_launch_latency_s = std::max(0.0, num(raw, "graph_K1_gpu_us_per_kernel", "/raw_cuda") * 1e-6 - kmin);
  d.graph_kernel_gap_s = gap;
  d.stream_kernel_gap_s = gap;
  src.launch = file + " /raw_cuda (latency_s = 2 us assumed); gaps: /ceilings/graph_mix, different small kernels over "
                      "identical ones in a graph (0 when not measured), also used for queued eager kernels";
  check_fitted(device_to_json(d, src), file);
  p.calibration = {{"probe", file}, {"env", env}};
  // libtorch's dispatch on CUDA tensors (fwtax-probe-torch --device cuda), when it ran: how fast this
  // host is against the reference host that the built-in frameworks were measured on.
  if (mb.contains("torch_dispatch") && reference_host && reference_host->contains("microbench")) {
    const Json& td = mb["torch_dispatch"];
    Json fits = Json::object();
    std::map<std::string, double> cost;
    for (const auto& [op, c] : fit_dispatch(need(td, "dispatch", file, "/torch_dispatch"), file + " /torch_dispatch",
                                            fits, r.warnings))
      cost[op] = c.second;
    Json ratios = dispatch_ratios(cost, reference_host->at("microbench").value("aten_dispatch_s", Json::object()));
    if (ratios.empty()) throw InputError(file, "/torch_dispatch/dispatch", "expected ops the reference host measured too");
    set_host_speed(p, {{"aten_dispatch_over_reference", ratios}}, *reference_host,
                   td.contains("env") ? string_member(td["env"], "cpu_model", "") : "");
    p.calibration["dispatch_fits"] = fits;
  }
  src.profile = "fwtax calibrate --target cuda (" + file + ")";
  return r;
}

void merge_python_dispatch(DeviceProfile& profile, const Json& py, const std::string& file, const FrameworkSpec& reference,
                           std::vector<std::string>& warnings, const Json* reference_host) {
  Diagnostics diag(file);
  ObjectReader r(py, "", diag);
  r.allow({"env", "source", "schema", "device", "sweeps", "models"});
  const bool gpu = profile.device.kind == DeviceKind::gpu;
  const Json* ops = r.object("ops", !(gpu && py.contains("sweeps")));
  r.finish();
  diag.throw_if_any();
  if (py.contains("models"))
    warnings.push_back(file + ": its in-model probe (/models) is not used here" +
                       (string_member(py, "device", "cpu") == "cuda"
                            ? "; calibrate --target host --merge " + file + " fits a GPU host's Python speed to it"
                            : std::string(" (a GPU host's Python speed is fitted to a --device cuda probe's)")));
  if (gpu && py.contains("sweeps")) merge_kernel_sweeps(profile, py["sweeps"], file, warnings);
  // A GPU keeps the built-in pytorch-eager framework (its in-model costs come from traces, not from
  // microbenchmarks); the Python measurement says how fast this host runs it.
  if (gpu && !ops) return;
  if (gpu && (!reference_host || !reference_host->contains("microbench"))) {  // --host named the host: keep it
    warnings.push_back(file + ": the host was named (--host), so its Python dispatch times are not used");
    return;
  }
  const FrameworkSpec* measured_libtorch = profile.device.framework("libtorch");
  if (!gpu && !measured_libtorch)
    throw InputError(file, "", "--merge needs a profile with a measured libtorch framework to merge into");
  auto measured = read_dispatch_ops(*ops, diag);
  diag.throw_if_any();
  if (gpu) {
    Json ratios = python_ratios(measured, *reference_host, py, file, warnings);
    Json fit = profile.host_fit.is_object() ? profile.host_fit : Json::object();
    fit.erase("reference");
    fit["python_dispatch_over_reference"] = ratios;
    set_host_speed(profile, fit, *reference_host,
                   py.contains("env") ? string_member(py["env"], "cpu_model", "") : "");
    return;
  }
  const FrameworkSpec libtorch = *measured_libtorch;
  // Python costs per op: measured directly where the script measured the op, otherwise the C++ cost
  // plus the median Python binding overhead measured on the ops that have both.
  std::vector<double> binding;
  std::map<OpClass, std::vector<double>> by_class;
  for (const auto& [op, c] : measured)
    if (auto cls = parse_op_class(c.first)) by_class[*cls].push_back(c.second);
  for (const auto& [c, v] : by_class) binding.push_back(median(v) - libtorch.op_host_s[static_cast<int>(c)]);
  double bind = std::max(0.0, median(binding));
  FrameworkSpec eager;
  eager.name = "pytorch-eager";
  eager.description = "PyTorch eager from Python on this CPU (measured)";
  eager.mode = ExecMode::eager;
  eager.reference_host = profile.device.host;
  eager.source = "fwtax calibrate --merge " + file;
  for (int i = 0; i < kOpClassCount; ++i) {
    auto c = by_class.find(static_cast<OpClass>(i));
    eager.op_host_s[i] = c != by_class.end() ? median(c->second) : libtorch.op_host_s[i] + bind;
  }
  // A leaf module's cost as the reference host's was measured (data/frameworks/pytorch-eager.json):
  // what calling an nn.Linear adds over calling its F.linear (__call__'s hooks and dispatch, forward's
  // own Python, the parameter lookups), not a bare module whose forward does nothing, which on this
  // project's CPU took 1.84 us against the Linear's 4.81 us and left HF encoders' eager forwards 20-35%
  // short (data/measured/hf-host-cpu-2026-12). The bare call is the fallback.
  auto median_of = [&](const char* op) {
    return ops->contains(op) ? number_member((*ops)[op], "median_s", 0.0) : 0.0;
  };
  const double bare = median_of("module_call"), linear_module = median_of("nn_linear_module"),
               linear_op = median_of("linear");
  double leaf = linear_module > linear_op && linear_op > 0 ? linear_module - linear_op : bare;
  if (leaf <= 0) warnings.push_back("the Python measurement has no module_call: module costs set to 0");
  // Heavier module bodies (HF layers, torchvision blocks, fast-path checks) in the proportions the
  // reference host measured them (data/frameworks/pytorch-eager.json), scaled to this host's leaf cost.
  const double ref_leaf = reference.op_host_s[static_cast<int>(OpClass::module_leaf)];
  for (int c = 0; c < kOpClassCount; ++c)
    if (is_module_class(static_cast<OpClass>(c)))
      eager.op_host_s[c] = leaf * (ref_leaf > 0 ? reference.op_host_s[c] / ref_leaf : 1.0);
  eager.call_host_s = leaf;
  eager.op_host_source = "calibrate/python_dispatch.py on this machine (" + file + "): measured op classes directly; "
                         "the others are the libtorch cost plus the median Python binding overhead (" +
                         std::to_string(bind * 1e6) + " us); module_leaf is " +
                         (leaf == bare ? std::string("a bare module call") : std::string("nn_linear_module - linear")) +
                         " as on the reference host; module_block/heavy/fastpath are module_leaf times the "
                         "ratios of the reference host's profile";
  std::vector<FrameworkSpec>& fws = profile.device.frameworks;
  std::erase_if(fws, [](const FrameworkSpec& f) { return f.name == "pytorch-eager"; });
  fws.push_back(eager);
}

void merge_graph_replays(DeviceProfile& profile, const Json& gc, const std::string& file, std::vector<std::string>& warnings) {
  // A member of validate/gpu/graph_check.py's output, or an error naming it and what was expected.
  static constexpr const char* kWhat = "validate/gpu/graph_check.py's output";
  auto member = [&](const Json& j, const char* key, const std::string& where) -> const Json& {
    if (!j.is_object()) throw InputError(file, where, std::string("expected an object (") + kWhat + ")");
    return need(j, key, file, where, kWhat);
  };
  if (profile.device.kind != DeviceKind::gpu)
    throw InputError(file, "/cases", "graph replays calibrate a GPU profile (--target cuda), not a CPU one");
  if (profile.calibration.contains("graph_replays"))
    throw InputError(file, "", "a second graph-check file: merge one (already merged: " +
                                   profile.calibration["graph_replays"].value("file", std::string("?")) + ")");
  const Json& cases = member(gc, "cases", "");
  // The replays graph_check.py could not run: said, never silently left out.
  const std::size_t failed = gc.contains("errors") && gc["errors"].is_array() ? gc["errors"].size() : 0;
  if (!cases.is_array() || cases.empty())
    throw InputError(file, "/cases",
                     "expected a non-empty list of replayed models" +
                         (failed ? " (its /errors lists " + std::to_string(failed) + " that failed)" : std::string()));
  if (failed)
    warnings.push_back(file + ": " + std::to_string(failed) + " replays failed when it was measured (/errors); the gap is from the " +
                       std::to_string(cases.size()) + " that ran");
  const double latency = profile.device.graph_launch_latency_s;
  std::vector<double> gaps;
  Json per_case = Json::array();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string w = "/cases/" + std::to_string(i);
    const double replay_s = need_number(member(cases[i], "graph", w), "median_s", file, w + "/graph", kWhat);
    const Json& k = member(cases[i], "replay_kernels", w);
    const double busy_s = need_number(k, "busy_s", file, w + "/replay_kernels", kWhat);
    const double count = need_number(k, "count", file, w + "/replay_kernels", kWhat);
    if (count != std::floor(count) || count > 1e7)
      throw InputError(file, w + "/replay_kernels/count", "expected a whole number of kernels (at most 10^7)");
    double gap = (replay_s - busy_s - latency) / count;
    if (gap < 0) {
      warnings.push_back(file + " " + w + ": its kernels' CUPTI time exceeds the replay's latency; gap taken as 0");
      gap = 0;
    }
    gaps.push_back(gap);
    const Json label = cases[i].contains("case") ? cases[i]["case"] : Json();
    per_case.push_back({{"case", label.is_string() ? label.get<std::string>() : w},
                        {"kernels", static_cast<long long>(count)},
                        {"gap_s", gap}});
  }
  const double gap = median(gaps);
  const auto [lo, hi] = std::minmax_element(gaps.begin(), gaps.end());
  char range[96];
  std::snprintf(range, sizeof range, "%.2f-%.2f us over %zu replays", *lo * 1e6, *hi * 1e6, gaps.size());
  profile.device.graph_kernel_gap_s = gap;
  profile.device.stream_kernel_gap_s = gap;
  profile.sources.launch += "; gaps replaced by " + file +
                            " /cases: each real model's CUDA-graph replay less its kernels' CUPTI time and the graph's "
                            "launch latency, per kernel, median (" + range +
                            "): a kernel waits this long after the one it depends on, which a graph of empty or "
                            "identical kernels does not show";
  profile.calibration["graph_replays"] = {{"file", file}, {"cases", per_case}};
}

Json DeviceProfile::to_json() const {
  Json j = device_to_json(device, sources);
  if (!host_fit.is_null() && j["host"].is_object()) j["host"]["fit"] = host_fit;
  j["calibration"] = calibration;
  return j;
}

DeviceProfile DeviceProfile::from_json(const Json& j, const std::string& file) {
  Diagnostics diag(file);
  DeviceProfile p;
  p.device = parse_device(j, diag);
  diag.throw_if_any();
  p.sources = read_device_sources(j);
  if (j.contains("host") && j["host"].is_object() && j["host"].contains("fit")) p.host_fit = j["host"]["fit"];
  if (j.contains("calibration") && j["calibration"].is_object()) p.calibration = j["calibration"];
  return p;
}

}  // namespace fwtax
