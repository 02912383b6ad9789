// `rectifier plot`: each activation computed by the server on a grid of float64 points, drawn in one SVG.
#include <cmath>
#include <iostream>
#include <tuple>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common_flags.h"
#include "client/cli/npy.h"
#include "client/cli/svg_plot.h"
#include "kernels/str_cat.h"
#include "rectifier/client/activation_spec.h"
#include "rectifier/client/tensor.h"

namespace rectifier::cli {
namespace {

constexpr std::chrono::milliseconds kPlotDeadline{30000};
constexpr int kExitFailure = 1;
constexpr int kMaxPoints = 1000000;

struct PlotFlags {
  ConnectionFlags connection;
  std::vector<std::string> specs;
  std::string range = "-4:4";
  std::string y_range;
  int points = 401;
  std::string output = "curves.svg";
  std::string title;
};

absl::StatusOr<std::pair<double, double>> ParseRange(const std::string& text, std::string_view flag) {
  const size_t colon = text.find(':');
  char* end_low = nullptr;
  char* end_high = nullptr;
  if (colon != std::string::npos) {
    const std::string low = text.substr(0, colon), high = text.substr(colon + 1);
    const double a = std::strtod(low.c_str(), &end_low), b = std::strtod(high.c_str(), &end_high);
    if (!low.empty() && !high.empty() && *end_low == '\0' && *end_high == '\0' && std::isfinite(a) &&
        std::isfinite(b) && a < b) {
      return std::pair{a, b};
    }
  }
  return absl::InvalidArgumentError(StrCat(flag, ": '", text, "' is not LOW:HIGH with LOW < HIGH, e.g. -4:4"));
}

absl::Status RunPlotOrError(const PlotFlags& flags) {
  absl::StatusOr<std::pair<double, double>> range = ParseRange(flags.range, "--range");
  if (!range.ok()) return range.status();
  PlotOptions plot;
  plot.title = flags.title;
  if (!flags.y_range.empty()) {
    absl::StatusOr<std::pair<double, double>> y_range = ParseRange(flags.y_range, "--y-range");
    if (!y_range.ok()) return y_range.status();
    std::tie(plot.y_min, plot.y_max) = *y_range;
  }
  if (flags.points < 2 || flags.points > kMaxPoints) {
    return absl::InvalidArgumentError(StrCat("--points must be in [2, ", kMaxPoints, "]; was ", flags.points));
  }
  std::vector<double> grid(static_cast<size_t>(flags.points));
  for (int i = 0; i < flags.points; ++i) {
    grid[i] = range->first + (range->second - range->first) * i / (flags.points - 1);
  }
  std::vector<v1::Activation> activations;
  for (const std::string& spec : flags.specs) {
    absl::StatusOr<v1::Activation> activation = client::ParseActivationSpec(spec);
    if (!activation.ok()) return activation.status();
    activations.push_back(*std::move(activation));
  }
  auto client = Connect(flags.connection, kPlotDeadline);
  if (!client.ok()) return client.status();
  std::vector<PlotSeries> series;
  for (size_t k = 0; k < activations.size(); ++k) {
    const std::string label = *client::FormatActivationSpec(activations[k]);
    absl::StatusOr<v1::Tensor> output = (*client)->Apply(activations[k], client::MakeTensor(grid));
    if (!output.ok()) {
      return absl::Status(output.status().code(), StrCat(label, ": ", std::string(output.status().message())));
    }
    absl::StatusOr<std::span<const double>> y = client::TensorValues<double>(*output);
    if (!y.ok()) return y.status();
    if (y->size() == 2 * grid.size()) {  // crelu: [relu(x), relu(-x)].
      series.push_back({label + " [relu(x)]", grid, {y->begin(), y->begin() + grid.size()}});
      series.push_back({label + " [relu(-x)]", grid, {y->begin() + grid.size(), y->end()}});
    } else {
      series.push_back({label, grid, {y->begin(), y->end()}});
    }
  }
  return WriteFileBytes(flags.output, RenderSvgPlot(series, plot));
}

}  // namespace

void AddPlotCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<PlotFlags>();
  CLI::App* command = app.add_subcommand(
      "plot", "Compute activations on a grid through the server and draw the curves in one SVG with a legend");
  AddConnectionFlags(command, &flags->connection);
  command->add_option("specs", flags->specs, "Activation specs, e.g. relu 'leaky_relu(negative_slope=0.2)'")
      ->required();
  command->add_option("--range", flags->range, "x range LOW:HIGH")->capture_default_str();
  command->add_option("--y-range", flags->y_range, "y range LOW:HIGH (default: the data's)");
  command->add_option("--points", flags->points, "Grid points")->capture_default_str();
  command->add_option("-o,--output", flags->output, "SVG file to write")->capture_default_str();
  command->add_option("--title", flags->title, "Plot title");
  command->callback([flags, exit_code] {
    absl::Status status = RunPlotOrError(*flags);
    if (!status.ok()) PrintError("plot", status);
    *exit_code = status.ok() ? 0 : kExitFailure;
  });
}

}  // namespace rectifier::cli
