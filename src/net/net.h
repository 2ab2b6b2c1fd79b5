/* The peer transport: one TCP port per node that carries the Raft messages of
 * every group, internal RPCs and snapshot chunks as framed, versioned,
 * length-capped, checksummed messages; plus the codecs for those frames.
 *
 * Connections. Each node dials each peer it sends to and keeps that outgoing
 * connection for its own traffic: Raft batches, RPC requests and snapshot
 * chunks travel dialer -> listener, and the only frames that come back on it
 * are the answers to those requests (RPC_RESPONSE, which also acknowledges a
 * snapshot chunk). A node therefore talks to a peer over two TCP connections,
 * one per direction; neither side ever has to choose which of two crossing
 * connections wins.
 *
 * Handshake. The dialer sends HELLO (cluster id, node id, advertised peer
 * address, protocol version range) and waits; the listener checks it and
 * answers with its own HELLO, or writes a CLOSE frame with the reason and
 * closes. The dialer checks the answer (same cluster, expected node id, a
 * common version) before it writes anything queued. An all-zero cluster id
 * means "not a member yet" (a joining node): the listener accepts such a peer
 * for RPC requests only, and a dialer whose own id is still zero accepts any
 * cluster (see net_set_cluster_id).
 *
 * Threading: everything runs on the loop thread that started the transport;
 * nothing here is thread-safe.
 *
 * Errors: functions return 0 or a negative ERR_* code from base/err.h. */
#ifndef CAIRN_NET_H
#define CAIRN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"
#include "base/codec.h"
#include "base/err.h"
#include "raft/raft.h"

/* ---- Bounds ------------------------------------------------------------ */

#define NET_FRAME_BYTES_MAX           (16u << 20) /* payload bytes of one frame */
#define NET_HANDSHAKE_FRAME_BYTES_MAX 1024u       /* payload bytes before HELLO is accepted */
#define NET_RAFT_BATCH_MSGS_MAX       4096u       /* Raft messages in one RAFT frame */
#define NET_SNAPSHOT_CHUNK_BYTES_MAX  (4u << 20)  /* data bytes in one snapshot chunk */
#define NET_CLUSTER_ID_BYTES          16
#define NET_ADDR_LEN_MAX              255         /* "host:port", without the NUL */
#define NET_CLOSE_REASON_LEN_MAX      200         /* bytes of the reason in a CLOSE frame */
#define NET_PEER_QUEUE_BYTES_MAX      (64u << 20) /* unsent bytes per connection (default) */
#define NET_RPC_PENDING_MAX           65536u      /* outstanding outgoing calls (default) */
#define NET_RPC_SERVING_PER_CONN_MAX  4096u       /* unanswered incoming requests per connection */
#define NET_INBOUND_CONNS_MAX         1024u       /* accepted connections (default) */
#define NET_CONNECT_TIMEOUT_MS        5000u       /* dial + handshake (default) */
#define NET_RECONNECT_DELAY_MS_MIN    50u         /* first retry after a failure (default) */
#define NET_RECONNECT_DELAY_MS_MAX    5000u       /* backoff cap (default) */
#define NET_READ_BYTES                65536u      /* socket read size */

/* Peer ids with this bit set name an address whose node id is not known yet
 * (a seed at join time): the dialer then accepts whatever node id answers. */
#define NET_PEER_ID_ADDR_ONLY (1ull << 63)

/* ---- Frame format -------------------------------------------------------- */

#define NET_FRAME_MAGIC       "CRNP" /* 4 bytes on the wire, no NUL */
#define NET_PROTO_VERSION_MIN 1
#define NET_PROTO_VERSION_MAX 1

/* The fixed frame header, in wire order: X(field, bytes). Integers are
 * little-endian; crc is CRC32C of the payload alone. */
#define NET_FRAME_HEADER_FIELDS(X)                                                                 \
    X(magic, 4)                                                                                    \
    X(version, 2)                                                                                  \
    X(type, 2)                                                                                     \
    X(flags, 2)                                                                                    \
    X(len, 4)                                                                                      \
    X(crc, 4)

