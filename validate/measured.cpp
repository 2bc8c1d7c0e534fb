#include "validate/measured.hpp"

#include <map>

namespace fwtax {

std::string canonical_model_name(const std::string& name) {
  static const std::map<std::string, std::string> names = {
      {"vit_b_16", "vit-b16"},         {"vit_b_32", "vit-b32"},         {"vit32", "vit-b32"},
      {"mobilenet_v2", "mobilenet-v2"}, {"efficientnet_b0", "efficientnet-b0"},
      {"efficientnet", "efficientnet-b0"}, {"wide_resnet50_2", "wide-resnet50"}, {"bert", "bert-base"},
      {"mobile_bert", "mobilebert"},   {"squeeze_bert", "squeezebert"}, {"funnel_transformer", "funnel-small"},
      {"albert", "albert-base"}};
  auto it = names.find(name);
  return it == names.end() ? name : it->second;
}

std::string framework_of_mode(const std::string& mode) {
  if (mode == "eager") return "pytorch-eager";
  if (mode == "cudagraph" || mode == "cudagraphs" || mode == "cuda-graphs") return "cuda-graphs";
  if (mode == "torchscript") return "torchscript";
  if (mode == "libtorch") return "libtorch";
  return mode;
}

std::vector<MeasuredRun> parse_runs_json(const Json& j, const std::string& file, const std::string& device) {
  Diagnostics diag(file);
  std::vector<MeasuredRun> out;
  ObjectReader r(j, "", diag);
  r.allow({"env", "source", "schema", "timing"});
  const Json* runs = r.array("runs", true);
  r.finish();
  if (runs) {
    for (std::size_t i = 0; i < runs->size(); ++i) {
      std::string p = "/runs/" + std::to_string(i);
      ObjectReader e((*runs)[i], p, diag);
      e.allow({"params", "meta", "p90_s", "iters"});
      MeasuredRun m;
      if (const Json* arch = e.object("arch", false)) m.arch = *arch;
      m.model = canonical_model_name(e.string("model"));
      m.mode = e.string("mode");
      m.framework = framework_of_mode(m.mode);
      std::string dt = e.string("dtype");
      auto t = parse_dtype(dt);
      if (!t || !is_model_dtype(*t)) diag.add(p + "/dtype", "expected fp32, fp16 or bf16, got \"" + dt + "\"");
      else m.dtype = *t;
      m.batch = e.integer("batch", 1, 1LL << 40, 1);
      const Json* seq = e.member("seq");
      const Json* image = e.member("image");
      if (seq && !seq->is_null()) m.seq = seq->is_number_integer() ? seq->get<long long>() : 0;
      if (image && !image->is_null()) m.image = image->is_number_integer() ? image->get<long long>() : 0;
      if (m.seq <= 0 && m.image <= 0) diag.add(p, "expected a positive integer seq or image");
      m.latency_s = e.number("median_s", NumberRule::positive);
      m.min_s = e.number_or("min_s", NumberRule::positive, m.latency_s);
      m.device = device;
      m.measure = Measure::sync;
      m.source = file;
      m.where = p;
      e.finish();
      out.push_back(m);
    }
  }
  diag.throw_if_any();
  return out;
}

}  // namespace fwtax
