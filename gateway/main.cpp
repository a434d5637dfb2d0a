// The `warden` executable: `serve` (the default) and the operator and test commands.
#include <iostream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/log.h"
#include "gateway/cli_keys.h"
#include "gateway/commands.h"
#include "gateway/serve.h"

namespace {

const char* kUsage =
    "usage: warden [--config FILE] COMMAND [ARGS]\n"
    "commands:\n"
    "  serve                      run the gateway (default)\n"
    "  migrate                    apply database migrations\n"
    "  keys create|list|revoke    manage API keys\n"
    "  config                     list every setting and its environment variable\n"
    "  (module commands)          see `warden help`\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path = "warden.yaml";
  bool config_given = false;
  if (args.size() >= 2 && args[0] == "--config") {
    config_path = args[1];
    config_given = true;
    args.erase(args.begin(), args.begin() + 2);
  }
  std::string command = args.empty() ? "serve" : args[0];
  std::vector<std::string> rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    warden::gateway::print_module_commands(std::cout);
    return 0;
  }
  // Commands that need no gateway configuration run first.
  if (int code = warden::gateway::run_module_command(command, rest, std::cin, std::cout, std::cerr); code != -1) return code;

  warden::core::Config config;
  try {
    config = warden::core::load_config(config_path, config_given);
    warden::core::log_init(warden::core::parse_log_level(config.logging.level), config.logging.file);
  } catch (const std::exception& e) {
    std::cerr << "warden: " << e.what() << "\n";
    return 2;
  }
  if (command == "config") {
    for (const auto& s : warden::core::config_settings()) {
      std::cout << s.path << "\t" << s.type << "\t" << s.env << "\t" << s.description << "\n";
    }
    return 0;
  }
  if (command == "migrate") return warden::gateway::run_migrate_command(config, std::cout, std::cerr);
  if (command == "keys") return warden::gateway::run_keys_command(config, rest, std::cout, std::cerr);
  if (int code = warden::gateway::run_configured_command(command, config, rest, std::cin, std::cout, std::cerr); code != -1) {
    return code;
  }
  if (command == "serve") {
    try {
      return warden::gateway::run_serve(config, warden::gateway::make_engine_backend, std::cout);
    } catch (const std::exception& e) {
      warden::core::log_error("gateway failed to start", {{"error", e.what()}});
      std::cerr << "warden serve: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "warden: unknown command \"" << command << "\"\n" << kUsage;
  return 2;
}
