/* usdtpay-receipts.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-receipts"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#include "usdtpay-receipts.h"

#define KEY_FILE_MAX   (1024 * 1024)
#define KEY_ID_DIGITS  16
#define EVENTS_MAX     1000

struct _UsdtpayReceipts
{
  GObject        parent_instance;

  char          *db;
  char          *key_path;
  UsdtpayKeySet *key_set;
  GBytes        *key_set_json;
  char          *key_id;
  guint8         secret_key[USDTPAY_ED25519_SECRET_KEY_SIZE];
};

G_DEFINE_FINAL_TYPE (UsdtpayReceipts, usdtpay_receipts, G_TYPE_OBJECT)

char *
usdtpay_receipts_key_path (const char *db)
{
  g_return_val_if_fail (db != NULL, NULL);

  return g_strconcat (db, ".signing-key", NULL);
}

static void
refresh_key_set (UsdtpayReceipts *self)
{
  const UsdtpayPlatformKey *last = g_ptr_array_index (self->key_set->keys, self->key_set->keys->len - 1);
  gsize length = 0;
  char *json = usdtpay_key_set_to_json (self->key_set, &length);

  g_clear_pointer (&self->key_set_json, g_bytes_unref);
  self->key_set_json = g_bytes_new_take (json, length);
  g_free (self->key_id);
  self->key_id = g_strdup (last->id);
}

static char *
key_id_for (const guint8 *public_key)
{
  char *hex = usdtpay_receipt_hex_encode (public_key, USDTPAY_ED25519_PUBLIC_KEY_SIZE);

  hex[KEY_ID_DIGITS] = '\0';
  return hex;
}

/* Writes @set and @secret_key's seed to the key file: a temporary file with
 * mode 0600, synced, then renamed over the old one. */
