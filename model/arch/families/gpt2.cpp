// GPT-2 (HF GPT2Model, GPT2LMHeadModel in the LLM phases).
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// GPT-2: Conv1D projections (view, addmm, view), causal SDPA, gelu_new.
void build_gpt2(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  auto conv1d = [&](double in, double out) {
    b.module(OpClass::module_leaf, "conv1d");
    b.view("aten::view");
    b.linear(d.T, in, out);
    b.view("aten::view");
  };
  generate_setup(b, d, t.layers);
  b.module(OpClass::module_model, "gpt2");
  b.view("aten::view");  // input_ids.view(-1, seq)
  static_cache_mask(b, d);
  b.module(OpClass::module_leaf, "wte");
  b.embedding(d.T, H);
  b.elementwise("aten::arange", d.S, 0);
  b.elementwise("aten::add", d.S, 1);
  b.view("aten::unsqueeze");
  b.module(OpClass::module_leaf, "wpe");
  b.embedding(d.S, H);
  b.view("aten::to");
  b.elementwise("aten::add", d.T * H, 2);
  if (!t.use_cache && d.phase == Phase::forward) packed_sequence_check(b, d, t.layers);
  b.module(OpClass::module_leaf, "drop");
  b.dropout();
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "h");
    b.module(OpClass::module_leaf, "ln_1");
    b.layer_norm(d.T, H);
    b.module(OpClass::module_heavy, "attn");
    conv1d(H, 3 * H);
    b.view("aten::split");
    for (int p = 0; p < 3; ++p) {
      b.view("aten::view");
      b.view("aten::transpose");
    }
    if (d.phase != Phase::forward)
      cache_update(b, d, H);
    else if (t.use_cache)
      for (int p = 0; p < 2; ++p) b.concat(d.T * H);
    attention(b, d, t, static_cast<double>(t.heads), static_cast<double>(t.head_dim()), true);
    conv1d(H, H);
    b.module(OpClass::module_leaf, "resid_dropout");
    b.dropout();
    b.resume("h");  // the residual adds and ln_2 are the block's (GPT2Block.forward)
    b.elementwise("aten::add", d.T * H, 2);
    b.keep_output();  // the residual: ln_2 reads it, and so does the add after the MLP
    b.module(OpClass::module_leaf, "ln_2");
    b.layer_norm(d.T, H);
    b.module(OpClass::module_heavy, "mlp");
    conv1d(H, I);
    b.module(OpClass::module_leaf, "act");
    activation(b, t.activation, d.T * I);
    conv1d(I, H);
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.resume("h");
    b.elementwise("aten::add", d.T * H, 2);
    if (l + 1 < t.layers) b.keep_output();  // the next block's ln_1 and residual add read it
  }
  b.resume("gpt2");
  b.module(OpClass::module_leaf, "ln_f");
  b.layer_norm(d.T, H);
  b.view("aten::view");
  lm_head_and_sample(b, d, H, static_cast<double>(t.vocab));  // the head's weights are the embedding's
}

double params(const TC& t) { return encoder_params(t, static_cast<double>(t.layers), bert_layer_params(t)); }

}  // namespace

const TransformerFamily& gpt2_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "gpt2",
      .inner_per_hidden = 4,
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_gpt2(b, token_dims(c), t); },
      .params = params,
      .lm_head_params = [](const TC&) { return 0.0; },  // tied to the token embeddings
      .hf_classes = {
      // transformers GPT2Config (models/gpt2/configuration_gpt2.py): gpt2 (124M). n_inner defaults
      // to None, which GPT2MLP takes as 4 x n_embd; real configs write it as null.
      {"gpt2", "activation_function", "gelu_new",
       {{"n_embd", &TC::hidden, 768},
        {"n_layer", &TC::layers, 12},
        {"n_head", &TC::heads, 12},
        {"n_inner", &TC::intermediate, std::nullopt, HfNone::four_hidden},
        {"vocab_size", &TC::vocab, 50257},
        {"n_positions", &TC::max_position, 1024},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {nullptr, &TC::pooler, false}}}},
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
