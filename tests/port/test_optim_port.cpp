// A libtorch training loop, written as for libtorch and ported with `namespace torch = tg;`:
// module parameters into an optimizer, per-group options through libtorch's cast, a scheduler.
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.h>

namespace torch = tg;

namespace {

TEST(OptimPort, LibtorchTrainingLoopCompilesAndLearns) {
  torch::manual_seed(0);
  torch::nn::Linear model(3, 1);
  torch::Tensor x = torch::randn({64, 3});
  torch::Tensor y = x.matmul(torch::tensor({{1.5}, {-2.0}, {0.5}})) + 0.25;

  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.05).weight_decay(0));
  torch::optim::StepLR scheduler(optimizer, /*step_size=*/50, /*gamma=*/0.5);
  double first_loss = 0, last_loss = 0;
  for (int epoch = 0; epoch < 200; ++epoch) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::mse_loss(model->forward(x), y);
    loss.backward();
    optimizer.step();
    scheduler.step();
    (epoch == 0 ? first_loss : last_loss) = loss.item<double>();
  }
  EXPECT_LT(last_loss, 1e-3 * first_loss);
  for (auto& group : optimizer.param_groups())
    EXPECT_DOUBLE_EQ(static_cast<torch::optim::AdamOptions&>(group.options()).lr(), 0.05 / 16);
}

}  // namespace
