// The transformer families' registry and what is common to them: building, counting, checking and
// reading a configuration dispatch on the family's row (model/arch/families/ holds each family's
// builder, op for op as HF transformers 5.x and torch.nn dispatch them in eager mode with SDPA
// attention and no attention mask; docs/ARCHITECTURE.md documents the sequences).
#include "model/arch/transformer.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "model/arch/transformer_family.hpp"
#include "model/error.hpp"

namespace fwtax {

// One row per family; adding a family adds its row here.
const std::vector<const TransformerFamily*>& transformer_family_table() {
  static const std::vector<const TransformerFamily*> kFamilies = {
      &bert_family(),        &roberta_family(), &distilbert_family(), &albert_family(),
      &mobilebert_family(),  &squeezebert_family(), &funnel_family(), &gpt2_family(),
      &llama_family(),       &vit_family(),     &torchnn_family(),
  };
  return kFamilies;
}

const TransformerFamily* find_transformer_family(const std::string& name) {
  for (const TransformerFamily* f : transformer_family_table())
    if (name == f->name) return f;
  return nullptr;
}

const TransformerFamily& transformer_family(const TransformerConfig& t) {
  if (const TransformerFamily* f = find_transformer_family(t.family)) return *f;
  std::string names;
  for (const TransformerFamily* f : transformer_family_table()) names += std::string(names.empty() ? "" : ", ") + f->name;
  throw InputError("", "/family", "unknown transformer family '" + t.family + "' - families are " + names);
}

const std::vector<std::string>& transformer_families() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const TransformerFamily* f : transformer_family_table()) v.emplace_back(f->name);
    return v;
  }();
  return names;
}

void build_transformer(Builder& b, const WorkloadConfig& c, const TransformerConfig& t) {
  if (b.backend().hf_attention.empty() || b.backend().hf_attention == t.attention) return transformer_family(t).build(b, c, t);
  TransformerConfig in_stack = t;  // the stack's transformers library runs its own attention
  in_stack.attention = b.backend().hf_attention;
  transformer_family(in_stack).build(b, c, in_stack);
}

double transformer_params(const TransformerConfig& t) { return transformer_family(t).params(t); }

void validate_transformer(const TransformerConfig& t, Diagnostics& diag, const std::string& where) {
  const TransformerFamily* fam = find_transformer_family(t.family);
  auto need = [&](const char* field, long long v) {
    if (v < 1) diag.add(where + field, "expected a positive integer, got " + std::to_string(v));
  };
  need("hidden", t.hidden);
  need("layers", t.layers);
  need("heads", t.heads);
  need("intermediate", t.intermediate);
  if (!fam || !fam->image_input) {
    need("vocab", t.vocab);
    need("max_position", t.max_position);
  }
  if (t.heads > 0 && t.hidden % t.heads != 0 && t.head_size == 0)
    diag.add(where + "heads", std::to_string(t.heads) + " heads do not divide the hidden size " + std::to_string(t.hidden));
  if (t.kv_heads < 0 || (t.kv_heads > 0 && t.heads % t.kv_heads != 0))
    diag.add(where + "kv_heads", "expected a divisor of the " + std::to_string(t.heads) + " heads, got " +
                                     std::to_string(t.kv_heads));
  if (fam && fam->validate) fam->validate(t, diag, where);
  if (!fam) diag.add(where + "family", "unknown transformer family '" + t.family + "'");
  static const std::vector<std::string> acts = {"gelu", "gelu_new", "relu", "silu"};
  if (std::find(acts.begin(), acts.end(), t.activation) == acts.end())
    diag.add(where + "activation", "expected gelu, gelu_new, relu or silu, got \"" + t.activation + "\"");
}

