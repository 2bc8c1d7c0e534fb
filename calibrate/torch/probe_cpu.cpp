// fwtax-probe-torch: microbenchmarks of libtorch on the CPU, printed as one JSON object on stdout
// (progress on stderr). `fwtax calibrate --target cpu` runs it and fits the profiles. A separate
// executable so that the fwtax binary itself never loads libtorch. With `--device cuda` (a libtorch
// built with CUDA) it measures only the dispatch costs, on CUDA tensors: `fwtax calibrate --target
// cuda` fits the host's speed from them; the GPU itself is measured by fwtax-probe-cuda.
//
// What it measures (each: warm-up, then repeated epochs; median, 95% CI, spread):
//   dispatch:   host time of one op on tiny tensors, per op class, at three small sizes (the cost at
//               zero size is fitted by least squares);
//   gemm_sweep: torch::mm and torch::linear over square and transformer shapes;
//   memory:     a large copy (bandwidth) and an elementwise add over sizes.
#include <torch/torch.h>

#include <dlfcn.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "calibrate/stats.hpp"
#include "calibrate/torch/machine_env.hpp"
#include "calibrate/torch/probe_epochs.hpp"
#include "calibrate/torch/sdpa.hpp"

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace probe = fwtax::probe;

namespace {

bool g_quick = false;
int g_epochs = 0;  // timed epochs per measurement (--epochs); 0: the default (probe_epochs.hpp)
bool g_progress = false;
torch::TensorOptions g_opt;         // where the probe's tensors live (--device)
bool g_cuda = false;
int g_step = 0, g_steps = 0;
Clock::time_point g_start;

void progress(const std::string& what) {
  ++g_step;
  if (!g_progress) return;
  double elapsed = std::chrono::duration<double>(Clock::now() - g_start).count();
  double left = g_step > 1 ? elapsed / (g_step - 1) * (g_steps - g_step + 1) : 0;
  std::fprintf(stderr, "\r\033[K[%3d/%3d] %-40s %5.0f s left", g_step, g_steps, what.c_str(), left);
  std::fflush(stderr);
}

// On CUDA the ops return once their kernels are queued: the host time is what is timed, and the
// queue is drained between timings (untimed) so that one epoch's kernels never slow the next.
void drain() {
  if (g_cuda) torch::cuda::synchronize();
}

// Seconds per call of fn: `epochs` epochs of `iters` calls each; returns the stats of the epochs.
fwtax::SampleStats time_calls(const std::function<void()>& fn, int iters, int epochs) {
  for (int i = 0; i < std::max(3, iters / 10); ++i) fn();  // warm-up
  drain();
  std::vector<double> per_call;
  for (int e = 0; e < epochs; ++e) {
    auto t0 = Clock::now();
    for (int i = 0; i < iters; ++i) fn();
    per_call.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / iters);
    drain();
  }
  return fwtax::summarize(per_call);
}

Json stats_json(const fwtax::SampleStats& s) {
  return {{"median_s", s.median}, {"ci95_low_s", s.ci95_low}, {"ci95_high_s", s.ci95_high},
          {"mdape", s.mdape},     {"samples", s.samples},     {"rejected", s.rejected}};
}

// Calls per epoch so that an epoch lasts about `target` seconds.
int iterations_for(const std::function<void()>& fn, double target) {
  auto t0 = Clock::now();
  int n = 0;
  do {
    fn();
    ++n;
  } while (std::chrono::duration<double>(Clock::now() - t0).count() < target / 4 && n < 1000000);
  drain();
  double per = std::chrono::duration<double>(Clock::now() - t0).count() / n;
  return std::max(1, static_cast<int>(target / std::max(per, 1e-9)));
}

