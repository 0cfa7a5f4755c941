/* usdtpay-customer.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A shop and its customers, simulated: creates orders at a rate (or as fast
 * as a concurrency allows), marks them paid after a delay, optionally plays
 * merchants (online on the feed, confirming paid orders), and reports counts
 * by state and latency percentiles. It is the demo's traffic and the
 * benchmarks' load generator, so everything runs on one GLib main loop with
 * many keep-alive connections and no threads.
 */

#define G_LOG_DOMAIN "usdtpay-customer"

#include "config.h"

#include <glib-unix.h>
#include <glib/gprintf.h>
#include <libsoup/soup.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "usdtpay-core.h"
#include "usdtpay-http-pool.h"

typedef enum
{
  KIND_CREATE,
  KIND_GET,
  KIND_PAID,
  KIND_ACCEPT,
  KIND_CONFIRM,
  KIND_LOGIN,
  KIND_SETTINGS,
  KIND_HEALTH,
  KIND_STATIC,
  KIND_FEED,       /* create sent → the merchant's matched/offered event */
  KIND_LIFECYCLE,  /* create sent → the lifecycle's last answer */
  N_KINDS
} Kind;

static const char *kind_names[N_KINDS] = {
  "create", "get", "paid", "accept", "confirm", "login", "settings", "health",
  "static", "feed", "lifecycle",
};

/* The most attempts a request gets when the network fails or the server
 * answers 5xx or 429; the same Idempotency-Key goes with every attempt. */
#define MAX_ATTEMPTS 20
#define POLL_INTERVAL_MS 250
#define CONFIRM_FALLBACK_MS 3000
#define PLATFORM_GONE_USEC (10 * G_USEC_PER_SEC)
#define FIAT_RATE_TENTHS 72 /* 1 USDT = 7.2 units of the fiat currency */

typedef struct _Simulator Simulator;
typedef struct _Request   Request;
typedef struct _Lifecycle Lifecycle;
typedef struct _Merchant  Merchant;

/* The members the simulator reads of an answer or a feed event, picked
 * out of the text without building a JSON tree: the load generator must
 * cost the machine it shares with the daemon as little as it can. */
typedef enum
{
  FIELD_ID,
  FIELD_EXTERNAL_ID,
  FIELD_MERCHANT,
  FIELD_VERSION,
  FIELD_STATE,
  FIELD_PAY_URL,
  FIELD_ERROR_CODE,
  FIELD_TOKEN,
  FIELD_SEQ,
  FIELD_TYPE,
  N_FIELDS
} Field;

typedef struct
{
  UsdtpayJsonPick picks[N_FIELDS];
} Fields;

/* An answer is an order (or an error, a session, the health document); a
 * feed event carries its order in "order". */
static const char * const answer_paths[N_FIELDS] = {
  "id", "external_id", "merchant", "version", "state", "pay_url", "error.code", "token", "seq", "type",
};
static const char * const event_paths[N_FIELDS] = {
  "order.id", "order.external_id", "order.merchant", "order.version", "order.state",
  "order.pay_url", "error.code", "token", "seq", "type",
};

typedef void (*ReplyFunc) (Request      *req,
                           guint         status,
                           const Fields *body);

typedef struct
{
  GArray  *samples;   /* gint64 microseconds */
  guint64  ok;
  guint64  failed;
} Stat;

struct _Request
{
  Simulator   *sim;
  Kind         kind;
  const char  *method;
  char        *uri;
  char        *auth;
  char        *idempotency_key;
  GBytes      *body;
  guint        attempts;
  gint64       first_sent;
  ReplyFunc    reply;
  gpointer     data;
  SoupMessage *msg;
  guint        retry_id;
};

typedef enum
{
  LC_FRESH,
  LC_WAIT_MATCH,
  LC_WAIT_PAY_DELAY,
  LC_WAIT_COMPLETE,
  LC_DONE,
} LifecycleStep;

struct _Lifecycle
{
  Simulator         *sim;
  guint64            n;
  char              *external_id;
  char              *id;
  char              *token;
  GBytes            *create_body;
  gint64             created_sent;
  gint64             version;
  UsdtpayOrderState  state;
  LifecycleStep      step;
  guint              inflight;
  guint              timer_id;
  gboolean           feed_seen;
  gboolean           paid_sent;
  gboolean           finished;
  gboolean           failed;
};

struct _Merchant
{
  Simulator               *sim;
  char                    *user;
  char                    *password;
  char                    *token;
  char                    *auth;
  SoupWebsocketConnection *ws;
  gint64                   last_seq;
  gint64                   acked_seq;
  gint64                   last_ack;
  guint                    ack_timer;
  guint                    reconnect_timer;
  gboolean                 ready;
  guint64                  events;
  guint64                  closes_4008;
  guint64                  reconnects;
};

struct _Simulator
{
  GMainLoop     *loop;
  SoupSession   *session;         /* https:// requests and the merchants' feeds */
  UsdtpayHttpPool *pool;          /* every request to an http:// platform */
  gsize          origin_length;   /* of the URLs' scheme://host:port the pool serves */
  GCancellable  *cancellable;
  GRand         *rand;

  /* options */
  char          *base;            /* without a trailing '/' */
  char          *static_url;
  char          *api_auth;
  double         rate;
  guint          concurrency;
  double         duration;
  guint64        count;
  guint          pay_after_ms;
  gboolean       auto_confirm;
  gboolean       manual;
  gboolean       no_pay;
  gboolean       verbose;
  gboolean       strict;
  double         drain;
  double         report_interval;
  gint64         merchant_cap;
  char          *method;
  char          *currency;
  guint          fiat_decimals;
  gint64         amount_min;
  gint64         amount_max;
  char          *run_id;

  GPtrArray     *merchants;
  guint          merchants_ready;

  /* run state */
  gboolean       running;         /* starting new work */
  gboolean       stopping;
  gboolean       finished;
  int            exit_status;
  gint64         start_time;
  gint64         stop_time;
  guint64        started;
  guint64        live;            /* lifecycles or static loops in flight */
  guint          tick_id;
  guint          stop_id;
  guint          drain_id;
  guint          report_id;
  guint          signal_ids[2];
  GHashTable    *by_external_id;  /* borrowed Lifecycle */
  GHashTable      *retrying;       /* Request* waiting to be sent again */

  /* results */
  Stat           stats[N_KINDS];
  guint64        final_states[USDTPAY_N_ORDER_STATES];
  guint64        lifecycles_failed;
  guint64        net_errors;
  guint64        retries;
  guint64        offers_lost;
  guint64        feed_missing;    /* --no-pay: orders our merchants' feeds never brought */
  GHashTable    *error_counts;    /* "kind status code" → count */
  guint64        completed_at_stop;
  guint64        requests_at_stop;
  guint64        requests_done;
  guint64        unfinished;
  gint64         last_answer;     /* monotonic time of the last HTTP answer */
};

static void lifecycle_start         (Simulator *sim);
static void lifecycle_apply_order   (Lifecycle    *lc,
                                     const Fields *order);
static void lifecycle_check_done    (Lifecycle *lc);
static void merchant_connect        (Merchant  *merchant);
static void lifecycle_finish        (Lifecycle *lc,
                                     gboolean   failed);
static void simulator_maybe_finish  (Simulator *sim);
static void simulator_fatal         (Simulator *sim,
                                     const char *format,
                                     ...) G_GNUC_PRINTF (2, 3);
static void static_next             (Simulator *sim);

/* Statistics */

static void
stat_record (Simulator *sim,
             Kind       kind,
             gint64     usec)
{
  Stat *stat = &sim->stats[kind];

  if (usec < 0)
    usec = 0;
  g_array_append_val (stat->samples, usec);
  stat->ok++;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *)a;
  gint64 y = *(const gint64 *)b;

  return (x > y) - (x < y);
}

static double
percentile_ms (const gint64 *sorted,
               guint         n,
               double        p)
{
  guint rank;

  if (n == 0)
    return 0.0;
  /* Nearest rank. */
  rank = (guint)ceil (p / 100.0 * n);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return sorted[rank - 1] / 1000.0;
}

static gboolean
fields_parse (Fields              *fields,
              const char * const  *paths,
              const char          *text,
              gsize                length,
              GError             **error)
{
  for (guint i = 0; i < N_FIELDS; i++)
    fields->picks[i].path = paths[i];

  return usdtpay_json_pick (text, length, fields->picks, N_FIELDS, error);
}

