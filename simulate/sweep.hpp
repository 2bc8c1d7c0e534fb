#pragma once
// Sweeps: the cartesian product of models, devices, frameworks, dtypes, batches and sequence
// lengths (or image sizes), each simulated once, plus the crossover batch of each series.
#include <optional>
#include <string>
#include <vector>

#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "model/trace.hpp"

namespace fwtax {

struct SweepRequest {
  std::vector<std::string> models = {"bert-base"};
  std::vector<std::string> devices = {"h100"};
  std::vector<std::string> frameworks = {"pytorch-eager"};
  std::vector<DType> dtypes = {DType::fp32};
  // A model whose config.json names its dtype (Architecture::dtype) runs in that one instead of
  // `dtypes`: what the CLI does when --dtype is not given.
  bool dtype_from_config = false;
  // `dtypes` was given (--dtype): a trace, which runs in its recorded dtype, takes only that one.
  bool dtypes_given = false;
  std::vector<long long> batches = {1};
  std::vector<long long> seqs;    // empty: each token model's default
  std::vector<long long> images;  // empty: each image model's default
  std::string phase = "forward";  // forward, prefill, decode or generate (causal LMs)
  std::vector<long long> contexts = {0};  // decode: tokens already in the KV cache
  long long new_tokens = 0;        // generate: tokens produced after the prompt (--seq)
  KvCache cache = KvCache::dynamic;  // HF generate's KV cache in eager mode (--cache)
  long long cache_len = 0;         // a static cache's length; 0: what generate allocates (prompt + new - 1)
  Measure measure = Measure::sync;
  double host_x = 1.0;            // host speed-up: dispatch and launch costs divided by this
  std::string host;               // the host every device runs on (name or file); empty: each device's own
  bool breakdown = false;         // keep per-op results of each configuration
  bool timelines = false;         // record each configuration's timeline (SweepExtras::timelines)
  std::string trace;              // a Kineto trace to replay instead of --model (empty: none)
  // The traced call's unprofiled latency, when the user measured it (0: not given): the replay's
  // host speed is set so that the as-traced replay takes it, and kept for the other rows.
  double measured_latency_s = 0;
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
  bool waits = false;  // the host waits for the GPU after it (Op::sync)
};

// How far a latency may fall from its prediction: 10th and 90th percentiles of measured over
// predicted time, for the host's side (dispatch and launches: host speed across machines and within a
// session, and the model's own error there) and for the kernels', on devices calibrated on their own
// microbenchmarks and on devices whose efficiency curves are another's rescaled by datasheet
// (`efficiency.like`) (data/ranges.json, fitted by fwtax calibrate --target ranges). The kernels' side
// is fitted apart where compute binds (kernel_*: runs predicted compute-bound scale their compute-bound
// kernels) and where memory does (kernel_memory_*, projected_memory_*: the other kernels): the
// roofline's arithmetic side is calibrated closer than its streaming, element-bound and shortest kernels.
struct LatencySpread {
  double host_low = 1, host_high = 1;
  double kernel_low = 1, kernel_high = 1;
  double kernel_memory_low = 1, kernel_memory_high = 1;
  double projected_low = 1, projected_high = 1;
  double projected_memory_low = 1, projected_memory_high = 1;
  // The host side for a host measured by its own probe on the machine that runs the calls
  // (host_time_probed; 0: not fitted): how far its runs stray once the machine's speed is known, narrower
  // than host_time, which also spans machines of one kind. Written into such a host's host_time_spread.
  double probed_low = 0, probed_high = 0;
};
LatencySpread parse_spread(const Json& j, Diagnostics& diag);
// The ranges file's form of a spread (host_time, kernel_time, kernel_time_memory, kernel_time_projected,
// kernel_time_projected_memory): what parse_spread reads back. A file without the memory keys (written
// before they were fitted apart) gives memory-bound kernels the compute-bound spread.
Json spread_to_json(const LatencySpread& s);
// The built-in spread (data/ranges.json).
LatencySpread builtin_spread(const Catalog& catalog);
// The spread of `model`'s calls dispatched by `host`: the host's own host_time_spread where it was
// fitted to that model's runs, else `s`'s. No spread stays none.
LatencySpread spread_for_host(LatencySpread s, const HostSpec& host, const std::string& model);
// A breakdown's totals over a group of ops: one op class, or one module.
struct BreakdownTotal {
  std::string key;         // the op class, or the module ("" for ops outside any module)
  std::size_t ops = 0;     // framework ops and module calls in the group
  std::size_t calls = 0;   // by module: how many times the module was called
  std::size_t kernels = 0;
  double host_s = 0, gpu_s = 0, flops = 0, bytes = 0;
};
// A module call that costs nothing: one the mode never makes (an exported ONNX graph, an engine).
bool uncalled_module(const OpResult& o);
// By op class, most time (host + GPU) first; uncalled modules left out.
std::vector<BreakdownTotal> breakdown_by_class(const std::vector<OpResult>& ops);
// By the container module each op runs in, in the order the modules are first called; empty when no
// op has a module (a replayed trace). An uncalled module still counts its module's calls, not as an op.
std::vector<BreakdownTotal> breakdown_by_module(const std::vector<OpResult>& ops);

struct ResultRow {
  std::string model, device, framework;
  std::string host;  // the host that dispatches (for a CPU device, the CPU itself)
  // Its costs against those the framework's profile gives (SimOptions): dispatch, and Python on top.
  double host_factor = 1.0, python_factor = 1.0;
  DType dtype = DType::fp32;
  long long batch = 1, seq = 0, image = 0;
  SimResult sim;
  // The 10-90% range of the latency: the call simulated with host and kernel times at the spread's
  // ends (a host-bound call moves with its host, a GPU-bound one with its kernels).
  double latency_low_s = 0, latency_high_s = 0;
  // Causal LMs: the phase (forward, prefill, decode, generate), the cached tokens of a decode step,
  // the new tokens of a generate call, its time to first token and mean time per later token, and
  // tokens produced (or, for a prefill or forward, read) per second.
  std::string phase = "forward";
  long long context = 0, new_tokens = 0;
  double ttft_s = 0, tpot_s = 0, tokens_per_s = 0;
  // Weights, KV cache and the largest kernel's operands; whether that fits the device's memory.
  double memory_bytes = 0, capacity_bytes = 0;  // capacity 0: the device does not say
  bool fits = true;
  // Smallest batch of this row's series (same model, device, framework, dtype, seq, image) at which
  // the configuration is no longer framework-bound; empty when it stays framework-bound.
  std::optional<long long> crossover_batch;
  std::vector<OpResult> breakdown;
  // With the breakdown: host time outside every op, the call into the framework (its Python entry,
  // a graph launch, an engine's enqueue), which the op totals do not hold.
  double call_host_s = 0;
  // With the breakdown: kernels that reach only part of the DRAM bandwidth by their access pattern
  // (Kernel::bandwidth_fraction < 1: cuDNN 8's generic transpose), how many and their GPU time.
  std::size_t slow_layout_kernels = 0;
  double slow_layout_gpu_s = 0;
  // With the breakdown: half convolutions off the tensor cores for the stack's workspace cap
  // (Workload::workspace_capped_convs), and that cap.
  double workspace_capped_convs = 0, conv_workspace_limit_bytes = 0;
  // A trace replay: the hiccups taken out of the traced host times (replace_host_outliers).
  std::optional<TraceOutliers> trace_outliers;
};

// Fills a row's latency range: its call simulated again at both ends of the spread.
void add_range(ResultRow& r, const Workload& w, const DeviceSpec& d, const FrameworkSpec& f, const SimOptions& o,
               const LatencySpread& s);

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
// Adds warning `w` to `extras` (when given), once however many rows give it; "" adds nothing.
void warn_once(SweepExtras* extras, std::string w);

// One row per configuration; with `extras`, also the timelines and warnings.
std::vector<ResultRow> run_sweep(const SweepRequest& request, const Catalog& catalog,
                                 SweepExtras* extras = nullptr);

// The same over inputs already resolved (scaled devices and architectures for projections).
struct Grid {
  std::vector<ResolvedModel> models;
  std::vector<DeviceSpec> devices;
  std::vector<FrameworkSpec> frameworks;
  std::vector<DType> dtypes = {DType::fp32};
  bool dtype_from_config = false;  // as SweepRequest's
  std::vector<long long> batches = {1};
  std::vector<long long> seqs, images;
  std::string phase = "forward";
  std::vector<long long> contexts = {0};
  long long new_tokens = 0;
  KvCache cache = KvCache::dynamic;
  long long cache_len = 0;
  Measure measure = Measure::sync;
  double host_x = 1.0;
  std::optional<HostSpec> host;  // the host every GPU runs on; empty: each device's own (CPUs refuse one)
  bool ranges = true;             // give each row its 10-90% range (two more simulations per row)
  bool breakdown = false;
  bool timelines = false;
};
std::vector<ResultRow> simulate_grid(const Grid& g, const Catalog& catalog, SweepExtras* extras = nullptr);
// That a phase (forward, prefill, decode, generate) is known and gets the options it reads: a
// context for decode only, new tokens for generate only; an InputError naming the flag otherwise.
void check_phase(const std::string& phase, const std::vector<long long>& contexts, long long new_tokens);
// Rows name their device and framework: two profiles of one name in a list could not be told apart
// (a matrix would merge them). `given` is what the flag listed, `names` the profiles' names in its order.
void check_distinct_names(std::string_view flag, std::string_view what, const std::vector<std::string>& given,
                          const std::vector<std::string>& names);
// The same over the profiles read from `given`, by their names.
template <typename Spec>
void check_distinct_profiles(std::string_view flag, std::string_view what, const std::vector<std::string>& given,
                             const std::vector<Spec>& specs) {
  std::vector<std::string> names;
  for (const Spec& s : specs) names.push_back(s.name);
  check_distinct_names(flag, what, given, names);
}

// The profiler's host-time inflation, as the factor that turns traced host times into unprofiled
// ones (data/profiler.json).
double profiler_host_scale(const Catalog& catalog);

// The host a device runs on: `given` (--host) where there is one, else the device's own.
HostSpec host_for(const Catalog& catalog, const DeviceSpec& device, const HostSpec* given = nullptr);

// The host factor for a device/framework pair: how much slower the host (`given`, else the device's
// own) dispatches than the host the framework's costs were measured on.
double host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework,
                   const HostSpec* given = nullptr);

// What Python module calls cost on that host beyond host_factor: the host's python_relative_time over
// its relative_time, against the same for the host the costs were measured on (1 when neither says).
double python_host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework,
                          const HostSpec* given = nullptr);

// The same for the device's kernel-launch costs: how much slower the host launches than the host
// they were measured on (launch.measured_on_host; the device's own host when not given).
double launch_host_factor(const Catalog& catalog, const DeviceSpec& device, const HostSpec* given = nullptr);

// Fills crossover_batch over series of rows that differ only in batch.
void mark_crossovers(std::vector<ResultRow>& rows);

}  // namespace fwtax
