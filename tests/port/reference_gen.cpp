// Runs port_program.h against real libtorch and prints the reference that port_test.cpp compares
// tapegrad with. Not part of tapegrad's build: see README.md in this directory.
//
// Output: one line per entry, `name count v1 v2 ...`, values with 17 significant digits.
#include <torch/torch.h>

#include <cstdio>

#include "port_program.h"

int main() {
  torch::set_num_threads(1);
  const PortResults results = port_program();
  for (const auto& entry : results) {
    std::printf("%s %zu", entry.first.c_str(), entry.second.size());
    for (double v : entry.second) std::printf(" %.17g", v);
    std::printf("\n");
  }
  return 0;
}