/* NET_FRAME_OFF_<field> is each field's offset; the last enumerator is the size. */
#define NET_FRAME_OFFSET_ENUM(field, bytes)                                                        \
    NET_FRAME_OFF_##field, NET_FRAME_LAST_##field = NET_FRAME_OFF_##field + (bytes)-1,
enum net_frame_header_layout {
    NET_FRAME_HEADER_FIELDS(NET_FRAME_OFFSET_ENUM) NET_FRAME_HEADER_BYTES
};
#undef NET_FRAME_OFFSET_ENUM

/* No flag bits are defined in version 1; a frame with any set is malformed. */
#define NET_FRAME_FLAGS_KNOWN 0u

/* Frame types: X(NAME, code, "name"). The payload of each:
 *   HELLO           cluster_id[16] node_id u64 version_min u16 version_max u16
 *                   addr_len u16 addr[addr_len]
 *   RAFT            group u64 n_msgs u32, then n_msgs x (len u32, message)
 *                   with message as written by net_raft_msg_encode
 *   RPC_REQUEST     request_id u64 method u16, the rest is the request
 *   RPC_RESPONSE    request_id u64 status i32, the rest is the response
 *   SNAPSHOT_CHUNK  request_id u64 group u64 index u64 term u64 offset u64
 *                   seq u32 flags u8, the rest is data; acknowledged by an
 *                   RPC_RESPONSE with the same request_id
 *   CLOSE           status i32 reason_len u16 reason[reason_len]: why the
 *                   sender is about to close the connection */
#define NET_FRAME_TYPES(X)                                                                         \
    X(HELLO, 1, "hello")                                                                           \
    X(RAFT, 2, "raft")                                                                             \
    X(RPC_REQUEST, 3, "rpc_request")                                                               \
    X(RPC_RESPONSE, 4, "rpc_response")                                                             \
    X(SNAPSHOT_CHUNK, 5, "snapshot_chunk")                                                         \
    X(CLOSE, 6, "close")

enum net_frame_type {
#define NET_FRAME_TYPE_ENUM(name, code, str) NET_FRAME_##name = code,
    NET_FRAME_TYPES(NET_FRAME_TYPE_ENUM)
#undef NET_FRAME_TYPE_ENUM
};

/* "raft" for NET_FRAME_RAFT; NULL for an unknown type. */
const char *net_frame_type_name(int type);

/* The fixed-width leading fields of each payload, in wire order:
 * X(c type, field, bits). The variable parts follow as described above. */
#define NET_HELLO_FIELDS(X)                                                                        \
    X(uint64_t, node_id, 64)                                                                       \
    X(uint16_t, version_min, 16)                                                                   \
    X(uint16_t, version_max, 16)
#define NET_RAFT_FIELDS(X)                                                                         \
    X(uint64_t, group, 64)                                                                         \
    X(uint32_t, n_msgs, 32)
#define NET_RPC_REQUEST_FIELDS(X)                                                                  \
    X(uint64_t, request_id, 64)                                                                    \
    X(uint16_t, method, 16)
#define NET_RPC_RESPONSE_FIELDS(X)                                                                 \
    X(uint64_t, request_id, 64)                                                                    \
    X(int32_t, status, 32)
#define NET_SNAPSHOT_CHUNK_FIELDS(X)                                                               \
    X(uint64_t, request_id, 64)                                                                    \
    X(uint64_t, group, 64)                                                                         \
    X(uint64_t, index, 64)                                                                         \
    X(uint64_t, term, 64)                                                                          \
    X(uint64_t, offset, 64)                                                                        \
    X(uint32_t, seq, 32)                                                                           \
    X(uint8_t, flags, 8)
#define NET_CLOSE_FIELDS(X) X(int32_t, status, 32)

#define NET_SNAPSHOT_CHUNK_LAST 0x01u /* flags: the final chunk of the snapshot */

struct net_frame {
    uint16_t version;
    uint16_t type; /* enum net_frame_type */
    uint16_t flags;
    uint32_t len;
    const uint8_t *payload; /* len bytes inside the decoded input */
};

