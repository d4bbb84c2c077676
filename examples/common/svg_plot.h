// Learning curves as a self-contained SVG (no plotting library): one panel per metric group, each
// with its series drawn as polylines over the epochs, axes with tick labels and a legend.
#pragma once
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace examples {

struct Series {
  std::string label;
  std::vector<double> values;  // one per epoch
  std::string color;
};
struct Panel {
  std::string title;
  std::vector<Series> series;
};

inline bool write_svg(const std::string& path, const std::string& title, const std::vector<Panel>& panels) {
  const double panel_w = 420, panel_h = 300, margin_l = 60, margin_t = 50, gap = 40;
  const double width = margin_l + panels.size() * (panel_w + gap) + 20, height = margin_t + panel_h + 70;
  std::ofstream out(path);
  if (!out) return false;
  auto fmt = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, std::fabs(v) < 10 ? "%.3g" : "%.0f", v);
    return std::string(buf);
  };
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">" << title << "</text>\n";
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    const double x0 = margin_l + p * (panel_w + gap), y0 = margin_t;
    double lo = INFINITY, hi = -INFINITY;
    std::size_t n = 0;
    for (const Series& s : panel.series)
      for (double v : s.values) lo = std::min(lo, v), hi = std::max(hi, v), n = std::max(n, s.values.size());
    if (n == 0) continue;
    if (hi - lo < 1e-12) hi = lo + 1;
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
    auto X = [&](std::size_t i) { return x0 + (n == 1 ? panel_w / 2 : panel_w * static_cast<double>(i) / (n - 1)); };
    auto Y = [&](double v) { return y0 + panel_h * (1 - (v - lo) / (hi - lo)); };
    out << "<text x=\"" << x0 + panel_w / 2 << "\" y=\"" << y0 - 10 << "\" text-anchor=\"middle\">" << panel.title
        << "</text>\n<rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << panel_w << "\" height=\"" << panel_h
        << "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (int t = 0; t <= 4; ++t) {
      const double v = lo + (hi - lo) * t / 4;
      out << "<line x1=\"" << x0 << "\" x2=\"" << x0 + panel_w << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
          << "\" stroke=\"#ddd\"/><text x=\"" << x0 - 6 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << fmt(v)
          << "</text>\n";
    }
    for (std::size_t i = 0; i < n; i += std::max<std::size_t>(1, n / 10))
      out << "<text x=\"" << X(i) << "\" y=\"" << y0 + panel_h + 16 << "\" text-anchor=\"middle\">" << i + 1
          << "</text>\n";
    out << "<text x=\"" << x0 + panel_w / 2 << "\" y=\"" << y0 + panel_h + 34
        << "\" text-anchor=\"middle\">epoch</text>\n";
    for (std::size_t k = 0; k < panel.series.size(); ++k) {
      const Series& s = panel.series[k];
      out << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << s.color << "\" points=\"";
      for (std::size_t i = 0; i < s.values.size(); ++i) out << X(i) << "," << Y(s.values[i]) << " ";
      out << "\"/>\n";
      for (std::size_t i = 0; i < s.values.size(); ++i)
        out << "<circle cx=\"" << X(i) << "\" cy=\"" << Y(s.values[i]) << "\" r=\"2.5\" fill=\"" << s.color << "\"/>\n";
      const double ly = y0 + panel_h + 52, lx = x0 + 10 + 140 * k;
      out << "<line x1=\"" << lx << "\" x2=\"" << lx + 20 << "\" y1=\"" << ly - 4 << "\" y2=\"" << ly - 4
          << "\" stroke-width=\"2\" stroke=\"" << s.color << "\"/><text x=\"" << lx + 26 << "\" y=\"" << ly << "\">"
          << s.label << "</text>\n";
    }
  }
  out << "</svg>\n";
  return static_cast<bool>(out);
}

}  // namespace examples
