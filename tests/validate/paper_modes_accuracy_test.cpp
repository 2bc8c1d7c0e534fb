// Accuracy that CI must keep on the Framework Tax paper's TorchScript and ONNX Runtime runs
// (data/measured/framework-tax-2022: pretrained-torchscript*, onnxruntime), predicted with the 2022
// stacks (torchscript@1.12, onnxruntime@1.12). Their host costs come from per-node measurements on a
// CPU (data/measured/node-costs-2026-12) and the eager profile; the hosts were fitted on eager
// bert-base runs; no TorchScript or ONNX Runtime latency enters a prediction.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <map>

#include "model/catalog.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

const std::vector<Comparison>& torchscript() {
  static const std::vector<Comparison> c =
      compare_runs(test::paper_runs({"pretrained-torchscript", "pretrained-torchscript-fp16"}), Catalog::builtin());
  return c;
}

const std::vector<Comparison>& onnxruntime() {
  static const std::vector<Comparison> c = compare_runs(test::paper_runs({"onnxruntime"}), Catalog::builtin());
  return c;
}

double mape(const std::vector<Comparison>& cs, const std::function<bool(const Comparison&)>& pick, std::size_t* n) {
  std::vector<double> apes;
  for (const auto& c : cs)
    if (c.ok && pick(c)) apes.push_back(c.ape);
  *n = apes.size();
  return error_stats(apes).mape_percent;
}

double predict(const char* model, const char* framework, DType dt, long long batch) {
  MeasuredRun r;
  r.model = model;
  r.device = "rtx8000";
  r.framework = framework;
  r.dtype = dt;
  r.batch = batch;
  if (std::string(model) == "bert-base") {
    r.seq = 128;
    r.arch = {{"name", "bert-base"}, {"like", "bert-base"}, {"attention", "eager"}};  // transformers 4.22
  } else {
    r.image = 224;
  }
  r.measure = Measure::pipelined;
  r.latency_s = 1;
  r.source = "test";
  auto c = compare_runs({r}, Catalog::builtin());
  REQUIRE(c.front().ok);
  return c.front().predicted_s;
}

}  // namespace

TEST_CASE("paper TorchScript runs: read as torchscript@1.12, all predicted, every GPU") {
  std::map<std::string, int> devices;
  for (const auto& c : torchscript()) {
    CAPTURE(c.run.source);
    CHECK(c.ok);
    CHECK(c.run.framework == "torchscript@1.12");
    devices[c.run.device]++;
  }
  CHECK(devices.size() == 8);
  CHECK(torchscript().size() == 2168);
}

TEST_CASE("paper TorchScript runs: the 2022 stack's MAPE, overall and per GPU and dtype") {
  std::size_t n = 0;
  double all = mape(torchscript(), [](const Comparison&) { return true; }, &n);
  MESSAGE("torchscript@1.12 MAPE " << all << "% over " << n << " runs");
  // 22.7%, 22.4% since small fp32 GEMMs run as one kernel on the 2022 stack (gemm_split_k false); 23.9%
  // since the eager costs read off traces stopped counting an op's further launches twice (the 2022
  // stack's CNNs, already predicted 1.2-1.3x fast at batch 1-4, lost host time with them); 23.0% with
  // NNC rather than nvFuser before Volta; 21.6% with cuDNN's Winograd for 3x3 convolutions on the CUDA
  // cores; 21.2% since the A6000's TorchScript passes run on the host of its slower fp32 eager pass
  // (validate/paper.cpp's host_of_file); 19.3% with the 2022 stack's host cost of a half convolution on
  // tensor cores (half_conv_host_s, fitted to the RTX 8000's fp16 eager runs, no TorchScript run); 18.8%
  // with cuDNN 8's generic transpose around grouped TF32 convolutions on GA10x (grouped_tf32_conv_transpose,
  // fitted to the RTX 3090's fp32 eager runs, no TorchScript run). The target is 20%.
  CHECK(all <= 20.0);
  // Today's TorchScript profile (PyTorch 2.x: no fuser, frozen graph) on the same runs does worse.
  std::vector<MeasuredRun> as_today;
  for (const auto& c : torchscript()) {
    MeasuredRun r = c.run;
    r.framework = "torchscript";
    as_today.push_back(r);
  }
  std::vector<double> apes;
  for (const auto& c : compare_runs(as_today, Catalog::builtin())) apes.push_back(c.ape);
  double today = error_stats(apes).mape_percent;
  MESSAGE("the PyTorch 2.x torchscript profile: " << today << "%");
  // 25.5% when written; 24.7% since batch norms after no convolution stay (DenseNet); 25.8% against 23.9%
  // with the launch-corrected eager costs
  CHECK(all < today - 1.5);
  std::map<std::string, std::vector<double>> by;
  for (const auto& c : torchscript()) by[c.run.device + " " + std::string(dtype_name(c.run.dtype))].push_back(c.ape);
  for (const auto& entry : by) {
    const std::string& key = entry.first;  // a plain reference: doctest's CAPTURE cannot take a structured binding
    CAPTURE(key);
    double m = error_stats(entry.second).mape_percent;
    MESSAGE(key << ": " << m << "%");
    // The A6000's TorchScript runs were no faster than its fp16 eager runs at batch 1 (unlike the seven
    // other hosts'): 36.6% (fp16) and 29.9% (fp32) when written, 37.2% and 32.3% with one-kernel GEMMs,
    // 38.1% and 32.9% later; 21.9% and 27.7% on the host of its slower fp32 eager pass, which they ran
    // at (its fp32 GEMMs run slower than predicted, in eager too). The others 16-28%, then 16-27%,
    // 17-29% with the launch-corrected eager costs (the RTX 8000's fp16 CNNs); 16-22% with the half
    // convolutions' host cost (RTX 8000 fp16 29.2 -> 20.0%, V100 fp16 26.4 -> 21.7%, A100 fp16 25.0 -> 16.0%).
    // The A6000's fp32 runs: 21.5% since SqueezeBERT's grouped TF32 convolutions go through cuDNN 8's
    // generic transpose on GA10x (its batch 16-128 were predicted 73-82% short). The bound is 25%.
    CHECK(m <= 25.0);
  }
}

