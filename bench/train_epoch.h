// One training epoch of the DESIGN.md workloads, written only with names libtorch and tapegrad
// share: include it after `namespace torch = tg;` (bench/train_bench.cpp, built by CMake) or after
// <torch/torch.h> (the same file built against libtorch by bench/run_train_baseline.sh).
//
// The data is synthetic (random images and labels of Fashion-MNIST's shapes) so that both builds
// read identical bytes without a dataset reader; the work per step is the real one. Batches are
// contiguous slices (no shuffle), batch 128, Adam lr 1e-3, cross-entropy.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

struct TrainTiming {
  std::vector<double> epoch_seconds;
  double final_loss = 0;
};

inline torch::nn::Sequential make_mlp() {
  return torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Linear(784, 256), torch::nn::ReLU(),
                               torch::nn::Linear(256, 128), torch::nn::ReLU(), torch::nn::Linear(128, 10));
}

inline torch::nn::Sequential make_cnn() {
  return torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3)), torch::nn::ReLU(),
                               torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)),
                               torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3)), torch::nn::ReLU(),
                               torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)), torch::nn::Flatten(),
                               torch::nn::Linear(64 * 5 * 5, 128), torch::nn::ReLU(), torch::nn::Linear(128, 10));
}

inline TrainTiming train_epochs(torch::nn::Sequential model, int64_t images, int epochs) {
  torch::manual_seed(0);
  torch::Tensor x = torch::rand({images, 1, 28, 28});
  torch::Tensor y = torch::randint(0, 10, {images}, torch::kInt64);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  TrainTiming timing;
  const int64_t batch = 128;
  for (int e = 0; e < epochs; ++e) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < images; s += batch) {
      const int64_t n = std::min(batch, images - s);
      optimizer.zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x.narrow(0, s, n)), y.narrow(0, s, n));
      loss.backward();
      optimizer.step();
      timing.final_loss = loss.template item<float>();
    }
    timing.epoch_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return timing;
}

// argv: mlp|cnn [images] [epochs]. Prints each epoch's seconds and the median.
inline int train_bench_main(const char* library, int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "mlp";
  const int64_t images = argc > 2 ? std::stoll(argv[2]) : 60000;
  const int epochs = argc > 3 ? std::stoi(argv[3]) : 3;
  TrainTiming t = train_epochs(which == "cnn" ? make_cnn() : make_mlp(), images, epochs);
  std::vector<double> sorted = t.epoch_seconds;
  std::sort(sorted.begin(), sorted.end());
  std::printf("%s %s: %lld images/epoch, epochs:", library, which.c_str(), static_cast<long long>(images));
  for (double s : t.epoch_seconds) std::printf(" %.3f", s);
  std::printf(" s; median %.3f s; last loss %.4f\n", sorted[sorted.size() / 2], t.final_loss);
  return 0;
}
