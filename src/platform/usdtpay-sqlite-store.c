/* usdtpay-sqlite-store.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-sqlite-store"

#include "config.h"

#include <sodium.h>
#include <sqlite3.h>

#include "usdtpay-sqlite-store.h"
#include "usdtpay-wal-vfs.h"

/* One writer thread owns the read-write connection. Requests queue up while
 * it syncs; it then commits all of them in one transaction (one fsync in WAL
 * mode with synchronous=FULL) and reports them durable in order. Readers use
 * their own read-only connections, which WAL lets run beside the writer.
 */

typedef enum
{
  STMT_ORDER_PUT,
  STMT_EVENT_APPEND,
  STMT_AUDIENCE_APPEND,
  STMT_TRANSFER_ADD,
  STMT_ENTRY_ADD,
  STMT_BALANCE_ADD,
  STMT_PRINCIPAL_PUT,
  STMT_SESSION_PUT,
  STMT_SESSION_DELETE,
  STMT_API_KEY_PUT,
  STMT_IDEMPOTENCY_PUT,
  STMT_META_PUT,
  STMT_WEBHOOK_PUT,
  STMT_DELIVERY_PUT,
  STMT_ATTEMPT_ADD,
  STMT_RECEIPT_PUT,
  STMT_CHAIN_PUT,
  STMT_PURGE_IDEMPOTENCY,
  STMT_PURGE_DELIVERIES_FIND,
  STMT_PURGE_ATTEMPTS,
  STMT_PURGE_DELIVERY,
  STMT_LAST_DELIVERY_ID_KEEP,
  STMT_PURGE_SESSIONS,
  N_STMTS
} StmtId;

static const char *stmt_sql[N_STMTS] = {
  [STMT_ORDER_PUT] =
    "INSERT INTO orders (id, shop, merchant, external_id, state, created_at, version, held, data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT (id) DO UPDATE SET merchant = ?3, state = ?5, version = ?7, held = ?8, data = ?9",
  [STMT_EVENT_APPEND] =
    "INSERT INTO events (seq, type, at, order_id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_AUDIENCE_APPEND] =
    "INSERT INTO event_audience (principal, seq) VALUES (?1, ?2)",
  [STMT_TRANSFER_ADD] =
    "INSERT INTO transfers (id, at, kind, order_id) VALUES (?1, ?2, ?3, ?4)",
  [STMT_ENTRY_ADD] =
    "INSERT INTO entries (transfer_id, account, amount) VALUES (?1, ?2, ?3)",
  [STMT_BALANCE_ADD] =
    "INSERT INTO accounts (name, balance) VALUES (?1, ?2)"
    " ON CONFLICT (name) DO UPDATE SET balance = balance + ?2",
  [STMT_PRINCIPAL_PUT] =
    "INSERT INTO principals (name, role, password_hash, settings, suspended, last_matched_at, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (name) DO UPDATE SET password_hash = ?3, settings = ?4, suspended = ?5,"
    " last_matched_at = ?6",
  [STMT_SESSION_PUT] =
    "INSERT OR REPLACE INTO sessions (hash, principal, expires_at) VALUES (?1, ?2, ?3)",
  [STMT_SESSION_DELETE] =
    "DELETE FROM sessions WHERE hash = ?1",
  [STMT_API_KEY_PUT] =
    "INSERT OR REPLACE INTO api_keys (hash, principal, prefix, scopes, created_at, revoked_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_IDEMPOTENCY_PUT] =
    "INSERT OR REPLACE INTO idempotency (shop, key, body_hash, status, response, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_META_PUT] =
    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
  [STMT_WEBHOOK_PUT] =
    "INSERT OR REPLACE INTO webhooks (shop, url, secret, updated_at) VALUES (?1, ?2, ?3, ?4)",
  [STMT_DELIVERY_PUT] =
    "INSERT INTO webhook_deliveries (id, shop, event_id, event_type, order_id, body, state, attempts,"
    " next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (id) DO UPDATE SET state = ?7, attempts = ?8, next_attempt_at = ?9, updated_at = ?11",
  [STMT_ATTEMPT_ADD] =
    "INSERT OR REPLACE INTO webhook_attempts (delivery_id, n, at, status, duration_ms, error)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_RECEIPT_PUT] =
    "INSERT INTO receipts (order_id, seq, key_id, receipt, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_CHAIN_PUT] =
    "INSERT INTO chain_records (kind, id, owner, state, tx_hash, log_index, amount, data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (kind, id) DO UPDATE SET owner = ?3, state = ?4, tx_hash = ?5, log_index = ?6,"
    " amount = ?7, data = ?8",
  /* Retention (usdtpay-retention.c), each through an index. */
  [STMT_PURGE_IDEMPOTENCY] =
    "DELETE FROM idempotency WHERE rowid IN"
    " (SELECT rowid FROM idempotency WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
  [STMT_PURGE_DELIVERIES_FIND] =
    "SELECT id, attempts, (SELECT max(id) FROM webhook_deliveries) FROM webhook_deliveries"
    " WHERE state != 'pending' AND updated_at < ?1 ORDER BY updated_at LIMIT ?2",
  [STMT_PURGE_ATTEMPTS] =
    "DELETE FROM webhook_attempts WHERE delivery_id = ?1",
  [STMT_PURGE_DELIVERY] =
    "DELETE FROM webhook_deliveries WHERE id = ?1",
  /* Delivery ids are never reused, even once the newest one is purged. */
  [STMT_LAST_DELIVERY_ID_KEEP] =
    "INSERT OR REPLACE INTO meta (key, value) SELECT 'webhooks.last_delivery_id',"
    " max(?1, coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'webhooks.last_delivery_id'), 0))",
  [STMT_PURGE_SESSIONS] =
    "DELETE FROM sessions WHERE rowid IN"
    " (SELECT rowid FROM sessions WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
};

