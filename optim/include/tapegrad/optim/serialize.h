// Saving and loading an optimizer's state_dict() as a safetensors file, as torch::save(optimizer,
// path) / torch::load(optimizer, path) do with libtorch's archives.
#pragma once
#include <string>

#include "tapegrad/optim/optimizer.h"

namespace tg {

// Writes optimizer.state_dict() (metadata: format "tapegrad.optim", optimizer type) atomically.
void save(const optim::Optimizer& optimizer, const std::string& path);
// Reads a file written by save() into `optimizer` (see Optimizer::load_state_dict). Any error,
// including a file made by another optimizer type, throws tg::Error naming the file; the
// optimizer is then left as it was.
void load(optim::Optimizer& optimizer, const std::string& path);

}  // namespace tg
