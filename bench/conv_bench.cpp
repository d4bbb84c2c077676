// Convolution kernels measured against each other (docs/PERFORMANCE.md, "Second pass"): the CNN
// workload's two layers, forward and backward of (y*y).sum(), batch 128, medians.
//   conv_bench [--reps N] [--threads N]
// Columns: tapegrad's conv2d (im2col + bmm, the op as it is), the same convolution written as
// im2row + one gemm with tapegrad ops (patches as rows [N*L, K], so that the weight gradient is one
// gemm), and, when CMake found oneDNN (Debian's libdnnl-dev; never a dependency of tapegrad), a
// oneDNN convolution on the same NCHW buffers with its gradients checked against tapegrad's.
#include <tapegrad/tapegrad.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>
#ifdef TG_BENCH_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {
using Clock = std::chrono::steady_clock;

double median_ms(int reps, const std::function<void()>& run) {
  run();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    run();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// The same convolution (stride 1, no padding) as one addmm over rows of patches.
tg::Tensor conv_rows(const tg::Tensor& x, const tg::Tensor& w, const tg::Tensor& b) {
  const int64_t N = x.size(0), O = w.size(0), kh = w.size(2), kw = w.size(3);
  const int64_t oh = x.size(2) - kh + 1, ow = x.size(3) - kw + 1;
  tg::Tensor cols = tg::im2col(x, {kh, kw}, {1, 1}, {0, 0}, {1, 1});  // [N, K, L]
  tg::Tensor rows = cols.transpose(1, 2).reshape({N * oh * ow, -1});  // [N*L, K], a copy
  tg::Tensor out = tg::addmm(b, rows, w.reshape({O, -1}).t());        // [N*L, O]
  return out.view({N, oh, ow, O}).permute({0, 3, 1, 2}).contiguous();
}

double max_rel_diff(const tg::Tensor& a, const tg::Tensor& reference) {
  return ((a - reference).abs().max() / reference.abs().max()).item<double>();
}

int parse_flag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}
}  // namespace

