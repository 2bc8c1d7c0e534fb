// Token-model builders, op for op as HF transformers 5.x (and torch.nn) dispatch them in eager mode
// with SDPA attention and no attention mask. The per-family sequences are documented in
// docs/ARCHITECTURE.md; BERT's matches the shared H100 Kineto traces exactly (278 top-level ops).
#include "model/arch/transformer.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "model/error.hpp"

namespace fwtax {
namespace {

// Shapes of one call: batch, new tokens per sequence, tokens, keys attended to (the cached context
// plus the new tokens), and which call it is.
struct Dims {
  double B, S, T;
  double K = S;
  Phase phase = Phase::forward;
};

// HF's activation by name: gelu (one erf kernel), gelu_new (the tanh approximation written out as
// eight elementwise ops), relu, silu.
void activation(Builder& b, const std::string& act, double elems) {
  if (act == "gelu_new") {
    for (const char* op : {"aten::mul", "aten::pow", "aten::mul", "aten::add", "aten::mul", "aten::tanh", "aten::add",
                           "aten::mul"})
      b.elementwise(op, elems, std::string_view(op) == "aten::pow" || std::string_view(op) == "aten::tanh" ? 1 : 2);
  } else if (act == "relu") {
    b.elementwise("aten::relu", elems, 1);
  } else if (act == "silu") {
    b.elementwise("aten::silu", elems, 1, 4);
  } else {
    b.elementwise("aten::gelu", elems, 1, 8);
  }
}

// q, k or v: linear, view to heads, transpose(1, 2).
void projection(Builder& b, double T, double in, double out) {
  b.module(OpClass::module_leaf, "proj");
  b.linear(T, in, out);
  b.view("aten::view");
  b.view("aten::transpose");
}

// HF's data-dependent Python check on a GPU tensor: a tiny reduction and a blocking read back.
void host_check(Builder& b, double elems) {
  b.elementwise("aten::eq", elems, 1);
  b.reduction("aten::all", elems, 1);
  b.sync_read("aten::is_nonzero");
}

// Attention after the q/k/v projections, up to the merged heads: one fused SDPA op then transpose and
// reshape (transformers 5.x), or the eager math that transformers 4.x ran (permute q, k, v; QK^T;
// scale; mask; softmax; dropout; PV; permute back, contiguous, view).
// `padding_mask`: the encoder builds its padding mask with transformers 5.x's bidirectional mask
// helper. Called without a mask, eager mode skips the mask; a forward captured in a CUDA graph
// materializes it, and SDPA with it falls back to its math kernels in every layer (fp16 and fp32:
// validate/gpu/graph_check.py, HF BertModel, torch 2.11, transformers 5.17). So does a forward
// recorded by torch.jit.trace: the helper never skips the mask while tracing (its is_tracing check),
// and the shared H100 and our H200 TorchScript runs of BERT at batch 64 take the CUDA graphs' time
// (fp16: 11.5 and 10.1 ms against 4.2 ms in eager on the H200). Decoders (causal) and ViT (no mask)
// keep the fused kernel.
void attention(Builder& b, const Dims& d, const TransformerConfig& t, double heads, double hd, bool causal,
               bool padding_mask = false) {
  if (t.attention != "eager") {
    if (padding_mask && (b.backend().graph_capture || b.backend().jit_traced) && b.backend().gpu)
      b.sdpa_math(d.B, heads, d.S, d.K, hd);
    else
      b.sdpa(d.B, heads, d.S, d.K, hd, causal && d.S > 1);
    b.view("aten::transpose");
    b.view("aten::reshape");
    return;
  }
  const double scores = d.B * heads * d.S * d.K;
  b.view("aten::transpose");
  b.matmul(d.B * heads, d.S, d.K, hd);
  if (causal) {
    b.elementwise("aten::full", 1, 0);
    b.elementwise("aten::div", scores, 2);
    b.view("aten::slice");
    b.elementwise("aten::full", 1, 0);
    b.broadcast_elementwise("aten::where", scores, 3);  // the causal mask broadcast over batch and heads
  } else {
    b.elementwise("aten::div", scores, 1);
    b.broadcast_elementwise("aten::add", scores, 2);  // + the extended attention mask, broadcast over heads
  }
  b.softmax(d.B * heads * d.S, d.S);
  b.module(OpClass::module_leaf, "attention.dropout");
  b.dropout();
  b.matmul(d.B * heads, d.S, hd, d.K);
  b.view("aten::permute");
  b.strided_copy("aten::contiguous", d.T * heads * hd);
  b.view("aten::view");
}

// transformers 4.x built an all-ones mask and its additive form when none was given.
void eager_mask(Builder& b, const Dims& d) {
  b.alloc_zeros(d.T);
  b.view("aten::slice");
  b.view("aten::unsqueeze");
  b.copy("aten::to", d.T);
  b.elementwise("aten::rsub", d.T, 1);
  b.elementwise("aten::mul", d.T, 1);
}

// ---------------------------------------------------------------------------------------------
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

void pooler(Builder& b, const Dims& d, double H) {
  b.module(OpClass::module_heavy, "pooler");
  b.view("aten::select");
  b.module(OpClass::module_leaf, "pooler.dense");
  b.linear(d.B, H, H);
  b.module(OpClass::module_leaf, "pooler.activation");
  b.elementwise("aten::tanh", d.B * H, 1, 4);
}

void build_bert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden);
  b.module(OpClass::module_heavy, "model");
  if (t.attention == "eager") eager_mask(b, d);
  b.module(OpClass::module_heavy, "embeddings");
  if (t.family == "roberta") {
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
  b.embedding(t.family == "roberta" ? d.T : d.S, H);
  b.elementwise("aten::add", d.T * H, 2);
  b.module(OpClass::module_leaf, "LayerNorm");
  b.layer_norm(d.T, H);
  b.module(OpClass::module_leaf, "dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "encoder");
  for (long long l = 0; l < t.layers; ++l) bert_layer(b, d, t);
  if (t.pooler) pooler(b, d, H);
}

// DistilBERT: 6-op embeddings, 19-op layers, no pooler.
void build_distilbert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  b.module(OpClass::module_heavy, "distilbert");
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

// ALBERT: factorized embeddings, one shared layer applied `layers` times, gelu_new.
void build_albert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate),
               E = static_cast<double>(t.emb());
  b.module(OpClass::module_heavy, "albert");
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
  b.elementwise("aten::add_", d.T * E, 2);
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
  if (t.pooler) pooler(b, d, H);
}

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
  b.module(OpClass::module_heavy, "mobilebert");
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

