// The Framework Tax paper's CSVs and file-format detection for measured runs.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"
#include "model/trace.hpp"
#include "validate/measured.hpp"

namespace fwtax {
namespace {

// Splits one CSV line; fields may be quoted ("(1, 1, 1)").
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string device_of_file(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  std::string lower;
  for (char c : stem) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("3090", 0) == 0) return "3090";  // 3090-1.csv is a second pass on the same GPU
  if (lower == "rtx-8000" || lower == "rtx8000-cuda") return "rtx8000";
  // The ONNX Runtime runs were made on the RTX 8000 host (../shared/data/framework-tax-2022/README.md).
  if (lower.rfind("pretrained-onnx", 0) == 0) return "rtx8000";
  return lower;
}

// The folder a file is in (pretrained-fp32, ...): the paper's folders say what a CSV's runs are.
std::string folder_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  std::string dir = path.substr(0, slash);
  return dir.substr(dir.find_last_of('/') == std::string::npos ? 0 : dir.find_last_of('/') + 1);
}

// The host of a file's runs where it is not its device's: a pass of the paper's measurements made while
// the GPU's host ran at another speed, every model alike. Each such host is fitted from its own pass's
// eager bert-base rows (calibrate/derive/fit_paper_hosts.sh), as each paper GPU's is; no TorchScript
// latency enters one.
// - 3090-1.csv, a second fp16 pass on the RTX 3090: every model, bert-base too, about 1.7x slower at
//   small batch than in 3090.csv (bert-base at batch 1: 14.65 against 8.21 ms).
// - The RTX A6000's fp32 eager pass: every model's framework-bound runs 1.4-2.7x their prediction on
//   the host of its fp16 eager pass, against 0.8-1.3x in that pass (bert-base at batch 1: 14.30
//   against 6.66 ms). Its TorchScript passes ran at the slower speed too: their bert-base at batch 1
//   took 0.43x (fp32) and 1.05x (fp16) its eager time in the same dtype, where the seven other GPUs'
//   took 0.36-0.87x and 0.37-0.58x.
std::string host_of_file(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  if (stem == "3090-1") return "paper-3090-pass2";
  const std::string folder = folder_of(path);
  if (stem == "A6000" && (folder == "pretrained-fp32" || folder.rfind("pretrained-torchscript", 0) == 0)) return "paper-a6000-slow";
  return "";
}

}  // namespace

