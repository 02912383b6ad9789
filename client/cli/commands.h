// The `rectifier` subcommands. Each Add*Command registers its subcommand on `app` with its flags; when the
// subcommand runs, its exit code is stored in `*exit_code` (which must outlive parsing).
#pragma once

#include "CLI/CLI.hpp"

namespace rectifier::cli {

void AddApplyCommand(CLI::App& app, int* exit_code);
void AddPlotCommand(CLI::App& app, int* exit_code);
void AddListCommand(CLI::App& app, int* exit_code);
void AddModelsCommand(CLI::App& app, int* exit_code);
// Exit codes: 0 SERVING, 1 the server answered anything else, 2 the server could not be reached.
void AddHealthCommand(CLI::App& app, int* exit_code);

}  // namespace rectifier::cli
