#include "audit/checkpoint.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "audit/record.h"

namespace warden::audit {
using core::Json;

std::string legacy_checkpoint_message(const Checkpoint& cp) {
  return "warden-audit-checkpoint-v1\n" + std::to_string(cp.seq) + "\n" + to_hex(cp.head_hash) + "\n" +
         std::to_string(cp.time_us) + "\n" + cp.kind + "\n" + cp.signing_key_id;
}

std::string checkpoint_message(const Checkpoint& cp) {
  // Chain ids never contain a newline (chain_id_problem), so the fields cannot run together.
  return "warden-audit-checkpoint-v2\n" + cp.chain + "\n" + std::to_string(cp.seq) + "\n" + to_hex(cp.head_hash) +
         "\n" + std::to_string(cp.time_us) + "\n" + cp.kind + "\n" + cp.signing_key_id;
}

Checkpoint sign_checkpoint(const std::string& chain, uint64_t seq, const std::string& head_hash, const std::string& kind,
                           const SigningKey& key) {
  Checkpoint cp;
  cp.chain = chain;
  cp.seq = seq;
  cp.head_hash = head_hash;
  cp.time_us = now_us();
  cp.kind = kind;
  cp.signing_key_id = key.public_key().key_id;
  cp.signature = key.sign(checkpoint_message(cp));
  return cp;
}

std::string checkpoint_problem(const Checkpoint& cp, const std::vector<SigningPublicKey>& trusted) {
  for (const auto& key : trusted) {
    if (key.key_id != cp.signing_key_id) continue;
    if (verify_signature(key, checkpoint_message(cp), cp.signature)) return "";
    if (cp.chain == kLegacyChain && verify_signature(key, legacy_checkpoint_message(cp), cp.signature)) return "";
    return "signature does not verify with signing key " + cp.signing_key_id + " for chain " + cp.chain +
           " (altered, or moved from another chain)";
  }
  return "signed by untrusted key " + cp.signing_key_id;
}

Json checkpoint_to_json(const Checkpoint& cp) {
  Json o = Json::object();
  o.set("chain", cp.chain);
  o.set("seq", static_cast<long long>(cp.seq));
  o.set("head_hash", to_hex(cp.head_hash));
  o.set("time_us", static_cast<long long>(cp.time_us));
  o.set("time", format_time_us(cp.time_us));
  o.set("kind", cp.kind);
  o.set("signing_key_id", cp.signing_key_id);
  o.set("signature", to_base64(cp.signature));
  return o;
}

Checkpoint checkpoint_from_json(const Json& o) {
  Checkpoint cp;
  if (const Json* chain = o.find("chain")) cp.chain = chain->as_string();
  cp.seq = static_cast<uint64_t>(o.at("seq").as_int());
  const std::string& hex = o.at("head_hash").as_string();
  cp.head_hash.assign(hex.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(cp.head_hash.data()), cp.head_hash.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 || len != kHashBytes) {
    throw std::runtime_error("checkpoint: head_hash is not 32 bytes of hex");
  }
  cp.time_us = o.at("time_us").as_int();
  cp.kind = o.at("kind").as_string();
  cp.signing_key_id = o.at("signing_key_id").as_string();
  cp.signature = from_base64(o.at("signature").as_string(), "checkpoint signature");
  return cp;
}

void append_checkpoint_file(const std::filesystem::path& file, const Checkpoint& cp) {
  std::string line = checkpoint_to_json(cp).dump() + "\n";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open checkpoint file " + file.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot append to checkpoint file " + file.string());
}

std::vector<Checkpoint> read_checkpoint_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read checkpoint file " + file.string());
  std::vector<Checkpoint> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    try {
      out.push_back(checkpoint_from_json(Json::parse(line)));
    } catch (const std::exception& e) {
      throw std::runtime_error("checkpoint file " + file.string() + " line " + std::to_string(line_no) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace warden::audit
