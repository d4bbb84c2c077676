// The main job: a 784-256-128-10 ReLU MLP on Fashion-MNIST with Adam (lr 1e-3, batch 128), as in
// the dataset's benchmark table (0.883 for an MLP). Written exactly as a libtorch program would be.
//   fashion_mnist_mlp [--epochs 10] [--data /usr/share/datasets/fashion-mnist] [--min-accuracy 0.88]
#include <tapegrad/tapegrad.h>

#include <iostream>

#include "common/fashion.h"

struct MlpImpl : tg::nn::Module {
  MlpImpl()
      : fc1(register_module("fc1", tg::nn::Linear(784, 256))),
        fc2(register_module("fc2", tg::nn::Linear(256, 128))),
        fc3(register_module("fc3", tg::nn::Linear(128, 10))) {}

  tg::Tensor forward(tg::Tensor x) {
    x = x.flatten(1);  // [N, 1, 28, 28] -> [N, 784]
    x = tg::relu(fc1->forward(x));
    x = tg::relu(fc2->forward(x));
    return fc3->forward(x);  // logits; cross_entropy applies log_softmax
  }

  tg::nn::Linear fc1, fc2, fc3;
};
TG_MODULE(Mlp);

int main(int argc, char** argv) {
  try {
    tg::manual_seed(0);
    Mlp model;
    std::cout << model << "\n";
    return examples::train_fashion_mnist(model, "fashion_mnist_mlp", argc, argv, /*default_epochs=*/10);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fashion_mnist_mlp: %s\n", e.what());
    return 1;
  }
}
