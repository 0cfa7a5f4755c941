/* usdtpay-feed.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-feed"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "usdtpay-feed.h"

#define MAX_UNACKED         10000
#define SILENCE_LIMIT_USEC  (30 * G_USEC_PER_SEC)
#define KEEPALIVE_SECONDS   15
#define REPLAY_PAGE         2000
#define CLOSE_TOO_SLOW      4008

typedef struct
{
  UsdtpayFeed             *feed;
  SoupWebsocketConnection *ws;
  GSocket                 *socket;        /* nullable; see subscriber_cork() */
  gboolean                 corked;
  UsdtpayPrincipal        *principal;
  gboolean                 everything;    /* support sees every event */
  gboolean                 replaying;
  gint64                   replay_until;
  GQueue                   pending;       /* UsdtpayCommittedEvent* refs during replay */
  gint64                   last_sent;
  GQueue                   unacked;       /* seqs sent, not yet acknowledged */
  gint64                   last_heard;    /* monotonic */
  GCancellable            *cancellable;
  gboolean                 closed;
  guint                    remove_id;
} Subscriber;

struct _UsdtpayFeed
{
  GObject        parent_instance;

  UsdtpayEngine *engine;
  GHashTable    *by_principal;  /* name → GPtrArray of Subscriber* */
  GPtrArray     *everything;    /* Subscriber* of support */
  GPtrArray     *all;           /* every Subscriber*, owning */
  GPtrArray     *corked;        /* Subscriber* with frames held back */
  guint          uncork_id;
  guint          watchdog_id;
  gulong         committed_id;
};

G_DEFINE_FINAL_TYPE (UsdtpayFeed, usdtpay_feed, G_TYPE_OBJECT)

typedef struct
{
  gint64  seq;
  GBytes *body;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_bytes_unref (pending->body);
  g_free (pending);
}

