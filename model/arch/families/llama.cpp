// Llama-style decoders: HF Llama, Mistral, Qwen2, Phi-3 and Gemma.
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// Llama-style decoders (Llama, Mistral, Qwen2, Phi-3, Gemma): RMSNorm written out in eight ops,
// rotary position embeddings, grouped-query SDPA, a gated MLP (SwiGLU; Gemma's GeGLU). Phi-3 projects
// q, k and v in one GEMM and slices it, gate and up in another and chunks it, and rotates a slice of
// each head (partial_rotary_factor, 1.0 by default: the whole head, sliced and concatenated all the
// same). Gemma scales the embeddings by sqrt(hidden) and runs its RMSNorm in fp32, times (1 + weight).
void build_llama(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  const double hd = static_cast<double>(t.head_dim()), kvh = static_cast<double>(t.kv()) * hd;
  const double qw = static_cast<double>(t.heads) * hd;  // the queries' width (Gemma's may exceed H)
  bool half = b.dtype() != DType::fp32;
  auto cast = [&](double elems) {  // .to(dtype): a no-op unless the dtype changes
    if (half)
      b.copy("aten::to", elems, 4);
    else
      b.view("aten::to");
  };
  auto rms_norm = [&]() {
    b.module(OpClass::module_heavy, "rms_norm");
    cast(d.T * H);
    b.elementwise("aten::pow", d.T * H, 1);
    b.reduction("aten::mean", d.T * H, d.T);
    b.elementwise("aten::add", d.T, 1);
    b.elementwise("aten::rsqrt", d.T, 1);
    // x * rsqrt(variance + eps): x again (pow read it), the [T, 1] factor broadcast (next to nothing).
    b.elementwise("aten::mul", d.T * H, 1, 1, 1);
    if (t.gemma) {  // output * (1.0 + self.weight.float()), then .type_as(x)
      cast(H);
      b.elementwise("aten::add", H, 1);
      b.elementwise("aten::mul", d.T * H, 1);  // by the [H] weight, broadcast
      cast(d.T * H);
      return;
    }
    cast(d.T * H);
    b.elementwise("aten::mul", d.T * H, 1);  // self.weight * x: the [H] weight broadcast
  };
  auto rotate = [&](double width) {
    if (t.fused_projections) {  // q_rot, q_pass = q[..., :rotary_dim], q[..., rotary_dim:]
      b.view("aten::slice");
      b.view("aten::slice");
    }
    b.elementwise("aten::mul", d.T * width, 2);
    b.view("aten::slice");
    b.view("aten::slice");
    b.elementwise("aten::neg", d.T * width / 2, 1);
    b.concat(d.T * width);
    b.elementwise("aten::mul", d.T * width, 2);
    b.elementwise("aten::add", d.T * width, 2);
    if (t.fused_projections) b.concat(d.T * width);  // torch.cat([rotated, pass], dim=-1)
  };
  generate_setup(b, d, t.layers);
  b.module(OpClass::module_model, "model");
  static_cache_mask(b, d);
  b.module(OpClass::module_leaf, "embed_tokens");
  b.embedding(d.T, H);
  if (t.gemma) {  // GemmaTextScaledWordEmbedding: * self.embed_scale.to(self.weight.dtype)
    cast(1);
    b.elementwise("aten::mul", d.T * H, 2);
  }
  b.elementwise("aten::arange", d.S, 0);
  b.elementwise("aten::add", d.S, 1);
  b.view("aten::unsqueeze");
  if (!t.use_cache && d.phase == Phase::forward) packed_sequence_check(b, d, t.layers);
  b.module(OpClass::module_heavy, "rotary_emb");
  for (const char* v : {"aten::unsqueeze", "aten::unsqueeze", "aten::to", "aten::expand", "aten::to",
                        "aten::unsqueeze"})
    b.view(v);
  b.copy("aten::to", d.S, 8);
  b.view("aten::to");
  b.view("aten::to");
  b.matmul(d.B, hd / 2, d.S, 1);
  b.view("aten::transpose");
  b.concat(d.B * d.S * hd);
  b.elementwise("aten::cos", d.B * d.S * hd, 1);
  b.elementwise("aten::mul", d.B * d.S * hd, 1);
  b.elementwise("aten::sin", d.B * d.S * hd, 1);
  b.elementwise("aten::mul", d.B * d.S * hd, 1);
  cast(d.B * d.S * hd);
  cast(d.B * d.S * hd);
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "layer");
    rms_norm();
    b.module(OpClass::module_heavy, "self_attn");
    if (t.fused_projections) {
      b.module(OpClass::module_leaf, "qkv_proj");
      b.linear(d.T, H, qw + 2 * kvh, false);
      for (int p = 0; p < 3; ++p) b.view("aten::slice");
      for (int p = 0; p < 3; ++p) {
        b.view("aten::view");
        b.view("aten::transpose");
      }
    } else {
      projection(b, d.T, H, qw);
      projection(b, d.T, H, kvh);
      projection(b, d.T, H, kvh);
    }
    b.view("aten::unsqueeze");
    b.view("aten::unsqueeze");
    rotate(qw);
    rotate(kvh);
    if (d.phase != Phase::forward)
      cache_update(b, d, kvh);
    else if (t.use_cache)
      for (int p = 0; p < 2; ++p) b.concat(d.T * kvh);
    sdpa_static_mask(b, d);
    const bool packed = layer_packed_mask(b, d, t);
    b.sdpa(d.B, static_cast<double>(t.heads), d.S, attended_keys(d), hd, d.S > 1 && !packed, static_cast<double>(t.kv()));
    b.view("aten::transpose");
    b.view("aten::reshape");
    b.module(OpClass::module_leaf, "o_proj");
    b.linear(d.T, qw, H, false);
    b.resume("layer");  // the residual adds are the decoder layer's
    if (t.fused_projections) {  // Phi-3's resid_attn_dropout (a no-op in eval, but a module call)
      b.module(OpClass::module_leaf, "resid_attn_dropout");
      b.dropout();
      b.resume("layer");
    }
    b.elementwise("aten::add", d.T * H, 2);
    b.keep_output();  // the residual: the norm reads it, and so does the add after the MLP
    rms_norm();
    b.module(OpClass::module_heavy, "mlp");
    if (t.fused_projections) {  // up_states * act(gate), gate and up chunked from one GEMM
      b.module(OpClass::module_leaf, "gate_up_proj");
      b.linear(d.T, H, 2 * I, false);
      b.view("aten::chunk");
      b.module(OpClass::module_leaf, "activation_fn");
      activation(b, t.activation, d.T * I);
    } else {
      b.module(OpClass::module_leaf, "gate_proj");
      b.linear(d.T, H, I, false);
      b.module(OpClass::module_leaf, "act_fn");
      activation(b, t.activation, d.T * I);
      b.module(OpClass::module_leaf, "up_proj");
      b.linear(d.T, H, I, false);
    }
    b.elementwise("aten::mul", d.T * I, 2);
    b.module(OpClass::module_leaf, "down_proj");
    b.linear(d.T, I, H, false);
    b.resume("layer");
    if (t.fused_projections) {
      b.module(OpClass::module_leaf, "resid_mlp_dropout");
      b.dropout();
      b.resume("layer");
    }
    b.elementwise("aten::add", d.T * H, 2);
    if (l + 1 < t.layers) b.keep_output();  // the next layer's norm and residual add read it
  }
  rms_norm();
  lm_head_and_sample(b, d, H, static_cast<double>(t.vocab));
}

