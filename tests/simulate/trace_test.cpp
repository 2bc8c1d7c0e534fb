// Trace import and replay: parsing errors, and the accuracy of replaying the shared H100 Kineto
// traces against their unprofiled latencies and against the CUDA-graph and batch-64 runs.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "model/catalog.hpp"
#include "model/kernel_time.hpp"
#include "model/trace.hpp"
#include "simulate/sweep.hpp"
#include "simulate/trace_file.hpp"
#include "tests/test_util.hpp"
#include "validate/measured.hpp"

using namespace fwtax;

namespace {

const std::string kTraces = std::string(FWTAX_SOURCE_DIR) + "/../shared/data/h100-2026-11/traces/";

Trace parse(const std::string& text) {
  std::istringstream in(text);
  return read_kineto_trace(in, "t.json");
}

double replay(const std::string& file, const std::string& framework, long long batch = 0) {
  SweepRequest q;
  q.trace = kTraces + file;
  q.devices.clear();
  q.frameworks = {framework};
  q.batches.clear();
  if (batch) q.batches = {batch};
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 1);
  return rows[0].sim.latency_s;
}

const char* kTiny = R"({"deviceProperties": [{"name": "NVIDIA H100 80GB HBM3"}], "traceEvents": [
  {"ph": "X", "cat": "cpu_op", "name": "aten::linear", "ts": 100, "dur": 30, "tid": 1, "pid": 1,
   "args": {"Input Dims": [[8, 128, 768], [768, 768], [768]], "Input type": ["c10::Half", "c10::Half", "c10::Half"]}},
  {"ph": "X", "cat": "cpu_op", "name": "aten::addmm", "ts": 105, "dur": 20, "tid": 1, "pid": 1, "args": {}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 110, "dur": 5, "tid": 1, "args": {"correlation": 7}},
  {"ph": "X", "cat": "kernel", "name": "nvjet_sm90_hsh_gemm", "ts": 118, "dur": 12.5, "tid": 7, "args": {"correlation": 7}},
  {"ph": "X", "cat": "cpu_op", "name": "aten::my_custom_op", "ts": 140, "dur": 10, "tid": 1, "args": {}},
  {"ph": "X", "cat": "cuda_runtime", "name": "cudaDeviceSynchronize", "ts": 142, "dur": 3, "tid": 1, "args": {}}
]})";

}  // namespace

TEST_CASE("a trace's top-level ops, their nested ops, runtime calls and kernels are linked") {
  Trace t = parse(kTiny);
  REQUIRE(t.ops.size() == 2);
  CHECK(t.gpu_name == "NVIDIA H100 80GB HBM3");
  CHECK(device_for_gpu_name(t.gpu_name) == "h100");
  CHECK(t.ops[0].name == "aten::linear");
  CHECK(t.ops[0].nested_ops == 2);
  REQUIRE(t.ops[0].kernels.size() == 1);
  CHECK(t.ops[0].kernels[0].dur_s == test::approx(12.5e-6));
  CHECK(t.ops[1].sync);
  CHECK(t.batch == 8);
  CHECK(t.seq == 128);
  CHECK(t.dtype == DType::fp16);
  REQUIRE(t.unclassified.size() == 1);
  CHECK(t.unclassified[0] == "aten::my_custom_op");
  TraceWhatIf w;
  Workload wl = trace_workload(t, w);
  REQUIRE(wl.kernels.size() == 1);
  CHECK(wl.kernels[0].flops == test::approx(2.0 * 1024 * 768 * 768));
  CHECK(wl.kernels[0].kind == KernelKind::gemm);
  w.batch = 16;
  CHECK(trace_workload(t, w).kernels[0].flops == test::approx(2.0 * 2048 * 768 * 768));
}

TEST_CASE("traces of 2021 profilers (categories Operator, Runtime, Kernel) read like current ones") {
  std::string old_style = kTiny;
  for (auto [from, to] : {std::pair{"\"cpu_op\"", "\"Operator\""},
                          {"\"cuda_runtime\"", "\"Runtime\""},
                          {"\"kernel\"", "\"Kernel\""}})
    for (auto at = old_style.find(from); at != std::string::npos; at = old_style.find(from))
      old_style.replace(at, std::string(from).size(), to);
  REQUIRE(old_style.find("cpu_op") == std::string::npos);
  Trace t = parse(old_style);
  REQUIRE(t.ops.size() == 2);
  REQUIRE(t.ops[0].kernels.size() == 1);
  CHECK(t.ops[0].kernels[0].dur_s == test::approx(12.5e-6));
  CHECK(t.ops[1].sync);
}

