/* usdtpay-webhooks.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-webhooks"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-http.h"
#include "usdtpay-webhooks.h"

/* Webhooks: each shop may set one HTTPS endpoint. Every event about its
 * orders becomes a delivery, written in the same batch as the event (an
 * outbox), so a delivery exists exactly when its event does. Once the batch
 * is durable the delivery worker POSTs it, signed, and records every
 * attempt. Pending deliveries are reloaded at start, so delivery is at
 * least once across restarts; receivers deduplicate by the event id.
 *
 * Nothing here blocks the main loop: attempts are libsoup async requests,
 * at most USDTPAY_WEBHOOK_PER_SHOP per shop (USDTPAY_WEBHOOK_PER_FAILING
 * while its receiver fails) and USDTPAY_WEBHOOK_GLOBAL in all, each
 * cancelled after its timeout, so a slow or dead receiver only delays its
 * own shop's deliveries.
 */

#define TICK_MSEC        50
#define MAX_URL_LENGTH   2048
#define MAX_READ         (64 * 1024)
#define LIST_DEFAULT     50
#define LIST_MAX         200

typedef enum
{
  DELIVERY_PENDING,
  DELIVERY_DELIVERED,
  DELIVERY_FAILED,
} DeliveryState;

static const char * const state_names[] = { "pending", "delivered", "failed" };

typedef struct
{
  guint          ref_count;
  gint64         id;
  gint64         seq;             /* the event's, while staged */
  char          *shop;
  char          *event_id;
  char          *event_type;
  char          *order_id;
  GBytes        *body;
  DeliveryState  state;
  guint          attempts;
  gint64         next_attempt_at;
  gint64         created_at;
  gint64         updated_at;
  GPtrArray     *log;             /* UsdtpayAttemptRecord* */
  gboolean       in_flight;
} Delivery;

typedef struct
{
  char      *name;
  char      *url;
  char      *secret;
  guint      in_flight;
  GPtrArray *pending;             /* Delivery*, by id */
  GQueue     recent;              /* Delivery*, newest first */
  gint64     next_due;            /* nothing in pending is due before */
  gboolean   failing;             /* its last attempt did not succeed */
} Shop;

struct _UsdtpayWebhooks
{
  GObject                parent_instance;

  UsdtpayEngine         *engine;  /* borrowed: the engine owns us */
  GHashTable            *shops;   /* name → Shop* */
  GHashTable            *staged;  /* &seq → Delivery*, not yet durable */
  gint64                 last_delivery_id;

  UsdtpayWebhooksConfig  config;
  gboolean               running;
  SoupSession           *session;
  GHashTable            *attempts; /* Attempt* in flight */
  guint                  in_flight;
  guint                  tick_id;
  guint                  kick_id;
  UsdtpayBatch          *records;  /* attempts not yet submitted */
};

G_DEFINE_FINAL_TYPE (UsdtpayWebhooks, usdtpay_webhooks, G_TYPE_OBJECT)

/* Records */

static void
attempt_record_free (gpointer data)
{
  UsdtpayAttemptRecord *record = data;

  g_free (record->error);
  g_free (record);
}

static Delivery *
delivery_ref (Delivery *d)
{
  d->ref_count++;
  return d;
}

static void
delivery_unref (gpointer data)
{
  Delivery *d = data;

  if (--d->ref_count > 0)
    return;

  g_free (d->shop);
  g_free (d->event_id);
  g_free (d->event_type);
  g_free (d->order_id);
  g_bytes_unref (d->body);
  g_ptr_array_unref (d->log);
  g_free (d);
}

static Delivery *
delivery_new (void)
{
  Delivery *d = g_new0 (Delivery, 1);

  d->ref_count = 1;
  d->log = g_ptr_array_new_with_free_func (attempt_record_free);

  return d;
}

static void
delivery_to_record (const Delivery        *d,
                    UsdtpayDeliveryRecord *record)
{
  *record = (UsdtpayDeliveryRecord) {
    .id = d->id,
    .shop = d->shop,
    .event_id = d->event_id,
    .event_type = d->event_type,
    .order_id = d->order_id,
    .body = d->body,
    .state = (char *)state_names[d->state],
    .attempts = d->attempts,
    .next_attempt_at = d->next_attempt_at,
    .created_at = d->created_at,
    .updated_at = d->updated_at,
  };
}

static void
shop_free (gpointer data)
{
  Shop *shop = data;

  g_free (shop->name);
  g_free (shop->url);
  g_free (shop->secret);
  g_ptr_array_unref (shop->pending);
  g_queue_clear_full (&shop->recent, delivery_unref);
  g_free (shop);
}

static Shop *
ensure_shop (UsdtpayWebhooks *self,
             const char      *name)
{
  Shop *shop = g_hash_table_lookup (self->shops, name);

  if (shop == NULL)
    {
      shop = g_new0 (Shop, 1);
      shop->name = g_strdup (name);
      shop->pending = g_ptr_array_new_with_free_func (delivery_unref);
      g_queue_init (&shop->recent);
      g_hash_table_insert (self->shops, shop->name, shop);
    }

  return shop;
}

