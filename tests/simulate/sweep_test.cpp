#include <doctest/doctest.h>

#include <sstream>

#include "simulate/report.hpp"
#include "simulate/sweep.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

TEST_CASE("a sweep is the cartesian product of its lists") {
  SweepRequest q;
  q.models = {"bert-base", "resnet50"};
  q.devices = {"h100", "a100"};
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.dtypes = {DType::fp16};
  q.batches = {1, 8};
  q.seqs = {64, 128};
  auto rows = run_sweep(q, Catalog::builtin());
  // bert: 2 devices x 2 frameworks x 2 batches x 2 seqs; resnet ignores seq: 2 x 2 x 2
  CHECK(rows.size() == 16 + 8);
  for (const auto& r : rows) {
    CHECK(r.sim.latency_s > 0);
    CHECK(r.sim.latency_s + 1e-12 >= r.sim.gpu_busy_s);
    CHECK(r.sim.framework_tax_s == test::approx(r.sim.latency_s - r.sim.gpu_busy_s));
  }
}

TEST_CASE("the crossover is the smallest batch that is no longer framework-bound") {
  std::vector<ResultRow> rows(4);
  Regime regimes[4] = {Regime::framework, Regime::framework, Regime::compute, Regime::compute};
  long long batches[4] = {8, 1, 64, 16};
  for (int i = 0; i < 4; ++i) {
    rows[i].model.assign(1, 'm');
    rows[i].batch = batches[i];
    rows[i].sim.bound = regimes[i];
  }
  mark_crossovers(rows);
  for (const auto& r : rows) {
    REQUIRE(r.crossover_batch.has_value());
    CHECK(*r.crossover_batch == 16);  // batches 1 and 8 are framework-bound
  }
  rows[2].sim.bound = Regime::framework;
  rows[3].sim.bound = Regime::framework;  // all framework-bound now
  mark_crossovers(rows);
  CHECK(!rows[0].crossover_batch.has_value());
}

TEST_CASE("CUDA graphs remove the framework tax of BERT-base at batch 1 on the H100") {
  SweepRequest q;
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.dtypes = {DType::fp16};
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].sim.bound == Regime::framework);
  CHECK(rows[1].sim.bound != Regime::framework);
  CHECK(rows[1].sim.latency_s < 0.5 * rows[0].sim.latency_s);
}

TEST_CASE("JSON and CSV output are byte-identical across runs") {
  SweepRequest q;
  q.models = {"bert-base", "resnet50"};
  q.devices = {"h100", "v100"};
  q.dtypes = {DType::fp32, DType::fp16};
  q.batches = {1, 4, 64};
  auto render = [&] {
    std::ostringstream a;
    auto rows = run_sweep(q, Catalog::builtin());
    write_json(a, rows);
    write_csv(a, rows);
    return a.str();
  };
  std::string first = render();
  CHECK(first == render());
  CHECK(first.find("\"framework_tax_s\"") != std::string::npos);
}

TEST_CASE("element-bound kernels: their time is reported apart, and does not shrink with faster memory") {
  // ResNet-50 fp16 at batch 64: batch norm and the max pool work through elements on the SMs. The
  // H200 has the H100's SMs and 1.4x its bandwidth: memory-bound time shrinks, element-bound does not.
  SweepRequest q;
  q.models = {"resnet50"};
  q.devices = {"h100", "h200"};
  q.frameworks = {"cuda-graphs"};
  q.dtypes = {DType::fp16};
  q.batches = {64};
  q.breakdown = true;
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 2);
  for (const auto& r : rows) {
    const SimResult& s = r.sim;
    CHECK(s.gpu_compute_s + s.gpu_memory_s + s.gpu_elements_s + s.gpu_floor_s == test::approx(s.gpu_busy_s));
    CHECK(s.gpu_elements_s > 0.2 * s.gpu_busy_s);
  }
  CHECK(rows[1].sim.gpu_elements_s == test::approx(rows[0].sim.gpu_elements_s));
  CHECK(rows[1].sim.gpu_memory_s < 0.8 * rows[0].sim.gpu_memory_s);
  // The breakdown names each op's binding limit; the JSON carries both.
  std::size_t bn = 0, pools = 0;
  for (const auto& o : rows[0].breakdown) {
    if (o.op_class == "batch_norm") bn += o.bound == "elements";
    if (o.op_class == "pool") pools += o.bound == "elements";
    if (o.kernels == 0) CHECK(o.bound.empty());
  }
  CHECK(bn == 53);
  CHECK(pools == 1);
  std::ostringstream js;
  write_json(js, rows);
  Json j = Json::parse(js.str());
  CHECK(j[0]["gpu_time_by_limit_s"]["elements"].get<double>() == test::approx(rows[0].sim.gpu_elements_s));
  CHECK(j[0]["breakdown"][0].contains("bound"));
  std::ostringstream text;
  write_breakdown(text, rows[0]);
  CHECK(text.str().find("elements") != std::string::npos);
}

TEST_CASE("--host runs every GPU on the host given: its dispatch and launch costs scale by its speed") {
  const Catalog& c = Catalog::builtin();
  SweepRequest q;
  q.models = {"bert-base"};
  q.devices = {"h100", "a100"};
  q.batches = {1};
  auto own = run_sweep(q, c);
  REQUIRE(own.size() == 2);
  CHECK(own[0].host == c.host_of(c.device("h100")).name);
  CHECK(own[1].host == c.host_of(c.device("a100")).name);
  q.host = "paper-a100";
  auto given = run_sweep(q, c);
  REQUIRE(given.size() == 2);
  const double a100_host = c.host("paper-a100").relative_time;
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(given[i].host == "paper-a100");
    CHECK(given[i].sim.gpu_busy_s == test::approx(own[i].sim.gpu_busy_s));  // the GPU is the same
    // Framework-bound at batch 1: the host's time is the latency, in proportion to its speed.
    double own_speed = c.host(own[i].host).relative_time;
    CHECK(given[i].sim.host_busy_s == doctest::Approx(own[i].sim.host_busy_s * a100_host / own_speed).epsilon(1e-9));
  }
  // On the device's own host, the prediction is the device's own.
  q.host = own[0].host;
  q.devices = {"h100"};
  CHECK(run_sweep(q, c).front().sim.latency_s == test::approx(own[0].sim.latency_s));
}

TEST_CASE("a CPU device is its own host: --host is refused for it, and a trace keeps its machine's host") {
  const Catalog& c = Catalog::builtin();
  DeviceSpec cpu = c.device("h100");
  cpu.kind = DeviceKind::cpu;
  Grid g;
  g.models = {resolve_model("mlp")};
  g.devices = {cpu};
  g.frameworks = {c.framework("libtorch")};
  g.host = c.host("paper-a100");
  CHECK_THROWS_AS(simulate_grid(g, c), InputError);
  SweepRequest q;
  q.trace = "any.json";
  q.host = "paper-a100";
  CHECK_THROWS_AS(run_sweep(q, c), InputError);
}
