// Accuracy that CI must keep on the Framework Tax paper's measurements (data/measured/framework-tax-2022,
// eager fp32 and fp16 on eight GPUs, timed pipelined). The hosts of those machines were fitted from
// bert-base alone (calibrate/derive/fit_paper_hosts.sh); every other model is predicted, not fitted.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "model/catalog.hpp"
#include "calibrate/runs_fit.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

const std::vector<Comparison>& comparisons() {
  static const std::vector<Comparison> c = compare_runs(test::paper_runs(), Catalog::builtin());
  return c;
}

double mape_of(bool (*pick)(const Comparison&), std::size_t* n) {
  std::vector<double> apes;
  for (const auto& x : comparisons())
    if (x.ok && pick(x)) apes.push_back(x.ape);
  *n = apes.size();
  return error_stats(apes).mape_percent;
}

}  // namespace

TEST_CASE("paper data: every GPU and the six reference models are covered and predicted") {
  std::set<std::string> devices, models;
  for (const auto& c : comparisons()) {
    CAPTURE(c.run.source);
    CHECK(c.ok);
    devices.insert(c.run.device);
    models.insert(c.run.model);
  }
  CHECK(devices.size() == 8);
  for (const char* m : {"bert-base", "distilbert", "resnet18", "resnet50", "mobilenet-v2", "vit-b32"}) {
    CAPTURE(m);
    CHECK(models.count(m) == 1);
  }
  CHECK(comparisons().size() > 2700);  // 2776 since 3090-1.csv holds its own pass only (not 3090.csv's rows again)
}

TEST_CASE("paper data: MAPE within 20% overall and without the host-fitting model") {
  std::size_t n = 0;
  double all = mape_of([](const Comparison&) { return true; }, &n);
  MESSAGE("paper eager MAPE " << all << "% over " << n << " configurations");
  // 18.6% at 4e880f0; 17.6% with cuDNN's Winograd (fp32 3x3 convolutions before Ampere); 15.5% with the
  // 3090's second fp16 pass on a host of its own (and its copy of 3090.csv's rows gone); 15.0% with the
  // A6000's fp32 pass on one too; 13.6% with the 2022 stack (pytorch-eager@1.12: its half convolutions'
  // host cost on tensor cores, fitted to the RTX 8000's fp16 runs)
  CHECK(all <= 15.0);
  double unfitted = mape_of([](const Comparison& c) { return c.run.model != "bert-base"; }, &n);
  MESSAGE("without bert-base: " << unfitted << "% over " << n);
  CHECK(unfitted <= 15.0);  // 18.9%; 17.8%; 15.8%; 15.2%; 13.8%
  // Nor fitted to half_conv_host_s: the other GPUs' fp16 runs.
  double unfitted_half = mape_of([](const Comparison& c) {
    return c.run.model != "bert-base" && !(c.run.device == "rtx8000" && c.run.dtype == DType::fp16);
  }, &n);
  MESSAGE("without bert-base and the RTX 8000's fp16 runs: " << unfitted_half << "% over " << n);
  CHECK(unfitted_half <= 15.0);
}

TEST_CASE("paper data: every GPU within 22.5% MAPE, and fwtax beats both baselines on each") {
  std::map<std::string, std::vector<const Comparison*>> by;
  for (const auto& c : comparisons()) by[c.run.device].push_back(&c);
  for (const auto& entry : by) {
    const std::string dev = entry.first;
    const auto& cs = entry.second;
    std::vector<double> ours, roof, flops;
    for (const auto* c : cs) {
      ours.push_back(c->ape);
      roof.push_back(std::fabs(c->roofline_s - c->run.latency_s) / c->run.latency_s);
      flops.push_back(std::fabs(c->flops_s - c->run.latency_s) / c->run.latency_s);
    }
    CAPTURE(dev);
    double m = error_stats(ours).mape_percent;
    CHECK(m <= 22.5);  // the worst, the 3090, 20.7% at 4e880f0
    CHECK(m < error_stats(roof).mape_percent);
    CHECK(m < error_stats(flops).mape_percent);
  }
}

TEST_CASE("paper data: the zoo's FLOPs agree with the paper's MAC counts (the same models were built)") {
  // The CSVs' `macs` column (thop hooks on convolutions and linears, per batch) at batch 1 for the
  // CNNs, whose every multiply-add is in a convolution or a linear.
  std::size_t checked = 0;
  for (const auto& c : comparisons()) {
    if (c.run.batch != 1 || c.run.image == 0 || c.run.model == "vit-b32" || c.run.device != "a6000" ||
        c.run.dtype != DType::fp32)
      continue;
    REQUIRE(c.run.macs > 0);
    CAPTURE(c.run.model);
    CHECK(c.flops / 2 == test::approx(c.run.macs).epsilon(0.06));
    ++checked;
  }
  CHECK(checked >= 14);  // 15 CNNs, resnext50 not measured at batch 1 on the A6000
}

