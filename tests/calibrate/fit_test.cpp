// Calibration fits on a real probe output (fwtax-probe-torch --quick on the CI machine, kept as a
// fuzz seed): they never write NaN, infinite, zero or negative costs, and say when the machine was noisy.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "calibrate/fit.hpp"
#include "model/catalog.hpp"
#include "model/device.hpp"
#include "model/kernel_time.hpp"
#include "simulate/sweep.hpp"
#include "tests/test_util.hpp"

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
  all_finite_non_negative(f.profile.to_json(), "");
  const Json costs = f.profile.to_json()["frameworks"]["libtorch"]["op_host_s"];
  for (auto it = costs.begin(); it != costs.end(); ++it)
    if (it.value().is_number() && it.key().rfind("module_", 0) != 0) {
      std::string op_class = it.key();
      CAPTURE(op_class);
      CHECK(it.value().get<double>() > 0);
    }
  Diagnostics d("profile");
  parse_device(f.profile.to_json(), d);
  CHECK(d.empty());
}

TEST_CASE("a CPU profile's Python probe prices a leaf module as the reference host's: what nn.Linear adds over F.linear") {
  // data/frameworks/pytorch-eager.json's module_leaf is nn_linear_module - linear; a bare module call
  // (module_call) is cheaper and left HF forwards 16-35% short (data/measured/hf-host-cpu-2026-12).
  const FrameworkSpec& ref = Catalog::builtin().framework("pytorch-eager");
  auto merged = [&](bool with_linear_module) {
    FitResult f = fit_cpu_microbench(probe(), "probe.json", "ci-cpu");
    Json ops = {{"add", {{"class", "elementwise"}, {"median_s", 1.5e-6}}},
                {"linear", {{"class", "linear"}, {"median_s", 5e-6}}},
                {"module_call", {{"class", ""}, {"median_s", 2e-6}}}};
    if (with_linear_module) ops["nn_linear_module"] = {{"class", ""}, {"median_s", 11e-6}};
    merge_python_dispatch(f.profile, {{"schema", "fwtax.python_dispatch/1"}, {"device", "cpu"}, {"ops", ops}}, "py.json",
                          ref, f.warnings, nullptr);
    const FrameworkSpec* eager = f.profile.device.framework("pytorch-eager");
    REQUIRE(eager != nullptr);
    return *eager;
  };
  auto cost = [](const FrameworkSpec& f, OpClass c) { return f.op_host_s[static_cast<int>(c)]; };
  const FrameworkSpec linear = merged(true), bare = merged(false);
  CHECK(cost(linear, OpClass::module_leaf) == test::approx(6e-6));
  CHECK(cost(bare, OpClass::module_leaf) == test::approx(2e-6));
  // The heavier module bodies keep the reference host's proportions to its leaf.
  const double ratio = cost(ref, OpClass::module_heavy) / cost(ref, OpClass::module_leaf);
  CHECK(cost(linear, OpClass::module_heavy) == test::approx(6e-6 * ratio));
  // An HF model's own forward too (module_model: 33.3 leaf modules on the reference host).
  const double entry = cost(ref, OpClass::module_model) / cost(ref, OpClass::module_leaf);
  CHECK(entry == doctest::Approx(33.3).epsilon(0.01));
  CHECK(cost(linear, OpClass::module_model) == test::approx(6e-6 * entry));
  CHECK(cost(linear, OpClass::linear) == test::approx(5e-6));
}