/* Adds a durable delivery to its shop's lists. */
static void
shop_add_delivery (Shop     *shop,
                   Delivery *d)
{
  g_queue_push_head (&shop->recent, delivery_ref (d));
  while (shop->recent.length > USDTPAY_STORE_RECENT_DELIVERIES)
    delivery_unref (g_queue_pop_tail (&shop->recent));

  if (d->state == DELIVERY_PENDING)
    {
      g_ptr_array_add (shop->pending, delivery_ref (d));
      shop->next_due = 0;
    }
}

/* Sending */

static void schedule_pump (UsdtpayWebhooks *self);

static guint
shop_limit (Shop *shop)
{
  return shop->failing ? USDTPAY_WEBHOOK_PER_FAILING : USDTPAY_WEBHOOK_PER_SHOP;
}

typedef struct
{
  UsdtpayWebhooks *self;
  Shop            *shop;
  Delivery        *delivery;
  SoupMessage     *msg;
  GCancellable    *cancellable;
  GInputStream    *stream;
  guint            timeout_id;
  gint64           at;
  gint64           started;       /* monotonic */
  guint            status;
  gsize            read;
  gboolean         timed_out;
  char            *refused;
} Attempt;

static void
attempt_free (Attempt *attempt)
{
  g_clear_handle_id (&attempt->timeout_id, g_source_remove);
  g_clear_object (&attempt->stream);
  g_clear_object (&attempt->msg);
  g_clear_object (&attempt->cancellable);
  delivery_unref (attempt->delivery);
  g_free (attempt->refused);
  g_object_unref (attempt->self);
  g_free (attempt);
}

/* Loopback, private, link-local and other non-public space, IPv4 inside
 * IPv6 judged as IPv4. */
static gboolean
address_is_forbidden (GInetAddress *address)
{
  const guint8 *bytes;

  g_assert (G_IS_INET_ADDRESS (address));

  if (g_inet_address_get_is_any (address) || g_inet_address_get_is_loopback (address) ||
      g_inet_address_get_is_link_local (address) || g_inet_address_get_is_site_local (address) ||
      g_inet_address_get_is_multicast (address))
    return TRUE;

  bytes = g_inet_address_to_bytes (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    {
      return bytes[0] == 0 ||                                    /* 0/8 */
             (bytes[0] == 100 && (bytes[1] & 0xc0) == 64) ||     /* 100.64/10, shared */
             (bytes[0] == 192 && bytes[1] == 0 && bytes[2] == 0) ||
             (bytes[0] == 198 && (bytes[1] & 0xfe) == 18) ||     /* 198.18/15 */
             bytes[0] >= 240;                                    /* reserved, broadcast */
    }

  /* IPv6: unique local fc00::/7, and IPv4 inside IPv6 (mapped ::ffff:0:0/96
   * and NAT64 64:ff9b::/96) judged by the IPv4 address. */
  if ((bytes[0] & 0xfe) == 0xfc)
    return TRUE;
  {
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

    if (memcmp (bytes, mapped, 12) == 0 || memcmp (bytes, nat64, 12) == 0)
      {
        g_autoptr(GInetAddress) inner = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);

        return address_is_forbidden (inner);
      }
  }

  return FALSE;
}

/* Outside dev mode the address is checked once connected, before a byte is
 * sent: a name that resolves to a private address is refused whatever DNS
 * said when the URL was set. */
static void
network_event_cb (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(GSocketAddress) remote = NULL;
  GInetAddress *address;

  if (event != G_SOCKET_CLIENT_CONNECTED || attempt->refused != NULL)
    return;

  if (!G_IS_SOCKET_CONNECTION (connection) ||
      !(remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL)) ||
      !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      attempt->refused = g_strdup ("refused: the receiver's address could not be checked");
      g_cancellable_cancel (attempt->cancellable);
      return;
    }

  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (address_is_forbidden (address))
    {
      g_autofree char *text = g_inet_address_to_string (address);

      attempt->refused = g_strdup_printf ("refused: %s is a loopback, private or link-local address", text);
      g_cancellable_cancel (attempt->cancellable);
    }
}

static gboolean
attempt_timeout_cb (gpointer user_data)
{
  Attempt *attempt = user_data;

  attempt->timeout_id = 0;
  attempt->timed_out = TRUE;
  g_cancellable_cancel (attempt->cancellable);

  return G_SOURCE_REMOVE;
}

static gint64
retry_delay_usec (UsdtpayWebhooks *self,
                  guint            attempts_done)
{
  guint exponent = MIN (attempts_done > 0 ? attempts_done - 1 : 0, 7);
  gint64 delay_ms = (gint64)self->config.retry_base_ms << exponent;

  /* Jitter spreads the retries of many deliveries that failed together. */
  return (gint64)(delay_ms * 1000 * g_random_double_range (0.8, 1.2));
}

