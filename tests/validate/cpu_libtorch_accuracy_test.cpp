// Accuracy that CI must keep on `fwtax validate --run cpu` as measured on this repository's CPU and
// saved with --save (data/measured/cpu-validate-2026-12): the profile is fitted here from the saved
// probe output, so the fit and the model are both under test, and no timing is taken on the machine
// running the tests. The live test (tests/torch/validate_cpu_test.sh) checks that the measuring still
// works. And how validate --run cpu merges its rounds.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "calibrate/fit.hpp"
#include "calibrate/torch/probe_epochs.hpp"
#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "tests/test_util.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "validate/runner.hpp"

using namespace fwtax;

namespace {

// The runs of data/measured/cpu-validate-2026-12/<plan>, predicted on the profile fitted to its
// probe.json.
std::vector<Comparison> saved_validation(const std::string& plan) {
  const std::string dir = std::string(FWTAX_SOURCE_DIR) + "/data/measured/cpu-validate-2026-12/" + plan + "/";
  const std::string probe = dir + "probe.json";
  FitResult fit = fit_cpu_microbench(load_json_file(probe), probe, "this-cpu");
  const auto profile = test::scratch("cpu-validate-" + plan + ".json");
  std::ofstream(profile) << fit.profile.to_json().dump();
  auto runs = read_measured_file(dir + "runs.json", profile.string(), Measure::sync);
  auto c = compare_runs(runs, Catalog::builtin());
  std::filesystem::remove(profile);
  return c;
}

}  // namespace

TEST_CASE("validate --run cpu's saved runs on this CPU: every run predicted, MAPE within 12% (quick) and 9% (full), well under FLOPs' baseline") {
  for (const std::string plan : {"quick", "full"}) {
    CAPTURE(plan);
    auto c = saved_validation(plan);
    std::size_t n = 0;
    const double mape = test::mape(c, [](const Comparison&) { return true; }, &n);
    CHECK(n == c.size());
    CHECK(n >= 17);
    CHECK(mape <= (plan == "quick" ? 12.0 : 9.0));  // percent; 10.2 quick, 7.1 full on 2026-12-06
    std::vector<double> flops;
    for (const auto& x : c) flops.push_back(std::fabs(x.flops_s - x.run.latency_s) / x.run.latency_s);
    CHECK(mape < 0.5 * error_stats(flops).mape_percent);
  }
}

TEST_CASE("rounds merge measurement by measurement: each the fastest round's, whole; other numbers' median") {
  auto round = [](double median, double p90, long iters, const char* date, double elapsed) {
    return Json{{"env", {{"date_utc", date}}},
                {"elapsed_s", elapsed},
                {"stats", {{"median_s", median}, {"ci95_low_s", median * 0.95}, {"ci95_high_s", median * 1.05}, {"samples", 3}}},
                {"runs", Json::array({{{"model", "m"}, {"batch", 4}, {"median_s", 2 * median}, {"min_s", median * 0.9},
                                       {"p90_s", p90}, {"iters", iters}}})}};
  };
  Json m = merge_rounds({round(3e-3, 5e-3, 10, "a", 4), round(1e-3, 2e-3, 12, "b", 5), round(2e-3, 9e-3, 11, "c", 6)});
  const Json& r = m["runs"][0];
  CHECK(r["median_s"].get<double>() == test::approx(2e-3));
  CHECK(r["min_s"].get<double>() == test::approx(0.9e-3));
  CHECK(r["p90_s"].get<double>() == test::approx(2e-3));
  CHECK(r["iters"] == 12);
  CHECK(r["batch"] == 4);
  CHECK(r["batch"].is_number_integer());
  // A probe's stats stay one round's: the median inside its own interval.
  CHECK(m["stats"]["median_s"].get<double>() == test::approx(1e-3));
  CHECK(m["stats"]["ci95_low_s"].get<double>() == test::approx(0.95e-3));
  CHECK(m["stats"]["ci95_high_s"].get<double>() == test::approx(1.05e-3));
  CHECK(m["stats"]["samples"] == 3);
  CHECK(m["elapsed_s"].get<double>() == test::approx(15));
  CHECK(m["env"]["date_utc"] == "a");
  // Rounds of different plans are not merged.
  Json other = round(1e-3, 2e-3, 12, "b", 5);
  other["runs"].push_back(other["runs"][0]);
  CHECK_THROWS_WITH_AS(merge_rounds({round(3e-3, 5e-3, 10, "a", 4), other}), "rounds differ at /runs: arrays of different lengths",
                       std::runtime_error);
  // A probe merged from rounds says how many; the probe's epochs are shared between the rounds.
  CHECK(cli::merge_probe_rounds({round(3e-3, 5e-3, 10, "a", 4), round(1e-3, 2e-3, 12, "b", 5)})["env"]["rounds"] == 2);
  CHECK(probe::epochs_per_round(true, 1) == probe::default_epochs(true));
  CHECK(probe::epochs_per_round(true, 3) == 3);
  CHECK(probe::epochs_per_round(false, 5) == 5);
  CHECK(probe::epochs_per_round(false, 20) == 2);
  Json plan = cpu_run_plan(true);
  Json one = cpu_plan_round(plan, 3);
  CHECK(one["passes"] == 1);
  CHECK(one["budget_s"].get<double>() == test::approx(plan["budget_s"].get<double>() / 3));
  CHECK(one["min_iters"] == 2);
  CHECK(one["models"] == plan["models"]);
}