TEST_CASE("a dispatch cost the fit puts at or below zero is floored, with a warning") {
  Json mb = probe();
  // Times that grow with size from below zero: the fitted intercept (the dispatch cost) clamps to 0.
  for (auto& [k, op] : mb["dispatch"].items())
    if (op["class"] == "elementwise")
      for (auto& s : op["sizes"]) s["stats"]["median_s"] = (s["size"].get<double>() - 10) * 1e-8;
  FitResult f = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  CHECK(f.profile.to_json()["frameworks"]["libtorch"]["op_host_s"]["elementwise"].get<double>() > 0);
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

TEST_CASE("CPU convolutions: oneDNN's calls fill the convolution shapes, native ones are timed as GEMMs") {
  Json mb = probe();  // one thread: the 64x16x16 3x3 convolution at one image runs natively
  Json one = mb["conv_sweep"][4];
  REQUIRE(one["h"] == 16);
  REQUIRE(one["k"] == 3);
  one["batch"] = 1;
  Json four = one;  // at four images on oneDNN, at twice the best GEMM rate
  four["batch"] = 4;
  four["flops"] = 4 * one["flops"].get<double>();
  FitResult base = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  const double best_gemm = base.profile.to_json()["peak_flops_per_s"]["fp32_simt"].get<double>();
  four["stats"]["median_s"] = four["flops"].get<double>() / (2 * best_gemm) +
                              base.profile.to_json()["frameworks"]["libtorch"]["op_host_s"]["conv"].get<double>();
  mb["conv_sweep"] = Json::array({one, four});
  FitResult f = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  // The peak is the fastest matrix throughput measured: here oneDNN's.
  CHECK(f.profile.to_json()["peak_flops_per_s"]["fp32_simt"].get<double>() == doctest::Approx(2 * best_gemm));
  const Json shapes = f.profile.to_json()["efficiency"]["conv_shapes"]["fp32_simt"];
  REQUIRE(shapes.size() == 1);
  CHECK(shapes[0][0] == 4 * 256);  // four images' output pixels
  CHECK(shapes[0][3] == doctest::Approx(1.0));
  // Each probe is predicted back; a native convolution 10x slower than its GEMMs is named.
  const Json rows = f.profile.to_json()["calibration"]["self_check"]["rows"];
  CHECK(rows.size() == mb["gemm_sweep"].size() + 2);
  mb["conv_sweep"][0]["stats"]["median_s"] = 10 * rows.back()["measured_s"].get<double>() + 0.01;
  FitResult slow = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  bool named = false;
  for (const auto& w : slow.warnings) named |= w.find("self-check: conv2d 1x64x16x16 k3 (native im2col + GEMM)") == 0;
  CHECK(named);
}

namespace {

// A fwtax-probe-cuda output (small but complete) whose libtorch dispatch probe took `slow` times the
// reference host's microbenchmark on every op.
Json cuda_probe(double slow) {
  Json raw = {{"launch_host_us", 5.0}, {"launch_sync_roundtrip_us", 11.0}, {"memcpy_d2h_4B_us", 9.0},
              {"memcpy_h2d_4B_us", 7.0}};
  for (int k : {1, 10, 100, 1000}) {
    raw["graph_K" + std::to_string(k) + "_gpu_us_per_kernel"] = k == 1 ? 2.4 : 0.95;
    raw["graph_K" + std::to_string(k) + "_host_us_per_launch"] = 3.0 + k * 0.005;
  }
  Json gemm = Json::array();
  for (const char* dt : {"fp32", "fp16"})
    for (double f : {1e8, 1e10, 1e12}) gemm.push_back({{"dtype", dt}, {"flops", f}, {"kernel_s", f / (dt[2] == '3' ? 5e13 : 6e14) * (f < 1e9 ? 4 : 1)}});
  Json mb = {{"env", {{"gpu", "Test GPU"}, {"sm_count", 132}}},
             {"raw_cuda", raw},
             {"ceilings",
              {{"copy_bw_Bps", 3e12},
               {"gemm_sweep", gemm},
               {"add_fp32_sweep", {{{"bytes_moved", 3072.0}, {"kernel_s", 1.5e-6}}, {{"bytes_moved", 3e9}, {"kernel_s", 1.1e-3}}}}}}};
  const Json& ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json")->at("microbench").at("aten_dispatch_s");
  Json dispatch = Json::object();
  for (auto it = ref.begin(); it != ref.end(); ++it) {
    if (!it.value().is_number()) continue;
    Json sizes = Json::array();
    for (int n : {16, 64, 256}) sizes.push_back({{"size", n}, {"stats", {{"median_s", it.value().get<double>() * slow}}}});
    dispatch[it.key()] = {{"class", it.key() == "linear" ? "linear" : "elementwise"}, {"sizes", sizes}};
  }
  mb["torch_dispatch"] = {{"env", {{"cpu_model", "Test CPU"}}}, {"dispatch", dispatch}};
  return mb;
}

Json python_probe(double slow) {
  Json ops = Json::object();
  const Json& ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json")->at("microbench").at("python_dispatch_s");
  for (auto it = ref.begin(); it != ref.end(); ++it)
    if (it.value().is_number()) ops[it.key()] = {{"class", ""}, {"median_s", it.value().get<double>() * slow}};
  return {{"schema", "fwtax.python_dispatch/1"}, {"device", "cuda"}, {"ops", ops}};
}

double eager_latency(const Json& profile, const std::string& path) {
  std::ofstream(path) << profile.dump();
  SweepRequest q;
  q.devices = {path};
  q.frameworks = {"pytorch-eager"};
  return run_sweep(q, Catalog::builtin()).front().sim.latency_s;
}

}  // namespace

TEST_CASE("a GPU calibration measures its host's speed against the reference host's microbenchmarks") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  REQUIRE(ref != nullptr);
  // The reference host's own numbers give 1; a host whose every op takes 1.8x gives 1.8.
  FitResult same = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
  CHECK(same.profile.to_json()["host"]["relative_time"].get<double>() == test::approx(1.0));
  FitResult slow = fit_cuda_microbench(cuda_probe(1.8), "probe.json", "t-gpu", "h100-vm-a", ref);
  CHECK(slow.profile.to_json()["host"]["relative_time"].get<double>() == test::approx(1.8));
  CHECK(slow.profile.to_json()["host"]["cpu"] == "Test CPU");
  CHECK_FALSE(slow.profile.to_json()["host"]["fit"]["aten_dispatch_over_reference"].contains("view_nokernel"));
  // Without the libtorch probe the named host stays.
  Json no_torch = cuda_probe(1.0);
  no_torch.erase("torch_dispatch");
  CHECK(fit_cuda_microbench(no_torch, "probe.json", "t-gpu", "h100-vm-a", ref).profile.to_json()["host"] == "h100-vm-a");
  // Python costs join the fit: C++ ops at 1.8x and Python ops at 1.8x keep 1.8; a GPU profile keeps
  // the built-in pytorch-eager framework (no embedded frameworks).
  std::vector<std::string> warnings;
  merge_python_dispatch(slow.profile, python_probe(1.8), "py.json", Catalog::builtin().framework("pytorch-eager"),
                        warnings, ref);
  CHECK(slow.profile.to_json()["host"]["relative_time"].get<double>() == test::approx(1.8));
  CHECK(slow.profile.to_json()["host"]["fit"].contains("python_dispatch_over_reference"));
  CHECK(slow.profile.device.frameworks.empty());
  // A host named with --host (no reference to measure against) stays, with a warning.
  FitResult named = fit_cuda_microbench(cuda_probe(1.8), "probe.json", "t-gpu", "h100-vm-a", nullptr);
  merge_python_dispatch(named.profile, python_probe(1.8), "py.json", Catalog::builtin().framework("pytorch-eager"),
                        named.warnings, nullptr);
  CHECK(named.profile.to_json()["host"] == "h100-vm-a");
  CHECK_FALSE(named.warnings.empty());
  Diagnostics d("profile");
  parse_device(slow.profile.to_json(), d);
  CHECK(d.empty());
  // The simulator reads it: bert-base batch 1 in eager mode is framework-bound, so a host 1.8x slower
  // makes it nearly 1.8x slower.
  auto dir = test::scratch("fwtax_fit_test");
  std::filesystem::create_directories(dir);
  double t1 = eager_latency(same.profile.to_json(), (dir / "fwtax-fit-test-1.json").string());
  double t18 = eager_latency(slow.profile.to_json(), (dir / "fwtax-fit-test-18.json").string());
  CHECK(t18 / t1 > 1.6);
  CHECK(t18 / t1 < 1.81);
}