TEST_CASE("paper finding on the RTX 8000: TorchScript faster than eager at batch 1, not at batch 128") {
  // BERT fp32, measured: 5.06 vs 10.77 ms at batch 1 (0.47x), 250.6 vs 255.1 ms at batch 128. fwtax
  // predicted 8.26 vs 12.44 ms (0.66x) and 284.6 vs 293.8 ms when this was written; 6.55 vs 12.25 ms
  // (0.53x) once the 2022 stack's small fp32 GEMMs ran as one kernel (no cuBLASLt split-K: three
  // launches fewer per nn.Linear at batch 1; eager keeps PyTorch 2.x's split-K), 6.37 ms (0.52x) once
  // nvFuser's groups took the dropouts next to them. Eager is the paper's stack, pytorch-eager@1.12.
  double ts1 = predict("bert-base", "torchscript@1.12", DType::fp32, 1);
  double eager1 = predict("bert-base", "pytorch-eager@1.12", DType::fp32, 1);
  double ts128 = predict("bert-base", "torchscript@1.12", DType::fp32, 128);
  double eager128 = predict("bert-base", "pytorch-eager@1.12", DType::fp32, 128);
  MESSAGE("batch 1: " << ts1 * 1e3 << " vs " << eager1 * 1e3 << " ms; batch 128: " << ts128 * 1e3 << " vs "
                      << eager128 * 1e3 << " ms");
  CHECK(ts1 < 0.6 * eager1);
  CHECK(ts128 > 0.9 * eager128);
  CHECK(ts128 <= eager128);
}

TEST_CASE("paper ONNX Runtime runs: read as onnxruntime@1.12, predicted, MAPE") {
  for (const auto& c : onnxruntime()) {
    CAPTURE(c.run.source);
    CHECK(c.ok);
    CHECK(c.run.framework == "onnxruntime@1.12");
    CHECK(c.run.device == "rtx8000");
  }
  CHECK(onnxruntime().size() == 269);
  std::size_t n = 0;
  double all = mape(onnxruntime(), [](const Comparison&) { return true; }, &n);
  double fp32 = mape(onnxruntime(), [](const Comparison& c) { return c.run.dtype == DType::fp32; }, &n);
  double fp16 = mape(onnxruntime(), [](const Comparison& c) { return c.run.dtype == DType::fp16; }, &n);
  MESSAGE("onnxruntime@1.12 MAPE " << all << "% (fp32 " << fp32 << "%, fp16 " << fp16 << "%)");
  // 30.9% (fp32 22.4%, fp16 39.5%) before ONNX Runtime's fusions followed conv_activation_fusion.cc
  // (FusedConv for float convolutions and ReLUs only), DenseNet's unfoldable batch norms stayed and
  // 1x1 half convolutions met the workspace cap: 22.8% (fp32 21.7%, fp16 23.8%). The target
  // is 25%. The host's wait after each FusedConv (host_waits_on_fused_conv): 20.3% (fp32 15.6%).
  CHECK(all <= 21.5);
  CHECK(fp32 <= 17.0);
  CHECK(fp16 <= 26.0);
  // Ranges (data/ranges.json, fitted to no ONNX Runtime run) hold 70-95% of the runs, each regime
  // apart: 89.6% framework-bound, 74.5% GPU-bound (63.0% while the host ran ahead of FusedConv).
  Json s = summarize_comparisons(onnxruntime());
  for (const char* regime : {"framework", "gpu"}) {
    CAPTURE(regime);
    CHECK(s["coverage_percent"][regime].get<double>() >= 70.0);
    CHECK(s["coverage_percent"][regime].get<double>() <= 95.0);
  }
}

TEST_CASE("paper finding on the RTX 8000: ONNX Runtime several times faster than eager at batch 1, not at 64") {
  // ResNet-50 fp16, measured: 2.29 (ORT) vs 12.37 ms (eager) at batch 1, 39.9 vs 29.1 ms at batch 64:
  // ORT's half convolutions run off the tensor cores when cuDNN's NHWC copies exceed its 32 MiB
  // workspace. fwtax: 2.29 vs 10.6 ms and 38.3 vs 24.9 ms when written (17.7 ms at batch 64 before
  // 1x1 convolutions met the cap and half convolutions lost their fused epilogue); eager 9.28 ms with
  // today's eager profile, 11.0 ms with the paper's stack (pytorch-eager@1.12: its half convolutions'
  // host cost on tensor cores).
  double ort = predict("resnet50", "onnxruntime@1.12", DType::fp16, 1);
  double eager = predict("resnet50", "pytorch-eager@1.12", DType::fp16, 1);
  double ort64 = predict("resnet50", "onnxruntime@1.12", DType::fp16, 64);
  double eager64 = predict("resnet50", "pytorch-eager@1.12", DType::fp16, 64);
  MESSAGE("batch 1: " << ort * 1e3 << " vs " << eager * 1e3 << " ms; batch 64: " << ort64 * 1e3 << " vs "
                      << eager64 * 1e3 << " ms");
  CHECK(ort < eager / 2.5);
  CHECK(ort64 > eager64);
}
