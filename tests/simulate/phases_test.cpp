// LLM phases: prefill, one decode step over a KV cache, and generate (prefill plus decode steps), and
// the memory a configuration needs against the device's.
#include <doctest/doctest.h>

#include "simulate/sweep.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

ResultRow one(const std::string& model, const std::string& framework, const std::string& phase, long long context,
              long long batch = 1, long long seq = 1, long long new_tokens = 0) {
  SweepRequest q;
  q.models = {model};
  q.frameworks = {framework};
  q.dtypes = {DType::fp16};
  q.batches = {batch};
  q.seqs = {seq};
  q.phase = phase;
  q.contexts = {context};
  q.new_tokens = new_tokens;
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 1);
  return rows.front();
}

}  // namespace

TEST_CASE("a decode step at context 4096 moves more bytes than at 128 by the KV cache it reads and copies") {
  // llama2-7b: 32 layers, 32 key/value heads of 128 in fp16. Per layer and token of context: SDPA
  // reads K and V once; HF's DynamicCache concatenates each onto the cache (read and write again).
  const double per_token = 32 * 32 * 128 * 2.0;  // bytes of K (or V) per token, all layers
  const double more = 4096 - 128;
  ResultRow short_ctx = one("llama2-7b", "pytorch-eager", "decode", 128), long_ctx = one("llama2-7b", "pytorch-eager", "decode", 4095);
  CHECK(long_ctx.sim.bytes - short_ctx.sim.bytes == doctest::Approx(per_token * (more - 1) * (2 + 2 * 2)).epsilon(0.01));
  CHECK(long_ctx.sim.gpu_busy_s > short_ctx.sim.gpu_busy_s);  // hidden behind the host at batch 1 in eager
  // A static cache replayed from a CUDA graph writes new tokens in place: only SDPA's reads grow.
  ResultRow g_short = one("llama2-7b", "cuda-graphs", "decode", 128), g_long = one("llama2-7b", "cuda-graphs", "decode", 4095);
  CHECK(g_long.sim.bytes - g_short.sim.bytes == doctest::Approx(per_token * (more - 1) * 2).epsilon(0.01));
  CHECK(g_long.sim.latency_s > g_short.sim.latency_s);
  // One step reads every weight once (and the untied LM head): GPU-bound by memory in a graph.
  CHECK(g_short.sim.bytes > 6.6e9 * 2);
  CHECK(g_short.sim.bound == Regime::memory);
  CHECK(short_ctx.sim.bound == Regime::framework);  // HF's eager step: the host feeds ~1000 small ops
  CHECK(short_ctx.tokens_per_s == doctest::Approx(1 / short_ctx.sim.latency_s));
}

TEST_CASE("a decode step ends with the LM head, greedy sampling and generate's end-of-sequence read back") {
  SweepRequest q;
  q.models = {"gpt2"};
  q.phase = "decode";
  q.contexts = {64};
  q.batches = {2};
  q.breakdown = true;
  auto rows = run_sweep(q, Catalog::builtin());
  REQUIRE(rows.size() == 1);
  const auto& ops = rows.front().breakdown;
  REQUIRE(ops.size() > 4);
  bool head = false;
  for (const auto& o : ops) head |= o.name.find("aten::linear [lm_head]") == 0 || o.name == "aten::linear";
  CHECK(head);
  // The host waits for the GPU every token; then generate's loop runs its Python (no op of the model's).
  REQUIRE(ops.size() >= 2);
  CHECK(ops[ops.size() - 2].name.find("aten::is_nonzero") == 0);
  CHECK(ops.back().op_class == "module_generate_step");
}

TEST_CASE("a prefill starts with generate()'s own setup, once; a decode step and a forward have none") {
  for (const char* model : {"gpt2", "tinyllama"}) {
    CAPTURE(model);
    for (const char* phase : {"prefill", "decode", "forward"}) {
      CAPTURE(phase);
      SweepRequest q;
      q.models = {model};
      q.phase = phase;
      q.contexts = {std::string(phase) == "decode" ? 64LL : 0LL};
      q.breakdown = true;
      auto rows = run_sweep(q, Catalog::builtin());
      REQUIRE(rows.size() == 1);
      std::size_t setups = 0;
      double host = 0;
      for (const auto& t : breakdown_by_class(rows.front().breakdown))
        if (t.key == "module_generate") setups += t.ops, host += t.host_s;
      CHECK(setups == (std::string(phase) == "prefill" ? 1u : 0u));
      // Priced at the reference host's: kGenerateSetupLeafUnits leaf module calls.
      const FrameworkSpec& f = Catalog::builtin().framework("pytorch-eager");
      if (setups)
        CHECK(host == test::approx(f.op_host_s[static_cast<int>(OpClass::module_generate)] * rows.front().host_factor *
                                   rows.front().python_factor));
    }
  }
}

