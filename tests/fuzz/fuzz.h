/* SPDX-License-Identifier: MIT */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point; replay.c calls it for builds without -fsanitize=fuzzer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
