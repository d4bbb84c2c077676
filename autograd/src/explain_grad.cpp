// explain_grad (tapegrad/explain_grad.h): reads a tensor's autograd state, the provenance notes ops
// leave when they cut a graph (provenance.h), and replays backward on its own buffers to find where
// a gradient became zero.
#include "tapegrad/explain_grad.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "ops_common.h"
#include "provenance.h"

namespace tg::autograd {

namespace {

// ---------------------------------------------------------------- wording

std::string shape_dtype(IntArrayRef sizes, ScalarType dtype) {
  return fmt::format("shape {}, dtype {}", shape_str(sizes), dtype_name(dtype));
}
std::string the_tensor(const Tensor& t) { return fmt::format("the tensor ({})", shape_dtype(t.sizes(), t.dtype())); }
std::string The_tensor(const Tensor& t) { return fmt::format("The tensor ({})", shape_dtype(t.sizes(), t.dtype())); }
std::string the_output(const Tensor& out) {
  return fmt::format("the output ({})", shape_dtype(out.sizes(), out.dtype()));
}
// The output as the replay sees it: a non-scalar output is seeded with ones, as output.sum() would be.
std::string the_seeded_output(const Tensor& out) {
  if (out.numel() == 1) return the_output(out);
  return fmt::format("the output ({}; seeded with ones, as for output.sum())", shape_dtype(out.sizes(), out.dtype()));
}

// "{3, 2}", for a factory call in advice.
std::string braces(IntArrayRef sizes) {
  std::string s = "{";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "}";
}

std::string number(double v) { return fmt::format("{:.4g}", v); }

// ---------------------------------------------------------------- tensor facts (no recording)

bool all_zero(const Tensor& g) {
  if (!g.defined() || g.numel() == 0) return true;
  NoGradGuard no_grad;
  return g.abs().max().item_double() == 0.0;  // a NaN compares unequal: not zero
}

double norm_of(const Tensor& g) {
  NoGradGuard no_grad;
  return g.to(kFloat64).norm().item_double();
}

// The exactly-zero entries of g (defined, some entries nonzero) in words: ", but 1 of its 2 columns
// is all zero (column 1, counting from 0)", or "" when every entry is nonzero. For a matrix, whole
// zero columns first (a dead unit), then whole zero rows, then single entries.
std::string zero_parts(const Tensor& g) {
  if (!g.defined() || g.numel() == 0) return "";
  NoGradGuard no_grad;
  Tensor d = g.to(kFloat64).contiguous();
  const double* v = d.data_ptr<double>();
  const int64_t n = d.numel();
  int64_t zeros = 0;
  for (int64_t i = 0; i < n; ++i) zeros += v[i] == 0.0;
  if (zeros == 0 || zeros == n) return "";
  auto list = [](const std::vector<int64_t>& idx) {
    std::string s;
    for (std::size_t i = 0; i < idx.size() && i < 5; ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
    return idx.size() > 5 ? s + ", ..." : s;
  };
  auto phrase = [&](const std::vector<int64_t>& idx, int64_t of, const char* one, const char* many) {
    return fmt::format(", but {} of its {} {} {} all zero ({} {}, counting from 0)", idx.size(), of, many,
                       idx.size() == 1 ? "is" : "are", idx.size() == 1 ? one : many, list(idx));
  };
  if (d.dim() == 2) {
    const int64_t rows = d.size(0), cols = d.size(1);
    std::vector<int64_t> zero_cols, zero_rows;
    for (int64_t c = 0; c < cols; ++c) {
      bool all = true;
      for (int64_t r = 0; r < rows && all; ++r) all = v[r * cols + c] == 0.0;
      if (all) zero_cols.push_back(c);
    }
    for (int64_t r = 0; r < rows; ++r) {
      bool all = true;
      for (int64_t c = 0; c < cols && all; ++c) all = v[r * cols + c] == 0.0;
      if (all) zero_rows.push_back(r);
    }
    if (!zero_cols.empty() && cols > 1) return phrase(zero_cols, cols, "column", "columns");
    if (!zero_rows.empty() && rows > 1) return phrase(zero_rows, rows, "row", "rows");
  }
  if (d.dim() == 1) {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < n; ++i)
      if (v[i] == 0.0) idx.push_back(i);
    return fmt::format(", but {} of its {} entries {} exactly zero ({} {}, counting from 0)", zeros, n,
                       zeros == 1 ? "is" : "are", zeros == 1 ? "index" : "indices", list(idx));
  }
  return fmt::format(", but {} of its {} entries {} exactly zero", zeros, n, zeros == 1 ? "is" : "are");
}

bool has_zero_entry(const Tensor& g) {
  if (!g.defined() || g.numel() == 0) return false;
  NoGradGuard no_grad;
  return g.abs().min().item_double() == 0.0;
}

Untracked reason_of(const TensorImpl& impl) { return static_cast<Untracked>(impl.untracked_reason & 0x7f); }
// A note that says why the tensor has no graph (not the LeafGrad mark, which is no cut).
bool has_cut_note(const TensorImpl& impl) {
  return impl.untracked_origin && reason_of(impl) != Untracked::None && reason_of(impl) != Untracked::LeafGrad;
}
bool inherited(const TensorImpl& impl) { return (impl.untracked_reason & kUntrackedInherited) != 0; }

// The node a gradient for `t` arrives at: its grad_fn, or its leaf accumulator if one is alive.
std::shared_ptr<Node> target_node(const Tensor& t) {
  const TensorImpl& impl = *t.unsafe_impl();
  if (impl.grad_fn) return impl.grad_fn;
  if (const AutogradMeta* meta = autograd_meta(impl)) return meta->grad_accumulator.lock();
  return nullptr;
}

// True if `target` can be reached from `from` along edges.
bool reaches(const Node* from, const Node* target) {
  if (!from || !target) return false;
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> stack{from};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n == target) return true;
    if (!seen.insert(n).second) continue;
    for (const Edge& e : n->next_edges())
      if (e.function) stack.push_back(e.function.get());
  }
  return false;
}