TEST_CASE("broken traces are input errors that name the file") {
  auto truncated = test::messages_of([] { parse(std::string(kTiny).substr(0, 300)); });
  REQUIRE(truncated.size() == 1);
  CHECK(truncated[0].find("t.json: cannot read the trace: byte ") == 0);
  CHECK(test::messages_of([] { parse(""); }).size() == 1);
  auto not_trace = test::messages_of([] { parse(R"({"foo": 1})"); });
  REQUIRE(not_trace.size() == 1);
  CHECK(not_trace[0].find("not a Chrome/Kineto trace") != std::string::npos);
  auto no_ops = test::messages_of([] { parse(R"({"traceEvents": []})"); });
  REQUIRE(no_ops.size() == 1);
  CHECK(no_ops[0].find("no framework ops") != std::string::npos);
  auto negative = test::messages_of([] {
    parse(R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::add", "ts": 5, "dur": -3}]})");
  });
  REQUIRE(negative.size() == 1);
  CHECK(negative[0] == "t.json: /traceEvents/0: expected a complete event with numeric \"ts\" and \"dur\" >= 0, got ts 5, dur -3");
  CHECK(test::messages_of([] { parse("[1, 2]"); }).size() == 1);
  CHECK(test::messages_of([] { load_trace_file("/nonexistent/trace.json.gz"); }).size() == 1);
}

TEST_CASE("replaying the shared traces predicts their unprofiled latency (MAPE <= 10%)") {
  Json index = parse_json(read_file_text(kTraces + "index.json"), "index.json");
  double sum = 0;
  int n = 0;
  for (const auto& t : index["traces"]) {
    double measured = t["latency_median_s"].get<double>();
    double predicted = replay(t["file"].get<std::string>(), "pytorch-eager");
    sum += std::fabs(predicted - measured) / measured;
    ++n;
  }
  REQUIRE(n == 18);
  MESSAGE("trace replay MAPE " << 100 * sum / n << "%");
  CHECK(100 * sum / n <= 10.0);
}

TEST_CASE("an eager trace predicts the CUDA-graph run of the same configuration (MAPE <= 20%)") {
  auto runs = parse_runs_json(*Catalog::builtin().builtin_json("measured/h100-2026-11-runs.json"), "runs", "h100");
  Json index = parse_json(read_file_text(kTraces + "index.json"), "index.json");
  double sum = 0;
  int n = 0;
  for (const auto& t : index["traces"])
    for (const auto& r : runs)
      if (r.framework == "cuda-graphs" && r.model == t["model"].get<std::string>() &&
          std::string(dtype_name(r.dtype)) == t["dtype"].get<std::string>() && r.batch == t["batch"].get<long long>() &&
          (r.seq == 0 || r.seq == 128)) {
        double predicted = replay(t["file"].get<std::string>(), "cuda-graphs");
        sum += std::fabs(predicted - r.latency_s) / r.latency_s;
        ++n;
      }
  REQUIRE(n == 18);
  MESSAGE("trace -> CUDA graphs MAPE " << 100 * sum / n << "%");
  CHECK(100 * sum / n <= 20.0);
}

TEST_CASE("the H100's ResNet-50 traces replayed on the H200 under CUDA graphs predict its runs (MAPE <= 5%)") {
  // Another GPU: every traced kernel is timed by the model from its op's shapes. The 1x1 convolutions
  // that cuDNN runs as GEMM kernels stay convolutions in TF32 for fp32 (as GEMMs in plain fp32 they
  // were 15-35% slow). (HF BERT's eager traces lack the SDPA math path its capture runs:
  // Builder::sdpa_math, not the trace, knows that.)
  auto runs = parse_runs_json(*Catalog::builtin().builtin_json("measured/h200-2026-11/runs.json"), "runs", "h200");
  Json index = parse_json(read_file_text(kTraces + "index.json"), "index.json");
  double sum = 0;
  int n = 0;
  for (const auto& t : index["traces"]) {
    if (t["model"] != "resnet50") continue;
    for (const auto& r : runs)
      if (r.framework == "cuda-graphs" && r.model == "resnet50" &&
          std::string(dtype_name(r.dtype)) == t["dtype"].get<std::string>() && r.batch == t["batch"].get<long long>()) {
        SweepRequest q;
        q.trace = kTraces + t["file"].get<std::string>();
        q.devices = {"h200"};
        q.frameworks = {"cuda-graphs"};
        q.batches.clear();
        auto rows = run_sweep(q, Catalog::builtin());
        REQUIRE(rows.size() == 1);
        sum += std::fabs(rows[0].sim.latency_s - r.latency_s) / r.latency_s;
        ++n;
      }
  }
  REQUIRE(n == 6);
  MESSAGE("H100 ResNet-50 traces on the H200, CUDA graphs: MAPE " << 100 * sum / n << "%");
  CHECK(100 * sum / n <= 5.0);
}

