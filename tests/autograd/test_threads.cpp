// Threads: what tapegrad promises to code that runs it from several threads at once. One module
// shared by many inference threads, separate models trained in separate threads, per-thread grad
// mode, separate graphs backpropagated concurrently, the random generator and the allocator.
#include <tapegrad/tapegrad.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <barrier>
#include <cmath>
#include <cstdint>
#include <functional>
#include <latch>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace nn = tg::nn;
namespace F = tg::nn::functional;
using tg::Tensor;

namespace {

// Runs fn(0) .. fn(n-1) on n threads and joins them. Each thread records its failures as strings
// (gtest assertions are not made from the workers), returned for the caller to check.
std::vector<std::string> run_threads(int n, const std::function<void(int, std::string&)>& fn) {
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      try {
        fn(i, errors[static_cast<std::size_t>(i)]);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] += std::string(" threw: ") + e.what();
      }
    });
  for (std::thread& t : threads) t.join();
  return errors;
}

void expect_no_errors(const std::vector<std::string>& errors) {
  for (std::size_t i = 0; i < errors.size(); ++i) EXPECT_EQ(errors[i], "") << "thread " << i;
}

// conv -> batch norm (eval) -> relu -> max pool -> linear -> relu -> linear, on 1x16x16 images.
// Linear(8*8*8, 64) on a batch of 16 is 524288 multiply-adds: OpenBLAS runs it threaded.
struct ConvNetImpl : nn::Module {
  ConvNetImpl() {
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(1, 8, 3).padding(1)));
    bn = register_module("bn", nn::BatchNorm2d(8));
    pool = register_module("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    fc1 = register_module("fc1", nn::Linear(8 * 8 * 8, 64));
    fc2 = register_module("fc2", nn::Linear(64, 10));
  }
  Tensor forward(const Tensor& x) {
    Tensor h = pool->forward(bn->forward(conv->forward(x)).relu());
    return fc2->forward(fc1->forward(h.flatten(1)).relu());
  }
  nn::Conv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nn::MaxPool2d pool{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
TG_MODULE(ConvNet);

struct MlpImpl : nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", nn::Linear(6, 32));
    fc2 = register_module("fc2", nn::Linear(32, 32));
    fc3 = register_module("fc3", nn::Linear(32, 1));
  }
  Tensor forward(const Tensor& x) { return fc3->forward(fc2->forward(fc1->forward(x).tanh()).relu()); }
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
TG_MODULE(Mlp);

Mlp seeded_mlp(uint64_t seed) {
  tg::manual_seed(seed);
  return Mlp();
}

// Full-batch training: SGD with momentum for even ids, Adam for odd ones. Returns the losses.
std::vector<double> train(Mlp& model, int id, const Tensor& x, const Tensor& y, int steps) {
  std::unique_ptr<tg::optim::Optimizer> opt;
  if (id % 2 == 0)
    opt = std::make_unique<tg::optim::SGD>(model->parameters(), tg::optim::SGDOptions(0.05).momentum(0.9));
  else
    opt = std::make_unique<tg::optim::Adam>(model->parameters(), tg::optim::AdamOptions(0.01));
  std::vector<double> losses;
  for (int step = 0; step < steps; ++step) {
    opt->zero_grad();
    Tensor loss = F::mse_loss(model->forward(x), y);
    loss.backward();
    opt->step();
    losses.push_back(loss.item_double());
  }
  return losses;
}

// A graph that mixes matmul, broadcasting, views, indexing, reductions and a 300-step chain,
// differentiated into w and b; `constant` is shared read-only by every thread's graph.
std::vector<Tensor> graph_grads(const Tensor& w, const Tensor& b, const Tensor& constant) {
  Tensor h = (constant.matmul(w) + b).tanh();  // [8, 5]
  Tensor v = h.t().reshape({5, 8}).index_select(1, tg::arange(0, 8, 2, tg::TensorOptions().dtype(tg::kInt64)));
  Tensor chain = h.sum(0);
  for (int i = 0; i < 300; ++i) chain = (chain * 0.9 + b).sin();
  Tensor loss = (v.exp().mean() + chain.pow(2.0).sum() + (h * h).sum(1).max());
  loss.backward();
  return {w.grad().clone(), b.grad().clone(), loss.detach()};
}

}  // namespace

