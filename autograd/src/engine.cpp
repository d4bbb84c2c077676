// The backward engine: micrograd's "topological order, then a reverse loop", turned inside out so
// that one call to step() processes exactly one node. Nodes run newest first (highest sequence
// number): every edge points from a node to an older one, so when a node is popped every
// gradient it will ever receive has arrived.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "observe.h"
#include "ops_common.h"
#include "record.h"
#include "tapegrad/anomaly_mode.h"
#include "tapegrad/internal/kernels.h"

namespace tg::autograd {

namespace {
// A rule may return the gradient of a broadcast input in the output's shape; the engine sums it over
// the broadcast dimensions (PyTorch's validate_outputs does the same), so rules need no sum_to.
// Anything else is a wrong rule and an error naming the node.
Tensor reduce_to_input(const Node& node, std::size_t i, const Tensor& g, IntArrayRef sizes) {
  const int64_t extra = g.dim() - static_cast<int64_t>(sizes.size());
  bool broadcast = extra >= 0;
  for (std::size_t d = 0; broadcast && d < sizes.size(); ++d)
    broadcast = sizes[d] == g.size(extra + static_cast<int64_t>(d)) || sizes[d] == 1;
  if (!broadcast)
    throw Error(
        fmt::format("backward: the vjp of '{}' (#{}) returned a gradient of shape {} for input {} "
                    "of shape {}, which it cannot be summed to",
                    node.name(), node.sequence_nr(), shape_str(g.sizes()), i, shape_str(sizes)));
  return ops::sum_to(g, sizes);
}
}  // namespace

struct BackwardEngine::State {
  bool retain_graph = false;
  bool create_graph = false;
  bool capture_mode = false;  // autograd::grad: capture, don't accumulate into leaves
  bool allow_unused = false;
  bool anomaly_enabled = false;  // anomaly mode was on when the engine started: check every step
  // anomaly mode: the graph's roots, where the chain of nodes in an error starts
  std::vector<std::shared_ptr<Node>> anomaly_roots;

  struct Later {
    bool operator()(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) const {
      return a->sequence_nr() < b->sequence_nr();
    }
  };
  // A binary heap, newest on top, kept by hand (std::priority_queue cannot move its top out: a
  // copy and a release of a shared_ptr per step is two atomic operations for nothing).
  struct ReadyQueue {
    std::vector<std::shared_ptr<Node>> heap;
    bool empty() const { return heap.empty(); }
    std::size_t size() const { return heap.size(); }
    const std::shared_ptr<Node>& top() const { return heap.front(); }
    void push(std::shared_ptr<Node> node) {
      heap.push_back(std::move(node));
      std::push_heap(heap.begin(), heap.end(), Later{});
    }
    std::shared_ptr<Node> pop() {
      std::pop_heap(heap.begin(), heap.end(), Later{});
      std::shared_ptr<Node> node = std::move(heap.back());
      heap.pop_back();
      return node;
    }
  };
  ReadyQueue ready;

  std::unordered_set<const Node*> needed;  // capture mode: nodes on a path to some input
  // capture mode: for each node, the inputs of autograd::grad that are its outputs (index, output_nr)
  std::unordered_map<const Node*, std::vector<std::pair<std::size_t, uint32_t>>> capture_slots;
  std::vector<Tensor> captured;
  std::vector<std::function<void(const StepRecord&)>> observers;

  bool is_needed(const Node* node) const { return !capture_mode || needed.count(node) > 0; }

  // The engine's buffer of output `output_nr` > 0 of a node with several outputs.
  static Tensor& extra_slot(Node& node, uint32_t output_nr) {
    if (output_nr >= node.num_outputs())
      throw Error(fmt::format("backward: a gradient for output {} of node '{}' (#{}), which has {} outputs", output_nr,
                              node.name(), node.sequence_nr(), node.num_outputs()));
    return node.extras_->outputs[output_nr - 1].engine_grad;
  }

