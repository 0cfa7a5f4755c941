/* usdtpay-request-guard.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-request-guard"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-core.h"
#include "usdtpay-request-guard.h"

/* Every answer carries X-Request-Id, and the access log line of a request
 * names it, so a shop's support ticket can be matched to the log. The log
 * line holds the path without its query: the customer's token (?t=) never
 * reaches a log.
 *
 * The rate limit is a token bucket per caller: it holds up to N tokens,
 * refills N per second, and each request takes one. Callers are told apart
 * by a hash of their bearer token (or of the page's ?t=, or their address
 * when they send neither), so a key's limit holds across connections.
 */

#define REQUEST_ID_KEY   "usdtpay-request-id"
#define STARTED_KEY      "usdtpay-request-started"
#define MAX_INCOMING_ID  128
#define PRUNE_MSEC       10000
#define IDLE_USEC        (60 * G_USEC_PER_SEC)

typedef struct
{
  double tokens;
  gint64 updated;   /* monotonic */
} Bucket;

struct _UsdtpayRequestGuard
{
  GObject     parent_instance;

  SoupServer *server;     /* borrowed: the server's owner owns us both */
  guint       rate_limit;
  GHashTable *buckets;    /* hex hash of the caller → Bucket* */
  guint       prune_id;
};

G_DEFINE_FINAL_TYPE (UsdtpayRequestGuard, usdtpay_request_guard, G_TYPE_OBJECT)

static gboolean
is_sane_id (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > MAX_INCOMING_ID)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (id[i]) && !strchr ("-_.:", id[i]))
      return FALSE;

  return TRUE;
}

static void message_finished_cb (SoupServerMessage *msg,
                                 gpointer           user_data);

const char *
usdtpay_request_guard_get_id (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), REQUEST_ID_KEY);
}

void
usdtpay_request_guard_begin (UsdtpayRequestGuard *self,
                             SoupServerMessage   *msg)
{
  const char *incoming;
  char *id;

  g_return_if_fail (USDTPAY_IS_REQUEST_GUARD (self));

  if (usdtpay_request_guard_get_id (msg) != NULL)
    return;

  incoming = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "X-Request-Id");
  if (incoming != NULL && is_sane_id (incoming))
    id = g_strdup (incoming);
  else
    {
      guint8 bytes[12];
      char hex[sizeof bytes * 2 + 1];

      randombytes_buf (bytes, sizeof bytes);
      sodium_bin2hex (hex, sizeof hex, bytes, sizeof bytes);
      id = g_strconcat ("req_", hex, NULL);
    }

  g_object_set_data_full (G_OBJECT (msg), REQUEST_ID_KEY, id, g_free);
  g_object_set_data (G_OBJECT (msg), STARTED_KEY,
                     GSIZE_TO_POINTER ((gsize)(g_get_monotonic_time () / 1000)));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "X-Request-Id", id);
  g_signal_connect (msg, "finished", G_CALLBACK (message_finished_cb), NULL);
}

static char *
caller_key (SoupServerMessage *msg,
            GHashTable        *query)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  const char *t = query ? g_hash_table_lookup (query, "t") : NULL;
  const char *host;

  if (header != NULL && g_ascii_strncasecmp (header, "Bearer ", 7) == 0)
    return g_compute_checksum_for_string (G_CHECKSUM_SHA256, header + 7, -1);
  if (t != NULL)
    return g_compute_checksum_for_string (G_CHECKSUM_SHA256, t, -1);

  host = soup_server_message_get_remote_host (msg);

  return g_strconcat ("addr:", host ? host : "?", NULL);
}

