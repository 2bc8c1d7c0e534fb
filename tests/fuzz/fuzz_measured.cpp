// Measured runs: fwtax's runs JSON (first byte '{') or the paper's CSV format (anything else).
#include "model/arch/architecture.hpp"
#include "tests/fuzz/fuzz_common.hpp"
#include "validate/measured.hpp"

using namespace fwtax;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::guarded([&] {
    std::string s = fuzz::text(data, size);
    std::vector<MeasuredRun> runs;
    if (!s.empty() && s[0] == '{') runs = parse_runs_json(parse_json(s, "fuzz.json"), "fuzz.json", "h100");
    else runs = parse_paper_csv(s, "pretrained-fp16/v100.csv", "v100", "pretrained-fp16");
    for (const auto& r : runs) {
      if (!(r.latency_s > 0) || !std::isfinite(r.latency_s)) fuzz::finding("run with a latency <= 0", r.latency_s);
      if (r.batch < 1) fuzz::finding("run with a batch < 1", static_cast<double>(r.batch));
      // A variant rebuilt from the run's meta must parse or be refused as an input error.
      if (r.arch.is_object()) {
        try {
          parse_architecture(r.arch, "fuzz.json");
        } catch (const InputError&) {
        }
      }
    }
  });
  return 0;
}
