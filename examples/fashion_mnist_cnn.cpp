// A small CNN on Fashion-MNIST: conv3x3(32, padding 1)-ReLU-maxpool-conv3x3(64, padding 1)-ReLU-
// maxpool-FC128-FC10 with Adam (the dataset's table lists 0.916 for 2 conv layers with pooling).
// Padding 1 keeps the borders: 28 -> 14 -> 7 (unpadded, 28 -> 13 -> 5 reached 0.9003 after 12 epochs).
//   fashion_mnist_cnn [--epochs 12] [--lr-decay 0.8] [--data DIR] [--min-accuracy 0.91]
#include <tapegrad/tapegrad.h>

#include <iostream>

#include "common/fashion.h"

struct CnnImpl : tg::nn::Module {
  CnnImpl()
      : conv1(register_module("conv1", tg::nn::Conv2d(tg::nn::Conv2dOptions(1, 32, 3).padding(1)))),
        conv2(register_module("conv2", tg::nn::Conv2d(tg::nn::Conv2dOptions(32, 64, 3).padding(1)))),
        pool(register_module("pool", tg::nn::MaxPool2d(tg::nn::MaxPool2dOptions(2)))),
        fc1(register_module("fc1", tg::nn::Linear(64 * 7 * 7, 128))),
        fc2(register_module("fc2", tg::nn::Linear(128, 10))) {}

  tg::Tensor forward(tg::Tensor x) {
    x = pool->forward(tg::relu(conv1->forward(x)));  // [N, 32, 14, 14]
    x = pool->forward(tg::relu(conv2->forward(x)));  // [N, 64, 7, 7]
    x = tg::relu(fc1->forward(x.flatten(1)));
    return fc2->forward(x);
  }

  tg::nn::Conv2d conv1, conv2;
  tg::nn::MaxPool2d pool;
  tg::nn::Linear fc1, fc2;
};
TG_MODULE(Cnn);

int main(int argc, char** argv) {
  try {
    tg::manual_seed(0);
    Cnn model;
    std::cout << model << "\n";
    // Adam with the learning rate decayed by 0.8 per epoch (ExponentialLR), so that the last
    // epochs settle instead of hopping around the minimum
    return examples::train_fashion_mnist(model, "fashion_mnist_cnn", argc, argv, /*default_epochs=*/12,
                                         /*default_lr_decay=*/0.8);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fashion_mnist_cnn: %s\n", e.what());
    return 1;
  }
}
