#include "gateway/commands.h"

#include <ostream>

namespace warden::gateway {

int run_module_command(const std::string& command, const std::vector<std::string>& args, std::istream& in,
                       std::ostream& out, std::ostream& err) {
  return -1;
}

int run_configured_command(const std::string& command, const core::Config& config, const std::vector<std::string>& args,
                           std::istream& in, std::ostream& out, std::ostream& err) {
  return -1;
}

void print_module_commands(std::ostream& out) {}

}  // namespace warden::gateway
