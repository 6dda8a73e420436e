/* xmpp_bench: the chat-server peer load of scripts/bench.sh (issue 15). Drives an XMPP server
 * (ejabberd, Prosody) through libstrophe with the cases occhat-bench runs against occhat, and
 * prints the same JSON lines (bench "xmpp", params.server names the peer).
 *
 *   xmpp_bench --port P --domain D --mode register --users N        in-band registration u0..uN-1
 *   xmpp_bench ... --mode inflight1 --pairs M        [--seconds S]  u(2i) <-> u(2i+1), 1 in flight
 *   xmpp_bench ... --mode window --pairs M --window W [--seconds S]
 *   xmpp_bench ... --mode rate --pairs M --rate R     [--seconds S]  latency at R msg/s offered
 *   xmpp_bench ... --mode backlog --messages N [--limit S]   offline queue, delivered at login
 *   xmpp_bench ... --mode idle --clients N --server-pid PID  held logins, server RSS per conn
 *   xmpp_bench ... --mode logins --clients N [--concurrency C]  connect + SASL PLAIN + bind
 *
 * XMPP has no per-message acknowledgement from the server, so "in flight" is end to end: as in
 * occhat-bench both friends of a pair send, and each sender sends its next message when its receiver has the previous one (window: at most W sent and
 * not yet received). Every body carries "<run id> <pair> <seq> <send ns>" padded to --size bytes;
 * stanzas of other runs (offline leftovers) are ignored. Throughput is counted at the receivers
 * over --seconds after a 1 s warm-up; metrics.relayed_total counts every message of the run (for
 * server CPU per message, measured from outside by bench/proc_sample.py). Users are u<i>, password
 * "pw", registered beforehand with --mode register. One thread, one libstrophe context; libstrophe
 * uses select(), so idle mode forks a process per 900 connections.
 * Built by scripts/bench.sh: cc -O2 ... $(pkg-config --cflags --libs libstrophe). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *g_host = "127.0.0.1";
static int g_port = 5222;
static const char *g_domain = "bench.local";
static const char *g_server = "xmpp";
static const char *g_mode = "";
static double g_seconds = 5.0;
static int g_size = 100;
static int g_window = 64;
static double g_rate = 5000;
static int g_pairs = 1;
static long g_messages = 100000;
static double g_limit = 60;
static int g_users = 100;
static int g_clients = 1000;
static int g_concurrency = 20;
static int g_first_user = 0;
static long g_server_pid = 0;
static const char *g_prefix = "u";

static xmpp_ctx_t *g_ctx;
static long g_run_id;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fail(const char *fmt, const char *arg) {
  fprintf(stderr, "xmpp_bench: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(1);
}

/* Nagle off on the client side, as occhat-bench and mqtt_bench have it (Prosody stalls a window
 * with Nagle on). */
static int sockopt_nodelay(xmpp_conn_t *conn, void *sock) {
  (void)conn;
  int fd = *(int *)sock, one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return 0;
}

/* ---- clients ------------------------------------------------------------------------------ */
typedef struct pair pair_t;
typedef struct client {
  xmpp_conn_t *conn;
  int user;
  bool up;      /* logged in, session bound */
  bool failed;  /* disconnected or refused */
  pair_t *pair; /* the pair this client receives for (NULL for senders) */
  long got;     /* messages of this run received (backlog) */
} client_t;

struct pair {
  int index;
  client_t *sender, *receiver;
  char to[128];
  long sent, received;
};

static enum { IDLE, SENDING, DRAINING } g_phase = IDLE;
static pair_t *g_pairs_v; /* one per flow (sender -> receiver) */
static int g_flows;
static long g_received_total, g_sent_total, g_errors;
static bool g_recording;
static uint32_t *g_samples; /* latency in ns / 16 */
static long g_samples_n, g_samples_cap;
static int64_t g_max_ns;
static int g_up, g_down;
static bool g_closing; /* our own disconnects: not counted as failures */
static char *g_padding;

