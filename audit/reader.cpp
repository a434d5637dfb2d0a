#include "audit/reader.h"

#include <algorithm>
#include <cctype>

#include "audit/envelope.h"
#include "audit/store.h"

namespace warden::audit {
using core::Json;

Json record_to_json(const LoadedRecord& loaded, const ReviewerSecretKey* key, bool include_sealed) {
  const StoredRecord& r = loaded.record;
  Json o = Json::object();
  o.set("chain", r.chain);
  o.set("seq", static_cast<long long>(r.seq));
  o.set("time", format_time_us(r.sealed.header.time_us));
  const Json header = header_to_json(r.sealed.header);
  for (const auto& [name, value] : header.as_object()) o.set(name, value);
  Json kids = Json::array();
  for (const auto& k : r.sealed.sealed_keys) kids.push_back(k.reviewer_key_id);
  o.set("reviewer_key_ids", kids);
  o.set("hash", to_hex(r.hash));
  o.set("prev_hash", to_hex(r.prev_hash));
  if (include_sealed) {
    o.set("header_text", r.sealed.header_text);
    o.set("nonce", to_base64(r.sealed.nonce));
    o.set("ciphertext", to_base64(r.sealed.ciphertext));
    Json sealed = Json::array();
    for (const auto& k : r.sealed.sealed_keys) {
      Json e = Json::object();
      e.set("reviewer_key_id", k.reviewer_key_id);
      e.set("sealed", to_base64(k.sealed));
      sealed.push_back(std::move(e));
    }
    o.set("sealed_keys", sealed);
  }
  if (key) {
    try {
      o.set("payload", open_record(r.sealed, *key));
    } catch (const std::exception& e) {
      o.set("payload_error", e.what());
    }
  }
  return o;
}

std::string format_record_cursor(const RecordCursor& c) {
  return std::to_string(c.time_us) + "." + std::to_string(c.seq) + "." + c.chain;
}

RecordCursor parse_record_cursor(const std::string& text) {
  auto bad = [&]() -> RecordCursor {
    throw std::runtime_error("invalid cursor \"" + text + "\" (pass the next_after value of the previous page)");
  };
  size_t a = text.find('.');
  size_t b = a == std::string::npos ? a : text.find('.', a + 1);
  if (b == std::string::npos) return bad();
  auto number = [&](const std::string& digits, bool allow_minus) -> long long {
    size_t start = allow_minus && !digits.empty() && digits[0] == '-' ? 1 : 0;
    if (digits.size() <= start || digits.size() > 19 + start) bad();
    for (size_t i = start; i < digits.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(digits[i]))) bad();
    }
    return std::stoll(digits);
  };
  RecordCursor c;
  c.time_us = number(text.substr(0, a), true);
  c.seq = static_cast<uint64_t>(number(text.substr(a + 1, b - a - 1), false));
  c.chain = text.substr(b + 1);
  if (!chain_id_problem(c.chain).empty()) return bad();
  return c;
}

AuditReader::AuditReader(const std::string& conninfo) : store_(std::make_unique<AuditStore>(conninfo)) {}
AuditReader::~AuditReader() = default;

Json AuditReader::search(const SearchQuery& q, const ReviewerSecretKey* key) {
  if (q.text && !key) throw std::runtime_error("free-text search reads encrypted payloads: a reviewer key is required");
  pqxx::nontransaction quoter{store_->connection()};
  std::string where = "TRUE";
  if (q.chain) where += " AND chain = " + quoter.quote(*q.chain);
  if (q.from_us) where += " AND time_us >= " + std::to_string(*q.from_us);
  if (q.to_us) where += " AND time_us < " + std::to_string(*q.to_us);
  if (q.key_id) where += " AND key_id = " + quoter.quote(*q.key_id);
  if (q.team) where += " AND team = " + quoter.quote(*q.team);
  if (q.decision) where += " AND decision = " + quoter.quote(*q.decision);
  if (q.kind) where += " AND kind = " + quoter.quote(*q.kind);
  if (q.policy_name) where += " AND policy_name = " + quoter.quote(*q.policy_name);
  if (q.policy_version) where += " AND policy_version = " + std::to_string(*q.policy_version);
  if (q.entity_type) where += " AND entity_types @> ARRAY[" + quoter.quote(*q.entity_type) + "]::text[]";
  quoter.commit();

  Json records = Json::array();
  size_t limit = std::max<size_t>(1, q.limit);
  std::optional<RecordCursor> last = q.after;
  bool more = false;
  // Without free text one page does; with it, scan pages until enough payloads match.
  for (;;) {
    std::string page_where = where;
    if (last) {
      pqxx::nontransaction cursor_quoter{store_->connection()};
      page_where += " AND (time_us, chain, seq) > (" + std::to_string(last->time_us) + ", " +
                    cursor_quoter.quote(last->chain) + ", " + std::to_string(last->seq) + ")";
    }
    size_t page_size = q.text ? 500 : limit + 1;
    std::vector<LoadedRecord> page = store_->select_where(page_where, page_size, "time_us, chain, seq");
    for (const auto& loaded : page) {
      if (records.size() >= limit) {
        more = true;
        break;
      }
      last = RecordCursor{loaded.time_us_column, loaded.record.chain, loaded.record.seq};
      Json rec = record_to_json(loaded, key, q.include_sealed);
      if (q.text) {
        const Json* payload = rec.find("payload");
        if (!payload || payload->dump().find(*q.text) == std::string::npos) continue;
      }
      records.push_back(std::move(rec));
    }
    if (more || page.size() < page_size || !q.text) break;
  }
  Json out = Json::object();
  out.set("records", records);
  out.set("next_after", more ? Json(format_record_cursor(*last)) : Json());
  return out;
}

Json AuditReader::get(const std::string& record_id, const ReviewerSecretKey* key, bool include_sealed) {
  auto loaded = store_->record_by_id(record_id);
  if (!loaded) return Json();
  return record_to_json(*loaded, key, include_sealed);
}

Json AuditReader::verify(const VerifyOptions& options) { return verify_chain(*store_, options).to_json(); }

Json AuditReader::checkpoints(const std::optional<std::string>& chain, size_t limit) {
  Json list = Json::array();
  for (const auto& cp : store_->checkpoints(chain, {}, limit)) list.push_back(checkpoint_to_json(cp));
  Json out = Json::object();
  out.set("checkpoints", list);
  return out;
}

}  // namespace warden::audit
