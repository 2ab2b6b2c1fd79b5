/* A node's identity, kept in its data directory: which cluster it belongs
 * to, its node id and name, and whether it was expelled. A directory is
 * locked while a node runs on it. */
#ifndef CAIRN_NODE_IDENTITY_H
#define CAIRN_NODE_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define IDENTITY_CLUSTER_ID_BYTES 16
#define IDENTITY_FILE "identity"
#define IDENTITY_EXPELLED_FILE "EXPELLED"

struct node_identity {
    uint8_t cluster_id[IDENTITY_CLUSTER_ID_BYTES];
    uint64_t node_id;
    char name[64];
};

/* Creates dir if needed and takes an exclusive lock on it for the life of the
 * process. ERR_BUSY if another process holds it. */
int identity_lock_dir(const char *dir, struct errbuf *eb);
/* *exists = false (and 0) for a directory with no identity yet. ERR_CORRUPT
 * for an unreadable one; ERR_CONFLICT if the node was expelled. */
int identity_load(const char *dir, struct node_identity *id, bool *exists, struct errbuf *eb);
/* Writes the identity atomically (temp file, fsync, rename, fsync dir). */
int identity_save(const char *dir, const struct node_identity *id, struct errbuf *eb);
int identity_mark_expelled(const char *dir, struct errbuf *eb);
/* A fresh random cluster id. */
int identity_new_cluster_id(uint8_t out[IDENTITY_CLUSTER_ID_BYTES]);
void identity_cluster_hex(const uint8_t id[IDENTITY_CLUSTER_ID_BYTES], char out[33]);
int identity_cluster_parse(const char *hex, uint8_t out[IDENTITY_CLUSTER_ID_BYTES]);

#endif