// SqueezeBERT: grouped 1x1 convolutions for the projections and its own (non-SDPA) attention.
void build_squeezebert(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate),
               G = static_cast<double>(t.groups), heads = static_cast<double>(t.heads), hd = H / heads;
  auto conv1d = [&](double in, double out, double groups) {
    b.module(OpClass::module_leaf, "conv1d");
    b.conv2d(d.B, in, 1, d.S, out, 1, 1, 1, 0, 0, groups, true);
  };
  b.module(OpClass::module_heavy, "squeezebert");
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
  b.module(OpClass::module_heavy, "funnel");
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

// The KV cache of one layer after its k and v projections (`kv` elements per token each), in a
// prefill or a decode step. HF's DynamicCache stores the prompt's keys as they are and concatenates
// every later step's onto all it holds (torch.cat: the whole cache read and written again); a
// static cache, as CUDA-graph decoding uses, writes the new tokens in place (index_copy_).
void cache_update(Builder& b, const Dims& d, double kv) {
  if (d.phase == Phase::forward) return;
  for (int p = 0; p < 2; ++p) {
    if (b.backend().graph_capture)
      b.copy("aten::index_copy_", d.T * kv);
    else if (d.phase == Phase::decode)
      b.concat(d.B * d.K * kv);
  }
}

// What a generate step does after the last layer: the LM head on each sequence's last token, the
// logits in fp32, greedy sampling, the new token appended, and the end-of-sequence check that
// generate's loop reads back on the host every step (unfinished_sequences.max() == 0).
void lm_head_and_sample(Builder& b, const Dims& d, double H, double V) {
  if (d.phase == Phase::forward) return;
  b.view("aten::slice");
  b.module(OpClass::module_leaf, "lm_head");
  b.linear(d.B, H, V, false);
  b.copy("aten::to", d.B * V, 4);
  b.reduction("aten::argmax", d.B * V, d.B);
  b.elementwise("aten::mul", d.B, 2);
  b.elementwise("aten::add", d.B, 2);
  b.concat(d.B * (d.K + 1));  // input_ids
  b.concat(d.B * (d.K + 1));  // attention_mask
  b.elementwise("aten::isin", d.B, 2);
  b.elementwise("aten::bitwise_and", d.B, 2);
  b.reduction("aten::max", d.B, 1);
  b.sync_read("aten::is_nonzero");
}