static gboolean
write_key_file (const char          *path,
                const UsdtpayKeySet *set,
                const guint8        *secret_key,
                GError             **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  g_autofree char *json = NULL;
  g_autofree char *dir = NULL;
  char seed_hex[USDTPAY_ED25519_SEED_SIZE * 2 + 1];
  GString *text;
  gsize length = 0, done = 0;
  gboolean ok = TRUE;
  int saved_errno = 0;
  int fd;

  json = usdtpay_key_set_to_json (set, &length);
  sodium_bin2hex (seed_hex, sizeof seed_hex, secret_key, USDTPAY_ED25519_SEED_SIZE);
  text = g_string_sized_new (length + 80);
  g_string_append_len (text, json, length - 1);
  g_string_append (text, ",\"seed\":\"");
  g_string_append (text, seed_hex);
  g_string_append (text, "\"}\n");
  sodium_memzero (seed_hex, sizeof seed_hex);

  if ((fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600)) < 0)
    {
      saved_errno = errno;
      ok = FALSE;
    }
  while (ok && done < text->len)
    {
      ssize_t n = write (fd, text->str + done, text->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          ok = FALSE;
        }
      else
        done += n;
    }
  if (ok && fsync (fd) != 0)
    {
      saved_errno = errno;
      ok = FALSE;
    }
  if (fd >= 0 && close (fd) != 0 && ok)
    {
      saved_errno = errno;
      ok = FALSE;
    }
  if (ok && g_rename (tmp, path) != 0)
    {
      saved_errno = errno;
      ok = FALSE;
    }
  sodium_memzero (text->str, text->len);
  g_string_free (text, TRUE);

  if (!ok)
    {
      if (fd >= 0)
        g_unlink (tmp);
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "cannot write the key file %s: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }

  /* The rename is durable once the directory is. */
  dir = g_path_get_dirname (path);
  if ((fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
    {
      fsync (fd);
      close (fd);
    }

  return TRUE;
}

/* Reads the key file, refusing one that others may read or write. Returns
 * FALSE with G_IO_ERROR_NOT_FOUND when there is none. */
static gboolean
read_key_file (UsdtpayReceipts  *self,
               GError          **error)
{
  g_autoptr(UsdtpayKeySet) set = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  guint8 seed[USDTPAY_ED25519_SEED_SIZE];
  guint8 public_key[USDTPAY_ED25519_PUBLIC_KEY_SIZE];
  const UsdtpayPlatformKey *last;
  const char *seed_hex = NULL;
  struct stat st;
  char *data;
  gsize length = 0;
  gboolean ok = FALSE;
  int fd;

  if ((fd = open (self->key_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot open the key file %s: %s", self->key_path, g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > KEY_FILE_MAX)
    {
      close (fd);
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL,
                   "the key file %s is not a regular file of a sane size", self->key_path);
      return FALSE;
    }
  if (st.st_uid != geteuid () || (st.st_mode & 077) != 0)
    {
      close (fd);
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL,
                   "the key file %s is readable or writable by others (mode %04o, owner %u): "
                   "it must be the platform user's with mode 0600",
                   self->key_path, (guint)(st.st_mode & 07777), (guint)st.st_uid);
      return FALSE;
    }

  data = g_malloc (st.st_size + 1);
  while (length < (gsize)st.st_size)
    {
      ssize_t n = read (fd, data + length, st.st_size - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      length += n;
    }
  close (fd);
  data[length] = '\0';

  if ((set = usdtpay_key_set_parse (data, length, &local_error)) != NULL &&
      usdtpay_key_set_verify (set, &local_error) &&
      (object = usdtpay_json_parse_object (data, length, &local_error)) != NULL &&
      usdtpay_json_get_string (object, "seed", FALSE, &seed_hex, &local_error))
    {
      if (!usdtpay_receipt_hex_decode (seed_hex, seed, sizeof seed))
        local_error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "the seed is not 64 hex digits");
      else
        {
          crypto_sign_seed_keypair (public_key, self->secret_key, seed);
          last = g_ptr_array_index (set->keys, set->keys->len - 1);
          if (memcmp (public_key, last->public_key, sizeof public_key) != 0)
            local_error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                                               "the seed is not the last key's");
          else
            ok = TRUE;
        }
    }
  sodium_memzero (seed, sizeof seed);
  g_clear_pointer (&object, json_object_unref);
  sodium_memzero (data, length);
  g_free (data);

  if (!ok)
    {
      sodium_memzero (self->secret_key, sizeof self->secret_key);
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "the key file %s is not valid: %s",
                   self->key_path, local_error->message);
      return FALSE;
    }

  self->key_set = g_steal_pointer (&set);
  refresh_key_set (self);

  return TRUE;
}

UsdtpayReceipts *
usdtpay_receipts_open (const char  *db,
                       gint64       now,
                       GError     **error)
{
  g_autoptr(UsdtpayReceipts) self = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (db != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "libsodium could not start");
      return NULL;
    }

  self = g_object_new (USDTPAY_TYPE_RECEIPTS, NULL);
  self->db = g_strdup (db);
  self->key_path = usdtpay_receipts_key_path (db);

  if (read_key_file (self, &local_error))
    return g_steal_pointer (&self);
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* First start: a new key set of one key. */
  {
    g_autoptr(UsdtpayKeySet) set = usdtpay_key_set_new ();
    guint8 public_key[USDTPAY_ED25519_PUBLIC_KEY_SIZE];
    g_autofree char *id = NULL;

    crypto_sign_keypair (public_key, self->secret_key);
    id = key_id_for (public_key);
    if (!usdtpay_key_set_add (set, id, public_key, now, NULL, error) ||
        !write_key_file (self->key_path, set, self->secret_key, error))
      return NULL;
    self->key_set = g_steal_pointer (&set);
    refresh_key_set (self);
    g_message ("Created the platform signing key %s in %s", self->key_id, self->key_path);
  }

  return g_steal_pointer (&self);
}

const char *
usdtpay_receipts_get_key_id (UsdtpayReceipts *self)
{
  g_return_val_if_fail (USDTPAY_IS_RECEIPTS (self), NULL);

  return self->key_id;
}

GBytes *
usdtpay_receipts_get_key_set (UsdtpayReceipts *self)
{
  g_return_val_if_fail (USDTPAY_IS_RECEIPTS (self), NULL);

  return g_bytes_ref (self->key_set_json);
}

