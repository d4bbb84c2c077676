// How an op records itself on the tape. An op's file defines its OpDef and, right after it, its
// forward; after computing the output the forward calls
//   if (needs_grad(kMul, {&self, &other}, out)) record(kMul, {&self, &other}, out).save("self", self).save("other",
//   other);
// which appends a Node with edges to the inputs' nodes, and stores the op's state under the names
// its OpDef declares (an undeclared name is a tg::Error, so a typo fails the op's first test).
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "tapegrad/autograd.h"
#include "tapegrad/internal/tensor_impl.h"

namespace tg::autograd {

// The autograd state few tensors have, created on first use (TensorImpl::autograd_meta): a leaf's
// accumulated gradient, its gradient accumulator node and hooks, and retain_grad's flag.
struct AutogradMeta : AutogradMetaInterface {
  Tensor grad;
  std::weak_ptr<Node> grad_accumulator;                                          // leaves only
  std::vector<std::pair<unsigned, std::function<Tensor(const Tensor&)>>> hooks;  // leaves only
  bool retains_grad = false;
  // For explain_grad: when this leaf started requiring grad, as cut_clock()+1 then (0: unknown).
  // A cut numbered below it was made before the leaf existed, so it cannot have cut a use of it.
  uint64_t cuts_before = 0;
};
// The tensor's AutogradMeta, or nullptr when it has none yet.
inline AutogradMeta* autograd_meta(const TensorImpl& impl) {
  return static_cast<AutogradMeta*>(impl.autograd_meta.load(std::memory_order_acquire));
}
// The tensor's AutogradMeta, created if missing; safe when several threads race to create it
// (one wins the compare-exchange, the others delete theirs and use the winner's).
inline AutogradMeta& materialize_autograd_meta(TensorImpl& impl) {
  AutogradMetaInterface* meta = impl.autograd_meta.load(std::memory_order_acquire);
  if (!meta) {
    auto* fresh = new AutogradMeta();
    if (impl.autograd_meta.compare_exchange_strong(meta, fresh, std::memory_order_acq_rel)) {
      meta = fresh;
    } else {
      delete fresh;
    }
  }
  return *static_cast<AutogradMeta*>(meta);
}

// True if grad mode is on and some input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// ---- provenance: why a tensor has no graph (read by explain_grad, see provenance.h) ----
// The code in TensorImpl::untracked_reason.
enum class Untracked : uint8_t {
  None = 0,
  GradModeOff = 1,        // the op ran with grad mode off while an input required grad
  Detached = 2,           // detach() of a tensor that required grad
  NotDifferentiable = 3,  // an op without a gradient (argmax, eq, to(kInt64), ...) got such an input
  LeafGrad = 4,           // a leaf's .grad() (set by AccumulateGrad), or computed from one: not a cut
};
// Added to the code of a tensor computed (with nothing requiring grad) from a tensor with a note.
inline constexpr uint8_t kUntrackedInherited = 0x80;

// What every op's forward calls before recording: true if grad mode is on and some input requires
// grad, and then the op must call record(op, inputs, output). Otherwise it leaves a note on
// `output` for explain_grad, at no cost when there is nothing to note: grad mode off with an input
// that requires grad -> "op.name ran while grad mode was off" (and the cut is remembered on this
// thread, see provenance.h); no input requires grad but one carries a note -> output inherits it.
bool needs_grad(const OpDef& op, std::initializer_list<const Tensor*> inputs, Tensor& output);
bool needs_grad(const OpDef& op, const std::vector<Tensor>& inputs, Tensor& output);
// For an op that has no gradient (argmax, comparisons, logical ops, to() an integer dtype): when an
// input requires grad, notes on `output` that `op` (a string literal) cut the graph there and
// remembers the cut; otherwise passes an input's note on, as needs_grad does.
void note_not_differentiable(const char* op, std::initializer_list<const Tensor*> inputs, Tensor& output);
// detach(): when `input` requires grad, notes on `output` that `op` ("detach") cut it out.
void note_detached(const char* op, const Tensor& input, Tensor& output);
// While a node's backward rule runs (Node::apply), the ops it calls leave no notes: a rule runs
// with grad mode off over saved inputs that require grad, which cuts nothing the user made.
extern thread_local int backward_rule_depth;
struct BackwardRuleScope {
  BackwardRuleScope() { ++backward_rule_depth; }
  ~BackwardRuleScope() { --backward_rule_depth; }
  BackwardRuleScope(const BackwardRuleScope&) = delete;
  BackwardRuleScope& operator=(const BackwardRuleScope&) = delete;
};

// The edge a gradient for `t` flows along: its grad_fn, or its leaf's AccumulateGrad node.
Edge gradient_edge(const Tensor& t);

// Stores a new node's state by name: record(...).save("self", x).arg("alpha", 2.0).ints("dim", dims).
class Recorder {
 public:
  explicit Recorder(Node& node, const Tensor& output) : node_(node), output_(output) {}
  Recorder& save(const char* name, const Tensor& t);
  Recorder& arg(const char* name, double value);
  Recorder& ints(const char* name, IntArrayRef values);
  Recorder& int_arg(const char* name, int64_t value) { return ints(name, IntArrayRef(&value, 1)); }
  Node& node() const { return node_; }

 private:
  Node& node_;
  const Tensor& output_;
};

// Makes `output` a non-leaf produced by a new node of `op`; returns the recorder for its state.
Recorder record(const OpDef& op, std::initializer_list<const Tensor*> inputs, Tensor& output);
Recorder record(const OpDef& op, const std::vector<Tensor>& inputs, Tensor& output);

uint64_t next_sequence_nr();
// The number the next node will get (no node takes it): a position in time on the tape.
uint64_t peek_sequence_nr();

// The one place allowed to write a node's fields: record() and in-place ops (which move a node's
// output onto the tensor they modify).
struct NodeBuilder {
  static void set_output_meta(Node& node, TensorMeta meta) { node.output_meta_ = std::move(meta); }
  static void save(Node& node, int slot, const Tensor& t, bool is_output) {
    node.saved_[slot] = SavedTensor(t, is_output);
  }
  static void set_arg(Node& node, int slot, double v) { node.scalar_args_[slot] = v; }
  static void set_ints(Node& node, int slot, IntArrayRef v) { node.int_lists_[slot] = DimVector(v); }
  template <typename Inputs, typename Get>
  static Node& record(const OpDef& op, const Inputs& inputs, Get get, Tensor& output);
};

}  // namespace tg::autograd
