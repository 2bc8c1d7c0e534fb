// fwtax-run-torch: runs real models in libtorch C++ on the CPU and prints their measured latency as
// a measured-runs JSON (docs/measured-runs.md). The plan comes on stdin: a list of architectures in
// fwtax's architecture JSON (resolved fields) with the batches and sizes to run. Each model dispatches
// the same aten ops, in the same order, as fwtax's builder of that family, with random weights.
//
// Timing: in interleaved passes over all configurations (so that a machine that slows down for a
// while slows every configuration a little, not a few a lot): each pass makes synchronous calls of
// each configuration for its share of the time budget (at least its share of `min_iters`); after a
// warm-up, the median, minimum and 90th percentile per call over all passes are reported.
//
// Memory: by default (plan "allocator": "reuse") glibc keeps freed memory for reuse, as a caching
// allocator does (jemalloc and tcmalloc, which PyTorch's CPU performance tuning guide recommends, and
// PyTorch's own allocator on GPUs). With glibc's defaults ("system"), a layer that frees more than
// twice its largest tensor returns it to the OS and the next layer faults it back in page by page:
// on a 2-core EPYC VM, gpt2-mini at batch 8 x 128 tokens took 14,500 page faults and 35 ms of kernel
// time per forward, HF's GPT2Model in Python 16,000. fwtax models the compute and dispatch, not the
// operating system's paging, so the runs it is validated on leave the paging out and say so; each
// run also records its page faults per call.
#include <torch/torch.h>

#include <dlfcn.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calibrate/torch/machine_env.hpp"
#include "calibrate/torch/sdpa.hpp"

using Json = nlohmann::json;
namespace probe = fwtax::probe;
using torch::Tensor;
using Clock = std::chrono::steady_clock;

