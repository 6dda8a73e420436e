/* mqtt_bench: the relay peer of occhat-bench. One publisher -> one subscriber through a mosquitto
 * broker, 100-byte QoS 1 messages on one topic, measured the way occhat-bench measures relay and
 * backlog, and printed as the same JSON lines (bench "mqtt"; see /tmp/occhat/bench-contract.md).
 *
 *   mqtt_bench --port P --mode inflight1            [--seconds S] [--size B]
 *   mqtt_bench --port P --mode window --window 64   [--seconds S] [--size B]
 *   mqtt_bench --port P --mode rate --rate 5000     [--seconds S] [--size B]
 *   mqtt_bench --port P --mode backlog --messages 100000 [--size B]
 *
 * Throughput is counted at the subscriber over --seconds after a 1 s warm-up. Latency (rate mode)
 * is subscriber receive time minus the send time the publisher wrote into the payload (both
 * CLOCK_MONOTONIC in one process). Progress and errors go to stderr; results to stdout.
 * Built by scripts/bench.sh with `cc -O2 -Wall -Wextra ... -lmosquitto -lpthread`; it is not part
 * of CMake because libmosquitto is installed only for benchmarks (scripts/setup.sh bench). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOPIC "bench/1"
#define BACKLOG_TOPIC "bench/backlog"

static const char *g_host = "127.0.0.1";
static int g_port = 1883;
static const char *g_mode = "";
static double g_seconds = 5.0;
static int g_size = 100;
static int g_window = 64;
static int g_rate = 5000;
static long g_messages = 100000;

/* Publisher state. In inflight1 and window modes the next publish is issued from on_publish
 * (the PUBACK), so `acked` drives the loop; in rate mode the main thread paces the sends. */
static atomic_long g_sent;
static atomic_long g_acked;
static atomic_bool g_stop;
static atomic_bool g_connected_pub;
static atomic_bool g_connected_sub;
static atomic_bool g_subscribed;

/* Subscriber state. Latency samples are kept only while `g_recording` is set. */
static atomic_long g_received;
static atomic_bool g_recording;
static uint32_t *g_samples_ns_div; /* latency in ns / 16, saturating: fits 68 s in 32 bits */
static long g_samples_cap;
static atomic_long g_samples_n;
static int64_t g_max_ns;           /* written only by the subscriber's network thread */
static pthread_mutex_t g_done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_done_cv = PTHREAD_COND_INITIALIZER;

static unsigned char *g_payload;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns) {
  if (ns <= 0) return;
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void die(const char *what, int rc) {
  fprintf(stderr, "mqtt_bench: %s: %s\n", what, mosquitto_strerror(rc));
  exit(1);
}

/* Publishes one message stamped with its sequence number and send time; the payload buffer is
 * copied by libmosquitto, so one buffer serves every call (under the library's own locking). */
static void publish_one(struct mosquitto *m, const char *topic) {
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&mu);
  int64_t seq = atomic_fetch_add(&g_sent, 1);
  int64_t t = now_ns();
  memcpy(g_payload, &seq, sizeof seq);
  memcpy(g_payload + 8, &t, sizeof t);
  int rc = mosquitto_publish(m, NULL, topic, g_size, g_payload, 1, false);
  pthread_mutex_unlock(&mu);
  if (rc != MOSQ_ERR_SUCCESS && !atomic_load(&g_stop)) die("publish", rc);
}

static void on_connect_pub(struct mosquitto *m, void *obj, int rc) {
  (void)m; (void)obj;
  if (rc != 0) { fprintf(stderr, "mqtt_bench: publisher refused: %d\n", rc); exit(1); }
  atomic_store(&g_connected_pub, true);
}

static void on_publish(struct mosquitto *m, void *obj, int mid) {
  (void)obj; (void)mid;
  atomic_fetch_add(&g_acked, 1);
  if (atomic_load(&g_stop)) return;
  /* inflight1: exactly one outstanding; window: keep `window` outstanding. */
  if (strcmp(g_mode, "inflight1") == 0 || strcmp(g_mode, "window") == 0) publish_one(m, TOPIC);
}