/* Each entry migrates from version i to i + 1. */
static const char *migrations[] = {
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE principals ("
  "  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT, settings TEXT,"
  "  suspended INTEGER NOT NULL DEFAULT 0, last_matched_at INTEGER NOT NULL DEFAULT 0,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE api_keys ("
  "  hash TEXT PRIMARY KEY, principal TEXT NOT NULL, prefix TEXT NOT NULL, scopes TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE sessions ("
  "  hash TEXT PRIMARY KEY, principal TEXT NOT NULL, expires_at INTEGER NOT NULL);"
  "CREATE TABLE orders ("
  "  id TEXT PRIMARY KEY, shop TEXT NOT NULL, merchant TEXT, external_id TEXT NOT NULL,"
  "  state TEXT NOT NULL, created_at INTEGER NOT NULL, version INTEGER NOT NULL,"
  "  held INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL, UNIQUE (shop, external_id));"
  "CREATE INDEX orders_by_merchant ON orders (merchant, created_at);"
  "CREATE INDEX orders_by_state ON orders (state, created_at);"
  "CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL);"
  "CREATE TABLE transfers ("
  "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, order_id TEXT);"
  "CREATE TABLE entries ("
  "  transfer_id INTEGER NOT NULL, account TEXT NOT NULL, amount INTEGER NOT NULL);"
  "CREATE INDEX entries_by_transfer ON entries (transfer_id);"
  "CREATE TABLE events ("
  "  seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at INTEGER NOT NULL, order_id TEXT,"
  "  body BLOB NOT NULL);"
  "CREATE TABLE event_audience ("
  "  principal TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (principal, seq)) WITHOUT ROWID;"
  "CREATE TABLE idempotency ("
  "  shop TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL, status INTEGER NOT NULL,"
  "  response BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (shop, key));",
  /* Webhooks: endpoints, the outbox of deliveries and every attempt. */
  "CREATE TABLE webhooks ("
  "  shop TEXT PRIMARY KEY, url TEXT, secret TEXT, updated_at INTEGER NOT NULL);"
  "CREATE TABLE webhook_deliveries ("
  "  id INTEGER PRIMARY KEY, shop TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,"
  "  order_id TEXT, body BLOB NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,"
  "  next_attempt_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
  "CREATE INDEX webhook_deliveries_by_shop ON webhook_deliveries (shop, id);"
  "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE state = 'pending';"
  "CREATE TABLE webhook_attempts ("
  "  delivery_id INTEGER NOT NULL, n INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER,"
  "  duration_ms INTEGER NOT NULL, error TEXT, PRIMARY KEY (delivery_id, n)) WITHOUT ROWID;",
  /* Signed receipts (docs/receipts.md), every one kept; an order's latest
   * has the highest seq. Events by order, for an order's history. */
  "CREATE TABLE receipts ("
  "  order_id TEXT NOT NULL, seq INTEGER NOT NULL, key_id TEXT NOT NULL, receipt TEXT NOT NULL,"
  "  signature TEXT NOT NULL, PRIMARY KEY (order_id, seq)) WITHOUT ROWID;"
  "CREATE INDEX events_by_order ON events (order_id, seq) WHERE order_id IS NOT NULL;",
  /* The chain: registered wallets, deposits seen on chain, withdrawals. A
   * log of the token (transaction, log index) is one deposit, at most. */
  "CREATE TABLE chain_records ("
  "  kind TEXT NOT NULL, id TEXT NOT NULL, owner TEXT, state TEXT NOT NULL, tx_hash TEXT,"
  "  log_index INTEGER NOT NULL DEFAULT -1, amount INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL,"
  "  PRIMARY KEY (kind, id));"
  "CREATE UNIQUE INDEX chain_deposit_log ON chain_records (tx_hash, log_index) WHERE kind = 'deposit';"
  "CREATE INDEX chain_records_by_owner ON chain_records (owner, kind);",
  /* Retention (usdtpay-retention.c) finds the oldest idempotency answers
   * and finished deliveries by these. */
  "CREATE INDEX idempotency_by_created ON idempotency (created_at);"
  "CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at)"
  "  WHERE state != 'pending';",
  /* Retention deletes expired sessions too. */
  "CREATE INDEX sessions_by_expiry ON sessions (expires_at);",
  /* Only `check` read orders by merchant or by state, and it scans; every
   * order written (four times in its life) paid for both indexes. */
  "DROP INDEX orders_by_merchant;"
  "DROP INDEX orders_by_state;",
};

typedef struct
{
  UsdtpayBatch         *batch;
  UsdtpayStoreDoneFunc  done;
  gpointer              user_data;
  GMainContext         *context;
  gboolean              stop;
} Job;

typedef struct
{
  GPtrArray *jobs;
  GError    *error;
} Group;

struct _UsdtpaySqliteStore
{
  GObject        parent_instance;

  char          *path;
  sqlite3       *db;
  sqlite3_stmt  *stmts[N_STMTS];
  gboolean       dev;

  GThread       *writer;
  /* Checkpoints run on their own connection and thread, so copying the WAL
   * into the database never stalls a commit group. */
  GThread       *checkpointer;
  GMutex         checkpoint_mutex;
  GCond          checkpoint_cond;
  gboolean       checkpoint_stop;
  GAsyncQueue   *queue;
  /* Writer statistics, reported when the store closes. */
  guint64        n_groups;
  guint64        n_batches;
  gint64         commit_usec;
  GError        *failure;   /* set by the writer when it could not commit */
};

static void store_iface_init (UsdtpayStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (UsdtpaySqliteStore, usdtpay_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (USDTPAY_TYPE_STORE, store_iface_init))

static gboolean
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  const char  *what)
{
  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "%s: %s", what, sqlite3_errmsg (db));

  return FALSE;
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "%s", message);
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

static gint64
query_int (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = 0;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  return value;
}

static char *
query_meta (sqlite3    *db,
            const char *key)
{
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  return value;
}

