// The optimizer base: parameter groups with their options, per-parameter state, zero_grad, and a
// state_dict that PyTorch would recognise. Names and ownership follow libtorch's
// torch::optim::Optimizer, so `namespace torch = tg;` ports a libtorch training loop unchanged.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tapegrad/ordered_dict.h"
#include "tapegrad/tensor.h"

namespace tg::optim {

// The hyper-parameters of one parameter group (SGDOptions, AdamOptions, ...).
class OptimizerOptions {
 public:
  OptimizerOptions() = default;
  OptimizerOptions(const OptimizerOptions&) = default;
  OptimizerOptions& operator=(const OptimizerOptions&) = default;
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const;
  virtual double get_lr() const;
  virtual void set_lr(double lr);
  // tapegrad: the options as (name, value) in PyTorch's names ("lr", "betas.0", "amsgrad" as 0/1),
  // the param_groups.<g>.* entries of Optimizer::state_dict().
  virtual std::vector<std::pair<std::string, double>> named_values() const { return {}; }
  // Sets one of named_values(); throws tg::Error for a name it does not have.
  virtual void set_named_value(const std::string& name, double value);
};

// CRTP helper, as libtorch's: gives an options class its clone().
template <typename Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// What an optimizer keeps for one parameter between steps (momentum buffers, moment estimates).
class OptimizerParamState {
 public:
  OptimizerParamState() = default;
  OptimizerParamState(const OptimizerParamState&) = default;
  OptimizerParamState& operator=(const OptimizerParamState&) = default;
  virtual ~OptimizerParamState() = default;
  virtual std::unique_ptr<OptimizerParamState> clone() const;
  // tapegrad: the state's tensors by PyTorch's names, undefined ones left out; a step counter is
  // a 0-d kFloat64 tensor. These are the state.<i>.* entries of Optimizer::state_dict().
  virtual std::vector<std::pair<std::string, Tensor>> named_tensors() const { return {}; }
  // Sets one entry (the tensor is stored as given; load_state_dict passes a private copy).
  virtual void set_named_tensor(const std::string& name, const Tensor& value);
};

template <typename Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
 public:
  std::unique_ptr<OptimizerParamState> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

class OptimizerParamGroup {
 public:
  OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}  // NOLINT
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}
  OptimizerParamGroup(const OptimizerParamGroup& other)
      : params_(other.params_), options_(other.options_ ? other.options_->clone() : nullptr) {}
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other) {
    if (this != &other) {
      params_ = other.params_;
      options_ = other.options_ ? other.options_->clone() : nullptr;
    }
    return *this;
  }
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;

  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }

 private:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

class Optimizer {
 public:
  using LossClosure = std::function<Tensor()>;

  // Groups without options take a copy of `defaults`; a group's own options replace the defaults
  // as a whole (libtorch's rule).
  Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults);
  Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults);
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;
  virtual ~Optimizer() = default;

  // Runs `closure` (if given) with gradients enabled, then updates every parameter that has a
  // gradient. Returns the closure's loss (undefined without a closure).
  virtual Tensor step(LossClosure closure = nullptr) = 0;

  void add_param_group(const OptimizerParamGroup& param_group);
  void add_parameters(const std::vector<Tensor>& parameters);  // to the first group
  // set_to_none (the default, as libtorch 2.x): grads become undefined; else they are zeroed.
  void zero_grad(bool set_to_none = true);

  // Every parameter, group by group, by value (libtorch 1.13 returns a reference to the first
  // group's list, which silently leaves out the other groups).
  std::vector<Tensor> parameters() const;
  std::size_t size() const;  // number of parameters over all groups
  OptimizerOptions& defaults() { return *defaults_; }
  const OptimizerOptions& defaults() const { return *defaults_; }
  std::vector<OptimizerParamGroup>& param_groups() { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const { return param_groups_; }
  // Per-parameter state, keyed by state_key(parameter) (libtorch keys by the TensorImpl address).
  using StateMap = std::unordered_map<std::string, std::unique_ptr<OptimizerParamState>>;
  StateMap& state() { return state_; }
  const StateMap& state() const { return state_; }
  static std::string state_key(const Tensor& parameter);

  // A copy of the optimizer's state, in PyTorch's layout flattened to names:
  //   state.<i>.<name>        i = the parameter's index over all groups in order; name as PyTorch
  //                           ("momentum_buffer", "step", "exp_avg", ...)
  //   param_groups.<g>.params the group's parameter indices (kInt64, 1-d)
  //   param_groups.<g>.<opt>  every option as a 0-d kFloat64 ("lr", "betas.0", "nesterov", ...)
  OrderedDict<std::string, Tensor> state_dict() const;
  // Checks the whole dict first (missing and unexpected keys, shapes, group layout, option values)
  // and throws one tg::Error listing every problem; only a dict that passes is written, so a
  // failed load leaves the optimizer as it was. Replaces all per-parameter state.
  void load_state_dict(const OrderedDict<std::string, Tensor>& state_dict);

  // tapegrad: "SGD", "Adam", ...; names the optimizer in errors and saved files.
  virtual std::string type_name() const { return "Optimizer"; }

  // Which state.<i>.* names a parameter's state may hold under `options`.
  struct StateLayout {
    std::vector<std::string> required;  // all present whenever a parameter has state
    std::vector<std::string> optional;  // may be present
    std::vector<std::string> counters;  // 0-d non-negative integers (e.g. "step"); the rest have
                                        // the parameter's shape
  };

 protected:
  // For subclasses that validate their options: add the groups from the subclass constructor
  // (where virtual calls reach the subclass) with add_param_group.
  explicit Optimizer(std::unique_ptr<OptimizerOptions> defaults);

  virtual StateLayout state_layout(const OptimizerOptions& options) const;
  // An empty state object to load into (nullptr: this optimizer cannot load state).
  virtual std::unique_ptr<OptimizerParamState> make_state() const { return nullptr; }
  // Throws tg::Error naming the optimizer if `options` are out of range or of the wrong type.
  virtual void validate_options(const OptimizerOptions& /*options*/) const {}

  // Runs the closure with gradients enabled (step() itself runs under NoGradGuard).
  static Tensor evaluate_closure(const LossClosure& closure);
  OptimizerParamState* find_state(const Tensor& parameter) const;
  template <typename State>
  State& state_for(const Tensor& parameter) {
    auto& slot = state_[state_key(parameter)];
    if (!slot) slot = std::make_unique<State>();
    return static_cast<State&>(*slot);
  }

  std::vector<OptimizerParamGroup> param_groups_;
  StateMap state_;
  std::unique_ptr<OptimizerOptions> defaults_;
};

}  // namespace tg::optim
