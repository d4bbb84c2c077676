// One training epoch of the DESIGN.md workloads, written only with names libtorch and tapegrad
// share: include it after `namespace torch = tg;` (bench/tg_bench.cpp, built by CMake) or after
// <torch/torch.h> (bench/libtorch_bench.cpp, built against libtorch by bench/run_libtorch_baseline.sh).
//
// The timed data is synthetic (random images and labels of Fashion-MNIST's shapes), so that both
// builds train on identical bytes whether or not the data set is installed; the work per step is
// the real one. When Fashion-MNIST is installed (Debian's dataset-fashion-mnist, or --data DIR),
// mlp and cnn also train the same network on the real training images, read by fashion_mnist.h,
// and check the loss and the test accuracy. Batches are contiguous slices (no shuffle), batch 128,
// Adam lr 1e-3, cross-entropy.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "fashion_mnist.h"
#include "timing.h"

struct TrainTiming {
  std::vector<double> epoch_seconds;
  double final_loss = 0;
  std::vector<double> losses;  // every step's loss, warm-up steps first
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

// Batch size of step `step`: `batch` (128 unless a sweep asks otherwise), or (vary) 65 to 128
// changing every step, so that no two consecutive batches have the same shape (the memory
// workload: buffers of every size).
inline int64_t batch_size(int64_t step, bool vary, int64_t batch = 128) { return vary ? 65 + (step * 37) % 64 : batch; }

// Trains `model` for `epochs` epochs on the images x ([N, 1, 28, 28] float) and labels y ([N]
// int64) in batches of `batch`, after `warmup_steps` untimed steps; after_epoch(e) runs after each
// timed epoch, outside the timing.
template <typename AfterEpoch>
TrainTiming train_epochs_on(torch::nn::Sequential model, const torch::Tensor& x, const torch::Tensor& y, int epochs,
                            int warmup_steps, AfterEpoch after_epoch, bool vary_batch = false, int64_t batch = 128) {
  const int64_t images = x.size(0);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  TrainTiming timing;
  auto step = [&](int64_t s, int64_t n) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x.narrow(0, s, n)), y.narrow(0, s, n));
    loss.backward();
    optimizer.step();
    timing.final_loss = loss.template item<float>();
    timing.losses.push_back(timing.final_loss);
  };
  for (int w = 0; w < warmup_steps; ++w) {
    const int64_t s = (w * batch) % images;  // w * batch while that is inside the data
    step(s, std::min<int64_t>(batch, images - s));
  }
  for (int e = 0; e < epochs; ++e) {
    const auto start = bench::Clock::now();
    int64_t k = 0;
    for (int64_t s = 0; s < images; ++k) {
      const int64_t n = std::min(batch_size(k, vary_batch, batch), images - s);
      step(s, n);
      s += n;
    }
    timing.epoch_seconds.push_back(bench::seconds_since(start));
    after_epoch(e);
  }
  return timing;
}

// train_epochs_on on `images` synthetic images: uniform [0, 1) pixels, uniform labels (seed 0).
template <typename AfterEpoch>
TrainTiming train_epochs(torch::nn::Sequential model, int64_t images, int epochs, int warmup_steps,
                         AfterEpoch after_epoch, bool vary_batch = false, int64_t batch = 128) {
  torch::manual_seed(0);
  torch::Tensor x = torch::rand({images, 1, 28, 28});
  torch::Tensor y = torch::randint(0, 10, {images}, torch::kInt64);
  return train_epochs_on(model, x, y, epochs, warmup_steps, after_epoch, vary_batch, batch);
}

inline TrainTiming train_epochs(torch::nn::Sequential model, int64_t images, int epochs) {
  return train_epochs(model, images, epochs, 0, [](int) {});
}

// A field of /proc/self/status (VmHWM: peak resident set, VmRSS: current), in MiB; 0 if unreadable.
inline double proc_status_mb(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  double kb = 0;
  const std::size_t len = std::strlen(field);
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') kb = std::atof(line + len + 1);
  std::fclose(f);
  return kb / 1024.0;
}

