// Tiny "--flag value" parser shared by the model CLI commands.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>


namespace warden::inference {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses args[first..] as --name value pairs; every name must be in `known`.
std::map<std::string, std::string> parse_flags(const std::vector<std::string>& args, size_t first,
                                               const std::set<std::string>& known);
int flag_int(const std::map<std::string, std::string>& flags, const std::string& name, int fallback, int min,
             int max);
struct ModelLoadOptions;
// The load flags every model command shares: --compute f32|bf16|int8 (when given; else the
// command's default stays), --kv-cache-dtype f32|bf16 (f32 when absent), --threads N (0 = all
// cores). UsageError naming a bad value.
void apply_load_flags(const std::map<std::string, std::string>& flags, ModelLoadOptions& options);

}  // namespace warden::inference
