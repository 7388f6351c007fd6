/* The public header must compile alone as C99 -pedantic -Werror (see meson.build). */
#include <gort.h>

int main(void)
{
    /* Frozen values: status codes are never renumbered. */
    return GORT_ETYPE == -9 && GORT_KIND_STR == 14 && gort_version() != 0 ? 0 : 1;
}