TEST_CASE("a batch-1 trace predicts the batch-64 eager latency (MAPE <= 12%)") {
  Json index = parse_json(read_file_text(kTraces + "index.json"), "index.json");
  double sum = 0;
  int n = 0;
  for (const auto& t : index["traces"]) {
    if (t["batch"] != 64) continue;
    std::string small = t["file"].get<std::string>();
    small.replace(small.find("bs64"), 4, "bs1");
    double predicted = replay(small, "pytorch-eager", 64);
    double measured = t["latency_median_s"].get<double>();
    sum += std::fabs(predicted - measured) / measured;
    ++n;
  }
  REQUIRE(n == 6);
  MESSAGE("batch 1 -> 64 MAPE " << 100 * sum / n << "%");
  // 18.8% before GEMM kernels of convolutions stayed convolutions, 13.6% before fused ops split their
  // FLOPs among their matrix kernels.
  CHECK(100 * sum / n <= 12.0);
}

TEST_CASE("a traced NCHW batch norm and pool replayed on another GPU carry their elements and planes") {
  // A CPU-only trace (no kernels): each op's kernel comes from its input shapes.
  Trace t = parse(R"({"traceEvents": [
    {"ph": "X", "cat": "cpu_op", "name": "aten::batch_norm", "ts": 100, "dur": 30, "tid": 1, "pid": 1,
     "args": {"Input Dims": [[64, 2048, 7, 7], [2048], [2048], [2048], [2048]], "Input type": ["float"]}},
    {"ph": "X", "cat": "cpu_op", "name": "aten::batch_norm", "ts": 140, "dur": 30, "tid": 1, "pid": 1,
     "args": {"Input Dims": [[64, 2048], [2048], [2048], [2048], [2048]], "Input type": ["float"]}},
    {"ph": "X", "cat": "cpu_op", "name": "aten::max_pool2d", "ts": 180, "dur": 30, "tid": 1, "pid": 1,
     "args": {"Input Dims": [[64, 64, 112, 112], [], [], []], "Input type": ["float"]}}]})");
  DeviceSpec h100 = Catalog::builtin().device("h100");
  TraceWhatIf what;
  what.device = &h100;
  Workload w = trace_workload(t, what);
  REQUIRE(w.kernels.size() == 3);
  KernelTimer timer(h100);
  CHECK(w.kernels[0].kind == KernelKind::batch_norm);
  CHECK(w.kernels[0].m == 64.0 * 2048 * 49);
  CHECK(w.kernels[0].n == 64.0 * 2048);
  CHECK(timer.time(w.kernels[0]).bound == Bound::elements);
  CHECK(timer.time(w.kernels[0]).time_s == test::approx(64.0 * 2048 / h100.batch_norm.planes_per_s));
  // A 2-D batch norm (BatchNorm1d) is not the plane-by-plane kernel that was measured: it streams.
  CHECK(w.kernels[1].m == 0);
  CHECK(timer.time(w.kernels[1]).bound != Bound::elements);
  CHECK(w.kernels[2].kind == KernelKind::pool);
  CHECK(timer.time(w.kernels[2]).time_s == test::approx(64.0 * 64 * 112 * 112 / h100.strided_elements_per_s));
}

