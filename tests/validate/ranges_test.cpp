// Latency ranges: each prediction's 10-90% range comes from the spread of measured over predicted
// time (data/ranges.json), wide where the host binds and narrow where the GPU does; validate reports
// how many measured runs fall inside their range. data/ranges.json must be what
// `fwtax calibrate --target ranges` fits to its committed inputs, and the ranges must cover runs it
// was not fitted to (the H200 runs of the second VM, H1).
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>

#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "simulate/sweep.hpp"
#include "tests/test_util.hpp"
#include "calibrate/runs_fit.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"

using namespace fwtax;

TEST_CASE("a spread file: both ends positive, low <= 1 <= high, no unknown keys") {
  Diagnostics ok("r.json");
  LatencySpread s = parse_spread(Json::parse(R"({"host_time": {"low": 0.7, "high": 2}, "kernel_time": {"low": 0.9,
      "high": 1.2}, "kernel_time_projected": {"low": 0.8, "high": 1.3}, "source": "test"})"), ok);
  CHECK(ok.empty());
  CHECK(s.host_high == 2);
  CHECK(s.projected_low == 0.8);
  // A file written before memory-bound kernels had a spread of their own gives them the compute-bound one.
  CHECK(s.kernel_memory_high == 1.2);
  CHECK(s.projected_memory_low == 0.8);
  Diagnostics apart("r.json");
  s = parse_spread(Json::parse(R"({"host_time": {"low": 0.7, "high": 2}, "kernel_time": {"low": 0.9, "high": 1.1},
      "kernel_time_memory": {"low": 0.9, "high": 1.3}, "kernel_time_projected": {"low": 0.8, "high": 1.3},
      "kernel_time_projected_memory": {"low": 0.95, "high": 1.5}})"), apart);
  CHECK(apart.empty());
  CHECK(s.kernel_high == 1.1);
  CHECK(s.kernel_memory_high == 1.3);
  CHECK(s.projected_memory_low == 0.95);
  CHECK(s.projected_memory_high == 1.5);
  Diagnostics bad("r.json");
  parse_spread(Json::parse(R"({"host_time": {"low": 1.2, "high": 2}, "kernel_time": {"low": -1, "high": 1.2},
      "kernel_time_projected": {"low": 0.8, "high": 1.3}, "width": 3})"), bad);
  std::string all;
  for (const auto& d : bad.items()) all += d.str() + "\n";
  CHECK(all.find("/host_time: expected low <= 1 <= high") != std::string::npos);
  CHECK(all.find("/kernel_time/low") != std::string::npos);
  CHECK(all.find("width") != std::string::npos);
  Diagnostics bad_memory("r.json");
  parse_spread(Json::parse(R"({"host_time": {"low": 0.7, "high": 2}, "kernel_time": {"low": 0.9, "high": 1.2},
      "kernel_time_projected": {"low": 0.8, "high": 1.3}, "kernel_time_memory": {"low": 1.1, "high": 1.3}})"),
               bad_memory);
  REQUIRE(bad_memory.items().size() == 1);
  CHECK(bad_memory.items()[0].str().find("/kernel_time_memory: expected low <= 1 <= high") != std::string::npos);
}