static gboolean
status_is_retryable (guint status)
{
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

static void
attempt_finish (Attempt    *attempt,
                const char *error_text)
{
  UsdtpayWebhooks *self = attempt->self;
  Delivery *d = attempt->delivery;
  Shop *shop = attempt->shop;
  UsdtpayAttemptRecord *record;
  UsdtpayDeliveryRecord delivery_record;
  gint64 now = usdtpay_engine_now (self->engine);
  guint status = attempt->status;

  g_hash_table_remove (self->attempts, attempt);
  d->in_flight = FALSE;
  shop->in_flight--;
  self->in_flight--;
  shop->next_due = 0;

  /* Stopping: the attempt is not recorded; the delivery stays pending in
   * the store and is sent again after the restart. */
  if (!self->running)
    {
      attempt_free (attempt);
      return;
    }

  record = g_new0 (UsdtpayAttemptRecord, 1);
  record->delivery_id = d->id;
  record->n = ++d->attempts;
  record->at = attempt->at;
  record->status = status;
  record->duration_ms = (g_get_monotonic_time () - attempt->started) / 1000;
  record->error = g_strdup (error_text);
  g_ptr_array_add (d->log, record);

  shop->failing = !(error_text == NULL && status >= 200 && status < 300);
  if (!shop->failing)
    d->state = DELIVERY_DELIVERED;
  else if (status_is_retryable (error_text != NULL ? 0 : status) && d->attempts < self->config.max_attempts)
    {
      gint64 delay = retry_delay_usec (self, d->attempts);
      const char *retry_after = status == 429 || status == 503
        ? soup_message_headers_get_one (soup_message_get_response_headers (attempt->msg), "Retry-After")
        : NULL;
      guint64 seconds;

      /* A receiver asking for time gets it, up to an hour. */
      if (retry_after != NULL && g_ascii_string_to_unsigned (retry_after, 10, 0, 3600, &seconds, NULL))
        delay = MAX (delay, (gint64)seconds * G_USEC_PER_SEC);
      d->next_attempt_at = now + delay;
    }
  else
    d->state = DELIVERY_FAILED;

  if (d->state != DELIVERY_PENDING)
    {
      d->next_attempt_at = 0;
      g_ptr_array_remove (shop->pending, d);
    }
  d->updated_at = now;

  if (d->state != DELIVERY_DELIVERED)
    g_message ("Webhook delivery %" G_GINT64_FORMAT " (%s) to shop %s, attempt %u: %s%s",
               d->id, d->event_id, shop->name, record->n,
               error_text != NULL ? error_text : soup_status_get_phrase (status),
               d->state == DELIVERY_FAILED ? "; giving up" : "; will retry");

  /* Recorded with the other attempts that end in this turn of the loop. */
  if (self->records == NULL)
    self->records = usdtpay_batch_new ();
  usdtpay_batch_add_attempt (self->records, record);
  delivery_to_record (d, &delivery_record);
  usdtpay_batch_put_delivery (self->records, &delivery_record);

  attempt_free (attempt);
  schedule_pump (self);
}

static const char *
attempt_error_text (Attempt      *attempt,
                    const GError *error,
                    char        **owned)
{
  if (attempt->refused != NULL)
    return attempt->refused;
  if (attempt->timed_out)
    return *owned = g_strdup_printf ("no answer within %u ms", attempt->self->config.timeout_ms);

  return error->message;
}

static void read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_more (Attempt *attempt)
{
  g_input_stream_read_bytes_async (attempt->stream, 8192, G_PRIORITY_DEFAULT, attempt->cancellable,
                                   read_cb, attempt);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
  attempt_finish (user_data, NULL);
}

/* The answer's body is read (up to MAX_READ) only so the connection can be
 * reused; its status is what counts. */
static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);

  if (bytes != NULL && g_bytes_get_size (bytes) > 0 && attempt->read < MAX_READ)
    {
      attempt->read += g_bytes_get_size (bytes);
      read_more (attempt);
      return;
    }

  /* Closed only when read to the end, the connection goes back to the pool
   * for the shop's next delivery. */
  g_input_stream_close_async (attempt->stream, G_PRIORITY_DEFAULT, attempt->cancellable, close_cb, attempt);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *owned = NULL;

  attempt->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (attempt->stream == NULL)
    {
      attempt->status = 0;
      attempt_finish (attempt, attempt_error_text (attempt, error, &owned));
      return;
    }

  attempt->status = soup_message_get_status (attempt->msg);
  read_more (attempt);
}

static char *
sign (const char *secret,
      gint64      timestamp,
      GBytes     *body)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *)secret, strlen (secret));
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT ".", timestamp);
  gsize length = 0;
  const guchar *data = g_bytes_get_data (body, &length);

  g_hmac_update (hmac, (const guchar *)prefix, -1);
  g_hmac_update (hmac, data, length);

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", timestamp, g_hmac_get_string (hmac));
}