TEST_CASE("a GPU fit is typed: the profile it writes reads back as the fit, and a bad SM count is refused, naming it") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  FitResult f = fit_cuda_microbench(cuda_probe(1.3), "probe.json", "t-gpu", "h100-vm-a", ref);
  merge_python_dispatch(f.profile, python_probe(1.3), "py.json", Catalog::builtin().framework("pytorch-eager"), f.warnings, ref);
  const Json written = f.profile.to_json();
  const DeviceProfile back = DeviceProfile::from_json(written, "t-gpu.json");
  CHECK(back.to_json() == written);
  CHECK(back.device.parallel_units == 132);
  CHECK(back.device.host_profile.size() == 1);
  CHECK(back.host_fit.contains("python_dispatch_over_reference"));
  CHECK(back.sources.launch.find("probe.json /raw_cuda") == 0);
  for (const Json& bad : {Json("many"), Json(0), Json(-4)}) {
    Json mb = cuda_probe(1.0);
    mb["env"]["sm_count"] = bad;
    auto m = test::messages_of([&] { fit_cuda_microbench(mb, "probe.json", "t-gpu", "h100-vm-a", ref); });
    REQUIRE(m.size() == 1);
    CHECK(m[0].find("probe.json: /env/sm_count: expected") == 0);
  }
  // A profile that does not load is refused by name before anything is merged into it.
  Json broken = written;
  broken["memory"]["bandwidth_bytes_per_s"] = -1;
  auto m = test::messages_of([&] { DeviceProfile::from_json(broken, "t-gpu.json"); });
  REQUIRE(m.size() == 1);
  CHECK(m[0].find("t-gpu.json: /memory/bandwidth_bytes_per_s") == 0);
}

