// Built against an installed actlab by tests/install_consumer.cmake.
#include <actlab/activation.h>

#include <cmath>
#include <cstdio>

int main() {
  const auto gelu = actlab::Activation::make("gelu");
  const float x[3] = {-1.0f, 0.0f, 2.0f};
  float y[3];
  actlab::forward(gelu, x, y, 3);
  // gelu(-1) = -0.15865525, gelu(2) = 1.9544997
  const bool ok = std::fabs(y[0] + 0.15865525f) < 1e-6f && y[1] == 0.0f && std::fabs(y[2] - 1.9544997f) < 1e-6f;
  std::printf("consumer: gelu = %.8g %.8g %.8g on %s: %s\n", y[0], y[1], y[2],
              actlab::active_target().c_str(), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
