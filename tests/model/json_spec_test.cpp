#include <doctest/doctest.h>

#include "model/device.hpp"
#include "model/framework.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

std::vector<std::string> device_errors(const std::string& text) {
  Diagnostics diag("dev.json");
  Json j = parse_json(text, "dev.json");
  parse_device(j, diag);
  std::vector<std::string> out;
  for (const auto& d : diag.items()) out.push_back(d.str());
  return out;
}

const char* kMinimalGpu = R"({
  "name": "g", "kind": "gpu", "host": "h", "kernel_min_s": 1e-6,
  "peak_flops_per_s": {"fp32_simt": 1e13},
  "memory": {"bandwidth_bytes_per_s": 1e12},
  "efficiency": {"gemm": {"fp32_simt": [[1e6, 0.1], [1e9, 0.8]]}, "memory": [[1e3, 0.05], [1e8, 0.9]]},
  "launch": {"host_s": 5e-6, "latency_s": 2e-6, "sync_s": 3e-6}
})";

}  // namespace

TEST_CASE("a minimal GPU profile parses without diagnostics") {
  CHECK(device_errors(kMinimalGpu).empty());
}

TEST_CASE("a string where a bandwidth belongs names the file, the pointer, the value and the expectation") {
  std::string text = kMinimalGpu;
  text.replace(text.find("1e12"), 4, "\"3.35 TB/s\"");
  auto e = device_errors(text);
  REQUIRE(e.size() == 1);
  CHECK(e[0] == "dev.json: /memory/bandwidth_bytes_per_s: expected a number > 0, got \"3.35 TB/s\"");
}

TEST_CASE("a negative bandwidth is rejected") {
  std::string text = kMinimalGpu;
  text.replace(text.find("1e12"), 4, "-1e12");
  auto e = device_errors(text);
  REQUIRE(e.size() == 1);
  CHECK(e[0] == "dev.json: /memory/bandwidth_bytes_per_s: expected a number > 0, got -1000000000000.0");
}

TEST_CASE("an unknown key is an error that lists the valid keys") {
  std::string text = kMinimalGpu;
  text.replace(text.find("\"fp32_simt\": 1e13"), 17, "\"peak_flop\": 1e13, \"fp32_simt\": 1e13");
  auto e = device_errors(text);
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("dev.json: /peak_flops_per_s/peak_flop: unknown key 'peak_flop' - valid keys are ") == 0);
  CHECK(e[0].find("fp16_tensor") != std::string::npos);
}

TEST_CASE("every error of a file is reported, not just the first") {
  std::string text = R"({"name": 3, "kind": "tpu", "host": "h", "kernel_min_s": 0,
    "peak_flops_per_s": {}, "memory": {}, "efficiency": {}, "launch": {}})";
  auto e = device_errors(text);
  CHECK(e.size() >= 6);
  auto has = [&](const std::string& s) {
    for (const auto& m : e)
      if (m == s) return true;
    return false;
  };
  CHECK(has("dev.json: /name: expected a string, got 3"));
  CHECK(has("dev.json: /kind: expected one of gpu, cpu, got \"tpu\""));
  CHECK(has("dev.json: /kernel_min_s: expected a number > 0, got 0"));
  CHECK(has("dev.json: /memory/bandwidth_bytes_per_s: missing required member"));
  CHECK(has("dev.json: /launch/host_s: missing required member"));
}

TEST_CASE("malformed JSON names the line and column") {
  auto m = test::messages_of([] { parse_json("{\n  \"a\": 1,\n  \"b\": }", "x.json"); });
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind("x.json: line 3, column 8: not valid JSON", 0) == 0);
}

TEST_CASE("an empty file says so") {
  auto m = test::messages_of([] { parse_json("  \n", "empty.json"); });
  REQUIRE(m.size() == 1);
  CHECK(m[0].find("the file is empty") != std::string::npos);
}

TEST_CASE("huge numbers such as 1e400 are rejected, not silently infinite") {
  std::string text = kMinimalGpu;
  text.replace(text.find("1e-6"), 4, "1e400");
  auto m = test::messages_of([&] { parse_json(text, "dev.json"); });
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind("dev.json: line 2, column ", 0) == 0);
  CHECK(m[0].find("number out of range") != std::string::npos);
}

TEST_CASE("a framework profile must give a cost for every op class or a default") {
  Diagnostics diag("fw.json");
  parse_framework(parse_json(R"({"name": "f", "mode": "eager", "reference_host": "h", "call_host_s": 0,
                                  "op_host_s": {"linear": 2e-5}})",
                             "fw.json"),
                  diag);
  REQUIRE(!diag.empty());
  CHECK(diag.items()[0].str() == "fw.json: /op_host_s/view: missing required member");
  Diagnostics ok("fw.json");
  FrameworkSpec f = parse_framework(parse_json(R"({"name": "f", "mode": "eager", "reference_host": "h",
      "call_host_s": 0, "op_host_s": {"linear": 2e-5, "default": 1e-5}})", "fw.json"), ok);
  CHECK(ok.empty());
  CHECK(f.op_host_s[static_cast<int>(OpClass::linear)] == test::approx(2e-5));
  CHECK(f.op_host_s[static_cast<int>(OpClass::conv)] == test::approx(1e-5));
}
