#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "calibrate/torch/probe_epochs.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"
#include "simulate/report.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "validate/report.hpp"
#include "validate/runner.hpp"

namespace fwtax::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"--run", true, "measure real models on this machine now: cpu (libtorch)", "TARGET"},
    {"--measured", true, "measured runs: runs.json files, fwtax measured-runs JSON, or the paper's CSVs", "FILES"},
    {"--quick", false, "with --run: fewer configurations and a quick calibration (about a minute; without it about 8 on 2 cores). "
                     "When --run calibrates, the calibration and the runs alternate in rounds (3 quick, 5 otherwise) and "
                     "each measurement keeps its fastest round", ""},
    {"--device", true, "the device the runs were measured on: name or profile (with --run cpu: a calibrated "
                       "profile to use instead of calibrating now)", "D"},
    {"--host", true, "predict the runs on this host (fwtax list hosts, or a host profile file, e.g. one fitted by "
                     "fwtax calibrate --target host) instead of each device's own", "HOST"},
    {"--framework", true, "only runs of these frameworks; NAME@VERSION (torchscript@1.12) also takes the runs of NAME and predicts them with that version's stack, and NAME takes those of NAME@VERSION, predicted with their own version's; a profile file NAME.json or NAME@VERSION.json predicts the runs its name takes with that file (data/frameworks/pytorch-eager.json: the paper's eager runs with today's eager profile)", "LIST"},
    {"--model", true, "only runs of these models", "LIST"},
    {"--min-batch", true, "only runs with at least this batch", "N"},
    {"--max-batch", true, "only runs with at most this batch", "N"},
    {"--measure", true, "sync (default) or pipelined: how the runs were timed (the paper's CSVs: always pipelined)", "MODE"},
    {"--format", true, "table (default) or json", "FORMAT"},
    {"--report", true, "write report.md and report.html with plots into this folder", "DIR"},
    {"--save", true, "with --run: keep what was measured in this folder: runs.json (the measured runs, for "
                     "--measured) and, when it calibrated, probe.json (the probe's output, for calibrate --from)", "DIR"},
    {"--title", true, "report title", "TEXT"},
    {"--quiet", false, "no progress on stderr", ""},
    {"--help", false, "this help", ""},
};

// Writes j into dir/name, or says which file could not be written.
void save_json(const std::string& dir, const std::string& name, const Json& j) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  std::ofstream f(path);
  if (!f) throw InputError(path, "", "cannot open the file for writing (--save)");
  f << j.dump(1) << '\n';
}

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", x);
  return b;
}

}  // namespace