static void
subscriber_free (gpointer data)
{
  Subscriber *sub = data;

  g_clear_handle_id (&sub->remove_id, g_source_remove);
  g_cancellable_cancel (sub->cancellable);
  g_clear_object (&sub->cancellable);
  g_queue_clear_full (&sub->pending, pending_free);
  g_queue_clear (&sub->unacked);
  if (sub->corked)
    g_ptr_array_remove_fast (sub->feed->corked, sub);
  g_clear_object (&sub->socket);
  if (sub->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (sub->ws, sub);
      if (soup_websocket_connection_get_state (sub->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (sub->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shutting down");
      g_clear_object (&sub->ws);
    }
  g_free (sub);
}

/* The seq of an encoded event, which begins `{"seq":N,`. */
static gint64
body_seq (GBytes *body)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);
  static const char prefix[] = "{\"seq\":";

  if (length <= strlen (prefix) || memcmp (data, prefix, strlen (prefix)) != 0)
    return 0;

  return g_ascii_strtoll (data + strlen (prefix), NULL, 10);
}

static void
subscriber_close (Subscriber *sub,
                  gushort     code,
                  const char *reason)
{
  if (sub->closed)
    return;
  g_debug ("Closing the feed of %s: %u %s", sub->principal->name, code, reason);
  sub->closed = TRUE;
  g_cancellable_cancel (sub->cancellable);
  if (soup_websocket_connection_get_state (sub->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (sub->ws, code, reason);
}

static gboolean
uncork_cb (gpointer user_data)
{
  UsdtpayFeed *self = user_data;

  self->uncork_id = 0;
  for (guint i = 0; i < self->corked->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->corked, i);

      sub->corked = FALSE;
      g_socket_set_option (sub->socket, IPPROTO_TCP, TCP_CORK, 0, NULL);
    }
  g_ptr_array_set_size (self->corked, 0);

  return G_SOURCE_REMOVE;
}

/* A commit group (or a replay page) brings several events for one
 * connection at once; each would leave as a segment of its own that the
 * client must take in. Corked, they leave together when the fan-out is
 * over: the uncork runs at the priority of the store's group reports,
 * before the main loop turns to any request. */
static void
subscriber_cork (Subscriber *sub)
{
  UsdtpayFeed *self = sub->feed;

  if (sub->corked || sub->socket == NULL ||
      !g_socket_set_option (sub->socket, IPPROTO_TCP, TCP_CORK, 1, NULL))
    return;

  sub->corked = TRUE;
  g_ptr_array_add (self->corked, sub);
  if (self->uncork_id == 0)
    {
      g_autoptr(GSource) source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_HIGH);
      g_source_set_callback (source, uncork_cb, self, NULL);
      g_source_set_static_name (source, "[usdtpay] feed uncork");
      self->uncork_id = g_source_attach (source, g_main_context_get_thread_default ());
    }
}

static void
subscriber_send (Subscriber *sub,
                 gint64      seq,
                 GBytes     *body)
{
  if (sub->closed || seq <= sub->last_sent)
    return;

  subscriber_cork (sub);
  soup_websocket_connection_send_message (sub->ws, SOUP_WEBSOCKET_DATA_TEXT, body);
  sub->last_sent = seq;
  g_queue_push_tail (&sub->unacked, GSIZE_TO_POINTER ((gsize)seq));

  if (g_queue_get_length (&sub->unacked) > MAX_UNACKED)
    subscriber_close (sub, CLOSE_TOO_SLOW, "too many unacknowledged events");
}

static void
subscriber_send_caught_up (Subscriber *sub)
{
  g_autofree char *text = usdtpay_feed_encode_caught_up (usdtpay_engine_get_durable_seq (sub->feed->engine));

  if (!sub->closed)
    soup_websocket_connection_send_text (sub->ws, text);
}

static void replay_next (Subscriber *sub);

static void
replay_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Subscriber *sub = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = usdtpay_store_read_events_finish (USDTPAY_STORE (object), result, &error);

  if (events == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Could not replay events to %s: %s", sub->principal->name, error->message);
          subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "replay failed");
        }
      return;
    }

  for (guint i = 0; i < events->len; i++)
    {
      GBytes *body = g_ptr_array_index (events, i);

      subscriber_send (sub, body_seq (body), body);
    }

  if (events->len == REPLAY_PAGE && !sub->closed)
    {
      replay_next (sub);
      return;
    }

  /* The store is exhausted up to replay_until; what committed meanwhile
   * waited in the queue. */
  sub->last_sent = MAX (sub->last_sent, sub->replay_until);
  sub->replaying = FALSE;
  while (!g_queue_is_empty (&sub->pending))
    {
      Pending *pending = g_queue_pop_head (&sub->pending);

      subscriber_send (sub, pending->seq, pending->body);
      pending_free (pending);
    }
  subscriber_send_caught_up (sub);
}

static void
replay_next (Subscriber *sub)
{
  usdtpay_store_read_events_async (usdtpay_engine_get_store (sub->feed->engine),
                                   sub->everything ? NULL : sub->principal->name,
                                   sub->last_sent, sub->replay_until, REPLAY_PAGE,
                                   sub->cancellable, replay_cb, sub);
}

static void
deliver (Subscriber                  *sub,
         const UsdtpayCommittedEvent *event)
{
  if (sub->closed)
    return;

  if (sub->replaying)
    {
      Pending *pending;

      if (event->seq <= sub->replay_until)
        return;
      pending = g_new0 (Pending, 1);
      pending->seq = event->seq;
      pending->body = g_bytes_ref (event->body);
      g_queue_push_tail (&sub->pending, pending);
      if (g_queue_get_length (&sub->pending) > MAX_UNACKED)
        subscriber_close (sub, CLOSE_TOO_SLOW, "too many unacknowledged events");
      return;
    }

  subscriber_send (sub, event->seq, event->body);
}

static void
event_committed_cb (UsdtpayFeed                 *self,
                    const UsdtpayCommittedEvent *event)
{
  for (guint i = 0; event->audience != NULL && event->audience[i] != NULL; i++)
    {
      GPtrArray *subs = g_hash_table_lookup (self->by_principal, event->audience[i]);

      for (guint j = 0; subs != NULL && j < subs->len; j++)
        deliver (g_ptr_array_index (subs, j), event);
    }

  for (guint j = 0; j < self->everything->len; j++)
    deliver (g_ptr_array_index (self->everything, j), event);
}

