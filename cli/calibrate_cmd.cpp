#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "calibrate/fit.hpp"
#include "calibrate/runs_fit.hpp"
#include "calibrate/torch/probe_epochs.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"
#include "simulate/report.hpp"
#include "simulate/sweep.hpp"
#include "validate/compare.hpp"
#include "validate/measured.hpp"
#include "validate/runner.hpp"

namespace fwtax::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"--target", true, "cpu (libtorch on this CPU), cuda (CUDA runtime and cuBLAS on GPU 0), host (a host's "
                       "speed fitted to measured runs, --runs, or from its Python dispatch probe, --merge) or ranges (fit the spread of predictions' 10-90% "
                       "ranges to measured runs, --runs)", "T"},
    {"--runs", true, "with --target host or ranges: measured runs (as for validate --measured) to fit to; FILE=DEVICE predicts that file's runs on DEVICE", "FILES"},
    {"--kernel-runs", true, "with --target ranges: add these runs' GPU-bound ones on calibrated devices to the "
                            "calibrated kernel spread (FILE=DEVICE: predicted on DEVICE)", "FILES"},
    {"--probed-runs", true, "with --target ranges: runs of machines whose device's host was measured by its "
                            "probe on that machine (FILE=DEVICE): their framework-bound spread becomes "
                            "host_time_probed, the host side of hosts made by --target host --merge", "FILES"},
    {"--projected-runs", true, "with --target ranges: fit the kernel spread of projected devices (efficiency.like) "
                               "to these runs instead", "FILES"},
    {"--model", true, "with --target host: only runs of these models (say which the fit used)", "LIST"},
    {"--device", true, "with --target host or ranges: the device the runs were measured on (default: from the files)", "D"},
    {"--measure", true, "with --target host or ranges: sync (default) or pipelined, for runs.json files", "MODE"},
    {"--cpu", true, "with --target host: the host's CPU model, when known", "TEXT"},
    {"--fit", true, "with --target host --runs: all (default: every host cost scales, for a machine known only by "
                    "its runs), python (the Python side alone, module calls and each op's Python, keeping the "
                    "dispatch speed of the device's host: for runs of the machine whose probe measured that host) "
                    "or both (dispatch and Python apart: from runs of models with more and less Python)",
     "all|python|both"},
    {"--quick", false, "fewer sizes and repetitions: 15-25 s on 2 cores", ""},
    {"--rounds", true, "with --target cpu: measure in N rounds, each a share of the repetitions, and keep each "
                       "measurement's fastest round (for a shared VM whose speed moves every few seconds; "
                       "validate --run cpu does this; default 1)", "N"},
    {"--out", true, "write the profile here (default: fwtax-<target>.json; a host: <--name>.json, else fitted-host.json)", "FILE"},
    {"--name", true, "the device (host) name in the profile (default: this-cpu / this-gpu; a host: --out's file name, else fitted-host)", "NAME"},
    {"--merge", true, "fold measurements into the profile: calibrate/python_dispatch.py's output, or (--target cuda) one file of validate/gpu/graph_check.py's real-model graph replays (it has `cases`), which gives the gap between dependent kernels; with --target host and no --runs, a host profile from one python_dispatch.py --device cuda output alone (its ops' time over h100-vm-a's; its Python fitted to its in-model item where it has one)", "FILES"},
    {"--from", true, "fit a probe output saved earlier instead of measuring now", "FILE"},
    {"--host", true, "for --target cuda: the host profile to pair the GPU with (default: this machine's host, its "
                     "speed measured by libtorch's dispatch on the GPU when fwtax has a CUDA libtorch; else h100-vm-a); "
                     "for --target host --runs: the host the fit scales (default: the device's; e.g. one made by "
                     "--merge from the same machine's probe, whose dispatch speed --fit python keeps)",
     "NAME"},
    {"--quiet", false, "no progress and no summary", ""},
    {"--help", false, "this help", ""},
};

