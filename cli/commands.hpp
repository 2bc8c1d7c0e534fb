#pragma once
// The fwtax command line as a library: main() forwards here, tests call it directly.
#include <ostream>
#include <string>
#include <vector>

#include "model/json_spec.hpp"

namespace fwtax::cli {

// Runs `fwtax <args...>`; returns the exit status (0 ok, 2 bad input, 1 internal error).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

int cmd_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_list(const std::vector<std::string>& args, std::ostream& out);
int cmd_validate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_project(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_calibrate(const std::vector<std::string>& args, std::ostream& out);

// Measures this CPU with fwtax-probe-torch (--quick; epochs > 0: that many timed epochs per
// measurement) and returns its output.
Json probe_cpu(bool quick, int epochs, bool quiet);
// The outputs of a probe taken in rounds as one: each measurement's fastest round (merge_rounds),
// with the number of rounds recorded as env.rounds.
Json merge_probe_rounds(const std::vector<Json>& probes);
// The device profile fitted to a probe output; `source` says where the output came from.
Json fit_cpu_profile(const Json& mb, const std::string& source, std::vector<std::string>* warnings);

}  // namespace fwtax::cli
