/* usdtpay-event.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define USDTPAY_TYPE_EVENT (usdtpay_event_get_type ())

typedef enum
{
  USDTPAY_EVENT_ORDER_CREATED,
  USDTPAY_EVENT_ORDER_OFFERED,
  USDTPAY_EVENT_OFFER_WITHDRAWN,
  USDTPAY_EVENT_ORDER_MATCHED,
  USDTPAY_EVENT_ORDER_PAID,
  USDTPAY_EVENT_ORDER_COMPLETED,
  USDTPAY_EVENT_ORDER_CANCELLED,
  USDTPAY_EVENT_ORDER_EXPIRED,
  USDTPAY_EVENT_ORDER_DISPUTED,
  USDTPAY_EVENT_ORDER_RESOLVED,
  USDTPAY_EVENT_MERCHANT_UPDATED,
  USDTPAY_EVENT_BALANCE_CHANGED,
  USDTPAY_EVENT_DEPOSIT_SEEN,
  USDTPAY_EVENT_DEPOSIT_CREDITED,
  USDTPAY_EVENT_DEPOSIT_DROPPED,
  USDTPAY_EVENT_WITHDRAWAL_REQUESTED,
  USDTPAY_EVENT_WITHDRAWAL_SENT,
  USDTPAY_EVENT_WITHDRAWAL_SETTLED,
  USDTPAY_EVENT_WITHDRAWAL_FAILED,
  /* Feed control messages, server to client; never stored in the log. */
  USDTPAY_EVENT_CAUGHT_UP,
  USDTPAY_N_EVENT_TYPES
} UsdtpayEventType;

/* A decoded event. @object is the event's object (the order, merchant,
 * balance, deposit or withdrawal), NULL for control messages. */
typedef struct
{
  gint64            seq;
  UsdtpayEventType  type;
  gint64            at;       /* microseconds since the epoch */
  JsonNode         *object;
} UsdtpayEvent;

const char   *usdtpay_event_type_to_string   (UsdtpayEventType  type);
gboolean      usdtpay_event_type_from_string (const char       *text,
                                              UsdtpayEventType *type);
/* The member that carries the event's object: "order", "merchant",
 * "balance", "deposit" or "withdrawal"; NULL for control messages. */
const char   *usdtpay_event_type_object_key  (UsdtpayEventType  type);
gboolean      usdtpay_event_type_is_order    (UsdtpayEventType  type);

GType         usdtpay_event_get_type         (void) G_GNUC_CONST;
UsdtpayEvent *usdtpay_event_new              (gint64            seq,
                                              UsdtpayEventType  type,
                                              gint64            at,
                                              JsonNode         *object);
UsdtpayEvent *usdtpay_event_copy             (const UsdtpayEvent *event);
void          usdtpay_event_free             (UsdtpayEvent     *event);

/* `{"seq":N,"type":"…","at":"RFC 3339","<key>":{…}}`, compact, serialised
 * once so the same bytes go to every subscriber. @object may be NULL for
 * control messages. */
char         *usdtpay_event_encode           (gint64            seq,
                                              UsdtpayEventType  type,
                                              gint64            at,
                                              JsonNode         *object,
                                              gsize            *length);
/* As usdtpay_event_encode() with the object already serialised, e.g. by
 * usdtpay_order_append_json(): @object_json (@object_length bytes) is copied
 * as it is and must be one compact JSON object. */
char         *usdtpay_event_encode_raw       (gint64            seq,
                                              UsdtpayEventType  type,
                                              gint64            at,
                                              const char       *object_json,
                                              gsize             object_length,
                                              gsize            *length);
/* Parses one feed text message strictly (usdtpay-json.h) into an event.
 * `{"type":"caught_up","seq":N}` decodes to USDTPAY_EVENT_CAUGHT_UP. */
UsdtpayEvent *usdtpay_event_decode           (const char       *data,
                                              gsize             length,
                                              GError          **error);

/* The client's acknowledgement: `{"type":"ack","seq":N}`. */
char         *usdtpay_feed_encode_ack        (gint64            seq);
/* The server's `{"type":"caught_up","seq":N}`. */
char         *usdtpay_feed_encode_caught_up  (gint64            seq);
/* Parses a client message; only acks are defined. */
gboolean      usdtpay_feed_decode_ack        (const char       *data,
                                              gsize             length,
                                              gint64           *seq,
                                              GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayEvent, usdtpay_event_free)

G_END_DECLS