// ---------------------------------------------------------------- the answers from t alone

std::string undefined_answer() {
  return "The tensor is undefined (a default-constructed tg::Tensor that holds no data), so it has no shape, no "
         "dtype and no gradient. Give it a value first, e.g. tg::randn({3}, tg::requires_grad()).";
}

// Why a tensor without a graph has none, from its note ("mul ran while grad mode was off ...").
std::string note_clause(const TensorImpl& impl) {
  const char* op = impl.untracked_origin;
  const bool from = inherited(impl);
  switch (reason_of(impl)) {
    case Untracked::GradModeOff:
      return from ? fmt::format(
                        "it was computed from a tensor that {} made while grad mode was off (inside a "
                        "tg::NoGradGuard), although its input required grad, so no graph was recorded",
                        op)
                  : fmt::format(
                        "{} ran while grad mode was off (inside a tg::NoGradGuard), although its input "
                        "required grad, so no graph was recorded for it",
                        op);
    case Untracked::Detached:
      return fmt::format("it {} {}(), which cuts a tensor out of the graph on purpose",
                         from ? "was computed from the result of" : "was made by", op);
    case Untracked::NotDifferentiable:
      return fmt::format("it {} {}, which has no gradient, so no gradient can flow back through it",
                         from ? "was computed from the result of" : "was made by", op);
    case Untracked::None:
    case Untracked::LeafGrad: break;
  }
  return "";
}

// The answer for a tensor that does not require grad and carries a note; nullopt without one.
std::optional<std::string> note_answer(const Tensor& t) {
  const TensorImpl& impl = *t.unsafe_impl();
  if (!has_cut_note(impl)) return std::nullopt;
  std::string advice;
  switch (reason_of(impl)) {
    case Untracked::GradModeOff:
      advice = "Compute it outside the NoGradGuard if gradients should flow through it.";
      break;
    case Untracked::Detached:
      advice = fmt::format("Use the original tensor instead of its {}() if gradients should flow through it.",
                           impl.untracked_origin);
      break;
    default:
      advice =
          "Use a differentiable op instead if it should (e.g. softmax probabilities rather than argmax indices, a "
          "float mask rather than a comparison).";
  }
  return fmt::format("{} does not require grad: {}. {}", The_tensor(t), note_clause(impl), advice);
}

