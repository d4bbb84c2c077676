// The tape: nodes recorded by ops, the steppable backward engine, autograd::grad and gradcheck.
//
// Every op on a tensor that requires grad appends a Node: its op name, a sequence number (its
// position on the tape), the tensors it saved, the edges to its inputs' nodes and a vjp (the
// vector-Jacobian product, written with Tensor ops). backward() runs a BackwardEngine, which
// processes one node per step() in reverse tape order; tools that trace or pause backward observe
// those steps instead of re-implementing the loop.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/ops.h"
#include "tapegrad/pool_allocator.h"
#include "tapegrad/small_vector.h"
#include "tapegrad/tensor.h"

namespace tg::autograd {

class Node;

// Shape and dtype of a tensor flowing through a node (its output, or one of its inputs).
struct TensorMeta {
  DimVector sizes;
  ScalarType dtype = kFloat32;
};

// Where the gradient for one input of a node goes: input_nr of `function` (a Node, or an
// AccumulateGrad node for a leaf). An edge with no function means "this input needs no gradient".
struct Edge {
  std::shared_ptr<Node> function;
  uint32_t input_nr = 0;
  bool is_valid() const { return function != nullptr; }
};

// A tensor saved for backward together with the version it had when saved. unpack() refuses a
// tensor that was modified in place since (libtorch's check) or freed after backward.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& tensor, bool is_output);
  // `owner` is the node that saved it: a saved output is handed back with owner as grad_fn, so
  // that a create_graph backward differentiates through it.
  Tensor unpack(const Node& owner, const std::shared_ptr<Node>& owner_ptr) const;
  Tensor peek() const { return data_; }  // for printing: no checks, no grad_fn
  bool released() const { return released_; }
  void release();
  // For iterative graph destruction: takes the grad_fn of a saved tensor no one else holds.
  std::shared_ptr<Node> steal_unique_grad_fn();
  int64_t saved_version() const { return saved_version_; }
  bool is_output() const { return is_output_; }

 private:
  Tensor data_;  // an output is stored detached (no grad_fn), so node -> tensor -> node is no cycle
  int64_t saved_version_ = 0;
  uint32_t output_nr_ = 0;  // a saved output: which output of its node it is
  bool is_output_ = false;
  bool released_ = false;
};

// libtorch's names for lists of tensors flowing through autograd.
using Variable = Tensor;
using variable_list = std::vector<Variable>;
using tensor_list = std::vector<Tensor>;

class VjpContext;
// The backward half of one op: grad_output -> one gradient per input (undefined when an input
// needs none). Written with Tensor ops, so it is itself differentiable. A gradient may have the
// shape of the op's output where the input was broadcast: the engine sums it down to the input's
// shape (as PyTorch's validate_outputs), so a rule is the math and nothing else.
using VjpFn = variable_list (*)(const VjpContext& ctx, const Tensor& grad_output);

// Names of an op's saved state, in slot order; unused entries stay null.
using OpNames = std::array<const char*, 6>;

// One op's identity on the tape, defined in one block next to its forward:
//   const OpDef kMul{.name = "mul",
//                    .formula = "grad_self = grad * other;  grad_other = grad * self",
//                    .saved = {"self", "other"},
//                    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
//                      return {grad * ctx.saved("other"), grad * ctx.saved("self")};
//                    }};
// The forward records with record(kMul, {&self, &other}, out).save("self", self).save("other", other);
// the rule reads its state back by the same names. All OpDefs are listed by registered_ops().
struct OpDef {
  const char* name;        // "mul": the node's name; MulBackward0 as PyTorch prints grad_fn
  const char* formula;     // the rule in math notation, printed by tools for each backward step
  OpNames saved = {};      // tensors the rule needs ("self", "other", "result", ...)
  OpNames scalars = {};    // floating-point arguments ("alpha", "exponent", ...)
  OpNames int_lists = {};  // integer-list arguments ("dim", "kernel_size", ...)
  VjpFn vjp = nullptr;
};
const std::vector<const OpDef*>& registered_ops();
// The slot of `name` in `names`, or -1.
int op_slot(const OpNames& names, const char* name);

