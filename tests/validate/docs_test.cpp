// The accuracy figures people read must be today's: the committed validation reports
// (docs/validation/*/report.md, written by validate/make_reports.sh) and the tables in README.md and
// docs/validation/README.md that quote them. Each data set is predicted again here and its overall
// row compared with what those files say, to the printed digit. A change to the model that moves a
// figure fails here until the reports are regenerated and the tables updated.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

std::string source_file(const std::string& rel) {
  std::ifstream in(std::filesystem::path(FWTAX_SOURCE_DIR) / rel);
  REQUIRE_MESSAGE(in.good(), rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pct(const Json& stats) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", stats["mape_percent"].get<double>());
  return buf;
}

std::vector<MeasuredRun> builtin_runs(const std::string& rel, const std::string& device) {
  const Json* j = Catalog::builtin().builtin_json(rel);
  REQUIRE(j != nullptr);
  return parse_runs_json(*j, "builtin:" + rel, device);
}

// The report's overall row and the tables' row for one data set, from a fresh prediction.
// `host`: the host validate/make_reports.sh names with --host for this report, if any.
void check_quoted(const std::string& report, const std::vector<MeasuredRun>& runs, const HostSpec* host = nullptr) {
  CAPTURE(report);
  Json s = summarize_comparisons(compare_runs(runs, Catalog::builtin(), 1.0, host));
  const std::string configs = std::to_string(s["configs"].get<std::size_t>());
  char median[32];
  std::snprintf(median, sizeof median, "%.1f%%", s["median_ape_percent"].get<double>());
  const std::string fwtax = pct(s), roofline = pct(s["baselines"]["roofline"]),
                    flops = pct(s["baselines"]["flops_proportional"]);
  const std::string report_row = "| all | " + configs + " | " + fwtax + " | " + median + " | " + roofline + " | " + flops + " |";
  const std::string table_row = "| " + configs + " | " + fwtax + " | " + roofline + " | " + flops + " |";
  CAPTURE(report_row);
  CHECK_MESSAGE(source_file("docs/validation/" + report + "/report.md").find(report_row) != std::string::npos,
                "stale report: run sh validate/make_reports.sh");
  for (std::string doc : {"README.md", "docs/validation/README.md"}) {
    CAPTURE(doc);
    CAPTURE(table_row);
    CHECK_MESSAGE(source_file(doc).find(table_row) != std::string::npos, "the accuracy table does not quote the row");
  }
}

}  // namespace

