/* Shared declarations for Cairn's fuzz drivers: each driver defines LLVMFuzzerTestOneInput and a
 * dictionary of tokens; fuzz_main.c runs them without libFuzzer (seed corpus + mutations). */
#ifndef CAIRN_FUZZ_H
#define CAIRN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tokens the standalone mutator splices in (format keywords, delimiters). */
extern const char *const fuzz_dict[];
extern const size_t fuzz_dict_len;

/* A property of the code under test does not hold: reports, saves the input, aborts. */
_Noreturn void fuzz_fail(const uint8_t *data, size_t size, const char *what);

#endif
