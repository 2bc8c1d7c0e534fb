#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "calibrate/fit.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"

namespace fwtax::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"--target", true, "cpu (libtorch on this CPU) or cuda (CUDA runtime and cuBLAS on GPU 0)", "T"},
    {"--quick", false, "fewer sizes and repetitions: about a minute on 2 cores", ""},
    {"--out", true, "write the profile here (default: fwtax-<target>.json)", "FILE"},
    {"--name", true, "the device name in the profile (default: this-cpu / this-gpu)", "NAME"},
    {"--merge", true, "fold measurements from calibrate/python_dispatch.py into the profile", "FILES"},
    {"--from", true, "fit a probe output saved earlier instead of measuring now", "FILE"},
    {"--host", true, "for --target cuda: the host profile to pair the GPU with (default h100-vm-a)", "NAME"},
    {"--quiet", false, "no progress and no summary", ""},
    {"--help", false, "this help", ""},
};

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

}  // namespace

Json measure_cpu_profile(bool quick, bool quiet, std::vector<std::string>* warnings) {
  std::vector<std::string> args;
  if (quick) args.push_back("--quick");
  if (!quiet && isatty(2)) args.push_back("--progress");
  Json mb = run_probe("fwtax-probe-torch", args, "cpu");
  FitResult fit = fit_cpu_microbench(mb, "fwtax-probe-torch", "this-cpu");
  fit.profile["calibration"]["raw"] = mb;
  if (warnings) *warnings = fit.warnings;
  return fit.profile;
}

int cmd_calibrate(const std::vector<std::string>& argv, std::ostream& out) {
  Args a(argv, kFlags);
  if (a.has("--help")) {
    out << usage_of("Usage: fwtax calibrate --target cpu|cuda [options]\n\nMeasures this machine and writes a device "
                    "profile with the frameworks measured on it; simulate, project and validate read it with "
                    "--device FILE.",
                    kFlags);
    return 0;
  }
  if (!a.positional().empty()) throw InputError(a.positional().front(), "", "unexpected argument (see --help)");
  std::string target = a.get_or("--target", "");
  if (target != "cpu" && target != "cuda") throw InputError("--target", "", "expected cpu or cuda, got \"" + target + "\"");
  bool quiet = a.has("--quiet"), tty = isatty(2);
  std::string name = a.get_or("--name", target == "cpu" ? "this-cpu" : "this-gpu");
  std::string out_file = a.get_or("--out", "fwtax-" + target + ".json");
  Json mb;
  std::string source;
  if (auto from = a.get("--from")) {
    mb = load_json_file(*from);
    source = *from;
  } else {
    std::vector<std::string> args;
    if (a.has("--quick")) args.push_back("--quick");
    if (!quiet && tty && target == "cpu") args.push_back("--progress");
    if (!quiet) std::cerr << "fwtax calibrate: measuring " << (target == "cpu" ? "libtorch on the CPU" : "GPU 0")
                          << (a.has("--quick") ? " (quick)" : "") << "...\n";
    mb = run_probe(target == "cpu" ? "fwtax-probe-torch" : "fwtax-probe-cuda", args, target);
    source = target == "cpu" ? "fwtax-probe-torch" : "fwtax-probe-cuda";
  }
  FitResult fit = target == "cpu" ? fit_cpu_microbench(mb, source, name)
                                  : fit_cuda_microbench(mb, source, name, a.get_or("--host", "h100-vm-a"));
  if (auto merge = a.get("--merge"))
    for (const auto& f : split_list("--merge", *merge))
      merge_python_dispatch(fit.profile, load_json_file(f), f, Catalog::builtin().framework("pytorch-eager"),
                            fit.warnings);
  fit.profile["calibration"]["raw"] = mb;
  fit.profile["calibration"]["warnings"] = fit.warnings;
  // The profile must load like any other: a bad one is an error here, not later.
  Diagnostics check(out_file);
  parse_device(fit.profile, check);
  check.throw_if_any();
  std::ofstream f(out_file);
  if (!f) throw InputError(out_file, "", "cannot open the file for writing (--out)");
  f << fit.profile.dump(1) << '\n';
  if (!quiet) {
    const Json& p = fit.profile;
    char line[200];
    std::snprintf(line, sizeof line, "wrote %s: %s\n  peak fp32 %.1f GFLOP/s (best GEMM), memory %.1f GB/s\n",
                  out_file.c_str(), p["description"].get<std::string>().c_str(),
                  p["peak_flops_per_s"]["fp32_simt"].get<double>() / 1e9,
                  p["memory"]["bandwidth_bytes_per_s"].get<double>() / 1e9);
    out << line;
    if (p.contains("frameworks"))
      for (auto it = p["frameworks"].begin(); it != p["frameworks"].end(); ++it) {
        const Json& c = it.value()["op_host_s"];
        std::snprintf(line, sizeof line, "  %s: add %.2f us, linear %.2f us, conv %.2f us, view %.2f us per op\n",
                      it.key().c_str(), c["elementwise"].get<double>() * 1e6, c["linear"].get<double>() * 1e6,
                      c["conv"].get<double>() * 1e6, c["view"].get<double>() * 1e6);
        out << line;
      }
    for (const auto& w : fit.warnings) out << "  warning: " << w << '\n';
  }
  return 0;
}

}  // namespace fwtax::cli
