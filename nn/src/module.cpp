// tg::nn::Module: registration, traversal, modes, state dicts, hooks and printing.
#include "tapegrad/nn/module.h"

#include <cxxabi.h>
#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <ostream>
#include <sstream>
#include <typeinfo>

#include "tapegrad/ops.h"

namespace tg::nn {

namespace detail {
std::string demangle(const char* mangled) {
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : mangled;
  std::free(out);
  return result;
}
}  // namespace detail

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

// Filled on first use, which may be on several threads at once (printing or describing one module):
// the fill is locked, and name_ never changes afterwards, so the reference returned stays valid.
const std::string& Module::name() const {
  static std::mutex fill_mutex;
  std::lock_guard<std::mutex> lock(fill_mutex);
  if (name_.empty()) {
    name_ = detail::demangle(typeid(*this).name());
    // "tg::nn::LinearImpl" style names print without namespaces, as libtorch's do
    const auto colon = name_.rfind("::");
    if (colon != std::string::npos && name_.find('<') == std::string::npos) name_ = name_.substr(colon + 2);
  }
  return name_;
}

std::string Module::describe() const {
  const std::string what = short_description();
  return registered_name_.empty() ? what : registered_name_ + " (" + what + ")";
}

void Module::fail(const std::string& message) const { throw Error(describe() + ": " + message); }

// ---------------------------------------------------------------- traversal
void Module::collect(const std::string& prefix, bool params, bool recurse,
                     OrderedDict<std::string, Tensor>& out) const {
  for (const auto& item : params ? parameters_ : buffers_)
    if (item.value().defined()) out.insert(prefix + item.key(), item.value());
  if (!recurse) return;
  for (const auto& child : children_) child.value()->collect(prefix + child.key() + ".", params, true, out);
}

std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  OrderedDict<std::string, Tensor> out{"Parameter"};
  collect("", true, recurse, out);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  OrderedDict<std::string, Tensor> out{"Buffer"};
  collect("", false, recurse, out);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const { return children_; }

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) {
  return named_modules("", include_self).values();
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(const std::string& name_prefix,
                                                                        bool include_self) {
  OrderedDict<std::string, std::shared_ptr<Module>> out{"Module"};
  if (include_self) out.insert(name_prefix, shared_from_this());
  for (const auto& child : children_) {
    const std::string key = name_prefix.empty() ? child.key() : name_prefix + "." + child.key();
    for (const auto& item : child.value()->named_modules(key, true)) out.insert(item.key(), item.value());
  }
  return out;
}

// ---------------------------------------------------------------- modes, grads, dtype
void Module::train(bool on) {
  is_training_ = on;
  for (const auto& child : children_) child.value()->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.mutable_grad() = Tensor();
    } else {
      Tensor& g = p.mutable_grad();
      if (g.grad_fn()) g = g.detach();
      g.zero_();
    }
  }
}

void Module::to(ScalarType dtype, bool /*non_blocking*/) {
  if (!is_floating_point(dtype))
    throw Error(fmt::format("{}: to({}): modules can only be converted to a floating-point dtype", describe(),
                            dtype_name(dtype)));
  NoGradGuard guard;
  auto convert = [&](OrderedDict<std::string, Tensor>& dict) {
    for (auto& item : dict) {
      const Tensor& t = item.value();
      if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) continue;
      t.set_data(t.detach().to(dtype));
    }
  };
  convert(parameters_);
  convert(buffers_);
  for (const auto& child : children_) child.value()->to(dtype);
}

// ---------------------------------------------------------------- registration
void Module::check_name(const std::string& name, const char* what) const {
  if (name.empty()) throw Error(fmt::format("{}: {} name must not be empty", describe(), what));
  if (name.find('.') != std::string::npos)
    throw Error(fmt::format("{}: {} name \"{}\" must not contain a dot", describe(), what, name));
  if (parameters_.contains(name) || buffers_.contains(name) || children_.contains(name))
    throw Error(
        fmt::format("{}: a parameter, buffer or submodule named \"{}\" is already registered", describe(), name));
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  if (tensor.defined()) {
    if (!tensor.is_floating_point())
      throw Error(fmt::format("{}: parameter \"{}\" must be floating point, got {}", describe(), name,
                              dtype_name(tensor.dtype())));
    if (!tensor.is_leaf()) tensor = tensor.detach();
    tensor.requires_grad_(requires_grad);
  }
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_name(name, "buffer");
  return buffers_.insert(std::move(name), std::move(tensor));
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  if (!module) throw Error(fmt::format("{}: cannot register an empty module as \"{}\"", describe(), name));
  check_name(name, "submodule");
  if (module.get() == this) throw Error(fmt::format("{}: a module cannot be its own submodule", describe()));
  module->registered_name_ = name;
  children_.insert(std::move(name), std::move(module));
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  if (!children_.contains(name)) throw Error(fmt::format("{}: no submodule named \"{}\" to replace", describe(), name));
  module->registered_name_ = name;
  children_[name] = std::move(module);
}

