// Which backend Apply() uses for an elementwise function when the caller leaves the choice to the library.
//
// The answers come from the kernel benchmark (bench/README.md): oneDNN is chosen only where it computes the
// function the way PyTorch does (onednn::Supports) AND measured faster than our SIMD kernels on this
// class of machine.
#pragma once

#include <cstddef>

#include "kernels/data_type.h"
#include "kernels/elementwise_op.h"

namespace rectifier {

bool PreferOnednn(ElementwiseFn fn, DataType dtype, size_t count);

}  // namespace rectifier
