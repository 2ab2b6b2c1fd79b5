/* JSON (RFC 8259) for the HTTP API: a bounded parser into a small read-only DOM, and a writer
 * that appends to a struct buf. Strings always carry their length: they may contain NUL. */
#ifndef CAIRN_PROTO_JSON_H
#define CAIRN_PROTO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define JSON_DEPTH_MAX_DEFAULT 64
/* The deepest nesting a caller may configure: parsing and writing recurse once per level. */
#define JSON_DEPTH_MAX_LIMIT         512
#define JSON_INPUT_BYTES_MAX_DEFAULT (16u * 1024 * 1024)

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

struct json_member;

struct json_value {
    enum json_type type;
    union {
        int boolean; /* JSON_BOOL: 0 or 1 */
        /* JSON_NUMBER. is_int is 1 when the text had no fraction or exponent and fits int64;
         * then i holds it exactly and d is (double)i. Otherwise only d is set (nearest double,
         * from strtod in the C locale). */
        struct {
            int64_t i;
            double d;
            int is_int;
        } num;
        /* JSON_STRING: UTF-8, escapes decoded; NUL-terminated, but may contain NUL. */
        struct {
            const char *p;
            size_t len;
        } str;
        struct {
            const struct json_value *items;
            size_t n;
        } arr;
        struct {
            const struct json_member *members; /* in document order, duplicates kept */
            size_t n;
        } obj;
    } u;
};

struct json_member {
    const char *key; /* as str above */
    size_t key_len;
    struct json_value value;
};

struct json_limits {
    size_t depth_max;       /* 0: JSON_DEPTH_MAX_DEFAULT; at most JSON_DEPTH_MAX_LIMIT */
    size_t input_bytes_max; /* 0: JSON_INPUT_BYTES_MAX_DEFAULT */
};

struct json_arena_block;

/* A parsed document. Every value lives in the document's arena and stays valid until
 * json_doc_free. */
struct json_doc {
    const struct json_value *root;
    size_t error_offset; /* after a failed json_parse: byte offset of the error */
    /* private */
    struct json_arena_block *blocks;
};

/* Parses exactly one JSON text (surrounding whitespace allowed) from text[0..len); text need
 * not be NUL-terminated. lim may be NULL. Strict RFC 8259: no comments, trailing commas, BOM,
 * leading zeros, NaN; strings must be valid UTF-8 without raw control characters, and \u escapes
 * must form valid code points (a lone surrogate is an error). Returns
 *   0            doc->root set; free with json_doc_free
 *   ERR_MALFORMED syntax error: eb says what and doc->error_offset where
 *   ERR_TOOBIG   input longer than the limit, or nesting deeper than depth_max
 *   ERR_RANGE    a number beyond the double range (e.g. 1e400)
 *   ERR_NOMEM
 * On error nothing needs freeing (json_doc_free is still safe). */
int json_parse(struct json_doc *doc, const void *text, size_t len, const struct json_limits *lim,
               struct errbuf *eb);
void json_doc_free(struct json_doc *doc);

/* The member named key (key_len bytes) in obj, or NULL if obj is not an object or has none.
 * With duplicate names the last one wins, as in JavaScript. */
const struct json_value *json_object_getn(const struct json_value *obj, const char *key,
                                          size_t key_len);
/* json_object_getn with a NUL-terminated key. */
const struct json_value *json_object_get(const struct json_value *obj, const char *key);
/* Item i of an array, or NULL if arr is not an array or i is out of range. */
const struct json_value *json_array_at(const struct json_value *arr, size_t i);
/* Typed reads: 0, or ERR_INVAL if v is NULL or of another type (json_get_int64 also when the
 * number is not an integer that fits int64). */
int json_get_string(const struct json_value *v, const char **p, size_t *len);
int json_get_int64(const struct json_value *v, int64_t *out);
int json_get_double(const struct json_value *v, double *out);
int json_get_bool(const struct json_value *v, int *out);

/* Length of the well-formed UTF-8 sequence at p[0..n) (1..4), or 0 if the bytes there are not
 * one (overlong, surrogate, beyond U+10FFFF, truncated, stray continuation byte). */
size_t json_utf8_seq_len(const uint8_t *p, size_t n);
/* 1 if p[0..n) is entirely well-formed UTF-8. */
int json_utf8_valid(const void *p, size_t n);

/* ---- Writer ---- */

/* Appends JSON to out. Calls are checked for shape (a key only inside an object, a value after
 * each key, ends matching begins) by ASSERT: misuse is a programming error. Allocation failure
 * or nesting beyond JSON_DEPTH_MAX_LIMIT is sticky: later calls do nothing and json_writer_finish
 * returns it.
 *
 * Strings: '"', '\\' and control characters below 0x20 are escaped (\n, \t, ... or \u00XX);
 * everything else is copied as UTF-8. Bytes that are not well-formed UTF-8 are replaced, one
 * U+FFFD per invalid byte, so the output is always valid JSON — binary data must be encoded
 * (base64, hex) by the caller; check with json_utf8_valid. Doubles are written in the shortest
 * form that reads back to the same value, with ".0" added to integral ones so they stay doubles;
 * NaN and infinities, which JSON cannot express, are written as null. */
struct json_writer {
    struct buf *out;
    int err;
    size_t depth;
    int after_key;
    int done; /* a complete top-level value was written */
    /* per level: bit 0 = object (else array), bit 1 = has an element */
    uint8_t levels[JSON_DEPTH_MAX_LIMIT];
};

void json_writer_init(struct json_writer *w, struct buf *out);
void json_write_object_begin(struct json_writer *w);
void json_write_object_end(struct json_writer *w);
void json_write_array_begin(struct json_writer *w);
void json_write_array_end(struct json_writer *w);
void json_write_key(struct json_writer *w, const char *key); /* NUL-terminated */
void json_write_keyn(struct json_writer *w, const char *key, size_t len);
void json_write_str(struct json_writer *w, const char *s, size_t len);
void json_write_cstr(struct json_writer *w, const char *s);
void json_write_int64(struct json_writer *w, int64_t v);
void json_write_uint64(struct json_writer *w, uint64_t v);
void json_write_double(struct json_writer *w, double v);
void json_write_bool(struct json_writer *w, int v);
void json_write_null(struct json_writer *w);
/* Writes a DOM value (e.g. from json_parse) recursively. */
void json_write_value(struct json_writer *w, const struct json_value *v);
/* Returns 0 once exactly one complete value was written, else the sticky error (ERR_NOMEM,
 * ERR_TOOBIG). ASSERTs that every begin was ended. */
int json_writer_finish(struct json_writer *w);
/* Appends s[0..len) as a quoted, escaped JSON string (the writer's rules) with no shape checks. */
int json_append_string(struct buf *out, const char *s, size_t len);

#endif
