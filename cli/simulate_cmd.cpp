#include <fstream>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/error.hpp"
#include "simulate/report.hpp"
#include "simulate/sweep.hpp"

namespace fwtax::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"--model", true, "model names or architecture files (default bert-base)", "LIST"},
    {"--trace", true, "replay a PyTorch profiler (Kineto) trace, .json or .json.gz, instead of a model",
     "FILE"},
    {"--device", true, "device names or profile files (default h100)", "LIST"},
    {"--framework", true,
     "pytorch-eager, libtorch, torchscript, cuda-graphs, torch-compile, torch-compile-reduce-overhead, onnxruntime, tensorrt (GPUs only), a 2022 stack as NAME@VERSION (pytorch-eager@1.12, torchscript@1.12, onnxruntime@1.12) or files (default pytorch-eager; fwtax list frameworks)", "LIST"},
    {"--dtype", true, "fp32, fp16, bf16 (default: a config.json's torch_dtype, else fp32; a trace runs in its recorded one)", "LIST"},
    {"--batch", true, "batch sizes: 1,2,4 or a doubling range 1:256 (default 1)", "LIST"},
    {"--seq", true, "sequence lengths of token models: 64,128 or 64:512 (default: the model's, 128)", "LIST"},
    {"--image", true, "image sizes (sides) of vision models: 160,224 (default: the model's, 224)", "LIST"},
    {"--phase", true, "forward (default: one forward of the base model), prefill, decode (one step) or generate "
                      "(prefill and decode steps, HF generate's loop); the last three for causal LMs", "PHASE"},
    {"--context", true, "with --phase decode: tokens already in the KV cache, e.g. 128,4095 (a model of 4096 positions holds 4095 and the new token) (required with --phase decode)", "LIST"},
    {"--new-tokens", true, "with --phase generate: tokens to generate after the prompt of --seq tokens", "N"},
    {"--cache", true, "HF generate's KV cache: dynamic (default: DynamicCache, concatenated each step) or static (StaticCache: allocated once, written in place, attention over its whole length; on a GPU generate compiles each decode step, predicted under the framework's static_cache_decode)", "KIND"},
    {"--cache-len", true, "with --cache static: the cache's length in tokens (HF max_cache_len; default: prompt + new tokens - 1, as generate allocates it)", "N"},
    {"--measure", true, "sync: one synchronized call (default); pipelined: calls back to back", "MODE"},
    {"--host", true,
     "the host CPU that dispatches, for every GPU device: a name (fwtax list hosts) or a host profile file "
     "(default: each device's own)",
     "HOST"},
    {"--measured-latency", true,
     "with --trace: the traced call's unprofiled latency in seconds; the replay's host speed is set so the "
     "as-traced replay takes it, and kept for the other frameworks and batches",
     "S"},
    {"--host-x", true, "host speed-up factor: dispatch, Python and launch costs are divided by it (default 1)", "S"},
    {"--format", true, "table (default), matrix, csv or json", "FORMAT"},
    {"--timeline", true, "write the predicted timelines as one Chrome trace, a host and a GPU process per "
                         "configuration (at most 100)", "FILE"},
    {"--breakdown", false, "host and GPU time by op class and by module, then per op, of each configuration", ""},
    {"--help", false, "this help", ""},
};

}  // namespace

