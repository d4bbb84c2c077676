// tg::nn::utils (gradient clipping, parameter vectors) and saving/loading modules as safetensors.
#include "tapegrad/nn/utils.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "tapegrad/ops.h"
#include "tapegrad/safetensors.h"

namespace tg::nn::utils {

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters)
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  NoGradGuard guard;
  double total = 0;
  if (std::isinf(norm_type)) {
    for (const Tensor& g : grads) total = std::max(total, g.abs().max().item_double());
  } else {
    // PyTorch: the norm of the per-tensor norms
    std::vector<Tensor> norms;
    for (const Tensor& g : grads) norms.push_back(g.to(kFloat64).norm(norm_type));
    total = stack(norms).norm(norm_type).item_double();
  }
  if (error_if_nonfinite && !std::isfinite(total))
    throw Error(fmt::format("clip_grad_norm_: the total norm of order {} of the gradients is non-finite ({})",
                            norm_type, total));
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1)
    for (const Tensor& g : grads) g.mul_(coef);
  return total;
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  if (clip_value < 0) throw Error(fmt::format("clip_grad_value_: clip_value must be non-negative, got {}", clip_value));
  NoGradGuard guard;
  for (const Tensor& p : parameters)
    if (p.defined() && p.grad().defined()) p.grad().clamp_(-clip_value, clip_value);
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

Tensor parameters_to_vector(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> flat;
  for (const Tensor& p : parameters) {
    if (!p.defined()) throw Error("parameters_to_vector: a parameter is an undefined tensor");
    flat.push_back(p.reshape({-1}));
  }
  if (flat.empty()) return empty({0});
  return cat(flat);
}

void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters) {
  int64_t total = 0;
  for (const Tensor& p : parameters) total += p.numel();
  if (!vec.defined() || vec.dim() != 1 || vec.numel() != total)
    throw Error(fmt::format("vector_to_parameters: expected a 1-D tensor of {} elements, got {}", total,
                            vec.defined() ? shape_str(vec.sizes()) : "undefined"));
  NoGradGuard guard;
  int64_t offset = 0;
  for (const Tensor& p : parameters) {
    p.copy_(vec.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

}  // namespace tg::nn::utils

namespace tg {

void save(const nn::Module& module, const std::string& path) {
  OrderedDict<std::string, Tensor> state{"Tensor"};
  for (const auto& item : module.state_dict()) state.insert(item.key(), item.value().detach());
  safetensors::save(path, state, {{"format", "pt"}, {"producer", "tapegrad"}});
}

void load(nn::Module& module, const std::string& path) {
  safetensors::File file = safetensors::load(path);
  try {
    module.load_state_dict(file.tensors, /*strict=*/true);
  } catch (const Error& e) {
    throw Error(fmt::format("load {}: {}", path, e.what()));
  }
}

}  // namespace tg