TEST_CASE("generate is the prefill and one decode step per further token, the steps over a growing cache") {
  ResultRow gen = one("gpt2", "pytorch-eager", "generate", 0, 1, 64, 100);
  ResultRow prefill = one("gpt2", "pytorch-eager", "prefill", 0, 1, 64);
  ResultRow first = one("gpt2", "pytorch-eager", "decode", 64), last = one("gpt2", "pytorch-eager", "decode", 64 + 98);
  CHECK(gen.ttft_s == test::approx(prefill.sim.latency_s));
  CHECK(gen.sim.latency_s == doctest::Approx(gen.ttft_s + 99 * gen.tpot_s));
  CHECK(gen.tpot_s >= first.sim.latency_s * (1 - 1e-9));
  CHECK(gen.tpot_s <= last.sim.latency_s * (1 + 1e-9));
  CHECK(gen.tokens_per_s == doctest::Approx(100 / gen.sim.latency_s));
  CHECK(gen.latency_low_s < gen.sim.latency_s);
  CHECK(gen.latency_high_s > gen.sim.latency_s);
  // The host's waits add up over the call: the prefill's and every step's (each reads its token back).
  CHECK(prefill.sim.host_waits >= 1);
  CHECK(gen.sim.host_waits == prefill.sim.host_waits + 99 * first.sim.host_waits);
  CHECK(gen.sim.host_wait_s > prefill.sim.host_wait_s + 98 * first.sim.host_wait_s);
}

TEST_CASE("a configuration larger than the device's memory is marked, and is never a crossover") {
  SweepRequest q;
  q.models = {"llama2-7b"};
  q.devices = {"1080ti"};
  q.batches = {64};
  q.seqs = {4096};
  auto big = run_sweep(q, Catalog::builtin()).front();
  CHECK(big.memory_bytes > 6.7e9 * 4);  // the weights alone in fp32
  CHECK_FALSE(big.fits);
  q.devices = {"h100"};
  q.batches = {1};
  q.seqs = {16};
  q.dtypes = {DType::fp16};
  CHECK(run_sweep(q, Catalog::builtin()).front().fits);
  // A GPU-bound batch that does not fit is not where the model leaves the framework-bound regime.
  std::vector<ResultRow> rows(2);
  rows[0].batch = 1;
  rows[0].sim.bound = Regime::framework;
  rows[1].batch = 64;
  rows[1].sim.bound = Regime::compute;
  rows[1].fits = false;
  mark_crossovers(rows);
  CHECK_FALSE(rows[0].crossover_batch.has_value());
}

TEST_CASE("phases are for causal LMs, a context for decode and new tokens for generate") {
  CHECK_THROWS_AS(one("bert-base", "pytorch-eager", "decode", 16), InputError);
  CHECK_THROWS_AS(one("gpt2", "pytorch-eager", "prefill", 16, 1, 8), InputError);   // a context without decode
  CHECK_THROWS_AS(one("gpt2", "pytorch-eager", "generate", 0, 1, 8, 0), InputError);  // no new tokens
  CHECK_THROWS_AS(one("gpt2", "pytorch-eager", "forward", 0, 1, 8, 5), InputError);
  CHECK_THROWS_AS(one("gpt2", "pytorch-eager", "decode", 1024), InputError);  // past GPT-2's 1024 positions
  CHECK_THROWS_AS(one("gpt2", "pytorch-eager", "sample", 0), InputError);
}