// GPT-2: Conv1D projections (view, addmm, view), causal SDPA, gelu_new.
void build_gpt2(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  auto conv1d = [&](double in, double out) {
    b.module(OpClass::module_leaf, "conv1d");
    b.view("aten::view");
    b.linear(d.T, in, out);
    b.view("aten::view");
  };
  b.module(OpClass::module_heavy, "gpt2");
  b.module(OpClass::module_leaf, "wte");
  b.embedding(d.T, H);
  b.elementwise("aten::arange", d.S, 0);
  b.elementwise("aten::add", d.S, 1);
  b.view("aten::unsqueeze");
  b.module(OpClass::module_leaf, "wpe");
  b.embedding(d.S, H);
  b.view("aten::to");
  b.elementwise("aten::add", d.T * H, 2);
  if (!t.use_cache && d.phase == Phase::forward) {  // create_causal_mask's packed-sequence check on position ids
    b.view("aten::slice");
    b.elementwise("aten::sub", d.B, 1);
    b.elementwise("aten::diff", d.T, 1);
    b.elementwise("aten::ne", d.T, 1);
    b.elementwise("aten::cumsum", d.T, 1);
    b.view("aten::select");
    host_check(b, d.B);
  }
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
  }
  b.resume("gpt2");
  b.module(OpClass::module_leaf, "ln_f");
  b.layer_norm(d.T, H);
  b.view("aten::view");
  lm_head_and_sample(b, d, H, static_cast<double>(t.vocab));  // the head's weights are the embedding's
}

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
    b.elementwise("aten::mul", d.T * H, 2);
    if (t.gemma) {  // output * (1.0 + self.weight.float()), then .type_as(x)
      cast(H);
      b.elementwise("aten::add", H, 1);
      b.elementwise("aten::mul", d.T * H, 2);
      cast(d.T * H);
      return;
    }
    cast(d.T * H);
    b.elementwise("aten::mul", d.T * H, 2);
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
  b.module(OpClass::module_heavy, "model");
  b.module(OpClass::module_leaf, "embed_tokens");
  b.embedding(d.T, H);
  if (t.gemma) {  // GemmaTextScaledWordEmbedding: * self.embed_scale.to(self.weight.dtype)
    cast(1);
    b.elementwise("aten::mul", d.T * H, 2);
  }
  b.elementwise("aten::arange", d.S, 0);
  b.elementwise("aten::add", d.S, 1);
  b.view("aten::unsqueeze");
  if (!t.use_cache && d.phase == Phase::forward) {
    b.view("aten::slice");
    b.elementwise("aten::sub", d.B, 1);
    b.elementwise("aten::diff", d.T, 1);
    b.elementwise("aten::ne", d.T, 1);
    b.elementwise("aten::cumsum", d.T, 1);
    b.view("aten::select");
    host_check(b, d.B);
  }
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
    b.sdpa(d.B, static_cast<double>(t.heads), d.S, d.K, hd, d.S > 1, static_cast<double>(t.kv()));
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
  }
  rms_norm();
  lm_head_and_sample(b, d, H, static_cast<double>(t.vocab));
}

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
  }
  b.resume("vit");
  b.module(OpClass::module_leaf, "layernorm");
  b.layer_norm(T, H);
  if (t.pooler) pooler(b, d, H);
}

}  // namespace

const std::vector<std::string>& transformer_families() {
  static const std::vector<std::string> f = {"bert", "roberta", "distilbert", "albert", "mobilebert", "squeezebert",
                                             "funnel", "gpt2", "llama", "vit", "torchnn"};
  return f;
}

void build_transformer(Builder& b, const WorkloadConfig& c, const TransformerConfig& t) {
  Dims d{static_cast<double>(c.batch), static_cast<double>(c.seq), static_cast<double>(c.batch * c.seq)};
  d.phase = c.phase;
  d.K = static_cast<double>(c.context + c.seq);
  const std::string& f = t.family;
  if (f == "bert" || f == "roberta") build_bert(b, d, t);
  else if (f == "distilbert") build_distilbert(b, d, t);
  else if (f == "albert") build_albert(b, d, t);
  else if (f == "mobilebert") build_mobilebert(b, d, t);
  else if (f == "squeezebert") build_squeezebert(b, d, t);
  else if (f == "funnel") build_funnel(b, d, t);
  else if (f == "gpt2") build_gpt2(b, d, t);
  else if (f == "llama") build_llama(b, d, t);
  else if (f == "vit") build_hf_vit(b, c, t);
  else build_torchnn(b, d, t);
}

