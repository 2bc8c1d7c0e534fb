#include "validate/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "model/curve.hpp"
#include "model/error.hpp"
#include "simulate/sweep.hpp"

namespace fwtax {

ErrorStats error_stats(const std::vector<double>& apes) {
  ErrorStats s;
  s.configs = apes.size();
  if (apes.empty()) return s;
  double sum = 0;
  for (double a : apes) sum += a;
  s.mape_percent = 100 * sum / static_cast<double>(apes.size());
  s.median_ape_percent = 100 * median(apes);
  return s;
}

std::vector<Comparison> compare_runs(const std::vector<MeasuredRun>& runs, const Catalog& catalog, double host_x,
                                     const HostSpec* host, bool ranges) {
  std::vector<Comparison> out;
  for (const auto& run : runs) {
    Comparison c;
    c.run = run;
    try {
      Grid g;
      if (run.arch.is_object()) {
        Architecture a = parse_architecture(
            run.arch, run.source + " " + run.where +
                          (run.arch_from_meta ? "/meta (" + run.arch["like"].get<std::string>() + "'s fields)"
                                              : "/arch"));
        g.models.push_back({run.model, a});
      } else {
        g.models.push_back(resolve_model(run.model));
      }
      // A dataset that says how many parameters its model had lets us check that we build that model.
      const Architecture& built = g.models.front().arch;
      if (run.params > 0 && built.params > 0 && std::fabs(built.params / run.params - 1) > 0.02) {
        char w[200];
        std::snprintf(w, sizeof w,
                      "the run's model has %.4g parameters, fwtax's %s %.4g: not the same model?", run.params,
                      built.name.c_str(), built.params);
        c.warning = w;
      }
      g.devices.push_back(catalog.device(run.device));
      const DeviceSpec& d = g.devices.front();
      g.frameworks.push_back(d.framework(run.framework) ? *d.framework(run.framework) : catalog.framework(run.framework));
      g.dtypes = {run.dtype};
      g.batches = {run.batch};
      if (run.seq > 0) g.seqs = {run.seq};
      g.phase = run.phase;
      g.contexts = {run.context};
      g.new_tokens = run.new_tokens;
      g.cache = run.cache;
      g.cache_len = run.cache_len;
      if (run.image > 0) g.images = {run.image};
      g.measure = run.measure;
      g.host_x = host_x;
      if (host) g.host = *host;
      g.ranges = ranges;
      auto rows = simulate_grid(g, catalog);
      const SimResult& s = rows.front().sim;
      c.ok = true;
      c.predicted_s = s.latency_s;
      c.projected = !d.efficiency_like.empty();
      c.low_s = rows.front().latency_low_s;
      c.high_s = rows.front().latency_high_s;
      c.regime = s.bound;
      c.roofline_s = s.gpu_busy_s;
      c.flops = s.flops;
      c.ape = std::fabs(c.predicted_s - run.latency_s) / run.latency_s;
    } catch (const InputError& e) {
      c.ok = false;
      c.reason = e.diagnostics().front().str();
    }
    out.push_back(std::move(c));
  }
  // FLOPs-proportional baseline: one constant for the whole dataset, the median seconds per FLOP.
  std::vector<double> per_flop;
  for (const auto& c : out)
    if (c.ok && c.flops > 0) per_flop.push_back(c.run.latency_s / c.flops);
  double k = median(per_flop);
  for (auto& c : out) c.flops_s = k * c.flops;
  return out;
}

HostFit fit_host_speed(const std::vector<MeasuredRun>& runs, const Catalog& catalog) {
  auto score = [&](double x, double* mape, std::size_t* n) {
    double sum = 0, ape = 0;
    std::size_t k = 0;
    for (const auto& c : compare_runs(runs, catalog, x, nullptr, false)) {
      if (!c.ok) continue;
      sum += std::fabs(std::log(c.predicted_s / c.run.latency_s));
      ape += c.ape;
      ++k;
    }
    if (mape) *mape = k ? 100 * ape / static_cast<double>(k) : 0;
    if (n) *n = k;
    return k ? sum / static_cast<double>(k) : 0;
  };
  HostFit f;
  score(1.0, &f.mape_before_percent, &f.runs);
  if (f.runs == 0) throw InputError("--runs", "", "none of the runs could be predicted (unknown models or devices)");
  // The objective is flat where runs are GPU-bound and kinked where a run changes regime: a grid
  // (2.2% steps) then golden-section refinement inside the best cell.
  const double lo = std::log(0.125), hi = std::log(8.0);
  const int steps = 192;
  double best = 0, best_v = 1e300;
  for (int i = 0; i <= steps; ++i) {
    double lx = lo + (hi - lo) * i / steps, v = score(std::exp(lx), nullptr, nullptr);
    if (v < best_v) best_v = v, best = lx;
  }
  double a = best - (hi - lo) / steps, b = best + (hi - lo) / steps;
  const double g = 0.6180339887498949;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = score(std::exp(c), nullptr, nullptr), fd = score(std::exp(d), nullptr, nullptr);
  for (int i = 0; i < 24; ++i) {
    if (fc < fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = score(std::exp(c), nullptr, nullptr);
    else a = c, c = d, fc = fd, d = a + g * (b - a), fd = score(std::exp(d), nullptr, nullptr);
  }
  double lx = fc < fd ? c : d;
  f.host_x = std::exp(std::min(fc, fd) < best_v ? lx : best);
  score(f.host_x, &f.mape_after_percent, nullptr);
  return f;
}

namespace {

// The q-quantile of the values, linear between order statistics.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 1.0;
  std::sort(v.begin(), v.end());
  double x = q * static_cast<double>(v.size() - 1);
  auto i = static_cast<std::size_t>(x);
  return i + 1 < v.size() ? v[i] + (x - static_cast<double>(i)) * (v[i + 1] - v[i]) : v.back();
}

bool covered(const Comparison& c) { return c.run.latency_s >= c.low_s && c.run.latency_s <= c.high_s; }

}  // namespace

SpreadFit fit_spread(const std::vector<Comparison>& cs) {
  std::vector<double> host, kernel, projected;
  for (const auto& c : cs)
    if (c.ok)
      (c.regime == Regime::framework ? host : c.projected ? projected : kernel).push_back(c.run.latency_s / c.predicted_s);
  SpreadFit f;
  f.host_runs = host.size();
  f.kernel_runs = kernel.size();
  f.projected_runs = projected.size();
  // A spread always contains the prediction itself.
  f.spread.host_low = std::min(1.0, quantile(host, 0.1));
  f.spread.host_high = std::max(1.0, quantile(host, 0.9));
  f.spread.kernel_low = std::min(1.0, quantile(kernel, 0.1));
  f.spread.kernel_high = std::max(1.0, quantile(kernel, 0.9));
  f.spread.projected_low = std::min(1.0, quantile(projected, 0.1));
  f.spread.projected_high = std::max(1.0, quantile(projected, 0.9));
  return f;
}

Json summarize_comparisons(const std::vector<Comparison>& cs) {
  std::map<std::string, std::vector<const Comparison*>> groups;
  for (const auto& c : cs) {
    if (!c.ok) continue;
    groups["all"].push_back(&c);
    groups["regime " + std::string(regime_name(c.regime))].push_back(&c);
    groups["framework " + c.run.framework].push_back(&c);
    groups["device " + c.run.device].push_back(&c);
    groups["model " + c.run.model].push_back(&c);
    groups["dtype " + std::string(dtype_name(c.run.dtype))].push_back(&c);
    if (c.run.phase != "forward") {
      groups["phase " + c.run.phase].push_back(&c);  // decode: per token
      groups["phase " + c.run.phase + ", " + (c.run.cache == KvCache::static_cache ? "static" : "dynamic") + " cache"]
          .push_back(&c);
    }
  }
  auto stats = [](const std::vector<const Comparison*>& v, const std::function<double(const Comparison&)>& pred) {
    std::vector<double> apes;
    for (const auto* c : v) apes.push_back(std::fabs(pred(*c) - c->run.latency_s) / c->run.latency_s);
    ErrorStats e = error_stats(apes);
    return Json{{"configs", e.configs}, {"mape_percent", e.mape_percent}, {"median_ape_percent", e.median_ape_percent}};
  };
  // Share of the runs inside their predicted range.
  auto coverage = [](const std::vector<const Comparison*>& v) {
    std::size_t in = 0;
    for (const auto* c : v) in += covered(*c);
    return v.empty() ? 0.0 : 100.0 * static_cast<double>(in) / static_cast<double>(v.size());
  };
  auto fw = [](const Comparison& c) { return c.predicted_s; };
  auto roof = [](const Comparison& c) { return c.roofline_s; };
  auto flops = [](const Comparison& c) { return c.flops_s; };
  Json j;
  Json all = groups.count("all") ? stats(groups["all"], fw) : Json{{"configs", 0}, {"mape_percent", 0}, {"median_ape_percent", 0}};
  j["configs"] = all["configs"];
  j["skipped"] = static_cast<std::size_t>(std::count_if(cs.begin(), cs.end(), [](const Comparison& c) { return !c.ok; }));
  j["mape_percent"] = all["mape_percent"];
  j["median_ape_percent"] = all["median_ape_percent"];
  Json regimes = Json::object(), others = Json::object();
  for (const auto& [name, v] : groups) {
    Json g = stats(v, fw);
    g["coverage_percent"] = coverage(v);
    g["baseline_roofline"] = stats(v, roof);
    g["baseline_flops"] = stats(v, flops);
    if (name.rfind("regime ", 0) == 0)
      regimes[name.substr(7)] = g;
    else if (name != "all")
      others[name] = g;
  }
  j["regimes"] = regimes;
  // Coverage where the host binds and where the GPU does (compute and memory together).
  std::vector<const Comparison*> host_bound, gpu_bound;
  for (const auto* c : groups["all"]) (c->regime == Regime::framework ? host_bound : gpu_bound).push_back(c);
  j["coverage_percent"] = {{"all", coverage(groups["all"])},
                           {"framework", host_bound.empty() ? Json(nullptr) : Json(coverage(host_bound))},
                           {"gpu", gpu_bound.empty() ? Json(nullptr) : Json(coverage(gpu_bound))}};
  j["groups"] = others;
  if (groups.count("all"))
    j["baselines"] = {{"roofline", stats(groups["all"], roof)}, {"flops_proportional", stats(groups["all"], flops)}};
  return j;
}

}  // namespace fwtax