TEST_CASE("kernel sweeps give a GPU profile convolution shapes and a layout-transform factor") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  auto sweeps = [](double layout_s, bool with_layout) {
    Json conv = Json::array();
    for (double k : {1.0, 3.0}) {  // a pointwise convolution has no transforms in the builder: never used
      Json c = {{"dtype", "fp16"}, {"batch", 32}, {"cin", 64}, {"h", 56}, {"cout", 64}, {"k", k}, {"stride", 1},
                {"flops", 2.0 * 32 * 56 * 56 * 64 * 64 * k * k}, {"kernel_s", 2e-5 * k * k}};
      if (with_layout) c["layout_s"] = layout_s * (k == 1 ? 100 : 1);
      conv.push_back(c);
    }
    return Json{{"schema", "fwtax.python_dispatch/1"}, {"device", "cuda"},
                {"sweeps", {{"linear", Json::array()}, {"attention", Json::array()}, {"layer_norm", Json::array()},
                            {"conv", conv}}}};
  };
  auto factor = [&](const Json& py) {
    FitResult f = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
    merge_python_dispatch(f.profile, py, "py.json", Catalog::builtin().framework("pytorch-eager"), f.warnings, ref);
    CHECK(f.profile.to_json()["efficiency"]["conv_shapes"]["fp16_tensor"].size() == 2);
    const Json k = f.profile.to_json()["efficiency"]["kind_time_factor"];
    return k.contains("layout") ? k["layout"].get<double>() : 0.0;
  };
  double one = factor(sweeps(2e-5, true)), two = factor(sweeps(4e-5, true));
  CHECK(one > 0);
  CHECK(two == test::approx(2 * one));  // measured over the same modelled transforms
  CHECK(factor(sweeps(0, false)) == 0.0);  // sweeps from before layout_s was recorded: no factor
}