using GradHook = std::function<Tensor(const Tensor&)>;
// Node hooks, as PyTorch 2's grad_fn.register_prehook / register_hook. A pre-hook sees the
// gradients arriving at the node's outputs (grad_outputs, one per output) before its rule runs; a
// hook sees what the rule sent to each input (grad_inputs) and what it received. Either may return
// replacements (same count), or an empty list to leave them as they are.
using NodePreHook = std::function<variable_list(const variable_list& grad_outputs)>;
using NodePostHook = std::function<variable_list(const variable_list& grad_inputs, const variable_list& grad_outputs)>;

// Where a node's forward was called, kept while anomaly mode is on (see anomaly_mode.h).
struct AnomalyMetadata;

// A node's lists (edges, input metadata, saved tensors, scalar arguments): two elements inside the
// node, so that recording an op with at most two of each (and no integer-list argument) allocates
// one block; more go to the pool. Read them as any range: size(), [i], begin()/end().
template <typename T>
using NodeList = SmallVector<T, 2>;

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node(const OpDef* op, uint64_t sequence_nr);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // ---- read-only view for tools ----
  const char* name() const { return op_->name; }  // "mul"
  virtual std::string backward_name() const;      // "MulBackward0", as PyTorch prints grad_fn
  const OpDef& op() const { return *op_; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  const NodeList<Edge>& next_edges() const { return next_edges_; }
  const NodeList<TensorMeta>& input_meta() const { return input_meta_; }
  const TensorMeta& output_meta() const { return output_meta_; }
  // A built-in op's node has one output; a custom Function's may have several (Tensor::output_nr()
  // says which one a tensor is). Outputs 1.. keep their metadata, hooks and engine buffer apart, so
  // that the one-output path of the engine is unchanged.
  uint32_t num_outputs() const { return 1 + (extras_ ? static_cast<uint32_t>(extras_->outputs.size()) : 0u); }
  const TensorMeta& output_meta(uint32_t output_nr) const;  // a tg::Error past the last output
  // The saved tensors as plain data (no grad_fn); empty slots after release.
  std::vector<Tensor> saved_tensors() const;
  std::size_t num_saved() const { return saved_.size(); }
  bool saved_released() const { return released_; }
  // The named floating-point arguments, in the slot order of op().scalars.
  const NodeList<double>& scalar_args() const { return scalar_args_; }
  // The named integer-list arguments, in the slot order of op().int_lists.
  const PoolVector<DimVector>& int_lists() const { return int_lists_; }
  virtual bool is_accumulate_grad() const { return false; }

  // ---- for the engine ----
  // Runs the vjp: one gradient per input edge (undefined where none is needed).
  virtual std::vector<Tensor> apply(const Tensor& grad_output);
  // A node with several outputs: one gradient per output (undefined where none arrived). The
  // engine calls this instead of apply() when num_outputs() > 1; the default throws tg::Error.
  virtual std::vector<Tensor> apply_outputs(std::vector<Tensor> grad_outputs);
  virtual void release_saved();
  // Hooks on the gradient flowing into output `output_nr` of this node (Tensor::register_hook and
  // retain_grad on a non-leaf). remove_pre_hook finds a handle on any output.
  unsigned add_pre_hook(GradHook hook, uint32_t output_nr = 0);
  void remove_pre_hook(unsigned handle);
  Tensor run_pre_hooks(Tensor grad_output, uint32_t output_nr = 0) const;
  void set_retain_grad_target(const std::shared_ptr<TensorImpl>& target, uint32_t output_nr = 0);

  // ---- node hooks (PyTorch 2's Node.register_prehook / register_hook) ----
  // Runs `hook(grad_outputs)` when the gradients for this node's outputs have all arrived, after the
  // tensors' own hooks and before the rule; a non-empty result replaces grad_outputs (a tg::Error if
  // its length differs). Returns a handle for remove_hook.
  unsigned register_prehook(NodePreHook hook);
  // Runs `hook(grad_inputs, grad_outputs)` after the rule, before the gradients are sent on; a
  // non-empty result replaces grad_inputs (a tg::Error if its length differs).
  unsigned register_hook(NodePostHook hook);
  void remove_hook(unsigned handle);  // either kind; an unknown handle is ignored
  bool has_node_hooks() const { return extras_ && (!extras_->node_pre_hooks.empty() || !extras_->node_hooks.empty()); }
  variable_list run_node_pre_hooks(variable_list grad_outputs) const;
  variable_list run_node_hooks(variable_list grad_inputs, const variable_list& grad_outputs) const;

  // Where the forward of this node was called, when it was recorded with anomaly mode on; else null.
  const AnomalyMetadata* anomaly_metadata() const { return extras_ ? extras_->anomaly.get() : nullptr; }
  void set_anomaly_metadata(std::shared_ptr<const AnomalyMetadata> metadata) { extras().anomaly = std::move(metadata); }

 protected:
  // Filled once, when the op records the node (autograd/src/node.cpp); read-only afterwards.
  friend struct NodeBuilder;
  friend class VjpContext;
  NodeList<Edge> next_edges_;
  NodeList<TensorMeta> input_meta_;
  TensorMeta output_meta_;
  NodeList<SavedTensor> saved_;
  NodeList<double> scalar_args_;
  PoolVector<DimVector> int_lists_;
  // What most nodes never need, allocated on first use (one pointer on the node): the hooks and
  // retain_grad target of each output, and for a node with several outputs (a custom Function's)
  // the metadata of outputs 1.. and the gradient the running engine accumulated for each (output
  // 0 uses output_meta_ and engine_grad_).
  struct OutputHooks {
    std::vector<std::pair<unsigned, GradHook>> pre_hooks;
    std::weak_ptr<TensorImpl> retain_grad_target;
  };
  struct ExtraOutput {
    TensorMeta meta;
    Tensor engine_grad;
    OutputHooks hooks;
  };
  struct Extras {
    OutputHooks first;                 // output 0
    std::vector<ExtraOutput> outputs;  // outputs 1..
    std::vector<std::pair<unsigned, NodePreHook>> node_pre_hooks;
    std::vector<std::pair<unsigned, NodePostHook>> node_hooks;
    std::shared_ptr<const AnomalyMetadata> anomaly;
  };
  std::unique_ptr<Extras> extras_;
  Extras& extras();                           // made on first use
  OutputHooks& hooks_of(uint32_t output_nr);  // a tg::Error past the last output

 private:
  friend class BackwardEngine;
  // The gradient accumulated for this node's output by the engine currently running it (kept on
  // the node rather than in a hash map: one fewer allocation and lookup per node and step).
  Tensor engine_grad_;
  // The engine running this node, claimed with a compare-exchange so that two backward passes
  // through one node in two threads cannot both take it (the second gets a tg::Error).
  std::atomic<const void*> engine_owner_{nullptr};
  const OpDef* op_;
  uint64_t sequence_nr_;
  bool released_ = false;
};

