// libtorch's build of bench/train_epoch.h (not part of the CMake build; see
// bench/run_train_baseline.sh).
#include <torch/torch.h>

#include "train_epoch.h"

int main(int argc, char** argv) { return train_bench_main("libtorch", argc, argv); }
