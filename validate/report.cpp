#include "validate/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "model/curve.hpp"
#include "model/error.hpp"
#include "simulate/html.hpp"
#include "simulate/report.hpp"
#include "simulate/svg.hpp"

namespace fwtax {
namespace {

struct Group {
  std::string key;
  std::vector<const Comparison*> runs;
};

// One point drawn as a marker alone: a gap (NaN) after it keeps the chart from joining it to the next.
void add_marker(svg::Series& s, double x, double y) {
  s.x.push_back(x);
  s.y.push_back(y);
  s.x.push_back(x);
  s.y.push_back(NAN);
}

// A static KV cache says so (and its length where the run gives it): the same size with the dynamic
// cache is another row.
std::string cache_of(const Comparison& c) {
  if (c.run.cache != KvCache::static_cache) return "";
  return c.run.cache_len > 0 ? ", static cache of " + std::to_string(c.run.cache_len) : ", static cache";
}

std::string size_of(const Comparison& c) {
  if (c.run.phase == "decode") return "decode at context " + std::to_string(c.run.context) + cache_of(c);
  std::string s = c.run.seq > 0 ? "seq " + std::to_string(c.run.seq) : "image " + std::to_string(c.run.image);
  if (c.run.phase == "generate") s += " + " + std::to_string(c.run.new_tokens) + " tokens";
  return (c.run.phase == "prefill" ? "prefill " + s : s) + cache_of(c);
}

}  // namespace

void write_validation_report(const std::string& dir, const ValidationReport& r, const std::vector<Comparison>& cs,
                             const Json& summary) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir, "", "cannot create the report folder (--report)");
  // Groups for plots: model x device x framework x size; one line per dtype (measured and predicted).
  std::vector<Group> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& c : cs) {
    if (!c.ok) continue;
    std::string key = c.run.model + " on " + c.run.device.substr(c.run.device.find_last_of('/') + 1) + ", " +
                      c.run.framework + ", " + size_of(c);
    if (!index.count(key)) {
      index[key] = groups.size();
      groups.push_back({key, {}});
    }
    groups[index[key]].runs.push_back(&c);
  }
  HtmlPage page(r.title);
  std::string md = "# " + r.title + "\n\n";
  if (!r.note.empty()) {
    page.paragraph(r.note);
    md += r.note + "\n\n";
  }
  auto stat_row = [&](const std::string& name, const Json& g) {
    return std::vector<std::string>{name, std::to_string(g["configs"].get<std::size_t>()),
                                    format_number("%.1f%%", g["mape_percent"].get<double>()),
                                    format_number("%.1f%%", g["median_ape_percent"].get<double>()),
                                    g.contains("baseline_roofline") ? format_number("%.1f%%", g["baseline_roofline"]["mape_percent"].get<double>()) : "",
                                    g.contains("baseline_flops") ? format_number("%.1f%%", g["baseline_flops"]["mape_percent"].get<double>()) : "",
                                    g.contains("coverage_percent") ? format_number("%.0f%%", g["coverage_percent"].get<double>()) : ""};
  };
  std::vector<std::vector<std::string>> table;
  Json all = {{"configs", summary["configs"]}, {"mape_percent", summary["mape_percent"]},
              {"median_ape_percent", summary["median_ape_percent"]}};
  if (summary.contains("coverage_percent")) all["coverage_percent"] = summary["coverage_percent"]["all"];
  if (summary.contains("baselines")) {
    all["baseline_roofline"] = summary["baselines"]["roofline"];
    all["baseline_flops"] = summary["baselines"]["flops_proportional"];
  }
  table.push_back(stat_row("all", all));
  for (auto it = summary["regimes"].begin(); it != summary["regimes"].end(); ++it)
    table.push_back(stat_row("regime " + it.key(), it.value()));
  for (auto it = summary["groups"].begin(); it != summary["groups"].end(); ++it)
    table.push_back(stat_row(it.key(), it.value()));
  std::vector<std::string> header = {"group", "configs", "fwtax MAPE", "fwtax median APE", "roofline MAPE",
                                     "FLOPs-proportional MAPE", "inside range"};
  page.heading(2, "Error by group");
  const std::string intro =
      "Regimes are the ones fwtax predicts for each configuration. The roofline baseline is the kernels' time alone (no "
      "host); the FLOPs baseline is latency proportional to FLOPs, with one constant (the median measured seconds per "
      "FLOP of these runs). \"Inside range\" is the share of runs whose measured latency lies inside fwtax's 10-90% "
      "range (data/ranges.json); a well-calibrated range holds about 80% of them.";
  page.paragraph(intro);
  page.table(header, table);
  md += "## Error by group\n\n" + intro + "\n\n| " + header[0];
  for (std::size_t i = 1; i < header.size(); ++i) md += " | " + header[i];
  md += " |\n|---";
  for (std::size_t i = 1; i < header.size(); ++i) md += "|---:";
  md += "|\n";
  for (const auto& row : table) {
    md += "| " + row[0];
    for (std::size_t i = 1; i < row.size(); ++i) md += " | " + row[i];
    md += " |\n";
  }
  // Error by regime: fwtax and the baselines.
  svg::BarChart bars;
  bars.title = "MAPE by predicted regime";
  bars.y_label = "MAPE (%)";
  svg::Series ours{"fwtax", {}, {}}, roof{"roofline (no host)", {}, {}}, flops{"FLOPs-proportional", {}, {}};
  bars.categories.push_back("all");
  ours.y.push_back(all["mape_percent"].get<double>());
  roof.y.push_back(all.contains("baseline_roofline") ? all["baseline_roofline"]["mape_percent"].get<double>() : NAN);
  flops.y.push_back(all.contains("baseline_flops") ? all["baseline_flops"]["mape_percent"].get<double>() : NAN);
  for (auto it = summary["regimes"].begin(); it != summary["regimes"].end(); ++it) {
    bars.categories.push_back(it.key());
    ours.y.push_back(it.value()["mape_percent"].get<double>());
    roof.y.push_back(it.value()["baseline_roofline"]["mape_percent"].get<double>());
    flops.y.push_back(it.value()["baseline_flops"]["mape_percent"].get<double>());
  }
  bars.series = {ours, roof, flops};
  page.figure(svg::render(bars), "Mean absolute percentage error of fwtax and of the two baselines, by regime.");
  // Predicted against measured, log-log.
  svg::LineChart scatter;
  scatter.title = "Predicted against measured latency";
  scatter.x_label = "measured (ms)";
  scatter.y_label = "predicted (ms)";
  std::map<std::string, svg::Series> by_regime;
  double lo = INFINITY, hi = 0;
  for (const auto& c : cs) {
    if (!c.ok) continue;
    auto& s = by_regime[std::string(regime_name(c.regime))];
    s.name = "predicted " + std::string(regime_name(c.regime)) + "-bound";
    s.x.push_back(c.run.latency_s * 1e3);
    s.y.push_back(c.predicted_s * 1e3);
    lo = std::min(lo, std::min(c.run.latency_s, c.predicted_s) * 1e3);
    hi = std::max(hi, std::max(c.run.latency_s, c.predicted_s) * 1e3);
  }
  for (auto& [k, s] : by_regime) {
    // Points only: sort so the connecting path is at least monotone; the chart draws markers.
    std::vector<std::pair<double, double>> p;
    for (std::size_t i = 0; i < s.x.size(); ++i) p.push_back({s.x[i], s.y[i]});
    std::sort(p.begin(), p.end());
    s.x.clear();
    s.y.clear();
    for (auto [x, y] : p) add_marker(s, x, y);
    scatter.series.push_back(s);
  }
  if (hi > 0) scatter.series.push_back({"exact", {lo, hi}, {lo, hi}, true});
  page.figure(svg::render(scatter), "Each marker is one configuration; on the dashed line the prediction is exact.");
  // Host speed over the measurement: framework-bound runs are timed by the host, so measured over
  // predicted is the host's speed relative to the profile's, run by run. A drifting host (a cloud VM
  // sharing its cores) shows as a stretch of runs off the others, whatever the model.
  {
    std::map<std::string, svg::Series> by_framework;
    std::vector<double> ratios;
    std::string rows;
    std::size_t position = 0;
    constexpr std::size_t kMaxRows = 120;  // report.md lists these; the chart in report.html has them all
    for (const auto& c : cs) {
      ++position;
      if (!c.ok || c.regime != Regime::framework) continue;
      double q = c.run.latency_s / c.predicted_s;
      ratios.push_back(q);
      auto& s = by_framework[c.run.framework];
      s.name = c.run.framework;
      add_marker(s, static_cast<double>(position), q);
      if (ratios.size() > kMaxRows) continue;
      rows += "| " + std::to_string(position) + " | " + c.run.model + " | " + c.run.framework + " | " +
              std::string(dtype_name(c.run.dtype)) + " | " + std::to_string(c.run.batch) + " | " +
              size_of(c) + " | " + format_number("%.2f", q) + " |\n";
    }
    if (ratios.size() >= 5) {
      const auto [lowest, highest] = std::minmax_element(ratios.begin(), ratios.end());
      std::string text =
          std::to_string(ratios.size()) +
          " runs are predicted framework-bound: their latency is the host's. Measured over predicted "
          "is then the host's slowness relative to the profile's host, run by run, here in the order "
          "of the file (the order they were measured in, for runners that write as they go): median " +
          format_number("%.2f", median(ratios)) + ", from " +
          format_number("%.2f", *lowest) + " to " + format_number("%.2f", *highest) +
          ". A stretch of consecutive runs well above the others, across models, is a host that slowed "
          "down while measuring, not a model error.";
      page.heading(2, "Host speed during the measurement");
      page.paragraph(text);
      svg::LineChart drift;
      drift.title = "Framework-bound runs: measured / predicted, in file order";
      drift.x_label = "run (position in the file)";
      drift.y_label = "measured / predicted";
      drift.log_x = false;
      for (auto& [k, s] : by_framework) drift.series.push_back(s);
      if (position > 0)
        drift.series.push_back({"as predicted", {1.0, static_cast<double>(position)}, {1.0, 1.0}, true});
      page.figure(svg::render(drift),
                  "Each marker is one framework-bound run; on the dashed line the host ran as "
                  "fast as the profile's.");
      md += "\n## Host speed during the measurement\n\n" + text +
            "\n\n| run | model | framework | dtype | batch | size | measured / predicted |\n"
            "|---:|---|---|---|---:|---|---:|\n" +
            rows +
            (ratios.size() > kMaxRows ? "\n(the first " + std::to_string(kMaxRows) + " of " +
                                            std::to_string(ratios.size()) + "; report.html plots them all)\n"
                                      : "");
    }
  }
  // Runs that took less time than at a smaller batch (validate::batch_inversions).
  if (summary.contains("batch_inversions") && !summary["batch_inversions"].empty()) {
    const Json& inv = summary["batch_inversions"];
    std::string text = std::to_string(inv.size()) +
                       " runs took over 20% less time than the same configuration at a smaller batch: more work in "
                       "less time, which steady timing does not give. Noise or drift while measuring (a GPU whose "
                       "clocks were still rising, a host busy elsewhere), or a library switching kernels between "
                       "the two batches; the errors of these runs say little about the model.";
    page.heading(2, "Runs faster than at a smaller batch");
    page.paragraph(text);
    md += "\n## Runs faster than at a smaller batch\n\n" + text +
          "\n\n| model | device | framework | dtype | batch | measured | smaller batch | measured there | where |\n"
          "|---|---|---|---|---:|---:|---:|---:|---|\n";
    for (const auto& x : inv)
      md += "| " + x["model"].get<std::string>() + " | " + x["device"].get<std::string>() + " | " +
            x["framework"].get<std::string>() + " | " + x["dtype"].get<std::string>() + " | " +
            std::to_string(x["batch"].get<long long>()) + " | " +
            format_number("%.3f ms", x["measured_s"].get<double>() * 1e3) + " | " +
            std::to_string(x["smaller_batch"].get<long long>()) + " | " +
            format_number("%.3f ms", x["smaller_batch_measured_s"].get<double>() * 1e3) + " | " +
            x["source"].get<std::string>() + " " + x["where"].get<std::string>() + " |\n";
  }
  // Latency against batch per group.
  page.heading(2, "Measured and predicted latency against batch size");
  md += "\n## Configurations\n\n| model | device | framework | dtype | batch | size | measured | predicted | error | regime |\n"
        "|---|---|---|---|---:|---|---:|---:|---:|---|\n";
  for (const auto& g : groups) {
    std::map<std::string, std::pair<svg::Series, svg::Series>> lines;
    for (const auto* c : g.runs) {
      std::string dt(dtype_name(c->run.dtype));
      auto& [meas, pred] = lines[dt];
      meas.name = dt + " measured";
      pred.name = dt + " predicted";
      pred.dashed = true;
      meas.x.push_back(static_cast<double>(c->run.batch));
      meas.y.push_back(c->run.latency_s * 1e3);
      pred.x.push_back(static_cast<double>(c->run.batch));
      pred.y.push_back(c->predicted_s * 1e3);
      md += "| " + c->run.model + " | " + c->run.device.substr(c->run.device.find_last_of('/') + 1) + " | " +
            c->run.framework + " | " + dt + " | " + std::to_string(c->run.batch) + " | " + size_of(*c) + " | " +
            format_number("%.3f ms", c->run.latency_s * 1e3) + " | " + format_number("%.3f ms", c->predicted_s * 1e3) + " | " +
            format_number("%+.1f%%", 100 * (c->predicted_s - c->run.latency_s) / c->run.latency_s) + " | " +
            std::string(regime_name(c->regime)) + " |\n";
    }
    bool sweep = false;
    for (const auto& [dt, pr] : lines) sweep |= pr.first.x.size() > 1;
    if (!sweep) continue;  // a single batch is in the tables only
    svg::LineChart chart;
    chart.title = g.key;
    chart.x_label = "batch size";
    chart.y_label = "latency (ms)";
    for (auto& [dt, pr] : lines) {
      // Order points by batch.
      for (auto* s : {&pr.first, &pr.second}) {
        std::vector<std::pair<double, double>> p;
        for (std::size_t i = 0; i < s->x.size(); ++i) p.push_back({s->x[i], s->y[i]});
        std::sort(p.begin(), p.end());
        s->x.clear();
        s->y.clear();
        for (auto [x, y] : p) {
          s->x.push_back(x);
          s->y.push_back(y);
        }
      }
      chart.series.push_back(pr.first);
      chart.series.push_back(pr.second);
    }
    page.figure(svg::render(chart, 520, 320), "Solid: measured; dashed: fwtax.");
  }
  std::ofstream(std::filesystem::path(dir) / "report.html") << page.str();
  std::ofstream(std::filesystem::path(dir) / "report.md") << md;
}

}  // namespace fwtax
