// Calibration fits on a real probe output (fwtax-probe-torch --quick on the CI machine, kept as a
// fuzz seed): they never write NaN, infinite, zero or negative costs, and say when the machine was noisy.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "calibrate/fit.hpp"
#include "model/device.hpp"

using namespace fwtax;

namespace {

Json probe() {
  std::ifstream in(std::filesystem::path(FWTAX_SOURCE_DIR) / "tests/fuzz/corpus/calibration/probe-torch-quick.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

void all_finite_non_negative(const Json& j, const std::string& where) {
  if (j.is_number()) {
    CAPTURE(where);
    CHECK(std::isfinite(j.get<double>()));
    CHECK(j.get<double>() >= 0);
  }
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "calibration") all_finite_non_negative(it.value(), where + "/" + it.key());
  if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i) all_finite_non_negative(j[i], where + "/" + std::to_string(i));
}

}  // namespace

TEST_CASE("a CPU fit writes a profile that loads, with finite positive op costs") {
  FitResult f = fit_cpu_microbench(probe(), "probe.json", "ci-cpu");
  all_finite_non_negative(f.profile, "");
  const Json& costs = f.profile["frameworks"]["libtorch"]["op_host_s"];
  for (auto it = costs.begin(); it != costs.end(); ++it)
    if (it.value().is_number() && it.key().rfind("module_", 0) != 0) {
      std::string op_class = it.key();
      CAPTURE(op_class);
      CHECK(it.value().get<double>() > 0);
    }
  Diagnostics d("profile");
  parse_device(f.profile, d);
  CHECK(d.empty());
}

TEST_CASE("a dispatch cost the fit puts at or below zero is floored, with a warning") {
  Json mb = probe();
  // Times that grow with size from below zero: the fitted intercept (the dispatch cost) clamps to 0.
  for (auto& [k, op] : mb["dispatch"].items())
    if (op["class"] == "elementwise")
      for (auto& s : op["sizes"]) s["stats"]["median_s"] = (s["size"].get<double>() - 10) * 1e-8;
  FitResult f = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  CHECK(f.profile["frameworks"]["libtorch"]["op_host_s"]["elementwise"].get<double>() > 0);
  bool warned = false;
  for (const auto& w : f.warnings) warned |= w.find("floored") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("a noisy machine is reported") {
  Json mb = probe();
  mb["dispatch"]["add"]["sizes"][0]["stats"]["mdape"] = 0.4;
  FitResult f = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  bool noisy = false;
  for (const auto& w : f.warnings) noisy |= w.find("add: noisy (40%") != std::string::npos;
  CHECK(noisy);
}

TEST_CASE("a probe output with a non-positive or non-numeric measurement is refused, naming it") {
  Json mb = probe();
  mb["gemm_sweep"][0]["flops"] = "many";
  try {
    fit_cpu_microbench(mb, "probe.json", "ci-cpu");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.diagnostics().front().str().find("/gemm_sweep/0/flops") != std::string::npos);
  }
  Json zero = probe();
  zero["copy"]["stats"]["median_s"] = 0;
  CHECK_THROWS_AS(fit_cpu_microbench(zero, "probe.json", "ci-cpu"), InputError);
}