TEST_CASE("the datasheet GPUs that serve LLMs: a graph-replayed decode step is paced by each one's memory bandwidth") {
  // llama2-7b in fp16, one static-cache step: ~13.5 GB of weights read once, whatever the GPU.
  const Catalog& cat = Catalog::builtin();
  for (const char* name : {"a100-80gb", "h100-pcie", "l4", "l40s", "a10g", "rtx4090"}) {
    CAPTURE(name);
    DeviceSpec d = cat.device(name);
    REQUIRE(d.memory_bandwidth_bytes_per_s > 0);
    REQUIRE(d.memory_capacity_bytes > 0);
    SweepRequest q;
    q.models = {"llama2-7b"};
    q.devices = {name};
    q.frameworks = {"cuda-graphs"};
    q.dtypes = {DType::fp16};
    q.phase = "decode";
    q.contexts = {1024};
    q.batches = {1, 8};
    auto rows = run_sweep(q, cat);
    REQUIRE(rows.size() == 2);
    const ResultRow& step = rows[0];
    CHECK(step.sim.bound == Regime::memory);
    CHECK(step.fits);  // 13.5 GB of weights fit in 24 GB and more
    // No faster than the bandwidth allows, and not far off it (efficiency curves are the H100's, rescaled).
    const double floor_s = step.sim.bytes / d.memory_bandwidth_bytes_per_s;
    CHECK(step.sim.latency_s >= floor_s);
    CHECK(step.sim.latency_s < 1.6 * floor_s);
    // Batch 8 reads the same weights: nearly free next to batch 1 on every one of them.
    CHECK(rows[1].sim.latency_s < 1.3 * step.sim.latency_s);
  }
  // 8 sequences of 4096 tokens: 17 GB of cache on top of the weights fits an 80 GB A100, not a 24 GB L4.
  SweepRequest q;
  q.models = {"llama2-7b"};
  q.dtypes = {DType::fp16};
  q.phase = "decode";
  q.contexts = {4095};
  q.batches = {8};
  q.devices = {"a100-80gb", "l4"};
  auto rows = run_sweep(q, cat);
  REQUIRE(rows.size() == 2);
  for (const auto& r : rows) CHECK(r.memory_bytes > 13.4e9 + 8.0 * 4096 * 32 * 2 * 4096 * 2.0);
  CHECK(rows[0].device == "a100-80gb");
  CHECK(rows[0].fits);
  CHECK_FALSE(rows[1].fits);
}

TEST_CASE("a static-cache step attends over the cache's whole length and copies no cache") {
  // llama2-7b: 32 layers, 32 key/value heads of 128 in fp16: bytes of K (or V) per cached token.
  const double per_token = 32 * 32 * 128 * 2.0;
  auto step = [](long long context, long long cache_len) {
    SweepRequest q;
    q.models = {"llama2-7b"};
    q.dtypes = {DType::fp16};
    q.phase = "decode";
    q.contexts = {context};
    q.cache = KvCache::static_cache;
    q.cache_len = cache_len;
    auto rows = run_sweep(q, Catalog::builtin());
    REQUIRE(rows.size() == 1);
    return rows.front();
  };
  // The same cache, filled to 128 or 2047 tokens: SDPA reads all 4096 either way, index_copy_ writes one.
  ResultRow a = step(128, 4096), b = step(2047, 4096);
  CHECK(b.sim.bytes == doctest::Approx(a.sim.bytes).epsilon(1e-6));
  // A longer cache at the same context: SDPA's K and V reads grow by the extra length.
  ResultRow c = step(128, 8192);
  CHECK(c.sim.bytes - a.sim.bytes == doctest::Approx(per_token * 4096 * 2).epsilon(0.02));
  // The dynamic cache's step at 2047 copies its cache (torch.cat) and reads only what it holds.
  ResultRow d = one("llama2-7b", "pytorch-eager", "decode", 2047);
  CHECK(d.sim.bytes - b.sim.bytes == doctest::Approx(per_token * (2048 * (2 + 2 * 2) - 4096 * 2)).epsilon(0.02));
  // The static cache's memory is its whole length, whatever the context.
  CHECK(a.memory_bytes == doctest::Approx(b.memory_bytes).epsilon(1e-3));
}

TEST_CASE("a static cache too short for the call is an input error naming --cache-len") {
  SweepRequest q;
  q.models = {"tinyllama"};
  q.phase = "decode";
  q.contexts = {100};
  q.cache = KvCache::static_cache;
  q.cache_len = 50;
  CHECK_THROWS_WITH(run_sweep(q, Catalog::builtin()), doctest::Contains("--cache-len"));
}

