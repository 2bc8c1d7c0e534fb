#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"

namespace fwtax::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"--measured", true, "measured runs: a runs.json file (the shared H100 format)", "FILE"},
    {"--device", true, "the fwtax device the runs were measured on (default h100)", "NAME"},
    {"--framework", true, "only runs of these frameworks", "LIST"},
    {"--model", true, "only runs of these models", "LIST"},
    {"--min-batch", true, "only runs with at least this batch", "N"},
    {"--max-batch", true, "only runs with at most this batch", "N"},
    {"--format", true, "table (default) or json", "FORMAT"},
    {"--help", false, "this help", ""},
};

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", x);
  return b;
}

}  // namespace

int cmd_validate(const std::vector<std::string>& argv, std::ostream& out) {
  Args a(argv, kFlags);
  if (a.has("--help")) {
    out << usage_of("Usage: fwtax validate --measured FILE [options]\n\nPredicts every measured configuration and "
                    "reports the error per configuration and by group.",
                    kFlags);
    return 0;
  }
  auto file = a.get("--measured");
  if (!file) throw InputError("validate", "", "expected --measured FILE");
  std::string device = a.get_or("--device", "h100");
  auto runs = parse_runs_json(load_json_file(*file), *file, device);
  std::vector<std::string> fws, models;
  if (auto v = a.get("--framework")) fws = split_list("--framework", *v);
  if (auto v = a.get("--model")) models = split_list("--model", *v);
  long long lo = a.has("--min-batch") ? parse_int_list("--min-batch", *a.get("--min-batch"), 1, 1LL << 40)[0] : 1;
  long long hi = a.has("--max-batch") ? parse_int_list("--max-batch", *a.get("--max-batch"), 1, 1LL << 40)[0]
                                      : (1LL << 40);
  std::erase_if(runs, [&](const MeasuredRun& r) {
    return (!fws.empty() && std::find(fws.begin(), fws.end(), r.framework) == fws.end()) ||
           (!models.empty() && std::find(models.begin(), models.end(), r.model) == models.end()) ||
           r.batch < lo || r.batch > hi;
  });
  auto cmp = compare_runs(runs, Catalog::builtin());
  std::map<std::string, std::vector<double>> groups;
  std::vector<double> all;
  std::size_t skipped = 0;
  for (const auto& c : cmp) {
    if (!c.ok) {
      ++skipped;
      continue;
    }
    all.push_back(c.ape);
    groups["framework " + c.run.framework].push_back(c.ape);
    groups["model " + c.run.model].push_back(c.ape);
    groups["regime " + std::string(regime_name(c.regime))].push_back(c.ape);
    groups[c.run.model + " " + c.run.framework + " " + std::string(dtype_name(c.run.dtype))].push_back(c.ape);
  }
  ErrorStats s = error_stats(all);
  if (a.get_or("--format", "table") == "json") {
    Json j;
    j["configs"] = s.configs;
    j["skipped"] = skipped;
    j["mape_percent"] = s.mape_percent;
    j["median_ape_percent"] = s.median_ape_percent;
    Json g = Json::object();
    for (const auto& [k, v] : groups) {
      ErrorStats e = error_stats(v);
      g[k] = {{"configs", e.configs}, {"mape_percent", e.mape_percent}, {"median_ape_percent", e.median_ape_percent}};
    }
    j["groups"] = g;
    Json rows = Json::array();
    for (const auto& c : cmp) {
      Json r = {{"model", c.run.model}, {"framework", c.run.framework}, {"dtype", std::string(dtype_name(c.run.dtype))},
                {"batch", c.run.batch}, {"seq", c.run.seq}, {"image", c.run.image},
                {"measured_s", c.run.latency_s}};
      if (c.ok) {
        r["predicted_s"] = c.predicted_s;
        r["ape_percent"] = 100 * c.ape;
        r["regime"] = std::string(regime_name(c.regime));
      } else {
        r["skipped"] = c.reason;
      }
      rows.push_back(r);
    }
    j["runs"] = rows;
    out << j.dump(1) << '\n';
    return 0;
  }
  char line[256];
  out << "model              framework      dtype  batch   size   measured  predicted    error  regime\n";
  for (const auto& c : cmp) {
    if (!c.ok) {
      out << c.run.model << " " << c.run.framework << ": skipped: " << c.reason << '\n';
      continue;
    }
    std::snprintf(line, sizeof line, "%-18s %-14s %-5s %6lld %6lld %8.3f ms %8.3f ms %+7.1f%%  %s\n", c.run.model.c_str(),
                  c.run.framework.c_str(), std::string(dtype_name(c.run.dtype)).c_str(), c.run.batch,
                  c.run.seq > 0 ? c.run.seq : c.run.image, c.run.latency_s * 1e3, c.predicted_s * 1e3,
                  100 * (c.predicted_s - c.run.latency_s) / c.run.latency_s, std::string(regime_name(c.regime)).c_str());
    out << line;
  }
  out << "\n" << s.configs << " configurations: MAPE " << pct(s.mape_percent) << ", median APE "
      << pct(s.median_ape_percent) << (skipped ? ", " + std::to_string(skipped) + " skipped" : "") << '\n';
  for (const auto& [k, v] : groups) {
    ErrorStats e = error_stats(v);
    std::snprintf(line, sizeof line, "  %-40s %4zu configs  MAPE %6.1f%%  median %6.1f%%\n", k.c_str(), e.configs,
                  e.mape_percent, e.median_ape_percent);
    out << line;
  }
  return 0;
}

}  // namespace fwtax::cli
