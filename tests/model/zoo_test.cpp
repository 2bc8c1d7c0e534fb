// The model zoo: builders against traced op sequences, HF config.json and our architecture JSON.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "simulate/sweep.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

Workload build(const Architecture& a, DType dt, long long batch, long long size = 0) {
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg;
  cfg.model = a.name;
  cfg.dtype = dt;
  cfg.batch = batch;
  if (a.input == InputKind::tokens)
    cfg.seq = size ? size : a.default_seq;
  else
    cfg.image = size ? size : a.default_image;
  return build_workload(a, cfg, make_backend(c.device("h100"), c.framework("pytorch-eager")));
}

std::string canonical(const std::string& tv) {
  static const std::map<std::string, std::string> names = {
      {"wide_resnet50_2", "wide-resnet50"}, {"resnext50_32x4d", "resnext50"}, {"mobilenet_v2", "mobilenet-v2"},
      {"efficientnet_b0", "efficientnet-b0"}, {"squeezenet1_0", "squeezenet"}, {"inception_v3", "inception-v3"},
      {"shufflenet_v2_x1_0", "shufflenet-v2"}, {"mnasnet1_0", "mnasnet"}, {"vit_b_16", "vit-b16"}, {"vit_b_32", "vit-b32"}};
  auto it = names.find(tv);
  return it == names.end() ? tv : it->second;
}

Architecture parse(const std::string& text) { return parse_architecture(parse_json(text, "a.json"), "a.json"); }

// Parameter counts of HF's base models (no task head), module by module as transformers builds them.
// A BERT-style encoder layer: q, k, v and the attention output with biases, the intermediate and
// output linears, two LayerNorms.
double encoder_layer(double H, double I) {
  return 4 * (H * H + H) + (H * I + I) + (I * H + H) + 2 * (2 * H);
}
// BertModel, RobertaModel, XLMRobertaModel: word, position and token-type embeddings and their
// LayerNorm, the layers, the pooler's dense layer.
double bert_model(double V, double P, double T, double H, double L, double I) {
  return (V + P + T) * H + 2 * H + L * encoder_layer(H, I) + (H * H + H);
}
// DistilBertModel: word and position embeddings and their LayerNorm, the layers; no pooler.
double distilbert_model(double V, double P, double H, double L, double I) {
  return (V + P) * H + 2 * H + L * encoder_layer(H, I);
}
// AlbertModel: E-wide embeddings and their LayerNorm, the E -> H mapping, one layer shared by all,
// the pooler.
double albert_model(double V, double P, double T, double E, double H, double I) {
  return (V + P + T) * E + 2 * E + (E * H + H) + encoder_layer(H, I) + (H * H + H);
}
// SqueezeBertModel: BERT's embeddings; q, k, v, intermediate and output as 1x1 convolutions in g
// groups, the post-attention one ungrouped, all with biases; two LayerNorms; the pooler.
double squeezebert_model(double V, double P, double T, double H, double L, double I, double g) {
  double layer = 3 * (H * H / g + H) + (H * H + H) + (H * I / g + I) + (I * H / g + H) + 2 * (2 * H);
  return (V + P + T) * H + 2 * H + L * layer + (H * H + H);
}
// GPT2Model: token and position embeddings; per layer ln_1, c_attn (H -> 3H), c_proj, ln_2, c_fc,
// the MLP's c_proj; the final ln_f.
double gpt2_model(double V, double P, double H, double L, double I) {
  return (V + P) * H + L * (2 * H + (3 * H * H + 3 * H) + (H * H + H) + 2 * H + (H * I + I) + (I * H + H)) +
         2 * H;
}
// LlamaModel, MistralModel, Qwen2Model: token embeddings; per layer q and o (H x H), k and v (kv
// heads of H / heads), gate, up and down, two RMSNorms; the final RMSNorm. Qwen2 adds biases to q,
// k and v.
// GemmaModel: as a Llama-style decoder, but q and o are heads x head_dim wide (not the hidden size).
double gemma_model(double V, double H, double L, double heads, double kv, double hd, double I) {
  return V * H + L * (2 * H * heads * hd + 2 * H * kv * hd + 3 * H * I + 2 * H) + H;
}

double decoder_model(double V, double H, double L, double heads, double kv, double I, bool qkv_bias) {
  double kvd = kv * H / heads;
  double layer = 2 * H * H + 2 * H * kvd + 3 * H * I + 2 * H + (qkv_bias ? H + 2 * kvd : 0);
  return V * H + L * layer + H;
}

}  // namespace

