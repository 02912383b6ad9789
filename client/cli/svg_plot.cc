#include "client/cli/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "fmt/format.h"

namespace rectifier::cli {
namespace {

// Distinct colours (Tableau 10, then darker variants) for up to 20 series.
constexpr const char* kColours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                                    "#ff9da7", "#9c755f", "#bab0ac", "#1f3f66", "#a35200", "#8c1c1e", "#2f6f6a",
                                    "#2d5e27", "#8a7200", "#5e3a57", "#b3545f", "#4f3a2f", "#5f5a57"};
constexpr int kDashPatterns = 3;  // Series beyond the palette's first ten also differ by dashing.
constexpr int kMarginLeftPx = 60, kMarginRightPx = 230, kMarginTopPx = 40, kMarginBottomPx = 45;
constexpr int kTickTarget = 9;
constexpr int kLegendRowPx = 20;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string TickLabel(double value) {
  if (std::abs(value) < 1e-12) return "0";
  return fmt::format("{:g}", value);
}

}  // namespace

std::vector<double> NiceTicks(double low, double high, int target) {
  std::vector<double> ticks;
  if (!(high > low) || target < 1) return ticks;
  const double raw_step = (high - low) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw_step) break;
  }
  // Multiples of the step, not a running sum: no drift.
  for (double k = std::ceil(low / step); k * step <= high + step * 1e-9; k += 1) ticks.push_back(k == 0 ? 0.0 : k * step);
  return ticks;
}

std::string RenderSvgPlot(const std::vector<PlotSeries>& series, const PlotOptions& options) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  for (const PlotSeries& s : series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_min = std::min(x_min, s.x[i]);
      x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, s.y[i]);
      y_max = std::max(y_max, s.y[i]);
    }
  }
  if (!(x_max > x_min)) x_min = -1, x_max = 1;
  if (options.y_max > options.y_min) {
    y_min = options.y_min, y_max = options.y_max;
  } else if (!(y_max > y_min)) {
    y_min -= 1, y_max += 1;
  } else {
    const double pad = 0.05 * (y_max - y_min);
    y_min -= pad, y_max += pad;
  }
  const double left = kMarginLeftPx, top = kMarginTopPx;
  const double plot_w = options.width_px - kMarginLeftPx - kMarginRightPx;
  const double plot_h = options.height_px - kMarginTopPx - kMarginBottomPx;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return top + (y_max - y) / (y_max - y_min) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      options.width_px, options.height_px);
  if (!options.title.empty()) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{}</text>\n",
                       left + plot_w / 2, Escape(options.title));
  }
  // Grid, ticks and labels.
  for (double tick : NiceTicks(x_min, x_max, kTickTarget)) {
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e5e5e5\"/>\n"
                       "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                       px(tick), top, top + plot_h, top + plot_h + 16, TickLabel(tick));
  }
  for (double tick : NiceTicks(y_min, y_max, kTickTarget)) {
    svg += fmt::format("<line x1=\"{1:.1f}\" y1=\"{0:.1f}\" x2=\"{2:.1f}\" y2=\"{0:.1f}\" stroke=\"#e5e5e5\"/>\n"
                       "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       py(tick), left, left + plot_w, left - 6, py(tick) + 4, TickLabel(tick));
  }
  // Axes through zero when zero is in range, else along the plot's edges.
  const double axis_y = (y_min <= 0 && y_max >= 0) ? py(0) : top + plot_h;
  const double axis_x = (x_min <= 0 && x_max >= 0) ? px(0) : left;
  svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>\n", left,
                     axis_y, left + plot_w, axis_y);
  svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"black\"/>\n", axis_x,
                     top, axis_x, top + plot_h);
  svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
                     "stroke=\"#888\"/>\n",
                     left, top, plot_w, plot_h);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">x</text>\n", left + plot_w / 2,
                     top + plot_h + 36);
  // Curves and legend.
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    const char* colour = kColours[k % std::size(kColours)];
    const int dash = static_cast<int>(k / 10) % kDashPatterns;
    const std::string dasharray = dash == 0 ? "" : dash == 1 ? " stroke-dasharray=\"6 3\"" : " stroke-dasharray=\"2 2\"";
    std::string points;
    auto flush = [&] {
      if (!points.empty()) {
        svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} "
                           "points=\"{}\"/>\n",
                           colour, dasharray, points);
      }
      points.clear();
    };
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      // Points off the plot break the line, like NaN (no clip-path: not every SVG renderer supports it).
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || s.y[i] < y_min || s.y[i] > y_max) {
        flush();
        continue;
      }
      points += fmt::format("{:.2f},{:.2f} ", px(s.x[i]), py(s.y[i]));
    }
    flush();
    const double legend_x = left + plot_w + 15, legend_y = top + 10 + k * kLegendRowPx;
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                       "stroke-width=\"2\"{}/>\n<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
                       legend_x, legend_y, legend_x + 24, legend_y, colour, dasharray, legend_x + 30, legend_y + 4,
                       Escape(s.label));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace rectifier::cli
