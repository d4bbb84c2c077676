// Datasets, as libtorch's torch::data::datasets: a dataset derives from Dataset<Self, Example>
// (CRTP) and overrides get(index) and size(); .map(transform) wraps it in a MapDataset whose
// get_batch applies the transform to each batch:
//
//   struct Squares : tg::data::datasets::Dataset<Squares> {
//     tg::data::Example<> get(size_t i) override { return {tg::tensor({double(i)}), tg::tensor({double(i * i)})}; }
//     std::optional<size_t> size() const override { return 10; }
//   };
//   auto batches = Squares().map(tg::data::transforms::Stack<>());
#pragma once
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/data/example.h"
#include "tapegrad/tensor.h"

namespace tg::data::datasets {

template <typename SourceDataset, typename AppliedTransform>
class MapDataset;
template <typename DatasetType, typename TransformType>
MapDataset<DatasetType, TransformType> map(DatasetType dataset, TransformType transform);

// A dataset that answers a whole batch request at once. BatchRequest is the sampler's index list
// (libtorch: ArrayRef<size_t>; here the sampler's std::vector<size_t> itself).
template <typename Self, typename Batch = std::vector<Example<>>, typename BatchRequest = std::vector<std::size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;
  constexpr static bool is_stateful = false;  // stateful (stream) datasets are not supported

  virtual ~BatchDataset() = default;
  virtual Batch get_batch(BatchRequest request) = 0;
  virtual std::optional<std::size_t> size() const = 0;

  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) & {
    return datasets::map(static_cast<Self&>(*this), std::move(transform));
  }
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) && {
    return datasets::map(std::move(static_cast<Self&>(*this)), std::move(transform));
  }
};

// A dataset of single examples: get(index); get_batch collects get() of each index.
template <typename Self, typename SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;
  virtual ExampleType get(std::size_t index) = 0;
  std::vector<ExampleType> get_batch(std::vector<std::size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (std::size_t i : indices) batch.push_back(get(i));
    return batch;
  }
};

template <typename SourceDataset, typename AppliedTransform>
class MapDataset
    : public BatchDataset<MapDataset<SourceDataset, AppliedTransform>, typename AppliedTransform::OutputBatchType,
                          typename SourceDataset::BatchRequestType> {
 public:
  using DatasetType = SourceDataset;
  using TransformType = AppliedTransform;
  using BatchRequestType = typename SourceDataset::BatchRequestType;
  using OutputBatchType = typename AppliedTransform::OutputBatchType;

  MapDataset(DatasetType dataset, TransformType transform)
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}

  OutputBatchType get_batch(BatchRequestType indices) override {
    return transform_.apply_batch(dataset_.get_batch(std::move(indices)));
  }
  std::optional<std::size_t> size() const override { return dataset_.size(); }
  const SourceDataset& dataset() noexcept { return dataset_; }
  const AppliedTransform& transform() noexcept { return transform_; }

 private:
  SourceDataset dataset_;
  AppliedTransform transform_;
};

template <typename DatasetType, typename TransformType>
MapDataset<DatasetType, TransformType> map(DatasetType dataset, TransformType transform) {
  static_assert(std::is_same_v<typename DatasetType::BatchType, typename TransformType::InputBatchType>,
                "BatchType type of dataset does not match input type of transform");
  return {std::move(dataset), std::move(transform)};
}

// Examples are rows of tensors along dim 0: get(i) = {data[i], targets[i]}. libtorch's
// TensorDataset holds one tensor and yields TensorExample; this one also takes (data, targets)
// and yields Example<> in both cases (the target undefined when built from one tensor), so one
// type serves both and tg::data::DataLoader can batch it with index_select.
struct TensorDataset : public Dataset<TensorDataset, Example<>> {
  explicit TensorDataset(const std::vector<Tensor>& tensors);  // stacked along a new dim 0, as libtorch
  explicit TensorDataset(Tensor tensor);
  TensorDataset(Tensor data, Tensor targets);  // data.size(0) == targets.size(0)

  Example<> get(std::size_t index) override;
  std::optional<std::size_t> size() const override;

  Tensor tensor;   // the data (libtorch's name)
  Tensor targets;  // undefined when built from one tensor
};

}  // namespace tg::data::datasets
