/* usdtpay-webhooks.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "usdtpay-engine.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_WEBHOOKS (usdtpay_webhooks_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayWebhooks, usdtpay_webhooks, USDTPAY, WEBHOOKS, GObject)

/* Retries: the n-th retry waits retry_base_ms * 2^(n-1), at most
 * retry_base_ms * 128, each scaled by a random factor in [0.8, 1.2]; a
 * delivery gives up after max_attempts attempts. With the defaults (30 s,
 * 30 attempts) that is about a day. */
#define USDTPAY_WEBHOOK_RETRY_BASE_MS  30000
#define USDTPAY_WEBHOOK_MAX_ATTEMPTS   30
#define USDTPAY_WEBHOOK_TIMEOUT_MS     10000
/* Attempts in flight at once: per shop, per shop whose last attempt failed
 * (so dead receivers cannot take the global allowance from healthy ones),
 * and in all. */
#define USDTPAY_WEBHOOK_PER_SHOP       16
#define USDTPAY_WEBHOOK_PER_FAILING    2
#define USDTPAY_WEBHOOK_GLOBAL         512

typedef struct
{
  guint    retry_base_ms;
  guint    max_attempts;
  guint    timeout_ms;
  /* Dev databases: loopback and private addresses may be reached. */
  gboolean allow_private;
} UsdtpayWebhooksConfig;

/* Created by the engine from its snapshot; the engine owns it. */
UsdtpayWebhooks *usdtpay_webhooks_new          (UsdtpayEngine               *engine,
                                                UsdtpayStoreSnapshot        *snapshot);
/* Whether events about @shop's orders are delivered (it has a URL). */
gboolean         usdtpay_webhooks_wants        (UsdtpayWebhooks             *self,
                                                const char                  *shop);
/* The outbox: adds the delivery of an order event to @batch, the batch that
 * writes the event. It is sent once the batch is durable. */
void             usdtpay_webhooks_order_event  (UsdtpayWebhooks             *self,
                                                UsdtpayBatch                *batch,
                                                gint64                       seq,
                                                UsdtpayEventType             type,
                                                gint64                       at,
                                                const UsdtpayOrder          *order,
                                                GBytes                      *order_json,
                                                const char                  *pay_url,
                                                const char                  *by,
                                                const char                  *reason);

/* The delivery worker, on the thread-default main context. */
void             usdtpay_webhooks_start        (UsdtpayWebhooks             *self,
                                                const UsdtpayWebhooksConfig *config);
/* Cancels the attempts in flight (they are not recorded and are sent again
 * after a restart) and submits nothing more to the store. */
void             usdtpay_webhooks_stop         (UsdtpayWebhooks             *self);

/* The API: GET|PATCH /v1/shops/me, GET /v1/webhook-deliveries and POST
 * /v1/webhook-deliveries/{id}/redeliver. @parts is the path below /v1/.
 * Returns FALSE, answering nothing, for any other path. */
gboolean         usdtpay_webhooks_route        (UsdtpayWebhooks             *self,
                                                SoupServerMessage           *msg,
                                                const char                  *method,
                                                char                       **parts,
                                                guint                        n_parts,
                                                GHashTable                  *query);

/* Retention: forgets the finished deliveries last changed before @before
 * (engine clock), as the store purges them. */
void             usdtpay_webhooks_forget_finished (UsdtpayWebhooks          *self,
                                                   gint64                    before);

G_END_DECLS
