// Token-model builders, op for op as HF transformers 5.x (and torch.nn) dispatch them in eager mode
// with SDPA attention and no attention mask. The per-family sequences are documented in
// docs/ARCHITECTURE.md; BERT's matches the shared H100 Kineto traces exactly (278 top-level ops).
#include "model/arch/transformer.hpp"

#include <algorithm>
#include <map>

#include "model/error.hpp"

namespace fwtax {
namespace {

// Shapes of one forward: batch, sequence, tokens.
struct Dims {
  double B, S, T;
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
      b.sdpa_math(d.B, heads, d.S, d.S, hd);
    else
      b.sdpa(d.B, heads, d.S, d.S, hd, causal);
    b.view("aten::transpose");
    b.view("aten::reshape");
    return;
  }
  const double scores = d.B * heads * d.S * d.S;
  b.view("aten::transpose");
  b.matmul(d.B * heads, d.S, d.S, hd);
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
  b.matmul(d.B * heads, d.S, hd, d.S);
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
  if (!t.use_cache) {  // create_causal_mask's packed-sequence check on position ids
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
    if (t.use_cache)
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
}

// Llama-style decoders (Llama, Mistral, Qwen2): RMSNorm written out in eight ops, rotary position
// embeddings, grouped-query SDPA, SwiGLU MLP.
void build_llama(Builder& b, const Dims& d, const TransformerConfig& t) {
  const double H = static_cast<double>(t.hidden), I = static_cast<double>(t.intermediate);
  const double hd = static_cast<double>(t.head_dim()), kvh = static_cast<double>(t.kv()) * hd;
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
    cast(d.T * H);
    b.elementwise("aten::mul", d.T * H, 2);
  };
  auto rotate = [&](double width) {
    b.elementwise("aten::mul", d.T * width, 2);
    b.view("aten::slice");
    b.view("aten::slice");
    b.elementwise("aten::neg", d.T * width / 2, 1);
    b.concat(d.T * width);
    b.elementwise("aten::mul", d.T * width, 2);
    b.elementwise("aten::add", d.T * width, 2);
  };
  b.module(OpClass::module_heavy, "model");
  b.module(OpClass::module_leaf, "embed_tokens");
  b.embedding(d.T, H);
  b.elementwise("aten::arange", d.S, 0);
  b.elementwise("aten::add", d.S, 1);
  b.view("aten::unsqueeze");
  if (!t.use_cache) {
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
    projection(b, d.T, H, H);
    projection(b, d.T, H, kvh);
    projection(b, d.T, H, kvh);
    b.view("aten::unsqueeze");
    b.view("aten::unsqueeze");
    rotate(H);
    rotate(kvh);
    if (t.use_cache)
      for (int p = 0; p < 2; ++p) b.concat(d.T * kvh);
    b.sdpa(d.B, static_cast<double>(t.heads), d.S, d.S, hd, true);
    b.view("aten::transpose");
    b.view("aten::reshape");
    b.module(OpClass::module_leaf, "o_proj");
    b.linear(d.T, H, H, false);
    b.resume("layer");  // the residual adds are the decoder layer's
    b.elementwise("aten::add", d.T * H, 2);
    rms_norm();
    b.module(OpClass::module_heavy, "mlp");
    b.module(OpClass::module_leaf, "gate_proj");
    b.linear(d.T, H, I, false);
    b.module(OpClass::module_leaf, "act_fn");
    activation(b, "silu", d.T * I);
    b.module(OpClass::module_leaf, "up_proj");
    b.linear(d.T, H, I, false);
    b.elementwise("aten::mul", d.T * I, 2);
    b.module(OpClass::module_leaf, "down_proj");
    b.linear(d.T, I, H, false);
    b.resume("layer");
    b.elementwise("aten::add", d.T * H, 2);
  }
  rms_norm();
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
  if (t.family == "llama") layer = 2 * h * h + 2 * h * kv + 3 * h * i + 2 * h;
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
  if (t.heads > 0 && t.hidden % t.heads != 0)
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

TransformerConfig read_hf_config(const Json& j, Diagnostics& diag) {
  TransformerConfig t;
  if (!j.is_object()) {
    diag.add("/", "expected a config.json object, got " + describe(j));
    return t;
  }
  auto mt = j.find("model_type");
  std::string type = mt != j.end() && mt->is_string() ? mt->get<std::string>() : std::string();
  // A field of the config, type-checked; HF configs carry many fields fwtax does not need, so
  // unknown ones are ignored (unlike our own architecture files).
  auto get = [&](const char* key, long long fallback) -> long long {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    // Layer counts are bounded like our own files' (kMaxLayers); sizes by 2^31.
    long long hi = std::string_view(key).find("layer") != std::string_view::npos ? kMaxLayers : kMaxWidth;
    if (!it->is_number_integer()) {
      diag.add(std::string("/") + key, "expected an integer, got " + describe(*it));
      return fallback;
    }
    if (it->get<long long>() > hi) {
      diag.add(std::string("/") + key, "expected at most " + std::to_string(hi) + ", got " + describe(*it));
      return fallback;
    }
    return it->get<long long>();
  };
  auto str = [&](const char* key, const std::string& fallback) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  auto flag = [&](const char* key, bool fallback) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
  };
  auto act = [&](std::string a) {
    if (a == "gelu_new" || a == "gelu_pytorch_tanh" || a == "gelu_fast") return std::string("gelu_new");
    if (a == "swish") return std::string("silu");
    return a;
  };
  static const std::map<std::string, std::string> family = {
      {"bert", "bert"},       {"roberta", "roberta"},   {"xlm-roberta", "roberta"}, {"distilbert", "distilbert"},
      {"albert", "albert"},   {"mobilebert", "mobilebert"}, {"squeezebert", "squeezebert"}, {"funnel", "funnel"},
      {"gpt2", "gpt2"},       {"llama", "llama"},       {"mistral", "llama"},       {"qwen2", "llama"},
      {"vit", "vit"}};
  auto it = family.find(type);
  if (it == family.end()) {
    diag.add("/model_type", "expected one of bert, roberta, xlm-roberta, distilbert, albert, mobilebert, "
                            "squeezebert, funnel, gpt2, llama, mistral, qwen2, vit, got " +
                                (j.contains("model_type") ? describe(j["model_type"]) : std::string("nothing")));
    return t;
  }
  t.family = it->second;
  if (t.family == "distilbert") {
    t.hidden = get("dim", 768);
    t.layers = get("n_layers", 6);
    t.heads = get("n_heads", 12);
    t.intermediate = get("hidden_dim", 3072);
    t.activation = act(str("activation", "gelu"));
    t.pooler = false;
  } else if (t.family == "funnel") {
    t.hidden = get("d_model", 768);
    t.heads = get("n_head", 12);
    t.intermediate = get("d_inner", 3072);
    t.activation = act(str("hidden_act", "gelu_new"));
    t.decoder_layers = get("num_decoder_layers", 2);
    if (auto bs = j.find("block_sizes"); bs != j.end() && bs->is_array()) {
      t.block_sizes.clear();
      for (const auto& v : *bs)
        if (v.is_number_integer() && v.get<long long>() >= 1 && v.get<long long>() <= kMaxLayers)
          t.block_sizes.push_back(v.get<long long>());
        else
          diag.add("/block_sizes", "expected integers in [1, " + std::to_string(kMaxLayers) + "], got " + describe(v));
    }
    t.layers = 0;
    for (long long s : t.block_sizes) t.layers += s;
    if (t.layers > kMaxLayers)
      diag.add("/block_sizes", "expected at most " + std::to_string(kMaxLayers) + " layers in all, got " +
                                   std::to_string(t.layers));
    t.pooler = false;
  } else if (t.family == "gpt2") {
    t.hidden = get("n_embd", 768);
    t.layers = get("n_layer", 12);
    t.heads = get("n_head", 12);
    t.intermediate = get("n_inner", 4 * t.hidden);
    t.max_position = get("n_positions", 1024);
    t.activation = act(str("activation_function", "gelu_new"));
    t.use_cache = flag("use_cache", true);
    t.pooler = false;
  } else {
    t.hidden = get("hidden_size", 768);
    t.layers = get("num_hidden_layers", 12);
    t.heads = get("num_attention_heads", 12);
    t.intermediate = get("intermediate_size", 3072);
    t.activation = act(str("hidden_act", t.family == "llama" ? "silu" : "gelu"));
    t.type_vocab = get("type_vocab_size", 2);
    t.embedding_size = get("embedding_size", 0);
    if (t.family == "llama") {
      t.kv_heads = get("num_key_value_heads", 0);
      t.use_cache = flag("use_cache", true);
      t.pooler = false;
      t.type_vocab = 0;
      if (j.contains("head_dim") && get("head_dim", 0) * t.heads != t.hidden)
        diag.add("/head_dim", "fwtax models head_dim = hidden_size / num_attention_heads; got " +
                                  std::to_string(get("head_dim", 0)));
    }
    if (t.family == "mobilebert") {
      t.bottleneck = get("intra_bottleneck_size", 128);
      t.ffn_stacks = get("num_feedforward_networks", 4);
      t.pooler = flag("classifier_activation", true);
    }
    if (t.family == "squeezebert") t.groups = get("q_groups", 4);
    if (t.family == "vit") {
      t.image_size = get("image_size", 224);
      t.patch_size = get("patch_size", 16);
      t.type_vocab = 0;
      t.vocab = 0;
      t.pooler = true;
      if (t.patch_size < 1 || t.image_size < t.patch_size)
        diag.add("/patch_size", "expected a patch no larger than the image, got " + std::to_string(t.patch_size));
    }
  }
  if (t.family != "vit") t.vocab = get("vocab_size", t.vocab);
  if (t.family != "gpt2" && t.family != "vit") t.max_position = get("max_position_embeddings", t.max_position);
  // Consistency, named with the config's own field names.
  std::string hidden = t.family == "distilbert" ? "/dim" : t.family == "gpt2" ? "/n_embd" : t.family == "funnel" ? "/d_model" : "/hidden_size";
  std::string heads = t.family == "distilbert" ? "/n_heads" : t.family == "gpt2" ? "/n_head" : t.family == "funnel" ? "/n_head" : "/num_attention_heads";
  std::string layers = t.family == "distilbert" ? "/n_layers" : t.family == "gpt2" ? "/n_layer" : t.family == "funnel" ? "/block_sizes" : "/num_hidden_layers";
  if (t.hidden < 1) diag.add(hidden, "expected a positive integer, got " + std::to_string(t.hidden));
  if (t.layers < 1) diag.add(layers, "expected a positive number of layers, got " + std::to_string(t.layers));
  if (t.heads < 1) diag.add(heads, "expected a positive integer, got " + std::to_string(t.heads));
  else if (t.hidden > 0 && t.hidden % t.heads != 0)
    diag.add(heads, std::to_string(t.heads) + " heads do not divide the hidden size " + std::to_string(t.hidden));
  if (t.intermediate < 1) diag.add("/intermediate_size", "expected a positive integer, got " + std::to_string(t.intermediate));
  if (t.family != "vit" && t.vocab < 1) diag.add("/vocab_size", "expected a positive integer, got " + std::to_string(t.vocab));
  if (t.family == "llama" && (t.kv_heads < 0 || (t.kv_heads > 0 && t.heads > 0 && t.heads % t.kv_heads != 0)))
    diag.add("/num_key_value_heads", "expected a divisor of num_attention_heads, got " + std::to_string(t.kv_heads));
  static const std::vector<std::string> acts = {"gelu", "gelu_new", "relu", "silu"};
  if (std::find(acts.begin(), acts.end(), t.activation) == acts.end())
    diag.add("/hidden_act", "expected an activation fwtax models (gelu, gelu_new, relu, silu), got \"" + t.activation + "\"");
  return t;
}

}  // namespace fwtax
