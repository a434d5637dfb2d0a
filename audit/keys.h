// Key material for audit records: reviewer X25519 key pairs (payload encryption) and the
// gateway's Ed25519 signing key (checkpoints), plus their on-disk files.
//
// The gateway loads reviewer *public* keys and its signing key; reviewers keep their secret
// key file offline (optionally passphrase-protected with Argon2id). Secret bytes live in
// sodium_malloc memory (guarded pages, wiped on free) and never appear in messages.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace warden::audit {

// Owning buffer in sodium_malloc memory; wiped and freed on destruction.
class SecretBuffer {
 public:
  explicit SecretBuffer(size_t size);
  ~SecretBuffer();
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  unsigned char* data_;
  size_t size_;
};

std::string to_base64(std::string_view bytes);
std::string from_base64(std::string_view text, std::string_view what);  // throws naming `what`
std::string to_hex(std::string_view bytes);
// Short stable id of a public key: hex of the first 8 bytes of BLAKE2b(public key).
std::string key_id_of(std::string_view public_key);

// A reviewer's X25519 public key, as configured on the gateway.
struct ReviewerPublicKey {
  std::string key_id;
  std::string public_key;  // crypto_box_PUBLICKEYBYTES raw bytes
};

// A reviewer's key pair, loaded only by reviewer tools (CLI show/search/export).
class ReviewerSecretKey {
 public:
  ReviewerSecretKey(std::string public_key, std::unique_ptr<SecretBuffer> secret_key);
  const ReviewerPublicKey& public_key() const { return public_; }
  const unsigned char* secret_bytes() const { return secret_->data(); }

 private:
  ReviewerPublicKey public_;
  std::unique_ptr<SecretBuffer> secret_;
};

// An Ed25519 verification key trusted by the verifier.
struct SigningPublicKey {
  std::string key_id;
  std::string public_key;  // crypto_sign_PUBLICKEYBYTES raw bytes
};

// The gateway's checkpoint signing key.
class SigningKey {
 public:
  SigningKey(std::string public_key, std::unique_ptr<SecretBuffer> secret_key);
  const SigningPublicKey& public_key() const { return public_; }
  std::string sign(std::string_view message) const;  // detached signature
  const unsigned char* secret_bytes() const { return secret_->data(); }  // for key files only

 private:
  SigningPublicKey public_;
  std::unique_ptr<SecretBuffer> secret_;
};

bool verify_signature(const SigningPublicKey& key, std::string_view message, std::string_view signature);

// Fresh key pairs.
std::unique_ptr<ReviewerSecretKey> generate_reviewer_key();
std::unique_ptr<SigningKey> generate_signing_key();

// Key files are small JSON documents. Secret files are written with mode 0600; when a
// passphrase is given the secret is sealed with secretbox under an Argon2id-derived key.
// `<prefix>.pub` and `<prefix>.key` are written by the write_* functions.
void write_reviewer_key_files(const ReviewerSecretKey& key, const std::filesystem::path& prefix,
                              const std::optional<std::string>& passphrase);
void write_signing_key_files(const SigningKey& key, const std::filesystem::path& prefix,
                             const std::optional<std::string>& passphrase);
ReviewerPublicKey load_reviewer_public_key(const std::filesystem::path& file);
SigningPublicKey load_signing_public_key(const std::filesystem::path& file);
std::unique_ptr<ReviewerSecretKey> load_reviewer_secret_key(const std::filesystem::path& file,
                                                            const std::optional<std::string>& passphrase);
std::unique_ptr<SigningKey> load_signing_key(const std::filesystem::path& file,
                                             const std::optional<std::string>& passphrase);

// Initializes libsodium once; every entry point of this module calls it.
void ensure_sodium();

}  // namespace warden::audit
