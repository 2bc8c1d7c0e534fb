#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "simulate/report.hpp"
#include "simulate/sweep.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {
// A sweep of these lists in one dtype, with breakdowns.
SweepRequest with_breakdown(std::vector<std::string> models, std::vector<std::string> devices,
                            std::vector<std::string> frameworks, DType dtype, std::vector<long long> batches) {
  SweepRequest q;
  q.models = std::move(models);
  q.devices = std::move(devices);
  q.frameworks = std::move(frameworks);
  q.dtypes = {dtype};
  q.batches = std::move(batches);
  q.breakdown = true;
  return q;
}
}  // namespace

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
  SweepRequest q = with_breakdown({"resnet50"}, {"h100", "h200"}, {"cuda-graphs"}, DType::fp16, {64});
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

TEST_CASE("a host's python_relative_time scales Python module calls and each op's Python side apart from its dispatch") {
  const Catalog& c = Catalog::builtin();
  Grid g;
  g.models = {resolve_model("bert-base")};
  g.devices = {c.device("h100")};
  const FrameworkSpec f = c.framework("pytorch-eager");
  g.frameworks = {f};
  g.breakdown = true;
  HostSpec h = c.host("paper-a100");
  const double dispatch = h.relative_time / c.host("h100-vm-a").relative_time;  // h100's costs are measured there
  h.python_relative_time = 0;  // as its dispatch
  g.host = h;
  auto same = simulate_grid(g, c);
  h.python_relative_time = 2 * h.relative_time;  // Python twice as slow as its dispatch, against the reference's
  g.host = h;
  auto slow = simulate_grid(g, c);
  REQUIRE(same.size() == 1);
  REQUIRE(slow.size() == 1);
  REQUIRE(same[0].breakdown.size() == slow[0].breakdown.size());
  auto python_of = [&](const std::string& cls) {
    for (int i = 0; i < kOpClassCount; ++i)
      if (op_class_name(static_cast<OpClass>(i)) == cls) return f.op_python_s[i];
    FAIL("unknown op class " << cls);
    return 0.0;
  };
  double module_host = 0, op_python = 0;
  for (std::size_t i = 0; i < same[0].breakdown.size(); ++i) {
    const auto& a = same[0].breakdown[i];
    const auto& b = slow[0].breakdown[i];
    CAPTURE(a.op_class);
    bool module = a.op_class.rfind("module_", 0) == 0;
    if (module) {
      CHECK(b.host_s == test::approx(a.host_s * 2.0));
      module_host += a.host_s;
    } else {  // the op's Python side once more, its dispatch and launches as they were
      const double python = python_of(a.op_class) * dispatch;
      CHECK(b.host_s == test::approx(a.host_s + python));
      op_python += python;
    }
  }
  CHECK(module_host > 0);
  CHECK(op_python > 0);
  CHECK(slow[0].sim.host_busy_s > same[0].sim.host_busy_s + module_host + op_python);  // + the model's own __call__
  CHECK(slow[0].sim.gpu_busy_s == test::approx(same[0].sim.gpu_busy_s));
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

TEST_CASE("a stack that picks passes by compute capability warns on a GPU profile without one") {
  // A V100 profile with its compute_capability removed: torchscript@1.12 takes nvFuser (the newest
  // GPUs' pass) and says so; eager picks nothing by it and says nothing; the built-in V100 says nothing.
  std::filesystem::path dir = test::scratch("fwtax_cc_warning");
  std::filesystem::create_directories(dir);
  Json v100 = *Catalog::builtin().builtin_json("devices/v100.json");
  v100.erase("compute_capability");
  v100["name"] = "v100-no-cc";
  const std::string file = (dir / "v100-no-cc.json").string();
  std::ofstream(file) << v100.dump();
  for (const char* device : {file.c_str(), "v100"})
    for (const char* framework : {"torchscript@1.12", "pytorch-eager"}) {
      SweepRequest q;
      q.devices = {device};
      q.frameworks = {framework};
      q.models = {"resnet18"};
      q.batches = {1};
      SweepExtras extras;
      run_sweep(q, Catalog::builtin(), &extras);
      CAPTURE(device);
      CAPTURE(framework);
      const bool expected = std::string(device) == file && std::string(framework) == "torchscript@1.12";
      REQUIRE(extras.warnings.size() == (expected ? 1u : 0u));
      if (expected) CHECK(extras.warnings[0].find("v100-no-cc gives no compute_capability") == 0);
    }
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

TEST_CASE("a breakdown totals host and GPU time by op class and by module, and the totals add up") {
  SweepRequest q;
  q.models = {"bert-base", "resnet50"};
  q.dtypes = {DType::fp16};
  q.breakdown = true;
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 2);
  for (const auto& r : rows) {
    CAPTURE(r.model);
    double host = 0, gpu = 0;
    for (const auto& o : r.breakdown) host += o.host_s, gpu += o.gpu_s;
    for (const auto& totals : {breakdown_by_class(r.breakdown), breakdown_by_module(r.breakdown)}) {
      REQUIRE(!totals.empty());
      double th = 0, tg = 0;
      std::size_t ops = 0;
      for (const auto& t : totals) th += t.host_s, tg += t.gpu_s, ops += t.ops;
      CHECK(th == test::approx(host));
      CHECK(tg == test::approx(gpu));
      CHECK(ops == r.breakdown.size());
    }
    auto by_class = breakdown_by_class(r.breakdown);
    for (std::size_t i = 1; i < by_class.size(); ++i)  // most time first
      CHECK(by_class[i - 1].host_s + by_class[i - 1].gpu_s >= by_class[i].host_s + by_class[i].gpu_s);
  }
  auto find = [](const std::vector<BreakdownTotal>& ts, const std::string& key) {
    for (const auto& t : ts)
      if (t.key == key) return t;
    return BreakdownTotal{};
  };
  // BERT-base: twelve layers, each with its self-attention (three projections and SDPA).
  auto bert = breakdown_by_module(rows[0].breakdown);
  BreakdownTotal self = find(bert, "layer.attention.self");
  CHECK(self.calls == 12);
  CHECK(find(breakdown_by_class(rows[0].breakdown), "attention").gpu_s <= self.gpu_s);
  CHECK(find(bert, "embeddings").calls == 1);
  // ResNet-50: stages of 3, 4, 6 and 3 bottlenecks; the residual add after a downsample, the pool and
  // the classifier are not the downsample's or the last block's.
  auto resnet = breakdown_by_module(rows[1].breakdown);
  CHECK(find(resnet, "layer1.block").calls == 3);
  CHECK(find(resnet, "layer3.block").calls == 6);
  CHECK(find(resnet, "downsample").ops == 0);
  for (const auto& o : rows[1].breakdown) {
    if (o.name == "aten::add_") CHECK(o.module.find(".block") != std::string::npos);
    if (o.name == "aten::linear") CHECK(o.module == "resnet");
  }
}

TEST_CASE("the breakdown table gives the totals before the per-op list; JSON has all three") {
  SweepRequest q;
  q.models = {"gpt2"};
  q.breakdown = true;
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 1);
  std::ostringstream text;
  write_breakdown(text, rows[0]);
  const std::string t = text.str();
  std::size_t by_class = t.find("by op class"), by_module = t.find("by module"), per_op = t.find("per op");
  CHECK(by_class < by_module);
  CHECK(by_module < per_op);
  CHECK(per_op != std::string::npos);
  CHECK(t.find("\nmlp ") != std::string::npos);
  std::ostringstream js;
  write_json(js, rows);
  Json j = Json::parse(js.str())[0];
  REQUIRE(j["breakdown_by_class"].is_array());
  REQUIRE(j["breakdown_by_module"].is_array());
  CHECK(j["breakdown"].size() == rows[0].breakdown.size());
  CHECK(j["breakdown"][2]["module"] == "gpt2");
  bool mlp = false;
  for (const auto& m : j["breakdown_by_module"])
    if (m["module"] == "mlp") mlp = m["calls"] == 12 && m["gpu_s"].get<double>() > 0;
  CHECK(mlp);
  CHECK(t.find("module_* are Python nn.Module calls") != std::string::npos);  // eager: it has module calls
  // ONNX Runtime runs no Python modules: its tables say nothing of them.
  q.frameworks = {"onnxruntime"};
  auto ort = run_sweep(q, Catalog::builtin());
  REQUIRE(ort.size() == 1);
  std::ostringstream ort_text;
  write_breakdown(ort_text, ort[0]);
  CHECK(ort_text.str().find("module_*") == std::string::npos);
  CHECK(ort_text.str().find("per op (by the ATen op each comes from)") != std::string::npos);
  // Its modules are never called: no op of theirs in the JSON, and both tables count the same ops.
  // With the call into the framework, the classes' host time is the row's host busy time.
  for (const auto& row : {rows[0], ort[0]}) {
    std::ostringstream oj;
    write_json(oj, {row});
    const Json r = Json::parse(oj.str())[0];
    std::size_t by_class = 0, by_module = 0;
    double host = r["call_host_s"].get<double>();
    for (const auto& c : r["breakdown_by_class"]) by_class += c["ops"].get<std::size_t>(), host += c["host_s"].get<double>();
    for (const auto& m : r["breakdown_by_module"]) by_module += m["ops"].get<std::size_t>();
    CHECK(by_class == r["breakdown"].size());
    CHECK(by_module == by_class);
    CHECK(host == doctest::Approx(row.sim.host_busy_s).epsilon(1e-9));
  }
  CHECK(ort[0].call_host_s > 0);
}