TEST_CASE("on a GPU, HF generate's static-cache decode step replays its compiled forward and samples eagerly") {
  // transformers 5.x compiles the decode step's forward (Inductor, reduce-overhead) when the cache is
  // static and the device a GPU; generate's loop after the logits stays eager Python.
  const std::string cpu = std::string(FWTAX_SOURCE_DIR) + "/data/measured/cpu-llm-2026-12/cpu-profile-python.json";
  auto step = [](const std::string& device, const std::string& framework, KvCache cache) {
    SweepRequest q;
    q.models = {"tinyllama"};
    q.devices = {device};
    q.frameworks = {framework};
    q.dtypes = {DType::fp32};
    q.phase = "decode";
    q.contexts = {512};
    q.cache = cache;
    q.breakdown = true;
    SweepExtras extras;
    auto rows = run_sweep(q, Catalog::builtin(), &extras);
    REQUIRE(rows.size() == 1);
    return std::make_pair(rows.front(), extras.warnings);
  };
  auto [eager, quiet] = step("h100", "pytorch-eager", KvCache::dynamic);
  auto [compiled, note] = step("h100", "pytorch-eager", KvCache::static_cache);
  auto [ro, ro_note] = step("h100", "torch-compile-reduce-overhead", KvCache::static_cache);
  CHECK(quiet.empty());
  REQUIRE(note.size() == 1);
  CHECK(note.front().find("torch-compile-reduce-overhead") != std::string::npos);
  // The eager step is bound by ~1000 Python-dispatched ops; the compiled one by the GPU.
  CHECK(eager.sim.bound == Regime::framework);
  CHECK(compiled.sim.bound != Regime::framework);
  CHECK(compiled.sim.latency_s < eager.sim.latency_s / 4);
  // The forward's kernels are the compiled mode's; only the sampling loop's ops are dispatched one by
  // one (the compiled call is one more host span), so the host does more than under the compiled mode
  // alone and far less than eagerly.
  std::size_t eager_ops = 0;
  for (const auto& op : compiled.breakdown) eager_ops += op.host_s > 0 ? 1 : 0;
  CHECK(eager_ops >= 8);
  CHECK(eager_ops <= 16);
  CHECK(compiled.sim.host_busy_s > ro.sim.host_busy_s);
  CHECK(compiled.sim.host_busy_s < eager.sim.host_busy_s / 20);
  CHECK(compiled.sim.gpu_busy_s == doctest::Approx(ro.sim.gpu_busy_s).epsilon(0.05));
  // On a CPU generate does not compile: the static step stays eager, as slow as the dynamic one or slower.
  auto [cpu_dynamic, cpu_quiet] = step(cpu, "pytorch-eager", KvCache::dynamic);
  auto [cpu_static, cpu_note] = step(cpu, "pytorch-eager", KvCache::static_cache);
  CHECK(cpu_note.empty());
  CHECK(cpu_static.sim.latency_s > 0.9 * cpu_dynamic.sim.latency_s);
}

TEST_CASE("a generate call's regime is the whole call's: its decode steps, not its prefill, decide it") {
  // Llama-2-7B fp16 on the H100, 128-token prompt, 64 tokens: the eager prefill is host-bound; with a
  // static cache generate's compiled steps are GPU-bound, and they are most of the call. (TinyLlama's
  // compiled steps, 1.8 ms of GPU work each, are as long as generate's loop around them on this host.)
  auto call = [](KvCache cache) {
    SweepRequest q;
    q.models = {"llama2-7b"};
    q.devices = {"h100"};
    q.dtypes = {DType::fp16};
    q.phase = "generate";
    q.seqs = {128};
    q.new_tokens = 64;
    q.cache = cache;
    auto rows = run_sweep(q, Catalog::builtin());
    REQUIRE(rows.size() == 1);
    return rows.front();
  };
  ResultRow compiled = call(KvCache::static_cache), eager = call(KvCache::dynamic);
  CHECK(compiled.sim.host_busy_s < compiled.sim.gpu_busy_s);
  CHECK(compiled.sim.bound != Regime::framework);
  CHECK(eager.sim.host_busy_s > eager.sim.gpu_busy_s);
  CHECK(eager.sim.bound == Regime::framework);
}