// Cases where `t` cannot have a gradient at all: an integer dtype, or not requiring grad.
std::optional<std::string> no_graph_answer(const Tensor& t) {
  const TensorImpl& impl = *t.unsafe_impl();
  if (!is_floating_point(t.dtype())) {
    std::string why;
    if (impl.untracked_origin && reason_of(impl) == Untracked::NotDifferentiable)
      why = inherited(impl) ? fmt::format(
                                  " It was computed from the result of {}, which has no gradient, so the "
                                  "graph stops there.",
                                  impl.untracked_origin)
                            : fmt::format(
                                  " It was made by {} from a tensor that required grad; {} has no gradient, "
                                  "so the graph stops there.",
                                  impl.untracked_origin, impl.untracked_origin);
    else
      why = " Make it floating point (.to(tg::kFloat32)) if it should be trainable.";
    return fmt::format(
        "{} cannot have a gradient: only floating-point tensors (Float32, Float64) can, and this one "
        "is {}.{}",
        The_tensor(t), dtype_name(t.dtype()), why);
  }
  if (t.requires_grad()) return std::nullopt;
  if (auto note = note_answer(t)) return note;
  return fmt::format(
      "{} is a leaf that does not require grad, so autograd never computes a gradient for it. Ask for one when "
      "you create it, e.g. tg::randn({}, tg::TensorOptions().requires_grad(true)), or call t.requires_grad_(true) "
      "before using it.",
      The_tensor(t), braces(t.sizes()));
}

// A leaf replaced by `w = w - lr * w.grad()` made with grad mode on. Evidence, all required: t was
// computed by a recorded op from a tensor without a graph that came from a leaf's .grad() (the
// LeafGrad mark that AccumulateGrad leaves on a gradient and record() passes on), and t's grad_fn
// is a chain of update-like ops (one input requiring grad, same shape) ending at the accumulator
// of a leaf of t's shape and dtype. A residual such as r = p - target has no such mark.
struct Replaced {
  const Node* top;
  int updates;
};
std::optional<Replaced> replaced_leaf(const Tensor& t) {
  static const char* const kUpdateOps[] = {"sub", "add", "add_scalar", "mul_scalar", "div_scalar"};
  if (reason_of(*t.unsafe_impl()) != Untracked::LeafGrad) return std::nullopt;
  const Node* top = t.unsafe_impl()->grad_fn.get();
  const Node* node = top;
  int updates = 0;
  while (node && !node->is_accumulate_grad()) {
    const bool update_like = std::any_of(std::begin(kUpdateOps), std::end(kUpdateOps),
                                         [&](const char* op) { return std::strcmp(op, node->name()) == 0; });
    if (!update_like || !IntArrayRef(node->output_meta().sizes).equals(t.sizes())) return std::nullopt;
    const Node* next = nullptr;
    for (std::size_t i = 0; i < node->next_edges().size(); ++i) {
      const Edge& e = node->next_edges()[i];
      if (!e.function) continue;
      if (next || !IntArrayRef(node->input_meta()[i].sizes).equals(t.sizes())) return std::nullopt;
      next = e.function.get();
    }
    node = next;
    ++updates;
  }
  if (!node || updates == 0) return std::nullopt;
  Tensor leaf = static_cast<const AccumulateGrad*>(node)->variable();
  if (!leaf.sizes().equals(t.sizes()) || leaf.dtype() != t.dtype()) return std::nullopt;
  return Replaced{top, updates};
}

std::optional<std::string> replaced_leaf_answer(const Tensor& t) {
  auto r = replaced_leaf(t);
  if (!r) return std::nullopt;
  return fmt::format(
      "{} is no longer the leaf you created: it is the output of {} ({}), made by {} like w = w - lr * w.grad() "
      "that ran with grad mode on, so it is a non-leaf whose .grad() stays undefined (the gradient goes to the old "
      "leaf). Update the leaf in place under a tg::NoGradGuard, {{ tg::NoGradGuard no_grad; w.sub_(lr * "
      "w.grad()); }}, or let an optimizer such as tg::optim::SGD do it.",
      The_tensor(t), r->top->name(), r->top->backward_name(),
      r->updates == 1 ? std::string("an update") : fmt::format("{} updates", r->updates));
}

