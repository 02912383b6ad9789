// A line chart as a standalone SVG document: axes with ticks and grid, one polyline per series, a legend.
// Non-finite points break a line (they are not drawn).
#pragma once

#include <string>
#include <vector>

namespace rectifier::cli {

struct PlotSeries {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;  // Same size as x.
};

struct PlotOptions {
  std::string title;
  int width_px = 900;
  int height_px = 560;
  // Axis ranges; when min >= max, the y range is taken from the data (x always from the data).
  double y_min = 0;
  double y_max = 0;
};

std::string RenderSvgPlot(const std::vector<PlotSeries>& series, const PlotOptions& options);

// Round tick positions covering [low, high], about `target` of them: steps of 1, 2 or 5 times a power of 10.
std::vector<double> NiceTicks(double low, double high, int target);

}  // namespace rectifier::cli
