// Pieces that several transformer families' builders share; each family's own sequence is in its
// file under model/arch/families/.
#include "model/arch/transformer_parts.hpp"

namespace fwtax::parts {

Dims token_dims(const WorkloadConfig& c) {
  Dims d{static_cast<double>(c.batch), static_cast<double>(c.seq), static_cast<double>(c.batch * c.seq)};
  d.phase = c.phase;
  d.K = static_cast<double>(c.context + c.seq);
  d.static_cache = c.cache == KvCache::static_cache;
  d.L = c.cache_len > 0 ? static_cast<double>(c.cache_len) : d.K;
  d.sampling = c.sampling;
  return d;
}

// HF's activation by name: gelu (one erf kernel), gelu_new (the tanh approximation written out as
// eight elementwise ops), relu, silu.
void activation(Builder& b, const std::string& act, double elems) {
  if (act == "gelu_new") {
    // transformers' NewGELUActivation: 0.5 * x * (1.0 + tanh(sqrt(2 / pi) * (x + 0.044715 * pow(x, 3.0)))),
    // in Python's order. Four of its ops take a Python number, read as a kernel argument: one tensor in.
    // x is read by the first op, then again by pow and by the add (rereads).
    struct Step {
      const char* op;
      int inputs, rereads;
    };
    for (const Step& s : {Step{"aten::mul", 1, 0}, Step{"aten::pow", 1, 1}, Step{"aten::mul", 1, 0},
                          Step{"aten::add", 2, 1}, Step{"aten::mul", 1, 0}, Step{"aten::tanh", 1, 0},
                          Step{"aten::add", 1, 0}, Step{"aten::mul", 2, 0}})
      b.elementwise(s.op, elems, s.inputs, 1, s.rereads);
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

namespace {

// transformers' is_tracing(): a CUDA graph capture, torch.jit.trace or TorchDynamo records the forward.
bool traced_forward(const Builder& b) {
  return b.backend().graph_capture || b.backend().jit_traced || b.backend().dynamo_traced;
}

// SDPA given the packed-sequence mask makes it additive first (a scalar tensor, then where).
void packed_mask_to_additive(Builder& b, const Dims& d) {
  b.elementwise("aten::scalar_tensor", 1, 0);
  b.elementwise("aten::where", d.B * d.S * d.K, 1);
}

}  // namespace

bool layer_packed_mask(Builder& b, const Dims& d, const TransformerConfig& t) {
  if (t.use_cache || d.phase != Phase::forward || !traced_forward(b)) return false;
  if (!b.backend().dynamo_traced) packed_mask_to_additive(b, d);
  return true;
}

void packed_sequence_check(Builder& b, const Dims& d, long long layers) {
  b.view("aten::slice");
  b.elementwise("aten::sub", d.B, 1);
  b.elementwise("aten::diff", d.T, 1);
  b.elementwise("aten::ne", d.T, 1);
  b.elementwise("aten::cumsum", d.T, 1);
  if (!traced_forward(b)) {
    b.view("aten::select");
    host_check(b, d.B);
    return;
  }
  // find_packed_sequence_indices skips its .all() while tracing and returns the sequence ids, so
  // sdpa_mask builds the causal-and-same-sequence mask [B, 1, S, S] (transformers 5.17, counted with a
  // dispatch mode: four aranges, two adds, views, a ones scalar, the causal le and its and, two
  // gathers of the ids, their eq and the final and).
  for (int i = 0; i < 4; ++i) b.elementwise("aten::arange", i < 2 ? 1 : d.S, 0);
  b.elementwise("aten::add", d.S, 1);
  b.elementwise("aten::add", d.S, 1);
  for (int i = 0; i < 12; ++i) b.view("aten::unsqueeze");
  b.elementwise("aten::new_ones", 1, 0);
  // Index vectors broadcast against each other: each comparison reads next to nothing and writes its mask.
  b.elementwise("aten::le", d.S * d.S, 0);
  b.elementwise("aten::bitwise_and", d.S * d.S, 1);
  b.elementwise("aten::index", d.T, 1);
  b.elementwise("aten::index", d.T, 1);
  b.elementwise("aten::eq", d.B * d.S * d.S, 0);
  b.elementwise("aten::bitwise_and", d.B * d.S * d.S, 1);  // and the [S, S] causal mask, broadcast
  b.view("aten::expand");
  // Each layer's SDPA makes the mask additive (layer_packed_mask). Those conversions depend on
  // the mask alone, so Inductor's scheduler fuses them with its kernel (horizontal fusion of nodes
  // that share their reads): one kernel writing a copy per layer, not one kernel per layer.
  if (b.backend().dynamo_traced)
    for (long long l = 0; l < layers; ++l) {
      packed_mask_to_additive(b, d);
      b.keep_output();  // the layer's SDPA reads it
    }
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
// (fp16: 11.5 and 10.1 ms against 4.2 ms in eager on the H200). So does a forward TorchDynamo captures
// for Inductor (transformers' is_tracing includes dynamo), which gets the math path decomposed: H7's
// reduce-overhead BERT-base runs take its time. Decoders (causal) and ViT (no mask) keep the fused kernel.
void attention(Builder& b, const Dims& d, const TransformerConfig& t, double heads, double hd, bool causal,
               bool padding_mask) {
  if (t.attention != "eager") {
    if (padding_mask && (b.backend().graph_capture || b.backend().jit_traced || b.backend().dynamo_traced) &&
        b.backend().gpu)
      b.sdpa_math(d.B, heads, d.S, d.K, hd, b.backend().dynamo_traced);
    else {
      sdpa_static_mask(b, d);
      const bool packed = causal && layer_packed_mask(b, d, t);
      b.sdpa(d.B, heads, d.S, attended_keys(d), hd, causal && d.S > 1 && !packed);
    }
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

void pooler(Builder& b, const Dims& d, double H) {
  b.module(OpClass::module_heavy, "pooler");
  b.view("aten::select");
  b.module(OpClass::module_leaf, "pooler.dense");
  b.linear(d.B, H, H);
  b.module(OpClass::module_leaf, "pooler.activation");
  b.elementwise("aten::tanh", d.B * H, 1, 4);
}

// The KV cache of one layer after its k and v projections (`kv` elements per token each), in a
// prefill or a decode step. HF's DynamicCache stores the prompt's keys as they are and concatenates
// every later step's onto all it holds (torch.cat: the whole cache read and written again); a
// static cache, as CUDA-graph decoding uses, writes the new tokens in place (index_copy_).
//
// HF's StaticCache in eager mode (transformers 5.x cache_utils.py StaticLayer, checked with the
// profiler on transformers 5.24, torch 2.15, CPU): the first update allocates keys and values at the
// cache's whole length (torch.zeros), every update computes the new tokens' positions
// (arange + cumulative_length, which add_ then moves on) and index_copy_s keys and values into place.
void cache_update(Builder& b, const Dims& d, double kv) {
  if (d.phase == Phase::forward) return;
  if (d.static_cache && !b.backend().graph_capture) {
    if (d.phase == Phase::prefill)
      for (int p = 0; p < 2; ++p) b.alloc_zeros(d.B * d.L * kv);
    b.elementwise("aten::arange", d.S, 0);
    b.elementwise("aten::add", d.S, 1);
    b.elementwise("aten::add_", 1, 1);
    for (int p = 0; p < 2; ++p) b.copy("aten::index_copy_", d.T * kv);
    return;
  }
  for (int p = 0; p < 2; ++p) {
    if (b.backend().graph_capture)
      b.copy("aten::index_copy_", d.T * kv);
    else if (d.phase == Phase::decode)
      b.concat(d.B * d.K * kv);
  }
}

// With a static cache, attention in a decode step reads the whole preallocated cache, not only the
// tokens written so far: the mask over its length comes from generate's mask preparation (positions
// from arange, compared with `le`, expanded), once per step before the embedding, and SDPA turns the
// boolean mask into an additive one (two `where`s over it) before its flash kernel, in every layer.
// The prefill attends to the prompt alone with is_causal (masking_utils' _ignore_causal_mask_sdpa:
// an empty cache). Profiled as cache_update's.
void static_cache_mask(Builder& b, const Dims& d) {
  if (!d.static_cache || d.phase != Phase::decode || b.backend().graph_capture) return;
  for (int i = 0; i < 3; ++i) b.elementwise("aten::arange", 1, 0);
  b.elementwise("aten::add", 1, 1);
  b.elementwise("aten::arange", d.L, 0);
  b.elementwise("aten::add", d.L, 1);
  for (int i = 0; i < 12; ++i) b.view("aten::unsqueeze");
  b.elementwise("aten::le", d.B * d.L, 2);
  b.view("aten::expand");
}

void sdpa_static_mask(Builder& b, const Dims& d) {
  if (!d.static_cache || d.phase != Phase::decode || b.backend().graph_capture) return;
  for (int i = 0; i < 2; ++i) b.elementwise("aten::where", d.B * d.L, 1);
}

double attended_keys(const Dims& d) { return d.static_cache && d.phase == Phase::decode ? d.L : d.K; }

// What a generate step does after the last layer: the LM head on each sequence's last token, the
// logits in fp32, greedy sampling, the new token appended, and the end-of-sequence check that
// generate's loop reads back on the host every step (unfinished_sequences.max() == 0). Without
// `sampling`, the model's forward ends at the logits (what generate compiles).
void lm_head_and_sample(Builder& b, const Dims& d, double H, double V) {
  if (d.phase == Phase::forward) return;
  b.view("aten::slice");
  b.module(OpClass::module_leaf, "lm_head");
  b.linear(d.B, H, V, false);
  if (!d.sampling) return;
  // generate()'s own loop runs outside the model's modules (breakdowns put it in no module's row).
  b.resume("");
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
  // The loop's own Python per token (data/measured/hf-host-cpu-2026-12/generate-steps-5.17-cpu.json):
  // a decode step's; a prefill's is in generate_setup's measurement but for what follows its sampling,
  // about 100 us on that CPU, not priced.
  if (d.phase == Phase::decode) b.unit(OpClass::module_generate_step, "generate");
}

// What generate() does before the prefill's forward (transformers 5.17, profiled on a CPU:
// data/measured/hf-host-cpu-2026-12/generate-setup-5.17-cpu.json): merging and validating the generation
// config, making the special tokens tensors, building logits processors and stopping criteria, preparing
// the cache and its positions. Python almost whole (13-17 small ATen ops, priced with it as
// module_generate), the same at 2 and 8 layers. A static cache adds its own setup: a scalar tensor per
// layer and three more, and checks on the inputs (eq, sum, is_nonzero), here as ops; the Python around them, about 200 us
// on that CPU, is not priced. Only where generate's loop runs (`sampling`): a prefill is a call's first step.
void generate_setup(Builder& b, const Dims& d, long long layers) {
  if (d.phase != Phase::prefill || !d.sampling) return;
  b.unit(OpClass::module_generate, "generate");
  if (!d.static_cache) return;
  for (long long l = 0; l < layers + 3; ++l) b.copy("aten::to", 1);
  for (int i = 0; i < 2; ++i) {
    b.elementwise("aten::eq", d.B * d.S, 1);
    b.reduction("aten::sum", d.B * d.S, 1);
    b.sync_read("aten::is_nonzero");
  }
  b.elementwise("aten::bitwise_not", d.B * d.S, 1);
  b.copy("aten::pad", d.B * d.S);
}

double encoder_params(const TransformerConfig& t, double layers, double layer) {
  double h = static_cast<double>(t.hidden), e = static_cast<double>(t.emb());
  double emb = (static_cast<double>(t.vocab) + static_cast<double>(t.max_position) + static_cast<double>(t.type_vocab)) * e;
  return emb + layers * layer + (t.pooler ? h * h + h : 0);
}

double bert_layer_params(const TransformerConfig& t) {
  double h = static_cast<double>(t.hidden), i = static_cast<double>(t.intermediate);
  double kv = static_cast<double>(t.kv()) * static_cast<double>(t.head_dim());
  return 2 * (h * h + h) + 2 * (h * kv + kv) + (h * i + i) + (i * h + h) + 4 * h;
}

}  // namespace fwtax::parts
