// MNIST-format datasets (MNIST, Fashion-MNIST) from IDX files, as libtorch's
// torch::data::datasets::MNIST: images [N, 1, H, W] kFloat32 in [0, 1], targets [N] kInt64.
// Reads root/{train,t10k}-{images-idx3,labels-idx1}-ubyte, each either plain or gzip-compressed
// (.gz), so Debian's /usr/share/datasets/fashion-mnist works as it is.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

#include "tapegrad/data/datasets.h"

namespace tg::data::datasets {

class MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };

  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);

  Example<> get(std::size_t index) override;
  std::optional<std::size_t> size() const override;
  bool is_train() const noexcept;
  const Tensor& images() const;
  const Tensor& targets() const;

 private:
  Tensor images_, targets_;
  bool is_train_;
};

}  // namespace tg::data::datasets
