// TensorDataset: rows of (data, targets) tensors.
#include <fmt/format.h>

#include "tapegrad/data/datasets.h"
#include "tapegrad/ops.h"

namespace tg::data::datasets {
namespace {

Tensor check_rows(Tensor tensor, const char* what) {
  if (!tensor.defined()) throw Error(fmt::format("TensorDataset: the {} tensor is undefined", what));
  if (tensor.dim() == 0)
    throw Error(fmt::format("TensorDataset: the {} tensor must have a dim 0 of examples, got a 0-d tensor", what));
  return tensor;
}

}  // namespace

TensorDataset::TensorDataset(const std::vector<Tensor>& tensors) : TensorDataset(tg::stack(tensors)) {}

TensorDataset::TensorDataset(Tensor tensor) : tensor(check_rows(std::move(tensor), "data")) {}

TensorDataset::TensorDataset(Tensor data, Tensor targets)
    : tensor(check_rows(std::move(data), "data")), targets(check_rows(std::move(targets), "targets")) {
  if (tensor.size(0) != this->targets.size(0))
    throw Error(fmt::format("TensorDataset: data has {} examples (shape {}) but targets has {} (shape {})",
                            tensor.size(0), shape_str(tensor.sizes()), this->targets.size(0),
                            shape_str(this->targets.sizes())));
}

Example<> TensorDataset::get(std::size_t index) {
  const auto i = static_cast<int64_t>(index);
  if (i >= tensor.size(0))
    throw Error(fmt::format("TensorDataset::get: index {} is out of range for {} examples", index, tensor.size(0)));
  return {tensor[i], targets.defined() ? targets[i] : Tensor()};
}

std::optional<std::size_t> TensorDataset::size() const { return static_cast<std::size_t>(tensor.size(0)); }

}  // namespace tg::data::datasets
