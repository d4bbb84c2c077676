// Containers, as libtorch's: Sequential (children named "0", "1", ... or given names, forward
// chains them), ModuleList and ModuleDict (hold modules; their owner decides how to call them),
// and AnyModule, the type-erased Tensor -> Tensor module Sequential stores.
#pragma once
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/nn/module.h"

namespace tg::nn {

// Any module whose forward takes one Tensor and returns a Tensor.
class AnyModule {
 public:
  AnyModule() = default;
  template <typename Impl>
  AnyModule(std::shared_ptr<Impl> module) : module_(module) {  // NOLINT
    static_assert(std::is_base_of_v<Module, Impl>, "AnyModule holds tg::nn::Module subclasses");
    Impl* raw = module.get();
    forward_ = [raw](const Tensor& x) -> Tensor {
      if (!raw->runs_own_hooks() && raw->has_forward_hooks())
        return raw->call_with_hooks(x, [raw](const Tensor& in) { return Tensor(raw->forward(in)); });
      return Tensor(raw->forward(x));
    };
  }
  template <typename Impl>
  AnyModule(const ModuleHolder<Impl>& holder) : AnyModule(holder.ptr()) {}  // NOLINT

  Tensor forward(const Tensor& input) const {
    if (!forward_) throw Error("AnyModule: forward() on an empty AnyModule");
    return forward_(input);
  }
  const std::shared_ptr<Module>& ptr() const { return module_; }
  template <typename T>
  T& get() const {
    auto* p = dynamic_cast<T*>(module_.get());
    if (!p) throw Error("AnyModule: the module is a " + module_->name() + ", not the requested type");
    return *p;
  }
  bool is_empty() const noexcept { return module_ == nullptr; }

 private:
  std::shared_ptr<Module> module_;
  std::function<Tensor(const Tensor&)> forward_;
};

struct NamedAnyModule {
  template <typename M>
  NamedAnyModule(std::string name, M&& module) : name(std::move(name)), module(std::forward<M>(module)) {}
  std::string name;
  AnyModule module;
};

class SequentialImpl : public Module {
 public:
  SequentialImpl() : Module("Sequential") {}
  template <typename First, typename... Rest,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<First>, SequentialImpl> &&
                                        !std::is_same_v<std::decay_t<First>, std::initializer_list<NamedAnyModule>>>>
  explicit SequentialImpl(First&& first, Rest&&... rest) : Module("Sequential") {
    push_back(std::forward<First>(first));
    (push_back(std::forward<Rest>(rest)), ...);
  }
  explicit SequentialImpl(std::initializer_list<NamedAnyModule> named) : Module("Sequential") {
    for (const auto& item : named) push_back(item.name, item.module);
  }

  template <typename M>
  void push_back(M&& module) {
    push_back(std::to_string(modules_.size()), std::forward<M>(module));
  }
  template <typename M>
  void push_back(std::string name, M&& module) {
    AnyModule any(std::forward<M>(module));
    register_module(std::move(name), any.ptr());
    modules_.push_back(std::move(any));
  }
  void push_back(std::string name, AnyModule module) {
    register_module(std::move(name), module.ptr());
    modules_.push_back(std::move(module));
  }

  // Chains the children; an error inside child i says which one.
  Tensor forward(const Tensor& input);

  std::size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }
  const std::shared_ptr<Module>& ptr(std::size_t index) const { return modules_.at(check(index)).ptr(); }
  template <typename T>
  std::shared_ptr<T> ptr(std::size_t index) const {
    return std::dynamic_pointer_cast<T>(ptr(index));
  }
  template <typename T>
  T& at(std::size_t index) const {
    return modules_.at(check(index)).get<T>();
  }
  const std::shared_ptr<Module>& operator[](std::size_t index) const { return ptr(index); }
  std::vector<AnyModule>::const_iterator begin() const { return modules_.begin(); }
  std::vector<AnyModule>::const_iterator end() const { return modules_.end(); }

