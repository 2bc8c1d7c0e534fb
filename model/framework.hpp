#pragma once
// Framework profile: one execution mode of a framework and what it costs the host. Host costs are
// per op class, measured on a reference host; the mode also says what it does to the kernels.
#include <array>
#include <string>

#include "model/json_spec.hpp"
#include "model/workload.hpp"

namespace fwtax {

enum class ExecMode {
  eager,   // every op dispatched by the host, kernels launched one by one
  script,  // an interpreter (TorchScript) dispatches ops; no Python per op
  graph    // the whole forward replays from one CUDA graph launch
};
std::string_view exec_mode_name(ExecMode m);

struct FrameworkSpec {
  std::string name;          // required
  std::string description;   // defaulted: ""
  ExecMode mode = ExecMode::eager;  // required
  std::string reference_host;       // required for eager/script: the host the costs were measured on
  // Host time of one op of each class, including the launch of its first kernel (eager, script).
  std::array<double, kOpClassCount> op_host_s{};
  double extra_kernel_host_s = 0;  // defaulted 0: host time of each further kernel an op launches
  double call_host_s = 0;          // required: fixed host time per forward call
  bool tf32_matmul = false;        // defaulted: PyTorch's default (matmuls in full fp32)
  bool tf32_conv = true;           // defaulted: PyTorch's default (cuDNN may use TF32)
  bool fold_batch_norm = false;    // defaulted: freezing folds inference batch norm into the conv
  bool drop_noop_ops = false;      // defaulted: the interpreter removes dropout/identity/view glue
};

FrameworkSpec parse_framework(const Json& j, Diagnostics& diag, const std::string& pointer = "");

}  // namespace fwtax
