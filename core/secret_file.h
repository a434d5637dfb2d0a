// Small random secrets kept in files under state_dir (mode 0600), created on first use.
#pragma once

#include <filesystem>
#include <string>

namespace warden::core {

// Returns the file's bytes; creates it with `size` random bytes when missing. Throws
// when the file exists with the wrong size or is readable by group/others.
std::string load_or_create_secret(const std::filesystem::path& path, size_t size);

}  // namespace warden::core
