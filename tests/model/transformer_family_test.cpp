#include <doctest/doctest.h>

#include <set>

#include "model/arch/architecture.hpp"
#include "model/arch/transformer_family.hpp"
#include "model/catalog.hpp"

using namespace fwtax;

TEST_CASE("every registered transformer family builds, counts its weights and reads its config.json classes") {
  std::set<std::string> names, model_types;
  const Catalog& c = Catalog::builtin();
  Backend backend = make_backend(c.device("h100"), c.framework("pytorch-eager"));
  for (const TransformerFamily* f : transformer_family_table()) {
    CAPTURE(f->name);
    REQUIRE(static_cast<bool>(f->build));
    REQUIRE(static_cast<bool>(f->params));
    CHECK(names.insert(f->name).second);
    for (const HfConfigClass& k : f->hf_classes) {
      CAPTURE(k.model_type);
      CHECK(model_types.insert(k.model_type).second);  // one family reads each model_type
      // A config.json that says nothing but its model_type is that class's default model.
      Diagnostics diag("config.json");
      TransformerConfig t = read_hf_config(Json{{"model_type", k.model_type}}, diag);
      CHECK(diag.empty());
      CHECK(t.family == f->name);
      Architecture a = make_architecture(k.model_type, "", t);
      CHECK(a.params > 0);
      WorkloadConfig wc;
      wc.batch = 1;
      (a.input == InputKind::tokens ? wc.seq : wc.image) = a.input == InputKind::tokens ? 8 : 32;
      Workload w = build_workload(a, wc, backend);
      CHECK(w.framework_op_count() > 0);
      CHECK(w.total_flops() > 0);
    }
  }
  CHECK(names.size() == transformer_families().size());
}

TEST_CASE("an unregistered family is an input error, not another family's model") {
  TransformerConfig t;
  t.family = "nosuch";
  CHECK(find_transformer_family("nosuch") == nullptr);
  CHECK_THROWS_AS(transformer_params(t), InputError);
  Diagnostics diag("arch.json");
  validate_transformer(t, diag, "/");
  REQUIRE(!diag.empty());
  CHECK(diag.items().back().message.find("unknown transformer family 'nosuch'") != std::string::npos);
}

TEST_CASE("only causal LM families take the LLM phases, and only they have an LM head") {
  for (const TransformerFamily* f : transformer_family_table()) {
    CAPTURE(f->name);
    TransformerConfig t;
    t.family = f->name;
    Architecture a = make_architecture("m", "", t);
    WorkloadConfig wc;
    wc.phase = Phase::prefill;
    wc.seq = 8;
    const Catalog& c = Catalog::builtin();
    Backend backend = make_backend(c.device("h100"), c.framework("pytorch-eager"));
    if (f->causal_lm())
      CHECK_NOTHROW(build_workload(a, wc, backend));
    else
      CHECK_THROWS_AS(build_workload(a, wc, backend), InputError);
  }
}
