#include "gateway/request_id.h"

#include <sodium.h>

namespace warden::gateway {

std::string new_request_id() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string("req_") + hex;
}

bool valid_client_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace warden::gateway
