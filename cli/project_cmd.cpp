#include <filesystem>
#include <fstream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/error.hpp"
#include "simulate/projection.hpp"

namespace fwtax::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"--model", true, "model names or architecture files (default bert-base)", "LIST"},
    {"--device", true, "device name or profile (default h100)", "D"},
    {"--devices", true, "compare devices, e.g. 1080ti,v100,a100,h100,b200", "LIST"},
    {"--framework", true, "execution modes (default pytorch-eager)", "LIST"},
    {"--dtype", true, "fp32, fp16, bf16 (default: a config.json's torch_dtype, else fp32)", "LIST"},
    {"--batch", true, "batch sizes: 1,2,4 or a doubling range 1:256 (default 1:4096)", "LIST"},
    {"--seq", true, "sequence lengths of token models: 64,128 or 64:512", "LIST"},
    {"--image", true, "image sizes (sides) of vision models: 160,224", "LIST"},
    {"--phase", true, "forward (default), prefill, decode (one token step) or generate, for causal LMs", "P"},
    {"--context", true, "decode: tokens already in the KV cache, e.g. 128,4095 (a model of 4096 positions holds 4095 and the new token)", "LIST"},
    {"--new-tokens", true, "generate: tokens produced after the --seq prompt", "N"},
    {"--speedup", true, "the whole GPU S times faster (compute, bandwidth, per-kernel GPU costs)", "LIST"},
    {"--compute-x", true, "peak FLOP/s times C only", "LIST"},
    {"--bandwidth-x", true, "memory bandwidth times B only", "LIST"},
    {"--host-x", true, "the host (dispatch, Python and launch calls) H times faster", "LIST"},
    {"--host", true, "run the GPUs on these hosts (fwtax list hosts, or host profile files; default: each device's own)",
     "LIST"},
    {"--width-x", true, "model width times W (hidden size and heads, or ResNet widths)", "LIST"},
    {"--depth-x", true, "model depth times D (layers or blocks)", "LIST"},
    {"--measure", true, "sync (default) or pipelined", "MODE"},
    {"--format", true, "table (default), csv or json", "FORMAT"},
    {"--report", true, "write an HTML report with plots into this folder", "DIR"},
    {"--help", false, "this help", ""},
};

}  // namespace

SweepRequest parse_sweep_request(const Args& a);

int cmd_project(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args a(argv, kFlags);
  if (a.has("--help")) {
    out << usage_of("Usage: fwtax project [options]\n\nProjects latency, framework tax and the crossover batch onto "
                    "faster or other GPUs, faster hosts, and wider or deeper models.",
                    kFlags, kListSyntax);
    return 0;
  }
  if (!a.positional().empty()) throw InputError(a.positional().front(), "", "unexpected argument (see --help)");
  if (a.has("--device") && a.has("--devices")) throw InputError("--devices", "", "give --device or --devices, not both");
  ProjectRequest q;
  // The options shared with simulate are read the same way.
  std::vector<std::string> common;
  for (const char* f : {"--model", "--framework", "--dtype", "--seq", "--image", "--measure", "--phase", "--context",
                        "--new-tokens"})
    if (auto v = a.get(f)) {
      common.push_back(f);
      common.push_back(*v);
    }
  if (auto v = a.get("--batch")) {
    common.push_back("--batch");
    common.push_back(*v);
  }
  SweepRequest s = parse_sweep_request(Args(common, {{"--model", true, "", ""}, {"--framework", true, "", ""},
                                                     {"--dtype", true, "", ""}, {"--seq", true, "", ""},
                                                     {"--image", true, "", ""}, {"--measure", true, "", ""},
                                                     {"--batch", true, "", ""}, {"--phase", true, "", ""},
                                                     {"--context", true, "", ""}, {"--new-tokens", true, "", ""}}));
  q.models = s.models;
  q.frameworks = s.frameworks;
  q.dtypes = s.dtypes;
  q.dtype_from_config = s.dtype_from_config;
  q.seqs = s.seqs;
  q.images = s.images;
  q.measure = s.measure;
  q.phase = s.phase;
  q.contexts = s.contexts;
  q.new_tokens = s.new_tokens;
  if (a.has("--batch")) q.batches = s.batches;
  if (auto v = a.get("--device")) {
    if (v->find(',') != std::string::npos)
      throw InputError("--device", *v, "one device (to compare several, give them to --devices)");
    q.devices = {*v};
  }
  if (auto v = a.get("--devices")) q.devices = split_list("--devices", *v);
  if (auto v = a.get("--speedup")) q.speedup = parse_number_list("--speedup", *v);
  if (auto v = a.get("--compute-x")) q.compute_x = parse_number_list("--compute-x", *v);
  if (auto v = a.get("--bandwidth-x")) q.bandwidth_x = parse_number_list("--bandwidth-x", *v);
  if (auto v = a.get("--host-x")) q.host_x = parse_number_list("--host-x", *v);
  if (auto v = a.get("--host")) q.hosts = split_list("--host", *v);
  if (auto v = a.get("--width-x")) q.width_x = parse_number_list("--width-x", *v);
  if (auto v = a.get("--depth-x")) q.depth_x = parse_number_list("--depth-x", *v);
  std::string format = a.get_or("--format", "table");
  if (format != "table" && format != "csv" && format != "json")
    throw InputError("--format", "", "expected table, csv or json, got \"" + format + "\"");
  SweepExtras extras;
  auto rows = run_projection(q, Catalog::builtin(), &extras);
  for (const auto& w : extras.warnings) err << "fwtax: warning: " << w << '\n';
  if (auto dir = a.get("--report")) {
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    std::ofstream f(std::filesystem::path(*dir) / "index.html");
    if (ec || !f) throw InputError(*dir, "", "cannot write the report there (--report)");
    f << project_report_html(q, rows);
  }
  if (format == "json") {
    Json arr = Json::array();
    for (const auto& r : rows) arr.push_back(project_row_to_json(r));
    out << arr.dump(1) << '\n';
  } else if (format == "csv") {
    write_project_csv(out, rows);
  } else {
    write_project_table(out, rows);
  }
  return 0;
}

}  // namespace fwtax::cli
