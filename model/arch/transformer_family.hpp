#pragma once
// The transformer family registry: what fwtax knows of one family (its builder, parameter count,
// checks and the Hugging Face config classes it reads) in one row. Each family's row is made in its
// own file under model/arch/families/ and listed once in transformer.cpp's kFamilies; nothing else
// compares family names. Adding a family is its file, its declaration below and its row there.
#include <optional>
#include <string>
#include <vector>

#include "model/arch/transformer.hpp"
#include "model/error.hpp"
#include "model/json_spec.hpp"

namespace fwtax {

// ---------------------------------------------------------------------------------------------
// Hugging Face config.json: one table per config class, giving the config.json key of each field
// fwtax reads and the value the class's constructor takes when the key is absent, read from
// transformers' src/transformers/models/<type>/configuration_<type>.py.

// What None means for an integer field of an HF config class.
enum class HfNone {
  error,          // a plain int in the class: its validation, or the arithmetic on None, fails
  same_as_heads,  // num_key_value_heads: as many as the attention heads (TransformerConfig's 0);
                  // head_dim: hidden / heads (also 0)
  four_hidden,    // GPT-2's n_inner: 4 x n_embd
};

// An integer field of an HF config class.
struct HfInt {
  // The config.json key; nullptr where the class has no such field, and `absent` is then what its
  // model builds (a GPT-2 has no token-type embeddings).
  const char* key;
  long long TransformerConfig::*member;
  std::optional<long long> absent;  // the class's default; nullopt where it is None
  HfNone none = HfNone::error;      // what None (absent by default, or an explicit null) means
};

// A boolean field, or (key nullptr) a fixed choice of the model class.
struct HfBool {
  const char* key;
  bool TransformerConfig::*member;
  bool absent;
};

// One accepted model_type: the activation's key and default, and the fields.
struct HfConfigClass {
  const char* model_type;
  const char* activation_key;
  const char* activation;
  std::vector<HfInt> ints;
  std::vector<HfBool> bools;
  // The key that errors about the layer count name where no int field holds it (Funnel's
  // block_sizes); nullptr: the key of the layers field.
  const char* layers_key = nullptr;
};

// One transformer family. Hooks that a family does not need are nullptr.
struct TransformerFamily {
  const char* name;
  bool image_input = false;        // images (patches), so no vocabulary (HF ViT)
  bool positions_bounded = true;   // the sequence may not exceed max_position (no table: false)
  bool layers_in_blocks = false;   // its depth is block_sizes (Funnel), not layers
  long long inner_per_hidden = 0;  // a file giving the hidden size alone means this x hidden (GPT-2: 4)
  void (*build)(Builder& b, const WorkloadConfig& c, const TransformerConfig& t) = nullptr;
  double (*params)(const TransformerConfig& t) = nullptr;  // the base model's weights
  // Causal LMs (prefill, decode, generate): the LM head's weights beyond the base model's (0 when
  // tied to the embeddings). nullptr: not a causal LM.
  double (*lm_head_params)(const TransformerConfig& t) = nullptr;
  // Checks of the family's own fields, naming `where` + the field.
  void (*validate)(const TransformerConfig& t, Diagnostics& diag, const std::string& where) = nullptr;
  // The config.json classes (model_type) it reads.
  std::vector<HfConfigClass> hf_classes;
  // Reads what the tables cannot (Funnel's block_sizes), before the common checks.
  void (*hf_read)(const Json& j, TransformerConfig& t, Diagnostics& diag) = nullptr;
  // Checks of the family's own config.json fields, after the common ones.
  void (*hf_check)(const TransformerConfig& t, Diagnostics& diag) = nullptr;

  bool causal_lm() const { return lm_head_params != nullptr; }
};

// The registered families, in the order they are listed; nullptr for a name not among them.
const std::vector<const TransformerFamily*>& transformer_family_table();
const TransformerFamily* find_transformer_family(const std::string& name);
// The family of `t`; an InputError naming the family when it is not registered.
const TransformerFamily& transformer_family(const TransformerConfig& t);

// The rows, one function per family in model/arch/families/.
const TransformerFamily& bert_family();
const TransformerFamily& roberta_family();
const TransformerFamily& distilbert_family();
const TransformerFamily& albert_family();
const TransformerFamily& mobilebert_family();
const TransformerFamily& squeezebert_family();
const TransformerFamily& funnel_family();
const TransformerFamily& gpt2_family();
const TransformerFamily& llama_family();
const TransformerFamily& vit_family();
const TransformerFamily& torchnn_family();

}  // namespace fwtax