std::vector<MeasuredRun> parse_paper_csv(const std::string& text, const std::string& file, const std::string& device,
                                         const std::string& folder, std::vector<std::string>* notes) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw InputError(file, "line 1", "the file is empty; expected a CSV header");
  auto header = csv_fields(line);
  auto col = [&](const char* name) -> long {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : it - header.begin();
  };
  long cm = col("model"), cb = col("batch_size"), ci = col("input_size"), cl = col("latency"), cmacs = col("macs");
  long cd = col("dtype");
  if (cb < 0) cb = col("batch");  // the ONNX Runtime files name it so
  if (cm < 0 || cb < 0 || cl < 0)
    throw InputError(file, "line 1", "expected the columns model, batch_size (or batch) and latency (the paper's CSV format)");
  // The folder says the framework: the paper ran PyTorch 1.12 and ONNX Runtime 1.12, predicted with the
  // 2022 stacks (data/frameworks/*@1.12.json; its eager, today's eager profile with that stack's half
  // convolution cost, is what the paper's hosts were fitted on).
  std::string framework, dtype;
  if (folder == "pretrained-fp32") framework = "pytorch-eager@1.12", dtype = "fp32";
  else if (folder == "pretrained-fp16") framework = "pytorch-eager@1.12", dtype = "fp16";
  else if (folder == "pretrained-torchscript") framework = "torchscript@1.12", dtype = "fp32";
  else if (folder == "pretrained-torchscript-fp16") framework = "torchscript@1.12", dtype = "fp16";
  else if (folder == "onnxruntime") {
    framework = "onnxruntime@1.12";
    std::string lower = file;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (cd < 0 && lower.find("fp16") != std::string::npos) dtype = "fp16";
    else if (cd < 0)
      throw InputError(file, "line 1", "expected a dtype column (fp16 or fp32) or a file name that says fp16: the "
                                       "ONNX Runtime files without one do not say what precision they ran");
  } else
    throw InputError(file, "", "expected a file under pretrained-fp32/, pretrained-fp16/, pretrained-torchscript/, "
                               "pretrained-torchscript-fp16/ or onnxruntime/ (the folder says the framework and dtype), "
                               "got folder \"" + folder + "\"");
  // The paper ran transformers 4.22 (eager attention) and torchvision 0.13; its "densenet" was
  // densenet161 and its "efficientnet" timm's efficientnetv2_m (5.4 GMACs at 224 in its CSVs), which
  // the zoo lacks, like efficientnet_lite and gernet: those rows are skipped.
  static const std::map<std::string, std::string> names = {
      {"bert", "bert-base"},          {"distilbert", "distilbert"},       {"albert", "albert-base"},
      {"mobile_bert", "mobilebert"},  {"squeeze_bert", "squeezebert"},    {"funnel_transformer", "funnel-small"},
      {"vit32", "vit-b32"},           {"resnet18", "resnet18"},
      {"resnet50", "resnet50"},       {"resnet101", "resnet101"},         {"resnet152", "resnet152"},
      {"alexnet", "alexnet"},         {"squeezenet", "squeezenet"},       {"vgg16", "vgg16"},
      {"densenet", "densenet161"},    {"inception", "inception-v3"},      {"googlenet", "googlenet"},
      {"shufflenet", "shufflenet-v2"}, {"mobilenet_v2", "mobilenet-v2"},  {"wide_resnet50_2", "wide-resnet50"},
      {"mnasnet", "mnasnet"},         {"resnext50_32x4d", "resnext50"}};
  std::vector<MeasuredRun> out;
  std::size_t n = 1, defects = 0;
  std::map<std::string, std::size_t> unbuilt;  // rows of models the zoo lacks, by name
  // A field's number: empty (pandas' missing value) and "nan" read as NaN; other text is an error.
  auto number = [&](const std::string& text, const char* what) {
    if (text.empty() || text == "nan" || text == "NaN") return std::nan("");
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0')
      throw InputError(file, "line " + std::to_string(n), std::string("expected a number for ") + what + ", got \"" + text + "\"");
    return v;
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto f = csv_fields(line);
    auto field = [&](long c) { return c >= 0 && static_cast<std::size_t>(c) < f.size() ? f[static_cast<std::size_t>(c)] : std::string(); };
    double latency = number(field(cl), "latency (seconds)"), batch = number(field(cb), "the batch size");
    double size = ci >= 0 ? std::atof(field(ci).c_str()) : 0;
    if (latency < 0 || std::isinf(latency))
      throw InputError(file, "line " + std::to_string(n), "expected a finite latency >= 0 seconds, got \"" + field(cl) + "\"");
    if (batch < 1 || batch != std::floor(batch))
      throw InputError(file, "line " + std::to_string(n), "expected a batch size that is an integer >= 1, got \"" + field(cb) + "\"");
    // The data's known defects (its README): no latency (0 or missing), a batch > 512.
    if (!(latency > 0) || !(batch <= 512)) {
      ++defects;
      continue;
    }
    if (!(size >= 0 && size <= 16777216))
      throw InputError(file, "line " + std::to_string(n), "expected an input_size in [0, 16777216], got \"" + field(ci) + "\"");
    auto m = names.find(field(cm));
    if (m == names.end()) {  // efficientnet, efficientnet_lite, gernet, longformer: not in the zoo
      ++unbuilt[field(cm)];
      continue;
    }
    std::string row_dtype = cd >= 0 ? field(cd) : dtype;
    if (!parse_dtype(row_dtype))
      throw InputError(file, "line " + std::to_string(n), "expected a dtype fp16 or fp32, got \"" + row_dtype + "\"");
    const Architecture* a = find_builtin_architecture(m->second);
    MeasuredRun r;
    r.model = m->second;
    r.device = device;
    r.framework = framework;
    r.mode = folder;
    r.dtype = *parse_dtype(row_dtype);
    r.batch = static_cast<long long>(batch);
    if (a->input == InputKind::tokens) {
      r.seq = size >= 1 ? static_cast<long long>(size) : 128;
    } else {
      r.image = size >= 32 ? static_cast<long long>(size) : a->default_image;
      // The images were built at input_size (224) and fed as they were, inception_v3 included.
    }
    r.measure = Measure::pipelined;
    r.latency_s = latency;
    r.min_s = latency;
    if (cmacs >= 0) {
      double macs = std::atof(field(cmacs).c_str());
      r.macs = std::isfinite(macs) && macs > 0 ? macs : 0;
    }
    r.source = file;
    r.where = "line " + std::to_string(n);
    out.push_back(std::move(r));
  }
  if (notes && (defects > 0 || !unbuilt.empty())) {
    std::string note = file + ": skipped ";
    auto rows_of = [](std::size_t k) { return std::to_string(k) + (k == 1 ? " row" : " rows"); };
    if (defects > 0) note += rows_of(defects) + " that are not measurements (latency 0 or missing, batch > 512)";
    if (!unbuilt.empty()) {
      std::size_t rows = 0;
      std::string names_list;
      for (const auto& [name, count] : unbuilt) {
        rows += count;
        names_list += (names_list.empty() ? "" : ", ") + (name.empty() ? std::string("(no name)") : name);
      }
      note += std::string(defects > 0 ? " and " : "") + rows_of(rows) + " of models fwtax does not build (" +
              names_list + ")";
    }
    notes->push_back(note);
  }
  return out;
}