// The second sentence of a two-argument answer about a replaced leaf.
std::string replaced_leaf_hint(const Tensor& t) {
  auto r = replaced_leaf(t);
  if (!r) return "";
  return fmt::format(
      " Note: it is no longer the leaf you created but the output of {} ({}), an update like w = w - lr * w.grad() "
      "made with grad mode on, so backward() fills the old leaf's .grad(), not its own; update the leaf in place "
      "under a tg::NoGradGuard instead.",
      r->top->name(), r->top->backward_name());
}

std::string non_leaf_answer(const Tensor& t) {
  return fmt::format(
      "{} is not a leaf: it was computed by {}, and backward() fills .grad() only for leaves, so its .grad() stays "
      "undefined. Call t.retain_grad() before backward(), or get its gradient directly with "
      "tg::autograd::grad({{loss}}, {{t}}).",
      The_tensor(t), t.grad_fn()->backward_name());
}

// ---------------------------------------------------------------- cuts: where a path was broken

enum class Relation { None, Direct, ComputedFrom, Unknown };

// How the cut `e` relates to t. A cut made before t existed (a leaf: before it started requiring
// grad; a non-leaf: before its node was recorded) cannot be about it.
Relation relate(const CutEvent& e, const Tensor& t, const Node* target) {
  const TensorImpl* t_impl = t.unsafe_impl();
  if (e.input_was_leaf) {  // a dead leaf is not t, which is alive
    std::shared_ptr<TensorImpl> in = e.input.lock();
    return in && in.get() == t_impl ? Relation::Direct : Relation::None;
  }
  if (std::shared_ptr<Node> fn = e.input_fn.lock()) {
    if (fn.get() == t_impl->grad_fn.get()) return Relation::Direct;
    return reaches(fn.get(), target) ? Relation::ComputedFrom : Relation::None;
  }
  // the input and its node are gone
  if (!t_impl->grad_fn) {
    for (const auto& l : e.input_leaves)
      if (std::shared_ptr<TensorImpl> leaf = l.lock(); leaf && leaf.get() == t_impl) return Relation::ComputedFrom;
    const AutogradMeta* meta = autograd_meta(*t_impl);
    if (meta && meta->cuts_before != 0 && e.id < meta->cuts_before) return Relation::None;
  } else if (e.first_tape_position <= t_impl->grad_fn->sequence_nr()) {
    return Relation::None;
  }
  return Relation::Unknown;
}

std::string cut_reason(const CutEvent& e) {
  switch (e.reason) {
    case Untracked::GradModeOff: return "because it ran while grad mode was off (inside a tg::NoGradGuard)";
    case Untracked::Detached: return "because detach() cuts the graph on purpose";
    case Untracked::NotDifferentiable: return fmt::format("because {} has no gradient", e.op);
    case Untracked::None:
    case Untracked::LeafGrad: break;
  }
  return "";
}

std::string cut_description(const CutEvent& e, Relation r) {
  const char* given = r == Relation::Direct         ? "this tensor"
                      : r == Relation::ComputedFrom ? "a tensor computed from this one"
                                                    : "a tensor that required grad";
  return fmt::format("{} was given {} ({}) and returned a tensor without gradient ({}), {}", e.op, given,
                     shape_dtype(e.input_sizes, e.input_dtype), shape_dtype(e.output_sizes, e.output_dtype),
                     cut_reason(e));
}

// Does the graph of the output use the cut's result? Checked on the tensors its nodes saved: the
// result, or a tensor computed from it, carries the cut's note (the same op and reason).
bool graph_uses(const std::vector<std::shared_ptr<Node>>& tape, const CutEvent& e) {
  for (const auto& node : tape)
    for (const Tensor& s : node->saved_tensors()) {
      if (!s.defined()) continue;
      const TensorImpl* impl = s.unsafe_impl();
      if (impl->untracked_origin && std::strcmp(impl->untracked_origin, e.op) == 0 && reason_of(*impl) == e.reason)
        return true;
    }
  return false;
}

