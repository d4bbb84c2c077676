// Nodes, saved tensors and the recording of ops onto the tape; the autograd methods of Tensor.
#include <fmt/format.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>

#include "observe.h"
#include "record.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/pool.h"

namespace tg::autograd {

// ---- SavedTensor ----

SavedTensor::SavedTensor(const Tensor& tensor, bool is_output) : is_output_(is_output) {
  if (!tensor.defined()) return;
  saved_version_ = tensor._version();
  if (is_output) {
    output_nr_ = tensor.unsafe_impl()->output_nr;
    // Keep the data but not the grad_fn: output -> node -> saved output would be a cycle.
    const TensorImpl& src = *tensor.unsafe_impl();
    data_ = detail::make_view(tensor, src.sizes, src.strides, src.offset);
    data_.unsafe_impl()->is_view = src.is_view;
  } else {
    data_ = tensor;
  }
}

std::shared_ptr<Node> SavedTensor::steal_unique_grad_fn() {
  if (!data_.defined() || data_.impl_ptr().use_count() != 1) return nullptr;
  std::shared_ptr<Node>& fn = data_.unsafe_impl()->grad_fn;
  if (!fn) return nullptr;
  return std::move(fn);  // the tensor dies with its node; the queue finishes its graph
}

void SavedTensor::release() {
  data_ = Tensor();
  released_ = true;
}

Tensor SavedTensor::unpack(const Node& owner, const std::shared_ptr<Node>& owner_ptr) const {
  if (released_)
    throw Error(
        fmt::format("backward: trying to backward through the graph a second time: node '{}' (#{}) freed its "
                    "saved tensors after the first backward. Pass retain_graph=true to the first backward if "
                    "you need to backward through the same graph twice.",
                    owner.name(), owner.sequence_nr()));
  if (!data_.defined()) return data_;
  if (data_._version() != saved_version_)
    throw Error(
        fmt::format("backward: a tensor needed by '{}' (#{}) to compute gradients, of shape {} and dtype {}, "
                    "has been modified by an in-place operation: it is at version {}, expected version {}. "
                    "Use an out-of-place op or clone() it before modifying.",
                    owner.name(), owner.sequence_nr(), shape_str(data_.sizes()), dtype_name(data_.dtype()),
                    data_._version(), saved_version_));
  if (is_output_ && is_grad_enabled() && owner_ptr) {
    // create_graph: hand the output back with its node, so double backward goes through it.
    const TensorImpl& src = *data_.unsafe_impl();
    Tensor with_graph = detail::make_view(data_, src.sizes, src.strides, src.offset);
    with_graph.unsafe_impl()->grad_fn = owner_ptr;
    with_graph.unsafe_impl()->output_nr = static_cast<uint16_t>(output_nr_);
    with_graph.unsafe_impl()->requires_grad = true;
    return with_graph;
  }
  return data_;
}

// ---- Node ----

Node::Node(const OpDef* op, uint64_t sequence_nr) : op_(op), sequence_nr_(sequence_nr) {}
// Dropping the last reference to a long graph would recurse once per node (each node's edges and
// saved inputs own older nodes). Unlink iteratively instead: children whose last owner is this node
// are queued and destroyed by the outermost destructor's loop. The queue lives on that destructor's
// stack and the thread_local is a plain pointer to it: a graph held by a static object is destroyed
// at exit, after the thread's thread_local objects, and must not touch a destroyed vector.
Node::~Node() {
  static thread_local std::vector<std::shared_ptr<Node>>* active_queue = nullptr;
  std::vector<std::shared_ptr<Node>> own_queue;
  const bool outermost = active_queue == nullptr;
  std::vector<std::shared_ptr<Node>>& queue = outermost ? own_queue : *active_queue;
  // Every reference that may be the last one to an older node moves into the queue (a node can be
  // owned twice, by an edge and by a saved input's grad_fn), so member destruction below never
  // releases a node and never recurses.
  const std::size_t first_stolen = queue.size();
  for (SavedTensor& s : saved_)
    if (auto child = s.steal_unique_grad_fn()) queue.push_back(std::move(child));
  const std::size_t end_stolen = queue.size();
  for (Edge& e : next_edges_) {
    if (!e.function) continue;
    bool last_owner = e.function.use_count() == 1;
    for (std::size_t i = first_stolen; i < end_stolen && !last_owner; ++i)
      last_owner = queue[i] == e.function;  // its other owner is a stolen entry: queue it too
    if (last_owner) queue.push_back(std::move(e.function));
  }
  if (!outermost || queue.empty()) return;
  active_queue = &own_queue;
  while (!queue.empty()) {
    std::shared_ptr<Node> next = std::move(queue.back());
    queue.pop_back();
    next.reset();  // may push more children
  }
  active_queue = nullptr;
}

std::string Node::backward_name() const {
  if (is_accumulate_grad()) return "AccumulateGrad";
  std::string out;
  bool upper = true;
  for (const char* c = name(); *c; ++c) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return out + "Backward0";
}

std::vector<Tensor> Node::saved_tensors() const {
  std::vector<Tensor> out;
  out.reserve(saved_.size());
  for (const SavedTensor& s : saved_) out.push_back(s.peek());
  return out;
}

std::vector<Tensor> Node::apply(const Tensor& grad_output) {
  VjpContext ctx(*this);   // no shared_from_this() per step: saved() takes one only when it must
  BackwardRuleScope rule;  // the rule's ops leave no provenance notes (provenance.h)
  return op_->vjp(ctx, grad_output);
}

std::vector<Tensor> Node::apply_outputs(std::vector<Tensor>) {
  throw Error(fmt::format("backward: node '{}' (#{}) has {} outputs but no rule for several", name(), sequence_nr(),
                          num_outputs()));
}

void Node::release_saved() {
  for (SavedTensor& s : saved_) s.release();
  released_ = true;
}

namespace {
std::atomic<unsigned> next_hook_handle{1};
}

const TensorMeta& Node::output_meta(uint32_t output_nr) const {
  if (output_nr >= num_outputs())
    throw Error(
        fmt::format("node '{}' (#{}) has no output {} (it has {})", name(), sequence_nr(), output_nr, num_outputs()));
  return output_nr == 0 ? output_meta_ : extras_->outputs[output_nr - 1].meta;
}

Node::Extras& Node::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

Node::OutputHooks& Node::hooks_of(uint32_t output_nr) {
  if (output_nr >= num_outputs())
    throw Error(
        fmt::format("node '{}' (#{}) has no output {} (it has {})", name(), sequence_nr(), output_nr, num_outputs()));
  return output_nr == 0 ? extras().first : extras_->outputs[output_nr - 1].hooks;
}

unsigned Node::add_pre_hook(GradHook hook, uint32_t output_nr) {
  unsigned handle = next_hook_handle++;
  hooks_of(output_nr).pre_hooks.emplace_back(handle, std::move(hook));
  return handle;
}

void Node::remove_pre_hook(unsigned handle) {
  if (!extras_) return;
  auto same = [&](const auto& entry) { return entry.first == handle; };
  std::erase_if(extras_->first.pre_hooks, same);
  for (ExtraOutput& extra : extras_->outputs) std::erase_if(extra.hooks.pre_hooks, same);
}

Tensor Node::run_pre_hooks(Tensor grad_output, uint32_t output_nr) const {
  if (!extras_) return grad_output;
  const OutputHooks& hooks = output_nr == 0 ? extras_->first : extras_->outputs[output_nr - 1].hooks;
  for (const auto& [handle, hook] : hooks.pre_hooks) {
    Tensor replaced = hook(grad_output);
    if (replaced.defined()) grad_output = replaced;
  }
  if (auto target = hooks.retain_grad_target.lock()) {
    Tensor& grad = materialize_autograd_meta(*target).grad;
    if (!grad.defined()) {
      grad = is_grad_enabled() ? grad_output : grad_output.detach().clone();
    } else {
      grad = grad + grad_output;
    }
  }
  return grad_output;
}

unsigned Node::register_prehook(NodePreHook hook) {
  unsigned handle = next_hook_handle++;
  extras().node_pre_hooks.emplace_back(handle, std::move(hook));
  return handle;
}

unsigned Node::register_hook(NodePostHook hook) {
  unsigned handle = next_hook_handle++;
  extras().node_hooks.emplace_back(handle, std::move(hook));
  return handle;
}

void Node::remove_hook(unsigned handle) {
  if (!extras_) return;
  auto same = [&](const auto& entry) { return entry.first == handle; };
  std::erase_if(extras_->node_pre_hooks, same);
  std::erase_if(extras_->node_hooks, same);
}

variable_list Node::run_node_pre_hooks(variable_list grad_outputs) const {
  if (!extras_) return grad_outputs;
  for (const auto& [handle, hook] : extras_->node_pre_hooks) {
    variable_list replaced = hook(grad_outputs);
    if (replaced.empty()) continue;
    if (replaced.size() != grad_outputs.size())
      throw Error(fmt::format("backward: a pre-hook of node '{}' (#{}) returned {} gradients for {} outputs",
                              backward_name(), sequence_nr(), replaced.size(), grad_outputs.size()));
    grad_outputs = std::move(replaced);
  }
  return grad_outputs;
}

variable_list Node::run_node_hooks(variable_list grad_inputs, const variable_list& grad_outputs) const {
  if (!extras_) return grad_inputs;
  for (const auto& [handle, hook] : extras_->node_hooks) {
    variable_list replaced = hook(grad_inputs, grad_outputs);
    if (replaced.empty()) continue;
    if (replaced.size() != grad_inputs.size())
      throw Error(fmt::format("backward: a hook of node '{}' (#{}) returned {} gradients for {} inputs",
                              backward_name(), sequence_nr(), replaced.size(), grad_inputs.size()));
    grad_inputs = std::move(replaced);
  }
  return grad_inputs;
}

void Node::set_retain_grad_target(const std::shared_ptr<TensorImpl>& target, uint32_t output_nr) {
  hooks_of(output_nr).retain_grad_target = target;
}

// ---- AccumulateGrad ----

namespace {
std::vector<Tensor> accumulate_grad_vjp(const VjpContext&, const Tensor&) { return {}; }
const OpDef kAccumulateGradDef{.name = "accumulate_grad", .formula = "leaf.grad += grad", .vjp = &accumulate_grad_vjp};
}  // namespace

AccumulateGrad::AccumulateGrad(std::shared_ptr<TensorImpl> leaf, uint64_t sequence_nr)
    : Node(&kAccumulateGradDef, sequence_nr), leaf_(std::move(leaf)) {
  output_meta_ = TensorMeta{leaf_->sizes, leaf_->dtype};
}

Tensor AccumulateGrad::variable() const { return Tensor(leaf_); }

std::vector<Tensor> AccumulateGrad::apply(const Tensor& grad_output) {
  Tensor grad = grad_output;
  AutogradMeta& meta = materialize_autograd_meta(*leaf_);
  for (const auto& [handle, hook] : meta.hooks) {
    Tensor replaced = hook(grad);
    if (replaced.defined()) grad = replaced;
  }
  if (!accumulate) return {};
  Tensor& slot = meta.grad;
  if (!slot.defined()) {
    // Adopt the incoming gradient when nothing else can see it (the engine handed over its only
    // reference, no view shares its storage); otherwise copy, since add's vjp passes one tensor
    // to several inputs. Adopting saves a full read and write of the gradient.
    const TensorImpl* g = grad.unsafe_impl();
    bool sole_owner = grad.impl_ptr().use_count() == 1 && g->storage.use_count() == 1 && g->contiguous &&
                      g->offset == 0 && !g->grad_fn && g->dtype == leaf_->dtype &&
                      static_cast<std::size_t>(g->numel) * element_size(g->dtype) == g->storage->nbytes;
    slot = create_graph || sole_owner ? grad : grad.detach().clone();
    // explain_grad: a note that this tensor is a leaf's gradient, passed on to what is computed from
    // it without a graph (lr * w.grad()), so that an update w = w - lr * w.grad() is recognised.
    if (!slot.unsafe_impl()->grad_fn) {
      slot.unsafe_impl()->untracked_origin = "grad";
      slot.unsafe_impl()->untracked_reason = static_cast<uint8_t>(Untracked::LeafGrad);
    }
  } else if (create_graph) {
    slot = slot + grad;
  } else {
    kernels::binary_inplace(slot, grad, kernels::Binary::Add);
    detail::bump_version(slot);
  }
  return {};
}

// ---- recording ----

int op_slot(const OpNames& names, const char* name) {
  for (std::size_t i = 0; i < names.size() && names[i]; ++i)
    if (names[i] == name || std::strcmp(names[i], name) == 0) return static_cast<int>(i);
  return -1;
}

namespace {
std::size_t count_names(const OpNames& names) {
  std::size_t n = 0;
  while (n < names.size() && names[n]) ++n;
  return n;
}
}  // namespace

namespace {
std::atomic<uint64_t> sequence_counter{0};
}  // namespace

uint64_t next_sequence_nr() { return sequence_counter.fetch_add(1, std::memory_order_relaxed); }
uint64_t peek_sequence_nr() { return sequence_counter.load(std::memory_order_relaxed); }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

// A leaf's AccumulateGrad is made on first use and shared by every graph recorded over the leaf
// while one is alive. Threads recording over the same leaves (one module, grad mode on, several
// threads) would otherwise read and write the leaf's weak_ptr at once: ThreadSanitizer found it.
namespace {
std::mutex grad_accumulator_mutex;
}  // namespace

Edge gradient_edge(const Tensor& t) {
  TensorImpl* impl = t.unsafe_impl();
  if (impl->grad_fn) return Edge{impl->grad_fn, impl->output_nr};
  if (!impl->requires_grad) return Edge{};
  std::lock_guard<std::mutex> lock(grad_accumulator_mutex);
  AutogradMeta& meta = materialize_autograd_meta(*impl);
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc =
        std::allocate_shared<AccumulateGrad>(detail::PoolAllocator<AccumulateGrad>(), t.impl_ptr(), next_sequence_nr());
    meta.grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

template <typename Inputs, typename Get>
Node& NodeBuilder::record(const OpDef& op, const Inputs& inputs, Get get, Tensor& output) {
  // Edges first: a leaf's AccumulateGrad created here must get an older sequence number than this
  // node, or the engine's newest-first order would run it before this node delivers to it.
  NodeList<Edge> edges;
  edges.reserve(inputs.size());
  for (const auto& item : inputs) {
    const Tensor& t = get(item);
    edges.push_back(t.defined() && t.requires_grad() ? gradient_edge(t) : Edge{});
  }
  auto node = std::allocate_shared<Node>(detail::PoolAllocator<Node>(), &op, next_sequence_nr());
  node->next_edges_ = std::move(edges);
  node->input_meta_.reserve(inputs.size());
  bool from_leaf_grad = false;
  for (const auto& item : inputs) {
    const Tensor& t = get(item);
    node->input_meta_.push_back(t.defined() ? TensorMeta{t.sizes(), t.dtype()} : TensorMeta{});
    // an input without a graph computed from a leaf's .grad(): explain_grad's evidence of an update
    if (t.defined() && (t.unsafe_impl()->untracked_reason & 0x7f) == static_cast<uint8_t>(Untracked::LeafGrad) &&
        !t.unsafe_impl()->grad_fn) [[unlikely]]
      from_leaf_grad = true;
  }
  node->output_meta_ = TensorMeta{output.sizes(), output.dtype()};
  // one slot per name the OpDef declares, filled by the Recorder
  if (std::size_t n = count_names(op.saved)) node->saved_.resize(n);
  if (std::size_t n = count_names(op.scalars)) node->scalar_args_.resize(n);
  if (std::size_t n = count_names(op.int_lists)) node->int_lists_.resize(n);
  Node& recorded = *node;
  TensorImpl* out = output.unsafe_impl();
  out->grad_fn = std::move(node);  // the output owns the node (a move: no reference count traffic)
  out->requires_grad = true;
  if (from_leaf_grad) [[unlikely]] {
    out->untracked_origin = "grad";
    out->untracked_reason = static_cast<uint8_t>(Untracked::LeafGrad) | kUntrackedInherited;
  }
  if (observing_records()) [[unlikely]] {
    variable_list observed_inputs;
    for (const auto& item : inputs) observed_inputs.push_back(get(item));
    observe_record(recorded, observed_inputs, {output});
  }
  return recorded;
}

Recorder record(const OpDef& op, std::initializer_list<const Tensor*> inputs, Tensor& output) {
  return Recorder(NodeBuilder::record(
                      op, inputs, [](const Tensor* t) -> const Tensor& { return *t; }, output),
                  output);
}

Recorder record(const OpDef& op, const std::vector<Tensor>& inputs, Tensor& output) {
  return Recorder(NodeBuilder::record(
                      op, inputs, [](const Tensor& t) -> const Tensor& { return t; }, output),
                  output);
}

namespace {
int slot_or_throw(const Node& node, const OpNames& names, const char* name, const char* kind) {
  int slot = op_slot(names, name);
  if (slot < 0) {
    std::string declared;
    for (const char* n : names)
      if (n) declared += (declared.empty() ? "" : ", ") + std::string(n);
    throw Error(fmt::format("op '{}': no {} named '{}' is declared in its OpDef (declared: {})", node.name(), kind,
                            name, declared.empty() ? "none" : declared));
  }
  return slot;
}
}  // namespace

Recorder& Recorder::save(const char* name, const Tensor& t) {
  NodeBuilder::save(node_, slot_or_throw(node_, node_.op().saved, name, "saved tensor"), t,
                    t.defined() && t.is_same(output_));
  return *this;
}

Recorder& Recorder::arg(const char* name, double value) {
  NodeBuilder::set_arg(node_, slot_or_throw(node_, node_.op().scalars, name, "scalar argument"), value);
  return *this;
}

Recorder& Recorder::ints(const char* name, IntArrayRef values) {
  NodeBuilder::set_ints(node_, slot_or_throw(node_, node_.op().int_lists, name, "integer-list argument"), values);
  return *this;
}

Tensor VjpContext::saved(const char* name) const {
  const SavedTensor& s = node_.saved_[slot_or_throw(node_, node_.op().saved, name, "saved tensor")];
  // Only a saved output unpacked under create_graph needs its node as a shared_ptr (its grad_fn).
  if (s.is_output() && is_grad_enabled() && !s.released())
    return s.unpack(node_, std::const_pointer_cast<Node>(node_.shared_from_this()));
  return s.unpack(node_, nullptr);
}

double VjpContext::arg(const char* name) const {
  return node_.scalar_args_[slot_or_throw(node_, node_.op().scalars, name, "scalar argument")];
}

IntArrayRef VjpContext::ints(const char* name) const {
  return node_.int_lists_[slot_or_throw(node_, node_.op().int_lists, name, "integer-list argument")];
}

int64_t VjpContext::int_arg(const char* name) const {
  IntArrayRef values = ints(name);
  if (values.size() != 1)
    throw Error(
        fmt::format("op '{}': integer argument '{}' holds {} values, not one", node_.name(), name, values.size()));
  return values[0];
}

}  // namespace tg::autograd

namespace tg {

std::string grad_fn_name(const Tensor& t) {
  if (!t.defined() || !t.grad_fn()) return "";
  return t.grad_fn()->backward_name();
}

}  // namespace tg