static gboolean
migrate (sqlite3  *db,
         GError  **error)
{
  gint64 version = query_int (db, "PRAGMA user_version");

  if (version > (gint64)G_N_ELEMENTS (migrations))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                   "the database has schema version %" G_GINT64_FORMAT
                   ", newer than this program knows (%u)",
                   version, (guint)G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (gint64 i = version; i < (gint64)G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, i + 1);

      if (!exec_sql (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec_sql (db, migrations[i], error) || !exec_sql (db, bump, error))
        {
          exec_sql (db, "ROLLBACK", NULL);
          return FALSE;
        }
      if (!exec_sql (db, "COMMIT", error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
settle_dev_flag (UsdtpaySqliteStore  *self,
                 gboolean             dev,
                 GError             **error)
{
  g_autofree char *stored = query_meta (self->db, "dev");
  g_autofree char *secret_hex = NULL;
  guint8 secret[32];

  if (stored != NULL)
    {
      self->dev = g_str_equal (stored, "1");
      if (dev && !self->dev)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                       "%s is not a dev database; --dev is refused on it", self->path);
          return FALSE;
        }
      return TRUE;
    }

  /* A new database: fix what it is, and its secret for customer tokens. */
  self->dev = dev;
  randombytes_buf (secret, sizeof secret);
  secret_hex = g_malloc0 (sizeof secret * 2 + 1);
  sodium_bin2hex (secret_hex, sizeof secret * 2 + 1, secret, sizeof secret);
  sodium_memzero (secret, sizeof secret);

  {
    g_autofree char *sql = g_strdup_printf (
      "BEGIN IMMEDIATE;"
      "INSERT INTO meta (key, value) VALUES ('dev', '%d');"
      "INSERT INTO meta (key, value) VALUES ('server_secret', '%s');"
      "INSERT INTO meta (key, value) VALUES ('created_at', '%" G_GINT64_FORMAT "');"
      "COMMIT;",
      dev ? 1 : 0, secret_hex, g_get_real_time ());

    if (!exec_sql (self->db, sql, error))
      return FALSE;
  }

  return TRUE;
}

static gboolean
apply_op (UsdtpaySqliteStore  *self,
          const UsdtpayOp     *op,
          GError             **error);

static gboolean
step_reset (UsdtpaySqliteStore  *self,
            StmtId               id,
            GError             **error)
{
  sqlite3_stmt *stmt = self->stmts[id];
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, self->db, stmt_sql[id]);

  return TRUE;
}

static gboolean
apply_order_put (UsdtpaySqliteStore  *self,
                 const UsdtpayOp     *op,
                 GError             **error)
{
  sqlite3_stmt *stmt = self->stmts[STMT_ORDER_PUT];
  const UsdtpayOrder *order = op->order.order;
  gsize length = 0;
  gconstpointer data = g_bytes_get_data (op->order.json, &length);

  sqlite3_bind_text (stmt, 1, order->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, order->shop, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, order->merchant, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, order->external_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, usdtpay_order_state_to_string (order->state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, order->created_at);
  sqlite3_bind_int64 (stmt, 7, order->version);
  sqlite3_bind_int64 (stmt, 8, op->order.held);
  sqlite3_bind_text (stmt, 9, data, length, SQLITE_STATIC);

  return step_reset (self, STMT_ORDER_PUT, error);
}

static gboolean
apply_event_append (UsdtpaySqliteStore  *self,
                    const UsdtpayOp     *op,
                    GError             **error)
{
  sqlite3_stmt *stmt = self->stmts[STMT_EVENT_APPEND];
  gsize length = 0;
  gconstpointer body = g_bytes_get_data (op->event.body, &length);

  sqlite3_bind_int64 (stmt, 1, op->event.seq);
  sqlite3_bind_text (stmt, 2, usdtpay_event_type_to_string (op->event.type), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, op->event.at);
  sqlite3_bind_text (stmt, 4, op->event.order_id, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 5, body, length, SQLITE_STATIC);
  if (!step_reset (self, STMT_EVENT_APPEND, error))
    return FALSE;

  for (guint i = 0; op->event.audience != NULL && op->event.audience[i] != NULL; i++)
    {
      stmt = self->stmts[STMT_AUDIENCE_APPEND];
      sqlite3_bind_text (stmt, 1, op->event.audience[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, op->event.seq);
      if (!step_reset (self, STMT_AUDIENCE_APPEND, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
apply_transfer (UsdtpaySqliteStore  *self,
                const UsdtpayOp     *op,
                GError             **error)
{
  sqlite3_stmt *stmt = self->stmts[STMT_TRANSFER_ADD];

  sqlite3_bind_int64 (stmt, 1, op->transfer.id);
  sqlite3_bind_int64 (stmt, 2, op->transfer.at);
  sqlite3_bind_text (stmt, 3, op->transfer.kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, op->transfer.order_id, -1, SQLITE_STATIC);
  if (!step_reset (self, STMT_TRANSFER_ADD, error))
    return FALSE;

  for (guint i = 0; i < op->transfer.entries->len; i++)
    {
      const UsdtpayEntry *entry = &g_array_index (op->transfer.entries, UsdtpayEntry, i);

      stmt = self->stmts[STMT_ENTRY_ADD];
      sqlite3_bind_int64 (stmt, 1, op->transfer.id);
      sqlite3_bind_text (stmt, 2, entry->account, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, entry->amount);
      if (!step_reset (self, STMT_ENTRY_ADD, error))
        return FALSE;

      stmt = self->stmts[STMT_BALANCE_ADD];
      sqlite3_bind_text (stmt, 1, entry->account, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, entry->amount);
      if (!step_reset (self, STMT_BALANCE_ADD, error))
        return FALSE;
    }

  return TRUE;
}

/* At most op->purge.limit rows: whole deliveries with their attempts, the
 * first one even if it alone has more. */
static gboolean
apply_purge_deliveries (UsdtpaySqliteStore  *self,
                        const UsdtpayOp     *op,
                        GError             **error)
{
  sqlite3_stmt *stmt = self->stmts[STMT_PURGE_DELIVERIES_FIND];
  UsdtpayPurgeResult *result = op->purge.result;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 last_id = 0;
  guint planned = 0;
  int rc;

  sqlite3_bind_int64 (stmt, 1, op->purge.before);
  sqlite3_bind_int64 (stmt, 2, (gint64)op->purge.limit + 1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      gint64 rows = 1 + MAX (sqlite3_column_int64 (stmt, 1), 0);

      if (ids->len > 0 && planned + rows > op->purge.limit)
        {
          result->more = TRUE;
          break;
        }
      g_array_append_val (ids, id);
      planned += rows;
      last_id = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_sqlite_error (error, self->db, stmt_sql[STMT_PURGE_DELIVERIES_FIND]);
  if (ids->len == 0)
    return TRUE;

  stmt = self->stmts[STMT_LAST_DELIVERY_ID_KEEP];
  sqlite3_bind_int64 (stmt, 1, last_id);
  if (!step_reset (self, STMT_LAST_DELIVERY_ID_KEEP, error))
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      stmt = self->stmts[STMT_PURGE_ATTEMPTS];
      sqlite3_bind_int64 (stmt, 1, id);
      if (!step_reset (self, STMT_PURGE_ATTEMPTS, error))
        return FALSE;
      result->rows += sqlite3_changes (self->db);

      stmt = self->stmts[STMT_PURGE_DELIVERY];
      sqlite3_bind_int64 (stmt, 1, id);
      if (!step_reset (self, STMT_PURGE_DELIVERY, error))
        return FALSE;
      result->rows += sqlite3_changes (self->db);
      result->items++;
    }

  return TRUE;
}

static gboolean
apply_purge (UsdtpaySqliteStore  *self,
             const UsdtpayOp     *op,
             GError             **error)
{
  UsdtpayPurgeResult *result = op->purge.result;
  gint64 started = g_get_monotonic_time ();
  sqlite3_stmt *stmt;

  *result = (UsdtpayPurgeResult) { 0 };

  switch (op->purge.what)
    {
    case USDTPAY_PURGE_IDEMPOTENCY:
      stmt = self->stmts[STMT_PURGE_IDEMPOTENCY];
      sqlite3_bind_int64 (stmt, 1, op->purge.before);
      sqlite3_bind_int64 (stmt, 2, op->purge.limit);
      if (!step_reset (self, STMT_PURGE_IDEMPOTENCY, error))
        return FALSE;
      result->rows = result->items = sqlite3_changes (self->db);
      result->more = result->rows >= op->purge.limit;
      break;

    case USDTPAY_PURGE_DELIVERIES:
      if (!apply_purge_deliveries (self, op, error))
        return FALSE;
      break;

    case USDTPAY_PURGE_SESSIONS:
      stmt = self->stmts[STMT_PURGE_SESSIONS];
      sqlite3_bind_int64 (stmt, 1, op->purge.before);
      sqlite3_bind_int64 (stmt, 2, op->purge.limit);
      if (!step_reset (self, STMT_PURGE_SESSIONS, error))
        return FALSE;
      result->rows = result->items = sqlite3_changes (self->db);
      result->more = result->rows >= op->purge.limit;
      break;

    default:
      g_assert_not_reached ();
    }
  result->usec = g_get_monotonic_time () - started;

  return TRUE;
}

static gboolean
apply_op (UsdtpaySqliteStore  *self,
          const UsdtpayOp     *op,
          GError             **error)
{
  sqlite3_stmt *stmt;

  switch (op->kind)
    {
    case USDTPAY_OP_ORDER_PUT:
      return apply_order_put (self, op, error);

    case USDTPAY_OP_EVENT_APPEND:
      return apply_event_append (self, op, error);

    case USDTPAY_OP_TRANSFER:
      return apply_transfer (self, op, error);

    case USDTPAY_OP_PRINCIPAL_PUT:
      stmt = self->stmts[STMT_PRINCIPAL_PUT];
      sqlite3_bind_text (stmt, 1, op->principal.name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, usdtpay_role_to_string (op->principal.role), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, op->principal.password_hash, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, op->principal.settings, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 5, op->principal.suspended ? 1 : 0);
      sqlite3_bind_int64 (stmt, 6, op->principal.last_matched_at);
      sqlite3_bind_int64 (stmt, 7, op->principal.created_at);
      return step_reset (self, STMT_PRINCIPAL_PUT, error);

    case USDTPAY_OP_SESSION_PUT:
      stmt = self->stmts[STMT_SESSION_PUT];
      sqlite3_bind_text (stmt, 1, op->session.hash, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, op->session.principal, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, op->session.expires_at);
      return step_reset (self, STMT_SESSION_PUT, error);

    case USDTPAY_OP_SESSION_DELETE:
      stmt = self->stmts[STMT_SESSION_DELETE];
      sqlite3_bind_text (stmt, 1, op->session.hash, -1, SQLITE_STATIC);
      return step_reset (self, STMT_SESSION_DELETE, error);

    case USDTPAY_OP_API_KEY_PUT:
      stmt = self->stmts[STMT_API_KEY_PUT];
      sqlite3_bind_text (stmt, 1, op->api_key.hash, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, op->api_key.principal, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, op->api_key.prefix, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, op->api_key.scopes, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, op->api_key.created_at);
      sqlite3_bind_int64 (stmt, 6, op->api_key.revoked_at);
      return step_reset (self, STMT_API_KEY_PUT, error);

    case USDTPAY_OP_IDEMPOTENCY_PUT:
      {
        gsize length = 0;
        gconstpointer data = g_bytes_get_data (op->idempotency.response, &length);

        stmt = self->stmts[STMT_IDEMPOTENCY_PUT];
        sqlite3_bind_text (stmt, 1, op->idempotency.shop, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, op->idempotency.key, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, op->idempotency.body_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 4, op->idempotency.status);
        sqlite3_bind_blob (stmt, 5, data, length, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 6, op->idempotency.created_at);
        return step_reset (self, STMT_IDEMPOTENCY_PUT, error);
      }

    case USDTPAY_OP_META_PUT:
      stmt = self->stmts[STMT_META_PUT];
      sqlite3_bind_text (stmt, 1, op->meta.key, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, op->meta.value, -1, SQLITE_STATIC);
      return step_reset (self, STMT_META_PUT, error);

    case USDTPAY_OP_WEBHOOK_PUT:
      stmt = self->stmts[STMT_WEBHOOK_PUT];
      sqlite3_bind_text (stmt, 1, op->webhook.shop, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, op->webhook.url, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, op->webhook.secret, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, op->webhook.updated_at);
      return step_reset (self, STMT_WEBHOOK_PUT, error);

    case USDTPAY_OP_DELIVERY_PUT:
      {
        gsize length = 0;
        gconstpointer data = g_bytes_get_data (op->delivery.body, &length);

        stmt = self->stmts[STMT_DELIVERY_PUT];
        sqlite3_bind_int64 (stmt, 1, op->delivery.id);
        sqlite3_bind_text (stmt, 2, op->delivery.shop, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, op->delivery.event_id, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 4, op->delivery.event_type, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 5, op->delivery.order_id, -1, SQLITE_STATIC);
        sqlite3_bind_blob (stmt, 6, data, length, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 7, op->delivery.state, -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 8, op->delivery.attempts);
        sqlite3_bind_int64 (stmt, 9, op->delivery.next_attempt_at);
        sqlite3_bind_int64 (stmt, 10, op->delivery.created_at);
        sqlite3_bind_int64 (stmt, 11, op->delivery.updated_at);
        return step_reset (self, STMT_DELIVERY_PUT, error);
      }

    case USDTPAY_OP_DELIVERY_ATTEMPT:
      stmt = self->stmts[STMT_ATTEMPT_ADD];
      sqlite3_bind_int64 (stmt, 1, op->attempt.delivery_id);
      sqlite3_bind_int (stmt, 2, op->attempt.n);
      sqlite3_bind_int64 (stmt, 3, op->attempt.at);
      if (op->attempt.status != 0)
        sqlite3_bind_int (stmt, 4, op->attempt.status);
      sqlite3_bind_int64 (stmt, 5, op->attempt.duration_ms);
      sqlite3_bind_text (stmt, 6, op->attempt.error, -1, SQLITE_STATIC);
      return step_reset (self, STMT_ATTEMPT_ADD, error);
    case USDTPAY_OP_RECEIPT_PUT:
      stmt = self->stmts[STMT_RECEIPT_PUT];
      sqlite3_bind_text (stmt, 1, op->receipt.order_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, op->receipt.seq);
      sqlite3_bind_text (stmt, 3, op->receipt.key_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, op->receipt.text, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, op->receipt.signature, -1, SQLITE_STATIC);
      return step_reset (self, STMT_RECEIPT_PUT, error);
    case USDTPAY_OP_CHAIN_PUT:
      stmt = self->stmts[STMT_CHAIN_PUT];
      sqlite3_bind_text (stmt, 1, op->chain.kind, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, op->chain.id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, op->chain.owner, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, op->chain.state, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, op->chain.tx_hash, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 6, op->chain.log_index);
      sqlite3_bind_int64 (stmt, 7, op->chain.amount);
      sqlite3_bind_text (stmt, 8, op->chain.data, -1, SQLITE_STATIC);
      return step_reset (self, STMT_CHAIN_PUT, error);
    case USDTPAY_OP_PURGE:
      return apply_purge (self, op, error);

    default:
      g_assert_not_reached ();
    }
}

static void
job_free (Job *job)
{
  g_clear_pointer (&job->batch, usdtpay_batch_free);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_free (job);
}

static gboolean
group_report_cb (gpointer data)
{
  Group *group = data;

  for (guint i = 0; i < group->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (group->jobs, i);

      if (job->done != NULL)
        job->done (group->error, job->user_data);
    }

  return G_SOURCE_REMOVE;
}

static void
group_free (gpointer data)
{
  Group *group = data;

  g_ptr_array_unref (group->jobs);
  g_clear_error (&group->error);
  g_free (group);
}

static gboolean
commit_group (UsdtpaySqliteStore  *self,
              GPtrArray           *jobs,
              GError             **error)
{
  if (!exec_sql (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;

  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      guint n_ops = usdtpay_batch_get_n_ops (job->batch);

      for (guint j = 0; j < n_ops; j++)
        {
          if (!apply_op (self, usdtpay_batch_get_op (job->batch, j), error))
            {
              exec_sql (self->db, "ROLLBACK", NULL);
              return FALSE;
            }
        }
    }

  return exec_sql (self->db, "COMMIT", error);
}

/* Always through a source attached to the submitter's context: while no
 * thread owns that context, g_main_context_invoke() would run the report
 * here, in the writer, and a submitter about to block in
 * g_main_context_iteration() (the admin command, the store's close) would
 * never be woken for it. Attaching wakes the context. */
static void
attach_group_report (GMainContext *context,
                     Group        *group)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, group_report_cb, group, group_free);
  g_source_set_static_name (source, "[usdtpay] commit group report");
  g_source_attach (source, context);
  g_source_unref (source);
}

static void
report_group (GPtrArray    *jobs,
              const GError *error)
{
  /* Jobs from one submitter share its context; report each run of them with
   * one idle, so callbacks keep submission order. */
  guint start = 0;

  while (start < jobs->len)
    {
      Job *first = g_ptr_array_index (jobs, start);
      Group *group = g_new0 (Group, 1);
      guint end = start;

      group->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)job_free);
      while (end < jobs->len && ((Job *)g_ptr_array_index (jobs, end))->context == first->context)
        {
          g_ptr_array_add (group->jobs, g_ptr_array_index (jobs, end));
          jobs->pdata[end] = NULL;
          end++;
        }
      group->error = error ? g_error_copy (error) : NULL;
      attach_group_report (first->context, group);
      start = end;
    }
}

static gpointer
writer_thread (gpointer data)
{
  UsdtpaySqliteStore *self = data;
  gboolean stop = FALSE;

  while (!stop)
    {
      g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
      g_autoptr(GError) error = NULL;
      Job *job = g_async_queue_pop (self->queue);

      /* Everything that queued up while the last group was syncing goes
       * into this one transaction. */
      do
        {
          if (job->stop)
            {
              stop = TRUE;
              job_free (job);
            }
          else
            g_ptr_array_add (jobs, job);
        }
      while (!stop && (job = g_async_queue_try_pop (self->queue)) != NULL);

      if (jobs->len == 0)
        continue;

      if (self->failure == NULL)
        {
          gint64 started = g_get_monotonic_time ();

          if (!commit_group (self, jobs, &error))
            {
              g_critical ("Could not commit %u requests: %s", jobs->len, error->message);
              self->failure = g_error_copy (error);
            }
          self->commit_usec += g_get_monotonic_time () - started;
          self->n_groups++;
          self->n_batches += jobs->len;
        }

      report_group (jobs, self->failure);
    }

  return NULL;
}

static void
usdtpay_sqlite_store_submit (UsdtpayStore         *store,
                             UsdtpayBatch         *batch,
                             UsdtpayStoreDoneFunc  done,
                             gpointer              user_data)
{
  UsdtpaySqliteStore *self = USDTPAY_SQLITE_STORE (store);
  Job *job = g_new0 (Job, 1);

  g_return_if_fail (self->queue != NULL);

  job->batch = batch;
  job->done = done;
  job->user_data = user_data;
  job->context = g_main_context_ref_thread_default ();
  g_async_queue_push (self->queue, job);
}

static void
usdtpay_sqlite_store_close (UsdtpayStore *store)
{
  UsdtpaySqliteStore *self = USDTPAY_SQLITE_STORE (store);
  Job *job;

  if (self->writer == NULL)
    return;

  job = g_new0 (Job, 1);
  job->stop = TRUE;
  g_async_queue_push (self->queue, job);
  g_thread_join (g_steal_pointer (&self->writer));

  g_mutex_lock (&self->checkpoint_mutex);
  self->checkpoint_stop = TRUE;
  g_cond_signal (&self->checkpoint_cond);
  g_mutex_unlock (&self->checkpoint_mutex);
  if (self->checkpointer != NULL)
    g_thread_join (g_steal_pointer (&self->checkpointer));
  if (self->n_groups > 0)
    g_debug ("Wrote %" G_GUINT64_FORMAT " requests in %" G_GUINT64_FORMAT " groups "
               "(%.1f a group, %.2f ms a commit)",
               self->n_batches, self->n_groups, (double)self->n_batches / self->n_groups,
               self->commit_usec / 1000.0 / self->n_groups);

  /* Run the last reports before the connection goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
usdtpay_sqlite_store_is_dev (UsdtpayStore *store)
{
  return USDTPAY_SQLITE_STORE (store)->dev;
}

static UsdtpayOp *
op_new (UsdtpayOpKind kind)
{
  UsdtpayOp *op = g_new0 (UsdtpayOp, 1);

  op->kind = kind;

  return op;
}

static void
op_free (gpointer data)
{
  usdtpay_op_clear (data);
  g_free (data);
}

static void
principal_record_free (gpointer data)
{
  usdtpay_principal_record_clear (data);
  g_free (data);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, column));
}

static gboolean
load_rows (sqlite3      *db,
           const char   *sql,
           gint64        bind,
           gboolean    (*row) (sqlite3_stmt *stmt, gpointer user_data, GError **error),
           gpointer      user_data,
           GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, sql);
  if (bind != G_MININT64)
    sqlite3_bind_int64 (stmt, 1, bind);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!row (stmt, user_data, error))
        {
          sqlite3_finalize (stmt);
          return FALSE;
        }
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, db, sql);

  return TRUE;
}

static gboolean
meta_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  g_hash_table_insert (user_data, column_dup (stmt, 0), column_dup (stmt, 1));
  return TRUE;
}

static gboolean
principal_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayPrincipalRecord *record = g_new0 (UsdtpayPrincipalRecord, 1);

  record->name = column_dup (stmt, 0);
  if (!usdtpay_role_from_string ((const char *)sqlite3_column_text (stmt, 1), &record->role))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "principal %s has an unknown role",
                   record->name);
      principal_record_free (record);
      return FALSE;
    }
  record->password_hash = column_dup (stmt, 2);
  record->settings = column_dup (stmt, 3);
  record->suspended = sqlite3_column_int (stmt, 4) != 0;
  record->last_matched_at = sqlite3_column_int64 (stmt, 5);
  record->created_at = sqlite3_column_int64 (stmt, 6);
  g_ptr_array_add (user_data, record);

  return TRUE;
}

static gboolean
api_key_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_API_KEY_PUT);

  op->api_key.hash = column_dup (stmt, 0);
  op->api_key.principal = column_dup (stmt, 1);
  op->api_key.prefix = column_dup (stmt, 2);
  op->api_key.scopes = column_dup (stmt, 3);
  op->api_key.created_at = sqlite3_column_int64 (stmt, 4);
  op->api_key.revoked_at = sqlite3_column_int64 (stmt, 5);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
session_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_SESSION_PUT);

  op->session.hash = column_dup (stmt, 0);
  op->session.principal = column_dup (stmt, 1);
  op->session.expires_at = sqlite3_column_int64 (stmt, 2);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
order_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  const char *data = (const char *)sqlite3_column_blob (stmt, 0);
  int length = sqlite3_column_bytes (stmt, 0);
  g_autoptr(JsonObject) object = NULL;
  UsdtpayOp *op;

  object = usdtpay_json_parse_object (data, length, error);
  if (object == NULL)
    return FALSE;

  op = op_new (USDTPAY_OP_ORDER_PUT);
  op->order.order = usdtpay_order_from_json (object, error);
  op->order.held = sqlite3_column_int64 (stmt, 1);
  if (op->order.order == NULL)
    {
      op_free (op);
      return FALSE;
    }
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
idempotency_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_IDEMPOTENCY_PUT);

  op->idempotency.shop = column_dup (stmt, 0);
  op->idempotency.key = column_dup (stmt, 1);
  op->idempotency.body_hash = column_dup (stmt, 2);
  op->idempotency.status = sqlite3_column_int (stmt, 3);
  op->idempotency.response = g_bytes_new (sqlite3_column_blob (stmt, 4), sqlite3_column_bytes (stmt, 4));
  op->idempotency.created_at = sqlite3_column_int64 (stmt, 5);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
chain_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_CHAIN_PUT);

  op->chain.kind = column_dup (stmt, 0);
  op->chain.id = column_dup (stmt, 1);
  op->chain.owner = column_dup (stmt, 2);
  op->chain.state = column_dup (stmt, 3);
  op->chain.tx_hash = column_dup (stmt, 4);
  op->chain.log_index = sqlite3_column_int64 (stmt, 5);
  op->chain.amount = sqlite3_column_int64 (stmt, 6);
  op->chain.data = column_dup (stmt, 7);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
balance_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  g_hash_table_insert (user_data, column_dup (stmt, 0),
                       g_memdup2 (&(gint64){ sqlite3_column_int64 (stmt, 1) }, sizeof (gint64)));
  return TRUE;
}

static gboolean
webhook_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_WEBHOOK_PUT);

  op->webhook.shop = column_dup (stmt, 0);
  op->webhook.url = column_dup (stmt, 1);
  op->webhook.secret = column_dup (stmt, 2);
  op->webhook.updated_at = sqlite3_column_int64 (stmt, 3);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
delivery_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_DELIVERY_PUT);

  op->delivery.id = sqlite3_column_int64 (stmt, 0);
  op->delivery.shop = column_dup (stmt, 1);
  op->delivery.event_id = column_dup (stmt, 2);
  op->delivery.event_type = column_dup (stmt, 3);
  op->delivery.order_id = column_dup (stmt, 4);
  op->delivery.body = g_bytes_new (sqlite3_column_blob (stmt, 5), sqlite3_column_bytes (stmt, 5));
  op->delivery.state = column_dup (stmt, 6);
  op->delivery.attempts = sqlite3_column_int (stmt, 7);
  op->delivery.next_attempt_at = sqlite3_column_int64 (stmt, 8);
  op->delivery.created_at = sqlite3_column_int64 (stmt, 9);
  op->delivery.updated_at = sqlite3_column_int64 (stmt, 10);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

static gboolean
attempt_row (sqlite3_stmt *stmt, gpointer user_data, GError **error)
{
  UsdtpayOp *op = op_new (USDTPAY_OP_DELIVERY_ATTEMPT);

  op->attempt.delivery_id = sqlite3_column_int64 (stmt, 0);
  op->attempt.n = sqlite3_column_int (stmt, 1);
  op->attempt.at = sqlite3_column_int64 (stmt, 2);
  op->attempt.status = sqlite3_column_int (stmt, 3);
  op->attempt.duration_ms = sqlite3_column_int64 (stmt, 4);
  op->attempt.error = column_dup (stmt, 5);
  g_ptr_array_add (user_data, op);

  return TRUE;
}

/* Every pending delivery and each shop's most recent ones. */
#define RECENT_DELIVERIES_SQL \
  "SELECT id FROM (SELECT id, state, row_number () OVER (PARTITION BY shop ORDER BY id DESC) AS r" \
  " FROM webhook_deliveries) WHERE state = 'pending' OR r <= " G_STRINGIFY (USDTPAY_STORE_RECENT_DELIVERIES)

static gboolean
load_webhooks (UsdtpaySqliteStore    *self,
               UsdtpayStoreSnapshot  *snapshot,
               GError               **error)
{
  snapshot->webhooks = g_ptr_array_new_with_free_func (op_free);
  snapshot->deliveries = g_ptr_array_new_with_free_func (op_free);
  snapshot->attempts = g_ptr_array_new_with_free_func (op_free);

  if (!load_rows (self->db, "SELECT shop, url, secret, updated_at FROM webhooks", G_MININT64,
                  webhook_row, snapshot->webhooks, error) ||
      !load_rows (self->db,
                  "SELECT id, shop, event_id, event_type, order_id, body, state, attempts,"
                  " next_attempt_at, created_at, updated_at FROM webhook_deliveries"
                  " WHERE id IN (" RECENT_DELIVERIES_SQL ") ORDER BY id",
                  G_MININT64, delivery_row, snapshot->deliveries, error) ||
      !load_rows (self->db,
                  "SELECT delivery_id, n, at, status, duration_ms, error FROM webhook_attempts"
                  " WHERE delivery_id IN (" RECENT_DELIVERIES_SQL ") ORDER BY delivery_id, n",
                  G_MININT64, attempt_row, snapshot->attempts, error))
    return FALSE;

  /* The newest delivery may have been purged (usdtpay-retention.c). */
  snapshot->last_delivery_id = query_int (self->db,
                                          "SELECT max(coalesce((SELECT max(id) FROM webhook_deliveries), 0),"
                                          " coalesce((SELECT CAST(value AS INTEGER) FROM meta"
                                          " WHERE key = 'webhooks.last_delivery_id'), 0))");

  return TRUE;
}

#define CHECKPOINT_INTERVAL_USEC (G_USEC_PER_SEC / 2)

static gpointer
checkpoint_thread (gpointer data)
{
  UsdtpaySqliteStore *self = data;
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_warning ("Could not open a connection for checkpoints: %s", db ? sqlite3_errmsg (db) : "");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 1000);

  g_mutex_lock (&self->checkpoint_mutex);
  while (!self->checkpoint_stop)
    {
      gint64 deadline = g_get_monotonic_time () + CHECKPOINT_INTERVAL_USEC;
      int log_frames = 0, checkpointed = 0;

      while (!self->checkpoint_stop && g_cond_wait_until (&self->checkpoint_cond, &self->checkpoint_mutex, deadline))
        ;
      if (self->checkpoint_stop)
        break;

      g_mutex_unlock (&self->checkpoint_mutex);
      /* PASSIVE: copy what no reader needs, never wait for the writer. */
      if (sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed) != SQLITE_OK &&
          sqlite3_errcode (db) != SQLITE_BUSY)
        g_warning ("Checkpoint failed: %s", sqlite3_errmsg (db));
      g_mutex_lock (&self->checkpoint_mutex);
    }
  g_mutex_unlock (&self->checkpoint_mutex);

  /* A last full checkpoint once the writer has stopped keeps the WAL short
   * for the next start. */
  sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  sqlite3_close (db);

  return NULL;
}

static UsdtpayStoreSnapshot *
usdtpay_sqlite_store_load (UsdtpayStore  *store,
                           gint64         now,
                           GError       **error)
{
  UsdtpaySqliteStore *self = USDTPAY_SQLITE_STORE (store);
  UsdtpayStoreSnapshot *snapshot = g_new0 (UsdtpayStoreSnapshot, 1);
  /* Keys are kept at least 24 h; older ones are not loaded. */
  gint64 idempotency_horizon = now - G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC;

  g_return_val_if_fail (self->writer == NULL, NULL);

  snapshot->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  snapshot->principals = g_ptr_array_new_with_free_func (principal_record_free);
  snapshot->api_keys = g_ptr_array_new_with_free_func (op_free);
  snapshot->sessions = g_ptr_array_new_with_free_func (op_free);
  snapshot->orders = g_ptr_array_new_with_free_func (op_free);
  snapshot->idempotency = g_ptr_array_new_with_free_func (op_free);
  snapshot->balances = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  snapshot->chain_records = g_ptr_array_new_with_free_func (op_free);

  if (!load_rows (self->db, "SELECT key, value FROM meta", G_MININT64, meta_row, snapshot->meta, error) ||
      !load_rows (self->db,
                  "SELECT name, role, password_hash, settings, suspended, last_matched_at, created_at"
                  " FROM principals ORDER BY created_at, name",
                  G_MININT64, principal_row, snapshot->principals, error) ||
      !load_rows (self->db,
                  "SELECT hash, principal, prefix, scopes, created_at, revoked_at FROM api_keys",
                  G_MININT64, api_key_row, snapshot->api_keys, error) ||
      !load_rows (self->db, "SELECT hash, principal, expires_at FROM sessions WHERE expires_at > ?1",
                  now, session_row, snapshot->sessions, error) ||
      !load_rows (self->db, "SELECT data, held FROM orders ORDER BY created_at, rowid", G_MININT64,
                  order_row, snapshot->orders, error) ||
      /* The index of the keys only: answers stay on disk until asked for. */
      !load_rows (self->db,
                  "SELECT shop, key, body_hash, status, x'', created_at FROM idempotency"
                  " WHERE created_at > ?1",
                  idempotency_horizon, idempotency_row, snapshot->idempotency, error) ||
      !load_rows (self->db, "SELECT name, balance FROM accounts", G_MININT64, balance_row,
                  snapshot->balances, error) ||
      !load_webhooks (self, snapshot, error) ||
      !load_rows (self->db,
                  "SELECT kind, id, owner, state, tx_hash, log_index, amount, data FROM chain_records"
                  " ORDER BY rowid",
                  G_MININT64, chain_row, snapshot->chain_records, error))
    {
      usdtpay_store_snapshot_free (snapshot);
      return NULL;
    }

  snapshot->head_seq = query_int (self->db, "SELECT coalesce(max(seq), 0) FROM events");
  snapshot->last_transfer_id = query_int (self->db, "SELECT coalesce(max(id), 0) FROM transfers");

  /* From here on the writer thread owns the connection. */
  self->queue = g_async_queue_new ();
  self->writer = g_thread_new ("usdtpay-writer", writer_thread, self);
  self->checkpointer = g_thread_new ("usdtpay-checkpoint", checkpoint_thread, self);

  return snapshot;
}

static sqlite3 *
open_reader (const char  *path,
             GError     **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "open a reader");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);

  return db;
}

static GPtrArray *
usdtpay_sqlite_store_read_events (UsdtpayStore  *store,
                                  const char    *principal,
                                  gint64         after,
                                  gint64         until,
                                  guint          limit,
                                  GError       **error)
{
  UsdtpaySqliteStore *self = USDTPAY_SQLITE_STORE (store);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  const char *sql;
  int rc;

  if (!(db = open_reader (self->path, error)))
    return NULL;

  if (principal != NULL)
    sql = "SELECT e.body FROM event_audience a JOIN events e ON e.seq = a.seq"
          " WHERE a.principal = ?4 AND a.seq > ?1 AND a.seq <= ?2 ORDER BY a.seq LIMIT ?3";
  else
    sql = "SELECT body FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3";

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, sql);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, until);
  sqlite3_bind_int64 (stmt, 3, limit);
  if (principal != NULL)
    sqlite3_bind_text (stmt, 4, principal, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (events, g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0)));

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db, sql);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_close (db);

  return g_steal_pointer (&events);
}