// Options that only some targets read: given to another, they would be silently ignored (a fit the
// user thinks took --model bert-base, say), so they are refused.
void refuse_other_targets(const Args& a, const std::string& target) {
  static const std::vector<std::pair<const char*, std::vector<std::string>>> kTargetsOf = {
      {"--model", {"host"}},          {"--device", {"host", "ranges"}}, {"--cpu", {"host"}},
      {"--fit", {"host"}},            {"--kernel-runs", {"ranges"}},  {"--probed-runs", {"ranges"}},
      {"--projected-runs", {"ranges"}}, {"--runs", {"host", "ranges"}}, {"--measure", {"host", "ranges"}},
      {"--quick", {"cpu", "cuda"}},   {"--rounds", {"cpu"}},          {"--from", {"cpu", "cuda"}},
      {"--host", {"cuda", "host"}},   {"--merge", {"cpu", "cuda", "host"}},
  };
  for (const auto& [flag, targets] : kTargetsOf) {
    if (!a.has(flag) || std::find(targets.begin(), targets.end(), target) != targets.end()) continue;
    std::string which;
    for (std::size_t i = 0; i < targets.size(); ++i)
      which += (i == 0 ? "" : i + 1 == targets.size() ? " or " : ", ") + targets[i];
    throw InputError(flag, "", "not used with --target " + target + ": it is for --target " + which);
  }
}

std::filesystem::path self_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : p.parent_path();
}

// Runs a probe next to the fwtax binary and returns its JSON output.
Json run_probe(const std::string& exe, const std::vector<std::string>& args, const std::string& target) {
  std::filesystem::path path = self_dir() / exe;
  if (!std::filesystem::exists(path))
    throw InputError("--target " + target, "",
                     "this fwtax was built without " + std::string(target == "cpu" ? "libtorch" : "the CUDA toolkit") +
                         " (" + exe + " is missing next to fwtax): install " +
                         (target == "cpu" ? "libtorch-dev and libopenblas0-pthread" : "the CUDA Toolkit") +
                         " and rebuild (./setup.sh)");
  std::string cmd = path.string();
  for (const auto& a : args) cmd += " " + a;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot start " + cmd);
  std::string out;
  char buf[1 << 14];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  if (code == 2)
    throw InputError("--target " + target, "", "the probe found no usable " +
                                                   std::string(target == "cpu" ? "CPU backend" : "CUDA GPU") +
                                                   " on this machine (see its message above)");
  if (code != 0) throw std::runtime_error(exe + " failed with exit status " + std::to_string(code));
  return parse_json(out, exe + " output");
}

// --target cuda: libtorch's dispatch on CUDA tensors, when this fwtax has a libtorch that can run on the
// GPU (fwtax-probe-torch --device cuda); kept in the probe output as /torch_dispatch.
void add_torch_dispatch(Json& mb, std::vector<std::string> args, bool quiet) {
  if (!std::filesystem::exists(self_dir() / "fwtax-probe-torch")) {
    if (!quiet) std::cerr << "fwtax calibrate: no fwtax-probe-torch (built without libtorch): the host keeps --host\n";
    return;
  }
  args.push_back("--device cuda");
  try {
    if (!quiet) std::cerr << "fwtax calibrate: measuring libtorch dispatch on CUDA tensors...\n";
    mb["torch_dispatch"] = run_probe("fwtax-probe-torch", args, "cuda");
  } catch (const InputError&) {
    if (!quiet) std::cerr << "fwtax calibrate: this libtorch cannot use the GPU: the host keeps --host\n";
  }
}

// The measured runs a list option names (as validate --measured reads them); an item FILE=DEVICE
// predicts that file's runs on DEVICE (a calibrated profile of the GPU they ran on) instead of --device.
std::vector<MeasuredRun> runs_listed(const Args& a, const std::string& flag, Measure measure) {
  std::vector<MeasuredRun> runs;
  for (const auto& item : split_list(flag, *a.get(flag))) {
    std::string file = item, device = a.get_or("--device", "");
    if (auto eq = item.rfind('='); eq != std::string::npos) {
      file = item.substr(0, eq);
      device = item.substr(eq + 1);
      if (file.empty() || device.empty())
        throw InputError(flag, "", "expected FILE or FILE=DEVICE, got \"" + item + "\"");
    }
    auto more = read_measured_file(file, device, measure);
    runs.insert(runs.end(), more.begin(), more.end());
  }
  return runs;
}

