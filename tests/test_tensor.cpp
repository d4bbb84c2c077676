// Tensor basics: metadata, factories, views sharing storage, dtype rules.
#include <gtest/gtest.h>

#include "tapegrad/tapegrad.h"

TEST(Tensor, ZerosHasShapeAndDtype) {
  tg::Tensor t = tg::zeros({2, 3});
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(t.sizes().vec(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.sum().item<float>(), 0.0f);
}