gboolean
usdtpay_request_guard_admit (UsdtpayRequestGuard *self,
                             SoupServerMessage   *msg,
                             GHashTable          *query)
{
  g_autofree char *key = NULL;
  gint64 now = g_get_monotonic_time ();
  Bucket *bucket;

  g_return_val_if_fail (USDTPAY_IS_REQUEST_GUARD (self), TRUE);

  if (self->rate_limit == 0)
    return TRUE;

  key = caller_key (msg, query);
  bucket = g_hash_table_lookup (self->buckets, key);
  if (bucket == NULL)
    {
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = self->rate_limit;
      bucket->updated = now;
      g_hash_table_insert (self->buckets, g_steal_pointer (&key), bucket);
    }
  else
    {
      bucket->tokens = MIN ((double)self->rate_limit,
                            bucket->tokens + (now - bucket->updated) * (double)self->rate_limit / G_USEC_PER_SEC);
      bucket->updated = now;
    }

  if (bucket->tokens >= 1.0)
    {
      bucket->tokens -= 1.0;
      return TRUE;
    }

  {
    g_autoptr(GError) error = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_RATE_LIMITED,
                                           "more than %u requests per second; slow down", self->rate_limit);
    SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
    /* Whole seconds until the bucket holds a token again, rounded up. */
    int wait = (int)((1.0 - bucket->tokens) / self->rate_limit + 0.999999);
    g_autofree char *retry = g_strdup_printf ("%d", MAX (1, wait));
    gsize length = 0;
    g_autofree char *body = usdtpay_json_error_body (error, &length);

    soup_message_headers_replace (headers, "Retry-After", retry);
    soup_message_headers_replace (headers, "Cache-Control", "no-store");
    soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, length);
    soup_server_message_set_status (msg, usdtpay_error_to_http_status (error), NULL);
  }

  return FALSE;
}

static void
message_finished_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  const char *id = usdtpay_request_guard_get_id (msg);
  guint status = soup_server_message_get_status (msg);
  gsize started = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), STARTED_KEY));
  gint64 elapsed = g_get_monotonic_time () / 1000 - (gint64)started;
  GUri *uri = soup_server_message_get_uri (msg);

  /* The path only: a query may hold a customer's token. */
  g_log (USDTPAY_ACCESS_LOG_DOMAIN, status >= 500 ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO,
         "%s %s %s %u %" G_GINT64_FORMAT "ms", id ? id : "-", soup_server_message_get_method (msg),
         uri ? g_uri_get_path (uri) : "-", status, started ? elapsed : 0);
}

static gboolean
prune_cb (gpointer user_data)
{
  UsdtpayRequestGuard *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  /* A bucket idle for a minute is full again: forget it. */
  g_hash_table_iter_init (&iter, self->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((Bucket *)value)->updated > IDLE_USEC)
      g_hash_table_iter_remove (&iter);

  return G_SOURCE_CONTINUE;
}

UsdtpayRequestGuard *
usdtpay_request_guard_new (SoupServer *server,
                           guint       rate_limit)
{
  UsdtpayRequestGuard *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  self = g_object_new (USDTPAY_TYPE_REQUEST_GUARD, NULL);
  self->server = server;
  self->rate_limit = rate_limit;
  if (rate_limit > 0)
    self->prune_id = g_timeout_add (PRUNE_MSEC, prune_cb, self);

  return self;
}

void
usdtpay_request_guard_set_rate_limit (UsdtpayRequestGuard *self,
                                      guint                rate_limit)
{
  g_return_if_fail (USDTPAY_IS_REQUEST_GUARD (self));

  self->rate_limit = rate_limit;
  g_hash_table_remove_all (self->buckets);
  if (rate_limit > 0 && self->prune_id == 0)
    self->prune_id = g_timeout_add (PRUNE_MSEC, prune_cb, self);
}

static void
usdtpay_request_guard_dispose (GObject *object)
{
  UsdtpayRequestGuard *self = (UsdtpayRequestGuard *)object;

  g_clear_handle_id (&self->prune_id, g_source_remove);
  self->server = NULL;

  G_OBJECT_CLASS (usdtpay_request_guard_parent_class)->dispose (object);
}

static void
usdtpay_request_guard_finalize (GObject *object)
{
  UsdtpayRequestGuard *self = (UsdtpayRequestGuard *)object;

  g_clear_pointer (&self->buckets, g_hash_table_unref);

  G_OBJECT_CLASS (usdtpay_request_guard_parent_class)->finalize (object);
}

static void
usdtpay_request_guard_class_init (UsdtpayRequestGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_request_guard_dispose;
  object_class->finalize = usdtpay_request_guard_finalize;
}

static void
usdtpay_request_guard_init (UsdtpayRequestGuard *self)
{
  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}
