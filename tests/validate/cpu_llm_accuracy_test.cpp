// Accuracy that CI must keep on the HF generate() ground truth of this repository's CPU
// (data/measured/cpu-llm-2026-12: small Llama, Qwen2 and GPT-2 shapes, dynamic and static KV cache),
// predicted on the profile calibrated there. Tolerances sit just above today's figures.
#include <doctest/doctest.h>

#include <functional>

#include "model/catalog.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;
using fwtax::test::mape;

TEST_CASE("CPU generate(): every run predicted, static cache included; per-token error within 15% by cache kind") {
  const std::string dir = std::string(FWTAX_SOURCE_DIR) + "/data/measured/cpu-llm-2026-12/";
  auto runs = read_measured_file(dir + "runs.json", dir + "cpu-profile-python.json", Measure::sync);
  auto c = compare_runs(runs, Catalog::builtin());
  REQUIRE(c.size() == 162);
  std::size_t n = 0;
  auto phase = [](const char* p, KvCache k) {
    return [p, k](const Comparison& x) { return x.run.phase == p && x.run.cache == k; };
  };
  CHECK(mape(c, [](const Comparison&) { return true; }, &n) <= 12.5);  // 10.4% (11.2% before generate()'s setup and loop were
                                                                        // priced, 12.5% before HF models' own forward)
  CHECK(n == 162);
  CHECK(mape(c, phase("decode", KvCache::dynamic), &n) <= 11.0);  // 8.6% (9.0% before generate's loop per step was
                                                                  // priced; 10.4%; 19.9% with OpenBLAS's GEMM curves)
  CHECK(n == 27);
  CHECK(mape(c, phase("decode", KvCache::static_cache), &n) <= 15.0);  // 13.1% (14.2%; 24.8%; not predicted before)
  CHECK(n == 27);
  // The prefill is a call's time to first token: generate()'s setup (module_generate, measured on another
  // CPU with transformers 5.17; these runs are 5.24's) and then the forward.
  CHECK(mape(c, phase("prefill", KvCache::dynamic), &n) <= 10.5);  // 8.7% (10.5% without the setup; 11.4%; 16.3%)
  CHECK(mape(c, phase("prefill", KvCache::static_cache), &n) <= 12.0);  // 10.3% (12.1%; 13.0%)
}

TEST_CASE("HF encoders' host side on a CPU: full depth and 1-4 layers alike, the model's own forward priced apart") {
  // data/measured/hf-host-cpu-2026-12: six transformers 5.17 models at hidden size 64, at their own depth
  // and at 1, 2 and 4 layers, on the profile calibrated beside them. With a leaf module priced as a bare
  // module call and no model-entry cost the full-depth ones were 27.1% off and the shallow ones 44.3%;
  // with the leaf fix alone 3.8% and 24.1% (the model's own forward, outside its layers, short).
  const std::string dir = std::string(FWTAX_SOURCE_DIR) + "/data/measured/hf-host-cpu-2026-12/";
  auto runs = read_measured_file(dir + "runs.json", dir + "cpu-profile.json", Measure::sync);
  auto c = compare_runs(runs, Catalog::builtin());
  REQUIRE(c.size() == 24);
  std::size_t n = 0;
  auto shallow = [](const Comparison& x) { return x.run.model.find("-L") != std::string::npos; };
  CHECK(mape(c, [&](const Comparison& x) { return !shallow(x); }, &n) <= 5.0);  // 3.3%
  CHECK(n == 6);
  CHECK(mape(c, shallow, &n) <= 10.0);  // 8.1%
  CHECK(n == 18);
  for (const auto& x : c) {
    CAPTURE(x.run.model);
    CHECK(x.ape <= 0.20);
  }
}
