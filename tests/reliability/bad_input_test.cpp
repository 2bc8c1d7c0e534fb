// Bad input, table-driven: every reader (device, framework and host references, architecture JSON,
// Hugging Face config.json, Kineto traces, measured runs, the paper's CSVs, calibration inputs) and the
// command line. Each case runs the real binary and must end with exit status 2 within a second, on
// one "fwtax: error:" message that names the file (or flag), the place in it and what was expected:
// never a crash, a hang, an internal error or a silently wrong number.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "model/json_spec.hpp"

using namespace fwtax;
namespace fs = std::filesystem;

namespace {

struct Case {
  const char* name;
  const char* file;  // written under the scratch folder before the run ("" for none)
  std::function<std::string()> content;
  const char* args;  // "{f}" stands for the file's path
  std::vector<std::string> expect;  // substrings of stderr besides the file's name
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json builtin(const char* rel) { return Json::parse(slurp(fs::path(FWTAX_SOURCE_DIR) / "data" / rel)); }

// A built-in profile with one member set (pointer, value) or removed (value discarded).
std::function<std::string()> patched(const char* rel, std::string pointer, Json value, bool remove = false) {
  return [=] {
    Json j = builtin(rel);
    Json::json_pointer p(pointer);
    if (remove) j[p.parent_pointer()].erase(p.back());
    else j[p] = value;
    return j.dump();
  };
}
std::function<std::string()> text(std::string s) {
  return [s] { return s; };
}
std::function<std::string()> replaced(const char* rel, std::string from, std::string to) {
  return [=] {
    std::string s = builtin(rel).dump();
    s.replace(s.find(from), from.size(), to);
    return s;
  };
}
std::function<std::string()> run_with(const std::string& key, Json value) {
  return [=] {
    Json r = {{"model", "bert-base"}, {"mode", "eager"}, {"dtype", "fp32"}, {"batch", 1}, {"seq", 128},
              {"image", nullptr}, {"median_s", 0.005}};
    if (!key.empty()) r[key] = value;
    return Json{{"runs", Json::array({r})}}.dump();
  };
}

const char* kDev = "devices/v100.json";
const char* kFw = "frameworks/libtorch.json";
const std::string kCsvHeader = "model,batch_size,input_size,latency\n";

std::vector<Case> cases() {
  std::string garbage;
  for (int i = 0; i < 256; ++i) garbage += static_cast<char>((i * 37 + 11) & 0xff);
  const char* D = "simulate --device {f}";
  const char* F = "simulate --framework {f}";
  const char* M = "simulate --model {f}";
  const char* T = "simulate --trace {f}";
  const char* V = "validate --measured {f} --device h100";
  // Kernel sweeps merged into the committed H200 probe output.
  static const std::string S = "calibrate --target cuda --from " + std::string(FWTAX_SOURCE_DIR) +
                               "/data/measured/h200-2026-11/probe.json --merge {f} --out {f}.out --quiet";
  auto sweeps = [](const char* linear, const char* rest) {
    return text(std::string(R"({"schema": "fwtax.python_dispatch/1", "device": "cuda", "sweeps": {"linear": [)") +
                linear + "]" + rest + "}}");
  };
  return {
      // Device profiles.
      {"device: empty file", "dev.json", text(""), D, {"line 1, column 1", "empty"}},
      {"device: truncated",
       "dev.json",
       [] { return builtin(kDev).dump().substr(0, 200); },
       D,
       {"line 1", "not valid JSON"}},
      {"device: binary garbage", "dev.json", text(garbage), D, {"not valid JSON"}},
      {"device: top level is an array", "dev.json", text("[1, 2]"), D, {"/", "expected an object"}},
      {"device: peak is a string",
       "dev.json",
       patched(kDev, "/peak_flops_per_s/fp32_simt", "fast"),
       D,
       {"/peak_flops_per_s/fp32_simt", "expected a number > 0"}},
      {"device: peak 1e400",
       "dev.json",
       replaced(kDev, "15700000000000.0", "1e400"),
       D,
       {"line 1", "number out of range", "finite"}},
      {"device: negative bandwidth",
       "dev.json",
       patched(kDev, "/memory/bandwidth_bytes_per_s", -9e11),
       D,
       {"/memory/bandwidth_bytes_per_s", "expected a number > 0"}},
      {"device: zero bandwidth",
       "dev.json",
       patched(kDev, "/memory/bandwidth_bytes_per_s", 0),
       D,
       {"/memory/bandwidth_bytes_per_s", "> 0"}},
      {"device: NaN literal", "dev.json", replaced(kDev, "9.22e-07", "NaN"), D, {"line 1", "not valid JSON"}},
      {"device: unknown key", "dev.json", patched(kDev, "/memroy", 1), D, {"/memroy", "valid keys are"}},
      {"device: kind tpu",
       "dev.json",
       patched(kDev, "/kind", "tpu"),
       D,
       {"/kind", "expected one of gpu, cpu"}},
      {"device: no name", "dev.json", patched(kDev, "/name", nullptr, true), D, {"/name", "missing"}},
      {"device: name is a number", "dev.json", patched(kDev, "/name", 5), D, {"/name", "expected a string"}},
      {"device: unknown host",
       "dev.json",
       patched(kDev, "/host", "nohost"),
       D,
       {"/host", "unknown host 'nohost'"}},
      {"device: negative strided rate",
       "dev.json",
       patched(kDev, "/efficiency/strided_elements_per_s", -2.6e11),
       D,
       {"/efficiency/strided_elements_per_s", "> 0"}},
      {"device: negative batch-norm plane rate",
       "dev.json",
       patched(kDev, "/efficiency/batch_norm/planes_per_s", -1.4e9),
       D,
       {"/efficiency/batch_norm/planes_per_s", "> 0"}},
      {"device: batch-norm bounds not an object",
       "dev.json",
       patched(kDev, "/efficiency/batch_norm", 3.4e11),
       D,
       {"/efficiency/batch_norm", "expected an object"}},
      {"device: unknown batch-norm bound",
       "dev.json",
       patched(kDev, "/efficiency/batch_norm/rate", 1),
       D,
       {"/efficiency/batch_norm/rate", "unknown"}},
      {"device: launch host unknown",
       "dev.json",
       patched(kDev, "/launch/measured_on_host", "nohost"),
       D,
       {"/launch/measured_on_host", "unknown host"}},
      {"device: like an unknown device",
       "dev.json",
       patched(kDev, "/efficiency/like", "h9000"),
       D,
       {"/efficiency/like", "unknown device"}},
      {"device: negative launch cost",
       "dev.json",
       patched(kDev, "/launch/host_s", -1e-6),
       D,
       {"/launch/host_s", ">= 0"}},
      {"device: efficiency above 1",
       "dev.json",
       patched(kDev, "/efficiency/gemm", Json{{"fp32_simt", {{1e6, 1.5}}}}),
       D,
       {"/efficiency/gemm/fp32_simt/0/1", "(0, 1]"}},
      {"device: efficiency curve not an array",
       "dev.json",
       patched(kDev, "/efficiency/gemm", Json{{"fp32_simt", 3}}),
       D,
       {"/efficiency/gemm/fp32_simt", "non-empty array"}},
      {"device: no fp32 peak",
       "dev.json",
       patched(kDev, "/peak_flops_per_s/fp32_simt", nullptr, true),
       D,
       {"/peak_flops_per_s/fp32_simt", "missing"}},
      {"device: negative zero kernel time",
       "dev.json",
       patched(kDev, "/kernel_min_s", -0.0),
       D,
       {"/kernel_min_s", "> 0"}},
      {"device: shape point with 3 numbers",
       "dev.json",
       patched(kDev, "/efficiency/gemm_shapes", Json{{"fp32_simt", {{1, 2, 0.5}}}}),
       D,
       {"/efficiency/gemm_shapes/fp32_simt/0"}},
      // Framework profiles.
      {"framework: mode turbo",
       "fw.json",
       patched(kFw, "/mode", "turbo"),
       F,
       {"/mode", "eager, script, graph"}},
      {"framework: negative op cost",
       "fw.json",
       patched(kFw, "/op_host_s/linear", -1e-6),
       F,
       {"/op_host_s/linear", ">= 0"}},
      {"framework: unknown op class",
       "fw.json",
       patched(kFw, "/op_host_s/quantum", 1e-6),
       F,
       {"/op_host_s/quantum", "valid keys"}},
      {"framework: cost is a string",
       "fw.json",
       patched(kFw, "/call_host_s", "slow"),
       F,
       {"/call_host_s", "expected a number"}},
      {"framework: unknown reference host",
       "fw.json",
       patched(kFw, "/reference_host", "nohost"),
       F,
       {"/reference_host", "unknown host"}},
      {"framework: empty file", "fw.json", text(""), F, {"line 1", "empty"}},
      {"framework: op costs not an object",
       "fw.json",
       patched(kFw, "/op_host_s", Json::array({1, 2})),
       F,
       {"/op_host_s", "expected an object"}},
      // Architecture JSON.
      {"arch: unknown family",
       "a.json",
       text(R"({"name": "m", "family": "transformer-xl", "layers": 2})"),
       M,
       {"/family", "families are"}},
      {"arch: negative layers",
       "a.json",
       text(R"({"name": "m", "family": "bert", "layers": -3})"),
       M,
       {"/layers", "[1, 4096]"}},
      {"arch: zero hidden",
       "a.json",
       text(R"({"name": "m", "family": "bert", "hidden": 0})"),
       M,
       {"/hidden", "expected an integer"}},
      {"arch: heads do not divide hidden",
       "a.json",
       text(R"({"name": "m", "family": "bert", "hidden": 768, "heads": 5})"),
       M,
       {"/heads", "do not divide"}},
      {"arch: like an unknown model",
       "a.json",
       text(R"({"name": "m", "like": "bert-huge"})"),
       M,
       {"/like", "built-in models are"}},
      {"arch: attention flash",
       "a.json",
       text(R"({"name": "m", "like": "bert-base", "attention": "flash"})"),
       M,
       {"/attention", "sdpa, eager"}},
      {"arch: vocab 1e400",
       "a.json",
       text(R"({"name": "m", "like": "bert-base", "vocab": 1e400})"),
       M,
       {"line 1", "number out of range"}},
      {"arch: layers as a word",
       "a.json",
       text(R"({"name": "m", "like": "bert-base", "layers": "twelve"})"),
       M,
       {"/layers", "expected an integer"}},
      {"arch: misspelt key",
       "a.json",
       text(R"({"name": "m", "like": "bert-base", "hiden": 512})"),
       M,
       {"/hiden", "valid keys"}},
      {"arch: neither family nor like",
       "a.json",
       text(R"({"name": "m", "layers": 2})"),
       M,
       {"/family", "missing"}},
      {"arch: resnet stage of -1 blocks",
       "a.json",
       text(R"({"name": "m", "family": "resnet", "blocks": [3, 4, -1, 3]})"),
       M,
       {"/blocks/2", "[1, 1000]"}},
      {"arch: like and family",
       "a.json",
       text(R"({"name": "m", "like": "bert-base", "family": "gpt2"})"),
       M,
       {"/family", "not both"}},
      {"arch: resnet with three stages",
       "a.json",
       text(R"({"name": "m", "family": "resnet", "blocks": [3, 4, 6]})"),
       M,
       {"/blocks", "four stages, got 3"}},
      // Hugging Face config.json.
      {"hf: unknown model_type",
       "config.json",
       text(R"({"model_type": "gptj", "hidden_size": 768})"),
       M,
       {"/model_type", "expected one of bert"}},
      {"hf: zero heads",
       "config.json",
       text(
           R"({"model_type": "bert", "hidden_size": 768, "num_attention_heads": 0, "num_hidden_layers": 12})"),
       M,
       {"/num_attention_heads", "positive integer"}},
      {"hf: heads do not divide hidden",
       "config.json",
       text(
           R"({"model_type": "bert", "hidden_size": 768, "num_attention_heads": 7, "num_hidden_layers": 12})"),
       M,
       {"/num_attention_heads", "do not divide"}},
      {"hf: hidden size as a string",
       "config.json",
       text(R"({"model_type": "bert", "hidden_size": "768"})"),
       M,
       {"/hidden_size", "expected an integer"}},
      {"hf: model_type a number", "config.json", text(R"({"model_type": 3})"), M, {"/model_type", "got 3"}},
      {"hf: a dtype fwtax does not model",
       "config.json",
       text(R"({"model_type": "llama", "torch_dtype": "float64"})"),
       M,
       {"/torch_dtype", "expected \"float32\", \"float16\", \"bfloat16\" or null, got \"float64\""}},
      {"hf: gemma head_dim zero",
       "config.json",
       text(R"({"model_type": "gemma", "head_dim": 0})"),
       M,
       {"/head_dim", "expected a positive integer, got 0"}},
      {"hf: hidden size null",
       "config.json",
       text(R"({"model_type": "llama", "hidden_size": null})"),
       M,
       {"/hidden_size", "expected an integer, got null"}},
      {"hf: layers a float",
       "config.json",
       text(R"({"model_type": "llama", "num_hidden_layers": 32.5})"),
       M,
       {"/num_hidden_layers", "expected an integer, got 32.5"}},
      {"hf: half a million layers",
       "config.json",
       text(R"({"model_type": "llama", "num_hidden_layers": 532000})"),
       M,
       {"/num_hidden_layers", "at most 4096"}},
      {"cli: depth beyond the layer limit",
       "",
       nullptr,
       "project --depth-x 1000",
       {"--depth-x", "at most 4096"}},
      // Kineto traces.
      {"trace: negative duration",
       "t.json",
       text(
           R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::add", "ts": 0, "dur": -5, "pid": 1, "tid": 1}]})"),
       T,
       {"/traceEvents/0", "\"dur\" >= 0"}},
      {"trace: no traceEvents",
       "t.json",
       text(R"({"events": []})"),
       T,
       {"expected a top-level \"traceEvents\" array"}},
      {"trace: traceEvents an object",
       "t.json",
       text(R"({"traceEvents": {}})"),
       T,
       {"\"traceEvents\" must be an array"}},
      {"trace: truncated",
       "t.json",
       text(R"({"traceEvents": [{"ph": "X", "name": "aten::add", "ts": 0,)"),
       T,
       {"byte", "truncated"}},
      {"trace: no events", "t.json", text(R"({"traceEvents": []})"), T, {"/traceEvents", "no framework ops"}},
      {"trace: ts a string",
       "t.json",
       text(R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::add", "ts": "0", "dur": 5}]})"),
       T,
       {"/traceEvents/0", "numeric \"ts\""}},
      {"trace: only Python events",
       "t.json",
       text(R"({"traceEvents": [{"ph": "X", "cat": "python_function", "name": "f", "ts": 0, "dur": 5}]})"),
       T,
       {"/traceEvents", "no framework ops"}},
      {"trace: empty file", "t.json", text(""), T, {"byte 1", "empty"}},
      {"trace: ts 1e400",
       "t.json",
       text(R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::add", "ts": 1e400, "dur": 5}]})"),
       T,
       {"byte", "number out of range"}},
      {"trace: binary", "t.json", text(std::string("\0\1\2", 3)), T, {"byte 1", "not text"}},
      {"trace: gzip cut short",
       "t.json.gz",
       text(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\x56", 12)),
       T,
       {"damaged or truncated"}},
      // Measured runs.
      {"runs: not an array", "r.json", text(R"({"runs": {}})"), V, {"/runs", "expected an array"}},
      {"runs: negative latency", "r.json", run_with("median_s", -0.001), V, {"/runs/0/median_s", "> 0"}},
      {"runs: batch 0", "r.json", run_with("batch", 0), V, {"/runs/0/batch", "expected an integer"}},
      {"runs: dtype fp64", "r.json", run_with("dtype", "fp64"), V, {"/runs/0/dtype", "fp32, fp16 or bf16"}},
      {"runs: neither seq nor image", "r.json", run_with("seq", nullptr), V, {"/runs/0", "seq or image"}},
      {"runs: unknown model",
       "r.json",
       run_with("model", "bert-huge"),
       V,
       {"/runs/0", "unknown model 'bert-huge'"}},
      {"runs: unknown mode",
       "r.json",
       run_with("mode", "turbo"),
       V,
       {"/runs/0", "unknown framework 'turbo'"}},
      {"runs: no device anywhere",
       "r.json",
       run_with("", nullptr),
       "validate --measured {f}",
       {"env.gpu", "--device"}},
      {"runs: empty list", "r.json", text(R"({"runs": []})"), V, {"no runs to validate"}},
      {"runs: latency with a unit",
       "r.json",
       run_with("median_s", "5ms"),
       V,
       {"/runs/0/median_s", "expected a number"}},
      {"runs: unknown top-level key",
       "r.json",
       text(R"({"runs": [], "rnus": 1})"),
       V,
       {"/rnus", "valid keys"}},
      {"runs: params not a number",
       "r.json",
       run_with("params", "110M"),
       V,
       {"/runs/0/params", "parameter count"}},
      {"runs: meta not an object", "r.json", run_with("meta", 3), V, {"/runs/0/meta", "expected an object"}},
      {"runs: a phase fwtax does not know", "r.json", run_with("phase", "sample"), V, {"/runs/0/phase"}},
      {"runs: a context outside decode",
       "r.json",
       run_with("context", 64),
       V,
       {"/runs/0/context", "only a decode step has a context"}},
      {"runs: variant with a negative width",
       "r.json",
       text(R"({"runs": [{"model": "bert-base-w2", "mode": "eager", "dtype": "fp32", "batch": 1, "seq": 128,
                "median_s": 0.005, "meta": {"hidden_size": -768}}]})"),
       V,
       {"/runs/0/meta/hidden_size", "positive integer"}},
      {"runs: variant whose heads do not divide the width",
       "r.json",
       text(R"({"runs": [{"model": "bert-base-w2", "mode": "eager", "dtype": "fp32", "batch": 1, "seq": 128,
                "median_s": 0.005, "meta": {"hidden_size": 1000, "num_attention_heads": 12}}]})"),
       V,
       {"/runs/0", "heads"}},
      // The paper's CSVs.
      {"csv: empty",
       "pretrained-fp32/v100.csv",
       text(""),
       "validate --measured {f}",
       {"line 1", "CSV header"}},
      {"csv: no such columns",
       "pretrained-fp32/v100.csv",
       text("a,b,c\n1,2,3\n"),
       "validate --measured {f}",
       {"line 1", "model, batch_size"}},
      {"csv: unknown folder",
       "other/v100.csv",
       text(kCsvHeader + "bert,1,128,0.01\n"),
       "validate --measured {f}",
       {"pretrained-fp32/", "got folder \"other\""}},
      {"csv: no usable rows",
       "pretrained-fp32/v100.csv",
       text(kCsvHeader + "bert,1,128,abc\nbert,0,128,0.01\n"),
       "validate --measured {f}",
       {"no runs to validate"}},
      {"csv: unknown GPU in the file name",
       "pretrained-fp32/tpu.csv",
       text(kCsvHeader + "bert,1,128,0.01\n"),
       "validate --measured {f}",
       {"line 2", "unknown device 'tpu'"}},
      // Calibration inputs.
      {"calibrate: probe output not JSON",
       "mb.json",
       text("{{{"),
       "calibrate --target cpu --from {f} --out {f}.out --quiet",
       {"line 1", "not valid JSON"}},
      {"calibrate: probe output without env",
       "mb.json",
       text("{}"),
       "calibrate --target cpu --from {f} --out {f}.out --quiet",
       {"/env", "missing"}},
      {"calibrate: CUDA fit of a CPU probe",
       "mb.json",
       text(R"({"schema": "fwtax.microbench.cpu/1"})"),
       "calibrate --target cuda --from {f} --out {f}.out --quiet",
       {"/env"}},
      {"calibrate: host runs file missing",
       "none.json",
       nullptr,
       "calibrate --target host --runs {f}",
       {"cannot open"}},
      {"calibrate: host model not in the runs",
       "r.json",
       run_with("", nullptr),
       "calibrate --target host --runs {f} --device h100 --model gpt2",
       {"no runs of --model gpt2"}},
      {"calibrate: merge file of the wrong kind",
       "py.json",
       text(R"({"runs": []})"),
       "calibrate --target cpu --from {f}.probe --merge {f} --quiet",
       {"cannot open"}},
      {"calibrate: sweep with a negative kernel time",
       "py.json",
       sweeps(R"({"dtype": "fp16", "m": 1, "n": 768, "k": 768, "flops": 1e6, "kernel_s": -1})",
              R"(, "attention": [], "layer_norm": [])"),
       S.c_str(),
       {"/sweeps/linear/0/kernel_s", "expected a number > 0"}},
      {"calibrate: sweep of an unknown dtype",
       "py.json",
       sweeps(R"({"dtype": "int4", "m": 1, "n": 768, "k": 768, "flops": 1e6, "kernel_s": 1e-5})",
              R"(, "attention": [], "layer_norm": [])"),
       S.c_str(),
       {"/sweeps/linear/0/dtype", "expected fp32, fp16 or bf16"}},
      {"calibrate: sweeps whose attention is not a list",
       "py.json",
       sweeps("", R"(, "attention": 5)"),
       S.c_str(),
       {"/sweeps/attention", "expected a list"}},
      {"calibrate: strided sweep without elements",
       "py.json",
       sweeps("", R"(, "attention": [], "layer_norm": [], "strided": [{"dtype": "fp16", "kernel_s": 1e-5}])"),
       S.c_str(),
       {"/sweeps/strided/0", "elements"}},
      {"calibrate: depthwise sweep with 0 channels",
       "py.json",
       sweeps(
           "",
           R"(, "attention": [], "layer_norm": [], "depthwise": [{"dtype": "fp16", "batch": 1, "channels": 0, "h": 7, "k": 3, "stride": 1, "kernel_s": 1e-5}])"),
       S.c_str(),
       {"/sweeps/depthwise/0/channels", "expected"}},
      {"calibrate: depthwise sweep with half a channel",
       "py.json",
       sweeps(
           "",
           R"(, "attention": [], "layer_norm": [], "depthwise": [{"dtype": "fp16", "batch": 1, "channels": 0.5, "h": 7, "k": 3, "stride": 1, "kernel_s": 1e-5}])"),
       S.c_str(),
       {"/sweeps/depthwise/0/channels", "whole number in [1, 1e6]"}},
      // The command line.
      {"cli: batch 0", "", nullptr, "simulate --batch 0", {"--batch", "expected an integer"}},
      {"cli: image size for a token model",
       "",
       nullptr,
       "simulate --model bert-base --image 224",
       {"--image", "none of the models takes images"}},
      {"cli: sequence length for a CNN",
       "",
       nullptr,
       "simulate --model resnet50 --seq 64",
       {"--seq", "none of the models reads a token sequence"}},
      {"cli: batch -4", "", nullptr, "simulate --batch -4", {"--batch", "got -4"}},
      {"cli: batch abc", "", nullptr, "simulate --batch abc", {"--batch", "got \"abc\""}},
      {"cli: batch 1:", "", nullptr, "simulate --batch 1:", {"--batch", "got \"1:\""}},
      {"cli: batch 1e3", "", nullptr, "simulate --batch 1e3", {"--batch"}},
      {"cli: batch 2^70", "", nullptr, "simulate --batch 1180591620717411303424", {"--batch"}},
      {"cli: seq 0", "", nullptr, "simulate --seq 0", {"--seq", "[1, 16777216]"}},
      {"cli: image 10", "", nullptr, "simulate --image 10", {"--image", "[32, 65536]"}},
      {"cli: image too small for Inception v3",
       "",
       nullptr,
       "simulate --model inception-v3 --image 74",
       {"--model inception-v3", "--image", "image size 74",
        "3x3 convolution (stride 2, padding 0) meets a 2x2 map"}},
      {"cli: image too small for AlexNet",
       "",
       nullptr,
       "simulate --model alexnet --image 48",
       {"--model alexnet", "--image", "max pool"}},
      {"cli: image not a multiple of ViT's patch",
       "",
       nullptr,
       "simulate --model vit-b16 --image 100",
       {"--model vit-b16", "--image", "multiple of the patch size, 16"}},
      {"cli: dtype fp64", "", nullptr, "simulate --dtype fp64", {"--dtype", "fp32, fp16 or bf16"}},
      {"cli: unknown device", "", nullptr, "simulate --device h1000", {"--device", "built-in devices are"}},
      {"cli: unknown model", "", nullptr, "simulate --model bert-huge", {"--model", "built-in models are"}},
      {"cli: unknown framework",
       "",
       nullptr,
       "simulate --framework turbo",
       {"--framework", "built-in frameworks are"}},
      {"cli: format xml", "", nullptr, "simulate --format xml", {"--format", "table, matrix, csv or json"}},
      {"cli: measure async", "", nullptr, "simulate --measure async", {"--measure", "sync or pipelined"}},
      {"cli: misspelt command", "", nullptr, "simulat", {"simulat", "commands are"}},
      {"cli: unknown option", "", nullptr, "simulate --frobnicate", {"--frobnicate", "valid options"}},
      {"cli: option without its value", "", nullptr, "simulate --batch", {"--batch"}},
      {"cli: timeline into a missing folder",
       "",
       nullptr,
       "simulate --timeline /nonexistent/dir/x.json",
       {"/nonexistent/dir/x.json", "cannot open the file for writing"}},
      {"cli: speedup abc", "", nullptr, "project --speedup abc", {"--speedup", "expected a number"}},
      {"cli: width 0", "", nullptr, "project --width-x 0", {"--width-x", "expected a number"}},
      {"cli: validate without data", "", nullptr, "validate", {"--run or --measured"}},
      {"cli: validate --run tpu", "", nullptr, "validate --run tpu", {"--run", "expected cpu"}},
      {"cli: calibrate --target tpu",
       "",
       nullptr,
       "calibrate --target tpu",
       {"--target", "cpu, cuda, host or ranges"}},
      {"cli: host-x 0", "", nullptr, "simulate --host-x 0", {"--host-x", "[0.001, 1000]"}},
      {"cli: measured latency without a trace",
       "",
       nullptr,
       "simulate --measured-latency 0.005",
       {"--measured-latency", "give --trace"}},
      {"cli: measured latency abc",
       "",
       nullptr,
       "simulate --trace " FWTAX_SOURCE_DIR
       "/data/traces/h100-2026-11/bert-base_fp16_bs1.json.gz --measured-latency abc",
       {"--measured-latency", "expected a number"}},
      {"cli: measured latency below the GPU's time",
       "",
       nullptr,
       "simulate --trace " FWTAX_SOURCE_DIR
       "/data/traces/h100-2026-11/bert-base_fp16_bs1.json.gz --measured-latency 1e-4",
       {"--measured-latency", "expected a latency in that range"}},
      {"calibrate: ranges without runs",
       "",
       nullptr,
       "calibrate --target ranges",
       {"--target ranges", "--runs"}},
      {"calibrate: projected ranges from runs with none on a projected GPU",
       "r.json",
       run_with("", nullptr),
       "calibrate --target ranges --runs {f} --device h100 --projected-runs {f} --out {f}.out",
       {"--projected-runs", "projected device"}},
      {"phase: decode of an encoder",
       "",
       nullptr,
       "simulate --model bert-base --phase decode",
       {"--phase", "causal LM"}},
      {"phase: unknown",
       "",
       nullptr,
       "simulate --model gpt2 --phase sample",
       {"--phase", "forward, prefill, decode or generate"}},
      {"phase: generate without new tokens",
       "",
       nullptr,
       "simulate --model gpt2 --phase generate",
       {"--new-tokens"}},
      {"phase: context past the positions",
       "",
       nullptr,
       "simulate --model gpt2 --phase decode --context 2048",
       {"--context", "1024 position embeddings"}},
      {"phase: negative context",
       "",
       nullptr,
       "simulate --model gpt2 --phase decode --context -5",
       {"--context"}},
      {"cli: unknown host", "", nullptr, "simulate --host nohost", {"--host", "unknown host 'nohost'"}},
      {"host: relative_time negative",
       "host.json",
       text(R"({"name": "h", "relative_time": -2})"),
       "simulate --host {f}",
       {"/relative_time", "> 0"}},
      {"host: not a host profile",
       "host.json",
       text(R"({"name": "h", "speed": 2})"),
       "project --host {f}",
       {"/speed"}},
      {"host: validate reads the host before measuring",
       "host.json",
       text(R"({"name": "h", "relative_ti)"),
       "validate --run cpu --host {f}",
       {"host.json"}},
      {"cli: graphs on a CPU",
       "",
       nullptr,
       "simulate --framework cuda-graphs --device this-cpu-missing.json",
       {"this-cpu-missing.json", "cannot open"}},
      {"cli: device file that is a folder", "", nullptr, "simulate --device /tmp", {"/tmp"}},
      {"cli: seq list with a gap", "", nullptr, "simulate --seq 128,,256", {"--seq"}},
      {"cli: empty model list", "", nullptr, "simulate --model ,", {"--model"}},
      // What a new user tries.
      {"new user: device in capitals",
       "",
       nullptr,
       "simulate --device H100",
       {"--device", "did you mean 'h100'?"}},
      {"new user: model typo",
       "",
       nullptr,
       "simulate --model bert-bse",
       {"--model", "did you mean 'bert-base'?"}},
      {"new user: framework with an underscore",
       "",
       nullptr,
       "simulate --framework pytorch_eager",
       {"did you mean 'pytorch-eager'?"}},
      {"new user: model as an argument",
       "",
       nullptr,
       "simulate bert-base",
       {"bert-base", "unexpected argument"}},
      {"new user: batch range with a dash", "", nullptr, "simulate --batch 1-8", {"--batch", "got \"1-8\""}},
      {"new user: reversed range", "", nullptr, "simulate --batch 8:1", {"--batch", "ends before it starts"}},
      {"new user: range that doubles past its end", "", nullptr, "simulate --batch 3:9",
       {"--batch", "range \"3:9\" doubles from 3 and never lands on 9", "A times a power of two (3:6 or 3:12)"}},
      {"new user: sequence range that doubles past its end", "", nullptr, "simulate --seq 100:300",
       {"--seq", "(100:200 or 100:400)"}},
      {"new user: a list item that is no range", "", nullptr, "simulate --batch 1..8",
       {"--batch", "got \"1..8\"", "a doubling range such as 1:256"}},
      {"new user: a range as the smallest batch", "", nullptr, "validate --measured runs.json --min-batch 1:8", {"--min-batch", "expected an integer", "got \"1:8\""}},
      {"new user: a timeline of too many configurations", "", nullptr,
       "simulate --model bert-base,gpt2 --device h100,a100,v100,b200 --framework pytorch-eager,cuda-graphs "
       "--batch 1:128 --timeline t.json",
       {"--timeline", "the sweep has 128 configurations; a timeline holds at most 100"}},
      {"new user: flag given twice", "", nullptr, "simulate --batch 1 --batch 2", {"--batch", "more than once"}},
      {"new user: calibrate without a target", "", nullptr, "calibrate", {"--target", "missing"}},
      {"new user: a device profile as measured runs",
       "dev.json",
       [] { return builtin(kDev).dump(); },
       V,
       {"/runs", "not a measured-runs file"}},
      {"new user: a device profile as a trace",
       "dev.json",
       [] { return builtin(kDev).dump(); },
       T,
       {"traceEvents"}},
      {"new user: a framework profile as a device",
       "fw.json",
       [] { return builtin(kFw).dump(); },
       D,
       {"/kind", "missing"}},
      {"new user: a device profile as a model",
       "dev.json",
       [] { return builtin(kDev).dump(); },
       M,
       {"/family"}},
  };
}

