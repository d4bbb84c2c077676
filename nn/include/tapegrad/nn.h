// tapegrad nn: modules, layers, losses, initialisers and utilities in libtorch's C++ style.
#pragma once
#include "tapegrad/nn/containers.h"
#include "tapegrad/nn/functional.h"
#include "tapegrad/nn/init.h"
#include "tapegrad/nn/module.h"
#include "tapegrad/nn/modules.h"
#include "tapegrad/nn/options.h"
#include "tapegrad/nn/utils.h"
