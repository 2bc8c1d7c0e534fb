// Calibration fits of probe outputs (fwtax-probe-torch and fwtax-probe-cuda JSON), and graph-check
// files (validate/gpu/graph_check.py, with `cases`) merged into the built-in h200-calibrated
// profile: a fit that succeeds must write a profile that loads and whose every cost is finite and
// positive.
#include "calibrate/fit.hpp"
#include "model/catalog.hpp"
#include "model/device.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace fwtax;

namespace {
void check_numbers(const Json& j) {
  if (j.is_number() && (!std::isfinite(j.get<double>()) || j.get<double>() < 0)) fuzz::finding("bad number", j.get<double>());
  if (j.is_structured())
    for (const auto& v : j) check_numbers(v);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::guarded([&] {
    Json mb = parse_json(fuzz::text(data, size), "fuzz.json");
    Json profile;
    if (mb.is_object() && mb.contains("cases")) {
      DeviceProfile built = DeviceProfile::from_json(*Catalog::builtin().builtin_json("devices/h200-calibrated.json"),
                                                     "devices/h200-calibrated.json");
      built.calibration.erase("graph_replays");
      std::vector<std::string> warnings;
      merge_graph_replays(built, mb, "fuzz.json", warnings);
      profile = built.to_json();
    } else {
      bool cuda = mb.is_object() && mb.value("schema", std::string()).find("cuda") != std::string::npos;
      profile = (cuda ? fit_cuda_microbench(mb, "fuzz.json", "fuzz", "h100-vm-a",
                                            Catalog::builtin().builtin_json("hosts/h100-vm-a.json"))
                      : fit_cpu_microbench(mb, "fuzz.json", "fuzz"))
                    .profile.to_json();
    }
    Json p = profile;
    p.erase("calibration");
    check_numbers(p);
    Diagnostics d("profile");
    parse_device(profile, d);
    if (!d.empty()) fuzz::finding("a fitted or merged profile does not load");
  });
  return 0;
}
