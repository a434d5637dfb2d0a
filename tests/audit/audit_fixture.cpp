#include "audit_fixture.h"


namespace audit_test {
using namespace warden;

audit::WriterConfig writer_config(const std::string& conninfo, const Keys& keys, const TempDir& dir) {
  audit::WriterConfig c;
  c.conninfo = conninfo;
  c.reviewers = {keys.alice->public_key(), keys.bob->public_key()};
  c.signing_key = keys.signing;
  c.spool_path = dir.path / "audit.spool";
  c.checkpoint_file = dir.path / "checkpoints.jsonl";
  c.checkpoint_every_records = 10;
  c.reconnect_interval = std::chrono::milliseconds(100);
  c.log = [](const std::string&) {};
  return c;
}

audit::AuditRecord sample_record(int n, size_t payload_bytes) {
  audit::AuditRecord r;
  r.header.kind = "request";
  r.header.action = "chat.completions";
  r.header.key_id = n % 2 ? "key-odd" : "key-even";
  r.header.team = n % 3 ? "research" : "legal";
  r.header.role = "user";
  r.header.route = "/v1/chat/completions";
  r.header.model = "deepseek-v2-lite";
  r.header.policy_name = "default";
  r.header.policy_version = 1 + n % 2;
  r.header.decision = n % 4 == 0 ? "blocked" : "redacted";
  r.header.entity_counts = {{"EMAIL", 1 + n % 2}};
  if (n % 5 == 0) r.header.entity_counts["IBAN"] = 1;
  r.header.rules_fired = {"mask-email"};
  r.header.prompt_tokens = 10 + n;
  r.header.completion_tokens = 20 + n;
  r.header.latency_ms = 5;
  r.header.http_status = 200;
  r.header.client_addr = "10.0.0.1";
  core::Json messages = core::Json::array();
  core::Json m = core::Json::object();
  m.set("role", "user");
  std::string text = "secret-" + std::to_string(n) + " mail me at person" + std::to_string(n) + "@example.com ";
  while (text.size() < payload_bytes) text += "x";
  m.set("content", text);
  messages.push_back(m);
  r.payload.set("original_messages", messages);
  r.payload.set("answer", "ok " + std::to_string(n));
  return r;
}

}  // namespace audit_test