static void user_jid(char *out, size_t n, const char *prefix, int user, bool resource) {
  if (resource) snprintf(out, n, "%s%d@%s/b%ld-%d", prefix, user, g_domain, g_run_id, user);
  else snprintf(out, n, "%s%d@%s", prefix, user, g_domain);
}

static void send_one(pair_t *p) {
  char body[4096];
  int n = snprintf(body, sizeof body, "%ld %d %ld %lld ", g_run_id, p->index, p->sent, (long long)now_ns());
  if (n < g_size) snprintf(body + n, sizeof body - (size_t)n, "%.*s", g_size - n, g_padding);
  xmpp_stanza_t *m = xmpp_message_new(g_ctx, "chat", p->to, NULL);
  xmpp_message_set_body(m, body);
  xmpp_send(p->sender->conn, m);
  xmpp_stanza_release(m);
  p->sent++;
  g_sent_total++;
}

static void refill(pair_t *p) {
  long limit = strcmp(g_mode, "window") == 0 ? g_window : 1;
  while (g_phase == SENDING && p->sent - p->received < limit) send_one(p);
}

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud) {
  (void)conn;
  client_t *c = ud;
  const char *type = xmpp_stanza_get_type(stanza);
  if (type && strcmp(type, "error") == 0) {
    if (g_errors++ == 0) fprintf(stderr, "xmpp_bench: the server returned a message error\n");
    return 1;
  }
  char *body = xmpp_message_get_body(stanza);
  if (!body) return 1;
  char *end;
  long run = strtol(body, &end, 10);
  if (run == g_run_id) {
    long pair = strtol(end, &end, 10);
    long seq = strtol(end, &end, 10);
    long long sent_at = strtoll(end, &end, 10);
    (void)seq;
    c->got++;
    g_received_total++;
    if (c->pair && pair == c->pair->index) {
      pair_t *p = c->pair;
      p->received++;
      if (g_recording) {
        int64_t lat = now_ns() - sent_at;
        if (lat > g_max_ns) g_max_ns = lat;
        if (g_samples_n < g_samples_cap) {
          int64_t v = lat / 16;
          g_samples[g_samples_n++] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        }
      }
      if (strcmp(g_mode, "rate") != 0) refill(p);
    }
  }
  xmpp_free(g_ctx, body);
  return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error, xmpp_stream_error_t *se, void *ud) {
  (void)se; (void)error;
  client_t *c = ud;
  if (event == XMPP_CONN_CONNECT) {
    c->up = true;
    g_up++;
    xmpp_handler_add(conn, on_message, NULL, "message", NULL, c);
    /* Available presence: the server delivers to this resource (and flushes its offline queue). */
    xmpp_stanza_t *pres = xmpp_presence_new(g_ctx);
    xmpp_send(conn, pres);
    xmpp_stanza_release(pres);
  } else if (event == XMPP_CONN_DISCONNECT || event == XMPP_CONN_FAIL) {
    if (!c->failed && !g_closing) g_down++;
    c->failed = true;
    c->up = false;
  }
}

static xmpp_conn_t *new_conn(const char *jid, const char *pass) {
  xmpp_conn_t *conn = xmpp_conn_new(g_ctx);
  xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
  xmpp_conn_set_sockopt_callback(conn, sockopt_nodelay);
  xmpp_conn_set_jid(conn, jid);
  if (pass) xmpp_conn_set_pass(conn, pass);
  return conn;
}

static void login(client_t *c, const char *prefix) {
  char jid[256];
  user_jid(jid, sizeof jid, prefix, c->user, true);
  c->conn = new_conn(jid, "pw");
  if (xmpp_connect_client(c->conn, g_host, (unsigned short)g_port, on_conn, c) != XMPP_EOK)
    fail("cannot connect %s", jid);
}

