// Accuracy that CI must keep on the H200 runs measured for fwtax (data/measured/h200-2026-11): with
// the profile `fwtax calibrate --target cuda` made on that GPU (h200-calibrated) and with the H100's
// calibration carried over by datasheet (h200, a projection to hardware it never saw). Tolerances sit
// just above today's figures. The calibrated profile must also be exactly what its committed inputs
// give when refitted, so that data/devices/h200-calibrated.json stays reproducible.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "calibrate/fit.hpp"
#include "calibrate/runs_fit.hpp"
#include "model/catalog.hpp"
#include "model/curve.hpp"
#include "simulate/sweep.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"

using namespace fwtax;

namespace {

std::vector<Comparison> on(const std::string& device) {
  const Catalog& cat = Catalog::builtin();
  const Json* j = cat.builtin_json("measured/h200-2026-11/runs.json");
  REQUIRE(j != nullptr);
  return compare_runs(parse_runs_json(*j, "builtin:measured/h200-2026-11/runs.json", device), cat);
}

struct Figures {
  double mape = 0, roofline = 0;
  std::size_t n = 0;
};

Figures figures(const std::vector<Comparison>& c, const std::function<bool(const Comparison&)>& pick) {
  std::vector<double> apes, roof;
  for (const auto& x : c)
    if (x.ok && pick(x)) {
      apes.push_back(x.ape);
      roof.push_back(std::abs(x.roofline_s - x.run.latency_s) / x.run.latency_s);
    }
  return {error_stats(apes).mape_percent, error_stats(roof).mape_percent, apes.size()};
}

Json file_json(const std::string& rel) {
  std::ifstream in(std::filesystem::path(FWTAX_SOURCE_DIR) / rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

}  // namespace

TEST_CASE("H200, calibrated on it: every run predicted, 18% MAPE overall, 13% where the GPU binds") {
  auto c = on("h200-calibrated");
  auto all = figures(c, [](const Comparison&) { return true; });
  CHECK(all.n == 192);
  CHECK(all.mape <= 18.0);  // 17.2% (19.2% before the host-drift correction of trace-derived costs)
  CHECK(all.mape < all.roofline);
  auto compute = figures(c, [](const Comparison& x) { return x.regime == Regime::compute; });
  CHECK(compute.n >= 60);
  CHECK(compute.mape <= 13.0);
  auto graphs = figures(c, [](const Comparison& x) { return x.run.framework == "cuda-graphs"; });
  CHECK(graphs.n == 90);
  CHECK(graphs.mape <= 17.0);
}

TEST_CASE("H200 projected from the H100's calibration and the datasheet: 17.5% MAPE, graphs 11%, TorchScript at batch 64 10%") {
  auto c = on("h200");
  auto all = figures(c, [](const Comparison&) { return true; });
  CHECK(all.n == 192);
  CHECK(all.mape <= 17.5);  // 16.7% (18.3% before convolution biases and traced masks were modelled)
  CHECK(all.mape < all.roofline);
  auto graphs = figures(c, [](const Comparison& x) { return x.run.framework == "cuda-graphs"; });
  CHECK(graphs.mape <= 11.0);  // 10.0% (11.3%: VGG-16's bias adds)
  auto script = figures(c, [](const Comparison& x) { return x.run.framework == "torchscript" && x.run.batch >= 64; });
  CHECK(script.n == 4);
  CHECK(script.mape <= 10.0);  // 8.2% (40.0% before)
}

TEST_CASE("H3's eager runs at batch <= 8 on h200-calibrated: every model with 4 or more runs within 0.85-1.15, MAPE <= 20%") {
  // The first item of issue 16's "Done when". Today HF BERT 1.02, torch.nn BERT 0.90, ResNet-50 0.97,
  // MAPE 16.3% (ResNet-50 1.06 and 17.8% before the half-precision convolution's host cost; torch.nn BERT
  // was 0.83 while a launch on this host cost the probe's bare-loop 4.79 us).
  std::map<std::string, std::vector<double>> ratios;
  std::vector<double> apes;
  for (const auto& x : on("h200-calibrated"))
    if (x.ok && x.run.framework == "pytorch-eager" && x.run.batch <= 8) {
      ratios[x.run.model].push_back(x.run.latency_s / x.predicted_s);
      apes.push_back(x.ape);
    }
  std::size_t checked = 0;
  for (const auto& entry : ratios) {
    const std::string& model = entry.first;  // CAPTURE's lambda cannot name a structured binding (clang, C++17)
    const std::vector<double>& r = entry.second;
    if (r.size() < 4) continue;
    ++checked;
    const double med = median(r);
    CAPTURE(model);
    CHECK(med >= 0.85);
    CHECK(med <= 1.15);
  }
  CHECK(checked == 3);
  CHECK(error_stats(apes).mape_percent <= 20.0);
}

TEST_CASE("H3 and H1: framework-bound CNNs' fp16 over fp32 time as predicted (half_conv_host_s, fitted on H7)") {
  // Where the host binds both dtypes, its speed cancels in (measured fp16 / fp32) / (predicted fp16 / fp32).
  // Without today's half_conv_host_s the median was 1.162 (H3, 11 pairs of 6 CNNs) and 1.109 (H1); with
  // it (fitted to H7's runs alone, calibrate/derive/fit_half_conv_host_2x.py) 1.023 and 0.966.
  for (const char* file : {"data/measured/h200-2026-11/runs.json", "data/measured/h200-2026-11/runs-machine-h1.json"}) {
    CAPTURE(file);
    auto c = compare_runs(parse_runs_json(file_json(file), file, "h200-calibrated"), Catalog::builtin());
    std::map<std::pair<std::string, int>, std::map<DType, std::vector<const Comparison*>>> by;
    for (const auto& x : c)
      if (x.ok && x.run.framework == "pytorch-eager") by[{x.run.model, x.run.batch}][x.run.dtype].push_back(&x);
    std::vector<double> ratios;
    for (const auto& entry : by) {
      const std::string& model = entry.first.first;
      const auto& d = entry.second;
      const bool cnn = model.rfind("resnet", 0) == 0 || model.rfind("mobilenet", 0) == 0 ||
                       model.rfind("densenet", 0) == 0 || model.rfind("efficientnet", 0) == 0 ||
                       model.rfind("vgg", 0) == 0;
      if (!cnn || !d.count(DType::fp16) || !d.count(DType::fp32)) continue;
      bool framework_bound = true;
      std::map<DType, double> measured, predicted;
      for (const auto& dt : d) {
        std::vector<double> m;
        for (const Comparison* x : dt.second) {
          framework_bound = framework_bound && x->regime == Regime::framework;
          m.push_back(x->run.latency_s);
        }
        measured[dt.first] = median(m);
        predicted[dt.first] = dt.second.front()->predicted_s;
      }
      if (framework_bound)
        ratios.push_back(measured[DType::fp16] / measured[DType::fp32] / (predicted[DType::fp16] / predicted[DType::fp32]));
    }
    CHECK(ratios.size() == 11);
    CHECK(median(ratios) >= 0.93);
    CHECK(median(ratios) <= 1.07);
  }
}

TEST_CASE("data/devices/h200-calibrated.json is the refit of its committed measurements") {
  const std::string dir = "data/measured/h200-2026-11/";
  FitResult fit = fit_cuda_microbench(file_json(dir + "probe.json"), dir + "probe.json", "h200-calibrated", "h100-vm-a",
                                      Catalog::builtin().builtin_json("hosts/h100-vm-a.json"));
  for (const char* f : {"python-dispatch.json", "sweeps.json"})
    merge_python_dispatch(fit.profile, file_json(dir + f), dir + f, Catalog::builtin().framework("pytorch-eager"),
                          fit.warnings, Catalog::builtin().builtin_json("hosts/h100-vm-a.json"));
  merge_graph_replays(fit.profile, file_json(dir + "graph-check.json"), dir + "graph-check.json", fit.warnings);
  const std::string strided = "data/measured/h200-2026-12/sweeps-strided.json";
  merge_python_dispatch(fit.profile, file_json(strided), strided, Catalog::builtin().framework("pytorch-eager"),
                        fit.warnings, Catalog::builtin().builtin_json("hosts/h100-vm-a.json"));
  const LatencySpread spread = builtin_spread(Catalog::builtin());
  set_probed_spread(fit.profile.device.host_profile.front(), spread.probed_low, spread.probed_high);
  Json committed = file_json("data/devices/h200-calibrated.json");
  const Json refit = fit.profile.to_json();
  for (const char* k : {"peak_flops_per_s", "memory", "efficiency", "launch", "kernel_min_s", "host"}) {
    CAPTURE(k);
    CHECK(refit[k] == committed[k]);
  }
  CHECK(refit["calibration"]["graph_replays"] == committed["calibration"]["graph_replays"]);
}

TEST_CASE("host-bound eager runs on the H200 (two VMs): HF BERT, torch.nn BERT and ResNet-50 each predicted without a per-library bias") {
  // Measured/predicted at eager batch <= 8 on H3 (runs.json) and H1 (runs-machine-h1.json), per model.
  // Before host costs read off the traces were corrected for the host's drift between traces (the
  // torch.nn BERT traces were taken in a 1.2-1.4x slower stretch of machine B), torch.nn BERT's median
  // was 0.62 and HF BERT's 1.28: one library over-, the other under-predicted. Then 0.79 / 1.12 / 0.94;
  // with module calls scaled by the host's python_relative_time apart from its ops, 0.86 / 1.06 / 1.02;
  // with the calibrated host's kernel launches in context (the reference's scaled by its speed), 0.93 /
  // 1.07 / 1.05.
  const Catalog& cat = Catalog::builtin();
  std::map<std::string, std::vector<double>> ratios;
  for (const char* f : {"data/measured/h200-2026-11/runs.json", "data/measured/h200-2026-11/runs-machine-h1.json"}) {
    for (const auto& x : compare_runs(parse_runs_json(file_json(f), f, "h200-calibrated"), cat))
      if (x.ok && x.run.framework == "pytorch-eager" && x.run.batch <= 8) ratios[x.run.model].push_back(x.run.latency_s / x.predicted_s);
  }
  for (const char* m : {"bert-base", "bert-base-torchnn", "resnet50"}) {
    CAPTURE(m);
    REQUIRE(ratios[m].size() == 8);
    double med = median(ratios[m]);
    CHECK(med >= 0.75);
    CHECK(med <= 1.25);
  }
}

TEST_CASE("data/hosts/h200-vm7.json is its committed probe's host (calibrate --target host --merge)") {
  const std::string f = "data/measured/h200-2026-12/python-dispatch.json";
  std::vector<std::string> warnings;
  const LatencySpread spread = builtin_spread(Catalog::builtin());
  Json h = host_from_python_dispatch(file_json(f), f, *Catalog::builtin().builtin_json("hosts/h100-vm-a.json"),
                                     "h200-vm7", warnings, spread.probed_low, spread.probed_high)
               .to_json();
  Json committed = file_json("data/hosts/h200-vm7.json");
  for (const char* k : {"relative_time", "python_relative_time", "fit", "host_time_spread"}) {
    CAPTURE(k);
    CHECK(h[k] == committed[k]);
  }
  CHECK(warnings.empty());
}

TEST_CASE("a second H200 VM (H7), its host from its Python probe alone: eager runs of 8 models within 20% MAPE") {
  // data/measured/h200-2026-12/runs-eager.json: 8 models, fp32 and fp16, batch 1 and 8, 4 interleaved
  // passes on a VM whose kernel-launching ops ran 1.4-1.6x slower than H1's (where h200-calibrated's host
  // was measured). With h200-calibrated's own host: MAPE 32.9%, every model 1.2-1.9x under-predicted.
  // With the host its probe gives (no run of it used): 15.8%; ResNet-50 1.05, torch.nn BERT 1.03, the HF
  // models 1.28 (BERT) to 1.37 (DistilBERT, RoBERTa): the per-library bias left. Its fp16/fp32 pairs of
  // CNNs are what today's half_conv_host_s was fitted to (calibrate/derive/fit_half_conv_host_2x.py;
  // 17.4% before, ResNet-50 1.14).
  const Catalog& cat = Catalog::builtin();
  const Json* j = cat.builtin_json("measured/h200-2026-12/runs-eager.json");
  REQUIRE(j != nullptr);
  auto runs = parse_runs_json(*j, "runs-eager.json", "h200-calibrated");
  Diagnostics d("h200-vm7");
  HostSpec host = parse_host(*cat.builtin_json("hosts/h200-vm7.json"), d);
  REQUIRE(d.empty());
  auto own = figures(compare_runs(runs, cat), [](const Comparison&) { return true; });
  auto probed = compare_runs(runs, cat, 1.0, &host);
  auto f = figures(probed, [](const Comparison&) { return true; });
  CHECK(f.n == 32);
  CHECK(f.mape <= 16.5);
  CHECK(own.mape > 30.0);
  // Its ranges take data/ranges.json's host_time_probed (fitted to H1's runs on the host probed on H1:
  // x0.95-1.80, against the shared x0.69-2.10): 25 of the 26 framework-bound runs inside (96.2%; with
  // the shared spread 100%). The 70-95% is missed by this one run since 2026-12-07, when the fp16
  // CNNs came nearer their runs (24 of 26 before): H1's runs, which drifted, spread wider than these,
  // timed in interleaved passes. Kept as it is (at least one run outside), not refitted to pass.
  std::size_t bound = 0, inside = 0;
  for (const auto& x : probed)
    if (x.ok && x.regime == Regime::framework) {
      ++bound;
      inside += x.run.latency_s >= x.low_s && x.run.latency_s <= x.high_s;
    }
  CHECK(bound == 26);
  CHECK(inside * 100 >= 70 * bound);
  CHECK(inside < bound);
  std::map<std::string, std::vector<double>> ratios;
  for (const auto& x : probed)
    if (x.ok) ratios[x.run.model].push_back(x.run.latency_s / x.predicted_s);
  for (const char* m : {"bert-base", "bert-base-torchnn", "resnet50"}) {
    CAPTURE(m);
    CHECK(median(ratios[m]) >= 0.85);
    CHECK(median(ratios[m]) <= 1.30);  // bert-base 1.28 (ResNet-50 1.05, torch.nn BERT 1.03)
  }
}

TEST_CASE("a host's Python fitted to its in-model probe puts every H7 eager model within 0.85-1.15") {
  // calibrate/python_dispatch.py's `models` item times a real model's forward (transformers' BERT at
  // hidden 64, tiny kernels: the host's time) beside the ops. H7's probe ran before the item existed,
  // so here its place is taken by what measures the same Python and dispatch on that VM: its own
  // bert-base eager run at batch 1 (fp16, host-bound; runs-eager.json, interleaved passes). The fit
  // keeps the probe's dispatch speed and refits its Python: 0.904 (its nn.Linear call) -> 1.53. The
  // other seven models, none of them used, then come to 0.88-1.11 (MAPE 15.8% -> 8.1%); with the probe
  // alone the HF models sit at 1.2-1.3.
  const Catalog& cat = Catalog::builtin();
  const std::string f = "data/measured/h200-2026-12/python-dispatch.json";
  Json py = file_json(f);
  const Json& eager = *cat.builtin_json("measured/h200-2026-12/runs-eager.json");
  double bert_b1 = 0;
  for (const auto& r : eager["runs"])
    if (r["model"] == "bert-base" && r["batch"] == 1 && r["dtype"] == "fp16") bert_b1 = r["median_s"].get<double>();
  REQUIRE(bert_b1 > 0);
  const Json config = {{"model_type", "bert"}, {"hidden_size", 768}, {"num_attention_heads", 12},
                       {"intermediate_size", 3072}, {"num_hidden_layers", 12}, {"vocab_size", 30522},
                       {"max_position_embeddings", 512}, {"type_vocab_size", 2}};
  py["models"] = {{"bert-base-b1", {{"median_s", bert_b1}, {"batch", 1}, {"seq", 128}, {"dtype", "fp16"}, {"config", config}}}};
  std::vector<std::string> warnings;
  ProbedHost p = host_from_python_dispatch(py, f, *cat.builtin_json("hosts/h100-vm-a.json"), "h7-in-model", warnings);
  const double module_python = p.host.python_time();
  const auto model_runs = probe_model_runs(py, f, "h100");
  REQUIRE(model_runs.size() == 1);
  CHECK(model_runs[0].measure == Measure::pipelined);
  Json fit = fit_python_to_probe_models(p.host, model_runs, cat, warnings);
  CHECK(p.host.python_relative_time > 1.5 * module_python);
  // The probe's item is predicted as measured.
  CHECK(fit["bert-base-b1"]["predicted_s"].get<double>() == doctest::Approx(bert_b1).epsilon(0.01));
  auto runs = parse_runs_json(eager, "runs-eager.json", "h200-calibrated");
  std::map<std::string, std::vector<double>> in_model, probe_only;
  Diagnostics d("h200-vm7");
  const HostSpec vm7 = parse_host(*cat.builtin_json("hosts/h200-vm7.json"), d);
  for (const auto& [host, ratios] : {std::pair<const HostSpec*, decltype(&in_model)>{&p.host, &in_model}, {&vm7, &probe_only}})
    for (const auto& x : compare_runs(runs, cat, 1.0, host, false))
      if (x.ok && x.regime == Regime::framework && x.run.batch <= 8)
        (*ratios)[x.run.model].push_back(x.run.latency_s / x.predicted_s);
  REQUIRE(in_model.size() == 8);
  for (const auto& entry : in_model) {
    const std::string& model = entry.first;  // clang 14 captures no structured binding
    CAPTURE(model);
    CHECK(median(entry.second) >= 0.85);
    CHECK(median(entry.second) <= 1.15);
  }
  CHECK(median(probe_only["roberta-base"]) > 1.15);  // what the item adds
}

TEST_CASE("an in-model probe entry that is not what calibrate/python_dispatch.py writes is refused by its place") {
  const std::string f = "probe.json";
  auto message = [&](const Json& models) {
    try {
      probe_model_runs(Json{{"models", models}}, f, "h100");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Json config = {{"model_type", "bert"}};
  CHECK(message(Json::array()).find("/models") != std::string::npos);
  CHECK(message({{"x", {{"median_s", -1.0}, {"config", config}}}}).find("/models/x/median_s") != std::string::npos);
  CHECK(message({{"x", {{"median_s", 0.01}}}}).find("/models/x/config") != std::string::npos);
  CHECK(message({{"x", {{"median_s", 0.01}, {"config", config}, {"dtype", "int3"}}}}).find("/models/x/dtype") !=
        std::string::npos);
  CHECK(probe_model_runs(Json{{"ops", Json::object()}}, f, "h100").empty());
}

namespace {
// data/measured/h200-2026-12/compile-runs.json predicted with h200-calibrated and H7's probed host.
std::vector<Comparison> h7_compile_comparisons() {
  const Catalog& cat = Catalog::builtin();
  auto runs = parse_runs_json(*cat.builtin_json("measured/h200-2026-12/compile-runs.json"), "compile-runs.json",
                              "h200-calibrated");
  Diagnostics d("h200-vm7");
  HostSpec host = parse_host(*cat.builtin_json("hosts/h200-vm7.json"), d);
  return compare_runs(runs, cat, 1.0, &host);
}
}  // namespace

TEST_CASE("compiled modes on an H200 (H7): eager, torch.compile and reduce-overhead at batch 1/8/64 within 30% MAPE") {
  // data/measured/h200-2026-12/compile-runs.json with h200-calibrated and H7's probed host: 36 runs of
  // BERT-base, ResNet-50, GPT-2 and MobileNet-v2 in fp16. Today 17.6% (eager 22.7, torch-compile 19.0,
  // reduce-overhead 11.1); torch-compile's BERT is still predicted short on the host (1.5-1.6x).
  auto c = h7_compile_comparisons();
  auto all = figures(c, [](const Comparison&) { return true; });
  CHECK(all.n == 36);
  CHECK(all.mape <= 22.0);
  for (const char* fw : {"torch-compile", "torch-compile-reduce-overhead"}) {
    CAPTURE(fw);
    auto f = figures(c, [&](const Comparison& x) { return x.run.framework == fw; });
    CHECK(f.n == 12);
    CHECK(f.mape <= 30.0);
  }
}

TEST_CASE("torch.compile materializes HF BERT's padding mask: its replayed GPU time is the masked math attention's") {
  // transformers 5.x skips the all-ones padding mask unless it is tracing, and TorchDynamo counts as
  // tracing: the compiled forward builds the mask, SDPA with it takes its math path, and Inductor gets
  // that path decomposed (fp32 batched GEMMs, a fused mask add and softmax). Under reduce-overhead the
  // host is gone, so BERT's three runs are GPU time alone: measured/predicted 1.34-1.46 when the
  // compiled forward was given the fused attention kernel, 0.99-1.05 now.
  auto c = h7_compile_comparisons();
  int n = 0;
  for (const auto& x : c) {
    if (x.run.model != "bert-base" || x.run.framework != "torch-compile-reduce-overhead") continue;
    CAPTURE(x.run.batch);
    CHECK(x.run.latency_s / x.predicted_s == doctest::Approx(1.0).epsilon(0.1));
    ++n;
  }
  CHECK(n == 3);
}
