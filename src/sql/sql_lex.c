/* The SQL lexer: PostgreSQL 15's scan.l rules (standard_conforming_strings on) — identifiers
 * folded and truncated, '' and E'' and $$ strings, B'' X'' bit strings, numbers, $n, operators
 * split the way PostgreSQL splits them, -- and nested comments. */
#include <string.h>

#include "base/err.h"
#include "sql/sql_int.h"

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_cont(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_op_char(unsigned char c)
{
    return c != '\0' && strchr("~!@#^&|`?+-*/%<>=", c) != NULL;
}

static int lex_error(struct sql_lexer *lx, struct sql_error *err, int rc, const char *state,
                     int loc, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int lex_error(struct sql_lexer *lx, struct sql_error *err, int rc, const char *state,
                     int loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sql_err_vset(err, rc, state, lx->text, lx->len, loc, fmt, ap);
    va_end(ap);
    return rc;
}

/* PostgreSQL's "unterminated ... at or near" shows the rest of the input from the token. */
static int lex_unterminated(struct sql_lexer *lx, struct sql_error *err, const char *what,
                            int start)
{
    int shown = (int)lx->len - start;
    if (shown > 64)
        shown = 64;
    return lex_error(lx, err, ERR_MALFORMED, "42601", start, "unterminated %s at or near \"%.*s\"",
                     what, shown, lx->text + start);
}

static int nomem(struct sql_lexer *lx, struct sql_error *err)
{
    return lex_error(lx, err, ERR_TOOBIG, "54000", -1, "statement is too large to parse");
}

/* Cuts a name to SQL_IDENT_BYTES_MAX bytes on a UTF-8 character boundary. */
static size_t clip_ident(const char *s, size_t n)
{
    if (n <= SQL_IDENT_BYTES_MAX)
        return n;
    n = SQL_IDENT_BYTES_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

int sql_check_encoding(const char *text, size_t len, struct sql_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        uint32_t cp;
        if (c == 0)
            goto bad;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            goto bad;
        }
        if (len - i <= need)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            goto bad;
        i += need + 1;
        continue;
    bad:
        return sql_err_set(err, ERR_MALFORMED, "22021", NULL, 0, -1,
                           "invalid byte sequence for encoding \"UTF8\": 0x%02x", s[i]);
    }
    return 0;
}

/* Skips whitespace and comments. Returns 0 or an error (unterminated comment). */
static int skip_space(struct sql_lexer *lx, struct sql_error *err)
{
    const char *s = lx->text;
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)s[lx->pos];
        if (is_space(c)) {
            lx->pos++;
        } else if (c == '-' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '-') {
            while (lx->pos < lx->len && s[lx->pos] != '\n' && s[lx->pos] != '\r')
                lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
            size_t start = lx->pos;
            size_t depth = 0;
            while (lx->pos < lx->len) {
                if (lx->pos + 1 < lx->len && s[lx->pos] == '/' && s[lx->pos + 1] == '*') {
                    depth++;
                    lx->pos += 2;
                } else if (lx->pos + 1 < lx->len && s[lx->pos] == '*' && s[lx->pos + 1] == '/') {
                    depth--;
                    lx->pos += 2;
                    if (depth == 0)
                        break;
                } else {
                    lx->pos++;
                }
            }
            if (depth != 0)
                return lex_unterminated(lx, err, "/* comment", (int)start);
        } else {
            break;
        }
    }
    return 0;
}

/* After a closing quote: PostgreSQL continues a string literal with the next one when only
 * whitespace containing a newline (and comments) separates them. Returns the position of the
 * next opening quote, or 0 when the literal ends here. */
