/* usdtpay-event.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-error.h"
#include "usdtpay-event.h"
#include "usdtpay-json.h"
#include "usdtpay-time.h"

G_DEFINE_BOXED_TYPE (UsdtpayEvent, usdtpay_event, usdtpay_event_copy, usdtpay_event_free)

typedef struct
{
  const char *name;
  const char *object_key;
} EventInfo;

static const EventInfo event_info[USDTPAY_N_EVENT_TYPES] = {
  [USDTPAY_EVENT_ORDER_CREATED]        = { "order.created", "order" },
  [USDTPAY_EVENT_ORDER_OFFERED]        = { "order.offered", "order" },
  [USDTPAY_EVENT_OFFER_WITHDRAWN]      = { "offer.withdrawn", "order" },
  [USDTPAY_EVENT_ORDER_MATCHED]        = { "order.matched", "order" },
  [USDTPAY_EVENT_ORDER_PAID]           = { "order.paid", "order" },
  [USDTPAY_EVENT_ORDER_COMPLETED]      = { "order.completed", "order" },
  [USDTPAY_EVENT_ORDER_CANCELLED]      = { "order.cancelled", "order" },
  [USDTPAY_EVENT_ORDER_EXPIRED]        = { "order.expired", "order" },
  [USDTPAY_EVENT_ORDER_DISPUTED]       = { "order.disputed", "order" },
  [USDTPAY_EVENT_ORDER_RESOLVED]       = { "order.resolved", "order" },
  [USDTPAY_EVENT_MERCHANT_UPDATED]     = { "merchant.updated", "merchant" },
  [USDTPAY_EVENT_BALANCE_CHANGED]      = { "balance.changed", "balance" },
  [USDTPAY_EVENT_DEPOSIT_SEEN]         = { "deposit.seen", "deposit" },
  [USDTPAY_EVENT_DEPOSIT_CREDITED]     = { "deposit.credited", "deposit" },
  [USDTPAY_EVENT_DEPOSIT_DROPPED]      = { "deposit.dropped", "deposit" },
  [USDTPAY_EVENT_WITHDRAWAL_REQUESTED] = { "withdrawal.requested", "withdrawal" },
  [USDTPAY_EVENT_WITHDRAWAL_SENT]      = { "withdrawal.sent", "withdrawal" },
  [USDTPAY_EVENT_WITHDRAWAL_SETTLED]   = { "withdrawal.settled", "withdrawal" },
  [USDTPAY_EVENT_WITHDRAWAL_FAILED]    = { "withdrawal.failed", "withdrawal" },
  [USDTPAY_EVENT_CAUGHT_UP]            = { "caught_up", NULL },
};

const char *
usdtpay_event_type_to_string (UsdtpayEventType type)
{
  g_return_val_if_fail ((guint)type < USDTPAY_N_EVENT_TYPES, NULL);

  return event_info[type].name;
}

gboolean
usdtpay_event_type_from_string (const char       *text,
                                UsdtpayEventType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < USDTPAY_N_EVENT_TYPES; i++)
    {
      if (strcmp (event_info[i].name, text) == 0)
        {
          *type = i;
          return TRUE;
        }
    }

  return FALSE;
}

const char *
usdtpay_event_type_object_key (UsdtpayEventType type)
{
  g_return_val_if_fail ((guint)type < USDTPAY_N_EVENT_TYPES, NULL);

  return event_info[type].object_key;
}

gboolean
usdtpay_event_type_is_order (UsdtpayEventType type)
{
  /* order.* and offer.withdrawn; the latter's order holds only its id. */
  return (guint)type < USDTPAY_N_EVENT_TYPES &&
         g_strcmp0 (event_info[type].object_key, "order") == 0;
}

/* @object is not taken: the event holds its own reference. */
UsdtpayEvent *
usdtpay_event_new (gint64            seq,
                   UsdtpayEventType  type,
                   gint64            at,
                   JsonNode         *object)
{
  UsdtpayEvent *event;

  g_return_val_if_fail ((guint)type < USDTPAY_N_EVENT_TYPES, NULL);

  event = g_new0 (UsdtpayEvent, 1);
  event->seq = seq;
  event->type = type;
  event->at = at;
  event->object = object != NULL ? json_node_ref (object) : NULL;
  return event;
}

UsdtpayEvent *
usdtpay_event_copy (const UsdtpayEvent *event)
{
  UsdtpayEvent *copy;

  g_return_val_if_fail (event != NULL, NULL);

  copy = g_new0 (UsdtpayEvent, 1);
  copy->seq = event->seq;
  copy->type = event->type;
  copy->at = event->at;
  copy->object = event->object != NULL ? json_node_copy (event->object) : NULL;
  return copy;
}

void
usdtpay_event_free (UsdtpayEvent *event)
{
  if (event == NULL)
    return;

  g_clear_pointer (&event->object, json_node_unref);
  g_free (event);
}

static GString *
encode_head (gint64            seq,
             UsdtpayEventType  type,
             gint64            at,
             gsize             reserve)
{
  char time_buf[USDTPAY_TIME_BUF_SIZE];
  const char *key = event_info[type].object_key;
  GString *out;

  /* Built by hand: the platform encodes every event once, and the fixed
   * part needs no escaping. */
  out = g_string_sized_new (reserve + 128);
  g_string_append_printf (out, "{\"seq\":%" G_GINT64_FORMAT ",\"type\":\"%s\",\"at\":\"%s\"",
                          seq, event_info[type].name,
                          usdtpay_time_format_buf (at, time_buf));
  if (key != NULL)
    g_string_append_printf (out, ",\"%s\":", key);
  return out;
}

