/*
 * Tests of src/base.c: status codes and their names, and the version numbers.
 */
#include <limits.h>
#include <stdio.h>

#include "harness.h"

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The ABI promises fixed numbers (include/gort/base.h): a code is never renumbered. */
TEST(status_codes_have_their_fixed_values)
{
    CHECK_EQ_INT(GORT_OK, 0);
    CHECK_EQ_INT(GORT_ENOMEM, -1);
    CHECK_EQ_INT(GORT_EINVAL, -2);
    CHECK_EQ_INT(GORT_ERANGE, -3);
    CHECK_EQ_INT(GORT_ECLOSED, -4);
    CHECK_EQ_INT(GORT_EAGAIN, -5);
    CHECK_EQ_INT(GORT_ETIMEDOUT, -6);
    CHECK_EQ_INT(GORT_EOVERFLOW, -7);
    CHECK_EQ_INT(GORT_EBUSY, -8);
    CHECK_EQ_INT(GORT_ETYPE, -9);
}

TEST(strerror_names_every_code)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        {GORT_OK, "GORT_OK: "},
        {GORT_ENOMEM, "GORT_ENOMEM: "},
        {GORT_EINVAL, "GORT_EINVAL: "},
        {GORT_ERANGE, "GORT_ERANGE: "},
        {GORT_ECLOSED, "GORT_ECLOSED: "},
        {GORT_EAGAIN, "GORT_EAGAIN: "},
        {GORT_ETIMEDOUT, "GORT_ETIMEDOUT: "},
        {GORT_EOVERFLOW, "GORT_EOVERFLOW: "},
        {GORT_EBUSY, "GORT_EBUSY: "},
        {GORT_ETYPE, "GORT_ETYPE: "},
    };
    for (size_t i = 0; i < HARNESS_COUNT(codes); i++) {
        const char *text = gort_strerror(codes[i].code);
        if (!CHECK_TRUE(text != NULL))
            continue;
        CHECK_TRUE(starts_with(text, codes[i].name));
        CHECK_TRUE(strlen(text) > strlen(codes[i].name)); /* and a description */
    }
}

TEST(strerror_descriptions_are_distinct)
{
    for (int a = GORT_ETYPE; a <= GORT_OK; a++)
        for (int b = a + 1; b <= GORT_OK; b++)
            CHECK_TRUE(strcmp(gort_strerror(a), gort_strerror(b)) != 0);
}

TEST(strerror_of_unknown_code_is_unknown_not_null)
{
    const int unknown[] = {1, 42, -10, -100, INT_MIN, INT_MAX};
    for (size_t i = 0; i < HARNESS_COUNT(unknown); i++)
        CHECK_EQ_STR(gort_strerror(unknown[i]), "unknown libgort status");
}

TEST(version_number_agrees_with_macros)
{
    uint32_t want = ((uint32_t)GORT_VERSION_MAJOR << 16) | ((uint32_t)GORT_VERSION_MINOR << 8) |
                    (uint32_t)GORT_VERSION_PATCH;
    CHECK_EQ_U64(gort_version(), want);
    CHECK_EQ_U64(gort_version() >> 16, GORT_VERSION_MAJOR);
    CHECK_EQ_U64((gort_version() >> 8) & 0xff, GORT_VERSION_MINOR);
    CHECK_EQ_U64(gort_version() & 0xff, GORT_VERSION_PATCH);
}

TEST(version_string_agrees_with_macros)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", GORT_VERSION_MAJOR, GORT_VERSION_MINOR,
             GORT_VERSION_PATCH);
    CHECK_EQ_STR(gort_version_string(), want);
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(status_codes_have_their_fixed_values),
        TEST_ENTRY(strerror_names_every_code),
        TEST_ENTRY(strerror_descriptions_are_distinct),
        TEST_ENTRY(strerror_of_unknown_code_is_unknown_not_null),
        TEST_ENTRY(version_number_agrees_with_macros),
        TEST_ENTRY(version_string_agrees_with_macros),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}