// --target host: the relative_time of the host that ran measured runs, fitted through the simulator.
// The measured runs named by --runs.
std::vector<MeasuredRun> runs_of(const Args& a, const char* target) {
  if (!a.get("--runs"))
    throw InputError(std::string("--target ") + target, "", std::string("expected --runs FILES: the measured runs to fit to") + (std::string(target) == "host" ? " (or --merge FILE: a host from calibrate/python_dispatch.py --device cuda output)" : ""));
  std::string m = a.get_or("--measure", "sync");
  if (m != "sync" && m != "pipelined") throw InputError("--measure", "", "expected sync or pipelined, got \"" + m + "\"");
  return runs_listed(a, "--runs", m == "pipelined" ? Measure::pipelined : Measure::sync);
}

// --target ranges: the spread of measured over predicted time that every prediction's 10-90% range
// uses (data/ranges.json is this, fitted to the shared H100 and H200 runs).
int calibrate_ranges(const Args& a, std::ostream& out) {
  RangeRuns in;
  in.runs = runs_of(a, "ranges");
  FittedRanges labels;
  labels.name = a.get_or("--name", "ranges");
  labels.runs_label = *a.get("--runs");
  if (auto more = a.get("--kernel-runs")) {
    labels.kernel_label = *more;
    in.kernel = runs_listed(a, "--kernel-runs", Measure::sync);
  }
  if (auto more = a.get("--probed-runs")) {
    labels.probed_label = *more;
    in.probed = runs_listed(a, "--probed-runs", Measure::sync);
  }
  if (auto more = a.get("--projected-runs")) {
    labels.projected_label = *more;
    in.projected = runs_listed(a, "--projected-runs", Measure::sync);
  }
  const FittedRanges fitted = fit_ranges(in, Catalog::builtin(), labels);
  const SpreadFit& fit = fitted.fit;
  Json j = fitted.to_json();
  Diagnostics check("--out");
  parse_spread(j, check);
  check.throw_if_any();
  std::string out_file = a.get_or("--out", "ranges.json");
  std::ofstream f(out_file);
  if (!f) throw InputError(out_file, "", "cannot open the file for writing (--out)");
  f << j.dump(1) << '\n';
  if (!a.has("--quiet")) {
    auto band = [](double lo, double hi) { return "x" + format_number("%.2f", lo) + "-" + format_number("%.2f", hi); };
    out << "wrote " << out_file << ": host time " << band(fit.spread.host_low, fit.spread.host_high) << " ("
        << fit.host_runs << " framework-bound runs); kernel time where compute binds "
        << band(fit.spread.kernel_low, fit.spread.kernel_high) << " (" << fit.kernel_runs
        << " runs on calibrated devices), " << band(fit.spread.projected_low, fit.spread.projected_high) << " ("
        << fit.projected_runs << " on projected devices); where memory binds "
        << band(fit.spread.kernel_memory_low, fit.spread.kernel_memory_high) << " (" << fit.kernel_memory_runs << "), "
        << band(fit.spread.projected_memory_low, fit.spread.projected_memory_high) << " ("
        << fit.projected_memory_runs << ")";
    if (fit.probed_runs > 0)
      out << ", on a host measured by its own probe " << band(fit.spread.probed_low, fit.spread.probed_high) << " ("
          << fit.probed_runs << " framework-bound runs)";
    out << '\n';
  }
  for (const auto& w : fitted.warnings) out << "  warning: " << w << '\n';
  return 0;
}

// The host's default name: the --out file's (hosts are told apart by name in every row), else
// fitted-host.
std::string host_name(const Args& a) {
  std::string name = a.get_or("--name", a.has("--out") ? std::filesystem::path(a.get_or("--out", "")).stem().string()
                                                       : std::string("fitted-host"));
  return name.empty() ? "fitted-host" : name;
}

