// Which instruction set the CPU kernels use. Chosen once at start from what the CPU
// supports (AVX-512 > AVX2+FMA > scalar); tests override it to compare every backend
// with the scalar reference.
#pragma once

#include <string>
#include <vector>

namespace warden::kernels {

enum class Backend { kScalar, kAvx2, kAvx512 };

const char* backend_name(Backend backend);
// Backends this CPU can run, scalar first.
std::vector<Backend> available_backends();
// The backend ops use when none is passed: the best available unless overridden.
Backend active_backend();
// Forces a backend (must be available); used by tests and benchmarks.
void set_active_backend(Backend backend);

}  // namespace warden::kernels
