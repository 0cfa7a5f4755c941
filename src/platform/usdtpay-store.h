/* usdtpay-store.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-batch.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_STORE (usdtpay_store_get_type ())

G_DECLARE_INTERFACE (UsdtpayStore, usdtpay_store, USDTPAY, STORE, GObject)

/* How many of each shop's most recent webhook deliveries a snapshot holds
 * besides the pending ones. */
#define USDTPAY_STORE_RECENT_DELIVERIES 100

/* Everything the engine keeps in memory, read once at start: the engine's
 * memory is a cache of the store. */
typedef struct
{
  GHashTable *meta;          /* char* → char* */
  GPtrArray  *principals;    /* UsdtpayPrincipalRecord* */
  GPtrArray  *api_keys;      /* UsdtpayOp* of kind API_KEY_PUT */
  GPtrArray  *sessions;      /* UsdtpayOp* of kind SESSION_PUT */
  GPtrArray  *orders;        /* UsdtpayOp* of kind ORDER_PUT, in creation order */
  GPtrArray  *idempotency;   /* UsdtpayOp* of kind IDEMPOTENCY_PUT */
  GHashTable *balances;      /* char* account → gint64* */
  gint64      head_seq;
  gint64      last_transfer_id;
  /* Webhooks: every endpoint, every pending delivery and each shop's most
   * recent ones, with their attempts, in id order. */
  GPtrArray  *webhooks;      /* UsdtpayOp* of kind WEBHOOK_PUT */
  GPtrArray  *deliveries;    /* UsdtpayOp* of kind DELIVERY_PUT */
  GPtrArray  *attempts;      /* UsdtpayOp* of kind DELIVERY_ATTEMPT */
  gint64      last_delivery_id;
  GPtrArray  *chain_records; /* UsdtpayOp* of kind CHAIN_PUT, in insertion order */
} UsdtpayStoreSnapshot;

void usdtpay_store_snapshot_free (UsdtpayStoreSnapshot *snapshot);

/* Called on the thread default main context of the submitter once the batch
 * is durable. @error is set only when the store could not write; the store
 * is then unusable. */
typedef void (*UsdtpayStoreDoneFunc) (const GError *error,
                                      gpointer      user_data);

struct _UsdtpayStoreInterface
{
  GTypeInterface parent_iface;

  gboolean               (*is_dev)        (UsdtpayStore          *self);
  UsdtpayStoreSnapshot  *(*load)          (UsdtpayStore          *self,
                                           gint64                 now,
                                           GError               **error);
  void                   (*submit)        (UsdtpayStore          *self,
                                           UsdtpayBatch          *batch,
                                           UsdtpayStoreDoneFunc   done,
                                           gpointer               user_data);
  GPtrArray             *(*read_events)   (UsdtpayStore          *self,
                                           const char            *principal,
                                           gint64                 after,
                                           gint64                 until,
                                           guint                  limit,
                                           GError               **error);
  GBytes                *(*read_idempotency) (UsdtpayStore      *self,
                                           const char            *shop,
                                           const char            *key,
                                           guint                 *status,
                                           GError               **error);
  gboolean               (*check)         (UsdtpayStore          *self,
                                           GString               *report,
                                           GError               **error);
  void                   (*close)         (UsdtpayStore          *self);
};

gboolean              usdtpay_store_is_dev             (UsdtpayStore          *self);
UsdtpayStoreSnapshot *usdtpay_store_load               (UsdtpayStore          *self,
                                                        gint64                 now,
                                                        GError               **error);
/* Takes ownership of @batch. Batches are made durable in submission order,
 * many to a transaction, and @done runs in that order. An empty batch is a
 * barrier: it completes once everything submitted before it is durable. */
void                  usdtpay_store_submit             (UsdtpayStore          *self,
                                                        UsdtpayBatch          *batch,
                                                        UsdtpayStoreDoneFunc   done,
                                                        gpointer               user_data);
/* Blocking; call from a worker thread. Returns GBytes* of encoded events with
 * after < seq <= until in seq order, at most @limit, for @principal's
 * audience (NULL: every event). Safe to call concurrently with writes. */
GPtrArray            *usdtpay_store_read_events        (UsdtpayStore          *self,
                                                        const char            *principal,
                                                        gint64                 after,
                                                        gint64                 until,
                                                        guint                  limit,
                                                        GError               **error);
void                  usdtpay_store_read_events_async  (UsdtpayStore          *self,
                                                        const char            *principal,
                                                        gint64                 after,
                                                        gint64                 until,
                                                        guint                  limit,
                                                        GCancellable          *cancellable,
                                                        GAsyncReadyCallback    callback,
                                                        gpointer               user_data);
GPtrArray            *usdtpay_store_read_events_finish (UsdtpayStore          *self,
                                                        GAsyncResult          *result,
                                                        GError               **error);
/* The answer kept for (@shop, @key), read in a worker thread; finishes with
 * USDTPAY_ERROR_NOT_FOUND when there is none. The engine keeps only an index
 * of the keys in memory: the answers stay on disk until a retry asks. */
void                  usdtpay_store_read_idempotency_async  (UsdtpayStore        *self,
                                                             const char          *shop,
                                                             const char          *key,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
GBytes               *usdtpay_store_read_idempotency_finish (UsdtpayStore        *self,
                                                             GAsyncResult        *result,
                                                             guint               *status,
                                                             GError             **error);
/* Recomputes every balance from the entries, checks that transfers sum to
 * zero and that the event log is gap-free. Writes findings to @report and
 * returns FALSE on any disagreement. */
gboolean              usdtpay_store_check              (UsdtpayStore          *self,
                                                        GString               *report,
                                                        GError               **error);
/* Writes what was submitted, then stops the writer. */
void                  usdtpay_store_close              (UsdtpayStore          *self);

G_END_DECLS
