// The model zoo: builders against traced op sequences, HF config.json and our architecture JSON.
#include <doctest/doctest.h>

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
