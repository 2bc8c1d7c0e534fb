#include "simulate/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace fwtax {

std::string size_label(long long seq, long long image) {
  return seq > 0 ? "seq " + std::to_string(seq) : image > 0 ? "image " + std::to_string(image) : "-";
}

namespace {

std::string size_label(const ResultRow& r) { return fwtax::size_label(r.seq, r.image); }

// What sets a series apart beyond model, device, framework and dtype: its size, and for causal LMs
// its phase and the cached tokens of a decode step (a series is swept over batch only).
std::string series_label(const ResultRow& r) {
  std::string s = size_label(r);
  if (r.phase != "forward") s += " " + r.phase;
  if (r.phase == "decode") s += " context " + std::to_string(r.context);
  return s;
}

double tax_fraction(const SimResult& s) { return s.latency_s > 0 ? s.framework_tax_s / s.latency_s : 0; }

}  // namespace

std::string csv_size(long long v) { return v > 0 ? std::to_string(v) : ""; }

void write_columns(std::ostream& out, const std::vector<std::vector<std::string>>& cells, std::size_t right_from,
                   std::size_t right_until) {
  std::vector<std::size_t> width;
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : cells) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::size_t padn = width[i] - row[i].size();
      if (i >= right_from && i < right_until) line += std::string(padn, ' ') + row[i];
      else line += row[i] + (i + 1 < row.size() ? std::string(padn, ' ') : "");
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

namespace {

// `lo`-`hi`: the batches the series swept; a series framework-bound at all of them leaves it beyond.
std::string crossover_text(const ResultRow& r, long long lo, long long hi) {
  return r.crossover_batch ? "batch " + std::to_string(*r.crossover_batch)
                           : "not within batch " + std::to_string(lo) + "-" + std::to_string(hi);
}

}  // namespace

