#include <exception>

#include "cli/commands.hpp"
#include "model/error.hpp"

namespace fwtax::cli {
namespace {

const char* kHelp =
    "fwtax: predicts neural-network inference latency on a device under a framework, and how much of it\n"
    "is the framework tax (the accelerator idle while the host dispatches work).\n"
    "\n"
    "Usage: fwtax <command> [options]\n"
    "\n"
    "Commands:\n"
    "  simulate   predict latency, host and GPU busy time, the tax and the binding regime\n"
    "  list       list built-in models, devices, frameworks, hosts or workload passes\n"
    "  calibrate  measure this machine (CPU via libtorch, or a CUDA GPU) and write its profile\n"
    "  project    project latency and the tax onto faster GPUs, other generations, scaled models\n"
    "  validate   compare predictions with measured runs, error per configuration and group\n"
    "\n"
    "Run 'fwtax <command> --help' for a command's options.\n"
    "Exit status: 0 success, 2 bad input (the message names the file, the place and what was\n"
    "expected), 1 internal error.\n";

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << kHelp;
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
      out << "fwtax 0.1.0\n";
      return 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "simulate") return cmd_simulate(rest, out, err);
    if (args[0] == "list") return cmd_list(rest, out);
    if (args[0] == "validate") return cmd_validate(rest, out, err);
    if (args[0] == "project") return cmd_project(rest, out, err);
    if (args[0] == "calibrate") return cmd_calibrate(rest, out);
    throw InputError(args[0], "", "unknown command - commands are simulate, project, validate, calibrate, list (see fwtax --help)");
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics()) err << "fwtax: error: " << d.str() << '\n';
    return 2;
  } catch (const std::bad_alloc&) {
    err << "fwtax: error: out of memory (is the configuration too large?)\n";
    return 2;
  } catch (const std::exception& e) {
    err << "fwtax: internal error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace fwtax::cli
