// `rectifier`: the command-line client of rectifier-server. main() only wires the subcommands together.
#include "CLI/CLI.hpp"
#include "client/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"rectifier: apply activation functions to tensors on a rectifier-server, list what it serves, "
               "plot activations, check its health"};
  app.require_subcommand(1);
  int exit_code = 0;
  rectifier::cli::AddApplyCommand(app, &exit_code);
  rectifier::cli::AddPlotCommand(app, &exit_code);
  rectifier::cli::AddListCommand(app, &exit_code);
  rectifier::cli::AddModelsCommand(app, &exit_code);
  rectifier::cli::AddHealthCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
