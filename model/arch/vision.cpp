// torchvision CNNs and vision transformers. Each builder follows the op sequence torchvision's
// forward dispatches in eval mode (traced with torch.profiler; see docs/ARCHITECTURE.md): the same
// top-level aten ops in the same order, and one module call per nn.Module invocation.
#include "model/arch/vision.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "model/arch/architecture.hpp"

namespace fwtax {

// ---------------------------------------------------------------------------------------------
// ConvNet
// PyTorch refuses a convolution or pooling window larger than its padded input; so does fwtax (an
// image too small for the network), with the layer it failed at.
void ConvNet::check_window(const char* layer, double kh, double kw, double stride, double pad_h, double pad_w) const {
  if (s_.h + 2 * pad_h >= kh && s_.w + 2 * pad_w >= kw) return;
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  throw std::domain_error("the image is too small for this network: a " + n(kh) + "x" + n(kw) + " " + layer +
                          " (stride " + n(stride) + ", padding " + n(pad_h) + ") meets a " + n(s_.h) + "x" +
                          n(s_.w) + " map");
}

void ConvNet::conv(double cout, double kh, double kw, double stride, double pad_h, double pad_w, double groups,
                   bool bias, bool module) {
  check_window("convolution", kh, kw, stride, pad_h, pad_w);
  if (module) b_.module(OpClass::module_leaf, "conv");
  double oh = Builder::conv_out(s_.h, kh, stride, pad_h), ow = Builder::conv_out(s_.w, kw, stride, pad_w);
  b_.conv2d(s_.n, s_.c, s_.h, s_.w, cout, kh, kw, stride, pad_h, pad_w, groups, bias);
  s_.c = cout;
  s_.h = oh;
  s_.w = ow;
}

void ConvNet::bn(bool module) {
  if (module) b_.module(OpClass::module_leaf, "bn");
  b_.batch_norm(s_.n, s_.c, s_.h, s_.w);
}

void ConvNet::act(std::string_view aten, bool module, double flops_per_elem) {
  if (module) b_.module(OpClass::module_leaf, "act");
  b_.elementwise(aten, s_.elems(), 1, flops_per_elem);
}

void ConvNet::max_pool(double k, double stride, double pad, bool ceil, bool module) {
  check_window("max pool", k, k, stride, pad, pad);
  if (module) b_.module(OpClass::module_leaf, "maxpool");
  double in = s_.elems();
  auto out = [&](double x) {
    double v = (x + 2 * pad - k) / stride;
    return (ceil ? std::ceil(v) : std::floor(v)) + 1;
  };
  s_.h = out(s_.h);
  s_.w = out(s_.w);
  b_.pool("aten::max_pool2d", in, s_.elems(), k * k);
}

void ConvNet::avg_pool(double k, double stride, double pad, bool module) {
  check_window("average pool", k, k, stride, pad, pad);
  if (module) b_.module(OpClass::module_leaf, "avgpool");
  double in = s_.elems();
  s_.h = std::floor((s_.h + 2 * pad - k) / stride) + 1;
  s_.w = std::floor((s_.w + 2 * pad - k) / stride) + 1;
  b_.pool("aten::avg_pool2d", in, s_.elems(), k * k);
}

void ConvNet::adaptive_pool(double size) {
  b_.module(OpClass::module_leaf, "avgpool");
  const double in = s_.elems();
  s_.h = s_.w = size;
  b_.pool("aten::adaptive_avg_pool2d", in, s_.elems(), in / s_.elems());
}

void ConvNet::global_pool(bool module, std::string_view aten) {
  if (module) b_.module(OpClass::module_leaf, "avgpool");
  double in = s_.elems();
  s_.h = s_.w = 1;
  b_.reduction(aten, in, s_.elems());
}

void ConvNet::flatten() { b_.view("aten::flatten"); }

void ConvNet::dropout(bool module, std::string_view aten) {
  if (module) b_.module(OpClass::module_leaf, "dropout");
  b_.dropout(aten);
}

void ConvNet::linear(double out, bool module) {
  if (module) b_.module(OpClass::module_leaf, "fc");
  b_.linear(s_.n, s_.c * s_.h * s_.w, out);
  s_.c = out;
  s_.h = s_.w = 1;
}

void ConvNet::add(bool in_place) { b_.elementwise(in_place ? "aten::add_" : "aten::add", s_.elems(), 2); }

void ConvNet::cat(int inputs) {
  (void)inputs;
  b_.concat(s_.elems());
}

namespace {

// A torchvision Conv2dNormActivation / BasicConv2d: a container with conv, batch norm and an
// optional activation.
void conv_norm_act(ConvNet& net, double cout, double k, double stride, double groups, std::string_view act,
                   bool act_module = true) {
  net.unit("conv_norm_act");
  net.conv(cout, k, stride, groups);
  net.bn();
  if (!act.empty()) net.act(act, act_module);
}

// ---------------------------------------------------------------------------------------------
// MobileNet V2: inverted residuals with ReLU6 (aten::hardtanh_), out-of-place residual adds.
void build_mobilenet_v2(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("mobilenet_v2");
  net.block("features");
  conv_norm_act(net, 32, 3, 2, 1, "aten::hardtanh_");
  const double cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                            {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  for (const auto& s : cfg)
    for (int i = 0; i < static_cast<int>(s[2]); ++i) {
      double stride = i == 0 ? s[3] : 1, cin = net.shape().c, hidden = cin * s[0];
      net.block("inverted_residual");
      net.unit("inverted_residual.conv");
      Shape4 in = net.shape();
      if (s[0] != 1) conv_norm_act(net, hidden, 1, 1, 1, "aten::hardtanh_");
      conv_norm_act(net, hidden, 3, stride, hidden, "aten::hardtanh_");
      net.conv(s[1], 1);
      net.bn();
      if (stride == 1 && in.c == s[1]) net.add(false);
    }
  net.resume("features");
  conv_norm_act(net, 1280, 1, 1, 1, "aten::hardtanh_");
  net.resume("mobilenet_v2");
  net.global_pool(false);
  net.flatten();
  net.block("classifier");
  net.dropout();
  net.linear(1000);
}

// EfficientNet-B0: MBConv blocks with squeeze-excitation and SiLU.
void build_efficientnet_b0(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("efficientnet");
  net.block("features");
  conv_norm_act(net, 32, 3, 2, 1, "aten::silu_");
  // expand ratio, kernel, stride, out channels, repeats
  const double cfg[7][5] = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                            {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
  for (const auto& s : cfg) {
    net.block("stage");
    for (int i = 0; i < static_cast<int>(s[4]); ++i) {
      double stride = i == 0 ? s[2] : 1, cin = net.shape().c, hidden = cin * s[0];
      double squeeze = std::max(1.0, std::floor(cin / 4));
      net.block("mbconv");
      net.unit("mbconv.block");
      if (s[0] != 1) conv_norm_act(net, hidden, 1, 1, 1, "aten::silu_");
      conv_norm_act(net, hidden, s[1], stride, hidden, "aten::silu_");
      // Squeeze-excitation: pool to 1x1, two 1x1 convs with bias, sigmoid, scale the input.
      Shape4 x = net.shape();
      net.unit("se");
      net.global_pool(true);
      net.conv(squeeze, 1, 1, 1, true);
      net.act("aten::silu_");
      net.conv(hidden, 1, 1, 1, true);
      net.act("aten::sigmoid", true, 4);
      net.shape() = x;
      net.builder().broadcast_elementwise("aten::mul", x.elems(), 2);  // x * scale[N, C, 1, 1]
      conv_norm_act(net, s[3], 1, 1, 1, "");
      if (stride == 1 && cin == s[3]) {
        net.builder().module(OpClass::module_leaf, "stochastic_depth");  // identity in eval: no op
        net.add(true);
      }
    }
  }
  net.resume("features");
  conv_norm_act(net, 1280, 1, 1, 1, "aten::silu_");
  net.resume("efficientnet");
  net.global_pool(true);
  net.flatten();
  net.block("classifier");
  net.dropout(true, "aten::dropout_");
  net.linear(1000);
}

// VGG-16 and AlexNet: plain conv stacks and a three-layer classifier.
void build_vgg16(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("vgg");
  net.block("features");
  const double cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  for (double ch : cfg) {
    if (ch == 0) {
      net.max_pool(2, 2, 0);
    } else {
      net.conv(ch, 3, 1, 1, true);
      net.act("aten::relu_");
    }
  }
  // AdaptiveAvgPool2d((7, 7)) on a 7x7 input still runs a pooling kernel.
  net.resume("vgg");
  net.adaptive_pool(7);
  net.flatten();
  net.block("classifier");
  net.linear(4096);
  net.act("aten::relu_");
  net.dropout();
  net.linear(4096);
  net.act("aten::relu_");
  net.dropout();
  net.linear(1000);
}

void build_alexnet(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("alexnet");
  net.block("features");
  net.conv(64, 11, 11, 4, 2, 2, 1, true);
  net.act("aten::relu_");
  net.max_pool(3, 2, 0);
  net.conv(192, 5, 5, 1, 2, 2, 1, true);
  net.act("aten::relu_");
  net.max_pool(3, 2, 0);
  for (double ch : {384.0, 256.0, 256.0}) {
    net.conv(ch, 3, 1, 1, true);
    net.act("aten::relu_");
  }
  net.max_pool(3, 2, 0);
  net.resume("alexnet");
  net.adaptive_pool(6);
  net.flatten();
  net.block("classifier");
  net.dropout();
  net.linear(4096);
  net.act("aten::relu_");
  net.dropout();
  net.linear(4096);
  net.act("aten::relu_");
  net.linear(1000);
}

// SqueezeNet 1.0: Fire modules (squeeze, two expands, concat); the classifier is a 1x1 conv.
void build_squeezenet(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("squeezenet");
  net.block("features");
  net.conv(96, 7, 7, 2, 0, 0, 1, true);
  net.act("aten::relu_");
  net.max_pool(3, 2, 0, true);
  auto fire = [&](double s, double e) {
    net.block("fire");
    net.conv(s, 1, 1, 1, true);
    net.act("aten::relu_");
    Shape4 sq = net.shape();
    net.conv(e, 1, 1, 1, true);
    net.act("aten::relu_");
    net.shape() = sq;
    net.conv(e, 3, 1, 1, true);
    net.act("aten::relu_");
    net.shape().c = 2 * e;
    net.cat(2);
  };
  fire(16, 64);
  fire(16, 64);
  fire(32, 128);
  net.resume("features");
  net.max_pool(3, 2, 0, true);
  fire(32, 128);
  fire(48, 192);
  fire(48, 192);
  fire(64, 256);
  net.resume("features");
  net.max_pool(3, 2, 0, true);
  fire(64, 256);
  net.block("classifier");
  net.dropout();
  net.conv(1000, 1, 1, 1, true);
  net.act("aten::relu_");
  net.global_pool(true);
  net.flatten();
}

// DenseNet: every layer concatenates all earlier features of its block; a layer's bottleneck is
// 4x its growth rate wide.
void build_densenet(Builder& b, const WorkloadConfig& c, double init, double growth, const std::array<int, 4>& layers) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("densenet");
  net.block("features");
  net.conv(init, 7, 7, 2, 3, 3);
  net.bn();
  net.act("aten::relu_");
  net.max_pool(3, 2, 1);
  for (int blk = 0; blk < 4; ++blk) {
    net.block("dense_block");
    double features = net.shape().c;
    for (int i = 0; i < layers[blk]; ++i) {
      net.block("dense_layer");
      net.shape().c = features;
      net.cat(i + 1);  // torch.cat of the block's features so far (one input for the first layer)
      net.bn();
      net.act("aten::relu_");
      net.conv(4 * growth, 1);
      net.bn();
      net.act("aten::relu_");
      net.conv(growth, 3, 1);
      features += growth;
    }
    net.resume("dense_block");
    net.shape().c = features;
    net.cat(layers[blk] + 1);
    if (blk < 3) {
      net.block("transition");
      net.bn();
      net.act("aten::relu_");
      net.conv(features / 2, 1);
      net.avg_pool(2, 2, 0);
    }
  }
  net.resume("features");
  net.bn();
  net.resume("densenet");
  net.act("aten::relu_", false);
  net.global_pool(false);
  net.flatten();
  net.linear(1000);
}

// Inception v3 (299x299): BasicConv2d = conv + batch norm + functional ReLU.
void build_inception_v3(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  auto basic = [&](double cout, double kh, double kw, double stride, double ph, double pw) {
    net.unit("basic_conv");
    net.conv(cout, kh, kw, stride, ph, pw);
    net.bn();
    net.act("aten::relu_", false);
  };
  auto basic_sq = [&](double cout, double k, double stride = 1, double pad = 0) { basic(cout, k, k, stride, pad, pad); };
  net.block("inception3");
  basic_sq(32, 3, 2);
  basic_sq(32, 3);
  basic_sq(64, 3, 1, 1);
  net.max_pool(3, 2, 0);
  basic_sq(80, 1);
  basic_sq(192, 3);
  net.max_pool(3, 2, 0);
  auto branch = [&](Shape4 in, auto&& body) {
    net.shape() = in;
    body();
    return net.shape().c;
  };
  auto inception_a = [&](double pool_features) {
    net.block("inception_a");
    Shape4 in = net.shape();
    double c1 = branch(in, [&] { basic_sq(64, 1); });
    double c2 = branch(in, [&] { basic_sq(48, 1); basic_sq(64, 5, 1, 2); });
    double c3 = branch(in, [&] { basic_sq(64, 1); basic_sq(96, 3, 1, 1); basic_sq(96, 3, 1, 1); });
    double c4 = branch(in, [&] { net.avg_pool(3, 1, 1, false); basic_sq(pool_features, 1); });
    net.shape().c = c1 + c2 + c3 + c4;
    net.cat(4);
  };
  inception_a(32);
  inception_a(64);
  inception_a(64);
  {
    net.block("inception_b");
    Shape4 in = net.shape();
    double c1 = branch(in, [&] { basic_sq(384, 3, 2); });
    double c2 = branch(in, [&] { basic_sq(64, 1); basic_sq(96, 3, 1, 1); basic_sq(96, 3, 2); });
    double c3 = branch(in, [&] { net.max_pool(3, 2, 0, false, false); });
    net.shape().c = c1 + c2 + c3;
    net.cat(3);
  }
  for (double c7 : {128.0, 160.0, 160.0, 192.0}) {
    net.block("inception_c");
    Shape4 in = net.shape();
    double a = branch(in, [&] { basic_sq(192, 1); });
    double bb = branch(in, [&] { basic_sq(c7, 1); basic(c7, 1, 7, 1, 0, 3); basic(192, 7, 1, 1, 3, 0); });
    double cc = branch(in, [&] {
      basic_sq(c7, 1);
      basic(c7, 7, 1, 1, 3, 0);
      basic(c7, 1, 7, 1, 0, 3);
      basic(c7, 7, 1, 1, 3, 0);
      basic(192, 1, 7, 1, 0, 3);
    });
    double d = branch(in, [&] { net.avg_pool(3, 1, 1, false); basic_sq(192, 1); });
    net.shape().c = a + bb + cc + d;
    net.cat(4);
  }
  {
    net.block("inception_d");
    Shape4 in = net.shape();
    double a = branch(in, [&] { basic_sq(192, 1); basic_sq(320, 3, 2); });
    double bb = branch(in, [&] {
      basic_sq(192, 1);
      basic(192, 1, 7, 1, 0, 3);
      basic(192, 7, 1, 1, 3, 0);
      basic_sq(192, 3, 2);
    });
    double cc = branch(in, [&] { net.max_pool(3, 2, 0, false, false); });
    net.shape().c = a + bb + cc;
    net.cat(3);
  }
  for (int e = 0; e < 2; ++e) {
    net.block("inception_e");
    Shape4 in = net.shape();
    double a = branch(in, [&] { basic_sq(320, 1); });
    double bb = branch(in, [&] {
      basic_sq(384, 1);
      Shape4 mid = net.shape();
      basic(384, 1, 3, 1, 0, 1);
      net.shape() = mid;
      basic(384, 3, 1, 1, 1, 0);
      net.shape().c = 768;
      net.cat(2);
    });
    double cc = branch(in, [&] {
      basic_sq(448, 1);
      basic_sq(384, 3, 1, 1);
      Shape4 mid = net.shape();
      basic(384, 1, 3, 1, 0, 1);
      net.shape() = mid;
      basic(384, 3, 1, 1, 1, 0);
      net.shape().c = 768;
      net.cat(2);
    });
    double d = branch(in, [&] { net.avg_pool(3, 1, 1, false); basic_sq(192, 1); });
    net.shape().c = a + bb + cc + d;
    net.cat(4);
  }
  net.resume("inception3");
  net.global_pool(true);
  net.dropout();
  net.flatten();
  net.linear(1000);
}

// GoogLeNet: nine inception blocks of four branches each.
void build_googlenet(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  auto basic = [&](double cout, double k, double stride = 1, double pad = 0) {
    net.unit("basic_conv");
    net.conv(cout, k, k, stride, pad, pad);
    net.bn();
    net.act("aten::relu_", false);
  };
  net.block("googlenet");
  basic(64, 7, 2, 3);
  net.max_pool(3, 2, 0, true);
  basic(64, 1);
  basic(192, 3, 1, 1);
  net.max_pool(3, 2, 0, true);
  auto inception = [&](double c1, double c2r, double c2, double c3r, double c3, double c4) {
    net.block("inception");
    Shape4 in = net.shape();
    basic(c1, 1);
    net.shape() = in;
    net.unit("branch2");
    basic(c2r, 1);
    basic(c2, 3, 1, 1);
    net.shape() = in;
    net.unit("branch3");
    basic(c3r, 1);
    basic(c3, 3, 1, 1);
    net.shape() = in;
    net.unit("branch4");
    net.max_pool(3, 1, 1, true);
    basic(c4, 1);
    net.shape().c = c1 + c2 + c3 + c4;
    net.cat(4);
  };
  inception(64, 96, 128, 16, 32, 32);
  inception(128, 128, 192, 32, 96, 64);
  net.resume("googlenet");
  net.max_pool(3, 2, 0, true);
  inception(192, 96, 208, 16, 48, 64);
  inception(160, 112, 224, 24, 64, 64);
  inception(128, 128, 256, 24, 64, 64);
  inception(112, 144, 288, 32, 64, 64);
  inception(256, 160, 320, 32, 128, 128);
  net.resume("googlenet");
  net.max_pool(2, 2, 0, true);
  inception(256, 160, 320, 32, 128, 128);
  inception(384, 192, 384, 48, 128, 128);
  net.resume("googlenet");
  net.global_pool(true);
  net.flatten();
  net.dropout();
  net.linear(1000);
}

// ShuffleNet V2 x1.0: channel split, two branches, concat and channel shuffle.
void build_shufflenet_v2(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("shufflenet");
  net.block("conv1");
  net.conv(24, 3, 2);
  net.bn();
  net.act("aten::relu_");
  net.resume("shufflenet");
  net.max_pool(3, 2, 1);
  const double outs[3] = {116, 232, 464};
  const int repeats[3] = {4, 8, 4};
  for (int s = 0; s < 3; ++s) {
    net.block("stage");
    double half = outs[s] / 2;
    for (int i = 0; i < repeats[s]; ++i) {
      net.block("inverted_residual");
      Shape4 in = net.shape();
      if (i == 0) {
        net.unit("branch1");
        net.conv(in.c, 3, 2, in.c);
        net.bn();
        net.conv(half, 1);
        net.bn();
        net.act("aten::relu_");
        net.shape() = in;
      } else {
        net.builder().view("aten::chunk");
        net.shape().c = half;
      }
      net.unit("branch2");
      net.conv(half, 1);
      net.bn();
      net.act("aten::relu_");
      net.conv(half, 3, i == 0 ? 2 : 1, half);
      net.bn();
      net.conv(half, 1);
      net.bn();
      net.act("aten::relu_");
      net.shape().c = outs[s];
      net.cat(2);
      // channel_shuffle: view, transpose, contiguous (a real copy), view
      net.builder().view("aten::view");
      net.builder().view("aten::transpose");
      net.builder().strided_copy("aten::contiguous", net.shape().elems());
      net.builder().view("aten::view");
    }
  }
  net.block("conv5");
  net.conv(1024, 1);
  net.bn();
  net.act("aten::relu_");
  net.resume("shufflenet");
  net.global_pool(false, "aten::mean");
  net.linear(1000);
}

// MNASNet 1.0: inverted residuals with ReLU, out-of-place adds, mean pooling.
void build_mnasnet(Builder& b, const WorkloadConfig& c) {
  ConvNet net(b, static_cast<double>(c.batch), 3, static_cast<double>(c.image), static_cast<double>(c.image));
  net.block("mnasnet");
  net.block("layers");
  net.conv(32, 3, 2);
  net.bn();
  net.act("aten::relu_");
  net.conv(32, 3, 1, 32);
  net.bn();
  net.act("aten::relu_");
  net.conv(16, 1);
  net.bn();
  // out channels, kernel, stride, expansion, repeats
  const double stacks[6][5] = {{24, 3, 2, 3, 3}, {40, 5, 2, 3, 3}, {80, 5, 2, 6, 3},
                               {96, 3, 1, 6, 2}, {192, 5, 2, 6, 4}, {320, 3, 1, 6, 1}};
  for (const auto& s : stacks) {
    net.block("stack");
    for (int i = 0; i < static_cast<int>(s[4]); ++i) {
      double cin = net.shape().c, hidden = cin * s[3], stride = i == 0 ? s[2] : 1;
      net.block("inverted_residual");
      net.unit("inverted_residual.layers");
      net.conv(hidden, 1);
      net.bn();
      net.act("aten::relu_");
      net.conv(hidden, s[1], stride, hidden);
      net.bn();
      net.act("aten::relu_");
      net.conv(s[0], 1);
      net.bn();
      if (stride == 1 && cin == s[0]) net.add(false);
    }
  }
  net.resume("layers");
  net.conv(1280, 1);
  net.bn();
  net.act("aten::relu_");
  net.resume("mnasnet");
  net.global_pool(false, "aten::mean");
  net.block("classifier");
  net.dropout(true, "aten::dropout_");
  net.linear(1000);
}

// torchvision VisionTransformer: patch conv, class token, 12 encoder blocks whose attention is
// nn.MultiheadAttention's fused inference path (one aten op: QKV GEMM, bias/scale, attention,
// output projection).
void build_vit(Builder& b, const WorkloadConfig& c, double patch) {
  if (c.image % static_cast<long long>(patch) != 0)  // torchvision asserts it when building the model
    throw std::domain_error("the image size must be a multiple of the patch size, " +
                            std::to_string(static_cast<long long>(patch)));
  const double N = static_cast<double>(c.batch), side = std::floor(static_cast<double>(c.image) / patch);
  const double E = 768, heads = 12, I = 3072, S = side * side + 1, T = N * S;
  b.module(OpClass::module_block, "vit");
  b.module(OpClass::module_leaf, "conv_proj");
  b.conv2d(N, 3, static_cast<double>(c.image), static_cast<double>(c.image), E, patch, patch, patch, 0, 0, 1, true);
  b.view("aten::reshape");
  b.view("aten::permute");
  b.view("aten::expand");
  b.concat(T * E);
  b.module(OpClass::module_block, "encoder");
  b.elementwise("aten::add", T * E, 2);
  b.module(OpClass::module_leaf, "encoder.dropout");
  b.dropout();
  b.module(OpClass::module_block, "encoder.layers");
  for (int l = 0; l < 12; ++l) {
    b.module(OpClass::module_block, "encoder_block");
    b.module(OpClass::module_leaf, "ln_1");
    b.layer_norm(T, E);
    b.module(OpClass::module_fastpath, "self_attention");
    b.begin_fused("aten::_native_multi_head_attention", OpClass::attention);
    b.matmul(1, T, 3 * E, E, "aten::mm");
    b.elementwise("aten::_transform_bias_rescale_qkv", 3 * T * E, 1, 2);
    b.sdpa(N, heads, S, S, E / heads, false);
    b.copy("aten::clone", T * E);
    b.linear(T, E, E);
    b.end_fused();
    b.resume("encoder_block");
    b.module(OpClass::module_leaf, "dropout");
    b.dropout();
    b.elementwise("aten::add", T * E, 2);
    b.keep_output();  // the residual: ln_2 reads it, and so does the block's last add
    b.module(OpClass::module_leaf, "ln_2");
    b.layer_norm(T, E);
    b.module(OpClass::module_block, "mlp");
    b.module(OpClass::module_leaf, "mlp.0");
    b.linear(T, E, I);
    b.module(OpClass::module_leaf, "mlp.1");
    b.elementwise("aten::gelu", T * I, 1, 8);
    b.module(OpClass::module_leaf, "mlp.2");
    b.dropout();
    b.module(OpClass::module_leaf, "mlp.3");
    b.linear(T, I, E);
    b.module(OpClass::module_leaf, "mlp.4");
    b.dropout();
    b.resume("encoder_block");
    b.elementwise("aten::add", T * E, 2);
    if (l + 1 < 12) b.keep_output();  // the next block's ln_1 and residual add read it
  }
  b.resume("encoder");
  b.module(OpClass::module_leaf, "encoder.ln");
  b.layer_norm(T, E);
  b.resume("vit");
  b.view("aten::slice");
  b.view("aten::select");
  b.module(OpClass::module_block, "heads");
  b.module(OpClass::module_leaf, "heads.head");
  b.linear(N, E, 1000);
}

}  // namespace

namespace {

struct FixedModel {
  const char* name;
  const char* family;
  const char* description;
  double params;
  long long image;
  void (*build)(Builder&, const WorkloadConfig&);
};

void build_vit_b16(Builder& b, const WorkloadConfig& c) { build_vit(b, c, 16); }
void build_densenet121(Builder& b, const WorkloadConfig& c) { build_densenet(b, c, 64, 32, {6, 12, 24, 16}); }
void build_densenet161(Builder& b, const WorkloadConfig& c) { build_densenet(b, c, 96, 48, {6, 12, 36, 24}); }
void build_densenet169(Builder& b, const WorkloadConfig& c) { build_densenet(b, c, 64, 32, {6, 12, 32, 32}); }
void build_densenet201(Builder& b, const WorkloadConfig& c) { build_densenet(b, c, 64, 32, {6, 12, 48, 32}); }
void build_vit_b32(Builder& b, const WorkloadConfig& c) { build_vit(b, c, 32); }

const FixedModel kFixed[] = {
    {"mobilenet-v2", "torchvision-mobilenet", "torchvision MobileNetV2 (inverted residuals, ReLU6)", 3.50e6, 224,
     build_mobilenet_v2},
    {"efficientnet-b0", "torchvision-efficientnet", "torchvision EfficientNet-B0 (MBConv with squeeze-excitation, SiLU)",
     5.29e6, 224, build_efficientnet_b0},
    {"vgg16", "torchvision-vgg", "torchvision VGG-16 (13 convs, 3 linears, no batch norm)", 138.36e6, 224, build_vgg16},
    {"alexnet", "torchvision-alexnet", "torchvision AlexNet (5 convs, 3 linears)", 61.10e6, 224, build_alexnet},
    {"squeezenet", "torchvision-squeezenet", "torchvision SqueezeNet 1.0 (Fire modules)", 1.25e6, 224,
     build_squeezenet},
    {"densenet121", "torchvision-densenet", "torchvision DenseNet-121 (dense blocks 6-12-24-16)", 7.98e6, 224,
     build_densenet121},
    {"densenet161", "torchvision-densenet", "torchvision DenseNet-161 (growth 48, dense blocks 6-12-36-24)", 28.68e6, 224,
     build_densenet161},
    {"densenet169", "torchvision-densenet", "torchvision DenseNet-169 (dense blocks 6-12-32-32)", 14.15e6, 224,
     build_densenet169},
    {"densenet201", "torchvision-densenet", "torchvision DenseNet-201 (dense blocks 6-12-48-32)", 20.01e6, 224,
     build_densenet201},
    {"inception-v3", "torchvision-inception", "torchvision Inception v3 (299x299 input)", 27.16e6, 299,
     build_inception_v3},
    {"googlenet", "torchvision-googlenet", "torchvision GoogLeNet (9 inception blocks)", 6.62e6, 224, build_googlenet},
    {"shufflenet-v2", "torchvision-shufflenet", "torchvision ShuffleNet V2 x1.0 (channel shuffle)", 2.28e6, 224,
     build_shufflenet_v2},
    {"mnasnet", "torchvision-mnasnet", "torchvision MNASNet 1.0", 4.38e6, 224, build_mnasnet},
    {"vit-b16", "torchvision-vit", "torchvision ViT-B/16 (197 tokens, fused multi-head attention)", 86.57e6, 224,
     build_vit_b16},
    {"vit-b32", "torchvision-vit", "torchvision ViT-B/32 (50 tokens, fused multi-head attention)", 88.22e6, 224,
     build_vit_b32},
};

}  // namespace

void add_vision_architectures(std::vector<Architecture>& v) {
  for (const auto& m : kFixed) {
    Architecture a = make_architecture(m.name, m.description, FixedVisionConfig{m.name});
    a.family = m.family;
    a.params = m.params;
    a.default_image = m.image;
    v.push_back(std::move(a));
  }
}

void build_fixed_vision(Builder& b, const WorkloadConfig& c, const std::string& model) {
  for (const auto& m : kFixed)
    if (model == m.name) return m.build(b, c);
}

}  // namespace fwtax
