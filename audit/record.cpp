#include "audit/record.h"

#include <sodium.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "audit/keys.h"

namespace warden::audit {
using core::Json;

Json header_to_json(const AuditHeader& h) {
  Json o = Json::object();
  o.set("record_id", h.record_id);
  o.set("time_us", static_cast<long long>(h.time_us));
  o.set("kind", h.kind);
  o.set("action", h.action);
  o.set("key_id", h.key_id);
  o.set("team", h.team);
  o.set("role", h.role);
  o.set("route", h.route);
  o.set("model", h.model);
  o.set("policy_name", h.policy_name);
  o.set("policy_version", static_cast<long long>(h.policy_version));
  o.set("decision", h.decision);
  Json counts = Json::object();
  for (const auto& [type, n] : h.entity_counts) counts.set(type, static_cast<long long>(n));  // std::map: sorted
  o.set("entity_counts", counts);
  Json rules = Json::array();
  for (const auto& r : h.rules_fired) rules.push_back(r);
  o.set("rules_fired", rules);
  o.set("prompt_tokens", static_cast<long long>(h.prompt_tokens));
  o.set("completion_tokens", static_cast<long long>(h.completion_tokens));
  o.set("latency_ms", static_cast<long long>(h.latency_ms));
  o.set("http_status", static_cast<long long>(h.http_status));
  o.set("client_addr", h.client_addr);
  return o;
}

AuditRecord make_event_record(std::string kind, std::string action, std::string actor_key_id, std::string team,
                              std::string role, std::string decision, Json details) {
  AuditRecord r;
  r.header.kind = std::move(kind);
  r.header.action = std::move(action);
  r.header.key_id = std::move(actor_key_id);
  r.header.team = std::move(team);
  r.header.role = std::move(role);
  r.header.decision = std::move(decision);
  r.payload = Json::object();
  r.payload.set("details", std::move(details));
  return r;
}

std::string canonical_header(const AuditHeader& h) {
  if (h.chain.empty()) return header_to_json(h).dump();
  Json o = Json::object();
  o.set("v", 2LL);
  o.set("chain", h.chain);
  const Json fields = header_to_json(h);
  for (const auto& [name, value] : fields.as_object()) o.set(name, value);
  return o.dump();
}

std::string header_chain(const AuditHeader& h) { return h.chain.empty() ? std::string(kLegacyChain) : h.chain; }

std::string chain_id_problem(const std::string& chain) {
  if (chain.empty()) return "a chain id must not be empty";
  if (chain.size() > 64) return "a chain id has at most 64 characters, \"" + chain.substr(0, 20) + "...\" has " +
                                std::to_string(chain.size());
  for (unsigned char c : chain) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') {
      return "chain id \"" + chain + "\" may only contain letters, digits, '.', '_' and '-'";
    }
  }
  return "";
}

AuditHeader parse_header(const std::string& canonical) {
  Json o = Json::parse(canonical);
  AuditHeader h;
  if (const Json* v = o.find("v")) {
    if (!v->is_int() || v->as_int() != 2) throw std::runtime_error("unknown audit header version " + v->dump());
    h.chain = o.at("chain").as_string();
    if (h.chain.empty()) throw std::runtime_error("a version-2 audit header names no chain");
  } else if (o.contains("chain")) {
    throw std::runtime_error("an audit header names a chain but no version");
  }
  h.record_id = o.at("record_id").as_string();
  h.time_us = o.at("time_us").as_int();
  h.kind = o.at("kind").as_string();
  h.action = o.at("action").as_string();
  h.key_id = o.at("key_id").as_string();
  h.team = o.at("team").as_string();
  h.role = o.at("role").as_string();
  h.route = o.at("route").as_string();
  h.model = o.at("model").as_string();
  h.policy_name = o.at("policy_name").as_string();
  h.policy_version = o.at("policy_version").as_int();
  h.decision = o.at("decision").as_string();
  for (const auto& [type, n] : o.at("entity_counts").as_object()) h.entity_counts[type] = n.as_int();
  for (const auto& r : o.at("rules_fired").as_array()) h.rules_fired.push_back(r.as_string());
  h.prompt_tokens = o.at("prompt_tokens").as_int();
  h.completion_tokens = o.at("completion_tokens").as_int();
  h.latency_ms = o.at("latency_ms").as_int();
  h.http_status = o.at("http_status").as_int();
  h.client_addr = o.at("client_addr").as_string();
  return h;
}

std::string sealed_keys_text(const std::vector<SealedKey>& keys) {
  Json arr = Json::array();
  for (const auto& k : keys) {
    Json o = Json::object();
    o.set("kid", k.reviewer_key_id);
    o.set("sealed", to_base64(k.sealed));
    arr.push_back(std::move(o));
  }
  return arr.dump();
}

std::vector<SealedKey> parse_sealed_keys(const std::string& text) {
  std::vector<SealedKey> out;
  const Json list = Json::parse(text);
  for (const auto& o : list.as_array()) {
    out.push_back({o.at("kid").as_string(), from_base64(o.at("sealed").as_string(), "sealed_keys.sealed")});
  }
  return out;
}

