#include "model/arch/architecture.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "model/arch/captured.hpp"
#include "model/arch/transformer_family.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"

namespace fwtax {

void build_fixed_vision(Builder& b, const WorkloadConfig& c, const std::string& model);

namespace {

void build_mlp(Builder& b, const WorkloadConfig& c, const MlpConfig& m) {
  const double N = static_cast<double>(c.batch);
  b.module(OpClass::module_block, "mlp");
  double in = static_cast<double>(m.input);
  for (long long l = 0; l < m.layers; ++l) {
    b.module(OpClass::module_leaf, "linear");
    b.linear(N, in, static_cast<double>(m.hidden));
    b.module(OpClass::module_leaf, "relu");
    b.elementwise("aten::relu", N * static_cast<double>(m.hidden), 1);
    in = static_cast<double>(m.hidden);
  }
}

long long scaled(long long v, double x) { return std::max(1LL, std::llround(static_cast<double>(v) * x)); }

}  // namespace

Architecture make_architecture(std::string name, std::string description, ArchConfig config) {
  Architecture a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.config = std::move(config);
  if (auto* t = std::get_if<TransformerConfig>(&a.config)) {
    TransformerConfig tc = *t;
    const TransformerFamily& fam = transformer_family(tc);
    a.family = tc.family;
    a.input = fam.image_input ? InputKind::image : InputKind::tokens;
    a.default_image = tc.image_size;
    a.max_seq = fam.positions_bounded ? tc.max_position : 0;
    a.params = transformer_params(tc);
    a.build = [tc](Builder& b, const WorkloadConfig& c) { build_transformer(b, c, tc); };
  } else if (auto* r = std::get_if<ResNetConfig>(&a.config)) {
    ResNetConfig rc = *r;
    a.family = "resnet";
    a.input = InputKind::image;
    a.params = resnet_params(rc);
    a.build = [rc](Builder& b, const WorkloadConfig& c) { build_resnet(b, c, rc); };
  } else if (auto* m = std::get_if<MlpConfig>(&a.config)) {
    MlpConfig mc = *m;
    a.family = "mlp";
    a.input = InputKind::tokens;  // a [batch, input] tensor: "sequence length" is not used
    a.default_seq = 1;
    a.max_seq = 1;
    a.params = static_cast<double>(mc.layers) * static_cast<double>(mc.hidden) * static_cast<double>(mc.hidden);
    a.build = [mc](Builder& b, const WorkloadConfig& c) { build_mlp(b, c, mc); };
  } else {
    std::string model = std::get<FixedVisionConfig>(a.config).model;
    a.family = "torchvision";
    a.input = InputKind::image;
    a.build = [model](Builder& b, const WorkloadConfig& c) { build_fixed_vision(b, c, model); };
  }
  return a;
}

namespace {
// A scaled model must stay within what a file may describe.
long long depth_checked(long long layers, double d) {
  long long s = scaled(layers, d);
  if (s > kMaxLayers)
    throw InputError("--depth-x", "", "the scaled model would have " + std::to_string(s) + " layers; at most " +
                                          std::to_string(kMaxLayers) + " are supported");
  return s;
}
long long width_checked(long long v, double w, const char* what) {
  double s = std::max(1.0, std::round(static_cast<double>(v) * w));
  if (s > static_cast<double>(kMaxWidth))
    throw InputError("--width-x", "", std::string("the scaled model's ") + what + " would be " + std::to_string(s) +
                                          "; at most " + std::to_string(kMaxWidth) + " is supported");
  return static_cast<long long>(s);
}
}  // namespace

Architecture scale_architecture(const Architecture& a, double w, double d) {
  if (w == 1 && d == 1) return a;
  char label[64];
  std::snprintf(label, sizeof label, " (width x%g, depth x%g)", w, d);
  // Wider or deeper, the model keeps its inputs, its positions and the dtype its config.json names.
  auto scaled_as_a = [&](ArchConfig c) {
    Architecture s = make_architecture(a.name, a.description + label, std::move(c));
    s.default_seq = a.default_seq;
    s.default_image = a.default_image;
    s.max_seq = a.max_seq;
    s.dtype = a.dtype;
    return s;
  };
  if (auto* t = std::get_if<TransformerConfig>(&a.config)) {
    TransformerConfig c = *t;
    long long head_dim = c.head_dim();
    c.heads = width_checked(c.heads, w, "head count");
    c.hidden = width_checked(c.heads, static_cast<double>(head_dim), "hidden size");  // keep the head size
    c.intermediate = width_checked(c.intermediate, w, "intermediate size");
    if (c.kv_heads > 0) c.kv_heads = std::max(1LL, c.heads / std::max(1LL, t->heads / t->kv_heads));
    if (transformer_family(c).layers_in_blocks)
      for (auto& s : c.block_sizes) s = depth_checked(s, d);
    else
      c.layers = depth_checked(c.layers, d);
    return scaled_as_a(c);
  }
  if (auto* r = std::get_if<ResNetConfig>(&a.config)) {
    ResNetConfig c = *r;
    c.width_per_group = width_checked(c.width_per_group, w, "width");
    for (auto& b : c.blocks) b = depth_checked(b, d);
    return scaled_as_a(c);
  }
  if (auto* m = std::get_if<MlpConfig>(&a.config)) {
    MlpConfig c = *m;
    c.hidden = width_checked(c.hidden, w, "hidden size");
    c.layers = depth_checked(c.layers, d);
    return scaled_as_a(c);
  }
  throw InputError("--width-x/--depth-x", "", "'" + a.name + "' is " +
                                                  (a.family == "captured" ? "a captured model" : "a fixed torchvision model") +
                                                  "; width and depth scale transformer, resnet and mlp architectures");
}

namespace {

std::vector<Architecture> make_builtins() {
  std::vector<Architecture> v;
  auto tf = [&](const char* name, const char* desc, TransformerConfig t) {
    v.push_back(make_architecture(name, desc, t));
  };
  TransformerConfig bert;
  tf("bert-base", "HF transformers BertModel, 12 layers, hidden 768, SDPA attention", bert);
  TransformerConfig large = bert;
  large.hidden = 1024;
  large.layers = 24;
  large.heads = 16;
  large.intermediate = 4096;
  tf("bert-large", "HF transformers BertModel, 24 layers, hidden 1024, SDPA attention", large);
  TransformerConfig roberta = bert;
  roberta.family = "roberta";
  roberta.vocab = 50265;
  roberta.max_position = 514;
  roberta.type_vocab = 1;
  tf("roberta-base", "HF transformers RobertaModel (BERT-base shape, position ids from the input ids)", roberta);
  TransformerConfig distil = bert;
  distil.family = "distilbert";
  distil.layers = 6;
  distil.pooler = false;
  tf("distilbert", "HF transformers DistilBertModel, 6 layers, hidden 768", distil);
  TransformerConfig albert = bert;
  albert.family = "albert";
  albert.vocab = 30000;
  albert.embedding_size = 128;
  albert.activation = "gelu_new";
  tf("albert-base", "HF transformers AlbertModel (albert-base-v2: 128-wide embeddings, one shared layer x12)", albert);
  TransformerConfig mobile = bert;
  mobile.family = "mobilebert";
  mobile.hidden = 512;
  mobile.embedding_size = 128;
  mobile.layers = 24;
  mobile.heads = 4;
  mobile.intermediate = 512;
  mobile.activation = "relu";
  mobile.pooler = false;
  tf("mobilebert", "HF transformers MobileBertModel (mobilebert-uncased: 24 bottlenecked layers, 4 FFNs each)", mobile);
  TransformerConfig squeeze = bert;
  squeeze.family = "squeezebert";
  squeeze.vocab = 30528;
  tf("squeezebert", "HF transformers SqueezeBertModel (grouped 1x1 convolutions, its own attention)", squeeze);
  TransformerConfig funnel = bert;
  funnel.family = "funnel";
  funnel.activation = "gelu_new";
  funnel.type_vocab = 3;
  funnel.pooler = false;
  funnel.block_sizes = {4, 4, 4};
  funnel.layers = 12;
  tf("funnel-small", "HF transformers FunnelModel (funnel-transformer/small: blocks 4-4-4, 2 decoder layers)", funnel);
  TransformerConfig gpt2 = bert;
  gpt2.family = "gpt2";
  gpt2.vocab = 50257;
  gpt2.max_position = 1024;
  gpt2.activation = "gelu_new";
  gpt2.pooler = false;
  gpt2.type_vocab = 0;
  tf("gpt2", "HF transformers GPT2Model, full forward over the sequence (use_cache=False)", gpt2);
  TransformerConfig llama;
  llama.family = "llama";
  llama.hidden = 4096;
  llama.layers = 32;
  llama.heads = 32;
  llama.intermediate = 11008;
  llama.vocab = 32000;
  llama.max_position = 4096;
  llama.type_vocab = 0;
  llama.activation = "silu";
  llama.pooler = false;
  llama.use_cache = true;
  tf("llama2-7b", "HF transformers LlamaModel with the Llama-2-7B shape (32 layers, hidden 4096), prefill", llama);
  TransformerConfig tiny = llama;
  tiny.hidden = 2048;
  tiny.layers = 22;
  tiny.intermediate = 5632;
  tiny.kv_heads = 4;
  tiny.max_position = 2048;
  tf("tinyllama", "HF transformers LlamaModel with TinyLlama-1.1B's shape (22 layers, GQA 32:4), prefill", tiny);
  TransformerConfig tnn = bert;
  tnn.family = "torchnn";
  tnn.pooler = false;
  tf("bert-base-torchnn", "BERT-base shape from torch.nn.TransformerEncoder (fused inference fast path)", tnn);
  auto res = [&](const char* name, const char* desc, std::vector<long long> blocks, bool bottleneck, long long width,
                 long long groups) {
    ResNetConfig r;
    r.blocks = std::move(blocks);
    r.bottleneck = bottleneck;
    r.width_per_group = width;
    r.groups = groups;
    v.push_back(make_architecture(name, desc, r));
  };
  res("resnet18", "torchvision ResNet-18 (basic blocks 2-2-2-2)", {2, 2, 2, 2}, false, 64, 1);
  res("resnet34", "torchvision ResNet-34 (basic blocks 3-4-6-3)", {3, 4, 6, 3}, false, 64, 1);
  res("resnet50", "torchvision ResNet-50 (bottleneck blocks 3-4-6-3)", {3, 4, 6, 3}, true, 64, 1);
  res("resnet101", "torchvision ResNet-101 (bottleneck blocks 3-4-23-3)", {3, 4, 23, 3}, true, 64, 1);
  res("resnet152", "torchvision ResNet-152 (bottleneck blocks 3-8-36-3)", {3, 8, 36, 3}, true, 64, 1);
  res("wide-resnet50", "torchvision Wide ResNet-50-2 (bottlenecks twice as wide)", {3, 4, 6, 3}, true, 128, 1);
  res("resnext50", "torchvision ResNeXt-50 32x4d (grouped 3x3 convolutions)", {3, 4, 6, 3}, true, 4, 32);
  add_vision_architectures(v);
  v.push_back(make_architecture("mlp", "8 x (nn.Linear 1024 -> 1024 + ReLU): the paper's feed-forward base layers",
                                MlpConfig{}));
  return v;
}

}  // namespace

const std::vector<Architecture>& builtin_architectures() {
  static const std::vector<Architecture> archs = make_builtins();
  return archs;
}

const Architecture* find_builtin_architecture(std::string_view name) {
  for (const auto& a : builtin_architectures())
    if (a.name == name) return &a;
  return nullptr;
}

Architecture parse_architecture(const Json& j, const std::string& file) {
  if (is_capture_json(j)) return captured_architecture(std::make_shared<const Capture>(parse_capture(j, file)));
  Diagnostics diag(file);
  if (j.is_object() && j.contains("model_type")) {  // a Hugging Face config.json
    TransformerConfig t = read_hf_config(j, diag);
    std::optional<DType> dtype = read_hf_dtype(j, diag);
    diag.throw_if_any();
    std::string name = string_member(j, "_name_or_path", "");
    if (name.empty()) {
      name = file.substr(file.find_last_of('/') == std::string::npos ? 0 : file.find_last_of('/') + 1);
      if (name == "config.json" && file.find('/') != std::string::npos) {
        std::string dir = file.substr(0, file.find_last_of('/'));
        name = dir.substr(dir.find_last_of('/') == std::string::npos ? 0 : dir.find_last_of('/') + 1);
      }
    }
    Architecture a = make_architecture(
        name, "from Hugging Face config " + file + " (model_type " + j["model_type"].get<std::string>() + ")", t);
    a.dtype = dtype;
    return a;
  }
  ObjectReader r(j, "", diag);
  r.allow({"source", "schema"});
  std::string name = r.string("name");
  std::string description = r.string_or("description", "from " + file);
  std::string like = r.string_or("like", "");
  std::string family = r.string_or("family", "");
  ArchConfig config = TransformerConfig{};
  if (!like.empty()) {
    const Architecture* base = find_builtin_architecture(like);
    if (!base) {
      std::string names;
      for (const auto& a : builtin_architectures()) names += (names.empty() ? "" : ", ") + a.name;
      diag.add("/like", "unknown built-in model \"" + like + "\" - built-in models are " + names);
    } else {
      config = base->config;
    }
    if (!family.empty()) diag.add("/family", "give either \"like\" or \"family\", not both");
  } else if (family == "resnet") {
    config = ResNetConfig{};
  } else if (family == "mlp") {
    config = MlpConfig{};
  } else if (!family.empty()) {
    const auto& fam = transformer_families();
    if (std::find(fam.begin(), fam.end(), family) == fam.end()) {
      std::string names = "resnet, mlp";
      for (const auto& f : fam) names += ", " + f;
      diag.add("/family", "unknown family \"" + family + "\" - families are " + names);
    }
    TransformerConfig t;
    t.family = family;
    config = t;
  } else if (r.ok()) {
    diag.add("/family", "missing: give \"family\" (a transformer family, resnet or mlp) or \"like\" (a built-in model)");
  }
  if (auto* t = std::get_if<TransformerConfig>(&config)) {
    read_transformer_fields(r, *t);
    r.finish();
    if (diag.empty()) validate_transformer(*t, diag, "/");
  } else if (auto* rc = std::get_if<ResNetConfig>(&config)) {
    if (const Json* bl = r.array("blocks", false)) {
      rc->blocks.clear();
      for (std::size_t i = 0; i < bl->size(); ++i) {
        const Json& v = (*bl)[i];
        if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 1000)
          diag.add("/blocks/" + std::to_string(i), "expected a block count in [1, 1000], got " + describe(v));
        else
          rc->blocks.push_back(v.get<long long>());
      }
      if (bl->size() != 4) diag.add("/blocks", "expected four stages, got " + std::to_string(bl->size()));
    }
    rc->bottleneck = r.boolean_or("bottleneck", rc->bottleneck);
    rc->width_per_group = r.integer_or("width_per_group", 1, 1 << 16, rc->width_per_group);
    rc->groups = r.integer_or("groups", 1, 1 << 16, rc->groups);
    rc->num_classes = r.integer_or("num_classes", 1, 1 << 24, rc->num_classes);
    r.finish();
  } else if (auto* m = std::get_if<MlpConfig>(&config)) {
    m->layers = r.integer_or("layers", 1, kMaxLayers, m->layers);
    m->hidden = r.integer_or("hidden", 1, kMaxWidth, m->hidden);
    m->input = r.integer_or("input", 1, kMaxWidth, m->input);
    r.finish();
  } else {
    r.finish();  // a fixed vision model: nothing may be overridden
  }
  diag.throw_if_any();
  Architecture a = make_architecture(name, description, config);
  if (auto* fixed = std::get_if<FixedVisionConfig>(&config)) {
    const Architecture* base = find_builtin_architecture(fixed->model);
    a.family = base->family;
    a.params = base->params;
    a.default_image = base->default_image;
  }
  return a;
}

