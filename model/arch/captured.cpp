// Captured workloads (fwtax.capture): reading the file and replaying its calls through the Builder.
#include "model/arch/captured.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "model/arch/architecture.hpp"
#include "model/error.hpp"
#include "model/trace.hpp"

namespace fwtax {
namespace {

constexpr long long kMaxDim = 1LL << 40;

CapturedTensor read_tensor(const Json& j, const std::string& at, Diagnostics& diag) {
  CapturedTensor t;
  ObjectReader r(j, at, diag);
  r.allow({"dtype"});
  auto ints = [&](const char* key, std::vector<long long>& out, bool required, long long lo) {
    const Json* a = r.array(key, required);
    if (!a) return;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const Json& v = (*a)[i];
      if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > kMaxDim)
        diag.add(at + "/" + key + "/" + std::to_string(i),
                 "expected an integer in [" + std::to_string(lo) + ", 2^40], got " + describe(v));
      else
        out.push_back(v.get<long long>());
    }
  };
  ints("shape", t.shape, true, 0);
  ints("per_batch", t.per_batch, false, -kMaxDim);
  if (t.per_batch.empty()) t.per_batch.assign(t.shape.size(), 0);
  else if (t.per_batch.size() != t.shape.size())
    diag.add(at + "/per_batch", "expected one entry per dimension of \"shape\" (" + std::to_string(t.shape.size()) +
                                    "), got " + std::to_string(t.per_batch.size()));
  t.param = r.boolean_or("param", false);
  r.finish();
  return t;
}

bool is_tensor(const Json& v) { return v.is_object() && v.contains("shape"); }

CapturedArg read_arg(const Json& v, const std::string& at, Diagnostics& diag) {
  CapturedArg a;
  a.present = !v.is_null();
  auto one = [&](const Json& x, const std::string& where) {
    if (is_tensor(x)) a.tensors.push_back(read_tensor(x, where, diag));
    else if (x.is_number() || x.is_boolean()) a.numbers.push_back(x.is_boolean() ? x.get<bool>() : x.get<double>());
    else if (x.is_string()) a.text = x.get<std::string>();
    else if (!x.is_null())
      diag.add(where, "expected a tensor ({\"shape\": [...]}), a number, a string or null, got " + describe(x));
  };
  if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) one(v[i], at + "/" + std::to_string(i));
  else
    one(v, at);
  return a;
}

std::vector<CapturedTensor> read_tensors(const Json* a, const std::string& at, Diagnostics& diag) {
  std::vector<CapturedTensor> out;
  if (!a) return out;
  for (std::size_t i = 0; i < a->size(); ++i) out.push_back(read_tensor((*a)[i], at + "/" + std::to_string(i), diag));
  return out;
}

CapturedEvent read_event(const Json& e, const std::string& at, Diagnostics& diag) {
  CapturedEvent ev;
  ObjectReader r(e, at, diag);
  if (!r.ok()) return ev;
  if (r.has("module")) {
    ev.kind = CapturedEvent::Kind::module;
    ev.name = r.string("module");
    ev.type = r.string_or("type", "");
    ev.leaf = r.boolean_or("leaf", false);
  } else if (r.has("end")) {
    ev.kind = CapturedEvent::Kind::end;
    ev.name = r.string("end");
  } else if (r.has("op")) {
    ev.kind = CapturedEvent::Kind::call;
    ev.name = r.string("op");
    ev.python = r.boolean_or("python", false);
    if (const Json* args = r.array("args", false))
      for (std::size_t i = 0; i < args->size(); ++i)
        ev.args.push_back(read_arg((*args)[i], at + "/args/" + std::to_string(i), diag));
    if (const Json* kw = r.object("kwargs", false))
      for (const auto& [k, v] : kw->items()) ev.kwargs.emplace_back(k, read_arg(v, pointer_join(at + "/kwargs", k), diag));
    ev.outputs = read_tensors(r.array("outputs", false), at + "/outputs", diag);
    if (const Json* aten = r.array("aten", true))
      for (std::size_t i = 0; i < aten->size(); ++i) {
        std::string where = at + "/aten/" + std::to_string(i);
        ObjectReader q((*aten)[i], where, diag);
        if (!q.ok()) continue;
        CapturedAten op;
        op.name = q.string("name");
        op.inputs = read_tensors(q.array("inputs", false), where + "/inputs", diag);
        q.finish();
        ev.aten.push_back(std::move(op));
      }
  } else {
    diag.add(at, "expected an event with \"module\" (a module call), \"end\" (its return) or \"op\" (a torch call)");
    return ev;
  }
  r.finish();
  return ev;
}

// --- replay --------------------------------------------------------------------------------------

double numel(const std::vector<double>& d) {
  return std::accumulate(d.begin(), d.end(), 1.0, [](double a, double b) { return a * b; });
}