static size_t string_continues(const struct sql_lexer *lx, size_t pos)
{
    const char *s = lx->text;
    bool newline = false;
    while (pos < lx->len) {
        char c = s[pos];
        if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
            pos++;
        } else if (c == '\n' || c == '\r') {
            newline = true;
            pos++;
        } else if (c == '-' && pos + 1 < lx->len && s[pos + 1] == '-' && newline) {
            while (pos < lx->len && s[pos] != '\n' && s[pos] != '\r')
                pos++;
        } else {
            break;
        }
    }
    return (newline && pos < lx->len && s[pos] == '\'') ? pos : 0;
}

static int append_utf8(struct buf *b, uint32_t cp)
{
    uint8_t out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (uint8_t)(0xF0 | (cp >> 18));
        out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(b, out, n);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads n hex digits at s[*pos] into *cp. */
static bool read_hex(const struct sql_lexer *lx, size_t *pos, int n, uint32_t *cp)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        if (*pos >= lx->len || hexval(lx->text[*pos]) < 0)
            return false;
        v = (v << 4) | (uint32_t)hexval(lx->text[(*pos)++]);
    }
    *cp = v;
    return true;
}

/* A quoted string starting at lx->pos (the opening quote). escapes: E'' backslash escapes.
 * Decoded bytes go to b. */
static int lex_quoted(struct sql_lexer *lx, struct sql_error *err, int start, bool escapes,
                      struct buf *b)
{
    const char *s = lx->text;
    size_t pos = lx->pos + 1;
    for (;;) {
        if (pos >= lx->len)
            return lex_unterminated(lx, err, "quoted string", start);
        char c = s[pos];
        if (c == '\'') {
            if (pos + 1 < lx->len && s[pos + 1] == '\'') {
                if (buf_append(b, "'", 1) != 0)
                    return nomem(lx, err);
                pos += 2;
                continue;
            }
            size_t next = string_continues(lx, pos + 1);
            if (next != 0) {
                pos = next + 1;
                continue;
            }
            lx->pos = pos + 1;
            break;
        }
        if (c == '\\' && escapes) {
            if (pos + 1 >= lx->len)
                return lex_unterminated(lx, err, "quoted string", start);
            char e = s[pos + 1];
            int esc_loc = (int)pos;
            pos += 2;
            uint8_t byte;
            switch (e) {
            case 'b':
                byte = '\b';
                break;
            case 'f':
                byte = '\f';
                break;
            case 'n':
                byte = '\n';
                break;
            case 'r':
                byte = '\r';
                break;
            case 't':
                byte = '\t';
                break;
            case 'x': {
                int h1 = pos < lx->len ? hexval(s[pos]) : -1;
                if (h1 < 0) {
                    byte = 'x';
                    break;
                }
                pos++;
                int h2 = pos < lx->len ? hexval(s[pos]) : -1;
                if (h2 >= 0) {
                    pos++;
                    byte = (uint8_t)(h1 * 16 + h2);
                } else {
                    byte = (uint8_t)h1;
                }
                break;
            }
            case 'u':
            case 'U': {
                uint32_t cp;
                if (!read_hex(lx, &pos, e == 'u' ? 4 : 8, &cp))
                    return lex_error(lx, err, ERR_MALFORMED, "22025", esc_loc,
                                     "invalid Unicode escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    /* A high surrogate must be followed by \u of a low one. */
                    uint32_t lo;
                    if (pos + 1 < lx->len && s[pos] == '\\' &&
                        (s[pos + 1] == 'u' || s[pos + 1] == 'U')) {
                        size_t p2 = pos + 2;
                        if (read_hex(lx, &p2, s[pos + 1] == 'u' ? 4 : 8, &lo) && lo >= 0xDC00 &&
                            lo <= 0xDFFF) {
                            pos = p2;
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            goto have_cp;
                        }
                    }
                    return lex_error(lx, err, ERR_MALFORMED, "22P06", esc_loc,
                                     "invalid Unicode surrogate pair");
                }
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return lex_error(lx, err, ERR_MALFORMED, "22P06", esc_loc,
                                     "invalid Unicode surrogate pair");
            have_cp:
                if (cp == 0 || cp > 0x10FFFF)
                    return lex_error(lx, err, ERR_MALFORMED, "22025", esc_loc,
                                     "invalid Unicode escape value");
                if (append_utf8(b, cp) != 0)
                    return nomem(lx, err);
                continue;
            }
            default:
                if (e >= '0' && e <= '7') {
                    unsigned v = (unsigned)(e - '0');
                    for (int k = 0; k < 2 && pos < lx->len && s[pos] >= '0' && s[pos] <= '7'; k++)
                        v = v * 8 + (unsigned)(s[pos++] - '0');
                    byte = (uint8_t)v;
                } else {
                    /* \\, \', and any other character stand for themselves; a multibyte
                     * character is copied whole by the next iterations. */
                    if (((unsigned char)e & 0x80) != 0) {
                        pos--;
                        continue;
                    }
                    byte = (uint8_t)e;
                }
                break;
            }
            if (buf_append(b, &byte, 1) != 0)
                return nomem(lx, err);
            continue;
        }
        if (buf_append(b, &s[pos], 1) != 0)
            return nomem(lx, err);
        pos++;
    }
    if (escapes) {
        /* Escapes can produce any bytes: the value must still be UTF-8 without NUL. */
        struct sql_error e2;
        if (sql_check_encoding((const char *)b->data, b->len, &e2) != 0)
            return lex_error(lx, err, ERR_MALFORMED, "22021", start, "%s", e2.message);
    }
    return 0;
}

