/* The fuzzer's stand-in for libcurl (authn_transport.c). */
#ifndef FUZZ_AUTHN_TRANSPORT_H
#define FUZZ_AUTHN_TRANSPORT_H

#include "okta/http.h"

#include <stddef.h>

void fuzz_transport_reset(const char *data, size_t len);

#endif