static void run_for(int64_t ns) {
  int64_t end = now_ns() + ns;
  while (now_ns() < end) xmpp_run_once(g_ctx, 1);
}

/* Runs the loop until `done` or `limit_s`; false on timeout. */
static bool run_until(bool (*done)(void), double limit_s) {
  int64_t end = now_ns() + (int64_t)(limit_s * 1e9);
  while (!done()) {
    if (now_ns() > end) return false;
    xmpp_run_once(g_ctx, 1);
  }
  return true;
}

static int g_expect_up;
static bool all_up(void) {
  if (g_down > 0) fail("%s", "a client was refused or disconnected while logging in (see the server log)");
  return g_up >= g_expect_up;
}

static void close_all(client_t *cs, int n) {
  g_closing = true;
  for (int i = 0; i < n; i++)
    if (cs[i].conn && cs[i].up) xmpp_disconnect(cs[i].conn);
  run_for(100000000LL);
  for (int i = 0; i < n; i++)
    if (cs[i].conn) xmpp_conn_release(cs[i].conn);
}

/* ---- in-band registration (XEP-0077), built with libstrophe's stanza API ------------------- */
typedef struct reg {
  xmpp_conn_t *conn;
  int user;
  int state; /* 0 pending, 1 done, 2 failed */
} reg_t;
static int g_reg_done, g_reg_failed;

static int on_reg_result(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud) {
  reg_t *r = ud;
  const char *type = xmpp_stanza_get_type(stanza);
  bool ok = type && strcmp(type, "result") == 0;
  if (!ok) {
    xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(stanza, "error");
    /* Already registered (an earlier run with the same names) is fine. */
    ok = err && xmpp_stanza_get_child_by_name(err, "conflict");
  }
  r->state = ok ? 1 : 2;
  if (ok) g_reg_done++;
  else g_reg_failed++;
  xmpp_disconnect(conn);
  return 0;
}

static int on_reg_features(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud) {
  (void)stanza;
  reg_t *r = ud;
  char id[32], name[64];
  snprintf(id, sizeof id, "reg%d", r->user);
  snprintf(name, sizeof name, "%s%d", g_prefix, r->user);
  xmpp_stanza_t *iq = xmpp_iq_new(g_ctx, "set", id);
  xmpp_stanza_t *query = xmpp_stanza_new(g_ctx);
  xmpp_stanza_set_name(query, "query");
  xmpp_stanza_set_ns(query, "jabber:iq:register");
  const char *fields[2][2] = {{"username", name}, {"password", "pw"}};
  for (int i = 0; i < 2; i++) {
    xmpp_stanza_t *f = xmpp_stanza_new(g_ctx), *t = xmpp_stanza_new(g_ctx);
    xmpp_stanza_set_name(f, fields[i][0]);
    xmpp_stanza_set_text(t, fields[i][1]);
    xmpp_stanza_add_child(f, t);
    xmpp_stanza_add_child(query, f);
    xmpp_stanza_release(t);
    xmpp_stanza_release(f);
  }
  xmpp_stanza_add_child(iq, query);
  xmpp_stanza_release(query);
  xmpp_id_handler_add(conn, on_reg_result, id, r);
  xmpp_send(conn, iq);
  xmpp_stanza_release(iq);
  return 0;
}

static void on_reg_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error, xmpp_stream_error_t *se, void *ud) {
  (void)error; (void)se;
  reg_t *r = ud;
  if (event == XMPP_CONN_RAW_CONNECT) {
    xmpp_handler_add(conn, on_reg_features, "http://etherx.jabber.org/streams", "features", NULL, r);
    xmpp_conn_open_stream_default(conn);
  } else if (event == XMPP_CONN_DISCONNECT || event == XMPP_CONN_FAIL) {
    if (r->state == 0) { r->state = 2; g_reg_failed++; }
  }
}

