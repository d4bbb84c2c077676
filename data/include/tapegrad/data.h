// tapegrad data: datasets, transforms, samplers and data loaders with libtorch's names
// (tg::data::datasets::MNIST, transforms::Stack<>, make_data_loader, ...), tapegrad's prefetching
// DataLoader over tensors, IDX and CSV readers, the embedded Iris data, and scikit-learn-style
// preprocessing (StandardScaler, train_test_split, KFold) and EarlyStopping.
#pragma once

#include "tapegrad/data/dataloader.h"
#include "tapegrad/data/datasets.h"
#include "tapegrad/data/example.h"
#include "tapegrad/data/iris.h"
#include "tapegrad/data/mnist.h"
#include "tapegrad/data/preprocessing.h"
#include "tapegrad/data/readers.h"
#include "tapegrad/data/samplers.h"
#include "tapegrad/data/transforms.h"