TEST_CASE("a host-bound prediction has a wide range, a GPU-bound one a narrow range, both around it") {
  SweepRequest q;
  q.models = {"bert-base"};
  q.devices = {"h100"};
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.dtypes = {DType::fp16};
  q.batches = {1, 256};
  const LatencySpread s = builtin_spread(Catalog::builtin());
  // A GPU-bound call's range: its compute-bound kernel time times the compute band's width, plus its
  // other kernel time times the memory band's.
  auto gpu_width = [&](const ResultRow& r, bool projected) {
    const double compute = r.sim.gpu_compute_s, other = r.sim.gpu_busy_s - compute;
    return projected ? compute * (s.projected_high - s.projected_low) + other * (s.projected_memory_high - s.projected_memory_low)
                     : compute * (s.kernel_high - s.kernel_low) + other * (s.kernel_memory_high - s.kernel_memory_low);
  };
  for (const auto& r : run_sweep(q, Catalog::builtin())) {
    CAPTURE(r.framework);
    CAPTURE(r.batch);
    CHECK(r.latency_low_s <= r.sim.latency_s);
    CHECK(r.latency_high_s >= r.sim.latency_s);
    double width = r.latency_high_s / r.latency_low_s;
    if (r.framework == "pytorch-eager" && r.batch == 1) {
      REQUIRE(r.sim.bound == Regime::framework);
      CHECK(width == doctest::Approx(s.host_high / s.host_low).epsilon(0.02));
    }
    if (r.framework == "cuda-graphs" && r.batch == 256) {
      // GPU-bound: its compute-bound kernels move by the compute band, the others by the memory band.
      REQUIRE(r.sim.bound != Regime::framework);
      REQUIRE(r.sim.gpu_compute_s > 0.1 * r.sim.gpu_busy_s);
      REQUIRE(r.sim.gpu_compute_s < 0.9 * r.sim.gpu_busy_s);
      CHECK(r.latency_high_s - r.latency_low_s == doctest::Approx(gpu_width(r, false)).epsilon(0.02));
    }
  }
  // Mostly compute-bound on a calibrated device (fp32 GEMMs, batch 256): narrower than the memory band.
  q.dtypes = {DType::fp32};
  q.frameworks = {"cuda-graphs"};
  q.batches = {256};
  auto gemms = run_sweep(q, Catalog::builtin()).front();
  REQUIRE(gemms.sim.gpu_compute_s > 0.8 * gemms.sim.gpu_busy_s);
  CHECK(gemms.latency_high_s - gemms.latency_low_s == doctest::Approx(gpu_width(gemms, false)).epsilon(0.02));
  CHECK(gemms.latency_high_s / gemms.latency_low_s < s.kernel_memory_high / s.kernel_memory_low);
  // A device projected from another's curves takes the projected bands.
  q.devices = {"a100"};
  auto a100 = run_sweep(q, Catalog::builtin()).front();
  CHECK(a100.latency_high_s - a100.latency_low_s == doctest::Approx(gpu_width(a100, true)).epsilon(0.02));
  // The bands data/ranges.json holds: where compute binds on a calibrated device, within +-15%; memory-
  // bound kernels are predicted less closely, and a datasheet projection less closely still.
  CHECK(s.kernel_low >= 0.85);
  CHECK(s.kernel_high <= 1.15);
  CHECK(s.kernel_memory_high > s.kernel_high);
  CHECK(s.projected_high > s.kernel_high);
}

namespace {
// Eleven predicted runs in `regime` (on a projected device or not), measured first + step * i times
// their prediction, i = 1..11.
void add_runs(std::vector<Comparison>& cs, Regime regime, bool projected, double first, double step) {
  for (int i = 1; i <= 11; ++i) {
    Comparison c;
    c.ok = true;
    c.regime = regime;
    c.projected = projected;
    c.predicted_s = 1;
    c.run.latency_s = first + step * i;
    cs.push_back(c);
  }
}
}  // namespace

