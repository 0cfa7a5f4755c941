/* usdtpay-receipts.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-batch.h"

G_BEGIN_DECLS

/* The platform's signing key and its receipts (docs/receipts.md): the key
 * file beside the database (created on first use, mode 0600, refused when
 * others may read it), the key set with rotation, signing a receipt into a
 * batch, and reading receipts and an order's events back from the database
 * in worker threads. */

#define USDTPAY_TYPE_RECEIPTS (usdtpay_receipts_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayReceipts, usdtpay_receipts, USDTPAY, RECEIPTS, GObject)

/* DB.signing-key */
char            *usdtpay_receipts_key_path       (const char          *db);
/* Opens the key file of @db, creating it with a first key valid from @now
 * when there is none. */
UsdtpayReceipts *usdtpay_receipts_open           (const char          *db,
                                                  gint64               now,
                                                  GError             **error);
const char      *usdtpay_receipts_get_key_id     (UsdtpayReceipts     *self);
/* `{"keys":[…]}`, the answer of GET /v1/platform-keys. */
GBytes          *usdtpay_receipts_get_key_set    (UsdtpayReceipts     *self);
/* Signs the receipt of @order, which @event ("order.completed" or
 * "order.resolved") with @seq just closed, and adds it to @batch. */
void             usdtpay_receipts_sign           (UsdtpayReceipts     *self,
                                                  const UsdtpayOrder  *order,
                                                  const char          *event,
                                                  gint64               seq,
                                                  gint64               signed_at,
                                                  UsdtpayBatch        *batch);
/* Adds a key valid from @now, endorsed by the current one, and signs with
 * it from then on. The key file is replaced atomically first. Returns the
 * new key's id. */
char            *usdtpay_receipts_rotate         (UsdtpayReceipts     *self,
                                                  gint64               now,
                                                  GError             **error);

/* `{"receipt":TEXT,"signature":HEX,"key_id":ID,"seq":N}` for the order's
 * latest receipt; USDTPAY_ERROR_NOT_FOUND when it has none. */
void             usdtpay_receipts_lookup_async   (UsdtpayReceipts     *self,
                                                  const char          *order_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GBytes          *usdtpay_receipts_lookup_finish  (UsdtpayReceipts     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* `{"items":[EVENT,…]}`: the order's events in seq order, those in
 * @principal's audience (NULL: all, for support). */
void             usdtpay_receipts_events_async   (UsdtpayReceipts     *self,
                                                  const char          *order_id,
                                                  const char          *principal,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GBytes          *usdtpay_receipts_events_finish  (UsdtpayReceipts     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* For `usdtpay-platform check`: every stored receipt verifies under the key
 * file's key set (itself a valid chain, owner-only), is the receipt of its
 * order and of the event whose seq it carries, and every completed order has
 * one. Findings go to @report; returns FALSE on any. */
gboolean         usdtpay_receipts_check          (const char          *db,
                                                  GString             *report,
                                                  GError             **error);

G_END_DECLS