TEST_CASE("the committed reports and the README's accuracy tables quote today's figures") {
  check_quoted("framework-tax-2022", test::paper_runs());
  check_quoted("framework-tax-2022-torchscript", test::paper_runs({"pretrained-torchscript", "pretrained-torchscript-fp16"}));
  check_quoted("framework-tax-2022-onnxruntime", test::paper_runs({"onnxruntime"}));
  check_quoted("h100-2026-11", builtin_runs("measured/h100-2026-11-runs.json", "h100"));
  check_quoted("h200-2026-11/h200-calibrated", builtin_runs("measured/h200-2026-11/runs.json", "h200-calibrated"));
  check_quoted("h200-2026-11/h200", builtin_runs("measured/h200-2026-11/runs.json", "h200"));
  // HF generate() on this machine's CPU, predicted on its calibrated profile with Python costs.
  const std::string cpu = std::string(FWTAX_SOURCE_DIR) + "/data/measured/cpu-llm-2026-12/";
  check_quoted("cpu-llm-2026-12", read_measured_file(cpu + "runs.json", cpu + "cpu-profile-python.json", Measure::sync));
  // Eager and torch.compile'd CNNs on this machine's CPU, on its profile with torch-compile measured on tiny chains.
  const std::string cc = std::string(FWTAX_SOURCE_DIR) + "/data/measured/compile-costs-2026-12/";
  check_quoted("compile-cpu-2026-12", read_measured_file(cc + "zoo-cpu-runs.json", cc + "cpu-profile-compile.json", Measure::sync));
  // ONNX Runtime and eager zoo models on this machine's CPU, on its profile with onnxruntime measured here.
  const std::string oc = std::string(FWTAX_SOURCE_DIR) + "/data/measured/ort-cpu-2026-12/";
  check_quoted("ort-cpu-2026-12", read_measured_file(oc + "zoo-cpu-runs.json", oc + "cpu-profile-ort.json", Measure::sync));
  // The same decode step in libtorch, predicted on the profile calibrated with that libtorch.
  const std::string lt = std::string(FWTAX_SOURCE_DIR) + "/data/measured/cpu-libtorch-decode-2026-12/runs.json";
  check_quoted("cpu-libtorch-decode-2026-12",
               read_measured_file(lt, std::string(FWTAX_SOURCE_DIR) + "/data/traces/cpu-2026-12/cpu-profile.json", Measure::sync));
  // The second H200 VM's runs (H7), on its own probed host as make_reports.sh predicts them.
  const HostSpec vm7 = Catalog::builtin().host("h200-vm7");
  const std::string h7 = std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-12/";
  check_quoted("h200-2026-12/eager", read_measured_file(h7 + "runs-eager.json", "h200-calibrated", Measure::sync), &vm7);
  check_quoted("h200-2026-12/compile", read_measured_file(h7 + "compile-runs.json", "h200-calibrated", Measure::sync), &vm7);
  check_quoted("h200-2026-12/generate", read_measured_file(h7 + "generate/runs.json", "h200-calibrated", Measure::sync), &vm7);
  // HF encoders' eager forwards at hidden size 64 on this machine's CPU: their host side alone.
  const std::string hh = std::string(FWTAX_SOURCE_DIR) + "/data/measured/hf-host-cpu-2026-12/";
  check_quoted("hf-host-cpu-2026-12", read_measured_file(hh + "runs.json", hh + "cpu-profile.json", Measure::sync));
  // validate --run cpu's own runs, saved with --save, on the profile fitted to the probe saved beside them.
  for (const std::string plan : {"quick", "full"}) {
    const std::string cv = std::string(FWTAX_SOURCE_DIR) + "/data/measured/cpu-validate-2026-12/" + plan + "/";
    check_quoted("cpu-validate-2026-12/" + plan, read_measured_file(cv + "runs.json", cv + "cpu-profile.json", Measure::sync));
  }
}