// The most recent cut on this thread made before `before` (a tape position) that t fed.
std::optional<std::pair<CutEvent, Relation>> find_cut(const Tensor& t, const Node* target, uint64_t before,
                                                      bool include_unknown) {
  std::optional<std::pair<CutEvent, Relation>> unknown;
  for (CutEvent& e : recent_cuts()) {
    if (e.tape_position > before) continue;
    Relation r = relate(e, t, target);
    if (r == Relation::Direct || r == Relation::ComputedFrom) return std::make_pair(std::move(e), r);
    if (r == Relation::Unknown && include_unknown && !unknown) unknown = std::make_pair(std::move(e), r);
  }
  return unknown;
}

std::string not_on_path_answer(const Tensor& t, const Tensor& output, const Node* target,
                               const std::vector<std::shared_ptr<Node>>& tape) {
  const uint64_t before = output.grad_fn() ? output.grad_fn()->sequence_nr() : UINT64_MAX;
  std::string head = fmt::format("{} is not on any path to {}, so backward() from the output never reaches it.",
                                 The_tensor(t), the_output(output));
  auto cut = find_cut(t, target, before, true);
  if (!cut)
    return fmt::format(
        "{} does not appear in the graph of {}: nothing computed from it reached the output, so backward() from "
        "the output never reaches it and its .grad() stays undefined. Check that it is used in the forward pass "
        "that computes the output.",
        The_tensor(t), the_output(output));
  const auto& [e, r] = *cut;
  if (r == Relation::Unknown)
    return head + fmt::format(
                      " tapegrad cannot tell for sure where the path was cut (the tensors involved are gone), but "
                      "the most recent cut on this thread was at {}: {}; if the output was computed from its "
                      "result, that is where the gradient was lost.",
                      e.op, cut_description(e, r));
  if (graph_uses(tape, e)) return head + fmt::format(" The path is cut at {}: {}.", e.op, cut_description(e, r));
  return head + fmt::format(" The path was most likely cut at {}: {}.", e.op, cut_description(e, r));
}

// ---------------------------------------------------------------- replaying backward

struct Replay {
  Tensor grad;                         // what reached t (undefined: nothing)
  std::shared_ptr<Node> zero_node;     // the first node that got a nonzero gradient and sent zeros toward t
  std::size_t zero_input = 0;          // which of its inputs leads to t
  int zero_nodes = 0;                  // how many such nodes
  std::shared_ptr<Node> partial_node;  // the first node that got a gradient without zero entries and
                                       // sent one with some (not all) zero entries toward t
  std::shared_ptr<Node> freed_node;    // a node whose saved tensors backward() released
  std::string error;                   // a rule that threw
};

Tensor reduce_to(const Node& node, std::size_t i, const Tensor& g) {
  const TensorMeta& meta = node.input_meta()[i];
  Tensor out = g.sizes().equals(meta.sizes) ? g : ops::sum_to(g, meta.sizes);
  return out.dtype() == meta.dtype ? out : out.to(meta.dtype);
}

