// BERT and RoBERTa (HF BertModel, RobertaModel, XLMRobertaModel): post-norm encoders.
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// BERT and RoBERTa (BertModel, RobertaModel): post-norm encoder layers, 22 ops each.
void bert_layer(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  b.module(OpClass::module_heavy, "layer");
  b.module(OpClass::module_heavy, "layer.attention");
  b.module(OpClass::module_heavy, "layer.attention.self");
  for (int p = 0; p < 3; ++p) projection(b, d.T, H, H);
  attention(b, d, t, static_cast<double>(t.heads), static_cast<double>(t.head_dim()), false, true);
  b.module(OpClass::module_heavy, "layer.attention.output");
  b.module(OpClass::module_leaf, "dense");
  b.linear(d.T, H, H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, H);
  b.module(OpClass::module_heavy, "layer.intermediate");
  b.module(OpClass::module_leaf, "dense");
  b.linear(d.T, H, I);
  b.module(OpClass::module_leaf, "act");
  activation(b, t.activation, d.T * I);
  b.module(OpClass::module_heavy, "layer.output");
  b.module(OpClass::module_leaf, "dense");
  b.linear(d.T, I, H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, H);
}

// `roberta`: position ids from the input ids (RobertaEmbeddings), the only difference.
void build_bert(Builder& b, const Dims& d, const TransformerConfig& t, bool roberta) {
  const double H = static_cast<double>(t.hidden);
  b.module(OpClass::module_model, "model");
  if (t.attention == "eager") eager_mask(b, d);
  b.module(OpClass::module_heavy, "embeddings");
  if (roberta) {
    // Position ids from the input ids (padding-aware cumulative sum), then the token-type buffer.
    b.elementwise("aten::ne", d.T, 1);
    b.copy("aten::to", d.T, 4);
    b.elementwise("aten::cumsum", d.T, 1);
    b.copy("aten::type_as", d.T, 4);
    b.elementwise("aten::add", d.T, 1);
    b.elementwise("aten::mul", d.T, 2);
    b.copy("aten::to", d.T, 8);
    b.elementwise("aten::add", d.T, 1);
    b.view("aten::to");
    b.view("aten::expand");
    b.gather(d.T);
    b.view("aten::expand");
  } else {
    b.view("aten::slice");
    b.view("aten::expand");
    b.gather(d.S);  // token_type_ids from the registered buffer
    b.view("aten::expand");
  }
  b.module(OpClass::module_leaf, "word_embeddings");
  b.embedding(d.T, H);
  b.module(OpClass::module_leaf, "token_type_embeddings");
  b.embedding(d.T, H);
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "position_embeddings");
  b.embedding(roberta ? d.T : d.S, H);
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  for (long long l = 0; l < t.layers; ++l) bert_layer(b, d, t);
  if (t.pooler) pooler(b, d, H);
}

double params(const TC& t) { return encoder_params(t, static_cast<double>(t.layers), bert_layer_params(t)); }

}  // namespace

const TransformerFamily& bert_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "bert",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_bert(b, token_dims(c), t, false); },
      .params = params,
      .hf_classes = {
      // transformers BertConfig (models/bert/configuration_bert.py): bert-base-uncased.
      {"bert", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2}},
       {{nullptr, &TC::pooler, true}}}},
  };
  // clang-format on
  return f;
}

const TransformerFamily& roberta_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "roberta",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_bert(b, token_dims(c), t, true); },
      .params = params,
      .hf_classes = {
      // transformers RobertaConfig (models/roberta/configuration_roberta.py): BERT's defaults but
      // RoBERTa's BPE vocabulary. roberta-base's own config.json says 514 positions and one token
      // type; the class's defaults stay BERT's 512 and 2.
      {"roberta", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 50265},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2}},
       {{nullptr, &TC::pooler, true}}},
      // transformers XLMRobertaConfig (models/xlm_roberta/configuration_xlm_roberta.py): BERT's
      // defaults, vocabulary included (xlm-roberta-base's config.json says 250002).
      {"xlm-roberta", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2}},
       {{nullptr, &TC::pooler, true}}}},
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
