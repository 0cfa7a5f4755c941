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

#include "usdtpay-cache.h"
#include "usdtpay-export.h"

/* The output buffer: written out with one write() whenever it holds this
 * much, so a million rows take a few thousand writes. */
#define OUT_SIZE (1024 * 1024)

typedef struct
{
  char       *buf;
  gsize       size;
  gsize       len;
  int         fd;
  const char *path;
} Out;

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
out_flush (Out     *out,
           GError **error)
{
  gboolean ok = write_all (out->fd, out->buf, out->len, out->path, error);

  out->len = 0;
  return ok;
}

/* Makes room for @n more bytes: writes out what is held, and grows the
 * buffer only for a single cell larger than it. */
static gboolean
out_reserve (Out     *out,
             gsize    n,
             GError **error)
{
  if (out->len + n <= out->size)
    return TRUE;
  if (!out_flush (out, error))
    return FALSE;
  if (n > out->size)
    {
      out->size = n;
      out->buf = g_realloc (out->buf, out->size);
    }
  return TRUE;
}

static inline gboolean
is_formula_start (guchar c)
{
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* Bytes that make a cell quoted: " , CR LF. */
static const guint8 quote_table[256] = { ['"'] = 1, [','] = 1, ['\r'] = 1, ['\n'] = 1 };

/* Writes one cell, neutralised and quoted exactly as usdtpay_csv_append_cell()
 * does (docs/receipts.md), in one pass over its bytes: they are copied as
 * they are checked; at the first byte that needs quotes, what was copied
 * moves one place on for the opening '"' and the rest is copied with each
 * '"' doubled. Room: 2 * length + 3 (quotes doubled, two quotes, one '\''). */
static gboolean
put_cell (Out         *out,
          const char  *cell,
          gsize        length,
          GError     **error)
{
  const guchar *p = (const guchar *)cell, *end = p + length;
  char *start, *w;
  gsize lead = 0;

  if (length == 0)
    return TRUE;
  if (!out_reserve (out, 2 * length + 3, error))
    return FALSE;

  start = w = out->buf + out->len;
  while (lead < length && p[lead] == '\'')
    lead++;
  if (lead < length && is_formula_start (p[lead]))
    *w++ = '\'';

  for (; p < end; p++)
    {
      if (G_UNLIKELY (quote_table[*p]))
        {
          memmove (start + 1, start, w - start);
          *start = '"';
          w++;
          for (; p < end; p++)
            {
              *w++ = (char)*p;
              if (*p == '"')
                *w++ = '"';
            }
          *w++ = '"';
          break;
        }
      *w++ = (char)*p;
    }

  out->len = w - out->buf;
  return TRUE;
}

static inline void
put_char (Out  *out,
          char  c)
{
  out->buf[out->len++] = c;
}

/* A money cell from an integer: exact, by hand; a negative one (never
 * written by the platform, but the cache is a file) is neutralised. */
static gboolean
put_money (Out     *out,
           gint64   amount,
           guint    decimals,
           GError **error)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];
  const char *text = usdtpay_money_format_buf (amount, decimals, buf);

  if (amount < 0)
    return put_cell (out, text, strlen (text), error);
  if (!out_reserve (out, USDTPAY_MONEY_BUF_SIZE, error))
    return FALSE;
  for (; *text != '\0'; text++)
    put_char (out, *text);
  return TRUE;
}

static gboolean
put_time (Out     *out,
          gint64   usec,
          GError **error)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  if (usec == 0)
    return TRUE;
  if (!out_reserve (out, USDTPAY_TIME_BUF_SIZE, error))
    return FALSE;
  usdtpay_time_format_buf (usec, buf);
  memcpy (out->buf + out->len, buf, 27);
  out->len += 27;
  return TRUE;
}

static gboolean
put_text_column (Out           *out,
                 sqlite3_stmt  *stmt,
                 int            column,
                 GError       **error)
{
  const char *text = (const char *)sqlite3_column_text (stmt, column);

  return text == NULL || put_cell (out, text, sqlite3_column_bytes (stmt, column), error);
}

static gboolean
put_comma (Out     *out,
           GError **error)
{
  if (!out_reserve (out, 1, error))
    return FALSE;
  put_char (out, ',');
  return TRUE;
}

enum
{
  COL_ID,
  COL_CREATED_AT,
  COL_COMPLETED_AT,
  COL_STATE,
  COL_AMOUNT,
  COL_FEE,
  COL_NET,
  COL_FIAT_AMOUNT,
  COL_FIAT_CURRENCY,
  COL_METHOD,
  COL_MERCHANT,
  COL_SHOP,
  COL_CUSTOMER_REF,
  COL_PAYER_NAME,
  COL_SEQ,
  COL_KEY_ID,
  COL_RECEIPT,
  COL_SIGNATURE,
};

