#include "calibrate/runs_fit.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "model/dtype.hpp"
#include "model/error.hpp"
#include "model/json_spec.hpp"
#include "simulate/report.hpp"

namespace fwtax {

namespace {

// The q-quantile of the values, linear between order statistics.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 1.0;
  std::sort(v.begin(), v.end());
  double x = q * static_cast<double>(v.size() - 1);
  auto i = static_cast<std::size_t>(x);
  return i + 1 < v.size() ? v[i] + (x - static_cast<double>(i)) * (v[i + 1] - v[i]) : v.back();
}

}  // namespace

namespace {

// The x in [kHostFitMin, kHostFitMax] minimizing `objective`. It is flat where runs are GPU-bound and
// kinked where a run changes regime: a log grid of `steps` cells, then golden-section refinement inside
// the best one.
template <typename Objective>
double search_speed(Objective objective, int steps) {
  const double lo = std::log(kHostFitMin), hi = std::log(kHostFitMax);
  double best = 0, best_v = 1e300;
  for (int i = 0; i <= steps; ++i) {
    double lx = lo + (hi - lo) * i / steps, v = objective(std::exp(lx));
    if (v < best_v) best_v = v, best = lx;
  }
  double a = best - (hi - lo) / steps, b = best + (hi - lo) / steps;
  const double g = 0.6180339887498949;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = objective(std::exp(c)), fd = objective(std::exp(d));
  for (int i = 0; i < 24; ++i) {
    if (fc < fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = objective(std::exp(c));
    else a = c, c = d, fc = fd, d = a + g * (b - a), fd = objective(std::exp(d));
  }
  double lx = fc < fd ? c : d;
  return std::exp(std::min(fc, fd) < best_v ? lx : best);
}

// A fitted speed that stopped at an end of the search's range: the runs do not pin it.
bool at_fit_range_end(double x) { return x < kHostFitMin * 1.01 || x > kHostFitMax / 1.01; }

// `base` with the costs `speed` says divided by x (and, with HostFitSpeed::both, the Python side's by
// y on top): a fit's candidate, and the host it writes.
HostSpec scaled_host(const HostSpec& base, HostFitSpeed speed, double x, double y) {
  HostSpec h = base;
  switch (speed) {
    case HostFitSpeed::all:  // every cost: Python's too, where the host has it apart
      h.relative_time = base.relative_time / x;
      if (base.python_relative_time > 0) h.python_relative_time = base.python_relative_time / x;
      break;
    case HostFitSpeed::python:  // the dispatch speed kept (measured by the host's probe)
      h.python_relative_time = base.python_time() / x;
      break;
    case HostFitSpeed::both:
      h.relative_time = base.relative_time / x;
      h.python_relative_time = base.python_time() / (x * y);
      break;
  }
  return h;
}

}  // namespace

HostFit fit_host_speed(const std::vector<MeasuredRun>& given, const Catalog& catalog, HostFitSpeed speed,
                       const HostSpec* from) {
  // The speed is fitted against `from`, else the device's own host (fit_host scales from it), whichever
  // host the dataset says the runs had: that is the host being fitted.
  std::vector<MeasuredRun> runs = given;
  for (auto& r : runs) r.host.clear();
  const HostSpec base = from ? *from : runs.empty() ? HostSpec{} : catalog.host_of(catalog.device(runs.front().device));
  // x divides the costs `speed` says; y, with HostFitSpeed::both, the Python side's on top.
  auto predict = [&](double x, double y) {
    if (speed == HostFitSpeed::all) return compare_runs(runs, catalog, x, from, false);
    const HostSpec candidate = scaled_host(base, speed, x, y);
    return compare_runs(runs, catalog, 1.0, &candidate, false);
  };
  auto score = [&](double x, double y, double* mape, std::size_t* n, std::vector<double>* framework_bound = nullptr) {
    double sum = 0, ape = 0;
    std::size_t k = 0;
    for (const auto& c : predict(x, y)) {
      if (!c.ok) continue;
      sum += std::fabs(std::log(c.predicted_s / c.run.latency_s));
      ape += c.ape;
      ++k;
      if (framework_bound && c.regime == Regime::framework) framework_bound->push_back(c.run.latency_s / c.predicted_s);
    }
    if (mape) *mape = k ? 100 * ape / static_cast<double>(k) : 0;
    if (n) *n = k;
    return k ? sum / static_cast<double>(k) : 0;
  };
  HostFit f;
  score(1.0, 1.0, &f.mape_before_percent, &f.runs);
  if (f.runs == 0) throw InputError("--runs", "", "none of the runs could be predicted (unknown models or devices)");
  if (speed != HostFitSpeed::both) {
    f.host_x = search_speed([&](double x) { return score(x, 1.0, nullptr, nullptr); }, 192);  // 2.2% steps
  } else {
    // Both speeds, one at a time until they settle: the dispatch speed with Python moving along, then
    // Python's own factor on top, on a coarser grid (8.9% steps; the refinement is as fine).
    for (int round = 0; round < 4; ++round) {
      const double x0 = f.host_x, y0 = f.python_x;
      f.host_x = search_speed([&](double x) { return score(x, f.python_x, nullptr, nullptr); }, 48);
      f.python_x = search_speed([&](double y) { return score(f.host_x, y, nullptr, nullptr); }, 48);
      if (std::fabs(std::log(f.host_x / x0)) < 0.005 && std::fabs(std::log(f.python_x / y0)) < 0.005) break;
    }
  }
  score(f.host_x, f.python_x, &f.mape_after_percent, nullptr, &f.framework_bound_ratios);
  return f;
}

std::vector<MeasuredRun> probe_model_runs(const Json& py, const std::string& file, const std::string& device) {
  std::vector<MeasuredRun> runs;
  if (!py.is_object() || !py.contains("models")) return runs;
  Diagnostics diag(file);
  const Json& models = py["models"];
  if (!models.is_object()) {
    diag.add("/models", "expected an object of in-model probes (name: {median_s, batch, seq, dtype, config}), got " +
                            describe(models));
    diag.throw_if_any();
  }
  for (auto it = models.begin(); it != models.end(); ++it) {
    const std::string p = "/models/" + it.key();
    ObjectReader e(it.value(), p, diag);
    if (!e.ok()) continue;
    e.allow({"class", "mdape", "timing", "transformers"});
    MeasuredRun m;
    m.model = it.key();
    m.device = device;
    m.framework = "pytorch-eager";
    m.mode = "eager";
    m.measure = Measure::pipelined;
    m.latency_s = e.number("median_s", NumberRule::positive);
    m.batch = e.integer("batch", 1, 1 << 20, 1);
    m.seq = e.integer("seq", 1, 1 << 20, 1);
    const std::string dtype = e.string("dtype", "fp32");
    if (auto d = parse_dtype(dtype)) m.dtype = *d;
    else diag.add(p + "/dtype", "expected fp32, fp16 or bf16, got \"" + dtype + "\"");
    if (const Json* config = e.object("config", true)) m.arch = *config;
    e.finish();
    m.source = file;
    m.where = p;
    runs.push_back(std::move(m));
  }
  diag.throw_if_any();
  return runs;
}

Json fit_python_to_probe_models(HostSpec& host, const std::vector<MeasuredRun>& runs, const Catalog& catalog,
                                std::vector<std::string>& warnings) {
  const auto before = compare_runs(runs, catalog, 1.0, &host, false);
  for (const auto& c : before)
    if (!c.ok) {
      // compare_runs names the place as a runs file's (".../arch: "); here it is the probe's config.
      const auto at = c.reason.find("/arch: ");
      throw InputError(c.run.source, c.run.where + "/config",
                       at == std::string::npos ? c.reason : c.reason.substr(at + 7));
    }
  HostFitRequest request;
  request.name = host.name;
  request.speed = HostFitSpeed::python;
  request.from = host;
  const FittedHost f = fit_host(runs, catalog, request);
  if (at_fit_range_end(f.fit.host_x))
    warnings.push_back("in-model probe: its time is beyond what a Python side 1/8x to 8x as fast as the nn.Module "
                       "call's explains (fit stopped at " + format_number("%.3f", f.host.python_relative_time) +
                       "): was it measured on this machine's GPU, as calibrate/python_dispatch.py --device cuda writes it?");
  Json out = Json::object();
  auto after = compare_runs(runs, catalog, 1.0, &f.host, false);
  for (std::size_t i = 0; i < runs.size() && i < after.size(); ++i) {
    if (!after[i].ok) continue;
    out[runs[i].model] = {{"measured_s", runs[i].latency_s},
                          {"predicted_s_probe_python", before[i].predicted_s},
                          {"predicted_s", after[i].predicted_s},
                          {"predicted_on", runs[i].device}};
  }
  const double probe_python = host.python_time();
  host.python_relative_time = f.host.python_relative_time;
  host.source += "; python_relative_time refitted to the in-model probe (" + f.models + ", forward after forward, "
                 "its kernels next to nothing: predicted on " + f.device + ", the reference host's GPU, at this host's "
                 "relative_time): " + format_number("%.3f", host.python_relative_time) +
                 " where its nn.Module call alone gave " + format_number("%.3f", probe_python);
  return out;
}

FittedHost fit_host(const std::vector<MeasuredRun>& runs, const Catalog& catalog, const HostFitRequest& request) {
  if (runs.empty()) throw InputError(request.runs_label, "", "no runs to fit to");
  FittedHost f;
  f.device = runs.front().device;
  for (const auto& r : runs)
    if (r.device != f.device)
      throw InputError(r.source, r.where, "runs of several devices (" + f.device + ", " + r.device +
                                               "): fit one host at a time (--device or separate files)");
  const DeviceSpec d = catalog.device(f.device);
  const HostSpec old = request.from ? *request.from : catalog.host_of(d);
  f.scaled_from = old.name;
  f.fit = fit_host_speed(runs, catalog, request.speed, request.from ? &*request.from : nullptr);
  std::set<std::string> used;
  for (const auto& r : runs) used.insert(r.model);
  for (const auto& x : used) f.models += (f.models.empty() ? "" : ", ") + x;
  f.host.name = request.name;
  const bool python = request.speed == HostFitSpeed::python;
  f.host.description = "the host that ran the " + f.device + " runs, " + (python ? "its Python " : "") + "fitted from " +
                       std::to_string(f.fit.runs) + " runs of " + f.models +
                       (python ? " (its dispatch host " + old.name + "'s)" : "");
  // The CPU: --cpu's, else the one the runs' files name (all the same), else unknown; never the device's
  // own host's, which is another machine.
  std::set<std::string> cpus;
  for (const auto& r : runs) cpus.insert(r.cpu_model);
  f.host.cpu = !request.cpu.empty()                            ? request.cpu
               : cpus.size() == 1 && !cpus.begin()->empty() ? *cpus.begin()
                                                              : "unknown";
  const HostSpec speeds = scaled_host(old, request.speed, f.fit.host_x, f.fit.python_x);
  f.host.relative_time = speeds.relative_time;
  f.host.python_relative_time = speeds.python_relative_time;
  // How far this host's own framework-bound runs still stray once its speed is fitted: its ranges'
  // host spread, where there are enough such runs to take a 10th and 90th percentile.
  const std::vector<double>& bound = f.fit.framework_bound_ratios;
  if (bound.size() >= kMinSpreadRuns) {
    f.host.spread_low = std::min(1.0, quantile(bound, 0.1));
    f.host.spread_high = std::max(1.0, quantile(bound, 0.9));
    f.host.spread_models.assign(used.begin(), used.end());
  }
  f.host.source = "fitted by fwtax calibrate --target host --runs " + request.runs_label +
                  (request.device_named ? " --device " + f.device : "") +
                  (request.models_named ? " --model " + f.models : "") +
                  (request.from ? " --host " + request.from->name : "") +
                  (request.speed == HostFitSpeed::both
                       ? " --fit both: the relative_time and python_relative_time minimizing the mean |log(predicted / "
                         "measured)| over " + std::to_string(f.fit.runs) + " runs on " + f.device + " (host '" + old.name +
                             "' scaled, its Python apart from its dispatch)"
                   : python
                       ? " --fit python: the python_relative_time minimizing the mean |log(predicted / measured)| over " +
                             std::to_string(f.fit.runs) + " runs on " + f.device + " (the Python side of host '" + old.name + "'" +
                             (request.from ? "" : ", the host of device '" + f.device + "',") +
                             " scaled; its dispatch speed, relative_time, kept)"
                       : ": the relative_time minimizing the mean |log(predicted / measured)| over " +
                             std::to_string(f.fit.runs) + " runs on " + f.device + " (host costs of device '" + f.device +
                             "' scaled from host '" + old.name + "'" + (request.from ? ", --host" : "") + ")") +
                  (f.host.has_spread() ? "; host_time_spread: 10th and 90th percentiles of measured over predicted time over the " +
                                             std::to_string(bound.size()) + " of them predicted framework-bound (the ranges of " +
                                             f.models + " on this host; other models keep data/ranges.json's)"
                                       : "");
  // Runs that do not wait on the host leave its speed open: the search ends at a bound of its range.
  if (bound.empty())
    f.warnings.push_back("none of the runs is predicted framework-bound: they say little of the host's speed");
  // Both speeds need models that differ in their share of Python (HF's against torchvision's or
  // torch.nn's fused layers): one model's runs pin one mix of the two.
  if (request.speed == HostFitSpeed::both && used.size() < 2)
    f.warnings.push_back("--fit both from runs of one model: they pin one mix of dispatch and Python, not each; "
                         "give runs of models with more and less Python (an HF model and a torchvision one)");
  if (at_fit_range_end(f.fit.host_x) || (request.speed == HostFitSpeed::both && at_fit_range_end(f.fit.python_x)))
    f.warnings.push_back("the fit stopped at the end of its range (1/8x to 8x the host's speed): the runs do not pin "
                         "it; fit to runs where the host binds (eager, small batches)");
  for (const auto& r : runs)
    if (d.framework(r.framework)) {
      f.warnings.push_back("device '" + f.device + "' carries its own " + r.framework +
                           " costs (measured on its host): they are not scaled by a host's relative_time");
      break;
    }
  return f;
}

Json FittedHost::to_json() const {
  Json j = host_to_json(host);
  j["fit"] = {{"device", device},
              {"models", models},
              {"runs", fit.runs},
              {"framework_bound_runs", fit.framework_bound_ratios.size()},
              {"mape_before_percent", fit.mape_before_percent},
              {"mape_after_percent", fit.mape_after_percent}};
  return j;
}


namespace {

// Measured over predicted time of each predicted run, by what binds it (the host; the GPU's arithmetic,
// or its memory, element-bound and shortest kernels) and where (a calibrated or a projected device).
struct Ratios {
  std::vector<double> host, kernel, kernel_memory, projected, projected_memory;
};

Ratios ratios_of(const std::vector<Comparison>& cs) {
  Ratios r;
  for (const auto& c : cs) {
    if (!c.ok) continue;
    const bool compute = c.regime == Regime::compute;
    std::vector<double>& v = c.regime == Regime::framework ? r.host
                             : c.projected                  ? (compute ? r.projected : r.projected_memory)
                                                            : (compute ? r.kernel : r.kernel_memory);
    v.push_back(c.run.latency_s / c.predicted_s);
  }
  return r;
}

// The 10-90% band of `v`, always containing the prediction itself.
std::pair<double, double> band_of(const std::vector<double>& v) {
  return {std::min(1.0, quantile(v, 0.1)), std::max(1.0, quantile(v, 0.9))};
}

SpreadFit spread_of(const Ratios& r) {
  SpreadFit f;
  f.host_runs = r.host.size();
  f.kernel_runs = r.kernel.size();
  f.kernel_memory_runs = r.kernel_memory.size();
  f.projected_runs = r.projected.size();
  f.projected_memory_runs = r.projected_memory.size();
  LatencySpread& s = f.spread;
  std::tie(s.host_low, s.host_high) = band_of(r.host);
  // Where no run of one side was given, that side takes the other's band.
  std::tie(s.kernel_low, s.kernel_high) = band_of(r.kernel.empty() ? r.kernel_memory : r.kernel);
  std::tie(s.kernel_memory_low, s.kernel_memory_high) = band_of(r.kernel_memory.empty() ? r.kernel : r.kernel_memory);
  std::tie(s.projected_low, s.projected_high) = band_of(r.projected.empty() ? r.projected_memory : r.projected);
  std::tie(s.projected_memory_low, s.projected_memory_high) =
      band_of(r.projected_memory.empty() ? r.projected : r.projected_memory);
  return f;
}

Ratios ratios_of_runs(const std::vector<MeasuredRun>& runs, const Catalog& catalog) {
  return ratios_of(compare_runs(runs, catalog, 1.0, nullptr, false));  // the fit needs predictions, not ranges
}

}  // namespace

SpreadFit fit_spread(const std::vector<Comparison>& cs) { return spread_of(ratios_of(cs)); }

FittedRanges fit_ranges(const RangeRuns& in, const Catalog& catalog, FittedRanges labels) {
  FittedRanges f = std::move(labels);
  Ratios r = ratios_of_runs(in.runs, catalog);
  // Calibrated devices' kernel spread from more runs: each calibrated GPU's profile strays from its
  // own runs in its own way, so one device's runs understate how far a calibration can be off.
  if (!in.kernel.empty()) {
    Ratios k = ratios_of_runs(in.kernel, catalog);
    if (k.kernel.empty() && k.kernel_memory.empty())
      throw InputError(f.kernel_label, "", "none of these runs (--kernel-runs) is GPU-bound on a calibrated device");
    r.kernel.insert(r.kernel.end(), k.kernel.begin(), k.kernel.end());
    r.kernel_memory.insert(r.kernel_memory.end(), k.kernel_memory.begin(), k.kernel_memory.end());
  }
  // Projected devices' kernel spread from other runs (many GPU generations say more about how far a
  // datasheet projection strays than one device does).
  if (!in.projected.empty()) {
    Ratios p = ratios_of_runs(in.projected, catalog);
    if (p.projected.empty() && p.projected_memory.empty())
      throw InputError(f.projected_label, "", "none of these runs (--projected-runs) is GPU-bound on a projected device");
    r.projected = std::move(p.projected);
    r.projected_memory = std::move(p.projected_memory);
  }
  f.fit = spread_of(r);
  if (!in.probed.empty()) {
    Ratios p = ratios_of_runs(in.probed, catalog);
    if (p.host.empty())
      throw InputError(f.probed_label, "", "none of these runs (--probed-runs) is predicted framework-bound");
    f.fit.probed_runs = p.host.size();
    f.fit.spread.probed_low = std::min(1.0, quantile(p.host, 0.1));
    f.fit.spread.probed_high = std::max(1.0, quantile(p.host, 0.9));
  }
  if (f.fit.host_runs + f.fit.kernel_runs + f.fit.kernel_memory_runs == 0)
    throw InputError(f.runs_label, "", "none of the runs could be predicted (unknown models or devices)");
  // A band no run gave is said, never left to look like a fitted one.
  auto said = [&](std::size_t compute, std::size_t memory, const std::string& where, const std::string& key,
                  const std::string& flag) {
    const std::string mem_key = key + "_memory";
    if (compute == 0 && memory == 0)
      f.warnings.push_back("no run is GPU-bound on " + where + ": " + key + " and " + mem_key +
                           " are x1.00-1.00, no range at all (give such runs, " + flag + ")");
    else if (compute == 0)
      f.warnings.push_back("no run is compute-bound on " + where + ": " + key + " takes " + mem_key + "'s band");
    else if (memory == 0)
      f.warnings.push_back("no run is memory-bound on " + where + ": " + mem_key + " takes " + key + "'s band");
  };
  if (f.fit.host_runs == 0)
    f.warnings.push_back("no run is predicted framework-bound: host_time is x1.00-1.00, no range at all (give runs "
                         "of small batches in eager mode)");
  said(f.fit.kernel_runs, f.fit.kernel_memory_runs, "a calibrated device", "kernel_time", "--runs or --kernel-runs");
  said(f.fit.projected_runs, f.fit.projected_memory_runs, "a device projected by datasheet", "kernel_time_projected",
       "--projected-runs");
  return f;
}

Json FittedRanges::to_json() const {
  Json j = spread_to_json(fit.spread);
  j["name"] = name;
  j["description"] = "10th and 90th percentiles of measured over predicted time: host_time over the runs fwtax "
                     "predicts framework-bound, kernel_time over those it predicts compute-bound on calibrated "
                     "devices and kernel_time_memory over those it predicts memory-bound there (a range scales "
                     "compute-bound kernels by the one, the others by the other), kernel_time_projected and "
                     "kernel_time_projected_memory the same on devices projected from another's curves" +
                     std::string(probed_label.empty() ? "" : ", host_time_probed over the framework-bound runs of "
                                                            "machines whose host was measured by its own probe");
  j["fit"] = {{"runs", runs_label},
              {"kernel_runs", kernel_label.empty() ? Json(nullptr) : Json(kernel_label)},
              {"projected_runs", projected_label.empty() ? Json(nullptr) : Json(projected_label)},
              {"framework_bound_runs", fit.host_runs},
              {"compute_bound_runs_calibrated", fit.kernel_runs},
              {"memory_bound_runs_calibrated", fit.kernel_memory_runs},
              {"compute_bound_runs_projected", fit.projected_runs},
              {"memory_bound_runs_projected", fit.projected_memory_runs}};
  if (!probed_label.empty()) {
    j["fit"]["probed_runs"] = probed_label;
    j["fit"]["framework_bound_runs_probed"] = fit.probed_runs;
  }
  j["source"] = "fitted by fwtax calibrate --target ranges --runs " + runs_label +
                (kernel_label.empty() ? "" : " --kernel-runs " + kernel_label) +
                (projected_label.empty() ? "" : " --projected-runs " + projected_label) +
                (probed_label.empty() ? "" : " --probed-runs " + probed_label) + " (" +
                std::to_string(fit.host_runs) + " framework-bound runs; compute- and memory-bound " +
                std::to_string(fit.kernel_runs) + " and " + std::to_string(fit.kernel_memory_runs) +
                " on calibrated devices, " + std::to_string(fit.projected_runs) + " and " +
                std::to_string(fit.projected_memory_runs) + " on projected ones" +
                (probed_label.empty() ? "" : ", " + std::to_string(fit.probed_runs) + " framework-bound on probed hosts") +
                "; each predicted on its own device and host)";
  return j;
}

}  // namespace fwtax
