// Funnel Transformer (HF FunnelModel).
#include <cmath>

#include "model/arch/transformer_family.hpp"
#include "model/arch/transformer_parts.hpp"

namespace fwtax {
namespace {

using namespace parts;
using TC = TransformerConfig;

// Funnel Transformer: relative-position attention written in einsums, mean-pooling between
// blocks, and position tables built with reads back to the host (.item() on GPU tensors).
void build_funnel(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate),
               heads = static_cast<double>(t.heads), hd = static_cast<double>(t.head_dim());
  auto position_tables = [&](double S) {
    for (const char* op : {"aten::arange", "aten::to", "aten::div", "aten::pow", "aten::reciprocal", "aten::mul",
                           "aten::arange", "aten::to", "aten::mul", "aten::sin", "aten::cos", "aten::arange",
                           "aten::to"})
      b.elementwise(op, 4 * S * H / 2, 1);
    b.concat(4 * S * H);
    for (int r = 0; r < 5; ++r) {  // relative_pos: arange bounds read back from the GPU
      b.elementwise("aten::sub", 1, 2);
      b.elementwise("aten::add", 1, 2);
      b.elementwise("aten::sub", 1, 2);
      b.elementwise("aten::sub", 1, 2);
      b.sync_read("aten::item");
      b.sync_read("aten::item");
      b.elementwise("aten::arange", 2 * S, 0);
      b.elementwise("aten::add", 2 * S, 1);
      b.gather(2 * S * H);
    }
    for (int p = 0; p < 2; ++p) {  // stride_pool_pos: a new_tensor from a Python list
      b.sync_read("aten::new_tensor");
      b.concat(2 * S * H);
    }
    for (const char* op : {"aten::eq", "aten::eq", "aten::bitwise_or", "aten::bitwise_or"})
      b.elementwise(op, d.B * S * S, 1);
    b.alloc_zeros(S * S);
    b.copy("aten::pad", S * S);
  };
  auto layer = [&](double Sq, double Sk) {
    double Tq = d.B * Sq, Tk = d.B * Sk;
    b.module(OpClass::module_heavy, "layer");
    b.module(OpClass::module_heavy, "attention");
    b.module(OpClass::module_leaf, "q_head");
    b.linear(Tq, H, H, false);
    b.view("aten::view");
    b.module(OpClass::module_leaf, "k_head");
    b.linear(Tk, H, H);
    b.view("aten::view");
    b.module(OpClass::module_leaf, "v_head");
    b.linear(Tk, H, H);
    b.view("aten::view");
    b.elementwise("aten::mul", Tq * H, 1);
    b.elementwise("aten::mul", H, 1);
    b.elementwise("aten::add", Tq * H, 2);
    b.matmul(d.B * heads, Sq, Sk, hd, "aten::einsum");  // content scores
    b.elementwise("aten::mul", H, 1);
    b.matmul(1, 2 * Sk, H, H, "aten::einsum");           // position projection
    b.elementwise("aten::add", Tq * H, 2);
    b.matmul(d.B * heads, Sq, 2 * Sk, hd, "aten::einsum");  // position scores
    for (int v = 0; v < 4; ++v) b.view(v % 2 ? "aten::slice" : "aten::reshape");
    b.elementwise("aten::mul_", d.B * heads * Sq * Sk, 2);
    b.elementwise("aten::mul", H, 1);
    b.elementwise("aten::add", Tq * H, 2);
    b.matmul(d.B * heads, Sq, 2, hd, "aten::einsum");  // token-type scores
    for (const char* v : {"aten::unsqueeze", "aten::expand", "aten::split", "aten::expand", "aten::expand"}) b.view(v);
    b.elementwise("aten::where", d.B * heads * Sq * Sk, 3);
    b.elementwise("aten::mul_", d.B * heads * Sq * Sk, 2);
    b.elementwise("aten::add", d.B * heads * Sq * Sk, 2);
    b.elementwise("aten::add", d.B * heads * Sq * Sk, 2);
    for (const char* v : {"aten::to", "aten::unsqueeze", "aten::unsqueeze", "aten::to"}) b.view(v);
    b.elementwise("aten::rsub", d.B * Sk, 1);
    b.elementwise("aten::mul", d.B * Sk, 1);
    b.elementwise("aten::sub", d.B * heads * Sq * Sk, 2);
    b.softmax(d.B * heads * Sq, Sk);
    b.dropout();
    b.matmul(d.B * heads, Sq, hd, Sk, "aten::einsum");
    b.copy("aten::reshape", Tq * H);
    b.module(OpClass::module_leaf, "post_proj");
    b.linear(Tq, H, H);
    b.dropout();
    b.elementwise("aten::add", Tq * H, 2);
    b.module(OpClass::module_leaf, "layer_norm");
    b.layer_norm(Tq, H);
    b.module(OpClass::module_heavy, "ffn");
    b.module(OpClass::module_leaf, "linear_1");
    b.linear(Tq, H, I);
    activation(b, t.activation, Tq * I);
    b.dropout();
    b.module(OpClass::module_leaf, "linear_2");
    b.linear(Tq, I, H);
    b.dropout();
    b.elementwise("aten::add", Tq * H, 2);
    b.module(OpClass::module_leaf, "layer_norm");
    b.layer_norm(Tq, H);
  };
  b.module(OpClass::module_model, "funnel");
  b.sync_read("aten::index");  // warn_if_padding_and_no_attention_mask
  b.elementwise("aten::eq", 2 * d.B, 1);
  b.reduction("aten::any", 2 * d.B, 1);
  b.sync_read("aten::item");
  b.alloc_zeros(d.T);
  b.alloc_zeros(d.T);
  b.module(OpClass::module_heavy, "embeddings");
  b.module(OpClass::module_leaf, "word_embeddings");
  b.embedding(d.T, H);
  b.module(OpClass::module_leaf, "layer_norm");
  b.layer_norm(d.T, H);
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  position_tables(d.S);
  double S = d.S;
  for (std::size_t blk = 0; blk < t.block_sizes.size(); ++blk) {
    for (long long l = 0; l < t.block_sizes[blk]; ++l) {
      if (blk > 0 && l == 0) {  // pool the query: mean over pairs of positions
        b.resume("encoder");
        b.concat(d.B * S * S);
        b.concat(d.B * S);
        b.view("aten::slice");
        b.concat(d.B * S * H);
        b.pool("aten::avg_pool2d", d.B * S * H, d.B * S * H / 2);
        double pooled = std::ceil(S / 2);
        layer(pooled, S);
        b.resume("encoder");
        b.concat(d.B * S * S);
        b.concat(d.B * S);
        b.concat(d.B * S);
        b.elementwise("aten::neg", d.B * S, 1);
        b.pool("aten::max_pool2d", d.B * S, d.B * pooled);
        b.elementwise("aten::neg", d.B * pooled, 1);
        S = pooled;
      } else {
        layer(S, S);
      }
    }
  }
  if (t.decoder_layers > 0) {
    b.module(OpClass::module_heavy, "decoder");
    b.view("aten::slice");
    b.copy("aten::repeat_interleave", d.T * H);
    b.copy("aten::pad", d.T * H);
    b.concat(d.T * H);
    b.elementwise("aten::add", d.T * H, 2);
    position_tables(d.S);
    for (long long l = 0; l < t.decoder_layers; ++l) layer(d.S, d.S);
  }
}

double params(const TC& t) {
  double layers = 0;
  for (long long s : t.block_sizes) layers += static_cast<double>(s);
  return encoder_params(t, layers, bert_layer_params(t));
}

void validate(const TC& t, Diagnostics& diag, const std::string& where) {
  if (t.block_sizes.empty()) diag.add(where + "block_sizes", "expected at least one block");
  long long blocks = 0;
  for (long long s : t.block_sizes) blocks += s;
  if (blocks > kMaxLayers)
    diag.add(where + "block_sizes", "expected at most " + std::to_string(kMaxLayers) + " layers in all, got " +
                                        std::to_string(blocks));
}

// FunnelConfig's block_sizes: a list of layer counts, [4, 4, 4] by default (never None).
void hf_read(const Json& j, TC& t, Diagnostics& diag) {
  t.block_sizes = {4, 4, 4};
  if (auto bs = j.find("block_sizes"); bs != j.end()) {
    if (!bs->is_array()) {
      diag.add("/block_sizes", "expected an array of layer counts, got " + describe(*bs));
    } else {
      t.block_sizes.clear();
      for (std::size_t i = 0; i < bs->size(); ++i) {
        const Json& v = (*bs)[i];
        if (v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= kMaxLayers)
          t.block_sizes.push_back(v.get<long long>());
        else
          diag.add("/block_sizes/" + std::to_string(i),
                   "expected an integer in [1, " + std::to_string(kMaxLayers) + "], got " + describe(v));
      }
    }
  }
  t.layers = 0;
  for (long long s : t.block_sizes) t.layers += s;
  if (t.layers > kMaxLayers)
    diag.add("/block_sizes", "expected at most " + std::to_string(kMaxLayers) + " layers in all, got " +
                                 std::to_string(t.layers));
}

}  // namespace

const TransformerFamily& funnel_family() {
  // clang-format off
  static const TransformerFamily f{
      .name = "funnel",
      .layers_in_blocks = true,
      .build = [](Builder& b, const WorkloadConfig& c, const TC& t) { build_funnel(b, token_dims(c), t); },
      .params = params,
      .validate = validate,
      .hf_classes = {
      // transformers FunnelConfig (models/funnel/configuration_funnel.py): funnel-transformer/small,
      // block_sizes [4, 4, 4] (read below). The class has no position table (relative attention)
      // and no token-type vocabulary: fwtax keeps the funnel-small built-in's 512 positions and
      // three token types (<cls>, first and second segment).
      {"funnel", "hidden_act", "gelu_new",
       {{"d_model", &TC::hidden, 768},
        {"n_head", &TC::heads, 12},
        {"d_inner", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"num_decoder_layers", &TC::decoder_layers, 2},
        {nullptr, &TC::max_position, 512},
        {nullptr, &TC::type_vocab, 3}},
       {{nullptr, &TC::pooler, false}}, "block_sizes"}},
      .hf_read = hf_read,
  };
  // clang-format on
  return f;
}

}  // namespace fwtax
