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
  sqlite3_stmt *store_stmt;  /* the pool's thread: prepared once */
  gboolean     in_txn;    /* the pool's thread: writes not yet committed */
  guint        txn_writes;
  GMainContext *context;  /* where `changed` is emitted */
  GSource     *changed_source;  /* under mutex: a queued emission */
};

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UsdtpayCache, usdtpay_cache, G_TYPE_OBJECT)

typedef enum
{
  JOB_STORE,
  JOB_LOAD,
  JOB_STORE_RECEIPT,
  JOB_LOOKUP_RECEIPT,
  JOB_STORE_EVENTS,
  JOB_LOOKUP_EVENTS,
  JOB_STORE_TOP_UP,
  JOB_FORGET_TOP_UP,
  JOB_LOAD_TOP_UPS,
} JobKind;

typedef struct
{
  JobKind  kind;
  char    *platform;
  char    *merchant;
  /* store */
  UsdtpayOrder *order;
  char    *id;
  char    *json;
  /* receipts */
  UsdtpayCachedReceipt *receipt;
  /* top-ups */
  UsdtpayCachedTopUp *top_up;
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
  g_clear_pointer (&job->order, usdtpay_order_unref);
  g_clear_pointer (&job->receipt, usdtpay_cached_receipt_free);
  g_clear_pointer (&job->top_up, usdtpay_cached_top_up_free);
  g_clear_object (&job->task);
  g_free (job);
}

/* A job of @kind for @platform; @merchant (the account) and @id as the
 * kind needs them, NULL otherwise. */
static Job *
job_new (JobKind     kind,
         const char *platform,
         const char *merchant,
         const char *id)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->platform = g_strdup (platform);
  job->merchant = g_strdup (merchant);
  job->id = g_strdup (id);
  return job;
}

/* Gives @job a task answered on the caller's context. */
static void
job_answer_to (Job                 *job,
               UsdtpayCache        *self,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag)
{
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
}

/* Version 1, as the first release made it (it never set user_version). */
static const char schema_v1_sql[] =
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

/* Version 2: the orders' fields as plain columns, so History and the export
 * select, sort and read them without parsing JSON; `merchant` (whose cache
 * a row is in) becomes `account`, and `merchant` is the order's. */
static const char orders_v2_sql[] =
  "CREATE TABLE orders_v2 ("
  "  platform TEXT NOT NULL,"
  "  account TEXT NOT NULL,"
  "  id TEXT NOT NULL,"
  "  version INTEGER NOT NULL,"
  "  state TEXT,"
  "  created_at INTEGER NOT NULL DEFAULT 0,"
  "  matched_at INTEGER NOT NULL DEFAULT 0,"
  "  paid_at INTEGER NOT NULL DEFAULT 0,"
  "  completed_at INTEGER NOT NULL DEFAULT 0,"
  "  closed_at INTEGER NOT NULL DEFAULT 0,"
  "  amount INTEGER NOT NULL DEFAULT 0,"
  "  fee INTEGER NOT NULL DEFAULT 0,"
  "  net INTEGER NOT NULL DEFAULT 0,"
  "  fiat_amount INTEGER NOT NULL DEFAULT 0,"
  "  fiat_currency TEXT,"
  "  method TEXT,"
  "  merchant TEXT,"
  "  shop TEXT,"
  "  external_id TEXT,"
  "  customer_ref TEXT,"
  "  payer_name TEXT,"
  "  json TEXT NOT NULL,"
  "  PRIMARY KEY (platform, account, id));";

#define ORDER_COLUMNS \
  "platform, account, id, version, state, created_at, matched_at, paid_at, completed_at, " \
  "closed_at, amount, fee, net, fiat_amount, fiat_currency, method, merchant, shop, " \
  "external_id, customer_ref, payer_name, json"
#define ORDER_PARAMS \
  "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22"

/* Binds ?3 .. ?22 of ORDER_PARAMS from @order; @order may be NULL for a
 * row whose JSON could not be read (its other columns stay NULL or 0). */
