// Request ids: echoed from the client's x-request-id when it is sane, else generated.
#pragma once

#include <string>

namespace warden::gateway {

std::string new_request_id();  // "req_" + 24 hex chars from libsodium's CSPRNG
// 1..128 printable ASCII characters without spaces: anything else is replaced, so a
// client cannot inject header lines or log noise through the id.
bool valid_client_request_id(const std::string& id);

}  // namespace warden::gateway
