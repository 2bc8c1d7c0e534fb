#include <doctest/doctest.h>

#include "model/arch/architecture.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

// n ops, each with one kernel of the given FLOPs and bytes (fp32), optionally a sync after op `sync_at`.
Workload chain(int n, double flops, double bytes, int sync_at = -1) {
  Workload w;
  w.config.model = "chain";
  std::uint32_t name = w.intern("op");
  for (int i = 0; i < n; ++i) {
    Op op;
    op.name = name;
    op.cls = OpClass::elementwise;
    op.first_kernel = static_cast<std::uint32_t>(w.kernels.size());
    op.kernel_count = 1;
    op.sync = i == sync_at;
    w.ops.push_back(op);
    Kernel k;
    k.kind = KernelKind::gemm;
    k.math = Math::fp32_simt;
    k.flops = flops;
    k.bytes = bytes;
    k.name = name;
    w.kernels.push_back(k);
  }
  return w;
}

}  // namespace

TEST_CASE("framework-bound: tiny kernels wait for the host, the GPU idles between them") {
  DeviceSpec d = test::toy_gpu();
  SimResult r = simulate(chain(10, 0, 0), d, test::toy_eager(20e-6), {});
  // Op i ends on the host at 20(i+1) us and its 1 us kernel runs right away: the last ends at 201 us.
  CHECK(r.latency_s == test::approx(201e-6));
  CHECK(r.host_busy_s == test::approx(200e-6));
  CHECK(r.gpu_busy_s == test::approx(10e-6));
  CHECK(r.framework_tax_s == test::approx(191e-6));
  CHECK(r.bound == Regime::framework);
}

TEST_CASE("compute-bound: kernels queue back to back and the host finishes early") {
  DeviceSpec d = test::toy_gpu();
  SimResult r = simulate(chain(2, 1e10, 0), d, test::toy_eager(10e-6), {});
  // 100 us kernels: the first starts at 10 us, the second queues behind it: 10 + 100 + 100.
  CHECK(r.latency_s == test::approx(210e-6));
  CHECK(r.bound == Regime::compute);
}

TEST_CASE("memory-bound: streaming kernels set the pace") {
  DeviceSpec d = test::toy_gpu();
  SimResult r = simulate(chain(3, 1e3, 1e8), d, test::toy_eager(10e-6), {});
  CHECK(r.latency_s == test::approx(10e-6 + 300e-6));
  CHECK(r.bound == Regime::memory);
}

TEST_CASE("a sync point makes the host wait for the GPU") {
  DeviceSpec d = test::toy_gpu();
  d.sync_s = 4e-6;
  Workload w = chain(3, 1e10, 0, 1);
  w.kernels[1].flops = 0;  // op 1 is a tiny kernel followed by a sync (like .item())
  w.kernels[2].flops = 0;
  SimResult r = simulate(w, d, test::toy_eager(10e-6), {});
  // kernel 0: 10..110; op 1 dispatched at 20, its kernel runs 110..111; the host waits until 111 + 4;
  // op 2 costs 10 more (125) and its kernel ends at 126; the final sync adds 4.
  CHECK(r.latency_s == test::approx(130e-6));
  // One wait inside the call, from 20 (ops 0 and 1 dispatched) to 115.
  CHECK(r.host_waits == 1);
  CHECK(r.host_wait_s == test::approx(95e-6));
  SimResult no_sync = simulate(chain(3, 1e10, 0), d, test::toy_eager(10e-6), {});
  CHECK(no_sync.latency_s > 300e-6);  // three 100 us kernels, no waiting
  CHECK(no_sync.host_waits == 0);
  CHECK(no_sync.host_wait_s == 0);
}

TEST_CASE("CUDA graphs: one host launch, kernels back to back with the graph's gap") {
  DeviceSpec d = test::toy_gpu();
  d.graph_launch_host_s = 3e-6;
  d.graph_launch_latency_s = 1e-6;
  d.graph_kernel_gap_s = 0.5e-6;
  FrameworkSpec f = test::toy_eager(1.0);  // per-op costs must not matter
  f.mode = ExecMode::graph;
  f.call_host_s = 2e-6;
  SimResult r = simulate(chain(3, 1e9, 0), d, f, {});
  // host: 2 + 3 = 5 us; first kernel at 6 us; 3 x (10 + 0.5) us
  CHECK(r.latency_s == test::approx(37.5e-6));
  CHECK(r.host_busy_s == test::approx(5e-6));
  CHECK(r.bound == Regime::compute);
}

TEST_CASE("pipelined calls overlap host and GPU: the period is the slower of the two") {
  DeviceSpec d = test::toy_gpu();
  SimOptions o;
  o.measure = Measure::pipelined;
  SimResult host_bound = simulate(chain(10, 0, 0), d, test::toy_eager(20e-6), o);
  CHECK(host_bound.latency_s == test::approx(200e-6));
  SimResult gpu_bound = simulate(chain(2, 1e10, 0), d, test::toy_eager(10e-6), o);
  CHECK(gpu_bound.latency_s == test::approx(200e-6));
  SimResult sync = simulate(chain(2, 1e10, 0), d, test::toy_eager(10e-6), {});
  CHECK(sync.latency_s > gpu_bound.latency_s);
}