TEST_CASE("naming ops by module (breakdowns, timelines) changes no prediction") {
  SweepRequest q;
  q.models = {"bert-base", "resnet50", "gpt2", "mobilenet-v2", "vit-b16"};
  q.devices = {"h100", "v100"};
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.batches = {1, 32};
  auto plain = run_sweep(q, Catalog::builtin());
  q.breakdown = true;
  q.timelines = true;
  q.batches = {1};
  q.models = {"bert-base", "resnet50"};
  SweepExtras extras;
  auto named = run_sweep(q, Catalog::builtin(), &extras);
  CHECK(extras.timelines.size() == named.size());
  for (const auto& n : named)
    for (const auto& p : plain)
      if (p.model == n.model && p.device == n.device && p.framework == n.framework && p.batch == n.batch)
        CHECK(p.sim.latency_s == n.sim.latency_s);
}

TEST_CASE("a host's own host_time_spread sets the ranges of the models it was fitted to, where the host binds") {
  const Catalog& c = Catalog::builtin();
  Grid g;
  g.models = {resolve_model("bert-base"), resolve_model("resnet50")};
  g.devices = {c.device("h100")};
  g.frameworks = {c.framework("pytorch-eager")};
  HostSpec h = c.host("paper-a100");
  g.host = h;
  auto shared = simulate_grid(g, c);
  h.spread_low = 0.9;
  h.spread_high = 1.1;
  h.spread_models = {"bert-base"};
  g.host = h;
  auto own = simulate_grid(g, c);
  REQUIRE(shared.size() == 2);
  REQUIRE(own.size() == 2);
  REQUIRE(own[1].model == "resnet50");
  // ResNet-50 was not fitted to: its range stays data/ranges.json's.
  CHECK(own[1].latency_low_s == test::approx(shared[1].latency_low_s));
  CHECK(own[1].latency_high_s == test::approx(shared[1].latency_high_s));
  CHECK(own[0].sim.latency_s == test::approx(shared[0].sim.latency_s));  // the prediction is the same
  // BERT-base at batch 1 on the H100 is host-bound: its range moves with the host time's ends.
  CHECK(own[0].latency_low_s > shared[0].latency_low_s);
  CHECK(own[0].latency_high_s < shared[0].latency_high_s);
  CHECK(own[0].latency_low_s >= 0.9 * own[0].sim.latency_s * 0.999);
  CHECK(own[0].latency_high_s <= 1.1 * own[0].sim.latency_s * 1.001);
  CHECK(own[0].latency_high_s > own[0].sim.latency_s);
  // With ranges off, a host spread adds none.
  g.ranges = false;
  auto none = simulate_grid(g, c);
  CHECK(none[0].latency_low_s == none[0].sim.latency_s);
  CHECK(none[0].latency_high_s == none[0].sim.latency_s);
}