TEST(Threads, ConcurrentInferenceMatchesSerial) {
  tg::manual_seed(7);
  ConvNet net;
  // running statistics far from (0, 1), so eval-mode batch norm changes the numbers
  {
    tg::NoGradGuard no_grad;
    net->bn->running_mean.copy_(tg::randn({8}) * 0.5);
    net->bn->running_var.copy_(tg::rand({8}) + 0.5);
  }
  net->eval();
  constexpr int kThreads = 8, kInputsPerThread = 3, kRounds = 3;
  std::vector<Tensor> inputs, serial;
  for (int i = 0; i < kThreads * kInputsPerThread; ++i) inputs.push_back(tg::randn({16, 1, 16, 16}));
  {
    tg::NoGradGuard no_grad;
    for (const Tensor& x : inputs) serial.push_back(net->forward(x));
  }
  ASSERT_FALSE(tg::equal(serial[0], serial[1]));  // different inputs give different outputs
  ASSERT_EQ(serial[0].sizes().vec(), (std::vector<int64_t>{16, 10}));

  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string& err) {
    tg::NoGradGuard no_grad;
    start.arrive_and_wait();
    for (int round = 0; round < kRounds; ++round)
      for (int k = 0; k < kInputsPerThread; ++k) {
        // each thread runs its own inputs, in a different order every round
        int i = (t * kInputsPerThread + (k + t + round) % kInputsPerThread) % (kThreads * kInputsPerThread);
        Tensor out = net->forward(inputs[static_cast<std::size_t>(i)]);
        if (out.requires_grad()) err += " output requires grad under NoGradGuard;";
        if (!tg::equal(out, serial[static_cast<std::size_t>(i)]))
          err += " input " + std::to_string(i) + " round " + std::to_string(round) + " differs by " +
                 std::to_string((out - serial[static_cast<std::size_t>(i)]).abs().max().item_double()) + ";";
      }
  });
  expect_no_errors(errors);
  // inference left the shared module untouched: no gradients, same running statistics
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_EQ(net->bn->num_batches_tracked.item_double(), 0.0);
}

TEST(Threads, InputGradientsThroughOneSharedModuleMatchSerial) {
  // Grad mode on, parameters requiring grad, one module: each thread records its own graph over
  // the shared parameters and asks autograd::grad for the gradient of its input only (saliency
  // maps), which never touches the parameters' .grad.
  constexpr int kThreads = 8;
  tg::manual_seed(9);
  ConvNet net;
  net->eval();
  std::vector<Tensor> inputs, serial_out, serial_dx;
  for (int i = 0; i < kThreads; ++i) inputs.push_back(tg::randn({4, 1, 16, 16}));
  for (const Tensor& x : inputs) {
    Tensor xi = x.detach().requires_grad_(true);
    Tensor out = net->forward(xi);
    serial_dx.push_back(tg::autograd::grad({out.pow(2.0).sum()}, {xi})[0]);
    serial_out.push_back(out.detach());
  }
  ASSERT_GT(serial_dx[0].abs().sum().item_double(), 0.0);
  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string& err) {
    start.arrive_and_wait();
    for (int round = 0; round < 3; ++round) {
      std::size_t i = static_cast<std::size_t>((t + round) % kThreads);
      Tensor xi = inputs[i].detach().requires_grad_(true);
      Tensor out = net->forward(xi);
      if (!out.requires_grad()) err += " no graph recorded;";
      Tensor dx = tg::autograd::grad({out.pow(2.0).sum()}, {xi})[0];
      if (!tg::equal(out.detach(), serial_out[i])) err += " output " + std::to_string(i) + " differs;";
      if (!tg::equal(dx, serial_dx[i])) err += " input gradient " + std::to_string(i) + " differs;";
    }
  });
  expect_no_errors(errors);
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Threads, ALeafsAutogradStateIsCreatedOnceWhenThreadsRaceForIt) {
  // A fresh leaf has no autograd state yet (grad, hooks, its gradient accumulator: made on first
  // use). Threads that record over it and threads that read its grad race to create that state;
  // exactly one creation must win, so every graph shares one accumulator and no read sees a torn
  // pointer (ThreadSanitizer checks the latter in .ci/tsan).
  constexpr int kThreads = 8;
  for (int trial = 0; trial < 20; ++trial) {
    Tensor w = tg::full({3}, 2.0, tg::kFloat64).requires_grad_(true);
    std::vector<std::shared_ptr<tg::autograd::Node>> accumulators(kThreads);
    std::latch start(kThreads);
    auto errors = run_threads(kThreads, [&](int t, std::string& err) {
      start.arrive_and_wait();
      if (t % 2 == 0) {
        Tensor y = w * static_cast<double>(t + 1);
        accumulators[static_cast<std::size_t>(t)] = y.grad_fn()->next_edges()[0].function;
      } else if (w.grad().defined()) {
        err += " a grad appeared before any backward;";
      }
    });
    expect_no_errors(errors);
    for (int t = 2; t < kThreads; t += 2)
      EXPECT_EQ(accumulators[static_cast<std::size_t>(t)], accumulators[0]) << "trial " << trial;
  }
}

