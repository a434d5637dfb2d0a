// `warden serve`: the whole gateway process — database, migrations, first keys, model,
// HTTP server — and its orderly shutdown on SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>

#include "core/config.h"
#include "gateway/chat_backend.h"

namespace warden::gateway {

// Loads the model described by config.model (synthesizing the demo model when no path
// is configured) and returns the backend serving it.
using BackendFactory = std::function<std::unique_ptr<ChatBackend>(const core::Config&, std::ostream& notices)>;

int run_serve(const core::Config& config, const BackendFactory& make_backend, std::ostream& out);

}  // namespace warden::gateway
