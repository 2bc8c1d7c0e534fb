#include "model/host.hpp"

namespace fwtax {

HostSpec parse_host(const Json& j, Diagnostics& diag, const std::string& pointer) {
  HostSpec h;
  ObjectReader r(j, pointer, diag);
  r.allow({"source", "schema", "fit", "microbench"});
  h.name = r.string("name");
  h.description = r.string_or("description", "");
  h.cpu = r.string_or("cpu", "");
  h.relative_time = r.number("relative_time", NumberRule::positive, 1.0);
  r.finish();
  return h;
}

}  // namespace fwtax
