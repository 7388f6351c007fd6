/*
 * libgort — Go's slices, maps and channels for C and FFI hosts.
 *
 * The one header to include. Every declaration here is part of the stable C ABI
 * (symbol version GORT_1.0); see docs/abi.md for the policy.
 */
#ifndef GORT_H
#define GORT_H

#include "gort/base.h"
#include "gort/type.h"
#include "gort/heap.h"
#include "gort/slice.h"
#include "gort/map.h"
#include "gort/chan.h"

#endif /* GORT_H */
