/*
 * Swiss-table groups: one 8-byte control word, then 8 slots. Control byte i (byte i of
 * the little-endian word) says what slot i holds:
 *
 *   empty    1000 0000   (0x80)  never used since the last rehash or clear
 *   deleted  1111 1110   (0xFE)  a tombstone: only in full groups of tables
 *   full     0hhh hhhh           h = H2, the low 7 bits of the key's hash
 *
 * The match functions return a bitset with one marker per matching slot. With SSE2 the
 * marker is bit i (PCMPEQB + PMOVMSKB over the 8 control bytes); the portable SWAR
 * version keeps bit 7 of byte i, so slot numbers are ctz / 8. match_h2's SWAR version
 * may report a false positive in the byte after a true match (a ctrl value 2^k followed
 * by 2^k + 1), never on an empty or deleted slot; every candidate is key-compared, so
 * only speed depends on it (Go's analysis: < 1/8 extra compare per lookup).
 */
#ifndef GORT_MAP_GROUP_H
#define GORT_MAP_GROUP_H

#include <stdint.h>

#if defined(__SSE2__) && !defined(GORT_MAP_FORCE_SWAR)
#include <emmintrin.h>
#define GORT_MAP_SSE2 1
#else
#define GORT_MAP_SSE2 0
#endif

#define CTRL_EMPTY ((uint8_t)0x80)
#define CTRL_DELETED ((uint8_t)0xFE)
#define CTRL_GROUP_EMPTY UINT64_C(0x8080808080808080)
#define GROUP_SLOTS 8

typedef uint64_t ctrl_word;
typedef uint64_t slot_bits; /* a set of slots: see the banner for the encoding */

#define SWAR_LSB UINT64_C(0x0101010101010101)
#define SWAR_MSB UINT64_C(0x8080808080808080)

#if GORT_MAP_SSE2
static inline __m128i ctrl_vector(ctrl_word ctrl)
{
    return _mm_cvtsi64_si128((long long)ctrl);
}

static inline slot_bits match_byte(ctrl_word ctrl, uint8_t byte)
{
    /* the byte in each of the low 8 lanes: a multiply and a move, where _mm_set1_epi8
     * takes four shuffles on plain SSE2 */
    __m128i eq = _mm_cmpeq_epi8(ctrl_vector(ctrl), ctrl_vector(byte * SWAR_LSB));
    return (slot_bits)(_mm_movemask_epi8(eq) & 0xff);
}

static inline slot_bits match_h2(ctrl_word ctrl, uint8_t h2)
{
    return match_byte(ctrl, h2);
}

static inline slot_bits match_empty(ctrl_word ctrl)
{
    return match_byte(ctrl, CTRL_EMPTY);
}

static inline slot_bits match_empty_or_deleted(ctrl_word ctrl)
{
    return (slot_bits)(_mm_movemask_epi8(ctrl_vector(ctrl)) & 0xff);
}

static inline slot_bits match_full(ctrl_word ctrl)
{
    return match_empty_or_deleted(ctrl) ^ 0xff;
}

static inline unsigned slot_bits_first(slot_bits bits)
{
    return (unsigned)__builtin_ctzll(bits);
}

/* The bits of slots lo..hi-1 (0 <= lo < hi <= 8). */
static inline slot_bits slot_range(unsigned lo, unsigned hi)
{
    return ((UINT64_C(1) << hi) - 1) & ~((UINT64_C(1) << lo) - 1);
}
#else
static inline slot_bits match_h2(ctrl_word ctrl, uint8_t h2)
{
    uint64_t v = ctrl ^ (SWAR_LSB * h2);
    return ((v - SWAR_LSB) & ~v) & SWAR_MSB;
}

static inline slot_bits match_empty(ctrl_word ctrl)
{
    /* empty is the only encoding with bit 7 set and bit 1 clear */
    return (ctrl & ~(ctrl << 6)) & SWAR_MSB;
}

static inline slot_bits match_empty_or_deleted(ctrl_word ctrl)
{
    return ctrl & SWAR_MSB;
}

static inline slot_bits match_full(ctrl_word ctrl)
{
    return ~ctrl & SWAR_MSB;
}

static inline unsigned slot_bits_first(slot_bits bits)
{
    return (unsigned)__builtin_ctzll(bits) >> 3;
}

static inline slot_bits slot_range(unsigned lo, unsigned hi)
{
    uint64_t below_hi = hi == 8 ? ~UINT64_C(0) : (UINT64_C(1) << (hi * 8)) - 1;
    return below_hi & ~((UINT64_C(1) << (lo * 8)) - 1) & SWAR_MSB;
}
#endif

static inline slot_bits slot_bits_drop_first(slot_bits bits)
{
    return bits & (bits - 1);
}

static inline unsigned slot_bits_count(slot_bits bits)
{
    return (unsigned)__builtin_popcountll(bits);
}

static inline uint8_t ctrl_get(ctrl_word ctrl, unsigned slot)
{
    return (uint8_t)(ctrl >> (slot * 8));
}

static inline ctrl_word ctrl_set(ctrl_word ctrl, unsigned slot, uint8_t byte)
{
    return (ctrl & ~(UINT64_C(0xff) << (slot * 8))) | ((uint64_t)byte << (slot * 8));
}

#endif /* GORT_MAP_GROUP_H */