static void
message_cb (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Subscriber *sub = user_data;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (message, &length);
  gint64 seq = 0;

  sub->last_heard = g_get_monotonic_time ();

  if (type != SOUP_WEBSOCKET_DATA_TEXT || !usdtpay_feed_decode_ack (data, length, &seq, &error))
    {
      subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                        error ? error->message : "text messages only");
      return;
    }

  while (!g_queue_is_empty (&sub->unacked) &&
         (gint64)GPOINTER_TO_SIZE (g_queue_peek_head (&sub->unacked)) <= seq)
    g_queue_pop_head (&sub->unacked);
}

static void
pong_cb (SoupWebsocketConnection *ws,
         GBytes                  *message,
         gpointer                 user_data)
{
  Subscriber *sub = user_data;

  sub->last_heard = g_get_monotonic_time ();
}

static void
remove_from (GPtrArray  *subs,
             Subscriber *sub)
{
  if (subs != NULL)
    g_ptr_array_remove_fast (subs, sub);
}

/* Runs from an idle: a connection can close in the middle of a fan-out
 * that iterates the very arrays it must leave. */
static gboolean
remove_subscriber_cb (gpointer user_data)
{
  Subscriber *sub = user_data;
  UsdtpayFeed *self = sub->feed;

  sub->remove_id = 0;

  if (sub->everything)
    remove_from (self->everything, sub);
  else
    {
      GPtrArray *subs = g_hash_table_lookup (self->by_principal, sub->principal->name);

      remove_from (subs, sub);
      if (subs != NULL && subs->len == 0)
        g_hash_table_remove (self->by_principal, sub->principal->name);
    }

  if (sub->principal->role == USDTPAY_ROLE_MERCHANT)
    usdtpay_engine_merchant_disconnected (self->engine, sub->principal);

  g_ptr_array_remove_fast (self->all, sub);

  return G_SOURCE_REMOVE;
}

static void
closed_cb (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Subscriber *sub = user_data;

  g_debug ("The feed of %s closed: %u %s", sub->principal->name,
           soup_websocket_connection_get_close_code (ws),
           soup_websocket_connection_get_close_data (ws));
  sub->closed = TRUE;
  g_cancellable_cancel (sub->cancellable);
  if (sub->remove_id == 0)
    sub->remove_id = g_idle_add (remove_subscriber_cb, sub);
}

static gboolean
watchdog_cb (gpointer user_data)
{
  UsdtpayFeed *self = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) subs = g_ptr_array_sized_new (self->all->len);

  /* A copy without the free function: closing may reach back into all. */
  for (guint i = 0; i < self->all->len; i++)
    g_ptr_array_add (subs, g_ptr_array_index (self->all, i));

  for (guint i = 0; i < subs->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (subs, i);

      if (now - sub->last_heard > SILENCE_LIMIT_USEC)
        subscriber_close (sub, CLOSE_TOO_SLOW, "no acknowledgement or pong for 30 s");
    }

  return G_SOURCE_CONTINUE;
}

static void
connected_committed_cb (const GError *error,
                        gpointer      user_data)
{
}