static void
attempt_start (UsdtpayWebhooks *self,
               Shop            *shop,
               Delivery        *d)
{
  Attempt *attempt = g_new0 (Attempt, 1);
  SoupMessageHeaders *headers;
  g_autofree char *signature = NULL;
  g_autofree char *delivery_id = NULL;

  attempt->self = g_object_ref (self);
  attempt->shop = shop;
  attempt->delivery = delivery_ref (d);
  attempt->cancellable = g_cancellable_new ();
  attempt->at = usdtpay_engine_now (self->engine);
  attempt->started = g_get_monotonic_time ();

  d->in_flight = TRUE;
  shop->in_flight++;
  self->in_flight++;
  g_hash_table_add (self->attempts, attempt);

  attempt->msg = soup_message_new (SOUP_METHOD_POST, shop->url);
  if (attempt->msg == NULL)
    {
      attempt_finish (attempt, "the webhook URL is not valid");
      return;
    }

  /* Redirects are not followed: a 3xx is a final answer. A POST may reuse
   * an idle connection: receivers deduplicate by event id anyway. */
  soup_message_add_flags (attempt->msg, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_IDEMPOTENT);
  soup_message_set_request_body_from_bytes (attempt->msg, "application/json", d->body);
  headers = soup_message_get_request_headers (attempt->msg);
  /* Signed with the wall clock, which the receiver checks it against; the
   * records follow the engine's clock. */
  signature = sign (shop->secret, g_get_real_time () / G_USEC_PER_SEC, d->body);
  delivery_id = g_strdup_printf ("%" G_GINT64_FORMAT, d->id);
  soup_message_headers_replace (headers, "UsdtPay-Signature", signature);
  soup_message_headers_replace (headers, "UsdtPay-Event-Id", d->event_id);
  soup_message_headers_replace (headers, "UsdtPay-Delivery-Id", delivery_id);

  if (!self->config.allow_private)
    g_signal_connect (attempt->msg, "network-event", G_CALLBACK (network_event_cb), attempt);

  attempt->timeout_id = g_timeout_add (self->config.timeout_ms, attempt_timeout_cb, attempt);
  soup_session_send_async (self->session, attempt->msg, G_PRIORITY_DEFAULT, attempt->cancellable,
                           send_cb, attempt);
}

static void
pump (UsdtpayWebhooks *self)
{
  gint64 now = usdtpay_engine_now (self->engine);
  GHashTableIter iter;
  gpointer value;

  if (!self->running)
    return;

  g_hash_table_iter_init (&iter, self->shops);
  while (g_hash_table_iter_next (&iter, NULL, &value) && self->in_flight < USDTPAY_WEBHOOK_GLOBAL)
    {
      Shop *shop = value;
      gint64 next_due = G_MAXINT64;

      if (shop->url == NULL || shop->pending->len == 0 || now < shop->next_due ||
          shop->in_flight >= shop_limit (shop))
        continue;

      for (guint i = 0; i < shop->pending->len; i++)
        {
          Delivery *d = g_ptr_array_index (shop->pending, i);

          if (d->in_flight)
            continue;
          if (d->next_attempt_at > now)
            next_due = MIN (next_due, d->next_attempt_at);
          else if (shop->in_flight < shop_limit (shop) && self->in_flight < USDTPAY_WEBHOOK_GLOBAL)
            attempt_start (self, shop, d);
          else
            {
              next_due = 0;
              break;
            }
        }
      shop->next_due = next_due;
    }
}

static void
flush_records (UsdtpayWebhooks *self)
{
  if (self->records != NULL)
    usdtpay_store_submit (usdtpay_engine_get_store (self->engine), g_steal_pointer (&self->records),
                          NULL, NULL);
}

static gboolean
kick_cb (gpointer user_data)
{
  UsdtpayWebhooks *self = user_data;

  self->kick_id = 0;
  flush_records (self);
  pump (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_pump (UsdtpayWebhooks *self)
{
  if (self->running && self->kick_id == 0)
    self->kick_id = g_idle_add (kick_cb, self);
}

static gboolean
tick_cb (gpointer user_data)
{
  flush_records (user_data);
  pump (user_data);

  return G_SOURCE_CONTINUE;
}

static void
event_committed_cb (UsdtpayEngine *engine,
                    gpointer       event_pointer,
                    gpointer       user_data)
{
  UsdtpayWebhooks *self = user_data;
  UsdtpayCommittedEvent *event = event_pointer;
  gpointer key, value;

  if (g_hash_table_steal_extended (self->staged, &event->seq, &key, &value))
    {
      Delivery *d = value;

      shop_add_delivery (ensure_shop (self, d->shop), d);
      delivery_unref (d);
      schedule_pump (self);
    }
}

/* The outbox */

gboolean
usdtpay_webhooks_wants (UsdtpayWebhooks *self,
                        const char      *shop)
{
  Shop *found;

  g_return_val_if_fail (USDTPAY_IS_WEBHOOKS (self), FALSE);

  found = shop ? g_hash_table_lookup (self->shops, shop) : NULL;

  return found != NULL && found->url != NULL;
}

static Delivery *
delivery_for_event (UsdtpayWebhooks *self,
                    const char      *shop,
                    const char      *event_id,
                    const char      *event_type,
                    const char      *order_id,
                    GBytes          *body)
{
  Delivery *d = delivery_new ();

  d->id = ++self->last_delivery_id;
  d->shop = g_strdup (shop);
  d->event_id = g_strdup (event_id);
  d->event_type = g_strdup (event_type);
  d->order_id = g_strdup (order_id);
  d->body = g_bytes_ref (body);
  d->state = DELIVERY_PENDING;
  d->created_at = d->updated_at = usdtpay_engine_now (self->engine);

  return d;
}

void
usdtpay_webhooks_order_event (UsdtpayWebhooks    *self,
                              UsdtpayBatch       *batch,
                              gint64              seq,
                              UsdtpayEventType    type,
                              gint64              at,
                              const UsdtpayOrder *order,
                              GBytes             *order_json,
                              const char         *pay_url,
                              const char         *by,
                              const char         *reason)
{
  g_autoptr(GString) json = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *event_id = NULL;
  UsdtpayDeliveryRecord record;
  Delivery *d;
  gsize length = 0;

  g_return_if_fail (USDTPAY_IS_WEBHOOKS (self));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (order != NULL);
  g_return_if_fail (order_json != NULL);

  /* The order as the engine wrote it for the feed, with pay_url, and
   * by/reason for audit events. */
  json = g_string_sized_new (g_bytes_get_size (order_json) + 256);
  g_string_append_len (json, g_bytes_get_data (order_json, NULL), g_bytes_get_size (order_json));
  if (pay_url != NULL)
    usdtpay_json_object_add_string (json, "pay_url", pay_url);
  if (by != NULL)
    usdtpay_json_object_add_string (json, "by", by);
  if (reason != NULL)
    usdtpay_json_object_add_string (json, "reason", reason);

  /* The event as the feed encodes it, with the event id in front. */
  encoded = usdtpay_event_encode_raw (seq, type, at, json->str, json->len, &length);
  g_assert (length > 2 && encoded[0] == '{');
  event_id = g_strdup_printf ("evt_%" G_GINT64_FORMAT, seq);
  {
    char *text = g_strdup_printf ("{\"id\":\"%s\",%s", event_id, encoded + 1);

    body = g_bytes_new_take (text, strlen (text));
  }

  d = delivery_for_event (self, order->shop, event_id, usdtpay_event_type_to_string (type), order->id, body);
  d->seq = seq;
  delivery_to_record (d, &record);
  usdtpay_batch_put_delivery (batch, &record);
  g_hash_table_replace (self->staged, &d->seq, d);
}

/* The API */

/* 401, then 403: a shop's API key, with the webhooks scope when @scoped. */
static gboolean
authenticate_shop (UsdtpayWebhooks    *self,
                   SoupServerMessage  *msg,
                   gboolean            scoped,
                   UsdtpayCaller      *caller,
                   GError            **error)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  const char *token = NULL;

  if (header != NULL && g_ascii_strncasecmp (header, "Bearer ", 7) == 0)
    token = header + 7;

  if (!usdtpay_engine_authenticate (self->engine, token, caller, error))
    return FALSE;
  if (caller->role != USDTPAY_ROLE_SHOP)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "only a shop may do that");
      return FALSE;
    }
  if (scoped && !(caller->scopes & USDTPAY_SCOPE_WEBHOOKS))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN, "the key lacks the webhooks scope");
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  UsdtpayWebhooks   *self;
  SoupServerMessage *msg;
  guint              status;
  GBytes            *body;
  Delivery          *delivery;   /* queued once durable */
} Answer;

