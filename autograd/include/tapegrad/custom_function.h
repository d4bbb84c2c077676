// Custom ops from user code, libtorch's way (torch/csrc/autograd/custom_function.h): a struct
// deriving from tg::autograd::Function<T> with a static forward and a static backward.
//
//   struct Cube : public tg::autograd::Function<Cube> {
//     static constexpr const char* formula = "grad_x = grad * 3 x^2";  // optional, shown by tools
//     static tg::Tensor forward(tg::autograd::AutogradContext* ctx, tg::Tensor x) {
//       ctx->save_for_backward({x});
//       return x * x * x;
//     }
//     static tg::autograd::variable_list backward(tg::autograd::AutogradContext* ctx,
//                                                 tg::autograd::variable_list grad_outputs) {
//       tg::Tensor x = ctx->get_saved_variables()[0];
//       return {grad_outputs[0] * 3 * x * x};
//     }
//   };
//   tg::Tensor y = Cube::apply(x);  // y.grad_fn() is a node named "CubeBackward"
//
// forward runs with grad mode off and returns a Tensor or a variable_list. When grad mode is on
// and a tensor argument requires grad, every differentiable output gets one node (output_nr 0, 1,
// ... in the order returned) whose rule is backward: it receives one gradient per output and
// returns one entry per argument of forward (after ctx), an undefined Tensor for each non-tensor
// argument. A backward written with Tensor ops is itself differentiable (create_graph works).
#pragma once
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "tapegrad/autograd.h"

namespace tg {

// A small tagged value for the non-tensor state of a custom Function (AutogradContext::saved_data),
// mirroring libtorch's c10::IValue for the kinds used there: None, Double, Int, Bool, String,
// Tensor and IntList (a list of int64, e.g. sizes). Any floating-point number is stored as Double,
// any integer as Int. Reading a value as another kind (toDouble() of an Int, ...) throws tg::Error
// naming both kinds, as libtorch's "Expected Double but got Int".
class IValue {
 public:
  // None, or the given value; implicit, as libtorch's (ctx->saved_data["k"] = 2.0).
  IValue() = default;
  IValue(bool value) : value_(value) {}  // NOLINT
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) IValue(I value)
      : value_(static_cast<int64_t>(value)) {}  // NOLINT
  template <typename F>
  requires std::is_floating_point_v<F> IValue(F value) : value_(static_cast<double>(value)) {}  // NOLINT
  IValue(std::string value) : value_(std::move(value)) {}                                       // NOLINT
  IValue(const char* value) : value_(std::string(value)) {}         // NOLINT: a string, not a Bool
  IValue(Tensor value) : value_(std::move(value)) {}                // NOLINT
  IValue(std::vector<int64_t> value) : value_(std::move(value)) {}  // NOLINT
  IValue(IntArrayRef value) : value_(std::vector<int64_t>(value.begin(), value.end())) {}  // NOLINT

  // Which kind it holds.
  bool isNone() const { return value_.index() == 0; }
  bool isDouble() const { return std::holds_alternative<double>(value_); }
  bool isInt() const { return std::holds_alternative<int64_t>(value_); }
  bool isBool() const { return std::holds_alternative<bool>(value_); }
  bool isString() const { return std::holds_alternative<std::string>(value_); }
  bool isTensor() const { return std::holds_alternative<Tensor>(value_); }
  bool isIntList() const { return std::holds_alternative<std::vector<int64_t>>(value_); }

  // The value as its kind; each throws tg::Error if the IValue holds another kind.
  double toDouble() const;
  int64_t toInt() const;
  bool toBool() const;
  const std::string& toStringRef() const;
  const Tensor& toTensor() const;
  const std::vector<int64_t>& toIntVector() const;
  // The kind held: "None", "Double", "Int", "Bool", "String", "Tensor" or "IntList" (libtorch's tagKind).
  std::string tagKind() const;

 private:
  std::variant<std::monostate, double, int64_t, bool, std::string, Tensor, std::vector<int64_t>> value_;
};

}  // namespace tg