TEST_CASE("a sweeps file of strided kernels alone sets their rate and leaves the profile's kernel fits") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  FitResult f = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
  Json conv = Json::array({{{"dtype", "fp16"}, {"batch", 32}, {"cin", 64}, {"h", 56}, {"cout", 64}, {"k", 3},
                            {"stride", 1}, {"flops", 2.0 * 32 * 56 * 56 * 64 * 64 * 9}, {"kernel_s", 2e-4},
                            {"layout_s", 2e-5}}});
  Json kernels = {{"schema", "fwtax.python_dispatch/1"},
                  {"device", "cuda"},
                  {"sweeps", {{"linear", Json::array()}, {"attention", Json::array()}, {"layer_norm", Json::array()},
                              {"conv", conv}}}};
  merge_python_dispatch(f.profile, kernels, "py.json", Catalog::builtin().framework("pytorch-eager"), f.warnings, ref);
  const Json before = f.profile.to_json()["efficiency"];
  REQUIRE(before["kind_time_factor"].contains("layout"));
  Json pts = Json::array();
  for (double n : {2e6, 8e6, 3e5})  // the last, under a million elements, is launch-bound: not used
    pts.push_back({{"dtype", "fp32"}, {"op", "broadcast_add"}, {"elements", n}, {"bytes", 12 * n}, {"kernel_s", n / 3e11}});
  Json strided = {{"schema", "fwtax.python_dispatch/1"}, {"device", "cuda"}, {"sweeps", {{"strided", pts}}}};
  merge_python_dispatch(f.profile, strided, "strided.json", Catalog::builtin().framework("pytorch-eager"), f.warnings,
                        ref);
  const Json after = f.profile.to_json()["efficiency"];
  CHECK(after["strided_elements_per_s"].get<double>() == test::approx(3e11));
  CHECK(after["kind_time_factor"] == before["kind_time_factor"]);
  CHECK(after["conv_shapes"] == before["conv_shapes"]);
  // Neither a kernel sweep nor strided kernels: refused, naming what was expected.
  Json neither = {{"schema", "fwtax.python_dispatch/1"}, {"device", "cuda"}, {"sweeps", {{"layer_norm", Json::array()}}}};
  try {
    merge_python_dispatch(f.profile, neither, "n.json", Catalog::builtin().framework("pytorch-eager"), f.warnings, ref);
    FAIL("expected an input error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("/sweeps/strided alone") != std::string::npos);
  }
}

