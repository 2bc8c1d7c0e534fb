// HF ViT (ViTModel); torchvision's ViTs are model/arch/vision.cpp's.
#include <cmath>

#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// HF ViTModel: patch conv, class token, pre-norm layers with separate q/k/v projections and SDPA,
// final layer norm and a tanh pooler.
void build_hf_vit(Builder& b, const WorkloadConfig& c, const TransformerConfig& t) {
  const double N = static_cast<double>(c.batch), img = static_cast<double>(c.image), p = static_cast<double>(t.patch_size);
  const double side = std::floor(img / p), S = side * side + 1, T = N * S;
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  Dims d{N, S, T};
  b.module(OpClass::module_heavy, "vit");
  b.module(OpClass::module_heavy, "embeddings");
  b.module(OpClass::module_heavy, "patch_embeddings");
  b.module(OpClass::module_leaf, "projection");
  b.conv2d(N, 3, img, img, H, p, p, p, 0, 0, 1, true);
  b.view("aten::flatten");
  b.view("aten::transpose");
  b.view("aten::expand");
  b.concat(T * H);
  b.elementwise("aten::add", T * H, 2);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_heavy, "layer");
    b.module(OpClass::module_leaf, "layernorm_before");
    b.layer_norm(T, H);
    b.module(OpClass::module_heavy, "attention");
    b.module(OpClass::module_heavy, "attention.attention");
    for (int k = 0; k < 3; ++k) projection(b, T, H, H);
    attention(b, d, t, static_cast<double>(t.heads), static_cast<double>(t.head_dim()), false);
    b.module(OpClass::module_heavy, "attention.output");
    b.module(OpClass::module_leaf, "dense");
    b.linear(T, H, H);
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.resume("layer");  // ViTLayer's own residual add and layernorm_after
    b.elementwise("aten::add", T * H, 2);
    b.keep_output();  // the residual: layernorm_after reads it, and so does the output's add
    b.module(OpClass::module_leaf, "layernorm_after");
    b.layer_norm(T, H);
    b.module(OpClass::module_heavy, "intermediate");
    b.module(OpClass::module_leaf, "dense");
    b.linear(T, H, I);
    b.module(OpClass::module_leaf, "act");
    activation(b, t.activation, T * I);
    b.module(OpClass::module_heavy, "output");
    b.module(OpClass::module_leaf, "dense");
    b.linear(T, I, H);
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.elementwise("aten::add", T * H, 2);
    if (l + 1 < t.layers) b.keep_output();  // the next layer's layernorm_before and residual add read it
  }
  b.resume("vit");
  b.module(OpClass::module_leaf, "layernorm");
  b.layer_norm(T, H);
  if (t.pooler) pooler(b, d, H);
}

double params(const TC& t) { return encoder_params(t, static_cast<double>(t.layers), bert_layer_params(t)); }

void hf_check(const TC& t, Diagnostics& diag) {
  if (t.image_size < t.patch_size)
    diag.add("/patch_size", "expected a patch no larger than the image, got " + std::to_string(t.patch_size));
}

}  // namespace

const TransformerFamily& vit_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "vit",
      .image_input = true,
      .positions_bounded = false,
      .build = build_hf_vit,
      .params = params,
      .hf_classes = {
      // transformers ViTConfig (models/vit/configuration_vit.py): vit-base-patch16-224. Images,
      // so no vocabulary; ViTModel has a pooler.
      {"vit", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"image_size", &TC::image_size, 224},
        {"patch_size", &TC::patch_size, 16},
        {nullptr, &TC::vocab, 0},
        {nullptr, &TC::type_vocab, 0}},
       {{nullptr, &TC::pooler, true}}}},
      .hf_check = hf_check,
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
