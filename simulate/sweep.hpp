#pragma once
// Sweeps: the cartesian product of models, devices, frameworks, dtypes, batches and sequence
// lengths (or image sizes), each simulated once, plus the crossover batch of each series.
#include <optional>
#include <string>
#include <vector>

#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"

namespace fwtax {

struct SweepRequest {
  std::vector<std::string> models = {"bert-base"};
  std::vector<std::string> devices = {"h100"};
  std::vector<std::string> frameworks = {"pytorch-eager"};
  std::vector<DType> dtypes = {DType::fp32};
  std::vector<long long> batches = {1};
  std::vector<long long> seqs;    // empty: each token model's default
  std::vector<long long> images;  // empty: each image model's default
  Measure measure = Measure::sync;
  double host_x = 1.0;            // host speed-up: dispatch and launch costs divided by this
  bool breakdown = false;         // keep per-op results of each configuration
  bool timelines = false;         // record each configuration's timeline (SweepExtras::timelines)
  std::string trace;              // a Kineto trace to replay instead of --model (empty: none)
};

// Per-op result, for --breakdown.
struct OpResult {
  std::string name;
  std::string op_class;
  double host_s = 0;
  double gpu_s = 0;
  double flops = 0;
  double bytes = 0;
  std::size_t kernels = 0;
  std::string bound;  // the limit (bound_name) holding most of its GPU time; empty without kernels
  std::string module;  // the container module it runs in (Op::module); empty where none was recorded
  std::string scope;   // a module call's own name (Op::scope); empty for framework ops
};

// A breakdown's totals over a group of ops: one op class, or one module.
struct BreakdownTotal {
  std::string key;         // the op class, or the module ("" for ops outside any module)
  std::size_t ops = 0;     // framework ops and module calls in the group
  std::size_t calls = 0;   // by module: how many times the module was called
  std::size_t kernels = 0;
  double host_s = 0, gpu_s = 0, flops = 0, bytes = 0;
};
// By op class, most time (host + GPU) first.
std::vector<BreakdownTotal> breakdown_by_class(const std::vector<OpResult>& ops);
// By the container module each op runs in, in the order the modules are first called; empty when no
// op has a module (a replayed trace).
std::vector<BreakdownTotal> breakdown_by_module(const std::vector<OpResult>& ops);

struct ResultRow {
  std::string model, device, framework;
  DType dtype = DType::fp32;
  long long batch = 1, seq = 0, image = 0;
  SimResult sim;
  // Smallest batch of this row's series (same model, device, framework, dtype, seq, image) at which
  // the configuration is no longer framework-bound; empty when it stays framework-bound.
  std::optional<long long> crossover_batch;
  std::vector<OpResult> breakdown;
};

// Loaded inputs of a sweep, resolved once.
struct ResolvedModel {
  std::string ref;
  Architecture arch;
};
ResolvedModel resolve_model(const std::string& ref);

// One configuration simulated with its timeline recorded (--timeline).
struct TimelineRun {
  Workload workload;
  SimResult result;
  std::string device, framework;
};

// A timeline holds at most this many configurations: each adds thousands of events.
constexpr std::size_t kMaxTimelineConfigs = 100;

// What a sweep reports besides its rows.
struct SweepExtras {
  // One per row, in row order, when the request asks for timelines.
  std::vector<TimelineRun> timelines;
  // Once per device/dtype pair whose dtype the device has no matrix math for
  // (dtype_fallback_warning): the prediction is right for the profile but surprising.
  std::vector<std::string> warnings;
};

// One row per configuration; with `extras`, also the timelines and warnings.
std::vector<ResultRow> run_sweep(const SweepRequest& request, const Catalog& catalog,
                                 SweepExtras* extras = nullptr);

// The same over inputs already resolved (scaled devices and architectures for projections).
struct Grid {
  std::vector<ResolvedModel> models;
  std::vector<DeviceSpec> devices;
  std::vector<FrameworkSpec> frameworks;
  std::vector<DType> dtypes = {DType::fp32};
  std::vector<long long> batches = {1};
  std::vector<long long> seqs, images;
  Measure measure = Measure::sync;
  double host_x = 1.0;
  bool breakdown = false;
  bool timelines = false;
};
std::vector<ResultRow> simulate_grid(const Grid& g, const Catalog& catalog, SweepExtras* extras = nullptr);

// The profiler's host-time inflation, as the factor that turns traced host times into unprofiled
// ones (data/profiler.json).
double profiler_host_scale(const Catalog& catalog);

// The host factor for a device/framework pair: how much slower the device's host dispatches than
// the framework's reference host.
double host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework);

// The same for the device's kernel-launch costs: how much slower its host launches than the host
// they were measured on (launch.measured_on_host; 1 when measured on the device's own host).
double launch_host_factor(const Catalog& catalog, const DeviceSpec& device);

// Fills crossover_batch over series of rows that differ only in batch.
void mark_crossovers(std::vector<ResultRow>& rows);

}  // namespace fwtax
