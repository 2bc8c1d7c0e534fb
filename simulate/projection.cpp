#include "simulate/projection.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>

#include "model/error.hpp"
#include "simulate/html.hpp"
#include "simulate/report.hpp"
#include "simulate/svg.hpp"

namespace fwtax {

DeviceSpec scale_device(const DeviceSpec& d, double s, double c, double b) {
  DeviceSpec o = d;
  for (double& p : o.peak_flops_per_s) p *= s * c;
  o.memory_bandwidth_bytes_per_s *= s * b;
  // Element-bound kernels are bound by the SMs, so they follow compute, not bandwidth; one thread
  // block's rate and the shortest times follow the clock (the overall speedup) only.
  for (auto [r, scaling] : element_rates(o))
    switch (scaling) {
      case ElementScaling::sm_spread: *r *= s * c; break;
      case ElementScaling::per_block: *r *= s; break;
      case ElementScaling::time: *r /= s; break;
    }
  o.kernel_min_s /= s;
  o.stream_kernel_gap_s /= s;
  o.graph_kernel_gap_s /= s;
  o.launch_latency_s /= s;
  o.graph_launch_latency_s /= s;
  if (s != 1 || c != 1 || b != 1) {
    char label[96];
    std::snprintf(label, sizeof label, " scaled (speedup %g, compute x%g, bandwidth x%g)", s, c, b);
    o.description += label;
  }
  return o;
}

std::vector<ProjectRow> run_projection(const ProjectRequest& q, const Catalog& catalog, SweepExtras* extras) {
  Diagnostics diag("project");
  auto positive = [&](const char* flag, const std::vector<double>& v) {
    for (double x : v)
      if (!(x > 0)) diag.add(flag, "expected numbers > 0");
  };
  positive("--speedup", q.speedup);
  positive("--compute-x", q.compute_x);
  positive("--bandwidth-x", q.bandwidth_x);
  positive("--host-x", q.host_x);
  positive("--width-x", q.width_x);
  positive("--depth-x", q.depth_x);
  diag.throw_if_any();
  check_phase(q.phase, q.contexts, q.new_tokens);
  std::vector<ResolvedModel> models;
  for (const auto& m : q.models) models.push_back(resolve_model(m));
  std::vector<DeviceSpec> devices;
  for (const auto& d : q.devices) devices.push_back(catalog.device(d));
  std::vector<FrameworkSpec> frameworks;
  for (const auto& f : q.frameworks) frameworks.push_back(catalog.framework(f));
  check_distinct_profiles("--devices", "device", q.devices, devices);
  check_distinct_profiles("--framework", "framework", q.frameworks, frameworks);
  std::vector<std::optional<HostSpec>> hosts;
  for (const auto& h : q.hosts) {
    hosts.push_back(h.empty() ? std::nullopt : std::optional<HostSpec>(catalog.host(h)));
    if (hosts.back()) warn_once(extras, catalog.host_name_warning(h, *hosts.back()));
    // Rows name their host: two hosts of one name could not be told apart (and tables would merge them).
    for (std::size_t i = 0; hosts.back() && i + 1 < hosts.size(); ++i)
      if (hosts[i] && hosts[i]->name == hosts.back()->name)
        throw InputError("--host", h, "names host '" + hosts.back()->name + "' as " + q.hosts[i] +
                                          " does: give each host its own \"name\" (calibrate --target host --name)");
  }
  std::vector<long long> batches = q.batches;
  if (batches.empty())
    for (long long b = 1; b <= 4096; b *= 2) batches.push_back(b);

  std::vector<ProjectRow> out;
  for (double w : q.width_x)
    for (double dx : q.depth_x)
      for (double s : q.speedup)
        for (double c : q.compute_x)
          for (double bw : q.bandwidth_x)
            for (double h : q.host_x)
              for (const auto& host : hosts) {
              Grid g;
              for (const auto& m : models) {
                ResolvedModel r = m;
                r.arch = scale_architecture(m.arch, w, dx);
                g.models.push_back(r);
              }
              for (const auto& d : devices) g.devices.push_back(scale_device(d, s, c, bw));
              g.frameworks = frameworks;
              g.dtypes = q.dtypes;
              g.dtype_from_config = q.dtype_from_config;
              g.batches = batches;
              g.seqs = q.seqs;
              g.images = q.images;
              g.phase = q.phase;
              g.contexts = q.contexts;
              g.new_tokens = q.new_tokens;
              g.measure = q.measure;
              g.host_x = h;
              g.host = host;
              for (auto& r : simulate_grid(g, catalog, extras)) out.push_back({std::move(r), s, c, bw, h, w, dx, host.has_value()});
            }
  return out;
}

Json project_row_to_json(const ProjectRow& r) {
  Json j = row_to_json(r.row);
  j["speedup"] = r.speedup;
  j["compute_x"] = r.compute_x;
  j["bandwidth_x"] = r.bandwidth_x;
  j["host_x"] = r.host_x;
  j["width_x"] = r.width_x;
  j["depth_x"] = r.depth_x;
  return j;
}

namespace {

std::string point_label(const ProjectRow& r) {
  char b[160];
  std::snprintf(b, sizeof b, "%s %s %s %s", r.row.model.c_str(), r.row.device.c_str(), r.row.framework.c_str(),
                std::string(dtype_name(r.row.dtype)).c_str());
  std::string s = b;
  auto add = [&](const char* name, double v) {
    if (v != 1) {
      char t[48];
      std::snprintf(t, sizeof t, " %s %g", name, v);
      s += t;
    }
  };
  add("speedup", r.speedup);
  add("compute-x", r.compute_x);
  add("bandwidth-x", r.bandwidth_x);
  add("host-x", r.host_x);
  if (r.host_given) s += " on " + r.row.host;
  add("width-x", r.width_x);
  add("depth-x", r.depth_x);
  if (r.row.seq > 0 && r.row.seq != 128 && r.row.phase != "decode") s += " seq " + std::to_string(r.row.seq);
  if (r.row.phase != "forward") s += " " + r.row.phase;
  if (r.row.phase == "decode") s += " context " + std::to_string(r.row.context);
  if (r.row.phase == "generate") s += " +" + std::to_string(r.row.new_tokens) + " tokens";
  return s;
}

// Series: rows of one scaling point and configuration, in batch order.
std::vector<std::pair<std::string, std::vector<const ProjectRow*>>> series_of(const std::vector<ProjectRow>& rows) {
  std::vector<std::pair<std::string, std::vector<const ProjectRow*>>> out;
  std::map<std::string, std::size_t> index;
  for (const auto& r : rows) {
    std::string key = point_label(r);
    auto it = index.find(key);
    if (it == index.end()) {
      index[key] = out.size();
      out.push_back({key, {}});
      it = index.find(key);
    }
    out[it->second].second.push_back(&r);
  }
  return out;
}

// Device and scaling point, for charts whose title already names the framework; without the device,
// the facet a device's line belongs to in small multiples.
std::string point_of(const ProjectRow& r, bool many_models, bool many_dtypes, bool with_device = true) {
  std::string point = (many_models ? r.row.model + " " : "") + (with_device ? r.row.device : "");
  if (many_dtypes) point += " " + std::string(dtype_name(r.row.dtype));
  if (r.speedup != 1) point += " x" + format_number("%g", r.speedup);
  if (r.compute_x != 1) point += " c" + format_number("%g", r.compute_x);
  if (r.bandwidth_x != 1) point += " b" + format_number("%g", r.bandwidth_x);
  if (r.host_x != 1) point += " host" + format_number("%g", r.host_x);
  if (r.host_given) point += " on " + r.row.host;
  if (r.width_x != 1) point += " w" + format_number("%g", r.width_x);
  if (r.depth_x != 1) point += " d" + format_number("%g", r.depth_x);
  while (!point.empty() && point.front() == ' ') point.erase(0, 1);
  while (!point.empty() && point.back() == ' ') point.pop_back();
  while (point.find("  ") != std::string::npos) point.erase(point.find("  "), 1);
  return point;
}

const ProjectRow* at_batch(const std::vector<const ProjectRow*>& s, long long b) {
  for (const auto* r : s)
    if (r->row.batch == b) return r;
  return nullptr;
}

}  // namespace

void write_project_table(std::ostream& out, const std::vector<ProjectRow>& rows) {
  auto series = series_of(rows);
  std::size_t w = 20;
  for (const auto& [label, s] : series) w = std::max(w, label.size());
  out << "configuration" << std::string(w + 2 - 13, ' ')
      << "batch-1 latency       10-90% range  batch-1 tax  leaves framework-bound  latency there\n";
  for (const auto& [label, s] : series) {
    const ProjectRow* first = s.front();
    for (const auto* r : s)
      if (r->row.batch < first->row.batch) first = r;
    const ProjectRow* cross = first->row.crossover_batch ? at_batch(s, *first->row.crossover_batch) : nullptr;
    std::string lat = format_duration(first->row.sim.latency_s);
    std::string range = format_duration(first->row.latency_low_s) + " - " + format_duration(first->row.latency_high_s);
    std::string tax = format_number("%.0f%%", 100 * first->row.sim.framework_tax_s / first->row.sim.latency_s);
    // A batch that does not fit the device's memory is never the crossover: say where they start.
    const ProjectRow* full = nullptr;
    for (const auto* r : s)
      if (!r->row.fits && (!full || r->row.batch < full->row.batch)) full = r;
    long long last = first->row.batch;
    for (const auto* r : s) last = std::max(last, r->row.batch);
    std::string where = cross  ? "at batch " + std::to_string(cross->row.batch)
                        : full ? "never (" + std::to_string(full->row.batch) + "+ do not fit)"
                               : "not by batch " + std::to_string(last);
    std::string there = cross ? format_duration(cross->row.sim.latency_s) : "-";
    out << label << std::string(w + 2 - label.size(), ' ') << std::string(15 - std::min<std::size_t>(15, lat.size()), ' ')
        << lat << "  " << std::string(17 - std::min<std::size_t>(17, range.size()), ' ') << range << "  "
        << std::string(11 - std::min<std::size_t>(11, tax.size()), ' ') << tax << "  "
        << std::string(22 - std::min<std::size_t>(22, where.size()), ' ') << where << "  "
        << std::string(13 - std::min<std::size_t>(13, there.size()), ' ') << there << '\n';
  }
}

void write_project_csv(std::ostream& out, const std::vector<ProjectRow>& rows) {
  out << "model,device,host,framework,dtype,batch,seq,image,speedup,compute_x,bandwidth_x,host_x,width_x,depth_x,"
         "latency_s,latency_low_s,latency_high_s,host_busy_s,gpu_busy_s,framework_tax_s,bound,crossover_batch,phase,"
         "context,memory_bytes,fits\n";
  for (const auto& p : rows) {
    const ResultRow& r = p.row;
    out << r.model << ',' << r.device << ',' << r.host << ',' << r.framework << ',' << dtype_name(r.dtype) << ','
        << r.batch << ',' << csv_size(r.seq) << ',' << csv_size(r.image) << ',' << format_number("%g", p.speedup) << ',' << format_number("%g", p.compute_x) << ','
        << format_number("%g", p.bandwidth_x) << ',' << format_number("%g", p.host_x) << ',' << format_number("%g", p.width_x) << ','
        << format_number("%g", p.depth_x) << ',' << format_number("%.9g", r.sim.latency_s) << ','
        << format_number("%.9g", r.latency_low_s) << ',' << format_number("%.9g", r.latency_high_s) << ','
        << format_number("%.9g", r.sim.host_busy_s) << ','
        << format_number("%.9g", r.sim.gpu_busy_s) << ',' << format_number("%.9g", r.sim.framework_tax_s) << ','
        << regime_name(r.sim.bound) << ',' << (r.crossover_batch ? std::to_string(*r.crossover_batch) : "") << ','
        << r.phase << ',' << r.context << ',' << format_number("%.9g", r.memory_bytes) << ','
        << (r.fits ? "true" : "false") << '\n';
  }
}

std::string project_report_html(const ProjectRequest& q, const std::vector<ProjectRow>& rows) {
  HtmlPage page("fwtax projection");
  std::string models, devices, frameworks;
  for (const auto& m : q.models) models += (models.empty() ? "" : ", ") + m;
  for (const auto& d : q.devices) devices += (devices.empty() ? "" : ", ") + d;
  for (const auto& f : q.frameworks) frameworks += (frameworks.empty() ? "" : ", ") + f;
  page.paragraph("Models: " + models + ". Devices: " + devices + ". Frameworks: " + frameworks +
                 ". Latency is one synchronized call unless the measure is pipelined; the tax is the time the GPU "
                 "sits idle within the call.");
  auto series = series_of(rows);
  bool many_models = q.models.size() > 1, many_dtypes = q.dtypes.size() > 1;
  // 1. Latency against batch, one chart per framework; past kMaxLines lines (the palette's colours) a
  // chart per framework and scaling point with a line per device (small multiples), so that no colour
  // repeats and every legend fits.
  constexpr std::size_t kMaxLines = 10;
  std::set<std::string> fws;
  for (const auto& r : rows) fws.insert(r.row.framework);
  auto line_of = [](const std::vector<const ProjectRow*>& s, std::string name) {
    svg::Series line;
    line.name = std::move(name);
    for (const auto* r : s) {
      line.x.push_back(static_cast<double>(r->row.batch));
      line.y.push_back(r->row.sim.latency_s * 1e3);
    }
    return line;
  };
  for (const auto& fw : fws) {
    std::vector<std::pair<std::string, std::vector<svg::Series>>> charts;  // facet -> lines
    std::size_t lines = 0;
    for (const auto& [label, s] : series) lines += s.front()->row.framework == fw;
    for (const auto& [label, s] : series) {
      if (s.front()->row.framework != fw) continue;
      std::string facet = lines > kMaxLines ? point_of(*s.front(), many_models, many_dtypes, false) : "";
      auto it = std::find_if(charts.begin(), charts.end(), [&](const auto& c) {
        return c.first == facet && c.second.size() < kMaxLines;
      });
      if (it == charts.end()) it = charts.insert(charts.end(), {facet, {}});
      it->second.push_back(line_of(s, lines > kMaxLines ? s.front()->row.device : point_of(*s.front(), many_models, many_dtypes)));
    }
    for (const auto& [facet, chart_lines] : charts) {
      svg::LineChart c;
      c.title = "Latency against batch size (" + fw + (facet.empty() ? "" : ", " + facet) + ")";
      c.x_label = "batch size";
      c.y_label = "latency (ms)";
      c.series = chart_lines;
      if (charts.size() == 1)
        page.figure(svg::render(c), "Each line is one device or scaling point. Flat lines are framework-bound: the "
                                    "host, not the GPU, sets the pace.");
      else
        page.figure(svg::render(c, 500, 320), "A line per device; flat lines are framework-bound.");
    }
  }
  // 2. Batch-1 latency and crossover batch against device or speed-up, per framework.
  std::vector<std::string> points;
  std::map<std::string, std::map<std::string, std::pair<double, double>>> by_fw;  // fw -> point -> (lat, cross)
  for (const auto& [label, s] : series) {
    const ProjectRow* first = s.front();
    std::string point = point_of(*first, many_models, many_dtypes);
    if (std::find(points.begin(), points.end(), point) == points.end()) points.push_back(point);
    double cross = first->row.crossover_batch ? static_cast<double>(*first->row.crossover_batch) : NAN;
    by_fw[first->row.framework][point] = {first->row.sim.latency_s * 1e3, cross};
  }
  // Past kMaxBars scaling points the bars and their labels crowd: a table says it instead.
  constexpr std::size_t kMaxBars = 12;
  if (points.size() > kMaxBars) {
    std::vector<std::string> header = {"device or scaling point"};
    for (const auto& [fw, m] : by_fw) header.push_back("batch-1 latency, " + fw);
    for (const auto& [fw, m] : by_fw) header.push_back("crossover batch, " + fw);
    std::vector<std::vector<std::string>> table;
    for (const auto& p : points) {
      std::vector<std::string> line = {p};
      for (const auto& [fw, m] : by_fw) {
        auto it = m.find(p);
        line.push_back(it == m.end() ? "-" : format_duration(it->second.first * 1e-3));
      }
      for (const auto& [fw, m] : by_fw) {
        auto it = m.find(p);
        line.push_back(it == m.end() ? "-" : std::isfinite(it->second.second) ? format_number("%g", it->second.second) : "never");
      }
      table.push_back(std::move(line));
    }
    page.heading(2, "Batch-1 latency and crossover batch");
    page.paragraph("The crossover batch is the first batch that is not framework-bound; never: framework-bound over "
                   "the whole batch range.");
    page.table(header, table);
  } else {
    svg::BarChart lat, cross;
    lat.title = "Batch-1 latency";
    lat.y_label = "latency (ms)";
    cross.title = "Crossover batch: first batch not framework-bound";
    cross.y_label = "batch size";
    cross.log_y = true;
    lat.categories = cross.categories = points;
    for (const auto& [fw, m] : by_fw) {
      svg::Series a, b;
      a.name = b.name = fw;
      for (const auto& p : points) {
        auto it = m.find(p);
        a.y.push_back(it == m.end() ? NAN : it->second.first);
        b.y.push_back(it == m.end() ? NAN : it->second.second);
      }
      lat.series.push_back(a);
      cross.series.push_back(b);
    }
    page.figure(svg::render(lat), "Batch-1 latency at each device or scaling point.");
    page.figure(svg::render(cross), "Missing bars: framework-bound over the whole batch range.");
  }
  // 3. Tax fraction heat map: batch x point, for the first framework.
  for (const auto& fw : fws) {
    svg::HeatMap h;
    h.title = "Share of the call the GPU sits idle (" + fw + ")";
    h.x_label = "batch size";
    h.y_label = "";
    h.value_label = "percent";
    std::vector<long long> batches;
    for (const auto& r : rows)
      if (std::find(batches.begin(), batches.end(), r.row.batch) == batches.end()) batches.push_back(r.row.batch);
    std::sort(batches.begin(), batches.end());
    for (long long b : batches) h.x_ticks.push_back(std::to_string(b));
    for (const auto& [label, s] : series) {
      if (s.front()->row.framework != fw) continue;
      h.y_ticks.push_back(point_of(*s.front(), many_models, many_dtypes));
      std::vector<double> v;
      for (long long b : batches) {
        const ProjectRow* r = at_batch(s, b);
        v.push_back(r ? r->row.sim.framework_tax_s / r->row.sim.latency_s : NAN);
      }
      h.values.push_back(v);
    }
    page.figure(svg::render(h, 760, 60 + 26 * static_cast<int>(h.values.size()) + 60),
                "Dark: the GPU is idle most of the call (framework tax); light: the GPU is busy.");
  }
  // Table.
  std::vector<std::vector<std::string>> table;
  for (const auto& [label, s] : series) {
    const ProjectRow* first = s.front();
    table.push_back({label, format_duration(first->row.sim.latency_s),
                     format_number("%.0f%%", 100 * first->row.sim.framework_tax_s / first->row.sim.latency_s),
                     first->row.crossover_batch ? std::to_string(*first->row.crossover_batch) : "never"});
  }
  page.heading(2, "Summary");
  page.table({"configuration", "batch-1 latency", "batch-1 tax", "crossover batch"}, table);
  return page.str();
}

}  // namespace fwtax
