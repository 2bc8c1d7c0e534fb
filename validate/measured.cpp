#include "validate/measured.hpp"

#include <map>

#include "model/arch/architecture.hpp"
#include "model/arch/transformer_family.hpp"

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

Json architecture_from_meta(const std::string& model, const Json& meta, const std::string& pointer,
                            Diagnostics& diag) {
  if (!meta.is_object() || find_builtin_architecture(model)) return nullptr;
  const Architecture* base = nullptr;
  for (const auto& a : builtin_architectures()) {
    bool prefix = model.size() > a.name.size() && model.compare(0, a.name.size(), a.name) == 0 &&
                  (model[a.name.size()] == '-' || model[a.name.size()] == '_');
    if (prefix && std::holds_alternative<TransformerConfig>(a.config) &&
        (!base || a.name.size() > base->name.size()))
      base = &a;
  }
  if (!base) return nullptr;
  // Our field <- the config fields that mean it (BERT-like, GPT-2, DistilBERT names).
  static const std::vector<std::pair<const char*, std::vector<const char*>>> fields = {
      {"hidden", {"hidden_size", "n_embd", "dim"}},
      {"layers", {"num_hidden_layers", "n_layer", "n_layers"}},
      {"heads", {"num_attention_heads", "n_head", "n_heads"}},
      {"intermediate", {"intermediate_size", "n_inner", "hidden_dim"}},
      {"vocab", {"vocab_size"}}};
  Json arch = {{"name", model},
               {"like", base->name},
               {"description", "like " + base->name + ", with the sizes of the run's meta"}};
  bool any = false;
  for (const auto& [ours, theirs] : fields)
    for (const char* key : theirs) {
      auto it = meta.find(key);
      if (it == meta.end() || it->is_null()) continue;
      if (!it->is_number_integer() || it->get<long long>() < 1) {
        diag.add(pointer + "/meta/" + key, "expected a positive integer, got " + describe(*it));
        continue;
      }
      arch[ours] = it->get<long long>();
      any = true;
    }
  // A family whose inner size follows the hidden size (GPT-2: n_inner None is 4 x n_embd), not the base model's.
  const auto& t = std::get<TransformerConfig>(base->config);
  if (long long x = transformer_family(t).inner_per_hidden; x > 0 && arch.contains("hidden") && !arch.contains("intermediate"))
    arch["intermediate"] = x * arch["hidden"].get<long long>();
  if (auto it = meta.find("_attn_implementation");
      it != meta.end() && it->is_string() && (*it == "eager" || *it == "sdpa"))
    arch["attention"] = *it;
  return any ? arch : Json(nullptr);
}

std::string framework_of_mode(const std::string& mode) {
  if (mode == "eager" || mode == "eager-static-cache") return "pytorch-eager";
  if (mode == "cudagraph" || mode == "cudagraphs" || mode == "cuda-graphs") return "cuda-graphs";
  if (mode == "torchscript") return "torchscript";
  if (mode == "libtorch") return "libtorch";
  return mode;
}

std::vector<MeasuredRun> parse_runs_json(const Json& j, const std::string& file, const std::string& device) {
  Diagnostics diag(file);
  std::vector<MeasuredRun> out;
  ObjectReader r(j, "", diag);
  // Provenance, and the other sections of the shared runner's whole output (groundtruth.json:
  // microbenchmarks, traces, errors), which fwtax reads elsewhere or not at all; host_probe is
  // measure_gpu.py's host speed beside each pass, for people to see drift.
  r.allow({"env", "source", "schema", "timing", "allocator", "ceilings", "raw_cuda", "aten_dispatch", "python_dispatch",
           "profiles", "errors", "stages_s", "elapsed_s", "host_probe"});
  const Json* runs = r.array("runs", true);
  r.finish();
  const std::string cpu_model = j.contains("env") ? string_member(j["env"], "cpu_model", "") : "";
  if (runs) {
    for (std::size_t i = 0; i < runs->size(); ++i) {
      std::string p = "/runs/" + std::to_string(i);
      ObjectReader e((*runs)[i], p, diag);
      e.allow({"p90_s", "iters", "page_faults_per_call", "pass_medians_s", "compile_s", "wall_median_s", "wall_min_s", "wall_p90_s"});
      MeasuredRun m;
      m.cpu_model = cpu_model;
      if (const Json* arch = e.object("arch", false)) m.arch = *arch;
      m.model = canonical_model_name(e.string("model"));
      if (const Json* params = e.member("params"); params && !params->is_null()) {
        if (params->is_number() && params->get<double>() >= 0)
          m.params = params->get<double>();
        else
          diag.add(p + "/params", "expected a parameter count >= 0 or null, got " + describe(*params));
      }
      if (const Json* meta = e.member("meta"); meta && !meta->is_null()) {
        if (!meta->is_object())
          diag.add(p + "/meta", "expected an object of config fields or null, got " + describe(*meta));
        else if (m.arch.is_null()) {
          m.arch = architecture_from_meta(m.model, *meta, p, diag);
          m.arch_from_meta = !m.arch.is_null();
        }
      }
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
      m.phase = e.choice("phase", {"forward", "prefill", "decode", "generate"}, "forward");
      m.context = e.integer_or("context", 0, 1LL << 24, 0);
      m.cache = e.choice("cache", {"dynamic", "static"}, m.mode == "eager-static-cache" ? "static" : "dynamic") == "static"
                    ? KvCache::static_cache
                    : KvCache::dynamic;
      m.cache_len = e.integer_or("max_cache_len", 0, 1LL << 24, 0);
      if (m.cache_len > 0 && m.cache != KvCache::static_cache)
        diag.add(p + "/max_cache_len", "only a static cache has a length");
      m.new_tokens = e.integer_or("new_tokens", 0, 1LL << 24, 0);
      if (m.phase == "decode" && m.context < 1) diag.add(p + "/context", "expected the cached tokens (>= 1) of a decode step");
      if (m.phase != "decode" && m.context > 0) diag.add(p + "/context", "only a decode step has a context");
      if (m.phase == "generate" && m.new_tokens < 1)
        diag.add(p + "/new_tokens", "expected the tokens generated (>= 1) by a generate call");
      if (m.phase != "generate" && m.new_tokens > 0) diag.add(p + "/new_tokens", "only a generate call has new tokens");
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

std::string select_framework(const std::vector<std::string>& wanted, const std::string& run) {
  auto base = [](const std::string& s) { return s.substr(0, s.find('@')); };
  for (const auto& w : wanted) {
    if (w == run) return run;
    bool versioned = w.find('@') != std::string::npos;
    if (!versioned && base(run) == w) return run;
    if (versioned && run == base(w)) return w;
  }
  return "";
}

}  // namespace fwtax