TEST_CASE("the spread fit takes the 10th and 90th percentiles of measured over predicted, by regime") {
  std::vector<Comparison> cs;
  add_runs(cs, Regime::framework, false, 0.5, 0.1);  // 0.6 .. 1.6
  add_runs(cs, Regime::compute, false, 0.95, 0.01);  // 0.96 .. 1.06
  add_runs(cs, Regime::compute, true, 1.05, 0.01);   // all slower than predicted: the low end stays at 1
  SpreadFit f = fit_spread(cs);
  CHECK(f.host_runs == 11);
  CHECK(f.spread.host_low == doctest::Approx(0.7));
  CHECK(f.spread.host_high == doctest::Approx(1.5));
  CHECK(f.spread.kernel_low == doctest::Approx(0.97));
  CHECK(f.spread.kernel_high == doctest::Approx(1.05));
  CHECK(f.spread.projected_low == 1.0);
  CHECK(f.spread.projected_high == doctest::Approx(1.15));
  // No memory-bound run: memory-bound kernels take the compute-bound band.
  CHECK(f.kernel_memory_runs == 0);
  CHECK(f.spread.kernel_memory_low == f.spread.kernel_low);
  CHECK(f.spread.projected_memory_high == f.spread.projected_high);
  // Memory-bound runs get a band of their own, and leave the compute-bound one as it was.
  std::vector<Comparison> with_memory = cs;
  add_runs(with_memory, Regime::memory, false, 0.85, 0.05);  // 0.9 .. 1.4
  SpreadFit m = fit_spread(with_memory);
  CHECK(m.kernel_runs == 11);
  CHECK(m.kernel_memory_runs == 11);
  CHECK(m.spread.kernel_low == doctest::Approx(0.97));
  CHECK(m.spread.kernel_high == doctest::Approx(1.05));
  CHECK(m.spread.kernel_memory_low == doctest::Approx(0.95));
  CHECK(m.spread.kernel_memory_high == doctest::Approx(1.35));
  CHECK(m.spread.projected_memory_high == doctest::Approx(1.15));
  // Coverage: the share of runs inside their range, overall and where the host or the GPU binds.
  for (auto& c : cs) c.low_s = 0.9, c.high_s = 1.1;
  Json s = summarize_comparisons(cs);
  CHECK(s["coverage_percent"]["framework"].get<double>() == doctest::Approx(100.0 * 3 / 11));
  CHECK(s["coverage_percent"]["gpu"].get<double>() == doctest::Approx(100.0 * (11 + 5) / 22));
}

TEST_CASE("a ranges fit says which bands no run gave") {
  // Machine A's runs alone: an H100 is calibrated, so nothing is GPU-bound on a projected device.
  RangeRuns in;
  in.runs = read_measured_file(std::string(FWTAX_SOURCE_DIR) + "/data/measured/h100-2026-11-runs.json", "", Measure::sync);
  FittedRanges f = fit_ranges(in, Catalog::builtin(), FittedRanges{});
  CHECK(f.fit.kernel_runs > 0);
  CHECK(f.fit.kernel_memory_runs > 0);
  REQUIRE(f.warnings.size() == 1);
  CHECK(f.warnings[0].find("kernel_time_projected and kernel_time_projected_memory are x1.00-1.00") != std::string::npos);
  CHECK(f.warnings[0].find("--projected-runs") != std::string::npos);
  // Its compute-bound runs only: the memory band takes the compute band, and says so.
  RangeRuns compute;
  for (const auto& c : compare_runs(in.runs, Catalog::builtin()))
    if (c.ok && c.regime == Regime::compute) compute.runs.push_back(c.run);
  f = fit_ranges(compute, Catalog::builtin(), FittedRanges{});
  CHECK(f.fit.spread.kernel_memory_high == f.fit.spread.kernel_high);
  bool memory_said = false;
  for (const auto& w : f.warnings) memory_said |= w.find("kernel_time_memory takes kernel_time's band") != std::string::npos;
  CHECK(memory_said);
}