// One warning per model, device and dtype with configurations that need more memory than the device has:
// the smallest such configuration (the first row) and how many there are.
void warn_if_too_big(const std::vector<ResultRow>& rows, std::ostream& err) {
  auto key = [](const ResultRow& r) { return r.model + " " + r.device + " " + std::string(dtype_name(r.dtype)); };
  std::map<std::string, int> too_big;
  for (const auto& r : rows)
    if (!r.fits) ++too_big[key(r)];
  std::set<std::string> warned;
  for (const auto& r : rows) {
    if (r.fits || !warned.insert(key(r)).second) continue;
    // What the row holds: a prompt, or a decode step's cache and a generate call's new tokens.
    char size[96];
    if (r.seq <= 0)
      std::snprintf(size, sizeof size, "image %lld", r.image);
    else if (r.context > 0 || r.new_tokens > 0)
      std::snprintf(size, sizeof size, "%lld tokens in its KV cache", r.seq + r.context + r.new_tokens);
    else
      std::snprintf(size, sizeof size, "seq %lld", r.seq);
    const int n = too_big[key(r)];
    char line[512];
    std::snprintf(line, sizeof line,
                  "fwtax: warning: %s in %s at batch %lld, %s needs %.1f GB (weights, KV cache, largest kernel's "
                  "operands); the %s has %.1f GB: it does not fit (%s say fits false)\n",
                  r.model.c_str(), std::string(dtype_name(r.dtype)).c_str(), r.batch, size, r.memory_bytes / 1e9,
                  r.device.c_str(), r.capacity_bytes / 1e9,
                  n > 1 ? (std::to_string(n) + " such rows").c_str() : "its row");
    err << line;
  }
}

// One note when a replayed trace had hiccups taken out of its host times.
void note_trace_outliers(const std::vector<ResultRow>& rows, std::ostream& err) {
  if (rows.empty() || !rows[0].trace_outliers) return;
  const TraceOutliers& o = *rows[0].trace_outliers;
  if (o.gaps + o.ops == 0) return;
  auto count = [](int n, const char* what, double s) {
    char part[80];
    std::snprintf(part, sizeof part, n ? "%d %s%s of %.3g ms" : "%d %s%s", n, what, n == 1 ? "" : "s",
                  s * 1e3);
    return std::string(part);
  };
  char line[300];
  std::snprintf(
      line, sizeof line,
      "fwtax: note: trace: replaced %s and %s far above their siblings with typical values (%+.3g ms)\n",
      count(o.gaps, "gap", o.gap_s).c_str(), count(o.ops, "op", o.op_s).c_str(), -o.removed_s * 1e3);
  err << line;
}

SweepRequest parse_sweep_request(const Args& a) {
  SweepRequest q;
  if (auto v = a.get("--model")) q.models = split_list("--model", *v);
  if (auto v = a.get("--trace")) {
    if (a.has("--model")) throw InputError("--trace", "", "give either --model or --trace, not both");
    // A trace is one forward as recorded: its image size, and any LLM phase, are not inputs of it.
    if (a.has("--image")) throw InputError("--image", "", "a trace runs at the image size it was recorded at");
    for (const char* flag : {"--phase", "--context", "--new-tokens", "--cache", "--cache-len"})
      if (a.has(flag))
        throw InputError(flag, "", "a trace replays the forward it recorded; LLM phases take --model");
    q.trace = *v;
    q.devices.clear();
    q.batches.clear();
  }
  if (auto v = a.get("--device")) q.devices = split_list("--device", *v);
  if (auto v = a.get("--framework")) q.frameworks = split_list("--framework", *v);
  // Without --dtype, a config.json's own dtype (torch_dtype) is used, else fp32.
  q.dtype_from_config = !a.has("--dtype");
  q.dtypes_given = a.has("--dtype");
  if (auto v = a.get("--dtype")) {
    q.dtypes.clear();
    for (const auto& s : split_list("--dtype", *v)) {
      auto t = parse_dtype(s);
      if (!t || !is_model_dtype(*t)) throw InputError("--dtype", "", "expected fp32, fp16 or bf16, got \"" + s + "\"");
      q.dtypes.push_back(*t);
    }
  }
  if (auto v = a.get("--batch")) q.batches = parse_int_list("--batch", *v, 1, 1LL << 40);
  if (auto v = a.get("--seq")) q.seqs = parse_int_list("--seq", *v, 1, 1LL << 24);
  if (auto v = a.get("--image")) q.images = parse_int_list("--image", *v, 32, 1 << 16);
  q.phase = a.get_or("--phase", "forward");
  if (auto v = a.get("--context")) q.contexts = parse_int_list("--context", *v, 0, 1LL << 24);
  if (auto v = a.get("--new-tokens")) q.new_tokens = parse_int("--new-tokens", *v, 1, 1LL << 24);
  if (auto v = a.get("--cache")) {
    if (*v != "dynamic" && *v != "static") throw InputError("--cache", "", "expected dynamic or static, got \"" + *v + "\"");
    q.cache = *v == "static" ? KvCache::static_cache : KvCache::dynamic;
  }
  if (auto v = a.get("--cache-len")) {
    if (q.cache != KvCache::static_cache) throw InputError("--cache-len", *v, "a cache length needs --cache static");
    q.cache_len = parse_int("--cache-len", *v, 1, 1LL << 24);
  }
  std::string m = a.get_or("--measure", "sync");
  if (m != "sync" && m != "pipelined") throw InputError("--measure", "", "expected sync or pipelined, got \"" + m + "\"");
  q.measure = m == "sync" ? Measure::sync : Measure::pipelined;
  if (auto v = a.get("--host-x")) q.host_x = parse_number("--host-x", *v, 1e-3, 1e3);
  if (auto v = a.get("--measured-latency")) {
    if (q.trace.empty())
      throw InputError("--measured-latency", *v, "it anchors a trace replay: give --trace");
    if (a.has("--host-x"))
      throw InputError("--measured-latency", *v, "give either --measured-latency or --host-x");
    q.measured_latency_s = parse_number("--measured-latency", *v, 1e-7, 1e4);
  }
  if (auto v = a.get("--host")) q.host = one_host(*v, "simulate");
  q.breakdown = a.has("--breakdown");
  q.timelines = a.has("--timeline");
  return q;
}