double transformer_params(const TransformerConfig& t) {
  double h = static_cast<double>(t.hidden), i = static_cast<double>(t.intermediate), e = static_cast<double>(t.emb());
  double kv = static_cast<double>(t.kv()) * static_cast<double>(t.head_dim());
  double emb = (static_cast<double>(t.vocab) + static_cast<double>(t.max_position) + static_cast<double>(t.type_vocab)) * e;
  if (t.family == "llama") emb = static_cast<double>(t.vocab) * h;
  double layer = 2 * (h * h + h) + 2 * (h * kv + kv) + (h * i + i) + (i * h + h) + 4 * h;
  // q and o are heads x head_dim wide (Gemma's may differ from the hidden size).
  const double qw = static_cast<double>(t.heads) * static_cast<double>(t.head_dim());
  if (t.family == "llama") layer = 2 * h * qw + 2 * h * kv + 3 * h * i + 2 * h;
  if (t.family == "mobilebert") {
    double n = static_cast<double>(t.bottleneck);
    layer = 4 * h * n + 3 * n * n + h * n + static_cast<double>(t.ffn_stacks) * 2 * n * i;
  }
  if (t.family == "squeezebert") {  // grouped 1x1 convolutions for q, k, v, intermediate and output
    double g = static_cast<double>(t.groups);
    layer = 3 * h * h / g + h * h + 2 * h * i / g + 4 * h;
  }
  double layers = t.family == "albert" ? 1 : static_cast<double>(t.layers);
  if (t.family == "funnel") {
    layers = 0;
    for (long long s : t.block_sizes) layers += static_cast<double>(s);
  }
  return emb + layers * layer + (t.pooler ? h * h + h : 0) + (t.family == "albert" ? e * h : 0);
}

void validate_transformer(const TransformerConfig& t, Diagnostics& diag, const std::string& where) {
  auto need = [&](const char* field, long long v) {
    if (v < 1) diag.add(where + field, "expected a positive integer, got " + std::to_string(v));
  };
  need("hidden", t.hidden);
  need("layers", t.layers);
  need("heads", t.heads);
  need("intermediate", t.intermediate);
  if (t.family != "vit") {
    need("vocab", t.vocab);
    need("max_position", t.max_position);
  }
  if (t.heads > 0 && t.hidden % t.heads != 0 && t.head_size == 0)
    diag.add(where + "heads", std::to_string(t.heads) + " heads do not divide the hidden size " + std::to_string(t.hidden));
  if (t.kv_heads < 0 || (t.kv_heads > 0 && t.heads % t.kv_heads != 0))
    diag.add(where + "kv_heads", "expected a divisor of the " + std::to_string(t.heads) + " heads, got " +
                                     std::to_string(t.kv_heads));
  if (t.family == "mobilebert" && (t.bottleneck < 1 || t.bottleneck % t.heads != 0))
    diag.add(where + "bottleneck", "expected a positive multiple of the heads, got " + std::to_string(t.bottleneck));
  if (t.family == "squeezebert" && (t.groups < 1 || t.hidden % t.groups != 0 || t.intermediate % t.groups != 0))
    diag.add(where + "groups", "expected a divisor of the hidden and intermediate sizes, got " + std::to_string(t.groups));
  if (t.family == "funnel" && t.block_sizes.empty()) diag.add(where + "block_sizes", "expected at least one block");
  long long blocks = 0;
  for (long long s : t.block_sizes) blocks += s;
  if (t.family == "funnel" && blocks > kMaxLayers)
    diag.add(where + "block_sizes", "expected at most " + std::to_string(kMaxLayers) + " layers in all, got " +
                                        std::to_string(blocks));
  const auto& fam = transformer_families();
  if (std::find(fam.begin(), fam.end(), t.family) == fam.end())
    diag.add(where + "family", "unknown transformer family '" + t.family + "'");
  static const std::vector<std::string> acts = {"gelu", "gelu_new", "relu", "silu"};
  if (std::find(acts.begin(), acts.end(), t.activation) == acts.end())
    diag.add(where + "activation", "expected gelu, gelu_new, relu or silu, got \"" + t.activation + "\"");
}

