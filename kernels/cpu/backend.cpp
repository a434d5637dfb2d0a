#include "kernels/cpu/backend.h"

#include <atomic>
#include <stdexcept>

namespace warden::kernels {
namespace {

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

Backend best_backend() {
  if (cpu_has_avx512()) return Backend::kAvx512;
  if (cpu_has_avx2()) return Backend::kAvx2;
  return Backend::kScalar;
}

std::atomic<int>& active_slot() {
  static std::atomic<int> slot{static_cast<int>(best_backend())};
  return slot;
}

}  // namespace

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::kScalar: return "scalar";
    case Backend::kAvx2: return "avx2";
    case Backend::kAvx512: return "avx512";
  }
  return "unknown";
}

std::vector<Backend> available_backends() {
  std::vector<Backend> out{Backend::kScalar};
  if (cpu_has_avx2()) out.push_back(Backend::kAvx2);
  if (cpu_has_avx512()) out.push_back(Backend::kAvx512);
  return out;
}

Backend active_backend() { return static_cast<Backend>(active_slot().load()); }

void set_active_backend(Backend backend) {
  for (Backend b : available_backends()) {
    if (b == backend) {
      active_slot().store(static_cast<int>(backend));
      return;
    }
  }
  throw std::runtime_error(std::string("kernels: backend ") + backend_name(backend) +
                           " is not supported by this CPU");
}

}  // namespace warden::kernels