/* The field's string, or NULL when absent or not a string. */
static char *
fields_dup (const Fields *fields,
            Field         field)
{
  return fields != NULL ? usdtpay_json_pick_dup_string (&fields->picks[field]) : NULL;
}

static gboolean
fields_equal (const Fields *fields,
              Field         field,
              const char   *text)
{
  return fields != NULL && text != NULL && usdtpay_json_pick_equal (&fields->picks[field], text);
}

static gint64
fields_int (const Fields *fields,
            Field         field,
            gint64        fallback)
{
  gint64 value;

  if (fields == NULL || !usdtpay_json_pick_get_int (&fields->picks[field], &value))
    return fallback;
  return value;
}

static void
count_error (Simulator    *sim,
             Kind          kind,
             guint         status,
             const Fields *body)
{
  g_autofree char *code = fields_dup (body, FIELD_ERROR_CODE);
  char *key;
  gpointer value;

  sim->stats[kind].failed++;
  key = g_strdup_printf ("%s %u %s", kind_names[kind], status, code ? code : "-");
  value = g_hash_table_lookup (sim->error_counts, key);
  g_hash_table_insert (sim->error_counts, key, GUINT_TO_POINTER (GPOINTER_TO_UINT (value) + 1));
}

static double
elapsed_seconds (Simulator *sim,
                 gint64     until)
{
  if (sim->start_time == 0)
    return 0.0;
  return MAX (until - sim->start_time, 1) / 1e6;
}

static void
simulator_report (Simulator *sim,
                  gboolean   final)
{
  gint64 now = g_get_monotonic_time ();
  gint64 window_end = sim->stop_time ? sim->stop_time : now;
  double elapsed = elapsed_seconds (sim, window_end);
  guint64 completed = sim->stop_time ? sim->completed_at_stop
                                     : sim->final_states[USDTPAY_ORDER_COMPLETED];
  guint64 requests = sim->stop_time ? sim->requests_at_stop : sim->requests_done;
  guint64 in_flight = sim->finished ? sim->unfinished : sim->live;
  guint64 total_errors = 0;
  GString *human = g_string_new (NULL);
  GString *machine = g_string_new (NULL);

  g_string_append_printf (human, "%s after %.1f s: %" G_GUINT64_FORMAT " started, %"
                          G_GUINT64_FORMAT " in flight\n",
                          final ? "Result" : "Progress", elapsed, sim->started, in_flight);
  g_string_append_printf (machine, "elapsed_s=%.3f\n", elapsed);

  if (sim->static_url == NULL)
    {
      g_string_append_printf (machine, "orders_started=%" G_GUINT64_FORMAT "\n", sim->started);
      g_string_append (human, "  by state:");
      for (guint s = 0; s < USDTPAY_N_ORDER_STATES; s++)
        {
          const char *name = usdtpay_order_state_to_string (s);

          g_string_append_printf (machine, "state_%s=%" G_GUINT64_FORMAT "\n",
                                  name, sim->final_states[s]);
          if (sim->final_states[s] > 0)
            g_string_append_printf (human, " %s %" G_GUINT64_FORMAT, name, sim->final_states[s]);
        }
      g_string_append_printf (human, " failed %" G_GUINT64_FORMAT "\n", sim->lifecycles_failed);
      g_string_append_printf (machine, "lifecycles_failed=%" G_GUINT64_FORMAT "\n",
                              sim->lifecycles_failed);
      g_string_append_printf (machine, "in_flight=%" G_GUINT64_FORMAT "\n", in_flight);
      g_string_append_printf (machine, "lifecycles=%" G_GUINT64_FORMAT "\n", completed);
      g_string_append_printf (machine, "lifecycles_per_s=%.1f\n", completed / elapsed);
      g_string_append_printf (human, "  %.1f lifecycles/s (completed in the %.1f s window)\n",
                              completed / elapsed, elapsed);
      g_string_append_printf (machine, "offers_lost=%" G_GUINT64_FORMAT "\n", sim->offers_lost);
      if (sim->no_pay && sim->merchants->len > 0)
        {
          g_string_append_printf (machine, "feed_missing=%" G_GUINT64_FORMAT "\n",
                                  sim->feed_missing);
          if (sim->feed_missing > 0)
            g_string_append_printf (human, "  %" G_GUINT64_FORMAT " orders never came on our "
                                    "merchants' feeds within 5 s\n", sim->feed_missing);
        }
    }
  g_string_append_printf (machine, "requests_per_s=%.1f\n", requests / elapsed);
  g_string_append_printf (human, "  %.1f requests/s\n", requests / elapsed);

  for (guint k = 0; k < N_KINDS; k++)
    {
      Stat *stat = &sim->stats[k];
      g_autofree gint64 *sorted = NULL;
      guint n = stat->samples->len;
      double p50, p90, p99, max;

      total_errors += stat->failed;
      if (stat->ok == 0 && stat->failed == 0)
        continue;
      sorted = g_memdup2 (stat->samples->data, sizeof (gint64) * MAX (n, 1));
      qsort (sorted, n, sizeof (gint64), compare_gint64);
      p50 = percentile_ms (sorted, n, 50);
      p90 = percentile_ms (sorted, n, 90);
      p99 = percentile_ms (sorted, n, 99);
      max = percentile_ms (sorted, n, 100);
      g_string_append_printf (machine,
                              "%s_count=%" G_GUINT64_FORMAT "\n%s_errors=%" G_GUINT64_FORMAT "\n"
                              "%s_p50_ms=%.3f\n%s_p90_ms=%.3f\n%s_p99_ms=%.3f\n%s_max_ms=%.3f\n",
                              kind_names[k], stat->ok, kind_names[k], stat->failed,
                              kind_names[k], p50, kind_names[k], p90,
                              kind_names[k], p99, kind_names[k], max);
      if (k == KIND_STATIC)
        g_string_append_printf (machine, "static_req_per_s=%.1f\n", requests / elapsed);
      g_string_append_printf (human,
                              "  %-9s %8" G_GUINT64_FORMAT " ok %6" G_GUINT64_FORMAT
                              " failed  p50 %8.3f  p90 %8.3f  p99 %8.3f  max %8.3f ms\n",
                              kind_names[k], stat->ok, stat->failed, p50, p90, p99, max);
    }

  g_string_append_printf (machine, "errors=%" G_GUINT64_FORMAT "\n", total_errors);
  g_string_append_printf (machine, "net_errors=%" G_GUINT64_FORMAT "\n", sim->net_errors);
  g_string_append_printf (machine, "retries=%" G_GUINT64_FORMAT "\n", sim->retries);
  if (sim->net_errors > 0 || sim->retries > 0)
    g_string_append_printf (human, "  %" G_GUINT64_FORMAT " network errors, %"
                            G_GUINT64_FORMAT " retries\n", sim->net_errors, sim->retries);

  if (g_hash_table_size (sim->error_counts) > 0)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_string_append (human, "  errors (request status code):\n");
      g_hash_table_iter_init (&iter, sim->error_counts);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_string_append_printf (human, "    %s: %u\n", (const char *)key,
                                GPOINTER_TO_UINT (value));
    }

  for (guint i = 0; i < sim->merchants->len; i++)
    {
      Merchant *merchant = g_ptr_array_index (sim->merchants, i);

      g_string_append_printf (human, "  merchant %s: %" G_GUINT64_FORMAT " events, last seq %"
                              G_GINT64_FORMAT ", %" G_GUINT64_FORMAT " reconnects, %"
                              G_GUINT64_FORMAT " closed with 4008\n",
                              merchant->user, merchant->events, merchant->last_seq,
                              merchant->reconnects, merchant->closes_4008);
      if (merchant->closes_4008 > 0)
        g_string_append_printf (machine, "feed_closed_4008=%" G_GUINT64_FORMAT "\n",
                                merchant->closes_4008);
    }

  fputs (human->str, stderr);
  fflush (stderr);
  if (final)
    {
      fputs (machine->str, stdout);
      fflush (stdout);
    }
  else if (sim->verbose)
    {
      /* Progress lines are prefixed so a script reading the final
       * name=value lines is not confused by them. */
      g_auto(GStrv) lines = g_strsplit (machine->str, "\n", -1);

      for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
        fprintf (stderr, "progress.%s\n", lines[i]);
    }
  g_string_free (human, TRUE);
  g_string_free (machine, TRUE);
}

/* Requests. Callers finish a lifecycle with lifecycle_finish() and then
 * call lifecycle_check_done() exactly once, last: it may free it. */

static void request_send (Request *req);

static void
request_free (Request *req)
{
  g_clear_object (&req->msg);
  g_free (req->uri);
  g_free (req->auth);
  g_free (req->idempotency_key);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req);
}

