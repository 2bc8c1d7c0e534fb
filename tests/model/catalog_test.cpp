#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "model/catalog.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

TEST_CASE("every built-in device, framework and host loads without errors") {
  const Catalog& c = Catalog::builtin();
  CHECK(c.devices().size() >= 11);
  for (const auto& e : c.devices()) {
    CAPTURE(e.name);
    DeviceSpec d = c.device(e.name);
    CHECK(d.name == e.name);
    CHECK(!d.memory_efficiency.empty());
    CHECK(!d.gemm_efficiency[static_cast<int>(Math::fp32_simt)].empty());
    CHECK_NOTHROW(c.host_of(d));  // a named host profile, or the one the device embeds
  }
  for (const auto& e : c.frameworks()) CHECK_NOTHROW(c.framework(e.name));
  for (const auto& e : c.hosts()) CHECK_NOTHROW(c.host(e.name));
}

TEST_CASE("every number in the built-in data has a source") {
  const Catalog& c = Catalog::builtin();
  // A number is sourced when the object holding it, or one of its ancestors, has a "source".
  std::function<void(const Json&, bool, const std::string&)> walk = [&](const Json& j, bool sourced,
                                                                        const std::string& where) {
    if (j.is_object()) {
      bool here = sourced || (j.contains("source") && j["source"].is_string() && !j["source"].get<std::string>().empty());
      for (auto it = j.begin(); it != j.end(); ++it) walk(it.value(), here, where + "/" + it.key());
    } else if (j.is_array()) {
      for (std::size_t i = 0; i < j.size(); ++i) walk(j[i], sourced, where + "/" + std::to_string(i));
    } else if (j.is_number()) {
      CAPTURE(where);
      CHECK(sourced);
    }
  };
  for (const auto& p : c.builtin_paths()) walk(*c.builtin_json(p), false, p);
}

TEST_CASE("an unknown device name lists the built-in ones") {
  auto m = test::messages_of([] { Catalog::builtin().device("h1000"); });
  REQUIRE(m.size() == 1);
  CHECK(m[0].find("--device: unknown device 'h1000' (did you mean 'h100'?) - built-in devices are 1080ti, 2080ti") == 0);
}

TEST_CASE("a built-in profile is parsed once and kept; a profile file is read again at every call") {
  const Catalog& c = Catalog::builtin();
  // Built-in names: the kept spec is the one a first call parsed, and an error stays an error.
  const DeviceSpec a = c.device("h100"), b = c.device("h100");
  CHECK(a.name == b.name);
  CHECK(a.memory_bandwidth_bytes_per_s == b.memory_bandwidth_bytes_per_s);
  CHECK(a.frameworks.size() == b.frameworks.size());
  CHECK_THROWS_AS(c.device("h1000"), InputError);
  CHECK_THROWS_AS(c.device("h1000"), InputError);
  // A file rewritten between two calls is read as it is now.
  Json j = *c.builtin_json("hosts/h100-vm-a.json");
  const std::string path = test::scratch("fwtax_catalog_host").string() + ".json";
  for (double speed : {1.5, 2.5}) {
    j["relative_time"] = speed;
    std::ofstream(path) << j.dump();
    CHECK(c.host(path).relative_time == test::approx(speed));
  }
  std::filesystem::remove(path);
}

TEST_CASE("a profile file that does not exist is named in the error") {
  auto m = test::messages_of([] { Catalog::builtin().device("/nonexistent/gpu.json"); });
  REQUIRE(m.size() == 1);
  CHECK(m[0] == "/nonexistent/gpu.json: cannot open the file for reading");
}

