// Custom Functions (tapegrad/custom_function.h): the node that runs a user's backward, the wrapping
// of forward's outputs (libtorch's _wrap_outputs: history, dirty and non-differentiable outputs),
// the context's checked saved tensors, and IValue.
#include "tapegrad/custom_function.h"

#include <cxxabi.h>
#include <fmt/format.h>

#include <cstdlib>
#include <limits>
#include <memory>

#include "observe.h"
#include "record.h"
#include "tapegrad/internal/tensor_impl.h"

namespace tg {

// ---- IValue ----

std::string IValue::tagKind() const {
  static const char* const kNames[] = {"None", "Double", "Int", "Bool", "String", "Tensor", "IntList"};
  return kNames[value_.index()];
}

namespace {
[[noreturn]] void wrong_kind(const IValue& v, const char* expected) {
  throw Error(fmt::format("IValue: expected {} but got {}", expected, v.tagKind()));
}
}  // namespace

double IValue::toDouble() const {
  if (!isDouble()) wrong_kind(*this, "Double");
  return std::get<double>(value_);
}

int64_t IValue::toInt() const {
  if (!isInt()) wrong_kind(*this, "Int");
  return std::get<int64_t>(value_);
}

bool IValue::toBool() const {
  if (!isBool()) wrong_kind(*this, "Bool");
  return std::get<bool>(value_);
}

const std::string& IValue::toStringRef() const {
  if (!isString()) wrong_kind(*this, "String");
  return std::get<std::string>(value_);
}

const Tensor& IValue::toTensor() const {
  if (!isTensor()) wrong_kind(*this, "Tensor");
  return std::get<Tensor>(value_);
}

const std::vector<int64_t>& IValue::toIntVector() const {
  if (!isIntList()) wrong_kind(*this, "IntList");
  return std::get<std::vector<int64_t>>(value_);
}

}  // namespace tg

namespace tg::autograd {
namespace detail {

std::string custom_function_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                   std::free);
  const std::string full = status == 0 && demangled ? demangled.get() : type.name();
  // Keep what follows the last "::" outside template arguments and parentheses: "ns::Outer::MyOp"
  // and "(anonymous namespace)::MyOp" give "MyOp", a local class "test()::MyOp" too.
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < full.size(); ++i) {
    const char c = full[i];
    if (c == '<' || c == '(') {
      ++depth;
    } else if (c == '>' || c == ')') {
      --depth;
    } else if (depth == 0 && c == ':' && full[i + 1] == ':') {
      start = i + 2;
      ++i;
    }
  }
  return full.substr(start);
}

// The node of one call of a custom Function: its edges go to the tensor arguments of forward, its
// outputs are forward's outputs, its rule is T::backward.
class CustomNode final : public Node {
 public:
  CustomNode(const OpDef* op, uint64_t sequence_nr, CustomBackwardFn backward)
      : Node(op, sequence_nr), backward_(backward) {
    ctx_.node_ = this;
  }

  std::string backward_name() const override { return std::string(name()) + "Backward"; }
  // The user's backward leaves no provenance notes, as a built-in rule's (provenance.h).
  variable_list apply(const Tensor& grad_output) override {
    BackwardRuleScope rule;
    return run_backward({grad_output});
  }
  variable_list apply_outputs(variable_list grad_outputs) override {
    BackwardRuleScope rule;
    return run_backward(std::move(grad_outputs));
  }

  variable_list unpack_saved() const {
    if (saved_released() && saved_.empty())
      throw Error(
          fmt::format("backward: trying to backward through the graph a second time: node '{}' (#{}) freed its "
                      "saved tensors after the first backward. Pass retain_graph=true to the first backward if "
                      "you need to backward through the same graph twice.",
                      name(), sequence_nr()));
    std::shared_ptr<Node> self = std::const_pointer_cast<Node>(shared_from_this());
    variable_list out;
    out.reserve(saved_.size());
    for (const SavedTensor& s : saved_) out.push_back(s.unpack(*this, self));
    return out;
  }

 private:
  friend class CustomCall;

