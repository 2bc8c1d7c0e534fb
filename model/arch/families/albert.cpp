// ALBERT (HF AlbertModel).
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// ALBERT: factorized embeddings, one shared layer applied `layers` times, gelu_new.
void build_albert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate),
               E = static_cast<double>(t.emb());
  b.module(OpClass::module_model, "albert");
  if (t.attention == "eager") eager_mask(b, d);
  b.module(OpClass::module_heavy, "embeddings");
  b.view("aten::slice");
  b.view("aten::expand");
  b.gather(d.S);
  b.view("aten::expand");
  b.module(OpClass::module_leaf, "word_embeddings");
  b.embedding(d.T, E);
  b.module(OpClass::module_leaf, "token_type_embeddings");
  b.embedding(d.T, E);
  b.elementwise("aten::add", d.T * E, 2);
  b.module(OpClass::module_leaf, "position_embeddings");
  b.embedding(d.S, E);
  b.elementwise("aten::add", d.T * E, 2);  // `embeddings + position_embeddings` (transformers 5; 4.x added in place)
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, E);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  b.module(OpClass::module_leaf, "embedding_hidden_mapping_in");
  b.linear(d.T, E, H);
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "albert_layer_group");
    b.module(OpClass::module_heavy, "albert_layer");
    b.module(OpClass::module_heavy, "attention");
    for (int p = 0; p < 3; ++p) projection(b, d.T, H, H);
    attention(b, d, t, static_cast<double>(t.heads), static_cast<double>(t.head_dim()), false, true);
    b.module(OpClass::module_leaf, "dense");
    b.linear(d.T, H, H);
    b.module(OpClass::module_leaf, "output_dropout");
    b.dropout();
    b.elementwise("aten::add", d.T * H, 2);
    b.module(OpClass::module_leaf, "LayerNorm");
    b.layer_norm(d.T, H);
    b.resume("albert_layer");  // the feed-forward leaves are AlbertLayer's own
    b.module(OpClass::module_leaf, "ffn");
    b.linear(d.T, H, I);
    b.module(OpClass::module_leaf, "activation");
    activation(b, t.activation, d.T * I);
    b.module(OpClass::module_leaf, "ffn_output");
    b.linear(d.T, I, H);
    b.elementwise("aten::add", d.T * H, 2);
    b.module(OpClass::module_leaf, "full_layer_layer_norm");
    b.layer_norm(d.T, H);
  }
  if (t.pooler) {
    // AlbertModel's own Linear and Tanh (BERT's pooler is a module holding them).
    b.resume("albert");
    b.view("aten::select");
    b.module(OpClass::module_leaf, "pooler");
    b.linear(d.B, H, H);
    b.module(OpClass::module_leaf, "pooler_activation");
    b.elementwise("aten::tanh", d.B * H, 1, 4);
  }
}

// One layer's weights, shared by all, and the embeddings' projection to the hidden size.
double params(const TC& t) {
  return encoder_params(t, 1, bert_layer_params(t)) + static_cast<double>(t.emb()) * static_cast<double>(t.hidden);
}

}  // namespace

const TransformerFamily& albert_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "albert",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_albert(b, token_dims(c), t); },
      .params = params,
      .hf_classes = {
      // transformers AlbertConfig (models/albert/configuration_albert.py): albert-xxlarge-v2's
      // sizes, not albert-base's.
      {"albert", "hidden_act", "gelu_new",
       {{"hidden_size", &TC::hidden, 4096},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 64},
        {"intermediate_size", &TC::intermediate, 16384},
        {"vocab_size", &TC::vocab, 30000},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2},
        {"embedding_size", &TC::embedding_size, 128}},
       {{nullptr, &TC::pooler, true}}}},
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