// The calls of one forward at one batch size, emitted through the Builder.
class Replay {
 public:
  Replay(Builder& b, const Capture& c, long long batch) : b_(b), c_(c), batch_(batch) {}

  void run() {
    std::vector<const CapturedEvent*> open;  // module calls not yet returned
    for (const CapturedEvent& e : c_.events) {
      switch (e.kind) {
        case CapturedEvent::Kind::module:
          b_.module(e.leaf ? OpClass::module_leaf : OpClass::module_block, e.name);
          open.push_back(&e);
          break;
        case CapturedEvent::Kind::end: {
          bool container = !open.empty() && !open.back()->leaf;
          if (!open.empty()) open.pop_back();
          if (container)
            for (auto it = open.rbegin(); it != open.rend(); ++it)
              if (!(*it)->leaf) {
                b_.resume((*it)->name);
                break;
              }
          break;
        }
        case CapturedEvent::Kind::call:
          call(e);
          break;
      }
    }
  }

 private:
  std::vector<double> shape(const CapturedTensor& t) const { return t.at(batch_, c_.batch); }
  const CapturedTensor* tensor(const CapturedEvent& e, std::size_t i, const char* key = nullptr) const {
    const CapturedArg* a = arg(e, i, key);
    return a && !a->tensors.empty() ? &a->tensors.front() : nullptr;
  }
  // Positional argument i, or the keyword argument `key`.
  static const CapturedArg* arg(const CapturedEvent& e, std::size_t i, const char* key) {
    if (i < e.args.size()) return &e.args[i];
    if (key)
      for (const auto& [k, v] : e.kwargs)
        if (k == key) return &v;
    return nullptr;
  }
  static double number(const CapturedEvent& e, std::size_t i, const char* key, double fallback, std::size_t which = 0) {
    const CapturedArg* a = arg(e, i, key);
    if (!a || a->numbers.empty()) return fallback;
    return a->numbers[std::min(which, a->numbers.size() - 1)];
  }
  double out_elems(const CapturedEvent& e) const {
    if (!e.outputs.empty()) return numel(shape(e.outputs.front()));
    return largest_input(e.args);
  }
  double largest_input(const std::vector<CapturedArg>& args) const {
    double n = 0;
    for (const auto& a : args)
      for (const auto& t : a.tensors) n = std::max(n, numel(shape(t)));
    return n;
  }
  int tensor_inputs(const CapturedEvent& e) const {
    int n = 0;
    for (const auto& a : e.args) n += static_cast<int>(a.tensors.size());
    return std::max(1, n);
  }