TEST_CASE("data/ranges.json is what calibrate --target ranges fits to the runs it names") {
  const Json* j = Catalog::builtin().builtin_json("ranges.json");
  REQUIRE(j != nullptr);
  std::filesystem::path dir = test::scratch("fwtax_ranges_test");
  std::filesystem::create_directories(dir);
  std::filesystem::path out = dir / "ranges.json";
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(FWTAX_SOURCE_DIR);  // the file names its inputs relative to the repository
  std::ostringstream o, e;
  std::vector<std::string> args = {"calibrate", "--target", "ranges", "--runs", (*j)["fit"]["runs"].get<std::string>(),
                                   "--out", out.string(), "--quiet"};
  for (auto [key, flag] : {std::pair{"kernel_runs", "--kernel-runs"}, std::pair{"projected_runs", "--projected-runs"},
                           std::pair{"probed_runs", "--probed-runs"}})
    if ((*j)["fit"].contains(key) && (*j)["fit"][key].is_string()) {
      args.push_back(flag);
      args.push_back((*j)["fit"][key].get<std::string>());
    }
  int status = cli::run_cli(args, o, e);
  std::filesystem::current_path(cwd);
  REQUIRE(status == 0);
  Json refit = load_json_file(out.string());
  for (const char* key : {"host_time", "kernel_time", "kernel_time_memory", "kernel_time_projected",
                          "kernel_time_projected_memory", "host_time_probed"})
    for (const char* end : {"low", "high"}) {
      const std::string field = std::string(key) + "/" + end;  // a string, not a pointer, in the log
      CAPTURE(field);
      CHECK(refit[key][end].get<double>() == doctest::Approx((*j)[key][end].get<double>()).epsilon(1e-9));
    }
}

TEST_CASE("ranges cover H200 runs they were not fitted to (the second VM, H1), where host and GPU bind") {
  const Catalog& cat = Catalog::builtin();
  // H1's runs are not built in: read them from the repository. On the datasheet projection (`h200`,
  // the runs' own device) and on the H200's own calibration (`h200-calibrated`, whose kernel spread the
  // fit took from the other VM's runs, H3).
  for (const char* device : {"", "h200-calibrated"}) {
    auto runs = read_measured_file(std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-11/runs-machine-h1.json",
                                   device, Measure::sync);
    Json s = summarize_comparisons(compare_runs(runs, cat));
    MESSAGE("H1 coverage on " << std::string(*device ? device : "h200") << ": framework-bound "
                              << s["coverage_percent"]["framework"].get<double>() << "%, GPU-bound "
                              << s["coverage_percent"]["gpu"].get<double>() << "%");
    for (const char* regime : {"framework", "gpu"}) {
      CAPTURE(device);
      CAPTURE(regime);
      // The issue's 70% (H1 on h200-calibrated where the GPU binds: 72.9% since its convolutions past
      // the sweep's batch 32 follow the sweep's last step; 69.9% before).
      CHECK(s["coverage_percent"][regime].get<double>() >= 70.0);
      // One host spread serves every host, and it is fitted to hosts predicted without a calibration of
      // their own (machine A, 1.5-2x slower than its microbenchmarks; H3 on the datasheet's host): on
      // a calibrated host it is wider than a 10-90% band (H1: 46 of 48 framework-bound runs inside).
      if (std::string(regime) == "gpu" || !*device) CHECK(s["coverage_percent"][regime].get<double>() <= 95.0);
    }
  }
}