static void on_connect_sub(struct mosquitto *m, void *obj, int rc) {
  (void)obj;
  if (rc != 0) { fprintf(stderr, "mqtt_bench: subscriber refused: %d\n", rc); exit(1); }
  atomic_store(&g_connected_sub, true);
  const char *topic = strcmp(g_mode, "backlog") == 0 ? BACKLOG_TOPIC : TOPIC;
  int r = mosquitto_subscribe(m, NULL, topic, 1);
  if (r != MOSQ_ERR_SUCCESS) die("subscribe", r);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted) {
  (void)m; (void)obj; (void)mid;
  if (n < 1 || granted[0] != 1) { fprintf(stderr, "mqtt_bench: QoS 1 not granted\n"); exit(1); }
  atomic_store(&g_subscribed, true);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
  (void)m; (void)obj;
  long n = atomic_fetch_add(&g_received, 1) + 1;
  if (atomic_load(&g_recording) && msg->payloadlen >= 16) {
    int64_t sent_at;
    memcpy(&sent_at, (const char *)msg->payload + 8, sizeof sent_at);
    int64_t lat = now_ns() - sent_at;
    if (lat > g_max_ns) g_max_ns = lat;
    long i = atomic_fetch_add(&g_samples_n, 1);
    if (i < g_samples_cap) {
      int64_t v = lat / 16;
      g_samples_ns_div[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    }
  }
  if (strcmp(g_mode, "backlog") == 0 && n >= g_messages) {
    pthread_mutex_lock(&g_done_mu);
    pthread_cond_signal(&g_done_cv);
    pthread_mutex_unlock(&g_done_mu);
  }
}

static void wait_flag(atomic_bool *flag, const char *what) {
  int64_t deadline = now_ns() + 10000000000LL;
  while (!atomic_load(flag)) {
    if (now_ns() > deadline) { fprintf(stderr, "mqtt_bench: timed out waiting for %s\n", what); exit(1); }
    sleep_ns(1000000);
  }
}

static struct mosquitto *make_client(const char *id, bool clean) {
  struct mosquitto *m = mosquitto_new(id, clean, NULL);
  if (!m) { perror("mqtt_bench: mosquitto_new"); exit(1); }
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  return m;
}

static void start_sub(struct mosquitto *sub) {
  mosquitto_connect_callback_set(sub, on_connect_sub);
  mosquitto_subscribe_callback_set(sub, on_subscribe);
  mosquitto_message_callback_set(sub, on_message);
  int rc = mosquitto_connect(sub, g_host, g_port, 60);
  if (rc != MOSQ_ERR_SUCCESS) die("subscriber connect", rc);
  rc = mosquitto_loop_start(sub);
  if (rc != MOSQ_ERR_SUCCESS) die("loop_start", rc);
}

static void start_pub(struct mosquitto *pub) {
  mosquitto_connect_callback_set(pub, on_connect_pub);
  mosquitto_publish_callback_set(pub, on_publish);
  /* Our own loop bounds what is outstanding; the library must not queue behind its default 20. */
  mosquitto_max_inflight_messages_set(pub, 0);
  int rc = mosquitto_connect(pub, g_host, g_port, 60);
  if (rc != MOSQ_ERR_SUCCESS) die("publisher connect", rc);
  rc = mosquitto_loop_start(pub);
  if (rc != MOSQ_ERR_SUCCESS) die("loop_start", rc);
  wait_flag(&g_connected_pub, "the publisher's CONNACK");
}

static void stop_client(struct mosquitto *m) {
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, false);
  mosquitto_destroy(m);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static double pct_us(const uint32_t *s, long n, double p) {
  if (n <= 0) return 0;
  long i = (long)(p * (double)n);
  if (i >= n) i = n - 1;
  return (double)s[i] * 16.0 / 1000.0;
}

/* inflight1, window and rate: warm up 1 s, then count for --seconds. */
static int run_stream(void) {
  bool rate_mode = strcmp(g_mode, "rate") == 0;
  if (rate_mode) {
    g_samples_cap = (long)((double)g_rate * g_seconds * 1.2) + 1024;
    g_samples_ns_div = calloc((size_t)g_samples_cap, sizeof *g_samples_ns_div);
    if (!g_samples_ns_div) { perror("mqtt_bench: calloc"); return 1; }
  }
  struct mosquitto *sub = make_client(NULL, true);
  struct mosquitto *pub = make_client(NULL, true);
  start_sub(sub);
  wait_flag(&g_subscribed, "the SUBACK");
  start_pub(pub);

  const int64_t warm_ns = 1000000000LL;
  const int64_t measure_ns = (int64_t)(g_seconds * 1e9);
  int64_t t0 = now_ns();
  long sent0 = 0, recv0 = 0, sent1 = 0, recv1 = 0;
  int64_t m0 = 0, m1 = 0;
  if (!rate_mode) {
    int first = strcmp(g_mode, "window") == 0 ? g_window : 1;
    for (int i = 0; i < first; i++) publish_one(pub, TOPIC);
    sleep_ns(warm_ns);
    m0 = now_ns(); sent0 = atomic_load(&g_sent); recv0 = atomic_load(&g_received);
    sleep_ns(measure_ns);
    m1 = now_ns(); sent1 = atomic_load(&g_sent); recv1 = atomic_load(&g_received);
  } else {
    /* Open loop: message i leaves at t0 + i/rate whatever happened to the ones before it. */
    const double interval_ns = 1e9 / g_rate;
    bool recording = false;
    for (long i = 0;; i++) {
      int64_t due = t0 + (int64_t)((double)i * interval_ns);
      int64_t now = now_ns();
      if (now >= t0 + warm_ns + measure_ns) break;
      if (!recording && now >= t0 + warm_ns) {
        recording = true;
        m0 = now; sent0 = atomic_load(&g_sent); recv0 = atomic_load(&g_received);
        atomic_store(&g_recording, true);
      }
      sleep_ns(due - now);
      publish_one(pub, TOPIC);
    }
    m1 = now_ns(); sent1 = atomic_load(&g_sent); recv1 = atomic_load(&g_received);
    sleep_ns(200000000LL); /* let the last ones arrive so their latency is counted */
    atomic_store(&g_recording, false);
  }
  atomic_store(&g_stop, true);
  double secs = (double)(m1 - m0) / 1e9;
  double mps = (double)(recv1 - recv0) / secs;

  if (strcmp(g_mode, "inflight1") == 0) {
    printf("{\"bench\": \"mqtt\", \"case\": \"inflight1\", \"params\": {\"pairs\": 1, \"seconds\": %g, "
           "\"size\": %d, \"qos\": 1}, \"metrics\": {\"msgs_per_s\": %.1f, \"sent\": %ld, \"received\": %ld, "
           "\"relayed_total\": %ld}}\n",
           g_seconds, g_size, mps, sent1 - sent0, recv1 - recv0, atomic_load(&g_received));
  } else if (strcmp(g_mode, "window") == 0) {
    printf("{\"bench\": \"mqtt\", \"case\": \"window\", \"params\": {\"pairs\": 1, \"seconds\": %g, "
           "\"size\": %d, \"window\": %d, \"qos\": 1}, \"metrics\": {\"msgs_per_s\": %.1f, \"sent\": %ld, "
           "\"received\": %ld, \"relayed_total\": %ld}}\n",
           g_seconds, g_size, g_window, mps, sent1 - sent0, recv1 - recv0, atomic_load(&g_received));
  } else {
    long n = atomic_load(&g_samples_n);
    if (n > g_samples_cap) n = g_samples_cap;
    qsort(g_samples_ns_div, (size_t)n, sizeof *g_samples_ns_div, cmp_u32);
    printf("{\"bench\": \"mqtt\", \"case\": \"rate\", \"params\": {\"pairs\": 1, \"seconds\": %g, "
           "\"size\": %d, \"rate\": %d, \"qos\": 1}, \"metrics\": {\"msgs_per_s\": %.1f, \"p50_us\": %.1f, "
           "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"samples\": %ld, \"sent\": %ld, "
           "\"relayed_total\": %ld}}\n",
           g_seconds, g_size, g_rate, mps, pct_us(g_samples_ns_div, n, 0.50),
           pct_us(g_samples_ns_div, n, 0.99), pct_us(g_samples_ns_div, n, 0.999),
           (double)g_max_ns / 1000.0, n, sent1 - sent0, atomic_load(&g_received));
  }
  fflush(stdout);
  stop_client(pub);
  stop_client(sub);
  return 0;
}

/* backlog: a persistent subscriber (clean_session false) subscribes and goes away; N QoS 1
 * messages are published and acknowledged by the broker; then the subscriber comes back and we
 * time its reconnect until the last queued message has arrived (each one PUBACKed by the
 * library). The broker must allow unlimited queued messages (max_queued_messages 0). */
static int run_backlog(void) {
  char id[64];
  snprintf(id, sizeof id, "mqtt-bench-backlog-%ld", (long)getpid());
  struct mosquitto *sub = make_client(id, false);
  start_sub(sub);
  wait_flag(&g_subscribed, "the SUBACK");
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(sub, false);
  atomic_store(&g_received, 0);

  struct mosquitto *pub = make_client(NULL, true);
  start_pub(pub);
  int64_t f0 = now_ns();
  const long window = 1000; /* outstanding PUBACKs while filling: a fast, bounded fill */
  while (atomic_load(&g_sent) < g_messages) {
    if (atomic_load(&g_sent) - atomic_load(&g_acked) < window) publish_one(pub, BACKLOG_TOPIC);
    else sleep_ns(20000);
  }
  int64_t deadline = now_ns() + 60000000000LL;
  while (atomic_load(&g_acked) < g_messages) {
    if (now_ns() > deadline) { fprintf(stderr, "mqtt_bench: fill timed out\n"); return 1; }
    sleep_ns(100000);
  }
  double fill_s = (double)(now_ns() - f0) / 1e9;
  atomic_store(&g_stop, true);
  stop_client(pub);
  long early = atomic_load(&g_received);
  if (early != 0) { fprintf(stderr, "mqtt_bench: subscriber got %ld while offline\n", early); return 1; }

  int64_t r0 = now_ns();
  int rc = mosquitto_reconnect(sub);
  if (rc != MOSQ_ERR_SUCCESS) die("subscriber reconnect", rc);
  rc = mosquitto_loop_start(sub);
  if (rc != MOSQ_ERR_SUCCESS) die("loop_start", rc);
  pthread_mutex_lock(&g_done_mu);
  while (atomic_load(&g_received) < g_messages) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&g_done_cv, &g_done_mu, &ts);
    if (now_ns() - r0 > 120000000000LL) break;
  }
  pthread_mutex_unlock(&g_done_mu);
  double secs = (double)(now_ns() - r0) / 1e9;
  long got = atomic_load(&g_received);
  if (got < g_messages) {
    fprintf(stderr, "mqtt_bench: backlog: only %ld of %ld received\n", got, g_messages);
    return 1;
  }
  printf("{\"bench\": \"mqtt\", \"case\": \"backlog\", \"params\": {\"messages\": %ld, \"size\": %d, "
         "\"qos\": 1}, \"metrics\": {\"seconds\": %.4f, \"msgs_per_s\": %.1f, \"fill_msgs_per_s\": %.1f, \"relayed_total\": %ld}}\n",
         g_messages, g_size, secs, (double)g_messages / secs, (double)g_messages / fill_s, g_messages);
  fflush(stdout);
  stop_client(sub);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: mqtt_bench [--host H] --port P --mode inflight1|window|rate|backlog\n"
          "                  [--seconds S] [--size B] [--window N] [--rate R] [--messages N]\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(); return 0; }
    if (!v) { usage(); return 1; }
    if (strcmp(a, "--host") == 0) g_host = v;
    else if (strcmp(a, "--port") == 0) g_port = atoi(v);
    else if (strcmp(a, "--mode") == 0) g_mode = v;
    else if (strcmp(a, "--seconds") == 0) g_seconds = atof(v);
    else if (strcmp(a, "--size") == 0) g_size = atoi(v);
    else if (strcmp(a, "--window") == 0) g_window = atoi(v);
    else if (strcmp(a, "--rate") == 0) g_rate = atoi(v);
    else if (strcmp(a, "--messages") == 0) g_messages = atol(v);
    else { usage(); return 1; }
    i++;
  }
  if (g_size < 16 || g_seconds <= 0 || g_window < 1 || g_rate < 1 || g_messages < 1) {
    fprintf(stderr, "mqtt_bench: need --size >= 16 and positive --seconds/--window/--rate/--messages\n");
    return 1;
  }
  g_payload = calloc(1, (size_t)g_size);
  if (!g_payload) return 1;
  memset(g_payload + 16, 'x', (size_t)g_size - 16);
  mosquitto_lib_init();
  int rc;
  if (strcmp(g_mode, "inflight1") == 0 || strcmp(g_mode, "window") == 0 || strcmp(g_mode, "rate") == 0) rc = run_stream();
  else if (strcmp(g_mode, "backlog") == 0) rc = run_backlog();
  else { usage(); rc = 1; }
  mosquitto_lib_cleanup();
  return rc;
}
