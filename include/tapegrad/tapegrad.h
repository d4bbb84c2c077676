// tapegrad: a tape-based reverse-mode autodiff Tensor with libtorch's C++ API.
// This header is all a program needs; it stays light (no xtensor, no TBB, no BLAS): a hello world
// including it compiles in about a second. Conversions to xt::xarray live in <tapegrad/xtensor.h>.
#pragma once

#include "tapegrad/anomaly_mode.h"
#include "tapegrad/autograd.h"
#include "tapegrad/checked_math.h"
#include "tapegrad/custom_function.h"
#include "tapegrad/data.h"
#include "tapegrad/dtype.h"
#include "tapegrad/error.h"
#include "tapegrad/explain_grad.h"
#include "tapegrad/format.h"
#include "tapegrad/nn.h"
#include "tapegrad/ops.h"
#include "tapegrad/optim.h"
#include "tapegrad/ordered_dict.h"
#include "tapegrad/safetensors.h"
#include "tapegrad/tape.h"
#include "tapegrad/tensor.h"
