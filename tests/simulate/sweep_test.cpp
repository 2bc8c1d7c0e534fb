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

TEST_CASE("a device without the dtype's tensor cores gets one warning per device and dtype") {
  SweepRequest q;
  q.devices = {"v100", "h100", "1080ti"};
  q.dtypes = {DType::bf16, DType::fp16, DType::fp32};
  q.batches = {1, 64};
  SweepExtras extras;
  auto rows = run_sweep(q, Catalog::builtin(), &extras);
  REQUIRE(rows.size() == 18);
  // The V100 has fp16 tensor cores but no bf16 ones; Pascal has neither; the H100 has both.
  REQUIRE(extras.warnings.size() == 3);
  CHECK(extras.warnings[0].find("v100 has no bf16 tensor cores") == 0);
  CHECK(extras.warnings[0].find("fp32 arithmetic") != std::string::npos);
  CHECK(extras.warnings[0].find("125 TFLOP/s") != std::string::npos);  // what fp16 would have used
  CHECK(extras.warnings[1].find("1080ti has no bf16 tensor cores") == 0);
  CHECK(extras.warnings[2].find("1080ti has no fp16 tensor cores") == 0);
  for (const auto& w : extras.warnings) CHECK(w.find("h100") == std::string::npos);
}

TEST_CASE("the dtype warning says matrix math, not tensor cores, on a CPU") {
  DeviceSpec cpu = test::toy_gpu();
  cpu.name = "my-cpu";
  cpu.kind = DeviceKind::cpu;
  cpu.peak_flops_per_s = {};
  cpu.peak_flops_per_s[static_cast<int>(Math::fp32_simt)] = 1e12;
  CHECK(dtype_fallback_warning(cpu, DType::fp32).empty());
  std::string w = dtype_fallback_warning(cpu, DType::bf16);
  CHECK(w.find("my-cpu has no bf16 matrix math") == 0);
  CHECK(w.find("fp32 arithmetic (fp32_simt, 1 TFLOP/s)") != std::string::npos);
  CHECK(dtype_fallback_warning(test::toy_gpu(), DType::fp16).empty());
}
