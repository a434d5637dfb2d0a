#include "audit/keys.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/json.h"

namespace warden::audit {
namespace fs = std::filesystem;
using core::Json;

namespace {

constexpr const char* kReviewerPublicType = "warden-audit-reviewer-public";
constexpr const char* kReviewerSecretType = "warden-audit-reviewer-secret";
constexpr const char* kSigningPublicType = "warden-audit-signing-public";
constexpr const char* kSigningSecretType = "warden-audit-signing-secret";

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read key file " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& file, const std::string& text, mode_t mode) {
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write key file " + file.string());
    ::chmod(tmp.c_str(), mode);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write key file " + file.string());
  }
  fs::rename(tmp, file);
}

Json parse_key_file(const fs::path& file, const std::string& expected_type) {
  std::string text = read_text(file);
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const core::JsonError& e) {
    sodium_memzero(text.data(), text.size());
    throw std::runtime_error("key file " + file.string() + ": not valid JSON");
  }
  sodium_memzero(text.data(), text.size());
  const Json* type = doc.find("type");
  if (!type || !type->is_string() || type->as_string() != expected_type) {
    throw std::runtime_error("key file " + file.string() + ": field \"type\" is not \"" + expected_type + "\"");
  }
  return doc;
}

std::string field(const Json& doc, const fs::path& file, const char* name) {
  const Json* v = doc.find(name);
  if (!v || !v->is_string()) throw std::runtime_error("key file " + file.string() + ": missing field \"" + name + "\"");
  return v->as_string();
}

// Writes the secret key either in the clear (base64) or sealed under a passphrase.
void put_secret(Json& doc, const unsigned char* secret, size_t size, const std::optional<std::string>& passphrase) {
  if (!passphrase) {
    doc.set("secret_key", to_base64(std::string_view(reinterpret_cast<const char*>(secret), size)));
    return;
  }
  unsigned char salt[crypto_pwhash_SALTBYTES];
  unsigned char nonce[crypto_secretbox_NONCEBYTES];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  SecretBuffer kek(crypto_secretbox_KEYBYTES);
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash(kek.data(), kek.size(), passphrase->data(), passphrase->size(), salt, ops, mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("passphrase key derivation failed (out of memory)");
  }
  std::string boxed(size + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(boxed.data()), secret, size, nonce, kek.data());
  Json prot = Json::object();
  prot.set("kdf", "argon2id13");
  prot.set("salt", to_base64(std::string_view(reinterpret_cast<char*>(salt), sizeof salt)));
  prot.set("opslimit", static_cast<long long>(ops));
  prot.set("memlimit", static_cast<long long>(mem));
  prot.set("nonce", to_base64(std::string_view(reinterpret_cast<char*>(nonce), sizeof nonce)));
  doc.set("protection", prot);
  doc.set("sealed_secret_key", to_base64(boxed));
}

std::unique_ptr<SecretBuffer> get_secret(const Json& doc, const fs::path& file, size_t size,
                                         const std::optional<std::string>& passphrase) {
  auto out = std::make_unique<SecretBuffer>(size);
  const Json* prot = doc.find("protection");
  if (!prot) {
    std::string raw = from_base64(field(doc, file, "secret_key"), "secret_key");
    if (raw.size() != size) throw std::runtime_error("key file " + file.string() + ": secret_key has the wrong length");
    std::memcpy(out->data(), raw.data(), size);
    sodium_memzero(raw.data(), raw.size());
    return out;
  }
  if (!passphrase) throw std::runtime_error("key file " + file.string() + " is passphrase-protected: a passphrase is required");
  std::string salt = from_base64(field(*prot, file, "salt"), "protection.salt");
  std::string nonce = from_base64(field(*prot, file, "nonce"), "protection.nonce");
  std::string boxed = from_base64(field(doc, file, "sealed_secret_key"), "sealed_secret_key");
  if (salt.size() != crypto_pwhash_SALTBYTES || nonce.size() != crypto_secretbox_NONCEBYTES ||
      boxed.size() != size + crypto_secretbox_MACBYTES) {
    throw std::runtime_error("key file " + file.string() + ": malformed protection fields");
  }
  SecretBuffer kek(crypto_secretbox_KEYBYTES);
  if (crypto_pwhash(kek.data(), kek.size(), passphrase->data(), passphrase->size(),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<unsigned long long>(prot->at("opslimit").as_int()),
                    static_cast<size_t>(prot->at("memlimit").as_int()), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("passphrase key derivation failed (out of memory)");
  }
  if (crypto_secretbox_open_easy(out->data(), reinterpret_cast<const unsigned char*>(boxed.data()), boxed.size(),
                                 reinterpret_cast<const unsigned char*>(nonce.data()), kek.data()) != 0) {
    throw std::runtime_error("key file " + file.string() + ": wrong passphrase or corrupted file");
  }
  return out;
}

std::string public_field(const Json& doc, const fs::path& file, size_t size) {
  std::string pk = from_base64(field(doc, file, "public_key"), "public_key");
  if (pk.size() != size) throw std::runtime_error("key file " + file.string() + ": public_key has the wrong length");
  return pk;
}

Json public_doc(const char* type, const std::string& key_id, const std::string& pk) {
  Json doc = Json::object();
  doc.set("type", type);
  doc.set("key_id", key_id);
  doc.set("public_key", to_base64(pk));
  return doc;
}

}  // namespace

void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw std::runtime_error("libsodium initialization failed");
}

SecretBuffer::SecretBuffer(size_t size) : size_(size) {
  ensure_sodium();
  data_ = static_cast<unsigned char*>(sodium_malloc(size));
  if (!data_) throw std::bad_alloc();
}

