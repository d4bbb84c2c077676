// tapegrad's build of bench/train_epoch.h: `train_bench mlp|cnn [images] [epochs]`.
#include <tapegrad/tapegrad.h>
namespace torch = tg;
#include "train_epoch.h"

int main(int argc, char** argv) { return train_bench_main("tapegrad", argc, argv); }
