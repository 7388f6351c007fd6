/*
 * A minimal TAP harness for libgort's unit and conformance tests: no dependency, so the
 * tests run unchanged under ASan, UBSan and Valgrind.
 *
 *   TEST(append_grows) { CHECK_EQ_SIZE(gort_slice_cap(s), 4); }
 *
 *   int main(void)
 *   {
 *       static const harness_test tests[] = {TEST_ENTRY(append_grows)};
 *       return harness_run(tests, HARNESS_COUNT(tests));
 *   }
 *
 * Each TEST is one TAP test point ("ok 3 - append_grows"). Checks do not stop the test
 * (jemalloc's expect_* style); each returns true when it held, so a test that cannot go
 * on writes `if (!CHECK_TRUE(s != NULL)) return;`. A failed check prints both operands
 * as a TAP diagnostic. The process exits non-zero if any test failed.
 */
#ifndef GORT_TEST_HARNESS_H
#define GORT_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gort.h"

typedef struct harness_test {
    const char *name;
    void (*run)(void);
} harness_test;

#define TEST(name) static void test_##name(void)
/* clang-format off */
#define TEST_ENTRY(name) {#name, test_##name}
/* clang-format on */
#define HARNESS_COUNT(tests) (sizeof(tests) / sizeof((tests)[0]))

/* Sanitizer builds: UBSan otherwise reports and carries on, so undefined behaviour would
 * scroll past in stderr while the test passes. The runtime reads this hook if defined
 * (harness.h is included by exactly one file per test program). */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

/* Failed checks in the test now running. */
static int harness_failed_checks;

static bool harness_report(bool held, const char *file, int line, const char *check,
                           const char *a, const char *b)
{
    if (!held) {
        harness_failed_checks++;
        printf("#   %s:%d: failed: %s(%s%s%s)\n", file, line, check, a, b ? ", " : "",
               b ? b : "");
    }
    return held;
}

static bool harness_eq_i64(long long a, long long b, const char *ea, const char *eb,
                           const char *file, int line)
{
    if (a == b)
        return true;
    harness_report(false, file, line, "CHECK_EQ_INT", ea, eb);
    printf("#     left:  %lld\n#     right: %lld\n", a, b);
    return false;
}

static bool harness_eq_u64(const char *check, unsigned long long a, unsigned long long b,
                           const char *ea, const char *eb, const char *file, int line)
{
    if (a == b)
        return true;
    harness_report(false, file, line, check, ea, eb);
    printf("#     left:  %llu (0x%llx)\n#     right: %llu (0x%llx)\n", a, a, b, b);
    return false;
}

static bool harness_eq_ptr(const void *a, const void *b, const char *ea, const char *eb,
                           const char *file, int line)
{
    if (a == b)
        return true;
    harness_report(false, file, line, "CHECK_EQ_PTR", ea, eb);
    printf("#     left:  %p\n#     right: %p\n", a, b);
    return false;
}

static bool harness_eq_str(const char *a, const char *b, const char *ea, const char *eb,
                           const char *file, int line)
{
    if (a && b && strcmp(a, b) == 0)
        return true;
    harness_report(false, file, line, "CHECK_EQ_STR", ea, eb);
    printf("#     left:  \"%s\"\n#     right: \"%s\"\n", a ? a : "(null)", b ? b : "(null)");
    return false;
}

static bool harness_eq_mem(const void *a, const void *b, size_t n, const char *ea,
                           const char *eb, const char *file, int line)
{
    if (n == 0 || memcmp(a, b, n) == 0)
        return true;
    harness_report(false, file, line, "CHECK_EQ_MEM", ea, eb);
    size_t at = 0;
    while (((const unsigned char *)a)[at] == ((const unsigned char *)b)[at])
        at++;
    printf("#     %zu bytes, first difference at byte %zu: 0x%02x != 0x%02x\n", n, at,
           ((const unsigned char *)a)[at], ((const unsigned char *)b)[at]);
    return false;
}

static bool harness_status(int got, int want, const char *expr, const char *want_expr,
                           const char *file, int line)
{
    if (got == want)
        return true;
    harness_report(false, file, line, "CHECK_STATUS", expr, want_expr);
    printf("#     got:    %d (%s)\n#     wanted: %d (%s)\n", got, gort_strerror(got), want,
           gort_strerror(want));
    return false;
}

#define CHECK_TRUE(cond)                                                                       \
    harness_report((cond) ? true : false, __FILE__, __LINE__, "CHECK_TRUE", #cond, NULL)
#define CHECK_EQ_INT(a, b)                                                                     \
    harness_eq_i64((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_SIZE(a, b)                                                                    \
    harness_eq_u64("CHECK_EQ_SIZE", (size_t)(a), (size_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_U64(a, b)                                                                     \
    harness_eq_u64("CHECK_EQ_U64", (uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_PTR(a, b)                                                                     \
    harness_eq_ptr((const void *)(a), (const void *)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_STR(a, b) harness_eq_str((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_MEM(a, b, n) harness_eq_mem((a), (b), (n), #a, #b, __FILE__, __LINE__)
#define CHECK_STATUS(expr, want)                                                               \
    harness_status((expr), (want), #expr, #want, __FILE__, __LINE__)
#define CHECK_OK(expr) CHECK_STATUS(expr, GORT_OK)

/* Runs every test in order, printing the TAP plan and one line per test. Returns the
 * process exit status: 0 when every test passed, 1 otherwise. */
static int harness_run(const harness_test *tests, size_t count)
{
    size_t failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("1..%zu\n", count);
    for (size_t i = 0; i < count; i++) {
        harness_failed_checks = 0;
        tests[i].run();
        if (harness_failed_checks)
            failed++;
        printf("%s %zu - %s\n", harness_failed_checks ? "not ok" : "ok", i + 1, tests[i].name);
    }
    if (failed)
        printf("# %zu of %zu tests failed\n", failed, count);
    return failed ? 1 : 0;
}

#endif /* GORT_TEST_HARNESS_H */