TEST_CASE("a host fitted to its machine's runs carries its own host spread for the models fitted to") {
  // Machine A (the shared H100 runs): fit its host to the bert-base runs alone, as a user would with
  // one model, and predict bert-base and the other models (ResNet-50, torch.nn BERT) on it.
  const Catalog& cat = Catalog::builtin();
  auto runs = read_measured_file(std::string(FWTAX_SOURCE_DIR) + "/data/measured/h100-2026-11-runs.json", "", Measure::sync);
  std::vector<MeasuredRun> bert;
  for (const auto& r : runs)
    if (r.model == "bert-base") bert.push_back(r);
  REQUIRE(!bert.empty());
  FittedHost fitted = fit_host(bert, cat, HostFitRequest{});
  REQUIRE(fitted.host.has_spread());
  CHECK(fitted.fit.framework_bound_ratios.size() >= kMinSpreadRuns);
  CHECK(fitted.host.spread_models == std::vector<std::string>{"bert-base"});
  // Its CPU is the one the runs' file names (env.cpu_model); --cpu would override it.
  CHECK(fitted.host.cpu == "Intel(R) Xeon(R) Processor");
  HostFitRequest named;
  named.cpu = "Xeon 8480+";
  CHECK(fit_host(bert, cat, named).host.cpu == "Xeon 8480+");
  CHECK(fitted.host.spread_low < 1.0);
  CHECK(fitted.host.spread_high > 1.0);
  // Its own framework-bound runs' 10-90%: narrower than data/ranges.json's, which covers machines and
  // models of every kind.
  const LatencySpread all = builtin_spread(cat);
  CHECK(fitted.host.spread_high / fitted.host.spread_low < all.host_high / all.host_low);
  // The file form reads back.
  Diagnostics diag("fitted host");
  HostSpec back = parse_host(fitted.to_json(), diag);
  CHECK(diag.empty());
  CHECK(back.spread_low == test::approx(fitted.host.spread_low));
  CHECK(back.spread_high == test::approx(fitted.host.spread_high));
  CHECK(back.spread_models == fitted.host.spread_models);
  // bert-base's framework-bound ranges on that host are narrower than on a host without a spread of its
  // own; the other models' are the same.
  HostSpec plain = fitted.host;
  plain.spread_low = plain.spread_high = 0;
  auto with = compare_runs(runs, cat, 1.0, &fitted.host);
  auto without = compare_runs(runs, cat, 1.0, &plain);
  REQUIRE(with.size() == without.size());
  std::size_t narrower = 0, others = 0, others_inside = 0;
  for (std::size_t i = 0; i < with.size(); ++i) {
    const auto& a = with[i];
    const auto& b = without[i];
    if (!a.ok || a.regime != Regime::framework) continue;
    CAPTURE(a.run.model);
    if (a.run.model == "bert-base") {
      narrower += a.high_s / a.low_s < b.high_s / b.low_s;
    } else {
      CHECK(a.low_s == test::approx(b.low_s));
      CHECK(a.high_s == test::approx(b.high_s));
      ++others;
      others_inside += a.run.latency_s >= a.low_s && a.run.latency_s <= a.high_s;
    }
  }
  CHECK(narrower >= kMinSpreadRuns);
  // Those other models on the fitted host: data/ranges.json's spread still covers them as a 10-90%
  // band should (34 of 41); a spread of bert-base's runs alone would not hold for every machine (the
  // paper's A100 host: 7 of its 29 other framework-bound runs inside).
  REQUIRE(others >= 20);
  double coverage = 100.0 * static_cast<double>(others_inside) / static_cast<double>(others);
  MESSAGE("machine A, host fitted to bert-base: framework-bound coverage of the other models " << coverage << "%");
  CHECK(coverage >= 70.0);
  CHECK(coverage <= 95.0);
}

TEST_CASE("a host fitted on a device whose host times Python apart keeps that apart, and predicts as its fit said") {
  // h200-calibrated's host has a python_relative_time (its nn_linear_module probe): the fit scales all
  // of the host's costs, so the fitted host scales both numbers, and the file it writes predicts the
  // runs with the MAPE the fit reported.
  const Catalog& cat = Catalog::builtin();
  auto runs = read_measured_file(std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-11/runs.json", "h200-calibrated",
                                 Measure::sync);
  FittedHost fitted = fit_host(runs, cat, HostFitRequest{});
  const HostSpec own = cat.host_of(cat.device("h200-calibrated"));
  REQUIRE(own.python_relative_time > 0);
  CHECK(fitted.host.python_relative_time / fitted.host.relative_time ==
        test::approx(own.python_relative_time / own.relative_time));
  Diagnostics diag("fitted host");
  HostSpec back = parse_host(fitted.to_json(), diag);
  REQUIRE(diag.empty());
  Json s = summarize_comparisons(compare_runs(runs, cat, 1.0, &back));
  // Within 1%: the fit's host_x also divides a graph replay's one call, which a host does not scale
  // (14.00 against 14.0, where the file without its python_relative_time predicted 13.6%).
  CHECK(s["mape_percent"].get<double>() == doctest::Approx(fitted.fit.mape_after_percent).epsilon(0.01));
}