/* What a decoder accepts. */
struct net_frame_limits {
    uint16_t version_min, version_max;
    uint32_t payload_bytes_max; /* <= NET_FRAME_BYTES_MAX */
};

/* Appends a complete frame. ERR_TOOBIG if len > NET_FRAME_BYTES_MAX, ERR_NOMEM. */
int net_frame_encode(struct buf *b, uint16_t version, uint16_t type, const void *payload,
                     size_t len);
/* Building a frame in place: net_frame_begin appends a header and returns its
 * offset in *start; the caller appends the payload; net_frame_finish fills in
 * length and CRC. If the payload is over payload_bytes_max, net_frame_finish
 * truncates b back to start and returns ERR_TOOBIG. */
int net_frame_begin(struct buf *b, uint16_t version, uint16_t type, size_t *start);
int net_frame_finish(struct buf *b, size_t start, uint32_t payload_bytes_max);

/* Decodes the frame at the start of p[0..len). On success *consumed is its
 * total size and f->payload points into p. ERR_NEEDMORE if p is a proper
 * prefix of a frame that could still be valid (every header field present so
 * far is already checked, so garbage fails at once); ERR_MALFORMED with the
 * reason in eb: bad magic, unsupported version, unknown type, unknown flags,
 * length over limit, CRC mismatch. */
int net_frame_decode(const uint8_t *p, size_t len, const struct net_frame_limits *lim,
                     struct net_frame *f, size_t *consumed, struct errbuf *eb);

/* Incremental decoder for a byte stream (one per connection). It owns a
 * buffer that grows to at most one whole frame plus one read. */
struct net_decoder {
    uint8_t *data;
    size_t cap;
    size_t len; /* bytes received */
    size_t off; /* bytes already returned as frames */
    int err;    /* sticky ERR_MALFORMED once a frame was malformed */
    struct net_frame_limits lim;
};

void net_decoder_init(struct net_decoder *d, const struct net_frame_limits *lim);
void net_decoder_free(struct net_decoder *d);
/* Applies to frames not yet returned by net_decoder_next. */
void net_decoder_set_limits(struct net_decoder *d, const struct net_frame_limits *lim);
/* Room for at least want more bytes at *p (*n bytes available) so a socket
 * can read straight into the buffer; follow with net_decoder_commit. May move
 * the buffer: payloads returned earlier become invalid. ERR_NOMEM. */
int net_decoder_space(struct net_decoder *d, size_t want, uint8_t **p, size_t *n);
void net_decoder_commit(struct net_decoder *d, size_t n);
/* Copies n bytes in (space + commit). ERR_NOMEM. */
int net_decoder_feed(struct net_decoder *d, const void *p, size_t n);
/* The next complete frame: 0 with *f, whose payload stays valid until the
 * next net_decoder_space/feed/free; ERR_NEEDMORE; ERR_MALFORMED (sticky). */
int net_decoder_next(struct net_decoder *d, struct net_frame *f, struct errbuf *eb);

/* ---- Frame payloads --------------------------------------------------------
 * Encoders append a whole frame (header included) with the given version.
 * Decoders take a frame payload and return 0 or ERR_MALFORMED with the
 * reason in eb; pointers they set point into the payload. */

struct net_hello {
    uint8_t cluster_id[NET_CLUSTER_ID_BYTES]; /* all zero: not a member yet */
    uint64_t node_id;
    uint16_t version_min, version_max;
    char addr[NET_ADDR_LEN_MAX + 1]; /* sender's peer address, NUL-terminated */
};
int net_hello_encode(struct buf *b, uint16_t version, const struct net_hello *h);
int net_hello_decode(const uint8_t *p, size_t len, struct net_hello *h, struct errbuf *eb);

struct net_rpc_request {
    uint64_t request_id;
    uint16_t method;
    const uint8_t *payload;
    uint32_t len;
};
int net_rpc_request_encode(struct buf *b, uint16_t version, const struct net_rpc_request *r);
int net_rpc_request_decode(const uint8_t *p, size_t len, struct net_rpc_request *r,
                           struct errbuf *eb);

