#pragma once
// Host profile: the CPU that runs the framework. Framework host costs are measured on a reference
// host; a host's relative_time says how much longer the same dispatch work takes on it.
#include <string>
#include <vector>

#include "model/json_spec.hpp"

namespace fwtax {

// A host's times relative to the reference host lie within [1 / kMaxRelativeTime, kMaxRelativeTime].
inline constexpr double kMaxRelativeTime = 1000;

struct HostSpec {
  std::string name;         // required
  std::string description;  // defaulted: ""
  std::string cpu;          // defaulted: "" (the CPU model, when known)
  double relative_time = 1.0;  // required: dispatch time relative to the reference host (> 0)
  // Python's time relative to the reference host: nn.Module calls (a module's __call__ and the Python
  // around its ops) and each op's Python side (FrameworkSpec::op_python_s); interpretation and C++
  // dispatch need not scale together. 0: as relative_time. Read from module_relative_time too.
  double python_relative_time = 0;  // defaulted: 0 (> 0 when given)
  std::string source;          // defaulted: "" (where relative_time comes from)
  // 10th and 90th percentiles of measured over predicted time where this host binds, on the runs of
  // the models it was fitted to (host_time_spread: {low, high, models}); those models' ranges use it
  // instead of data/ranges.json's host spread, which covers machines and models of every kind (other
  // models stray from a host fitted to one as far as across machines). 0: not given.
  double spread_low = 0, spread_high = 0;  // defaulted: 0 (when given: low <= 1 <= high, both > 0)
  // required with a spread: the models whose runs it is of; ["*"]: every model (a host measured by its
  // own probe, whose spread is data/ranges.json's host_time_probed)
  std::vector<std::string> spread_models;
  // The device whose runs calibrate --target host fitted this host to (fit.device; "" when not fitted):
  // its speed is what the runs showed against that device's profiles.
  std::string fitted_device;

  double python_time() const { return python_relative_time > 0 ? python_relative_time : relative_time; }
  bool has_spread() const { return spread_low > 0 && spread_high > 0; }
  // Whether `model`'s ranges take this host's own spread.
  bool spread_covers(const std::string& model) const;
};

HostSpec parse_host(const Json& j, Diagnostics& diag, const std::string& pointer = "");
// The profile file's form of a host: what parse_host reads back (fits write hosts through it).
Json host_to_json(const HostSpec& h);

}  // namespace fwtax