void
usdtpay_receipts_sign (UsdtpayReceipts    *self,
                       const UsdtpayOrder *order,
                       const char         *event,
                       gint64              seq,
                       gint64              signed_at,
                       UsdtpayBatch       *batch)
{
  g_autoptr(UsdtpayReceipt) receipt = NULL;
  g_autofree char *text = NULL;
  g_autofree char *signature = NULL;
  gsize length = 0;

  g_return_if_fail (USDTPAY_IS_RECEIPTS (self));
  g_return_if_fail (order != NULL && batch != NULL);

  /* About 50 µs of Ed25519: done inline, so the receipt is in the same
   * batch, and so the same transaction, as the change it attests. */
  receipt = usdtpay_receipt_new_for_order (order, event, seq, self->key_id, signed_at);
  text = usdtpay_receipt_encode (receipt, &length);
  signature = usdtpay_ed25519_sign_hex (self->secret_key, text, length);
  usdtpay_batch_put_receipt (batch, order->id, seq, self->key_id, text, signature);
}

char *
usdtpay_receipts_rotate (UsdtpayReceipts  *self,
                         gint64            now,
                         GError          **error)
{
  g_autoptr(UsdtpayKeySet) set = NULL;
  guint8 public_key[USDTPAY_ED25519_PUBLIC_KEY_SIZE];
  guint8 secret_key[USDTPAY_ED25519_SECRET_KEY_SIZE];
  g_autofree char *id = NULL;
  const UsdtpayPlatformKey *last;

  g_return_val_if_fail (USDTPAY_IS_RECEIPTS (self), NULL);

  last = g_ptr_array_index (self->key_set->keys, self->key_set->keys->len - 1);
  crypto_sign_keypair (public_key, secret_key);
  id = key_id_for (public_key);
  set = usdtpay_key_set_copy (self->key_set);
  if (!usdtpay_key_set_add (set, id, public_key, MAX (now, last->valid_from), self->secret_key, error) ||
      !write_key_file (self->key_path, set, secret_key, error))
    {
      sodium_memzero (secret_key, sizeof secret_key);
      return NULL;
    }

  memcpy (self->secret_key, secret_key, sizeof secret_key);
  sodium_memzero (secret_key, sizeof secret_key);
  usdtpay_key_set_free (self->key_set);
  self->key_set = g_steal_pointer (&set);
  refresh_key_set (self);
  g_message ("Rotated the platform signing key: now %s", self->key_id);

  return g_strdup (self->key_id);
}

/* Reading back, in worker threads */

typedef struct
{
  char *db;
  char *order_id;
  char *principal;
} Read;

static void
read_free (gpointer data)
{
  Read *read = data;

  g_free (read->db);
  g_free (read->order_id);
  g_free (read->principal);
  g_free (read);
}

static sqlite3 *
open_reader (const char  *path,
             GError     **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "cannot read the database: %s",
                   db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);

  return db;
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "%s: %s", sql, sqlite3_errmsg (db));
      return NULL;
    }

  return stmt;
}

static void
lookup_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Read *read = task_data;
  GError *error = NULL;
  sqlite3_stmt *stmt;
  sqlite3 *db;
  int rc;

  if (!(db = open_reader (read->db, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!(stmt = prepare (db, "SELECT receipt, signature, key_id, seq FROM receipts"
                            " WHERE order_id = ?1 ORDER BY seq DESC LIMIT 1", &error)))
    {
      sqlite3_close (db);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_text (stmt, 1, read->order_id, -1, SQLITE_STATIC);

  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      GString *out = g_string_new ("{\"receipt\":");
      gsize length;

      usdtpay_json_append_string (out, (const char *)sqlite3_column_text (stmt, 0),
                                  sqlite3_column_bytes (stmt, 0));
      g_string_append (out, ",\"signature\":");
      usdtpay_json_append_string (out, (const char *)sqlite3_column_text (stmt, 1), -1);
      g_string_append (out, ",\"key_id\":");
      usdtpay_json_append_string (out, (const char *)sqlite3_column_text (stmt, 2), -1);
      g_string_append_printf (out, ",\"seq\":%" G_GINT64_FORMAT "}", (gint64)sqlite3_column_int64 (stmt, 3));
      length = out->len;
      g_task_return_pointer (task, g_bytes_new_take (g_string_free (out, FALSE), length),
                             (GDestroyNotify)g_bytes_unref);
    }
  else if (rc == SQLITE_DONE)
    g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_NOT_FOUND,
                             "order %s has no receipt", read->order_id);
  else
    g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL,
                             "cannot read receipts: %s", sqlite3_errmsg (db));

  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
