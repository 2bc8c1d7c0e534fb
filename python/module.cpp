// The fwtax Python module: the CLI's commands as functions that take its options as keyword
// arguments and return its JSON rows as Python objects. The commands run in process through the same
// library functions as `fwtax <command> --format json` (cli/), so rows and messages are the CLI's.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "model/error.hpp"

namespace py = pybind11;

namespace {

using Command = std::function<int(const std::vector<std::string>&, std::ostream&, std::ostream&)>;

// Files written for captured workloads passed as model=, removed when the call returns.
struct TempFiles {
  std::vector<std::filesystem::path> paths;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths) std::filesystem::remove(p, ec);
  }
};

// One value of a keyword argument as the CLI writes it: a capture (anything with a save(path)
// method, e.g. what fwtax.capture returns) becomes a JSON file of its workload.
std::string option_text(const py::handle& v, TempFiles& temps) {
  if (py::hasattr(v, "save") && py::hasattr(v, "to_json")) {
    static std::atomic<int> counter{0};
    auto path = std::filesystem::temp_directory_path() /
                ("fwtax-capture-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".json");
    v.attr("save")(path.string());
    temps.paths.push_back(path);
    return path.string();
  }
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  return py::str(v).cast<std::string>();
}

// model="bert-base", batch=[1, 8], host_x=2, breakdown=True -> --model bert-base --batch 1,8 --host-x 2 --breakdown
std::vector<std::string> kwargs_to_args(const py::kwargs& kw, TempFiles& temps) {
  std::vector<std::string> args;
  for (auto [key, value] : kw) {
    std::string name = key.cast<std::string>();
    for (char& c : name)
      if (c == '_') c = '-';
    if (name == "format")
      throw fwtax::InputError("format", "", "the Python functions return the rows themselves (the CLI's --format json)");
    if (name == "help")
      throw fwtax::InputError("help", "", "not an option here: help(fwtax.simulate) or `fwtax <command> --help` lists the options");
    if (value.is_none() || (py::isinstance<py::bool_>(value) && !value.cast<bool>())) continue;
    args.push_back("--" + name);
    if (py::isinstance<py::bool_>(value)) continue;  // a flag such as breakdown=True
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
      std::string joined;
      for (auto item : value) {
        if (!joined.empty()) joined += ',';
        joined += option_text(item, temps);
      }
      args.push_back(joined);
    } else {
      args.push_back(option_text(value, temps));
    }
  }
  args.push_back("--format");
  args.push_back("json");
  return args;
}

py::object run_command(const Command& command, const py::kwargs& kw) {
  TempFiles temps;
  std::vector<std::string> args = kwargs_to_args(kw, temps);
  std::ostringstream out, err;
  command(args, out, err);
  py::module_ warnings = py::module_::import("warnings");
  std::istringstream lines(err.str());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) warnings.attr("warn")(line);
  return py::module_::import("json").attr("loads")(out.str());
}

}  // namespace

PYBIND11_MODULE(fwtax, m) {
  m.doc() =
      "fwtax: predicts neural-network inference latency and the framework tax.\n"
      "simulate/project/validate take the CLI's options as keyword arguments (model=, device=, framework=,\n"
      "dtype=, batch=, seq=, host_x= ...; strings, numbers or lists) and return its JSON rows;\n"
      "capture(module, example_inputs) records a torch.nn.Module as a workload that model= accepts.";
  static py::exception<fwtax::InputError> error(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fwtax::InputError& e) {
      std::string message;
      for (const auto& d : e.diagnostics()) message += (message.empty() ? "" : "\n") + d.str();
      error(message.c_str());
    }
  });
  m.def(
      "simulate", [](const py::kwargs& kw) { return run_command(fwtax::cli::cmd_simulate, kw); },
      "fwtax simulate: one row (a dict) per configuration. Options as keyword arguments: model=, device=, "
      "framework=, dtype=, batch=, seq=, image=, phase=, measure=, host=, host_x=, breakdown= ...");
  m.def(
      "project",
      [](const py::kwargs& kw) {
        return run_command(fwtax::cli::cmd_project, kw);
      },
      "fwtax project: rows of projections onto other devices, hosts and scaled models (devices=, speedup=, "
      "host_x=, width_x=, depth_x=, report= ...)");
  m.def(
      "validate",
      [](const py::kwargs& kw) {
        return run_command(fwtax::cli::cmd_validate, kw);
      },
      "fwtax validate: predictions of measured runs and their errors (measured=, run=, device=, ...)");
  m.def(
      "capture",
      [](py::args args, const py::kwargs& kw) {
        return py::module_::import("fwtax_capture").attr("capture")(*args, **kw);
      },
      "capture(module, example_inputs, name=None): runs the module once under a TorchDispatchMode and returns "
      "its workload (simulate(model=...) takes it; .save(path) writes JSON for fwtax simulate --model)");
  m.attr("__version__") = "0.1.0";
}
