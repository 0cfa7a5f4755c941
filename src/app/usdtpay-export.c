/* usdtpay-export.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-export"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <unistd.h>

#include "usdtpay-export.h"

/* Written out whenever the buffer holds this much. */
#define FLUSH_SIZE (256 * 1024)

UsdtpayExportFilter *
usdtpay_export_filter_copy (const UsdtpayExportFilter *filter)
{
  UsdtpayExportFilter *copy;

  g_return_val_if_fail (filter != NULL, NULL);

  copy = g_new0 (UsdtpayExportFilter, 1);
  copy->platform = g_strdup (filter->platform);
  copy->account = g_strdup (filter->account);
  copy->state = filter->state;
  copy->method = g_strdup (filter->method);
  copy->merchant = g_strdup (filter->merchant);
  copy->from = filter->from;
  copy->to = filter->to;

  return copy;
}

void
usdtpay_export_filter_free (UsdtpayExportFilter *filter)
{
  if (filter == NULL)
    return;

  g_free (filter->platform);
  g_free (filter->account);
  g_free (filter->method);
  g_free (filter->merchant);
  g_free (filter);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length,
           const char  *path,
           GError     **error)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not write %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      data += n;
      length -= n;
    }

  return TRUE;
}

static gboolean
passes (const UsdtpayExportFilter *filter,
        const UsdtpayOrder        *order)
{
  if (filter->state >= 0 && (int)order->state != filter->state)
    return FALSE;
  if (filter->method != NULL && g_strcmp0 (order->method, filter->method) != 0)
    return FALSE;
  if (filter->merchant != NULL && g_strcmp0 (order->merchant, filter->merchant) != 0)
    return FALSE;
  if (filter->from != 0 && order->created_at < filter->from)
    return FALSE;
  if (filter->to != 0 && order->created_at >= filter->to)
    return FALSE;

  return TRUE;
}

static gboolean
export_rows (sqlite3                   *db,
             const UsdtpayExportFilter *filter,
             int                        fd,
             const char                *tmp_path,
             UsdtpayExportProgress     *progress,
             GCancellable              *cancellable,
             guint64                   *n_rows,
             GError                   **error)
{
  static const char count_sql[] =
    "SELECT count(*) FROM orders WHERE platform = ?1 AND merchant = ?2";
  static const char sql[] =
    "SELECT o.json, r.seq, r.key_id, r.receipt, r.signature FROM orders o "
    "LEFT JOIN receipts r ON r.platform = o.platform AND r.id = o.id "
    "WHERE o.platform = ?1 AND o.merchant = ?2 ORDER BY o.closed_at, o.id";
  g_autoptr(GString) out = g_string_sized_new (FLUSH_SIZE + 64 * 1024);
  sqlite3_stmt *stmt = NULL;
  const char *delay_text = g_getenv ("USDTPAY_TEST_EXPORT_ROW_DELAY_US");
  gulong delay = delay_text != NULL ? strtoul (delay_text, NULL, 10) : 0;
  guint64 rows = 0;
  gint done = 0;
  gboolean ok = FALSE;
  int rc;

  if (progress != NULL && sqlite3_prepare_v2 (db, count_sql, -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, filter->platform, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, filter->account, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        g_atomic_int_set (&progress->total, (gint)MIN (sqlite3_column_int64 (stmt, 0), G_MAXINT));
      sqlite3_finalize (stmt);
      stmt = NULL;
    }

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, _("The cache cannot be read: %s"),
                   sqlite3_errmsg (db));
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, filter->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, filter->account, -1, SQLITE_STATIC);

  usdtpay_csv_append_export_header (out);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *json = (const char *)sqlite3_column_text (stmt, 0);
      int json_len = sqlite3_column_bytes (stmt, 0);
      g_autoptr(JsonObject) object = NULL;
      g_autoptr(UsdtpayOrder) order = NULL;
      g_autoptr(GError) local_error = NULL;
      gboolean has_receipt = sqlite3_column_type (stmt, 3) != SQLITE_NULL;

      if ((++done & 1023) == 0)
        {
          if (progress != NULL)
            g_atomic_int_set (&progress->done, done);
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
        }
      if (delay > 0)
        {
          g_usleep (delay);
          if (progress != NULL)
            g_atomic_int_set (&progress->done, done);
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
        }

      object = usdtpay_json_parse_object (json, json_len, &local_error);
      order = object != NULL ? usdtpay_order_from_json (object, &local_error) : NULL;
      if (order == NULL)
        {
          g_warning ("export: skipping an unreadable cached order: %s", local_error->message);
          continue;
        }
      if (!passes (filter, order))
        continue;

      usdtpay_csv_append_export_row (out, order,
                                     has_receipt ? sqlite3_column_int64 (stmt, 1) : 0,
                                     has_receipt ? (const char *)sqlite3_column_text (stmt, 2) : NULL,
                                     has_receipt ? (const char *)sqlite3_column_text (stmt, 3) : NULL,
                                     has_receipt ? (const char *)sqlite3_column_text (stmt, 4) : NULL);
      rows++;

      if (out->len >= FLUSH_SIZE)
        {
          if (!write_all (fd, out->str, out->len, tmp_path, error))
            goto out;
          g_string_truncate (out, 0);
        }
    }

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, _("The cache cannot be read: %s"),
                   sqlite3_errmsg (db));
      goto out;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;
  if (!write_all (fd, out->str, out->len, tmp_path, error))
    goto out;

  if (progress != NULL)
    g_atomic_int_set (&progress->done, done);
  if (n_rows != NULL)
    *n_rows = rows;
  ok = TRUE;

