// Architecture JSON and Hugging Face config.json: parse, and when they load, build the workload at
// batch 1 on the H100 and simulate it.
#include "model/arch/architecture.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace fwtax;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const DeviceSpec d = Catalog::builtin().device("h100");
  static const FrameworkSpec f = Catalog::builtin().framework("pytorch-eager");
  fuzz::guarded([&] {
    Json j = parse_json(fuzz::text(data, size), "fuzz.json");
    Architecture a = parse_architecture(j, "fuzz.json");
    WorkloadConfig c;
    c.model = a.name;
    c.batch = 1;
    if (a.input == InputKind::tokens) c.seq = std::min<long long>(a.default_seq, 256);
    else c.image = std::min<long long>(a.default_image, 256);
    Workload w = build_workload(a, c, make_backend(d, f));
    if (w.ops.size() > 2'000'000) fuzz::finding("more than 2M ops for one call", static_cast<double>(w.ops.size()));
    fuzz::check_latency(simulate(w, d, f, SimOptions{}).latency_s);
  });
  return 0;
}