int main(int argc, char** argv) {
  const int reps = parse_flag(argc, argv, "--reps", 15);
  if (const int threads = parse_flag(argc, argv, "--threads", 0); threads > 0) tg::set_num_threads(threads);
  std::printf("# conv_bench, tapegrad on %d threads, medians of %d\n", tg::get_num_threads(), reps);
#ifdef TG_BENCH_DNNL
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
#endif
  struct Layer {
    int64_t N, C, H, O;
  };
  for (const Layer s : {Layer{128, 1, 28, 32}, Layer{128, 32, 13, 64}}) {
    tg::manual_seed(0);
    tg::Tensor x = tg::randn({s.N, s.C, s.H, s.H}).requires_grad_(true);
    tg::Tensor w = (tg::randn({s.O, s.C, 3, 3}) * 0.1).requires_grad_(true);
    tg::Tensor b = tg::randn({s.O}).requires_grad_(true);
    auto fwd_bwd = [&](auto conv) {
      x.mutable_grad() = tg::Tensor();
      w.mutable_grad() = tg::Tensor();
      b.mutable_grad() = tg::Tensor();
      tg::Tensor y = conv(x, w, b);
      (y * y).sum().backward();
      return y.detach();
    };
    auto plain = [](const tg::Tensor& x, const tg::Tensor& w, const tg::Tensor& b) { return tg::conv2d(x, w, b); };
    const double t_conv = median_ms(reps, [&] { fwd_bwd(plain); });
    const tg::Tensor y_ref = fwd_bwd(plain), gw_ref = w.grad(), gx_ref = x.grad();
    const double t_rows = median_ms(reps, [&] { fwd_bwd(conv_rows); });
    const tg::Tensor y_rows = fwd_bwd(conv_rows);
    std::printf(
        "conv [%lld, %lld, %lld, %lld] -> %lld: conv2d %.2f ms; im2row + gemm %.2f ms (max rel diff %.1e)",
        static_cast<long long>(s.N), static_cast<long long>(s.C), static_cast<long long>(s.H),
        static_cast<long long>(s.H), static_cast<long long>(s.O), t_conv, t_rows,
        std::max({max_rel_diff(y_rows, y_ref), max_rel_diff(w.grad(), gw_ref), max_rel_diff(x.grad(), gx_ref)}));
#ifdef TG_BENCH_DNNL
    using dnnl::memory;
    const int64_t oh = s.H - 2;
    const memory::dims xd{s.N, s.C, s.H, s.H}, wd{s.O, s.C, 3, 3}, bd{s.O}, yd{s.N, s.O, oh, oh}, strides{1, 1},
        pad{0, 0};
    const auto f32 = memory::data_type::f32;
    const memory::desc xm(xd, f32, memory::format_tag::nchw), wm(wd, f32, memory::format_tag::oihw),
        bm(bd, f32, memory::format_tag::x), ym(yd, f32, memory::format_tag::nchw);
    const auto direct = dnnl::algorithm::convolution_direct;
    dnnl::convolution_forward::primitive_desc fpd(
        {dnnl::prop_kind::forward_training, direct, xm, wm, bm, ym, strides, pad, pad}, engine);
    dnnl::convolution_backward_data::primitive_desc dpd({direct, xm, wm, ym, strides, pad, pad}, engine, fpd);
    dnnl::convolution_backward_weights::primitive_desc wpd({direct, xm, wm, bm, ym, strides, pad, pad}, engine, fpd);
    tg::Tensor xs = x.detach(), ws = w.detach(), bs = b.detach();
    tg::Tensor y = tg::empty({s.N, s.O, oh, oh}), gy = tg::empty({s.N, s.O, oh, oh});
    tg::Tensor gx = tg::empty({s.N, s.C, s.H, s.H}), gw = tg::empty({s.O, s.C, 3, 3}), gb = tg::empty({s.O});
    memory X(xm, engine, xs.data_ptr<float>()), W(wm, engine, ws.data_ptr<float>()),
        B(bm, engine, bs.data_ptr<float>());
    memory Y(ym, engine, y.data_ptr<float>()), GY(ym, engine, gy.data_ptr<float>());
    memory GX(xm, engine, gx.data_ptr<float>()), GW(wm, engine, gw.data_ptr<float>()),
        GB(bm, engine, gb.data_ptr<float>());
    dnnl::convolution_forward forward(fpd);
    dnnl::convolution_backward_data backward_data(dpd);
    dnnl::convolution_backward_weights backward_weights(wpd);
    const double t_dnnl = median_ms(reps, [&] {
      forward.execute(stream, {{DNNL_ARG_SRC, X}, {DNNL_ARG_WEIGHTS, W}, {DNNL_ARG_BIAS, B}, {DNNL_ARG_DST, Y}});
      stream.wait();
      gy.copy_(y * 2.0);  // d (y*y).sum() / dy: the one pass tapegrad's graph also makes
      backward_data.execute(stream, {{DNNL_ARG_DIFF_DST, GY}, {DNNL_ARG_WEIGHTS, W}, {DNNL_ARG_DIFF_SRC, GX}});
      backward_weights.execute(
          stream, {{DNNL_ARG_SRC, X}, {DNNL_ARG_DIFF_DST, GY}, {DNNL_ARG_DIFF_WEIGHTS, GW}, {DNNL_ARG_DIFF_BIAS, GB}});
      stream.wait();
    });
    std::printf("; oneDNN %s %.2f ms (max rel diff %.1e)", fpd.impl_info_str(), t_dnnl,
                std::max({max_rel_diff(y, y_ref), max_rel_diff(gw, gw_ref), max_rel_diff(gx, gx_ref)}));
#endif
    std::printf("\n");
  }
  return 0;
}
