#include "validate/compare.hpp"

#include <algorithm>
#include <cmath>

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
  std::vector<double> v = apes;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  s.median_ape_percent = 100 * (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
  return s;
}

std::vector<Comparison> compare_runs(const std::vector<MeasuredRun>& runs, const Catalog& catalog) {
  std::vector<Comparison> out;
  for (const auto& run : runs) {
    Comparison c;
    c.run = run;
    try {
      SweepRequest q;
      q.models = {run.model};
      q.devices = {run.device};
      q.frameworks = {run.framework};
      q.dtypes = {run.dtype};
      q.batches = {run.batch};
      if (run.seq > 0) q.seqs = {run.seq};
      if (run.image > 0) q.images = {run.image};
      q.measure = run.measure;
      auto rows = run_sweep(q, catalog);
      const SimResult& s = rows.front().sim;
      c.ok = true;
      c.predicted_s = s.latency_s;
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
  return out;
}

}  // namespace fwtax
