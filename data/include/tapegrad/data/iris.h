// Fisher's Iris data, embedded (150 rows, 4 features, 3 classes of 50), the values of
// scikit-learn's load_iris (which corrects two rows of the UCI file).
#pragma once
#include <string>
#include <vector>

#include "tapegrad/tensor.h"

namespace tg::data::datasets {

struct Iris {
  Tensor features;                         // [150, 4] kFloat32, in cm
  Tensor targets;                          // [150] kInt64: 0 setosa, 1 versicolor, 2 virginica
  std::vector<std::string> feature_names;  // "sepal length (cm)", ... as scikit-learn's
  std::vector<std::string> class_names;    // "setosa", "versicolor", "virginica"
};

Iris iris();

}  // namespace tg::data::datasets
