#include "server/malloc_arenas.h"

#include <malloc.h>

#include <cstdlib>

#include "kernels/core_budget.h"

namespace rectifier::server {

void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr || std::getenv("GLIBC_TUNABLES") != nullptr) return;
  mallopt(M_ARENA_MAX, AvailableCores());
}

}  // namespace rectifier::server
