/* Fuzz driver for the JSON parser and writer. Properties checked: no crash or sanitizer report;
 * errors are ERR_MALFORMED / ERR_TOOBIG / ERR_RANGE with an offset inside the input; whatever
 * parses writes out as valid UTF-8 JSON that parses again and writes out identically; any byte
 * string written as a JSON string reads back as itself when it is valid UTF-8. */
#include "fuzz.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/http/json.h"

const char *const fuzz_dict[] = {
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "\\u",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\udc00",
    "\\u0000",
    "true",
    "false",
    "null",
    "-0",
    "1e308",
    "1e-400",
    "9223372036854775808",
    "-9223372036854775809",
    "0.1",
    "\xc3\xa9",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\"ops\"",
    "{\"a\":",
    "[[[[[[[[",
    "]]]]]]]]",
};
const size_t fuzz_dict_len = sizeof fuzz_dict / sizeof fuzz_dict[0];

static int write_doc(const struct json_value *v, struct buf *out)
{
    struct json_writer w;
    json_writer_init(&w, out);
    json_write_value(&w, v);
    return json_writer_finish(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t depths[] = {0, 8, JSON_DEPTH_MAX_LIMIT};
    for (size_t k = 0; k < sizeof depths / sizeof depths[0]; k++) {
        struct json_limits lim = {.depth_max = depths[k]};
        struct json_doc doc;
        struct errbuf eb;
        int rc = json_parse(&doc, data, size, &lim, &eb);
        if (rc != 0) {
            if (rc != ERR_MALFORMED && rc != ERR_TOOBIG && rc != ERR_RANGE)
                fuzz_fail(data, size, "unexpected error code");
            if (doc.error_offset > size || doc.root != NULL)
                fuzz_fail(data, size, "error offset outside the input");
            continue;
        }
        struct buf t1 = BUF_INIT, t2 = BUF_INIT;
        if (write_doc(doc.root, &t1) != 0)
            fuzz_fail(data, size, "writing a parsed document failed");
        json_doc_free(&doc);
        if (!json_utf8_valid(t1.data, t1.len))
            fuzz_fail(data, size, "writer produced invalid UTF-8");
        struct json_limits deep = {.depth_max = JSON_DEPTH_MAX_LIMIT};
        if (json_parse(&doc, t1.data, t1.len, &deep, &eb) != 0)
            fuzz_fail(data, size, "written document does not parse");
        if (write_doc(doc.root, &t2) != 0)
            fuzz_fail(data, size, "writing a reparsed document failed");
        json_doc_free(&doc);
        if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len) != 0)
            fuzz_fail(data, size, "write(parse(write(x))) differs from write(x)");
        buf_free(&t1);
        buf_free(&t2);
    }

    /* The input as a string value. */
    struct buf s = BUF_INIT;
    if (json_append_string(&s, (const char *)data, size) != 0)
        fuzz_fail(data, size, "json_append_string failed");
    struct json_doc doc;
    struct errbuf eb;
    if (json_parse(&doc, s.data, s.len, NULL, &eb) != 0)
        fuzz_fail(data, size, "an escaped string does not parse");
    const char *p;
    size_t n;
    if (json_get_string(doc.root, &p, &n) != 0 || !json_utf8_valid(p, n))
        fuzz_fail(data, size, "an escaped string reads back as something else");
    if (json_utf8_valid(data, size) && (n != size || (n > 0 && memcmp(p, data, n) != 0)))
        fuzz_fail(data, size, "valid UTF-8 did not survive escaping");
    json_doc_free(&doc);
    buf_free(&s);
    return 0;
}
