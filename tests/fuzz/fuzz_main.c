/* Standalone runner for a fuzz driver when it is not built with -fsanitize=fuzzer: replays seed
 * files, then applies N deterministic random mutations to them. A failing input is saved as
 * fuzz-crash.bin in the current directory; `-s SEED -n N` replays the same run. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/rng.h"

#define FUZZ_INPUT_BYTES_MAX (64 * 1024)
#define FUZZ_SEEDS_MAX       1024

static const uint8_t *fuzz_cur;
static size_t fuzz_cur_len;

static void save_current(void)
{
    FILE *f = fopen("fuzz-crash.bin", "wb");
    if (f == NULL)
        return;
    if (fuzz_cur_len > 0)
        fwrite(fuzz_cur, 1, fuzz_cur_len, f);
    fclose(f);
    fprintf(stderr, "fuzz: failing input (%zu bytes) saved to fuzz-crash.bin\n", fuzz_cur_len);
}

_Noreturn void fuzz_fail(const uint8_t *data, size_t size, const char *what)
{
    fprintf(stderr, "fuzz: property failed: %s\n", what);
    fuzz_cur = data;
    fuzz_cur_len = size;
    save_current();
    abort();
}

#ifndef CAIRN_LIBFUZZER

/* Set by the sanitizer runtime when it is linked in: lets a crash save its input. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

struct seed {
    uint8_t *data;
    size_t len;
};

static struct seed seeds[FUZZ_SEEDS_MAX];
static size_t n_seeds;

static void load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz: cannot open %s\n", path);
        exit(2);
    }
    struct buf b = BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len < FUZZ_INPUT_BYTES_MAX)
        buf_append(&b, tmp, n);
    fclose(f);
    if (n_seeds == FUZZ_SEEDS_MAX) {
        buf_free(&b);
        return;
    }
    seeds[n_seeds].data = b.data;
    seeds[n_seeds].len = b.len < FUZZ_INPUT_BYTES_MAX ? b.len : FUZZ_INPUT_BYTES_MAX;
    n_seeds++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads a file, or every regular file of a directory in name order (for a stable run). */
static void load_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz: cannot stat %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        load_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (d == NULL)
        exit(2);
    char *names[FUZZ_SEEDS_MAX];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < FUZZ_SEEDS_MAX) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            load_file(names[i]);
        free(names[i]);
    }
}

static void run_one(const uint8_t *data, size_t len)
{
    fuzz_cur = data;
    fuzz_cur_len = len;
    LLVMFuzzerTestOneInput(data, len);
}

static const uint8_t interesting[] = {0,   0xff, 0x7f, 0x80, '\r', '\n', ' ',  '\t', ':', ';', ',',
                                      '"', '\\', '{',  '}',  '[',  ']',  '0',  '9',  '%', '?', '&',
                                      '=', 'e',  '-',  '+',  '.',  'u',  0xc3, 0xed, 0xf4};

static void mutate(struct rng *r, struct buf *b)
{
    size_t steps = 1 + (size_t)rng_below(r, 8);
    for (size_t s = 0; s < steps; s++) {
        size_t len = b->len;
        size_t pos = len ? (size_t)rng_below(r, len) : 0;
        switch (rng_below(r, 9)) {
        case 0:
            if (len)
                b->data[pos] ^= (uint8_t)(1u << rng_below(r, 8));
            break;
        case 1:
            if (len)
                b->data[pos] = (uint8_t)rng_next(r);
            break;
        case 2:
            if (len)
                b->data[pos] = interesting[rng_below(r, sizeof interesting)];
            break;
        case 3: { /* insert random bytes */
            uint8_t tmp[8];
            size_t n = 1 + (size_t)rng_below(r, sizeof tmp);
            for (size_t i = 0; i < n; i++)
                tmp[i] = (uint8_t)rng_next(r);
            buf_append(b, tmp, n);
            memmove(b->data + pos + n, b->data + pos, len - pos);
            memcpy(b->data + pos, tmp, n);
            break;
        }
        case 4: /* delete a range */
            if (len) {
                size_t n = 1 + (size_t)rng_below(r, len - pos < 16 ? len - pos : 16);
                memmove(b->data + pos, b->data + pos + n, len - pos - n);
                b->len -= n;
            }
            break;
        case 5: /* duplicate a range */
            if (len) {
                size_t n = 1 + (size_t)rng_below(r, len - pos < 64 ? len - pos : 64);
                size_t at = (size_t)rng_below(r, len + 1);
                uint8_t *tmp = malloc(n);
                memcpy(tmp, b->data + pos, n);
                buf_append(b, tmp, n);
                memmove(b->data + at + n, b->data + at, len - at);
                memcpy(b->data + at, tmp, n);
                free(tmp);
            }
            break;
        case 6: { /* insert a dictionary token */
            const char *t = fuzz_dict[rng_below(r, fuzz_dict_len)];
            size_t n = strlen(t);
            buf_append(b, t, n);
            memmove(b->data + pos + n, b->data + pos, len - pos);
            memcpy(b->data + pos, t, n);
            break;
        }
        case 7: { /* splice another seed's tail */
            const struct seed *o = &seeds[rng_below(r, n_seeds)];
            if (o->len == 0)
                break;
            size_t from = (size_t)rng_below(r, o->len);
            b->len = pos;
            buf_append(b, o->data + from, o->len - from);
            break;
        }
        default: /* truncate */
            b->len = pos;
            break;
        }
        if (b->len > FUZZ_INPUT_BYTES_MAX)
            b->len = FUZZ_INPUT_BYTES_MAX;
    }
}

int main(int argc, char **argv)
{
    uint64_t n = 1000, seed = 1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [-n MUTATIONS] [-s SEED] CORPUS_DIR_OR_FILE...\n", argv[0]);
            return 2;
        }
    }
    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(save_current);
    for (; i < argc; i++)
        load_path(argv[i]);
    if (n_seeds == 0)
        seeds[n_seeds++] = (struct seed){NULL, 0};
    for (size_t k = 0; k < n_seeds; k++)
        run_one(seeds[k].data, seeds[k].len);
    struct rng r;
    rng_seed(&r, seed);
    struct buf b = BUF_INIT;
    for (uint64_t k = 0; k < n; k++) {
        const struct seed *s = &seeds[rng_below(&r, n_seeds)];
        buf_reset(&b);
        buf_append(&b, s->data, s->len);
        mutate(&r, &b);
        run_one(b.data, b.len);
    }
    buf_free(&b);
    for (size_t k = 0; k < n_seeds; k++)
        free(seeds[k].data);
    printf("%s: %zu seeds, %llu mutations (seed %llu): ok\n", argv[0], n_seeds,
           (unsigned long long)n, (unsigned long long)seed);
    return 0;
}

#endif