static void
bind_order (sqlite3_stmt       *stmt,
            const char         *id,
            gint64              version,
            const UsdtpayOrder *order,
            const char         *json)
{
  sqlite3_bind_text (stmt, 3, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, version);
  sqlite3_bind_text (stmt, 22, json, -1, SQLITE_STATIC);
  if (order == NULL)
    {
      /* Times and amounts 0, texts NULL: unknown. */
      for (int i = 6; i <= 14; i++)
        sqlite3_bind_int64 (stmt, i, 0);
      return;
    }

  sqlite3_bind_text (stmt, 5, usdtpay_order_state_to_string (order->state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, order->created_at);
  sqlite3_bind_int64 (stmt, 7, order->matched_at);
  sqlite3_bind_int64 (stmt, 8, order->paid_at);
  sqlite3_bind_int64 (stmt, 9, order->completed_at);
  sqlite3_bind_int64 (stmt, 10, order->closed_at);
  sqlite3_bind_int64 (stmt, 11, order->amount);
  sqlite3_bind_int64 (stmt, 12, order->fee);
  sqlite3_bind_int64 (stmt, 13, order->net);
  sqlite3_bind_int64 (stmt, 14, order->fiat_amount);
  sqlite3_bind_text (stmt, 15, order->fiat_currency, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 16, order->method, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 17, order->merchant, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 18, order->shop, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 19, order->external_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 20, order->customer_ref, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 21, order->payer_name, -1, SQLITE_STATIC);
}

static UsdtpayOrder *
parse_order (const char  *json,
             gsize        length,
             GError     **error)
{
  g_autoptr(JsonObject) object = usdtpay_json_parse_object (json, length, error);

  return object != NULL ? usdtpay_order_from_json (object, error) : NULL;
}

/* v1 -> v2: every stored order's JSON parsed again into the new columns;
 * one that no longer parses keeps its JSON, id and version (nothing is
 * lost) and reads as unknown. */
static gboolean
migrate_plain_columns (sqlite3  *db,
                       GError  **error)
{
  sqlite3_stmt *select = NULL;
  sqlite3_stmt *insert = NULL;
  char *message = NULL;
  gboolean ok = FALSE;
  int rc;

  if (sqlite3_exec (db, orders_v2_sql, NULL, NULL, &message) != SQLITE_OK)
    goto out;
  if (sqlite3_prepare_v2 (db, "SELECT platform, merchant, id, version, json FROM orders", -1,
                          &select, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO orders_v2 (" ORDER_COLUMNS ") VALUES (" ORDER_PARAMS ")",
                          -1, &insert, NULL) != SQLITE_OK)
    goto out;

  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      const char *json = (const char *)sqlite3_column_text (select, 4);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(UsdtpayOrder) order = parse_order (json, sqlite3_column_bytes (select, 4),
                                                   &local_error);

      if (order == NULL)
        g_warning ("cache: an order kept unread in the migration: %s", local_error->message);

      sqlite3_bind_text (insert, 1, (const char *)sqlite3_column_text (select, 0), -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 2, (const char *)sqlite3_column_text (select, 1), -1, SQLITE_STATIC);
      bind_order (insert, (const char *)sqlite3_column_text (select, 2),
                  sqlite3_column_int64 (select, 3), order, json);
      if (sqlite3_step (insert) != SQLITE_DONE)
        goto out;
      sqlite3_reset (insert);
      sqlite3_clear_bindings (insert);
    }
  if (rc != SQLITE_DONE)
    goto out;

  if (sqlite3_exec (db,
                    "DROP TABLE orders;"
                    "ALTER TABLE orders_v2 RENAME TO orders;"
                    "CREATE INDEX orders_by_closed ON orders (platform, account, closed_at DESC, id);",
                    NULL, NULL, &message) != SQLITE_OK)
    goto out;
  ok = TRUE;

out:
  if (!ok)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not migrate the cache: %s",
                 message != NULL ? message : sqlite3_errmsg (db));
  sqlite3_free (message);
  sqlite3_finalize (select);
  sqlite3_finalize (insert);
  return ok;
}