struct net_rpc_response {
    uint64_t request_id;
    int32_t status;
    const uint8_t *payload;
    uint32_t len;
};
int net_rpc_response_encode(struct buf *b, uint16_t version, const struct net_rpc_response *r);
int net_rpc_response_decode(const uint8_t *p, size_t len, struct net_rpc_response *r,
                            struct errbuf *eb);

/* One piece of a snapshot's data, streamed before the Raft SNAPSHOT message
 * that carries its metadata. */
struct net_snapshot_chunk {
    uint64_t request_id; /* set by the transport when sending */
    uint64_t group;
    uint64_t index, term; /* the snapshot's */
    uint64_t offset;      /* of data within the snapshot stream */
    uint32_t seq;         /* 0, 1, 2 ... */
    uint8_t flags;        /* NET_SNAPSHOT_CHUNK_LAST */
    const uint8_t *data;
    uint32_t len; /* <= NET_SNAPSHOT_CHUNK_BYTES_MAX */
};
int net_snapshot_chunk_encode(struct buf *b, uint16_t version, const struct net_snapshot_chunk *c);
int net_snapshot_chunk_decode(const uint8_t *p, size_t len, struct net_snapshot_chunk *c,
                              struct errbuf *eb);

struct net_close {
    int32_t status;
    char reason[NET_CLOSE_REASON_LEN_MAX + 1]; /* NUL-terminated; longer reasons are cut */
};
int net_close_encode(struct buf *b, uint16_t version, const struct net_close *c);
int net_close_decode(const uint8_t *p, size_t len, struct net_close *c, struct errbuf *eb);

/* ---- Raft message codec ------------------------------------------------------
 * A message is: type u8, flags u8 (NET_RAFT_MSG_REJECT | NET_RAFT_MSG_TRANSFER),
 * the NET_RAFT_MSG_VARINTS fields as uvarints, uvarint n_entries, then per
 * entry uvarint term, uvarint index, type u8, uvarint len, data; then for
 * RAFT_MSG_SNAPSHOT only: uvarints index, term, n_voters, n_learners, and the
 * voter then learner ids as uvarints. */
#define NET_RAFT_MSG_VARINTS(X)                                                                    \
    X(from)                                                                                        \
    X(to)                                                                                          \
    X(term)                                                                                        \
    X(log_term)                                                                                    \
    X(index)                                                                                       \
    X(commit)                                                                                      \
    X(ctx)                                                                                         \
    X(reject_hint)                                                                                 \
    X(reject_hint_term)
#define NET_RAFT_MSG_REJECT   0x01u
#define NET_RAFT_MSG_TRANSFER 0x02u

/* Appends m. ERR_INVAL if m breaks a bound the decoder enforces (unknown type,
 * entries over RAFT_MSG_ENTRIES_MAX, a conf over its maxima), ERR_NOMEM. */
int net_raft_msg_encode(struct buf *b, const struct raft_msg *m);
/* Decodes exactly p[0..len) into *m. m->entries is set to `entries` (room for
 * entries_cap, at most RAFT_MSG_ENTRIES_MAX entries are ever written) and each
 * entry's data points into p: the message is valid while both p and entries
 * are; nothing is allocated. Every count and length is checked against the
 * bytes left and the named maxima before it is used. Returns 0 or
 * ERR_MALFORMED (a truncated message is malformed: it always arrives whole
 * inside a frame). */
int net_raft_msg_decode(const uint8_t *p, size_t len, struct raft_msg *m,
                        struct raft_entry *entries, uint32_t entries_cap, struct errbuf *eb);

/* Appends RAFT frames carrying msgs[0..n) of group: as many frames as it
 * takes to keep each within payload_bytes_max (*n_frames, if not NULL, says
 * how many). On error b is unchanged: ERR_TOOBIG if one message alone does not
 * fit in a frame, ERR_INVAL (n is 0, or see net_raft_msg_encode), ERR_NOMEM. */
