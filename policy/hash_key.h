// Internal: the keyed-hash key of a compiled Redactor (guarded memory, wiped on free).
#pragma once

#include <sodium.h>

#include <new>
#include <string>

#include "policy/redactor.h"

namespace warden::policy {

// Key for the `hash` action, kept in guarded memory and wiped on destruction.
struct Redactor::HashKey {
  unsigned char* bytes = nullptr;
  explicit HashKey(const std::string& material) {
    bytes = static_cast<unsigned char*>(sodium_malloc(crypto_generichash_KEYBYTES));
    if (!bytes) throw std::bad_alloc();
    // Normalise any key length to a BLAKE2b key by hashing it once.
    crypto_generichash(bytes, crypto_generichash_KEYBYTES,
                       reinterpret_cast<const unsigned char*>(material.data()), material.size(),
                       nullptr, 0);
  }
  ~HashKey() { sodium_free(bytes); }
};

}  // namespace warden::policy