// Runs every node between the output and t's node, newest first, with its own gradient buffers.
Replay replay(const Tensor& output, const std::vector<std::shared_ptr<Node>>& tape,
              const std::unordered_set<const Node*>& needed, const Node* target, uint32_t target_output) {
  NoGradGuard no_grad;
  Replay result;
  std::unordered_map<const Node*, std::vector<Tensor>> grads;
  auto deliver = [&](const std::shared_ptr<Node>& to, uint32_t slot, const Tensor& g) {
    std::vector<Tensor>& buffers = grads[to.get()];
    if (buffers.size() < to->num_outputs()) buffers.resize(to->num_outputs());
    Tensor& b = buffers[slot];
    b = b.defined() ? b + g : g;
  };
  Edge root = gradient_edge(output);
  deliver(root.function, root.input_nr, ones_like(output));
  for (const std::shared_ptr<Node>& node : tape) {
    if (!needed.count(node.get())) continue;
    auto found = grads.find(node.get());
    if (found == grads.end()) continue;
    std::vector<Tensor> incoming = std::move(found->second);
    if (node.get() == target) {
      if (target_output < incoming.size()) result.grad = incoming[target_output];
      break;  // every node that can send to t is newer: all have run
    }
    if (node->is_accumulate_grad()) continue;
    if (node->saved_released() && node->num_saved() > 0) {
      result.freed_node = node;
      return result;
    }
    const bool incoming_nonzero =
        std::any_of(incoming.begin(), incoming.end(), [](const Tensor& g) { return g.defined() && !all_zero(g); });
    std::vector<Tensor> sent;
    try {
      if (node->num_outputs() > 1) {
        sent = node->apply_outputs(incoming);
      } else {
        if (!incoming[0].defined()) continue;
        sent = node->apply(incoming[0]);
      }
    } catch (const std::exception& e) {
      result.error = e.what();
      return result;
    }
    const bool incoming_full = incoming_nonzero && std::none_of(incoming.begin(), incoming.end(), [](const Tensor& g) {
                                 return g.defined() && has_zero_entry(g);
                               });
    bool toward = false, zeros_toward = true, some_zero_toward = false;
    std::size_t first_toward = 0;
    const auto& edges = node->next_edges();
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.function || !needed.count(e.function.get())) continue;
      if (!toward) first_toward = i;
      toward = true;
      if (i >= sent.size() || !sent[i].defined()) continue;
      if (!all_zero(sent[i])) {
        zeros_toward = false;
        if (incoming_full && !result.partial_node && has_zero_entry(sent[i])) some_zero_toward = true;
      }
      deliver(e.function, e.input_nr, reduce_to(*node, i, sent[i]));
    }
    if (some_zero_toward) result.partial_node = node;
    if (incoming_nonzero && toward && zeros_toward) {
      if (!result.zero_node) {
        result.zero_node = node;
        result.zero_input = first_toward;
      }
      ++result.zero_nodes;
    }
  }
  return result;
}

// Why `node` sent zeros toward its input `i`, from its saved tensors and arguments.
std::string why_zero(const Node& node, std::size_t i) {
  const OpDef& op = node.op();
  const std::vector<Tensor> saved = node.saved_tensors();
  auto saved_named = [&](const char* name) -> Tensor {
    int slot = op_slot(op.saved, name);
    return slot >= 0 && static_cast<std::size_t>(slot) < saved.size() ? saved[slot] : Tensor();
  };
  auto arg = [&](const char* name) -> std::optional<double> {
    int slot = op_slot(op.scalars, name);
    if (slot < 0 || static_cast<std::size_t>(slot) >= node.scalar_args().size()) return std::nullopt;
    return node.scalar_args()[slot];
  };
  auto every = [](const Tensor& x, auto predicate) {
    if (!x.defined()) return false;
    NoGradGuard no_grad;
    return all_zero(logical_not(predicate(x)).to(kFloat32));
  };
  const std::string name = node.name();
  if (name == "relu" && every(saved_named("result"), [](const Tensor& r) { return r == 0.0; }))
    return "all of its inputs were negative or zero (relu passes a gradient only where its input is positive)";
  if (name == "clamp") {
    double lo = arg("min").value_or(0), hi = arg("max").value_or(0);
    if (every(saved_named("self"), [&](const Tensor& x) { return logical_or(x<lo, x> hi); }))
      return fmt::format("every input was outside [min, max] = [{}, {}], where clamp is flat", number(lo), number(hi));
  }
  if (name == "hardtanh") {
    double lo = arg("min_val").value_or(0), hi = arg("max_val").value_or(0);
    if (every(saved_named("self"), [&](const Tensor& x) { return logical_or(x <= lo, x >= hi); }))
      return fmt::format("every input was outside ({}, {}), where hardtanh is flat", number(lo), number(hi));
  }
  if (name == "mul" && all_zero(saved_named(i == 0 ? "other" : "self")) &&
      saved_named(i == 0 ? "other" : "self").defined())
    return "the other factor was all zero";
  if (name == "mul_scalar" && arg("other") == 0.0) return "it multiplies by 0";
  if (name == "pow" && arg("exponent") == 0.0) return "the exponent is 0, so the result does not depend on the input";
  if (name == "sign" || name == "step" || name == "heaviside")
    return fmt::format("{} is flat, so its gradient is zero everywhere", name);
  if (name == "where") return "the condition chose the other branch at every position";
  if (name == "maximum" || name == "minimum")
    return fmt::format("the other input was {} at every position", name == "maximum" ? "larger" : "smaller");
  if (name == "sigmoid" && every(saved_named("result"), [](const Tensor& r) { return logical_or(r == 0.0, r == 1.0); }))
    return "it was saturated (every output was exactly 0 or 1), where sigmoid is flat";
  if (name == "tanh" && every(saved_named("result"), [](const Tensor& r) { return logical_or(r == -1.0, r == 1.0); }))
    return "it was saturated (every output was exactly -1 or 1), where tanh is flat";
  return fmt::format("its backward rule ({}) gave zeros for this input", op.formula);
}

