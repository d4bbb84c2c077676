// The op-table entries of tg::nn::functional: every loss, each with samples for the reductions and
// options that change its formula, PyTorch's torch.nn.functional as reference, and the inputs it
// rejects. All are composites of table-checked ops.
#include "op_table_helpers.h"
#include "tapegrad/nn/functional.h"

namespace tg::testing {

using namespace table;
namespace F = nn::functional;

namespace {

// A [3, 4] input and a target of the same shape (no gradient).
InputSets input_target(uint64_t seed, Domain target_domain = Domain::Any) {
  return [seed, target_domain] {
    return std::vector<In>{
        {{make({3, 4}, Domain::Any, seed), make({3, 4}, target_domain, seed + 1, false)}, "[3, 4] input, target"}};
  };
}
// Logits and class-index targets: [N, C] and spatial [N, C, d].
InputSets class_inputs(uint64_t seed) {
  return [seed] {
    return std::vector<In>{
        {{make({4, 3}, Domain::Any, seed), index_tensor({2, 0, 1, 2}, {4})}, "[4, 3] logits, 4 labels"},
        {{make({2, 3, 2}, Domain::Any, seed + 1), index_tensor({0, 2, 1, 1}, {2, 2})},
         "[2, 3, 2] logits (spatial), [2, 2] labels"}};
  };
}
// Probabilities in [0.3, 0.7) for BCE inputs and targets.
Tensor probs(IntArrayRef sizes, uint64_t seed, bool grad) { return make(sizes, Domain::Probability, seed, grad); }

// The errors every loss comparing input with a same-shape target raises.
Entry same_shape_errors(Entry e, const std::string& op, OpFn call) {
  return e
      .error("target [3, 5] for input [3, 4]", call, op + ": input [3, 4] and target [3, 5] must have the same shape",
             [] {
               return Inputs{make({3, 4}, Domain::Any, 1100), make({3, 5}, Domain::Any, 1101, false)};
             })
      .error("Int64 target", call, op + ": input and target must be floating point, got Float64 and Int64",
             [] {
               return Inputs{make({3, 4}, Domain::Any, 1102), int64_input({3, 4})};
             })
      .error("undefined target", call, op + ": input and target must be defined", [] {
        return Inputs{make({3, 4}, Domain::Any, 1103), undefined()};
      });
}

}  // namespace

void add_nn_table_entries(std::vector<OpInfo>& t) {
  {
    auto mean = [](const Inputs& in) { return F::mse_loss(in[0], in[1]); };
    t.push_back(same_shape_errors(
        composite("mse_loss")
            .samples(mean, torch("F.mse_loss(a, b)"), input_target(200))
            .samples([](const Inputs& in) { return F::mse_loss(in[0], in[1], F::MSELossFuncOptions(kSum)); },
                     torch("F.mse_loss(a, b, reduction='sum')"), input_target(202)),
        "mse_loss", mean));
  }
  {
    auto none = [](const Inputs& in) { return F::l1_loss(in[0], in[1], F::L1LossFuncOptions(kNone)); };
    t.push_back(same_shape_errors(composite("l1_loss")
                                      .samples(none, torch("F.l1_loss(a, b, reduction='none')"), input_target(204))
                                      .samples([](const Inputs& in) { return F::l1_loss(in[0], in[1]); },
                                               torch("F.l1_loss(a, b)"), input_target(230)),
                                  "l1_loss", none));
  }
  {
    auto f = [](const Inputs& in) { return F::smooth_l1_loss(in[0], in[1], F::SmoothL1LossFuncOptions().beta(0.7)); };
    t.push_back(same_shape_errors(
        composite("smooth_l1_loss")
            .samples(f, torch("F.smooth_l1_loss(a, b, beta=0.7)"), input_target(206))
            .error(
                "beta -1",
                [](const Inputs& in) {
                  return F::smooth_l1_loss(in[0], in[1], F::SmoothL1LossFuncOptions().beta(-1.0));
                },
                "smooth_l1_loss: beta must be non-negative, got -1",
                [] {
                  return Inputs{make({3, 4}, Domain::Any, 1104), make({3, 4}, Domain::Any, 1105, false)};
                }),
        "smooth_l1_loss", f));
  }
  {
    auto f = [](const Inputs& in) {
      return F::huber_loss(in[0], in[1], F::HuberLossFuncOptions().delta(0.8).reduction(kSum));
    };
    t.push_back(same_shape_errors(
        composite("huber_loss")
            .samples(f, torch("F.huber_loss(a, b, delta=0.8, reduction='sum')"), input_target(208))
            .error(
                "delta 0",
                [](const Inputs& in) { return F::huber_loss(in[0], in[1], F::HuberLossFuncOptions().delta(0.0)); },
                "huber_loss: delta must be positive, got 0",
                [] {
                  return Inputs{make({3, 4}, Domain::Any, 1106), make({3, 4}, Domain::Any, 1107, false)};
                }),
        "huber_loss", f));
  }
  {
    auto plain = [](const Inputs& in) { return F::cross_entropy(in[0], in[1]); };
    t.push_back(composite("cross_entropy")
                    .samples(plain, torch("F.cross_entropy(a, b)"), class_inputs(210))
                    .samples(
                        [](const Inputs& in) {
                          Tensor w = tensor({0.5, 2.0, 1.5}, kFloat64);
                          return F::cross_entropy(
                              in[0], in[1],
                              F::CrossEntropyFuncOptions().weight(w).ignore_index(1).label_smoothing(0.2));
                        },
                        torch("F.cross_entropy(a, b, weight=torch.tensor([0.5, 2.0, 1.5], dtype=D), ignore_index=1, "
                              "label_smoothing=0.2)"),
                        class_inputs(212))
                    .samples(
                        [](const Inputs& in) {
                          return F::cross_entropy(in[0], in[1].softmax(1),
                                                  F::CrossEntropyFuncOptions().label_smoothing(0.1).reduction(kSum));
                        },
                        torch("F.cross_entropy(a, b.softmax(1), label_smoothing=0.1, reduction='sum')"),
                        one("[3, 4] logits, probability targets",
                            [] {
                              return Inputs{make({3, 4}, Domain::Any, 214), make({3, 4}, Domain::Any, 215, false)};
                            }))
                    .samples(plain, torch("F.cross_entropy(a, b)"),
                             one("unbatched [3] logits, 0-d label",
                                 [] {
                                   return Inputs{make({3}, Domain::Any, 216), index_tensor({1}, {1}).reshape({})};
                                 }))
                    .error("label 3 of 3 classes", plain,
                           "cross_entropy: target 3 at position 1 is out of bounds for 3 classes",
                           [] {
                             return Inputs{make({2, 3}, Domain::Any, 1108), index_tensor({0, 3}, {2})};
                           })
                    .error("Float class indices of another shape", plain,
                           "cross_entropy: probability target [2] must have the input's shape [2, 3]",
                           [] {
                             return Inputs{make({2, 3}, Domain::Any, 1109), make({2}, Domain::Any, 1110, false)};
                           })
                    .error("labels [3] for a batch of 2", plain,
                           "cross_entropy: target [3] does not match input [2, 3] (expected target shape [2])",
                           [] {
                             return Inputs{make({2, 3}, Domain::Any, 1111), index_tensor({0, 1, 2}, {3})};
                           })
                    .error(
                        "label_smoothing 1.5",
                        [](const Inputs& in) {
                          return F::cross_entropy(in[0], in[1], F::CrossEntropyFuncOptions().label_smoothing(1.5));
                        },
                        "cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5",
                        [] {
                          return Inputs{make({2, 3}, Domain::Any, 1112), index_tensor({0, 1}, {2})};
                        }));
  }
  {
    auto f = [](const Inputs& in) {
      return F::nll_loss(in[0], in[1],
                         F::NLLLossFuncOptions().weight(tensor({1.0, 0.3, 2.0}, kFloat64)).reduction(kNone));
    };
    t.push_back(
        composite("nll_loss")
            .samples(f, torch("F.nll_loss(a, b, weight=torch.tensor([1.0, 0.3, 2.0], dtype=D), reduction='none')"),
                     class_inputs(216))
            .samples([](const Inputs& in) { return F::nll_loss(in[0], in[1]); }, torch("F.nll_loss(a, b)"),
                     class_inputs(226))
            .error(
                "weight of 2 for 3 classes",
                [](const Inputs& in) {
                  return F::nll_loss(in[0], in[1], F::NLLLossFuncOptions().weight(tensor({1.0, 2.0}, kFloat64)));
                },
                "nll_loss: weight [2] must be 1-D with one entry per class (3)",
                [] {
                  return Inputs{make({2, 3}, Domain::Any, 1113), index_tensor({0, 1}, {2})};
                })
            .error(
                "Float target", [](const Inputs& in) { return F::nll_loss(in[0], in[1]); },
                "nll_loss: class-index target must be Int64, got Float64",
                [] {
                  return Inputs{make({2, 3}, Domain::Any, 1114), make({2}, Domain::Any, 1115, false)};
                })
            .error(
                "Int64 input", [](const Inputs& in) { return F::nll_loss(in[0], in[1]); },
                "nll_loss: input must be floating point, got Int64",
                [] {
                  return Inputs{int64_input({2, 3}), index_tensor({0, 1}, {2})};
                }));
  }
  {
    auto f = [](const Inputs& in) {
      return F::binary_cross_entropy(in[0], in[1],
                                     F::BinaryCrossEntropyFuncOptions().weight(tensor({1.0, 0.5, 2.0, 1.5}, kFloat64)));
    };
    t.push_back(same_shape_errors(
        composite("binary_cross_entropy")
            .samples(f, torch("F.binary_cross_entropy(a, b, weight=torch.tensor([1.0, 0.5, 2.0, 1.5], dtype=D))"),
                     one("[3, 4] probabilities",
                         [] {
                           return Inputs{probs({3, 4}, 218, true), probs({3, 4}, 219, false)};
                         }))
            .error(
                "input 1.5", [](const Inputs& in) { return F::binary_cross_entropy(in[0], in[1]); },
                "binary_cross_entropy: input value 1.5 at position 1 is not between 0 and 1",
                [] {
                  return Inputs{values({0.5, 1.5}, {2}), values({0.5, 0.5}, {2}, false)};
                }),
        "binary_cross_entropy", f));
  }
  {
    auto f = [](const Inputs& in) {
      return F::binary_cross_entropy_with_logits(
          in[0], in[1],
          F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(tensor({1.0, 3.0, 0.5, 2.0}, kFloat64)));
    };
    t.push_back(same_shape_errors(
        composite("binary_cross_entropy_with_logits")
            .samples(
                f,
                torch(
                    "F.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor([1.0, 3.0, 0.5, 2.0], dtype=D))"),
                one("[3, 4] logits",
                    [] {
                      return Inputs{make({3, 4}, Domain::Any, 220), probs({3, 4}, 221, false)};
                    }))
            .samples(
                [](const Inputs& in) {
                  return F::binary_cross_entropy_with_logits(
                      in[0], in[1], F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(kNone));
                },
                torch("F.binary_cross_entropy_with_logits(a, b, reduction='none')"),
                one("[2, 3] logits, no reduction",
                    [] {
                      return Inputs{make({2, 3}, Domain::Any, 227), probs({2, 3}, 228, false)};
                    })),
        "binary_cross_entropy_with_logits", f));
  }
  {
    auto f = [](const Inputs& in) {
      return F::kl_div(in[0].log_softmax(1), in[1].softmax(1), F::KLDivFuncOptions().reduction(kBatchMean));
    };
    t.push_back(same_shape_errors(
        composite("kl_div")
            .samples(f, torch("F.kl_div(a.log_softmax(1), b.softmax(1), reduction='batchmean')"),
                     one("[3, 4] log-probs vs probs",
                         [] {
                           return Inputs{make({3, 4}, Domain::Any, 222), make({3, 4}, Domain::Any, 223)};
                         }))
            .samples(
                [](const Inputs& in) {
                  return F::kl_div(in[0].log_softmax(1), in[1].log_softmax(1),
                                   F::KLDivFuncOptions().log_target(true).reduction(kSum));
                },
                torch("F.kl_div(a.log_softmax(1), b.log_softmax(1), log_target=True, reduction='sum')"),
                one("[3, 4] log-probs vs log-probs",
                    [] {
                      return Inputs{make({3, 4}, Domain::Any, 224), make({3, 4}, Domain::Any, 225)};
                    })),
        "kl_div", [](const Inputs& in) { return F::kl_div(in[0], in[1]); }));
  }
}

}  // namespace tg::testing
