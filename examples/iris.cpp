// Seed 003: the Iris classifier of the fourth tutorial, in tapegrad.
//
// The article's Keras program:
//   X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
//   scaler = StandardScaler(); X_train = scaler.fit_transform(X_train); X_test = scaler.transform(X_test)
//   Dense(4, input_dim=4, activation='relu'); Dense(3, activation='softmax')
//   compile(loss='sparse_categorical_crossentropy', optimizer='adam'); fit(X_train, y_train, epochs=100, batch_size=10)
// Here the output layer gives logits and cross_entropy applies log_softmax (the same model and loss,
// computed stably), and the layers start as Keras' Dense do (glorot_uniform weights, zero biases;
// --init torch keeps libtorch's Linear initialisation). The split uses seed 42 with tapegrad's
// generator, so the 30 test flowers are not the ones scikit-learn's random_state=42 picks.
//
// One deliberate change: Adam's lr is 0.01, not Keras' default 1e-3. With 1e-3 the 4-unit network
// is still learning after its 1200 steps (100 epochs x 12 batches): the training loss is 0.2-0.4 and
// falling, and the test accuracy swings between 0.77 and 1.0 with the seed (--lr 1e-3 runs the
// article's setting). With 0.01 every seed tried (16) reaches >= 0.9 on the test split and >= 0.94
// in cross-validation.
//
// The article's text also describes k-fold cross-validation; part 2 runs it: 5 folds (KFold with
// shuffle, seed 42), the scaler fitted on each fold's training part only (fitting it on all 150
// rows would leak the held-out fold's statistics into training), a fresh network per fold.
//   iris [--epochs 100] [--batch-size 10] [--lr 0.01] [--folds 5] [--seed 42] [--init keras|torch]
#include <tapegrad/tapegrad.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <vector>

#include "common/args.h"

struct IrisNetImpl : tg::nn::Module {
  explicit IrisNetImpl(bool keras_init)
      : hidden(register_module("hidden", tg::nn::Linear(4, 4))), out(register_module("out", tg::nn::Linear(4, 3))) {
    if (keras_init) {  // Keras' Dense: glorot_uniform weights, zero biases
      for (auto* layer : {&hidden, &out}) {
        tg::nn::init::xavier_uniform_((*layer)->weight);
        tg::nn::init::zeros_((*layer)->bias);
      }
    }
  }

  tg::Tensor forward(tg::Tensor x) { return out->forward(tg::relu(hidden->forward(x))); }  // logits

  tg::nn::Linear hidden, out;
};
TG_MODULE(IrisNet);

struct Settings {
  int epochs;
  std::size_t batch_size;
  double lr;
  uint64_t seed;
  bool keras_init;
};

// Standardises with statistics of the training rows, trains a fresh network, returns its accuracy
// on the test rows.
static double fit_and_score(const tg::Tensor& X_train_raw, const tg::Tensor& y_train, const tg::Tensor& X_test_raw,
                            const tg::Tensor& y_test, const Settings& s, bool verbose) {
  tg::data::StandardScaler scaler;
  tg::Tensor X_train = scaler.fit_transform(X_train_raw);
  tg::Tensor X_test = scaler.transform(X_test_raw);

  IrisNet model(s.keras_init);
  if (verbose) std::cout << model << "\n";
  tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(s.lr));
  // 120 rows: batches are built on this thread (prefetch 0).
  tg::data::DataLoader loader(
      X_train, y_train, tg::data::DataLoaderOptions().batch_size(s.batch_size).shuffle(true).seed(s.seed).prefetch(0));
  for (int epoch = 1; epoch <= s.epochs; ++epoch) {
    double sum = 0;
    for (auto& batch : loader) {
      tg::Tensor loss = tg::nn::functional::cross_entropy(model->forward(batch.data), batch.target);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      sum += loss.item_double() * static_cast<double>(batch.data.size(0));
    }
    if (verbose && (epoch == 1 || epoch % 20 == 0)) {
      tg::NoGradGuard no_grad;
      const double train_acc = model->forward(X_train).argmax(1).eq(y_train).to(tg::kFloat64).mean().item_double();
      std::printf("  epoch %3d  loss %.4f  train accuracy %.4f\n", epoch, sum / static_cast<double>(X_train.size(0)),
                  train_acc);
    }
  }
  tg::NoGradGuard no_grad;
  tg::Tensor logits = model->forward(X_test);
  if (verbose) std::printf("  test loss %.4f\n", tg::nn::functional::cross_entropy(logits, y_test).item_double());
  return logits.argmax(1).eq(y_test).to(tg::kFloat64).mean().item_double();
}