  variable_list run_backward(variable_list grads) {
    const std::string who = backward_name();
    if (grads.size() != num_outputs())
      throw Error(fmt::format("{}: got {} gradients for {} outputs", who, grads.size(), num_outputs()));
    if (ctx_.materialize_grads_) {
      for (uint32_t k = 0; k < grads.size(); ++k) {
        if (grads[k].defined() || !output_defined_[k]) continue;
        const TensorMeta& meta = output_meta(k);
        grads[k] = zeros(meta.sizes, meta.dtype);
      }
    }
    variable_list out = backward_(&ctx_, std::move(grads));

    const std::size_t expected = is_variable_input_.size();
    // As libtorch: extra entries are accepted when all of them are undefined.
    if (out.size() > expected) {
      bool all_undefined = true;
      for (std::size_t i = expected; i < out.size(); ++i) all_undefined = all_undefined && !out[i].defined();
      if (all_undefined) out.resize(expected);
    }
    if (out.size() != expected)
      throw Error(
          fmt::format("{}: function backward returned {} gradients, but expected {} (one per argument of "
                      "forward after ctx, an undefined Tensor for each non-tensor argument)",
                      who, out.size(), expected));
    variable_list results;
    results.reserve(next_edges().size());
    for (std::size_t i = 0; i < expected; ++i) {
      if (is_variable_input_[i]) {
        results.push_back(std::move(out[i]));
      } else if (out[i].defined()) {
        throw Error(
            fmt::format("{}: function backward returned a gradient for non-tensor argument {} of forward "
                        "(counted from 0 after ctx); return an undefined Tensor at that position",
                        who, i));
      }
    }
    return results;
  }

  AutogradContext ctx_;
  CustomBackwardFn backward_;
  std::vector<bool> is_variable_input_;  // per argument of forward: a tensor input or not
  std::vector<char> output_defined_;     // per output: forward returned a defined tensor there
  bool executable_ = false;              // a graph is recorded (grad mode on, an input requires grad)
};

CustomCall::CustomCall(const OpDef& op, CustomBackwardFn backward) : op_(op), backward_(backward) {}
CustomCall::~CustomCall() = default;

void CustomCall::add_tensor(const Tensor& t) {
  is_variable_input_.push_back(true);
  inputs_.push_back(t);
}

void CustomCall::add_other() { is_variable_input_.push_back(false); }

AutogradContext* CustomCall::begin() {
  const bool executable = needs_grad(inputs_);
  // Edges first: a leaf's AccumulateGrad made here must be older than the node (see record()).
  NodeList<Edge> edges;
  edges.reserve(inputs_.size());
  for (const Tensor& t : inputs_)
    edges.push_back(executable && t.defined() && t.requires_grad() ? gradient_edge(t) : Edge{});
  node_ = std::make_shared<CustomNode>(&op_, next_sequence_nr(), backward_);
  CustomNode& node = *node_;
  node.next_edges_ = std::move(edges);
  node.input_meta_.reserve(inputs_.size());
  for (const Tensor& t : inputs_)
    node.input_meta_.push_back(t.defined() ? TensorMeta{t.sizes(), t.dtype()} : TensorMeta{});
  node.is_variable_input_ = std::move(is_variable_input_);
  node.executable_ = executable;
  return &node.ctx_;
}

namespace {
// A new tensor sharing t's storage, with no autograd history (libtorch's view_as(self) in no-grad
// mode): an input returned as-is gets its own history on the alias, not on the input.
Tensor alias_of(const Tensor& t) {
  const TensorImpl& impl = *t.unsafe_impl();
  return tg::detail::make_view(t, impl.sizes, impl.strides, impl.offset);
}
}  // namespace