TEST_CASE("a depthwise-convolution sweep gives a GPU profile the depthwise kernels' time factor") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  auto merged = [&](double scale, bool with_sweep) {
    Json py = {{"schema", "fwtax.python_dispatch/1"},
               {"device", "cuda"},
               {"sweeps", {{"linear", Json::array()}, {"attention", Json::array()}, {"layer_norm", Json::array()}}}};
    if (with_sweep) {
      Json pts = Json::array();
      // MobileNet-like layers at batch 32: 3x3 and 5x5, strides 1 and 2.
      for (auto [c, h, k, stride] : {std::array{144.0, 56.0, 3.0, 1.0}, std::array{384.0, 14.0, 3.0, 1.0},
                                     std::array{672.0, 14.0, 5.0, 2.0}})
        pts.push_back({{"dtype", "fp32"}, {"batch", 32}, {"channels", c}, {"h", h}, {"k", k}, {"stride", stride},
                       {"kernel_s", scale * c * h * h * 1e-12}});
      py["sweeps"]["depthwise"] = pts;
    }
    FitResult f = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
    merge_python_dispatch(f.profile, py, "py.json", Catalog::builtin().framework("pytorch-eager"), f.warnings, ref);
    return f.profile.to_json();
  };
  auto factor = [](const Json& p) {
    const Json& k = p["efficiency"]["kind_time_factor"];
    return k.contains("depthwise") ? k["depthwise"].get<double>() : 0.0;
  };
  Json one = merged(1, true), three = merged(3, true);
  CHECK(factor(one) > 0);
  CHECK(factor(three) == test::approx(3 * factor(one)));  // measured over the same modelled kernels
  CHECK(factor(merged(1, false)) == 0.0);                  // sweeps from before: no factor
  Diagnostics d("profile");
  DeviceSpec dev = parse_device(three, d);
  CHECK(d.empty());
  CHECK(dev.kind_time_factor[static_cast<int>(KernelKind::depthwise)] == test::approx(factor(three)));
  // The factor slows the whole depthwise kernel, memory-bound or not, and nothing else.
  Kernel k;
  k.kind = KernelKind::depthwise;
  k.math = Math::fp32_simt;
  k.flops = 2 * 32 * 144 * 56 * 56 * 9.0;
  k.bytes = 2 * 32 * 144 * 56 * 56 * 4.0;
  k.m = 32 * 56 * 56, k.n = 144, k.k = 9;
  DeviceSpec plain = dev;
  plain.kind_time_factor[static_cast<int>(KernelKind::depthwise)] = 1.0;
  CHECK(KernelTimer(dev).time(k).time_s == test::approx(factor(three) * KernelTimer(plain).time(k).time_s));
  k.kind = KernelKind::conv;
  CHECK(KernelTimer(dev).time(k).time_s == test::approx(KernelTimer(plain).time(k).time_s));
}

TEST_CASE("kernel sweeps of the generic elementwise kernel give a GPU profile its strided rate") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  auto merged = [&](const Json& strided) {
    Json py = {
        {"schema", "fwtax.python_dispatch/1"},
        {"device", "cuda"},
        {"sweeps", {{"linear", Json::array()}, {"attention", Json::array()}, {"layer_norm", Json::array()}}}};
    if (!strided.is_null()) py["sweeps"]["strided"] = strided;
    FitResult f = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
    merge_python_dispatch(f.profile, py, "py.json", Catalog::builtin().framework("pytorch-eager"), f.warnings,
                          ref);
    return f.profile.to_json();
  };
  // 3 M and 12.6 M elements at 250 M elements/ms; the small one sits at the launch floor: not counted.
  Json pts = Json::array();
  for (double n : {3.1e6, 12.6e6, 2.0e4})
    pts.push_back({{"dtype", "fp16"},
                   {"op", "transpose_contiguous"},
                   {"elements", n},
                   {"bytes", 4 * n},
                   {"kernel_s", n < 1e6 ? 2.5e-6 : n / 2.5e11}});
  Json p = merged(pts);
  REQUIRE(p["efficiency"].contains("strided_elements_per_s"));
  CHECK(p["efficiency"]["strided_elements_per_s"].get<double>() == test::approx(2.5e11));
  CHECK(p["efficiency"]["source"].get<std::string>().find("/sweeps/strided") != std::string::npos);
  Diagnostics d("profile");
  CHECK(parse_device(p, d).strided_elements_per_s == test::approx(2.5e11));
  CHECK(d.empty());
  // Sweeps from before the strided sweep existed: no rate.
  CHECK_FALSE(merged(nullptr)["efficiency"].contains("strided_elements_per_s"));
}