int main(int argc, char** argv) try {
  examples::Args args(
      argc, argv,
      {{"epochs", "100"}, {"batch-size", "10"}, {"lr", "0.01"}, {"folds", "5"}, {"seed", "42"}, {"init", "keras"}},
      "usage: iris [--epochs N] [--batch-size B] [--lr LR] [--folds K] [--seed S] [--init keras|torch]");
  const Settings settings{static_cast<int>(args.integer("epochs")),
                          static_cast<std::size_t>(args.integer("batch-size")), args.number("lr"),
                          static_cast<uint64_t>(args.integer("seed")), args.str("init") == "keras"};
  tg::manual_seed(settings.seed);
  bool ok = true;

  const tg::data::datasets::Iris iris = tg::data::datasets::iris();
  std::printf("Iris: %lld flowers, %lld features, %zu classes\n", static_cast<long long>(iris.features.size(0)),
              static_cast<long long>(iris.features.size(1)), iris.class_names.size());

  // ------------------------------------------------------------------ part 1: 80/20 split
  tg::data::TrainTestSplit split = tg::data::train_test_split(iris.features, iris.targets, 0.2, settings.seed);
  std::printf("\npart 1: train_test_split(test_size=0.2, seed %llu): %lld training, %lld test rows\n",
              static_cast<unsigned long long>(settings.seed), static_cast<long long>(split.X_train.size(0)),
              static_cast<long long>(split.X_test.size(0)));
  std::printf("4 -> 4 ReLU -> 3, cross-entropy, Adam lr %g, %d epochs, batch %zu\n", settings.lr, settings.epochs,
              settings.batch_size);
  const double test_accuracy =
      fit_and_score(split.X_train, split.y_train, split.X_test, split.y_test, settings, /*verbose=*/true);
  std::printf("test accuracy: %.4f (%lld of %lld)\n", test_accuracy,
              static_cast<long long>(test_accuracy * static_cast<double>(split.X_test.size(0)) + 0.5),
              static_cast<long long>(split.X_test.size(0)));
  if (test_accuracy < 0.9) {
    std::printf("FAILED: expected a test accuracy of at least 0.9\n");
    ok = false;
  }

  // ------------------------------------------------------------------ part 2: k-fold cross-validation
  const int64_t folds = args.integer("folds");
  std::printf("\npart 2: %lld-fold cross-validation (KFold shuffle, seed %llu; scaler fitted per fold)\n",
              static_cast<long long>(folds), static_cast<unsigned long long>(settings.seed));
  tg::data::KFold kfold(folds, /*shuffle=*/true, settings.seed);
  double total = 0;
  int fold = 0;
  for (const auto& [train_idx, test_idx] : kfold.split(iris.features.size(0))) {
    const double accuracy =
        fit_and_score(iris.features.index_select(0, train_idx), iris.targets.index_select(0, train_idx),
                      iris.features.index_select(0, test_idx), iris.targets.index_select(0, test_idx), settings, false);
    std::printf("  fold %d: %lld training, %lld held out, accuracy %.4f\n", ++fold,
                static_cast<long long>(train_idx.size(0)), static_cast<long long>(test_idx.size(0)), accuracy);
    total += accuracy;
  }
  const double mean = total / static_cast<double>(folds);
  std::printf("mean cross-validated accuracy: %.4f\n", mean);
  if (mean < 0.85) {
    std::printf("FAILED: expected a mean cross-validated accuracy of at least 0.85\n");
    ok = false;
  }
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "iris: %s\n", e.what());
  return 1;
}
