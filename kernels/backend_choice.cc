#include "kernels/backend_choice.h"

namespace rectifier {

bool PreferOnednn(ElementwiseFn fn, DataType dtype, size_t count) {
  // The kernel benchmark (bench/README.md, "Backends, float32") has our SIMD kernels ahead of oneDNN 2.6 on
  // every function at 1Ki elements, and on leaky_relu, gelu (both forms), silu, sigmoid and tanh at every
  // size. oneDNN leads only on elu/celu (and so selu) from 64Ki elements on, by 5-25%. It is not used there
  // either: its elu computes exp(x) - 1 where ours computes expm1(x), so a request's result would depend
  // on its size, and with dynamic batching on the requests it happened to be batched with. One kernel per
  // function keeps every result reproducible; the forced-backend benchmark keeps the comparison honest.
  return false;
}

}  // namespace rectifier
