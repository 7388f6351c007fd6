/*
 * Status names and the library version.
 */
#include "internal.h"

const char *gort_strerror(int status)
{
    switch (status) {
    case GORT_OK: return "GORT_OK: success";
    case GORT_ENOMEM: return "GORT_ENOMEM: out of memory";
    case GORT_EINVAL: return "GORT_EINVAL: invalid argument";
    case GORT_ERANGE: return "GORT_ERANGE: index or size out of range";
    case GORT_ECLOSED: return "GORT_ECLOSED: channel closed";
    case GORT_EAGAIN: return "GORT_EAGAIN: operation would block";
    case GORT_ETIMEDOUT: return "GORT_ETIMEDOUT: deadline passed";
    case GORT_EOVERFLOW: return "GORT_EOVERFLOW: size computation overflows";
    case GORT_EBUSY: return "GORT_EBUSY: object in use";
    case GORT_ETYPE: return "GORT_ETYPE: type descriptor mismatch";
    default: return "unknown libgort status";
    }
}

uint32_t gort_version(void)
{
    return ((uint32_t)GORT_VERSION_MAJOR << 16) | ((uint32_t)GORT_VERSION_MINOR << 8) |
           (uint32_t)GORT_VERSION_PATCH;
}

const char *gort_version_string(void)
{
    return GORT_VERSION_STRING;
}
