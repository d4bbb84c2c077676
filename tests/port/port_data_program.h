// A libtorch data-pipeline program using only torch:: names. tests/port/test_data_port.cpp compiles it
// against tapegrad with `namespace torch = tg;`; it was also compiled once against libtorch 1.13
// (Debian's libtorch-dev) on uncompressed copies of the same files to get the numbers in that test:
//   g++ -std=c++17 -O1 -include torch/torch.h -DPORT_MAIN tests/port/port_data_program.h ...
// (see the comment at the end of this file).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Example i: data {i, -i}, target i % 3.
struct PortDataset : torch::data::datasets::Dataset<PortDataset> {
  torch::data::Example<> get(size_t index) override {
    const double x = static_cast<double>(index);
    return {torch::tensor({x, -x}), torch::tensor(static_cast<int64_t>(index % 3))};
  }
  torch::optional<size_t> size() const override { return 10; }
};

template <typename Report>
void port_data_program(const std::string& mnist_root, Report&& report) {
  // libtorch's MNIST example pipeline (Fashion-MNIST test set, its mean and std).
  auto dataset = torch::data::datasets::MNIST(mnist_root, torch::data::datasets::MNIST::Mode::kTest)
                     .map(torch::data::transforms::Normalize<>(0.2860, 0.3530))
                     .map(torch::data::transforms::Stack<>());
  report("mnist.size", static_cast<double>(dataset.size().value()));
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      std::move(dataset), torch::data::DataLoaderOptions().batch_size(1000).workers(2));
  int batches = 0;
  double target_sum = 0;
  for (auto& batch : *loader) {
    if (batches == 0) {
      report("mnist.batch0.mean", batch.data.mean().template item<double>());
      report("mnist.batch0.pixel", batch.data[3][0][14][14].template item<double>());
      report("mnist.batch0.dim1", static_cast<double>(batch.data.size(1)));
    }
    target_sum += batch.target.sum().template item<double>();
    ++batches;
  }
  report("mnist.batches", batches);
  report("mnist.target_sum", target_sum);

  // A custom dataset, stacked, with drop_last; and the same without Stack (vectors of examples).
  auto stacked = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      PortDataset().map(torch::data::transforms::Stack<>()), torch::data::DataLoaderOptions(4).drop_last(true));
  double checksum = 0;
  for (auto& batch : *stacked) checksum += (batch.data.select(1, 0) * (batch.target + 1)).sum().template item<double>();
  report("custom.checksum", checksum);
  auto unstacked = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(PortDataset(), 3);
  std::vector<double> sizes;
  for (auto& batch : *unstacked) sizes.push_back(static_cast<double>(batch.size()));
  report("custom.batches", static_cast<double>(sizes.size()));
  report("custom.last_size", sizes.back());

  // A random sampler still visits each example once.
  auto shuffled = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
      PortDataset().map(torch::data::transforms::Stack<>()), torch::data::DataLoaderOptions().batch_size(3));
  double id_sum = 0;
  for (auto& batch : *shuffled) id_sum += batch.data.select(1, 0).sum().template item<double>();
  report("random.id_sum", id_sum);

  // TensorDataset of one tensor; batches are vectors of examples with .data
  auto tensors = torch::data::datasets::TensorDataset(torch::arange(12.0).reshape({6, 2}));
  auto tensor_loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(tensors, 4);
  double first_rows = 0;
  for (auto& batch : *tensor_loader) first_rows += batch[0].data.sum().template item<double>();
  report("tensor.first_rows", first_rows);
}

#ifdef PORT_MAIN
#include <cstdio>
int main(int argc, char** argv) {
  port_data_program(argv[1], [](const char* name, double value) { std::printf("%s %.17g\n", name, value); });
}
// g++ -std=c++17 -O1 -x c++ -include torch/torch.h -DPORT_MAIN tests/port/port_data_program.h
//     -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10 -o /tmp/port_data && /tmp/port_data <unzipped
//     dir>
#endif