/* Version 3 (History): indexes for its sort orders and search, and a
 * trigram index of customer_ref (FTS5, external content: the orders table,
 * kept in step by triggers), so a search for a rare text finds its few
 * rows without reading the others. orders_by_created also holds what the
 * search and the chips compare, so a walk in History's default order reads
 * table rows only for the rows it shows. The id prefix is looked up by
 * lower(id), as LIKE compares ASCII letters regardless of case. */
static const char history_indexes_sql[] =
  "CREATE INDEX orders_by_created ON orders (platform, account, created_at, id, customer_ref, amount, "
  "  fiat_amount, fiat_currency, state, method, merchant, closed_at);"
  "CREATE INDEX orders_by_lower_id ON orders (platform, account, lower(id));"
  "CREATE INDEX orders_by_amount ON orders (platform, account, amount, id);"
  "CREATE INDEX orders_by_fiat ON orders (platform, account, fiat_amount, id);"
  "CREATE INDEX orders_by_fee ON orders (platform, account, fee, id);"
  "CREATE INDEX orders_by_state ON orders (platform, account, state, id);"
  "CREATE INDEX orders_by_method ON orders (platform, account, method, id);"
  "CREATE INDEX orders_by_customer ON orders (platform, account, customer_ref, id);"
  "CREATE INDEX orders_by_merchant ON orders (platform, account, merchant, id);"
  "CREATE VIRTUAL TABLE orders_search USING fts5 (customer_ref, content = 'orders', "
  "  content_rowid = 'rowid', tokenize = 'trigram');"
  "CREATE TRIGGER orders_search_insert AFTER INSERT ON orders BEGIN"
  "  INSERT INTO orders_search (rowid, customer_ref) VALUES (new.rowid, new.customer_ref);"
  "END;"
  "CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN"
  "  INSERT INTO orders_search (orders_search, rowid, customer_ref)"
  "    VALUES ('delete', old.rowid, old.customer_ref);"
  "END;"
  "CREATE TRIGGER orders_search_update AFTER UPDATE OF customer_ref ON orders BEGIN"
  "  INSERT INTO orders_search (orders_search, rowid, customer_ref)"
  "    VALUES ('delete', old.rowid, old.customer_ref);"
  "  INSERT INTO orders_search (rowid, customer_ref) VALUES (new.rowid, new.customer_ref);"
  "END;"
  "INSERT INTO orders_search (orders_search) VALUES ('rebuild');";

/* Version 4: the wallet's top-ups sent and not yet credited or failed, so
 * the Wallet page follows them again after a restart. Nothing secret: the
 * signed transaction is public once sent. */
static const char wallet_top_ups_sql[] =
  "CREATE TABLE wallet_top_ups ("
  "  platform TEXT NOT NULL,"
  "  account TEXT NOT NULL,"
  "  tx_hash TEXT NOT NULL,"
  "  amount INTEGER NOT NULL,"
  "  sender TEXT NOT NULL,"
  "  nonce INTEGER NOT NULL,"
  "  raw TEXT NOT NULL,"
  "  sent_at INTEGER NOT NULL,"
  "  PRIMARY KEY (platform, account, tx_hash));";

/* The cache's migrations, in order: entry i takes a file from user_version
 * i to i + 1, each in its own transaction. Append only: never change or
 * reorder an entry that has shipped. */
typedef struct
{
  const char *sql;
  gboolean  (*func) (sqlite3  *db,
                     GError  **error);
} Migration;

static const Migration migrations[] = {
  /* 0 -> 1: the first schema (a no-op on a v1 file, which says 0). */
  { schema_v1_sql, NULL },
  /* 1 -> 2: plain columns. */
  { NULL, migrate_plain_columns },
  /* 2 -> 3: History's sort and search indexes. */
  { history_indexes_sql, NULL },
  /* 3 -> 4: the wallet's top-ups in progress. */
  { wallet_top_ups_sql, NULL },
};