void read_transformer_fields(ObjectReader& r, TransformerConfig& t) {
  const long long big = kMaxWidth;
  t.hidden = r.integer_or("hidden", 1, big, t.hidden);
  t.layers = r.integer_or("layers", 1, kMaxLayers, t.layers);
  t.heads = r.integer_or("heads", 1, 1 << 16, t.heads);
  t.kv_heads = r.integer_or("kv_heads", 0, 1 << 16, t.kv_heads);
  t.intermediate = r.integer_or("intermediate", 1, big, t.intermediate);
  t.vocab = r.integer_or("vocab", 1, big, t.vocab);
  t.max_position = r.integer_or("max_position", 1, big, t.max_position);
  t.type_vocab = r.integer_or("type_vocab", 0, big, t.type_vocab);
  t.embedding_size = r.integer_or("embedding_size", 0, big, t.embedding_size);
  t.activation = r.choice("activation", {"gelu", "gelu_new", "relu", "silu"}, t.activation);
  t.attention = r.choice("attention", {"sdpa", "eager"}, t.attention);
  t.pooler = r.boolean_or("pooler", t.pooler);
  t.use_cache = r.boolean_or("use_cache", t.use_cache);
  t.bottleneck = r.integer_or("bottleneck", 1, big, t.bottleneck);
  t.ffn_stacks = r.integer_or("ffn_stacks", 1, 64, t.ffn_stacks);
  t.decoder_layers = r.integer_or("decoder_layers", 0, kMaxLayers, t.decoder_layers);
  t.groups = r.integer_or("groups", 1, 1 << 16, t.groups);
  t.image_size = r.integer_or("image_size", 16, 1 << 16, t.image_size);
  t.patch_size = r.integer_or("patch_size", 1, 1 << 16, t.patch_size);
  if (const Json* bs = r.array("block_sizes", false)) {
    t.block_sizes.clear();
    for (std::size_t i = 0; i < bs->size(); ++i) {
      const Json& v = (*bs)[i];
      if (!v.is_number_integer() || v.get<long long>() < 1)
        r.diagnostics().add(pointer_join(r.pointer(), "block_sizes") + "/" + std::to_string(i),
                            "expected a positive integer, got " + describe(v));
      else
        t.block_sizes.push_back(v.get<long long>());
    }
  }
}