TEST_CASE("torchvision builders dispatch the traced top-level ops and module calls (within 10%)") {
  const Json* counts = Catalog::builtin().builtin_json("measured/torchvision-cpu-op-counts.json");
  REQUIRE(counts != nullptr);
  int checked = 0;
  for (const auto& t : (*counts)["traces"]) {
    const Architecture* a = find_builtin_architecture(canonical(t["model"].get<std::string>()));
    REQUIRE(a != nullptr);
    Workload w = build(*a, DType::fp32, 1);
    double ops = static_cast<double>(w.framework_op_count()), traced = t["top_level_ops"].get<double>();
    double modules = static_cast<double>(w.ops.size()) - ops, traced_modules = 0;
    for (const auto& [k, v] : t["module_calls"].items()) traced_modules += v.get<double>();
    CAPTURE(a->name);
    CHECK(std::fabs(ops - traced) / traced <= 0.10);
    CHECK(std::fabs(modules - traced_modules) / traced_modules <= 0.10);
    ++checked;
  }
  CHECK(checked == 18);
}

TEST_CASE("HF builders call the ATen ops transformers 5.17 calls from Python, name by name, and its modules") {
  // data/measured/hf-host-cpu-2026-12: BERT-base, BERT-large, RoBERTa, DistilBERT, ALBERT and GPT-2 as the
  // H200 runs built them (at hidden size 64: the ops do not depend on it), one forward of input ids 1x8,
  // its top-level ATen ops and nn.Module calls from torch.profiler and forward hooks.
  const std::string dir = std::string(FWTAX_SOURCE_DIR) + "/data/measured/hf-host-cpu-2026-12/";
  const Json measured = parse_json(read_file_text(dir + "hf-host-5.17-cpu.json"), "hf-host-5.17-cpu.json");
  // GPT-2's Conv1D calls torch.addmm; fwtax files it as the linear it is (the same GEMM with a bias).
  const std::map<std::string, std::string> alias = {{"aten::addmm", "aten::linear"}};
  int checked = 0;
  for (const auto& [model, run] : measured["runs"].items()) {
    // Each model at its own depth ("bert-base") and at 1, 2 and 4 layers ("bert-base-L2"); fwtax builds no
    // model of 0 layers.
    if (run["layers_timed"].get<int>() == 0) continue;
    const std::string name = model;
    CAPTURE(name);
    const std::size_t depth = name.rfind("-L");
    const std::string config = dir + "configs/" +
                               (depth == std::string::npos ? name + "-h64" : name.substr(0, depth) + "-h64" + name.substr(depth)) +
                               ".json";
    Architecture a = parse_architecture(parse_json(read_file_text(config), config), config);
    Workload w = build(a, DType::fp32, 1, 8);
    std::map<std::string, long long> built, traced;
    long long modules = 0;
    for (const auto& op : w.ops) {
      if (is_module_class(op.cls)) ++modules;
      else ++built[w.names[op.name]];
    }
    for (const auto& [op, n] : run["aten_ops"].items()) {
      auto it = alias.find(op);
      traced[it == alias.end() ? op : it->second] += n.get<long long>();
    }
    CHECK(built == traced);
    // Module calls: every one fwtax charges Python for, less the runner's LastHidden wrapper.
    const long long calls = run["module_calls_total"].get<long long>() - run["module_calls"].value("LastHidden", 0LL);
    CHECK(modules == calls);
    ++checked;
  }
  CHECK(checked == 24);
}

TEST_CASE("every built-in model simulates on a GPU in eager and graph mode") {
  for (const auto& a : builtin_architectures()) {
    CAPTURE(a.name);
    SweepRequest q;
    q.models = {a.name};
    q.frameworks = {"pytorch-eager", "cuda-graphs"};
    q.dtypes = {DType::fp16};
    q.batches = {1, 16};
    if (a.input == InputKind::tokens) q.seqs = {a.max_seq == 1 ? 1 : 64};
    auto rows = run_sweep(q, Catalog::builtin());
    REQUIRE(rows.size() == 4);
    for (const auto& r : rows) {
      CHECK(std::isfinite(r.sim.latency_s));
      CHECK(r.sim.latency_s > 0);
      CHECK(r.sim.flops > 0);
    }
    // Work grows with the batch (Funnel's relative-position projections are shared by the batch).
    if (a.family != "funnel") CHECK(rows[1].sim.flops == test::approx(16 * rows[0].sim.flops).epsilon(0.05));
  }
}

