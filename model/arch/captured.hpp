#pragma once
// Captured workloads: one forward of any torch.nn.Module as recorded by fwtax.capture (python/), the
// torch calls the model's Python made with their tensors' shapes, and the nn.Module calls around
// them. The file ("format": "fwtax-capture") is read strictly like any architecture file, and its
// calls are replayed through the Builder, so a captured model is timed, fused, folded and captured in
// CUDA graphs the way the built-in architectures are, at any batch size and dtype.
#include <memory>
#include <string>
#include <vector>

#include "model/json_spec.hpp"

namespace fwtax {

struct Architecture;

// One tensor argument: its shape at the captured batch, how each dimension grows per sample
// (`per_batch`: 1 for a batch dimension, the sequence length for a flattened batch x sequence one, 0
// for fixed ones) and whether it is a parameter or buffer of the module.
struct CapturedTensor {
  std::vector<long long> shape;
  std::vector<long long> per_batch;
  bool param = false;
  // The shape at `batch` samples (captured at `captured`).
  std::vector<double> at(long long batch, long long captured) const;
};

// A positional or keyword argument: tensors (one, or a list for torch.cat), numbers (one or a list:
// strides, paddings, dims), or a string ("same" padding).
struct CapturedArg {
  std::vector<CapturedTensor> tensors;
  std::vector<double> numbers;
  std::string text;
  bool present = false;  // not None
};

// One aten op a call dispatched.
struct CapturedAten {
  std::string name;  // "aten::addmm"
  std::vector<CapturedTensor> inputs;
};

struct CapturedEvent {
  enum class Kind { module, end, call } kind = Kind::call;
  std::string name;   // module path, or the call as an aten name ("aten::linear")
  std::string type;   // module class
  bool leaf = false;  // a module without children
  bool python = false;  // a call implemented in Python (F.multi_head_attention_forward)
  std::vector<CapturedArg> args;
  std::vector<std::pair<std::string, CapturedArg>> kwargs;
  std::vector<CapturedTensor> outputs;
  std::vector<CapturedAten> aten;
};

struct Capture {
  std::string name, source;
  std::string input_kind;  // "image", "tokens" or "tensor"
  long long batch = 1, size = 0;  // the captured batch and image side or sequence length
  double params = 0;
  std::vector<CapturedEvent> events;
  std::size_t aten_ops() const;
};

// Whether `j` is a capture file (its "format" is "fwtax-capture").
bool is_capture_json(const Json& j);
// Strict: every problem names the file and the JSON pointer.
Capture parse_capture(const Json& j, const std::string& file);
// The captured model as an architecture (family "captured").
Architecture captured_architecture(std::shared_ptr<const Capture> capture);

}  // namespace fwtax