static Request *
request_new (Simulator  *sim,
             Kind        kind,
             const char *method,
             char       *uri,   /* owned */
             const char *auth,
             GBytes     *body,  /* borrowed, may be NULL */
             ReplyFunc   reply,
             gpointer    data)
{
  Request *req = g_new0 (Request, 1);

  req->sim = sim;
  req->kind = kind;
  req->method = method;
  req->uri = uri;
  req->auth = g_strdup (auth);
  req->body = body ? g_bytes_ref (body) : NULL;
  req->reply = reply;
  req->data = data;
  return req;
}

static gboolean
request_retry_cb (gpointer data)
{
  Request *req = data;

  req->retry_id = 0;
  g_hash_table_remove (req->sim->retrying, req);
  request_send (req);
  return G_SOURCE_REMOVE;
}

static gboolean
request_schedule_retry (Request *req,
                        guint    delay_ms)
{
  Simulator *sim = req->sim;

  if (req->attempts >= MAX_ATTEMPTS || sim->finished)
    return FALSE;
  sim->retries++;
  req->retry_id = g_timeout_add (delay_ms, request_retry_cb, req);
  g_hash_table_add (sim->retrying, req);
  return TRUE;
}

/* The outcome of one attempt, from the HTTP pool or from libsoup: @bytes is
 * NULL when the attempt failed with @error. */
static void
request_answered (Request      *req,
                  guint         status,
                  GBytes       *bytes,
                  const char   *retry_after,
                  const GError *error)
{
  Simulator *sim = req->sim;
  Fields fields;
  const Fields *body = NULL;

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          req->reply (req, 0, NULL);
          request_free (req);
          return;
        }
      sim->net_errors++;
      if (sim->verbose)
        g_printerr ("%s %s: %s (attempt %u)\n", req->method, req->uri, error->message,
                    req->attempts);
      if (request_schedule_retry (req, MIN (50 * req->attempts, 1000)))
        return;
      count_error (sim, req->kind, 0, NULL);
      /* Every attempt failed and nothing has answered for a while: the
       * platform is gone, and going on would only count failures. */
      if (g_get_monotonic_time () - sim->last_answer > PLATFORM_GONE_USEC && !sim->finished)
        simulator_fatal (sim, "the platform does not answer (%s)", error->message);
      req->reply (req, 0, NULL);
      request_free (req);
      return;
    }

  sim->last_answer = g_get_monotonic_time ();
  if (status >= 500 || status == 429)
    {
      guint delay = MIN (50 * req->attempts, 1000);

      if (retry_after != NULL)
        delay = (guint)MIN (g_ascii_strtoull (retry_after, NULL, 10), 60) * 1000;
      if (request_schedule_retry (req, MAX (delay, 10)))
        return;
    }

  sim->requests_done++;
  if (g_bytes_get_size (bytes) > 0)
    {
      gsize length;
      const char *text = g_bytes_get_data (bytes, &length);

      if (fields_parse (&fields, answer_paths, text, length, NULL))
        body = &fields;
    }

  if (status >= 200 && status < 300)
    stat_record (sim, req->kind, g_get_monotonic_time () - req->first_sent);
  else if (!(req->kind == KIND_ACCEPT && status == 409))
    count_error (sim, req->kind, status, body);  /* a lost accept race is no error */

  req->reply (req, status, body);
  request_free (req);
}

static void
request_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Request *req = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *retry_after = NULL;
  guint status = 0;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (bytes != NULL)
    {
      status = soup_message_get_status (req->msg);
      retry_after = soup_message_headers_get_one (soup_message_get_response_headers (req->msg),
                                                  "Retry-After");
    }
  request_answered (req, status, bytes, retry_after, error);
}

static void
request_pool_done_cb (UsdtpayHttpPool *pool,
                      guint            status,
                      GBytes          *body,
                      const char      *retry_after,
                      const GError    *error,
                      gpointer         data)
{
  Request *req = data;

  /* What libsoup would have refused to parse as a URL. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    {
      simulator_fatal (req->sim, "invalid URL %s", req->uri);
      request_free (req);
      return;
    }
  request_answered (req, status, body, retry_after, error);
}

/* libsoup writes a request's headers and body separately: without
 * TCP_NODELAY the body waits for the server's delayed ACK (40 ms). */
static void
network_event_cb (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            data)
{
  GSocket *socket;

  if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION (connection))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection));
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
request_send (Request *req)
{
  Simulator *sim = req->sim;
  SoupMessageHeaders *headers;

  if (sim->pool != NULL)
    {
      const char *path = req->uri + sim->origin_length;
      g_autofree char *rooted = path[0] == '/' ? NULL : g_strconcat ("/", path, NULL);

      if (req->attempts == 0)
        req->first_sent = g_get_monotonic_time ();
      req->attempts++;
      usdtpay_http_pool_send (sim->pool, req->method, rooted ? rooted : path, req->auth,
                              req->idempotency_key, NULL, req->body, sim->cancellable,
                              request_pool_done_cb, req);
      return;
    }

  g_clear_object (&req->msg);
  req->msg = soup_message_new (req->method, req->uri);
  if (req->msg == NULL)
    {
      simulator_fatal (sim, "invalid URL %s", req->uri);
      request_free (req);
      return;
    }
  /* Every request here is safe to repeat (creates carry an Idempotency-Key,
   * actions repeated by the same principal are no-ops), and the flag lets
   * libsoup send a POST on an idle keep-alive connection. */
  soup_message_add_flags (req->msg, SOUP_MESSAGE_IDEMPOTENT);
  g_signal_connect (req->msg, "network-event", G_CALLBACK (network_event_cb), NULL);
  headers = soup_message_get_request_headers (req->msg);
  if (req->auth != NULL)
    soup_message_headers_replace (headers, "Authorization", req->auth);
  if (req->idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", req->idempotency_key);
  if (req->body != NULL)
    soup_message_set_request_body_from_bytes (req->msg, "application/json", req->body);

  if (req->attempts == 0)
    req->first_sent = g_get_monotonic_time ();
  req->attempts++;
  soup_session_send_and_read_async (sim->session, req->msg, G_PRIORITY_DEFAULT,
                                    sim->cancellable, request_done_cb, req);
}

static GBytes *
bytes_printf (const char *format,
              ...)
{
  va_list args;
  char *text;
  int length;

  va_start (args, format);
  length = g_vasprintf (&text, format, args);
  va_end (args);
  return g_bytes_new_take (text, length);
}

static char *
json_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}


/* Fatal errors and the end of the run */