TEST_CASE("a decoder without a KV cache reads its packed-sequence check back in eager, and builds the mask when traced") {
  // transformers 5.x's find_packed_sequence_indices reads (ids[:, -1] == 0).all() back unless is_tracing():
  // under CUDA graph capture and TorchDynamo the mask is built instead, and SDPA gets it (no is_causal).
  SweepRequest q;
  q.models = {"gpt2"};
  q.frameworks = {"pytorch-eager", "cuda-graphs", "torch-compile"};
  q.dtypes = {DType::fp16};
  q.batches = {8};
  q.seqs = {128};
  q.breakdown = true;
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 3);
  auto count = [](const ResultRow& r, const std::string& name) {
    std::size_t n = 0;
    for (const auto& o : r.breakdown) n += o.name == name;
    return n;
  };
  CHECK(rows[0].sim.host_waits == 1);
  CHECK(count(rows[0], "aten::is_nonzero") == 1);
  CHECK(count(rows[0], "aten::where") == 0);
  for (int i : {1, 2}) {
    CAPTURE(rows[i].framework);
    CHECK(rows[i].sim.host_waits == 0);
    CHECK(count(rows[i], "aten::is_nonzero") == 0);
  }
  CHECK(count(rows[1], "aten::where") == 12);  // the boolean mask made additive by each layer's SDPA
  // Compiled, those twelve depend on the mask alone: Inductor computes them in the mask's kernel, which
  // writes every layer's copy (12 x 8 x 128 x 128 fp16).
  CHECK(count(rows[2], "aten::where") == 0);
  double mask_kernel_bytes = 0;
  for (const auto& o : rows[2].breakdown)
    if (o.module == "gpt2" && o.name == "inductor::fused_kernel") mask_kernel_bytes = std::max(mask_kernel_bytes, o.bytes);
  CHECK(mask_kernel_bytes >= 12 * 8 * 128 * 128 * 2.0);
  // Attention over every block with the mask: twice the causal kernel's FLOPs.
  double eager_attention = 0, graph_attention = 0;
  for (const auto& o : rows[0].breakdown) eager_attention += o.op_class == "attention" ? o.flops : 0;
  for (const auto& o : rows[1].breakdown) graph_attention += o.op_class == "attention" ? o.flops : 0;
  CHECK(graph_attention == test::approx(2 * eager_attention).epsilon(0.01));
}

TEST_CASE("every built-in model predicts under the compiled modes, on a GPU and on a CPU (TensorRT: GPUs only)") {
  const std::string cpu = std::string(FWTAX_SOURCE_DIR) + "/data/measured/compile-costs-2026-12/cpu-profile-compile.json";
  for (const auto& a : builtin_architectures()) {
    CAPTURE(a.name);
    SweepRequest q;
    q.models = {a.name};
    q.frameworks = {"pytorch-eager", "torch-compile", "torch-compile-reduce-overhead", "tensorrt", "cuda-graphs"};
    q.dtypes = {DType::fp16};
    q.batches = {1};
    if (a.input == InputKind::tokens) q.seqs = {a.max_seq == 1 ? 1 : 64};
    auto rows = run_sweep(q, Catalog::builtin());
    REQUIRE(rows.size() == 5);
    for (const auto& r : rows) {
      CAPTURE(r.framework);
      CHECK(std::isfinite(r.sim.latency_s));
      CHECK(r.sim.latency_s > 0);
    }
    // Fusion never adds kernels to what a captured forward runs (not eager's: a captured or compiled HF
    // encoder materializes its padding mask, and SDPA with it takes the math path); the graph replay
    // is never slower than the wrapper calling each one.
    CHECK(rows[1].sim.kernels <= rows[4].sim.kernels);
    CHECK(rows[2].sim.kernels == rows[1].sim.kernels);
    CHECK(rows[2].sim.latency_s <= rows[1].sim.latency_s * (1 + 1e-9));
    // TensorRT's engine: fewer kernels than eager, no op dispatched, one launch per kernel on the host.
    CHECK(rows[3].sim.kernels < rows[0].sim.kernels);
    CHECK(rows[3].sim.host_busy_s < rows[0].sim.host_busy_s);
    SweepRequest c = q;
    c.devices = {cpu};
    c.frameworks = {"torch-compile", "torch-compile-reduce-overhead"};
    c.dtypes = {DType::fp32};
    auto on_cpu = run_sweep(c, Catalog::builtin());
    REQUIRE(on_cpu.size() == 2);
    CHECK(std::isfinite(on_cpu[0].sim.latency_s));
    CHECK(on_cpu[0].sim.latency_s > 0);
    c.frameworks = {"tensorrt"};
    CHECK(test::messages_of([&] { run_sweep(c, Catalog::builtin()); }).size() == 1);
  }
}

