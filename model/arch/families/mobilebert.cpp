// MobileBERT (HF MobileBertModel).
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// MobileBERT: bottlenecked layers of small GEMMs with NoNorm (a multiply and an add) and ReLU.
void build_mobilebert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), E = static_cast<double>(t.emb()),
               N = static_cast<double>(t.bottleneck), I = static_cast<double>(t.intermediate);
  auto nonorm = [&](double width) {
    b.module(OpClass::module_leaf, "NoNorm");
    b.elementwise("aten::mul", d.T * width, 2);
    b.elementwise("aten::add", d.T * width, 2);
  };
  auto dense = [&](double in, double out) {
    b.module(OpClass::module_leaf, "dense");
    b.linear(d.T, in, out);
  };
  b.module(OpClass::module_model, "mobilebert");
  b.module(OpClass::module_heavy, "embeddings");
  b.view("aten::slice");
  b.alloc_zeros(d.T);  // token_type_ids
  b.module(OpClass::module_leaf, "word_embeddings");
  b.embedding(d.T, E);
  for (int side = 0; side < 2; ++side) {  // trigram input: shifted copies, padded
    b.view("aten::slice");
    b.copy("aten::pad", d.T * E);
  }
  b.concat(3 * d.T * E);
  dense(3 * E, H);
  b.module(OpClass::module_leaf, "position_embeddings");
  b.embedding(d.S, H);
  b.module(OpClass::module_leaf, "token_type_embeddings");
  b.embedding(d.T, H);
  b.elementwise("aten::add", d.T * H, 2);
  b.elementwise("aten::add", d.T * H, 2);
  nonorm(H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "layer");
    b.module(OpClass::module_heavy, "bottleneck");
    for (int k = 0; k < 2; ++k) {  // input and attention bottlenecks
      b.module(OpClass::module_heavy, "bottleneck_layer");
      dense(H, N);
      nonorm(N);
    }
    b.module(OpClass::module_heavy, "attention");
    b.module(OpClass::module_heavy, "attention.self");
    projection(b, d.T, N, N);
    projection(b, d.T, N, N);
    projection(b, d.T, H, N);
    attention(b, d, t, static_cast<double>(t.heads), N / static_cast<double>(t.heads), false, true);
    b.module(OpClass::module_heavy, "attention.output");
    dense(N, N);
    b.elementwise("aten::add", d.T * N, 2);
    nonorm(N);
    for (long long f = 0; f + 1 < t.ffn_stacks; ++f) {
      b.module(OpClass::module_heavy, "ffn");
      b.module(OpClass::module_heavy, "ffn.intermediate");
      dense(N, I);
      b.module(OpClass::module_leaf, "act");
      activation(b, t.activation, d.T * I);
      b.module(OpClass::module_heavy, "ffn.output");
      dense(I, N);
      b.elementwise("aten::add", d.T * N, 2);
      nonorm(N);
    }
    b.module(OpClass::module_heavy, "intermediate");
    dense(N, I);
    b.module(OpClass::module_leaf, "act");
    activation(b, t.activation, d.T * I);
    b.module(OpClass::module_heavy, "output");
    dense(I, N);
    b.elementwise("aten::add", d.T * N, 2);
    nonorm(N);
    b.module(OpClass::module_heavy, "output.bottleneck");
    dense(N, H);
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.elementwise("aten::add", d.T * H, 2);
    nonorm(H);
  }
  b.module(OpClass::module_heavy, "pooler");
  b.view("aten::select");
  if (t.pooler) {
    b.module(OpClass::module_leaf, "pooler.dense");
    b.linear(d.B, H, H);
    b.elementwise("aten::tanh", d.B * H, 1, 4);
  }
}

double params(const TC& t) {
  double h = static_cast<double>(t.hidden), i = static_cast<double>(t.intermediate), n = static_cast<double>(t.bottleneck);
  double layer = 4 * h * n + 3 * n * n + h * n + static_cast<double>(t.ffn_stacks) * 2 * n * i;
  return encoder_params(t, static_cast<double>(t.layers), layer);
}

void validate(const TC& t, Diagnostics& diag, const std::string& where) {
  if (t.bottleneck < 1 || t.bottleneck % t.heads != 0)
    diag.add(where + "bottleneck", "expected a positive multiple of the heads, got " + std::to_string(t.bottleneck));
}

}  // namespace

const TransformerFamily& mobilebert_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "mobilebert",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_mobilebert(b, token_dims(c), t); },
      .params = params,
      .validate = validate,
      .hf_classes = {
      // transformers MobileBertConfig (models/mobilebert/configuration_mobilebert.py):
      // mobilebert-uncased. classifier_activation decides whether the pooler has its dense layer.
      {"mobilebert", "hidden_act", "relu",
       {{"hidden_size", &TC::hidden, 512},
        {"num_hidden_layers", &TC::layers, 24},
        {"num_attention_heads", &TC::heads, 4},
        {"intermediate_size", &TC::intermediate, 512},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2},
        {"embedding_size", &TC::embedding_size, 128},
        {"intra_bottleneck_size", &TC::bottleneck, 128},
        {"num_feedforward_networks", &TC::ffn_stacks, 4}},
       {{"classifier_activation", &TC::pooler, true}}}},
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
