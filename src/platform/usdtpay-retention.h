/* usdtpay-retention.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "usdtpay-engine.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_RETENTION (usdtpay_retention_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayRetention, usdtpay_retention, USDTPAY, RETENTION, GObject)

/* Idempotency keys are answered for 24 h (DESIGN.md); their rows go an hour
 * later, so a key answered at 23:59 h is still replayed from the store. */
#define USDTPAY_RETENTION_IDEMPOTENCY_HOURS  25
/* Finished webhook deliveries (delivered or given up) and their attempts. */
#define USDTPAY_RETENTION_WEBHOOK_DAYS       30
#define USDTPAY_RETENTION_WEBHOOK_DAYS_MAX   3650
/* A pass every minute, the first one shortly after start. */
#define USDTPAY_RETENTION_INTERVAL_MS        60000
#define USDTPAY_RETENTION_FIRST_MS           5000
/* Rows deleted by one batch at most, and the pause between two batches of
 * one pass, so a purge never makes a commit group slow nor fills the
 * writer's queue. */
#define USDTPAY_RETENTION_CHUNK_ROWS         1000
#define USDTPAY_RETENTION_CHUNK_PAUSE_MS     100

typedef struct
{
  gint64 idempotency_keep_usec;
  gint64 webhook_keep_usec;
  guint  interval_ms;
  guint  first_ms;
  guint  chunk_rows;
  guint  chunk_pause_ms;
} UsdtpayRetentionConfig;

/* The defaults above, with finished deliveries kept @webhook_days days. */
void              usdtpay_retention_config_init (UsdtpayRetentionConfig       *config,
                                                 guint                         webhook_days);

UsdtpayRetention *usdtpay_retention_new         (UsdtpayEngine                *engine,
                                                 const UsdtpayRetentionConfig *config);
/* Passes on the thread-default main context, each through the store's
 * writer as batches of at most chunk_rows rows. */
void              usdtpay_retention_start       (UsdtpayRetention             *self);
/* No batch is submitted after this; one in flight finishes in the store. */
void              usdtpay_retention_stop        (UsdtpayRetention             *self);

G_END_DECLS