  // Adds `grad` to the buffer of output `output_nr` (an edge's input_nr) of `node`.
  void deliver(const std::shared_ptr<Node>& node, Tensor grad, uint32_t output_nr) {
    Tensor& slot = output_nr == 0 ? node->engine_grad_ : extra_slot(*node, output_nr);
    if (node->engine_owner_.load(std::memory_order_acquire) == this) {
      Tensor& pending = slot;
      if (!pending.defined()) {  // another output of the node got a gradient first
        pending = std::move(grad);
        return;
      }
      const TensorImpl* p = pending.unsafe_impl();
      // Sum in place when the engine alone owns the buffer (a parameter used by 1000 ops would
      // otherwise get 1000 fresh buffers); with create_graph the sum must be recorded.
      if (!create_graph && pending.impl_ptr().use_count() == 1 && p->storage.use_count() == 1 && p->contiguous &&
          pending.sizes().equals(grad.sizes()) && pending.dtype() == grad.dtype()) {
        kernels::binary_inplace(pending, grad, kernels::Binary::Add);
      } else {
        pending = pending + grad;
      }
      return;
    }
    const void* expected = nullptr;
    if (!node->engine_owner_.compare_exchange_strong(expected, this, std::memory_order_acq_rel))
      throw Error(
          fmt::format("backward: node '{}' (#{}) is being run by another backward at the same "
                      "time; concurrent backward through shared nodes is not supported",
                      node->name(), node->sequence_nr()));
    slot = std::move(grad);
    ready.push(node);
  }

  // Sends the gradients a node's rule returned along its edges.
  void send(Node& node, StepRecord& record, bool keep) {
    const auto& edges = node.next_edges();
    if (!node.is_accumulate_grad() && record.grad_inputs.size() != edges.size())
      throw Error(fmt::format("backward: the vjp of '{}' returned {} gradients for {} inputs", node.name(),
                              record.grad_inputs.size(), edges.size()));
    for (std::size_t i = 0; i < record.grad_inputs.size(); ++i) {
      const Tensor& g = record.grad_inputs[i];
      const Edge& edge = edges[i];
      if (!edge.is_valid() || !g.defined() || !is_needed(edge.function.get())) continue;
      const TensorMeta& meta = node.input_meta()[i];
      Tensor reduced = g.sizes().equals(meta.sizes) ? g : reduce_to_input(node, i, g, meta.sizes);
      if (keep && !reduced.is_same(g)) {
        record.grad_inputs_before_sum.resize(record.grad_inputs.size());
        record.grad_inputs_before_sum[i] = g;
        record.grad_inputs[i] = reduced;
      }
      deliver(edge.function, reduced.dtype() == meta.dtype ? reduced : reduced.to(meta.dtype), edge.input_nr);
    }
  }

  // step_into for a node with several outputs (a custom Function's): its rule gets one gradient
  // per output, undefined where none arrived.
  void step_multi(Node& node, StepRecord& record, bool keep) {
    std::vector<Tensor> grads;
    grads.reserve(node.num_outputs());
    grads.emplace_back();
    for (Node::ExtraOutput& extra : node.extras_->outputs) grads.push_back(std::move(extra.engine_grad));
    grads[0] = take(node);
    for (uint32_t k = 0; k < grads.size(); ++k)
      if (grads[k].defined()) grads[k] = node.run_pre_hooks(std::move(grads[k]), k);
    const bool node_hooks = node.has_node_hooks();
    if (node_hooks) grads = node.run_node_pre_hooks(std::move(grads));
    if (keep) {
      record.grad_output = grads[0];
      record.grad_outputs = grads;
    }
    if (capture_mode) {
      auto slots = capture_slots.find(&node);
      if (slots != capture_slots.end())
        for (auto [i, output_nr] : slots->second) captured[i] = grads[output_nr];
    }
    if (node_hooks) {
      variable_list received = grads;
      record.grad_inputs = node.run_node_hooks(node.apply_outputs(std::move(grads)), received);
    } else {
      record.grad_inputs = node.apply_outputs(std::move(grads));
    }
    if (anomaly_enabled) check_anomaly(node, record.grad_inputs, anomaly_roots);
    send(node, record, keep);
    if (!retain_graph) node.release_saved();
    for (const auto& observer : observers) observer(record);
  }

  Tensor take(Node& node) {
    node.engine_owner_.store(nullptr, std::memory_order_release);
    return std::move(node.engine_grad_);
  }

