// torch.nn.TransformerEncoder with embeddings (no HF config class).
#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// torch.nn.TransformerEncoder(layer, batch_first=True) in inference: each layer takes the fused
// fast path (_transformer_encoder_layer_fwd): one aten op with the QKV GEMM, attention, the output
// projection, two residual adds with layer norms and a GELU FFN with the activation fused into the
// first GEMM. The embeddings are plain nn.Embedding + LayerNorm.
void build_torchnn(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  b.module(OpClass::module_block, "model");
  b.elementwise("aten::arange", d.S, 0);
  b.module(OpClass::module_leaf, "tok");
  b.embedding(d.T, H);
  b.module(OpClass::module_leaf, "pos");
  b.embedding(d.S, H);
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "ln");
  b.layer_norm(d.T, H);
  b.module(OpClass::module_fastpath, "enc");
  for (long long l = 0; l < t.layers; ++l) {
    b.module(OpClass::module_fastpath, "enc.layers");
    b.begin_fused("aten::_transformer_encoder_layer_fwd", OpClass::fused_layer);
    b.linear(d.T, H, 3 * H);
    b.sdpa(d.B, static_cast<double>(t.heads), d.S, d.S, static_cast<double>(t.head_dim()), false);
    b.linear(d.T, H, H);
    b.elementwise("aten::add_", d.T * H, 2);
    b.layer_norm(d.T, H);
    b.linear(d.T, H, I);
    b.linear(d.T, I, H);
    b.elementwise("aten::add_", d.T * H, 2);
    b.layer_norm(d.T, H);
    b.end_fused();
  }
}

double params(const TC& t) { return encoder_params(t, static_cast<double>(t.layers), bert_layer_params(t)); }

}  // namespace

const TransformerFamily& torchnn_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "torchnn",
      .positions_bounded = false,
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_torchnn(b, token_dims(c), t); },
      .params = params,
      .hf_classes = {},  // no config.json class: our architecture JSON only
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