namespace {

// ---------------------------------------------------------------------------------------------
// Hugging Face config.json: one table per config class, giving the config.json key of each field
// fwtax reads and the value the class's constructor takes when the key is absent, read from
// transformers' src/transformers/models/<type>/configuration_<type>.py.

using TC = TransformerConfig;

// What None means for an integer field of an HF config class.
enum class HfNone {
  error,          // a plain int in the class: its validation, or the arithmetic on None, fails
  same_as_heads,  // num_key_value_heads: as many as the attention heads (TransformerConfig's 0);
                  // head_dim: hidden / heads (also 0)
  four_hidden,    // GPT-2's n_inner: 4 x n_embd
};

// An integer field of an HF config class.
struct HfInt {
  // The config.json key; nullptr where the class has no such field, and `absent` is then what its
  // model builds (a GPT-2 has no token-type embeddings).
  const char* key;
  long long TC::*member;
  std::optional<long long> absent;  // the class's default; nullopt where it is None
  HfNone none = HfNone::error;      // what None (absent by default, or an explicit null) means
};

// A boolean field, or (key nullptr) a fixed choice of the model class.
struct HfBool {
  const char* key;
  bool TC::*member;
  bool absent;
};

// One accepted model_type: the fwtax builder, the activation's key and default, and the fields.
struct HfConfigClass {
  const char* model_type;
  const char* family;
  const char* activation_key;
  const char* activation;
  std::vector<HfInt> ints;
  std::vector<HfBool> bools;
};

const std::vector<HfConfigClass>& hf_config_classes() {
  // One field a line; the model_type and the fwtax builder on the first.
  // clang-format off
  static const std::vector<HfConfigClass> classes = {
      // transformers BertConfig (models/bert/configuration_bert.py): bert-base-uncased.
      {"bert", "bert", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2}},
       {{nullptr, &TC::pooler, true}}},
      // transformers RobertaConfig (models/roberta/configuration_roberta.py): BERT's defaults but
      // RoBERTa's BPE vocabulary. roberta-base's own config.json says 514 positions and one token
      // type; the class's defaults stay BERT's 512 and 2.
      {"roberta", "roberta", "hidden_act", "gelu",
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
      {"xlm-roberta", "roberta", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2}},
       {{nullptr, &TC::pooler, true}}},
      // transformers DistilBertConfig (models/distilbert/configuration_distilbert.py). Its
      // embeddings are words and positions only, and DistilBertModel has no pooler.
      {"distilbert", "distilbert", "activation", "gelu",
       {{"dim", &TC::hidden, 768},
        {"n_layers", &TC::layers, 6},
        {"n_heads", &TC::heads, 12},
        {"hidden_dim", &TC::intermediate, 4 * 768},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {nullptr, &TC::type_vocab, 0}},
       {{nullptr, &TC::pooler, false}}},
      // transformers AlbertConfig (models/albert/configuration_albert.py): albert-xxlarge-v2's
      // sizes, not albert-base's.
      {"albert", "albert", "hidden_act", "gelu_new",
       {{"hidden_size", &TC::hidden, 4096},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 64},
        {"intermediate_size", &TC::intermediate, 16384},
        {"vocab_size", &TC::vocab, 30000},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2},
        {"embedding_size", &TC::embedding_size, 128}},
       {{nullptr, &TC::pooler, true}}},
      // transformers MobileBertConfig (models/mobilebert/configuration_mobilebert.py):
      // mobilebert-uncased. classifier_activation decides whether the pooler has its dense layer.
      {"mobilebert", "mobilebert", "hidden_act", "relu",
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
       {{"classifier_activation", &TC::pooler, true}}},
      // transformers SqueezeBertConfig (models/squeezebert/configuration_squeezebert.py).
      // fwtax groups q, k, v, intermediate and output alike, by q_groups (all 4 by default).
      {"squeezebert", "squeezebert", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"max_position_embeddings", &TC::max_position, 512},
        {"type_vocab_size", &TC::type_vocab, 2},
        {"embedding_size", &TC::embedding_size, 768},
        {"q_groups", &TC::groups, 4}},
       {{nullptr, &TC::pooler, true}}},
      // transformers FunnelConfig (models/funnel/configuration_funnel.py): funnel-transformer/small,
      // block_sizes [4, 4, 4] (read below). The class has no position table (relative attention)
      // and no token-type vocabulary: fwtax keeps the funnel-small built-in's 512 positions and
      // three token types (<cls>, first and second segment).
      {"funnel", "funnel", "hidden_act", "gelu_new",
       {{"d_model", &TC::hidden, 768},
        {"n_head", &TC::heads, 12},
        {"d_inner", &TC::intermediate, 3072},
        {"vocab_size", &TC::vocab, 30522},
        {"num_decoder_layers", &TC::decoder_layers, 2},
        {nullptr, &TC::max_position, 512},
        {nullptr, &TC::type_vocab, 3}},
       {{nullptr, &TC::pooler, false}}},
      // transformers GPT2Config (models/gpt2/configuration_gpt2.py): gpt2 (124M). n_inner defaults
      // to None, which GPT2MLP takes as 4 x n_embd; real configs write it as null.
      {"gpt2", "gpt2", "activation_function", "gelu_new",
       {{"n_embd", &TC::hidden, 768},
        {"n_layer", &TC::layers, 12},
        {"n_head", &TC::heads, 12},
        {"n_inner", &TC::intermediate, std::nullopt, HfNone::four_hidden},
        {"vocab_size", &TC::vocab, 50257},
        {"n_positions", &TC::max_position, 1024},
        {nullptr, &TC::type_vocab, 0}},
       {{"use_cache", &TC::use_cache, true}, {nullptr, &TC::pooler, false}}},
      // transformers LlamaConfig (models/llama/configuration_llama.py): Llama-2-7B's sizes with 2048
      // positions. num_key_value_heads defaults to None: as many as the attention heads.
      {"llama", "llama", "hidden_act", "silu",
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
      {"mistral", "llama", "hidden_act", "silu",
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
      {"qwen2", "llama", "hidden_act", "silu",
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
      {"phi3", "llama", "hidden_act", "silu",
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
      {"gemma", "llama", "hidden_act", "gelu_pytorch_tanh",
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
        {nullptr, &TC::gemma, true}, {nullptr, &TC::pooler, false}}},
      // transformers ViTConfig (models/vit/configuration_vit.py): vit-base-patch16-224. Images,
      // so no vocabulary; ViTModel has a pooler.
      {"vit", "vit", "hidden_act", "gelu",
       {{"hidden_size", &TC::hidden, 768},
        {"num_hidden_layers", &TC::layers, 12},
        {"num_attention_heads", &TC::heads, 12},
        {"intermediate_size", &TC::intermediate, 3072},
        {"image_size", &TC::image_size, 224},
        {"patch_size", &TC::patch_size, 16},
        {nullptr, &TC::vocab, 0},
        {nullptr, &TC::type_vocab, 0}},
       {{nullptr, &TC::pooler, true}}},
  };
  // clang-format on
  return classes;
}

// The smallest value of a field. Hidden size, layers, heads, intermediate size and vocabulary are
// checked after reading, with the config's consistency (heads divide the
// hidden size ...), so they get no bound here.
long long hf_min(long long TC::*m) {
  if (m == &TC::hidden || m == &TC::layers || m == &TC::heads || m == &TC::intermediate || m == &TC::vocab)
    return std::numeric_limits<long long>::min();
  return m == &TC::type_vocab || m == &TC::decoder_layers ? 0 : 1;
}

// Layer counts are bounded like our own files' (kMaxLayers); sizes by 2^31.
long long hf_max(long long TC::*m) {
  return m == &TC::layers || m == &TC::decoder_layers ? kMaxLayers : kMaxWidth;
}

// The config.json key of a member in this class ("" when it has none).
std::string hf_key(const HfConfigClass& c, long long TC::*m) {
  for (const auto& f : c.ints)
    if (f.member == m && f.key) return f.key;
  return "";
}

}  // namespace

