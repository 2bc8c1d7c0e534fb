// torchvision ResNets (v1.5: the stride sits on the 3x3 conv of a bottleneck).
#include <string>

#include "model/arch/architecture.hpp"

namespace fwtax {

double resnet_params(const ResNetConfig& r) {
  double p = 3 * 64 * 49 + 2 * 64, in = 64;
  const double planes[4] = {64, 128, 256, 512};
  double expansion = r.bottleneck ? 4 : 1;
  for (int s = 0; s < 4; ++s) {
    double width = r.bottleneck ? planes[s] * static_cast<double>(r.width_per_group) / 64 * static_cast<double>(r.groups)
                                : planes[s];
    double out = planes[s] * expansion;
    for (long long j = 0; j < r.blocks[s]; ++j) {
      if (r.bottleneck)
        p += in * width + 2 * width + width * width * 9 / static_cast<double>(r.groups) + 2 * width + width * out + 2 * out;
      else
        p += in * width * 9 + 2 * width + width * width * 9 + 2 * width;
      if (j == 0 && (s > 0 || in != out)) p += in * out + 2 * out;
      in = out;
    }
  }
  return p + in * static_cast<double>(r.num_classes) + static_cast<double>(r.num_classes);
}

// ResNet.forward: stem, four stages of blocks, average pool, flatten, fc. Every conv is followed by
// an inference batch norm (cuDNN's kernel for fp32, ATen's for half) and an in-place ReLU.
void build_resnet(Builder& b, const WorkloadConfig& c, const ResNetConfig& r) {
  const double N = static_cast<double>(c.batch);
  double H = static_cast<double>(c.image), W = H;
  auto conv_bn = [&](double cin, double h, double w, double cout, double k, double stride, double pad,
                     bool relu) {
    b.module(OpClass::module_leaf, "conv");
    b.conv2d(N, cin, h, w, cout, k, k, stride, pad, pad, k == 3 && r.bottleneck ? r.groups : 1);
    double oh = Builder::conv_out(h, k, stride, pad), ow = Builder::conv_out(w, k, stride, pad);
    b.module(OpClass::module_leaf, "bn");
    b.batch_norm(N, cout, oh, ow);
    if (relu) {
      b.module(OpClass::module_leaf, "relu");
      b.elementwise("aten::relu_", N * cout * oh * ow, 1);
    }
  };
  b.module(OpClass::module_block, "resnet");
  conv_bn(3, H, W, 64, 7, 2, 3, true);
  H = Builder::conv_out(H, 7, 2, 3);
  W = Builder::conv_out(W, 7, 2, 3);
  double ph = Builder::conv_out(H, 3, 2, 1), pw = Builder::conv_out(W, 3, 2, 1);
  b.module(OpClass::module_leaf, "maxpool");
  b.pool("aten::max_pool2d", N * 64 * H * W, N * 64 * ph * pw, 9);
  H = ph;
  W = pw;
  double in = 64;
  const double planes[4] = {64, 128, 256, 512};
  const double expansion = r.bottleneck ? 4 : 1;
  for (int s = 0; s < 4; ++s) {
    // torchvision's stage names; a stage's blocks are named after it, so breakdowns total each stage.
    const std::string stage = "layer" + std::to_string(s + 1), block = stage + ".block";
    b.module(OpClass::module_block, stage);
    double width = r.bottleneck ? planes[s] * static_cast<double>(r.width_per_group) / 64 * static_cast<double>(r.groups)
                                : planes[s];
    double out = planes[s] * expansion;
    for (long long j = 0; j < r.blocks[s]; ++j) {
      double stride = (j == 0 && s > 0) ? 2 : 1;
      b.module(OpClass::module_block, block);
      double oh = Builder::conv_out(H, 3, stride, 1), ow = Builder::conv_out(W, 3, stride, 1);
      if (r.bottleneck) {
        conv_bn(in, H, W, width, 1, 1, 0, true);
        conv_bn(width, H, W, width, 3, stride, 1, true);
        conv_bn(width, oh, ow, out, 1, 1, 0, false);
      } else {
        conv_bn(in, H, W, width, 3, stride, 1, true);
        conv_bn(width, oh, ow, out, 3, 1, 1, false);
      }
      if (j == 0 && (stride != 1 || in != out)) {
        b.unit(OpClass::module_block, "downsample");
        conv_bn(in, H, W, out, 1, stride, 0, false);
      }
      b.elementwise("aten::add_", N * out * oh * ow, 2);
      b.module(OpClass::module_leaf, "relu");
      b.elementwise("aten::relu_", N * out * oh * ow, 1);
      H = oh;
      W = ow;
      in = out;
    }
  }
  b.resume("resnet");
  b.module(OpClass::module_leaf, "avgpool");
  b.reduction("aten::adaptive_avg_pool2d", N * in * H * W, N * in);
  b.view("aten::flatten");
  b.module(OpClass::module_leaf, "fc");
  b.linear(N, in, static_cast<double>(r.num_classes));
}

}  // namespace fwtax