TEST_CASE("HF config.json files of the supported model types build the right shapes") {
  Architecture gpt2 = parse(R"({"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null,
    "vocab_size": 50257, "n_positions": 1024, "activation_function": "gelu_new", "use_cache": false,
    "_name_or_path": "gpt2", "architectures": ["GPT2LMHeadModel"], "torch_dtype": "float32"})");
  CHECK(gpt2.name == "gpt2");
  CHECK(gpt2.params == test::approx(124.4e6).epsilon(0.01));
  Architecture builtin = *find_builtin_architecture("gpt2");
  CHECK(build(gpt2, DType::fp16, 2, 64).total_flops() == test::approx(build(builtin, DType::fp16, 2, 64).total_flops()));

  Architecture llama = parse(R"({"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 22,
    "num_attention_heads": 32, "num_key_value_heads": 4, "intermediate_size": 5632, "vocab_size": 32000,
    "max_position_embeddings": 2048, "hidden_act": "silu", "rms_norm_eps": 1e-05})");
  CHECK(llama.params == test::approx(find_builtin_architecture("tinyllama")->params));
  Architecture vit = parse(R"({"model_type": "vit", "hidden_size": 768, "num_hidden_layers": 12,
    "num_attention_heads": 12, "intermediate_size": 3072, "image_size": 224, "patch_size": 16})");
  CHECK(vit.input == InputKind::image);
  Workload w = build(vit, DType::fp32, 1);
  CHECK(w.total_flops() == test::approx(2 * 17.5e9).epsilon(0.03));  // ViT-B/16: 17.5 GMACs
  for (const char* type : {"bert", "roberta", "distilbert", "albert", "mobilebert", "squeezebert", "funnel"}) {
    CAPTURE(type);
    Architecture a = parse(std::string(R"({"model_type": ")") + type + "\"}");
    CHECK(build(a, DType::fp32, 1, 32).kernels.size() > 10);
  }
}