out:
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
usdtpay_export_csv (const char                *cache_path,
                    const UsdtpayExportFilter *filter,
                    const char                *dest_path,
                    UsdtpayExportProgress     *progress,
                    GCancellable              *cancellable,
                    guint64                   *n_rows,
                    GError                   **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  sqlite3 *db = NULL;
  gboolean ok = FALSE;
  int fd;

  g_return_val_if_fail (cache_path != NULL, FALSE);
  g_return_val_if_fail (filter != NULL && filter->platform != NULL && filter->account != NULL, FALSE);
  g_return_val_if_fail (dest_path != NULL, FALSE);

  if (!g_file_test (cache_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no local history at %s yet"),
                   cache_path);
      return FALSE;
    }

  if (sqlite3_open_v2 (cache_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, _("The cache %s cannot be opened: %s"),
                   cache_path, db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_busy_timeout (db, 5000);

  /* Beside the destination, so the rename is atomic and never crosses a
   * file system; owner-only, as the cache. */
  dir = g_path_get_dirname (dest_path);
  base = g_path_get_basename (dest_path);
  tmp_path = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create a file in %s: %s"), dir, g_strerror (saved));
      sqlite3_close (db);
      return FALSE;
    }

  ok = export_rows (db, filter, fd, tmp_path, progress, cancellable, n_rows, error);
  sqlite3_close (db);

  if (ok && fsync (fd) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not write %s: %s"), tmp_path, g_strerror (saved));
      ok = FALSE;
    }
  if (close (fd) != 0 && ok)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not write %s: %s"), tmp_path, g_strerror (saved));
      ok = FALSE;
    }
  if (ok && g_rename (tmp_path, dest_path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not save %s: %s"), dest_path, g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp_path);

  return ok;
}

typedef struct
{
  char                  *cache_path;
  UsdtpayExportFilter   *filter;
  char                  *dest_path;
  UsdtpayExportProgress *progress;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_free (data->cache_path);
  usdtpay_export_filter_free (data->filter);
  g_free (data->dest_path);
  g_free (data);
}

static void
export_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  GError *error = NULL;
  guint64 rows = 0;

  if (!usdtpay_export_csv (data->cache_path, data->filter, data->dest_path, data->progress,
                           cancellable, &rows, &error))
    g_task_return_error (task, error);
  else
    {
      guint64 *result = g_new (guint64, 1);

      *result = rows;
      g_task_return_pointer (task, result, g_free);
    }
}

void
usdtpay_export_csv_async (const char                *cache_path,
                          const UsdtpayExportFilter *filter,
                          const char                *dest_path,
                          UsdtpayExportProgress     *progress,
                          GCancellable              *cancellable,
                          GAsyncReadyCallback        callback,
                          gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (cache_path != NULL);
  g_return_if_fail (filter != NULL);
  g_return_if_fail (dest_path != NULL);

  data = g_new0 (ExportData, 1);
  data->cache_path = g_strdup (cache_path);
  data->filter = usdtpay_export_filter_copy (filter);
  data->dest_path = g_strdup (dest_path);
  data->progress = progress;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_export_csv_async);
  g_task_set_task_data (task, data, (GDestroyNotify)export_data_free);
  /* The worker checks the cancellable itself, so that it always cleans up
   * its temporary file before the task returns. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, export_worker);
}

gboolean
usdtpay_export_csv_finish (GAsyncResult  *result,
                           guint64       *n_rows,
                           GError       **error)
{
  g_autofree guint64 *rows = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  rows = g_task_propagate_pointer (G_TASK (result), error);
  if (rows == NULL)
    return FALSE;
  if (n_rows != NULL)
    *n_rows = *rows;

  return TRUE;
}

gboolean
usdtpay_export_parse_bound (const char  *text,
                            gboolean     upper,
                            gint64      *usec,
                            GError     **error)
{
  int y, m, d;
  char tail;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (usec != NULL, FALSE);

  if (strlen (text) == 10 && sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3)
    {
      g_autoptr(GDateTime) day = g_date_time_new_utc (y, m, d, 0, 0, 0);

      if (day != NULL && text[4] == '-' && text[7] == '-')
        {
          g_autoptr(GDateTime) bound = upper ? g_date_time_add_days (day, 1) : g_date_time_ref (day);

          *usec = g_date_time_to_unix (bound) * G_USEC_PER_SEC;
          return TRUE;
        }
    }
  else if (usdtpay_time_parse (text, usec, NULL))
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a date (YYYY-MM-DD) nor an RFC 3339 time"), text);
  return FALSE;
}
