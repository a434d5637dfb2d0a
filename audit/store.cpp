#include "audit/store.h"

#include <sodium.h>

#include <sstream>

namespace warden::audit {

const char* const kRecordColumns =
    "seq, header, nonce, ciphertext, sealed_keys, prev_hash, hash, record_id, time_us, kind, action, key_id, "
    "team, role, route, model, policy_name, policy_version, decision, entity_types, http_status, chain";

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

void insert_checkpoint(pqxx::transaction_base& tx, const Checkpoint& cp) {
  tx.exec0("INSERT INTO audit_checkpoints (chain, seq, kind, head_hash, time_us, signing_key_id, signature) VALUES (" +
           tx.quote(cp.chain) + "," + std::to_string(cp.seq) + "," + tx.quote(cp.kind) + "," +
           quote_bytes(tx, cp.head_hash) + "," + std::to_string(cp.time_us) + "," + tx.quote(cp.signing_key_id) + "," +
           quote_bytes(tx, cp.signature) + ") ON CONFLICT DO NOTHING");
}

Checkpoint row_to_checkpoint(const pqxx::row& row) {
  Checkpoint cp;
  cp.chain = row[0].as<std::string>();
  cp.seq = row[1].as<uint64_t>();
  cp.kind = row[2].as<std::string>();
  cp.head_hash = bytes_of(row[3]);
  cp.time_us = row[4].as<int64_t>();
  cp.signing_key_id = row[5].as<std::string>();
  cp.signature = bytes_of(row[6]);
  return cp;
}

constexpr const char* kCheckpointColumns = "chain, seq, kind, head_hash, time_us, signing_key_id, signature";

}  // namespace

int64_t chain_lock_key(const std::string& chain) {
  ensure_sodium();
  std::string input = std::string("warden-audit-chain-lock") + '\0' + chain;
  unsigned char digest[8];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(input.data()), input.size(), nullptr, 0);
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | digest[i];
  return static_cast<int64_t>(key);
}

LoadedRecord row_to_record(const pqxx::row& row) {
  LoadedRecord out;
  StoredRecord& r = out.record;
  r.chain = row[21].as<std::string>();
  out.time_us_column = row[8].as<int64_t>();
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
                 "ciphertext, sealed_keys, prev_hash, hash, chain) VALUES ($1, $2, $3::bigint, to_timestamp($3::bigint / "
                 "1000000.0), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::text[], $15, $16, $17, $18, $19, $20, $21, "
                 "$22)");
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
                     pqxx::binarystring(r.prev_hash), pqxx::binarystring(r.hash), r.chain);
  }
  for (const Checkpoint& cp : checkpoints) insert_checkpoint(tx, cp);
  tx.commit();
}

std::optional<std::pair<uint64_t, std::string>> AuditStore::head(const std::string& chain) {
  pqxx::read_transaction tx{*conn_};
  pqxx::result r = tx.exec_params(
      "SELECT seq, hash FROM (SELECT seq, hash FROM audit_records WHERE chain = $1 ORDER BY seq DESC LIMIT 1) AS r "
      "UNION ALL SELECT seq, head_hash FROM (SELECT seq, head_hash FROM audit_checkpoints WHERE chain = $1 AND kind = "
      "'prune' ORDER BY seq DESC LIMIT 1) AS p ORDER BY seq DESC LIMIT 1",
      chain);
  if (r.empty()) return std::nullopt;
  return std::make_pair(r[0][0].as<uint64_t>(), bytes_of(r[0][1]));
}

