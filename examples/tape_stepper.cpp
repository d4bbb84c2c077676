// A terminal stepper: backward one node at a time. Enter runs the next step, q quits; --all prints
// every step without waiting (ctest runs it so).
//
// The network is the documents' 2 -> 3 sigmoid -> 1 (seed 004) on one sample. tape.backward() runs
// the steppable engine once and keeps every step; the stepper then walks that trace: before each
// step it prints the node the engine processed next and the gradient waiting for it, after it the
// rule with its numbers and what went to each input. (To pause the engine itself between steps,
// drive tg::autograd::BackwardEngine: step() processes one node.)
#include <tapegrad/tapegrad.h>

#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const bool all = argc > 1 && std::strcmp(argv[1], "--all") == 0;
  auto nn_options = tg::TensorOptions().dtype(tg::kFloat64);
  tg::nn::Linear hidden(2, 3), output(3, 1);
  hidden->to(tg::kFloat64);
  output->to(tg::kFloat64);
  {  // tape_tour's weights, so that the numbers are the guide's
    tg::NoGradGuard no_grad;
    hidden->weight.copy_(tg::tensor({{0.15, 0.20}, {0.25, 0.30}, {0.35, -0.40}}, nn_options));
    hidden->bias.copy_(tg::tensor({0.35, -0.1, 0.2}, nn_options));
    output->weight.copy_(tg::tensor({{0.40, -0.45, 0.50}}, nn_options));
    output->bias.copy_(tg::tensor({0.60}, nn_options));
  }
  tg::Tensor x = tg::tensor({{0.05, 0.10}}, nn_options);

  tg::autograd::Tape tape;
  tape.watch(hidden, "hidden.");
  tape.watch(output, "output.");
  tape.watch(x, "x");
  tg::Tensor y = tg::tensor({{1.0}}, nn_options);
  tape.watch(y, "y");
  tg::Tensor y_hat = tg::sigmoid(output(tg::sigmoid(hidden(x))));
  tg::Tensor loss = 0.5 * (y_hat - y).pow(2).sum();
  tape.watch(y_hat, "y_hat");
  tape.watch(loss, "loss");
  std::cout << tape.table() << "\n";
  tape.backward(loss);

  const std::size_t n = tape.steps().size();
  std::cout << "Backward has " << n << " steps." << (all ? "\n\n" : " Enter: next step, q: quit.\n\n");
  for (std::size_t k = 1; k <= n; ++k) {
    const auto& step = tape.step(k);
    std::cout << "next: " << step.backward_name << " (#" << step.sequence_nr << "), gradient waiting "
              << step.grad_outputs.at(0).str() << "\n";
    if (!all) {
      std::string line;
      if (!std::getline(std::cin, line) || line == "q") break;
    }
    std::cout << step << "\n";
  }
  // the trace must end with every parameter's gradient: the stepper shows what backward() computes
  for (const auto& p : {hidden->weight, hidden->bias, output->weight, output->bias})
    if (!p.grad().defined()) return 1;
  return 0;
}