struct Result {
  int status;
  std::string err;
  double seconds;
};

Result run_binary(const std::string& args, const fs::path& scratch) {
  fs::path err = scratch / "stderr.txt";
  std::string cmd = "cd " + scratch.string() + " && " + std::string(FWTAX_BINARY) + " " + args + " > /dev/null 2> " +
                    err.string() + " < /dev/null";
  auto t0 = std::chrono::steady_clock::now();
  int raw = std::system(cmd.c_str());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw), slurp(err), s};
}

}  // namespace

TEST_CASE("bad input: exit status 2 and a message naming the file, the place and what was expected") {
  fs::path scratch = fs::temp_directory_path() / "fwtax_bad_input";
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  auto all = cases();
  MESSAGE(all.size() << " bad-input cases");
  CHECK(all.size() >= 60);
  for (const auto& c : all) {
    CAPTURE(c.name);
    std::string args = c.args, path;
    if (*c.file) {
      fs::path p = scratch / c.file;
      fs::create_directories(p.parent_path());
      fs::remove(p);
      if (c.content) std::ofstream(p, std::ios::binary) << c.content();
      path = p.string();
      for (auto at = args.find("{f}"); at != std::string::npos; at = args.find("{f}")) args.replace(at, 3, path);
    }
    Result r = run_binary(args, scratch);
    CAPTURE(r.err);
    CHECK(r.status == 2);
    CHECK(r.seconds < 1.0);
    CHECK(r.err.rfind("fwtax: error: ", 0) == 0);
    CHECK(r.err.find("internal error") == std::string::npos);
    if (*c.file) CHECK(r.err.find(fs::path(c.file).filename().string()) != std::string::npos);
    for (const auto& e : c.expect) CHECK(r.err.find(e) != std::string::npos);
  }
}
