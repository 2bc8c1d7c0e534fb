#pragma once
// Host profile: the CPU that runs the framework. Framework host costs are measured on a reference
// host; a host's relative_time says how much longer the same dispatch work takes on it.
#include <string>

#include "model/json_spec.hpp"

namespace fwtax {

struct HostSpec {
  std::string name;         // required
  std::string description;  // defaulted: ""
  std::string cpu;          // defaulted: "" (the CPU model, when known)
  double relative_time = 1.0;  // required: dispatch time relative to the reference host (> 0)
  // Python nn.Module calls (a module's __call__ and the Python around its ops) relative to the
  // reference host: interpretation and C++ dispatch need not scale together. 0: as relative_time.
  double module_relative_time = 0;  // defaulted: 0 (> 0 when given)
  std::string source;          // defaulted: "" (where relative_time comes from)

  double module_time() const { return module_relative_time > 0 ? module_relative_time : relative_time; }
};

HostSpec parse_host(const Json& j, Diagnostics& diag, const std::string& pointer = "");
// The profile file's form of a host: what parse_host reads back (fits write hosts through it).
Json host_to_json(const HostSpec& h);

}  // namespace fwtax
