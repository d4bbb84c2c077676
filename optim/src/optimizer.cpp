// Optimizer base: groups, state, zero_grad, and the validate-then-write state_dict loader.
#include "tapegrad/optim/optimizer.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "tapegrad/ops.h"

namespace tg::optim {

std::unique_ptr<OptimizerOptions> OptimizerOptions::clone() const { return std::make_unique<OptimizerOptions>(*this); }
double OptimizerOptions::get_lr() const {
  throw Error("OptimizerOptions: get_lr() is not implemented by this options class; override it");
}
void OptimizerOptions::set_lr(double) {
  throw Error("OptimizerOptions: set_lr() is not implemented by this options class; override it");
}
void OptimizerOptions::set_named_value(const std::string& name, double) {
  throw Error(fmt::format("OptimizerOptions: unknown option '{}'", name));
}

std::unique_ptr<OptimizerParamState> OptimizerParamState::clone() const {
  return std::make_unique<OptimizerParamState>(*this);
}
void OptimizerParamState::set_named_tensor(const std::string& name, const Tensor&) {
  throw Error(fmt::format("OptimizerParamState: unknown state entry '{}'", name));
}

OptimizerOptions& OptimizerParamGroup::options() {
  if (!options_) throw Error("OptimizerParamGroup: this group has no options");
  return *options_;
}
const OptimizerOptions& OptimizerParamGroup::options() const {
  if (!options_) throw Error("OptimizerParamGroup: this group has no options");
  return *options_;
}

// ---------------------------------------------------------------- construction and groups

Optimizer::Optimizer(std::unique_ptr<OptimizerOptions> defaults) : defaults_(std::move(defaults)) {}

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  for (const auto& group : param_groups) add_param_group(group);
}

Optimizer::Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  add_param_group(OptimizerParamGroup(std::move(parameters)));
}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  const std::string name = type_name();
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& group : param_groups_)
    for (const auto& p : group.params()) seen.insert(p.unsafe_impl());
  for (const auto& p : param_group.params()) {
    if (!p.defined()) throw Error(name + ": a parameter group contains an undefined tensor");
    if (!p.is_leaf())
      throw Error(fmt::format("{}: can't optimize a non-leaf Tensor (shape {})", name, shape_str(p.sizes())));
    if (!p.is_floating_point())
      throw Error(fmt::format("{}: can only optimize floating-point tensors, got {} of shape {}", name,
                              dtype_name(p.dtype()), shape_str(p.sizes())));
    if (!seen.insert(p.unsafe_impl()).second)
      throw Error(
          fmt::format("{}: some parameters appear in more than one parameter group "
                      "(a tensor of shape {})",
                      name, shape_str(p.sizes())));
  }
  std::unique_ptr<OptimizerOptions> options =
      param_group.has_options() ? param_group.options().clone() : defaults_->clone();
  validate_options(*options);
  param_groups_.emplace_back(param_group.params(), std::move(options));
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  if (param_groups_.empty()) {
    add_param_group(OptimizerParamGroup(parameters));
    return;
  }
  // Validate through add_param_group's checks, then move the tensors into the first group.
  OptimizerParamGroup probe(parameters, param_groups_.front().options().clone());
  add_param_group(probe);
  auto& added = param_groups_.back().params();
  auto& first = param_groups_.front().params();
  first.insert(first.end(), added.begin(), added.end());
  param_groups_.pop_back();
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : param_groups_) {
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor& grad = p.mutable_grad();
      if (set_to_none) {
        grad = Tensor();
      } else {
        grad = grad.detach();  // as libtorch: drop any graph the gradient carries, then zero it
        grad.zero_();
      }
    }
  }
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> out;
  for (const auto& group : param_groups_) out.insert(out.end(), group.params().begin(), group.params().end());
  return out;
}

std::size_t Optimizer::size() const {
  std::size_t n = 0;
  for (const auto& group : param_groups_) n += group.params().size();
  return n;
}

std::string Optimizer::state_key(const Tensor& parameter) {
  return fmt::format("{}", static_cast<const void*>(parameter.unsafe_impl()));
}