TEST_CASE("a batch-norm sweep gives a GPU profile the bounds it was generated with") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  // Kernels timed by the bounds themselves (300 M elements/ms, 1.5 M planes/ms, 2 M elements/ms in
  // one plane, 2 us at least) over ResNet-like shapes at batch 1, 8 and 32.
  const double re = 3.0e11, rp = 1.5e9, rb = 2.0e9, min_s = 2.0e-6;
  Json pts = Json::array();
  for (double n : {1.0, 8.0, 32.0})
    for (auto [c, h] : {std::pair{64.0, 112.0}, {256.0, 56.0}, {512.0, 28.0}, {1024.0, 14.0}, {2048.0, 7.0}}) {
      double planes = n * c, elems = planes * h * h;
      pts.push_back({{"dtype", "fp32"}, {"batch", n}, {"channels", c}, {"h", h}, {"bytes", 8 * elems},
                     {"kernel_s", std::max({elems / re, planes / rp, h * h / rb, min_s})}});
    }
  Json py = {{"schema", "fwtax.python_dispatch/1"},
             {"device", "cuda"},
             {"sweeps", {{"linear", Json::array()}, {"attention", Json::array()}, {"layer_norm", Json::array()},
                         {"batch_norm", pts}}}};
  FitResult f = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
  merge_python_dispatch(f.profile, py, "py.json", Catalog::builtin().framework("pytorch-eager"), f.warnings, ref);
  Diagnostics d("profile");
  DeviceSpec dev = parse_device(f.profile.to_json(), d);
  CHECK(d.empty());
  // Recovered to the fine grid's 1% steps; the bandwidth factor is gone.
  CHECK(dev.batch_norm.elements_per_s == test::approx(re).epsilon(0.02));
  CHECK(dev.batch_norm.planes_per_s == test::approx(rp).epsilon(0.02));
  CHECK(dev.batch_norm.plane_elements_per_s == test::approx(rb).epsilon(0.02));
  CHECK(dev.batch_norm.min_s == test::approx(min_s));
  CHECK(dev.kind_time_factor[static_cast<int>(KernelKind::batch_norm)] == 1.0);
  CHECK(f.profile.to_json()["efficiency"]["batch_norm"]["source"].get<std::string>().find("/sweeps/batch_norm") !=
        std::string::npos);
}

TEST_CASE("a CPU fit times attention on its own curve and pooling at its measured rate") {
  Json mb = probe();
  // A pool sweep as the probe writes it (the corpus file predates it): 1x64x56x56 in 1.2 ms.
  mb["pool_sweep"] = {{"max_pool2d", {{"elements", 200704}, {"kernel", "3x3 stride 2"},
                                      {"stats", {{"median_s", 1.2e-3}, {"mdape", 0.01}}}}}};
  FitResult f = fit_cpu_microbench(mb, "probe.json", "ci-cpu");
  Diagnostics diag("profile");
  const DeviceSpec d = parse_device(f.profile.to_json(), diag);
  REQUIRE(diag.empty());
  const KernelTimer timer(d);
  // Each swept attention point comes back at its measured kernel time (less the op's dispatch cost),
  // whatever the GEMM curve says for the same FLOPs.
  REQUIRE(mb.contains("attention_sweep"));
  CHECK(!d.attention_efficiency[static_cast<int>(Math::fp32_simt)].empty());
  CHECK(d.kind_time_factor[static_cast<int>(KernelKind::attention)] == 1.0);
  const double dispatch = f.profile.to_json()["frameworks"]["libtorch"]["op_host_s"]["attention"].get<double>();
  for (const Json& a : mb["attention_sweep"]) {
    Kernel k;
    k.kind = KernelKind::attention;
    k.math = Math::fp32_simt;
    k.flops = a["flops"].get<double>();
    const double measured = a["stats"]["median_s"].get<double>() - dispatch;
    CAPTURE(k.flops);
    CHECK(timer.compute_time_s(k) == doctest::Approx(measured).epsilon(0.02));
  }
  // ResNet's stem pool: its input elements at the measured rate, far above what memory speed gives.
  Kernel pool;
  pool.kind = KernelKind::pool;
  pool.math = Math::fp32_simt;
  pool.elements = 200704;
  pool.bytes = (200704 + 50176) * 4.0;
  const double pool_dispatch = f.profile.to_json()["frameworks"]["libtorch"]["op_host_s"]["pool"].get<double>();
  CHECK(timer.time(pool).time_s == doctest::Approx(1.2e-3 - pool_dispatch).epsilon(0.01));
  CHECK(timer.memory_time_s(pool) > 10 * (pool.bytes / d.memory_bandwidth_bytes_per_s));
}