namespace {
void absorb(crypto_generichash_state& st, std::string_view bytes) {
  unsigned char len[8];
  uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  crypto_generichash_update(&st, len, sizeof len);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}
}  // namespace

std::string compute_record_hash(uint64_t seq, const std::string& prev_hash, const SealedRecord& s) {
  ensure_sodium();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kHashBytes);
  if (s.header.chain.empty()) {
    absorb(st, "warden-audit-record-v1");
  } else {
    absorb(st, "warden-audit-record-v2");
    absorb(st, s.header.chain);
  }
  absorb(st, prev_hash);
  absorb(st, std::to_string(seq));
  absorb(st, s.header_text);
  absorb(st, s.nonce);
  absorb(st, s.ciphertext);
  absorb(st, sealed_keys_text(s.sealed_keys));
  std::string out(kHashBytes, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), kHashBytes);
  return out;
}

std::string genesis_hash() { return std::string(kHashBytes, '\0'); }

std::string new_record_id() {
  ensure_sodium();
  unsigned char id[16];
  randombytes_buf(id, sizeof id);
  return to_hex(std::string_view(reinterpret_cast<char*>(id), sizeof id));
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time_us(int64_t time_us) {
  time_t secs = static_cast<time_t>(time_us / 1000000);
  long micros = static_cast<long>(time_us % 1000000);
  if (micros < 0) {
    micros += 1000000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  return buf;
}

int64_t parse_time(const std::string& text) {
  auto bad = [&]() -> void {
    throw std::runtime_error("invalid time \"" + text +
                             "\" (expected RFC 3339: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.ffffff] with Z or +HH:MM; "
                             "no zone means UTC)");
  };
  size_t i = 0;
  auto digits = [&](size_t count) {
    int v = 0;
    for (size_t k = 0; k < count; ++k, ++i) {
      if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) bad();
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto expect = [&](char c) {
    if (i >= text.size() || text[i] != c) bad();
    ++i;
  };
  int y = digits(4);
  expect('-');
  int mo = digits(2);
  expect('-');
  int d = digits(2);
  int h = 0, mi = 0, s = 0;
  int64_t frac_us = 0, offset_s = 0;
  if (i < text.size()) {
    if (text[i] != 'T' && text[i] != 't' && text[i] != ' ') bad();
    ++i;
    h = digits(2);
    expect(':');
    mi = digits(2);
    expect(':');
    s = digits(2);
    if (i < text.size() && text[i] == '.') {
      ++i;
      std::string frac;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) frac += text[i++];
      if (frac.empty() || frac.size() > 9) bad();
      frac.resize(6, '0');
      frac_us = std::stoll(frac.substr(0, 6));
    }
    if (i < text.size()) {
      if (text[i] == 'Z' || text[i] == 'z') {
        ++i;
      } else if (text[i] == '+' || text[i] == '-') {
        int sign = text[i] == '-' ? -1 : 1;
        ++i;
        int oh = digits(2);
        expect(':');
        int om = digits(2);
        if (oh > 23 || om > 59) bad();
        offset_s = sign * (oh * 3600 + om * 60);
      } else {
        bad();
      }
    }
  }
  if (i != text.size()) bad();
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 60) bad();
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return (static_cast<int64_t>(timegm(&tm)) - offset_s) * 1000000 + frac_us;
}

}  // namespace warden::audit

namespace warden::audit {

Json stored_record_to_json(const StoredRecord& r) {
  Json o = Json::object();
  o.set("chain", r.chain);
  o.set("seq", static_cast<long long>(r.seq));
  o.set("header", r.sealed.header_text);
  o.set("nonce", to_base64(r.sealed.nonce));
  o.set("ciphertext", to_base64(r.sealed.ciphertext));
  o.set("sealed_keys", sealed_keys_text(r.sealed.sealed_keys));
  o.set("prev_hash", to_hex(r.prev_hash));
  o.set("hash", to_hex(r.hash));
  return o;
}

namespace {
std::string from_hex(const std::string& hex, const char* what) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr, &len,
                     nullptr) != 0 || len * 2 != hex.size()) {
    throw std::runtime_error(std::string(what) + ": invalid hex");
  }
  out.resize(len);
  return out;
}
}  // namespace

StoredRecord stored_record_from_json(const Json& o) {
  StoredRecord r;
  // Spool entries from before chains carry no chain: they were written to chain "main".
  if (const Json* chain = o.find("chain")) r.chain = chain->as_string();
  r.seq = static_cast<uint64_t>(o.at("seq").as_int());
  r.sealed.header_text = o.at("header").as_string();
  r.sealed.header = parse_header(r.sealed.header_text);
  r.sealed.nonce = from_base64(o.at("nonce").as_string(), "nonce");
  r.sealed.ciphertext = from_base64(o.at("ciphertext").as_string(), "ciphertext");
  r.sealed.sealed_keys = parse_sealed_keys(o.at("sealed_keys").as_string());
  r.prev_hash = from_hex(o.at("prev_hash").as_string(), "prev_hash");
  r.hash = from_hex(o.at("hash").as_string(), "hash");
  return r;
}

}  // namespace warden::audit