namespace {

long get(const Json& j, const char* k, long fallback) { return j.contains(k) ? j[k].get<long>() : fallback; }

Tensor linear_w(long out, long in) { return torch::randn({out, in}) * (1.0 / std::sqrt(static_cast<double>(in))); }

struct Linear {
  Tensor w, b;
  Linear(long in, long out, bool bias = true) : w(linear_w(out, in)), b(bias ? torch::zeros({out}) : Tensor()) {}
  Tensor operator()(const Tensor& x) const { return torch::linear(x, w, b); }
};

struct Norm {
  Tensor w, b;
  long n;
  explicit Norm(long n_) : w(torch::ones({n_})), b(torch::zeros({n_})), n(n_) {}
  Tensor operator()(const Tensor& x) const { return torch::layer_norm(x, {n}, w, b, 1e-12); }
};

// HF BertModel's eager op sequence (see model/arch/transformer.cpp, build_bert).
struct Bert {
  long H, L, heads, I, V, P;
  Tensor word, type, pos, pos_ids, type_buf;
  Norm emb_ln;
  struct Layer {
    Linear q, k, v, o, up, down;
    Norm ln1, ln2;
  };
  std::vector<Layer> layers;
  Linear pool;
  explicit Bert(const Json& a)
      : H(get(a, "hidden", 768)), L(get(a, "layers", 12)), heads(get(a, "heads", 12)), I(get(a, "intermediate", 3072)),
        V(get(a, "vocab", 30522)), P(get(a, "max_position", 512)), emb_ln(H), pool(H, H) {
    word = torch::randn({V, H}) * 0.02;
    type = torch::randn({2, H}) * 0.02;
    pos = torch::randn({P, H}) * 0.02;
    pos_ids = torch::arange(P).unsqueeze(0);
    type_buf = torch::zeros({1, P}, torch::kLong);
    for (long l = 0; l < L; ++l)
      layers.push_back({Linear(H, H), Linear(H, H), Linear(H, H), Linear(H, H), Linear(H, I), Linear(I, H), Norm(H), Norm(H)});
  }
  Tensor operator()(const Tensor& ids) const {
    long B = ids.size(0), S = ids.size(1), d = H / heads;
    Tensor p = pos_ids.slice(1, 0, S);
    Tensor tt = torch::gather(type_buf.expand({p.size(0), P}), 1, p).expand({B, S});
    Tensor x = torch::embedding(word, ids) + torch::embedding(type, tt);
    x = x + torch::embedding(pos, p);
    x = torch::dropout(emb_ln(x), 0.1, false);
    for (const auto& ly : layers) {
      auto split = [&](const Linear& f) { return f(x).view({B, S, heads, d}).transpose(1, 2); };
      Tensor q = split(ly.q), k = split(ly.k), v = split(ly.v);
      Tensor a = probe::sdpa(q, k, v);
      a = a.transpose(1, 2).reshape({B, S, H});
      x = ly.ln1(torch::dropout(ly.o(a), 0.1, false) + x);
      Tensor h = ly.down(torch::gelu(ly.up(x)));
      x = ly.ln2(torch::dropout(h, 0.1, false) + x);
    }
    return torch::tanh(pool(x.select(1, 0)));
  }
};

// HF GPT2Model (use_cache=False): Conv1D projections, causal attention, gelu_new.
struct Gpt2 {
  long H, L, heads, I, V, P;
  Tensor wte, wpe;
  struct Layer {
    Norm ln1, ln2;
    Linear attn, proj, fc, out;
  };
  std::vector<Layer> layers;
  Norm ln_f;
  explicit Gpt2(const Json& a)
      : H(get(a, "hidden", 768)), L(get(a, "layers", 12)), heads(get(a, "heads", 12)), I(get(a, "intermediate", 3072)),
        V(get(a, "vocab", 50257)), P(get(a, "max_position", 1024)), ln_f(H) {
    wte = torch::randn({V, H}) * 0.02;
    wpe = torch::randn({P, H}) * 0.02;
    for (long l = 0; l < L; ++l) layers.push_back({Norm(H), Norm(H), Linear(H, 3 * H), Linear(H, H), Linear(H, I), Linear(I, H)});
  }
  static Tensor gelu_new(const Tensor& x) {
    return 0.5 * x * (1.0 + torch::tanh(0.7978845608028654 * (x + 0.044715 * torch::pow(x, 3.0))));
  }
  Tensor operator()(const Tensor& ids) const {
    long B = ids.size(0), S = ids.size(1), d = H / heads;
    Tensor x = torch::embedding(wte, ids);
    Tensor p = (torch::arange(S) + 0).unsqueeze(0);
    x = x + torch::embedding(wpe, p);
    // create_causal_mask's packed-sequence check, read back on the host.
    Tensor first = p.slice(1, 0, 1) - 1;
    Tensor starts = torch::diff(p, 1, -1, first).ne(1).cumsum(-1);
    volatile bool packed = (starts.select(1, -1) == 0).all().item<bool>() == false;
    (void)packed;
    x = torch::dropout(x, 0.1, false);
    for (const auto& ly : layers) {
      Tensor qkv = ly.attn(ly.ln1(x));
      auto parts = qkv.split(H, 2);
      auto heads_of = [&](const Tensor& t) { return t.view({B, S, heads, d}).transpose(1, 2); };
      Tensor a = probe::sdpa(heads_of(parts[0]), heads_of(parts[1]), heads_of(parts[2]), true);
      x = torch::dropout(ly.proj(a.transpose(1, 2).reshape({B, S, H})), 0.1, false) + x;
      x = torch::dropout(ly.out(gelu_new(ly.fc(ly.ln2(x)))), 0.1, false) + x;
    }
    return ln_f(x).view({B, S, H});
  }
  // Cached keys and values of `context` tokens per layer, as a prefill would leave them.
  std::vector<std::pair<Tensor, Tensor>> cache(long B, long context) const {
    std::vector<std::pair<Tensor, Tensor>> c;
    for (long l = 0; l < L; ++l)
      c.push_back({torch::randn({B, heads, context, H / heads}), torch::randn({B, heads, context, H / heads})});
    return c;
  }
  // One step of HF generate() with its DynamicCache, op for op as fwtax's gpt2 builder emits a decode
  // step (model/arch/families/gpt2.cpp): each layer concatenates its new key and value onto the cache
  // (the result is dropped, so every call steps from the same context), the LM head (tied to wte) on
  // the last token, the logits in fp32, greedy argmax, the token appended to input_ids and the
  // attention mask, and the end-of-sequence check read back on the host.
  void decode(const Tensor& ids, const std::vector<std::pair<Tensor, Tensor>>& kv, const Tensor& input_ids,
              const Tensor& mask) const {
    long B = ids.size(0), S = ids.size(1), d = H / heads, context = kv.front().first.size(2);
    Tensor x = torch::embedding(wte, ids);
    Tensor p = (torch::arange(S) + context).unsqueeze(0);
    x = x + torch::embedding(wpe, p);
    x = torch::dropout(x, 0.1, false);
    for (long l = 0; l < L; ++l) {
      const auto& ly = layers[l];
      Tensor qkv = ly.attn(ly.ln1(x));
      auto parts = qkv.split(H, 2);
      auto heads_of = [&](const Tensor& t) { return t.view({B, S, heads, d}).transpose(1, 2); };
      Tensor k = torch::cat({kv[l].first, heads_of(parts[1])}, 2), v = torch::cat({kv[l].second, heads_of(parts[2])}, 2);
      Tensor a = probe::sdpa(heads_of(parts[0]), k, v, false);
      x = torch::dropout(ly.proj(a.transpose(1, 2).reshape({B, S, H})), 0.1, false) + x;
      x = torch::dropout(ly.out(gelu_new(ly.fc(ly.ln2(x)))), 0.1, false) + x;
    }
    x = ln_f(x).view({B, S, H});
    // generate copies the last token's logits out in fp32 (.to(copy=True, dtype=torch.float32)).
    Tensor logits = torch::linear(x.slice(1, S - 1, S).view({B, H}), wte).to(torch::kFloat, false, true);
    Tensor next = logits.argmax(-1);
    Tensor unfinished = torch::ones({B}, torch::kLong);
    next = next * unfinished + unfinished;  // HF: next * unfinished + pad * (1 - unfinished)
    Tensor ids2 = torch::cat({input_ids, next.unsqueeze(1)}, 1);
    Tensor mask2 = torch::cat({mask, torch::ones({B, 1}, torch::kLong)}, 1);
    Tensor done = torch::isin(next, torch::tensor({50256}, torch::kLong));
    unfinished = torch::bitwise_and(unfinished, done);
    volatile bool stop = unfinished.max().item<long>() == 0;
    (void)stop;
  }
};

struct Conv {
  Tensor w, b;
  long stride, pad, groups;
  Conv(long cin, long cout, long k, long s, long p, long g = 1, bool bias = false)
      : w(torch::randn({cout, cin / g, k, k}) * (1.0 / std::sqrt(static_cast<double>(cin / g * k * k)))),
        b(bias ? torch::zeros({cout}) : Tensor()), stride(s), pad(p), groups(g) {}
  Tensor operator()(const Tensor& x) const { return torch::conv2d(x, w, b, stride, pad, 1, groups); }
};

struct BN {
  Tensor w, b, m, v;
  explicit BN(long c) : w(torch::ones({c})), b(torch::zeros({c})), m(torch::zeros({c})), v(torch::ones({c})) {}
  Tensor operator()(const Tensor& x) const { return torch::batch_norm(x, w, b, m, v, false, 0.1, 1e-5, true); }
};

// torchvision ResNet (basic or bottleneck blocks).
struct ResNet {
  struct Block {
    std::vector<std::pair<Conv, BN>> path;
    bool down = false;
    Conv dconv{1, 1, 1, 1, 0};
    BN dbn{1};
  };
  Conv stem{3, 64, 7, 2, 3};
  BN stem_bn{64};
  std::vector<Block> blocks;
  Linear fc{512, 1000};
  explicit ResNet(const Json& a) {
    std::vector<long> counts = a.value("blocks", std::vector<long>{2, 2, 2, 2});
    bool bottleneck = a.value("bottleneck", false);
    long width = get(a, "width_per_group", 64), groups = get(a, "groups", 1), in = 64;
    const long planes[4] = {64, 128, 256, 512};
    for (int s = 0; s < 4; ++s) {
      long w = bottleneck ? planes[s] * width / 64 * groups : planes[s], out = planes[s] * (bottleneck ? 4 : 1);
      for (long j = 0; j < counts[s]; ++j) {
        long stride = (j == 0 && s > 0) ? 2 : 1;
        Block b;
        if (bottleneck) {
          b.path.push_back({Conv(in, w, 1, 1, 0), BN(w)});
          b.path.push_back({Conv(w, w, 3, stride, 1, groups), BN(w)});
          b.path.push_back({Conv(w, out, 1, 1, 0), BN(out)});
        } else {
          b.path.push_back({Conv(in, w, 3, stride, 1), BN(w)});
          b.path.push_back({Conv(w, out, 3, 1, 1), BN(out)});
        }
        if (j == 0 && (stride != 1 || in != out)) {
          b.down = true;
          b.dconv = Conv(in, out, 1, stride, 0);
          b.dbn = BN(out);
        }
        blocks.push_back(b);
        in = out;
      }
    }
    fc = Linear(in, 1000);
  }
  Tensor operator()(const Tensor& img) const {
    Tensor x = stem_bn(stem(img));
    x = torch::max_pool2d(torch::relu_(x), 3, 2, 1);
    for (const auto& b : blocks) {
      Tensor y = x;
      for (std::size_t i = 0; i < b.path.size(); ++i) {
        y = b.path[i].second(b.path[i].first(y));
        if (i + 1 < b.path.size()) y = torch::relu_(y);
      }
      Tensor identity = b.down ? b.dbn(b.dconv(x)) : x;
      y.add_(identity);
      x = torch::relu_(y);
    }
    return fc(torch::flatten(torch::adaptive_avg_pool2d(x, {1, 1}), 1));
  }
};

// torchvision MobileNetV2.
struct MobileNetV2 {
  struct CBA {
    Conv c;
    BN b;
    bool act;
  };
  struct Block {
    std::vector<CBA> layers;
    bool residual;
  };
  CBA stem{Conv(3, 32, 3, 2, 1), BN(32), true};
  std::vector<Block> blocks;
  CBA head{Conv(320, 1280, 1, 1, 0), BN(1280), true};
  Linear fc{1280, 1000};
  MobileNetV2() {
    const long cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    long in = 32;
    for (const auto& s : cfg)
      for (long i = 0; i < s[2]; ++i) {
        long stride = i == 0 ? s[3] : 1, hidden = in * s[0];
        Block b;
        if (s[0] != 1) b.layers.push_back({Conv(in, hidden, 1, 1, 0), BN(hidden), true});
        b.layers.push_back({Conv(hidden, hidden, 3, stride, 1, hidden), BN(hidden), true});
        b.layers.push_back({Conv(hidden, s[1], 1, 1, 0), BN(s[1]), false});
        b.residual = stride == 1 && in == s[1];
        blocks.push_back(b);
        in = s[1];
      }
  }
  static Tensor apply(const CBA& l, const Tensor& x) {
    Tensor y = l.b(l.c(x));
    if (l.act) torch::hardtanh_(y, 0.0, 6.0);
    return y;
  }
  Tensor operator()(const Tensor& img) const {
    Tensor x = apply(stem, img);
    for (const auto& b : blocks) {
      Tensor y = x;
      for (const auto& l : b.layers) y = apply(l, y);
      x = b.residual ? x + y : y;
    }
    x = torch::flatten(torch::adaptive_avg_pool2d(apply(head, x), {1, 1}), 1);
    return fc(torch::dropout(x, 0.2, false));
  }
};

// N x (Linear + ReLU).
struct Mlp {
  std::vector<Linear> layers;
  explicit Mlp(const Json& a) {
    long in = get(a, "input", 1024), h = get(a, "hidden", 1024);
    for (long l = 0; l < get(a, "layers", 8); ++l) {
      layers.push_back(Linear(in, h));
      in = h;
    }
  }
  Tensor operator()(const Tensor& x0) const {
    Tensor x = x0;
    for (const auto& l : layers) x = torch::relu(l(x));
    return x;
  }
};

struct Timing {
  double median, min, p90;
  int iters;
};

// Calls fn for `budget` seconds (at least `min_iters` calls, at most 200), appending each call's time.
// `cpu`, when given, receives each call's thread CPU time (CLOCK_THREAD_CPUTIME_ID: with one intra-op
// thread, the call less its waits for a core on a shared machine).
void time_into(std::vector<double>& t, const std::function<void()>& fn, double budget, int min_iters,
               std::vector<double>* cpu = nullptr) {
  auto thread_s = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  auto start = Clock::now();
  for (int n = 0; n < min_iters || (std::chrono::duration<double>(Clock::now() - start).count() < budget && n < 200);
       ++n) {
    auto t0 = Clock::now();
    double c0 = thread_s();
    fn();
    if (cpu) cpu->push_back(thread_s() - c0);
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
}

Timing summarize(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t.front(), t[t.size() * 9 / 10], static_cast<int>(t.size())};
}

}  // namespace

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  Json plan;
  try {
    std::ios::sync_with_stdio(false);
    plan = Json::parse(std::cin);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fwtax-run-torch: the plan on stdin is not valid JSON: %s\n", e.what());
    return 2;
  }
  const std::string allocator = plan.value("allocator", "reuse");
  if (allocator != "reuse" && allocator != "system") {
    std::fprintf(stderr, "fwtax-run-torch: plan /allocator: expected \"reuse\" or \"system\", got \"%s\"\n", allocator.c_str());
    return 2;
  }
  const std::string allocator_said = allocator == "reuse" ? probe::keep_freed_memory() : "glibc malloc with its defaults";
  torch::NoGradGuard no_grad;
  // OpenBLAS runs its own thread pool beside ATen's OpenMP threads; two pools on the same cores make
  // timings swing by 2x between runs. Give OpenBLAS as many threads as ATen uses.
  if (auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(torch::get_num_threads());
  torch::manual_seed(0);
  double budget = plan.value("budget_s", 0.5);
  int min_iters = plan.value("min_iters", 5);
  int passes = std::max(1, plan.value("passes", 3));
  struct Config {
    Json run;  // the measured-runs entry, without its timing
    std::function<void()> call;
    std::vector<double> times;
    std::vector<double> cpu;  // thread CPU times (decode steps: what is compared, as validate/cpu/hf_generate.py)
    long faults = 0;  // minor page faults during the timed calls
  };
  std::vector<Config> configs;
  for (const auto& m : plan["models"]) {
    const Json& a = m["arch"];
    std::string family = a.value("family", a.value("like", std::string()));
    std::function<Tensor(const Tensor&)> model;
    bool tokens = true;
    long vocab = get(a, "vocab", 1000);
    if (family == "bert") {
      auto net = std::make_shared<Bert>(a);
      model = [net](const Tensor& x) { return (*net)(x); };
    } else if (family == "gpt2") {
      auto net = std::make_shared<Gpt2>(a);
      model = [net](const Tensor& x) { return (*net)(x); };
    } else if (family == "resnet") {
      auto net = std::make_shared<ResNet>(a);
      model = [net](const Tensor& x) { return (*net)(x); };
      tokens = false;
    } else if (family == "mobilenet-v2") {
      auto net = std::make_shared<MobileNetV2>();
      model = [net](const Tensor& x) { return (*net)(x); };
      tokens = false;
    } else if (family == "mlp") {
      auto net = std::make_shared<Mlp>(a);
      model = [net](const Tensor& x) { return (*net)(x); };
    } else {
      std::fprintf(stderr, "fwtax-run-torch: unknown family '%s'\n", family.c_str());
      return 2;
    }
    // A decode plan ("phase": "decode", "contexts": [...]): one generate() step of a GPT-2 over a
    // DynamicCache of each context.
    if (m.value("phase", std::string("forward")) == "decode") {
      if (family != "gpt2") {
        std::fprintf(stderr, "fwtax-run-torch: decode steps are written for gpt2, not '%s'\n", family.c_str());
        return 2;
      }
      auto net = std::make_shared<Gpt2>(a);
      for (long batch : m["batches"].get<std::vector<long>>())
        for (long context : m["contexts"].get<std::vector<long>>()) {
          auto kv = std::make_shared<std::vector<std::pair<Tensor, Tensor>>>(net->cache(batch, context));
          Tensor ids = torch::randint(0, vocab, {batch, 1}, torch::kLong);
          Tensor input_ids = torch::randint(0, vocab, {batch, context}, torch::kLong);
          Tensor mask = torch::ones({batch, context}, torch::kLong);
          Json r = {{"model", m["name"]}, {"arch", a}, {"mode", "libtorch"}, {"dtype", "fp32"}, {"batch", batch},
                    {"image", nullptr}, {"phase", "decode"}, {"seq", 1}, {"context", context}};
          configs.push_back({r, [net, kv, ids, input_ids, mask] { net->decode(ids, *kv, input_ids, mask); }, {}, {}});
        }
      continue;
    }
    for (long batch : m["batches"].get<std::vector<long>>())
      for (long size : m["sizes"].get<std::vector<long>>()) {
        Tensor input;
        if (family == "mlp")
          input = torch::randn({batch, get(a, "input", 1024)});
        else if (tokens)
          input = torch::randint(0, vocab, {batch, size}, torch::kLong);
        else
          input = torch::randn({batch, 3, size, size});
        Json r = {{"model", m["name"]}, {"arch", a}, {"mode", "libtorch"}, {"dtype", "fp32"}, {"batch", batch}};
        r["seq"] = tokens && family != "mlp" ? Json(size) : Json(nullptr);
        r["image"] = tokens ? Json(nullptr) : Json(size);
        if (family == "mlp") r["seq"] = 1;
        configs.push_back({r, [model, input] { model(input); }, {}, {}});
      }
  }
  for (auto& c : configs)
    for (int i = 0; i < 2; ++i) c.call();  // warm-up
  auto minor_faults = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
  };
  for (int p = 0; p < passes; ++p)
    for (auto& c : configs) {
      const long before = minor_faults();
      time_into(c.times, c.call, budget / passes, (min_iters + passes - 1) / passes,
                c.run.contains("phase") ? &c.cpu : nullptr);
      c.faults += minor_faults() - before;
    }
  Json runs = Json::array();
  for (auto& c : configs) {
    Timing t = summarize(c.times);
    // The input as validate's table names it: seq N, image N, or nothing (the MLP).
    const std::string input = !c.run["seq"].is_null()     ? "seq " + c.run["seq"].dump()
                              : !c.run["image"].is_null() ? "image " + c.run["image"].dump()
                                                          : "";
    std::fprintf(stderr, "  %-14s batch %-4lld %-10s %9.3f ms\n", c.run["model"].get<std::string>().c_str(),
                 c.run["batch"].get<long long>(), input.c_str(), t.median * 1e3);
    Json r = c.run;
    if (!c.cpu.empty()) {  // decode steps: the thread's CPU time compared, the wall clock kept beside it
      Timing cpu = summarize(c.cpu);
      r.update(Json{{"median_s", cpu.median}, {"min_s", cpu.min}, {"p90_s", cpu.p90}, {"iters", cpu.iters},
                    {"wall_median_s", t.median}, {"wall_min_s", t.min}, {"wall_p90_s", t.p90}});
    } else {
      r.update(Json{{"median_s", t.median}, {"min_s", t.min}, {"p90_s", t.p90}, {"iters", t.iters}});
    }
    r["page_faults_per_call"] = static_cast<double>(c.faults) / t.iters;
    runs.push_back(r);
  }
  Json out = {{"schema", "fwtax.runs/1"},
              {"env", probe::machine_env(TORCH_VERSION, torch::get_num_threads())},
              {"timing", "two warm-up calls per configuration, then " + std::to_string(passes) +
                             " interleaved passes over all configurations, each making synchronized calls of each "
                             "for its share of budget_s (at least its share of min_iters); median_s, min_s and p90_s "
                             "of all those calls"},
              {"allocator", allocator_said},
              {"runs", runs}};
  std::cout << out.dump(1) << std::endl;
  return 0;
}