static gboolean
migrate (sqlite3  *db,
         GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = 0;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version > (int)G_N_ELEMENTS (migrations))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                   "The cache was made by a newer UsdtPay (version %d)", version);
      return FALSE;
    }

  for (guint i = version; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %u", i + 1);
      char *message = NULL;
      gboolean ok;

      if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, &message) != SQLITE_OK)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not migrate the cache: %s",
                       message);
          sqlite3_free (message);
          return FALSE;
        }
      if (migrations[i].sql != NULL)
        {
          ok = sqlite3_exec (db, migrations[i].sql, NULL, NULL, &message) == SQLITE_OK;
          if (!ok)
            g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                         "Could not migrate the cache: %s", message);
          sqlite3_free (message);
          message = NULL;
        }
      else
        ok = migrations[i].func (db, error);
      if (ok && sqlite3_exec (db, bump, NULL, NULL, &message) != SQLITE_OK)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not migrate the cache: %s",
                       message);
          sqlite3_free (message);
          message = NULL;
          ok = FALSE;
        }
      if (!ok || sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          if (ok)
            g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not migrate the cache: %s",
                         sqlite3_errmsg (db));
          return FALSE;
        }
    }

  return TRUE;
}

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

void
usdtpay_cached_top_up_free (UsdtpayCachedTopUp *top_up)
{
  if (top_up == NULL)
    return;

  g_free (top_up->tx_hash);
  g_free (top_up->raw);
  g_free (top_up->sender);
  g_free (top_up);
}