std::string grad_status(const Tensor& t) {  // the one-argument answer for a leaf or a retained non-leaf
  const Tensor& g = t.grad();
  if (!g.defined()) return "";
  if (all_zero(g))
    return fmt::format(
        "{} has a gradient, but it is all zero. To see which op made it zero, call explain_grad(t, loss) before "
        "loss.backward(), or after loss.backward({{}}, /*retain_graph=*/true).",
        The_tensor(t));
  return fmt::format("{} has a nonzero gradient: .grad() has shape {} and norm {}{}.", The_tensor(t),
                     shape_str(g.sizes()), number(norm_of(g)), zero_parts(g));
}

std::string explain_one(const Tensor& t) {
  if (!t.defined()) return undefined_answer();
  if (auto answer = no_graph_answer(t)) return *answer;
  if (!t.is_leaf()) {
    if (auto answer = replaced_leaf_answer(t)) return *answer;
    if (!t.retains_grad()) return non_leaf_answer(t);
  }
  if (std::string status = grad_status(t); !status.empty()) return status;
  std::string answer = fmt::format(
      "{} requires grad, but its .grad() is undefined: no backward() has reached it since it was created or "
      "since its gradient was last reset (optimizer.zero_grad() sets it to undefined).",
      The_tensor(t));
  std::shared_ptr<Node> target = target_node(t);
  if (auto cut = find_cut(t, target.get(), UINT64_MAX, false))
    answer += fmt::format(" Note: {}; if the loss was computed from its result, no gradient can reach this tensor.",
                          cut_description(cut->first, cut->second));
  else
    answer += " Call explain_grad(t, loss) to check the path from the loss.";
  return answer;
}

