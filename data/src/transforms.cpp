// Stack<> collation and Normalize<>'s arithmetic (the transform templates are in transforms.h).
#include "tapegrad/data/transforms.h"

#include <fmt/format.h>

#include "tapegrad/ops.h"

namespace tg::data::transforms {

Example<> Stack<Example<>>::apply_batch(std::vector<Example<>> examples) {
  if (examples.empty()) throw Error("Stack: cannot stack an empty batch");
  std::vector<Tensor> data, targets;
  data.reserve(examples.size());
  targets.reserve(examples.size());
  std::size_t defined_targets = 0;
  for (auto& example : examples) {
    data.push_back(std::move(example.data));
    defined_targets += example.target.defined() ? 1 : 0;
    targets.push_back(std::move(example.target));
  }
  if (defined_targets != 0 && defined_targets != examples.size())
    throw Error(
        fmt::format("Stack: {} of the {} examples have a target and the rest none", defined_targets, examples.size()));
  return {tg::stack(data), defined_targets ? tg::stack(targets) : Tensor()};
}

TensorExample Stack<TensorExample>::apply_batch(std::vector<TensorExample> examples) {
  if (examples.empty()) throw Error("Stack: cannot stack an empty batch");
  std::vector<Tensor> data;
  data.reserve(examples.size());
  for (auto& example : examples) data.push_back(std::move(example.data));
  return tg::stack(data);
}

namespace detail {

std::pair<Tensor, Tensor> normalize_parameters(const std::vector<double>& mean, const std::vector<double>& stddev) {
  if (mean.empty() || mean.size() != stddev.size())
    throw Error(fmt::format("Normalize: mean and stddev need one value per channel, got {} and {}", mean.size(),
                            stddev.size()));
  for (std::size_t c = 0; c < stddev.size(); ++c)
    if (stddev[c] == 0) throw Error(fmt::format("Normalize: stddev of channel {} is 0", c));
  const auto channels = static_cast<int64_t>(mean.size());
  return {tensor_from_values(mean, {channels, 1, 1}, kFloat32), tensor_from_values(stddev, {channels, 1, 1}, kFloat32)};
}

Tensor normalize(const Tensor& input, const Tensor& mean, const Tensor& stddev) { return input.sub(mean).div(stddev); }

}  // namespace detail
}  // namespace tg::data::transforms
