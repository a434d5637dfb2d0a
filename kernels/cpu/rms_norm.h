// RMSNorm in fp32: y = weight * x / sqrt(mean(x^2) + eps), row by row.
#pragma once

#include "kernels/cpu/backend.h"

namespace warden::kernels {

// x, y: [n, dim] (may alias); weight: [dim].
void rms_norm(const float* x, const float* weight, int n, int dim, float eps, float* y);
void rms_norm(const float* x, const float* weight, int n, int dim, float eps, float* y,
              Backend backend);

}  // namespace warden::kernels