bool is_paper_csv(std::string_view path) { return path.size() > 4 && path.ends_with(".csv"); }

std::vector<MeasuredRun> read_measured_file(const std::string& path, const std::string& device, Measure measure,
                                            std::vector<std::string>* notes) {
  std::string text = read_file_text(path);
  if (is_paper_csv(path)) {
    auto runs = parse_paper_csv(text, path, device.empty() ? device_of_file(path) : device, folder_of(path), notes);
    // Predicted on another device (--device, FILE=DEVICE) the runs are a what-if on that device's host.
    const std::string host = device.empty() || device == device_of_file(path) ? host_of_file(path) : "";
    for (auto& r : runs) {
      r.measure = Measure::pipelined;  // the paper timed calls back to back
      r.host = host;
    }
    return runs;
  }
  Json j = parse_json(text, path);
  if (!j.is_object() || !j.contains("runs"))
    throw InputError(path, "/runs", "missing: not a measured-runs file (expected a top-level \"runs\" array; see "
                                    "docs/measured-runs.md) or one of the paper's CSVs");
  std::string dev = device;
  const std::string gpu = j.contains("env") && j["env"].is_object() ? string_member(j["env"], "gpu", "") : "";
  const std::string measured_on = device_for_gpu_name(gpu);
  if (dev.empty()) dev = measured_on;
  // A built-in device of another GPU than the runs': a what-if, or a mistake; said either way.
  else if (notes && !measured_on.empty() && !looks_like_path(dev) && dev.rfind(measured_on, 0) != 0)
    notes->push_back(path + ": the runs were measured on " + gpu + " (env.gpu), and --device " + dev +
                     " predicts them on another GPU");
  else if (notes && !gpu.empty() && looks_like_path(dev)) {
    // A profile file: a CPU's predicts a GPU's runs on a CPU.
    try {
      if (Catalog::builtin().device(dev).kind == DeviceKind::cpu)
        notes->push_back(path + ": the runs were measured on " + gpu + " (env.gpu), and --device " + dev +
                         " is a CPU profile: they are predicted on that CPU");
    } catch (const InputError&) {  // a bad profile is reported where the runs are predicted
    }
  }
  if (dev.empty())
    throw InputError(path, "", "the file does not say its device (env.gpu): give --device");
  auto runs = parse_runs_json(j, path, dev);
  for (auto& r : runs) r.measure = measure;
  return runs;
}

}  // namespace fwtax
