#pragma once
// Fits to measured runs, through the simulator: how fast the host that ran them dispatches (a host
// profile, `fwtax calibrate --target host`) and the spread of measured over predicted time that every
// prediction's 10-90% range uses (data/ranges.json, `fwtax calibrate --target ranges`). Each returns
// the typed profile with its source; host_to_json / spread_to_json write the files.
#include <optional>
#include <string>
#include <vector>

#include "model/catalog.hpp"
#include "model/host.hpp"
#include "validate/compare.hpp"

namespace fwtax {

// What a host fit scales: all: every host cost (the host's dispatch, its launches and its Python
// alike; for a machine known only by its runs); python: the Python side alone (module calls and each
// op's op_python_s), keeping the dispatch speed of the device's host (for runs of the machine whose
// probe measured that host: in-model Python need not run at the probe's speed).
// both: the dispatch speed and the Python side's apart, from runs of models with different shares of
// Python.
enum class HostFitSpeed { all, python, both };

// The range a host fit searches: host_x from 1/8 to 8.
inline constexpr double kHostFitMin = 0.125, kHostFitMax = 8.0;

// The host speed that best explains measured runs: the host_x (the costs `speed` says divided by it)
// minimizing the mean |log(predicted / measured)| over the runs, searched on a log grid from 1/8 to 8
// and refined.
struct HostFit {
  double host_x = 1.0;
  double python_x = 1.0;  // HostFitSpeed::both: the Python side's speed-up on top of host_x
  std::size_t runs = 0;
  double mape_before_percent = 0, mape_after_percent = 0;
  // Measured over predicted time of the runs predicted framework-bound at host_x.
  std::vector<double> framework_bound_ratios;
};
// `from`: the host scaled (default: the runs' device's).
HostFit fit_host_speed(const std::vector<MeasuredRun>& runs, const Catalog& catalog,
                       HostFitSpeed speed = HostFitSpeed::all, const HostSpec* from = nullptr);

// The spread of measured over predicted time that ranges use (data/ranges.json): its 10th and 90th
// percentiles over the framework-bound runs (the host's side) and over the GPU-bound ones (the
// kernels'), these apart for calibrated and for projected devices.
struct SpreadFit {
  LatencySpread spread;
  std::size_t host_runs = 0, probed_runs = 0;
  std::size_t kernel_runs = 0, kernel_memory_runs = 0;        // GPU-bound on calibrated devices: compute, memory
  std::size_t projected_runs = 0, projected_memory_runs = 0;  // the same on projected devices
};
SpreadFit fit_spread(const std::vector<Comparison>& c);

// A host profile fitted to runs of one device: its relative_time (with HostFitSpeed::python its
// python_relative_time) is the device's own host's divided by fit_host_speed's host_x, its source
// says which runs and models it was fitted to. With at least
// kMinSpreadRuns of the runs framework-bound after the fit, their 10-90% of measured over predicted
// time is the host's host_time_spread: the host side of the ranges of the models fitted to (others
// stray from a host fitted to one model about as far as across machines: on hosts fitted to bert-base
// runs alone (2026-12-08), machine A's ResNet-50 and torch.nn BERT x0.49-1.01, H3's other models
// x0.94-2.06, H7's x0.84-1.13, the paper's x0.80-1.22 in eager, so they keep data/ranges.json's).
inline constexpr std::size_t kMinSpreadRuns = 8;
struct HostFitRequest {
  std::string name = "fitted-host";
  std::string cpu;         // the host's CPU model, when known ("": the device's host's)
  std::string runs_label;  // the files the runs came from, for the source
  bool models_named = false;  // the runs were filtered to some models (said in the source)
  bool device_named = false;  // --device gave their device (said in the source)
  HostFitSpeed speed = HostFitSpeed::all;
  std::optional<HostSpec> from;  // the host scaled (calibrate --host; default: the device's)
};
struct FittedHost {
  HostSpec host;
  HostFit fit;
  std::string device;  // the device the runs were measured on
  std::string scaled_from;  // the device's own host, whose relative_time the fit scaled
  std::string models;  // the models fitted to, comma separated
  std::vector<std::string> warnings;
  // The host profile file: host_to_json(host) and a `fit` member saying what was fitted.
  Json to_json() const;
};
// Throws InputError when the runs span several devices or none could be predicted.
FittedHost fit_host(const std::vector<MeasuredRun>& runs, const Catalog& catalog, const HostFitRequest& request);

// The host's in-model probe (calibrate/python_dispatch.py's `models`: a real model's forward on tiny
// tensors, call after call, so that a call takes the host's time for that model's Python and dispatch)
// as runs on `device` (the GPU of the reference host its ops were compared with), timed pipelined.
// None when the probe has no `models`; InputError naming the file and the place for a bad entry.
std::vector<MeasuredRun> probe_model_runs(const Json& py, const std::string& file, const std::string& device);

// `host`'s Python side (python_relative_time) refitted to those runs, its dispatch speed (relative_time,
// from the probe's ops) kept: a hot loop of one op or one nn.Linear leaves a real forward's Python
// unseen (machine A's ran 4.0x slower than its probe's, H7's 1.8x). Returns what the host's file keeps
// as fit.models: per run the measured time and the prediction before and after.
Json fit_python_to_probe_models(HostSpec& host, const std::vector<MeasuredRun>& runs, const Catalog& catalog,
                                std::vector<std::string>& warnings);

// data/ranges.json's form: spread_to_json(fit.spread), a name, a description, what it was fitted to.
struct FittedRanges {
  SpreadFit fit;
  std::string name = "ranges";
  std::string runs_label, kernel_label, projected_label, probed_label;  // the files fitted to ("": none given)
  // Bands that no run gave: taken from the other side of the GPU-bound pair, or none at all (x1.00-1.00).
  std::vector<std::string> warnings;
  Json to_json() const;
};
// What the spread is fitted to: `runs` for all three; `kernel` adds its GPU-bound runs on calibrated
// devices to the calibrated kernel spread; `projected`, when not empty, alone gives the projected one;
// `probed`, runs of machines whose device's host was measured by its probe on that same machine, gives
// host_time_probed from its framework-bound runs.
struct RangeRuns {
  std::vector<MeasuredRun> runs, kernel, projected, probed;
};
// Throws InputError when none of the runs (or none of the kernel or projected ones) could be used.
FittedRanges fit_ranges(const RangeRuns& in, const Catalog& catalog, FittedRanges labels);

}  // namespace fwtax