void read_transformer_fields(ObjectReader& r, TransformerConfig& t) {
  const long long big = kMaxWidth;
  t.hidden = r.integer_or("hidden", 1, big, t.hidden);
  t.layers = r.integer_or("layers", 1, kMaxLayers, t.layers);
  t.heads = r.integer_or("heads", 1, 1 << 16, t.heads);
  t.kv_heads = r.integer_or("kv_heads", 0, 1 << 16, t.kv_heads);
  t.intermediate = r.integer_or("intermediate", 1, big, t.intermediate);
  t.vocab = r.integer_or("vocab", 1, big, t.vocab);
  t.max_position = r.integer_or("max_position", 1, big, t.max_position);
  t.type_vocab = r.integer_or("type_vocab", 0, big, t.type_vocab);
  t.embedding_size = r.integer_or("embedding_size", 0, big, t.embedding_size);
  t.activation = r.choice("activation", {"gelu", "gelu_new", "relu", "silu"}, t.activation);
  t.attention = r.choice("attention", {"sdpa", "eager"}, t.attention);
  t.pooler = r.boolean_or("pooler", t.pooler);
  t.use_cache = r.boolean_or("use_cache", t.use_cache);
  t.bottleneck = r.integer_or("bottleneck", 1, big, t.bottleneck);
  t.ffn_stacks = r.integer_or("ffn_stacks", 1, 64, t.ffn_stacks);
  t.decoder_layers = r.integer_or("decoder_layers", 0, kMaxLayers, t.decoder_layers);
  t.groups = r.integer_or("groups", 1, 1 << 16, t.groups);
  t.image_size = r.integer_or("image_size", 16, 1 << 16, t.image_size);
  t.patch_size = r.integer_or("patch_size", 1, 1 << 16, t.patch_size);
  if (const Json* bs = r.array("block_sizes", false)) {
    t.block_sizes.clear();
    for (std::size_t i = 0; i < bs->size(); ++i) {
      const Json& v = (*bs)[i];
      if (!v.is_number_integer() || v.get<long long>() < 1)
        r.diagnostics().add(pointer_join(r.pointer(), "block_sizes") + "/" + std::to_string(i),
                            "expected a positive integer, got " + describe(v));
      else
        t.block_sizes.push_back(v.get<long long>());
    }
  }
}

namespace {

using TC = TransformerConfig;

// The smallest value of a field. Hidden size, layers, heads, intermediate size and vocabulary are
// checked after reading, with the config's consistency (heads divide the
// hidden size ...), so they get no bound here.
long long hf_min(long long TC::*m) {
  if (m == &TC::hidden || m == &TC::layers || m == &TC::heads || m == &TC::intermediate || m == &TC::vocab)
    return std::numeric_limits<long long>::min();
  return m == &TC::type_vocab || m == &TC::decoder_layers ? 0 : 1;
}

// Layer counts are bounded like our own files' (kMaxLayers); sizes by 2^31.
long long hf_max(long long TC::*m) {
  return m == &TC::layers || m == &TC::decoder_layers ? kMaxLayers : kMaxWidth;
}

// The config.json key of a member in this class ("" when it has none).
std::string hf_key(const HfConfigClass& c, long long TC::*m) {
  for (const auto& f : c.ints)
    if (f.member == m && f.key) return f.key;
  return "";
}

}  // namespace

std::optional<DType> read_hf_dtype(const Json& j, Diagnostics& diag) {
  if (!j.is_object()) return std::nullopt;
  const char* key = j.contains("dtype") ? "dtype" : "torch_dtype";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  static const std::pair<const char*, DType> names[] = {
      {"float32", DType::fp32}, {"float16", DType::fp16}, {"bfloat16", DType::bf16}};
  if (it->is_string()) {
    std::string s = it->get<std::string>();
    if (s.rfind("torch.", 0) == 0) s = s.substr(6);  // str(torch.float16), as some tools write it
    if (s == "auto") return std::nullopt;
    for (auto [name, d] : names)
      if (s == name) return d;
  }
  diag.add(std::string("/") + key, "expected \"float32\", \"float16\", \"bfloat16\" or null, got " + describe(*it));
  return std::nullopt;
}

