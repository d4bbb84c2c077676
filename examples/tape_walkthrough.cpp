// Looking at the tape: one neuron, y = sigmoid(w . x + b), loss = (y - target)^2. Prints what the
// forward pass recorded, then runs backward one node at a time and prints the gradient that
// reaches each node and what it sends to its inputs: the chain rule, step by step.
#include <tapegrad/tapegrad.h>

#include <iostream>

int main() {
  auto options = tg::TensorOptions().dtype(tg::kFloat64).requires_grad(true);
  tg::Tensor w = tg::tensor({0.5, -0.3}, options);
  tg::Tensor b = tg::tensor({0.1}, options);
  tg::Tensor x = tg::tensor({1.0, 2.0}, tg::kFloat64);
  tg::Tensor target = tg::tensor({1.0}, tg::kFloat64);

  tg::Tensor z = (w * x).sum(0, true) + b;
  tg::Tensor y = tg::sigmoid(z);
  tg::Tensor error = y - target;
  tg::Tensor loss = (error * error).sum();

  std::cout << "The tape behind loss (newest first):\n";
  for (const auto& node : tg::autograd::collect_tape(loss)) {
    std::cout << "  #" << node->sequence_nr() << " " << node->backward_name() << "  output "
              << tg::shape_str(node->output_meta().sizes) << ", " << node->num_saved()
              << " saved tensor(s), inputs from:";
    for (const auto& edge : node->next_edges())
      std::cout << " " << (edge.function ? edge.function->backward_name() : std::string("(constant)"));
    std::cout << "\n";
  }

  std::cout << "\nBackward, one node per step:\n";
  tg::autograd::BackwardEngine engine({loss}, {}, /*retain_graph=*/false, /*create_graph=*/false);
  while (!engine.done()) {
    tg::autograd::StepRecord step = engine.step();
    std::cout << "  #" << step.node->sequence_nr() << " " << step.node->backward_name() << "\n    dloss/d(output) = "
              << step.grad_output.reshape({-1}).to(tg::kFloat64).contiguous().data_ptr<double>()[0];
    for (std::size_t i = 0; i < step.grad_inputs.size(); ++i)
      if (step.grad_inputs[i].defined())
        std::cout << "\n    -> input " << i << " receives " << tg::shape_str(step.grad_inputs[i].sizes())
                  << " first value " << step.grad_inputs[i].reshape({-1})[0].item<double>();
    std::cout << "\n";
  }
  std::cout << "\ndloss/dw = " << w.grad() << "\ndloss/db = " << b.grad() << "\n";

  // The same numbers by hand: dloss/dz = 2 (y - t) y (1 - y); dloss/dw = dloss/dz * x.
  double yv = y.item<double>();
  double dz = 2 * (yv - 1.0) * yv * (1 - yv);
  std::cout << "by hand: dloss/dw = [" << dz * 1.0 << ", " << dz * 2.0 << "], dloss/db = " << dz << "\n";
  bool agree =
      std::abs(w.grad()[1].item<double>() - dz * 2.0) < 1e-12 && std::abs(b.grad().item<double>() - dz) < 1e-12;
  return agree ? 0 : 1;
}