 private:
  std::size_t check(std::size_t index) const;
  std::vector<AnyModule> modules_;
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  using Impl = SequentialImpl;
  Sequential() : ModuleHolder<SequentialImpl>() {}
  Sequential(std::initializer_list<NamedAnyModule> named)  // NOLINT
      : ModuleHolder<SequentialImpl>(std::make_shared<SequentialImpl>(named)) {}
};

class ModuleListImpl : public Module {
 public:
  ModuleListImpl() : Module("ModuleList") {}
  template <typename First, typename... Rest,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<First>, ModuleListImpl>>>
  explicit ModuleListImpl(First&& first, Rest&&... rest) : Module("ModuleList") {
    push_back(std::forward<First>(first));
    (push_back(std::forward<Rest>(rest)), ...);
  }
  template <typename Impl>
  void push_back(const ModuleHolder<Impl>& holder) {
    push_back(std::shared_ptr<Module>(holder.ptr()));
  }
  template <typename Impl, typename = std::enable_if_t<std::is_base_of_v<Module, Impl>>>
  void push_back(std::shared_ptr<Impl> module) {
    register_module(std::to_string(modules_.size()), std::shared_ptr<Module>(module));
    modules_.push_back(std::move(module));
  }
  template <typename Container>
  void extend(const Container& container) {
    for (const auto& m : container) push_back(m);
  }
  std::size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }
  const std::shared_ptr<Module>& ptr(std::size_t index) const;
  template <typename T>
  std::shared_ptr<T> ptr(std::size_t index) const {
    return std::dynamic_pointer_cast<T>(ptr(index));
  }
  template <typename T>
  T& at(std::size_t index) const {
    auto* p = dynamic_cast<T*>(ptr(index).get());
    if (!p)
      throw Error("ModuleList: element " + std::to_string(index) + " is a " + ptr(index)->name() +
                  ", not the requested type");
    return *p;
  }
  const std::shared_ptr<Module>& operator[](std::size_t index) const { return ptr(index); }
  std::vector<std::shared_ptr<Module>>::const_iterator begin() const { return modules_.begin(); }
  std::vector<std::shared_ptr<Module>>::const_iterator end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};
TG_MODULE(ModuleList);

class ModuleDictImpl : public Module {
 public:
  ModuleDictImpl() : Module("ModuleDict") {}
  explicit ModuleDictImpl(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules)
      : Module("ModuleDict") {
    for (const auto& item : modules) insert(item.first, item.second);
  }
  explicit ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules) : Module("ModuleDict") {
    for (const auto& item : modules) insert(item.key(), item.value());
  }
  void insert(const std::string& key, std::shared_ptr<Module> module) {
    register_module(key, module);
    modules_.insert(key, std::move(module));
  }
  template <typename Impl>
  void insert(const std::string& key, const ModuleHolder<Impl>& holder) {
    insert(key, std::shared_ptr<Module>(holder.ptr()));
  }
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    for (const auto& item : modules) {
      if (modules_.contains(item.first)) {
        replace_module(item.first, item.second);
        modules_[item.first] = item.second;
      } else {
        insert(item.first, item.second);
      }
    }
  }
  std::shared_ptr<Module> pop(const std::string& key);
  bool contains(const std::string& key) const { return modules_.contains(key); }
  std::size_t size() const noexcept { return modules_.size(); }
  bool empty() const noexcept { return modules_.is_empty(); }
  std::vector<std::string> keys() const { return modules_.keys(); }
  std::vector<std::shared_ptr<Module>> values() const { return modules_.values(); }
  const std::vector<OrderedDict<std::string, std::shared_ptr<Module>>::Item>& items() const { return modules_.items(); }
  const std::shared_ptr<Module>& operator[](const std::string& key) const;
  template <typename T>
  T& at(const std::string& key) const {
    auto* p = dynamic_cast<T*>((*this)[key].get());
    if (!p) throw Error("ModuleDict: \"" + key + "\" is a " + (*this)[key]->name() + ", not the requested type");
    return *p;
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  OrderedDict<std::string, std::shared_ptr<Module>> modules_{"Module"};
};
TG_MODULE(ModuleDict);

}  // namespace tg::nn