typedef struct
{
  const char *what;
  const char *sql;   /* each row is one finding: a label and two numbers */
} Check;

static const Check checks[] = {
  { "account balance disagrees with its entries (stored, recomputed)",
    "SELECT a.name, a.balance, coalesce(sum(e.amount), 0) AS total FROM accounts a"
    " LEFT JOIN entries e ON e.account = a.name GROUP BY a.name HAVING a.balance != total"
    " UNION ALL SELECT e.account, 0, sum(e.amount) FROM entries e"
    " WHERE e.account NOT IN (SELECT name FROM accounts) GROUP BY e.account" },
  { "transfer does not sum to zero (transfer, sum, entries)",
    "SELECT transfer_id, sum(amount), count(*) FROM entries GROUP BY transfer_id"
    " HAVING sum(amount) != 0" },
  { "transfer without entries (transfer, 0, 0)",
    "SELECT t.id, 0, 0 FROM transfers t WHERE NOT EXISTS"
    " (SELECT 1 FROM entries e WHERE e.transfer_id = t.id)" },
  { "account below zero (account, balance, 0)",
    "SELECT name, balance, 0 FROM accounts WHERE balance < 0 AND name != 'chain'" },
  { "event log is not gap-free (first seq, last seq, count)",
    "SELECT 'events', coalesce(min(seq), 1), count(*) FROM events"
    " HAVING count(*) > 0 AND (min(seq) != 1 OR max(seq) != count(*))" },
  { "merchant's frozen escrow disagrees with its open orders (merchant, frozen, held)",
    "SELECT p.name, coalesce((SELECT balance FROM accounts WHERE name = 'merchant:' || p.name || ':frozen'), 0) AS frozen,"
    " coalesce(h.held, 0) AS held"
    " FROM principals p LEFT JOIN (SELECT merchant, sum(held) AS held FROM orders WHERE held != 0"
    " GROUP BY merchant) h ON h.merchant = p.name"
    " WHERE p.role = 'merchant' AND frozen != held" },
  { "escrow held by an order that is not open (order, held, 0)",
    "SELECT id, held, 0 FROM orders WHERE held != 0 AND state NOT IN ('matched', 'paid', 'disputed')" },
  { "order event references an unknown order (seq, 0, 0)",
    "SELECT seq, 0, 0 FROM events WHERE order_id IS NOT NULL AND order_id NOT IN (SELECT id FROM orders)" },
  { "deposits booked disagree with their ledger transfers (what, transfers, deposits)",
    "SELECT 'deposit', (SELECT count(*) FROM transfers WHERE kind = 'deposit') AS t,"
    " (SELECT count(*) FROM chain_records WHERE kind = 'deposit' AND state NOT IN ('seen', 'dropped')) AS d"
    " WHERE t != d" },
  { "unattributed account disagrees with its deposits (account, balance, deposits)",
    "SELECT 'unattributed', coalesce((SELECT balance FROM accounts WHERE name = 'unattributed'), 0) AS b,"
    " coalesce((SELECT sum(amount) FROM chain_records WHERE kind = 'deposit' AND state = 'unattributed'), 0) AS d"
    " WHERE b != d" },
  { "pending withdrawals disagree with their account (account, balance, withdrawals)",
    "SELECT 'withdrawals:pending', coalesce((SELECT balance FROM accounts WHERE name = 'withdrawals:pending'), 0) AS b,"
    " coalesce((SELECT sum(amount) FROM chain_records WHERE kind = 'withdrawal'"
    " AND state IN ('requested', 'sent')), 0) AS w WHERE b != w" },
  { "webhook attempts without their delivery (delivery, attempts, 0)",
    "SELECT delivery_id, count(*), 0 FROM webhook_attempts"
    " WHERE delivery_id NOT IN (SELECT id FROM webhook_deliveries) GROUP BY delivery_id" },
};

