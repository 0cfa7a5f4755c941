/* usdtpay-cache.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-cache"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "usdtpay-cache.h"

struct _UsdtpayCache
{
  GObject      parent_instance;

  char        *path;
  GThreadPool *pool;      /* one thread: jobs run in the order queued */
  GMutex       mutex;
  GCond        cond;
  guint        pending;
  sqlite3     *db;        /* only touched by the pool's thread */
  gboolean     broken;
};

G_DEFINE_FINAL_TYPE (UsdtpayCache, usdtpay_cache, G_TYPE_OBJECT)

typedef enum
{
  JOB_STORE,
  JOB_LOAD,
  JOB_STORE_RECEIPT,
  JOB_LOOKUP_RECEIPT,
  JOB_STORE_EVENTS,
  JOB_LOOKUP_EVENTS,
} JobKind;

typedef struct
{
  JobKind  kind;
  char    *platform;
  char    *merchant;
  /* store */
  char    *id;
  gint64   version;
  gint64   closed_at;
  char    *json;
  /* receipts */
  UsdtpayCachedReceipt *receipt;
  /* load */
  guint    limit;
  GTask   *task;
} Job;

static void
job_free (Job *job)
{
  g_free (job->platform);
  g_free (job->merchant);
  g_free (job->id);
  g_free (job->json);
  g_clear_pointer (&job->receipt, usdtpay_cached_receipt_free);
  g_clear_object (&job->task);
  g_free (job);
}

static const char schema_sql[] =
  "PRAGMA journal_mode=WAL;"
  "PRAGMA synchronous=NORMAL;"
  "CREATE TABLE IF NOT EXISTS orders ("
  "  platform TEXT NOT NULL,"
  "  merchant TEXT NOT NULL,"
  "  id TEXT NOT NULL,"
  "  version INTEGER NOT NULL,"
  "  closed_at INTEGER NOT NULL,"
  "  json TEXT NOT NULL,"
  "  PRIMARY KEY (platform, merchant, id));"
  "CREATE INDEX IF NOT EXISTS orders_by_time ON orders (platform, merchant, closed_at);"
  "CREATE TABLE IF NOT EXISTS receipts ("
  "  platform TEXT NOT NULL,"
  "  id TEXT NOT NULL,"
  "  seq INTEGER NOT NULL,"
  "  key_id TEXT NOT NULL,"
  "  receipt TEXT NOT NULL,"
  "  signature TEXT NOT NULL,"
  "  verified INTEGER NOT NULL,"
  "  PRIMARY KEY (platform, id));"
  "CREATE TABLE IF NOT EXISTS events ("
  "  platform TEXT NOT NULL,"
  "  id TEXT NOT NULL,"
  "  json TEXT NOT NULL,"
  "  PRIMARY KEY (platform, id));";

void
usdtpay_cached_receipt_free (UsdtpayCachedReceipt *receipt)
{
  if (receipt == NULL)
    return;

  g_free (receipt->id);
  g_free (receipt->key_id);
  g_free (receipt->receipt);
  g_free (receipt->signature);
  g_free (receipt);
}

static UsdtpayCachedReceipt *
cached_receipt_copy (const UsdtpayCachedReceipt *receipt)
{
  UsdtpayCachedReceipt *copy = g_new0 (UsdtpayCachedReceipt, 1);

  copy->id = g_strdup (receipt->id);
  copy->seq = receipt->seq;
  copy->key_id = g_strdup (receipt->key_id);
  copy->receipt = g_strdup (receipt->receipt);
  copy->signature = g_strdup (receipt->signature);
  copy->verified = receipt->verified;

  return copy;
}

static gboolean
open_db (UsdtpayCache  *self,
         GError       **error)
{
  g_autofree char *dir = NULL;
  char *message = NULL;

  if (self->db != NULL)
    return TRUE;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Could not create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }

  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not open the cache %s: %s",
                   self->path, self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }

  /* Payer names and amounts: for this user only. */
  g_chmod (self->path, 0600);
  sqlite3_busy_timeout (self->db, 2000);

  if (sqlite3_exec (self->db, schema_sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not prepare the cache: %s", message);
      sqlite3_free (message);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }

  return TRUE;
}

