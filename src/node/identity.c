/* The identity file and data-directory lock. */
#include "node/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int identity_mkdirs(const char *dir, struct errbuf *eb)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return err_set(eb, ERR_INVAL, "data directory path too long");
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return err_set(eb, ERR_IO, "cannot create %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return err_set(eb, ERR_IO, "cannot create %s: %s", path, strerror(errno));
    return 0;
}

int identity_lock_dir(const char *dir, struct errbuf *eb)
{
    int rc = identity_mkdirs(dir, eb);
    if (rc != 0)
        return rc;
    char path[1100];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(eb, ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return err_set(eb, ERR_BUSY,
                       "data directory %s is in use by another cairn process; stop it or pass "
                       "--data-dir for a different directory",
                       dir);
    }
    return 0; /* fd stays open: the lock lives as long as the process */
}

void identity_cluster_hex(const uint8_t id[IDENTITY_CLUSTER_ID_BYTES], char out[33])
{
    for (int i = 0; i < IDENTITY_CLUSTER_ID_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", id[i]);
}

int identity_cluster_parse(const char *hex, uint8_t out[IDENTITY_CLUSTER_ID_BYTES])
{
    if (strlen(hex) != 2 * IDENTITY_CLUSTER_ID_BYTES)
        return ERR_MALFORMED;
    for (int i = 0; i < IDENTITY_CLUSTER_ID_BYTES; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return ERR_MALFORMED;
        out[i] = (uint8_t)v;
    }
    return 0;
}

int identity_new_cluster_id(uint8_t out[IDENTITY_CLUSTER_ID_BYTES])
{
    if (getrandom(out, IDENTITY_CLUSTER_ID_BYTES, 0) != IDENTITY_CLUSTER_ID_BYTES)
        return ERR_IO;
    return 0;
}

int identity_load(const char *dir, struct node_identity *id, bool *exists, struct errbuf *eb)
{
    char path[1100];
    memset(id, 0, sizeof *id);
    *exists = false;
    snprintf(path, sizeof path, "%s/%s", dir, IDENTITY_EXPELLED_FILE);
    if (access(path, F_OK) == 0)
        return err_set(eb, ERR_CONFLICT,
                       "this node was expelled from its cluster and cannot rejoin with data "
                       "directory %s; start it with an empty --data-dir to join as a new node",
                       dir);
    snprintf(path, sizeof path, "%s/%s", dir, IDENTITY_FILE);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        return err_set(eb, ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    char line[256], cluster[64] = "";
    bool have_node = false;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "cluster_id=", 11) == 0)
            snprintf(cluster, sizeof cluster, "%.63s", line + 11);
        else if (strncmp(line, "node_id=", 8) == 0)
            have_node = sscanf(line + 8, "%lu", &id->node_id) == 1;
        else if (strncmp(line, "name=", 5) == 0)
            snprintf(id->name, sizeof id->name, "%.63s", line + 5);
    }
    fclose(f);
    if (identity_cluster_parse(cluster, id->cluster_id) != 0 || !have_node || id->node_id == 0)
        return err_set(eb, ERR_CORRUPT, "%s is damaged: it must hold cluster_id, node_id and name",
                       path);
    *exists = true;
    return 0;
}

static int identity_write_file(const char *dir, const char *name, const char *text,
                               struct errbuf *eb)
{
    char tmp[1100], path[1100];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(eb, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        return err_set(eb, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    }
    close(fd);
    if (rename(tmp, path) != 0)
        return err_set(eb, ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int identity_save(const char *dir, const struct node_identity *id, struct errbuf *eb)
{
    char hex[33], text[512];
    identity_cluster_hex(id->cluster_id, hex);
    snprintf(text, sizeof text, "cluster_id=%s\nnode_id=%lu\nname=%s\n", hex,
             (unsigned long)id->node_id, id->name);
    return identity_write_file(dir, IDENTITY_FILE, text, eb);
}

int identity_mark_expelled(const char *dir, struct errbuf *eb)
{
    return identity_write_file(dir, IDENTITY_EXPELLED_FILE,
                               "this node was expelled from its cluster\n", eb);
}