int cmd_validate(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args a(argv, kFlags);
  if (a.has("--help")) {
    out << usage_of("Usage: fwtax validate (--run cpu | --measured FILES) [options]\n\nPredicts every measured "
                    "configuration and reports the error per configuration, overall and by regime, framework, device "
                    "and model, next to two baselines (a pure roofline and latency proportional to FLOPs).",
                    kFlags);
    return 0;
  }
  if (!a.positional().empty())
    throw InputError(a.positional().front(), "",
                     "unexpected argument (lists are comma-separated: --measured a.csv,b.csv; see --help)");
  if (a.has("--run") == a.has("--measured")) throw InputError("validate", "", "expected exactly one of --run or --measured");
  const std::vector<std::string> measured_files =
      a.has("--measured") ? split_list("--measured", *a.get("--measured")) : std::vector<std::string>{};
  if (auto dir = a.get("--save")) {  // checked before anything is measured
    if (!a.has("--run")) throw InputError("--save", "", "keeps what --run measures: give it with --run cpu");
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec || !std::filesystem::is_directory(*dir))
      throw InputError(*dir, "", "cannot create this folder (--save): " + (ec ? ec.message() : "not a folder"));
  }
  std::string m = a.get_or("--measure", "sync");
  if (m != "sync" && m != "pipelined") throw InputError("--measure", "", "expected sync or pipelined, got \"" + m + "\"");
  std::string format = a.get_or("--format", "table");
  if (format != "table" && format != "json") throw InputError("--format", "", "expected table or json, got \"" + format + "\"");
  // Checked before any file is read or any model run: a typo here should not cost a calibration.
  long long lo = a.has("--min-batch") ? parse_int("--min-batch", *a.get("--min-batch"), 1, 1LL << 40) : 1;
  long long hi = a.has("--max-batch") ? parse_int("--max-batch", *a.get("--max-batch"), 1, 1LL << 40) : (1LL << 40);
  // Progress only to a terminal; warnings and where --save wrote unless --quiet.
  const bool quiet = a.has("--quiet") || !isatty(2), silent = a.has("--quiet");
  std::optional<HostSpec> host;  // read before anything is measured: a bad file fails at once
  if (auto v = a.get("--host")) host = Catalog::builtin().host(one_host(*v, "validate"));
  // A bad --framework is reported before any file is read.
  std::vector<std::string> fws;
  if (auto v = a.get("--framework")) fws = split_list("--framework", *v);
  // A device profile may carry frameworks of its own (a CPU profile's onnxruntime or torch-compile).
  std::optional<DeviceSpec> own;
  if (auto v = a.get("--device"); v && !fws.empty()) own = Catalog::builtin().device(*v);
  for (const auto& f : fws)
    if (!(own && own->framework(f))) Catalog::builtin().framework(f);
  std::vector<MeasuredRun> runs;
  std::vector<std::string> rows_skipped;  // what the measured files skipped, one line each
  std::string title = a.get_or("--title", "fwtax validation");
  Json measured_json;
  std::string profile_note, temp_profile, temp_name;  // the profile calibrated now, and the name rows show for it
  if (auto target = a.get("--run")) {
    if (*target != "cpu") throw InputError("--run", "", "expected cpu (a CUDA runner needs a GPU), got \"" + *target + "\"");
    std::string device = a.get_or("--device", "");
    const bool quick = a.has("--quick");
    const Json plan = cpu_run_plan(quick);
    if (device.empty()) {
      // The calibration and the runs alternate in rounds (validate/runner.hpp says why), each round a
      // share of the probe's epochs and one pass of the plan.
      const int rounds = plan.value("passes", 3);
      const int epochs = fwtax::probe::epochs_per_round(quick, rounds);
      std::vector<Json> probes, measured;
      for (int r = 1; r <= rounds; ++r) {
        if (!quiet)
          err << "fwtax validate: round " << r << " of " << rounds << ": calibrating this CPU" << (quick ? " (quick)" : "")
                    << ", then running the models in libtorch...\n";
        probes.push_back(probe_cpu(quick, epochs, quiet));
        measured.push_back(run_cpu_plan(cpu_plan_round(plan, rounds), !quiet));
      }
      const Json probed = merge_probe_rounds(probes);
      std::vector<std::string> warnings;
      Json profile = fit_cpu_profile(probed,
                                     "fwtax-probe-torch in " + std::to_string(rounds) + " rounds of " + std::to_string(epochs) +
                                         " epochs alternating with validate --run cpu's runs, each measurement's fastest round",
                                     &warnings);
      if (!silent)
        for (const auto& w : warnings) err << "fwtax validate: warning: calibration: " << w << '\n';
      std::filesystem::path p = std::filesystem::temp_directory_path() / ("fwtax-cpu-" + std::to_string(getpid()) + ".json");
      std::ofstream(p) << profile.dump(1) << '\n';
      device = p.string();
      temp_name = profile.value("name", std::string("this-cpu"));
      profile_note = "profile: " + profile["description"].get<std::string>();
      measured_json = merge_rounds(measured);
      measured_json["timing"] = "in " + std::to_string(rounds) + " rounds, each one pass of the probe (" +
                                std::to_string(epochs) + " epochs per measurement) then one of the plan: " +
                                measured.front().value("timing", std::string()) +
                                "; each configuration's figures are its fastest round's (least median_s), as the calibration keeps";
      if (auto dir = a.get("--save")) save_json(*dir, "probe.json", probed);
    } else {
      profile_note = "profile " + device;
      if (!quiet) err << "fwtax validate: running the models in libtorch...\n";
      measured_json = run_cpu_plan(plan, !quiet);
    }
    if (auto dir = a.get("--save")) {
      save_json(*dir, "runs.json", measured_json);
      if (!silent) err << "fwtax validate: kept what was measured in " << *dir << " (runs.json"
                            << (a.get_or("--device", "").empty() ? ", probe.json" : "") << ")\n";
    }
    runs = parse_runs_json(measured_json, "fwtax-run-torch", device);
    if (measured_json.contains("allocator")) profile_note += "; memory: " + measured_json["allocator"].get<std::string>();
    if (a.get_or("--device", "").empty()) {
      temp_profile = device;  // read by the comparison below, removed after it
      title += " (this CPU, libtorch)";
    }
  } else {
    for (const auto& f : measured_files) {
      auto more = read_measured_file(f, a.get_or("--device", ""), m == "pipelined" ? Measure::pipelined : Measure::sync,
                                     &rows_skipped);
      runs.insert(runs.end(), more.begin(), more.end());
    }

  }
  std::vector<std::string> models;
  if (auto v = a.get("--model")) models = split_list("--model", *v);
  // A profile file (torchscript@1.12.json) stands for the framework of its file name, whose runs it
  // predicts.
  std::vector<std::string> wanted;
  std::map<std::string, std::string> file_of;
  for (const auto& f : fws) {
    if (!looks_like_path(f)) {
      wanted.push_back(f);
      continue;
    }
    std::string stem = std::filesystem::path(f).stem().string();
    wanted.push_back(stem);
    file_of[stem] = f;
  }
  // What the files hold, for the message when the filters leave nothing.
  std::set<std::string> held_frameworks, held_models;
  for (const auto& r : runs) held_frameworks.insert(r.framework), held_models.insert(r.model);
  auto listed = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  std::set<std::string> picked_frameworks;  // the --framework entries some run selected
  std::erase_if(runs, [&](MeasuredRun& r) {
    if (!wanted.empty()) {
      std::string picked = select_framework(wanted, r.framework);
      if (picked.empty()) return true;
      picked_frameworks.insert(picked);
      // A profile file predicts the runs its name selects: NAME.json those of NAME@VERSION too.
      auto file = file_of.find(picked);
      if (file == file_of.end()) file = file_of.find(picked.substr(0, picked.find('@')));
      r.framework = file != file_of.end() ? file->second : picked;
    }
    return (!models.empty() && std::find(models.begin(), models.end(), r.model) == models.end()) || r.batch < lo ||
           r.batch > hi;
  });
  // A filter entry that matches no run read (a typo, a model or mode the files do not have) is said,
  // not dropped.
  for (const auto& name : models)
    if (!held_models.count(name))
      err << "fwtax: warning: --model " << name << ": no run of it in the files (they hold "
                << listed(held_models) << ")\n";
  if (!runs.empty())
    for (std::size_t i = 0; i < wanted.size(); ++i)
      if (!picked_frameworks.count(wanted[i]))
        err << "fwtax: warning: --framework " << fws[i] << ": no run of it in the files (they hold "
                  << listed(held_frameworks) << ")\n";
  std::string filters;
  for (const char* f : {"--model", "--framework", "--min-batch", "--max-batch"})
    if (a.has(f)) filters += (filters.empty() ? "" : ", ") + std::string(f);
  // A profile file takes the runs its file name names (NAME.json), not its "name" member.
  std::string file_hint;
  if (runs.empty() && a.has("--framework"))
    for (const auto& f : fws)
      if (looks_like_path(f)) {
        file_hint = "; a profile file takes the runs of the framework its file name names (" +
                    std::filesystem::path(f).filename().string() + " takes those of " +
                    std::filesystem::path(f).stem().string() + "): name the file after the runs' framework";
        break;
      }
  if (runs.empty())
    throw InputError(a.has("--run")                ? "--run"
                     : measured_files.size() <= 1 ? a.get_or("--measured", "")
                                                  : "--measured (" + std::to_string(measured_files.size()) + " files)",
                     "",
                     "no runs to validate" + std::string(!filters.empty()
                                                             ? " (none left after " + filters + "; "
                                                               "the runs read are of " + listed(held_frameworks) + ": " +
                                                               listed(held_models) + ")" + file_hint
                                                             : " (expected runs of models fwtax builds, with a latency > 0" +
                                                                   std::string(rows_skipped.empty() ? "" : "; " + rows_skipped.front()) + ")"));
  if (!a.has("--quiet")) {
    for (const auto& s : rows_skipped) err << "fwtax: warning: " << s << '\n';
    if (host) {
      const std::string w = Catalog::builtin().host_name_warning(*a.get("--host"), *host);
      if (!w.empty()) err << "fwtax: warning: " << w << '\n';
      // A host fitted to one device's runs, given for runs on another: its speed is what it showed there.
      std::set<std::string> elsewhere;
      for (const auto& r : runs)
        if (!host->fitted_device.empty() && r.device != host->fitted_device) elsewhere.insert(r.device);
      for (const auto& d : elsewhere)
        err << "fwtax: warning: --host " << *a.get("--host") << " was fitted to runs on " << host->fitted_device
            << " (its fit.device) and is given for runs on " << d << ": its speed is the one those runs showed "
            << "against " << host->fitted_device << "'s profiles; to fit this machine's host, fwtax calibrate "
            << "--target host --runs FILE=" << d << "\n";
    }
    // The paper timed its calls back to back: its CSVs' runs stay pipelined whatever --measure says.
    if (a.has("--measure") && m == "sync" &&
        std::any_of(runs.begin(), runs.end(), [](const MeasuredRun& r) { return is_paper_csv(r.source); }))
      err << "fwtax: warning: --measure sync does not apply to the paper's CSVs: their calls were timed "
                   "back to back and are predicted pipelined\n";
  }
  auto cmp = compare_runs(runs, Catalog::builtin(), 1.0, host ? &*host : nullptr);
  std::size_t predicted = 0;
  for (const auto& c : cmp) predicted += c.ok;
  if (predicted == 0) {
    // A flag the user gave, whose mistake every run shows (--host on a CPU profile): the flag is the place.
    const std::string& why = cmp.front().reason;
    const bool same = std::all_of(cmp.begin(), cmp.end(), [&](const auto& c) { return c.reason == why; });
    if (const auto colon = why.find(": ");
        same && why.rfind("--", 0) == 0 && colon != std::string::npos && a.has(why.substr(0, colon)))
      throw InputError(why.substr(0, colon), "", why.substr(colon + 2) + " (so none of the " + std::to_string(cmp.size()) +
                                                      " runs could be predicted)");
    throw InputError(cmp.front().run.source, cmp.front().run.where, "none of the " + std::to_string(cmp.size()) +
                                                   " runs could be predicted; the first: " + why);
  }
  if (predicted < cmp.size() && !a.has("--quiet"))
    for (const auto& c : cmp)
      if (!c.ok) {
        err << "fwtax: warning: " << cmp.size() - predicted << " of " << cmp.size()
                  << " runs skipped; the first: " << c.run.source << ": " << c.run.where << ": " << c.reason << '\n';
        break;
      }
  if (!a.has("--quiet")) {  // one warning per model whose parameter count disagrees
    std::set<std::string> warned;
    for (const auto& c : cmp)
      if (!c.warning.empty() && warned.insert(c.run.model).second)
        err << "fwtax: warning: " << c.run.source << ": " << c.run.where << "/params: " << c.warning
                  << '\n';
  }
  if (!temp_profile.empty()) {  // rows name the profile, not the temporary file it was read from
    std::error_code ec;
    std::filesystem::remove(temp_profile, ec);
    for (auto& c : cmp)
      if (c.run.device == temp_profile) c.run.device = temp_name;
    for (auto& r : runs)
      if (r.device == temp_profile) r.device = temp_name;
  }
  Json summary = summarize_comparisons(cmp);
  summary["batch_inversions"] = batch_inversions(runs);
  if (auto dir = a.get("--report")) {
    ValidationReport rep;
    rep.title = title;
    rep.note = profile_note;
    write_validation_report(*dir, rep, cmp, summary);
    if (!measured_json.is_null()) std::ofstream(std::filesystem::path(*dir) / "measured-runs.json") << measured_json.dump(1) << '\n';
  }
  if (format == "json") {
    Json rows = Json::array();
    for (const auto& c : cmp) {
      Json r = {{"model", c.run.model}, {"device", c.run.device}, {"framework", c.run.framework},
                {"dtype", std::string(dtype_name(c.run.dtype))}, {"batch", c.run.batch},
                {"seq", c.run.seq > 0 ? Json(c.run.seq) : Json(nullptr)},
                {"image", c.run.image > 0 ? Json(c.run.image) : Json(nullptr)}, {"measured_s", c.run.latency_s}};
      if (c.run.phase != "forward") {
        r["phase"] = c.run.phase;
        r["context"] = c.run.context;
        r["new_tokens"] = c.run.new_tokens;
      }
      if (c.ok) {
        r["host"] = c.host;
        r["predicted_s"] = c.predicted_s;
        r["predicted_low_s"] = c.low_s;
        r["predicted_high_s"] = c.high_s;
        r["inside_range"] = covered(c);
        r["range_side"] = range_side(c);
        r["ape_percent"] = 100 * c.ape;
        r["error_percent"] = error_percent(c);  // the table's, signed
        r["regime"] = std::string(regime_name(c.regime));
        r["baseline_roofline_s"] = c.roofline_s;
        r["baseline_flops_s"] = c.flops_s;
      } else {
        r["skipped"] = c.reason;
      }
      if (!c.warning.empty()) r["warning"] = c.warning;
      rows.push_back(r);
    }
    summary["runs"] = rows;
    if (!profile_note.empty()) summary["note"] = profile_note;
    out << summary.dump(1) << '\n';
    return 0;
  }
  // Columns as wide as their widest cell: device names such as h200-calibrated, or the path of a
  // calibrated profile, are shown whole.
  std::vector<std::vector<std::string>> cells = {
      {"model", "device", "host", "framework", "dtype", "batch", "input", "measured", "predicted", "10-90% range", "inside",
       "error", "regime"}};
  std::vector<std::string> skipped;
  for (const auto& c : cmp) {
    if (!c.ok) {
      skipped.push_back(c.run.model + " " + c.run.framework + ": skipped: " + c.reason);
      continue;
    }
    cells.push_back({c.run.model, c.run.device, c.host, c.run.framework, std::string(dtype_name(c.run.dtype)),
                     std::to_string(c.run.batch),
                     c.run.phase == "decode"     ? "decode ctx " + std::to_string(c.run.context)
                     : c.run.phase == "forward" ? size_label(c.run.seq, c.run.image)
                                                : c.run.phase + " " + size_label(c.run.seq, c.run.image),
                     format_number("%.3f ms", c.run.latency_s * 1e3), format_number("%.3f ms", c.predicted_s * 1e3),
                     format_number("%.3f", c.low_s * 1e3) + format_number(" - %.3f ms", c.high_s * 1e3),
                     covered(c) ? "yes" : range_side(c),
                     format_number("%+.1f%%", error_percent(c)),
                     std::string(regime_name(c.regime))});
  }
  write_columns(out, cells, 5, 10);
  for (const auto& line : skipped) out << line << '\n';
  // What the columns mean, and how the runs were timed (the prediction simulates the same).
  std::size_t pipelined = 0;
  for (const auto& c : cmp) pipelined += c.ok && c.run.measure == Measure::pipelined;
  const std::size_t shown = cells.size() - 1;
  out << "error: (predicted - measured) / measured, + where fwtax predicts slower; regime: what fwtax predicts "
         "binds; inside: whether measured lies in the predicted 10-90% range (else below or above it); measured: "
      << (pipelined == shown ? "the mean of calls issued back to back (pipelined), as the dataset timed them"
          : pipelined == 0   ? "the median of synchronized calls, as the dataset timed them"
                             : "synchronized medians or pipelined means, as each dataset timed them")
      << '\n';
  out << "\n" << summary["configs"].get<std::size_t>() << " configurations: MAPE "
      << pct(summary["mape_percent"].get<double>()) << ", median APE " << pct(summary["median_ape_percent"].get<double>());
  if (summary["skipped"].get<std::size_t>()) out << ", " << summary["skipped"].get<std::size_t>() << " skipped";
  out << '\n';
  if (!profile_note.empty()) out << profile_note << '\n';  // with --run cpu: which CPU, calibrated how
  if (summary.contains("baselines"))
    out << "baselines: roofline (no host) MAPE " << pct(summary["baselines"]["roofline"]["mape_percent"].get<double>())
        << ", FLOPs-proportional MAPE " << pct(summary["baselines"]["flops_proportional"]["mape_percent"].get<double>())
        << '\n';
  const Json& cov = summary["coverage_percent"];
  auto share = [](const Json& v) { return v.is_null() ? std::string("-") : pct(v.get<double>()); };
  // GPU-bound runs by what binds their kernels: the ranges take a band for each (data/ranges.json).
  auto regime = [&](const char* r) {
    const Json& g = summary["regimes"];
    return g.contains(r) && g[r].contains("coverage_percent") ? share(g[r]["coverage_percent"]) : std::string("-");
  };
  out << "inside the predicted 10-90% range: " << share(cov["all"]) << " of the runs (framework-bound "
      << share(cov["framework"]) << ", GPU-bound " << share(cov["gpu"]) << ": compute-bound " << regime("compute")
      << ", memory-bound " << regime("memory") << ")\n";
  if (!cov["framework"].is_null())
    out << "(a range is as wide as what varies: where the host binds, host speed across machines and sessions, so a "
           "run inside it can still be far from the prediction; its error says how far)\n";
  if (const Json& inv = summary["batch_inversions"]; !inv.empty()) {
    out << inv.size() << " run(s) took over 20% less time than the same configuration at a smaller batch (noise or "
           "drift while measuring, or a library switching kernels; their errors say little about the model):";
    for (std::size_t i = 0; i < inv.size() && i < 4; ++i)
      out << (i ? ";" : "") << " " << inv[i]["model"].get<std::string>() << " " << inv[i]["device"].get<std::string>()
          << " " << inv[i].value("framework", std::string()) << " " << inv[i]["dtype"].get<std::string>() << " batch " << inv[i]["batch"].get<long long>() << " "
          << format_number("%.3g", inv[i]["measured_s"].get<double>() * 1e3) << " ms < batch "
          << inv[i]["smaller_batch"].get<long long>() << " "
          << format_number("%.3g", inv[i]["smaller_batch_measured_s"].get<double>() * 1e3) << " ms";
    out << (inv.size() > 4 ? "; ... (--format json lists them all)\n" : "\n");
  }
  std::vector<std::pair<std::string, const Json*>> groups;
  for (auto it = summary["regimes"].begin(); it != summary["regimes"].end(); ++it)
    groups.push_back({"regime " + it.key(), &it.value()});
  for (auto it = summary["groups"].begin(); it != summary["groups"].end(); ++it) groups.push_back({it.key(), &it.value()});
  int name_w = 0;
  for (const auto& [name, g] : groups) name_w = std::max(name_w, static_cast<int>(name.size()));
  char line[320];
  for (const auto& [name, g] : groups) {
    std::snprintf(line, sizeof line,
                  "  %-*s %4zu configs  MAPE %6.1f%%  median %6.1f%%  in range %5.1f%%   roofline %6.1f%%  flops %6.1f%%\n",
                  name_w, name.c_str(), (*g)["configs"].get<std::size_t>(), (*g)["mape_percent"].get<double>(),
                  (*g)["median_ape_percent"].get<double>(), (*g)["coverage_percent"].get<double>(),
                  (*g)["baseline_roofline"]["mape_percent"].get<double>(), (*g)["baseline_flops"]["mape_percent"].get<double>());
    out << line;
  }
  return 0;
}

}  // namespace fwtax::cli