static int finish_string(struct sql_lexer *lx, struct sql_error *err, struct sql_token *t,
                         struct buf *b)
{
    char *s = sql_arena_strndup(lx->arena, b->len ? (const char *)b->data : "", b->len);
    size_t n = b->len;
    buf_free(b);
    if (s == NULL)
        return nomem(lx, err);
    t->str = s;
    t->len = n;
    return 0;
}

static int lex_dollar(struct sql_lexer *lx, struct sql_error *err, struct sql_token *t)
{
    const char *s = lx->text;
    size_t start = lx->pos;
    size_t p = start + 1;
    while (p < lx->len && s[p] != '$' && is_ident_cont((unsigned char)s[p]))
        p++;
    if (p >= lx->len || s[p] != '$')
        return 1; /* not a delimiter */
    size_t dlen = p + 1 - start;
    const char *delim = s + start;
    size_t body = p + 1;
    for (size_t q = body; q + dlen <= lx->len; q++) {
        if (s[q] == '$' && memcmp(s + q, delim, dlen) == 0) {
            t->kind = SQL_TOK_STRING;
            char *v = sql_arena_strndup(lx->arena, s + body, q - body);
            if (v == NULL)
                return nomem(lx, err);
            t->str = v;
            t->len = q - body;
            lx->pos = q + dlen;
            return 0;
        }
    }
    return lex_unterminated(lx, err, "dollar-quoted string", (int)start);
}

static int lex_number(struct sql_lexer *lx, struct sql_error *err, struct sql_token *t)
{
    const char *s = lx->text;
    size_t p = lx->pos;
    bool is_int = true;
    while (p < lx->len && is_digit((unsigned char)s[p]))
        p++;
    /* "1..5" is 1 then "..": a dot starts a fraction only when not followed by another dot. */
    if (p < lx->len && s[p] == '.' && !(p + 1 < lx->len && s[p + 1] == '.')) {
        is_int = false;
        p++;
        while (p < lx->len && is_digit((unsigned char)s[p]))
            p++;
    }
    if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (s[q] == '+' || s[q] == '-'))
            q++;
        if (q < lx->len && is_digit((unsigned char)s[q])) {
            is_int = false;
            while (q < lx->len && is_digit((unsigned char)s[q]))
                q++;
            p = q;
        }
    }
    size_t n = p - lx->pos;
    char *v = sql_arena_strndup(lx->arena, s + lx->pos, n);
    if (v == NULL)
        return nomem(lx, err);
    t->str = v;
    t->len = n;
    t->kind = SQL_TOK_NUMERIC;
    if (is_int) {
        uint64_t acc = 0;
        bool overflow = false;
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(v[i] - '0');
            if (acc > (UINT64_C(9223372036854775807) - d) / 10) {
                overflow = true;
                break;
            }
            acc = acc * 10 + d;
        }
        if (!overflow) {
            t->kind = SQL_TOK_INT;
            t->ival = (int64_t)acc;
        }
    }
    lx->pos = p;
    return 0;
}