fwtax::SampleStats measure(const std::function<void()>& fn) {
  double target = g_quick ? 0.01 : 0.05;
  int epochs = g_epochs > 0 ? g_epochs : fwtax::probe::default_epochs(g_quick);
  return time_calls(fn, iterations_for(fn, target), epochs);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") g_quick = true;
    else if (a == "--progress") g_progress = true;
    else if (a == "--epochs" && i + 1 < argc && std::atoi(argv[i + 1]) >= 1 && std::atoi(argv[i + 1]) <= 1000)
      g_epochs = std::atoi(argv[++i]);
    else if (a == "--device" && i + 1 < argc && std::string(argv[i + 1]) == "cuda") {
      g_cuda = true;
      ++i;
    } else if (a == "--device" && i + 1 < argc && std::string(argv[i + 1]) == "cpu") {
      ++i;
    } else {
      std::fprintf(stderr, "fwtax-probe-torch: unknown argument %s (takes --quick, --epochs 1-1000, --progress, --device cpu|cuda)\n",
                   a.c_str());
      return 2;
    }
  }
  if (g_cuda && !torch::cuda::is_available()) {
    std::fprintf(stderr, "fwtax-probe-torch: --device cuda, but this libtorch sees no CUDA GPU (built without "
                         "CUDA, or no GPU on this machine)\n");
    return 2;
  }
  g_opt = torch::TensorOptions().device(g_cuda ? torch::kCUDA : torch::kCPU);
  const std::string allocator = probe::keep_freed_memory();  // as fwtax-run-torch measures the models
  g_start = Clock::now();
  // OpenBLAS runs its own thread pool beside ATen's OpenMP threads; two pools on the same cores make
  // timings swing by 2x between runs. Give OpenBLAS as many threads as ATen uses.
  if (auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(torch::get_num_threads());
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  Json out;
  out["schema"] = g_cuda ? "fwtax.microbench.torch-cuda/1" : "fwtax.microbench.cpu/1";
  out["device"] = g_cuda ? "cuda" : "cpu";
  out["env"] = probe::machine_env(TORCH_VERSION, torch::get_num_threads());
  out["env"]["allocator"] = allocator;
  out["env"].update(Json{{"parallel_info", at::get_parallel_info()},
                {"quick", g_quick},
                {"epochs", g_epochs > 0 ? g_epochs : fwtax::probe::default_epochs(g_quick)},
#ifdef NDEBUG
                {"build_type", "release"}
#else
                {"build_type", "debug"}
#endif
  });

  // ---- dispatch: ops on tiny tensors at three sizes ------------------------------------------
  const std::vector<long> sizes = {16, 64, 256};
  struct Probe {
    const char* name;
    const char* op_class;
    std::function<std::function<void()>(long)> make;
  };
  auto lin = [](long n) {
    auto x = torch::randn({1, n}, g_opt), w = torch::randn({n, n}, g_opt), b = torch::randn({n}, g_opt);
    return std::function<void()>([=] { auto y = torch::linear(x, w, b); });
  };
  std::vector<Probe> probes = {
      {"add", "elementwise", [](long n) { auto x = torch::randn({1, n}, g_opt), y = torch::randn({1, n}, g_opt); return std::function<void()>([=] { auto z = x + y; }); }},
      {"mul_scalar", "elementwise", [](long n) { auto x = torch::randn({1, n}, g_opt); return std::function<void()>([=] { auto z = x * 2.0; }); }},
      {"relu", "elementwise", [](long n) { auto x = torch::randn({1, n}, g_opt); return std::function<void()>([=] { auto z = torch::relu(x); }); }},
      {"gelu", "elementwise", [](long n) { auto x = torch::randn({1, n}, g_opt); return std::function<void()>([=] { auto z = torch::gelu(x); }); }},
      {"linear", "linear", lin},
      {"matmul", "matmul", [](long n) { auto x = torch::randn({4, n}, g_opt), w = torch::randn({n, n}, g_opt); return std::function<void()>([=] { auto z = torch::matmul(x, w); }); }},
      {"layer_norm", "layer_norm", [](long n) { auto x = torch::randn({1, n}, g_opt); auto w = torch::ones({n}, g_opt), b = torch::zeros({n}, g_opt); return std::function<void()>([=] { auto z = torch::layer_norm(x, {n}, w, b); }); }},
      {"softmax", "softmax", [](long n) { auto x = torch::randn({1, n}, g_opt); return std::function<void()>([=] { auto z = torch::softmax(x, -1); }); }},
      {"conv2d", "conv", [](long n) { long c = std::max(1L, n / 16); auto x = torch::randn({1, c, 4, 4}, g_opt), w = torch::randn({c, c, 3, 3}, g_opt); return std::function<void()>([=] { auto z = torch::conv2d(x, w, {}, 1, 1); }); }},
      {"batch_norm", "batch_norm", [](long n) { long c = std::max(1L, n / 16); auto x = torch::randn({1, c, 4, 4}, g_opt); auto m = torch::zeros({c}, g_opt), v = torch::ones({c}, g_opt); return std::function<void()>([=] { auto z = torch::batch_norm(x, v, m, m, v, false, 0.1, 1e-5, true); }); }},
      {"attention", "attention", [](long n) { long d = std::max(4L, n / 4); auto q = torch::randn({1, 2, 4, d}, g_opt); return std::function<void()>([=] { auto z = probe::sdpa(q, q, q); }); }},
      {"embedding", "embedding", [](long n) { auto w = torch::randn({1000, n}, g_opt); auto i = torch::randint(0, 1000, {1, 8}, g_opt.dtype(torch::kLong)); return std::function<void()>([=] { auto z = torch::embedding(w, i); }); }},
      {"max_pool2d", "pool", [](long n) { long c = std::max(1L, n / 16); auto x = torch::randn({1, c, 8, 8}, g_opt); return std::function<void()>([=] { auto z = torch::max_pool2d(x, 3, 2, 1); }); }},
      {"mean", "reduction", [](long n) { auto x = torch::randn({1, n, 2, 2}, g_opt); return std::function<void()>([=] { auto z = x.mean({2, 3}); }); }},
      {"transpose_contiguous", "copy", [](long n) { auto x = torch::randn({8, n / 8}, g_opt); return std::function<void()>([=] { auto z = x.t().contiguous(); }); }},
      {"view_nokernel", "view", [](long n) { auto x = torch::randn({1, n}, g_opt); return std::function<void()>([=] { auto z = x.view({n}); }); }},
      {"empty_alloc", "alloc", [](long n) { return std::function<void()>([=] { auto z = torch::empty({1, n}, g_opt); }); }},
  };
  g_steps = static_cast<int>(probes.size() * sizes.size()) + (g_cuda ? 0 : (g_quick ? 29 : 70) + 10 + 17 + (g_quick ? 0 : 2) + (g_quick ? 18 : 22));
  Json dispatch = Json::object();
  for (const auto& p : probes) {
    Json per = Json::array();
    for (long n : sizes) {
      progress(std::string("dispatch ") + p.name + " n=" + std::to_string(n));
      auto fn = p.make(n);
      per.push_back({{"size", n}, {"stats", stats_json(measure(fn))}});
    }
    dispatch[p.name] = {{"class", p.op_class}, {"sizes", per}};
  }
  out["dispatch"] = dispatch;
  if (g_cuda) {  // the GPU's GEMMs, bandwidth and launch costs are fwtax-probe-cuda's
    if (g_progress) std::fprintf(stderr, "\r\033[K");
    out["elapsed_s"] = std::chrono::duration<double>(Clock::now() - g_start).count();
    std::cout << out.dump(1) << std::endl;
    return 0;
  }

  // ---- GEMM sweep ------------------------------------------------------------------------------
  // Rows x (width x width), and the transformer FFN shapes (4x wider or deeper): BLAS libraries pick
  // kernels by shape, and a 1x1024x1024 product can take 5x longer per FLOP than a 1x768x768 one.
  std::vector<std::array<long, 3>> shapes;
  std::vector<long> rows = g_quick ? std::vector<long>{1, 16, 128} : std::vector<long>{1, 4, 16, 64, 256, 1024};
  std::vector<long> widths = g_quick ? std::vector<long>{256, 768, 1024} : std::vector<long>{256, 512, 768, 1024, 2048};
  for (long w : widths)
    for (long m : rows) shapes.push_back({m, w, w});
  for (long w : g_quick ? std::vector<long>{256, 768} : std::vector<long>{256, 512, 768})
    for (long m : rows) {
      shapes.push_back({m, 4 * w, w});
      shapes.push_back({m, w, 4 * w});
    }
  for (long sq : g_quick ? std::vector<long>{64, 512} : std::vector<long>{64, 128, 512, 1024}) shapes.push_back({sq, sq, sq});
  Json gemm = Json::array();
  for (auto [m, n, k] : shapes) {
    progress("gemm " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k));
    // Weights rotate through ~128 MB of buffers so that they come from memory, as in a model whose
    // layers each have their own weights, not from a cache warmed by the previous call.
    long buffers = std::max(1L, std::min(64L, (128L << 20) / (n * k * 4)));
    auto a = torch::randn({m, k}), b = torch::randn({n});
    std::vector<torch::Tensor> ws;
    for (long i = 0; i < buffers; ++i) ws.push_back(torch::randn({n, k}));
    long i = 0;
    auto s = measure([&] { auto y = torch::linear(a, ws[static_cast<std::size_t>(i++ % buffers)], b); });
    gemm.push_back({{"form", "linear"}, {"m", m}, {"n", n}, {"k", k}, {"flops", 2.0 * m * n * k}, {"stats", stats_json(s)}});
  }
  out["gemm_sweep"] = gemm;

  // ---- convolutions (ResNet-like shapes, batch 1) and attention -------------------------------
  // Convolutions as CNNs use them: 3x3 and 1x1 over ResNet's channel/size pairs and smaller sizes,
  // depthwise 3x3 (MobileNet), and the strided stems.
  struct ConvShape {
    long c, h, o, k, stride, groups;
  };
  std::vector<ConvShape> convs = {{64, 56, 64, 3, 1, 1},   {128, 28, 128, 3, 1, 1}, {256, 14, 256, 3, 1, 1},
                                  {512, 7, 512, 3, 1, 1},  {64, 16, 64, 3, 1, 1},   {256, 4, 256, 3, 1, 1},
                                  {64, 56, 256, 1, 1, 1},  {256, 16, 64, 1, 1, 1},  {96, 12, 576, 1, 1, 1},
                                  {96, 48, 96, 3, 1, 96},  {384, 12, 384, 3, 1, 384}, {960, 6, 960, 3, 1, 960},
                                  {3, 64, 64, 7, 2, 1},    {3, 96, 32, 3, 2, 1},    {128, 8, 128, 3, 1, 1},
                                  {512, 2, 512, 3, 1, 1},  {256, 8, 512, 1, 2, 1},  {3, 112, 64, 7, 2, 1}};
  if (!g_quick) {
    convs.push_back({32, 112, 32, 3, 1, 32});
    convs.push_back({3, 224, 64, 7, 2, 1});
  }
  // Each shape at one image and at four: ATen runs small single-image convolutions (and, on one
  // thread, 1x1 ones on fewer than 16 images) natively, as im2col and a BLAS GEMM, and the rest on
  // oneDNN (Builder::cpu_conv_uses_onednn), so a sweep at one batch size measures one path only.
  Json conv = Json::array();
  for (const auto& c : convs)
    for (long batch : {1L, 4L}) {
      progress("conv " + std::to_string(c.c) + "x" + std::to_string(c.h) + " k" + std::to_string(c.k) +
               (c.groups > 1 ? " depthwise" : "") + " batch " + std::to_string(batch));
      // Weights rotate through ~64 MB, as in a network whose layers each have their own (oneDNN
      // reorders the weights of every call, so where they come from matters).
      auto x = torch::randn({batch, c.c, c.h, c.h});
      long wbytes = c.o * (c.c / c.groups) * c.k * c.k * 4;
      long buffers = std::max(1L, std::min(32L, (64L << 20) / wbytes));
      std::vector<torch::Tensor> ws;
      for (long i = 0; i < buffers; ++i) ws.push_back(torch::randn({c.o, c.c / c.groups, c.k, c.k}));
      long i = 0;
      auto s = measure([&] {
        auto y = torch::conv2d(x, ws[static_cast<std::size_t>(i++ % buffers)], {}, c.stride, c.k / 2, 1, c.groups);
      });
      double oh = std::floor((c.h + 2.0 * (c.k / 2) - c.k) / c.stride) + 1;
      conv.push_back({{"batch", batch}, {"cin", c.c}, {"h", c.h}, {"cout", c.o}, {"k", c.k}, {"stride", c.stride},
                      {"groups", c.groups}, {"flops", 2.0 * batch * oh * oh * c.o * (c.c / c.groups) * c.k * c.k},
                      {"stats", stats_json(s)}});
    }
  out["conv_sweep"] = conv;
  Json attn = Json::array();
  for (auto [b, h, sq, d] : std::vector<std::array<long, 4>>{{1, 4, 32, 64}, {1, 4, 128, 64}, {4, 4, 128, 64}, {1, 12, 128, 64}, {8, 4, 256, 64}}) {
    progress("attention " + std::to_string(b) + "x" + std::to_string(h) + "x" + std::to_string(sq));
    auto q = torch::randn({b, h, sq, d});
    auto s = measure([&] { auto y = probe::sdpa(q, q, q); });
    auto sc = measure([&] { auto y = probe::sdpa(q, q, q, true); });
    attn.push_back({{"batch", b}, {"heads", h}, {"seq", sq}, {"head_dim", d}, {"flops", 4.0 * b * h * sq * sq * d},
                    {"stats", stats_json(s)}, {"causal_stats", stats_json(sc)}});
  }
  out["attention_sweep"] = attn;

  // ---- memory ----------------------------------------------------------------------------------
  long big = g_quick ? (1L << 23) : (1L << 25);  // 32 or 128 MB of fp32
  {
    progress("copy bandwidth");
    auto src = torch::randn({big}), dst = torch::empty({big});
    auto s = time_calls([&] { dst.copy_(src); }, 3, g_epochs > 0 ? g_epochs : g_quick ? 5 : 11);
    out["copy"] = {{"bytes_moved", 2.0 * big * 4}, {"stats", stats_json(s)}};
  }
  Json add = Json::array();
  for (long n = 1L << 10; n <= big; n <<= (g_quick ? 3 : 2)) {
    progress("add sweep " + std::to_string(n));
    auto x = torch::randn({n}), y = torch::randn({n}), z = torch::empty({n});
    auto s = measure([&] { torch::add_out(z, x, y); });
    add.push_back({{"elements", n}, {"bytes_moved", 3.0 * n * 4}, {"stats", stats_json(s)}});
  }
  out["add_sweep"] = add;
  // Math functions evaluated per element (model/workload.hpp ElemFunc): elements per second at 1 M
  // elements (4 MB in, 4 MB out: the rate, not DRAM, binds where the function is slow).
  Json fn = Json::object();
  {
    const long n = 1L << 20;
    auto x = torch::randn({n}), z = torch::empty({n});
    const std::vector<std::pair<const char*, std::function<void()>>> funcs = {
        {"tanh", [&] { torch::tanh_out(z, x); }},
        {"erf", [&] { torch::erf_out(z, x); }},
        {"exp", [&] { torch::exp_out(z, x); }},
        {"sigmoid", [&] { torch::sigmoid_out(z, x); }},
        {"silu", [&] { torch::silu_out(z, x); }},
        {"gelu", [&] { torch::gelu_out(z, x); }},
    };
    for (const auto& [name, f] : funcs) {
      progress(std::string("function ") + name);
      auto s = measure(f);
      fn[name] = {{"elements", n}, {"stats", stats_json(s)}};
    }
  }
  out["function_sweep"] = fn;
  // NCHW pooling as CNNs run it: ResNet's stem max pool (3x3, stride 2) over 64 x 56 x 56, which
  // ATen's CPU kernel runs window element by window element, well below memory speed.
  {
    progress("max_pool2d");
    auto x = torch::randn({1, 64, 56, 56});
    auto s = measure([&] { auto y = torch::max_pool2d(x, 3, 2, 1); });
    out["pool_sweep"] = {{"max_pool2d", {{"elements", x.numel()}, {"kernel", "3x3 stride 2"}, {"stats", stats_json(s)}}}};
  }
  if (g_progress) std::fprintf(stderr, "\r\033[K");
  out["elapsed_s"] = std::chrono::duration<double>(Clock::now() - g_start).count();
  std::cout << out.dump(1) << std::endl;
  return 0;
}