TEST_CASE("a host twice as slow doubles the framework-bound latency") {
  DeviceSpec d = test::toy_gpu();
  SimOptions o;
  o.host_factor = 2.0;
  SimResult r = simulate(chain(10, 0, 0), d, test::toy_eager(20e-6), o);
  CHECK(r.latency_s == test::approx(401e-6));
}

TEST_CASE("on a CPU device the host runs each kernel itself") {
  DeviceSpec d = test::toy_gpu();
  d.kind = DeviceKind::cpu;
  SimResult r = simulate(chain(2, 1e10, 0), d, test::toy_eager(10e-6), {});
  CHECK(r.latency_s == test::approx(220e-6));
  CHECK(r.bound == Regime::compute);
  FrameworkSpec g = test::toy_eager(0);
  g.mode = ExecMode::graph;
  CHECK(!test::messages_of([&] { simulate(chain(1, 0, 0), d, g, {}); }).empty());
}

TEST_CASE("the timeline records every op on the host and every kernel on the GPU") {
  DeviceSpec d = test::toy_gpu();
  SimOptions o;
  o.timeline = true;
  SimResult r = simulate(chain(4, 1e9, 0), d, test::toy_eager(10e-6), o);
  CHECK(r.gpu_spans.size() == 4);
  CHECK(r.host_spans.size() >= 4);
  for (std::size_t i = 1; i < r.gpu_spans.size(); ++i)
    CHECK(r.gpu_spans[i].start_s >= r.gpu_spans[i - 1].start_s + r.gpu_spans[i - 1].dur_s - 1e-12);
}

TEST_CASE("reduce-overhead: a per-op mode with cuda_graphs replays a graph on a GPU and runs op by op on a CPU") {
  DeviceSpec d = test::toy_gpu();
  d.graph_launch_host_s = 3e-6;
  d.graph_launch_latency_s = 1e-6;
  d.graph_kernel_gap_s = 0.5e-6;
  FrameworkSpec f = test::toy_eager(50e-6);
  f.mode = ExecMode::wrapper;
  f.call_host_s = 2e-6;
  SimResult wrapper = simulate(chain(3, 0, 0), d, f, {});
  f.cuda_graphs = true;
  f.graph_replay_host_s = 4e-6;
  SimResult graphs = simulate(chain(3, 0, 0), d, f, {});
  // host: 2 + 4 + 3 = 9 us, the per-op costs unpaid
  CHECK(graphs.host_busy_s == test::approx(9e-6));
  CHECK(wrapper.host_busy_s > 150e-6);
  d.kind = DeviceKind::cpu;
  SimResult cpu = simulate(chain(3, 0, 0), d, f, {});
  CHECK(cpu.host_busy_s == test::approx(152e-6));  // no graph on a CPU: the call and three ops
}

TEST_CASE("a mode's generated kernels can be bound by their code's element rate, others are not") {
  DeviceSpec d = test::toy_gpu();
  d.kind = DeviceKind::cpu;
  Workload w = chain(2, 0, 8e3);
  for (Kernel& k : w.kernels) k.kind = KernelKind::elementwise, k.elements = 1e6;
  w.ops[1].fused = true;
  FrameworkSpec f = test::toy_eager(0);
  SimResult plain = simulate(w, d, f, {});
  f.generated_elements_per_s = 1e9;  // 1 ms per million elements
  SimResult slow = simulate(w, d, f, {});
  CHECK(slow.latency_s == test::approx(plain.latency_s + 1e-3 - plain.latency_s / 2).epsilon(1e-6));
  CHECK(slow.gpu_elements_s == test::approx(1e-3));
  // A generated kernel holding a clamp has its own rate.
  w.kernels[1].clamp = true;
  f.generated_clamp_elements_per_s = 0.25e9;
  CHECK(simulate(w, d, f, {}).gpu_elements_s == test::approx(4e-3));
}

