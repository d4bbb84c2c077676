// tg::nn::Module and its holders, written as libtorch's C++ frontend so that user modules port with
// `namespace torch = tg;`:
//
//   struct NetImpl : tg::nn::Module {
//     NetImpl() : fc1(register_module("fc1", tg::nn::Linear(784, 256))) {}
//     tg::Tensor forward(tg::Tensor x) { return fc1->forward(x).relu(); }
//     tg::nn::Linear fc1{nullptr};
//   };
//   TG_MODULE(Net);   // Net is a ModuleHolder<NetImpl>: Net net; net->forward(x); net(x)
//
// A module owns named parameters, buffers and child modules; names join with dots as PyTorch's
// (`fc1.weight`, `bn.running_mean`), and state_dict() uses exactly PyTorch's keys, so a state dict
// saved from Python loads here (tg::save / tg::load in <tapegrad/nn/serialize.h>).
//
// Forward hooks (PyTorch's register_forward_pre_hook / register_forward_hook) run whenever a
// module is called: through its holder (`net(x)`) for any module, and inside forward() for the
// built-in layers, which call them themselves.
#pragma once
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/ordered_dict.h"
#include "tapegrad/tensor.h"

namespace tg::nn {

class Module;

// Handle returned by the hook registration functions; pass it to Module::remove_hook.
using HookHandle = unsigned;

class Module : public std::enable_shared_from_this<Module> {
 public:
  // Replacement input (or an undefined tensor to keep it).
  using ForwardPreHook = std::function<Tensor(Module&, const Tensor& input)>;
  // Replacement output (or an undefined tensor to keep it).
  using ForwardHook = std::function<Tensor(Module&, const Tensor& input, const Tensor& output)>;

  explicit Module(std::string name);
  Module();
  virtual ~Module() = default;
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;

  // The module's type name: "Linear" for built-ins, the class name (e.g. "NetImpl") otherwise.
  const std::string& name() const;
  // Where this module sits in its parent ("fc1"), or "" for a root.
  const std::string& registered_name() const noexcept { return registered_name_; }
  // "fc1 (Linear 784 -> 256)": how module errors name the module.
  std::string describe() const;
  // The part after the name in describe(): built-ins say their shape ("Linear 784 -> 256").
  virtual std::string short_description() const { return name(); }

  // ---- parameters, buffers, children (recursively, in registration order) ----
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true);
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(const std::string& name_prefix = "",
                                                                  bool include_self = true);

  // ---- modes, gradients, dtype ----
  virtual void train(bool on = true);
  void eval() { train(false); }
  virtual bool is_training() const noexcept { return is_training_; }
  // set_to_none (the default, as libtorch 2.x): grads become undefined; otherwise zeroed.
  virtual void zero_grad(bool set_to_none = true);
  // Converts every floating parameter and buffer in place (the tensors keep their identity, so an
  // optimizer built before still holds them).
  virtual void to(ScalarType dtype, bool non_blocking = false);

  // ---- printing ----
  // One line for this module ("tg::nn::Linear(in_features=4, out_features=5, bias=true)").
  virtual void pretty_print(std::ostream& stream) const;

  // ---- state ----
  // Parameters and buffers with PyTorch's dotted keys.
  OrderedDict<std::string, Tensor> state_dict() const;
  // Copies `state` into this module's parameters and buffers (no autograd recording). strict (the
  // default): missing and unexpected keys are errors. Mis-shaped or mis-typed entries are always
  // errors. Every problem is listed in one tg::Error and nothing is modified unless all entries fit.
  void load_state_dict(const OrderedDict<std::string, Tensor>& state, bool strict = true);

