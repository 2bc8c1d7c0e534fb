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
void check_quoted(const std::string& report, const std::vector<MeasuredRun>& runs) {
  CAPTURE(report);
  Json s = summarize_comparisons(compare_runs(runs, Catalog::builtin()));
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
  check_quoted("h100-2026-11", builtin_runs("measured/h100-2026-11-runs.json", "h100"));
  check_quoted("h200-2026-11/h200-calibrated", builtin_runs("measured/h200-2026-11/runs.json", "h200-calibrated"));
  check_quoted("h200-2026-11/h200", builtin_runs("measured/h200-2026-11/runs.json", "h200"));
}