static char *
encode_finish (GString *out,
               gsize   *length)
{
  g_string_append_c (out, '}');

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

char *
usdtpay_event_encode_raw (gint64            seq,
                          UsdtpayEventType  type,
                          gint64            at,
                          const char       *object_json,
                          gsize             object_length,
                          gsize            *length)
{
  GString *out;

  g_return_val_if_fail ((guint)type < USDTPAY_N_EVENT_TYPES, NULL);
  g_return_val_if_fail (event_info[type].object_key == NULL || object_json != NULL, NULL);

  out = encode_head (seq, type, at, object_length);
  if (event_info[type].object_key != NULL)
    g_string_append_len (out, object_json, object_length);
  return encode_finish (out, length);
}

char *
usdtpay_event_encode (gint64            seq,
                      UsdtpayEventType  type,
                      gint64            at,
                      JsonNode         *object,
                      gsize            *length)
{
  GString *out;

  g_return_val_if_fail ((guint)type < USDTPAY_N_EVENT_TYPES, NULL);
  g_return_val_if_fail (event_info[type].object_key == NULL || object != NULL, NULL);

  out = encode_head (seq, type, at, 1024);
  if (event_info[type].object_key != NULL)
    usdtpay_json_append (out, object);
  return encode_finish (out, length);
}

static gboolean G_GNUC_PRINTF (2, 3)
protocol_error (GError    **error,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
               "bad feed message: %s", message);
  return FALSE;
}

static gboolean
read_seq (JsonObject  *object,
          gint64      *seq,
          GError     **error)
{
  JsonNode *node = json_object_get_member (object, "seq");

  if (node == NULL)
    return protocol_error (error, "no \"seq\"");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return protocol_error (error, "\"seq\" must be an integer");
  *seq = json_node_get_int (node);
  if (*seq < 0)
    return protocol_error (error, "\"seq\" must not be negative");
  return TRUE;
}

static const char *
read_type (JsonObject  *object,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, "type");

  if (node == NULL)
    {
      protocol_error (error, "no \"type\"");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      protocol_error (error, "\"type\" must be a string");
      return NULL;
    }
  return json_node_get_string (node);
}

UsdtpayEvent *
usdtpay_event_decode (const char  *data,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(UsdtpayEvent) event = NULL;
  JsonObject *object;
  const char *type_name;
  UsdtpayEventType type;
  const char *key;
  gint64 seq;
  JsonNode *node;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = usdtpay_json_parse_strict (data, length, &local_error);
  if (root == NULL)
    {
      protocol_error (error, "%s", local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      protocol_error (error, "not a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  if ((type_name = read_type (object, error)) == NULL)
    return NULL;
  if (!usdtpay_event_type_from_string (type_name, &type))
    {
      g_autofree char *shown = g_strescape (type_name, NULL);
      protocol_error (error, "unknown type \"%s\"", shown);
      return NULL;
    }
  if (!read_seq (object, &seq, error))
    return NULL;

  event = g_new0 (UsdtpayEvent, 1);
  event->seq = seq;
  event->type = type;

  /* A control message's "at" is optional: the server's caught_up has none. */
  node = json_object_get_member (object, "at");
  if (node == NULL && type != USDTPAY_EVENT_CAUGHT_UP)
    {
      protocol_error (error, "no \"at\"");
      return NULL;
    }
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          protocol_error (error, "\"at\" must be a string");
          return NULL;
        }
      if (!usdtpay_time_parse (json_node_get_string (node), &event->at, &local_error))
        {
          protocol_error (error, "\"at\": %s", local_error->message);
          return NULL;
        }
    }

  key = event_info[type].object_key;
  if (key != NULL)
    {
      if (seq < 1)
        {
          protocol_error (error, "an event's \"seq\" starts at 1");
          return NULL;
        }
      node = json_object_get_member (object, key);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          protocol_error (error, "a %s event needs an object \"%s\"", type_name, key);
          return NULL;
        }
      event->object = json_node_ref (node);
    }

  return g_steal_pointer (&event);
}

char *
usdtpay_feed_encode_ack (gint64 seq)
{
  return g_strdup_printf ("{\"type\":\"ack\",\"seq\":%" G_GINT64_FORMAT "}", seq);
}

char *
usdtpay_feed_encode_caught_up (gint64 seq)
{
  return g_strdup_printf ("{\"type\":\"caught_up\",\"seq\":%" G_GINT64_FORMAT "}", seq);
}

gboolean
usdtpay_feed_decode_ack (const char  *data,
                         gsize        length,
                         gint64      *seq,
                         GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  const char *type_name;
  gint64 value;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (seq != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  root = usdtpay_json_parse_strict (data, length, &local_error);
  if (root == NULL)
    return protocol_error (error, "%s", local_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return protocol_error (error, "not a JSON object");
  object = json_node_get_object (root);

  if ((type_name = read_type (object, error)) == NULL)
    return FALSE;
  if (strcmp (type_name, "ack") != 0)
    {
      g_autofree char *shown = g_strescape (type_name, NULL);
      return protocol_error (error, "unknown client message \"%s\"", shown);
    }
  if (!read_seq (object, &value, error))
    return FALSE;

  *seq = value;
  return TRUE;
}