static UsdtpayCachedTopUp *
cached_top_up_copy (const UsdtpayCachedTopUp *top_up)
{
  UsdtpayCachedTopUp *copy = g_new0 (UsdtpayCachedTopUp, 1);

  copy->tx_hash = g_strdup (top_up->tx_hash);
  copy->amount = top_up->amount;
  copy->nonce = top_up->nonce;
  copy->raw = g_strdup (top_up->raw);
  copy->sent_at = top_up->sent_at;
  copy->sender = g_strdup (top_up->sender);

  return copy;
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

gboolean
usdtpay_cache_upgrade_file (const char  *path,
                            GError     **error)
{
  sqlite3 *db = NULL;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not open the cache %s: %s",
                   path, db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_busy_timeout (db, 5000);
  ok = sqlite3_exec (db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) == SQLITE_OK &&
       migrate (db, error);
  if (!ok && error != NULL && *error == NULL)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not open the cache %s: %s",
                 path, sqlite3_errmsg (db));
  sqlite3_close (db);

  return ok;
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

  if (sqlite3_exec (self->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL,
                    &message) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not prepare the cache: %s", message);
      sqlite3_free (message);
      g_clear_pointer (&self->db, sqlite3_close);
      return FALSE;
    }
  if (!migrate (self->db, error))
    {
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
    "INSERT INTO orders (" ORDER_COLUMNS ") VALUES (" ORDER_PARAMS ") "
    "ON CONFLICT (platform, account, id) DO UPDATE SET version = excluded.version, "
    "state = excluded.state, created_at = excluded.created_at, matched_at = excluded.matched_at, "
    "paid_at = excluded.paid_at, completed_at = excluded.completed_at, "
    "closed_at = excluded.closed_at, amount = excluded.amount, fee = excluded.fee, "
    "net = excluded.net, fiat_amount = excluded.fiat_amount, "
    "fiat_currency = excluded.fiat_currency, method = excluded.method, "
    "merchant = excluded.merchant, shop = excluded.shop, external_id = excluded.external_id, "
    "customer_ref = excluded.customer_ref, payer_name = excluded.payer_name, json = excluded.json "
    "WHERE excluded.version > orders.version";
  sqlite3_stmt *stmt;

  if (self->store_stmt == NULL &&
      sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->store_stmt, NULL) != SQLITE_OK)
    {
      g_warning ("cache: %s", sqlite3_errmsg (self->db));
      return;
    }
  stmt = self->store_stmt;

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->merchant, -1, SQLITE_STATIC);
  bind_order (stmt, job->order->id, job->order->version, job->order, job->json);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("cache: could not store %s: %s", job->order->id, sqlite3_errmsg (self->db));
  /* Nothing of the job's stays bound. */
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static void
run_load (UsdtpayCache *self,
          Job          *job)
{
  /* The open ones (a dispute: closed_at 0), few, then the newest closed;
   * each through the (platform, account, closed_at DESC, id) index. */
  static const char * const sql[] = {
    "SELECT json FROM orders WHERE platform = ?1 AND account = ?2 AND closed_at = 0 ORDER BY id",
    "SELECT json FROM orders WHERE platform = ?1 AND account = ?2 AND closed_at > 0 "
    "ORDER BY closed_at DESC, id LIMIT ?3",
  };
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      sqlite3_stmt *stmt = NULL;
      int rc;

      if (sqlite3_prepare_v2 (self->db, sql[i], -1, &stmt, NULL) != SQLITE_OK)
        {
          g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                                   sqlite3_errmsg (self->db));
          return;
        }

      sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, job->merchant, -1, SQLITE_STATIC);
      if (i == 1)
        sqlite3_bind_int64 (stmt, 3, job->limit);

      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *json = (const char *)sqlite3_column_text (stmt, 0);
          g_autoptr(GError) error = NULL;
          UsdtpayOrder *order;

          /* What the cache holds went through the strict parser on the way
           * in; it goes through it again, as anything read from disk. */
          order = parse_order (json, sqlite3_column_bytes (stmt, 0), &error);
          if (order == NULL)
            {
              g_warning ("cache: skipping an unreadable order: %s", error->message);
              continue;
            }
          g_ptr_array_add (orders, order);
        }
      sqlite3_finalize (stmt);

      if (rc != SQLITE_DONE)
        {
          g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                                   sqlite3_errmsg (self->db));
          return;
        }
    }

  g_task_return_pointer (job->task, g_steal_pointer (&orders), (GDestroyNotify)g_ptr_array_unref);
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
run_store_top_up (UsdtpayCache *self,
                  Job          *job)
{
  static const char sql[] =
    "INSERT OR REPLACE INTO wallet_top_ups (platform, account, tx_hash, amount, nonce, raw, sent_at, sender) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("cache: %s", sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->merchant, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->top_up->tx_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, job->top_up->amount);
  sqlite3_bind_int64 (stmt, 5, (sqlite3_int64)job->top_up->nonce);
  sqlite3_bind_text (stmt, 6, job->top_up->raw, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, job->top_up->sent_at);
  sqlite3_bind_text (stmt, 8, job->top_up->sender, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("cache: could not store the top-up %s: %s", job->top_up->tx_hash, sqlite3_errmsg (self->db));
  sqlite3_finalize (stmt);
}

static void
run_forget_top_up (UsdtpayCache *self,
                   Job          *job)
{
  static const char sql[] =
    "DELETE FROM wallet_top_ups WHERE platform = ?1 AND account = ?2 AND tx_hash = ?3";
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("cache: %s", sqlite3_errmsg (self->db));
      return;
    }

  sqlite3_bind_text (stmt, 1, job->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->merchant, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("cache: could not forget the top-up %s: %s", job->id, sqlite3_errmsg (self->db));
  sqlite3_finalize (stmt);
}

static void
run_load_top_ups (UsdtpayCache *self,
                  Job          *job)
{
  static const char sql[] =
    "SELECT tx_hash, amount, nonce, raw, sent_at, sender FROM wallet_top_ups "
    "WHERE platform = ?1 AND account = ?2 ORDER BY sent_at, tx_hash";
  g_autoptr(GPtrArray) top_ups = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_cached_top_up_free);
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
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      UsdtpayCachedTopUp *top_up = g_new0 (UsdtpayCachedTopUp, 1);

      top_up->tx_hash = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      top_up->amount = sqlite3_column_int64 (stmt, 1);
      top_up->nonce = (guint64)sqlite3_column_int64 (stmt, 2);
      top_up->raw = g_strdup ((const char *)sqlite3_column_text (stmt, 3));
      top_up->sent_at = sqlite3_column_int64 (stmt, 4);
      top_up->sender = g_strdup ((const char *)sqlite3_column_text (stmt, 5));
      g_ptr_array_add (top_ups, top_up);
    }
  if (rc == SQLITE_DONE)
    g_task_return_pointer (job->task, g_steal_pointer (&top_ups), (GDestroyNotify)g_ptr_array_unref);
  else
    g_task_return_new_error (job->task, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s",
                             sqlite3_errmsg (self->db));

  sqlite3_finalize (stmt);
}