/* One record, the columns of USDTPAY_CSV_EXPORT_COLUMNS in their order. */
static gboolean
put_row (Out           *out,
         sqlite3_stmt  *stmt,
         GError       **error)
{
  const char *currency = (const char *)sqlite3_column_text (stmt, COL_FIAT_CURRENCY);
  const UsdtpayCurrency *c = currency != NULL ? usdtpay_currency_lookup (currency) : NULL;
  guint fiat_decimals = c != NULL ? c->decimals : 0;

  if (!put_text_column (out, stmt, COL_ID, error) || !put_comma (out, error) ||
      !put_time (out, sqlite3_column_int64 (stmt, COL_CREATED_AT), error) || !put_comma (out, error) ||
      !put_time (out, sqlite3_column_int64 (stmt, COL_COMPLETED_AT), error) || !put_comma (out, error) ||
      !put_text_column (out, stmt, COL_STATE, error) || !put_comma (out, error) ||
      !put_money (out, sqlite3_column_int64 (stmt, COL_AMOUNT), USDTPAY_USDT_DECIMALS, error) ||
      !put_comma (out, error) ||
      !put_money (out, sqlite3_column_int64 (stmt, COL_FEE), USDTPAY_USDT_DECIMALS, error) ||
      !put_comma (out, error) ||
      !put_money (out, sqlite3_column_int64 (stmt, COL_NET), USDTPAY_USDT_DECIMALS, error) ||
      !put_comma (out, error) ||
      !put_money (out, sqlite3_column_int64 (stmt, COL_FIAT_AMOUNT), fiat_decimals, error) ||
      !put_comma (out, error))
    return FALSE;

  for (int col = COL_FIAT_CURRENCY; col <= COL_PAYER_NAME; col++)
    if (!put_text_column (out, stmt, col, error) || !put_comma (out, error))
      return FALSE;

  if (sqlite3_column_type (stmt, COL_SEQ) != SQLITE_NULL)
    {
      gint64 seq = sqlite3_column_int64 (stmt, COL_SEQ);

      if (seq > 0 && !put_money (out, seq, 0, error))
        return FALSE;
    }
  if (!put_comma (out, error) ||
      !put_text_column (out, stmt, COL_KEY_ID, error) || !put_comma (out, error) ||
      !put_text_column (out, stmt, COL_RECEIPT, error) || !put_comma (out, error) ||
      !put_text_column (out, stmt, COL_SIGNATURE, error) || !out_reserve (out, 2, error))
    return FALSE;
  put_char (out, '\r');
  put_char (out, '\n');

  return TRUE;
}

/* The columns the export reads, in the order of the record. */
#define EXPORT_SELECT \
  "SELECT o.id, o.created_at, o.completed_at, o.state, o.amount, o.fee, o.net, o.fiat_amount, " \
  "o.fiat_currency, o.method, o.merchant, o.shop, o.customer_ref, o.payer_name, " \
  "r.seq, r.key_id, r.receipt, r.signature " \
  "FROM orders o LEFT JOIN receipts r ON r.platform = o.platform AND r.id = o.id"
#define EXPORT_ORDER " ORDER BY o.closed_at DESC, o.id"

char *
usdtpay_export_dup_sql (const UsdtpayCacheFilter *filter)
{
  GString *sql = g_string_new (EXPORT_SELECT);

  g_return_val_if_fail (filter != NULL, NULL);

  usdtpay_cache_filter_append_where (filter, sql);
  g_string_append (sql, EXPORT_ORDER);

  return g_string_free (sql, FALSE);
}

static gboolean
export_rows (sqlite3                  *db,
             const UsdtpayCacheFilter *filter,
             int                       fd,
             const char               *tmp_path,
             UsdtpayExportProgress    *progress,
             GCancellable             *cancellable,
             guint64                  *n_rows,
             GError                  **error)
{
  g_autofree char *sql = usdtpay_export_dup_sql (filter);
  sqlite3_stmt *stmt = NULL;
  const char *delay_text = g_getenv ("USDTPAY_TEST_EXPORT_ROW_DELAY_US");
  gulong delay = delay_text != NULL ? strtoul (delay_text, NULL, 10) : 0;
  Out out = { NULL, OUT_SIZE, 0, fd, tmp_path };
  guint64 rows = 0;
  gboolean ok = FALSE;
  int rc;

  if (progress != NULL)
    {
      g_autoptr(GString) count_sql = g_string_new ("SELECT count(*) FROM orders o");

      usdtpay_cache_filter_append_where (filter, count_sql);
      if (sqlite3_prepare_v2 (db, count_sql->str, -1, &stmt, NULL) == SQLITE_OK)
        {
          usdtpay_cache_filter_bind (filter, stmt);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            g_atomic_int_set (&progress->total, (gint)MIN (sqlite3_column_int64 (stmt, 0), G_MAXINT));
        }
      sqlite3_finalize (stmt);
      stmt = NULL;
    }

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, _("The cache cannot be read: %s"),
                   sqlite3_errmsg (db));
      return FALSE;
    }
  usdtpay_cache_filter_bind (filter, stmt);

  out.buf = g_malloc (out.size);
  memcpy (out.buf, USDTPAY_CSV_EXPORT_COLUMNS "\r\n", sizeof USDTPAY_CSV_EXPORT_COLUMNS + 1);
  out.len = sizeof USDTPAY_CSV_EXPORT_COLUMNS + 1;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if ((++rows & 1023) == 0 || delay > 0)
        {
          if (delay > 0)
            g_usleep (delay);
          if (progress != NULL)
            g_atomic_int_set (&progress->done, (gint)MIN (rows, G_MAXINT));
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
        }
      if (!put_row (&out, stmt, error))
        goto out;
    }

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, _("The cache cannot be read: %s"),
                   sqlite3_errmsg (db));
      goto out;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;
  if (!out_flush (&out, error))
    goto out;

  if (progress != NULL)
    g_atomic_int_set (&progress->done, (gint)MIN (rows, G_MAXINT));
  if (n_rows != NULL)
    *n_rows = rows;
  ok = TRUE;

out:
  g_free (out.buf);
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
usdtpay_export_csv (const char                *cache_path,
                    const UsdtpayCacheFilter  *filter,
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

  /* A cache the app has not opened since an update gets its new columns. */
  if (!usdtpay_cache_upgrade_file (cache_path, error))
    return FALSE;
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
  UsdtpayCacheFilter    *filter;
  char                  *dest_path;
  UsdtpayExportProgress *progress;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_free (data->cache_path);
  usdtpay_cache_filter_free (data->filter);
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
                          const UsdtpayCacheFilter  *filter,
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
  data->filter = usdtpay_cache_filter_copy (filter);
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
