#include "model/host.hpp"

namespace fwtax {

HostSpec parse_host(const Json& j, Diagnostics& diag, const std::string& pointer) {
  HostSpec h;
  ObjectReader r(j, pointer, diag);
  r.allow({"schema", "fit", "microbench"});
  h.name = r.string("name");
  h.description = r.string_or("description", "");
  h.cpu = r.string_or("cpu", "");
  h.relative_time = r.number("relative_time", NumberRule::positive, 1.0);
  h.module_relative_time = r.number_or("module_relative_time", NumberRule::positive, 0.0);
  h.source = r.string_or("source", "");
  r.finish();
  return h;
}

Json host_to_json(const HostSpec& h) {
  Json j = {{"name", h.name}, {"relative_time", h.relative_time}};
  if (h.module_relative_time > 0) j["module_relative_time"] = h.module_relative_time;
  if (!h.description.empty()) j["description"] = h.description;
  if (!h.cpu.empty()) j["cpu"] = h.cpu;
  if (!h.source.empty()) j["source"] = h.source;
  return j;
}

}  // namespace fwtax