TEST_CASE("a config.json with only its model_type builds the defaults of that type's HF config class") {
  // The sizes each class's constructor defaults to (transformers' models/<type>/configuration_<type>.py),
  // and the parameter count of HF's base model with those sizes. fwtax leaves out LayerNorm/RMSNorm
  // weights outside the layers, ALBERT's mapping bias and Qwen2's q/k/v biases (< 0.01% here);
  // SqueezeBERT's convolution biases (0.17%). MobileBERT (bottlenecks, NoNorm, trigram input),
  // Funnel (relative attention) and ViT (patch embedding) have approximate parameter models: their
  // sizes are checked, not their counts.
  struct Case {
    const char* type;
    long long hidden, layers, heads, kv_heads, intermediate, vocab;
    double params, tolerance;  // params 0: not checked
  };
  const Case cases[] = {
      {"bert", 768, 12, 12, 12, 3072, 30522, bert_model(30522, 512, 2, 768, 12, 3072), 1e-4},
      {"roberta", 768, 12, 12, 12, 3072, 50265, bert_model(50265, 512, 2, 768, 12, 3072), 1e-4},
      {"xlm-roberta", 768, 12, 12, 12, 3072, 30522, bert_model(30522, 512, 2, 768, 12, 3072), 1e-4},
      {"distilbert", 768, 6, 12, 12, 4 * 768, 30522, distilbert_model(30522, 512, 768, 6, 4 * 768), 1e-4},
      {"albert", 4096, 12, 64, 64, 16384, 30000, albert_model(30000, 512, 2, 128, 4096, 16384), 1e-4},
      {"mobilebert", 512, 24, 4, 4, 512, 30522, 0, 0},
      {"squeezebert", 768, 12, 12, 12, 3072, 30522, squeezebert_model(30522, 512, 2, 768, 12, 3072, 4), 3e-3},
      {"funnel", 768, 4 + 4 + 4, 12, 12, 3072, 30522, 0, 0},
      {"gpt2", 768, 12, 12, 12, 4 * 768, 50257, gpt2_model(50257, 1024, 768, 12, 4 * 768), 1e-4},
      {"llama", 4096, 32, 32, 32, 11008, 32000, decoder_model(32000, 4096, 32, 32, 32, 11008, false), 1e-4},
      {"mistral", 4096, 32, 32, 8, 14336, 32000, decoder_model(32000, 4096, 32, 32, 8, 14336, false), 1e-4},
      {"qwen2", 4096, 32, 32, 32, 22016, 151936, decoder_model(151936, 4096, 32, 32, 32, 22016, true), 1e-4},
      // Phi3Model: fused qkv_proj and gate_up_proj hold what Llama's five linears do.
      {"phi3", 3072, 32, 32, 32, 8192, 32064, decoder_model(32064, 3072, 32, 32, 32, 8192, false), 1e-4},
      {"gemma", 3072, 28, 16, 16, 24576, 256000, gemma_model(256000, 3072, 28, 16, 16, 256, 24576), 1e-4},
      {"vit", 768, 12, 12, 12, 3072, 0, 0, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.type);
    Architecture a = parse(std::string(R"({"model_type": ")") + c.type + "\"}");
    const auto* t = std::get_if<TransformerConfig>(&a.config);
    REQUIRE(t != nullptr);
    CHECK(t->hidden == c.hidden);
    CHECK(t->layers == c.layers);
    CHECK(t->heads == c.heads);
    CHECK(t->kv() == c.kv_heads);
    CHECK(t->intermediate == c.intermediate);
    CHECK(t->vocab == c.vocab);
    if (c.params > 0) CHECK(a.params == test::approx(c.params).epsilon(c.tolerance));
  }
  // The rest of what the classes default to and fwtax builds from.
  auto config = [](const char* type) {
    return std::get<TransformerConfig>(parse(std::string(R"({"model_type": ")") + type + "\"}").config);
  };
  CHECK(config("llama").max_position == 2048);
  CHECK(config("llama").activation == "silu");
  CHECK(config("mistral").max_position == 4096 * 32);
  CHECK(config("qwen2").max_position == 32768);
  CHECK(config("phi3").max_position == 4096);
  CHECK(config("phi3").activation == "silu");
  CHECK(config("phi3").fused_projections);
  CHECK_FALSE(config("phi3").tied_head);
  CHECK(config("gemma").max_position == 8192);
  CHECK(config("gemma").head_dim() == 256);
  CHECK(config("gemma").activation == "gelu");  // gelu_pytorch_tanh: one aten::gelu
  CHECK(config("gemma").gemma);
  CHECK(config("gemma").tied_head);
  for (const char* type : {"llama", "mistral", "qwen2"}) {
    CAPTURE(type);
    CHECK_FALSE(config(type).tied_head);
    CHECK_FALSE(config(type).gemma);
    CHECK_FALSE(config(type).fused_projections);
    CHECK(config(type).head_dim() == 128);
  }
  CHECK(config("gpt2").max_position == 1024);
  CHECK(config("roberta").max_position == 512);
  CHECK(config("roberta").type_vocab == 2);
  CHECK(config("albert").emb() == 128);
  CHECK(config("albert").activation == "gelu_new");
  CHECK(config("mobilebert").emb() == 128);
  CHECK(config("mobilebert").bottleneck == 128);
  CHECK(config("mobilebert").ffn_stacks == 4);
  CHECK(config("mobilebert").activation == "relu");
  CHECK(config("squeezebert").groups == 4);
  CHECK(config("funnel").block_sizes == std::vector<long long>{4, 4, 4});
  CHECK(config("funnel").decoder_layers == 2);
  CHECK(config("funnel").activation == "gelu_new");
  CHECK(config("vit").image_size == 224);
  CHECK(config("vit").patch_size == 16);
  // The Llama-2-7B built-in has LlamaConfig's sizes (and 4096 positions): the same parameters.
  CHECK(parse(R"({"model_type": "llama"})").params ==
        test::approx(find_builtin_architecture("llama2-7b")->params));
  // Gemma-7B: 8.54 billion parameters with its tied embedding (Gemma technical report, 2024, table 2).
  CHECK(parse(R"({"model_type": "gemma"})").params == test::approx(8.54e9).epsilon(0.005));
}

