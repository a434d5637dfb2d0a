// CompiledPolicy accessors, bindings, and PolicySet::select.
#include <algorithm>

#include "policy/guardrails.h"

namespace warden::policy {

CompiledPolicy::CompiledPolicy() = default;
CompiledPolicy::~CompiledPolicy() = default;

const PolicyIdentity& CompiledPolicy::identity() const { return impl_->identity; }
const std::shared_ptr<const Redactor>& CompiledPolicy::redactor() const { return impl_->redactor; }
const core::Json& CompiledPolicy::document() const { return impl_->document; }

int CompiledPolicy::binding_rank(const Subject& subject) const {
  const Bindings& b = impl_->bindings;
  auto listed = [](const std::vector<std::string>& list, const std::string& value) {
    return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
  };
  if (listed(b.keys, subject.key_id)) return 4;
  if (listed(b.teams, subject.team)) return 3;
  if (listed(b.roles, subject.role)) return 2;
  if (b.is_default) return 1;
  return 0;
}

PolicySet::PolicySet(std::vector<std::shared_ptr<const CompiledPolicy>> active,
                     std::shared_ptr<const CompiledPolicy> fallback)
    : active_(std::move(active)), fallback_(std::move(fallback)) {
  active_.erase(std::remove(active_.begin(), active_.end(), nullptr), active_.end());
}

std::shared_ptr<const CompiledPolicy> PolicySet::select(const Subject& subject) const {
  std::shared_ptr<const CompiledPolicy> best;
  int best_rank = 0;
  for (const auto& policy : active_) {
    const int rank = policy->binding_rank(subject);
    if (rank == 0) continue;
    if (rank > best_rank || (rank == best_rank && policy->identity().name < best->identity().name)) {
      best = policy;
      best_rank = rank;
    }
  }
  return best ? best : fallback_;
}

}  // namespace warden::policy