// What a vjp sees: its node's saved tensors (checked), metadata and non-tensor arguments.
class VjpContext {
 public:
  explicit VjpContext(const Node& node) : node_(node) {}
  const TensorMeta& input(std::size_t i) const { return node_.input_meta_[i]; }
  IntArrayRef input_sizes(std::size_t i) const { return node_.input_meta_[i].sizes; }
  const TensorMeta& output() const { return node_.output_meta_; }
  bool needs_input_grad(std::size_t i) const { return i < node_.next_edges_.size() && node_.next_edges_[i].is_valid(); }
  // The op's state by the names its OpDef declares; an undeclared name is a tg::Error.
  Tensor saved(const char* name) const;
  double arg(const char* name) const;
  IntArrayRef ints(const char* name) const;
  int64_t int_arg(const char* name) const;  // a one-element integer list
  const Node& node() const { return node_; }

 private:
  const Node& node_;
};

// The node that a leaf tensor's gradient flows into: accumulates into leaf.grad().
class AccumulateGrad final : public Node {
 public:
  AccumulateGrad(std::shared_ptr<TensorImpl> leaf, uint64_t sequence_nr);
  bool is_accumulate_grad() const override { return true; }
  std::vector<Tensor> apply(const Tensor& grad_output) override;
  Tensor variable() const;
  // When false (autograd::grad), apply() only passes the gradient through.
  bool accumulate = true;
  bool create_graph = false;

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

// ---- the engine ----

// What one step did: the node processed, the gradient that reached its output, and the
// gradients it sent to each input edge.
struct StepRecord {
  std::shared_ptr<Node> node;
  Tensor grad_output;
  std::vector<Tensor> grad_inputs;
  // A node with several outputs: the gradient of each (undefined where none arrived; grad_output
  // is the first). Empty for a one-output node.
  std::vector<Tensor> grad_outputs;
  // Where the rule returned a gradient in the output's shape for a broadcast input, that gradient
  // before the engine summed it to the input's shape (grad_inputs holds the sum); empty, or
  // undefined entries, where no sum was needed.
  std::vector<Tensor> grad_inputs_before_sum;
};

// Runs backward from `outputs` one node at a time, newest sequence number first. Usage:
//   BackwardEngine engine({loss}, {}, /*retain_graph=*/false, /*create_graph=*/false);
//   while (!engine.done()) { auto record = engine.step(); ... }
// When `inputs` is given (autograd::grad), gradients for those tensors are captured instead of
// accumulated into leaves' grad(), and only nodes that lead to an input are run.
class BackwardEngine {
 public:
  BackwardEngine(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
                 bool create_graph, const std::vector<Tensor>& inputs = {}, bool allow_unused = false);
  ~BackwardEngine();
  BackwardEngine(const BackwardEngine&) = delete;
  BackwardEngine& operator=(const BackwardEngine&) = delete;

