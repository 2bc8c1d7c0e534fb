#pragma once
// Shape tracking for convolutional networks: each call emits the module call and the aten op that
// torchvision dispatches for it and updates the activation shape [N, C, H, W].
#include <string_view>
#include <vector>

#include "model/builder.hpp"

namespace fwtax {

struct Shape4 {
  double n = 1, c = 3, h = 224, w = 224;
  double elems() const { return n * c * h * w; }
};

class ConvNet {
 public:
  ConvNet(Builder& b, double batch, double channels, double height, double width) : b_(b), s_{batch, channels, height, width} {}

  Builder& builder() { return b_; }
  Shape4& shape() { return s_; }

  // nn.Conv2d (a leaf module) with a square or rectangular kernel.
  void conv(double cout, double kh, double kw, double stride, double pad_h, double pad_w, double groups = 1,
            bool bias = false, bool module = true);
  void conv(double cout, double k, double stride = 1, double groups = 1, bool bias = false) {
    conv(cout, k, k, stride, std::floor(k / 2), std::floor(k / 2), groups, bias);
  }
  void bn(bool module = true);
  // An activation module (ReLU, ReLU6, SiLU ...) or a functional call when module is false.
  void act(std::string_view aten, bool module = true, double flops_per_elem = 1);
  void max_pool(double k, double stride, double pad, bool ceil = false, bool module = true);
  void avg_pool(double k, double stride, double pad, bool module = true);
  // adaptive_avg_pool2d to 1x1 (dispatches a mean) or to the same size (a copy-like pool).
  void global_pool(bool module = true, std::string_view aten = "aten::adaptive_avg_pool2d");
  // AdaptiveAvgPool2d((size, size)) as a module: a pooling kernel even where the input already has
  // that size (each output's window is its share of the input).
  void adaptive_pool(double size);
  void flatten();
  void dropout(bool module = true, std::string_view aten = "aten::dropout");
  void linear(double out, bool module = true);
  // Residual add of a tensor of the current shape: in place (add_) or not (add).
  void add(bool in_place);
  // torch.cat along channels of tensors whose channel counts sum to the current C.
  void cat(int inputs);
  // A container module call (a block): the ops after it run in it, for breakdowns.
  void block(std::string_view scope = {}) { b_.module(OpClass::module_block, scope); }
  // A helper container (Conv2dNormActivation, BasicConv2d, a branch): its ops count with the block.
  void unit(std::string_view scope) { b_.unit(OpClass::module_block, scope); }
  // The ops after this run in the container `scope` again (a nested block has returned).
  void resume(std::string_view scope) { b_.resume(scope); }

 private:
  void check_window(const char* layer, double kh, double kw, double stride, double pad_h, double pad_w) const;
  Builder& b_;
  Shape4 s_;
};

}  // namespace fwtax