// --target host --merge FILE without --runs: a host from its Python dispatch probe alone.
int calibrate_host_from_probe(const Args& a, std::ostream& out) {
  for (const char* flag : {"--model", "--device", "--measure", "--fit", "--host"})  // --quick, --from: refuse_other_targets
    if (a.has(flag))
      throw InputError(flag, "", "not used with --target host --merge (a host from its probe alone); fitting to "
                                 "runs takes --runs");
  std::vector<std::string> files = split_list("--merge", *a.get("--merge"));
  if (files.size() != 1)
    throw InputError("--merge", "", "expected one file of calibrate/python_dispatch.py --device cuda output with --target host");
  std::vector<std::string> warnings;
  const LatencySpread spread = builtin_spread(Catalog::builtin());
  const Json py = load_json_file(files[0]);
  ProbedHost p = host_from_python_dispatch(py, files[0], *Catalog::builtin().builtin_json("hosts/h100-vm-a.json"),
                                           host_name(a), warnings, spread.probed_low, spread.probed_high);
  if (auto cpu = a.get("--cpu")) p.host.cpu = *cpu;
  // Its in-model probe, predicted on the reference host's GPU (h100-vm-a is h100's host).
  const std::vector<MeasuredRun> model_runs = probe_model_runs(py, files[0], "h100");
  const double module_python = p.host.python_time();
  if (!model_runs.empty()) p.fit["models"] = fit_python_to_probe_models(p.host, model_runs, Catalog::builtin(), warnings);
  const Json h = p.to_json();
  Diagnostics check("--out");
  parse_host(h, check);
  check.throw_if_any();
  std::string out_file = a.get_or("--out", p.host.name + ".json");
  std::ofstream f(out_file);
  if (!f) throw InputError(out_file, "", "cannot open the file for writing (--out)");
  f << h.dump(1) << '\n';
  if (!a.has("--quiet")) {
    out << "wrote " << out_file << ": relative_time " << format_number("%.3f", p.host.relative_time);
    if (p.host.python_relative_time > 0)
      out << ", python_relative_time " << format_number("%.3f", p.host.python_relative_time);
    std::size_t modules = 0;
    const Json& ratios = p.fit["python_dispatch_over_reference"];
    for (const auto& [op, v] : ratios.items()) modules += op.ends_with("_module");
    out << " (against h100-vm-a, from " << ratios.size() - modules << " ops and " << modules
        << " module call(s) both measured)\n";
    const Json models = p.fit.value("models", Json::object());
    for (const auto& [name, m] : models.items())
      out << "  in-model probe " << name << ": " << format_number("%.3g", m["measured_s"].get<double>() * 1e3)
          << " ms a forward, predicted " << format_number("%.3g", m["predicted_s_probe_python"].get<double>() * 1e3)
          << " ms at the nn.Module call's Python speed (" << format_number("%.3f", module_python)
          << "): python_relative_time " << format_number("%.3f", p.host.python_relative_time) << "\n";
    if (p.host.has_spread())
      out << "  its ranges: host time x" << format_number("%.2f", p.host.spread_low) << "-"
          << format_number("%.2f", p.host.spread_high)
          << " (data/ranges.json's spread for a host measured by its own probe)\n";
    for (const auto& w : warnings) out << "  warning: " << w << '\n';
  }
  return 0;
}