// Multiply-adds x 2 of one image's forward, backward to the weights and backward to the
// activations (the first layer's input gets no gradient): the FLOPs column of bench/compare.
inline double train_gflop_per_image(bool cnn) {
  auto layer = [](double macs, bool first) { return 2 * macs * (first ? 2 : 3); };
  if (!cnn) return (layer(784 * 256, true) + layer(256 * 128, false) + layer(128 * 10, false)) * 1e-9;
  return (layer(26 * 26 * 32 * 9, true) + layer(11 * 11 * 64 * 32 * 9, false) + layer(1600 * 128, false) +
          layer(128 * 10, false)) *
         1e-9;
}

// Fashion-MNIST's images as a tensor [n, 1, 28, 28] of floats in [0, 1]: byte / 255.0f, as
// tapegrad's and libtorch's MNIST datasets load them for the examples (examples/fashion_mnist_*.cpp
// train on these [0, 1] pixels, with no further normalisation).
inline torch::Tensor images_tensor(const bench::IdxFile& file) {
  const int64_t n = file.dims[0];
  torch::Tensor images = torch::empty({n, 1, 28, 28});
  float* pixels = images.data_ptr<float>();
  for (std::size_t i = 0; i < file.data.size(); ++i) pixels[i] = static_cast<float>(file.data[i]) / 255.0f;
  return images;
}

// The labels as a tensor [n] of int64.
inline torch::Tensor labels_tensor(const bench::IdxFile& file) {
  const int64_t n = file.dims[0];
  torch::Tensor labels = torch::empty({n}, torch::kInt64);
  int64_t* values = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) values[i] = file.data[static_cast<std::size_t>(i)];
  return labels;
}

// The fraction of `images` whose argmax logit is the label, in batches of 1000 without the tape.
inline double test_accuracy(torch::nn::Sequential model, const torch::Tensor& images, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  model->eval();
  int64_t correct = 0;
  const int64_t n = images.size(0);
  for (int64_t s = 0; s < n; s += 1000) {
    const int64_t k = std::min<int64_t>(1000, n - s);
    correct += model->forward(images.narrow(0, s, k)).argmax(1).eq(labels.narrow(0, s, k)).sum().item<int64_t>();
  }
  model->train();
  return static_cast<double>(correct) / static_cast<double>(n);
}

// The real-data row of mlp (cnn): the synthetic workload's network, seeded 0, trained on the first
// `images` Fashion-MNIST training images in file order with the same 20 untimed warm-up steps and
// `epochs` timed epochs; the median epoch, then the accuracy on the 10000 test images. `data_dir`
// is --data's folder ("" for kFashionMnistDir; "none" skips). Without readable data it prints one
// "<what>: skipped (<why>)" line and returns true. Checked before the line is printed: every loss
// finite, the mean of the last 10 losses below half that of the first 10, the test accuracy at
// least 0.7 (after one epoch about 0.84 for the MLP, 0.75 for the CNN's 100 steps); on a failure it
// prints why on stderr and returns false, and no figure.
inline bool train_fashion_mnist(const char* prefix, bool cnn, int64_t images, int epochs, const std::string& data_dir) {
  const std::string what = std::string(cnn ? "CNN" : "MLP") + " epoch on Fashion-MNIST";
  const std::string dir = data_dir.empty() ? bench::kFashionMnistDir : data_dir;
  bench::FashionMnistBytes bytes;
  try {
    if (data_dir == "none") throw std::runtime_error("--data none");
    bytes = bench::read_fashion_mnist(dir);
    if (bytes.train_images.dims[0] < images)
      throw std::runtime_error(bytes.train_images.path + " holds " + std::to_string(bytes.train_images.dims[0]) +
                               " images, fewer than the " + std::to_string(images) + " of an epoch");
  } catch (const std::exception& error) {
    std::error_code ignored;
    const bool no_default_dir = data_dir.empty() && !std::filesystem::exists(dir, ignored);
    std::printf("%s%s: skipped (%s%s)\n", prefix, what.c_str(), error.what(),
                no_default_dir ? "; apt-get install dataset-fashion-mnist, or --data DIR" : "");
    return true;
  }
  const torch::Tensor train_x = images_tensor(bytes.train_images).narrow(0, 0, images);
  const torch::Tensor train_y = labels_tensor(bytes.train_labels).narrow(0, 0, images);
  const torch::Tensor test_x = images_tensor(bytes.test_images), test_y = labels_tensor(bytes.test_labels);
  bytes = {};

  torch::manual_seed(0);
  torch::nn::Sequential model = cnn ? make_cnn() : make_mlp();
  const TrainTiming t = train_epochs_on(model, train_x, train_y, epochs, 20, [](int) {});
  const double accuracy = test_accuracy(model, test_x, test_y);

  const std::vector<double>& losses = t.losses;
  const std::size_t window = std::min<std::size_t>(10, losses.size() / 2);
  const double first = std::accumulate(losses.begin(), losses.begin() + window, 0.0) / window;
  const double last = std::accumulate(losses.end() - window, losses.end(), 0.0) / window;
  const char* failed = nullptr;
  if (!std::all_of(losses.begin(), losses.end(), [](double v) { return std::isfinite(v); }))
    failed = "a loss is not finite";
  else if (!(last < 0.5 * first))
    failed = "the loss did not fall below half its first batches'";
  else if (!(accuracy >= 0.7))
    failed = "test accuracy below 0.7";
  if (failed != nullptr) {
    std::fprintf(stderr,
                 "%s%s: check failed: %s (mean loss of the first 10 steps %.4f, last 10 %.4f; test accuracy %.4f)\n",
                 prefix, what.c_str(), failed, first, last, accuracy);
    return false;
  }
  std::printf("%s%s (%lld images, batch 128, Adam): %.3f s (%.1f GFLOP; last loss %.4f, test accuracy %.4f)\n", prefix,
              what.c_str(), static_cast<long long>(images), bench::median(t.epoch_seconds),
              train_gflop_per_image(cnn) * static_cast<double>(images), t.final_loss, accuracy);
  std::printf("  (mean loss of the first 10 steps %.4f, of the last 10 %.4f)\n", first, last);
  return true;
}