Architecture load_architecture_file(const std::string& path) { return parse_architecture(load_json_file(path), path); }

Workload build_workload(const Architecture& a, const WorkloadConfig& c, const Backend& backend) {
  Diagnostics diag("--model " + a.name);
  if (c.batch < 1) diag.add("--batch", "expected a batch size >= 1, got " + std::to_string(c.batch));
  if (const TransformerFamily* fam = find_transformer_family(a.family);
      c.phase != Phase::forward && !(fam && fam->causal_lm())) {
    std::string families, types;
    for (const TransformerFamily* f : transformer_family_table()) {
      if (!f->causal_lm()) continue;
      families += std::string(families.empty() ? "" : ", ") + f->name;
      for (const HfConfigClass& k : f->hf_classes) types += std::string(types.empty() ? "" : ", ") + k.model_type;
    }
    // (generate builds its prefill first: name every phase but forward, not the one building)
    diag.add("--phase", "prefill, decode and generate need a causal LM with a KV cache (" + families +
                            " and their sizes, or a config.json of model_type " + types + "); " + a.name + " is " +
                            (a.family.empty() ? "not one" : "a " + a.family + " model"));
  }
  if (c.cache == KvCache::static_cache && c.cache_len > 0 && c.cache_len < c.context + c.seq)
    diag.add("--cache-len", "a static cache of " + std::to_string(c.cache_len) + " tokens cannot hold the " +
                                std::to_string(c.context + c.seq) + " tokens of this call");
  if (c.context < 0 || (c.context > 0 && c.phase != Phase::decode))
    diag.add("--context", "expected tokens already in the KV cache (>= 0) with --phase decode, got " +
                              std::to_string(c.context));
  else if (c.phase == Phase::decode && c.context < 1)  // a step follows a prompt of at least one token
    diag.add("--context", "with --phase decode: the tokens already in the KV cache, expected >= 1 (a step follows "
                          "a prompt), got 0 (give --context, e.g. 128)");
  if (a.input == InputKind::tokens) {
    if (c.seq < 1) diag.add("--seq", "expected a sequence length >= 1, got " + std::to_string(c.seq));
    if (a.max_seq > 0 && c.seq + c.context > a.max_seq)
      diag.add(c.context > 0 ? "--context" : "--seq",
               c.context > 0 ? "a decode step after " + std::to_string(c.context) + " cached tokens is position " +
                                   std::to_string(c.seq + c.context) + "; the model has " + std::to_string(a.max_seq) +
                                   " positions (max_position_embeddings): at most --context " +
                                   std::to_string(a.max_seq - c.seq)
                             : a.max_seq == 1 ? a.name + " takes one input vector per sample, not a sequence: give only --batch"
                                              : "sequence length " + std::to_string(c.seq) + " exceeds the model's " +
                                                    std::to_string(a.max_seq) + " positions (max_position_embeddings)");
  } else if (c.phase == Phase::forward && c.image < 32) {  // (a vision model's other phases are refused above)
    diag.add("--image", "expected an image size >= 32, got " + std::to_string(c.image));
  }
  // Work beyond any real device: refuse rather than overflow (1e9 samples of BERT is fine; 1e9 x 1e6 tokens is not).
  double tokens = static_cast<double>(c.batch) * static_cast<double>(std::max(c.seq, 1LL)) *
                  (a.input == InputKind::image ? static_cast<double>(c.image) * static_cast<double>(c.image) : 1.0);
  if (tokens > 1e18) diag.add("--batch", "the configuration is too large to simulate (batch x size > 1e18)");
  diag.throw_if_any();
  Workload w;
  w.config = c;
  w.config.model = a.name;
  w.ops.reserve(1024);
  w.kernels.reserve(512);
  Builder b(w, backend, c.dtype);
  try {
    a.build(b, c);
  } catch (const std::domain_error& e) {  // a configuration the real model refuses (vision builders)
    diag.add("--image", "image size " + std::to_string(c.image) + ": " + e.what());
    diag.throw_if_any();
  }
  apply_passes(w, backend.passes, PassContext{backend.gpu});
  return w;
}

}  // namespace fwtax