void
usdtpay_feed_add_connection (UsdtpayFeed             *self,
                             SoupWebsocketConnection *connection,
                             GSocket                 *socket,
                             UsdtpayPrincipal        *principal,
                             gint64                  since)
{
  Subscriber *sub;

  g_return_if_fail (USDTPAY_IS_FEED (self));
  g_return_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (connection));
  g_return_if_fail (socket == NULL || G_IS_SOCKET (socket));

  sub = g_new0 (Subscriber, 1);
  sub->feed = self;
  sub->ws = g_object_ref (connection);
  sub->socket = socket != NULL ? g_object_ref (socket) : NULL;
  sub->principal = principal;
  sub->everything = principal->role == USDTPAY_ROLE_SUPPORT;
  sub->replaying = TRUE;
  sub->replay_until = usdtpay_engine_get_durable_seq (self->engine);
  /* A client ahead of the log (its database was replaced) gets what comes
   * next rather than silence; caught_up tells it where the log stands. */
  sub->last_sent = CLAMP (since, 0, sub->replay_until);
  sub->last_heard = g_get_monotonic_time ();
  sub->cancellable = g_cancellable_new ();
  g_queue_init (&sub->pending);
  g_queue_init (&sub->unacked);
  g_ptr_array_add (self->all, sub);

  soup_websocket_connection_set_keepalive_interval (connection, KEEPALIVE_SECONDS);
  soup_websocket_connection_set_max_incoming_payload_size (connection, 4096);
  g_signal_connect (connection, "message", G_CALLBACK (message_cb), sub);
  g_signal_connect (connection, "pong", G_CALLBACK (pong_cb), sub);
  g_signal_connect (connection, "closed", G_CALLBACK (closed_cb), sub);

  if (sub->everything)
    g_ptr_array_add (self->everything, sub);
  else
    {
      GPtrArray *subs = g_hash_table_lookup (self->by_principal, principal->name);

      if (subs == NULL)
        {
          subs = g_ptr_array_new ();
          g_hash_table_insert (self->by_principal, g_strdup (principal->name), subs);
        }
      g_ptr_array_add (subs, sub);
    }

  if (principal->role == USDTPAY_ROLE_MERCHANT)
    {
      g_autoptr(UsdtpayChange) change = usdtpay_change_new ();

      usdtpay_engine_merchant_connected (self->engine, principal, change);
      if (!usdtpay_change_is_empty (change))
        usdtpay_engine_commit (self->engine, g_steal_pointer (&change), connected_committed_cb, NULL);
    }

  if (sub->last_sent >= sub->replay_until)
    {
      sub->replaying = FALSE;
      subscriber_send_caught_up (sub);
    }
  else
    replay_next (sub);
}

guint
usdtpay_feed_get_n_connections (UsdtpayFeed *self)
{
  g_return_val_if_fail (USDTPAY_IS_FEED (self), 0);

  return self->all->len;
}

void
usdtpay_feed_close_all (UsdtpayFeed *self)
{
  g_return_if_fail (USDTPAY_IS_FEED (self));

  for (guint i = 0; i < self->all->len; i++)
    subscriber_close (g_ptr_array_index (self->all, i), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                      "the platform is shutting down");
}

UsdtpayFeed *
usdtpay_feed_new (UsdtpayEngine *engine)
{
  UsdtpayFeed *self;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);

  self = g_object_new (USDTPAY_TYPE_FEED, NULL);
  self->engine = g_object_ref (engine);
  self->committed_id = g_signal_connect_swapped (engine, "event-committed",
                                                 G_CALLBACK (event_committed_cb), self);
  self->watchdog_id = g_timeout_add_seconds (5, watchdog_cb, self);

  return self;
}

static void
usdtpay_feed_dispose (GObject *object)
{
  UsdtpayFeed *self = (UsdtpayFeed *)object;

  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  g_clear_handle_id (&self->uncork_id, g_source_remove);
  if (self->engine != NULL)
    g_clear_signal_handler (&self->committed_id, self->engine);
  g_clear_pointer (&self->by_principal, g_hash_table_unref);
  g_clear_pointer (&self->everything, g_ptr_array_unref);
  g_clear_pointer (&self->all, g_ptr_array_unref);
  g_clear_pointer (&self->corked, g_ptr_array_unref);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (usdtpay_feed_parent_class)->dispose (object);
}

static void
usdtpay_feed_class_init (UsdtpayFeedClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = usdtpay_feed_dispose;
}

static void
usdtpay_feed_init (UsdtpayFeed *self)
{
  self->by_principal = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)g_ptr_array_unref);
  self->everything = g_ptr_array_new ();
  self->all = g_ptr_array_new_with_free_func (subscriber_free);
  self->corked = g_ptr_array_new ();
}