// q and o are heads x head_dim wide (Gemma's may differ from the hidden size); no biases.
double params(const TC& t) {
  double h = static_cast<double>(t.hidden), i = static_cast<double>(t.intermediate);
  double kv = static_cast<double>(t.kv()) * static_cast<double>(t.head_dim());
  const double qw = static_cast<double>(t.heads) * static_cast<double>(t.head_dim());
  double layer = 2 * h * qw + 2 * h * kv + 3 * h * i + 2 * h;
  return static_cast<double>(t.vocab) * h + static_cast<double>(t.layers) * layer + (t.pooler ? h * h + h : 0);
}

void hf_check(const TC& t, Diagnostics& diag) {
  if (t.kv_heads < 0 || (t.kv_heads > 0 && t.heads > 0 && t.heads % t.kv_heads != 0))
    diag.add("/num_key_value_heads", "expected a divisor of num_attention_heads, got " + std::to_string(t.kv_heads));
}

}  // namespace

const TransformerFamily& llama_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "llama",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_llama(b, token_dims(c), t); },
      .params = params,
      .lm_head_params = [](const TC& t) { return t.tied_head ? 0.0 : static_cast<double>(t.vocab * t.hidden); },
      .hf_classes = {
      // transformers LlamaConfig (models/llama/configuration_llama.py): Llama-2-7B's sizes with 2048
      // positions. num_key_value_heads defaults to None: as many as the attention heads.
      {"llama", "hidden_act", "silu",
       {{"hidden_size", &TC::hidden, 4096},
        {"num_hidden_layers", &TC::layers, 32},
        {"num_attention_heads", &TC::heads, 32},
        {"num_key_value_heads", &TC::kv_heads, std::nullopt, HfNone::same_as_heads},
        {"intermediate_size", &TC::intermediate, 11008},
        {"vocab_size", &TC::vocab, 32000},
        {"max_position_embeddings", &TC::max_position, 2048},
        {"head_dim", &TC::head_size, std::nullopt, HfNone::same_as_heads},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {"tie_word_embeddings", &TC::tied_head, false},
        {nullptr, &TC::pooler, false}}},
      // transformers MistralConfig (models/mistral/configuration_mistral.py): Mistral-7B-v0.1, 8
      // heads of keys and values (None: as many as the attention heads), 4096 * 32 positions.
      {"mistral", "hidden_act", "silu",
       {{"hidden_size", &TC::hidden, 4096},
        {"num_hidden_layers", &TC::layers, 32},
        {"num_attention_heads", &TC::heads, 32},
        {"num_key_value_heads", &TC::kv_heads, 8, HfNone::same_as_heads},
        {"intermediate_size", &TC::intermediate, 14336},
        {"vocab_size", &TC::vocab, 32000},
        {"max_position_embeddings", &TC::max_position, 4096 * 32},
        {"head_dim", &TC::head_size, std::nullopt, HfNone::same_as_heads},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {"tie_word_embeddings", &TC::tied_head, false},
        {nullptr, &TC::pooler, false}}},
      // transformers Qwen2Config (models/qwen2/configuration_qwen2.py): Qwen2-7B-like, 32 heads of
      // keys and values (None: as many as the attention heads).
      {"qwen2", "hidden_act", "silu",
       {{"hidden_size", &TC::hidden, 4096},
        {"num_hidden_layers", &TC::layers, 32},
        {"num_attention_heads", &TC::heads, 32},
        {"num_key_value_heads", &TC::kv_heads, 32, HfNone::same_as_heads},
        {"intermediate_size", &TC::intermediate, 22016},
        {"vocab_size", &TC::vocab, 151936},
        {"max_position_embeddings", &TC::max_position, 32768},
        {"head_dim", &TC::head_size, std::nullopt, HfNone::same_as_heads},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {"tie_word_embeddings", &TC::tied_head, false},
        {nullptr, &TC::pooler, false}}},
      // transformers Phi3Config (models/phi3/configuration_phi3.py): Phi-3-mini's sizes, 32 heads of
      // keys and values (None: as many as the attention heads); head_dim only where a config has it
      // (Phi3Attention's getattr falls back to hidden / heads). Fused qkv_proj and gate_up_proj.
      {"phi3", "hidden_act", "silu",
       {{"hidden_size", &TC::hidden, 3072},
        {"num_hidden_layers", &TC::layers, 32},
        {"num_attention_heads", &TC::heads, 32},
        {"num_key_value_heads", &TC::kv_heads, std::nullopt, HfNone::same_as_heads},
        {"intermediate_size", &TC::intermediate, 8192},
        {"vocab_size", &TC::vocab, 32064},
        {"max_position_embeddings", &TC::max_position, 4096},
        {"head_dim", &TC::head_size, std::nullopt, HfNone::same_as_heads},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {"tie_word_embeddings", &TC::tied_head, false},
        {nullptr, &TC::fused_projections, true}, {nullptr, &TC::pooler, false}}},
      // transformers GemmaConfig (models/gemma/configuration_gemma.py): Gemma-7B's sizes (16 heads
      // of 256, wider than the 3072 hidden size), GeGLU with the tanh GELU (hidden_act "gelu" is
      // taken as gelu_pytorch_tanh too, as GemmaConfig does), the LM head tied to the embeddings.
      {"gemma", "hidden_act", "gelu_pytorch_tanh",
       {{"hidden_size", &TC::hidden, 3072},
        {"num_hidden_layers", &TC::layers, 28},
        {"num_attention_heads", &TC::heads, 16},
        {"num_key_value_heads", &TC::kv_heads, 16},
        {"intermediate_size", &TC::intermediate, 24576},
        {"vocab_size", &TC::vocab, 256000},
        {"max_position_embeddings", &TC::max_position, 8192},
        {"head_dim", &TC::head_size, 256},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {"tie_word_embeddings", &TC::tied_head, true},
        {nullptr, &TC::gemma, true}, {nullptr, &TC::pooler, false}}}},
      .hf_check = hf_check,
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
