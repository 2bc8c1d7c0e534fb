#pragma once
// Architectures: named model families and the builders that emit the framework ops of one forward
// call, reproducing what the real eager implementation dispatches.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/builder.hpp"
#include "model/workload.hpp"

namespace fwtax {

enum class InputKind { tokens, image };

struct Architecture {
  std::string name;
  std::string description;  // one line
  std::string family;       // e.g. "hf-bert", "torchvision-resnet"
  InputKind input = InputKind::tokens;
  long long default_seq = 128;
  long long default_image = 224;
  long long max_seq = 0;  // 0 = unbounded (position embeddings limit it otherwise)
  double params = 0;      // parameter count, for listings
  std::function<void(Builder&, const WorkloadConfig&)> build;
};

// Encoder-only transformers (BERT-like), as HF transformers 5.x or torch.nn implement them.
struct EncoderConfig {
  std::string impl = "hf-bert";  // hf-bert | torch-nn
  long long hidden = 768, layers = 12, heads = 12, intermediate = 3072;
  long long vocab = 30522, max_position = 512, type_vocab = 2;
  bool pooler = true;
};
void build_hf_bert(Builder& b, const WorkloadConfig& c, const EncoderConfig& e);
void build_torchnn_encoder(Builder& b, const WorkloadConfig& c, const EncoderConfig& e);
double encoder_params(const EncoderConfig& e);

// torchvision ResNets.
struct ResNetConfig {
  std::vector<long long> blocks = {3, 4, 6, 3};
  bool bottleneck = true;
  long long width_per_group = 64;
  long long num_classes = 1000;
};
void build_resnet(Builder& b, const WorkloadConfig& c, const ResNetConfig& r);
double resnet_params(const ResNetConfig& r);

const std::vector<Architecture>& builtin_architectures();
const Architecture* find_builtin_architecture(std::string_view name);

// Builds the workload of one configuration. Throws InputError for impossible configurations
// (a sequence longer than the position table, a zero batch).
Workload build_workload(const Architecture& a, const WorkloadConfig& c, const Backend& backend);

}  // namespace fwtax