int cmd_simulate(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args a(argv, kFlags);
  if (a.has("--help")) {
    out << usage_of("Usage: fwtax simulate [options]\n\nPredicts one row per configuration of the cartesian "
                    "product of the lists given.",
                    kFlags, kListSyntax);
    return 0;
  }
  if (!a.positional().empty())
    throw InputError(a.positional().front(), "", "unexpected argument (options start with --; see --help)");
  SweepRequest q = parse_sweep_request(a);
  std::string format = a.get_or("--format", "table");
  if (format != "table" && format != "matrix" && format != "csv" && format != "json")
    throw InputError("--format", "", "expected table, matrix, csv or json, got \"" + format + "\"");
  std::size_t configs = q.models.size() * q.devices.size() * q.frameworks.size() * q.dtypes.size() *
                        q.batches.size() * std::max<std::size_t>(1, std::max(q.seqs.size(), q.images.size()));
  if (configs > 1000000)
    throw InputError("simulate", "", "the sweep has " + std::to_string(configs) +
                                         " configurations; at most 1000000 are simulated at once");
  const Catalog& catalog = Catalog::builtin();
  SweepExtras extras;
  auto rows = run_sweep(q, catalog, &extras);
  for (const auto& w : extras.warnings) err << "fwtax: warning: " << w << '\n';
  warn_if_too_big(rows, err);
  note_trace_outliers(rows, err);
  if (q.breakdown && (format == "csv" || format == "matrix"))
    err << "fwtax: warning: --breakdown is in the table and in JSON (\"breakdown\"); --format " << format
        << " leaves it out\n";
  if (auto path = a.get("--timeline")) {
    std::ofstream f(*path);
    if (!f) throw InputError(*path, "", "cannot open the file for writing (--timeline)");
    write_chrome_trace(f, extras.timelines);
    err << "fwtax: wrote the timelines of " << extras.timelines.size() << " configuration"
        << (extras.timelines.size() == 1 ? "" : "s") << " to " << *path
        << " (a Chrome trace: open it in ui.perfetto.dev or chrome://tracing)\n";
  }
  if (format == "json") write_json(out, rows);
  else if (format == "csv") write_csv(out, rows);
  else if (format == "matrix") write_matrix(out, rows);
  else {
    write_table(out, rows);
    if (q.breakdown)
      for (const auto& r : rows) {
        out << '\n';
        write_breakdown(out, r);
      }
  }
  return 0;
}

}  // namespace fwtax::cli