static gboolean
emit_changed_cb (gpointer user_data)
{
  UsdtpayCache *self = user_data;

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->changed_source, g_source_unref);
  g_mutex_unlock (&self->mutex);

  g_signal_emit (self, signals[CHANGED], 0);

  return G_SOURCE_REMOVE;
}

/* The pool's thread: commits what was written and has `changed` emitted
 * once on the main context (several commits before it runs: once). */
static void
commit (UsdtpayCache *self)
{
  if (!self->in_txn)
    return;

  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_warning ("cache: could not commit: %s", sqlite3_errmsg (self->db));
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    }
  self->in_txn = FALSE;
  self->txn_writes = 0;

  g_mutex_lock (&self->mutex);
  if (self->changed_source == NULL)
    {
      self->changed_source = g_idle_source_new ();
      g_source_set_priority (self->changed_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->changed_source, emit_changed_cb, self, NULL);
      g_source_set_static_name (self->changed_source, "[usdtpay] cache changed");
      g_source_attach (self->changed_source, self->context);
    }
  g_mutex_unlock (&self->mutex);
}

static gboolean
unref_task_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

/* The worker's reference on a task it answered is dropped on the cache's
 * context: the task may hold the last reference on the cache, and the
 * cache must never be finalized in its own worker (finalizing waits for
 * the worker, and its last transaction would never be committed). */
static void
release_in_context (UsdtpayCache *self,
                    GTask        *task)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, unref_task_cb, task, NULL);
  g_source_set_static_name (source, "[usdtpay] cache task release");
  g_source_attach (source, self->context);
}

static void
worker (gpointer data,
        gpointer user_data)
{
  UsdtpayCache *self = user_data;
  Job *job = data;
  g_autoptr(GError) error = NULL;
  gboolean write = job->task == NULL || job->kind == JOB_STORE_TOP_UP;
  GTask *committed = NULL;

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
      write = FALSE;
    }
  else if (write && !self->in_txn)
    {
      /* Writes queued back to back (a back-fill page) share one commit. */
      if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
        self->in_txn = TRUE;
      else
        g_warning ("cache: %s", sqlite3_errmsg (self->db));
    }

  if (self->broken)
    ;
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
  else if (job->kind == JOB_STORE_TOP_UP)
    run_store_top_up (self, job);
  else if (job->kind == JOB_FORGET_TOP_UP)
    run_forget_top_up (self, job);
  else if (job->kind == JOB_LOAD_TOP_UPS)
    run_load_top_ups (self, job);
  else
    run_load (self, job);

  /* A write with a task answers once it is committed. */
  if (write && job->task != NULL)
    committed = g_steal_pointer (&job->task);
  else if (job->task != NULL)
    release_in_context (self, g_steal_pointer (&job->task));
  job_free (job);

  if (write)
    self->txn_writes++;
  /* Committed when nothing else waits, when a write waits for it, and at
   * least every 1000 writes. */
  if (self->in_txn && (committed != NULL || self->txn_writes >= 1000 ||
                       g_thread_pool_unprocessed (self->pool) == 0))
    commit (self);
  if (committed != NULL)
    {
      g_task_return_boolean (committed, TRUE);
      release_in_context (self, committed);
    }

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
  if (self->in_txn && sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    g_warning ("cache: could not commit: %s", sqlite3_errmsg (self->db));
  g_clear_pointer (&self->store_stmt, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  if (self->changed_source != NULL)
    g_source_destroy (self->changed_source);
  g_clear_pointer (&self->changed_source, g_source_unref);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self->path);

  G_OBJECT_CLASS (usdtpay_cache_parent_class)->finalize (object);
}