  ~State() {  // an engine abandoned mid-way (a stepper) leaves no gradients behind on the graph
    while (!ready.empty()) {
      if (Node::Extras* extras = ready.top()->extras_.get())
        for (Node::ExtraOutput& extra : extras->outputs) extra.engine_grad = Tensor();
      take(*ready.top());
      ready.pop();
    }
  }
};

namespace {
// Capture mode: mark every node from which one of the targets can be reached.
bool mark_needed(const Node* node, const std::unordered_set<const Node*>& targets,
                 std::unordered_map<const Node*, bool>& memo) {
  // iterative DFS to survive deep graphs (10,000-step chains)
  std::vector<std::pair<const Node*, std::size_t>> stack{{node, 0}};
  while (!stack.empty()) {
    auto& [current, next_child] = stack.back();
    if (next_child == 0 && memo.count(current)) {
      stack.pop_back();
      continue;
    }
    if (next_child < current->next_edges().size()) {
      const Node* child = current->next_edges()[next_child++].function.get();
      if (child && !memo.count(child)) stack.emplace_back(child, 0);
      continue;
    }
    bool result = targets.count(current) > 0;
    for (const Edge& e : current->next_edges())
      if (e.function && memo[e.function.get()]) result = true;
    memo[current] = result;
    stack.pop_back();
  }
  return memo[node];
}
}  // namespace

BackwardEngine::BackwardEngine(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                               bool retain_graph, bool create_graph, const std::vector<Tensor>& inputs,
                               bool allow_unused)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.retain_graph = retain_graph;
  s.create_graph = create_graph;
  s.capture_mode = !inputs.empty();
  s.allow_unused = allow_unused;
  s.anomaly_enabled = AnomalyMode::is_enabled();
  const char* who = s.capture_mode ? "autograd::grad" : "backward";
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    throw Error(fmt::format("{}: got {} tensors and {} gradients", who, outputs.size(), grad_outputs.size()));

  std::vector<std::pair<Edge, Tensor>> roots;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    if (!out.defined()) throw Error(fmt::format("{}: output {} is an undefined tensor", who, i));
    if (!out.requires_grad())
      throw Error(
          fmt::format("{}: element {} of tensors does not require grad and does not have a "
                      "grad_fn (shape {}); did you forget requires_grad(true), or run it under "
                      "NoGradGuard?",
                      who, i, shape_str(out.sizes())));
    Tensor grad = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!grad.defined()) {
      if (out.numel() != 1)
        throw Error(
            fmt::format("{}: grad can be implicitly created only for scalar outputs; got a "
                        "tensor of shape {} (pass a gradient of that shape)",
                        who, shape_str(out.sizes())));
      grad = ones_like(out);
    } else if (!grad.sizes().equals(out.sizes())) {
      throw Error(fmt::format("{}: gradient of shape {} does not match output {} of shape {}", who,
                              shape_str(grad.sizes()), i, shape_str(out.sizes())));
    }
    roots.emplace_back(gradient_edge(out), grad);
    if (s.anomaly_enabled) s.anomaly_roots.push_back(roots.back().first.function);
  }

  if (s.capture_mode) {
    std::unordered_set<const Node*> targets;
    s.captured.resize(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& in = inputs[i];
      if (!in.defined() || !in.requires_grad())
        throw Error(fmt::format("autograd::grad: input {} (shape {}) does not require grad", i,
                                in.defined() ? shape_str(in.sizes()) : std::string("undefined")));
      Edge edge = gradient_edge(in);
      s.capture_slots[edge.function.get()].emplace_back(i, edge.input_nr);
      targets.insert(edge.function.get());
      // keep the accumulator alive for the duration of the run
      s.needed.insert(edge.function.get());
    }
    std::unordered_map<const Node*, bool> memo;
    for (auto& [edge, grad] : roots) mark_needed(edge.function.get(), targets, memo);
    for (auto& [node, flag] : memo)
      if (flag) s.needed.insert(node);
  }

  AutoGradMode mode(create_graph);
  for (auto& [edge, grad] : roots)
    if (s.is_needed(edge.function.get())) s.deliver(edge.function, grad, edge.input_nr);
}

BackwardEngine::~BackwardEngine() = default;

bool BackwardEngine::done() const { return state_->ready.empty(); }
std::size_t BackwardEngine::nodes_remaining() const { return state_->ready.size(); }