TransformerConfig read_hf_config(const Json& j, Diagnostics& diag) {
  TransformerConfig t;
  if (!j.is_object()) {
    diag.add("/", "expected a config.json object, got " + describe(j));
    return t;
  }
  auto mt = j.find("model_type");
  std::string type = mt != j.end() && mt->is_string() ? mt->get<std::string>() : std::string();
  const TransformerFamily* fam = nullptr;
  const HfConfigClass* cls = nullptr;
  std::string names;
  for (const TransformerFamily* f : transformer_family_table())
    for (const HfConfigClass& c : f->hf_classes) {
      names += std::string(names.empty() ? "" : ", ") + c.model_type;
      if (!cls && type == c.model_type) fam = f, cls = &c;
    }
  if (!cls) {
    diag.add("/model_type", "expected one of " + names + ", got " +
                                (mt != j.end() ? describe(*mt) : std::string("nothing")));
    return t;
  }
  const HfConfigClass& c = *cls;
  t.family = fam->name;
  // HF configs carry many fields fwtax does not need, so unknown keys are ignored (unlike our own
  // architecture files); the ones it reads are type-checked. None's meaning comes from the fields
  // read before (n_embd comes before n_inner).
  auto none = [&](const HfInt& f) { return f.none == HfNone::four_hidden ? 4 * t.hidden : 0; };
  for (const HfInt& f : c.ints) {
    long long& out = t.*f.member;
    // Also what a field already reported takes, so that the consistency checks stay quiet about it.
    out = f.absent ? *f.absent : none(f);
    auto it = f.key ? j.find(f.key) : j.end();
    if (it == j.end()) continue;
    const std::string where = std::string("/") + f.key;
    const bool nullable = f.none != HfNone::error;
    if (it->is_null() && nullable) {
      out = none(f);
      continue;
    }
    if (!it->is_number_integer()) {
      diag.add(where, std::string(nullable ? "expected an integer or null" : "expected an integer") +
                          ", got " + describe(*it));
      continue;
    }
    const long long lo = hf_min(f.member), hi = hf_max(f.member);
    if (it->is_number_unsigned() ? it->get<unsigned long long>() > static_cast<unsigned long long>(hi)
                                 : it->get<long long>() > hi) {
      diag.add(where, "expected at most " + std::to_string(hi) + ", got " + describe(*it));
      continue;
    }
    if (it->get<long long>() < lo) {
      diag.add(where, (lo == 1 ? std::string("expected a positive integer")
                               : "expected an integer >= " + std::to_string(lo)) +
                          ", got " + describe(*it));
      continue;
    }
    out = it->get<long long>();
  }
  for (const HfBool& f : c.bools) {
    bool& out = t.*f.member;
    out = f.absent;
    auto it = f.key ? j.find(f.key) : j.end();
    if (it == j.end()) continue;
    if (it->is_boolean())
      out = it->get<bool>();
    else
      diag.add(std::string("/") + f.key, "expected true or false, got " + describe(*it));
  }
  // HF's names for the tanh approximation and for SiLU: gelu_pytorch_tanh is one aten::gelu
  // (approximate="tanh", transformers' GELUTanh), fwtax's "gelu"; gelu_fast is written out in
  // elementwise ops like gelu_new. GemmaConfig takes a "gelu" as the tanh one.
  auto hf_activation = [&](std::string name) {
    if (name == "gelu_pytorch_tanh") name = "gelu";
    if (name == "gelu_fast") name = "gelu_new";
    if (name == "swish") name = "silu";
    return name;
  };
  t.activation = hf_activation(c.activation);
  if (auto a = j.find(c.activation_key); a != j.end()) {
    if (!a->is_string())
      diag.add(std::string("/") + c.activation_key, "expected an activation's name, got " + describe(*a));
    else
      t.activation = hf_activation(a->get<std::string>());
  }
  if (fam->hf_read) fam->hf_read(j, t, diag);
  // Consistency, named with the config's own keys.
  const std::string hidden = "/" + hf_key(c, &TC::hidden), heads = "/" + hf_key(c, &TC::heads);
  const std::string layers = "/" + (c.layers_key ? std::string(c.layers_key) : hf_key(c, &TC::layers));
  if (t.hidden < 1) diag.add(hidden, "expected a positive integer, got " + std::to_string(t.hidden));
  if (t.layers < 1) diag.add(layers, "expected a positive number of layers, got " + std::to_string(t.layers));
  if (t.heads < 1)
    diag.add(heads, "expected a positive integer, got " + std::to_string(t.heads));
  else if (t.hidden > 0 && t.hidden % t.heads != 0 && t.head_size == 0)
    diag.add(heads, std::to_string(t.heads) + " heads do not divide the hidden size " + std::to_string(t.hidden));
  if (t.intermediate < 1)
    diag.add("/" + hf_key(c, &TC::intermediate),
             "expected a positive integer, got " + std::to_string(t.intermediate));
  if (!fam->image_input && t.vocab < 1)
    diag.add("/vocab_size", "expected a positive integer, got " + std::to_string(t.vocab));
  if (fam->hf_check) fam->hf_check(t, diag);
  static const std::vector<std::string> acts = {"gelu", "gelu_new", "relu", "silu"};
  if (std::find(acts.begin(), acts.end(), t.activation) == acts.end())
    diag.add(
        std::string("/") + c.activation_key,
        "expected an activation fwtax models (gelu, gelu_new, relu, silu), got \"" + t.activation + "\"");
  return t;
}


}  // namespace fwtax