int calibrate_host(const Args& a, std::ostream& out) {
  if (a.has("--merge") && a.has("--runs"))
    throw InputError("--merge", "", "either --runs (fit the host to measured runs) or --merge (the host from its "
                                    "Python dispatch probe), not both");
  if (a.has("--merge")) return calibrate_host_from_probe(a, out);
  const std::string fit_what = a.get_or("--fit", "all");
  if (fit_what != "all" && fit_what != "python" && fit_what != "both")
    throw InputError("--fit", fit_what, "expected all (every host cost), python (the Python side alone) or both "
                                        "(dispatch and Python apart)");
  std::optional<HostSpec> from;  // read before the runs: a mistyped host is reported first
  if (auto v = a.get("--host")) from = Catalog::builtin().host(one_host(*v, "calibrate"));
  std::vector<MeasuredRun> runs = runs_of(a, "host");
  auto files = a.get("--runs");
  std::vector<std::string> models;
  if (auto v = a.get("--model")) models = split_list("--model", *v);
  std::erase_if(runs, [&](const MeasuredRun& r) {
    return !models.empty() && std::find(models.begin(), models.end(), r.model) == models.end();
  });
  if (runs.empty())
    throw InputError(*files, "", models.empty() ? "no runs in the files" : "no runs of --model " + a.get_or("--model", "") + " in the files");
  HostFitRequest request;
  request.name = host_name(a);
  request.cpu = a.get_or("--cpu", "");
  request.runs_label = *files;
  request.models_named = !models.empty();
  request.device_named = a.has("--device");
  request.speed = fit_what == "python" ? HostFitSpeed::python
                  : fit_what == "both" ? HostFitSpeed::both
                                       : HostFitSpeed::all;
  request.from = from;
  const FittedHost fitted = fit_host(runs, Catalog::builtin(), request);
  Json h = fitted.to_json();
  Diagnostics check("--out");
  parse_host(h, check);
  check.throw_if_any();
  std::string out_file = a.get_or("--out", fitted.host.name + ".json");
  std::ofstream f(out_file);
  if (!f) throw InputError(out_file, "", "cannot open the file for writing (--out)");
  f << h.dump(1) << '\n';
  if (!a.has("--quiet")) {
    const HostFit& fit = fitted.fit;
    const std::string speed = std::fabs(fit.host_x - 1) < 0.005 ? std::string("as fast as")
                              : format_number("%.2fx", fit.host_x >= 1 ? fit.host_x : 1 / fit.host_x) +
                                    (fit.host_x >= 1 ? " faster than" : " slower than");
    // Built as a string: the file and the model list can be any length.
    if (request.speed == HostFitSpeed::both)
      out << "wrote " << out_file << ": relative_time " << format_number("%.3f", fitted.host.relative_time)
          << ", python_relative_time " << format_number("%.3f", fitted.host.python_relative_time)
          << " (dispatch and Python against the reference host), ";
    else if (request.speed == HostFitSpeed::python)
      out << "wrote " << out_file << ": python_relative_time " << format_number("%.3f", fitted.host.python_relative_time)
          << " against the reference host (its Python " << speed << ' ' << fitted.scaled_from
          << "'s; dispatch kept, relative_time " << format_number("%.3f", fitted.host.relative_time) << "), ";
    else
      out << "wrote " << out_file << ": relative_time " << format_number("%.3f", fitted.host.relative_time)
          << " against the reference host (this host " << speed << ' ' << fitted.scaled_from << "), ";
    out << fit.runs << " runs of " << fitted.models << " on " << fitted.device
        << (request.device_named || files->find('=') != std::string::npos ? "" : " (the runs' device; --device names another)") << ": MAPE "
        << format_number("%.1f", fit.mape_before_percent) << "% -> " << format_number("%.1f", fit.mape_after_percent)
        << "%\n";
    if (fitted.host.has_spread())
      out << "  host side of " << fitted.models << "'s ranges on it: x" << format_number("%.2f", fitted.host.spread_low)
          << "-" << format_number("%.2f", fitted.host.spread_high)
          << ", 10-90% of measured over predicted time over the " << fitted.fit.framework_bound_ratios.size()
          << " runs predicted framework-bound (other models keep data/ranges.json's)\n";
    else
      out << "  its ranges keep data/ranges.json's host side: " << fitted.fit.framework_bound_ratios.size()
          << " runs predicted framework-bound, a spread of its own needs " << kMinSpreadRuns << "\n";
    for (const auto& w : fitted.warnings) out << "  warning: " << w << '\n';
  }
  return 0;
}

}  // namespace

Json probe_cpu(bool quick, int epochs, bool quiet) {
  std::vector<std::string> args;
  if (quick) args.push_back("--quick");
  if (epochs > 0) args.push_back("--epochs " + std::to_string(epochs));
  if (!quiet && isatty(2)) args.push_back("--progress");
  return run_probe("fwtax-probe-torch", args, "cpu");
}