std::shared_ptr<Node> BackwardEngine::peek() const { return state_->ready.empty() ? nullptr : state_->ready.top(); }

Tensor BackwardEngine::pending_grad(const Node* node) const {
  return node->engine_owner_.load(std::memory_order_acquire) == state_.get() ? node->engine_grad_ : Tensor();
}

void BackwardEngine::add_observer(std::function<void(const StepRecord&)> observer) {
  state_->observers.push_back(std::move(observer));
}

StepRecord BackwardEngine::step() {
  StepRecord record;
  step_into(record, true);
  return record;
}

// One node. With keep = false (run() without observers) the record holds only the node, so the
// gradient handed to a leaf is uniquely owned and AccumulateGrad can adopt it without a copy.
void BackwardEngine::step_into(StepRecord& record, bool keep) {
  State& s = *state_;
  if (s.ready.empty()) throw Error("backward: step() called on a finished engine");
  AutoGradMode mode(s.create_graph);
  record.node = s.ready.pop();
  Node& node = *record.node;
  if (node.extras_ && !node.extras_->outputs.empty()) return s.step_multi(node, record, keep);
  Tensor grad = s.take(node);

  grad = node.run_pre_hooks(std::move(grad));
  const bool node_hooks = node.has_node_hooks();
  if (node_hooks) grad = std::move(node.run_node_pre_hooks({std::move(grad)})[0]);
  if (keep) record.grad_output = grad;

  bool run_node = true;
  if (s.capture_mode) {
    auto slots = s.capture_slots.find(&node);
    if (slots != s.capture_slots.end()) {
      for (auto slot : slots->second) s.captured[slot.first] = grad;
      // a leaf's accumulator must not touch .grad() in autograd::grad
      if (node.is_accumulate_grad()) run_node = false;
    }
  }

  if (run_node) {
    if (node.is_accumulate_grad()) static_cast<AccumulateGrad&>(node).create_graph = s.create_graph;
    if (node.is_accumulate_grad()) {
      Tensor handed_over = node_hooks ? grad : std::move(grad);
      record.grad_inputs = node.apply(handed_over);
    } else {
      record.grad_inputs = node.apply(grad);
    }
    if (node_hooks) record.grad_inputs = node.run_node_hooks(std::move(record.grad_inputs), {grad});
    if (s.anomaly_enabled) check_anomaly(node, record.grad_inputs, s.anomaly_roots);
    s.send(node, record, keep);
  }
  if (!s.retain_graph) node.release_saved();
  for (const auto& observer : s.observers) observer(record);
}

void BackwardEngine::run() {
  bool keep = !state_->observers.empty();
  while (!done()) {
    StepRecord record;
    step_into(record, keep);
  }
}

std::vector<Tensor> BackwardEngine::captured_grads() const {
  const State& s = *state_;
  if (!s.allow_unused)
    for (std::size_t i = 0; i < s.captured.size(); ++i)
      if (!s.captured[i].defined())
        throw Error(
            fmt::format("autograd::grad: input {} was not used in the graph of the outputs; "
                        "pass allow_unused=true to get an undefined gradient for it",
                        i));
  return s.captured;
}

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              std::optional<bool> retain_graph, bool create_graph) {
  BackwardEngine engine(tensors, grad_tensors, retain_graph.value_or(create_graph), create_graph);
  engine.run();
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  if (inputs.empty()) throw Error("autograd::grad: inputs must not be empty");
  BackwardEngine engine(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph, inputs, allow_unused);
  engine.run();
  return engine.captured_grads();
}

std::vector<std::shared_ptr<Node>> collect_tape(const Tensor& root) {
  std::vector<std::shared_ptr<Node>> nodes;
  if (!root.defined() || !root.requires_grad()) return nodes;
  std::unordered_set<const Node*> seen;
  std::vector<std::shared_ptr<Node>> stack{gradient_edge(root).function};
  while (!stack.empty()) {
    std::shared_ptr<Node> node = std::move(stack.back());
    stack.pop_back();
    if (!node || !seen.insert(node.get()).second) continue;
    nodes.push_back(node);
    for (const Edge& e : node->next_edges())
      if (e.function) stack.push_back(e.function);
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& a, const auto& b) { return a->sequence_nr() > b->sequence_nr(); });
  return nodes;
}

}  // namespace tg::autograd
