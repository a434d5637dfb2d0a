// Envelope encryption of audit payloads: a fresh data key per record encrypts the payload
// (XChaCha20-Poly1305, canonical header as associated data); the data key is sealed to each
// reviewer's X25519 public key (crypto_box_seal). Holders of only public keys (the gateway)
// cannot open what they wrote.
#pragma once

#include <vector>

#include "audit/keys.h"
#include "audit/record.h"

namespace warden::audit {

// Fills record id / time when missing, then encrypts. Throws when `reviewers` is empty.
SealedRecord seal_record(AuditRecord record, const std::vector<ReviewerPublicKey>& reviewers);

// Decrypts the payload with a reviewer's secret key. Throws std::runtime_error when the
// record was not sealed to this key or when ciphertext/header were altered.
core::Json open_record(const SealedRecord& sealed, const ReviewerSecretKey& key);

}  // namespace warden::audit