static void
usdtpay_cache_class_init (UsdtpayCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_cache_finalize;

  /**
   * UsdtpayCache::changed:
   *
   * Queued writes have been committed: readers on their own connections
   * see them now. Emitted on the thread-default main context of the
   * cache's creation, once for any number of commits in between.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
usdtpay_cache_init (UsdtpayCache *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->context = g_main_context_ref_thread_default ();
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

  job = job_new (JOB_STORE, platform, merchant, NULL);
  job->order = usdtpay_order_copy (order);
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

  job = job_new (JOB_LOAD, platform, merchant, NULL);
  job->limit = limit;
  job_answer_to (job, self, cancellable, callback, user_data, usdtpay_cache_load_async);
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

  job = job_new (JOB_STORE_RECEIPT, platform, NULL, NULL);
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

  job = job_new (JOB_LOOKUP_RECEIPT, platform, NULL, id);
  job_answer_to (job, self, cancellable, callback, user_data, usdtpay_cache_lookup_receipt_async);
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

  job = job_new (JOB_STORE_EVENTS, platform, NULL, id);
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

  job = job_new (JOB_LOOKUP_EVENTS, platform, NULL, id);
  job_answer_to (job, self, cancellable, callback, user_data, usdtpay_cache_lookup_events_async);
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
usdtpay_cache_store_top_up_async (UsdtpayCache             *self,
                                  const char               *platform,
                                  const char               *account,
                                  const UsdtpayCachedTopUp *top_up,
                                  GCancellable             *cancellable,
                                  GAsyncReadyCallback       callback,
                                  gpointer                  user_data)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL && account != NULL);
  g_return_if_fail (top_up != NULL && top_up->tx_hash != NULL && top_up->raw != NULL && top_up->sender != NULL);

  job = job_new (JOB_STORE_TOP_UP, platform, account, NULL);
  job->top_up = cached_top_up_copy (top_up);
  job_answer_to (job, self, cancellable, callback, user_data, usdtpay_cache_store_top_up_async);
  queue_job (self, job);
}

gboolean
usdtpay_cache_store_top_up_finish (UsdtpayCache  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_CACHE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
usdtpay_cache_forget_top_up (UsdtpayCache *self,
                             const char   *platform,
                             const char   *account,
                             const char   *tx_hash)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL && account != NULL && tx_hash != NULL);

  job = job_new (JOB_FORGET_TOP_UP, platform, account, tx_hash);
  queue_job (self, job);
}

void
usdtpay_cache_load_top_ups_async (UsdtpayCache        *self,
                                  const char          *platform,
                                  const char          *account,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Job *job;

  g_return_if_fail (USDTPAY_IS_CACHE (self));
  g_return_if_fail (platform != NULL && account != NULL);

  job = job_new (JOB_LOAD_TOP_UPS, platform, account, NULL);
  job_answer_to (job, self, cancellable, callback, user_data, usdtpay_cache_load_top_ups_async);
  queue_job (self, job);
}

GPtrArray *
usdtpay_cache_load_top_ups_finish (UsdtpayCache  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (USDTPAY_IS_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
usdtpay_cache_get_path (UsdtpayCache *self)
{
  g_return_val_if_fail (USDTPAY_IS_CACHE (self), NULL);

  return self->path;
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
