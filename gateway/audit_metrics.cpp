// The audit writer's Prometheus series, mirrored from AuditWriter::stats() at scrape time.
#include "audit/writer.h"
#include "gateway/metrics.h"

namespace warden::gateway {
namespace {

struct CountSeries {
  const char* name;
  const char* help;
  uint64_t audit::WriterStats::*field;
};

const CountSeries kCounts[] = {
    {"warden_audit_records_submitted_total", "Audit records accepted by the writer.", &audit::WriterStats::submitted},
    {"warden_audit_records_stored_total", "Audit records committed to PostgreSQL directly.",
     &audit::WriterStats::stored_in_db},
    {"warden_audit_records_spooled_total", "Audit records written to the local spool while PostgreSQL was unreachable.",
     &audit::WriterStats::spooled},
    {"warden_audit_records_replayed_total", "Spooled audit records later inserted into PostgreSQL.",
     &audit::WriterStats::replayed},
    {"warden_audit_records_failed_total", "Audit records that reached neither PostgreSQL nor the spool.",
     &audit::WriterStats::failed},
    {"warden_audit_records_dropped_total", "Audit records dropped because audit.fail_open is true.",
     &audit::WriterStats::dropped_fail_open},
    {"warden_audit_checkpoints_total", "Signed checkpoints written.", &audit::WriterStats::checkpoints},
};

}  // namespace

void register_audit_metrics(Metrics& m) {
  for (const auto& c : kCounts) m.add_counter(c.name, c.help);
  m.add_gauge("warden_audit_queue_depth", "Audit records waiting for the writer thread.");
  m.add_gauge("warden_audit_healthy", "1 while the audit log can take records (PostgreSQL or spool), else 0: requests get 503.");
  m.add_gauge("warden_audit_db_connected", "1 while the audit writer is connected to PostgreSQL, else 0.");
  m.add_gauge("warden_audit_last_seq", "Sequence number of the last durable audit record in this gateway's chain.");
  m.add_gauge("warden_audit_chain_locked",
              "1 while this gateway holds its audit chain's PostgreSQL advisory lock and writes to the database, else 0.");
  m.add_gauge("warden_audit_chain_busy",
              "1 while another process holds this gateway's audit chain lock (same chain id twice): records go to the spool.");
  m.add_counter("warden_audit_api_requests_total", "/audit/v1 requests by action and HTTP status.");
}

void update_audit_metrics(Metrics& m, const audit::WriterStats& s) {
  for (const auto& c : kCounts) m.set(c.name, {}, static_cast<double>(s.*(c.field)));
  m.set("warden_audit_queue_depth", {}, static_cast<double>(s.queue_depth));
  m.set("warden_audit_healthy", {}, s.healthy ? 1.0 : 0.0);
  m.set("warden_audit_db_connected", {}, s.db_connected ? 1.0 : 0.0);
  m.set("warden_audit_last_seq", {}, static_cast<double>(s.last_seq));
  m.set("warden_audit_chain_locked", {{"chain", s.chain}}, s.chain_locked ? 1.0 : 0.0);
  m.set("warden_audit_chain_busy", {{"chain", s.chain}}, s.chain_busy ? 1.0 : 0.0);
}

}  // namespace warden::gateway
