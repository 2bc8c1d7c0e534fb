#include "model/arch/architecture.hpp"

#include "model/error.hpp"

namespace fwtax {
namespace {

Architecture encoder(std::string name, std::string description, EncoderConfig e) {
  Architecture a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.family = e.impl == "torch-nn" ? "torchnn-encoder" : "hf-bert";
  a.input = InputKind::tokens;
  a.max_seq = e.max_position;
  a.params = encoder_params(e);
  a.build = [e](Builder& b, const WorkloadConfig& c) {
    if (e.impl == "torch-nn")
      build_torchnn_encoder(b, c, e);
    else
      build_hf_bert(b, c, e);
  };
  return a;
}

Architecture resnet(std::string name, std::string description, ResNetConfig r) {
  Architecture a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.family = "torchvision-resnet";
  a.input = InputKind::image;
  a.params = resnet_params(r);
  a.build = [r](Builder& b, const WorkloadConfig& c) { build_resnet(b, c, r); };
  return a;
}

std::vector<Architecture> make_builtins() {
  std::vector<Architecture> v;
  v.push_back(encoder("bert-base", "HF transformers BertModel, 12 layers, hidden 768, SDPA attention", {}));
  EncoderConfig large;
  large.hidden = 1024;
  large.layers = 24;
  large.heads = 16;
  large.intermediate = 4096;
  v.push_back(encoder("bert-large", "HF transformers BertModel, 24 layers, hidden 1024, SDPA attention", large));
  EncoderConfig tnn;
  tnn.impl = "torch-nn";
  tnn.pooler = false;
  v.push_back(encoder("bert-base-torchnn",
                      "BERT-base shape from torch.nn.TransformerEncoder (fused inference fast path)", tnn));
  v.push_back(resnet("resnet50", "torchvision ResNet-50 (bottleneck blocks 3-4-6-3)", {}));
  return v;
}

}  // namespace

const std::vector<Architecture>& builtin_architectures() {
  static const std::vector<Architecture> archs = make_builtins();
  return archs;
}

const Architecture* find_builtin_architecture(std::string_view name) {
  for (const auto& a : builtin_architectures())
    if (a.name == name) return &a;
  return nullptr;
}

Workload build_workload(const Architecture& a, const WorkloadConfig& c, const Backend& backend) {
  Diagnostics diag("--model " + a.name);
  if (c.batch < 1) diag.add("--batch", "expected a batch size >= 1, got " + std::to_string(c.batch));
  if (a.input == InputKind::tokens) {
    if (c.seq < 1) diag.add("--seq", "expected a sequence length >= 1, got " + std::to_string(c.seq));
    if (a.max_seq > 0 && c.seq > a.max_seq)
      diag.add("--seq", "sequence length " + std::to_string(c.seq) + " exceeds the model's " +
                            std::to_string(a.max_seq) + " position embeddings");
  } else if (c.image < 32) {
    diag.add("--image", "expected an image size >= 32, got " + std::to_string(c.image));
  }
  diag.throw_if_any();
  Workload w;
  w.config = c;
  w.config.model = a.name;
  w.ops.reserve(1024);
  w.kernels.reserve(512);
  Builder b(w, backend, c.dtype);
  a.build(b, c);
  return w;
}

}  // namespace fwtax