static gboolean
usdtpay_sqlite_store_check (UsdtpayStore  *store,
                            GString       *report,
                            GError       **error)
{
  UsdtpaySqliteStore *self = USDTPAY_SQLITE_STORE (store);
  guint findings = 0;
  sqlite3 *db;

  if (!(db = open_reader (self->path, error)))
    return FALSE;

  /* One read transaction, so every check sees the same state. */
  exec_sql (db, "BEGIN", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      sqlite3_stmt *stmt = NULL;

      if (sqlite3_prepare_v2 (db, checks[i].sql, -1, &stmt, NULL) != SQLITE_OK)
        {
          set_sqlite_error (error, db, checks[i].what);
          sqlite3_close (db);
          return FALSE;
        }
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_string_append_printf (report, "%s: %s, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "\n",
                                  checks[i].what, (const char *)sqlite3_column_text (stmt, 0),
                                  (gint64)sqlite3_column_int64 (stmt, 1),
                                  (gint64)sqlite3_column_int64 (stmt, 2));
          findings++;
        }
      sqlite3_finalize (stmt);
    }

  if (!self->dev)
    {
      gint64 credits = query_int (db, "SELECT count(*) FROM transfers WHERE kind = 'credit'");

      if (credits > 0)
        {
          g_string_append_printf (report,
                                  "%" G_GINT64_FORMAT " dev-mode credits on a production database\n",
                                  credits);
          findings++;
        }
    }

  g_string_append_printf (report, "%" G_GINT64_FORMAT " orders, %" G_GINT64_FORMAT " events, %"
                          G_GINT64_FORMAT " transfers, %" G_GINT64_FORMAT " accounts checked\n",
                          query_int (db, "SELECT count(*) FROM orders"),
                          query_int (db, "SELECT count(*) FROM events"),
                          query_int (db, "SELECT count(*) FROM transfers"),
                          query_int (db, "SELECT count(*) FROM accounts"));
  exec_sql (db, "COMMIT", NULL);
  sqlite3_close (db);

  return findings == 0;
}

