#include "audit/envelope.h"

#include <sodium.h>

#include <stdexcept>

namespace warden::audit {

SealedRecord seal_record(AuditRecord record, const std::vector<ReviewerPublicKey>& reviewers) {
  ensure_sodium();
  if (reviewers.empty()) throw std::runtime_error("audit: no reviewer public keys configured");
  if (record.header.record_id.empty()) record.header.record_id = new_record_id();
  if (record.header.time_us == 0) record.header.time_us = now_us();
  SealedRecord out;
  out.header = std::move(record.header);
  out.header_text = canonical_header(out.header);
  std::string plaintext = record.payload.dump();

  // One guarded sodium_malloc slot per thread, reused: allocating one per record cost an
  // mmap/mprotect/munmap each (and TLB shootdowns on the other cores). Wiped after use.
  thread_local SecretBuffer data_key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  struct Wipe {
    SecretBuffer& key;
    ~Wipe() { sodium_memzero(key.data(), key.size()); }
  } wipe{data_key};
  crypto_aead_xchacha20poly1305_ietf_keygen(data_key.data());
  out.nonce.assign(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(out.nonce.data(), out.nonce.size());
  out.ciphertext.assign(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.ciphertext.data()), &clen,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(out.header_text.data()), out.header_text.size(), nullptr,
      reinterpret_cast<const unsigned char*>(out.nonce.data()), data_key.data());
  out.ciphertext.resize(clen);
  sodium_memzero(plaintext.data(), plaintext.size());

  for (const auto& reviewer : reviewers) {
    if (reviewer.public_key.size() != crypto_box_PUBLICKEYBYTES) {
      throw std::runtime_error("audit: reviewer key " + reviewer.key_id + " has the wrong length");
    }
    std::string sealed(crypto_box_SEALBYTES + data_key.size(), '\0');
    crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()), data_key.data(), data_key.size(),
                    reinterpret_cast<const unsigned char*>(reviewer.public_key.data()));
    out.sealed_keys.push_back({reviewer.key_id, std::move(sealed)});
  }
  return out;
}

core::Json open_record(const SealedRecord& sealed, const ReviewerSecretKey& key) {
  ensure_sodium();
  const auto& pub = key.public_key();
  const SealedKey* mine = nullptr;
  for (const auto& k : sealed.sealed_keys) {
    if (k.reviewer_key_id == pub.key_id) mine = &k;
  }
  if (!mine) throw std::runtime_error("record " + sealed.header.record_id + " is not sealed to reviewer key " + pub.key_id);
  SecretBuffer data_key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (mine->sealed.size() != crypto_box_SEALBYTES + data_key.size() ||
      crypto_box_seal_open(data_key.data(), reinterpret_cast<const unsigned char*>(mine->sealed.data()),
                           mine->sealed.size(), reinterpret_cast<const unsigned char*>(pub.public_key.data()),
                           key.secret_bytes()) != 0) {
    throw std::runtime_error("record " + sealed.header.record_id + ": the data key does not open with reviewer key " +
                             pub.key_id);
  }
  if (sealed.ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES ||
      sealed.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
    throw std::runtime_error("record " + sealed.header.record_id + ": malformed ciphertext");
  }
  SecretBuffer plain(sealed.ciphertext.size());
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plen, nullptr, reinterpret_cast<const unsigned char*>(sealed.ciphertext.data()),
          sealed.ciphertext.size(), reinterpret_cast<const unsigned char*>(sealed.header_text.data()),
          sealed.header_text.size(), reinterpret_cast<const unsigned char*>(sealed.nonce.data()),
          data_key.data()) != 0) {
    throw std::runtime_error("record " + sealed.header.record_id +
                             ": payload authentication failed (ciphertext or header altered)");
  }
  return core::Json::parse(std::string_view(reinterpret_cast<const char*>(plain.data()), plen));
}

}  // namespace warden::audit