static void
run_store (UsdtpayCache *self,
           Job          *job)
{
  static const char sql[] =
    "INSERT INTO orders (platform, merchant, id, version, closed_at, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (platform, merchant, id) DO UPDATE SET version = excluded.version, "
    "closed_at = excluded.closed_at, json = excluded.json WHERE excluded.version > orders.version";
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("cache: %s", sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->merchant, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, job->version);
  sqlite3_bind_int64 (stmt, 5, job->closed_at);
  sqlite3_bind_text (stmt, 6, job->json, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("cache: could not store %s: %s", job->id, sqlite3_errmsg (self->db));
  sqlite3_finalize (stmt);
}

static void
run_load (UsdtpayCache *self,
          Job          *job)
{
  static const char sql[] =
    "SELECT json FROM orders WHERE platform = ?1 AND merchant = ?2 "
    "ORDER BY closed_at DESC, id DESC LIMIT ?3";
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                               sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->merchant, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, job->limit);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *json = (const char *)sqlite3_column_text (stmt, 0);
      g_autoptr(JsonObject) object = NULL;
      g_autoptr(GError) error = NULL;
      UsdtpayOrder *order;

      /* What the cache holds went through the strict parser on the way in;
       * it goes through it again, as anything read from disk. */
      object = usdtpay_json_parse_object (json, strlen (json), &error);
      order = object != NULL ? usdtpay_order_from_json (object, &error) : NULL;
      if (order == NULL)
        {
          g_warning ("cache: skipping an unreadable order: %s", error->message);
          continue;
        }
      g_ptr_array_add (orders, order);
    }

  if (rc != SQLITE_DONE)
    g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                             sqlite3_errmsg (self->db));
  else
    g_task_return_pointer (job->task, g_steal_pointer (&orders), (GDestroyNotify)g_ptr_array_unref);

  sqlite3_finalize (stmt);
}

static void
run_store_receipt (UsdtpayCache *self,
                   Job          *job)
{
  /* The latest receipt wins: a dispute resolved again is signed again with
   * a later seq; a verified copy of the same seq replaces an unverified one
   * (the key set was accepted later). */
  static const char sql[] =
    "INSERT INTO receipts (platform, id, seq, key_id, receipt, signature, verified) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (platform, id) DO UPDATE SET seq = excluded.seq, key_id = excluded.key_id, "
    "receipt = excluded.receipt, signature = excluded.signature, verified = excluded.verified "
    "WHERE excluded.seq > receipts.seq OR (excluded.seq = receipts.seq AND excluded.verified >= receipts.verified)";
  const UsdtpayCachedReceipt *r = job->receipt;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("cache: %s", sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, r->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, r->seq);
  sqlite3_bind_text (stmt, 4, r->key_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, r->receipt, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, r->signature, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 7, r->verified ? 1 : 0);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("cache: could not store the receipt of %s: %s", r->id, sqlite3_errmsg (self->db));
  sqlite3_finalize (stmt);
}

static void
run_lookup_receipt (UsdtpayCache *self,
                    Job          *job)
{
  static const char sql[] =
    "SELECT seq, key_id, receipt, signature, verified FROM receipts WHERE platform = ?1 AND id = ?2";
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                               sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      UsdtpayCachedReceipt *r = g_new0 (UsdtpayCachedReceipt, 1);

      r->id = g_strdup (job->id);
      r->seq = sqlite3_column_int64 (stmt, 0);
      r->key_id = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      r->receipt = g_strdup ((const char *)sqlite3_column_text (stmt, 2));
      r->signature = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
      r->verified = sqlite3_column_int (stmt, 4) != 0;
      g_task_return_pointer (job->task, r, (GDestroyNotify)usdtpay_cached_receipt_free);
    }
  else if (rc == SQLITE_DONE)
    g_task_return_pointer (job->task, NULL, NULL);
  else
    g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                             sqlite3_errmsg (self->db));

  sqlite3_finalize (stmt);
}

static void
run_store_events (UsdtpayCache *self,
                  Job          *job)
{
  static const char sql[] =
    "INSERT INTO events (platform, id, json) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (platform, id) DO UPDATE SET json = excluded.json";
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("cache: %s", sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->json, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("cache: could not store the events of %s: %s", job->id, sqlite3_errmsg (self->db));
  sqlite3_finalize (stmt);
}

static void
run_lookup_events (UsdtpayCache *self,
                   Job          *job)
{
  static const char sql[] = "SELECT json FROM events WHERE platform = ?1 AND id = ?2";
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                               sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    g_task_return_pointer (job->task, g_strdup ((const char *)sqlite3_column_text (stmt, 0)), g_free);
  else if (rc == SQLITE_DONE)
    g_task_return_pointer (job->task, NULL, NULL);
  else
    g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                             sqlite3_errmsg (self->db));

  sqlite3_finalize (stmt);
}

static void
worker (gpointer data,
        gpointer user_data)
{
  UsdtpayCache *self = user_data;
  Job *job = data;
  g_autoptr(GError) error = NULL;

  if (!self->broken && !open_db (self, &error))
    {
      g_warning ("%s", error->message);
      self->broken = TRUE;
    }

  if (self->broken)
    {
      if (job->task != NULL)
        g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                                 "The cache %s cannot be used", self->path);
    }
  else if (job->kind == JOB_STORE)
    run_store (self, job);
  else if (job->kind == JOB_STORE_RECEIPT)
    run_store_receipt (self, job);
  else if (job->kind == JOB_LOOKUP_RECEIPT)
    run_lookup_receipt (self, job);
  else if (job->kind == JOB_STORE_EVENTS)
    run_store_events (self, job);
  else if (job->kind == JOB_LOOKUP_EVENTS)
    run_lookup_events (self, job);
  else
    run_load (self, job);

  job_free (job);

  g_mutex_lock (&self->mutex);
  self->pending--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