static GBytes *
usdtpay_sqlite_store_read_idempotency (UsdtpayStore  *store,
                                      const char    *shop,
                                      const char    *key,
                                      guint         *status,
                                      GError       **error)
{
  UsdtpaySqliteStore *self = USDTPAY_SQLITE_STORE (store);
  static const char sql[] = "SELECT status, response FROM idempotency WHERE shop = ?1 AND key = ?2";
  sqlite3_stmt *stmt = NULL;
  GBytes *response = NULL;
  sqlite3 *db;
  int rc;

  if (!(db = open_reader (self->path, error)))
    return NULL;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, sql);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, shop, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *status = sqlite3_column_int (stmt, 0);
      response = g_bytes_new (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
    }
  else if (rc == SQLITE_DONE)
    g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND, "no answer is kept for that key");
  else
    set_sqlite_error (error, db, sql);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return response;
}

static void
usdtpay_sqlite_store_finalize (GObject *object)
{
  UsdtpaySqliteStore *self = (UsdtpaySqliteStore *)object;

  usdtpay_sqlite_store_close (USDTPAY_STORE (self));

  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  sqlite3_close (self->db);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_error (&self->failure);
  g_mutex_clear (&self->checkpoint_mutex);
  g_cond_clear (&self->checkpoint_cond);
  g_free (self->path);

  G_OBJECT_CLASS (usdtpay_sqlite_store_parent_class)->finalize (object);
}

