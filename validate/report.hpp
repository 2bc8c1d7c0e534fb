#pragma once
// Validation reports: Markdown and one self-contained HTML page with plots (measured and predicted
// latency against batch per model and device, error by regime next to the baselines, predicted
// against measured).
#include <string>
#include <vector>

#include "validate/compare.hpp"

namespace fwtax {

struct ValidationReport {
  std::string title = "fwtax validation";
  std::string note;  // where the measurements and profiles came from
};

// Writes DIR/report.md and DIR/report.html.
void write_validation_report(const std::string& dir, const ValidationReport& r, const std::vector<Comparison>& c,
                             const Json& summary);

}  // namespace fwtax