TEST_CASE("the host fit recovers the host speed that produced the runs") {
  // Runs made by the simulator itself with a host 1.7x slower than the device's: the fit must find
  // host_x = 1 / 1.7, and the error after it must vanish.
  std::vector<MeasuredRun> runs;
  for (long long b : {1, 2, 4, 8, 16, 32, 64, 128}) {
    MeasuredRun r;
    r.model = "bert-base";
    r.device = "v100";
    r.framework = "pytorch-eager";
    r.dtype = DType::fp16;
    r.batch = b;
    r.seq = 128;
    r.measure = Measure::pipelined;
    r.latency_s = 1;
    r.source = "synthetic";
    runs.push_back(r);
  }
  auto truth = compare_runs(runs, Catalog::builtin(), 1 / 1.7);
  for (std::size_t i = 0; i < runs.size(); ++i) runs[i].latency_s = truth[i].predicted_s;
  HostFit f = fit_host_speed(runs, Catalog::builtin());
  CHECK(f.host_x == test::approx(1 / 1.7).epsilon(0.01));
  CHECK(f.mape_after_percent < 0.5);
  CHECK(f.mape_before_percent > 10);
  CHECK(f.runs == runs.size());
}

TEST_CASE("the committed validation reports render in headless Chromium with all their plots") {
  for (const char* report : {"framework-tax-2022", "h100-2026-11"}) {
    std::filesystem::path html = std::filesystem::path(FWTAX_SOURCE_DIR) / "docs/validation" / report / "report.html";
    REQUIRE(std::filesystem::exists(html));
    std::ifstream in(html);
    std::stringstream ss;
    ss << in.rdbuf();
    int charts = 0;
    for (std::size_t p = ss.str().find("<svg"); p != std::string::npos; p = ss.str().find("<svg", p + 4)) ++charts;
    CAPTURE(report);
    CHECK(charts >= 3);  // error by regime, predicted against measured, and latency against batch
    CHECK(test::rendered_charts(html.string(), test::scratch("fwtax_validation_render").string()) ==
          charts);
  }
}

TEST_CASE("paper data: no run is a copy of another, and the passes made on a slower host run on their own") {
  // Two runs with the same configuration and the same latency to the last digit are one measurement
  // read twice (the source's 3090-1.csv repeated 3090.csv's rows; data/measured/framework-tax-2022/README.md).
  std::set<std::tuple<std::string, std::string, std::string, long long, long long, double>> seen;
  std::size_t pass2 = 0, a6000_slow = 0;
  for (const auto& r : test::paper_runs()) {
    CAPTURE(r.source);
    CAPTURE(r.where);
    CHECK(seen.insert({r.device, r.model, std::string(dtype_name(r.dtype)), r.batch, r.image + r.seq, r.latency_s}).second);
    if (r.source.ends_with("3090-1.csv")) {
      CHECK(r.host == "paper-3090-pass2");
      ++pass2;
    } else if (r.source.ends_with("pretrained-fp32/A6000.csv")) {
      CHECK(r.host == "paper-a6000-slow");
      ++a6000_slow;
    } else {
      CHECK(r.host.empty());
    }
  }
  CHECK(pass2 > 250);
  CHECK(a6000_slow > 300);
  // The A6000's TorchScript passes ran on that slower host too (validate/paper.cpp's host_of_file).
  for (const char* folder : {"pretrained-torchscript", "pretrained-torchscript-fp16"}) {
    auto ts = read_measured_file(std::string(FWTAX_SOURCE_DIR) + "/data/measured/framework-tax-2022/" + folder + "/A6000.csv", "",
                                 Measure::pipelined);
    REQUIRE(!ts.empty());
    CHECK(ts.front().host == "paper-a6000-slow");
  }
  // Fitted to the fp32 pass's bert-base rows alone, that host predicts its other models near the fp16
  // pass's error on its own host.
  std::size_t slow_n = 0;
  double slow = mape_of([](const Comparison& c) { return c.run.host == "paper-a6000-slow" && c.run.model != "bert-base"; }, &slow_n);
  MESSAGE("A6000's fp32 pass, models other than bert-base: " << slow << "% over " << slow_n << " runs");
  CHECK(slow <= 24.0);  // 22.1%; 26.8% on the fp16 pass's host
  // Its bert-base runs fitted that host; its other models, predicted from it, land near their 3090.csv error.
  std::size_t n = 0;
  double pass = mape_of([](const Comparison& c) { return c.run.host == "paper-3090-pass2" && c.run.model != "bert-base"; }, &n);
  MESSAGE("3090's second pass, models other than bert-base: " << pass << "%");
  CHECK(pass <= 20.0);  // 14.8%; 35.7% on the first pass's host
  // On another device the runs are a what-if on that device's host.
  auto elsewhere = read_measured_file(std::string(FWTAX_SOURCE_DIR) + "/data/measured/framework-tax-2022/pretrained-fp16/3090-1.csv",
                                      "v100", Measure::pipelined);
  REQUIRE(!elsewhere.empty());
  CHECK(elsewhere.front().host.empty());
}
