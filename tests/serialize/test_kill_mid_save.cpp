// Killed mid-save, nothing lost: a checkpointing job (tg_checkpoint_writer, a separate program) is
// SIGKILLed at random moments. The checkpoint files on disk must always load and hold exactly the
// last logged step or the one after it, and the temporaries of killed saves must not pile up.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <stdexcept>
#include <thread>

#include "checkpoint_writer/checkpoint_steps.h"
#include "serialize_test_util.h"

extern char** environ;

namespace {

using tg_test::TempDir;
using State = tg::OrderedDict<std::string, tg::Tensor>;

constexpr int kTrials = 100;
constexpr int kMaxKillDelayMicros = 30'000;
// Generous: the child is ASan-built under the sanitizer job and ctest runs two tests at a time.
constexpr int kReadyTimeoutMillis = 120'000;

// ------------------------------------------------------------------------------ the child process

// A running tg_checkpoint_writer whose stdout is a pipe to us.
struct Writer {
  pid_t pid = -1;
  int out = -1;
};

Writer spawn_writer(const std::string& dir, int64_t first_step, int64_t last_step = 0) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC
  std::vector<std::string> args = {TG_CHECKPOINT_WRITER, dir, std::to_string(first_step)};
  if (last_step > 0) args.push_back(std::to_string(last_step));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Writer w;
  const int error = ::posix_spawn(&w.pid, TG_CHECKPOINT_WRITER, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (error != 0) {
    ::close(fds[0]);
    throw std::runtime_error(std::string("posix_spawn " TG_CHECKPOINT_WRITER ": ") + std::strerror(error));
  }
  w.out = fds[0];
  return w;
}

// Waits for the child's "ready" line (it has resumed and is about to take its first step).
bool wait_ready(const Writer& w) {
  std::string got;
  while (got.find('\n') == std::string::npos) {
    pollfd p{w.out, POLLIN, 0};
    if (::poll(&p, 1, kReadyTimeoutMillis) <= 0) return false;
    char buffer[16];
    const ssize_t n = ::read(w.out, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the child exited
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got == "ready\n";
}

// waitpid's status, retrying on EINTR; closes the pipe.
int reap(Writer& w) {
  int status = 0;
  while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::close(w.out);
  return status;
}

// --------------------------------------------------------------------- what the child must have written

// Exactly what the writer saves at step k: the model's state is f(k); the optimizer's comes from
// replaying steps 1..k here. The steps asked for never go back by more than one (the log only
// advances), so only the last few replayed states are kept (on tmpfs a run logs ~5,000 steps).
class Expected {
 public:
  State model(int64_t step) const {
    tg::nn::Sequential m = tg_checkpoint::make_model();
    tg_checkpoint::set_params_for_step(m, step);
    return m->state_dict();
  }
  const State& optimizer(int64_t step) {
    if (step < 1 || (!kept_.empty() && step < kept_.begin()->first))
      throw std::logic_error("Expected::optimizer: step " + std::to_string(step) + " is no longer kept");
    while (replayed_ < step) {
      tg_checkpoint::take_step(model_, adam_, ++replayed_);
      State copy("Tensor");
      for (const auto& item : adam_.state_dict()) copy.insert(item.key(), item.value().clone());
      kept_.insert_or_assign(replayed_, std::move(copy));
      if (kept_.size() > 4) kept_.erase(kept_.begin());
    }
    return kept_.at(step);
  }

 private:
  tg::nn::Sequential model_ = tg_checkpoint::make_model();
  tg::optim::Adam adam_ = tg_checkpoint::make_optimizer(model_);
  int64_t replayed_ = 0;
  std::map<int64_t, State> kept_;
};

::testing::AssertionResult same_state(const State& got, const State& want) {
  if (got.keys() != want.keys()) return ::testing::AssertionFailure() << "different keys";
  for (const auto& item : want) {
    ::testing::AssertionResult same = tg_test::identical(got[item.key()], item.value());
    if (!same) return ::testing::AssertionFailure() << "'" << item.key() << "': " << same.message();
  }
  return ::testing::AssertionSuccess();
}

// Loads a model / optimizer checkpoint into a fresh object the way a resuming job would; returns
// the step it holds and its state, or the tg::Error's message.
struct Loaded {
  int64_t step = 0;
  State state{"Tensor"};
  std::string error;  // non-empty: tg::load threw tg::Error
};

Loaded load_model(const std::string& path) {
  Loaded out;
  tg::nn::Sequential m = tg_checkpoint::make_model();
  try {
    tg::load(m, path);
  } catch (const tg::Error& e) {
    out.error = e.what();
    return out;
  }
  out.step = tg_checkpoint::step_of(m);
  out.state = m->state_dict();
  return out;
}

Loaded load_optimizer(const std::string& path) {
  Loaded out;
  tg::nn::Sequential m = tg_checkpoint::make_model();
  tg::optim::Adam adam = tg_checkpoint::make_optimizer(m);
  try {
    tg::load(adam, path);
  } catch (const tg::Error& e) {
    out.error = e.what();
    return out;
  }
  out.state = adam.state_dict();
  out.step = out.state.contains("state.0.step") ? static_cast<int64_t>(out.state["state.0.step"].item<double>()) : 0;
  return out;
}

// The last step the writer logged as saved (0: none yet).
int64_t last_logged_step(const std::string& log_path) {
  const std::string text = tg_test::read_bytes(log_path);
  const std::size_t end = text.rfind('\n');
  if (end == std::string::npos || end == 0) return 0;
  const std::size_t previous = text.rfind('\n', end - 1);
  const std::size_t begin = previous == std::string::npos ? 0 : previous + 1;
  return std::stoll(text.substr(begin, end - begin));
}

// Temporaries in `dir`: target ("model" / "optim") -> writer pids, one per file.
std::map<std::string, std::vector<pid_t>> temporaries(const TempDir& dir) {
  static const std::regex pattern(R"((model|optim)\.safetensors\.tmp\.(\d+)\.\d+)");
  std::map<std::string, std::vector<pid_t>> out;
  for (const std::string& name : dir.entries()) {
    std::smatch m;
    if (std::regex_match(name, m, pattern)) out[m[1]].push_back(std::stoi(m[2]));
  }
  return out;
}

std::string temp_name(const TempDir& dir, const std::string& target, pid_t pid) {
  static const std::regex pattern(R"((model|optim)\.safetensors\.tmp\.(\d+)\.\d+)");
  for (const std::string& name : dir.entries()) {
    std::smatch m;
    if (std::regex_match(name, m, pattern) && m[1] == target && std::stoi(m[2]) == pid) return dir.file(name);
  }
  return {};
}

// ------------------------------------------------------------------------------------ the trials

struct Tally {
  int trials = 0;
  int steps_logged = 0;            // over all trials
  int killed_between_saves = 0;    // model file one step ahead of the optimizer file
  int partial_temps_rejected = 0;  // a killed save's temporary: tg::load threw tg::Error
  int complete_temps = 0;          // written in full but not yet renamed: loads, exact step L+1
  int64_t max_temps_per_target = 0;
};

// Runs `trials` start / random sleep / SIGKILL rounds of the writer in `dir`, each resuming from the
// checkpoint the previous one left, and checks the files after each kill. Returns the step the
// optimizer checkpoint holds at the end (0: none).
int64_t run_trials(const TempDir& dir, int trials, Tally& tally) {
  const char* seed_env = std::getenv("TG_KILL_SEED");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  std::printf("KillMidSave: seed %llu (rerun with TG_KILL_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_us(0, kMaxKillDelayMicros);

  Expected expected;
  const std::string model_path = dir.file("model.safetensors");
  const std::string optim_path = dir.file("optim.safetensors");
  int64_t resume_from = 0;  // the optimizer checkpoint's step
  int64_t logged_before = 0;
  for (int trial = 0; trial < trials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial) + ", seed " + std::to_string(seed));
    Writer w = spawn_writer(dir.path().string(), resume_from + 1);
    const bool ready = wait_ready(w);
    if (ready) std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(w.pid, SIGKILL);
    const int status = reap(w);
    if (!ready || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      ADD_FAILURE() << "the writer did not run until killed (ready " << ready << ", status " << status << ")";
      return resume_from;
    }
    ++tally.trials;

    const int64_t L = last_logged_step(dir.file("steps.log"));
    tally.steps_logged += static_cast<int>(L - logged_before);
    logged_before = L;
    const bool have_model = std::filesystem::exists(model_path);
    const bool have_optim = std::filesystem::exists(optim_path);
    if (L >= 1) {
      EXPECT_TRUE(have_model && have_optim) << "step " << L << " was logged as saved";
    }
    int64_t model_step = 0, optim_step = 0;
    if (have_model) {
      const Loaded m = load_model(model_path);
      if (!m.error.empty()) {
        ADD_FAILURE() << "the model checkpoint does not load: " << m.error;
        return resume_from;
      }
      model_step = m.step;
      EXPECT_TRUE(model_step >= L && model_step <= L + 1)
          << "model file holds step " << model_step << ", log says " << L;
      if (model_step >= 1 && model_step <= L + 1) EXPECT_TRUE(same_state(m.state, expected.model(model_step)));
    }
    if (have_optim) {
      const Loaded o = load_optimizer(optim_path);
      if (!o.error.empty()) {
        ADD_FAILURE() << "the optimizer checkpoint does not load: " << o.error;
        return resume_from;
      }
      optim_step = o.step;
      EXPECT_TRUE(optim_step >= L && optim_step <= L + 1)
          << "optimizer file holds step " << optim_step << ", log says " << L;
      if (optim_step >= 1 && optim_step <= L + 1) EXPECT_TRUE(same_state(o.state, expected.optimizer(optim_step)));
      // the model is saved first, so it is never behind the optimizer and at most one step ahead
      EXPECT_TRUE(model_step == optim_step || model_step == optim_step + 1)
          << "model step " << model_step << ", optimizer step " << optim_step;
    }
    if (model_step == optim_step + 1) ++tally.killed_between_saves;

    // This child's temporary, if the kill landed inside a save: refused as partial, or (written in
    // full, not yet renamed) exactly step L + 1, the step being saved. Never anything else.
    for (const std::string target : {"model", "optim"}) {
      const std::string temp = temp_name(dir, target, w.pid);
      if (temp.empty()) continue;
      const Loaded t = target == "model" ? load_model(temp) : load_optimizer(temp);
      if (!t.error.empty()) {
        ++tally.partial_temps_rejected;
        continue;
      }
      ++tally.complete_temps;
      EXPECT_EQ(t.step, L + 1) << temp;
      if (t.step == L + 1)
        EXPECT_TRUE(same_state(t.state, target == "model" ? expected.model(L + 1) : expected.optimizer(L + 1)));
    }
    // Each save removes its target's temporaries of dead writers first, so a target keeps at most
    // the one of the save that was killed last.
    for (const auto& [target, pids] : temporaries(dir)) {
      tally.max_temps_per_target = std::max<int64_t>(tally.max_temps_per_target, static_cast<int64_t>(pids.size()));
      EXPECT_LE(pids.size(), 1u) << target << " has " << pids.size() << " temporary files";
    }
    if (::testing::Test::HasFailure()) return resume_from;
    resume_from = optim_step;
  }
  return resume_from;
}

void print(const Tally& t, double seconds) {
  std::printf(
      "KillMidSave: %d trials in %.1f s, %d steps logged; kills between the two saves %d, inside a save "
      "(temporary left) %d partial + %d complete; at most %lld temporary per target\n",
      t.trials, seconds, t.steps_logged, t.killed_between_saves, t.partial_temps_rejected, t.complete_temps,
      static_cast<long long>(t.max_temps_per_target));
}

TEST(KillMidSave, LastCompleteCheckpointAlwaysLoads) {
  TempDir dir;
  Tally tally;
  const auto start = std::chrono::steady_clock::now();
  const int64_t final_step = run_trials(dir, kTrials, tally);
  print(tally, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  EXPECT_EQ(tally.trials, kTrials);
  EXPECT_GT(final_step, 0) << "no checkpoint was ever completed";
  // The kills must land inside saves, or this test shows nothing: with two fsyncs per save the
  // writer spends most of its time there (typically half the trials or more leave a temporary).
  EXPECT_GE(tally.partial_temps_rejected + tally.complete_temps, kTrials / 10);
}

TEST(KillMidSave, TemporaryFilesDoNotPileUp) {
  TempDir dir;
  Tally tally;
  const auto start = std::chrono::steady_clock::now();
  const int64_t final_step = run_trials(dir, kTrials, tally);
  print(tally, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ASSERT_EQ(tally.trials, kTrials);
  EXPECT_LE(tally.max_temps_per_target, 1);

  // One more job runs a step to the end: its saves remove what the killed ones left.
  Writer w = spawn_writer(dir.path().string(), final_step + 1, final_step + 1);
  ASSERT_TRUE(wait_ready(w));
  const int status = reap(w);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_THAT(dir.entries(), ::testing::ElementsAre("model.safetensors", "optim.safetensors", "steps.log"));
  EXPECT_EQ(load_model(dir.file("model.safetensors")).step, final_step + 1);
  EXPECT_EQ(load_optimizer(dir.file("optim.safetensors")).step, final_step + 1);
}

// The clean-up rule itself: a save removes its own target's temporaries whose writer is dead, and
// nothing else (a live writer's, another target's, names that only look similar).
TEST(KillMidSave, SaveRemovesOnlyDeadWritersTemporariesOfTheSameTarget) {
  TempDir dir;
  // a pid that is certainly dead: a child that has exited and been reaped
  Writer dead = spawn_writer(dir.path().string(), 1, 1);
  ASSERT_TRUE(wait_ready(dead));
  ASSERT_EQ(reap(dead), 0);
  ASSERT_EQ(::kill(dead.pid, 0), -1);
  const std::string d = std::to_string(dead.pid);
  const std::string live = std::to_string(::getppid());  // our parent is alive
  const std::string self = std::to_string(::getpid());   // another thread's save may be under way
  for (const std::string& name : std::vector<std::string>{
           "model.safetensors.tmp." + d + ".0", "model.safetensors.tmp." + d + ".17",
           "model.safetensors.tmp." + live + ".0", "model.safetensors.tmp." + self + ".99",
           "other.safetensors.tmp." + d + ".0", "model.safetensors.tmp." + d, "model.safetensors.tmp." + d + ".x",
           "model.safetensors.tmp.0.0", "model.safetensors.tmp.-1.0"})
    tg_test::write_bytes(dir.file(name), "partial");
  tg::nn::Sequential m = tg_checkpoint::make_model();
  tg::save(m, dir.file("model.safetensors"));
  EXPECT_THAT(dir.entries(),
              ::testing::UnorderedElementsAre("model.safetensors", "model.safetensors.tmp." + live + ".0",
                                              "model.safetensors.tmp." + self + ".99", "optim.safetensors",
                                              "other.safetensors.tmp." + d + ".0", "model.safetensors.tmp." + d,
                                              "model.safetensors.tmp." + d + ".x", "model.safetensors.tmp.0.0",
                                              "model.safetensors.tmp.-1.0", "steps.log"));
}

}  // namespace