static void
answer_committed_cb (const GError *error,
                     gpointer      user_data)
{
  Answer *answer = user_data;

  if (error != NULL)
    {
      g_autoptr(GError) unavailable =
        g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE, "the store could not write: %s",
                     error->message);

      usdtpay_http_respond_error (answer->msg, unavailable);
    }
  else
    {
      if (answer->delivery != NULL)
        {
          shop_add_delivery (ensure_shop (answer->self, answer->delivery->shop), answer->delivery);
          schedule_pump (answer->self);
        }
      usdtpay_http_respond_bytes (answer->msg, answer->status, answer->body);
    }
  soup_server_message_unpause (answer->msg);

  g_clear_pointer (&answer->delivery, delivery_unref);
  g_bytes_unref (answer->body);
  g_object_unref (answer->msg);
  g_object_unref (answer->self);
  g_free (answer);
}

/* Answers once @batch is durable. */
static void
commit_and_answer (UsdtpayWebhooks   *self,
                   SoupServerMessage *msg,
                   UsdtpayBatch      *batch,
                   guint              status,
                   GBytes            *body,
                   Delivery          *delivery)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->self = g_object_ref (self);
  answer->msg = g_object_ref (msg);
  answer->status = status;
  answer->body = body;
  answer->delivery = delivery;
  soup_server_message_pause (msg);
  usdtpay_store_submit (usdtpay_engine_get_store (self->engine), batch, answer_committed_cb, answer);
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *bare = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  if (host[0] == '[' && g_str_has_suffix (host, "]"))
    bare = g_strndup (host + 1, strlen (host) - 2);
  address = g_inet_address_new_from_string (bare ? bare : host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
check_webhook_url (UsdtpayWebhooks  *self,
                   const char       *url,
                   GError          **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme, *host;

  if (strlen (url) > MAX_URL_LENGTH ||
      !(uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL)) ||
      (host = g_uri_get_host (uri)) == NULL || *host == '\0')
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "webhook_url must be an absolute URL of at most %d characters", MAX_URL_LENGTH);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "webhook_url may carry neither credentials nor a fragment");
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && usdtpay_engine_is_dev (self->engine) &&
      is_loopback_host (host))
    return TRUE;

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
               "webhook_url must be https (plain http only to loopback on a dev database)");
  return FALSE;
}