std::optional<DType> read_hf_dtype(const Json& j, Diagnostics& diag) {
  if (!j.is_object()) return std::nullopt;
  const char* key = j.contains("dtype") ? "dtype" : "torch_dtype";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  static const std::pair<const char*, DType> names[] = {
      {"float32", DType::fp32}, {"float16", DType::fp16}, {"bfloat16", DType::bf16}};
  if (it->is_string()) {
    std::string s = it->get<std::string>();
    if (s.rfind("torch.", 0) == 0) s = s.substr(6);  // str(torch.float16), as some tools write it
    if (s == "auto") return std::nullopt;
    for (auto [name, d] : names)
      if (s == name) return d;
  }
  diag.add(std::string("/") + key, "expected \"float32\", \"float16\", \"bfloat16\" or null, got " + describe(*it));
  return std::nullopt;
}

TransformerConfig read_hf_config(const Json& j, Diagnostics& diag) {
  TransformerConfig t;
  if (!j.is_object()) {
    diag.add("/", "expected a config.json object, got " + describe(j));
    return t;
  }
  auto mt = j.find("model_type");
  std::string type = mt != j.end() && mt->is_string() ? mt->get<std::string>() : std::string();
  const auto& classes = hf_config_classes();
  auto cls = std::find_if(classes.begin(), classes.end(),
                          [&](const HfConfigClass& c) { return type == c.model_type; });
  if (cls == classes.end()) {
    std::string names;
    for (const auto& c : classes) names += std::string(names.empty() ? "" : ", ") + c.model_type;
    diag.add("/model_type", "expected one of " + names + ", got " +
                                (mt != j.end() ? describe(*mt) : std::string("nothing")));
    return t;
  }
  const HfConfigClass& c = *cls;
  t.family = c.family;
  // HF configs carry many fields fwtax does not need, so unknown keys are ignored (unlike our own
  // architecture files); the ones it reads are type-checked. None's meaning comes from the fields
  // read before (n_embd comes before n_inner).
  auto none = [&](const HfInt& f) { return f.none == HfNone::four_hidden ? 4 * t.hidden : 0; };
  for (const HfInt& f : c.ints) {
    long long& out = t.*f.member;
    // Also what a field already reported takes, so that the consistency checks stay quiet about it.
    out = f.absent ? *f.absent : none(f);
    auto it = f.key ? j.find(f.key) : j.end();
    if (it == j.end()) continue;
    const std::string where = std::string("/") + f.key;
    const bool nullable = f.none != HfNone::error;
    if (it->is_null() && nullable) {
      out = none(f);
      continue;
    }
    if (!it->is_number_integer()) {
      diag.add(where, std::string(nullable ? "expected an integer or null" : "expected an integer") +
                          ", got " + describe(*it));
      continue;
    }
    const long long lo = hf_min(f.member), hi = hf_max(f.member);
    if (it->is_number_unsigned() ? it->get<unsigned long long>() > static_cast<unsigned long long>(hi)
                                 : it->get<long long>() > hi) {
      diag.add(where, "expected at most " + std::to_string(hi) + ", got " + describe(*it));
      continue;
    }
    if (it->get<long long>() < lo) {
      diag.add(where, (lo == 1 ? std::string("expected a positive integer")
                               : "expected an integer >= " + std::to_string(lo)) +
                          ", got " + describe(*it));
      continue;
    }
    out = it->get<long long>();
  }
  for (const HfBool& f : c.bools) {
    bool& out = t.*f.member;
    out = f.absent;
    auto it = f.key ? j.find(f.key) : j.end();
    if (it == j.end()) continue;
    if (it->is_boolean())
      out = it->get<bool>();
    else
      diag.add(std::string("/") + f.key, "expected true or false, got " + describe(*it));
  }
  // HF's names for the tanh approximation and for SiLU: gelu_pytorch_tanh is one aten::gelu
  // (approximate="tanh", transformers' GELUTanh), fwtax's "gelu"; gelu_fast is written out in
  // elementwise ops like gelu_new. GemmaConfig takes a "gelu" as the tanh one.
  auto hf_activation = [&](std::string name) {
    if (name == "gelu_pytorch_tanh") name = "gelu";
    if (name == "gelu_fast") name = "gelu_new";
    if (name == "swish") name = "silu";
    return name;
  };
  t.activation = hf_activation(c.activation);
  if (auto a = j.find(c.activation_key); a != j.end()) {
    if (!a->is_string())
      diag.add(std::string("/") + c.activation_key, "expected an activation's name, got " + describe(*a));
    else
      t.activation = hf_activation(a->get<std::string>());
  }
  if (t.family == "funnel") {
    // FunnelConfig's block_sizes: a list of layer counts, [4, 4, 4] by default (never None).
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
  // Consistency, named with the config's own keys.
  const std::string hidden = "/" + hf_key(c, &TC::hidden), heads = "/" + hf_key(c, &TC::heads);
  const std::string layers = t.family == "funnel" ? "/block_sizes" : "/" + hf_key(c, &TC::layers);
  if (t.hidden < 1) diag.add(hidden, "expected a positive integer, got " + std::to_string(t.hidden));
  if (t.layers < 1) diag.add(layers, "expected a positive number of layers, got " + std::to_string(t.layers));
  if (t.heads < 1)
    diag.add(heads, "expected a positive integer, got " + std::to_string(t.heads));
  else if (t.hidden > 0 && t.hidden % t.heads != 0 && t.head_size == 0)
    diag.add(heads, std::to_string(t.heads) + " heads do not divide the hidden size " + std::to_string(t.hidden));
  if (t.intermediate < 1)
    diag.add("/" + hf_key(c, &TC::intermediate),
             "expected a positive integer, got " + std::to_string(t.intermediate));
  if (t.family != "vit" && t.vocab < 1)
    diag.add("/vocab_size", "expected a positive integer, got " + std::to_string(t.vocab));
  if (t.family == "llama") {
    if (t.kv_heads < 0 || (t.kv_heads > 0 && t.heads > 0 && t.heads % t.kv_heads != 0))
      diag.add("/num_key_value_heads",
               "expected a divisor of num_attention_heads, got " + std::to_string(t.kv_heads));
  }
  // SqueezeBertEncoder asserts this: it has no projection between the embeddings and layer 1.
  if (t.family == "squeezebert" && t.embedding_size != t.hidden)
    diag.add("/embedding_size", "expected the hidden size " + std::to_string(t.hidden) +
                                    " (SqueezeBERT has no embedding projection), got " +
                                    std::to_string(t.embedding_size));
  if (t.family == "vit" && t.image_size < t.patch_size)
    diag.add("/patch_size", "expected a patch no larger than the image, got " + std::to_string(t.patch_size));
  static const std::vector<std::string> acts = {"gelu", "gelu_new", "relu", "silu"};
  if (std::find(acts.begin(), acts.end(), t.activation) == acts.end())
    diag.add(
        std::string("/") + c.activation_key,
        "expected an activation fwtax models (gelu, gelu_new, relu, silu), got \"" + t.activation + "\"");
  return t;
}

}  // namespace fwtax