OptimizerParamState* Optimizer::find_state(const Tensor& parameter) const {
  auto it = state_.find(state_key(parameter));
  return it == state_.end() ? nullptr : it->second.get();
}

Optimizer::StateLayout Optimizer::state_layout(const OptimizerOptions&) const { return {}; }

Tensor Optimizer::evaluate_closure(const LossClosure& closure) {
  if (!closure) return {};
  AutoGradMode enable_grad(true);
  return closure();
}

// ---------------------------------------------------------------- state_dict

OrderedDict<std::string, Tensor> Optimizer::state_dict() const {
  OrderedDict<std::string, Tensor> out("Key");
  int64_t index = 0;
  for (const auto& group : param_groups_) {
    for (const auto& p : group.params()) {
      if (const OptimizerParamState* state = find_state(p))
        for (const auto& [name, value] : state->named_tensors())
          out.insert(fmt::format("state.{}.{}", index, name), value.detach().clone());
      ++index;
    }
  }
  index = 0;
  for (std::size_t g = 0; g < param_groups_.size(); ++g) {
    const auto& group = param_groups_[g];
    std::vector<int64_t> indices;
    for (std::size_t k = 0; k < group.params().size(); ++k) indices.push_back(index++);
    out.insert(fmt::format("param_groups.{}.params", g), tensor(indices, kInt64));
    for (const auto& [name, value] : group.options().named_values())
      out.insert(fmt::format("param_groups.{}.{}", g, name), scalar_tensor(value, kFloat64));
  }
  return out;
}

