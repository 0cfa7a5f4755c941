/* usdtpay-feed.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-feed"

#include "config.h"

#include "usdtpay-feed.h"

#define ACK_IDLE_USEC    (15 * G_USEC_PER_SEC)
#define BACKOFF_BASE_MS  500
#define BACKOFF_MAX_MS   30000

struct _UsdtpayFeed
{
  GObject                  parent_instance;

  UsdtpayClient           *client;
  SoupSession             *session;
  SoupWebsocketConnection *conn;
  GCancellable            *cancellable;
  GRand                   *rand;

  UsdtpayFeedState         state;
  gint64                   state_since;
  gint64                   retry_at;
  guint                    attempt;
  guint                    retry_source;
  guint                    ack_source;

  gint64                   last_seq;    /* the last seq handed out */
  gint64                   acked_seq;
  gint64                   acked_at;    /* monotonic */
  guint                    running : 1;
};

G_DEFINE_FINAL_TYPE (UsdtpayFeed, usdtpay_feed, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_LAST_SEQ,
  PROP_RETRY_AT,
  N_PROPS
};

enum {
  EVENT,
  CAUGHT_UP,
  UNAUTHORIZED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_now (UsdtpayFeed *self);

GType
usdtpay_feed_state_get_type (void)
{
  static gsize type_id;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { USDTPAY_FEED_OFFLINE, "USDTPAY_FEED_OFFLINE", "offline" },
        { USDTPAY_FEED_CONNECTING, "USDTPAY_FEED_CONNECTING", "connecting" },
        { USDTPAY_FEED_CONNECTED, "USDTPAY_FEED_CONNECTED", "connected" },
        { USDTPAY_FEED_RECONNECTING, "USDTPAY_FEED_RECONNECTING", "reconnecting" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("UsdtpayFeedState"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

guint
usdtpay_feed_backoff_ms (guint  attempt,
                         GRand *rand)
{
  guint delay = BACKOFF_MAX_MS;
  guint half;

  if (attempt < 16)
    delay = MIN ((guint)BACKOFF_BASE_MS << attempt, (guint)BACKOFF_MAX_MS);

  half = delay / 2;

  return half + (rand != NULL ? (guint)g_rand_int_range (rand, 0, (gint32)half + 1)
                              : (guint)g_random_int_range (0, (gint32)half + 1));
}

static void
set_state (UsdtpayFeed      *self,
           UsdtpayFeedState  state)
{
  g_assert (USDTPAY_IS_FEED (self));

  if (self->state == state)
    return;

  self->state = state;
  self->state_since = g_get_real_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
send_ack (UsdtpayFeed *self)
{
  g_autofree char *ack = NULL;

  g_assert (USDTPAY_IS_FEED (self));

  if (self->conn == NULL ||
      soup_websocket_connection_get_state (self->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  ack = usdtpay_feed_encode_ack (self->last_seq);
  soup_websocket_connection_send_text (self->conn, ack);
  self->acked_seq = self->last_seq;
  self->acked_at = g_get_monotonic_time ();
}

/* Once a second: acknowledge new events, and re-acknowledge every 15 s when
 * idle so the platform knows the client is alive. */
static gboolean
ack_tick_cb (gpointer user_data)
{
  UsdtpayFeed *self = user_data;

  if (self->last_seq > self->acked_seq ||
      g_get_monotonic_time () - self->acked_at >= ACK_IDLE_USEC)
    send_ack (self);

  return G_SOURCE_CONTINUE;
}

static void
drop_connection (UsdtpayFeed *self)
{
  g_assert (USDTPAY_IS_FEED (self));

  g_clear_handle_id (&self->ack_source, g_source_remove);

  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->conn);
    }
}

static gboolean
retry_cb (gpointer user_data)
{
  UsdtpayFeed *self = user_data;

  self->retry_source = 0;
  connect_now (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (UsdtpayFeed *self)
{
  guint delay;

  g_assert (USDTPAY_IS_FEED (self));

  drop_connection (self);

  if (!self->running)
    {
      set_state (self, USDTPAY_FEED_OFFLINE);
      return;
    }

  delay = usdtpay_feed_backoff_ms (self->attempt, self->rand);
  if (self->attempt < G_MAXUINT)
    self->attempt++;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_source = g_timeout_add (delay, retry_cb, self);
  self->retry_at = g_get_monotonic_time () + (gint64)delay * 1000;
  g_debug ("feed: reconnecting in %u ms (since=%" G_GINT64_FORMAT ")", delay, self->last_seq);

  set_state (self, USDTPAY_FEED_RECONNECTING);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_AT]);
}

static void
message_cb (UsdtpayFeed             *self,
            gint                     type,
            GBytes                  *message,
            SoupWebsocketConnection *conn)
{
  g_autoptr(UsdtpayEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data;

  g_assert (USDTPAY_IS_FEED (self));

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;

  data = g_bytes_get_data (message, &len);
  event = usdtpay_event_decode (data, len, &error);
  if (event == NULL)
    {
      g_warning ("feed: dropping the connection after an invalid message: %s", error->message);
      schedule_reconnect (self);
      return;
    }

  if (event->type == USDTPAY_EVENT_CAUGHT_UP)
    {
      /* A connection that got through its replay is a healthy one. */
      self->attempt = 0;
      g_signal_emit (self, signals[CAUGHT_UP], 0, event->seq);
      return;
    }

  /* Already applied: a replay after a reconnect may repeat events. */
  if (event->seq <= self->last_seq)
    return;

  g_signal_emit (self, signals[EVENT], 0, event);

  self->last_seq = event->seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
}

static void
closed_cb (UsdtpayFeed             *self,
           SoupWebsocketConnection *conn)
{
  g_assert (USDTPAY_IS_FEED (self));

  g_debug ("feed: closed with code %u", soup_websocket_connection_get_close_code (conn));
  schedule_reconnect (self);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(UsdtpayFeed) self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;

  conn = soup_session_websocket_connect_finish (session, result, &error);
  if (conn == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      if (status == SOUP_STATUS_UNAUTHORIZED)
        {
          self->running = FALSE;
          set_state (self, USDTPAY_FEED_OFFLINE);
          g_signal_emit (self, signals[UNAUTHORIZED], 0);
          return;
        }

      g_debug ("feed: connection failed: %s", error->message);
      schedule_reconnect (self);
      return;
    }

  if (!self->running)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (conn);
      return;
    }

  self->conn = conn;
  /* The server pings; libsoup answers with pongs by itself. */
  soup_websocket_connection_set_max_incoming_payload_size (conn, 1024 * 1024);
  g_signal_connect_object (conn, "message", G_CALLBACK (message_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conn, "closed", G_CALLBACK (closed_cb), self, G_CONNECT_SWAPPED);

  self->acked_seq = self->last_seq;
  self->acked_at = g_get_monotonic_time ();
  self->ack_source = g_timeout_add_seconds (1, ack_tick_cb, self);

  set_state (self, USDTPAY_FEED_CONNECTED);
}

static void
connect_now (UsdtpayFeed *self)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *path = NULL;

  g_assert (USDTPAY_IS_FEED (self));

  if (!self->running)
    return;

  path = g_strdup_printf ("/v1/feed?since=%" G_GINT64_FORMAT, self->last_seq);
  msg = usdtpay_client_new_message (self->client, "GET", path);
  set_state (self, USDTPAY_FEED_CONNECTING);
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        connect_cb, g_object_ref (self));
}

static void
usdtpay_feed_dispose (GObject *object)
{
  UsdtpayFeed *self = (UsdtpayFeed *)object;

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_connection (self);

  G_OBJECT_CLASS (usdtpay_feed_parent_class)->dispose (object);
}

static void
usdtpay_feed_finalize (GObject *object)
{
  UsdtpayFeed *self = (UsdtpayFeed *)object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->client);
  g_clear_pointer (&self->rand, g_rand_free);

  G_OBJECT_CLASS (usdtpay_feed_parent_class)->finalize (object);
}

static void
usdtpay_feed_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  UsdtpayFeed *self = USDTPAY_FEED (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_LAST_SEQ:
      g_value_set_int64 (value, self->last_seq);
      break;

    case PROP_RETRY_AT:
      g_value_set_int64 (value, self->retry_at);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_feed_class_init (UsdtpayFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_feed_dispose;
  object_class->finalize = usdtpay_feed_finalize;
  object_class->get_property = usdtpay_feed_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       USDTPAY_TYPE_FEED_STATE, USDTPAY_FEED_OFFLINE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SEQ] =
    g_param_spec_int64 ("last-seq", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_AT] =
    g_param_spec_int64 ("retry-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[CAUGHT_UP] =
    g_signal_new ("caught-up", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[UNAUTHORIZED] =
    g_signal_new ("unauthorized", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
usdtpay_feed_init (UsdtpayFeed *self)
{
  /* Its own session: the REST session's 30 s I/O timeout must not apply to
   * a connection that may rightly be quiet. */
  self->session = soup_session_new_with_options ("user-agent", "UsdtPay/" PACKAGE_VERSION, NULL);
  self->cancellable = g_cancellable_new ();
  self->rand = g_rand_new ();
  self->state_since = g_get_real_time ();
}

UsdtpayFeed *
usdtpay_feed_new (UsdtpayClient *client)
{
  UsdtpayFeed *self;

  g_return_val_if_fail (USDTPAY_IS_CLIENT (client), NULL);

  self = g_object_new (USDTPAY_TYPE_FEED, NULL);
  self->client = g_object_ref (client);

  return self;
}

void
usdtpay_feed_start (UsdtpayFeed *self,
                    gint64       since)
{
  g_return_if_fail (USDTPAY_IS_FEED (self));
  g_return_if_fail (since >= 0);

  if (self->running)
    return;

  self->running = TRUE;
  self->attempt = 0;
  if (since > self->last_seq)
    {
      self->last_seq = since;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
    }

  connect_now (self);
}

void
usdtpay_feed_stop (UsdtpayFeed *self)
{
  g_return_if_fail (USDTPAY_IS_FEED (self));

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->conn != NULL)
    send_ack (self);
  drop_connection (self);
  set_state (self, USDTPAY_FEED_OFFLINE);
}

void
usdtpay_feed_reconnect_now (UsdtpayFeed *self)
{
  g_return_if_fail (USDTPAY_IS_FEED (self));

  if (!self->running)
    return;

  if (self->state == USDTPAY_FEED_RECONNECTING)
    {
      g_clear_handle_id (&self->retry_source, g_source_remove);
      self->attempt = 0;
      connect_now (self);
    }
  else if (self->conn != NULL)
    {
      self->attempt = 0;
      schedule_reconnect (self);
    }
}

UsdtpayFeedState
usdtpay_feed_get_state (UsdtpayFeed *self)
{
  g_return_val_if_fail (USDTPAY_IS_FEED (self), USDTPAY_FEED_OFFLINE);

  return self->state;
}

gint64
usdtpay_feed_get_last_seq (UsdtpayFeed *self)
{
  g_return_val_if_fail (USDTPAY_IS_FEED (self), 0);

  return self->last_seq;
}

gint64
usdtpay_feed_get_retry_at (UsdtpayFeed *self)
{
  g_return_val_if_fail (USDTPAY_IS_FEED (self), 0);

  return self->retry_at;
}

gint64
usdtpay_feed_get_state_since (UsdtpayFeed *self)
{
  g_return_val_if_fail (USDTPAY_IS_FEED (self), 0);

  return self->state_since;
}