  bool done() const;
  // The node the next step() will process (nullptr when done).
  std::shared_ptr<Node> peek() const;
  // The gradient accumulated so far for a node's output (undefined if none yet).
  Tensor pending_grad(const Node* node) const;
  std::size_t nodes_remaining() const;
  StepRecord step();
  void run();
  // Observers see every step, after it ran.
  void add_observer(std::function<void(const StepRecord&)> observer);
  // autograd::grad's results, one per input (after run()).
  std::vector<Tensor> captured_grads() const;

 private:
  void step_into(StepRecord& record, bool keep);
  struct State;
  std::unique_ptr<State> state_;
};

// libtorch's torch::autograd::backward / grad.
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

// The tape behind `root`: every node reachable from it, newest (highest sequence number) first.
std::vector<std::shared_ptr<Node>> collect_tape(const Tensor& root);

// ---- numerical checks ----
using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;
// Compares the tape's full Jacobian of fn at inputs (one autograd::grad per output element) with
// central finite differences of step eps (one pair of fn calls per input element), as PyTorch's
// torch.autograd.gradcheck; |analytic - numeric| <= atol + rtol |numeric| for every entry. Inputs
// that require grad must be float64. Throws tg::Error naming the input, the Jacobian entry and both
// values of the first mismatch when raise_exception, else returns false.
bool gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6, double atol = 1e-5,
               double rtol = 1e-3, bool raise_exception = true);
// Checks second derivatives (torch.autograd.gradgradcheck): gradcheck of the map
// (inputs, v) -> autograd::grad(fn(inputs), inputs, v, create_graph=true), v drawn by tg::randn.
bool gradgradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6, double atol = 1e-5,
                   double rtol = 1e-3, bool raise_exception = true);

}  // namespace tg::autograd

namespace tg {
// A hook-free way to say "this node's op" from a tensor: "MulBackward0", or "" for a leaf.
std::string grad_fn_name(const Tensor& t);
}  // namespace tg
