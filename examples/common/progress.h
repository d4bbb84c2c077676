// Training progress for the examples: on a terminal a live bar (batches/s, running loss) redrawn
// in place; otherwise (CI logs, pipes) nothing until the one line per epoch.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace examples {

class ProgressBar {
 public:
  ProgressBar(int epoch, int epochs, std::size_t batches)
      : epoch_(epoch),
        epochs_(epochs),
        batches_(batches),
        live_(isatty(fileno(stdout)) != 0),
        start_(std::chrono::steady_clock::now()) {}

  // Called after each batch with the running mean loss.
  void update(std::size_t done, double running_loss) {
    if (!live_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const int width = 30;
    const int filled = batches_ ? static_cast<int>(width * done / batches_) : width;
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < width) bar += '>' + std::string(static_cast<std::size_t>(width - filled - 1), ' ');
    std::printf("\repoch %d/%d [%s] %zu/%zu  %.0f batch/s  loss %.4f ", epoch_, epochs_, bar.c_str(), done, batches_,
                seconds > 0 ? static_cast<double>(done) / seconds : 0.0, running_loss);
    std::fflush(stdout);
  }
  // Clears the bar before the epoch's summary line.
  void finish() {
    if (!live_) return;
    std::printf("\r%90s\r", "");
    std::fflush(stdout);
  }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  int epoch_, epochs_;
  std::size_t batches_;
  bool live_;
  std::chrono::steady_clock::time_point start_, last_draw_{};
};

}  // namespace examples