namespace {

// The lines of the first ``` block after `marker` in `text`, without the fences.
std::vector<std::string> block_after(const std::string& text, const std::string& marker) {
  std::size_t at = text.find(marker);
  REQUIRE_MESSAGE(at != std::string::npos, marker);
  std::size_t open = text.find("```", at);
  REQUIRE(open != std::string::npos);
  open = text.find('\n', open) + 1;
  std::size_t close = text.find("```", open);
  REQUIRE(close != std::string::npos);
  std::vector<std::string> lines;
  std::istringstream in(text.substr(open, close - open));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Runs `fwtax <command line>` (words split on spaces) and returns its stdout lines.
std::vector<std::string> run_lines(const std::string& command_line) {
  std::vector<std::string> args = words(command_line);
  std::ostringstream out, err;
  const int status = cli::run_cli(args, out, err);
  const std::string why = command_line + ": " + err.str();
  REQUIRE_MESSAGE(status == 0, why);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("the README's quick-start table is what simulate prints today") {
  const std::string readme = source_file("README.md");
  // The command after the first `build/fwtax ` of the quick start, up to the end of its line.
  std::size_t at = readme.find("build/fwtax simulate");
  REQUIRE(at != std::string::npos);
  std::string command = readme.substr(at + 12, readme.find('\n', at) - at - 12);
  std::vector<std::string> quoted = block_after(readme, "prints\nthe what-if table below");
  CHECK(run_lines(command) == quoted);
}

TEST_CASE("the README's generate example prints what simulate prints today") {
  const std::string readme = source_file("README.md");
  const std::string marker = "$ build/fwtax simulate --model tinyllama,gpt2";
  std::size_t at = readme.find(marker);
  REQUIRE(at != std::string::npos);
  std::size_t eol = readme.find('\n', at);
  const std::string command = readme.substr(at + 14, eol - at - 14);
  std::vector<std::string> quoted;
  std::istringstream in(readme.substr(eol + 1, readme.find("```", eol) - eol - 1));
  for (std::string line; std::getline(in, line);) quoted.push_back(line);
  REQUIRE(quoted.size() == 5);  // the header and four rows
  CHECK(run_lines(command) == quoted);
}

TEST_CASE("the README's CPU walkthrough runs as written, and its devices table is today's") {
  const std::string readme = source_file("README.md");
  std::vector<std::string> commands = block_after(readme, "## Predict for your CPU");
  REQUIRE(commands.size() == 2);
  CHECK(commands[0] == "build/fwtax calibrate --target cpu --out my-cpu.json");
  // The simulate line, on a CPU profile calibrated on this kind of machine (the fuzz corpus keeps one):
  // the same rows and columns; the figures are the README machine's own.
  std::string simulate = commands[1].substr(std::string("build/fwtax ").size());
  std::string profile = std::string(FWTAX_SOURCE_DIR) + "/tests/fuzz/corpus/device/cpu-profile.json";
  simulate.replace(simulate.find("my-cpu.json"), 11, profile);
  std::vector<std::string> got = run_lines(simulate);
  std::vector<std::string> quoted = block_after(readme, "and the prediction");
  REQUIRE(got.size() == quoted.size());
  CHECK(got[0] == quoted[0]);
  for (std::size_t i = 1; i < got.size(); ++i) {
    auto g = words(got[i]), q = words(quoted[i]);
    REQUIRE(g.size() == q.size());
    std::size_t keep = g.size() >= 13 ? 8 : g.size();  // a row: model .. input; else the whole line
    CHECK(std::vector<std::string>(g.begin(), g.begin() + keep) == std::vector<std::string>(q.begin(), q.begin() + keep));
  }
  // `fwtax list devices`, descriptions cut: every other column as printed now.
  std::vector<std::string> devices = run_lines("list devices");
  std::vector<std::string> table = block_after(readme, "`fwtax list devices` shows");
  REQUIRE(!table.empty());
  for (const auto& line : table) {
    auto q = words(line);
    if (q.empty()) continue;  // the indented closing fence's line
    REQUIRE(q.size() >= 11);
    bool found = false;
    for (const auto& d : devices) {
      auto g = words(d);
      if (!g.empty() && g[0] == q[0]) {
        found = true;
        CHECK(std::vector<std::string>(g.begin(), g.begin() + 11) == std::vector<std::string>(q.begin(), q.begin() + 11));
      }
    }
    CHECK_MESSAGE(found, q[0]);
  }
}

TEST_CASE("the README's range coverage on H1's runs is what validate says today") {
  // README, "Ranges": the runs of a VM the ranges were not fitted to, on the datasheet projection and on
  // the H200's own calibration.
  const std::string readme = source_file("README.md");
  const std::string file = "data/measured/h200-2026-11/runs-machine-h1.json";
  auto pct = [](const Json& v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", v.get<double>());
    return std::string(buf);
  };
  auto summary = [&](const char* device) {
    return summarize_comparisons(
        compare_runs(parse_runs_json(Json::parse(source_file(file)), file, device), Catalog::builtin()));
  };
  Json projected = summary("h200"), calibrated = summary("h200-calibrated");
  const std::vector<std::string> quotes = {
      pct(projected["coverage_percent"]["framework"]) + " where the host binds and\n" +
          pct(projected["coverage_percent"]["gpu"]) + " where the GPU does",
      pct(calibrated["coverage_percent"]["gpu"]) + " where the GPU binds (" +
          pct(calibrated["regimes"]["compute"]["coverage_percent"]) + " where compute binds, " +
          pct(calibrated["regimes"]["memory"]["coverage_percent"]) + " where memory does)\nand " +
          pct(calibrated["coverage_percent"]["framework"]) + " where the host does"};
  for (const std::string& quoted : quotes) {
    CAPTURE(quoted);
    CHECK(readme.find(quoted) != std::string::npos);
  }
}
