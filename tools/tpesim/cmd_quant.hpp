// `tpesim quant`: quantisation error of weight formats on a .npy file or a synthetic matrix.
#pragma once
#include <CLI/CLI.hpp>
#include <ostream>

namespace tpesim {

/// Registers the `quant` subcommand (its options live in this module) and returns it.
CLI::App* add_quant_command(CLI::App& app);

/// Runs `quant` with the parsed options, printing to `out`. Returns the exit status (0);
/// throws UserError for the user's mistakes (main prints them and exits with 2).
int run_quant_command(std::ostream& out);

}  // namespace tpesim