Json merge_probe_rounds(const std::vector<Json>& probes) {
  Json merged = merge_rounds(probes);
  merged["env"]["rounds"] = probes.size();
  return merged;
}

Json fit_cpu_profile(const Json& mb, const std::string& source, std::vector<std::string>* warnings) {
  FitResult fit = fit_cpu_microbench(mb, source, "this-cpu");
  fit.profile.calibration["raw"] = mb;
  if (warnings) *warnings = fit.warnings;
  return fit.profile.to_json();
}

int cmd_calibrate(const std::vector<std::string>& argv, std::ostream& out) {
  Args a(argv, kFlags);
  if (a.has("--help")) {
    out << usage_of("Usage: fwtax calibrate --target cpu|cuda|host|ranges [options]\n\nMeasures this machine and writes a "
                    "device profile with the frameworks measured on it; simulate, project and validate read it with "
                    "--device FILE. With --target host it writes a host profile instead: how fast the host of measured "
                    "runs dispatches (its relative_time, fitted to --runs), or, from a GPU machine's "
                    "calibrate/python_dispatch.py --device cuda output (--merge, no runs), how fast that machine "
                    "dispatches against the reference host, and, where the probe timed a real model's forward (its "
                    "models section), how fast it runs that model's Python.",
                    kFlags);
    return 0;
  }
  if (!a.positional().empty()) throw InputError(a.positional().front(), "", "unexpected argument (see --help)");
  if (!a.has("--target")) throw InputError("--target", "", "missing: give --target cpu, cuda, host or ranges (see --help)");
  std::string target = a.get_or("--target", "");
  if (target == "cpu" || target == "cuda" || target == "host" || target == "ranges") refuse_other_targets(a, target);
  if (target == "host") return calibrate_host(a, out);
  if (target == "ranges") return calibrate_ranges(a, out);
  if (target != "cpu" && target != "cuda")
    throw InputError("--target", "", "expected cpu, cuda, host or ranges, got \"" + target + "\"");
  bool quiet = a.has("--quiet"), tty = isatty(2);
  std::string name = a.get_or("--name", target == "cpu" ? "this-cpu" : "this-gpu");
  std::string out_file = a.get_or("--out", "fwtax-" + target + ".json");
  // A missing folder is found before the measurements, not after them.
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::path(out_file).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec))
    throw InputError(out_file, "", "its folder does not exist (--out); nothing was measured");
  const int rounds = a.has("--rounds") ? static_cast<int>(parse_int("--rounds", *a.get("--rounds"), 1, 20)) : 1;
  if (rounds > 1 && (target != "cpu" || a.has("--from")))
    throw InputError("--rounds", "", "measures this CPU in rounds: give it with --target cpu and without --from");
  Json mb;
  std::string source;
  if (auto from = a.get("--from")) {
    mb = load_json_file(*from);
    source = *from;
  } else if (target == "cpu" && rounds > 1) {
    if (!quiet) std::cerr << "fwtax calibrate: measuring libtorch on the CPU" << (a.has("--quick") ? " (quick)" : "")
                          << " in " << rounds << " rounds...\n";
    const int epochs = fwtax::probe::epochs_per_round(a.has("--quick"), rounds);
    std::vector<Json> each;
    for (int r = 0; r < rounds; ++r) each.push_back(probe_cpu(a.has("--quick"), epochs, quiet));
    mb = merge_probe_rounds(each);
    source = "fwtax-probe-torch, " + std::to_string(rounds) + " rounds of " + std::to_string(epochs) +
             " epochs, each measurement's fastest round";
  } else {
    std::vector<std::string> args;
    if (a.has("--quick")) args.push_back("--quick");
    if (!quiet && tty) args.push_back("--progress");
    if (!quiet) std::cerr << "fwtax calibrate: measuring " << (target == "cpu" ? "libtorch on the CPU" : "GPU 0")
                          << (a.has("--quick") ? " (quick)" : "") << "...\n";
    mb = run_probe(target == "cpu" ? "fwtax-probe-torch" : "fwtax-probe-cuda", args, target);
    source = target == "cpu" ? "fwtax-probe-torch" : "fwtax-probe-cuda";
    if (target == "cuda") add_torch_dispatch(mb, args, quiet);
  }
  // A host named with --host keeps that host; otherwise a measured libtorch dispatch gives this one's.
  const Json* reference = a.has("--host") ? nullptr : Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  FitResult fit = target == "cpu" ? fit_cpu_microbench(mb, source, name)
                                  : fit_cuda_microbench(mb, source, name, a.get_or("--host", "h100-vm-a"), reference);
  if (auto merge = a.get("--merge"))
    for (const auto& f : split_list("--merge", *merge)) {
      Json m = load_json_file(f);
      if (m.is_object() && m.contains("cases"))  // validate/gpu/graph_check.py's replays
        merge_graph_replays(fit.profile, m, f, fit.warnings);
      else
        merge_python_dispatch(fit.profile, m, f, Catalog::builtin().framework("pytorch-eager"), fit.warnings,
                              reference);
    }
  // A host this calibration measured (its libtorch dispatch) is a probed host, with a probed host's spread.
  if (reference && !fit.profile.device.host_profile.empty()) {
    const LatencySpread spread = builtin_spread(Catalog::builtin());
    set_probed_spread(fit.profile.device.host_profile.front(), spread.probed_low, spread.probed_high);
  }
  fit.profile.calibration["raw"] = mb;
  fit.profile.calibration["warnings"] = fit.warnings;
  const Json written = fit.profile.to_json();
  // The profile must load like any other: a bad one is an error here, not later.
  Diagnostics check(out_file);
  parse_device(written, check);
  check.throw_if_any();
  std::ofstream f(out_file);
  if (!f) throw InputError(out_file, "", "cannot open the file for writing (--out)");
  f << written.dump(1) << '\n';
  if (!quiet) {
    const DeviceSpec& d = fit.profile.device;
    auto peak = [&](Math m) { return d.peak_flops_per_s[static_cast<int>(m)]; };
    char line[200];  // fixed-length lines; the file and names of any length go through strings
    out << "wrote " << out_file << ": " << d.description << '\n';
    std::snprintf(line, sizeof line, "  peak fp32 %.1f GFLOP/s (%s), memory %.1f GB/s\n", peak(Math::fp32_simt) / 1e9,
                  target == "cpu" ? "best GEMM or oneDNN convolution" : "best cuBLAS GEMM",
                  d.memory_bandwidth_bytes_per_s / 1e9);
    out << line;
    if (peak(Math::fp16_tensor) > 0) {
      std::snprintf(line, sizeof line, "  peak fp16 tensor %.1f TFLOP/s, launch %.2f us, empty kernel in a graph %.2f us\n",
                    peak(Math::fp16_tensor) / 1e12, d.launch_host_s * 1e6, d.kernel_min_s * 1e6);
      out << line;
      std::snprintf(line, sizeof line, "  gap between dependent kernels %.2f us (%s)\n", d.graph_kernel_gap_s * 1e6,
                    fit.profile.calibration.contains("graph_replays") ? "real models' graph replays"
                                                                      : "the probe's graph of small kernels");
      out << line;
    }
    for (const FrameworkSpec& fw : d.frameworks) {
      auto cost = [&](OpClass c) { return fw.op_host_s[static_cast<int>(c)] * 1e6; };
      std::snprintf(line, sizeof line, ": add %.2f us, linear %.2f us, conv %.2f us, view %.2f us per op\n",
                    cost(OpClass::elementwise), cost(OpClass::linear), cost(OpClass::conv), cost(OpClass::view));
      out << "  " << fw.name << line;
    }
    if (!d.host_profile.empty() && d.kind == DeviceKind::gpu) {
      out << "  host " << d.host_profile.front().name << ": dispatch takes "
          << format_number("%.2f", d.host_profile.front().relative_time) << "x the reference host's ("
          << (fit.profile.host_fit.is_object() ? string_member(fit.profile.host_fit, "reference", "") : "") << ")\n";
    }
    for (const auto& w : fit.warnings) out << "  warning: " << w << '\n';
  }
  return 0;
}

}  // namespace fwtax::cli
