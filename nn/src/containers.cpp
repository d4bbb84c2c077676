// Sequential, ModuleList, ModuleDict.
#include "tapegrad/nn/containers.h"

#include <fmt/format.h>

namespace tg::nn {

Tensor SequentialImpl::forward(const Tensor& input) {
  if (modules_.empty()) throw Error("Sequential: forward() on an empty Sequential");
  Tensor x = input;
  for (const AnyModule& m : modules_) x = m.forward(x);
  return x;
}

std::size_t SequentialImpl::check(std::size_t index) const {
  if (index >= modules_.size())
    throw Error(fmt::format("Sequential: index {} is out of range for {} modules", index, modules_.size()));
  return index;
}

const std::shared_ptr<Module>& ModuleListImpl::ptr(std::size_t index) const {
  if (index >= modules_.size())
    throw Error(fmt::format("ModuleList: index {} is out of range for {} modules", index, modules_.size()));
  return modules_[index];
}

std::shared_ptr<Module> ModuleDictImpl::pop(const std::string& key) {
  if (!modules_.contains(key)) throw Error(fmt::format("ModuleDict: no module named \"{}\"", key));
  unregister_module(key);
  return modules_.pop(key);
}

const std::shared_ptr<Module>& ModuleDictImpl::operator[](const std::string& key) const {
  const std::shared_ptr<Module>* m = modules_.find(key);
  if (!m)
    throw Error(fmt::format("ModuleDict: no module named \"{}\" (keys: {})", key, fmt::join(modules_.keys(), ", ")));
  return *m;
}

}  // namespace tg::nn