// The `mlp`, `cnn` and `memory` subcommands of tg_bench and libtorch_bench (the same workloads,
// one line each in bench/compare's form: "<prefix><what>: <value> <unit> ...").
//   mlp:    60000 images per epoch, cnn: 12800; 20 untimed warm-up steps, then `epochs` epochs;
//           the median epoch. Then the same on Fashion-MNIST's training images, when installed
//           (train_fashion_mnist: a second line, or one saying why it was skipped).
//   memory: the peak resident set of 3 MLP epochs of 60000 images (the data alone is 179.4 MiB), the
//           resident set after each, and after a 4th epoch of batches of 65 to 128 that change every step.
// `data_dir`: --data's folder ("" for Debian's). Returns false when a check fails (memory growing
// across epochs, a real-data check).
inline bool train_subcommand(const char* prefix, const std::string& which, int epochs,
                             const std::string& data_dir = "") {
  if (which == "memory") {
    std::vector<double> rss;
    train_epochs(make_mlp(), 60000, 3, 0, [&](int) { rss.push_back(proc_status_mb("VmRSS")); });
    const double peak = proc_status_mb("VmHWM");
    double varied = 0;
    {
      TrainTiming ignored = train_epochs(
          make_mlp(), 60000, 1, 0, [&](int) { varied = proc_status_mb("VmRSS"); }, true);
      (void)ignored;
    }
    std::printf(
        "%speak RSS, 3 MLP epochs: %.0f MiB (resident after epochs 1-3: %.0f %.0f %.0f MiB; after an "
        "epoch of varying batches %.0f MiB)\n",
        prefix, peak, rss[0], rss[1], rss[2], varied);
    return rss[2] <= rss[0] * 1.05 + 8;
  }
  const bool cnn = which == "cnn";
  const int64_t images = cnn ? 12800 : 60000;
  TrainTiming t = train_epochs(cnn ? make_cnn() : make_mlp(), images, epochs, 20, [](int) {});
  std::printf("%s%s epoch (%lld images, batch 128, Adam): %.3f s (%.1f GFLOP; last loss %.4f)\n", prefix,
              cnn ? "CNN" : "MLP", static_cast<long long>(images), bench::median(t.epoch_seconds),
              train_gflop_per_image(cnn) * static_cast<double>(images), t.final_loss);
  const bool synthetic_ok = std::isfinite(t.final_loss);
  const bool real_ok = train_fashion_mnist(prefix, cnn, images, epochs, data_dir);
  return synthetic_ok && real_ok;
}
