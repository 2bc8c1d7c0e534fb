#pragma once
// Pieces that several transformer families' builders share (model/arch/families/): the shapes of
// one call, HF's activations, projections, attention, KV-cache updates, the LM head and sampling,
// and the common parameter count.
#include <string>

#include "model/arch/transformer.hpp"
#include "model/builder.hpp"
#include "model/workload.hpp"

namespace fwtax::parts {

// Shapes of one call: batch, new tokens per sequence, tokens, keys attended to (the cached context
// plus the new tokens), and which call it is.
struct Dims {
  double B, S, T;
  double K = S;
  Phase phase = Phase::forward;
  bool static_cache = false;  // HF StaticCache in eager mode (CUDA graphs have their own: cache_update)
  double L = K;               // the static cache's length: what a decode step's attention reads
  bool sampling = true;       // generate's loop after the LM head (WorkloadConfig::sampling)
};
Dims token_dims(const WorkloadConfig& c);

// HF's activation by name: gelu (one erf kernel), gelu_new (the tanh approximation written out as
// eight elementwise ops), relu, silu.
void activation(Builder& b, const std::string& act, double elems);
// q, k or v: linear, view to heads, transpose(1, 2).
void projection(Builder& b, double T, double in, double out);
// HF's data-dependent Python check on a GPU tensor: a tiny reduction and a blocking read back.
void host_check(Builder& b, double elems);
// create_causal_mask's packed-sequence check on the position ids, without a KV cache (decoders' forward).
// Traced (is_tracing(): CUDA graph capture, torch.jit.trace, TorchDynamo), the check that would drop
// the mask cannot read its result back: it is skipped and the mask is built instead.
void packed_sequence_check(Builder& b, const Dims& d, long long layers);
// In a decoder layer, before its SDPA: whether SDPA gets that boolean mask instead of is_causal (then
// it runs a kernel that takes a mask over every block: no causal skipping). SDPA first makes the mask
// additive, emitted here, except under TorchDynamo, where packed_sequence_check emits every layer's
// conversion with the mask, whose kernel Inductor fuses them into.
bool layer_packed_mask(Builder& b, const Dims& d, const TransformerConfig& t);
// Attention after the q/k/v projections, up to the merged heads (see transformer_parts.cpp).
void attention(Builder& b, const Dims& d, const TransformerConfig& t, double heads, double hd, bool causal,
               bool padding_mask = false);
// transformers 4.x built an all-ones mask and its additive form when none was given.
void eager_mask(Builder& b, const Dims& d);
// The tanh pooler over the first token.
void pooler(Builder& b, const Dims& d, double H);
// The KV cache of one layer after its k and v projections (`kv` elements per token each).
void cache_update(Builder& b, const Dims& d, double kv);
// A decode step's attention mask over a static cache (see transformer_parts.cpp); nothing otherwise.
void static_cache_mask(Builder& b, const Dims& d);
// SDPA's conversion of a static cache's boolean mask (decode steps), before its kernel.
void sdpa_static_mask(Builder& b, const Dims& d);
// The keys a step's attention reads: the whole static cache in a decode step, else the context.
double attended_keys(const Dims& d);
// The LM head, sampling and generate's end-of-sequence check after the last layer (not in forward).
void lm_head_and_sample(Builder& b, const Dims& d, double H, double V);
// HF generate()'s own work before its first forward, at the start of a prefill (see transformer_parts.cpp).
void generate_setup(Builder& b, const Dims& d, long long layers);

// Weights of an encoder of `layers` layers of `layer` weights each: token, position and token-type
// embeddings, and the pooler where there is one.
double encoder_params(const TransformerConfig& t, double layers, double layer);
// One BERT-style layer's weights: q, k, v, o with biases, the FFN, two layer norms.
double bert_layer_params(const TransformerConfig& t);

}  // namespace fwtax::parts
