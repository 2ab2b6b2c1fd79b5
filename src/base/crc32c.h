/* CRC32C (Castagnoli), the checksum of every WAL record, peer frame and
 * snapshot chunk. Uses the SSE4.2 instruction when the CPU has it. */
#ifndef CAIRN_BASE_CRC32C_H
#define CAIRN_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc over len bytes; start with crc = 0. crc32c(0, "123456789", 9)
 * is 0xE3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);
/* The portable path alone, so tests can compare it with the hardware one. */
uint32_t crc32c_software(uint32_t crc, const void *data, size_t len);

#endif
