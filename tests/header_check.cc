// The public header must compile alone as C++ -pedantic -Werror (see meson.build).
#include <gort.h>

int main()
{
    gort_slice *s = nullptr;
    return gort_slice_len(s) == 0 && gort_version() >> 16 == GORT_VERSION_MAJOR ? 0 : 1;
}