static JsonNode *
shop_node (Shop       *shop,
           const char *name,
           const char *secret)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "webhook_url");
  if (shop != NULL && shop->url != NULL)
    json_builder_add_string_value (builder, shop->url);
  else
    json_builder_add_null_value (builder);
  if (secret != NULL)
    {
      json_builder_set_member_name (builder, "webhook_secret");
      json_builder_add_string_value (builder, secret);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
handle_shop_me (UsdtpayWebhooks   *self,
                SoupServerMessage *msg,
                gboolean           patch)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autofree char *secret = NULL;
  UsdtpayWebhookRecord record;
  UsdtpayBatch *batch;
  const char *url = NULL;
  const char *name;
  Shop *shop;
  gsize length = 0;
  const char *data;

  if (!authenticate_shop (self, msg, patch, &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  name = caller.principal->name;

  if (!patch)
    {
      g_autoptr(GBytes) answer = NULL;

      node = shop_node (g_hash_table_lookup (self->shops, name), name, NULL);
      answer = usdtpay_http_node_bytes (node);
      usdtpay_http_respond_bytes (msg, SOUP_STATUS_OK, answer);
      return;
    }

  request = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  data = g_bytes_get_data (request, &length);
  if (length == 0)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, "a JSON body is required");
      return;
    }
  if (!(body = usdtpay_json_parse_object (data, length, &error)) ||
      !usdtpay_json_get_string (body, "webhook_url", TRUE, &url, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  {
    g_autoptr(GList) members = json_object_get_members (body);

    for (const GList *l = members; l; l = l->next)
      if (!g_str_equal (l->data, "webhook_url"))
        {
          g_autofree char *text = g_strdup_printf ("unknown member \"%s\"", (const char *)l->data);

          usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, text);
          return;
        }
    if (!json_object_has_member (body, "webhook_url"))
      {
        usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST, "webhook_url is required (null removes it)");
        return;
      }
  }
  if (url != NULL && !check_webhook_url (self, url, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  /* A new URL gets a new secret, shown in this answer only. */
  if (url != NULL)
    {
      guint8 bytes[32];
      char encoded[64];

      randombytes_buf (bytes, sizeof bytes);
      sodium_bin2base64 (encoded, sizeof encoded, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
      secret = g_strconcat ("whsec_", encoded, NULL);
    }

  shop = ensure_shop (self, name);
  g_free (shop->url);
  g_free (shop->secret);
  shop->url = g_strdup (url);
  shop->secret = g_strdup (secret);
  shop->next_due = 0;

  record = (UsdtpayWebhookRecord) {
    .shop = (char *)name,
    .url = (char *)url,
    .secret = secret,
    .updated_at = g_get_real_time (),
  };
  batch = usdtpay_batch_new ();
  usdtpay_batch_put_webhook (batch, &record);
  node = shop_node (shop, name, secret);
  commit_and_answer (self, msg, batch, SOUP_STATUS_OK, usdtpay_http_node_bytes (node), NULL);
  schedule_pump (self);
}

static void
build_time (JsonBuilder *builder,
            const char  *member,
            gint64       usec)
{
  json_builder_set_member_name (builder, member);
  if (usec != 0)
    {
      g_autofree char *text = usdtpay_time_format (usec);

      json_builder_add_string_value (builder, text);
    }
  else
    json_builder_add_null_value (builder);
}

static JsonNode *
delivery_node (const Delivery *d)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, d->id);
  json_builder_set_member_name (builder, "event_id");
  json_builder_add_string_value (builder, d->event_id);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, d->event_type);
  json_builder_set_member_name (builder, "order_id");
  json_builder_add_string_value (builder, d->order_id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state_names[d->state]);
  build_time (builder, "created_at", d->created_at);
  build_time (builder, "next_attempt_at", d->state == DELIVERY_PENDING ? MAX (d->next_attempt_at, d->created_at) : 0);
  json_builder_set_member_name (builder, "attempts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < d->log->len; i++)
    {
      const UsdtpayAttemptRecord *a = g_ptr_array_index (d->log, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "n");
      json_builder_add_int_value (builder, a->n);
      build_time (builder, "at", a->at);
      json_builder_set_member_name (builder, "status");
      if (a->status != 0)
        json_builder_add_int_value (builder, a->status);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "duration_ms");
      json_builder_add_int_value (builder, a->duration_ms);
      json_builder_set_member_name (builder, "error");
      if (a->error != NULL)
        json_builder_add_string_value (builder, a->error);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const Delivery *da = *(const Delivery * const *)a;
  const Delivery *db = *(const Delivery * const *)b;

  return (da->id < db->id) - (da->id > db->id);
}

/* The shop's deliveries in memory (the recent ones and every pending one),
 * newest first. */
static GPtrArray *
shop_deliveries (Shop *shop)
{
  GPtrArray *all = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (GList *l = shop->recent.head; l; l = l->next)
    if (g_hash_table_add (seen, l->data))
      g_ptr_array_add (all, l->data);
  for (guint i = 0; i < shop->pending->len; i++)
    if (g_hash_table_add (seen, g_ptr_array_index (shop->pending, i)))
      g_ptr_array_add (all, g_ptr_array_index (shop->pending, i));
  g_ptr_array_sort (all, compare_newest_first);

  return all;
}

static void
handle_list_deliveries (UsdtpayWebhooks   *self,
                        SoupServerMessage *msg,
                        GHashTable        *query)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) answer = NULL;
  const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  const char *after_text = query ? g_hash_table_lookup (query, "after") : NULL;
  guint64 limit = LIST_DEFAULT, after = G_MAXINT64;
  gint64 last = 0;
  guint n = 0;
  Shop *shop;

  if (!authenticate_shop (self, msg, TRUE, &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }
  if ((limit_text != NULL && !g_ascii_string_to_unsigned (limit_text, 10, 1, LIST_MAX, &limit, NULL)) ||
      (after_text != NULL && !g_ascii_string_to_unsigned (after_text, 10, 1, G_MAXINT64, &after, NULL)))
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_INVALID_REQUEST,
                                      "limit must be 1 to 200 and after a cursor from next");
      return;
    }

  shop = g_hash_table_lookup (self->shops, caller.principal->name);
  all = shop ? shop_deliveries (shop) : g_ptr_array_new ();

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < all->len; i++)
    {
      Delivery *d = g_ptr_array_index (all, i);

      if ((guint64)d->id >= after)
        continue;
      if (n == limit)
        break;
      json_builder_add_value (builder, delivery_node (d));
      last = d->id;
      n++;
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next");
  if (n == limit && last > 0 && ((Delivery *)g_ptr_array_index (all, all->len - 1))->id < last)
    {
      g_autofree char *cursor = g_strdup_printf ("%" G_GINT64_FORMAT, last);

      json_builder_add_string_value (builder, cursor);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, usdtpay_engine_get_head_seq (self->engine));
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);
  answer = usdtpay_http_node_bytes (node);
  usdtpay_http_respond_bytes (msg, SOUP_STATUS_OK, answer);
}