variable_list CustomCall::finish(variable_list outputs) {
  CustomNode& node = *node_;
  AutogradContext& ctx = node.ctx_;
  const bool executable = node.executable_;
  const std::string who = node.backward_name();
  auto is_differentiable = [&](const Tensor& raw) {
    return executable && !ctx.non_differentiable_.count(raw.unsafe_impl()) && is_floating_point(raw.dtype());
  };

  // Every check first, so that a misuse leaves the inputs and the graph as they were.
  std::unordered_set<const TensorImpl*> returned;
  for (const Tensor& out : outputs)
    if (out.defined()) returned.insert(out.unsafe_impl());
  std::unordered_set<const TensorImpl*> inputs;
  for (const Tensor& in : inputs_)
    if (in.defined()) inputs.insert(in.unsafe_impl());
  for (const TensorImpl* dirty : ctx.dirty_inputs_)
    if (!returned.count(dirty))
      throw Error(
          fmt::format("{}: a tensor of shape {} was marked dirty (mark_dirty) but not returned by forward; "
                      "the inputs that forward modifies in place must all be returned as outputs",
                      who, shape_str(dirty->sizes)));
  for (const Tensor& out : outputs) {
    if (!out.defined() || !ctx.dirty_inputs_.count(out.unsafe_impl()) || !is_differentiable(out)) continue;
    if (out.is_leaf() && out.requires_grad())
      throw Error(
          fmt::format("{}: a leaf tensor that requires grad (shape {}) was modified in place by forward "
                      "(mark_dirty); pass a clone() of it, or run the update under tg::NoGradGuard",
                      who, shape_str(out.sizes())));
    if (out.unsafe_impl()->is_view)
      throw Error(
          fmt::format("{}: forward modified a view (shape {}) in place (mark_dirty) while recording "
                      "gradients, which is not supported; pass a clone() of it",
                      who, shape_str(out.sizes())));
  }

  // As libtorch's get_and_bump_dirty: nodes that saved the old value of a dirty input now refuse to run.
  for (const TensorImpl* dirty : ctx.dirty_inputs_) ++dirty->storage->version;

  const std::size_t n = outputs.size();
  if (n > std::numeric_limits<uint16_t>::max())
    throw Error(fmt::format("{}: forward returned {} outputs; at most {} are supported", who, n,
                            std::numeric_limits<uint16_t>::max()));
  std::vector<TensorMeta> metas(n);
  std::vector<char> defined(n, 0);
  std::unordered_set<const TensorImpl*> seen;
  for (std::size_t i = 0; i < n; ++i) {
    Tensor& out = outputs[i];
    if (!out.defined()) continue;
    const TensorImpl* raw = out.unsafe_impl();
    defined[i] = 1;
    metas[i] = TensorMeta{out.sizes(), out.dtype()};
    const bool repeated = !seen.insert(raw).second;  // the same tensor returned twice
    const bool is_input = !repeated && inputs.count(raw) > 0;
    const bool is_modified = !repeated && ctx.dirty_inputs_.count(raw) > 0;
    const bool differentiable = is_differentiable(out);
    if (repeated) out = alias_of(out);

    if (!differentiable) {
      if (!out.requires_grad()) {
        if (is_input && !is_modified) out = alias_of(out);
      } else if (is_input || out.unsafe_impl()->is_view) {
        out = out.detach();
      } else {
        out.detach_();
      }
      continue;
    }
    if (is_modified) {
      if (AutogradMeta* meta = autograd_meta(*out.unsafe_impl()))
        meta->grad = Tensor();  // rebased onto this node: the old gradient is of the old value
    } else if (is_input) {
      out = alias_of(out);
    }
    TensorImpl* impl = out.unsafe_impl();
    impl->grad_fn = node_;
    impl->output_nr = static_cast<uint16_t>(i);
    impl->requires_grad = true;
  }

  if (executable) {
    if (n > 0) node.output_meta_ = metas[0];
    if (n > 1) {
      node.extras().outputs.resize(n - 1);
      for (std::size_t i = 1; i < n; ++i) node.extras_->outputs[i - 1].meta = metas[i];
    }
    node.output_defined_ = std::move(defined);
    node.output_defined_.resize(std::max<std::size_t>(n, 1), 0);
    // As libtorch's save_variables, after the outputs have their history: a saved output is kept
    // without its grad_fn (no node -> output -> node cycle) and handed back attached to the node.
    node.saved_.reserve(ctx.to_save_.size());
    for (const Tensor& t : ctx.to_save_) {
      if (!t.defined()) {
        node.saved_.emplace_back();
        continue;
      }
      node.saved_.emplace_back(t, t.unsafe_impl()->grad_fn.get() == &node);
    }
  }
  ctx.to_save_.clear();
  if (executable && observing_records()) [[unlikely]]
    observe_record(node, inputs_, outputs);
  return outputs;
}

}  // namespace detail

// ---- AutogradContext ----

void AutogradContext::save_for_backward(variable_list to_save) { to_save_ = std::move(to_save); }

void AutogradContext::mark_dirty(const variable_list& inputs) {
  dirty_inputs_.clear();
  for (const Tensor& t : inputs)
    if (t.defined()) dirty_inputs_.insert(t.unsafe_impl());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  non_differentiable_.clear();
  for (const Tensor& t : outputs)
    if (t.defined()) non_differentiable_.insert(t.unsafe_impl());
}

void AutogradContext::set_materialize_grads(bool value) { materialize_grads_ = value; }

variable_list AutogradContext::get_saved_variables() const { return node_->unpack_saved(); }

bool AutogradContext::needs_input_grad(std::size_t i) const {
  const auto& edges = node_->next_edges();
  if (i >= edges.size())
    throw Error(fmt::format("{}: needs_input_grad({}) is out of range: forward has {} tensor input{}",
                            node_->backward_name(), i, edges.size(), edges.size() == 1 ? "" : "s"));
  return edges[i].is_valid();
}

}  // namespace tg::autograd
