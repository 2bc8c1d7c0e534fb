#pragma once
// PyTorch profiler (Kineto) Chrome traces: a streaming reader that keeps only what the model needs
// (top-level host ops with their shapes, runtime calls, GPU kernels linked by correlation id), and
// the conversion of one traced forward into a workload, with what-ifs on batch and sequence length.
#include <istream>
#include <string>
#include <vector>

#include "model/device.hpp"
#include "model/workload.hpp"

namespace fwtax {

struct TraceKernel {
  std::string name;
  double ts_s = 0, dur_s = 0;
  bool memset = false, memcpy = false;
};

struct TraceOp {
  std::string name;  // "aten::linear"
  double ts_s = 0, dur_s = 0;
  double next_ts_s = 0;  // start of the next top-level op (or this op's end): op + Python glue
  std::vector<std::vector<long long>> dims;  // "Input Dims"
  std::vector<std::string> types;            // "Input type"
  std::vector<std::string> concrete;         // "Concrete Inputs" (scalars as text), when recorded
  int nested_ops = 0;       // cpu ops inside it, itself included
  int runtime_calls = 0;    // CUDA runtime/driver calls inside it
  bool sync = false;        // a synchronizing runtime call happened inside it
  // The op's own compute on the host: the summed self time (duration less the ops it calls) of the
  // ops in its call tree that do the work. In a CPU trace this is the op's "kernel"; the rest of its
  // span is dispatch, allocation and profiler overhead.
  double compute_s = 0;
  // Taken off the op's traced host time by replace_host_outliers: an outlier's excess over its
  // siblings' typical value (a profiler hiccup, not the model's cost). 0 when nothing was replaced.
  double host_cut_s = 0;
  std::vector<TraceKernel> kernels;
};

// What replace_host_outliers replaced in one trace.
struct TraceOutliers {
  int gaps = 0, ops = 0;       // gaps between top-level ops and op durations replaced
  double gap_s = 0, op_s = 0;  // their traced time, summed
  double removed_s = 0;        // traced time less the typical values put in their place
};

struct Trace {
  std::string file;
  std::string gpu_name;  // deviceProperties[0].name, "" for a CPU-only trace
  std::vector<TraceOp> ops;  // the forward's top-level ops, in order
  std::size_t cpu_events = 0, runtime_events = 0, kernel_events = 0;
  double host_span_s = 0;   // first top-level op start to last op end
  double gpu_busy_s = 0;
  long long batch = 0, seq = 0, image = 0;  // inferred from the ops' shapes (0 when unknown)
  DType dtype = DType::fp32;     // inferred from the ops' input types
  std::vector<std::string> unclassified;  // op names with no fwtax op class (counted once each)
  TraceOutliers outliers;                 // filled by replace_host_outliers
};

// Reads a Chrome trace JSON stream event by event (bounded memory). Truncated, empty or non-trace
// input, negative durations and traces without host ops are InputErrors naming `file`.
Trace read_kineto_trace(std::istream& in, const std::string& file);

// One profiled call on a noisy host can hold a hiccup (garbage collection, preemption): a gap
// between two ops or an op's host time far above what the same op takes elsewhere in the trace. A
// model repeats its layers, so most top-level ops have siblings: the same op on the same input shapes
// (and, for a gap, between the same two ops). A host time above max(5 x the siblings' median, median
// + 10 x their MAD) is replaced by that median; ops and gaps with fewer than three siblings are held
// against the whole trace's gaps or op times, with a looser bound (20x, 50 MADs). A synchronizing
// op's duration is its wait for the GPU and is left alone, and so is a CPU op's own compute. Fills
// each op's host_cut_s and t.outliers, and returns t.outliers.
TraceOutliers replace_host_outliers(Trace& t);

// The fwtax op class of an aten op name (OpClass::other when unknown).
OpClass classify_aten_op(const std::string& name, bool* known = nullptr);
// The kernel kind from a kernel name (gemm, conv, attention, norm, ...).
KernelKind classify_kernel(const std::string& name, bool memset, bool memcpy);
// A built-in device name for a GPU name from the trace ("NVIDIA H100 80GB HBM3" -> "h100"), or "".
std::string device_for_gpu_name(const std::string& gpu_name);

struct TraceWhatIf {
  double profiler_scale = 1.0;  // host times in the trace are multiplied by this (profiler overhead removed)
  long long batch = 0;          // 0: as traced
  long long seq = 0;            // 0: as traced
  // The device the workload will be timed on; when it is the traced GPU (or, for a CPU trace, a CPU),
  // kernels keep their measured durations (plus the model's change when batch or sequence change).
  const DeviceSpec* device = nullptr;
  bool same_device = false;
  bool keep_host_times = true;  // false: host costs come from the framework profile by op class
};

// The traced forward as a workload. Kernel FLOPs and bytes come from the ops' input shapes.
Workload trace_workload(const Trace& t, const TraceWhatIf& w);

// The bytes of the weights the trace's ops read (their weight operands, by shape and type), counted
// per call: a layer whose weights several calls share (ALBERT's) counts once for each.
double trace_weight_bytes(const Trace& t);

}  // namespace fwtax
