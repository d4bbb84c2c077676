// The op-table entries of tg::nn::functional: every loss (each reduction and option that changes
// the formula) and the activations with parameters. tests/test_op_table.cpp runs gradcheck and
// gradgradcheck over them with the tensor ops' entries.
#include "op_table_helpers.h"
#include "tapegrad/nn/functional.h"

namespace tg::testing {

using namespace table;
namespace F = nn::functional;

void add_nn_table_entries(std::vector<OpInfo>& t) {
  auto two = [](uint64_t seed, Domain target_domain = Domain::Any) {
    return [seed, target_domain] {
      return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, seed), make({3, 4}, target_domain, seed + 1, false)}, "[3, 4] input, target")};
    };
  };
  // Probabilities in (0.05, 0.95) for BCE inputs and targets.
  auto probs = [](IntArrayRef sizes, uint64_t seed, bool grad) {
    Tensor t = make(sizes, Domain::Unit, seed, false).sigmoid().detach();
    if (grad) t.requires_grad_(true);
    return t;
  };
  t.push_back(composite("mse_loss", [](const Inputs& in) { return F::mse_loss(in[0], in[1]); }, two(200)));
  t.push_back(composite("mse_loss_sum", [](const Inputs& in) { return F::mse_loss(in[0], in[1], F::MSELossFuncOptions(kSum)); }, two(202)));
  t.push_back(composite("l1_loss_none", [](const Inputs& in) { return F::l1_loss(in[0], in[1], F::L1LossFuncOptions(kNone)); }, two(204)));
  t.push_back(composite("smooth_l1_loss", [](const Inputs& in) {
                          return F::smooth_l1_loss(in[0], in[1], F::SmoothL1LossFuncOptions().beta(0.7)); }, two(206)));
  t.push_back(composite("huber_loss", [](const Inputs& in) {
                          return F::huber_loss(in[0], in[1], F::HuberLossFuncOptions().delta(0.8).reduction(kSum)); }, two(208)));
  auto class_sample = [](uint64_t seed) {
    return [seed] {
      return std::vector<OpSample>{sample({make({4, 3}, Domain::Any, seed), index_tensor({2, 0, 1, 2}, {4})}, "[4, 3] logits, 4 labels"),
                                   sample({make({2, 3, 2}, Domain::Any, seed + 1), index_tensor({0, 2, 1, 1}, {2, 2})}, "[2, 3, 2] logits (spatial), [2, 2] labels")};
    };
  };
  t.push_back(composite("cross_entropy", [](const Inputs& in) { return F::cross_entropy(in[0], in[1]); }, class_sample(210)));
  t.push_back(composite("cross_entropy_weight_ignore_smoothing", [](const Inputs& in) {
                          Tensor w = tensor({0.5, 2.0, 1.5}, kFloat64);
                          return F::cross_entropy(in[0], in[1], F::CrossEntropyFuncOptions().weight(w).ignore_index(1).label_smoothing(0.2));
                        }, class_sample(212)));
  t.push_back(composite("cross_entropy_probabilities", [](const Inputs& in) {
                          return F::cross_entropy(in[0], in[1].softmax(1), F::CrossEntropyFuncOptions().label_smoothing(0.1).reduction(kSum));
                        }, [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 214), make({3, 4}, Domain::Any, 215, false)}, "[3, 4] logits, soft targets")}; }));
  t.push_back(composite("nll_loss_weight_none", [](const Inputs& in) {
                          return F::nll_loss(in[0], in[1], F::NLLLossFuncOptions().weight(tensor({1.0, 0.3, 2.0}, kFloat64)).reduction(kNone));
                        }, class_sample(216)));
  t.push_back(composite("binary_cross_entropy", [](const Inputs& in) {
                          return F::binary_cross_entropy(in[0], in[1], F::BinaryCrossEntropyFuncOptions().weight(tensor({1.0, 0.5, 2.0, 1.5}, kFloat64)));
                        }, [probs] { return std::vector<OpSample>{sample({probs({3, 4}, 218, true), probs({3, 4}, 219, false)}, "[3, 4] probabilities")}; }));
  t.push_back(composite("binary_cross_entropy_with_logits", [](const Inputs& in) {
                          return F::binary_cross_entropy_with_logits(in[0], in[1], F::BinaryCrossEntropyWithLogitsFuncOptions()
                                                                                      .pos_weight(tensor({1.0, 3.0, 0.5, 2.0}, kFloat64)));
                        }, [probs] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 220), probs({3, 4}, 221, false)}, "[3, 4] logits")}; }));
  t.push_back(composite("kl_div", [](const Inputs& in) {
                          return F::kl_div(in[0].log_softmax(1), in[1].softmax(1), F::KLDivFuncOptions().reduction(kBatchMean));
                        }, [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 222), make({3, 4}, Domain::Any, 223)}, "[3, 4] log-probs vs probs")}; }));
  t.push_back(composite("kl_div_log_target", [](const Inputs& in) {
                          return F::kl_div(in[0].log_softmax(1), in[1].log_softmax(1), F::KLDivFuncOptions().log_target(true).reduction(kSum));
                        }, [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 224), make({3, 4}, Domain::Any, 225)}, "[3, 4] log-probs vs log-probs")}; }));
}

}  // namespace tg::testing