std::string format_number(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string format_duration(double s) {
  if (s >= 1) return format_number("%.2f s", s);
  if (s >= 1e-3) return format_number(s >= 0.1 ? "%.0f ms" : s >= 0.01 ? "%.1f ms" : "%.2f ms", s * 1e3);
  return format_number(s >= 1e-4 ? "%.0f us" : s >= 1e-5 ? "%.1f us" : "%.2f us", s * 1e6);
}

namespace {
// "13.5 GB", or "27.0 GB (does not fit)" where it is more than the device's memory.
std::string memory_text(const ResultRow& r) {
  return format_number("%.1f GB", r.memory_bytes / 1e9) + (r.fits ? "" : " (does not fit)");
}
}  // namespace

void write_table(std::ostream& out, const std::vector<ResultRow>& rows) {
  const bool phases = std::any_of(rows.begin(), rows.end(), [](const ResultRow& r) { return r.phase != "forward"; });
  const bool generate = std::any_of(rows.begin(), rows.end(), [](const ResultRow& r) { return r.phase == "generate"; });
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head = {"model", "device", "host", "framework", "dtype", "batch", "input"};
  if (phases) head.insert(head.end(), {"phase", "context"});
  head.insert(head.end(), {"latency", "10-90% range"});
  if (generate) head.insert(head.end(), {"ttft", "tpot"});
  if (phases) head.push_back("tokens/s");
  head.insert(head.end(), {"host busy", "gpu busy", "tax", "tax %", "bound", "kernels", "memory"});
  cells.push_back(head);
  for (const auto& r : rows) {
    const SimResult& s = r.sim;
    std::vector<std::string> line = {r.model, r.device, r.host, r.framework, std::string(dtype_name(r.dtype)),
                                     std::to_string(r.batch), size_label(r)};
    if (phases)
      line.insert(line.end(), {r.phase, r.phase == "decode" ? std::to_string(r.context)
                                        : r.phase == "generate" ? std::string(1, '+').append(std::to_string(r.new_tokens)) : "-"});
    line.insert(line.end(), {format_duration(s.latency_s),
                             format_duration(r.latency_low_s) + " - " + format_duration(r.latency_high_s)});
    if (generate)
      line.insert(line.end(), {r.phase == "generate" ? format_duration(r.ttft_s) : "-",
                               r.phase == "generate" ? format_duration(r.tpot_s) : "-"});
    if (phases) line.push_back(format_number(r.tokens_per_s >= 100 ? "%.0f" : "%.3g", r.tokens_per_s));
    line.insert(line.end(), {format_duration(s.host_busy_s), format_duration(s.gpu_busy_s),
                             format_duration(s.framework_tax_s), format_number("%.0f%%", 100 * tax_fraction(s)),
                             std::string(regime_name(s.bound)), std::to_string(s.kernels), memory_text(r)});
    cells.push_back(line);
  }
  write_columns(out, cells, 5);
  // One line per series: where it leaves the framework-bound regime.
  std::set<std::string> seen;
  bool header = false;
  for (const auto& r : rows) {
    std::string key = r.model + " " + r.device + " " + r.framework + " " + std::string(dtype_name(r.dtype)) + " " +
                      series_label(r);
    if (!seen.insert(key).second) continue;
    long long lo = r.batch, hi = r.batch, n = 0;
    for (const auto& o : rows)
      if (o.model == r.model && o.device == r.device && o.framework == r.framework && o.dtype == r.dtype &&
          o.seq == r.seq && o.image == r.image && o.phase == r.phase && o.context == r.context) {
        lo = std::min(lo, o.batch);
        hi = std::max(hi, o.batch);
        ++n;
      }
    if (n < 2) continue;
    if (!header) {
      out << "\nleaves the framework-bound regime at:\n";
      header = true;
    }
    out << "  " << key << ": " << crossover_text(r, lo, hi) << '\n';
  }
}

void write_matrix(std::ostream& out, const std::vector<ResultRow>& rows) {
  // Blocks: one per (model, dtype, size); rows: device x framework; columns: batch.
  std::vector<std::string> block_order;
  std::map<std::string, std::vector<const ResultRow*>> blocks;
  for (const auto& r : rows) {
    std::string key = r.model + " " + std::string(dtype_name(r.dtype)) + ", " + series_label(r);
    if (!blocks.count(key)) block_order.push_back(key);
    blocks[key].push_back(&r);
  }
  bool first = true;
  for (const auto& key : block_order) {
    const auto& rs = blocks[key];
    std::vector<long long> batches;
    std::vector<std::string> series;
    for (const auto* r : rs) {
      if (std::find(batches.begin(), batches.end(), r->batch) == batches.end()) batches.push_back(r->batch);
      std::string s = r->device + "  " + r->framework;
      if (std::find(series.begin(), series.end(), s) == series.end()) series.push_back(s);
    }
    std::sort(batches.begin(), batches.end());
    if (!first) out << '\n';
    first = false;
    out << key << ": latency in ms (share of it the GPU sits idle) by batch size\n";
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> head = {"device", "host", "framework"};
    for (long long b : batches) head.push_back(std::to_string(b));
    head.push_back("leaves framework-bound");
    cells.push_back(head);
    for (const auto& s : series) {
      std::vector<std::string> line;
      const ResultRow* any = nullptr;
      for (long long b : batches) {
        const ResultRow* hit = nullptr;
        for (const auto* r : rs)
          if (r->batch == b && r->device + "  " + r->framework == s) hit = r;
        if (!any && hit) any = hit;
        if (!hit) {
          line.push_back("-");
          continue;
        }
        double ms = hit->sim.latency_s * 1e3;
        line.push_back(format_number(ms >= 100 ? "%.0f" : ms >= 10 ? "%.1f" : "%.2f", ms) +
                       format_number(" (%.0f%%)", 100 * tax_fraction(hit->sim)));
      }
      line.insert(line.begin(), any ? any->framework : "");
      line.insert(line.begin(), any ? any->host : "");  // the host that dispatches, as every other format names it
      line.insert(line.begin(), any ? any->device : "");
      line.push_back(any ? (any->crossover_batch ? "at batch " + std::to_string(*any->crossover_batch)
                                                 : "not by batch " + std::to_string(batches.back()))
                         : "");
      cells.push_back(line);
    }
    write_columns(out, cells, 3);
  }
}

void write_csv(std::ostream& out, const std::vector<ResultRow>& rows) {
  out << "model,device,host,framework,dtype,batch,seq,image,phase,context,new_tokens,latency_s,latency_low_s,"
         "latency_high_s,ttft_s,tpot_s,tokens_per_s,host_busy_s,gpu_busy_s,framework_tax_s,bound,crossover_batch,kernels,"
         "ops,flops,bytes,memory_bytes,fits\n";
  for (const auto& r : rows) {
    const SimResult& s = r.sim;
    // Empty where the phase has no such figure, as JSON's null.
    const bool decode = r.phase == "decode", generate = r.phase == "generate";
    out << r.model << ',' << r.device << ',' << r.host << ',' << r.framework << ',' << dtype_name(r.dtype) << ','
        << r.batch << ',' << csv_size(r.seq) << ',' << csv_size(r.image) << ',' << r.phase << ','
        << (decode ? std::to_string(r.context) : "") << ',' << (generate ? std::to_string(r.new_tokens) : "") << ','
        << format_number("%.9g", s.latency_s) << ',' << format_number("%.9g", r.latency_low_s) << ','
        << format_number("%.9g", r.latency_high_s) << ',' << (generate ? format_number("%.9g", r.ttft_s) : "") << ','
        << (generate ? format_number("%.9g", r.tpot_s) : "") << ',' << format_number("%.9g", r.tokens_per_s) << ',' << format_number("%.9g", s.host_busy_s) << ','
        << format_number("%.9g", s.gpu_busy_s) << ',' << format_number("%.9g", s.framework_tax_s) << ',' << regime_name(s.bound) << ','
        << (r.crossover_batch ? std::to_string(*r.crossover_batch) : "") << ',' << s.kernels << ',' << s.ops << ','
        << format_number("%.9g", s.flops) << ',' << format_number("%.9g", s.bytes) << ','
        << format_number("%.9g", r.memory_bytes) << ',' << (r.fits ? "true" : "false") << '\n';
  }
}

namespace {

// Rows of breakdown totals: host and GPU time with their shares of the ops' totals.
std::vector<std::vector<std::string>> total_rows(const std::vector<BreakdownTotal>& totals, bool by_module) {
  double host = 0, gpu = 0;
  for (const auto& t : totals) host += t.host_s, gpu += t.gpu_s;
  auto share = [](double part, double whole) { return whole > 0 ? format_number("%.0f%%", 100 * part / whole) : "-"; };
  std::vector<std::vector<std::string>> cells;
  cells.push_back({by_module ? "module" : "op class", "calls", "ops", "host", "host %", "gpu", "gpu %", "kernels",
                   "GFLOP", "MB"});
  if (!by_module) cells[0].erase(cells[0].begin() + 1);
  for (const auto& t : totals) {
    // A module none of whose ops ran under a Python call of it (a compiled graph runs them): "-", not 0.
    std::vector<std::string> row = {t.key.empty() ? "(outside any module)" : t.key,
                                    t.calls == 0 ? "-" : std::to_string(t.calls),
                                    t.ops == 0 && t.key == "call" ? "-" : std::to_string(t.ops), format_duration(t.host_s), share(t.host_s, host),
                                    format_duration(t.gpu_s), share(t.gpu_s, gpu), std::to_string(t.kernels),
                                    format_number("%.3f", t.flops / 1e9), format_number("%.2f", t.bytes / 1e6)};
    if (!by_module) row.erase(row.begin() + 1);
    cells.push_back(row);
  }
  return cells;
}

Json totals_json(const std::vector<BreakdownTotal>& totals, bool by_module) {
  Json a = Json::array();
  for (const auto& t : totals) {
    Json j = {{by_module ? "module" : "class", by_module && t.key.empty() ? Json(nullptr) : Json(t.key)},
              {"ops", t.ops}, {"kernels", t.kernels}, {"host_s", t.host_s}, {"gpu_s", t.gpu_s},
              {"flops", t.flops}, {"bytes", t.bytes}};
    if (by_module) j["calls"] = t.calls;
    a.push_back(j);
  }
  return a;
}

}  // namespace

Json row_to_json(const ResultRow& r) {
  const SimResult& s = r.sim;
  Json j;
  j["model"] = r.model;
  j["device"] = r.device;
  j["host"] = r.host;
  j["framework"] = r.framework;
  j["dtype"] = std::string(dtype_name(r.dtype));
  j["batch"] = r.batch;
  j["seq"] = r.seq > 0 ? Json(r.seq) : Json(nullptr);
  j["image"] = r.image > 0 ? Json(r.image) : Json(nullptr);
  j["latency_s"] = s.latency_s;
  j["latency_low_s"] = r.latency_low_s;
  j["latency_high_s"] = r.latency_high_s;
  j["phase"] = r.phase;
  j["context"] = r.phase == "decode" ? Json(r.context) : Json(nullptr);
  j["new_tokens"] = r.phase == "generate" ? Json(r.new_tokens) : Json(nullptr);
  j["ttft_s"] = r.phase == "generate" ? Json(r.ttft_s) : Json(nullptr);
  j["tpot_s"] = r.phase == "generate" ? Json(r.tpot_s) : Json(nullptr);
  j["tokens_per_s"] = r.tokens_per_s;
  j["memory_bytes"] = r.memory_bytes;
  j["fits"] = r.fits;
  j["host_busy_s"] = s.host_busy_s;
  j["gpu_busy_s"] = s.gpu_busy_s;
  j["framework_tax_s"] = s.framework_tax_s;
  j["framework_tax_fraction"] = tax_fraction(s);
  j["host_waits"] = s.host_waits;
  j["host_wait_s"] = s.host_wait_s;
  j["guards"] = std::llround(s.guards);  // a count: its Python module calls times the guards per call, rounded
  j["guard_s"] = s.guard_s;
  j["bound"] = std::string(regime_name(s.bound));
  j["crossover_batch"] = r.crossover_batch ? Json(*r.crossover_batch) : Json(nullptr);
  j["kernels"] = s.kernels;
  j["ops"] = s.ops;
  j["flops"] = s.flops;
  j["bytes"] = s.bytes;
  j["gpu_time_by_limit_s"] = {{"compute", s.gpu_compute_s},
                              {"memory", s.gpu_memory_s},
                              {"elements", s.gpu_elements_s},
                              {"floor", s.gpu_floor_s}};
  if (r.trace_outliers) {
    j["trace_outliers_replaced"] = r.trace_outliers->gaps + r.trace_outliers->ops;
    j["trace_outlier_gaps"] = r.trace_outliers->gaps;
    j["trace_outlier_ops"] = r.trace_outliers->ops;
    j["trace_outlier_s"] = r.trace_outliers->removed_s;
  }
  if (!r.breakdown.empty()) {
    Json ops = Json::array();
    for (const auto& o : r.breakdown)
      if (!uncalled_module(o))
        ops.push_back({{"op", o.name}, {"class", o.op_class}, {"host_s", o.host_s}, {"gpu_s", o.gpu_s},
                     {"bound", o.bound.empty() ? Json(nullptr) : Json(o.bound)}, {"kernels", o.kernels},
                     {"flops", o.flops}, {"bytes", o.bytes}, {"module", o.module.empty() ? Json(nullptr) : Json(o.module)},
                     {"waits", o.waits}});
    j["breakdown"] = ops;
    j["call_host_s"] = r.call_host_s;
    j["slow_layout_kernels"] = r.slow_layout_kernels;
    j["workspace_capped_convs"] = r.workspace_capped_convs;
    j["slow_layout_gpu_s"] = r.slow_layout_gpu_s;
    j["breakdown_by_class"] = totals_json(breakdown_by_class(r.breakdown), false);
    j["breakdown_by_module"] = totals_json(breakdown_by_module(r.breakdown), true);
  }
  return j;
}

void write_json(std::ostream& out, const std::vector<ResultRow>& rows) {
  Json a = Json::array();
  for (const auto& r : rows) a.push_back(row_to_json(r));
  out << a.dump(1) << '\n';
}


void write_breakdown(std::ostream& out, const ResultRow& r) {
  out << r.model << " on " << r.device << " (" << r.framework << ", " << dtype_name(r.dtype) << ", batch "
      << r.batch << ", " << size_label(r) << "): breakdown\n";
  // What the host does to the profile's costs: its dispatch speed, and Python's on top where it differs.
  const bool python_modules = std::any_of(r.breakdown.begin(), r.breakdown.end(), [](const OpResult& o) {
    return o.op_class.starts_with("module_") && !uncalled_module(o);
  });
  out << "host " << r.host << ": the framework's host costs x" << format_number("%.2f", r.host_factor);
  if (python_modules && std::fabs(r.python_factor - 1) > 1e-9)
    out << ", their Python side (module calls, each op's Python) x" << format_number("%.2f", r.host_factor * r.python_factor);
  out << "\n";
  if (r.sim.host_waits > 0) {
    // Which ops the host waits after, by name, with their counts.
    std::vector<std::pair<std::string, int>> names;
    for (const auto& o : r.breakdown) {
      if (!o.waits) continue;
      auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == o.name; });
      if (it == names.end()) names.push_back({o.name, 1});
      else ++it->second;
    }
    std::string list;
    for (const auto& [name, count] : names) list += (list.empty() ? "" : ", ") + name + " x" + std::to_string(count);
    // A generate row counts the waits of the whole call; its breakdown is of the prefill's ops.
    const bool generate = r.phase == "generate";
    out << "the host waits for the GPU " << r.sim.host_waits << (generate ? " times over the call" : " times a call")
        << (list.empty() ? "" : generate ? " (the prefill's after " + list + ", then each decode step's)" : " (after " + list + ")")
        << ", " << format_duration(r.sim.host_wait_s)
        << " in all: across each wait the host's and the GPU's time add up instead of overlapping\n";
  }
  if (r.sim.guard_s > 0)
    out << "each call first evaluates about " << format_number("%.0f", r.sim.guards)
        << " guards of its compiled frame (the framework's guards per Python module call of the forward), "
        << format_duration(r.sim.guard_s) << " of host time outside the ops below"
        << (r.call_host_s > r.sim.guard_s * (1 + 1e-9)
                ? "; with the compiled call's own " + format_duration(r.call_host_s - r.sim.guard_s) +
                      " (its wrapper, and a graph replay's launch), the call row"
                : std::string())
        << "\n";
  if (r.slow_layout_kernels > 0)
    out << r.slow_layout_kernels << " kernels move their tensors at a small share of the DRAM bandwidth, "
        << format_duration(r.slow_layout_gpu_s)
        << " of GPU time (cuDNN 8's generic transpose of the input and output of grouped TF32 convolutions, "
           "the framework's grouped_tf32_conv_transpose; they count in the conv ops' gpu time below)\n";
  if (r.workspace_capped_convs > 0)
    out << format_number("%.0f", r.workspace_capped_convs)
        << " half-precision convolutions run on the CUDA cores, not the tensor cores: their NHWC copies of input and "
           "output exceed the framework's cuDNN workspace of "
        << format_number("%.0f", r.conv_workspace_limit_bytes / (1024.0 * 1024.0))
        << " MiB (conv_workspace_limit_bytes)\n";
  out << "\n";
  out << (python_modules ? "by op class (module_* are Python nn.Module calls: host time only" : "by op class (")
      << (r.call_host_s > 0 ? std::string(python_modules ? "; " : "") + "call: the call into the framework, outside every op" : "")
      << (python_modules || r.call_host_s > 0 ? ")\n" : "\n");
  std::vector<BreakdownTotal> classes = breakdown_by_class(r.breakdown);
  if (r.call_host_s > 0) {
    BreakdownTotal call{"call"};
    call.host_s = r.call_host_s;
    classes.push_back(call);
  }
  write_columns(out, total_rows(classes, false), 1, 9);
  auto modules = breakdown_by_module(r.breakdown);
  if (!modules.empty()) {
    const bool uncalled = std::any_of(modules.begin(), modules.end(), [](const BreakdownTotal& t) { return !t.key.empty() && t.calls == 0; });
    out << "\nby module (the innermost container module an op runs in, over all its calls; in call order"
        << (uncalled ? "; calls -: the ops ran without a Python call of the module, from the framework's own graph" : "")
        << ")\n";
    write_columns(out, total_rows(modules, true), 1, 10);
  }
  // Ops carry the ATen names the model is built of, also where a runtime (ONNX Runtime, TensorRT) runs
  // them as nodes of its own graph.
  out << (python_modules ? "\nper op (module calls left out)\n" : "\nper op (by the ATen op each comes from)\n");
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"#", "op", "class", "host", "gpu", "bound", "kernels", "GFLOP", "MB", "module"});
  std::size_t i = 0;
  for (const auto& o : r.breakdown) {
    ++i;
    if (o.op_class.rfind("module_", 0) == 0) continue;
    cells.push_back({std::to_string(i), o.name, o.op_class, format_duration(o.host_s), format_duration(o.gpu_s),
                     o.bound.empty() ? "-" : o.bound, std::to_string(o.kernels), format_number("%.3f", o.flops / 1e9),
                     format_number("%.2f", o.bytes / 1e6), o.module.empty() ? "-" : o.module});
  }
  write_columns(out, cells, 3, 9);
}

