// Simulator throughput in kernel events per second: the event loop alone (workload built once), a
// workload build plus simulation, and the 66-configuration BERT sweep of the foundation issue.
#include <benchmark/benchmark.h>

#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "simulate/sweep.hpp"

using namespace fwtax;

namespace {

struct Setup {
  DeviceSpec device = Catalog::builtin().device("h100");
  FrameworkSpec framework = Catalog::builtin().framework("pytorch-eager");
  const Architecture* arch = find_builtin_architecture("bert-base");
};

void BM_event_loop(benchmark::State& state) {
  Setup s;
  WorkloadConfig c{"bert-base", DType::fp16, state.range(0), 128, 0};
  Workload w = build_workload(*s.arch, c, make_backend(s.device, s.framework));
  for (auto _ : state) benchmark::DoNotOptimize(simulate(w, s.device, s.framework, {}).latency_s);
  state.counters["kernel_events_per_s"] =
      benchmark::Counter(static_cast<double>(w.kernels.size() * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_event_loop)->Arg(1)->Arg(64);

void BM_build_and_simulate(benchmark::State& state) {
  Setup s;
  Backend b = make_backend(s.device, s.framework);
  std::size_t kernels = 0;
  for (auto _ : state) {
    Workload w = build_workload(*s.arch, {"bert-base", DType::fp16, 8, 128, 0}, b);
    kernels += w.kernels.size();
    benchmark::DoNotOptimize(simulate(w, s.device, s.framework, {}).latency_s);
  }
  state.counters["kernel_events_per_s"] = benchmark::Counter(static_cast<double>(kernels), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_build_and_simulate);

void BM_sweep_66(benchmark::State& state) {
  SweepRequest q;
  q.batches = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  q.seqs = {16, 32, 64, 128, 256, 512};
  std::size_t kernels = 0;
  for (auto _ : state) {
    auto rows = run_sweep(q, Catalog::builtin());
    for (const auto& r : rows) kernels += r.sim.kernels;
  }
  state.counters["kernel_events_per_s"] = benchmark::Counter(static_cast<double>(kernels), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_sweep_66);

}  // namespace

BENCHMARK_MAIN();
