// Transforms applied by MapDataset (dataset.map(transform)), as libtorch's torch::data::transforms:
//   BatchTransform  a whole batch in, a batch out (apply_batch)
//   Transform       one example in, one out (apply); applied to each example of a batch
//   Stack<>         collation: a vector of examples -> one example of stacked tensors
//   Normalize<>     (data - mean) / stddev, per channel of [C, H, W] data
//   Lambda, BatchLambda, TensorLambda: the same from a function
#pragma once
#include <functional>
#include <utility>
#include <vector>

#include "tapegrad/data/example.h"
#include "tapegrad/tensor.h"

namespace tg::data::transforms {

template <typename InputBatch, typename OutputBatch>
class BatchTransform {
 public:
  using InputBatchType = InputBatch;
  using OutputBatchType = OutputBatch;
  virtual ~BatchTransform() = default;
  virtual OutputBatch apply_batch(InputBatch input_batch) = 0;
};

template <typename Input, typename Output>
class Transform : public BatchTransform<std::vector<Input>, std::vector<Output>> {
 public:
  using InputType = Input;
  using OutputType = Output;
  virtual OutputType apply(InputType input) = 0;
  std::vector<Output> apply_batch(std::vector<Input> input_batch) override {
    std::vector<Output> output_batch;
    output_batch.reserve(input_batch.size());
    for (auto&& input : input_batch) output_batch.push_back(apply(std::move(input)));
    return output_batch;
  }
};

template <typename Input, typename Output = Input>
class BatchLambda : public BatchTransform<Input, Output> {
 public:
  using FunctionType = std::function<Output(Input)>;
  explicit BatchLambda(FunctionType function) : function_(std::move(function)) {}
  Output apply_batch(Input input_batch) override { return function_(std::move(input_batch)); }

 private:
  FunctionType function_;
};

template <typename Input, typename Output = Input>
class Lambda : public Transform<Input, Output> {
 public:
  using FunctionType = std::function<Output(Input)>;
  explicit Lambda(FunctionType function) : function_(std::move(function)) {}
  Output apply(Input input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

// Collation: many examples -> one batch object.
template <typename T, typename BatchType = std::vector<T>>
using Collation = BatchTransform<BatchType, T>;
template <typename T, typename BatchType = std::vector<T>>
using Collate = BatchLambda<BatchType, T>;

template <typename T = Example<>>
struct Stack;

// Stacks data into [B, ...] and targets into [B, ...]. Examples whose targets are all undefined
// (a TensorDataset built from one tensor) give an undefined batch target.
template <>
struct Stack<Example<>> : public Collation<Example<>> {
  Example<> apply_batch(std::vector<Example<>> examples) override;
};

template <>
struct Stack<TensorExample> : public Collation<TensorExample> {
  TensorExample apply_batch(std::vector<TensorExample> examples) override;
};

// A transform of the data tensor of each example; the target passes through.
template <typename Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;
  virtual Tensor operator()(Tensor input) = 0;
  E apply(E input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }
};

template <typename Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;
  explicit TensorLambda(FunctionType function) : function_(std::move(function)) {}
  Tensor operator()(Tensor input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

namespace detail {
// mean and stddev as kFloat32 [C, 1, 1] tensors (libtorch's layout); checks sizes and stddev != 0.
std::pair<Tensor, Tensor> normalize_parameters(const std::vector<double>& mean, const std::vector<double>& stddev);
Tensor normalize(const Tensor& input, const Tensor& mean, const Tensor& stddev);
}  // namespace detail

// (data - mean) / stddev with mean and stddev of shape [C, 1, 1], so one value per channel of
// [C, H, W] images: Normalize<>(0.1307, 0.3081) for MNIST, Normalize<>({0.5, 0.5, 0.5}, {...}).
template <typename Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  Normalize(double mean, double stddev) : Normalize(std::vector<double>{mean}, std::vector<double>{stddev}) {}
  Normalize(const std::vector<double>& mean, const std::vector<double>& stddev) {
    std::tie(this->mean, this->stddev) = detail::normalize_parameters(mean, stddev);
  }
  Tensor operator()(Tensor input) override { return detail::normalize(input, mean, stddev); }
  Tensor mean, stddev;
};

}  // namespace tg::data::transforms
