// tg_checkpoint_writer: the child process test_kill_mid_save.cpp starts and SIGKILLs. A training
// job that checkpoints after every step: tg::save(model), tg::save(optimizer), then logs the step.
//   tg_checkpoint_writer DIR FIRST_STEP [LAST_STEP]
// Resumes the optimizer from DIR/optim.safetensors when FIRST_STEP > 1 (logging FIRST_STEP - 1,
// the step that checkpoint holds), writes "ready\n" to stdout, then runs steps FIRST_STEP, ... up
// to LAST_STEP (forever when absent or 0). After both saves of step k return it appends "k\n" to
// DIR/steps.log and fsyncs it. Exit status 0 on success, 1 with a message on any error.
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "checkpoint_steps.h"

namespace {

void write_fully(int fd, const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t done = ::write(fd, p, left);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) throw tg::Error("tg_checkpoint_writer: write failed");
    p += done;
    left -= static_cast<std::size_t>(done);
  }
}

void log_step(int log_fd, int64_t step) {
  write_fully(log_fd, std::to_string(step) + "\n");
  if (::fsync(log_fd) != 0) throw tg::Error("tg_checkpoint_writer: fsync of the log failed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s DIR FIRST_STEP [LAST_STEP]\n", argv[0]);
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const int64_t first = std::atoll(argv[2]);
    const int64_t last = argc == 4 ? std::atoll(argv[3]) : 0;
    if (first < 1) throw tg::Error("tg_checkpoint_writer: FIRST_STEP must be >= 1");
    const std::string model_path = dir + "/model.safetensors";
    const std::string optim_path = dir + "/optim.safetensors";
    const int log_fd = ::open((dir + "/steps.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw tg::Error("tg_checkpoint_writer: cannot open the log");

    tg::nn::Sequential model = tg_checkpoint::make_model();
    tg::optim::Adam optimizer = tg_checkpoint::make_optimizer(model);
    if (first > 1) {
      tg::load(optimizer, optim_path);  // resume: Adam's moments as of step first - 1
      log_step(log_fd, first - 1);
    }
    write_fully(STDOUT_FILENO, "ready\n");

    for (int64_t step = first; last == 0 || step <= last; ++step) {
      tg_checkpoint::take_step(model, optimizer, step);
      tg::save(model, model_path);
      tg::save(optimizer, optim_path);
      log_step(log_fd, step);
    }
    ::close(log_fd);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tg_checkpoint_writer: %s\n", e.what());
    return 1;
  }
}