events_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Read *read = task_data;
  GError *error = NULL;
  GString *out;
  sqlite3_stmt *stmt;
  sqlite3 *db;
  gsize length;
  guint n = 0;
  int rc;

  if (!(db = open_reader (read->db, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  stmt = prepare (db, read->principal == NULL
                      ? "SELECT body FROM events WHERE order_id = ?1 ORDER BY seq LIMIT ?3"
                      : "SELECT e.body FROM events e JOIN event_audience a"
                        " ON a.seq = e.seq AND a.principal = ?2"
                        " WHERE e.order_id = ?1 ORDER BY e.seq LIMIT ?3", &error);
  if (stmt == NULL)
    {
      sqlite3_close (db);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_text (stmt, 1, read->order_id, -1, SQLITE_STATIC);
  if (read->principal != NULL)
    sqlite3_bind_text (stmt, 2, read->principal, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, EVENTS_MAX);

  /* The stored bodies are the feed's compact JSON texts: copied as they are. */
  out = g_string_new ("{\"items\":[");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (n++ > 0)
        g_string_append_c (out, ',');
      g_string_append_len (out, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
    }
  g_string_append (out, "]}");

  if (rc != SQLITE_DONE)
    {
      g_string_free (out, TRUE);
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL,
                               "cannot read events: %s", sqlite3_errmsg (db));
    }
  else
    {
      length = out->len;
      g_task_return_pointer (task, g_bytes_new_take (g_string_free (out, FALSE), length),
                             (GDestroyNotify)g_bytes_unref);
    }

  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
run_read (UsdtpayReceipts     *self,
          const char          *order_id,
          const char          *principal,
          gpointer             source_tag,
          GTaskThreadFunc      worker,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Read *read = g_new0 (Read, 1);

  read->db = g_strdup (self->db);
  read->order_id = g_strdup (order_id);
  read->principal = g_strdup (principal);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, read, read_free);
  g_task_run_in_thread (task, worker);
}

void
usdtpay_receipts_lookup_async (UsdtpayReceipts     *self,
                               const char          *order_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RECEIPTS (self));
  g_return_if_fail (order_id != NULL);

  run_read (self, order_id, NULL, usdtpay_receipts_lookup_async, lookup_worker,
            cancellable, callback, user_data);
}

GBytes *
usdtpay_receipts_lookup_finish (UsdtpayReceipts  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_receipts_events_async (UsdtpayReceipts     *self,
                               const char          *order_id,
                               const char          *principal,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RECEIPTS (self));
  g_return_if_fail (order_id != NULL);

  run_read (self, order_id, principal, usdtpay_receipts_events_async, events_worker,
            cancellable, callback, user_data);
}

GBytes *
usdtpay_receipts_events_finish (UsdtpayReceipts  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

#define CHECK_MAX_FINDINGS 20

static void
finding (GString    *report,
         guint      *n_findings,
         const char *format,
         ...) G_GNUC_PRINTF (3, 4);

static void
finding (GString    *report,
         guint      *n_findings,
         const char *format,
         ...)
{
  va_list args;

  if (++*n_findings > CHECK_MAX_FINDINGS)
    return;
  va_start (args, format);
  g_string_append_vprintf (report, format, args);
  va_end (args);
  g_string_append_c (report, '\n');
}

gboolean
usdtpay_receipts_check (const char  *db_path,
                        GString     *report,
                        GError     **error)
{
  g_autoptr(UsdtpayReceipts) self = g_object_new (USDTPAY_TYPE_RECEIPTS, NULL);
  g_autoptr(GError) key_error = NULL;
  sqlite3_stmt *stmt;
  sqlite3 *db;
  guint n_findings = 0, n_receipts = 0;
  gboolean have_keys;
  int rc;

  g_return_val_if_fail (db_path != NULL, FALSE);

  self->db = g_strdup (db_path);
  self->key_path = usdtpay_receipts_key_path (db_path);
  have_keys = read_key_file (self, &key_error);
  sodium_memzero (self->secret_key, sizeof self->secret_key);
  if (!have_keys && !g_error_matches (key_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    finding (report, &n_findings, "signing key: %s", key_error->message);

  if (!(db = open_reader (db_path, error)))
    return FALSE;

  stmt = prepare (db, "SELECT r.order_id, r.seq, r.key_id, r.receipt, r.signature, o.id, e.type, e.order_id"
                      " FROM receipts r LEFT JOIN orders o ON o.id = r.order_id"
                      " LEFT JOIN events e ON e.seq = r.seq ORDER BY r.seq", error);
  if (stmt == NULL)
    {
      sqlite3_close (db);
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *order_id = (const char *)sqlite3_column_text (stmt, 0);
      gint64 seq = sqlite3_column_int64 (stmt, 1);
      const char *key_id = (const char *)sqlite3_column_text (stmt, 2);
      const char *text = (const char *)sqlite3_column_text (stmt, 3);
      const char *signature = (const char *)sqlite3_column_text (stmt, 4);
      const char *event_type = (const char *)sqlite3_column_text (stmt, 6);
      const char *event_order = (const char *)sqlite3_column_text (stmt, 7);
      g_autoptr(UsdtpayReceipt) receipt = NULL;
      g_autoptr(GError) local_error = NULL;

      n_receipts++;
      if (!have_keys)
        continue;
      if (!(receipt = usdtpay_receipt_verify (self->key_set, text, sqlite3_column_bytes (stmt, 3),
                                              signature, &local_error)))
        finding (report, &n_findings, "receipt of %s at seq %" G_GINT64_FORMAT " does not verify: %s",
                 order_id, seq, local_error->message);
      else if (g_strcmp0 (receipt->id, order_id) != 0 || receipt->seq != seq ||
               g_strcmp0 (receipt->key_id, key_id) != 0)
        finding (report, &n_findings, "receipt of %s at seq %" G_GINT64_FORMAT " is stored under another "
                 "order, seq or key", order_id, seq);
      else if (sqlite3_column_type (stmt, 5) == SQLITE_NULL)
        finding (report, &n_findings, "receipt of %s: no such order", order_id);
      else if (g_strcmp0 (event_type, receipt->event) != 0 || g_strcmp0 (event_order, order_id) != 0)
        finding (report, &n_findings, "receipt of %s names seq %" G_GINT64_FORMAT ", which is not its %s event",
                 order_id, seq, receipt->event);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "cannot read receipts: %s", sqlite3_errmsg (db));
      sqlite3_close (db);
      return FALSE;
    }
  if (!have_keys && n_receipts > 0)
    finding (report, &n_findings, "%u receipts but no signing key file %s", n_receipts, self->key_path);

  stmt = prepare (db, "SELECT id FROM orders WHERE state = 'completed' AND NOT EXISTS"
                      " (SELECT 1 FROM receipts r WHERE r.order_id = orders.id)", error);
  if (stmt == NULL)
    {
      sqlite3_close (db);
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    finding (report, &n_findings, "completed order %s has no receipt", (const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  if (n_findings > CHECK_MAX_FINDINGS)
    g_string_append_printf (report, "… and %u more receipt findings\n", n_findings - CHECK_MAX_FINDINGS);

  return n_findings == 0;
}

static void
usdtpay_receipts_finalize (GObject *object)
{
  UsdtpayReceipts *self = USDTPAY_RECEIPTS (object);

  sodium_memzero (self->secret_key, sizeof self->secret_key);
  g_clear_pointer (&self->key_set, usdtpay_key_set_free);
  g_clear_pointer (&self->key_set_json, g_bytes_unref);
  g_free (self->key_id);
  g_free (self->key_path);
  g_free (self->db);

  G_OBJECT_CLASS (usdtpay_receipts_parent_class)->finalize (object);
}

static void
usdtpay_receipts_class_init (UsdtpayReceiptsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_receipts_finalize;
}

static void
usdtpay_receipts_init (UsdtpayReceipts *self)
{
}
