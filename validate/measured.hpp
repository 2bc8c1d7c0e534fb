#pragma once
// Measured runs: end-to-end latencies of real configurations, read from the datasets fwtax knows
// (the shared H100 runs.json format, our own measured-runs JSON, the Framework Tax paper's CSVs).
#include <string>
#include <string_view>
#include <vector>

#include "model/dtype.hpp"
#include "model/engine.hpp"
#include "model/json_spec.hpp"

namespace fwtax {

struct MeasuredRun {
  std::string model;      // fwtax model name
  std::string device;     // fwtax device name
  std::string framework;  // fwtax framework name
  // The host that dispatched the run where it is not the device's own (a pass of the paper's 3090 made
  // while its host ran slower: validate/paper.cpp's host_of_file); empty: the device's host. --host
  // overrides it.
  std::string host;
  std::string mode;       // the dataset's own name for the mode ("eager", "cudagraph" ...)
  DType dtype = DType::fp32;
  long long batch = 1, seq = 0, image = 0;
  // Causal LMs (docs/measured-runs.md): forward (default), prefill, decode (one step over `context`
  // cached tokens; seq 1) or generate (a --seq prompt and `new_tokens` tokens).
  std::string phase = "forward";
  long long context = 0, new_tokens = 0;
  // HF generate's KV cache (runs.json "cache": "dynamic" or "static"; mode "eager-static-cache" is a
  // static one) and a static cache's length ("max_cache_len"; 0: what generate allocates).
  KvCache cache = KvCache::dynamic;
  long long cache_len = 0;
  Measure measure = Measure::sync;
  double latency_s = 0;  // the statistic compared: the median (sync) or the mean (pipelined)
  double min_s = 0;
  double macs = 0;       // multiply-accumulates per call as the dataset counted them (paper CSVs), else 0
  double params = 0;     // parameters of the model that ran, when the dataset says (runs.json "params"), else 0
  std::string source;    // file the run came from
  std::string where;     // the run's place in it ("/runs/3", "line 12")
  std::string cpu_model; // the host's CPU as the file's env says ("cpu_model"), else empty
  Json arch;             // the architecture JSON when the dataset carries it (our runner), else null
  bool arch_from_meta = false;  // `arch` was derived from the run's "meta" (architecture_from_meta)
};

// The runs.json format of ../shared/data/h100-2026-11 (median of synchronized calls), which fwtax's
// own measured-runs JSON extends with "arch" (docs/measured-runs.md).
// `device` names the fwtax device the runs were measured on.
std::vector<MeasuredRun> parse_runs_json(const Json& j, const std::string& file, const std::string& device);

// Any measured-runs file: a runs.json (shared H100 format or fwtax's own, JSON) or one of the
// Framework Tax paper's CSVs (data/measured/framework-tax-2022/<folder>/<gpu>.csv). `device` is the
// fwtax device (default: from the file: env.gpu, or the CSV's file name).
// Whether read_measured_file reads `path` as one of the paper's CSVs (its name ends in .csv).
bool is_paper_csv(std::string_view path);

// `notes`, where given, receives one line per file that skipped rows (the paper's CSVs: how many, why).
std::vector<MeasuredRun> read_measured_file(const std::string& path, const std::string& device, Measure measure,
                                            std::vector<std::string>* notes = nullptr);

// The paper's CSV format (columns model, batch_size, input_size, latency in seconds ...): rows with a
// latency > 0 and a batch <= 512, of models fwtax builds. `folder` is the CSV's folder name
// (pretrained-fp32, pretrained-fp16, pretrained-torchscript, pretrained-torchscript-fp16, onnxruntime).
// Rows that are not measurements (the data's known defects: latency 0 or empty, batch > 512) and rows
// of models the zoo lacks are skipped, and `notes` says how many of each; a latency or batch that is
// not a number, a negative latency or a batch below 1 is an InputError naming the line.
std::vector<MeasuredRun> parse_paper_csv(const std::string& text, const std::string& file, const std::string& device,
                                         const std::string& folder, std::vector<std::string>* notes = nullptr);

// The architecture JSON of a run whose model is not built in, from the run's "meta" (the Hugging
// Face config fields the shared runner records: hidden_size, num_hidden_layers, n_embd, dim ...): the
// longest built-in transformer name the model's name starts with ("bert-base-w1536" -> bert-base)
// with meta's sizes. Null when the name has no such base or meta gives no size. Bad meta values go to
// `diag` under `pointer` + "/meta".
Json architecture_from_meta(const std::string& model, const Json& meta, const std::string& pointer,
                            Diagnostics& diag);

// The fwtax model name of a dataset's model name ("vit_b_16" -> "vit-b16"); unchanged if unknown.
std::string canonical_model_name(const std::string& name);
// The fwtax framework of a dataset's mode name ("cudagraph" -> "cuda-graphs").
std::string framework_of_mode(const std::string& mode);

// The framework a run of framework `run` is predicted with under the filters `wanted` (validate
// --framework), or "" when no filter takes it. A filter NAME takes runs of NAME and of any NAME@VERSION
// as they are; NAME@VERSION takes runs of NAME@VERSION, and runs of NAME, which it predicts with
// that version's stack.
std::string select_framework(const std::vector<std::string>& wanted, const std::string& run);

}  // namespace fwtax
