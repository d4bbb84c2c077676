// One training epoch of the DESIGN.md workloads, written only with names libtorch and tapegrad
// share: include it after `namespace torch = tg;` (bench/tg_bench.cpp, built by CMake) or after
// <torch/torch.h> (bench/libtorch_bench.cpp, built against libtorch by bench/run_libtorch_baseline.sh).
//
// The data is synthetic (random images and labels of Fashion-MNIST's shapes) so that both builds
// read identical bytes without a dataset reader; the work per step is the real one. Batches are
// contiguous slices (no shuffle), batch 128, Adam lr 1e-3, cross-entropy.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "timing.h"

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

// Batch size of step `step`: `batch` (128 unless a sweep asks otherwise), or (vary) 65 to 128
// changing every step, so that no two consecutive batches have the same shape (the memory
// workload: buffers of every size).
inline int64_t batch_size(int64_t step, bool vary, int64_t batch = 128) { return vary ? 65 + (step * 37) % 64 : batch; }

// Trains `model` for `epochs` epochs on `images` synthetic images in batches of `batch`, after
// `warmup_steps` untimed steps; after_epoch(e) runs after each timed epoch, outside the timing.
template <typename AfterEpoch>
TrainTiming train_epochs(torch::nn::Sequential model, int64_t images, int epochs, int warmup_steps,
                         AfterEpoch after_epoch, bool vary_batch = false, int64_t batch = 128) {
  torch::manual_seed(0);
  torch::Tensor x = torch::rand({images, 1, 28, 28});
  torch::Tensor y = torch::randint(0, 10, {images}, torch::kInt64);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  TrainTiming timing;
  auto step = [&](int64_t s, int64_t n) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x.narrow(0, s, n)), y.narrow(0, s, n));
    loss.backward();
    optimizer.step();
    timing.final_loss = loss.template item<float>();
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

inline TrainTiming train_epochs(torch::nn::Sequential model, int64_t images, int epochs) {
  return train_epochs(model, images, epochs, 0, [](int) {});
}

// A field of /proc/self/status (VmHWM: peak resident set, VmRSS: current), in MB; 0 if unreadable.
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

// The `mlp`, `cnn` and `memory` subcommands of tg_bench and libtorch_bench (the same workloads,
// one line each in bench/compare's form: "<prefix><what>: <value> <unit> ...").
//   mlp:    60000 images per epoch, cnn: 12800; 20 untimed warm-up steps, then `epochs` epochs;
//           the median epoch.
//   memory: the peak resident set of 3 MLP epochs of 60000 images (the data alone is 188 MB), the
//           resident set after each, and after a 4th epoch of batches of 65 to 128 that change every step.
// Returns false when a check fails (memory growing across epochs).
inline bool train_subcommand(const char* prefix, const std::string& which, int epochs) {
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
        "%speak RSS, 3 MLP epochs: %.0f MB (resident after epochs 1-3: %.0f %.0f %.0f MB; after an "
        "epoch of varying batches %.0f MB)\n",
        prefix, peak, rss[0], rss[1], rss[2], varied);
    return rss[2] <= rss[0] * 1.05 + 8;
  }
  const bool cnn = which == "cnn";
  const int64_t images = cnn ? 12800 : 60000;
  TrainTiming t = train_epochs(cnn ? make_cnn() : make_mlp(), images, epochs, 20, [](int) {});
  std::printf("%s%s epoch (%lld images, batch 128, Adam): %.3f s (%.1f GFLOP; last loss %.4f)\n", prefix,
              cnn ? "CNN" : "MLP", static_cast<long long>(images), bench::median(t.epoch_seconds),
              train_gflop_per_image(cnn) * static_cast<double>(images), t.final_loss);
  return std::isfinite(t.final_loss);
}