SecretBuffer::~SecretBuffer() { sodium_free(data_); }  // sodium_free wipes before freeing

std::string to_base64(std::string_view bytes) {
  ensure_sodium();
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}

std::string from_base64(std::string_view text, std::string_view what) {
  ensure_sodium();
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    throw std::runtime_error(std::string(what) + ": invalid base64");
  }
  out.resize(len);
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string key_id_of(std::string_view public_key) {
  ensure_sodium();
  unsigned char digest[8];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(public_key.data()),
                     public_key.size(), nullptr, 0);
  return to_hex(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

ReviewerSecretKey::ReviewerSecretKey(std::string public_key, std::unique_ptr<SecretBuffer> secret_key)
    : public_{key_id_of(public_key), std::move(public_key)}, secret_(std::move(secret_key)) {}

SigningKey::SigningKey(std::string public_key, std::unique_ptr<SecretBuffer> secret_key)
    : public_{key_id_of(public_key), std::move(public_key)}, secret_(std::move(secret_key)) {}

std::string SigningKey::sign(std::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(), secret_->data());
  return sig;
}

bool verify_signature(const SigningPublicKey& key, std::string_view message, std::string_view signature) {
  ensure_sodium();
  if (signature.size() != crypto_sign_BYTES || key.public_key.size() != crypto_sign_PUBLICKEYBYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(key.public_key.data())) == 0;
}

std::unique_ptr<ReviewerSecretKey> generate_reviewer_key() {
  ensure_sodium();
  std::string pk(crypto_box_PUBLICKEYBYTES, '\0');
  auto sk = std::make_unique<SecretBuffer>(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(reinterpret_cast<unsigned char*>(pk.data()), sk->data());
  return std::make_unique<ReviewerSecretKey>(std::move(pk), std::move(sk));
}

std::unique_ptr<SigningKey> generate_signing_key() {
  ensure_sodium();
  std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
  auto sk = std::make_unique<SecretBuffer>(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(pk.data()), sk->data());
  return std::make_unique<SigningKey>(std::move(pk), std::move(sk));
}

void write_reviewer_key_files(const ReviewerSecretKey& key, const fs::path& prefix,
                              const std::optional<std::string>& passphrase) {
  const auto& pub = key.public_key();
  Json secret = public_doc(kReviewerSecretType, pub.key_id, pub.public_key);
  put_secret(secret, key.secret_bytes(), crypto_box_SECRETKEYBYTES, passphrase);
  std::string text = secret.dump(2) + "\n";
  write_text(fs::path(prefix.string() + ".key"), text, 0600);
  sodium_memzero(text.data(), text.size());
  write_text(fs::path(prefix.string() + ".pub"), public_doc(kReviewerPublicType, pub.key_id, pub.public_key).dump(2) + "\n", 0644);
}

void write_signing_key_files(const SigningKey& key, const fs::path& prefix, const std::optional<std::string>& passphrase) {
  const auto& pub = key.public_key();
  Json secret = public_doc(kSigningSecretType, pub.key_id, pub.public_key);
  put_secret(secret, key.secret_bytes(), crypto_sign_SECRETKEYBYTES, passphrase);
  std::string text = secret.dump(2) + "\n";
  write_text(fs::path(prefix.string() + ".key"), text, 0600);
  sodium_memzero(text.data(), text.size());
  write_text(fs::path(prefix.string() + ".pub"), public_doc(kSigningPublicType, pub.key_id, pub.public_key).dump(2) + "\n", 0644);
}

ReviewerPublicKey load_reviewer_public_key(const fs::path& file) {
  Json doc = parse_key_file(file, kReviewerPublicType);
  std::string pk = public_field(doc, file, crypto_box_PUBLICKEYBYTES);
  return ReviewerPublicKey{key_id_of(pk), pk};
}

SigningPublicKey load_signing_public_key(const fs::path& file) {
  Json doc = parse_key_file(file, kSigningPublicType);
  std::string pk = public_field(doc, file, crypto_sign_PUBLICKEYBYTES);
  return SigningPublicKey{key_id_of(pk), pk};
}

std::unique_ptr<ReviewerSecretKey> load_reviewer_secret_key(const fs::path& file,
                                                            const std::optional<std::string>& passphrase) {
  Json doc = parse_key_file(file, kReviewerSecretType);
  std::string pk = public_field(doc, file, crypto_box_PUBLICKEYBYTES);
  auto sk = get_secret(doc, file, crypto_box_SECRETKEYBYTES, passphrase);
  std::string derived(crypto_box_PUBLICKEYBYTES, '\0');
  crypto_scalarmult_base(reinterpret_cast<unsigned char*>(derived.data()), sk->data());
  if (derived != pk) throw std::runtime_error("key file " + file.string() + ": secret and public key do not match");
  return std::make_unique<ReviewerSecretKey>(std::move(pk), std::move(sk));
}

std::unique_ptr<SigningKey> load_signing_key(const fs::path& file, const std::optional<std::string>& passphrase) {
  Json doc = parse_key_file(file, kSigningSecretType);
  std::string pk = public_field(doc, file, crypto_sign_PUBLICKEYBYTES);
  auto sk = get_secret(doc, file, crypto_sign_SECRETKEYBYTES, passphrase);
  // An Ed25519 secret key embeds its public key in the last 32 bytes.
  if (std::memcmp(sk->data() + 32, pk.data(), 32) != 0) {
    throw std::runtime_error("key file " + file.string() + ": secret and public key do not match");
  }
  return std::make_unique<SigningKey>(std::move(pk), std::move(sk));
}

}  // namespace warden::audit