static int register_users(const char *prefix, int first, int count) {
  const char *saved = g_prefix;
  g_prefix = prefix;
  reg_t *rs = calloc((size_t)count, sizeof *rs);
  int next = 0, active = 0;
  g_reg_done = g_reg_failed = 0;
  int64_t t0 = now_ns();
  while (g_reg_done + g_reg_failed < count) {
    while (next < count && active < g_concurrency) {
      reg_t *r = &rs[next++];
      r->user = first + next - 1;
      r->conn = new_conn(g_domain, NULL);
      if (xmpp_connect_raw(r->conn, g_host, (unsigned short)g_port, on_reg_conn, r) != XMPP_EOK)
        fail("%s", "cannot connect to register");
      active++;
    }
    xmpp_run_once(g_ctx, 1);
    active = 0;
    for (int i = 0; i < next; i++) {
      if (rs[i].conn && rs[i].state != 0 && xmpp_conn_is_disconnected(rs[i].conn)) {
        xmpp_conn_release(rs[i].conn);
        rs[i].conn = NULL;
      } else if (rs[i].conn) {
        active++;
      }
    }
    if (now_ns() - t0 > 600e9) fail("%s", "registration timed out");
  }
  for (int i = 0; i < count; i++)
    if (rs[i].conn) { xmpp_disconnect(rs[i].conn); }
  run_for(50000000LL);
  for (int i = 0; i < count; i++)
    if (rs[i].conn) xmpp_conn_release(rs[i].conn);
  free(rs);
  g_prefix = saved;
  if (g_reg_failed > 0) {
    fprintf(stderr, "xmpp_bench: %d of %d registrations failed\n", g_reg_failed, count);
    return 1;
  }
  fprintf(stderr, "xmpp_bench: registered %d users %s%d.. in %.2f s\n", count, prefix, first,
          (double)(now_ns() - t0) / 1e9);
  return 0;
}

/* ---- relay: inflight1, window, rate ------------------------------------------------------- */
static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}
static double pct_us(long n, double p) {
  if (n <= 0) return 0;
  long i = (long)(p * (double)n);
  if (i >= n) i = n - 1;
  return (double)g_samples[i] * 16.0 / 1000.0;
}
static bool drained(void) {
  for (int i = 0; i < g_flows; i++)
    if (g_pairs_v[i].received < g_pairs_v[i].sent) return false;
  return true;
}