TEST_CASE("real models' graph replays give a GPU profile the gap between dependent kernels") {
  const Json* ref = Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  FitResult f = fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref);
  const double latency = f.profile.to_json()["launch"]["graph_launch_latency_s"].get<double>();
  // Three replays: 100 kernels with 0.4, 0.6 and 0.5 us each between them, beside their CUPTI time.
  auto replay = [&](double gap_us, double busy_s) {
    return Json{{"case", "m"}, {"graph", {{"median_s", busy_s + latency + 100 * gap_us * 1e-6}}},
                {"replay_kernels", {{"count", 100}, {"busy_s", busy_s}}}};
  };
  Json gc = {{"cases", Json::array({replay(0.4, 1e-3), replay(0.6, 3e-4), replay(0.5, 2e-3)})}};
  merge_graph_replays(f.profile, gc, "gc.json", f.warnings);
  CHECK(f.profile.to_json()["launch"]["graph_kernel_gap_s"].get<double>() == test::approx(0.5e-6));
  CHECK(f.profile.to_json()["launch"]["stream_kernel_gap_s"].get<double>() == test::approx(0.5e-6));
  CHECK(f.profile.to_json()["calibration"]["graph_replays"]["cases"].size() == 3);
  Diagnostics diag("t");
  DeviceSpec d = parse_device(f.profile.to_json(), diag);
  CHECK(d.graph_kernel_gap_s == test::approx(0.5e-6));
  // One graph-check file: a second is refused, not silently put in the first one's place.
  CHECK_THROWS_AS(merge_graph_replays(f.profile, gc, "gc2.json", f.warnings), InputError);
  // CUPTI time above the replay's latency (profiler overhead): no negative gap, a warning. Replays
  // that failed when measured (graph_check.py's /errors) are said; a label that is not a string is
  // replaced by the case's place.
  auto fresh = [&] { return fit_cuda_microbench(cuda_probe(1.0), "probe.json", "t-gpu", "h100-vm-a", ref); };
  f = fresh();
  std::size_t before = f.warnings.size();
  Json odd = replay(-1.0, 1e-3);
  odd["case"] = 5;
  merge_graph_replays(f.profile, Json{{"cases", Json::array({odd})}, {"errors", Json::array({"eager attention: OOM"})}},
                      "gc.json", f.warnings);
  CHECK(f.profile.to_json()["launch"]["graph_kernel_gap_s"].get<double>() == 0.0);
  CHECK(f.warnings.size() == before + 2);
  CHECK(f.profile.to_json()["calibration"]["graph_replays"]["cases"][0]["case"] == "/cases/0");
  CHECK(f.profile.to_json()["calibration"]["graph_replays"]["cases"][0]["kernels"].is_number_integer());
  // Bad files name the place.
  auto refused = [&](const Json& bad, const std::string& where) {
    CAPTURE(where);
    try {
      f = fresh();
      merge_graph_replays(f.profile, bad, "gc.json", f.warnings);
      FAIL("accepted");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find(where) != std::string::npos);
    }
  };
  refused(Json{{"cases", Json::array()}}, "/cases");
  Json no_count = replay(0.5, 1e-3);
  no_count["replay_kernels"].erase("count");
  refused(Json{{"cases", Json::array({no_count})}}, "/cases/0/replay_kernels/count");
  refused(Json{{"cases", Json::array({no_count})}}, "graph_check.py's output");  // not a probe's
  Json half = replay(0.5, 1e-3);
  half["replay_kernels"]["count"] = 2.5;
  refused(Json{{"cases", Json::array({half})}}, "/cases/0/replay_kernels/count");
  refused(Json{{"cases", Json::array({5})}}, "/cases/0");
  refused(Json{{"cases", Json::array()}, {"errors", Json::array({"x"})}}, "1 that failed");
}