/* PostgreSQL's operator rule: a run of operator characters, cut at a comment start, and a
 * trailing + or - dropped unless the operator has a character SQL's own operators lack (so
 * "=-1" is "=" then "-"). */
static void lex_operator(struct sql_lexer *lx, struct sql_token *t)
{
    const char *s = lx->text + lx->pos;
    size_t n = 0;
    while (lx->pos + n < lx->len && is_op_char((unsigned char)s[n]))
        n++;
    for (size_t i = 1; i + 1 < n; i++) {
        if ((s[i] == '/' && s[i + 1] == '*') || (s[i] == '-' && s[i + 1] == '-')) {
            n = i;
            break;
        }
    }
    if (n > 1 && (s[n - 1] == '+' || s[n - 1] == '-')) {
        bool keep = false;
        for (size_t i = 0; i + 1 < n; i++)
            if (strchr("~!@#^&|`?%", s[i]) != NULL)
                keep = true;
        if (!keep) {
            do {
                n--;
            } while (n > 1 && (s[n - 1] == '+' || s[n - 1] == '-'));
        }
    }
    lx->pos += n;
    t->str = NULL;
    t->len = n;
    if (n == 1 && strchr("+-*/%^<>=", s[0]) != NULL) {
        t->kind = (unsigned char)s[0];
        return;
    }
    if (n == 2) {
        if (s[0] == '=' && s[1] == '>') {
            t->kind = SQL_TOK_EQUALS_GREATER;
            return;
        }
        if (s[0] == '<' && s[1] == '=') {
            t->kind = SQL_TOK_LESS_EQUALS;
            return;
        }
        if (s[0] == '>' && s[1] == '=') {
            t->kind = SQL_TOK_GREATER_EQUALS;
            return;
        }
        if ((s[0] == '<' && s[1] == '>') || (s[0] == '!' && s[1] == '=')) {
            t->kind = SQL_TOK_NOT_EQUALS;
            return;
        }
    }
    t->kind = SQL_TOK_OP;
}

/* U&'...': in the string's text (quotes already undone), a backslash and 4 hex digits (\00e9)
 * or a backslash, + and 6 hex digits (\+01f600) are Unicode code points (a surrogate pair as
 * two), and \\ is a backslash. The value goes to out. */
static int lex_unicode_escapes(struct sql_lexer *lx, struct sql_error *err, int start,
                               const struct buf *raw, struct buf *out)
{
    const char *s = raw->data ? (const char *)raw->data : "";
    size_t n = raw->len, pos = 0;
    uint32_t high = 0; /* a high surrogate waiting for its low half */
    while (pos < n) {
        if (s[pos] != '\\') {
            if (high != 0)
                break;
            if (buf_append(out, &s[pos++], 1) != 0)
                return nomem(lx, err);
            continue;
        }
        if (pos + 1 < n && s[pos + 1] == '\\' && high == 0) {
            if (buf_append(out, "\\", 1) != 0)
                return nomem(lx, err);
            pos += 2;
            continue;
        }
        size_t digits = pos + 1 < n && s[pos + 1] == '+' ? 6 : 4;
        size_t at = pos + (digits == 6 ? 2 : 1);
        uint32_t cp = 0;
        for (size_t k = 0; k < digits; k++) {
            int h = at + k < n ? hexval(s[at + k]) : -1;
            if (h < 0)
                return lex_error(lx, err, ERR_MALFORMED, "22025", start,
                                 "invalid Unicode escape: a backslash takes 4 hexadecimal "
                                 "digits (\\00e9) or + and 6 (\\+01f600)");
            cp = cp * 16 + (uint32_t)h;
        }
        pos = at + digits;
        if (high != 0) {
            if (cp < 0xDC00 || cp > 0xDFFF)
                break;
            cp = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00);
            high = 0;
        } else if (cp >= 0xD800 && cp <= 0xDBFF) {
            high = cp;
            continue;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            break;
        }
        if (cp == 0 || cp > 0x10FFFF)
            return lex_error(lx, err, ERR_MALFORMED, "22025", start, "invalid Unicode escape value");
        if (append_utf8(out, cp) != 0)
            return nomem(lx, err);
    }
    if (pos < n || high != 0)
        return lex_error(lx, err, ERR_MALFORMED, "22P06", start, "invalid Unicode surrogate pair");
    return 0;
}