namespace tg::autograd {

namespace detail {
class CustomNode;  // the node of one call (custom_function.cpp)
class CustomCall;
}  // namespace detail

// What forward and backward of a custom Function share (libtorch's torch::autograd::AutogradContext).
// forward fills it (saved tensors, saved_data, dirty and non-differentiable tensors); backward
// reads it. One context per call of apply(); not copyable.
class AutogradContext {
 public:
  // Made by apply(), one per call; forward and backward get a pointer to it.
  AutogradContext() = default;
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  // Non-tensor state for backward, by name: ctx->saved_data["k"] = 2.0; ...["k"].toDouble().
  // A Tensor stored here is kept as is, without the version check of save_for_backward; an output
  // of the Function stored here would keep its own node alive (a cycle): save outputs with
  // save_for_backward instead. (libtorch's saved_data.)
  std::unordered_map<std::string, IValue> saved_data;

  // Saves tensors (inputs, outputs or intermediates; undefined ones allowed) for backward. Call it
  // at most once, from forward; a later call replaces the list. (libtorch's save_for_backward.)
  void save_for_backward(variable_list to_save);
  // Declares inputs that forward modified in place. Each must also be returned by forward, which
  // then rebases it onto this Function's node (its grad_fn becomes the node); its version counter
  // is bumped, so that nodes which saved its old value refuse to run. apply() throws tg::Error if a
  // dirty tensor is not returned, is a leaf that requires grad, or is a view while recording
  // (libtorch's mark_dirty).
  void mark_dirty(const variable_list& inputs);
  // Declares outputs that are not differentiable: they come back with requires_grad false and no
  // grad_fn, and backward receives zeros (or undefined, see set_materialize_grads) for them.
  // Integer and Bool outputs are never differentiable. (libtorch's mark_non_differentiable.)
  void mark_non_differentiable(const variable_list& outputs);
  // With true (the default), a gradient that did not reach an output is passed to backward as
  // zeros of that output's shape and dtype; with false, as an undefined Tensor.
  // (libtorch's set_materialize_grads.)
  void set_materialize_grads(bool value);

  // The tensors given to save_for_backward, each checked as built-in ops' saved tensors are: a
  // tensor modified in place since it was saved, or a second backward through a graph whose saved
  // tensors were freed (no retain_graph), throws tg::Error. Under create_graph a saved output comes
  // back attached to this node, so backward is differentiable through it.
  // (libtorch's get_saved_variables.)
  variable_list get_saved_variables() const;
  // Whether backward must compute the gradient of the i-th tensor input of forward. As libtorch,
  // i counts tensor arguments only (non-tensor arguments are skipped), in the order of forward's
  // parameters; false for all of them when no graph is recorded. An i past the tensor inputs is a
  // tg::Error. (libtorch's needs_input_grad.)
  bool needs_input_grad(std::size_t i) const;

 private:
  friend class detail::CustomNode;
  friend class detail::CustomCall;
  variable_list to_save_;
  std::unordered_set<const TensorImpl*> dirty_inputs_;
  std::unordered_set<const TensorImpl*> non_differentiable_;
  bool materialize_grads_ = true;
  const detail::CustomNode* node_ = nullptr;
};

namespace detail {

// T::backward, called through one function pointer per Function type.
using CustomBackwardFn = variable_list (*)(AutogradContext* ctx, variable_list grad_outputs);

// The demangled name of a custom Function's type without its namespaces and enclosing classes:
// "MyOp" for ns::Outer::MyOp (abi::__cxa_demangle).
std::string custom_function_name(const std::type_info& type);

// One call of Function<T>::apply: collects the arguments, then creates the node (edges first, so
// that a leaf's AccumulateGrad is older than the node), then wraps forward's outputs.
class CustomCall {
 public:
  CustomCall(const OpDef& op, CustomBackwardFn backward);
  ~CustomCall();
  CustomCall(const CustomCall&) = delete;
  CustomCall& operator=(const CustomCall&) = delete;
  void add_tensor(const Tensor& t);  // the next argument of forward is a tensor input
  void add_other();                  // the next argument of forward is not a tensor
  // Makes the node (with edges when grad mode is on and an input requires grad); its context.
  AutogradContext* begin();
  // Gives forward's outputs their history (see AutogradContext for dirty and non-differentiable
  // ones), saves the tensors given to save_for_backward; throws tg::Error on a misuse of mark_dirty.
  variable_list finish(variable_list outputs);

