// Seed 000: the Keras regression of the first tutorial, in tapegrad.
//
//   X = np.random.rand(1000, 10); y = np.random.rand(1000, 1)
//   Dense(64, input_dim=10, activation='relu'); Dense(1, activation='linear')
//   compile(loss='mean_squared_error', optimizer='adam'); fit(X, y, epochs=10, batch_size=32)
//
// The targets are random and independent of X, so there is nothing to learn beyond their mean:
// the best any model can do (in expectation) is predict E[y] = 0.5, whose MSE is Var(y) = 1/12 ~
// 0.083 for y ~ U[0, 1). The run shows the loss falling to that floor and staying there.
//   regression_10_64_1 [--epochs 10] [--batch-size 32] [--lr 1e-3] [--seed 0]
#include <tapegrad/tapegrad.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>

#include "common/args.h"

struct RegressorImpl : tg::nn::Module {
  RegressorImpl()
      : hidden(register_module("hidden", tg::nn::Linear(10, 64))), out(register_module("out", tg::nn::Linear(64, 1))) {}

  tg::Tensor forward(tg::Tensor x) { return out->forward(tg::relu(hidden->forward(x))); }

  tg::nn::Linear hidden, out;
};
TG_MODULE(Regressor);

int main(int argc, char** argv) try {
  examples::Args args(argc, argv, {{"epochs", "10"}, {"batch-size", "32"}, {"lr", "1e-3"}, {"seed", "0"}},
                      "usage: regression_10_64_1 [--epochs N] [--batch-size B] [--lr LR] [--seed S]");
  const int epochs = static_cast<int>(args.integer("epochs"));
  const auto seed = static_cast<uint64_t>(args.integer("seed"));
  tg::manual_seed(seed);

  tg::Tensor X = tg::rand({1000, 10});
  tg::Tensor y = tg::rand({1000, 1});
  // The MSE of the best constant prediction (the sample mean): the floor for a model that cannot
  // use X. ddof = 0, as the MSE itself.
  const double floor = y.var(/*unbiased=*/false).item_double();

  Regressor model;
  std::cout << model << "\n";
  tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(args.number("lr")));
  // Keras' fit shuffles every epoch by default; so does this loader.
  tg::data::DataLoader loader(X, y,
                              tg::data::DataLoaderOptions()
                                  .batch_size(static_cast<std::size_t>(args.integer("batch-size")))
                                  .shuffle(true)
                                  .seed(seed));

  auto full_mse = [&] {
    tg::NoGradGuard no_grad;
    return tg::nn::functional::mse_loss(model->forward(X), y).item_double();
  };
  std::printf(
      "targets are random: y ~ U[0,1) independent of X, so the loss can only approach Var(y)\n"
      "(1/12 = %.4f in theory, %.4f for this sample)\n",
      1.0 / 12.0, floor);
  std::printf("epoch  0: full-data MSE %.4f (before training)\n", full_mse());
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double sum = 0;
    int64_t seen = 0;
    for (auto& batch : loader) {
      tg::Tensor loss = tg::nn::functional::mse_loss(model->forward(batch.data), batch.target);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      sum += loss.item_double() * static_cast<double>(batch.data.size(0));
      seen += batch.data.size(0);
    }
    // The first number is what Keras prints (the mean of the batch losses during the epoch).
    std::printf("epoch %2d: mean batch loss %.4f, full-data MSE %.4f\n", epoch, sum / static_cast<double>(seen),
                full_mse());
  }

  const double final_mse = full_mse();
  std::printf("final MSE %.4f vs Var(y) %.4f (gap %+.4f): the network predicts about the mean, as it must\n", final_mse,
              floor, final_mse - floor);
  // With 10 epochs the net sits at the floor; it is far too small and too briefly trained to
  // memorise 1000 random targets, so it cannot go much below it either.
  const bool ok = final_mse < 0.1 && std::abs(final_mse - floor) < 0.01;
  if (!ok) std::printf("FAILED: expected the final MSE within 0.01 of Var(y) and below 0.1\n");
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "regression_10_64_1: %s\n", e.what());
  return 1;
}
