// Accuracy that CI must keep: predictions against the shared H100 runs (data/measured), with
// tolerances set just above what the model achieves today. Failing one means a change made the
// model worse on real measurements.
#include <doctest/doctest.h>

#include <functional>

#include "calibrate/runs_fit.hpp"
#include "model/catalog.hpp"
#include "model/curve.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;
using fwtax::test::mape;

namespace {

const std::vector<Comparison>& comparisons() {
  static const std::vector<Comparison> c = [] {
    const Catalog& cat = Catalog::builtin();
    const Json* j = cat.builtin_json("measured/h100-2026-11-runs.json");
    REQUIRE(j != nullptr);
    return compare_runs(parse_runs_json(*j, "builtin:measured/h100-2026-11-runs.json", "h100"), cat);
  }();
  return c;
}

bool foundation_model(const Comparison& x) { return x.run.model == "bert-base" || x.run.model == "resnet50"; }

}  // namespace

TEST_CASE("every shared H100 run of a built-in model is predicted") {
  std::size_t ok = 0;
  for (const auto& c : comparisons()) ok += c.ok;
  CHECK(ok == comparisons().size());
}

TEST_CASE("CUDA graphs: BERT-base and ResNet-50, fp32 and fp16, within 8.5% MAPE") {
  // HF BERT captured without a mask runs SDPA's math kernels (Builder::sdpa_math); fp16 BERT was 55%
  // off before that was modelled, and 9.7% before its strided copies and broadcast mask add were
  // bound by elements (DeviceSpec::strided_elements_per_s). All 46 were 8.6% before batch norm and
  // pooling were bound by elements and planes and convolutions took cuDNN's factor over the GEMM curve.
  std::size_t n = 0;
  double m = mape(comparisons(), [](const Comparison& x) {
    return foundation_model(x) && x.run.framework == "cuda-graphs";
  }, &n);
  CHECK(n == 46);
  CHECK(m <= 8.5);
  double half = mape(comparisons(), [](const Comparison& x) {
    return x.run.model == "bert-base" && x.run.framework == "cuda-graphs" && x.run.dtype == DType::fp16;
  }, &n);
  CHECK(n == 14);
  CHECK(half <= 8.0);
}

TEST_CASE("eager runs the model predicts GPU-bound (batch >= 64) within 14% MAPE") {
  // 11 runs, 13.6%: ResNet-50 fp16 at batch 64 counts as GPU-bound since batch norm and pooling are
  // bound by elements; it was measured in machine A's slow-host stretch (10.7 ms; machine B's trace
  // of the same configuration ran in 7.7 ms) and is 36% off. Without it, 10 runs, 11.4% (was 11.6%).
  std::size_t n = 0;
  double m = mape(comparisons(), [](const Comparison& x) {
    return foundation_model(x) && x.run.framework == "pytorch-eager" && x.run.batch >= 64 &&
           x.regime != Regime::framework;
  }, &n);
  CHECK(n >= 7);
  CHECK(m <= 14.0);
}

TEST_CASE("TorchScript where the GPU binds (batch 64): BERT-base and ResNet-50 within 10% MAPE") {
  // Two mechanisms: torch.jit.trace makes transformers 5.x materialize BERT's padding mask, so SDPA
  // runs its math kernels as under CUDA graphs; freezing folds ResNet's batch norms into biases that
  // ATen adds after each cuDNN convolution (a broadcast add as costly as the batch norm it replaced).
  // Without them: 38.5% (BERT fp16 -63%, ResNet-50 -34% and -45%). Now 8.5%.
  std::size_t n = 0;
  double m = mape(comparisons(), [](const Comparison& x) {
    return foundation_model(x) && x.run.framework == "torchscript" && x.run.batch >= 64;
  }, &n);
  CHECK(n == 4);
  CHECK(m <= 10.0);
}