 private:
  const OpDef& op_;
  CustomBackwardFn backward_;
  std::vector<bool> is_variable_input_;
  variable_list inputs_;
  std::shared_ptr<CustomNode> node_;
};

// Registers one argument of forward: Tensor, std::optional<Tensor> and std::vector<Tensor> (each
// element) are inputs, as in libtorch's extract_vars; anything else is not.
template <typename A>
void collect_argument(CustomCall& call, const A& arg) {
  using D = std::remove_cvref_t<A>;
  if constexpr (std::is_same_v<D, Tensor>) {
    call.add_tensor(arg);
  } else if constexpr (std::is_same_v<D, std::optional<Tensor>>) {
    if (arg.has_value() && arg->defined())
      call.add_tensor(*arg);
    else
      call.add_other();
  } else if constexpr (std::is_same_v<D, std::vector<Tensor>>) {
    for (const Tensor& t : arg) call.add_tensor(t);  // each element is an input, as libtorch's TensorList
  } else {
    call.add_other();
  }
}

// T::formula if T declares one, else a generic text.
template <class T>
const char* custom_formula() {
  if constexpr (requires {
                  { T::formula } -> std::convertible_to<const char*>;
                }) {
    return T::formula;
  } else {
    return "custom Function: backward written by the user";
  }
}

// One OpDef per Function type, made on first use: name "MyOp", T::formula if T declares one.
template <class T>
const OpDef& custom_op_def() {
  static const std::string name = custom_function_name(typeid(T));
  static const OpDef def{.name = name.c_str(), .formula = custom_formula<T>()};
  return def;
}

// Calls T::backward (its parameters may be by value or by const reference).
template <class T>
variable_list call_backward(AutogradContext* ctx, variable_list grad_outputs) {
  return T::backward(ctx, std::move(grad_outputs));
}

}  // namespace detail

// The return type of T::forward called with Args (libtorch's forward_t).
template <typename X, typename... Args>
using forward_t = decltype(X::forward(nullptr, std::declval<Args>()...));

// Base of a custom op T (libtorch's torch::autograd::Function<T>). T declares
//   static Tensor-or-variable_list forward(AutogradContext* ctx, <any arguments>);
//   static variable_list backward(AutogradContext* ctx, variable_list grad_outputs);
// and optionally `static constexpr const char* formula = "...";` (the node's OpDef formula).
// Tensor, std::optional<Tensor> (when holding a defined tensor) and std::vector<Tensor> (each
// element) arguments are inputs of the graph; any other argument is passed through untouched.
template <class T>
struct Function {
  // Runs T::forward(ctx, args...) with grad mode off and returns what it returns (a Tensor or a
  // variable_list); records a node named "TBackward" on the outputs when grad mode is on and some
  // tensor argument requires grad. Throws tg::Error for a misuse of mark_dirty (see
  // AutogradContext); errors of backward (wrong number of gradients, a gradient for a non-tensor
  // argument, a modified saved tensor) are thrown by the backward pass. (libtorch's apply.)
  template <typename X = T, typename... Args>
  static auto apply(Args&&... args) -> std::enable_if_t<std::is_same_v<X, T>, forward_t<X, Args...>> {
    using Out = forward_t<X, Args...>;
    static_assert(std::is_same_v<Out, Tensor> || std::is_same_v<Out, variable_list>,
                  "forward of a custom Function must return a tg::Tensor or a tg::autograd::variable_list");
    detail::CustomCall call(detail::custom_op_def<T>(), &detail::call_backward<T>);
    (detail::collect_argument(call, args), ...);
    AutogradContext* ctx = call.begin();
    Out out;
    {
      AutoGradMode no_grad(false);
      out = T::forward(ctx, std::forward<Args>(args)...);
    }
    if constexpr (std::is_same_v<Out, Tensor>) {
      return call.finish(variable_list{std::move(out)})[0];
    } else {
      return call.finish(std::move(out));
    }
  }
};

}  // namespace tg::autograd