static void
handle_redeliver (UsdtpayWebhooks   *self,
                  SoupServerMessage *msg,
                  const char        *id_text)
{
  g_auto(UsdtpayCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(JsonNode) node = NULL;
  UsdtpayDeliveryRecord record;
  UsdtpayBatch *batch;
  Delivery *found = NULL, *d;
  guint64 id = 0;
  Shop *shop;

  if (!authenticate_shop (self, msg, TRUE, &caller, &error))
    {
      usdtpay_http_respond_error (msg, error);
      return;
    }

  shop = g_hash_table_lookup (self->shops, caller.principal->name);
  if (shop != NULL && g_ascii_string_to_unsigned (id_text, 10, 1, G_MAXINT64, &id, NULL))
    {
      all = shop_deliveries (shop);
      for (guint i = 0; i < all->len && found == NULL; i++)
        if (((Delivery *)g_ptr_array_index (all, i))->id == (gint64)id)
          found = g_ptr_array_index (all, i);
    }
  if (found == NULL)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_NOT_FOUND, "no such delivery");
      return;
    }
  if (shop->url == NULL)
    {
      usdtpay_http_respond_new_error (msg, USDTPAY_ERROR_CONFLICT, "the shop has no webhook URL");
      return;
    }

  /* A redelivery is a new delivery of the same event (same id and body),
   * with its own attempts. */
  d = delivery_for_event (self, shop->name, found->event_id, found->event_type, found->order_id,
                          found->body);
  batch = usdtpay_batch_new ();
  delivery_to_record (d, &record);
  usdtpay_batch_put_delivery (batch, &record);
  node = delivery_node (d);
  commit_and_answer (self, msg, batch, SOUP_STATUS_ACCEPTED, usdtpay_http_node_bytes (node), d);
}

gboolean
usdtpay_webhooks_route (UsdtpayWebhooks    *self,
                        SoupServerMessage  *msg,
                        const char         *method,
                        char              **parts,
                        guint               n_parts,
                        GHashTable         *query)
{
  g_return_val_if_fail (USDTPAY_IS_WEBHOOKS (self), FALSE);

  if (n_parts == 2 && g_str_equal (parts[0], "shops") && g_str_equal (parts[1], "me"))
    {
      if (g_str_equal (method, "GET") || g_str_equal (method, "PATCH"))
        handle_shop_me (self, msg, g_str_equal (method, "PATCH"));
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET, PATCH");
    }
  else if (n_parts == 1 && g_str_equal (parts[0], "webhook-deliveries"))
    {
      if (g_str_equal (method, "GET"))
        handle_list_deliveries (self, msg, query);
      else
        usdtpay_http_respond_method_not_allowed (msg, "GET");
    }
  else if (n_parts == 3 && g_str_equal (parts[0], "webhook-deliveries") &&
           g_str_equal (parts[2], "redeliver"))
    {
      if (g_str_equal (method, "POST"))
        handle_redeliver (self, msg, parts[1]);
      else
        usdtpay_http_respond_method_not_allowed (msg, "POST");
    }
  else
    return FALSE;

  return TRUE;
}

/* Lifecycle */

void
usdtpay_webhooks_start (UsdtpayWebhooks             *self,
                        const UsdtpayWebhooksConfig *config)
{
  g_return_if_fail (USDTPAY_IS_WEBHOOKS (self));
  g_return_if_fail (config != NULL);
  g_return_if_fail (!self->running);

  self->config = *config;
  self->running = TRUE;
  /* No proxy: the checked address must be the receiver's. */
  self->session = soup_session_new_with_options ("max-conns", USDTPAY_WEBHOOK_GLOBAL,
                                                 "max-conns-per-host", USDTPAY_WEBHOOK_GLOBAL,
                                                 "proxy-resolver", NULL,
                                                 "user-agent", "usdtpay-webhooks/" PACKAGE_VERSION,
                                                 NULL);
  soup_session_set_proxy_resolver (self->session, NULL);
  self->tick_id = g_timeout_add (TICK_MSEC, tick_cb, self);
  schedule_pump (self);
}