std::vector<std::string> AuditStore::chains() {
  pqxx::read_transaction tx{*conn_};
  // A loose index scan over the primary keys: one probe per chain, not a scan of every row.
  pqxx::result r = tx.exec(
      "WITH RECURSIVE c(chain) AS ((SELECT chain FROM audit_records ORDER BY chain LIMIT 1) UNION ALL "
      "SELECT (SELECT chain FROM audit_records WHERE chain > c.chain ORDER BY chain LIMIT 1) FROM c WHERE c.chain IS "
      "NOT NULL) SELECT chain FROM c WHERE chain IS NOT NULL UNION SELECT DISTINCT chain FROM audit_checkpoints "
      "ORDER BY 1");
  std::vector<std::string> out;
  for (const auto& row : r) out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<LoadedRecord> AuditStore::records_from(const std::string& chain, uint64_t from_seq, size_t limit) {
  pqxx::nontransaction quoter{*conn_};
  std::string where = "chain = " + quoter.quote(chain) + " AND seq >= " + std::to_string(from_seq);
  quoter.commit();
  return select_where(where, limit, "seq");
}

std::optional<LoadedRecord> AuditStore::record_by_id(const std::string& record_id) {
  pqxx::read_transaction tx{*conn_};
  auto rows = tx.exec_params(std::string("SELECT ") + kRecordColumns + " FROM audit_records WHERE record_id = $1",
                             record_id);
  if (rows.empty()) return std::nullopt;
  return row_to_record(rows[0]);
}

std::set<std::string> AuditStore::existing_record_ids(const std::vector<std::string>& record_ids) {
  std::set<std::string> out;
  if (record_ids.empty()) return out;
  pqxx::read_transaction tx{*conn_};
  std::string list;
  for (const auto& id : record_ids) list += (list.empty() ? "" : ",") + tx.quote(id);
  for (const auto& row : tx.exec("SELECT record_id FROM audit_records WHERE record_id IN (" + list + ")")) {
    out.insert(row[0].as<std::string>());
  }
  return out;
}

std::vector<LoadedRecord> AuditStore::select_where(const std::string& where_sql, size_t limit, const std::string& order_sql) {
  pqxx::read_transaction tx{*conn_};
  std::string sql = std::string("SELECT ") + kRecordColumns + " FROM audit_records WHERE " + where_sql + " ORDER BY " + order_sql;
  if (limit != SIZE_MAX) sql += " LIMIT " + std::to_string(limit);
  std::vector<LoadedRecord> out;
  for (const auto& row : tx.exec(sql)) out.push_back(row_to_record(row));
  return out;
}

std::vector<Checkpoint> AuditStore::checkpoints(const std::optional<std::string>& chain, CheckpointCursor after,
                                                size_t limit) {
  pqxx::read_transaction tx{*conn_};
  std::string sql = std::string("SELECT ") + kCheckpointColumns + " FROM audit_checkpoints WHERE (chain, seq) > (" +
                    tx.quote(after.chain) + ", " + std::to_string(after.seq) + ")";
  if (chain) sql += " AND chain = " + tx.quote(*chain);
  sql += " ORDER BY chain, seq, kind";
  if (limit != SIZE_MAX) sql += " LIMIT " + std::to_string(limit);
  std::vector<Checkpoint> out;
  for (const auto& row : tx.exec(sql)) out.push_back(row_to_checkpoint(row));
  return out;
}

bool AuditStore::try_lock_chain(const std::string& chain) {
  pqxx::nontransaction tx{*conn_};
  return tx.exec1("SELECT pg_try_advisory_lock(" + std::to_string(chain_lock_key(chain)) + ")")[0].as<bool>();
}

void AuditStore::unlock_chain(const std::string& chain) {
  pqxx::nontransaction tx{*conn_};
  tx.exec1("SELECT pg_advisory_unlock(" + std::to_string(chain_lock_key(chain)) + ")");
}

uint64_t AuditStore::prune_before(int64_t before_us, const SigningKey& key) {
  pqxx::work tx{*conn_};
  tx.exec0("SET LOCAL synchronous_commit = on");
  tx.exec0("LOCK TABLE audit_records IN SHARE ROW EXCLUSIVE MODE");
  uint64_t deleted = 0;
  // Each chain separately: only a prefix of a chain can go, so stop at its first record at
  // or after the cut-off, and anchor what is left with a signed marker for that chain.
  auto chains = tx.exec("SELECT DISTINCT chain FROM audit_records ORDER BY chain");
  for (const auto& chain_row : chains) {
    const std::string chain = chain_row[0].as<std::string>();
    const std::string c = tx.quote(chain);
    auto last = tx.exec("SELECT seq, hash FROM audit_records WHERE chain = " + c + " AND seq < COALESCE((SELECT min(seq) "
                        "FROM audit_records WHERE chain = " + c + " AND time_us >= " + std::to_string(before_us) +
                        "), 9223372036854775807) ORDER BY seq DESC LIMIT 1");
    if (last.empty()) continue;
    uint64_t last_seq = last[0][0].as<uint64_t>();
    Checkpoint marker = sign_checkpoint(chain, last_seq, bytes_of(last[0][1]), "prune", key);
    const std::string upto = std::to_string(last_seq);
    deleted += tx.exec("DELETE FROM audit_records WHERE chain = " + c + " AND seq <= " + upto).affected_rows();
    tx.exec0("DELETE FROM audit_checkpoints WHERE chain = " + c + " AND seq <= " + upto + " AND kind <> 'prune'");
    tx.exec0("DELETE FROM audit_checkpoints WHERE chain = " + c + " AND seq < " + upto + " AND kind = 'prune'");
    insert_checkpoint(tx, marker);
  }
  tx.commit();
  return deleted;
}

}  // namespace warden::audit