TEST_CASE("host and framework profiles written by host_to_json and framework_to_json read back the same") {
  const Catalog& c = Catalog::builtin();
  for (const auto& e : c.hosts()) {
    CAPTURE(e.name);
    const HostSpec h = c.host(e.name);
    Diagnostics diag("round trip");
    const HostSpec back = parse_host(host_to_json(h), diag);
    REQUIRE(diag.empty());
    CHECK(back.name == h.name);
    CHECK(back.description == h.description);
    CHECK(back.cpu == h.cpu);
    CHECK(back.relative_time == h.relative_time);
    CHECK(back.python_relative_time == h.python_relative_time);
    CHECK(back.spread_low == h.spread_low);
    CHECK(back.spread_high == h.spread_high);
    CHECK(back.spread_models == h.spread_models);
    CHECK(back.source == h.source);
    CHECK(!h.source.empty());  // every built-in host says where its speed comes from
  }
  for (const auto& e : c.frameworks()) {
    CAPTURE(e.name);
    const FrameworkSpec f = c.framework(e.name);
    Diagnostics diag("round trip");
    const Json written = framework_to_json(f);
    const FrameworkSpec back = parse_framework(written, diag);
    REQUIRE(diag.empty());
    CHECK(back.name == f.name);
    CHECK(back.description == f.description);
    CHECK(back.mode == f.mode);
    CHECK(back.version == f.version);
    CHECK(back.reference_host == f.reference_host);
    CHECK(back.call_host_s == f.call_host_s);
    CHECK(back.extra_kernel_host_s == f.extra_kernel_host_s);
    CHECK(back.tf32_matmul == f.tf32_matmul);
    CHECK(back.tf32_conv == f.tf32_conv);
    CHECK(back.gemm_split_k == f.gemm_split_k);
    CHECK(back.sync_each_call == f.sync_each_call);
    CHECK(back.fused_op_host_s == f.fused_op_host_s);
    CHECK(back.half_conv_host_s == f.half_conv_host_s);
    CHECK(back.grouped_tf32_conv_transpose == f.grouped_tf32_conv_transpose);
    CHECK(back.hf_attention == f.hf_attention);
    CHECK(back.conv_workspace_limit_bytes == f.conv_workspace_limit_bytes);
    CHECK(back.winograd_conv_speedup == f.winograd_conv_speedup);
    CHECK(back.cuda_graphs == f.cuda_graphs);
    CHECK(back.graph_replay_host_s == f.graph_replay_host_s);
    CHECK(back.generated_elements_per_s == f.generated_elements_per_s);
    CHECK(back.generated_clamp_elements_per_s == f.generated_clamp_elements_per_s);
    CHECK(back.passes == f.passes);
    CHECK(back.op_host_s == f.op_host_s);
    CHECK(back.source == f.source);
    CHECK(back.op_host_source == f.op_host_source);
    // The writer is the parser's inverse on the file's own members too: nothing the file says is lost
    // (schema and notes aside, which the model does not read).
    if (const Json* file = c.builtin_json("frameworks/" + e.name + ".json"))
      for (auto it = file->begin(); it != file->end(); ++it)
        if (it.key() != "schema") CHECK_MESSAGE(written.contains(it.key()), "framework_to_json drops " << it.key());
  }
}

TEST_CASE("device profiles written by device_to_json read back the same, digit for digit: every built-in device") {
  // A fitted profile is built typed and written by device_to_json (calibrate/fit.cpp); what it writes
  // must be what parse_device reads, curves and shape tables as given, sources and embedded host and
  // frameworks included. The built-in files are written that way or by hand; each reads back unchanged.
  const Catalog& c = Catalog::builtin();
  for (const auto& e : c.devices()) {
    CAPTURE(e.name);
    const Json* file = c.builtin_json("devices/" + e.name + ".json");
    REQUIRE(file);
    Diagnostics diag("round trip");
    const DeviceSpec d = parse_device(*file, diag);
    REQUIRE(diag.empty());
    Json written = device_to_json(d, read_device_sources(*file));
    if (written["host"].is_object() && (*file)["host"].contains("fit")) written["host"]["fit"] = (*file)["host"]["fit"];
    for (auto it = file->begin(); it != file->end(); ++it) {
      if (it.key() == "schema" || it.key() == "calibration") continue;
      CAPTURE(it.key());
      CHECK(written[it.key()] == it.value());
    }
    const DeviceSpec back = parse_device(written, diag);
    REQUIRE(diag.empty());
    CHECK(device_to_json(back, read_device_sources(written)) == device_to_json(d, read_device_sources(*file)));
  }
}

TEST_CASE("a framework profile without module_model prices an HF model's own forward as a heavy module") {
  // Profiles written before the class existed (a user's) keep their predictions.
  Json j = framework_to_json(Catalog::builtin().framework("pytorch-eager"));
  j["op_host_s"].erase("module_model");
  j["op_host_s"].erase("module_generate");
  j["op_host_s"].erase("module_generate_step");
  Diagnostics d("old.json");
  FrameworkSpec f = parse_framework(j, d);
  REQUIRE(d.empty());
  CHECK(f.op_host_s[static_cast<int>(OpClass::module_model)] == f.op_host_s[static_cast<int>(OpClass::module_heavy)]);
  // generate()'s setup, without a price: kGenerateSetupLeafUnits leaf modules of the same profile; the
  // reference host's price is that many of its leaf modules too (calibrate/derive/derive_h100.py).
  CHECK(f.op_host_s[static_cast<int>(OpClass::module_generate)] ==
        test::approx(kGenerateSetupLeafUnits * f.op_host_s[static_cast<int>(OpClass::module_leaf)]));
  CHECK(f.op_host_s[static_cast<int>(OpClass::module_generate_step)] ==
        test::approx(kGenerateStepLeafUnits * f.op_host_s[static_cast<int>(OpClass::module_leaf)]));
  const FrameworkSpec& ref = Catalog::builtin().framework("pytorch-eager");
  CHECK(ref.op_host_s[static_cast<int>(OpClass::module_generate_step)] ==
        doctest::Approx(kGenerateStepLeafUnits * ref.op_host_s[static_cast<int>(OpClass::module_leaf)]).epsilon(0.001));
  CHECK(ref.op_host_s[static_cast<int>(OpClass::module_generate)] ==
        doctest::Approx(kGenerateSetupLeafUnits * ref.op_host_s[static_cast<int>(OpClass::module_leaf)]).epsilon(0.001));
  // Given, it is its own price; HF builders put it at their top-level module, once per forward.
  j["op_host_s"]["module_model"] = 1e-4;
  FrameworkSpec g = parse_framework(j, d);
  CHECK(g.op_host_s[static_cast<int>(OpClass::module_model)] == test::approx(1e-4));
}
