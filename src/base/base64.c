/* Base64 encoding and strict decoding. */
#include "base/base64.h"

#include "base/err.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(struct buf *out, const void *p, size_t n)
{
    const uint8_t *s = p;
    int rc = buf_reserve(out, (n + 2) / 3 * 4);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {base64_alphabet[v >> 18], base64_alphabet[(v >> 12) & 63],
                     i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=',
                     i + 2 < n ? base64_alphabet[v & 63] : '='};
        buf_append(out, q, 4);
    }
    return 0;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int base64_decode(struct buf *out, const char *s, size_t n)
{
    if (n % 4 != 0)
        return ERR_MALFORMED;
    for (size_t i = 0; i < n; i += 4) {
        int pad = (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=');
        if (pad > 0 && i + 4 != n)
            return ERR_MALFORMED;
        uint32_t v = 0;
        for (int k = 0; k < 4 - pad; k++) {
            int d = base64_value(s[i + k]);
            if (d < 0)
                return ERR_MALFORMED;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        int rc = buf_append(out, b, (size_t)(3 - pad));
        if (rc != 0)
            return rc;
    }
    return 0;
}