int net_raft_batch_encode(struct buf *b, uint16_t version, uint64_t group,
                          const struct raft_msg *msgs, uint32_t n, uint32_t payload_bytes_max,
                          uint32_t *n_frames);

/* Walks the messages of a RAFT frame's payload. */
struct net_raft_batch {
    uint64_t group;
    uint32_t n_msgs;
    uint32_t next; /* messages returned so far */
    struct codec_reader r;
};
/* Reads the batch header. ERR_MALFORMED if n_msgs is 0, over
 * NET_RAFT_BATCH_MSGS_MAX, or more than the bytes left could hold. */
int net_raft_batch_open(struct net_raft_batch *it, const uint8_t *payload, size_t len,
                        struct errbuf *eb);
/* 1 with *m filled (as net_raft_msg_decode), 0 after the last message (and
 * only if no bytes are left over), ERR_MALFORMED. */
int net_raft_batch_next(struct net_raft_batch *it, struct raft_msg *m, struct raft_entry *entries,
                        uint32_t entries_cap, struct errbuf *eb);

/* ---- Addresses -------------------------------------------------------------- */

/* Splits "host:port" or "[v6addr]:port" into host (NUL-terminated, room for
 * host_cap bytes) and port. ERR_INVAL with the reason in eb. */
int net_addr_parse(const char *s, char *host, size_t host_cap, uint16_t *port, struct errbuf *eb);

/* ---- Transport ------------------------------------------------------------------ */

/* Counters for /metrics: X(name, help). Monotonic unless the help says gauge. */
#define NET_STATS(X)                                                                               \
    X(frames_in, "frames received")                                                                \
    X(frames_out, "frames queued for sending")                                                     \
    X(bytes_in, "bytes read from peer sockets")                                                    \
    X(bytes_out, "bytes written to peer sockets")                                                  \
    X(writes, "socket writes (each carries every frame queued meanwhile)")                         \
    X(conns_open, "gauge: open peer connections, both directions")                                 \
    X(conns_accepted, "incoming connections accepted")                                             \
    X(conns_dialed, "outgoing connection attempts")                                                \
    X(reconnects, "outgoing connection attempts after a failure")                                  \
    X(conn_failures, "outgoing connections that failed or were lost")                              \
    X(handshake_rejects, "connections closed for a bad or refused HELLO")                          \
    X(decode_errors, "connections closed for a malformed frame")                                   \
    X(protocol_errors, "connections closed for a well-formed but unexpected frame")                \
    X(raft_msgs_in, "raft messages received")                                                      \
    X(raft_msgs_out, "raft messages queued for sending")                                           \
    X(raft_msgs_dropped, "raft messages dropped: peer down or queue full")                         \
    X(rpc_calls, "outgoing calls started (RPCs and snapshot chunks)")                              \
    X(rpc_timeouts, "outgoing calls that timed out")                                               \
    X(rpc_conn_failures, "outgoing calls failed by a lost connection")                             \
    X(rpc_busy, "outgoing calls refused: queue full or too many pending")                          \
    X(rpc_served, "incoming requests handed to the node")                                          \
    X(responses_dropped, "responses not sent: connection gone or queue full")

struct net_stats {
#define NET_STATS_FIELD(name, help) uint64_t name;
    NET_STATS(NET_STATS_FIELD)
#undef NET_STATS_FIELD
};

struct net_config {
    uint8_t cluster_id[NET_CLUSTER_ID_BYTES]; /* all zero: not joined yet */
    uint64_t node_id;                         /* != 0, without NET_PEER_ID_ADDR_ONLY */
    const char *advertise_addr; /* "host:port" sent in HELLO; NULL: the bound listen address */
    uint32_t frame_bytes_max;   /* NET_HANDSHAKE_FRAME_BYTES_MAX..NET_FRAME_BYTES_MAX */
    uint64_t queue_bytes_max;   /* unsent bytes per connection: >= one frame, <= 1 GiB */
    uint32_t rpc_pending_max;
    uint32_t inbound_conns_max;
    uint32_t connect_timeout_ms; /* dial + handshake */
    uint32_t reconnect_delay_ms_min, reconnect_delay_ms_max;
    uint64_t seed; /* for backoff jitter */
};

