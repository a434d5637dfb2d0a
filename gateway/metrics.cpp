#include "gateway/metrics.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace warden::gateway {
namespace {

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string with_le(const std::string& labels, const std::string& le) {
  std::string inner = labels.empty() ? "" : labels.substr(1, labels.size() - 2) + ",";
  return "{" + inner + "le=\"" + le + "\"}";
}

}  // namespace

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

void Metrics::add_counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.help = help;
  f.type = "counter";
}

void Metrics::add_histogram(const std::string& name, const std::string& help, std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.help = help;
  f.type = "histogram";
  f.buckets = std::move(buckets);
}

void Metrics::add_gauge(const std::string& name, const std::string& help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.help = help;
  f.type = "gauge";
  f.gauge = std::move(read);
}

void Metrics::add_gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.help = help;
  f.type = "gauge";
  f.gauge = nullptr;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end() || (it->second.type != "counter" && it->second.type != "gauge") || it->second.gauge) {
    throw std::logic_error("unknown settable metric " + name);
  }
  it->second.counters[render_labels(labels)] = value;
}

void Metrics::increment(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != "counter") throw std::logic_error("unknown counter " + name);
  it->second.counters[render_labels(labels)] += by;
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != "histogram") throw std::logic_error("unknown histogram " + name);
  auto& family = it->second;
  auto& h = family.histograms[render_labels(labels)];
  if (h.counts.empty()) h.counts.assign(family.buckets.size() + 1, 0);
  size_t i = 0;
  while (i < family.buckets.size() && value > family.buckets[i]) ++i;
  ++h.counts[i];
  h.sum += value;
  ++h.count;
}

double Metrics::counter_value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto c = it->second.counters.find(render_labels(labels));
  return c == it->second.counters.end() ? 0 : c->second;
}

std::string Metrics::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    if (f.type == "counter") {
      for (const auto& [labels, value] : f.counters) out += name + labels + " " + number(value) + "\n";
    } else if (f.type == "gauge" && f.gauge) {
      out += name + " " + number(f.gauge()) + "\n";
    } else if (f.type == "gauge") {
      for (const auto& [labels, value] : f.counters) out += name + labels + " " + number(value) + "\n";
    } else {
      for (const auto& [labels, h] : f.histograms) {
        uint64_t cumulative = 0;
        for (size_t i = 0; i < f.buckets.size(); ++i) {
          cumulative += h.counts[i];
          out += name + "_bucket" + with_le(labels, number(f.buckets[i])) + " " + std::to_string(cumulative) + "\n";
        }
        cumulative += h.counts.back();
        out += name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(cumulative) + "\n";
        out += name + "_sum" + labels + " " + number(h.sum) + "\n";
        out += name + "_count" + labels + " " + std::to_string(h.count) + "\n";
      }
    }
  }
  return out;
}

}  // namespace warden::gateway