TEST_CASE("a TensorRT engine pays one call and one launch per kernel, whatever its ops would cost to dispatch") {
  DeviceSpec d = test::toy_gpu();
  d.launch_host_s = 4e-6;
  FrameworkSpec f = test::toy_eager(50e-6);  // per-op costs an engine never pays
  f.mode = ExecMode::engine;
  f.call_host_s = 3e-6;
  Workload w = chain(5, 0, 0);
  w.kernels.push_back(w.kernels.back());  // the last op launches two kernels
  w.ops.back().kernel_count = 2;
  SimResult r = simulate(w, d, f, {});
  CHECK(r.kernels == 6);
  CHECK(r.host_busy_s == test::approx(3e-6 + 6 * 4e-6));
  CHECK(r.bound == Regime::framework);  // tiny kernels: the enqueue is the bound
  SimOptions slow_host;
  slow_host.launch_factor = 2;  // a host twice as slow launches at half the speed
  CHECK(simulate(w, d, f, slow_host).host_busy_s == test::approx(3e-6 + 12 * 4e-6));
  // Large kernels: the enqueue ends long before the GPU, which runs them back to back.
  SimResult busy = simulate(chain(3, 1e10, 0), d, f, {});
  CHECK(busy.bound == Regime::compute);
  CHECK(busy.latency_s == test::approx(busy.gpu_busy_s + 3e-6 + 4e-6 + d.launch_latency_s + 2 * d.stream_kernel_gap_s +
                                       d.sync_s)
                              .epsilon(1e-6));
  d.kind = DeviceKind::cpu;
  auto messages = test::messages_of([&] { simulate(w, d, f, {}); });
  REQUIRE(messages.size() == 1);
  CHECK(messages.front().find("needs a GPU device") != std::string::npos);
}

TEST_CASE("graphed ops in an eager call: one replay launched by the first, its kernels back to back, then eager ops") {
  // HF generate's compiled decode step: the forward replayed from a graph, the sampling loop eager.
  DeviceSpec d = test::toy_gpu();
  d.graph_launch_host_s = 3e-6;
  d.graph_launch_latency_s = 1e-6;
  d.graph_kernel_gap_s = 0.5e-6;
  FrameworkSpec f = test::toy_eager(5e-6);
  Workload w = chain(5, 1e9, 0);  // 10 us kernels
  for (int i = 0; i < 3; ++i) w.ops[i].graphed = true;
  w.ops[0].host_s = 4e-6;  // the compiled call's own host cost, paid at the replay's launch
  SimOptions o;
  o.timeline = true;
  SimResult r = simulate(w, d, f, o);
  // host: 4 + 3 us launch the graph; its kernels at 8-18, 18.5-28.5, 29-39 us; the two eager ops cost
  // 5 us each (host at 12 and 17 us) and their kernels queue behind the graph: 39-49, 49-59 us.
  CHECK(r.host_busy_s == test::approx(17e-6));
  CHECK(r.latency_s == test::approx(59e-6));
  REQUIRE(r.gpu_spans.size() == 5);
  CHECK(r.gpu_spans[0].start_s == test::approx(8e-6));
  CHECK(r.gpu_spans[2].start_s == test::approx(29e-6));
  CHECK(r.gpu_spans[3].start_s == test::approx(39e-6));
  // The graphed ops other than the first cost the host nothing: one span for the replay, one per eager op.
  std::size_t op_spans = 0;
  for (const auto& s : r.host_spans) op_spans += s.op < w.ops.size() ? 1 : 0;
  CHECK(op_spans == 3);
}

TEST_CASE("appending a workload's ops carries their kernels and names into the other's tables") {
  Workload a = chain(2, 1e9, 0), b;
  std::uint32_t x = b.intern("aten::argmax");
  Op op;
  op.name = x;
  op.cls = OpClass::reduction;
  op.first_kernel = 0;
  op.kernel_count = 1;
  b.ops.push_back(op);
  Kernel k;
  k.kind = KernelKind::reduction;
  k.bytes = 64;
  k.name = b.intern("argmax_kernel");
  b.kernels.push_back(k);
  a.append_ops(b, 0);
  REQUIRE(a.ops.size() == 3);
  REQUIRE(a.kernels.size() == 3);
  CHECK(a.name(a.ops[2].name) == "aten::argmax");
  CHECK(a.ops[2].first_kernel == 2);
  CHECK(a.name(a.kernels[2].name) == "argmax_kernel");
  CHECK(a.kernels[2].bytes == 64);
  Workload c = chain(1, 1e9, 0);
  c.append_ops(b, 1);  // from past the end: nothing
  CHECK(c.ops.size() == 1);
}

TEST_CASE("torch.compile's guards cost each call their count times their time, the count growing with module calls") {
  const Catalog& c = Catalog::builtin();
  const FrameworkSpec f = c.framework("torch-compile");
  REQUIRE(f.guard_host_s > 0);
  REQUIRE(f.guards_per_module_call > 0);
  const DeviceSpec d = c.device("h100");
  WorkloadConfig cfg{"bert-base", DType::fp16, 1, 128, 0};
  Workload w = build_workload(*find_builtin_architecture("bert-base"), cfg, make_backend(d, f));
  // The builder counts HF BERT's 215 module calls, though the compiled workload keeps none of them.
  CHECK(w.module_calls == 215);
  FrameworkSpec none = f;
  none.guard_host_s = 0;
  SimOptions o;
  const double with = simulate(w, d, f, o).host_busy_s, without = simulate(w, d, none, o).host_busy_s;
  CHECK(with - without == test::approx(f.guard_host_s * f.guards_per_module_call * 215).epsilon(1e-9));
  // Eager PyTorch has no guards.
  CHECK(c.framework("pytorch-eager").guard_host_s == 0);
}