static gboolean
quit_cb (gpointer data)
{
  Simulator *sim = data;

  g_main_loop_quit (sim->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
sweep_cb (gpointer data)
{
  Simulator *sim = data;
  g_autoptr(GList) open = g_hash_table_get_values (sim->by_external_id);
  g_autoptr(GList) waiting = g_hash_table_get_keys (sim->retrying);
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the run is over");

  /* Cancelled requests free the lifecycles they hold when they return. */
  for (GList *l = open; l != NULL; l = l->next)
    {
      lifecycle_finish (l->data, TRUE);
      lifecycle_check_done (l->data);
    }

  /* A request waiting to be sent again is answered as cancelled, as one in
   * flight is: its lifecycle, finished above, hears of it and is freed. */
  g_hash_table_remove_all (sim->retrying);
  for (GList *l = waiting; l != NULL; l = l->next)
    {
      Request *req = l->data;

      g_clear_handle_id (&req->retry_id, g_source_remove);
      request_answered (req, 0, NULL, NULL, cancelled);
    }
  return G_SOURCE_REMOVE;
}

static void
simulator_finish (Simulator *sim)
{
  if (sim->finished)
    return;
  sim->finished = TRUE;
  sim->running = FALSE;
  if (sim->stop_time == 0)
    {
      sim->stop_time = g_get_monotonic_time ();
      sim->completed_at_stop = sim->final_states[USDTPAY_ORDER_COMPLETED];
      sim->requests_at_stop = sim->requests_done;
    }
  g_clear_handle_id (&sim->tick_id, g_source_remove);
  g_clear_handle_id (&sim->stop_id, g_source_remove);
  g_clear_handle_id (&sim->drain_id, g_source_remove);
  g_clear_handle_id (&sim->report_id, g_source_remove);
  sim->unfinished = sim->live;

  /* Work still in flight is cut short, from the main loop: the caller may
   * be in the middle of a lifecycle's callback. */
  g_idle_add (sweep_cb, sim);

  for (guint i = 0; i < sim->merchants->len; i++)
    {
      Merchant *merchant = g_ptr_array_index (sim->merchants, i);

      g_clear_handle_id (&merchant->ack_timer, g_source_remove);
      g_clear_handle_id (&merchant->reconnect_timer, g_source_remove);
      if (merchant->ws != NULL
          && soup_websocket_connection_get_state (merchant->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        {
          if (merchant->last_seq > merchant->acked_seq)
            {
              g_autofree char *ack = usdtpay_feed_encode_ack (merchant->last_seq);

              soup_websocket_connection_send_text (merchant->ws, ack);
            }
          soup_websocket_connection_close (merchant->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        }
    }
  g_cancellable_cancel (sim->cancellable);
  /* Let close frames and cancellations go out before leaving the loop. */
  g_timeout_add (200, quit_cb, sim);
}

static void
simulator_fatal (Simulator  *sim,
                 const char *format,
                 ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("usdtpay-customer: %s\n", message);
  sim->exit_status = 1;
  simulator_finish (sim);
}

static gboolean
drain_timeout_cb (gpointer data)
{
  Simulator *sim = data;

  sim->drain_id = 0;
  if (sim->live > 0)
    g_printerr ("usdtpay-customer: %" G_GUINT64_FORMAT " still in flight after the drain period\n",
                sim->live);
  simulator_finish (sim);
  return G_SOURCE_REMOVE;
}

static void
simulator_stop (Simulator *sim)
{
  if (sim->stopping)
    return;
  sim->stopping = TRUE;
  sim->running = FALSE;
  sim->stop_time = g_get_monotonic_time ();
  sim->completed_at_stop = sim->final_states[USDTPAY_ORDER_COMPLETED];
  sim->requests_at_stop = sim->requests_done;
  g_clear_handle_id (&sim->tick_id, g_source_remove);
  g_clear_handle_id (&sim->stop_id, g_source_remove);
  if (sim->drain > 0)
    sim->drain_id = g_timeout_add ((guint)(sim->drain * 1000), drain_timeout_cb, sim);
  simulator_maybe_finish (sim);
}

static void
simulator_maybe_finish (Simulator *sim)
{
  if (sim->finished)
    return;
  if (sim->count > 0 && sim->started >= sim->count && !sim->stopping)
    {
      if (sim->live == 0)
        simulator_stop (sim);
      else
        return;
    }
  if (sim->stopping && (sim->live == 0 || sim->drain <= 0))
    simulator_finish (sim);
}

static gboolean
stop_cb (gpointer data)
{
  Simulator *sim = data;

  sim->stop_id = 0;
  simulator_stop (sim);
  return G_SOURCE_REMOVE;
}

static gboolean
report_cb (gpointer data)
{
  simulator_report (data, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
signal_cb (gpointer data)
{
  Simulator *sim = data;

  if (sim->stopping || sim->finished)
    {
      g_printerr ("usdtpay-customer: interrupted again, stopping now\n");
      simulator_finish (sim);
      return G_SOURCE_CONTINUE;
    }
  g_printerr ("usdtpay-customer: interrupted, finishing what is in flight\n");
  if (sim->drain > 2)
    sim->drain = 2;
  if (sim->start_time == 0)
    simulator_finish (sim);
  else
    simulator_stop (sim);
  return G_SOURCE_CONTINUE;
}

/* Lifecycles: create → matched → paid → (merchant confirms) → completed */

static void
lifecycle_free (Lifecycle *lc)
{
  g_clear_handle_id (&lc->timer_id, g_source_remove);
  g_clear_pointer (&lc->create_body, g_bytes_unref);
  g_free (lc->external_id);
  g_free (lc->id);
  g_free (lc->token);
  g_free (lc);
}

static void
lifecycle_finish (Lifecycle *lc,
                  gboolean   failed)
{
  if (lc->finished)
    return;
  lc->finished = TRUE;
  lc->failed = failed;
  lc->step = LC_DONE;
  g_clear_handle_id (&lc->timer_id, g_source_remove);
}

static void
lifecycle_check_done (Lifecycle *lc)
{
  Simulator *sim = lc->sim;

  if (!lc->finished || lc->inflight > 0)
    return;

  if (sim->finished)
    ;  /* cut short at the end of the run: counted as in flight */
  else if (lc->failed)
    sim->lifecycles_failed++;
  else
    {
      sim->final_states[lc->state]++;
      stat_record (sim, KIND_LIFECYCLE, g_get_monotonic_time () - lc->created_sent);
    }
  g_hash_table_remove (sim->by_external_id, lc->external_id);
  lifecycle_free (lc);
  sim->live--;

  /* Closed loop: each finished lifecycle makes room for the next. */
  if (sim->running && sim->rate <= 0)
    lifecycle_start (sim);
  simulator_maybe_finish (sim);
}

static char *
order_uri (Simulator  *sim,
           const char *id,
           const char *action)
{
  if (action == NULL)
    return g_strconcat (sim->base, "/v1/orders/", id, NULL);
  return g_strconcat (sim->base, "/v1/orders/", id, "/", action, NULL);
}

static void lifecycle_poll (Lifecycle *lc);

static void
lifecycle_paid_reply (Request      *req,
                      guint         status,
                      const Fields *body)
{
  Lifecycle *lc = req->data;

  lc->inflight--;
  if (status == 200 && body != NULL)
    {
      lifecycle_apply_order (lc, body);
      /* A 200 that did not move the order on would leave us waiting forever. */
      if (!lc->finished && lc->state == USDTPAY_ORDER_MATCHED)
        lifecycle_finish (lc, TRUE);
    }
  else if (status == 409 && !lc->finished)
    lifecycle_poll (lc);  /* learn the state it is in instead */
  else if (!lc->finished)
    lifecycle_finish (lc, TRUE);
  lifecycle_check_done (lc);
}

static void
lifecycle_send_paid (Lifecycle *lc)
{
  Simulator *sim = lc->sim;
  g_autofree char *auth = g_strconcat ("Bearer ", lc->token, NULL);
  g_autoptr(GBytes) body = bytes_printf ("{\"payer_name\":\"Customer %" G_GUINT64_FORMAT "\"}",
                                         lc->n);
  Request *req;

  lc->paid_sent = TRUE;
  lc->inflight++;
  req = request_new (sim, KIND_PAID, "POST", order_uri (sim, lc->id, "paid"), auth, body,
                     lifecycle_paid_reply, lc);
  request_send (req);
}

static gboolean
lifecycle_pay_cb (gpointer data)
{
  Lifecycle *lc = data;

  lc->timer_id = 0;
  lifecycle_send_paid (lc);
  return G_SOURCE_REMOVE;
}

static void
lifecycle_poll_reply (Request      *req,
                      guint         status,
                      const Fields *body)
{
  Lifecycle *lc = req->data;

  lc->inflight--;
  if (status == 200 && body != NULL)
    lifecycle_apply_order (lc, body);
  else if (!lc->finished)
    lifecycle_finish (lc, TRUE);
  lifecycle_check_done (lc);
}

static void
lifecycle_poll (Lifecycle *lc)
{
  Simulator *sim = lc->sim;
  g_autofree char *auth = g_strconcat ("Bearer ", lc->token, NULL);
  Request *req;

  lc->inflight++;
  req = request_new (sim, KIND_GET, "GET", order_uri (sim, lc->id, NULL), auth, NULL,
                     lifecycle_poll_reply, lc);
  request_send (req);
}

static gboolean
lifecycle_poll_cb (gpointer data)
{
  Lifecycle *lc = data;

  lc->timer_id = 0;
  lifecycle_poll (lc);
  return G_SOURCE_REMOVE;
}

static void
lifecycle_wait (Lifecycle *lc,
                guint      ms,
                GSourceFunc func)
{
  g_clear_handle_id (&lc->timer_id, g_source_remove);
  lc->timer_id = g_timeout_add (ms, func, lc);
}

static gboolean
lifecycle_give_up_feed_cb (gpointer data)
{
  Lifecycle *lc = data;

  lc->timer_id = 0;
  lc->sim->feed_missing++;
  lifecycle_finish (lc, FALSE);
  lifecycle_check_done (lc);
  return G_SOURCE_REMOVE;
}

/* Without payment a lifecycle ends with the create answer, or, when we play
 * merchants, once the feed has brought the order (for the feed latency). */
static void
lifecycle_no_pay_done (Lifecycle *lc)
{
  if (lc->sim->merchants->len == 0 || lc->feed_seen)
    lifecycle_finish (lc, FALSE);
  else if (lc->timer_id == 0)
    lifecycle_wait (lc, 5000, lifecycle_give_up_feed_cb);
}

/* Moves the lifecycle on from what the order says now. Called with each
 * answer and each feed event; older versions than the one held are ignored,
 * as DESIGN.md asks of every client. */
static void
lifecycle_apply_order (Lifecycle    *lc,
                       const Fields *order)
{
  Simulator *sim = lc->sim;
  gint64 version = fields_int (order, FIELD_VERSION, 0);
  g_autofree char *state_text = fields_dup (order, FIELD_STATE);
  UsdtpayOrderState state;

  if (lc->finished)
    return;
  if (state_text == NULL || !usdtpay_order_state_from_string (state_text, &state))
    {
      lifecycle_finish (lc, TRUE);
      return;
    }
  if (version != 0 && version < lc->version)
    return;
  if (version == lc->version && state == lc->state && lc->step != LC_FRESH)
    {
      /* Nothing new: a poll that found no change polls again. */
      if (lc->step == LC_WAIT_MATCH && lc->timer_id == 0 && lc->inflight == 0)
        lifecycle_wait (lc, POLL_INTERVAL_MS, lifecycle_poll_cb);
      else if (lc->step == LC_WAIT_COMPLETE && lc->timer_id == 0 && lc->inflight == 0)
        lifecycle_wait (lc, CONFIRM_FALLBACK_MS, lifecycle_poll_cb);
      return;
    }
  lc->version = version;
  lc->state = state;

  switch (state)
    {
    case USDTPAY_ORDER_PENDING:
      if (sim->no_pay)
        {
          lifecycle_no_pay_done (lc);
          break;
        }
      lc->step = LC_WAIT_MATCH;
      if (lc->timer_id == 0)
        lifecycle_wait (lc, POLL_INTERVAL_MS, lifecycle_poll_cb);
      break;

    case USDTPAY_ORDER_MATCHED:
      if (sim->no_pay)
        {
          lifecycle_no_pay_done (lc);
          break;
        }
      if (lc->paid_sent)
        break;
      lc->step = LC_WAIT_PAY_DELAY;
      g_clear_handle_id (&lc->timer_id, g_source_remove);
      if (sim->pay_after_ms == 0)
        lifecycle_send_paid (lc);
      else
        lc->timer_id = g_timeout_add (sim->pay_after_ms, lifecycle_pay_cb, lc);
      break;

    case USDTPAY_ORDER_PAID:
      if (sim->auto_confirm && sim->merchants->len > 0)
        {
          /* Our merchant confirms from its feed; poll only as a fallback
           * (the order may have gone to a merchant we do not play). */
          lc->step = LC_WAIT_COMPLETE;
          lifecycle_wait (lc, CONFIRM_FALLBACK_MS, lifecycle_poll_cb);
        }
      else
        lifecycle_finish (lc, FALSE);
      break;

    case USDTPAY_ORDER_COMPLETED:
    case USDTPAY_ORDER_CANCELLED:
    case USDTPAY_ORDER_EXPIRED:
    case USDTPAY_ORDER_DISPUTED:
    case USDTPAY_N_ORDER_STATES:
    default:
      lifecycle_finish (lc, FALSE);
      break;
    }
}

static char *
token_from_pay_url (const char *pay_url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) params = NULL;
  const char *query;

  if (pay_url == NULL)
    return NULL;
  uri = g_uri_parse (pay_url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL || (query = g_uri_get_query (uri)) == NULL)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL || g_hash_table_lookup (params, "t") == NULL)
    return NULL;
  return g_strdup (g_hash_table_lookup (params, "t"));
}

static void
lifecycle_create_reply (Request      *req,
                        guint         status,
                        const Fields *body)
{
  Lifecycle *lc = req->data;
  Simulator *sim = lc->sim;

  lc->inflight--;
  if ((status == 201 || status == 200) && body != NULL)
    {
      g_autofree char *id = fields_dup (body, FIELD_ID);
      g_autofree char *pay_url = fields_dup (body, FIELD_PAY_URL);

      lc->token = token_from_pay_url (pay_url);
      if (id == NULL || lc->token == NULL)
        {
          simulator_fatal (sim, "the create answer lacks id or pay_url with t");
          lifecycle_finish (lc, TRUE);
        }
      else
        {
          lc->id = g_steal_pointer (&id);
          lifecycle_apply_order (lc, body);
        }
    }
  else
    {
      if (status == 401 || status == 403)
        simulator_fatal (sim, "the platform refused the API key (HTTP %u)", status);
      lifecycle_finish (lc, TRUE);
    }
  lifecycle_check_done (lc);
}

static gint64
random_amount (Simulator *sim)
{
  gint64 span = sim->amount_max - sim->amount_min;
  gint64 micro;

  if (span <= 0)
    return sim->amount_min;
  /* Whole cents of USDT, as a shop would price. */
  micro = sim->amount_min + (gint64)(g_rand_double (sim->rand) * (double)span);
  micro -= micro % 10000;
  return MAX (micro, sim->amount_min);
}

static void
lifecycle_start (Simulator *sim)
{
  Lifecycle *lc;
  g_autofree char *currency = NULL;
  g_autofree char *method = NULL;
  char amount_buf[USDTPAY_MONEY_BUF_SIZE];
  char fiat_buf[USDTPAY_MONEY_BUF_SIZE];
  gint64 amount, fiat;
  Request *req;

  if (!sim->running || (sim->count > 0 && sim->started >= sim->count))
    return;

  lc = g_new0 (Lifecycle, 1);
  lc->sim = sim;
  lc->n = ++sim->started;
  lc->external_id = g_strdup_printf ("sim-%s-%" G_GUINT64_FORMAT, sim->run_id, lc->n);
  sim->live++;
  g_hash_table_insert (sim->by_external_id, lc->external_id, lc);

  amount = random_amount (sim);
  /* fiat minor units = amount × rate, computed in integers. */
  fiat = amount;
  for (guint d = sim->fiat_decimals; d < USDTPAY_USDT_DECIMALS; d++)
    fiat /= 10;
  fiat = fiat * FIAT_RATE_TENTHS / 10;
  fiat = MAX (fiat, 1);
  currency = json_quote (sim->currency);
  method = json_quote (sim->method);
  lc->create_body = bytes_printf ("{\"amount\":\"%s\",\"fiat_amount\":\"%s\",\"fiat_currency\":%s,"
                                  "\"method\":%s,\"external_id\":\"%s\","
                                  "\"customer_ref\":\"customer-%" G_GUINT64_FORMAT "\"}",
                                  usdtpay_money_format_buf (amount, USDTPAY_USDT_DECIMALS,
                                                            amount_buf),
                                  usdtpay_money_format_buf (fiat, sim->fiat_decimals, fiat_buf),
                                  currency, method, lc->external_id,
                                  (lc->n % 997) + 1);

  lc->inflight++;
  req = request_new (sim, KIND_CREATE, "POST", g_strconcat (sim->base, "/v1/orders", NULL),
                     sim->api_auth, lc->create_body, lifecycle_create_reply, lc);
  req->idempotency_key = g_strdup (lc->external_id);
  request_send (req);
  lc->created_sent = req->first_sent;
}

static gboolean
rate_tick_cb (gpointer data)
{
  Simulator *sim = data;
  double elapsed = (g_get_monotonic_time () - sim->start_time) / 1e6;
  guint64 due = (guint64)(elapsed * sim->rate) + 1;

  while (sim->running && sim->started < due && (sim->count == 0 || sim->started < sim->count))
    lifecycle_start (sim);
  simulator_maybe_finish (sim);
  return G_SOURCE_CONTINUE;
}

/* The static mode: GET one URL in a closed loop. */

static void
static_reply (Request      *req,
              guint         status,
              const Fields *body)
{
  Simulator *sim = req->sim;

  sim->live--;
  if (sim->running)
    static_next (sim);
  simulator_maybe_finish (sim);
}

static void
static_next (Simulator *sim)
{
  Request *req;

  sim->live++;
  sim->started++;
  req = request_new (sim, KIND_STATIC, "GET", g_strdup (sim->static_url), NULL, NULL,
                     static_reply, NULL);
  request_send (req);
}

/* Starting the load once the merchants are ready */

static void
simulator_start_load (Simulator *sim)
{
  sim->running = TRUE;
  sim->start_time = g_get_monotonic_time ();
  if (sim->duration > 0)
    sim->stop_id = g_timeout_add ((guint)(sim->duration * 1000), stop_cb, sim);
  if (sim->verbose)
    sim->report_id = g_timeout_add ((guint)(sim->report_interval * 1000), report_cb, sim);

  if (sim->static_url != NULL)
    {
      for (guint i = 0; i < sim->concurrency; i++)
        static_next (sim);
    }
  else if (sim->rate > 0)
    {
      sim->tick_id = g_timeout_add (1, rate_tick_cb, sim);
      rate_tick_cb (sim);
    }
  else
    {
      for (guint i = 0; i < sim->concurrency; i++)
        lifecycle_start (sim);
    }
  g_printerr ("usdtpay-customer: load started (%s)\n",
              sim->static_url ? "static GET" : sim->rate > 0 ? "open loop at a rate"
                                                              : "closed loop");
  simulator_maybe_finish (sim);
}

/* Merchants: log in, open the feed, go online, confirm paid orders. */

static void
merchant_free (Merchant *merchant)
{
  g_clear_handle_id (&merchant->ack_timer, g_source_remove);
  g_clear_handle_id (&merchant->reconnect_timer, g_source_remove);
  if (merchant->ws != NULL)
    g_signal_handlers_disconnect_by_data (merchant->ws, merchant);
  g_clear_object (&merchant->ws);
  g_free (merchant->user);
  if (merchant->password != NULL)
    memset (merchant->password, 0, strlen (merchant->password));
  g_free (merchant->password);
  g_free (merchant->token);
  g_free (merchant->auth);
  g_free (merchant);
}

/* A merchant's action on one of our lifecycles holds the lifecycle (its
 * inflight count) until the answer is back, so the run does not end with the
 * answer unread; on other orders (not this run's) @lc is NULL. */
static void
merchant_action_reply (Request      *req,
                       guint         status,
                       const Fields *body)
{
  Simulator *sim = req->sim;
  Lifecycle *lc = req->data;

  if (req->kind == KIND_ACCEPT && status == 409)
    sim->offers_lost++;
  if (lc == NULL)
    return;
  lc->inflight--;
  if (status == 200 && body != NULL)
    lifecycle_apply_order (lc, body);
  lifecycle_check_done (lc);
}

static void
merchant_order_action (Merchant   *merchant,
                       Lifecycle  *lc,
                       const char *id,
                       const char *action,
                       Kind        kind)
{
  Simulator *sim = merchant->sim;
  static GBytes *empty;
  Request *req;

  if (empty == NULL)
    empty = g_bytes_new_static ("{}", 2);
  if (lc != NULL)
    lc->inflight++;
  req = request_new (sim, kind, "POST", order_uri (sim, id, action), merchant->auth, empty,
                     merchant_action_reply, lc);
  request_send (req);
}

static void
merchant_send_ack (Merchant *merchant)
{
  g_autofree char *ack = NULL;

  if (merchant->ws == NULL
      || soup_websocket_connection_get_state (merchant->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  ack = usdtpay_feed_encode_ack (merchant->last_seq);
  soup_websocket_connection_send_text (merchant->ws, ack);
  merchant->acked_seq = merchant->last_seq;
  merchant->last_ack = g_get_monotonic_time ();
}

static gboolean
merchant_ack_cb (gpointer data)
{
  Merchant *merchant = data;

  /* At least once a second while events arrive, every 15 s when idle. */
  if (merchant->last_seq > merchant->acked_seq
      || g_get_monotonic_time () - merchant->last_ack >= 15 * G_USEC_PER_SEC)
    merchant_send_ack (merchant);
  return G_SOURCE_CONTINUE;
}

static void
merchant_settings_reply (Request      *req,
                         guint         status,
                         const Fields *body)
{
  Merchant *merchant = req->data;
  Simulator *sim = req->sim;

  if (status == 0 && sim->finished)
    return;
  if (status != 200)
    {
      simulator_fatal (sim, "PATCH /v1/merchants/me for %s answered HTTP %u", merchant->user,
                       status);
      return;
    }
  if (!merchant->ready)
    {
      merchant->ready = TRUE;
      g_printerr ("usdtpay-customer: merchant %s is online\n", merchant->user);
      if (++sim->merchants_ready == sim->merchants->len)
        simulator_start_load (sim);
    }
}

static void
merchant_go_online (Merchant *merchant)
{
  Simulator *sim = merchant->sim;
  g_autofree char *user = json_quote (merchant->user);
  g_autofree char *method = json_quote (sim->method);
  g_autofree char *cap = NULL;
  g_autoptr(GBytes) body = NULL;
  Request *req;

  if (sim->merchant_cap > 0)
    cap = g_strdup_printf (",\"cap\":%" G_GINT64_FORMAT, sim->merchant_cap);
  body = bytes_printf ("{\"online\":true,\"auto_match\":%s%s,"
                       "\"methods\":[{\"id\":%s,\"account_name\":%s,"
                       "\"account_number\":\"6222020200112233\"}]}",
                       sim->manual ? "false" : "true", cap ? cap : "", method, user);
  req = request_new (sim, KIND_SETTINGS, "PATCH", g_strconcat (sim->base, "/v1/merchants/me", NULL),
                     merchant->auth, body, merchant_settings_reply, merchant);
  request_send (req);
}

static void
merchant_handle_order_event (Merchant     *merchant,
                             const char   *type,
                             const Fields *order)
{
  Simulator *sim = merchant->sim;
  g_autofree char *id = fields_dup (order, FIELD_ID);
  g_autofree char *external_id = fields_dup (order, FIELD_EXTERNAL_ID);
  Lifecycle *lc = NULL;

  if (id == NULL)
    return;
  if (external_id != NULL)
    lc = g_hash_table_lookup (sim->by_external_id, external_id);

  if (lc != NULL && !lc->feed_seen
      && (g_str_equal (type, "order.matched") || g_str_equal (type, "order.offered")))
    {
      lc->feed_seen = TRUE;
      stat_record (sim, KIND_FEED, g_get_monotonic_time () - lc->created_sent);
      if (sim->no_pay && lc->id != NULL)
        {
          lifecycle_finish (lc, FALSE);
          lifecycle_check_done (lc);
          return;
        }
    }

  if (g_str_equal (type, "order.offered"))
    {
      if (sim->manual && !sim->finished)
        merchant_order_action (merchant, lc && !lc->finished ? lc : NULL, id, "accept",
                               KIND_ACCEPT);
      return;
    }
  if (g_str_equal (type, "offer.withdrawn"))
    return;

  if (g_str_equal (type, "order.paid") && sim->auto_confirm && !sim->finished
      && fields_equal (order, FIELD_MERCHANT, merchant->user))
    merchant_order_action (merchant, lc && !lc->finished ? lc : NULL, id, "confirm",
                           KIND_CONFIRM);

  /* The create answer may still be on its way: the event then wins and the
   * answer, an older version, is ignored. */
  if (lc != NULL && lc->id != NULL)
    {
      lifecycle_apply_order (lc, order);
      lifecycle_check_done (lc);
    }
}

static void
merchant_message_cb (SoupWebsocketConnection *ws,
                     gint                     type,
                     GBytes                  *message,
                     gpointer                 data)
{
  Merchant *merchant = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_type = NULL;
  Fields fields;
  gsize length;
  const char *text = g_bytes_get_data (message, &length);
  gint64 seq;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  if (length == 0 || text[0] != '{' || !fields_parse (&fields, event_paths, text, length, &error))
    {
      g_printerr ("usdtpay-customer: a feed message for %s is not a JSON object: %s\n",
                  merchant->user, error ? error->message : "wrong type");
      return;
    }
  event_type = fields_dup (&fields, FIELD_TYPE);
  seq = fields_int (&fields, FIELD_SEQ, -1);
  if (event_type == NULL || seq < 0)
    return;

  if (g_str_equal (event_type, "caught_up"))
    {
      if (seq > merchant->last_seq)
        merchant->last_seq = seq;
      merchant_send_ack (merchant);
      if (!merchant->ready)
        merchant_go_online (merchant);
      return;
    }

  if (seq <= merchant->last_seq)
    return;  /* replayed after a reconnect: applied already */
  merchant->last_seq = seq;
  merchant->events++;

  if (fields.picks[FIELD_ID].value != NULL)
    merchant_handle_order_event (merchant, event_type, &fields);
}

static gboolean
merchant_reconnect_cb (gpointer data)
{
  Merchant *merchant = data;

  merchant->reconnect_timer = 0;
  merchant->reconnects++;
  merchant_connect (merchant);
  return G_SOURCE_REMOVE;
}

static void
merchant_closed_cb (SoupWebsocketConnection *ws,
                    gpointer                 data)
{
  Merchant *merchant = data;
  Simulator *sim = merchant->sim;
  gushort code = soup_websocket_connection_get_close_code (ws);

  g_clear_handle_id (&merchant->ack_timer, g_source_remove);
  if (code == 4008)
    merchant->closes_4008++;
  if (sim->finished)
    return;
  g_printerr ("usdtpay-customer: the feed of %s closed (code %u), reconnecting from seq %"
              G_GINT64_FORMAT "\n", merchant->user, code, merchant->last_seq);
  g_signal_handlers_disconnect_by_data (ws, merchant);
  g_clear_object (&merchant->ws);
  merchant->reconnect_timer = g_timeout_add (500, merchant_reconnect_cb, merchant);
}

static void
merchant_connected_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      data)
{
  Merchant *merchant = data;
  Simulator *sim = merchant->sim;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (ws == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || sim->finished)
        return;
      if (!merchant->ready)
        {
          simulator_fatal (sim, "the feed of %s: %s", merchant->user, error->message);
          return;
        }
      g_printerr ("usdtpay-customer: the feed of %s: %s; retrying\n", merchant->user,
                  error->message);
      merchant->reconnect_timer = g_timeout_add (1000, merchant_reconnect_cb, merchant);
      return;
    }
  merchant->ws = ws;
  /* A lifecycle run can queue many events: do not let libsoup's default
   * payload limit cut a large order object. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024);
  g_signal_connect (ws, "message", G_CALLBACK (merchant_message_cb), merchant);
  g_signal_connect (ws, "closed", G_CALLBACK (merchant_closed_cb), merchant);
  merchant->last_ack = g_get_monotonic_time ();
  merchant->ack_timer = g_timeout_add (1000, merchant_ack_cb, merchant);
}

static void
merchant_connect (Merchant *merchant)
{
  Simulator *sim = merchant->sim;
  g_autofree char *uri = g_strdup_printf ("%s/v1/feed?since=%" G_GINT64_FORMAT,
                                          sim->base, merchant->last_seq);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);

  g_signal_connect (msg, "network-event", G_CALLBACK (network_event_cb), NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                merchant->auth);
  soup_session_websocket_connect_async (sim->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        sim->cancellable, merchant_connected_cb, merchant);
}

static void
merchant_login_reply (Request      *req,
                      guint         status,
                      const Fields *body)
{
  Merchant *merchant = req->data;
  Simulator *sim = req->sim;
  g_autofree char *token = fields_dup (body, FIELD_TOKEN);

  if (status == 0 && sim->finished)
    return;
  if (status != 200 || token == NULL)
    {
      simulator_fatal (sim, "login as %s failed (HTTP %u)", merchant->user, status);
      return;
    }
  merchant->token = g_strdup (token);
  merchant->auth = g_strconcat ("Bearer ", token, NULL);
  merchant_connect (merchant);
}

static void
merchant_login (Merchant *merchant)
{
  Simulator *sim = merchant->sim;
  g_autofree char *user = json_quote (merchant->user);
  g_autofree char *password = json_quote (merchant->password);
  g_autoptr(GBytes) body = bytes_printf ("{\"username\":%s,\"password\":%s}", user, password);
  Request *req;

  req = request_new (sim, KIND_LOGIN, "POST", g_strconcat (sim->base, "/v1/sessions", NULL),
                     NULL, body, merchant_login_reply, merchant);
  request_send (req);
}

static void
health_reply (Request      *req,
              guint         status,
              const Fields *body)
{
  Simulator *sim = req->sim;
  gint64 head;

  if (status == 0 && sim->finished)
    return;
  if (status != 200 || body == NULL)
    {
      simulator_fatal (sim, "%s/v1/health answered HTTP %u", sim->base, status);
      return;
    }
  /* Merchants start their feed at the head: old events are not this run's. */
  head = fields_int (body, FIELD_SEQ, 0);
  if (sim->merchants->len == 0)
    {
      simulator_start_load (sim);
      return;
    }
  for (guint i = 0; i < sim->merchants->len; i++)
    {
      Merchant *merchant = g_ptr_array_index (sim->merchants, i);

      merchant->last_seq = head;
      merchant->acked_seq = head;
      merchant_login (merchant);
    }
}

/* Options */

static gboolean
read_password_file (const char  *path,
                    char       **password,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  if (length > 0 && contents[length - 1] == '\n')
    contents[--length] = '\0';
  if (strlen (contents) != length)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "%s holds a NUL byte", path);
      return FALSE;
    }
  *password = g_steal_pointer (&contents);
  return TRUE;
}

static void
simulator_free (Simulator *sim)
{
  /* First: requests still in it are reported cancelled to their lifecycles. */
  g_clear_object (&sim->pool);
  for (guint k = 0; k < N_KINDS; k++)
    g_array_unref (sim->stats[k].samples);
  g_clear_pointer (&sim->merchants, g_ptr_array_unref);
  g_clear_pointer (&sim->by_external_id, g_hash_table_unref);
  g_clear_pointer (&sim->retrying, g_hash_table_unref);
  g_clear_pointer (&sim->error_counts, g_hash_table_unref);
  g_clear_object (&sim->session);
  g_clear_object (&sim->cancellable);
  g_clear_pointer (&sim->loop, g_main_loop_unref);
  g_clear_pointer (&sim->rand, g_rand_free);
  g_free (sim->base);
  g_free (sim->static_url);
  g_free (sim->api_auth);
  g_free (sim->method);
  g_free (sim->currency);
  g_free (sim->run_id);
  g_free (sim);
}

/* Every request to an http:// URL goes through the pool: libsoup's client
 * costs about 200 µs of CPU a request, on the cores the daemon is measured
 * with. https:// (and the merchants' WebSocket feeds) stay with libsoup. */
static gboolean
simulator_use_pool (Simulator   *sim,
                    const char  *url,
                    guint        connections,
                    GError     **error)
{
  g_autofree char *origin = NULL;
  gsize length;

  if (g_ascii_strncasecmp (url, "http://", 7) != 0)
    return TRUE;
  length = 7 + strcspn (url + 7, "/?#");
  origin = g_strndup (url, length);
  sim->pool = usdtpay_http_pool_new (origin, MAX (connections, 1), error);
  if (sim->pool == NULL)
    return FALSE;
  sim->origin_length = length;
  usdtpay_http_pool_set_timeout (sim->pool, 60);
  usdtpay_http_pool_set_idle_timeout (sim->pool, 120);
  usdtpay_http_pool_set_user_agent (sim->pool, "usdtpay-customer/" PACKAGE_VERSION);
  return TRUE;
}

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("usdtpay-customer: %s\n\n%s", message, help);
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *platform = NULL;
  g_autofree char *static_url = NULL;
  g_autofree char *api_key = NULL;
  g_autofree char *method = NULL;
  g_autofree char *currency = NULL;
  g_autofree char *amount_min = NULL;
  g_autofree char *amount_max = NULL;
  g_autofree char *run_id = NULL;
  g_auto(GStrv) merchant_users = NULL;
  g_auto(GStrv) password_files = NULL;
  double rate = 0, duration = -1, drain = 10, report_interval = 5;
  gint concurrency = 0, connections = 0, pay_after = 500, cap = 0;
  gint64 count = 0, seed = 0;
  gboolean auto_confirm = FALSE, manual = FALSE, no_pay = FALSE, verbose = FALSE;
  gboolean strict = FALSE;
  const UsdtpayCurrency *fiat;
  Simulator *sim;
  guint max_conns;
  int status;
  GOptionEntry entries[] = {
    { "platform", 0, 0, G_OPTION_ARG_STRING, &platform, "The platform's base URL", "URL" },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &api_key, "The shop's API key (up_…)", "KEY" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Start N orders a second (open loop)", "N" },
    { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency,
      "Keep N lifecycles (or static requests) in flight (closed loop; default 8)", "N" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &connections,
      "At most N connections (default: the concurrency, or 64 with --rate)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration,
      "Start new work for S seconds (default 10; 0 runs until SIGINT)", "S" },
    { "count", 0, 0, G_OPTION_ARG_INT64, &count, "Start N orders, then finish", "N" },
    { "drain", 0, 0, G_OPTION_ARG_DOUBLE, &drain,
      "Wait at most S seconds for work in flight at the end (default 10)", "S" },
    { "pay-after", 0, 0, G_OPTION_ARG_INT, &pay_after,
      "Mark a matched order paid after MS milliseconds (default 500)", "MS" },
    { "no-pay", 0, 0, G_OPTION_ARG_NONE, &no_pay,
      "Customers never pay: a lifecycle ends when the order is created", NULL },
    { "merchant", 0, 0, G_OPTION_ARG_STRING_ARRAY, &merchant_users,
      "Play this merchant (repeat; each with a --password-file)", "USER" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &password_files,
      "The password of the --merchant in the same position", "FILE" },
    { "auto-confirm", 0, 0, G_OPTION_ARG_NONE, &auto_confirm,
      "Our merchants confirm receipt of every paid order of theirs", NULL },
    { "manual", 0, 0, G_OPTION_ARG_NONE, &manual,
      "Our merchants turn auto-matching off and accept offers instead", NULL },
    { "merchant-cap", 0, 0, G_OPTION_ARG_INT, &cap,
      "Set our merchants' cap on open orders to N", "N" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "Payment method id (default bank)", "ID" },
    { "currency", 0, 0, G_OPTION_ARG_STRING, &currency, "Fiat currency (default CNY)", "CODE" },
    { "amount-min", 0, 0, G_OPTION_ARG_STRING, &amount_min,
      "Smallest order in USDT (default 10)", "USDT" },
    { "amount-max", 0, 0, G_OPTION_ARG_STRING, &amount_max,
      "Largest order in USDT (default 500)", "USDT" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed for amounts", "N" },
    { "run-id", 0, 0, G_OPTION_ARG_STRING, &run_id,
      "Prefix of external ids and idempotency keys (default: random)", "TEXT" },
    { "static-url", 0, 0, G_OPTION_ARG_STRING, &static_url,
      "Only GET this URL in a closed loop (the benchmark's ceiling)", "URL" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Report progress every few seconds", NULL },
    { "report-interval", 0, 0, G_OPTION_ARG_DOUBLE, &report_interval,
      "Seconds between progress reports with --verbose (default 5)", "S" },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &strict,
      "Exit with status 3 when any request failed or any lifecycle did not finish", NULL },
    { NULL }
  };

  context = g_option_context_new ("- a simulated shop and its customers for UsdtPay");
  g_option_context_set_description (context,
      "Creates orders, pays them and, with --merchant, plays merchants that confirm.\n"
      "Prints counts by state and latency percentiles as name=value lines on stdout\n"
      "and as text on stderr. Exit status: 0 done, 1 fatal error, 2 usage error,\n"
      "3 failures with --strict.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);
  if (argc > 1)
    return usage_error (context, "unexpected arguments");

  if (static_url == NULL && (platform == NULL || api_key == NULL))
    return usage_error (context, "--platform and --api-key are required");
  if (rate > 0 && concurrency > 0 && static_url == NULL)
    return usage_error (context, "--rate and --concurrency exclude each other");
  if (rate < 0 || concurrency < 0 || count < 0 || pay_after < 0 || cap < 0 || connections < 0)
    return usage_error (context, "counts, rates and delays cannot be negative");
  if ((merchant_users ? g_strv_length (merchant_users) : 0)
      != (password_files ? g_strv_length (password_files) : 0))
    return usage_error (context, "every --merchant needs its own --password-file");
  if (static_url != NULL && rate > 0)
    return usage_error (context, "--static-url runs a closed loop: use --concurrency");
  if (report_interval <= 0)
    return usage_error (context, "--report-interval must be positive");

  sim = g_new0 (Simulator, 1);
  sim->rate = rate;
  sim->concurrency = concurrency > 0 ? (guint)concurrency : (rate > 0 ? 0 : 8);
  if (duration < 0)
    duration = count > 0 ? 0 : 10;
  sim->duration = duration;
  sim->count = (guint64)count;
  sim->drain = drain;
  sim->pay_after_ms = (guint)pay_after;
  sim->no_pay = no_pay;
  sim->auto_confirm = auto_confirm;
  sim->manual = manual;
  sim->verbose = verbose;
  sim->strict = strict;
  sim->report_interval = report_interval;
  sim->merchant_cap = cap;
  sim->method = g_strdup (method ? method : "bank");
  sim->currency = g_strdup (currency ? currency : "CNY");
  sim->static_url = g_strdup (static_url);
  sim->run_id = run_id ? g_strdup (run_id)
                       : g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
  sim->rand = seed ? g_rand_new_with_seed ((guint32)seed) : g_rand_new ();
  sim->merchants = g_ptr_array_new_with_free_func ((GDestroyNotify)merchant_free);
  sim->by_external_id = g_hash_table_new (g_str_hash, g_str_equal);
  sim->retrying = g_hash_table_new (NULL, NULL);
  sim->error_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint k = 0; k < N_KINDS; k++)
    sim->stats[k].samples = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 4096);

  if (static_url == NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (platform, G_URI_FLAGS_NONE, &error);

      if (uri == NULL
          || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
              && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
        {
          simulator_free (sim);
          return usage_error (context, "--platform must be an http:// or https:// URL");
        }
      sim->base = g_strdup (platform);
      while (g_str_has_suffix (sim->base, "/"))
        sim->base[strlen (sim->base) - 1] = '\0';
      sim->api_auth = g_strconcat ("Bearer ", api_key, NULL);

      fiat = usdtpay_currency_lookup (sim->currency);
      if (fiat == NULL || fiat->decimals > USDTPAY_USDT_DECIMALS)
        {
          simulator_free (sim);
          return usage_error (context, "unknown --currency");
        }
      sim->fiat_decimals = fiat->decimals;
      if (!usdtpay_usdt_parse (amount_min ? amount_min : "10", &sim->amount_min, &error)
          || !usdtpay_usdt_parse (amount_max ? amount_max : "500", &sim->amount_max, &error))
        {
          g_autofree char *message = g_strdup_printf ("bad amount: %s", error->message);

          simulator_free (sim);
          return usage_error (context, message);
        }
      if (sim->amount_min <= 0 || sim->amount_max < sim->amount_min)
        {
          simulator_free (sim);
          return usage_error (context, "need 0 < --amount-min <= --amount-max");
        }
      for (guint i = 0; merchant_users != NULL && merchant_users[i] != NULL; i++)
        {
          Merchant *merchant = g_new0 (Merchant, 1);

          merchant->sim = sim;
          merchant->user = g_strdup (merchant_users[i]);
          g_ptr_array_add (sim->merchants, merchant);
          if (!read_password_file (password_files[i], &merchant->password, &error))
            {
              g_printerr ("usdtpay-customer: %s\n", error->message);
              simulator_free (sim);
              return 1;
            }
        }
    }

  max_conns = connections > 0 ? (guint)connections
                              : (sim->concurrency > 0 ? sim->concurrency : 64);
  /* The feeds hold connections of their own. */
  max_conns += sim->merchants->len;
  sim->session = soup_session_new_with_options ("max-conns", max_conns,
                                                "max-conns-per-host", max_conns,
                                                "timeout", 60,
                                                "idle-timeout", 120,
                                                "user-agent", "usdtpay-customer/" PACKAGE_VERSION,
                                                NULL);
  soup_session_remove_feature_by_type (sim->session, SOUP_TYPE_CONTENT_DECODER);
  if (!simulator_use_pool (sim, sim->static_url ? sim->static_url : sim->base,
                           max_conns - sim->merchants->len, &error))
    {
      g_printerr ("usdtpay-customer: %s\n", error->message);
      simulator_free (sim);
      return 1;
    }
  sim->cancellable = g_cancellable_new ();
  sim->loop = g_main_loop_new (NULL, FALSE);
  sim->last_answer = g_get_monotonic_time ();
  sim->signal_ids[0] = g_unix_signal_add (SIGINT, signal_cb, sim);
  sim->signal_ids[1] = g_unix_signal_add (SIGTERM, signal_cb, sim);

  if (sim->static_url != NULL)
    simulator_start_load (sim);
  else
    {
      Request *req = request_new (sim, KIND_HEALTH, "GET",
                                  g_strconcat (sim->base, "/v1/health", NULL), NULL, NULL,
                                  health_reply, NULL);
      request_send (req);
    }

  g_main_loop_run (sim->loop);

  simulator_report (sim, TRUE);
  status = sim->exit_status;
  if (status == 0 && sim->strict)
    {
      guint64 failed = sim->lifecycles_failed + sim->live;

      for (guint k = 0; k < N_KINDS; k++)
        failed += sim->stats[k].failed;
      if (failed > 0)
        status = 3;
    }
  g_source_remove (sim->signal_ids[0]);
  g_source_remove (sim->signal_ids[1]);
  simulator_free (sim);
  return status;
}