static void
queue_job (UsdtpayCache *self,
           Job          *job)
{
  g_mutex_lock (&self->mutex);
  self->pending++;
  g_mutex_unlock (&self->mutex);

  g_thread_pool_push (self->pool, job, NULL);
}

static void
usdtpay_cache_finalize (GObject *object)
{
  UsdtpayCache *self = (UsdtpayCache *)object;

  /* Finish what was queued: those are the merchant's records. */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_clear_pointer (&self->db, sqlite3_close);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self->path);

  G_OBJECT_CLASS (usdtpay_cache_parent_class)->finalize (object);
}

static void
usdtpay_cache_class_init (UsdtpayCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_cache_finalize;
}

static void
usdtpay_cache_init (UsdtpayCache *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->pool = g_thread_pool_new (worker, self, 1, FALSE, NULL);
}

UsdtpayCache *
usdtpay_cache_new (const char *path)
{
  UsdtpayCache *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_CACHE, NULL);
  self->path = g_strdup (path);

  return self;
}

void
usdtpay_cache_store (UsdtpayCache       *self,
                     const char         *platform,
                     const char         *merchant,
                     const UsdtpayOrder *order)
{
  g_autoptr(JsonNode) node = NULL;
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL);
  g_return_if_fail (merchant != NULL);
  g_return_if_fail (order != NULL && order->id != NULL);

  node = usdtpay_order_to_node (order, NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_STORE;
  job->platform = g_strdup (platform);
  job->merchant = g_strdup (merchant);
  job->id = g_strdup (order->id);
  job->version = order->version;
  job->closed_at = order->closed_at > 0 ? order->closed_at
                 : order->completed_at > 0 ? order->completed_at
                 : order->paid_at > 0 ? order->paid_at : order->created_at;
  job->json = usdtpay_json_to_string (node, NULL);
  queue_job (self, job);
}

void
usdtpay_cache_load_async (UsdtpayCache        *self,
                          const char          *platform,
                          const char          *merchant,
                          guint                limit,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL);
  g_return_if_fail (merchant != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_LOAD;
  job->platform = g_strdup (platform);
  job->merchant = g_strdup (merchant);
  job->limit = limit;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, usdtpay_cache_load_async);
  queue_job (self, job);
}

GPtrArray *
usdtpay_cache_load_finish (UsdtpayCache  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_cache_store_receipt (UsdtpayCache               *self,
                             const char                 *platform,
                             const UsdtpayCachedReceipt *receipt)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL);
  g_return_if_fail (receipt != NULL && receipt->id != NULL);
  g_return_if_fail (receipt->key_id != NULL && receipt->receipt != NULL && receipt->signature != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_STORE_RECEIPT;
  job->platform = g_strdup (platform);
  job->receipt = cached_receipt_copy (receipt);
  queue_job (self, job);
}

void
usdtpay_cache_lookup_receipt_async (UsdtpayCache        *self,
                                    const char          *platform,
                                    const char          *id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL);
  g_return_if_fail (id != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_LOOKUP_RECEIPT;
  job->platform = g_strdup (platform);
  job->id = g_strdup (id);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, usdtpay_cache_lookup_receipt_async);
  queue_job (self, job);
}

UsdtpayCachedReceipt *
usdtpay_cache_lookup_receipt_finish (UsdtpayCache  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_cache_store_events (UsdtpayCache *self,
                            const char   *platform,
                            const char   *id,
                            const char   *events_json)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL && id != NULL && events_json != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_STORE_EVENTS;
  job->platform = g_strdup (platform);
  job->id = g_strdup (id);
  job->json = g_strdup (events_json);
  queue_job (self, job);
}

void
usdtpay_cache_lookup_events_async (UsdtpayCache        *self,
                                   const char          *platform,
                                   const char          *id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL && id != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_LOOKUP_EVENTS;
  job->platform = g_strdup (platform);
  job->id = g_strdup (id);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, usdtpay_cache_lookup_events_async);
  queue_job (self, job);
}

char *
usdtpay_cache_lookup_events_finish (UsdtpayCache  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_cache_flush (UsdtpayCache *self)
{
  g_return_if_fail (USDTPAY_IS_CACHE (self));

  g_mutex_lock (&self->mutex);
  while (self->pending > 0)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
}
