#pragma once
// Fits: microbenchmark JSON (from fwtax-probe-torch, fwtax-probe-cuda, calibrate/python_dispatch.py)
// -> the profiles the model reads. The same functions back `fwtax calibrate`.
#include <string>
#include <vector>

#include "model/device.hpp"
#include "model/framework.hpp"
#include "model/host.hpp"
#include "model/json_spec.hpp"

namespace fwtax {

// A device profile as the fits build it: the typed profile, where each section's numbers come from,
// and what was measured. to_json() is the profile file; the fits and merges write no JSON keys of
// their own.
struct DeviceProfile {
  DeviceSpec device;  // with the host (host_profile) and frameworks measured on this machine embedded
  DeviceSources sources;
  Json host_fit;                      // the embedded host's per-op ratios (ProbedHost::fit); null: none
  Json calibration = Json::object();  // the probe, its environment, the fits, self-check, warnings
  Json to_json() const;
  // A profile file to merge into: an error naming `file` when it does not load.
  static DeviceProfile from_json(const Json& j, const std::string& file);
};

struct FitResult {
  DeviceProfile profile;
  std::vector<std::string> warnings;  // noisy measurements, poor fits
};

// Dispatch cost at zero size of one op measured at several sizes: least squares t = a + b * size
// (Eigen); returns {a, b, r2}. `a` is clamped to [0, min t].
struct LinearFit {
  double intercept = 0, slope = 0, r2 = 0;
};
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

// A CPU device profile with the `libtorch` framework measured on it, from fwtax-probe-torch output.
FitResult fit_cpu_microbench(const Json& mb, const std::string& file, const std::string& name);

// A GPU device profile from fwtax-probe-cuda output (or ../shared/data/h100-2026-11/microbench.json,
// which has the same format). Peaks are the best throughput measured per math, efficiencies relative
// to them; `host` names the host profile to pair it with. When `mb` also holds `torch_dispatch`
// (fwtax-probe-torch --device cuda) and `reference_host` is given (a host profile with its
// `microbench`, data/hosts/h100-vm-a.json), the profile embeds this machine's host instead, with the
// relative_time its dispatch costs give against the reference's.
FitResult fit_cuda_microbench(const Json& mb, const std::string& file, const std::string& name, const std::string& host,
                              const Json* reference_host = nullptr);

// Folds a Python dispatch measurement into a profile as its `pytorch-eager` framework. Module glue
// of heavier modules keeps the proportions of `reference` (the built-in pytorch-eager profile).
// A GPU profile keeps the built-in pytorch-eager framework instead: the Python costs refit its
// embedded host's relative_time against `reference_host` (C++ and Python ratios together); without
// `reference_host` (the host was named) they are left out. Kernel sweeps (`sweeps`) are merged either way.
void merge_python_dispatch(DeviceProfile& profile, const Json& py, const std::string& file, const FrameworkSpec& reference,
                           std::vector<std::string>& warnings, const Json* reference_host = nullptr);

// A host measured by a dispatch probe: the typed profile (speeds, spread, source) and the per-op
// ratios it was taken from, which the profile file keeps as its `fit`.
struct ProbedHost {
  HostSpec host;
  Json fit;  // {"<probe>_over_reference": {op: ratio}, "reference": name}
  Json to_json() const;
};

// A host profile from calibrate/python_dispatch.py --device cuda's output alone (no runs, no GPU
// probe): its relative_time is the median over the probe's ops of their time over `reference_host`'s
// (data/hosts/h100-vm-a.json, with its microbench), its python_relative_time the nn.Module probe's.
// `fit` keeps the ratios. A CPU probe is refused (its ops launch no kernels).
// With `probed_low` > 0 (data/ranges.json's host_time_probed) the host carries it as its
// host_time_spread for every model.
ProbedHost host_from_python_dispatch(const Json& py, const std::string& file, const Json& reference_host,
                               const std::string& name, std::vector<std::string>& warnings, double probed_low = 0,
                               double probed_high = 0);

// A host measured by its own probe strays from its predictions as far as data/ranges.json's
// host_time_probed says (low, high): it carries that as its host_time_spread, for every model.
// Nothing when `low` is 0 (no ranges fitted).
void set_probed_spread(HostSpec& host, double low, double high);

// Folds real models' CUDA-graph replays (validate/gpu/graph_check.py: per case the replay's median
// latency and its kernels' count and CUPTI time) into a GPU profile: the time between dependent
// kernels (launch.graph_kernel_gap_s, also stream_kernel_gap_s) becomes the median per-kernel
// remainder of those replays. The probe's graph of small kernels measures none on an H200, where
// real models' replays show about half a microsecond.
void merge_graph_replays(DeviceProfile& profile, const Json& gc, const std::string& file, std::vector<std::string>& warnings);

}  // namespace fwtax