namespace {
std::size_t count_ops(const Workload& w, const std::string& name) {
  std::size_t n = 0;
  for (const auto& o : w.ops) n += w.name(o.name) == name;
  return n;
}
}  // namespace

TEST_CASE("Phi-3 fuses its projections into fewer GEMMs of the same work; Gemma's heads are wider than its hidden size") {
  // Phi-3-mini's sizes as a Llama config: the same weights, five linears a layer instead of two.
  const std::string sizes = R"(, "hidden_size": 3072, "num_hidden_layers": 4, "num_attention_heads": 32,
    "intermediate_size": 8192, "vocab_size": 32064})";
  Architecture phi3 = parse(R"({"model_type": "phi3")" + sizes), llama = parse(R"({"model_type": "llama")" + sizes);
  CHECK(phi3.params == test::approx(llama.params));
  Workload wp = build(phi3, DType::fp16, 2, 64), wl = build(llama, DType::fp16, 2, 64);
  CHECK(wp.total_flops() == test::approx(wl.total_flops()).epsilon(0.01));
  CHECK(count_ops(wl, "aten::linear") == 4 * 7);
  CHECK(count_ops(wp, "aten::linear") == 4 * 4);
  // Gemma-2B: 8 heads of 256 over a 2048 hidden size, one key/value head, GeGLU.
  Architecture g2b = parse(R"({"model_type": "gemma", "hidden_size": 2048, "num_hidden_layers": 18,
    "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256, "intermediate_size": 16384})");
  // Gemma-2B: 2.51 billion parameters (Gemma technical report, 2024, table 2).
  CHECK(g2b.params == test::approx(2.51e9).epsilon(0.005));
  // Gemma-7B's 16 heads of 256 are 4096 wide over a 3072 hidden size: q and o are 3072 x 4096.
  Architecture g7b = parse(R"({"model_type": "gemma", "num_hidden_layers": 1, "vocab_size": 8})");
  Workload w = build(g7b, DType::fp32, 1, 1);
  // One token: 2 FLOPs per weight of the layer's linears, nothing of the tied head (no LM head in forward).
  const double layer_weights = 2 * 3072.0 * 4096 + 2 * 3072.0 * 4096 + 3 * 3072.0 * 24576;
  CHECK(w.total_flops() == test::approx(2 * layer_weights).epsilon(0.01));
  CHECK(count_ops(w, "aten::gelu") == 1);
  CHECK(count_ops(w, "aten::silu") == 0);
}

TEST_CASE("a config.json's dtype (or torch_dtype) is what it runs in when no dtype is asked for") {
  CHECK(parse(R"({"model_type": "llama", "torch_dtype": "bfloat16"})").dtype == DType::bf16);
  CHECK(parse(R"({"model_type": "llama", "dtype": "float16", "torch_dtype": "float32"})").dtype == DType::fp16);
  CHECK_FALSE(parse(R"({"model_type": "llama", "torch_dtype": null})").dtype.has_value());
  CHECK_FALSE(parse(R"({"model_type": "gpt2"})").dtype.has_value());
  auto bad = test::messages_of([] { parse(R"({"model_type": "gemma", "torch_dtype": "float64"})"); });
  REQUIRE(bad.size() == 1);
  CHECK(bad[0] == "a.json: /torch_dtype: expected \"float32\", \"float16\", \"bfloat16\" or null, got \"float64\"");
}