namespace {

// "state.3.exp_avg" -> (3, "exp_avg"); "param_groups.1.betas.0" -> (1, "betas.0").
bool split_key(const std::string& key, const std::string& prefix, int64_t& index, std::string& rest) {
  if (key.rfind(prefix, 0) != 0) return false;
  std::size_t begin = prefix.size();
  std::size_t dot = key.find('.', begin);
  if (dot == std::string::npos || dot == begin || dot + 1 == key.size()) return false;
  index = 0;
  for (std::size_t i = begin; i < dot; ++i) {
    if (key[i] < '0' || key[i] > '9' || i - begin > 12) return false;
    index = index * 10 + (key[i] - '0');
  }
  rest = key.substr(dot + 1);
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

void Optimizer::load_state_dict(const OrderedDict<std::string, Tensor>& state_dict) {
  const std::string name = type_name();
  std::vector<std::string> missing, unexpected, problems;

  // Parameters in state_dict order (the index i of state.<i>.*) and the group each belongs to.
  std::vector<Tensor> params;
  std::vector<std::size_t> group_of;
  for (std::size_t g = 0; g < param_groups_.size(); ++g)
    for (const auto& p : param_groups_[g].params()) {
      params.push_back(p);
      group_of.push_back(g);
    }

  // Sort the keys: group entries, per-parameter state entries, and the rest (unexpected).
  std::vector<std::map<std::string, Tensor>> group_entries(param_groups_.size());
  std::map<int64_t, std::map<std::string, Tensor>> state_entries;
  for (const auto& item : state_dict) {
    const std::string& key = item.key();
    int64_t index = 0;
    std::string rest;
    if (!item.value().defined()) {
      problems.push_back(fmt::format("{} is an undefined tensor", key));
    } else if (split_key(key, "param_groups.", index, rest) && index < static_cast<int64_t>(param_groups_.size())) {
      group_entries[index][rest] = item.value();
    } else if (split_key(key, "state.", index, rest) && index < static_cast<int64_t>(params.size())) {
      state_entries[index][rest] = item.value();
    } else {
      unexpected.push_back(key);
    }
  }

  // Group entries: the parameter layout must match, and every option must be there.
  std::vector<std::unique_ptr<OptimizerOptions>> new_options;
  int64_t first_index = 0;
  for (std::size_t g = 0; g < param_groups_.size(); ++g) {
    auto& entries = group_entries[g];
    const auto group_size = static_cast<int64_t>(param_groups_[g].params().size());
    const std::string prefix = fmt::format("param_groups.{}.", g);
    if (auto it = entries.find("params"); it == entries.end()) {
      missing.push_back(prefix + "params");
    } else {
      const Tensor& indices = it->second;
      bool matches = indices.dim() == 1 && indices.numel() == group_size && indices.dtype() == kInt64;
      for (int64_t k = 0; matches && k < group_size; ++k) matches = indices[k].item<int64_t>() == first_index + k;
      if (!matches)
        problems.push_back(
            fmt::format("{}params does not match this optimizer's group of {} parameters (indices {}..{}); "
                        "the saved optimizer had its parameters grouped differently",
                        prefix, group_size, first_index, first_index + group_size - 1));
      entries.erase(it);
    }
    first_index += group_size;

    auto options = param_groups_[g].options().clone();
    for (const auto& [option, unused] : options->named_values()) {
      auto it = entries.find(option);
      if (it == entries.end()) {
        missing.push_back(prefix + option);
        continue;
      }
      if (it->second.numel() != 1 || !it->second.is_floating_point()) {
        problems.push_back(fmt::format("{}{} must be a one-element floating-point tensor, got {} of shape {}", prefix,
                                       option, dtype_name(it->second.dtype()), shape_str(it->second.sizes())));
      } else {
        options->set_named_value(option, it->second.item_double());
      }
      entries.erase(it);
    }
    for (const auto& [rest, unused] : entries) unexpected.push_back(prefix + rest);
    try {
      validate_options(*options);
    } catch (const Error& e) {
      problems.push_back(fmt::format("param_groups.{}: {}", g, e.what()));
    }
    new_options.push_back(std::move(options));
  }

  // State entries: names allowed by the (new) group options, complete, with the right shapes.
  for (const auto& [index, entries] : state_entries) {
    const Tensor& p = params[index];
    const StateLayout layout = state_layout(*new_options[group_of[index]]);
    const std::string prefix = fmt::format("state.{}.", index);
    for (const auto& [entry, value] : entries) {
      if (!contains(layout.required, entry) && !contains(layout.optional, entry)) {
        unexpected.push_back(prefix + entry);
      } else if (contains(layout.counters, entry)) {
        double v = value.numel() == 1 ? value.item_double() : -1;
        if (value.numel() != 1 || !(v >= 0) || v != std::floor(v) || v > 9.0e15)
          problems.push_back(fmt::format(
              "{}{} must be a one-element tensor holding a step count, "
              "got shape {}{}",
              prefix, entry, shape_str(value.sizes()), value.numel() == 1 ? fmt::format(" value {}", v) : ""));
      } else if (!value.sizes().equals(p.sizes())) {
        problems.push_back(fmt::format("{}{} has shape {}, the parameter has shape {}", prefix, entry,
                                       shape_str(value.sizes()), shape_str(p.sizes())));
      } else if (!value.is_floating_point()) {
        problems.push_back(
            fmt::format("{}{} must be floating point, got {}", prefix, entry, dtype_name(value.dtype())));
      }
    }
    for (const auto& required : layout.required)
      if (!entries.count(required)) missing.push_back(prefix + required);
  }
  if (!state_entries.empty() && !make_state())
    problems.push_back(name + " does not support loading per-parameter state");

  if (!missing.empty() || !unexpected.empty() || !problems.empty()) {
    std::string message = name + ".load_state_dict: the state_dict does not fit this optimizer";
    if (!missing.empty()) message += "; missing keys: " + join(missing);
    if (!unexpected.empty()) message += "; unexpected keys: " + join(unexpected);
    if (!problems.empty()) message += "; " + join(problems);
    throw Error(message);
  }

  // Everything checked: build the new state aside, then swap it in.
  StateMap new_state;
  for (const auto& [index, entries] : state_entries) {
    const Tensor& p = params[index];
    auto state = make_state();
    for (const auto& [entry, value] : entries) {
      Tensor copy = value.detach();
      copy = contains(state_layout(*new_options[group_of[index]]).counters, entry)
                 ? scalar_tensor(copy.item_double(), kFloat64)
                 : copy.to(p.dtype()).clone();
      state->set_named_tensor(entry, copy);
    }
    new_state[state_key(p)] = std::move(state);
  }
  for (std::size_t g = 0; g < param_groups_.size(); ++g) param_groups_[g].set_options(std::move(new_options[g]));
  state_ = std::move(new_state);
}

}  // namespace tg::optim
