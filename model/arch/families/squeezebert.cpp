// SqueezeBERT (HF SqueezeBertModel).
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// SqueezeBERT: grouped 1x1 convolutions for the projections and its own (non-SDPA) attention.
void build_squeezebert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate),
               G = static_cast<double>(t.groups), heads = static_cast<double>(t.heads), hd = H / heads;
  auto conv1d = [&](double in, double out, double groups) {
    b.module(OpClass::module_leaf, "conv1d");
    b.conv2d(d.B, in, 1, d.S, out, 1, 1, 1, 0, 0, groups, true);
  };
  b.module(OpClass::module_model, "squeezebert");
  // warn_if_padding_and_no_attention_mask: a list index copied to the GPU and a Python check.
  b.sync_read("aten::index");
  b.elementwise("aten::eq", 2 * d.B, 1);
  b.reduction("aten::any", 2 * d.B, 1);
  b.sync_read("aten::item");
  b.alloc_zeros(d.T);  // attention_mask = ones
  b.alloc_zeros(d.T);  // token_type_ids
  b.view("aten::slice");
  b.view("aten::unsqueeze");
  b.view("aten::to");
  b.elementwise("aten::rsub", d.T, 1);
  b.elementwise("aten::mul", d.T, 1);
  b.module(OpClass::module_heavy, "embeddings");
  b.view("aten::slice");
  for (int e = 0; e < 3; ++e) {
    b.module(OpClass::module_leaf, "embedding");
    b.embedding(e == 1 ? d.S : d.T, H);
  }
  b.elementwise("aten::add", d.T * H, 2);
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  b.view("aten::permute");
  auto ln = [&]() {
    b.view("aten::permute");
    b.module(OpClass::module_leaf, "layernorm");
    b.strided_copy("aten::contiguous", d.T * H);  // the permuted input is made contiguous first
    b.layer_norm(d.T, H);
    b.view("aten::permute");
  };
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "layer");
    b.module(OpClass::module_heavy, "attention");
    for (int p = 0; p < 3; ++p) conv1d(H, H, G);
    for (const char* v : {"aten::view", "aten::permute", "aten::view", "aten::view", "aten::permute"}) b.view(v);
    b.matmul(d.B * heads, d.S, d.S, hd);
    b.elementwise("aten::div", d.B * heads * d.S * d.S, 1);
    b.broadcast_elementwise("aten::add", d.B * heads * d.S * d.S, 2);  // + the mask, broadcast over heads
    b.module(OpClass::module_leaf, "softmax");
    b.softmax(d.B * heads * d.S, d.S);
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.matmul(d.B * heads, d.S, hd, d.S);
    b.view("aten::permute");
    b.strided_copy("aten::contiguous", d.T * H);
    b.view("aten::view");
    b.module(OpClass::module_heavy, "post_attention");
    conv1d(H, H, 1);
    b.dropout();
    b.elementwise("aten::add", d.T * H, 2);
    ln();
    b.module(OpClass::module_heavy, "intermediate");
    conv1d(H, I, G);
    b.module(OpClass::module_leaf, "act");
    activation(b, t.activation, d.T * I);
    b.module(OpClass::module_heavy, "output");
    conv1d(I, H, G);
    b.dropout();
    b.elementwise("aten::add", d.T * H, 2);
    ln();
  }
  b.resume("encoder");
  b.view("aten::permute");
  if (t.pooler) pooler(b, d, H);
}

// Grouped 1x1 convolutions for q, k, v, intermediate and output.
double params(const TC& t) {
  double h = static_cast<double>(t.hidden), i = static_cast<double>(t.intermediate), g = static_cast<double>(t.groups);
  double layer = 3 * h * h / g + h * h + 2 * h * i / g + 4 * h;
  return encoder_params(t, static_cast<double>(t.layers), layer);
}

void validate(const TC& t, Diagnostics& diag, const std::string& where) {
  if (t.groups < 1 || t.hidden % t.groups != 0 || t.intermediate % t.groups != 0)
    diag.add(where + "groups", "expected a divisor of the hidden and intermediate sizes, got " + std::to_string(t.groups));
}

// SqueezeBertEncoder asserts this: it has no projection between the embeddings and layer 1.
void hf_check(const TC& t, Diagnostics& diag) {
  if (t.embedding_size != t.hidden)
    diag.add("/embedding_size", "expected the hidden size " + std::to_string(t.hidden) +
                                    " (SqueezeBERT has no embedding projection), got " +
                                    std::to_string(t.embedding_size));
}

}  // namespace

const TransformerFamily& squeezebert_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "squeezebert",
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_squeezebert(b, token_dims(c), t); },
      .params = params,
      .validate = validate,
      .hf_classes = {
      // transformers SqueezeBertConfig (models/squeezebert/configuration_squeezebert.py).
      // fwtax groups q, k, v, intermediate and output alike, by q_groups (all 4 by default).
      {"squeezebert", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2},
        {"embedding_size", &TC::embedding_size, 768},
        {"q_groups", &TC::groups, 4}},
       {{nullptr, &TC::pooler, true}}}},
      .hf_check = hf_check,
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
