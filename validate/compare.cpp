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
      g.frameworks.push_back(catalog.framework_on(d, run.framework));
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
      else if (!run.host.empty()) g.host = catalog.host(run.host);
      g.ranges = ranges;
      auto rows = simulate_grid(g, catalog);
      const SimResult& s = rows.front().sim;
      c.ok = true;
      c.predicted_s = s.latency_s;
      c.host = rows.front().host;
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

bool covered(const Comparison& c) { return c.ok && c.run.latency_s >= c.low_s && c.run.latency_s <= c.high_s; }
const char* range_side(const Comparison& c) {
  return covered(c) ? "inside" : c.run.latency_s < c.low_s ? "below" : "above";
}
double error_percent(const Comparison& c) { return 100 * (c.predicted_s - c.run.latency_s) / c.run.latency_s; }

Json batch_inversions(const std::vector<MeasuredRun>& runs, double tolerance) {
  std::map<std::string, std::vector<const MeasuredRun*>> series;
  for (const auto& r : runs)
    series[r.source + "|" + r.device + "|" + r.host + "|" + r.framework + "|" + std::string(dtype_name(r.dtype)) + "|" +
           r.model + "|" + r.phase + "|" + std::to_string(r.seq) + "|" + std::to_string(r.image) + "|" +
           std::to_string(r.context) + "|" + std::to_string(r.new_tokens)]
        .push_back(&r);
  Json out = Json::array();
  for (auto& [key, v] : series) {
    std::stable_sort(v.begin(), v.end(), [](const MeasuredRun* a, const MeasuredRun* b) { return a->batch < b->batch; });
    const MeasuredRun* slowest = nullptr;  // the longest time at a smaller batch so far
    for (const MeasuredRun* r : v) {
      if (slowest && slowest->batch < r->batch && r->latency_s < (1 - tolerance) * slowest->latency_s)
        out.push_back({{"model", r->model}, {"device", r->device}, {"framework", r->framework},
                       {"dtype", dtype_name(r->dtype)}, {"batch", r->batch}, {"measured_s", r->latency_s},
                       {"smaller_batch", slowest->batch}, {"smaller_batch_measured_s", slowest->latency_s},
                       {"source", r->source}, {"where", r->where}});
      if (!slowest || r->latency_s > slowest->latency_s) slowest = r;
    }
  }
  return out;
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
