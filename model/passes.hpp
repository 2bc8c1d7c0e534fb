#pragma once
// Workload passes: what an execution mode does to the eager, aten-level workload that the builders
// emit (fold batch norms, drop no-ops, fuse elementwise chains as a JIT fuser does, fuse the patterns
// an ahead-of-time runtime's graph optimizer fuses). A framework profile lists the passes of its
// mode by name (FrameworkSpec::passes); adding a pass is one function and one line in the table in
// passes.cpp.
#include <string>
#include <string_view>
#include <vector>

#include "model/workload.hpp"

namespace fwtax {

// What a pass may depend on besides the workload.
struct PassContext {
  bool gpu = true;
};

using PassFn = void (*)(Workload&, const PassContext&);

struct WorkloadPass {
  std::string_view name;
  std::string_view what;  // one line for `fwtax list` and error messages
  PassFn run;
};

// The registered passes, in no particular order.
const std::vector<WorkloadPass>& workload_passes();
// A registered pass by name, or nullptr.
const WorkloadPass* find_workload_pass(std::string_view name);
// "a, b, c": the names of the registered passes, for messages.
std::string workload_pass_names();

// Applies `passes` in order.
void apply_passes(Workload& w, const std::vector<const WorkloadPass*>& passes, const PassContext& c);

}  // namespace fwtax
