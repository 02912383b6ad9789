// Random tensor contents from a seed, for any data type: the same seed gives the same bytes everywhere,
// so a run is reproducible and both servers receive identical requests.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/data_type.h"

namespace rectifier::bench {

// `elements` little-endian values of `dtype`: floating types uniform-ish in [-8, 8) (float16 and bfloat16
// built from random sign, exponent and mantissa bits in that range, so no rounding is involved), integer
// types uniform over [-100, 100] ([0, 200] for uint8).
std::string RandomTensorBytes(DataType dtype, int64_t elements, uint64_t seed);

}  // namespace rectifier::bench