/* Fills the defaults (the NET_*_MAX / _MIN constants above), cluster id zero,
 * node id 0 (the caller must set it). */
void net_config_default(struct net_config *c);

enum net_peer_state {
    NET_PEER_UNKNOWN = 0, /* never connected */
    NET_PEER_UP,          /* outgoing connection open and handshake done */
    NET_PEER_DOWN,        /* dial failed or the connection was lost; redialing with backoff */
};

struct net_transport;
/* An incoming request awaiting its answer: owned by the node from the
 * callback that hands it out until it passes it to net_rpc_respond. */
struct net_responder;

/* Called with the RPC's outcome, exactly once, never from inside the call that
 * started it. err is 0 when a response arrived (status and payload are the
 * responder's; payload is valid during the callback only; the remote
 * transport itself may answer ERR_UNSUPPORTED, ERR_BUSY, ERR_NOMEM or
 * ERR_TOOBIG), else ERR_TIMEOUT, ERR_IO (the connection failed or the peer was
 * removed before a response: the request may or may not have been executed),
 * or ERR_SHUTDOWN (transport closed). */
typedef void (*net_rpc_cb)(void *ctx, int err, int status, const uint8_t *payload, size_t len);

/* Every pointer argument is valid during the callback only. Callbacks may call
 * any transport function, net_transport_close included. They run from the loop,
 * never inside a transport call, with one exception: RPC callbacks fail with
 * ERR_IO inside net_set_peer (address change) and net_del_peer, and with
 * ERR_SHUTDOWN inside net_transport_close. */
struct net_callbacks {
    void *ctx;
    /* One decoded Raft message whose from is the sending node; m->entries and
     * their data live until the callback returns (raft_step copies). */
    void (*on_raft)(void *ctx, uint64_t from, uint64_t group, const struct raft_msg *m);
    /* Answer with net_rpc_respond(r, ...), now or later. NULL: every request
     * is answered with ERR_UNSUPPORTED. */
    void (*on_rpc_request)(void *ctx, uint64_t from, struct net_responder *r, uint64_t request_id,
                           uint16_t method, const uint8_t *payload, size_t len);
    /* Acknowledge with net_rpc_respond(r, status, NULL, 0) once the chunk is
     * stored; a status != 0 tells the sender to give up. NULL: ERR_UNSUPPORTED. */
    void (*on_snapshot_chunk)(void *ctx, uint64_t from, struct net_responder *r,
                              const struct net_snapshot_chunk *c);
    /* The outgoing connection to node changed state (UP, or DOWN once per
     * loss: the node should call raft_report_unreachable for its groups). */
    void (*on_peer_state)(void *ctx, uint64_t node, enum net_peer_state state);
    /* Optional: an incoming connection introduced itself. member is false for
     * a peer whose HELLO had no cluster id (it may only send RPC requests). */
    void (*on_hello)(void *ctx, uint64_t node, const char *addr, bool member);
};

/* Binds listen_addr ("host:port"; port 0 picks a free one) and starts
 * accepting. cfg and cb are copied. Returns 0 with *out, or ERR_INVAL (bad
 * config or address), ERR_IO (bind/listen failed: eb has the OS reason),
 * ERR_NOMEM. On failure nothing stays open except handles that libuv frees
 * on the next loop run. */
int net_transport_start(uv_loop_t *loop, const char *listen_addr, const struct net_config *cfg,
                        const struct net_callbacks *cb, struct net_transport **out,
                        struct errbuf *eb);
/* Closes every connection, failing pending calls with ERR_SHUTDOWN (their
 * callbacks run inside this call), frees t once libuv has closed its handles
 * (the loop must keep running), then calls done(ctx) if done is not NULL. No
 * other callback runs once this starts. Responders the node still holds stay
 * its to pass to net_rpc_respond, which then only frees them. */
