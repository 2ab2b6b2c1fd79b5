/* Helpers shared by the WAL unit tests: temporary directories removed at
 * exit, deterministic entry data, a model of what each group should hold, and
 * byte surgery on segment files. */
#ifndef CAIRN_WAL_TEST_UTIL_H
#define CAIRN_WAL_TEST_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wal/wal.h"

#define TU_DIRS_MAX   64
#define TU_PATH_BYTES 256

#define TU_TMP_BYTES 64
static char tu_dirs[TU_DIRS_MAX][TU_TMP_BYTES];
static char tu_wal_dirs[TU_DIRS_MAX][TU_PATH_BYTES];
static int tu_n_dirs;

static inline int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tu_cleanup(void)
{
    for (int i = 0; i < tu_n_dirs; i++)
        nftw(tu_dirs[i], tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temporary directory; returns the path of a wal directory in it
 * (not created). Everything is removed at exit. */
static inline const char *tu_new_dir(void)
{
    if (tu_n_dirs == 0)
        atexit(tu_cleanup);
    if (tu_n_dirs == TU_DIRS_MAX) {
        fprintf(stderr, "too many temporary directories\n");
        exit(2);
    }
    char *d = tu_dirs[tu_n_dirs];
    snprintf(d, TU_TMP_BYTES, "/tmp/cairn-wal-test-XXXXXX");
    if (mkdtemp(d) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(tu_wal_dirs[tu_n_dirs], TU_PATH_BYTES, "%s/wal", d);
    return tu_wal_dirs[tu_n_dirs++];
}

static inline void tu_seg_path(char *out, size_t cap, const char *dir, uint64_t seq)
{
    snprintf(out, cap, "%s/" WAL_SEGMENT_NAME_FMT, dir, seq);
}

static inline void tu_seg_name(char *out, uint64_t seq)
{
    snprintf(out, WAL_SEGMENT_NAME_BYTES, WAL_SEGMENT_NAME_FMT, seq);
}

/* Number of segment files in dir. */
static inline int tu_count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l == WAL_SEGMENT_NAME_BYTES - 1 && strcmp(de->d_name + l - 4, ".wal") == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Reads a whole file; *len gets its size. NULL on error. Caller frees. */
static uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static inline bool tu_write_file(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return false;
    bool ok = write(fd, p, len) == (ssize_t)len;
    close(fd);
    return ok;
}

static inline bool tu_xor_byte(const char *path, uint64_t off, uint8_t mask)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return false;
    uint8_t b;
    bool ok = pread(fd, &b, 1, (off_t)off) == 1;
    b ^= mask;
    ok = ok && pwrite(fd, &b, 1, (off_t)off) == 1;
    close(fd);
    return ok;
}

static inline bool tu_zero_range(const char *path, uint64_t from, uint64_t to)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return false;
    bool ok = true;
    uint8_t z = 0;
    for (uint64_t i = from; i < to && ok; i++)
        ok = pwrite(fd, &z, 1, (off_t)i) == 1;
    close(fd);
    return ok;
}

/* ---- Deterministic entries ---- */

#define TU_DATA_BYTES_MAX 160

static uint32_t tu_len(uint64_t group, uint64_t index, uint64_t term)
{
    /* Some entries are empty, like Raft's no-ops. */
    return (uint32_t)((group * 31 + index * 7 + term * 13) % TU_DATA_BYTES_MAX);
}

static inline void tu_fill(uint8_t *p, uint32_t len, uint64_t group, uint64_t index, uint64_t term)
{
    uint64_t x = group * 1000003u ^ index * 7919u ^ term * 104729u;
    for (uint32_t i = 0; i < len; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (uint8_t)(x >> 56);
    }
}

/* Appends entries [lo, hi) of group with term; data from tu_fill. */
static inline int tu_append(struct wal *w, uint64_t group, uint64_t lo, uint64_t hi, uint64_t term)
{
    enum { N = 64 };
    struct raft_entry e[N];
    static uint8_t bufs[N][TU_DATA_BYTES_MAX];
    for (uint64_t at = lo; at < hi;) {
        uint32_t n = 0;
        for (; n < N && at < hi; n++, at++) {
            e[n].index = at;
            e[n].term = term;
            e[n].type = (uint8_t)(at % 3);
            e[n].len = tu_len(group, at, term);
            tu_fill(bufs[n], e[n].len, group, at, term);
            e[n].data = bufs[n];
        }
        struct errbuf eb;
        int rc = wal_append_entries(w, group, e, n, &eb);
        if (rc != 0) {
            fprintf(stderr, "  append: %s\n", eb.msg);
            return rc;
        }
    }
    return 0;
}

/* ---- A model of one group's log ---- */

#define TU_MODEL_INDEX_MAX 4096

struct tu_group_model {
    uint64_t snap_index, snap_term;
    uint64_t last;
    uint64_t terms[TU_MODEL_INDEX_MAX + 1]; /* terms[i] of entry i */
};

static inline void tu_model_append(struct tu_group_model *m, uint64_t lo, uint64_t hi,
                                   uint64_t term)
{
    for (uint64_t i = lo; i < hi; i++)
        m->terms[i] = term;
    m->last = hi - 1;
}

/* Checks that w holds exactly m for group: bounds, terms and every byte. */
static inline bool tu_verify(struct wal *w, uint64_t group, const struct tu_group_model *m)
{
    uint64_t first = wal_first_index(w, group), last = wal_last_index(w, group);
    if (first != m->snap_index + 1 || last != m->last) {
        fprintf(stderr,
                "  group %" PRIu64 ": first/last %" PRIu64 "/%" PRIu64 ", want %" PRIu64 "/%" PRIu64
                "\n",
                group, first, last, m->snap_index + 1, m->last);
        return false;
    }
    uint64_t t;
    if (wal_term(w, group, m->snap_index, &t) != 0 || t != m->snap_term) {
        fprintf(stderr, "  group %" PRIu64 ": snapshot term wrong\n", group);
        return false;
    }
    struct raft_entry out[50];
    for (uint64_t lo = first; lo <= last;) {
        uint64_t hi = lo + 50 <= last + 1 ? lo + 50 : last + 1;
        uint32_t n;
        struct errbuf eb;
        int rc = wal_entries(w, group, lo, hi, UINT64_MAX, out, &n, &eb);
        if (rc != 0 || n != hi - lo) {
            fprintf(stderr,
                    "  group %" PRIu64 " entries [%" PRIu64 ",%" PRIu64 "): rc %d n %u %s\n", group,
                    lo, hi, rc, n, rc ? eb.msg : "");
            return false;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint64_t idx = lo + i;
            uint8_t want[TU_DATA_BYTES_MAX];
            uint64_t term = m->terms[idx];
            uint32_t len = tu_len(group, idx, term);
            tu_fill(want, len, group, idx, term);
            if (out[i].index != idx || out[i].term != term || out[i].len != len ||
                out[i].type != idx % 3 || (len > 0 && memcmp(out[i].data, want, len) != 0)) {
                fprintf(stderr, "  group %" PRIu64 " entry %" PRIu64 " differs\n", group, idx);
                return false;
            }
            if (wal_term(w, group, idx, &t) != 0 || t != term) {
                fprintf(stderr, "  group %" PRIu64 " term of %" PRIu64 " differs\n", group, idx);
                return false;
            }
        }
        wal_release(w, group);
        lo = hi;
    }
    return true;
}

static inline struct wal_options tu_opts(uint64_t segment_bytes, uint64_t cache_bytes)
{
    struct wal_options o;
    wal_options_default(&o);
    o.segment_bytes = segment_bytes;
    o.cache_bytes = cache_bytes;
    return o;
}

#endif
