#include "audit/store.h"

#include <sstream>

namespace warden::audit {

const char* const kRecordColumns =
    "seq, header, nonce, ciphertext, sealed_keys, prev_hash, hash, record_id, time_us, kind, action, key_id, "
    "team, role, route, model, policy_name, policy_version, decision, entity_types, http_status";

namespace {

std::string bytes_of(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string quote_bytes(pqxx::transaction_base& tx, const std::string& bytes) {
  return tx.quote_raw(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// PostgreSQL array literal of the entity types present, each element double-quoted.
std::string entity_array_text(const AuditHeader& h) {
  std::string out = "{";
  for (const auto& [type, n] : h.entity_counts) {
    if (n <= 0) continue;
    if (out.size() > 1) out += ",";
    out += '"';
    for (char c : type) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

void check(std::string& problems, const char* column, const std::string& stored, const std::string& in_header) {
  if (stored != in_header) {
    if (!problems.empty()) problems += "; ";
    problems += std::string("column ") + column + " is \"" + stored + "\" but the header says \"" + in_header + "\"";
  }
}

}  // namespace

LoadedRecord row_to_record(const pqxx::row& row) {
  LoadedRecord out;
  StoredRecord& r = out.record;
  r.seq = row[0].as<uint64_t>();
  r.sealed.header_text = row[1].as<std::string>();
  r.sealed.nonce = bytes_of(row[2]);
  r.sealed.ciphertext = bytes_of(row[3]);
  r.sealed.sealed_keys = parse_sealed_keys(row[4].as<std::string>());
  r.prev_hash = bytes_of(row[5]);
  r.hash = bytes_of(row[6]);
  try {
    r.sealed.header = parse_header(r.sealed.header_text);
  } catch (const std::exception& e) {
    out.column_mismatch = std::string("header is not a valid canonical header: ") + e.what();
    return out;
  }
  const AuditHeader& h = r.sealed.header;
  std::string& p = out.column_mismatch;
  check(p, "record_id", row[7].as<std::string>(), h.record_id);
  check(p, "time_us", row[8].as<std::string>(), std::to_string(h.time_us));
  check(p, "kind", row[9].as<std::string>(), h.kind);
  check(p, "action", row[10].as<std::string>(), h.action);
  check(p, "key_id", row[11].as<std::string>(), h.key_id);
  check(p, "team", row[12].as<std::string>(), h.team);
  check(p, "role", row[13].as<std::string>(), h.role);
  check(p, "route", row[14].as<std::string>(), h.route);
  check(p, "model", row[15].as<std::string>(), h.model);
  check(p, "policy_name", row[16].as<std::string>(), h.policy_name);
  check(p, "policy_version", row[17].as<std::string>(), std::to_string(h.policy_version));
  check(p, "decision", row[18].as<std::string>(), h.decision);
  std::string types = "{";
  for (const auto& [type, n] : h.entity_counts) {
    if (n <= 0) continue;
    if (types.size() > 1) types += ",";
    types += type;
  }
  types += "}";
  check(p, "entity_types", row[19].as<std::string>(), types);
  check(p, "http_status", row[20].as<std::string>(), std::to_string(h.http_status));
  return out;
}

AuditStore::AuditStore(const std::string& conninfo) : conn_(std::make_unique<pqxx::connection>(conninfo)) {
  conn_->prepare("audit_insert_record",
                 "INSERT INTO audit_records (seq, record_id, time_us, recorded_at, kind, action, key_id, team, role, "
                 "route, model, policy_name, policy_version, decision, entity_types, http_status, header, nonce, "
                 "ciphertext, sealed_keys, prev_hash, hash) VALUES ($1, $2, $3::bigint, to_timestamp($3::bigint / "
                 "1000000.0), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::text[], $15, $16, $17, $18, $19, $20, $21) "
                 "ON CONFLICT DO NOTHING");
}

void AuditStore::insert(const std::vector<StoredRecord>& records, const std::vector<Checkpoint>& checkpoints) {
  pqxx::work tx{*conn_};
  tx.exec0("SET LOCAL synchronous_commit = on");
  // One prepared statement per row with binary bytea parameters: no escaping of
  // ciphertext on either side; a batch still commits (and fsyncs) once.
  for (const StoredRecord& r : records) {
    const AuditHeader& h = r.sealed.header;
    tx.exec_prepared("audit_insert_record", r.seq, h.record_id, h.time_us, h.kind, h.action, h.key_id, h.team, h.role,
                     h.route, h.model, h.policy_name, h.policy_version, h.decision, entity_array_text(h),
                     h.http_status, r.sealed.header_text, pqxx::binarystring(r.sealed.nonce),
                     pqxx::binarystring(r.sealed.ciphertext), sealed_keys_text(r.sealed.sealed_keys),
                     pqxx::binarystring(r.prev_hash), pqxx::binarystring(r.hash));
  }
  for (const Checkpoint& cp : checkpoints) {
    tx.exec0("INSERT INTO audit_checkpoints (seq, kind, head_hash, time_us, signing_key_id, signature) VALUES (" +
             std::to_string(cp.seq) + "," + tx.quote(cp.kind) + "," + quote_bytes(tx, cp.head_hash) + "," +
             std::to_string(cp.time_us) + "," + tx.quote(cp.signing_key_id) + "," + quote_bytes(tx, cp.signature) +
             ") ON CONFLICT DO NOTHING");
  }
  tx.commit();
}

std::optional<std::pair<uint64_t, std::string>> AuditStore::head() {
  pqxx::read_transaction tx{*conn_};
  pqxx::result r = tx.exec("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1");
  if (r.empty()) return std::nullopt;
  return std::make_pair(r[0][0].as<uint64_t>(), bytes_of(r[0][1]));
}

std::vector<LoadedRecord> AuditStore::records_from(uint64_t from_seq, size_t limit) {
  return select_where("seq >= " + std::to_string(from_seq), limit);
}

std::optional<LoadedRecord> AuditStore::record_by_id(const std::string& record_id) {
  pqxx::read_transaction tx{*conn_};
  auto rows = tx.exec_params(std::string("SELECT ") + kRecordColumns + " FROM audit_records WHERE record_id = $1",
                             record_id);
  if (rows.empty()) return std::nullopt;
  return row_to_record(rows[0]);
}

std::vector<LoadedRecord> AuditStore::select_where(const std::string& where_sql, size_t limit) {
  pqxx::read_transaction tx{*conn_};
  std::string sql = std::string("SELECT ") + kRecordColumns + " FROM audit_records WHERE " + where_sql + " ORDER BY seq";
  if (limit != SIZE_MAX) sql += " LIMIT " + std::to_string(limit);
  std::vector<LoadedRecord> out;
  for (const auto& row : tx.exec(sql)) out.push_back(row_to_record(row));
  return out;
}

std::vector<Checkpoint> AuditStore::checkpoints(uint64_t after_seq, size_t limit) {
  pqxx::read_transaction tx{*conn_};
  std::string sql = "SELECT seq, kind, head_hash, time_us, signing_key_id, signature FROM audit_checkpoints WHERE seq > " +
                    std::to_string(after_seq) + " ORDER BY seq, kind";
  if (limit != SIZE_MAX) sql += " LIMIT " + std::to_string(limit);
  std::vector<Checkpoint> out;
  for (const auto& row : tx.exec(sql)) {
    Checkpoint cp;
    cp.seq = row[0].as<uint64_t>();
    cp.kind = row[1].as<std::string>();
    cp.head_hash = bytes_of(row[2]);
    cp.time_us = row[3].as<int64_t>();
    cp.signing_key_id = row[4].as<std::string>();
    cp.signature = bytes_of(row[5]);
    out.push_back(std::move(cp));
  }
  return out;
}

uint64_t AuditStore::prune_before(int64_t before_us, const SigningKey& key) {
  pqxx::work tx{*conn_};
  tx.exec0("SET LOCAL synchronous_commit = on");
  tx.exec0("LOCK TABLE audit_records IN SHARE ROW EXCLUSIVE MODE");
  // Only a prefix of the chain can go: stop at the first record at or after the cut-off.
  auto last = tx.exec("SELECT seq, hash FROM audit_records WHERE seq < COALESCE((SELECT min(seq) FROM audit_records "
                      "WHERE time_us >= " + std::to_string(before_us) + "), 9223372036854775807) ORDER BY seq DESC LIMIT 1");
  if (last.empty()) return 0;
  uint64_t last_seq = last[0][0].as<uint64_t>();
  Checkpoint marker = sign_checkpoint(last_seq, bytes_of(last[0][1]), "prune", key);
  auto deleted = tx.exec("DELETE FROM audit_records WHERE seq <= " + std::to_string(last_seq));
  tx.exec0("DELETE FROM audit_checkpoints WHERE seq <= " + std::to_string(last_seq) + " AND kind <> 'prune'");
  tx.exec0("DELETE FROM audit_checkpoints WHERE seq < " + std::to_string(last_seq) + " AND kind = 'prune'");
  tx.exec0("INSERT INTO audit_checkpoints (seq, kind, head_hash, time_us, signing_key_id, signature) VALUES (" +
           std::to_string(marker.seq) + ",'prune'," + quote_bytes(tx, marker.head_hash) + "," +
           std::to_string(marker.time_us) + "," + tx.quote(marker.signing_key_id) + "," +
           quote_bytes(tx, marker.signature) + ") ON CONFLICT DO NOTHING");
  tx.commit();
  return deleted.affected_rows();
}

}  // namespace warden::audit