std::string explain_two(const Tensor& t, const Tensor& output) {
  if (!t.defined()) return undefined_answer();
  if (!output.defined())
    return fmt::format(
        "The output is undefined (a tg::Tensor that holds no data), so there is no gradient of it "
        "with respect to {}.",
        the_tensor(t));
  if (auto answer = no_graph_answer(t)) return *answer;
  if (!output.requires_grad()) {
    const TensorImpl& out = *output.unsafe_impl();
    std::string why = has_cut_note(out)
                          ? note_clause(out)
                          : "none of the tensors it was computed from required grad while grad mode was on";
    return fmt::format("{} does not require grad, so backward() from it cannot reach {}: {}.",
                       "The output (" + shape_dtype(output.sizes(), output.dtype()) + ")", the_tensor(t), why);
  }

  const std::vector<std::shared_ptr<Node>> tape = collect_tape(output);
  std::shared_ptr<Node> target = target_node(t);
  // nodes from which t's node can be reached (tape is newest first; edges point to older nodes)
  std::unordered_set<const Node*> needed;
  if (target)
    for (auto it = tape.rbegin(); it != tape.rend(); ++it) {
      const Node* n = it->get();
      bool leads = n == target.get();
      for (const Edge& e : n->next_edges())
        if (e.function && needed.count(e.function.get())) leads = true;
      if (leads) needed.insert(n);
    }
  if (!target || !needed.count(target.get())) return not_on_path_answer(t, output, target.get(), tape);

  const uint32_t output_nr = t.is_leaf() ? 0 : t.output_nr();
  Replay r = replay(output, tape, needed, target.get(), output_nr);
  const std::string replaced_hint = !t.is_leaf() ? replaced_leaf_hint(t) : "";
  std::string note_non_leaf = replaced_hint;
  if (note_non_leaf.empty())
    note_non_leaf =
        !t.is_leaf() && !t.retains_grad()
            ? fmt::format(
                  " Note: it is not a leaf ({}), so its .grad() stays undefined unless you call retain_grad() "
                  "before backward().",
                  t.grad_fn()->backward_name())
            : "";
  if (r.freed_node) {
    const Tensor& g = t.grad();
    std::string status = !(t.is_leaf() || t.retains_grad()) || !g.defined() ? "Its .grad() is undefined"
                         : all_zero(g)                                      ? "Its .grad() is all zero"
                                       : fmt::format("Its .grad() is nonzero (norm {})", number(norm_of(g)));
    return fmt::format(
        "The graph behind {} was already freed by backward() ({} (#{}) released its saved tensors), so explain_grad "
        "cannot replay it for {}. {}: call explain_grad(t, loss) before loss.backward(), or after "
        "loss.backward({{}}, /*retain_graph=*/true), to see where its gradient comes from.{}",
        the_output(output), r.freed_node->name(), r.freed_node->sequence_nr(), the_tensor(t), status, replaced_hint);
  }
  if (!r.error.empty())
    return fmt::format("explain_grad could not replay backward from {} to {}: {}", the_output(output), the_tensor(t),
                       r.error);
  if (r.grad.defined() && !all_zero(r.grad)) {
    std::string parts = zero_parts(r.grad);
    if (!parts.empty() && r.partial_node)
      parts += fmt::format("; the zeros come from {} (#{}){}", r.partial_node->name(), r.partial_node->sequence_nr(),
                           std::strcmp(r.partial_node->name(), "relu") == 0
                               ? ", whose input was negative or zero there (relu passes a gradient only where its "
                                 "input is positive)"
                               : "");
    return fmt::format("The gradient of {} with respect to {} exists and is nonzero: shape {}, norm {}{}.{}",
                       the_seeded_output(output), the_tensor(t), shape_str(r.grad.sizes()), number(norm_of(r.grad)),
                       parts, note_non_leaf);
  }
  std::string head = fmt::format("The gradient of {} with respect to {} exists but is all zero.",
                                 the_seeded_output(output), the_tensor(t));
  // another use of t that was cut before the output was made gives no gradient at all
  std::string cut_use;
  const uint64_t before = output.grad_fn() ? output.grad_fn()->sequence_nr() : UINT64_MAX;
  if (auto cut = find_cut(t, target.get(), before, false))
    cut_use = fmt::format(" Another use of it gives no gradient at all, because its path was cut: {}.",
                          cut_description(cut->first, cut->second));
  if (r.zero_node) {
    const Node& z = *r.zero_node;
    std::string others =
        r.zero_nodes > 1 ? fmt::format(" ({} other nodes on the way did the same.)", r.zero_nodes - 1) : "";
    return head +
           fmt::format(
               " It became zero at {} (#{}), which received a nonzero gradient but sent zeros "
               "toward it: {}.{}",
               z.name(), z.sequence_nr(), why_zero(z, r.zero_input), cut_use.empty() ? others : "") +
           cut_use + replaced_hint;
  }
  return head +
         " Every op on the way passed a nonzero gradient: the gradients arriving along different paths cancel out "
         "(they sum to zero)." +
         cut_use + replaced_hint;
}

}  // namespace

std::string explain_grad(const Tensor& t) {
  try {
    return explain_one(t);
  } catch (const std::exception& e) {
    return std::string("explain_grad failed: ") + e.what();
  }
}

std::string explain_grad(const Tensor& t, const Tensor& output) {
  try {
    return explain_two(t, output);
  } catch (const std::exception& e) {
    return std::string("explain_grad failed: ") + e.what();
  }
}

}  // namespace tg::autograd
