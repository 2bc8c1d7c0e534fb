#include "validate/runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "model/error.hpp"

namespace fwtax {

Json cpu_run_plan(bool quick) {
  Json bert = {{"name", "bert-mini"}, {"family", "bert"},   {"hidden", 256},     {"layers", 4},
               {"heads", 4},          {"intermediate", 1024}, {"vocab", 1000},   {"max_position", 512}};
  // GPT-2's activation is gelu_new, which fwtax-run-torch writes out as HF does (eight elementwise ops).
  Json gpt2 = {{"name", "gpt2-mini"}, {"family", "gpt2"},   {"hidden", 256},     {"layers", 4},
               {"heads", 4},          {"intermediate", 1024}, {"vocab", 1000},   {"max_position", 512},
               {"activation", "gelu_new"}};
  Json resnet = {{"name", "resnet18"}, {"family", "resnet"}, {"blocks", {2, 2, 2, 2}}, {"bottleneck", false}};
  Json mobilenet = {{"name", "mobilenet-v2"}, {"like", "mobilenet-v2"}};
  Json mlp = {{"name", "mlp-8x1024"}, {"family", "mlp"}, {"layers", 8}, {"hidden", 1024}, {"input", 1024}};
  std::vector<int> tok_b = quick ? std::vector<int>{1, 8} : std::vector<int>{1, 4, 16};
  std::vector<int> seqs = quick ? std::vector<int>{32, 128} : std::vector<int>{16, 64, 128, 256};
  std::vector<int> img_b = quick ? std::vector<int>{1, 4} : std::vector<int>{1, 2, 8};
  auto entry = [](const Json& a, std::vector<int> batches, std::vector<int> sizes) {
    return Json{{"name", a["name"]}, {"arch", a}, {"batches", batches}, {"sizes", sizes}};
  };
  Json models = Json::array();
  models.push_back(entry(bert, tok_b, seqs));
  models.push_back(entry(gpt2, tok_b, seqs));
  models.push_back(entry(resnet, img_b, quick ? std::vector<int>{64, 112} : std::vector<int>{64, 112, 160}));
  models.push_back(entry(mobilenet, img_b, quick ? std::vector<int>{96} : std::vector<int>{96, 160}));
  models.push_back(entry(mlp, quick ? std::vector<int>{1, 16, 256} : std::vector<int>{1, 4, 16, 64, 256, 1024}, {1}));
  return {{"budget_s", quick ? 0.25 : 0.6}, {"min_iters", quick ? 6 : 9}, {"passes", quick ? 3 : 5}, {"models", models}};
}

Json run_cpu_plan(const Json& plan, bool progress) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path exe = (ec ? std::filesystem::current_path() : self.parent_path()) / "fwtax-run-torch";
  if (!std::filesystem::exists(exe))
    throw InputError("--run cpu", "", "this fwtax was built without libtorch (fwtax-run-torch is missing next to fwtax): "
                                      "install libtorch-dev and libopenblas0-pthread and rebuild (./setup.sh)");
  std::filesystem::path plan_file = std::filesystem::temp_directory_path() / ("fwtax-plan-" + std::to_string(getpid()) + ".json");
  {
    std::ofstream f(plan_file);
    f << plan.dump();
  }
  std::string cmd = exe.string() + " < " + plan_file.string() + (progress ? "" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot start " + exe.string());
  std::string out;
  char buf[1 << 14];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  std::filesystem::remove(plan_file, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("fwtax-run-torch failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
  return parse_json(out, "fwtax-run-torch output");
}

Json cpu_plan_round(const Json& plan, int rounds) {
  Json r = plan;
  rounds = std::max(1, rounds);
  r["passes"] = 1;
  r["budget_s"] = plan.value("budget_s", 0.5) / rounds;
  r["min_iters"] = std::max(1, (plan.value("min_iters", 5) + rounds - 1) / rounds);
  return r;
}

namespace {

Json merge_value(const std::vector<const Json*>& v, const std::string& key, const std::string& where) {
  const Json& first = *v.front();
  if (first.is_object()) {
    // A measurement (a probe's stats, a run): the fastest round's, whole, so that its median, range,
    // percentiles and counts stay one round's and agree with each other.
    if (first.contains("median_s") && first["median_s"].is_number()) {
      const Json* best = nullptr;
      for (const Json* j : v) {
        if (!j->is_object() || !j->contains("median_s") || !(*j)["median_s"].is_number())
          throw std::runtime_error("rounds differ at " + where + "/median_s: missing in one");
        if (!best || (*j)["median_s"].get<double>() < (*best)["median_s"].get<double>()) best = j;
      }
      return *best;
    }
    Json out = Json::object();
    for (const auto& [k, x] : first.items()) {
      std::vector<const Json*> each;
      for (const Json* j : v) {
        if (!j->is_object() || !j->contains(k)) throw std::runtime_error("rounds differ at " + where + "/" + k + ": missing in one");
        each.push_back(&(*j)[k]);
      }
      out[k] = merge_value(each, k, where + "/" + k);
    }
    return out;
  }
  if (first.is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < first.size(); ++i) {
      std::vector<const Json*> each;
      for (const Json* j : v) {
        if (!j->is_array() || j->size() != first.size())
          throw std::runtime_error("rounds differ at " + where + ": arrays of different lengths");
        each.push_back(&(*j)[i]);
      }
      out.push_back(merge_value(each, key, where + "/" + std::to_string(i)));
    }
    return out;
  }
  if (first.is_number()) {
    std::vector<double> x;
    for (const Json* j : v) {
      if (!j->is_number()) throw std::runtime_error("rounds differ at " + where + ": a number in one, not in another");
      x.push_back(j->get<double>());
    }
    const bool integral = first.is_number_integer();
    if (key == "elapsed_s") {  // a probe's run time: the rounds' together
      double sum = 0;
      for (double d : x) sum += d;
      return integral ? Json(static_cast<long long>(sum)) : Json(sum);
    }
    // Identical in every round (a batch, a size): kept as it is, integer or not.
    if (std::all_of(x.begin(), x.end(), [&](double d) { return d == x.front(); })) return first;
    std::sort(x.begin(), x.end());
    const std::size_t n = x.size();
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  }
  return first;  // strings, booleans, null: the first round's (a date, a description)
}

}  // namespace

Json merge_rounds(const std::vector<Json>& rounds) {
  if (rounds.empty()) throw std::runtime_error("merge_rounds: no rounds");
  std::vector<const Json*> v;
  for (const auto& r : rounds) v.push_back(&r);
  return merge_value(v, "", "");
}

}  // namespace fwtax
