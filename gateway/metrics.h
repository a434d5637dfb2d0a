// Prometheus text-format metrics. Counters and histograms keyed by label values; gauges
// read through callbacks at scrape time, or set by the owner (add_gauge without a callback,
// then set()). Other modules' series are added by the gateway through the same registry.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace warden::audit {
struct WriterStats;
}

namespace warden::gateway {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  void add_counter(const std::string& name, const std::string& help);
  void add_histogram(const std::string& name, const std::string& help, std::vector<double> buckets);
  void add_gauge(const std::string& name, const std::string& help, std::function<double()> read);
  void add_gauge(const std::string& name, const std::string& help);  // values come from set()

  void increment(const std::string& name, const Labels& labels = {}, double by = 1.0);
  void observe(const std::string& name, const Labels& labels, double value);
  // Sets a gauge, or a counter mirrored from a monotonic count kept elsewhere.
  void set(const std::string& name, const Labels& labels, double value);

  // Exposition format 0.0.4.
  std::string render() const;
  double counter_value(const std::string& name, const Labels& labels) const;

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket (non-cumulative), plus +Inf at the end
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string help;
    std::string type;
    std::vector<double> buckets;
    std::map<std::string, double> counters;        // rendered labels → value
    std::map<std::string, Histogram> histograms;   // rendered labels → histogram
    std::function<double()> gauge;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

std::string render_labels(const Labels& labels);

// The audit writer's series (records submitted/stored/spooled/replayed/failed, queue depth,
// healthy, db connected). register_audit_metrics once at start; update_audit_metrics on
// every /metrics scrape with AuditWriter::stats(). Defined in audit_metrics.cpp.
void register_audit_metrics(Metrics& metrics);
void update_audit_metrics(Metrics& metrics, const audit::WriterStats& stats);

}  // namespace warden::gateway