  void call(const CapturedEvent& e) {
    bool known = false;
    OpClass cls = classify_aten_op(e.name, &known);
    if (!known && e.python && !e.aten.empty()) {  // Python code fwtax has no op for: its aten ops
      for (const CapturedAten& a : e.aten) aten_op(a);
      return;
    }
    const std::string& n = e.name;
    const CapturedTensor* x = tensor(e, 0, "input");
    std::vector<double> xs = x ? shape(*x) : std::vector<double>{};
    switch (cls) {
      case OpClass::linear:
        if (const CapturedTensor* w = tensor(e, 1, "weight"); x && w && w->shape.size() == 2 && !xs.empty()) {
          double in = static_cast<double>(w->shape[1]);
          b_.linear(numel(xs) / std::max(1.0, in), in, static_cast<double>(w->shape[0]), tensor(e, 2, "bias") != nullptr);
          return;
        }
        break;
      case OpClass::matmul:
        if (matmul(n, e)) return;
        break;
      case OpClass::conv:
        if (conv(e, xs)) return;
        break;
      case OpClass::batch_norm:
        if (xs.size() >= 2) {
          b_.batch_norm(xs[0], xs[1], xs.size() > 2 ? xs[2] : 1, xs.size() > 3 ? numel({xs.begin() + 3, xs.end()}) : 1);
          return;
        }
        break;
      case OpClass::layer_norm:
        if (!xs.empty()) {
          double cols = xs.back();
          if (const CapturedArg* ns = arg(e, 1, "normalized_shape"); n == "aten::layer_norm" && ns && !ns->numbers.empty())
            cols = std::accumulate(ns->numbers.begin(), ns->numbers.end(), 1.0, [](double a, double v) { return a * v; });
          if (n == "aten::group_norm" && xs.size() >= 2) cols = numel(xs) / xs[0] / std::max(1.0, number(e, 1, "num_groups", 1));
          b_.layer_norm(numel(xs) / std::max(1.0, cols), cols, n);
          return;
        }
        break;
      case OpClass::softmax:
        if (!xs.empty()) {
          double d = number(e, 1, "dim", -1);
          auto axis = static_cast<std::size_t>(d < 0 ? static_cast<double>(xs.size()) + d : d);
          double cols = xs[std::min(axis, xs.size() - 1)];
          b_.softmax(numel(xs) / std::max(1.0, cols), cols);
          return;
        }
        break;
      case OpClass::attention:
        if (const CapturedTensor* k = tensor(e, 1, "key"); x && k && xs.size() >= 3 && k->shape.size() == xs.size()) {
          std::vector<double> ks = shape(*k);
          bool four = xs.size() >= 4;
          double bsz = four ? numel({xs.begin(), xs.end() - 3}) : xs[0];
          double heads = four ? xs[xs.size() - 3] : 1, kv = four ? ks[ks.size() - 3] : 1;
          bool causal = number(e, 5, "is_causal", 0) != 0;
          b_.sdpa(bsz, heads, xs[xs.size() - 2], ks[ks.size() - 2], xs.back(), causal, kv);
          return;
        }
        break;
      case OpClass::embedding: {
        // F.embedding(indices, weight); aten::embedding(weight, indices).
        const CapturedTensor* w = tensor(e, 1, "weight");
        const CapturedTensor* idx = x;
        if (x && x->param) std::swap(w, idx);
        if (w && idx && w->shape.size() == 2) {
          b_.embedding(numel(shape(*idx)), static_cast<double>(w->shape[1]));
          return;
        }
        break;
      }
      case OpClass::pool:
        b_.pool(n, numel(xs), out_elems(e));
        return;
      case OpClass::reduction:
        b_.reduction(n, numel(xs), out_elems(e));
        return;
      case OpClass::copy:
        if (n == "aten::cat") b_.concat(out_elems(e));
        else if (n == "aten::contiguous") b_.strided_copy(n, out_elems(e));
        else b_.copy(n, out_elems(e));
        return;
      case OpClass::alloc:
        if (out_elems(e) > 0 && n != "aten::empty" && n != "aten::empty_like") b_.alloc_zeros(out_elems(e));
        else b_.alloc();
        return;
      case OpClass::view:
        if (n == "aten::dropout" || n == "aten::feature_dropout") b_.dropout(n);
        else b_.view(n);
        return;
      default:
        break;
    }
    // Elementwise and anything else that did work: one streaming pass over its output. A call whose
    // aten ops are all views (x[0], x.T) is a view.
    bool views_only = std::all_of(e.aten.begin(), e.aten.end(), [](const CapturedAten& a) {
      return classify_aten_op(a.name) == OpClass::view || a.name == "aten::_reshape_alias" || a.name == "aten::_unsafe_view";
    });
    if (views_only) {
      b_.view(n);
      return;
    }
    double elems = out_elems(e);
    bool broadcast = false;
    for (const auto& a : e.args)
      for (const auto& t : a.tensors) {
        double m = numel(shape(t));
        if (m > 1 && m < elems) broadcast = true;
      }
    if (broadcast) b_.broadcast_elementwise(n, elems, tensor_inputs(e));
    else b_.elementwise(n, elems, tensor_inputs(e));
  }

  bool matmul(const std::string& n, const CapturedEvent& e) {
    // addmm(bias, a, b), baddbmm(bias, a, b): the operands follow the bias.
    std::size_t first = n == "aten::addmm" || n == "aten::baddbmm" ? 1 : 0;
    const CapturedTensor* a = tensor(e, first, nullptr);
    const CapturedTensor* bt = tensor(e, first + 1, nullptr);
    if (!a || !bt || a->shape.size() < 2 || bt->shape.size() < 2) return false;
    std::vector<double> as = shape(*a), bs = shape(*bt);
    double m = as[as.size() - 2], k = as.back(), nn = bs.back();
    if (n == "aten::addmm") {
      b_.linear(m, k, nn, true);
      return true;
    }
    double batch = std::max(numel(as) / std::max(1.0, m * k), numel(bs) / std::max(1.0, k * nn));
    b_.matmul(batch, m, nn, k, n);
    return true;
  }

  bool conv(const CapturedEvent& e, const std::vector<double>& xs) {
    const CapturedTensor* w = tensor(e, 1, "weight");
    if (!w || xs.size() < 3 || w->shape.size() < 3) return false;
    const auto& ws = w->shape;
    bool two_d = xs.size() == 4 && ws.size() == 4;
    double h = two_d ? xs[2] : 1, wd = xs.back();
    double kh = two_d ? static_cast<double>(ws[2]) : 1, kw = static_cast<double>(ws.back());
    // Builder::conv2d takes one stride for both sides: a call with two different ones is timed at the first.
    double stride = number(e, 3, "stride", 1, 0);
    double pad_h = number(e, 4, "padding", 0, 0), pad_w = number(e, 4, "padding", 0, two_d ? 1 : 0);
    if (const CapturedArg* p = arg(e, 4, "padding"); p && p->text == "same") {
      pad_h = std::floor((kh - 1) / 2);
      pad_w = std::floor((kw - 1) / 2);
    }
    if (!two_d) pad_h = 0;
    double groups = number(e, 6, "groups", 1);
    b_.conv2d(xs[0], xs[1], h, wd, static_cast<double>(ws[0]), kh, kw, std::max(1.0, stride), pad_h, pad_w,
              std::max(1.0, groups), tensor(e, 2, "bias") != nullptr);
    return true;
  }