static void
store_iface_init (UsdtpayStoreInterface *iface)
{
  iface->is_dev = usdtpay_sqlite_store_is_dev;
  iface->load = usdtpay_sqlite_store_load;
  iface->submit = usdtpay_sqlite_store_submit;
  iface->read_events = usdtpay_sqlite_store_read_events;
  iface->read_idempotency = usdtpay_sqlite_store_read_idempotency;
  iface->check = usdtpay_sqlite_store_check;
  iface->close = usdtpay_sqlite_store_close;
}

static void
usdtpay_sqlite_store_class_init (UsdtpaySqliteStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_sqlite_store_finalize;
}

static void
usdtpay_sqlite_store_init (UsdtpaySqliteStore *self)
{
  g_mutex_init (&self->checkpoint_mutex);
  g_cond_init (&self->checkpoint_cond);
}

UsdtpaySqliteStore *
usdtpay_sqlite_store_open (const char  *path,
                           gboolean     dev,
                           GError     **error)
{
  g_autoptr(UsdtpaySqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "libsodium could not start");
      return NULL;
    }

  self = g_object_new (USDTPAY_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);

  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       usdtpay_wal_vfs_get_name ()) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "cannot open %s: %s", path,
                   self->db ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);

  /* WAL with synchronous=FULL: a commit is on disk when COMMIT returns. */
  if (!exec_sql (self->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                 " PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 0;", error) ||
      !migrate (self->db, error) ||
      !settle_dev_flag (self, dev, error))
    return NULL;

  for (guint i = 0; i < N_STMTS; i++)
    {
      if (sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[i],
                              NULL) != SQLITE_OK)
        {
          set_sqlite_error (error, self->db, stmt_sql[i]);
          return NULL;
        }
    }

  return g_steal_pointer (&self);
}