TEST(Threads, PrintingOneModuleFromManyThreadsGivesOneText) {
  // A user-defined module's name is worked out (from its type) on first use, which may be on
  // several threads at once.
  constexpr int kThreads = 8;
  Mlp net;
  std::vector<std::string> printed(kThreads);
  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string&) {
    start.arrive_and_wait();
    std::ostringstream s;
    s << *net;
    printed[static_cast<std::size_t>(t)] = s.str() + " / " + net->describe();
  });
  expect_no_errors(errors);
  EXPECT_EQ(net->name(), "MlpImpl");
  EXPECT_EQ(net->describe(), "MlpImpl");  // the same whether or not the module was printed first
  EXPECT_NE(printed[0].find("MlpImpl("), std::string::npos) << printed[0];
  for (const std::string& p : printed) EXPECT_EQ(p, printed[0]);
}

TEST(Threads, SeparateModelsTrainedInThreadsMatchSerialTraining) {
  constexpr int kThreads = 4, kSteps = 40;
  tg::manual_seed(11);
  Tensor x = tg::randn({64, 6});
  Tensor y = (x.sum(1, true) * 0.5).sin() +
             x.index_select(1, tg::arange(0, 1, 1, tg::TensorOptions().dtype(tg::kInt64))) * 0.3;
  // initial weights are drawn here, on this thread: manual_seed and the generator are global
  std::vector<Mlp> threaded, serial;
  for (int i = 0; i < kThreads; ++i) {
    threaded.push_back(seeded_mlp(100 + static_cast<uint64_t>(i)));
    serial.push_back(seeded_mlp(100 + static_cast<uint64_t>(i)));
  }
  ASSERT_TRUE(tg::equal(threaded[1]->fc1->weight, serial[1]->fc1->weight));
  ASSERT_FALSE(tg::equal(threaded[0]->fc1->weight, threaded[1]->fc1->weight));

  std::vector<std::vector<double>> serial_losses;
  for (int i = 0; i < kThreads; ++i)
    serial_losses.push_back(train(serial[static_cast<std::size_t>(i)], i, x, y, kSteps));

  std::vector<std::vector<double>> threaded_losses(kThreads);
  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string&) {
    start.arrive_and_wait();
    threaded_losses[static_cast<std::size_t>(t)] = train(threaded[static_cast<std::size_t>(t)], t, x, y, kSteps);
  });
  expect_no_errors(errors);

  for (int i = 0; i < kThreads; ++i) {
    const auto& losses = serial_losses[static_cast<std::size_t>(i)];
    EXPECT_LT(losses.back(), 0.5 * losses.front()) << "model " << i << " did not learn";
    EXPECT_EQ(threaded_losses[static_cast<std::size_t>(i)], losses) << "model " << i;
    auto a = threaded[static_cast<std::size_t>(i)]->parameters();
    auto b = serial[static_cast<std::size_t>(i)]->parameters();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t p = 0; p < a.size(); ++p)
      EXPECT_TRUE(tg::equal(a[p], b[p])) << "model " << i << " parameter " << p;
  }
}

TEST(Threads, GradModeIsPerThread) {
  Tensor w = tg::ones({3}, tg::requires_grad());
  std::barrier sync(2);
  bool a_during = true, a_records = true, a_after = false, b_during = false, b_records = false, b_after = true;
  std::thread a([&] {
    tg::NoGradGuard no_grad;
    sync.arrive_and_wait();  // 1: A has grad mode off, B has not touched its own
    a_during = tg::GradMode::is_enabled();
    a_records = (w * 2.0).requires_grad();
    sync.arrive_and_wait();  // 2: B now switches its own grad mode off
    sync.arrive_and_wait();  // 3
    {
      tg::AutoGradMode enable(true);
      a_after = tg::GradMode::is_enabled();
    }
    sync.arrive_and_wait();  // 4
  });
  std::thread b([&] {
    sync.arrive_and_wait();  // 1
    b_during = tg::GradMode::is_enabled();
    b_records = (w * 2.0).requires_grad();
    sync.arrive_and_wait();  // 2
    tg::GradMode::set_enabled(false);
    sync.arrive_and_wait();  // 3: A turns grad mode back on inside its guard
    sync.arrive_and_wait();  // 4
    b_after = tg::GradMode::is_enabled();
    tg::GradMode::set_enabled(true);
  });
  a.join();
  b.join();
  EXPECT_FALSE(a_during);
  EXPECT_FALSE(a_records);
  EXPECT_TRUE(b_during);  // A's NoGradGuard did not reach B
  EXPECT_TRUE(b_records);
  EXPECT_TRUE(a_after);
  EXPECT_FALSE(b_after);                    // A's AutoGradMode(true) did not reach B
  EXPECT_TRUE(tg::GradMode::is_enabled());  // nor this thread

  // a thread started while this one has grad mode off starts with it on, as in libtorch
  tg::NoGradGuard no_grad;
  bool child = false;
  std::thread([&] { child = tg::GradMode::is_enabled(); }).join();
  EXPECT_TRUE(child);
  EXPECT_FALSE(tg::GradMode::is_enabled());
}