void Module::unregister_module(const std::string& name) {
  if (!children_.contains(name)) throw Error(fmt::format("{}: no submodule named \"{}\"", describe(), name));
  children_.pop(name);
}

// ---------------------------------------------------------------- state dicts
OrderedDict<std::string, Tensor> Module::state_dict() const {
  OrderedDict<std::string, Tensor> out{"Key"};
  // PyTorch's order: each module's parameters, then its buffers, then its children
  struct Walker {
    static void walk(const Module& m, const std::string& prefix, OrderedDict<std::string, Tensor>& out) {
      for (const auto& item : m.parameters_)
        if (item.value().defined()) out.insert(prefix + item.key(), item.value());
      for (const auto& item : m.buffers_)
        if (item.value().defined()) out.insert(prefix + item.key(), item.value());
      for (const auto& child : m.children_) walk(*child.value(), prefix + child.key() + ".", out);
    }
  };
  Walker::walk(*this, "", out);
  return out;
}

void Module::load_state_dict(const OrderedDict<std::string, Tensor>& state, bool strict) {
  OrderedDict<std::string, Tensor> own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& item : own) {
    const Tensor* src = state.find(item.key());
    if (!src) {
      missing.push_back(item.key());
      continue;
    }
    const Tensor& dst = item.value();
    if (!src->defined()) {
      mismatched.push_back(fmt::format("{}: undefined tensor", item.key()));
    } else if (!(src->sizes() == dst.sizes())) {
      mismatched.push_back(fmt::format("{}: shape {} in the state dict, {} in the module", item.key(),
                                       shape_str(src->sizes()), shape_str(dst.sizes())));
    } else if (src->is_floating_point() != dst.is_floating_point() ||
               (src->dtype() == kBool) != (dst.dtype() == kBool)) {
      mismatched.push_back(fmt::format("{}: dtype {} in the state dict, {} in the module", item.key(),
                                       dtype_name(src->dtype()), dtype_name(dst.dtype())));
    }
  }
  for (const auto& item : state)
    if (!own.contains(item.key())) unexpected.push_back(item.key());
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& k : v) s += (s.empty() ? "" : ", ") + k;
    return s;
  };
  std::string problems;
  if (strict && !missing.empty()) problems += fmt::format("\n  missing keys: {}", join(missing));
  if (strict && !unexpected.empty()) problems += fmt::format("\n  unexpected keys: {}", join(unexpected));
  if (!mismatched.empty()) problems += fmt::format("\n  mismatched: {}", join(mismatched));
  if (!problems.empty())
    throw Error(fmt::format("load_state_dict: {} does not match the state dict ({} entries):{}", describe(),
                            state.size(), problems));
  NoGradGuard guard;
  for (const auto& item : own)
    if (const Tensor* src = state.find(item.key())) item.value().copy_(*src);
}

// ---------------------------------------------------------------- hooks
HookHandle Module::register_forward_pre_hook(ForwardPreHook hook) {
  if (!hook) throw Error(describe() + ": register_forward_pre_hook: empty hook");
  pre_hooks_.emplace_back(next_hook_, std::move(hook));
  return next_hook_++;
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
  if (!hook) throw Error(describe() + ": register_forward_hook: empty hook");
  post_hooks_.emplace_back(next_hook_, std::move(hook));
  return next_hook_++;
}

void Module::remove_hook(HookHandle handle) {
  auto erase = [handle](auto& hooks) {
    for (auto it = hooks.begin(); it != hooks.end(); ++it)
      if (it->first == handle) {
        hooks.erase(it);
        return true;
      }
    return false;
  };
  if (!erase(pre_hooks_) && !erase(post_hooks_))
    throw Error(fmt::format("{}: remove_hook: no hook with handle {}", describe(), handle));
}

Tensor Module::run_pre_hooks(const Tensor& input) {
  Tensor x = input;
  const auto hooks = pre_hooks_;  // a hook may remove itself
  for (const auto& hook : hooks) {
    Tensor replaced = hook.second(*this, x);
    if (replaced.defined()) x = replaced;
  }
  return x;
}

Tensor Module::run_post_hooks(const Tensor& input, Tensor output) {
  const auto hooks = post_hooks_;
  for (const auto& hook : hooks) {
    Tensor replaced = hook.second(*this, input, output);
    if (replaced.defined()) output = replaced;
  }
  return output;
}

// ---------------------------------------------------------------- printing
void Module::pretty_print(std::ostream& stream) const { stream << name(); }

void Module::print_tree(std::ostream& stream, int indent) const {
  pretty_print(stream);
  if (children_.is_empty()) return;
  stream << "(\n";
  for (const auto& child : children_) {
    stream << std::string(static_cast<std::size_t>(indent + 2), ' ') << "(" << child.key() << "): ";
    child.value()->print_tree(stream, indent + 2);
    stream << "\n";
  }
  stream << std::string(static_cast<std::size_t>(indent), ' ') << ")";
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.print_tree(stream, 0);
  return stream;
}

}  // namespace tg::nn
