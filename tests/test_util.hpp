#pragma once
// Small helpers shared by the tests: hand-made devices and frameworks with round numbers, so that
// expected latencies can be computed by hand.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "model/device.hpp"
#include "model/error.hpp"
#include "model/framework.hpp"
#include "model/json_spec.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"

namespace fwtax::test {

// The MAPE of the comparisons `pick` selects among those predicted, and (in `n`) how many there were.
inline double mape(const std::vector<Comparison>& c, const std::function<bool(const Comparison&)>& pick, std::size_t* n) {
  std::vector<double> apes;
  for (const auto& x : c)
    if (x.ok && pick(x)) apes.push_back(x.ape);
  *n = apes.size();
  return error_stats(apes).mape_percent;
}

// A scratch path in the temp directory unique to this process: two test runs on one machine (a CI
// check beside a developer's build) must not write each other's files. Each path handed out is
// removed (with what it holds) when the test process exits, so runs leave nothing in the temp directory.
inline std::filesystem::path scratch(const std::string& name) {
  struct Scratches {
    std::vector<std::filesystem::path> paths;
    ~Scratches() {
      std::error_code ec;  // best effort: a file still open elsewhere stays
      for (const auto& p : paths) std::filesystem::remove_all(p, ec);
    }
  };
  static Scratches made;
  auto p = std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()));
  if (std::find(made.paths.begin(), made.paths.end(), p) == made.paths.end()) made.paths.push_back(p);
  return p;
}

// doctest::Approx, relative only: doctest's own also accepts an absolute difference of 1.2e-5, which
// makes any two durations in microseconds "equal". Chain .epsilon(e) for a looser relative bound.
inline doctest::Approx approx(double v) { return doctest::Approx(v).scale(1e-300); }

// A GPU with 100 TFLOP/s fp32 and fp16 tensor math, 1 TB/s, flat efficiency 1, 1 us minimum kernel,
// 5 us launches, no latencies or gaps unless a test sets them.
inline DeviceSpec toy_gpu() {
  DeviceSpec d;
  d.name = "toy";
  d.kind = DeviceKind::gpu;
  d.host = "h100-vm-a";
  d.parallel_units = 100;
  d.peak_flops_per_s[static_cast<int>(Math::fp32_simt)] = 100e12;
  d.peak_flops_per_s[static_cast<int>(Math::fp16_tensor)] = 400e12;
  d.memory_bandwidth_bytes_per_s = 1e12;
  d.kernel_min_s = 1e-6;
  d.launch_host_s = 5e-6;
  return d;
}

inline FrameworkSpec toy_eager(double per_op_s) {
  FrameworkSpec f;
  f.name = "toy-eager";
  f.mode = ExecMode::eager;
  f.op_host_s.fill(per_op_s);
  return f;
}

// The Framework Tax paper's eager runs (data/measured/framework-tax-2022, fp32 and fp16 CSVs).
// The paper's runs in the given folders of data/measured/framework-tax-2022 (default: eager).
inline std::vector<MeasuredRun> paper_runs(std::initializer_list<const char*> folders = {"pretrained-fp32",
                                                                                        "pretrained-fp16"}) {
  std::vector<MeasuredRun> runs;
  std::filesystem::path root = std::filesystem::path(FWTAX_SOURCE_DIR) / "data/measured/framework-tax-2022";
  for (const char* folder : folders)
    for (const auto& e : std::filesystem::directory_iterator(root / folder)) {
      auto more = read_measured_file(e.path().string(), "", Measure::pipelined);
      runs.insert(runs.end(), more.begin(), more.end());
    }
  return runs;
}

// Collects the messages of an InputError thrown by `fn` ("" if none was thrown).
template <typename F>
std::vector<std::string> messages_of(F fn) {
  try {
    fn();
  } catch (const InputError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {};
}

// Loads an HTML page in headless Chromium (Debian's chromium) and returns how many charts laid out
// with a non-empty box, as the page's own script counts them (data-rendered-charts); -1 when the
// page did not report it.
// A number the page's own script wrote on <body> once laid out in headless Chromium
// ("data-rendered-charts", "data-overlapping-labels", "data-clipped-labels"); -1 when it could not run.
inline int page_number(const std::string& html_path, const std::string& scratch_dir, const std::string& attribute) {
  std::filesystem::create_directories(scratch_dir);
  std::string dom = scratch_dir + "/dom.html";
  std::string cmd = "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                    "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
                    scratch_dir + "/profile --dump-dom file://" + std::filesystem::absolute(html_path).string() +
                    " > " + dom + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return -1;
  std::ifstream in(dom);
  std::stringstream ss;
  ss << in.rdbuf();
  std::smatch m;
  std::string text = ss.str();
  if (!std::regex_search(text, m, std::regex(attribute + "=\"([0-9]+)\""))) return -1;
  return std::stoi(m[1].str());
}

inline int rendered_charts(const std::string& html_path, const std::string& scratch_dir) {
  return page_number(html_path, scratch_dir, "data-rendered-charts");
}

}  // namespace fwtax::test