TEST(Threads, ConcurrentBackwardOnSeparateGraphsMatchesSerial) {
  constexpr int kThreads = 8;
  tg::manual_seed(3);
  Tensor constant = tg::randn({8, 4});
  std::vector<Tensor> ws, bs;
  for (int i = 0; i < kThreads; ++i) {
    ws.push_back(tg::randn({4, 5}).requires_grad_(true));
    bs.push_back(tg::randn({5}).requires_grad_(true));
  }
  std::vector<std::vector<Tensor>> serial;
  for (int i = 0; i < kThreads; ++i) {
    serial.push_back(graph_grads(ws[static_cast<std::size_t>(i)], bs[static_cast<std::size_t>(i)], constant));
    ws[static_cast<std::size_t>(i)].mutable_grad() = Tensor();
    bs[static_cast<std::size_t>(i)].mutable_grad() = Tensor();
  }
  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string& err) {
    start.arrive_and_wait();
    std::size_t i = static_cast<std::size_t>(t);
    std::vector<Tensor> got = graph_grads(ws[i], bs[i], constant);
    const char* names[] = {"dw", "db", "loss"};
    for (std::size_t k = 0; k < got.size(); ++k)
      if (!tg::equal(got[k], serial[i][k])) err += std::string(" ") + names[k] + " differs;";
  });
  expect_no_errors(errors);
  EXPECT_FALSE(tg::equal(serial[0][0], serial[1][0]));
  EXPECT_FALSE(constant.requires_grad());
}

TEST(Threads, LargeKernelsFromManyThreadsMatchSerial) {
  // 512x1024 = 524288 elements, above the parallel grain: every thread's kernels go through TBB
  constexpr int kThreads = 4;
  tg::manual_seed(5);
  Tensor a = tg::randn({512, 1024}), b = tg::randn({512, 1024});
  auto compute = [&](int t) {
    Tensor z = (a * b + a * static_cast<double>(t + 1)).relu();
    return std::vector<Tensor>{z.sum(1), z.sum(0), z.sum(), std::get<0>(z.max(1)) - b.tanh().mean(1)};
  };
  std::vector<std::vector<Tensor>> serial;
  for (int t = 0; t < kThreads; ++t) serial.push_back(compute(t));
  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string& err) {
    start.arrive_and_wait();
    for (int round = 0; round < 2; ++round) {
      std::vector<Tensor> got = compute(t);
      for (std::size_t k = 0; k < got.size(); ++k)
        if (!tg::equal(got[k], serial[static_cast<std::size_t>(t)][k]))
          err += " result " + std::to_string(k) + " differs;";
    }
  });
  expect_no_errors(errors);
  EXPECT_GT(serial[0][2].item_double(), 0.0);
}

TEST(Threads, KernelsGiveTheSameNumbersWithOneAndTwoThreads) {
#if defined(__SANITIZE_THREAD__)
  // Debian's libtbb is not built for ThreadSanitizer: its task hand-offs look like races there,
  // so the TSan job runs with TG_NUM_THREADS=1 and leaves TBB alone (see .ci/tsan).
  GTEST_SKIP() << "TBB threads are not used under ThreadSanitizer";
#endif
  const int previous = tg::get_num_threads();
  tg::manual_seed(13);
  Tensor a = tg::randn({700, 1024}, tg::requires_grad()), b = tg::randn({700, 1024});
  auto compute = [&] {
    a.mutable_grad() = Tensor();
    Tensor z = (a * b + a.exp() * 0.25).tanh();
    Tensor loss = z.sum() + std::get<0>(z.max(1)).sum() + z.sum(0).pow(2.0).mean();
    loss.backward();
    return std::vector<Tensor>{z.detach(), z.sum(1).detach(), loss.detach(), a.grad().clone()};
  };
  tg::set_num_threads(1);
  std::vector<Tensor> one = compute();
  tg::set_num_threads(2);
  std::vector<Tensor> two = compute();
  tg::set_num_threads(previous);
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_TRUE(tg::equal(one[k], two[k])) << "result " << k;
}

