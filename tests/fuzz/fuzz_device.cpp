// Device, framework and host profiles: parse, and when they load, simulate BERT-base and ResNet-50
// on them (a profile that loads must give a finite, positive latency).
#include "model/arch/architecture.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "model/host.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace fwtax;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::guarded([&] {
    Json j = parse_json(fuzz::text(data, size), "fuzz.json");
    Diagnostics hd("fuzz.json");
    parse_host(j, hd);
    Diagnostics fd("fuzz.json");
    FrameworkSpec f = parse_framework(j, fd);
    Diagnostics dd("fuzz.json");
    DeviceSpec d = parse_device(j, dd);
    dd.throw_if_any();
    if (!d.efficiency_like.empty()) inherit_efficiency(d, Catalog::builtin().device("h100"));
    const FrameworkSpec eager = fd.empty() ? f : Catalog::builtin().framework("pytorch-eager");
    if (needs_gpu(eager) && d.kind == DeviceKind::cpu) return;
    for (const char* model : {"bert-base", "resnet50"}) {
      const Architecture* a = find_builtin_architecture(model);
      WorkloadConfig c;
      c.model = model;
      c.batch = 2;
      if (a->input == InputKind::tokens) c.seq = 64;
      else c.image = 64;
      Workload w = build_workload(*a, c, make_backend(d, eager));
      fuzz::check_latency(simulate(w, d, eager, SimOptions{}).latency_s);
    }
  });
  return 0;
}
