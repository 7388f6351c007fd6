/*
 * The frozen parts of the ABI, checked when the library compiles.
 *
 * abidiff (tests/abi/) catches changes to function signatures and struct layouts, but not
 * to the numbers behind the public enums and macros: functions take them as int or
 * uint32_t, so a renumbered GORT_ECLOSED would pass it. These assertions freeze every
 * public constant and, on LP64 targets (the released ABI: x86-64, AArch64), the byte
 * layout of every struct an FFI host declares itself. Changing any line here is an ABI
 * break: see docs/abi.md.
 */
#include <stddef.h>
#include <stdint.h>

#include "gort.h"

#define FROZEN(expr) _Static_assert(expr, "frozen ABI changed: " #expr)
#define FIELD_AT(type, field, offset) FROZEN(offsetof(type, field) == (offset))

/* ---- status codes, never renumbered or reused ---- */
FROZEN(GORT_OK == 0);
FROZEN(GORT_ENOMEM == -1);
FROZEN(GORT_EINVAL == -2);
FROZEN(GORT_ERANGE == -3);
FROZEN(GORT_ECLOSED == -4);
FROZEN(GORT_EAGAIN == -5);
FROZEN(GORT_ETIMEDOUT == -6);
FROZEN(GORT_EOVERFLOW == -7);
FROZEN(GORT_EBUSY == -8);
FROZEN(GORT_ETYPE == -9);

/* ---- kinds, flags, directions and operations ---- */
FROZEN(GORT_KIND_CUSTOM == 0);
FROZEN(GORT_KIND_BOOL == 1);
FROZEN(GORT_KIND_I8 == 2);
FROZEN(GORT_KIND_I16 == 3);
FROZEN(GORT_KIND_I32 == 4);
FROZEN(GORT_KIND_I64 == 5);
FROZEN(GORT_KIND_U8 == 6);
FROZEN(GORT_KIND_U16 == 7);
FROZEN(GORT_KIND_U32 == 8);
FROZEN(GORT_KIND_U64 == 9);
FROZEN(GORT_KIND_F32 == 10);
FROZEN(GORT_KIND_F64 == 11);
FROZEN(GORT_KIND_UINTPTR == 12);
FROZEN(GORT_KIND_PTR == 13);
FROZEN(GORT_KIND_STR == 14);
FROZEN(GORT_TYPE_INCOMPARABLE == 1);
FROZEN(GORT_HEAP_FORCE == 1);
FROZEN(GORT_CHAN_RECV_READY == 1);
FROZEN(GORT_CHAN_SEND_READY == 2);
FROZEN(GORT_SELECT_SEND == 1);
FROZEN(GORT_SELECT_RECV == 2);
FROZEN(GORT_SELECT_MAX_CASES == 65536);

/* ---- limits a caller may compile in ---- */
FROZEN(GORT_MAX_ALLOC == (uint64_t)1 << 48);
FROZEN(GORT_TYPE_MAX_SIZE == (size_t)1 << 30);
FROZEN(GORT_VERSION_MAJOR == 1);

#if UINTPTR_MAX == UINT64_MAX && SIZE_MAX == UINT64_MAX /* LP64 */

/* ---- gort_str: a value layout, frozen ---- */
FROZEN(sizeof(gort_str) == 16);
FIELD_AT(gort_str, ptr, 0);
FIELD_AT(gort_str, len, 8);

/* ---- caller-filled structs: fields are only appended (struct_size says how many) ----
 * The sizes below are the 1.0 sizes. Appending a field changes sizeof, and then the
 * struct_size checks in type.c, heap.c and map.c must compare against these 1.0 sizes
 * instead of sizeof, so callers compiled against 1.0 keep working. */
FROZEN(sizeof(gort_type_desc) == 96);
FROZEN(sizeof(gort_heap_stats) == 56);
FROZEN(sizeof(gort_map_stats) == 88);
FIELD_AT(gort_type_desc, struct_size, 0);
FIELD_AT(gort_type_desc, size, 8);
FIELD_AT(gort_type_desc, align, 16);
FIELD_AT(gort_type_desc, hash, 24);
FIELD_AT(gort_type_desc, equal, 32);
FIELD_AT(gort_type_desc, ptr_bitmap, 40);
FIELD_AT(gort_type_desc, ptr_words, 48);
FIELD_AT(gort_type_desc, retain, 56);
FIELD_AT(gort_type_desc, release, 64);
FIELD_AT(gort_type_desc, ctx, 72);
FIELD_AT(gort_type_desc, name, 80);
FIELD_AT(gort_type_desc, flags, 88);

FIELD_AT(gort_heap_stats, struct_size, 0);
FIELD_AT(gort_heap_stats, allocated, 8);
FIELD_AT(gort_heap_stats, active, 16);
FIELD_AT(gort_heap_stats, resident, 24);
FIELD_AT(gort_heap_stats, mapped, 32);
FIELD_AT(gort_heap_stats, live_blocks, 40);
FIELD_AT(gort_heap_stats, live_objects, 48);

FIELD_AT(gort_map_stats, struct_size, 0);
FIELD_AT(gort_map_stats, entries, 8);
FIELD_AT(gort_map_stats, tables, 16);
FIELD_AT(gort_map_stats, directory_len, 24);
FIELD_AT(gort_map_stats, global_depth, 32);
FIELD_AT(gort_map_stats, capacity, 40);
FIELD_AT(gort_map_stats, growth_left, 48);
FIELD_AT(gort_map_stats, tombstones, 56);
FIELD_AT(gort_map_stats, avg_probe, 64);
FIELD_AT(gort_map_stats, max_probe, 72);
FIELD_AT(gort_map_stats, bytes, 80);

/* ---- structs the caller allocates: size and layout frozen ---- */
FROZEN(sizeof(gort_map_iter) == 128);
FROZEN(_Alignof(gort_map_iter) == _Alignof(uint64_t));
FROZEN(sizeof(gort_select_case) == 24);
FIELD_AT(gort_select_case, chan, 0);
FIELD_AT(gort_select_case, op, 8);
FIELD_AT(gort_select_case, reserved, 12);
FIELD_AT(gort_select_case, value, 16);

#endif /* LP64 */