void
usdtpay_webhooks_stop (UsdtpayWebhooks *self)
{
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (USDTPAY_IS_WEBHOOKS (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->kick_id, g_source_remove);

  g_hash_table_iter_init (&iter, self->attempts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_cancellable_cancel (((Attempt *)key)->cancellable);

  /* Let the cancelled attempts unwind; what ended before is recorded. */
  while (g_hash_table_size (self->attempts) > 0)
    g_main_context_iteration (NULL, TRUE);
  flush_records (self);

  soup_session_abort (self->session);
}

UsdtpayWebhooks *
usdtpay_webhooks_new (UsdtpayEngine        *engine,
                      UsdtpayStoreSnapshot *snapshot)
{
  UsdtpayWebhooks *self;
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_WEBHOOKS, NULL);
  self->engine = engine;
  self->last_delivery_id = snapshot->last_delivery_id;

  for (guint i = 0; snapshot->webhooks != NULL && i < snapshot->webhooks->len; i++)
    {
      const UsdtpayOp *op = g_ptr_array_index (snapshot->webhooks, i);
      Shop *shop = ensure_shop (self, op->webhook.shop);

      shop->url = g_strdup (op->webhook.url);
      shop->secret = g_strdup (op->webhook.secret);
    }

  for (guint i = 0; snapshot->deliveries != NULL && i < snapshot->deliveries->len; i++)
    {
      const UsdtpayOp *op = g_ptr_array_index (snapshot->deliveries, i);
      Delivery *d = delivery_new ();

      d->id = op->delivery.id;
      d->shop = g_strdup (op->delivery.shop);
      d->event_id = g_strdup (op->delivery.event_id);
      d->event_type = g_strdup (op->delivery.event_type);
      d->order_id = g_strdup (op->delivery.order_id);
      d->body = g_bytes_ref (op->delivery.body);
      d->state = g_str_equal (op->delivery.state, "pending") ? DELIVERY_PENDING
               : g_str_equal (op->delivery.state, "delivered") ? DELIVERY_DELIVERED
               : DELIVERY_FAILED;
      d->attempts = op->delivery.attempts;
      d->next_attempt_at = op->delivery.next_attempt_at;
      d->created_at = op->delivery.created_at;
      d->updated_at = op->delivery.updated_at;
      g_hash_table_insert (by_id, &d->id, d);
      shop_add_delivery (ensure_shop (self, d->shop), d);
      delivery_unref (d);
    }

  for (guint i = 0; snapshot->attempts != NULL && i < snapshot->attempts->len; i++)
    {
      const UsdtpayOp *op = g_ptr_array_index (snapshot->attempts, i);
      Delivery *d = g_hash_table_lookup (by_id, &op->attempt.delivery_id);
      UsdtpayAttemptRecord *record;

      if (d == NULL)
        continue;
      record = g_new0 (UsdtpayAttemptRecord, 1);
      *record = op->attempt;
      record->error = g_strdup (op->attempt.error);
      g_ptr_array_add (d->log, record);
    }

  g_signal_connect_object (engine, "event-committed", G_CALLBACK (event_committed_cb), self, 0);

  return self;
}

static void
usdtpay_webhooks_dispose (GObject *object)
{
  UsdtpayWebhooks *self = (UsdtpayWebhooks *)object;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->kick_id, g_source_remove);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (usdtpay_webhooks_parent_class)->dispose (object);
}

static void
usdtpay_webhooks_finalize (GObject *object)
{
  UsdtpayWebhooks *self = (UsdtpayWebhooks *)object;

  g_clear_pointer (&self->records, usdtpay_batch_free);
  g_clear_pointer (&self->staged, g_hash_table_unref);
  g_clear_pointer (&self->shops, g_hash_table_unref);
  g_clear_pointer (&self->attempts, g_hash_table_unref);

  G_OBJECT_CLASS (usdtpay_webhooks_parent_class)->finalize (object);
}

static void
usdtpay_webhooks_class_init (UsdtpayWebhooksClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_webhooks_dispose;
  object_class->finalize = usdtpay_webhooks_finalize;
}

static void
usdtpay_webhooks_init (UsdtpayWebhooks *self)
{
  self->shops = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, shop_free);
  self->staged = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, delivery_unref);
  self->attempts = g_hash_table_new (NULL, NULL);
  self->config = (UsdtpayWebhooksConfig) {
    .retry_base_ms = USDTPAY_WEBHOOK_RETRY_BASE_MS,
    .max_attempts = USDTPAY_WEBHOOK_MAX_ATTEMPTS,
    .timeout_ms = USDTPAY_WEBHOOK_TIMEOUT_MS,
  };
}

/* Retention (usdtpay-retention.c): forgets the finished deliveries last
 * changed before @before, as the store purges them, so the API lists what
 * a restart would load. */
void
usdtpay_webhooks_forget_finished (UsdtpayWebhooks *self,
                                  gint64           before)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (USDTPAY_IS_WEBHOOKS (self));

  g_hash_table_iter_init (&iter, self->shops);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Shop *shop = value;
      GList *l = shop->recent.head;

      while (l != NULL)
        {
          GList *next = l->next;
          Delivery *d = l->data;

          if (d->state != DELIVERY_PENDING && d->updated_at < before)
            {
              g_queue_delete_link (&shop->recent, l);
              delivery_unref (d);
            }
          l = next;
        }
    }
}
