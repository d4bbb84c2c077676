// What tape.cpp and tape_render.cpp share.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tapegrad/tape.h"

namespace tg::autograd {

std::string format_number(double v);                  // 4 significant digits, as every tape output prints numbers
std::string tensor_kind_name(TapeTensor::Kind kind);  // "parameter", "leaf", "constant", "output"
std::string describe_tensor(const TapeTensor& t);     // "w [2, 3] float64"
std::string node_args(const Node& node);              // "alpha=1, dim=[0]": its non-tensor arguments
// A formula's clauses, split at ';' and trimmed: "grad_self = grad;  grad_other = alpha * grad".
std::vector<std::string> rule_clauses(const std::string& formula);
// The rule's clauses with the step's numbers put in (see tape.cpp).
std::vector<std::string> substitute_rule(const std::string& formula, const TapeStep& step, const TapeNode* node,
                                         const Tape& tape);
nlohmann::json tape_json(const Tape& tape);

}  // namespace tg::autograd
