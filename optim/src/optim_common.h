// Private helpers shared by the optimizers' sources: option checks with PyTorch's messages and the
// typed views of a group's options.
#pragma once
#include <fmt/core.h>

#include <string>

#include "tapegrad/error.h"
#include "tapegrad/optim/optimizer.h"

namespace tg::optim::detail {

// "Adam: invalid beta parameter at index 0: 1.5" (PyTorch: "Invalid beta parameter at index 0: 1.5").
inline void check_option(bool ok, const std::string& optimizer, const char* what, double value) {
  if (!ok) throw Error(fmt::format("{}: invalid {}: {}", optimizer, what, value));
}

template <typename Options>
const Options& options_as(const OptimizerOptions& options, const std::string& optimizer, const char* options_name) {
  const auto* typed = dynamic_cast<const Options*>(&options);
  if (!typed) throw Error(fmt::format("{}: parameter group options must be {}", optimizer, options_name));
  return *typed;
}

[[noreturn]] inline void unknown_option(const char* options_name, const std::string& name) {
  throw Error(fmt::format("{}: unknown option '{}'", options_name, name));
}
[[noreturn]] inline void unknown_state(const char* state_name, const std::string& name) {
  throw Error(fmt::format("{}: unknown state entry '{}'", state_name, name));
}

}  // namespace tg::optim::detail
