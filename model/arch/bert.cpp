// BERT-style encoders: HF transformers' BertModel (SDPA attention) and torch.nn.TransformerEncoder.
#include "model/arch/architecture.hpp"

namespace fwtax {

double encoder_params(const EncoderConfig& e) {
  double h = static_cast<double>(e.hidden), i = static_cast<double>(e.intermediate);
  double emb = (static_cast<double>(e.vocab) + e.max_position + e.type_vocab) * h + 2 * h;
  double layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h;
  return emb + static_cast<double>(e.layers) * layer + (e.pooler ? h * h + h : 0);
}

// What BertModel.forward dispatches in eager mode with no attention mask (transformers 5.x, SDPA),
// op for op as in the H100 Kineto traces: 11 embedding ops, 22 per layer, 3 in the pooler.
void build_hf_bert(Builder& b, const WorkloadConfig& c, const EncoderConfig& e) {
  const double B = static_cast<double>(c.batch), S = static_cast<double>(c.seq), T = B * S;
  const double H = static_cast<double>(e.hidden), I = static_cast<double>(e.intermediate);
  const double heads = static_cast<double>(e.heads), d = H / heads;
  b.module(OpClass::module_heavy, "bert");
  b.module(OpClass::module_heavy, "bert.embeddings");
  b.view("aten::slice");   // position_ids[:, :seq]
  b.view("aten::expand");
  b.gather(S);             // token_type_ids taken from the registered buffer
  b.view("aten::expand");
  b.module(OpClass::module_leaf, "bert.embeddings.word_embeddings");
  b.embedding(T, H);
  b.module(OpClass::module_leaf, "bert.embeddings.token_type_embeddings");
  b.embedding(T, H);
  b.elementwise("aten::add", T * H, 2);
  b.module(OpClass::module_leaf, "bert.embeddings.position_embeddings");
  b.embedding(S, H);
  b.elementwise("aten::add", T * H, 2);
  b.module(OpClass::module_leaf, "bert.embeddings.LayerNorm");
  b.layer_norm(T, H);
  b.module(OpClass::module_leaf, "bert.embeddings.dropout");
  b.dropout();
  b.module(OpClass::module_heavy, "bert.encoder");
  for (long long l = 0; l < e.layers; ++l) {
    b.module(OpClass::module_heavy, "bert.encoder.layer");
    b.module(OpClass::module_heavy, "bert.encoder.layer.attention");
    b.module(OpClass::module_heavy, "bert.encoder.layer.attention.self");
    for (int p = 0; p < 3; ++p) {  // query, key, value: linear, view, transpose(1, 2)
      b.module(OpClass::module_leaf, "bert.encoder.layer.attention.self.qkv");
      b.linear(T, H, H);
      b.view("aten::view");
      b.view("aten::transpose");
    }
    b.sdpa(B, heads, S, S, d, false);
    b.view("aten::transpose");
    b.view("aten::reshape");
    b.module(OpClass::module_heavy, "bert.encoder.layer.attention.output");
    b.module(OpClass::module_leaf, "bert.encoder.layer.attention.output.dense");
    b.linear(T, H, H);
    b.module(OpClass::module_leaf, "bert.encoder.layer.attention.output.dropout");
    b.dropout();
    b.elementwise("aten::add", T * H, 2);
    b.module(OpClass::module_leaf, "bert.encoder.layer.attention.output.LayerNorm");
    b.layer_norm(T, H);
    b.module(OpClass::module_heavy, "bert.encoder.layer.intermediate");
    b.module(OpClass::module_leaf, "bert.encoder.layer.intermediate.dense");
    b.linear(T, H, I);
    b.module(OpClass::module_leaf, "bert.encoder.layer.intermediate.act");
    b.elementwise("aten::gelu", T * I, 1, 8);
    b.module(OpClass::module_heavy, "bert.encoder.layer.output");
    b.module(OpClass::module_leaf, "bert.encoder.layer.output.dense");
    b.linear(T, I, H);
    b.module(OpClass::module_leaf, "bert.encoder.layer.output.dropout");
    b.dropout();
    b.elementwise("aten::add", T * H, 2);
    b.module(OpClass::module_leaf, "bert.encoder.layer.output.LayerNorm");
    b.layer_norm(T, H);
  }
  if (e.pooler) {
    b.module(OpClass::module_heavy, "bert.pooler");
    b.view("aten::select");  // first token
    b.module(OpClass::module_leaf, "bert.pooler.dense");
    b.linear(B, H, H);
    b.module(OpClass::module_leaf, "bert.pooler.activation");
    b.elementwise("aten::tanh", B * H, 1, 4);
  }
}

// torch.nn.TransformerEncoder(layer, norm_first=False, batch_first=True) in inference: each layer
// takes the fused fast path (_transformer_encoder_layer_fwd): a QKV projection, attention, the
// output projection, two residual adds with layer norms and a GELU FFN with the activation fused
// into the first GEMM. The embeddings are plain nn.Embedding + LayerNorm.
void build_torchnn_encoder(Builder& b, const WorkloadConfig& c, const EncoderConfig& e) {
  const double B = static_cast<double>(c.batch), S = static_cast<double>(c.seq), T = B * S;
  const double H = static_cast<double>(e.hidden), I = static_cast<double>(e.intermediate);
  const double heads = static_cast<double>(e.heads), d = H / heads;
  b.module(OpClass::module_block, "model");
  b.elementwise("aten::arange", S, 0);
  b.module(OpClass::module_leaf, "tok");
  b.embedding(T, H);
  b.module(OpClass::module_leaf, "pos");
  b.embedding(S, H);
  b.elementwise("aten::add", T * H, 2);
  b.module(OpClass::module_leaf, "ln");
  b.layer_norm(T, H);
  b.module(OpClass::module_fastpath, "enc");
  for (long long l = 0; l < e.layers; ++l) {
    b.module(OpClass::module_fastpath, "enc.layers");
    // One aten op with many kernels: QKV GEMM, attention, out projection, add + norm, FFN, add + norm.
    b.begin_fused("aten::_transformer_encoder_layer_fwd", OpClass::fused_layer);
    b.linear(T, H, 3 * H);          // in_proj (fused QKV)
    b.sdpa(B, heads, S, S, d, false);
    b.linear(T, H, H);              // out_proj
    b.elementwise("aten::add_", T * H, 2);
    b.layer_norm(T, H);
    b.linear(T, H, I);              // linear1 with the GELU in its epilogue
    b.linear(T, I, H);              // linear2
    b.elementwise("aten::add_", T * H, 2);
    b.layer_norm(T, H);
    b.end_fused();
  }
}

}  // namespace fwtax
