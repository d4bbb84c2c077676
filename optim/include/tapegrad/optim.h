// tapegrad optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad), learning-rate schedulers and
// optimizer checkpoints, with libtorch's names (tg::optim::Adam, tg::optim::StepLR, tg::save).
#pragma once

#include "tapegrad/optim/adagrad.h"
#include "tapegrad/optim/adam.h"
#include "tapegrad/optim/adamw.h"
#include "tapegrad/optim/lr_scheduler.h"
#include "tapegrad/optim/optimizer.h"
#include "tapegrad/optim/reduce_on_plateau.h"
#include "tapegrad/optim/rmsprop.h"
#include "tapegrad/optim/serialize.h"
#include "tapegrad/optim/sgd.h"