TEST_CASE("null or wrongly typed HF config fields are errors, except the nulls HF derives a value from") {
  auto one = [](const char* text) {
    auto m = test::messages_of([&] { parse(text); });
    return m.size() == 1 ? m[0] : std::to_string(m.size()) + " messages";
  };
  CHECK(one(R"({"model_type": "llama", "hidden_size": null})") ==
        "a.json: /hidden_size: expected an integer, got null");
  CHECK(one(R"({"model_type": "llama", "num_hidden_layers": 32.0})") ==
        "a.json: /num_hidden_layers: expected an integer, got 32.0");
  CHECK(one(R"({"model_type": "bert", "num_attention_heads": true})") ==
        "a.json: /num_attention_heads: expected an integer, got true");
  CHECK(one(R"({"model_type": "gpt2", "n_embd": null})") == "a.json: /n_embd: expected an integer, got null");
  CHECK(one(R"({"model_type": "distilbert", "hidden_dim": "3072"})") ==
        "a.json: /hidden_dim: expected an integer, got \"3072\"");
  CHECK(one(R"({"model_type": "mistral", "num_key_value_heads": "8"})") ==
        "a.json: /num_key_value_heads: expected an integer or null, got \"8\"");
  CHECK(one(R"({"model_type": "llama", "num_key_value_heads": 0})") ==
        "a.json: /num_key_value_heads: expected a positive integer, got 0");
  CHECK(one(R"({"model_type": "bert", "hidden_act": null})") ==
        "a.json: /hidden_act: expected an activation's name, got null");
  CHECK(one(R"({"model_type": "gpt2", "activation_function": "tanh"})") ==
        "a.json: /activation_function: expected an activation fwtax models (gelu, gelu_new, relu, silu), got "
        "\"tanh\"");
  CHECK(one(R"({"model_type": "gpt2", "use_cache": "yes"})") ==
        "a.json: /use_cache: expected true or false, got \"yes\"");
  CHECK(one(R"({"model_type": "funnel", "block_sizes": null})") ==
        "a.json: /block_sizes: expected an array of layer counts, got null");
  CHECK(one(R"({"model_type": "albert", "embedding_size": 0})") ==
        "a.json: /embedding_size: expected a positive integer, got 0");
  // SqueezeBertEncoder asserts embedding_size == hidden_size; the class defaults the former to 768.
  CHECK(one(R"({"model_type": "squeezebert", "hidden_size": 512, "num_attention_heads": 8})") ==
        "a.json: /embedding_size: expected the hidden size 512 (SqueezeBERT has no embedding projection), "
        "got 768");

  // The nulls HF takes: GPT-2's n_inner (4 x n_embd), num_key_value_heads (as many as the attention
  // heads, also where the class's default is 8 or 32), head_dim (hidden / heads).
  auto gpt2 = std::get<TransformerConfig>(
      parse(R"({"model_type": "gpt2", "n_embd": 1024, "n_head": 16, "n_inner": null})").config);
  CHECK(gpt2.intermediate == 4 * 1024);
  for (const char* type : {"llama", "mistral", "qwen2"}) {
    CAPTURE(type);
    auto t = std::get<TransformerConfig>(parse(std::string(R"({"model_type": ")") + type +
                                               R"(", "num_key_value_heads": null, "head_dim": null})")
                                             .config);
    CHECK(t.kv() == t.heads);
  }
  CHECK(std::get<TransformerConfig>(parse(R"({"model_type": "mistral"})").config).kv() == 8);
}

TEST_CASE("inconsistent HF configs name the file and the field") {
  auto heads = test::messages_of([] {
    parse(R"({"model_type": "bert", "hidden_size": 768, "num_attention_heads": 7})");
  });
  REQUIRE(heads.size() == 1);
  CHECK(heads[0] == "a.json: /num_attention_heads: 7 heads do not divide the hidden size 768");
  auto layers = test::messages_of([] { parse(R"({"model_type": "gpt2", "n_layer": -2})"); });
  REQUIRE(layers.size() == 1);
  CHECK(layers[0] == "a.json: /n_layer: expected a positive number of layers, got -2");
  auto type = test::messages_of([] { parse(R"({"model_type": "t5"})"); });
  REQUIRE(type.size() == 1);
  CHECK(type[0].find("a.json: /model_type: expected one of bert") == 0);
  auto wrong = test::messages_of([] { parse(R"({"model_type": "llama", "hidden_size": "4096"})"); });
  REQUIRE(!wrong.empty());
  CHECK(wrong[0] == "a.json: /hidden_size: expected an integer, got \"4096\"");
}

TEST_CASE("our architecture JSON: a built-in model with overrides, or a family from scratch") {
  Architecture wide = parse(R"({"name": "bert-w1536", "like": "bert-base", "hidden": 1536, "heads": 24,
                                "intermediate": 6144})");
  CHECK(wide.name == "bert-w1536");
  CHECK(wide.family == "bert");
  Architecture base = *find_builtin_architecture("bert-base");
  // The projections are 4x the FLOPs, attention 2x (it grows with the hidden size only).
  double ratio = build(wide, DType::fp16, 1).total_flops() / build(base, DType::fp16, 1).total_flops();
  CHECK(ratio > 3.5);
  CHECK(ratio < 4.0);
  Architecture mlp = parse(R"({"name": "ff", "family": "mlp", "layers": 4, "hidden": 256, "input": 64})");
  CHECK(build(mlp, DType::fp32, 8, 1).kernels.size() == 8);
  Architecture res = parse(R"({"name": "r26", "family": "resnet", "blocks": [2, 2, 2, 2], "bottleneck": true})");
  CHECK(res.params < find_builtin_architecture("resnet50")->params);
}

