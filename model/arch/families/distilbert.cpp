// DistilBERT (HF DistilBertModel).
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// DistilBERT: 6-op embeddings, 19-op layers, no pooler.
void build_distilbert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  b.module(OpClass::module_model, "distilbert");
  if (t.attention == "eager") eager_mask(b, d);
  b.module(OpClass::module_heavy, "embeddings");
  b.module(OpClass::module_leaf, "word_embeddings");
  b.embedding(d.T, H);
  b.view("aten::slice");
  b.module(OpClass::module_leaf, "position_embeddings");
  b.embedding(d.S, H);
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "transformer");
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "layer");
    b.module(OpClass::module_heavy, "layer.attention");
    for (int p = 0; p < 3; ++p) projection(b, d.T, H, H);
    attention(b, d, t, static_cast<double>(t.heads), static_cast<double>(t.head_dim()), false, true);
    b.module(OpClass::module_leaf, "out_lin");
    b.linear(d.T, H, H);
    b.resume("layer");  // the residual add and its norm are the block's (TransformerBlock.forward)
    b.elementwise("aten::add", d.T * H, 2);
    b.module(OpClass::module_leaf, "sa_layer_norm");
    b.layer_norm(d.T, H);
    b.module(OpClass::module_heavy, "ffn");
    b.module(OpClass::module_leaf, "lin1");
    b.linear(d.T, H, I);
    b.module(OpClass::module_leaf, "activation");
    activation(b, t.activation, d.T * I);
    b.module(OpClass::module_leaf, "lin2");
    b.linear(d.T, I, H);
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.resume("layer");
    b.elementwise("aten::add", d.T * H, 2);
    b.module(OpClass::module_leaf, "output_layer_norm");
    b.layer_norm(d.T, H);
  }
}

double params(const TC& t) { return encoder_params(t, static_cast<double>(t.layers), bert_layer_params(t)); }

}  // namespace

const TransformerFamily& distilbert_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "distilbert",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_distilbert(b, token_dims(c), t); },
      .params = params,
      .hf_classes = {
      // transformers DistilBertConfig (models/distilbert/configuration_distilbert.py). Its
      // embeddings are words and positions only, and DistilBertModel has no pooler.
      {"distilbert", "activation", "gelu",
       {{"dim", &TC::hidden, 768},
        {"n_layers", &TC::layers, 6},
        {"n_heads", &TC::heads, 12},
        {"hidden_dim", &TC::intermediate, 4 * 768},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {nullptr, &TC::type_vocab, 0}},
       {{nullptr, &TC::pooler, false}}}},
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