static int run_relay(void) {
  bool rate_mode = strcmp(g_mode, "rate") == 0;
  if (2 * g_pairs > g_users) fail("%s", "--pairs needs 2 * pairs registered --users");
  /* As occhat-bench relay: both friends of a pair send to each other, so M pairs are 2M flows;
   * flow f goes from client f to client f ^ 1. */
  g_flows = 2 * g_pairs;
  client_t *cs = calloc((size_t)g_flows, sizeof *cs);
  g_pairs_v = calloc((size_t)g_flows, sizeof *g_pairs_v);
  for (int f = 0; f < g_flows; f++) cs[f].user = g_first_user + f;
  for (int f = 0; f < g_flows; f++) {
    pair_t *p = &g_pairs_v[f];
    p->index = f;
    p->sender = &cs[f];
    p->receiver = &cs[f ^ 1];
    p->receiver->pair = p;
    user_jid(p->to, sizeof p->to, "u", p->receiver->user, false);
  }
  for (int i = 0; i < 2 * g_pairs; i++) login(&cs[i], "u");
  g_expect_up = 2 * g_pairs;
  if (!run_until(all_up, 60)) fail("%s", "logging in timed out");
  run_for(300000000LL); /* presence settles; offline leftovers of earlier runs arrive and are ignored */
  if (rate_mode) {
    g_samples_cap = (long)(g_rate * g_seconds * 1.2) + 1024;
    g_samples = calloc((size_t)g_samples_cap, sizeof *g_samples);
  }

  const int64_t warm = 1000000000LL, measure = (int64_t)(g_seconds * 1e9);
  g_phase = SENDING;
  int64_t t0 = now_ns(), m0 = 0, m1 = 0;
  long recv0 = 0, recv1 = 0;
  if (!rate_mode) {
    for (int i = 0; i < g_flows; i++) refill(&g_pairs_v[i]);
    run_for(warm);
    m0 = now_ns(); recv0 = g_received_total;
    run_for(measure);
    m1 = now_ns(); recv1 = g_received_total;
  } else {
    /* Open loop: message k is due at t0 + k/rate whatever happened to the ones before it; pairs
     * take turns. The loop wakes at least every millisecond. */
    const double interval = 1e9 / g_rate;
    long k = 0;
    for (;;) {
      int64_t now = now_ns();
      if (now >= t0 + warm + measure) break;
      if (!g_recording && now >= t0 + warm) {
        g_recording = true;
        m0 = now; recv0 = g_received_total;
      }
      while (t0 + (int64_t)((double)k * interval) <= now) send_one(&g_pairs_v[k++ % g_flows]);
      xmpp_run_once(g_ctx, 1);
    }
    m1 = now_ns(); recv1 = g_received_total;
  }
  g_phase = DRAINING;
  bool ok = run_until(drained, 30);
  g_recording = false;
  double secs = (double)(m1 - m0) / 1e9;
  double mps = (double)(recv1 - recv0) / secs;
  if (!ok) fprintf(stderr, "xmpp_bench: %s: %ld sent, %ld received after 30 s of draining\n", g_mode, g_sent_total, g_received_total);
  if (g_down > 0) fprintf(stderr, "xmpp_bench: %d clients were disconnected during the run\n", g_down);

  printf("{\"bench\": \"xmpp\", \"case\": \"%s\", \"params\": {\"server\": \"%s\", \"pairs\": %d, \"seconds\": %g, "
         "\"size\": %d",
         g_mode, g_server, g_pairs, g_seconds, g_size);
  if (strcmp(g_mode, "window") == 0) printf(", \"window\": %d", g_window);
  if (rate_mode) printf(", \"rate\": %g", g_rate);
  printf("}, \"metrics\": {\"msgs_per_s\": %.1f, \"sent\": %ld, \"received\": %ld, \"relayed_total\": %ld", mps,
         g_sent_total, g_received_total, g_received_total);
  if (rate_mode) {
    long n = g_samples_n;
    qsort(g_samples, (size_t)n, sizeof *g_samples, cmp_u32);
    printf(", \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"samples\": %ld", pct_us(n, 0.50),
           pct_us(n, 0.99), pct_us(n, 0.999), (double)g_max_ns / 1000.0, n);
  }
  printf("}}\n");
  fflush(stdout);
  close_all(cs, g_flows);
  return ok && g_errors == 0 ? 0 : 1;
}

/* ---- backlog: N messages to an offline user, then its login -------------------------------- */
static int g_ping_pending;
static int on_pong(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud) {
  (void)conn; (void)stanza; (void)ud;
  g_ping_pending = 0;
  return 0;
}
static bool pong_done(void) { return g_ping_pending == 0; }
static client_t g_backlog_receiver;
static bool backlog_done(void) { return g_backlog_receiver.got >= g_messages; }