TEST(Threads, RandomGeneratorHandsEachThreadWholeTensorsFromTheSeededStream) {
  // The generator is global and locked per tensor: concurrent draws interleave tensors, never
  // values, so the tensors drawn are exactly the serial stream's, in some order.
  constexpr int kThreads = 8, kDraws = 4;
  tg::manual_seed(42);
  std::vector<Tensor> stream;
  for (int i = 0; i < kThreads * kDraws; ++i) stream.push_back(tg::randn({64}));
  tg::manual_seed(42);
  std::vector<std::vector<Tensor>> drawn(kThreads);
  std::latch start(kThreads);
  auto errors = run_threads(kThreads, [&](int t, std::string&) {
    start.arrive_and_wait();
    for (int k = 0; k < kDraws; ++k) drawn[static_cast<std::size_t>(t)].push_back(tg::randn({64}));
  });
  expect_no_errors(errors);
  std::vector<int> matched(stream.size(), 0);
  for (const auto& per_thread : drawn)
    for (const Tensor& x : per_thread) {
      int hits = 0;
      for (std::size_t s = 0; s < stream.size(); ++s)
        if (tg::equal(x, stream[s])) {
          ++matched[s];
          ++hits;
        }
      EXPECT_EQ(hits, 1);
    }
  for (std::size_t s = 0; s < stream.size(); ++s) EXPECT_EQ(matched[s], 1) << "stream tensor " << s;
}

TEST(Threads, AllocatorCountsBalanceWhenTensorsDieOnAnotherThread) {
  // Small buffers come from thread-local pools, large ones from the shared cache; tensors made on
  // one thread and freed on another must leave the live counts where they started.
  constexpr int kThreads = 8;
  const tg::MemoryStats before = tg::memory_stats();
  {
    std::vector<std::vector<Tensor>> made(kThreads);
    std::barrier sync(kThreads);
    auto errors = run_threads(kThreads, [&](int t, std::string& err) {
      auto& mine = made[static_cast<std::size_t>(t)];
      for (int k = 0; k < 50; ++k) mine.push_back(tg::full({1 + (k * 7 + t) % 300}, static_cast<double>(t)));
      for (int k = 0; k < 4; ++k) mine.push_back(tg::full({40000 + 1000 * k}, static_cast<double>(t)));
      sync.arrive_and_wait();
      // free the neighbour's tensors (its pool and this one differ), after checking their values
      auto& theirs = made[static_cast<std::size_t>((t + 1) % kThreads)];
      double expected = static_cast<double>((t + 1) % kThreads);
      for (const Tensor& x : theirs)
        if (x.min().item_double() != expected || x.max().item_double() != expected) err += " wrong values;";
      sync.arrive_and_wait();
      theirs.clear();
    });
    expect_no_errors(errors);
  }
  const tg::MemoryStats after = tg::memory_stats();
  EXPECT_EQ(after.live_storages, before.live_storages);
  EXPECT_EQ(after.live_bytes, before.live_bytes);
}

namespace {
// Two backward passes through one graph at once must not share its nodes: the second pass to reach
// a node the first has claimed gets a tg::Error. With steppable engines the interleaving is exact,
// so the claim (a compare-exchange on the node) is tested without relying on thread timing.
TEST(Threads, SecondBackwardThroughAClaimedNodeIsAnError) {
  Tensor w = tg::ones({3}).requires_grad_(true);
  Tensor loss = (w * 2).exp().sum();
  tg::autograd::BackwardEngine first({loss}, {}, /*retain_graph=*/true, /*create_graph=*/false);
  first.step();  // runs sum's node and hands its gradient to exp's node, which it now owns
  try {
    tg::autograd::BackwardEngine second({loss}, {}, /*retain_graph=*/true, /*create_graph=*/false);
    while (!second.done()) second.step();
    ADD_FAILURE() << "the second backward ran through a node the first one owns";
  } catch (const tg::Error& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("is being run by another backward at the same time"));
  }
  while (!first.done()) first.step();  // the first pass is unaffected
  EXPECT_NEAR(w.grad()[0].item<float>(), 2 * std::exp(2.0f), 1e-4);
}
}  // namespace
