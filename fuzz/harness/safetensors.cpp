// safetensors files, byte by byte. The first byte picks the reader: the raw loader, tg::load into
// a module, or tg::load into an Adam or an SGD-with-momentum optimizer of that module (state
// loads). A failed load must leave the module and optimizer as they were.
#include "../fuzz_util.h"

namespace {
struct Target {
  tg::nn::Sequential model{tg::nn::Linear(3, 2), tg::nn::BatchNorm1d(2)};
  tg::optim::Adam adam{model->parameters(), tg::optim::AdamOptions(0.1)};
  tg::optim::SGD sgd{model->parameters(), tg::optim::SGDOptions(0.1).momentum(0.9)};
  Target() {
    // one step each, so both optimizers have state to replace
    auto loss = model->forward(tg::ones({4, 3})).pow(2).sum();
    loss.backward();
    adam.step();
    sgd.step();
  }
};

// Every tensor of the module's state dict, as doubles, to check a failed load changed nothing.
std::vector<double> snapshot(const tg::nn::Module& module) {
  std::vector<double> values;
  for (const auto& item : module.state_dict()) {
    tg::Tensor flat = item.value().to(tg::kFloat64).reshape({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) values.push_back(flat[i].item<double>());
  }
  return values;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Target target;
  tg_fuzz::Bytes bytes(data, size);
  const uint8_t mode = bytes.u8() % 4;
  tg_fuzz::MemFile file(bytes.rest());
  try {
    if (mode == 0) {
      const tg::safetensors::File loaded = tg::safetensors::load(file.path());
      for (const auto& item : loaded.tensors) tg_fuzz::touch(item.value());
    } else if (mode == 1) {
      const std::vector<double> before = snapshot(*target.model);
      try {
        tg::load(target.model, file.path());
      } catch (const tg::Error&) {
        if (snapshot(*target.model) != before) __builtin_trap();  // a failed load modified the module
        throw;
      }
    } else {
      tg::optim::Optimizer& optimizer = mode == 2 ? static_cast<tg::optim::Optimizer&>(target.adam) : target.sgd;
      tg::load(optimizer, file.path());
    }
  } catch (const tg::Error&) {
  }
  return 0;
}