TEST_CASE("torch.nn BERT (kernels calibrated from its traces) replays from CUDA graphs within 12% MAPE") {
  std::size_t n = 0;
  double m = mape(comparisons(), [](const Comparison& x) {
    return x.run.model == "bert-base-torchnn" && x.run.framework == "cuda-graphs";
  }, &n);
  CHECK(n == 28);
  CHECK(m <= 12.0);
}

TEST_CASE("machine A: a host's Python side fitted to its bert-base runs alone predicts its other models (median 0.85-1.15)") {
  // Machine A ran these runs 2.0x slower than its own microbenchmarks say for bert-base. Fitting only
  // the Python side (module calls, each op's op_python_s) and keeping the probe's dispatch speed
  // explains its other models too: they have less Python (torch.nn BERT's fused layers, ResNet-50's
  // C++ convolutions), so they slowed less. A fit scaling every cost over-predicts them.
  const Catalog& cat = Catalog::builtin();
  std::vector<MeasuredRun> bert;
  for (const auto& c : comparisons())
    if (c.run.model == "bert-base") bert.push_back(c.run);
  REQUIRE(bert.size() >= 8);
  HostFitRequest python;
  python.speed = HostFitSpeed::python;
  const FittedHost fitted = fit_host(bert, cat, python);
  CHECK(fitted.host.relative_time == test::approx(cat.host("h100-vm-a").relative_time));
  MESSAGE("machine A's Python in its runs: " << fitted.host.python_relative_time << "x its probe's");
  const FittedHost all = fit_host(bert, cat, HostFitRequest{});
  auto eager_small = [](const Comparison& c) {
    return c.ok && c.run.model != "bert-base" && c.run.framework == "pytorch-eager" && c.run.batch <= 8;
  };
  std::vector<MeasuredRun> others;
  for (const auto& c : comparisons())
    if (eager_small(c)) others.push_back(c.run);
  for (const std::string model : {"resnet50", "bert-base-torchnn"}) {
    CAPTURE(model);
    std::vector<double> py, uniform;
    auto a = compare_runs(others, cat, 1.0, &fitted.host);
    auto b = compare_runs(others, cat, 1.0, &all.host);
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].run.model == model) {
        py.push_back(a[i].run.latency_s / a[i].predicted_s);
        uniform.push_back(b[i].run.latency_s / b[i].predicted_s);
      }
    REQUIRE(py.size() >= 4);
    const double m = median(py);
    MESSAGE(model << ": median measured/predicted " << m << " (Python side fitted), " << median(uniform)
                  << " (every cost fitted), over " << py.size() << " runs");
    CHECK(m >= 0.85);
    CHECK(m <= 1.15);
  }
}

TEST_CASE("machine A: fitting dispatch and Python apart to its three models' eager runs finds Python the slower") {
  // --fit both: the speeds that best explain bert-base, ResNet-50 and torch.nn BERT together. The split
  // is not pinned closely (the objective is flat along a ridge: the Python-side fit of bert-base alone
  // gives dispatch 1.0x, Python 4.0x; this one about 1.6x and 2.4x), but Python is the slower either way.
  const Catalog& cat = Catalog::builtin();
  std::vector<MeasuredRun> eager;
  for (const auto& c : comparisons())
    if (c.run.framework == "pytorch-eager" && c.run.batch <= 8) eager.push_back(c.run);
  REQUIRE(eager.size() >= 30);
  HostFitRequest both;
  both.speed = HostFitSpeed::both;
  const FittedHost fitted = fit_host(eager, cat, both);
  MESSAGE("machine A: dispatch " << fitted.host.relative_time << "x, Python " << fitted.host.python_relative_time
                                 << "x the reference host's; MAPE " << fitted.fit.mape_before_percent << "% -> "
                                 << fitted.fit.mape_after_percent << "%");
  CHECK(fitted.host.python_relative_time > 1.3 * fitted.host.relative_time);
  // Better than one speed for all of it.
  const FittedHost one = fit_host(eager, cat, HostFitRequest{});
  CHECK(fitted.fit.mape_after_percent < one.fit.mape_after_percent);
}
