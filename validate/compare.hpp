#pragma once
// Predictions against measured runs: the error of each configuration, and MAPE and median error
// overall and by regime, mode, device and model, with two naive baselines computed alongside: a pure
// roofline (the kernels alone, no host overhead) and latency proportional to FLOPs (one constant,
// the median measured seconds per FLOP of the same runs).
#include <map>
#include <string>
#include <vector>

#include "model/catalog.hpp"
#include "simulate/sweep.hpp"
#include "validate/measured.hpp"

namespace fwtax {

struct Comparison {
  MeasuredRun run;
  bool ok = false;          // false: the configuration could not be predicted (reason says why)
  std::string reason;
  std::string warning;      // the run's parameter count disagrees with the model fwtax built (empty: fine)
  double predicted_s = 0;
  std::string host;         // the host that dispatched it (--host, else the device's own)
  double low_s = 0, high_s = 0;  // the prediction's 10-90% range
  double ape = 0;           // |predicted - measured| / measured
  Regime regime = Regime::framework;  // the regime fwtax predicts for it
  bool projected = false;   // the device's curves are another device's, rescaled by datasheet
  double roofline_s = 0;    // baseline: kernel time alone, no host overhead
  double flops_s = 0;       // baseline: latency proportional to FLOPs
  double flops = 0;
};

// Whether the measured latency lies inside the prediction's 10-90% range (false if not predicted).
bool covered(const Comparison& c);
// Where the measured latency lies against that range: "inside", "below" or "above" (from the unrounded
// times, so a run printed equal to an end still says which side it left by).
const char* range_side(const Comparison& c);
// (predicted - measured) / measured in percent: + where fwtax predicts slower.
double error_percent(const Comparison& c);

struct ErrorStats {
  std::size_t configs = 0;
  double mape_percent = 0;
  double median_ape_percent = 0;
};
ErrorStats error_stats(const std::vector<double>& apes);

// Predicts every run (with the run's device, framework and measure). Runs of unknown models or
// devices are kept with ok = false and a reason. Fills both baselines. `host_x` divides host costs as
// simulate --host-x does (the host fit searches over it); `host` runs every GPU on that host (--host).
// `ranges` off leaves each prediction's range empty (low = high = predicted), a third of the work.
std::vector<Comparison> compare_runs(const std::vector<MeasuredRun>& runs, const Catalog& catalog, double host_x = 1.0,
                                     const HostSpec* host = nullptr, bool ranges = true);

// Measured runs that took over `tolerance` less time than the same configuration (model, device, host,
// framework, dtype, phase, input size, file) at a smaller batch: more work in less time, which steady
// timing does not give. Noise or drift while measuring, or a library switching kernels between the two
// batches; their errors say little about the model. One JSON object per run: the run, the smaller batch
// and its time.
Json batch_inversions(const std::vector<MeasuredRun>& runs, double tolerance = 0.2);

// Errors by group ("all", "regime framework", "framework cuda-graphs", "device h100", "model x") of
// fwtax and of both baselines, as one JSON summary object.
Json summarize_comparisons(const std::vector<Comparison>& c);

}  // namespace fwtax
