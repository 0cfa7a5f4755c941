/* usdtpay-store.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-store"

#include "config.h"

#include "usdtpay-store.h"

G_DEFINE_INTERFACE (UsdtpayStore, usdtpay_store, G_TYPE_OBJECT)

static void
usdtpay_store_default_init (UsdtpayStoreInterface *iface)
{
}

void
usdtpay_store_snapshot_free (UsdtpayStoreSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;

  g_clear_pointer (&snapshot->meta, g_hash_table_unref);
  g_clear_pointer (&snapshot->principals, g_ptr_array_unref);
  g_clear_pointer (&snapshot->api_keys, g_ptr_array_unref);
  g_clear_pointer (&snapshot->sessions, g_ptr_array_unref);
  g_clear_pointer (&snapshot->orders, g_ptr_array_unref);
  g_clear_pointer (&snapshot->idempotency, g_ptr_array_unref);
  g_clear_pointer (&snapshot->balances, g_hash_table_unref);
  g_clear_pointer (&snapshot->webhooks, g_ptr_array_unref);
  g_clear_pointer (&snapshot->deliveries, g_ptr_array_unref);
  g_clear_pointer (&snapshot->attempts, g_ptr_array_unref);
  g_clear_pointer (&snapshot->chain_records, g_ptr_array_unref);
  g_free (snapshot);
}

gboolean
usdtpay_store_is_dev (UsdtpayStore *self)
{
  g_return_val_if_fail (USDTPAY_IS_STORE (self), FALSE);

  return USDTPAY_STORE_GET_IFACE (self)->is_dev (self);
}

UsdtpayStoreSnapshot *
usdtpay_store_load (UsdtpayStore  *self,
                    gint64         now,
                    GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_STORE (self), NULL);

  return USDTPAY_STORE_GET_IFACE (self)->load (self, now, error);
}

void
usdtpay_store_submit (UsdtpayStore         *self,
                      UsdtpayBatch         *batch,
                      UsdtpayStoreDoneFunc  done,
                      gpointer              user_data)
{
  g_return_if_fail (USDTPAY_IS_STORE (self));
  g_return_if_fail (batch != NULL);

  USDTPAY_STORE_GET_IFACE (self)->submit (self, batch, done, user_data);
}

GPtrArray *
usdtpay_store_read_events (UsdtpayStore  *self,
                           const char    *principal,
                           gint64         after,
                           gint64         until,
                           guint          limit,
                           GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_STORE (self), NULL);

  return USDTPAY_STORE_GET_IFACE (self)->read_events (self, principal, after, until, limit, error);
}

typedef struct
{
  char   *principal;
  gint64  after;
  gint64  until;
  guint   limit;
} ReadEvents;

static void
read_events_free (gpointer data)
{
  ReadEvents *read = data;

  g_free (read->principal);
  g_free (read);
}

static void
read_events_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  ReadEvents *read = task_data;
  GError *error = NULL;
  GPtrArray *events;

  events = usdtpay_store_read_events (source_object, read->principal, read->after, read->until,
                                      read->limit, &error);
  if (events == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, events, (GDestroyNotify)g_ptr_array_unref);
}

void
usdtpay_store_read_events_async (UsdtpayStore        *self,
                                 const char          *principal,
                                 gint64               after,
                                 gint64               until,
                                 guint                limit,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadEvents *read;

  g_return_if_fail (USDTPAY_IS_STORE (self));

  read = g_new0 (ReadEvents, 1);
  read->principal = g_strdup (principal);
  read->after = after;
  read->until = until;
  read->limit = limit;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_store_read_events_async);
  g_task_set_task_data (task, read, read_events_free);
  g_task_run_in_thread (task, read_events_worker);
}

GPtrArray *
usdtpay_store_read_events_finish (UsdtpayStore  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char   *shop;
  char   *key;
  guint   status;
} ReadIdempotency;

static void
read_idempotency_free (gpointer data)
{
  ReadIdempotency *read = data;

  g_free (read->shop);
  g_free (read->key);
  g_free (read);
}

static void
read_idempotency_worker (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  ReadIdempotency *read = task_data;
  GError *error = NULL;
  GBytes *response;

  response = USDTPAY_STORE_GET_IFACE (source_object)->read_idempotency (source_object, read->shop,
                                                                         read->key, &read->status,
                                                                         &error);
  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify)g_bytes_unref);
}

void
usdtpay_store_read_idempotency_async (UsdtpayStore        *self,
                                      const char          *shop,
                                      const char          *key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadIdempotency *read;

  g_return_if_fail (USDTPAY_IS_STORE (self));

  read = g_new0 (ReadIdempotency, 1);
  read->shop = g_strdup (shop);
  read->key = g_strdup (key);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_store_read_idempotency_async);
  g_task_set_task_data (task, read, read_idempotency_free);
  g_task_run_in_thread (task, read_idempotency_worker);
}

GBytes *
usdtpay_store_read_idempotency_finish (UsdtpayStore  *self,
                                       GAsyncResult  *result,
                                       guint         *status,
                                       GError       **error)
{
  ReadIdempotency *read;
  GBytes *response;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  read = g_task_get_task_data (G_TASK (result));
  response = g_task_propagate_pointer (G_TASK (result), error);
  if (response != NULL)
    *status = read->status;

  return response;
}

gboolean
usdtpay_store_check (UsdtpayStore  *self,
                     GString       *report,
                     GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_STORE (self), FALSE);

  return USDTPAY_STORE_GET_IFACE (self)->check (self, report, error);
}

void
usdtpay_store_close (UsdtpayStore *self)
{
  g_return_if_fail (USDTPAY_IS_STORE (self));

  USDTPAY_STORE_GET_IFACE (self)->close (self);
}