void net_transport_close(struct net_transport *t, void (*done)(void *ctx), void *ctx);

/* The bound listen address as "host:port" (with the real port). */
const char *net_transport_addr(const struct net_transport *t);
uint16_t net_transport_port(const struct net_transport *t);
void net_transport_stats(const struct net_transport *t, struct net_stats *out);
/* Sets the cluster id once learned (a joining node); affects new handshakes. */
void net_set_cluster_id(struct net_transport *t, const uint8_t id[NET_CLUSTER_ID_BYTES]);

/* Address book. Setting an address does not dial: the first send does, and
 * from then on the transport keeps a connection, redialing with bounded,
 * jittered exponential backoff. Changing a peer's address drops its
 * connection (calls on it fail with ERR_IO) and dials the new one on the next
 * send. ERR_INVAL for a bad id or address, ERR_NOMEM, ERR_SHUTDOWN. */
int net_set_peer(struct net_transport *t, uint64_t node, const char *addr);
/* Forgets a peer and closes its outgoing connection (its calls fail with ERR_IO). */
void net_del_peer(struct net_transport *t, uint64_t node);
enum net_peer_state net_peer_state(const struct net_transport *t, uint64_t node);

/* Queues msgs[0..n) of group for node `to`, encoded now: msgs need not outlive
 * the call. Everything queued for a peer during one loop iteration goes out
 * in a single socket write. Raft tolerates loss, so on ERR_AGAIN / ERR_BUSY
 * the messages are simply dropped. Returns 0, ERR_NOTFOUND (no address),
 * ERR_AGAIN (peer down, waiting to redial), ERR_BUSY (its queue is full),
 * ERR_TOOBIG (one message does not fit in a frame), ERR_INVAL (n is 0 or over
 * NET_RAFT_BATCH_MSGS_MAX, a message's from is not this node, or a bound of
 * net_raft_msg_encode), ERR_NOMEM, ERR_SHUTDOWN. */
int net_send_raft(struct net_transport *t, uint64_t to, uint64_t group, const struct raft_msg *msgs,
                  uint32_t n);

/* Sends a request; cb fires exactly once (see net_rpc_cb) if and only if this
 * returns 0. timeout_ms counts from now and includes dialing. Errors (cb never
 * fires): ERR_NOTFOUND, ERR_AGAIN, ERR_BUSY (queue full or rpc_pending_max
 * calls outstanding), ERR_TOOBIG (payload over the frame limit), ERR_INVAL
 * (timeout 0 or no cb), ERR_NOMEM, ERR_SHUTDOWN. */
int net_rpc_call(struct net_transport *t, uint64_t to, uint16_t method, const void *payload,
                 size_t len, uint32_t timeout_ms, net_rpc_cb cb, void *ctx);

/* Sends one snapshot chunk (c->request_id is ignored); cb fires with the
 * receiver's acknowledgement exactly as for net_rpc_call, whose errors it
 * shares (ERR_TOOBIG if c->len > NET_SNAPSHOT_CHUNK_BYTES_MAX). A sender keeps
 * a window of chunks in flight and stops at the first failure. */
int net_send_snapshot_chunk(struct net_transport *t, uint64_t to,
                            const struct net_snapshot_chunk *c, uint32_t timeout_ms, net_rpc_cb cb,
                            void *ctx);

/* Answers an incoming request or snapshot chunk and frees r (call it exactly
 * once per responder, at any time, even after the connection died or the
 * transport closed). Returns 0 if the response was queued; otherwise it was
 * dropped and the caller will time out: ERR_IO (connection gone), ERR_BUSY
 * (queue full), ERR_NOMEM; for a payload over the frame limit the caller gets
 * status ERR_TOOBIG instead and this returns ERR_TOOBIG. */
int net_rpc_respond(struct net_responder *r, int status, const void *payload, size_t len);
/* Whether the requester presented this node's cluster id (false for a joiner). */
bool net_responder_from_member(const struct net_responder *r);

#endif