  // One aten op of a Python call fwtax has no op for (its inputs only: no outputs were recorded).
  void aten_op(const CapturedAten& a) {
    CapturedEvent e;
    e.kind = CapturedEvent::Kind::call;
    e.name = a.name.rfind("aten::native_", 0) == 0 ? "aten::" + a.name.substr(13) : a.name;
    if (e.name == "aten::_softmax") e.name = "aten::softmax";
    for (const auto& t : a.inputs) {
      CapturedArg arg;
      arg.present = true;
      arg.tensors.push_back(t);
      e.args.push_back(std::move(arg));
    }
    e.aten.push_back(a);
    call(e);
  }

  Builder& b_;
  const Capture& c_;
  long long batch_;
};

}  // namespace

std::vector<double> CapturedTensor::at(long long batch, long long captured) const {
  std::vector<double> d(shape.begin(), shape.end());
  if (batch == captured) return d;
  for (std::size_t i = 0; i < d.size() && i < per_batch.size(); ++i)
    d[i] = std::max(1.0, d[i] + static_cast<double>(per_batch[i]) * static_cast<double>(batch - captured));
  return d;
}

std::size_t Capture::aten_ops() const {
  std::size_t n = 0;
  for (const auto& e : events) n += e.aten.size();
  return n;
}

bool is_capture_json(const Json& j) {
  return j.is_object() && j.contains("format") && j["format"].is_string() && j["format"] == "fwtax-capture";
}

Capture parse_capture(const Json& j, const std::string& file) {
  Diagnostics diag(file);
  Capture c;
  ObjectReader r(j, "", diag);
  r.allow({"format", "dtype"});
  r.integer("version", 1, 1);  // the only version so far
  c.name = r.string("name");
  c.source = r.string_or("source", "fwtax.capture");
  c.params = r.number_or("params", NumberRule::non_negative, 0);
  if (const Json* in = r.object("input", true)) {
    ObjectReader q(*in, "/input", diag);
    c.input_kind = q.choice("kind", {"image", "tokens", "tensor"}, "tensor");
    c.batch = q.integer("batch", 1, kMaxDim, 1);
    c.size = q.integer_or("size", 0, kMaxDim, 0);
    q.finish();
    if (c.input_kind == "image" && c.size < 32) diag.add("/input/size", "expected an image side >= 32, got " + std::to_string(c.size));
    if (c.input_kind == "tokens" && c.size < 1) diag.add("/input/size", "expected a sequence length >= 1, got " + std::to_string(c.size));
  }
  if (const Json* ev = r.array("events", true)) {
    for (std::size_t i = 0; i < ev->size(); ++i) c.events.push_back(read_event((*ev)[i], "/events/" + std::to_string(i), diag));
    std::size_t calls = std::count_if(c.events.begin(), c.events.end(),
                                      [](const CapturedEvent& e) { return e.kind == CapturedEvent::Kind::call; });
    if (diag.empty() && calls == 0) diag.add("/events", "the capture holds no torch calls (\"op\" events)");
  }
  r.finish();
  diag.throw_if_any();
  return c;
}

Architecture captured_architecture(std::shared_ptr<const Capture> capture) {
  Architecture a;
  a.name = capture->name;
  a.description = capture->source;
  a.family = "captured";
  a.params = capture->params;
  // Nothing to scale or override: like a fixed torchvision model (scale_architecture refuses it by family).
  a.config = FixedVisionConfig{capture->name};
  if (capture->input_kind == "image") {
    a.input = InputKind::image;
    a.default_image = capture->size;
  } else {
    a.input = InputKind::tokens;
    a.default_seq = capture->input_kind == "tokens" ? capture->size : 1;
    a.max_seq = a.default_seq;
  }
  a.build = [capture](Builder& b, const WorkloadConfig& c) {
    long long size = capture->input_kind == "image" ? c.image : c.seq;
    if (capture->input_kind != "tensor" && size != capture->size)
      throw InputError(capture->input_kind == "image" ? "--image" : "--seq", "",
                       capture->name + " was captured at " + (capture->input_kind == "image" ? "image size " : "sequence length ") +
                           std::to_string(capture->size) + "; a capture replays at other batch sizes, not other input sizes "
                           "(capture it again at " + std::to_string(size) + ")");
    Replay(b, *capture, c.batch).run();
  };
  return a;
}

}  // namespace fwtax
