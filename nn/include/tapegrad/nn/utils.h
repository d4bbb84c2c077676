// tg::nn::utils, as libtorch's torch::nn::utils, and module saving/loading.
#pragma once
#include <string>
#include <vector>

#include "tapegrad/nn/module.h"
#include "tapegrad/tensor.h"

namespace tg::nn::utils {

// Scales all gradients so that their joint p-norm is at most max_norm; returns the norm before
// clipping (a 0-d tensor when given tensors, a double in libtorch's double overload).
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);
// All parameters flattened into one vector, and back.
Tensor parameters_to_vector(const std::vector<Tensor>& parameters);
void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters);

}  // namespace tg::nn::utils

namespace tg {

// Writes the module's state_dict() (PyTorch's key names) as a safetensors file, atomically.
void save(const nn::Module& module, const std::string& path);
// Loads a safetensors file written by tg::save or by PyTorch (state_dict keys) into the module.
// Strict: missing, unexpected and mis-shaped keys throw tg::Error naming the file, and the module
// is left untouched.
void load(nn::Module& module, const std::string& path);
template <typename Impl>
void save(const nn::ModuleHolder<Impl>& module, const std::string& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename Impl>
void load(nn::ModuleHolder<Impl>& module, const std::string& path) {
  load(static_cast<nn::Module&>(*module), path);
}
template <typename Impl>
void load(const nn::ModuleHolder<Impl>& module, const std::string& path) {
  load(static_cast<nn::Module&>(*module.ptr()), path);
}

}  // namespace tg