void write_chrome_trace(std::ostream& out, const std::vector<TimelineRun>& runs) {
  // One process pair per configuration (its host thread, then its GPU stream), each starting at 0 so
  // that configurations line up for comparison; sort indices keep them in sweep order.
  Json ev = Json::array();
  Json configs = Json::array();
  auto us = [](double s) { return std::round(s * 1e9) / 1e3; };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const TimelineRun& t = runs[i];
    const Workload& w = t.workload;
    const WorkloadConfig& c = w.config;
    const int host_pid = static_cast<int>(2 * i), gpu_pid = host_pid + 1;
    std::string label = runs.size() > 1 ? c.model + " " + std::string(dtype_name(c.dtype)) + " batch " +
                                              std::to_string(c.batch) + " " + size_label(c.seq, c.image) + " on " +
                                              t.device + ", " + t.framework + ": "
                                        : "";
    ev.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", host_pid},
                  {"args", {{"name", label + "host (" + t.framework + ")"}}}});
    ev.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", gpu_pid},
                  {"args", {{"name", label + "GPU stream (" + t.device + ")"}}}});
    ev.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", host_pid}, {"args", {{"sort_index", host_pid}}}});
    ev.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", gpu_pid}, {"args", {{"sort_index", gpu_pid}}}});
    for (const auto& sp : t.result.host_spans) {
      std::string name = sp.op == UINT32_MAX       ? "call overhead"
                         : sp.op == UINT32_MAX - 1 ? "wait for GPU"
                                                   : w.name(w.ops[sp.op].name);
      Json e = {{"ph", "X"}, {"pid", host_pid}, {"tid", 0}, {"name", name}, {"ts", us(sp.start_s)}, {"dur", us(sp.dur_s)}};
      if (sp.op < w.ops.size()) {
        e["cat"] = std::string(op_class_name(w.ops[sp.op].cls));
        if (w.ops[sp.op].scope) e["args"] = {{"module", w.name(w.ops[sp.op].scope)}};
      }
      ev.push_back(e);
    }
    for (const auto& sp : t.result.gpu_spans) {
      const Kernel& k = w.kernels[sp.kernel];
      Json args = {{"flops", k.flops}, {"bytes", k.bytes}, {"kind", std::string(kernel_kind_name(k.kind))}};
      if (sp.op < w.ops.size()) args["op"] = w.name(w.ops[sp.op].name);
      ev.push_back({{"ph", "X"}, {"pid", gpu_pid}, {"tid", 0}, {"name", w.name(k.name)}, {"cat", "kernel"},
                    {"ts", us(sp.start_s)}, {"dur", us(sp.dur_s)}, {"args", args}});
    }
    configs.push_back({{"host_pid", host_pid},
                       {"gpu_pid", gpu_pid},
                       {"model", c.model},
                       {"device", t.device},
                       {"framework", t.framework},
                       {"dtype", std::string(dtype_name(c.dtype))},
                       {"batch", c.batch},
                       {"seq", c.seq > 0 ? Json(c.seq) : Json(nullptr)},
                       {"image", c.image > 0 ? Json(c.image) : Json(nullptr)},
                       {"latency_s", t.result.latency_s},
                       {"framework_tax_s", t.result.framework_tax_s}});
  }
  Json doc = {{"traceEvents", ev},
              {"displayTimeUnit", "ms"},
              {"otherData", {{"generator", "fwtax simulate --timeline"}, {"configurations", configs}}}};
  out << doc.dump(1) << '\n';
}

}  // namespace fwtax
