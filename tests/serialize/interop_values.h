// The tensors exchanged with tests/fixtures/read_safetensors.py in the ctest
// serialize.python_reads_tapegrad. The same recipe is written in Python there
// (expected_tensors()): change both together.
#pragma once
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "serialize_test_util.h"

namespace tg_test {

inline tg::OrderedDict<std::string, tg::Tensor> interop_tensors() {
  tg::OrderedDict<std::string, tg::Tensor> t("Tensor");
  std::vector<float> f32;
  std::vector<double> f64, thirds;
  for (int64_t i = 0; i < 12; ++i) {
    f32.push_back(static_cast<float>((i * 37) % 101 - 50) / 16.0f);
    f64.push_back(static_cast<double>((i * 2654435761LL) % 1000003) / 1024.0 - 500.0);
  }
  for (int i = 0; i < 5; ++i) thirds.push_back((i + 1) / 3.0);
  t.insert("f32", make_tensor<float>({3, 4}, f32));
  t.insert("f64", make_tensor<double>({2, 3, 2}, f64));
  t.insert("f64_thirds", make_tensor<double>({5}, thirds));
  using F = std::numeric_limits<float>;
  t.insert("special_f32",
           make_tensor<float>({6}, {F::infinity(), -F::infinity(), F::quiet_NaN(), -0.0f, F::denorm_min(), F::max()}));
  using I = std::numeric_limits<int64_t>;
  t.insert("i64", make_tensor<int64_t>({5}, {0, -1, (int64_t{1} << 62) + 3, I::min(), I::max()}));
  t.insert("bool", make_tensor<bool>({2, 3}, {true, false, false, true, false, false}));
  t.insert("scalar", make_tensor<double>({}, {0.1}));
  t.insert("empty", tg::empty({0, 2}, tg::kFloat32));
  // Non-contiguous sources: save() must write them packed, row-major.
  t.insert("transposed", tg::arange(12, tg::kFloat64).reshape({3, 4}).t());
  t.insert("strided", tg::arange(10, tg::kInt64).slice(0, 0, 10, 3));
  t.insert("expanded", make_tensor<float>({1, 3}, {1, 2, 3}).expand({2, 3}));
  t.insert("bool_transposed", make_tensor<bool>({2, 3}, {false, true, false, true, false, true}).t());
  return t;
}

inline std::map<std::string, std::string> interop_metadata() {
  return {{"writer", "tapegrad"}, {"unicode", "\xc3\xa9\xe2\x9c\x93"}};  // "é✓" in UTF-8
}

}  // namespace tg_test
