#pragma once
// Architectures: a family and its configuration, and the builder that emits the framework ops of
// one forward call as the real eager implementation dispatches them. Built-in names, our own
// architecture JSON and Hugging Face config.json files all become an Architecture.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/arch/transformer.hpp"
#include "model/builder.hpp"
#include "model/workload.hpp"

namespace fwtax {

enum class InputKind { tokens, image };

// torchvision ResNets.
struct ResNetConfig {
  std::vector<long long> blocks = {3, 4, 6, 3};
  bool bottleneck = true;
  long long width_per_group = 64;
  long long groups = 1;  // grouped 3x3 convolutions (ResNeXt)
  long long num_classes = 1000;
};
// N x (nn.Linear + nn.ReLU) on a [batch, input] tensor: the paper's feed-forward base layers.
struct MlpConfig {
  long long layers = 8, hidden = 1024, input = 1024;
};
// A torchvision model without free parameters (MobileNet V2, EfficientNet-B0, ViT-B/16 ...).
struct FixedVisionConfig {
  std::string model;
};
using ArchConfig = std::variant<TransformerConfig, ResNetConfig, MlpConfig, FixedVisionConfig>;

struct Architecture {
  std::string name;
  std::string description;  // one line
  std::string family;       // "bert", "gpt2", "resnet", "mlp", "torchvision-mobilenet" ...
  InputKind input = InputKind::tokens;
  long long default_seq = 128;
  long long default_image = 224;
  long long max_seq = 0;  // 0 = unbounded
  double params = 0;
  // The dtype a Hugging Face config.json stores its weights in (its `dtype`, or the older
  // `torch_dtype`); what runs when no --dtype is given. Empty: not said (fp32).
  std::optional<DType> dtype;
  ArchConfig config;
  std::function<void(Builder&, const WorkloadConfig&)> build;
};

// Fills family, input, params and build from `config`.
Architecture make_architecture(std::string name, std::string description, ArchConfig config);
// The same architecture `width_x` times wider and `depth_x` times deeper (transformers, ResNets,
// MLPs); an InputError for fixed torchvision models.
Architecture scale_architecture(const Architecture& a, double width_x, double depth_x);

double resnet_params(const ResNetConfig& r);
void build_resnet(Builder& b, const WorkloadConfig& c, const ResNetConfig& r);
void add_vision_architectures(std::vector<Architecture>& v);

const std::vector<Architecture>& builtin_architectures();
const Architecture* find_builtin_architecture(std::string_view name);

// Our architecture JSON (with "family" or "like") or a Hugging Face config.json ("model_type");
// strict: every problem names the file and the JSON pointer.
Architecture parse_architecture(const Json& j, const std::string& file);
Architecture load_architecture_file(const std::string& path);

// Builds the workload of one configuration. Throws InputError for impossible configurations
// (a sequence longer than the position table, a zero batch).
Workload build_workload(const Architecture& a, const WorkloadConfig& c, const Backend& backend);

}  // namespace fwtax