static int run_backlog(void) {
  /* Fresh users each run: the receiver's queue holds this run's messages only. */
  char prefix[32];
  snprintf(prefix, sizeof prefix, "b%ld-", g_run_id);
  if (register_users(prefix, 0, 2) != 0) return 1;
  client_t sender = {.user = 0};
  login(&sender, prefix);
  g_expect_up = 1;
  if (!run_until(all_up, 30)) fail("%s", "logging in the sender timed out");
  pair_t p = {.index = 0, .sender = &sender};
  user_jid(p.to, sizeof p.to, prefix, 1, false);

  /* Fill in batches of 1,000, each closed by a ping: a c2s stream is handled in order, so the
   * pong says the batch went through routing into offline storage. */
  int64_t f0 = now_ns();
  bool filled = true;
  const long batch = 1000;
  long stored = 0;
  while (p.sent < g_messages) {
    long n = g_messages - p.sent < batch ? g_messages - p.sent : batch;
    for (long i = 0; i < n; i++) send_one(&p);
    xmpp_stanza_t *iq = xmpp_iq_new(g_ctx, "get", "fill");
    xmpp_stanza_t *ping = xmpp_stanza_new(g_ctx);
    xmpp_stanza_set_name(ping, "ping");
    xmpp_stanza_set_ns(ping, "urn:xmpp:ping");
    xmpp_stanza_add_child(iq, ping);
    xmpp_stanza_release(ping);
    g_ping_pending = 1;
    xmpp_id_handler_add(sender.conn, on_pong, "fill", NULL);
    xmpp_send(sender.conn, iq);
    xmpp_stanza_release(iq);
    double left = g_limit - (double)(now_ns() - f0) / 1e9;
    if (left <= 0 || !run_until(pong_done, left)) { filled = false; break; }
    stored = p.sent;
  }
  double fill_s = (double)(now_ns() - f0) / 1e9;
  if (!filled) {
    fprintf(stderr, "xmpp_bench: backlog: storing %ld messages did not finish in %.0f s (%ld stored)\n", g_messages,
            g_limit, stored);
    printf("{\"bench\": \"xmpp\", \"case\": \"backlog\", \"params\": {\"server\": \"%s\", \"messages\": %ld, \"size\": %d, "
           "\"limit_s\": %g}, \"metrics\": {\"finished\": 0, \"stored\": %ld, \"fill_seconds\": %.2f}}\n",
           g_server, g_messages, g_size, g_limit, stored, fill_s);
    fflush(stdout);
    /* Leaving without logging in; the server drops the connection. */
    return 2;
  }
  xmpp_disconnect(sender.conn);
  run_for(100000000LL);

  g_backlog_receiver.user = 1;
  int64_t r0 = now_ns();
  login(&g_backlog_receiver, prefix);
  bool done = run_until(backlog_done, g_limit);
  double secs = (double)(now_ns() - r0) / 1e9;
  long got = g_backlog_receiver.got;
  printf("{\"bench\": \"xmpp\", \"case\": \"backlog\", \"params\": {\"server\": \"%s\", \"messages\": %ld, \"size\": %d, "
         "\"limit_s\": %g}, \"metrics\": {\"finished\": %d, \"received\": %ld, \"relayed_total\": %ld",
         g_server, g_messages, g_size, g_limit, done ? 1 : 0, got, got);
  if (done) printf(", \"seconds\": %.4f, \"msgs_per_s\": %.1f", secs, (double)got / secs);
  printf(", \"fill_msgs_per_s\": %.1f}}\n", (double)g_messages / fill_s);
  fflush(stdout);
  if (!done) fprintf(stderr, "xmpp_bench: backlog: %ld of %ld delivered in %.0f s\n", got, g_messages, g_limit);
  if (g_backlog_receiver.up) xmpp_disconnect(g_backlog_receiver.conn);
  run_for(100000000LL);
  return done ? 0 : 2;
}