TEST_CASE("architecture JSON errors are listed with their pointers") {
  auto m = test::messages_of([] {
    parse(R"({"name": "x", "like": "bert-base", "hiden": 10, "heads": 5})");
  });
  REQUIRE(m.size() == 1);
  CHECK(m[0].find("a.json: /hiden: unknown key 'hiden' - valid keys are ") == 0);
  auto heads = test::messages_of([] { parse(R"({"name": "x", "like": "bert-base", "heads": 5})"); });
  REQUIRE(heads.size() == 1);
  CHECK(heads[0] == "a.json: /heads: 5 heads do not divide the hidden size 768");
  auto neg = test::messages_of([] { parse(R"({"name": "x", "family": "gpt2", "layers": -1})"); });
  REQUIRE(neg.size() == 1);
  CHECK(neg[0] == "a.json: /layers: expected an integer in [1, 4096], got -1");
  auto fam = test::messages_of([] { parse(R"({"name": "x"})"); });
  REQUIRE(fam.size() == 1);
  CHECK(fam[0].find("a.json: /family: missing") == 0);
  auto like = test::messages_of([] { parse(R"({"name": "x", "like": "bert-huge"})"); });
  REQUIRE(like.size() == 1);
  CHECK(like[0].find("a.json: /like: unknown built-in model \"bert-huge\"") == 0);
}

TEST_CASE("width and depth scale transformers, ResNets and MLPs, not fixed models") {
  Architecture base = *find_builtin_architecture("bert-base");
  Architecture wider = scale_architecture(base, 2, 1);
  auto& t = std::get<TransformerConfig>(wider.config);
  CHECK(t.hidden == 1536);
  CHECK(t.heads == 24);
  CHECK(std::get<TransformerConfig>(scale_architecture(base, 1, 0.5).config).layers == 6);
  CHECK(!test::messages_of([] { scale_architecture(*find_builtin_architecture("vgg16"), 2, 1); }).empty());
}

TEST_CASE("eager attention (transformers 4.x) dispatches the unfused matmul-softmax ops, same math") {
  Architecture sdpa = parse(R"({"name": "b", "like": "bert-base"})");
  Architecture eager = parse(R"({"name": "b", "like": "bert-base", "attention": "eager"})");
  Workload ws = build(sdpa, DType::fp32, 8), we = build(eager, DType::fp32, 8);
  // Per layer: permute, QK^T, div, add mask, softmax, dropout, PV, permute, contiguous, view instead of
  // sdpa, transpose, reshape; plus the mask built once.
  CHECK(we.framework_op_count() > ws.framework_op_count() + 12 * 5);
  double fs = 0, fe = 0;
  for (const auto& k : ws.kernels) fs += k.flops;
  for (const auto& k : we.kernels) fe += k.flops;
  CHECK(fe == test::approx(fs).epsilon(0.02));
  CHECK(we.kernels.size() > ws.kernels.size());
  CHECK_THROWS_AS(parse(R"({"name": "b", "like": "bert-base", "attention": "flash"})"), InputError);
}

TEST_CASE("an image too small for the network is refused where torchvision refuses it") {
  // The smallest square images torchvision 0.14's models (Debian's, CPU) accept, found by trying
  // every size from 1 up: Inception v3 75 (its stride-2 reductions), AlexNet 63 (its max pools).
  for (const auto& entry : {std::pair{"inception-v3", 75LL}, std::pair{"alexnet", 63LL}}) {
    const char* name = entry.first;
    const long long smallest = entry.second;
    CAPTURE(name);
    const Architecture* a = find_builtin_architecture(name);
    REQUIRE(a != nullptr);
    CHECK(build(*a, DType::fp32, 1, smallest).kernels.size() > 10);
    auto msgs = test::messages_of([&] { build(*a, DType::fp32, 1, smallest - 1); });
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].find("too small for this network") != std::string::npos);
  }
  CHECK(build(*find_builtin_architecture("vit-b16"), DType::fp32, 1, 384).kernels.size() > 10);
  CHECK(!test::messages_of([] { build(*find_builtin_architecture("vit-b16"), DType::fp32, 1, 100); }).empty());
}