int sql_lex_next(struct sql_lexer *lx, struct sql_token *t, struct sql_error *err)
{
    memset(t, 0, sizeof *t);
    int rc = skip_space(lx, err);
    if (rc != 0)
        return rc;
    const char *s = lx->text;
    t->loc = (int)lx->pos;
    if (lx->pos >= lx->len) {
        t->kind = SQL_TOK_EOF;
        t->end = t->loc;
        return 0;
    }
    unsigned char c = (unsigned char)s[lx->pos];
    unsigned char c1 = lx->pos + 1 < lx->len ? (unsigned char)s[lx->pos + 1] : 0;
    struct buf b = BUF_INIT;

    if (c == '\'' || ((c == 'e' || c == 'E' || c == 'n' || c == 'N') && c1 == '\'')) {
        bool esc = (c == 'e' || c == 'E');
        if (c != '\'')
            lx->pos++;
        rc = lex_quoted(lx, err, t->loc, esc, &b);
        if (rc == 0)
            rc = finish_string(lx, err, t, &b);
        buf_free(&b);
        t->kind = SQL_TOK_STRING;
    } else if ((c == 'u' || c == 'U') && c1 == '&' && lx->pos + 2 < lx->len &&
               s[lx->pos + 2] == '\'') {
        struct buf raw = BUF_INIT;
        lx->pos += 2;
        rc = lex_quoted(lx, err, t->loc, false, &raw);
        if (rc == 0)
            rc = lex_unicode_escapes(lx, err, t->loc, &raw, &b);
        if (rc == 0)
            rc = finish_string(lx, err, t, &b);
        buf_free(&raw);
        buf_free(&b);
        t->kind = SQL_TOK_STRING;
    } else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X') && c1 == '\'') {
        bool hex = (c == 'x' || c == 'X');
        lx->pos++;
        if (buf_append_u8(&b, hex ? 'x' : 'b') != 0) {
            rc = nomem(lx, err);
        } else {
            rc = lex_quoted(lx, err, t->loc, false, &b);
            for (size_t i = 1; rc == 0 && i < b.len; i++) {
                char d = (char)b.data[i];
                if (hex ? hexval(d) < 0 : (d != '0' && d != '1'))
                    rc = lex_error(lx, err, ERR_MALFORMED, "22P02", t->loc,
                                   "\"%c\" is not a valid %s digit", d,
                                   hex ? "hexadecimal" : "binary");
            }
            if (rc == 0)
                rc = finish_string(lx, err, t, &b);
        }
        buf_free(&b);
        t->kind = SQL_TOK_BITS;
    } else if (c == '"') {
        size_t p = lx->pos + 1;
        for (;;) {
            if (p >= lx->len) {
                rc = lex_unterminated(lx, err, "quoted identifier", t->loc);
                break;
            }
            if (s[p] == '"') {
                if (p + 1 < lx->len && s[p + 1] == '"') {
                    if (buf_append(&b, "\"", 1) != 0) {
                        rc = nomem(lx, err);
                        break;
                    }
                    p += 2;
                    continue;
                }
                lx->pos = p + 1;
                break;
            }
            if (buf_append(&b, &s[p], 1) != 0) {
                rc = nomem(lx, err);
                break;
            }
            p++;
        }
        if (rc == 0 && b.len == 0)
            rc = lex_error(lx, err, ERR_MALFORMED, "42601", t->loc,
                           "zero-length delimited identifier at or near \"\"\"\"");
        if (rc == 0) {
            b.len = clip_ident((const char *)b.data, b.len);
            rc = finish_string(lx, err, t, &b);
        }
        buf_free(&b);
        t->kind = SQL_TOK_IDENT;
        t->quoted = true;
    } else if (is_ident_start(c)) {
        size_t p = lx->pos;
        while (p < lx->len && is_ident_cont((unsigned char)s[p]))
            p++;
        size_t n = p - lx->pos;
        t->kind = SQL_TOK_IDENT;
        t->kw = sql_keyword_lookup(s + lx->pos, n);
        if (t->kw != SQL_KW_NONE) {
            t->str = sql_keywords[t->kw].text;
            t->len = n;
        } else {
            size_t m = clip_ident(s + lx->pos, n);
            char *v = sql_arena_strndup(lx->arena, s + lx->pos, m);
            if (v == NULL) {
                rc = nomem(lx, err);
            } else {
                for (size_t i = 0; i < m; i++)
                    if (v[i] >= 'A' && v[i] <= 'Z')
                        v[i] = (char)(v[i] + ('a' - 'A'));
                t->str = v;
                t->len = m;
            }
        }
        lx->pos = p;
    } else if (is_digit(c) || (c == '.' && is_digit(c1))) {
        rc = lex_number(lx, err, t);
    } else if (c == '$') {
        if (is_digit(c1)) {
            size_t p = lx->pos + 1;
            int64_t v = 0;
            while (p < lx->len && is_digit((unsigned char)s[p])) {
                if (v <= SQL_PARAM_MAX)
                    v = v * 10 + (s[p] - '0');
                p++;
            }
            lx->pos = p;
            t->kind = SQL_TOK_PARAM;
            t->ival = v;
            if (v < 1 || v > SQL_PARAM_MAX)
                rc = lex_error(lx, err, ERR_MALFORMED, "42P02", t->loc,
                               "there is no parameter $%.*s", (int)(p - (size_t)t->loc - 1),
                               s + t->loc + 1);
        } else {
            rc = lex_dollar(lx, err, t);
            if (rc > 0) {
                /* A lone '$': the parser reports it. */
                rc = 0;
                lx->pos++;
                t->kind = '$';
            }
        }
    } else if (c == ':' && c1 == ':') {
        lx->pos += 2;
        t->kind = SQL_TOK_TYPECAST;
    } else if (c == ':' && c1 == '=') {
        lx->pos += 2;
        t->kind = SQL_TOK_COLON_EQUALS;
    } else if (c == '.' && c1 == '.') {
        lx->pos += 2;
        t->kind = SQL_TOK_DOT_DOT;
    } else if (strchr(",()[].;:", c) != NULL) {
        lx->pos++;
        t->kind = c;
    } else if (is_op_char(c)) {
        lex_operator(lx, t);
    } else {
        /* PostgreSQL hands any other byte to the grammar, which rejects it. */
        lx->pos++;
        t->kind = c;
    }
    t->end = (int)lx->pos;
    if (t->str == NULL && t->kind == SQL_TOK_OP) {
        char *v = sql_arena_strndup(lx->arena, s + t->loc, (size_t)(t->end - t->loc));
        if (v == NULL)
            return nomem(lx, err);
        t->str = v;
        t->len = (size_t)(t->end - t->loc);
    }
    return rc;
}