/* ---- idle connections and server RSS ------------------------------------------------------ */
static long rss_bytes(long pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

/* A child process holding users [first, first + n): it writes one byte to `ready` once all are
 * logged in, then holds them until its parent closes `hold`. */
static void idle_child(int first, int n, int ready, int hold) {
  client_t *cs = calloc((size_t)n, sizeof *cs);
  /* At most --concurrency logins under way at a time: a single-threaded server (Prosody) given
   * hundreds at once lets the last ones time out. */
  int started = 0;
  int64_t end = now_ns() + 120000000000LL;
  while (g_up < n && g_down == 0 && now_ns() < end) {
    while (started < n && started - g_up < g_concurrency) {
      cs[started].user = first + started;
      login(&cs[started], "u");
      started++;
    }
    xmpp_run_once(g_ctx, 1);
  }
  char b = g_up == n && g_down == 0 ? 'y' : 'n';
  if (write(ready, &b, 1) != 1) _exit(1);
  for (;;) {
    xmpp_run_once(g_ctx, 100);
    char x;
    ssize_t r = recv(hold, &x, 1, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
  }
  close_all(cs, n);
  _exit(g_down > 0 ? 1 : 0);
}

static int run_idle(void) {
  if (g_server_pid <= 0) fail("%s", "--mode idle needs --server-pid");
  if (g_clients > g_users) fail("%s", "--clients needs as many registered --users");
  const int per = 900;
  int procs = (g_clients + per - 1) / per;
  long base = rss_bytes(g_server_pid);
  int64_t t0 = now_ns();
  pid_t *kids = calloc((size_t)procs, sizeof *kids);
  int ready[2], hold[2];
  if (pipe(ready) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, hold) != 0) fail("%s", "pipe failed");
  fflush(stdout);
  for (int k = 0; k < procs; k++) {
    int first = g_first_user + k * per, n = g_clients - k * per < per ? g_clients - k * per : per;
    pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      close(hold[0]);
      xmpp_ctx_free(g_ctx);
      g_ctx = xmpp_ctx_new(NULL, NULL);
      idle_child(first, n, ready[1], hold[1]);
    }
    kids[k] = pid;
  }
  close(ready[1]);
  close(hold[1]);
  int ok = 0;
  for (int k = 0; k < procs; k++) {
    char b;
    if (read(ready[0], &b, 1) == 1 && b == 'y') ok++;
  }
  double login_s = (double)(now_ns() - t0) / 1e9;
  struct timespec settle = {1, 0};
  nanosleep(&settle, NULL);
  long held_rss = rss_bytes(g_server_pid);
  close(hold[0]); /* the children disconnect and exit */
  int bad = 0;
  for (int k = 0; k < procs; k++) {
    int st = 0;
    waitpid(kids[k], &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
  }
  if (ok != procs) {
    fprintf(stderr, "xmpp_bench: idle: %d of %d client processes could not log in all their clients\n", procs - ok, procs);
    return 1;
  }
  printf("{\"bench\": \"xmpp\", \"case\": \"idle\", \"params\": {\"server\": \"%s\", \"clients\": %d}, \"metrics\": "
         "{\"held\": %d, \"rss_per_conn_bytes\": %.1f, \"server_rss_base_bytes\": %ld, \"server_rss_bytes\": %ld, "
         "\"login_seconds\": %.2f}}\n",
         g_server, g_clients, g_clients, (double)(held_rss - base) / g_clients, base, held_rss, login_s);
  fflush(stdout);
  return bad ? 1 : 0;
}

/* ---- logins per second: connect, SASL PLAIN, bind, presence, disconnect --------------------- */
static int run_logins(void) {
  if (g_clients > g_users) fail("%s", "--clients needs as many registered --users");
  client_t *cs = calloc((size_t)g_clients, sizeof *cs);
  int next = 0, finished = 0;
  int64_t t0 = now_ns();
  while (finished < g_clients) {
    int active = 0;
    for (int i = 0; i < next; i++) {
      client_t *c = &cs[i];
      if (!c->conn) continue;
      if (c->up) { c->got = 1; c->failed = true; xmpp_disconnect(c->conn); c->up = false; }
      if (xmpp_conn_is_disconnected(c->conn)) {
        if (!c->got) fail("%s", "a login failed (see the server log)");
        xmpp_conn_release(c->conn);
        c->conn = NULL;
        finished++;
      } else {
        active++;
      }
    }
    while (next < g_clients && active < g_concurrency) {
      cs[next].user = g_first_user + next;
      login(&cs[next], "u");
      next++;
      active++;
    }
    xmpp_run_once(g_ctx, 1);
    if (now_ns() - t0 > (int64_t)(g_limit * 1e9)) fail("%s", "logins timed out");
  }
  double secs = (double)(now_ns() - t0) / 1e9;
  printf("{\"bench\": \"xmpp\", \"case\": \"logins\", \"params\": {\"server\": \"%s\", \"clients\": %d, "
         "\"concurrency\": %d, \"sasl\": \"PLAIN\"}, \"metrics\": {\"logins_per_s\": %.1f}}\n",
         g_server, g_clients, g_concurrency, (double)g_clients / secs);
  fflush(stdout);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: xmpp_bench --port P [--host H] [--domain D] [--server NAME]\n"
          "         --mode register|inflight1|window|rate|backlog|idle|logins\n"
          "         [--users N] [--pairs M] [--seconds S] [--size B] [--window W] [--rate R]\n"
          "         [--messages N] [--limit S] [--clients N] [--concurrency C] [--server-pid PID]\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(); return 0; }
    if (!v) { usage(); return 1; }
    if (strcmp(a, "--host") == 0) g_host = v;
    else if (strcmp(a, "--port") == 0) g_port = atoi(v);
    else if (strcmp(a, "--domain") == 0) g_domain = v;
    else if (strcmp(a, "--server") == 0) g_server = v;
    else if (strcmp(a, "--mode") == 0) g_mode = v;
    else if (strcmp(a, "--seconds") == 0) g_seconds = atof(v);
    else if (strcmp(a, "--size") == 0) g_size = atoi(v);
    else if (strcmp(a, "--window") == 0) g_window = atoi(v);
    else if (strcmp(a, "--rate") == 0) g_rate = atof(v);
    else if (strcmp(a, "--pairs") == 0) g_pairs = atoi(v);
    else if (strcmp(a, "--messages") == 0) g_messages = atol(v);
    else if (strcmp(a, "--limit") == 0) g_limit = atof(v);
    else if (strcmp(a, "--users") == 0) g_users = atoi(v);
    else if (strcmp(a, "--clients") == 0) g_clients = atoi(v);
    else if (strcmp(a, "--concurrency") == 0) g_concurrency = atoi(v);
    else if (strcmp(a, "--server-pid") == 0) g_server_pid = atol(v);
    else { usage(); return 1; }
    i++;
  }
  if (g_size < 40 || g_size > 4000 || g_seconds <= 0 || g_window < 1 || g_rate <= 0 || g_pairs < 1 || g_messages < 1 ||
      g_users < 1 || g_clients < 1 || g_concurrency < 1 || g_limit <= 0) {
    fprintf(stderr, "xmpp_bench: need --size 40..4000 and positive counts, rates and times\n");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  g_run_id = (long)getpid() * 1000 + (long)(now_ns() / 1000000 % 1000);
  g_padding = malloc((size_t)g_size + 1);
  memset(g_padding, 'x', (size_t)g_size);
  g_padding[g_size] = 0;
  xmpp_initialize();
  g_ctx = xmpp_ctx_new(NULL, NULL);
  int rc;
  if (strcmp(g_mode, "register") == 0) rc = register_users("u", 0, g_users);
  else if (!strcmp(g_mode, "inflight1") || !strcmp(g_mode, "window") || !strcmp(g_mode, "rate")) rc = run_relay();
  else if (strcmp(g_mode, "backlog") == 0) rc = run_backlog();
  else if (strcmp(g_mode, "idle") == 0) rc = run_idle();
  else if (strcmp(g_mode, "logins") == 0) rc = run_logins();
  else { usage(); rc = 1; }
  xmpp_ctx_free(g_ctx);
  xmpp_shutdown();
  return rc;
}
