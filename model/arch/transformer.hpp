#pragma once
// Token models: one configuration struct for the transformer families fwtax builds, and the
// builders that reproduce what each HF transformers 5.x implementation dispatches in eager mode
// (SDPA attention, no attention mask, torch.no_grad()). Each family is one row of the registry
// (transformer_family.hpp), made in its file under model/arch/families/.
#include <optional>
#include <string>
#include <vector>

#include "model/builder.hpp"
#include "model/json_spec.hpp"
#include "model/workload.hpp"

namespace fwtax {

// The most layers (transformer layers, MLP layers, ResNet blocks per stage) a model may have: real
// models have at most a few hundred; the bound keeps a typo from building millions of ops.
constexpr long long kMaxLayers = 4096;
// The largest hidden, intermediate or channel size.
constexpr long long kMaxWidth = 1LL << 31;

struct TransformerConfig {
  // A registered family's name (transformer_families()); the fields below that only some families
  // read say which.
  std::string family = "bert";
  long long hidden = 768, layers = 12, heads = 12, intermediate = 3072;
  long long kv_heads = 0;        // 0: = heads (GQA when fewer)
  long long vocab = 30522, max_position = 512, type_vocab = 2;
  long long embedding_size = 0;  // ALBERT / MobileBERT factorized embeddings; 0: = hidden
  std::string activation = "gelu";  // gelu, gelu_new, relu, silu
  std::string attention = "sdpa";   // sdpa (transformers 5.x) or eager (the matmul/softmax of 4.x)
  bool pooler = true;
  bool use_cache = false;        // GPT-2 / Llama: KV-cache concatenations instead of a sync
  long long bottleneck = 128;    // MobileBERT intra-bottleneck size
  long long ffn_stacks = 4;      // MobileBERT feed-forward networks per layer
  std::vector<long long> block_sizes = {4, 4, 4};  // Funnel
  long long decoder_layers = 2;  // Funnel (0 for the base model)
  long long groups = 4;          // SqueezeBERT grouped convolutions
  long long image_size = 224, patch_size = 16;  // HF ViT (family "vit")
  // Llama-style variants (family "llama"):
  long long head_size = 0;        // head_dim where it is not hidden / heads (Gemma: 256); 0: hidden / heads
  bool fused_projections = false;  // Phi-3: one qkv_proj and one gate_up_proj, sliced and chunked
  bool gemma = false;              // Gemma: embeddings times sqrt(hidden), RMSNorm in fp32 times (1 + weight)
  bool tied_head = false;          // the LM head's weights are the embedding's (tie_word_embeddings)

  long long head_dim() const { return head_size > 0 ? head_size : hidden / heads; }
  long long kv() const { return kv_heads > 0 ? kv_heads : heads; }
  long long emb() const { return embedding_size > 0 ? embedding_size : hidden; }
};

// The families and what each needs.
const std::vector<std::string>& transformer_families();
void build_transformer(Builder& b, const WorkloadConfig& c, const TransformerConfig& t);
double transformer_params(const TransformerConfig& t);

// Reads our architecture JSON fields into `t` (starting from its current values).
void read_transformer_fields(ObjectReader& r, TransformerConfig& t);
// Reads a Hugging Face config.json (model_type bert, roberta, xlm-roberta, distilbert, albert,
// mobilebert, squeezebert, funnel, gpt2, llama, mistral, qwen2, phi3, gemma, vit). A field that is absent takes
// the default of that model_type's transformers config class; one that is null (where the class
// derives no value from None) or of the wrong type is an error in `diag`.
TransformerConfig read_hf_config(const Json& j, Diagnostics& diag);
// The dtype of a config.json: transformers 5.x's `dtype`, else the `torch_dtype` that 4.x wrote
// ("float32", "float16", "bfloat16"; null or "auto": not said). Another name is an error in `diag`.
std::optional<DType> read_hf_dtype(const Json& j, Diagnostics& diag);
// Checks the numbers are consistent (heads divide the hidden size ...), naming `where`.
void validate_transformer(const TransformerConfig& t, Diagnostics& diag, const std::string& where);

}  // namespace fwtax
