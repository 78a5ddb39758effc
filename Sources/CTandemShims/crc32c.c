/* CRC32c (Castagnoli) with the SSE4.2 crc32 instruction, for SCTP's checksum (RFC 9260 §6.8).
   Intrinsics are not importable into Swift; the table-driven Swift code is used where this is absent. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "CTandemShims.h"

#if defined(__x86_64__)
#include <nmmintrin.h>

int tandem_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t tandem_crc32c_hardware_update(uint32_t crc, const void *data, size_t length) {
    const uint8_t *bytes = data;
    uint64_t value = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        value = _mm_crc32_u64(value, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t result = (uint32_t)value;
    while (length > 0) {
        result = _mm_crc32_u8(result, *bytes);
        bytes += 1;
        length -= 1;
    }
    return result;
}
#else
int tandem_crc32c_hardware_available(void) { return 0; }
uint32_t tandem_crc32c_hardware_update(uint32_t crc, const void *data, size_t length) { (void)data; (void)length; return crc; }
#endif