TEST_CASE("a replayed trace has a per-op breakdown and a timeline, like a built-in model") {
  SweepRequest q;
  q.trace = kTraces + "resnet50_fp16_bs1.json.gz";
  q.devices = {"h200"};
  q.frameworks = {"cuda-graphs"};
  q.batches.clear();
  q.breakdown = true;
  q.timelines = true;
  SweepExtras extras;
  auto rows = run_sweep(q, Catalog::builtin(), &extras);
  REQUIRE(rows.size() == 1);
  REQUIRE(extras.timelines.size() == 1);
  const TimelineRun& t = extras.timelines[0];
  const auto& b = rows[0].breakdown;
  REQUIRE(!b.empty());
  double gpu = 0;
  std::size_t kernels = 0, pools = 0;
  for (const auto& o : b) {
    gpu += o.gpu_s;
    kernels += o.kernels;
    if (o.op_class == "pool" && o.bound == "elements") ++pools;
  }
  CHECK(kernels == rows[0].sim.kernels);
  CHECK(gpu == test::approx(rows[0].sim.gpu_busy_s).epsilon(1e-6));
  CHECK(pools == 1);  // the max pool, bound by its elements on the H200 too
  CHECK(t.device == "h200");
  CHECK(t.framework == "cuda-graphs");
  CHECK(t.result.gpu_spans.size() == rows[0].sim.kernels);
  CHECK(t.result.latency_s == test::approx(rows[0].sim.latency_s));
}

TEST_CASE("a fused op's FLOPs split among its matrix kernels by their traced durations") {
  // torch.nn's fused encoder layer (batch 1, 128 tokens, width 768): four GEMMs and attention in one
  // op. Two GEMM kernels here, 30 us and 10 us, and an elementwise one.
  Trace t = parse(R"({"deviceProperties": [{"name": "NVIDIA H100 80GB HBM3"}], "traceEvents": [
    {"ph": "X", "cat": "cpu_op", "name": "aten::_transformer_encoder_layer_fwd", "ts": 100, "dur": 100, "tid": 1,
     "args": {"Input Dims": [[1, 128, 768], [2304, 768], [2304], [768, 768], [768], [768], [768], [768], [768],
                             [3072, 768], [3072], [768, 3072], [768]], "Input type": ["float"]}},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 110, "dur": 5, "tid": 1, "args": {"correlation": 1}},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 120, "dur": 5, "tid": 1, "args": {"correlation": 2}},
    {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 130, "dur": 5, "tid": 1, "args": {"correlation": 3}},
    {"ph": "X", "cat": "kernel", "name": "sm90_xmma_gemm_f32f32_f32f32", "ts": 200, "dur": 30, "tid": 7, "args": {"correlation": 1}},
    {"ph": "X", "cat": "kernel", "name": "sm90_xmma_gemm_f32f32_f32f32", "ts": 240, "dur": 10, "tid": 7, "args": {"correlation": 2}},
    {"ph": "X", "cat": "kernel", "name": "vectorized_elementwise_kernel", "ts": 260, "dur": 5, "tid": 7, "args": {"correlation": 3}}
  ]})");
  REQUIRE(t.ops.size() == 1);
  REQUIRE(t.ops[0].kernels.size() == 3);
  DeviceSpec h200 = Catalog::builtin().device("h200");
  TraceWhatIf what;
  what.device = &h200;
  Workload w = trace_workload(t, what);
  REQUIRE(w.kernels.size() == 3);
  double all = w.kernels[0].flops + w.kernels[1].flops;
  CHECK(all > 0);
  CHECK(w.kernels[0].flops == test::approx(0.75 * all));
  CHECK(w.kernels[1].flops == test::approx(0.25 * all));
  CHECK(w.kernels[2].flops == 0);
}

TEST_CASE("traced kernels are filed by their names: depthwise convolutions apart from cuDNN's") {
  CHECK(classify_kernel("void at::native::(anonymous namespace)::conv_depthwise2d_forward_kernel<3, float, int>(...)",
                        false, false) == KernelKind::depthwise);
  CHECK(classify_kernel("sm90_xmma_fprop_implicit_gemm_f16f16_f16f32_f32_nhwckrsc_nhwc_tilesize128x128x64",
                        false, false) == KernelKind::conv);
  CHECK(classify_kernel("void cudnn::engines_precompiled::nchwToNhwcKernel<__half, __half, float, false, true>(...)",
                        false, false) == KernelKind::layout);
  CHECK(classify_kernel("anything", true, false) == KernelKind::memset);
}