TEST_CASE("breakdowns say which kernels a stack's library choices slow: generic transposes, workspace-capped convolutions") {
  SweepRequest q = with_breakdown({"squeezebert"}, {"3090", "a100"}, {"pytorch-eager@1.12"}, DType::fp32, {1, 16});
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 4);
  for (const auto& r : rows) {
    CAPTURE(r.device);
    CAPTURE(r.batch);
    // 12 layers of five grouped convolutions (query, key, value, intermediate, output), two transposes each,
    // from 1448 output rows (batch 12 at 128 tokens), on compute capability 8.6 alone.
    const bool slow = r.device == "3090" && r.batch == 16;
    CHECK(r.slow_layout_kernels == (slow ? 120u : 0u));
    CHECK((r.slow_layout_gpu_s > 0.5 * r.sim.gpu_busy_s) == slow);
    CHECK(r.workspace_capped_convs == 0);
    std::ostringstream text;
    write_breakdown(text, r);
    CHECK((text.str().find("generic transpose") != std::string::npos) == slow);
  }
  // ONNX Runtime 1.12's 32 MiB workspace puts ResNet-50's larger half convolutions on the CUDA cores.
  rows = run_sweep(with_breakdown({"resnet50"}, {"a100"}, {"onnxruntime@1.12"}, DType::fp16, {1, 64}), Catalog::builtin());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].workspace_capped_convs == 0);
  CHECK(rows[1].workspace_capped_convs > 0);
  std::ostringstream text;
  write_breakdown(text, rows[1]);
  CHECK(text.str().find("cuDNN workspace of 32 MiB") != std::string::npos);
  CHECK(row_to_json(rows[1])["workspace_capped_convs"].get<double>() == rows[1].workspace_capped_convs);
}
