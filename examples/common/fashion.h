// The training program shared by fashion_mnist_mlp and fashion_mnist_cnn: reads Fashion-MNIST
// (Debian's dataset-fashion-mnist, or any MNIST-format folder with --data), trains with Adam and
// cross-entropy, shows progress, evaluates on the test set every epoch, then prints
// `test accuracy: 0.xxxx`, saves the model as safetensors and the learning curves as SVG.
#pragma once
#include <tapegrad/tapegrad.h>

#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "progress.h"
#include "svg_plot.h"

namespace examples {

// Fraction of rows of `logits` whose argmax is `labels`.
inline double accuracy(const tg::Tensor& logits, const tg::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(tg::kFloat64).mean().item_double();
}

template <typename Model>
double evaluate(Model& model, const tg::Tensor& images, const tg::Tensor& labels) {
  tg::NoGradGuard no_grad;
  model->eval();
  int64_t correct = 0;
  for (int64_t start = 0; start < images.size(0); start += 1000) {
    const int64_t n = std::min<int64_t>(1000, images.size(0) - start);
    tg::Tensor logits = model->forward(images.narrow(0, start, n));
    correct += logits.argmax(1).eq(labels.narrow(0, start, n)).sum().item<int64_t>();
  }
  model->train();
  return static_cast<double>(correct) / static_cast<double>(images.size(0));
}

template <typename Model>
int train_fashion_mnist(Model model, const std::string& program, int argc, char** argv, int default_epochs,
                        double default_lr_decay = 1.0) {
  Args args(argc, argv,
            {{"epochs", std::to_string(default_epochs)},
             {"data", "/usr/share/datasets/fashion-mnist"},
             {"batch-size", "128"},
             {"lr", "1e-3"},
             {"lr-decay", std::to_string(default_lr_decay)},
             {"limit", "0"},
             {"seed", "0"},
             {"min-accuracy", "0"},
             {"out", program}},
            "usage: " + program +
                " [--epochs N] [--data DIR] [--batch-size B] [--lr LR] [--lr-decay G (ExponentialLR: lr *= G after "
                "each epoch)] [--limit N (first N training "
                "images)] [--seed S] [--min-accuracy A (exit 1 below it)] [--out PREFIX (PREFIX.safetensors, "
                "PREFIX_curves.svg)]");
  const int epochs = static_cast<int>(args.integer("epochs"));
  const auto seed = static_cast<uint64_t>(args.integer("seed"));
  tg::manual_seed(seed);

  namespace datasets = tg::data::datasets;
  datasets::MNIST train_set(args.str("data"), datasets::MNIST::Mode::kTrain);
  datasets::MNIST test_set(args.str("data"), datasets::MNIST::Mode::kTest);
  tg::Tensor train_x = train_set.images(), train_y = train_set.targets();
  if (const int64_t limit = args.integer("limit"); limit > 0 && limit < train_x.size(0)) {
    train_x = train_x.narrow(0, 0, limit);
    train_y = train_y.narrow(0, 0, limit);
  }
  std::printf("%s: %lld training and %lld test images from %s\n", program.c_str(),
              static_cast<long long>(train_x.size(0)), static_cast<long long>(test_set.images().size(0)),
              args.str("data").c_str());
  std::printf("%lld parameters, Adam lr %g (x%g per epoch), batch %lld, %d epochs\n",
              static_cast<long long>(tg::nn::utils::parameters_to_vector(model->parameters()).numel()),
              args.number("lr"), args.number("lr-decay"), args.integer("batch-size"), epochs);

  tg::data::DataLoader loader(train_x, train_y,
                              tg::data::DataLoaderOptions()
                                  .batch_size(static_cast<std::size_t>(args.integer("batch-size")))
                                  .shuffle(true)
                                  .seed(seed)
                                  .prefetch(2));
  tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(args.number("lr")));
  tg::optim::ExponentialLR scheduler(optimizer, args.number("lr-decay"));

  std::vector<double> losses, train_accs, test_accs;
  double test_acc = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    ProgressBar bar(epoch, epochs, loader.size());
    double loss_sum = 0;
    int64_t seen = 0, correct = 0;
    std::size_t batches = 0;
    for (auto& batch : loader) {
      optimizer.zero_grad();
      tg::Tensor logits = model->forward(batch.data);
      tg::Tensor loss = tg::nn::functional::cross_entropy(logits, batch.target);
      loss.backward();
      optimizer.step();
      const int64_t n = batch.data.size(0);
      loss_sum += loss.item_double() * static_cast<double>(n);
      correct += logits.detach().argmax(1).eq(batch.target).sum().item<int64_t>();
      seen += n;
      bar.update(++batches, loss_sum / static_cast<double>(seen));
    }
    bar.finish();
    test_acc = evaluate(model, test_set.images(), test_set.targets());
    losses.push_back(loss_sum / static_cast<double>(seen));
    train_accs.push_back(static_cast<double>(correct) / static_cast<double>(seen));
    test_accs.push_back(test_acc);
    std::printf("epoch %2d/%d  loss %.4f  train acc %.4f  test acc %.4f  %.1f s\n", epoch, epochs, losses.back(),
                train_accs.back(), test_acc, bar.seconds());
    std::fflush(stdout);
    scheduler.step();
  }
  std::printf("test accuracy: %.4f\n", test_acc);

  const std::string model_path = args.str("out") + ".safetensors", svg_path = args.str("out") + "_curves.svg";
  tg::save(model, model_path);
  std::printf("saved the model to %s\n", model_path.c_str());
  if (write_svg(svg_path, program + " on Fashion-MNIST",
                {Panel{"training loss (cross-entropy)", {Series{"train loss", losses, "#d62728"}}},
                 Panel{"accuracy", {Series{"train", train_accs, "#1f77b4"}, Series{"test", test_accs, "#2ca02c"}}}}))
    std::printf("wrote the learning curves to %s\n", svg_path.c_str());
  else
    std::printf("could not write %s\n", svg_path.c_str());
  const double min_accuracy = args.number("min-accuracy");
  if (test_acc < min_accuracy) {
    std::printf("FAILED: test accuracy %.4f is below %.4f\n", test_acc, min_accuracy);
    return 1;
  }
  return 0;
}

}  // namespace examples