  // ---- registration ----
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  Tensor& register_buffer(std::string name, Tensor tensor);
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name, std::shared_ptr<ModuleType> module) {
    add_child(std::move(name), module);
    return module;
  }
  template <typename Holder, typename = typename std::decay_t<Holder>::ContainedType>
  std::decay_t<Holder> register_module(std::string name, Holder&& holder) {
    add_child(std::move(name), holder.ptr());
    return std::forward<Holder>(holder);
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, std::shared_ptr<ModuleType> module) {
    replace_child(name, module);
    return module;
  }
  void unregister_module(const std::string& name);

  // ---- hooks ----
  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);
  void remove_hook(HookHandle handle);
  bool has_forward_hooks() const noexcept { return !pre_hooks_.empty() || !post_hooks_.empty(); }
  // Runs the pre-hooks, `forward`, then the post-hooks. Built-in layers wrap their forward in it.
  template <typename F>
  Tensor call_with_hooks(const Tensor& input, F&& forward) {
    if (!has_forward_hooks()) return forward(input);
    Tensor x = run_pre_hooks(input);
    return run_post_hooks(x, forward(x));
  }
  // Built-in modules run their hooks inside forward(); holders run them for all other modules.
  bool runs_own_hooks() const noexcept { return runs_own_hooks_; }

 protected:
  // Throws tg::Error("<describe()>: <message>").
  [[noreturn]] void fail(const std::string& message) const;
  bool runs_own_hooks_ = false;

 private:
  void add_child(std::string name, std::shared_ptr<Module> module);
  void replace_child(const std::string& name, std::shared_ptr<Module> module);
  void check_name(const std::string& name, const char* what) const;
  Tensor run_pre_hooks(const Tensor& input);
  Tensor run_post_hooks(const Tensor& input, Tensor output);
  void collect(const std::string& prefix, bool params, bool recurse, OrderedDict<std::string, Tensor>& out) const;
  void print_tree(std::ostream& stream, int indent) const;
  friend std::ostream& operator<<(std::ostream& stream, const Module& module);

  mutable std::string name_;  // filled from typeid on first use when not given
  std::string registered_name_;
  bool is_training_ = true;
  OrderedDict<std::string, Tensor> parameters_{"Parameter"};
  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};
  std::vector<std::pair<HookHandle, ForwardPreHook>> pre_hooks_;
  std::vector<std::pair<HookHandle, ForwardHook>> post_hooks_;
  HookHandle next_hook_ = 1;
};

// The whole tree, as libtorch prints it:
//   NetImpl(
//     (fc1): tg::nn::Linear(in_features=784, out_features=256, bias=true)
//   )
std::ostream& operator<<(std::ostream& stream, const Module& module);

// Owns a shared_ptr<Impl>; `holder->` reaches the module, `holder(args...)` calls forward (with
// hooks). Default-constructs the module when it has a default constructor; `Holder{nullptr}` is
// empty, as libtorch's.
template <typename Impl>
class ModuleHolder {
 public:
  using ContainedType = Impl;

  ModuleHolder() : impl_(default_construct()) {}
  ModuleHolder(std::nullptr_t) {}  // NOLINT
  template <typename Head, typename... Tail,
            typename = std::enable_if_t<!(std::is_same_v<std::decay_t<Head>, ModuleHolder> && sizeof...(Tail) == 0) &&
                                        !std::is_same_v<std::decay_t<Head>, std::nullptr_t>>>
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(std::make_shared<Impl>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}
  ModuleHolder(std::shared_ptr<Impl> module) : impl_(std::move(module)) {}  // NOLINT

  explicit operator bool() const noexcept { return !is_empty(); }
  bool is_empty() const noexcept { return impl_ == nullptr; }
  Impl* operator->() { return get(); }
  const Impl* operator->() const { return get(); }
  Impl& operator*() { return *get(); }
  const Impl& operator*() const { return *get(); }
  const std::shared_ptr<Impl>& ptr() const { return impl_; }
  Impl* get() const {
    if (!impl_) throw Error("Accessing an empty ModuleHolder (constructed with nullptr; assign a module first)");
    return impl_.get();
  }

  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    Impl& m = *get();
    if constexpr (sizeof...(Args) == 1 && (std::is_convertible_v<Args, const Tensor&> && ...)) {
      using Result = decltype(m.forward(std::forward<Args>(args)...));
      if constexpr (std::is_same_v<std::decay_t<Result>, Tensor>) {
        if (!m.runs_own_hooks() && m.has_forward_hooks())
          return Tensor(m.call_with_hooks(args..., [&m](const Tensor& x) { return Tensor(m.forward(x)); }));
        return Tensor(m.forward(std::forward<Args>(args)...));
      } else {
        return m.forward(std::forward<Args>(args)...);
      }
    } else {
      return m.forward(std::forward<Args>(args)...);
    }
  }
  template <typename Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }

 private:
  static std::shared_ptr<Impl> default_construct() {
    if constexpr (std::is_default_constructible_v<Impl>) {
      return std::make_shared<Impl>();
    } else {
      return nullptr;
    }
  }
  std::shared_ptr<Impl> impl_;
};

template <typename Impl>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<Impl>& holder) {
  return stream << *holder;
}

namespace detail {
std::string demangle(const char* mangled);
}

}  // namespace tg::nn

// libtorch's TORCH_MODULE: `TG_MODULE(Net);` makes Net a ModuleHolder<NetImpl>.
#define TG_MODULE_IMPL(Name, ImplType)                    \
  class Name : public ::tg::nn::ModuleHolder<ImplType> {  \
   public:                                                \
    using ::tg::nn::ModuleHolder<ImplType>::ModuleHolder; \
    using Impl = ImplType;                                \
  }
#define TG_MODULE(Name) TG_MODULE_IMPL(Name, Name##Impl)
