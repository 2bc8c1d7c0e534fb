// Kineto traces: the streaming reader, then the traced workload replayed on the H100.
#include <sstream>

#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "model/trace.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace fwtax;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const DeviceSpec d = Catalog::builtin().device("h100");
  static const FrameworkSpec f = Catalog::builtin().framework("pytorch-eager");
  fuzz::guarded([&] {
    std::istringstream in(fuzz::text(data, size));
    Trace t = read_kineto_trace(in, "fuzz.json");
    TraceWhatIf what;
    what.device = &d;
    Workload w = trace_workload(t, what);
    SimResult r = simulate(w, d, f, SimOptions{});
    if (!std::isfinite(r.latency_s) || r.latency_s < 0) fuzz::finding("trace latency not finite", r.latency_s);
  });
  return 0;
}
