#include <ostream>

#include "gateway/commands.h"

namespace warden::gateway {

// The model backend joins when the inference module is linked into the gateway. Until
// then the gateway serves keys, admin, health and metrics, reports /readyz as not ready,
// and answers chat requests with 503 model_not_ready — never with made-up text.
std::unique_ptr<ChatBackend> make_engine_backend(const core::Config& config, std::ostream& notices) {
  notices << "No inference engine is linked into this build: /readyz reports not ready and\n"
             "/v1/chat/completions answers 503 model_not_ready.\n";
  return nullptr;
}

}  // namespace warden::gateway
