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

/* The output: records are formatted into one buffer while a writer thread
 * writes the other, full one with one write(), so formatting and the
 * kernel's copy into the page cache overlap; a million rows take about a
 * thousand writes. */
#define OUT_SIZE (1024 * 1024)

typedef struct
{
  char  *data;
  gsize  size;
  gsize  len;
} Buffer;

typedef struct
{
  char       *buf;      /* being filled, by the export's thread */
  gsize       size;
  gsize       len;
  int         fd;
  const char *path;

  GThread    *writer;
  GMutex      mutex;
  GCond       cond;
  Buffer      spare;    /* written, free to fill */
  Buffer      pending;  /* handed to the writer; data NULL when none */
  gboolean    closing;
  GError     *write_error;
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

static gpointer
out_writer_thread (gpointer data)
{
  Out *out = data;

  g_mutex_lock (&out->mutex);
  for (;;)
    {
      Buffer job;

      while (out->pending.data == NULL && !out->closing)
        g_cond_wait (&out->cond, &out->mutex);
      if (out->pending.data == NULL)
        break;
      job = out->pending;
      g_mutex_unlock (&out->mutex);

      /* After a failure nothing more is written; the export fails. */
      if (out->write_error == NULL)
        {
          GError *error = NULL;

          if (!write_all (out->fd, job.data, job.len, out->path, &error))
            out->write_error = error;
        }

      g_mutex_lock (&out->mutex);
      out->spare = job;
      out->spare.len = 0;
      out->pending.data = NULL;
      g_cond_broadcast (&out->cond);
    }
  g_mutex_unlock (&out->mutex);

  return NULL;
}

static void
out_init (Out        *out,
          int         fd,
          const char *path)
{
  memset (out, 0, sizeof *out);
  out->fd = fd;
  out->path = path;
  out->size = OUT_SIZE;
  out->buf = g_malloc (out->size);
  out->spare.size = OUT_SIZE;
  out->spare.data = g_malloc (out->spare.size);
  g_mutex_init (&out->mutex);
  g_cond_init (&out->cond);
  out->writer = g_thread_new ("usdtpay-export-writer", out_writer_thread, out);
}

/* Hands the filled buffer to the writer (once it is done with the one
 * before) and goes on in the one it gave back. */
static gboolean
out_flush (Out     *out,
           GError **error)
{
  gboolean ok;

  g_mutex_lock (&out->mutex);
  while (out->pending.data != NULL)
    g_cond_wait (&out->cond, &out->mutex);
  ok = out->write_error == NULL;
  if (ok && out->len > 0)
    {
      out->pending = (Buffer) { out->buf, out->size, out->len };
      out->buf = out->spare.data;
      out->size = out->spare.size;
      out->len = 0;
      out->spare.data = NULL;
      g_cond_broadcast (&out->cond);
    }
  g_mutex_unlock (&out->mutex);

  if (!ok)
    g_propagate_error (error, g_error_copy (out->write_error));
  return ok;
}

/* Waits for the writer to write everything handed to it and stop; frees
 * the buffers. */
static gboolean
out_close (Out     *out,
           GError **error)
{
  gboolean ok;

  g_mutex_lock (&out->mutex);
  out->closing = TRUE;
  g_cond_broadcast (&out->cond);
  g_mutex_unlock (&out->mutex);
  g_thread_join (out->writer);

  ok = out->write_error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&out->write_error));
  g_free (out->buf);
  g_free (out->spare.data);
  g_mutex_clear (&out->mutex);
  g_cond_clear (&out->cond);

  return ok;
}

/* Makes room for @n more bytes: hands over what is held, and grows the
 * buffer only for a single record larger than it. */
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

/* Eight bytes at a time: whether a word holds byte @c (exact), and where
 * the first one is (little-endian: the lowest flagged byte is exact). */
#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

static inline guint64
has_byte (guint64 v,
          guchar  c)
{
  guint64 x = v ^ (ONES * c);

  return (x - ONES) & ~x & HIGHS;
}

static inline guint64
load64 (const guchar *p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return v;
}

static inline guint
first_flagged (guint64       mask,
               const guchar *p,
               guchar        c)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  (void)p;
  (void)c;
  return (guint)__builtin_ctzll (mask) / 8;
#else
  guint k = 0;

  (void)mask;
  while (p[k] != c)
    k++;
  return k;
#endif
}

/* The room a cell of @length bytes may take: every '"' doubled, two
 * quotes and one '\''. */
#define CELL_ROOM(length) (2 * (gsize)(length) + 3)

/* Writes one cell, neutralised and quoted exactly as usdtpay_csv_append_cell()
 * does (docs/receipts.md), in one pass over its bytes, eight at a time:
 * they are copied as they are checked; at the first that needs quotes,
 * what was copied moves one place on for the opening '"', and the rest is
 * copied with each '"' doubled. The caller reserved CELL_ROOM (length). */
static void
put_cell (Out        *out,
          const char *cell,
          gsize       length)
{
  const guchar *p = (const guchar *)cell, *end = p + length;
  char *start, *w;
  gsize lead = 0;

  if (length == 0)
    return;

  start = w = out->buf + out->len;
  while (lead < length && p[lead] == '\'')
    lead++;
  if (lead < length && is_formula_start (p[lead]))
    *w++ = '\'';

  while (end - p >= 8)
    {
      guint64 v = load64 (p);

      if (has_byte (v, '"') | has_byte (v, ',') | has_byte (v, '\r') | has_byte (v, '\n'))
        break;
      memcpy (w, &v, 8);
      w += 8;
      p += 8;
    }
  for (; p < end; p++)
    {
      if (G_UNLIKELY (quote_table[*p]))
        goto quoted;
      *w++ = (char)*p;
    }
  out->len = w - out->buf;
  return;

quoted:
  memmove (start + 1, start, w - start);
  *start = '"';
  w++;
  /* Each word stored whole, then w moved past what was meant: up to and
   * including a '"', which is written once more. Never past the room:
   * w - start <= 2 * (p - cell) + 2 here, and p + 8 <= end. */
  while (end - p >= 8)
    {
      guint64 v = load64 (p);
      guint64 m = has_byte (v, '"');
      guint k;

      memcpy (w, &v, 8);
      if (m == 0)
        {
          w += 8;
          p += 8;
          continue;
        }
      k = first_flagged (m, p, '"') + 1;
      w += k;
      p += k;
      *w++ = '"';
    }
  for (; p < end; p++)
    {
      *w++ = (char)*p;
      if (*p == '"')
        *w++ = '"';
    }
  *w++ = '"';
  out->len = w - out->buf;
}

static inline void
put_char (Out  *out,
          char  c)
{
  out->buf[out->len++] = c;
}

/* Room for a money, time or seq cell, a negative amount neutralised. */
#define NUMBER_ROOM CELL_ROOM (USDTPAY_MONEY_BUF_SIZE)

/* A money cell from an integer: exact, by hand; a negative one (never
 * written by the platform, but the cache is a file) is neutralised. */
static void
put_money (Out    *out,
           gint64  amount,
           guint   decimals)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];
  const char *text = usdtpay_money_format_buf (amount, decimals, buf);

  if (amount < 0)
    {
      put_cell (out, text, strlen (text));
      return;
    }
  for (; *text != '\0'; text++)
    put_char (out, *text);
}

static void
put_time (Out    *out,
          gint64  usec)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  if (usec == 0)
    return;
  usdtpay_time_format_buf (usec, buf);
  memcpy (out->buf + out->len, buf, 27);
  out->len += 27;
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
  N_COLS
};

static const guint8 text_columns[] = {
  COL_ID, COL_STATE, COL_FIAT_CURRENCY, COL_METHOD, COL_MERCHANT, COL_SHOP, COL_CUSTOMER_REF,
  COL_PAYER_NAME, COL_KEY_ID, COL_RECEIPT, COL_SIGNATURE,
};

/* One record, the columns of USDTPAY_CSV_EXPORT_COLUMNS in their order,
 * into room reserved once for the whole record. */
static gboolean
put_row (Out           *out,
         sqlite3_stmt  *stmt,
         GError       **error)
{
  const char *text[N_COLS];
  int length[N_COLS];
  const UsdtpayCurrency *c;
  gsize room = 6 * NUMBER_ROOM + 2 * USDTPAY_TIME_BUF_SIZE + N_COLS + 2;

  /* The column pointers as SQLite holds them, no copies. */
  for (guint i = 0; i < G_N_ELEMENTS (text_columns); i++)
    {
      int col = text_columns[i];

      text[col] = (const char *)sqlite3_column_text (stmt, col);
      length[col] = sqlite3_column_bytes (stmt, col);
      room += CELL_ROOM (length[col]);
    }
  if (!out_reserve (out, room, error))
    return FALSE;

  c = text[COL_FIAT_CURRENCY] != NULL ? usdtpay_currency_lookup (text[COL_FIAT_CURRENCY]) : NULL;

  put_cell (out, text[COL_ID], length[COL_ID]);
  put_char (out, ',');
  put_time (out, sqlite3_column_int64 (stmt, COL_CREATED_AT));
  put_char (out, ',');
  put_time (out, sqlite3_column_int64 (stmt, COL_COMPLETED_AT));
  put_char (out, ',');
  put_cell (out, text[COL_STATE], length[COL_STATE]);
  put_char (out, ',');
  put_money (out, sqlite3_column_int64 (stmt, COL_AMOUNT), USDTPAY_USDT_DECIMALS);
  put_char (out, ',');
  put_money (out, sqlite3_column_int64 (stmt, COL_FEE), USDTPAY_USDT_DECIMALS);
  put_char (out, ',');
  put_money (out, sqlite3_column_int64 (stmt, COL_NET), USDTPAY_USDT_DECIMALS);
  put_char (out, ',');
  put_money (out, sqlite3_column_int64 (stmt, COL_FIAT_AMOUNT), c != NULL ? c->decimals : 0);
  put_char (out, ',');
  for (int col = COL_FIAT_CURRENCY; col <= COL_PAYER_NAME; col++)
    {
      put_cell (out, text[col], length[col]);
      put_char (out, ',');
    }
  if (sqlite3_column_type (stmt, COL_SEQ) != SQLITE_NULL)
    {
      gint64 seq = sqlite3_column_int64 (stmt, COL_SEQ);

      if (seq > 0)
        put_money (out, seq, 0);
    }
  put_char (out, ',');
  put_cell (out, text[COL_KEY_ID], length[COL_KEY_ID]);
  put_char (out, ',');
  put_cell (out, text[COL_RECEIPT], length[COL_RECEIPT]);
  put_char (out, ',');
  put_cell (out, text[COL_SIGNATURE], length[COL_SIGNATURE]);
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
  Out out;
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

  out_init (&out, fd, tmp_path);
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
  ok = out_flush (&out, error);

out:
  /* Everything handed over is written (or failed) when this returns. */
  if (!out_close (&out, ok ? error : NULL))
    ok = FALSE;
  sqlite3_finalize (stmt);
  if (ok)
    {
      if (progress != NULL)
        g_atomic_int_set (&progress->done, (gint)MIN (rows, G_MAXINT));
      if (n_rows != NULL)
        *n_rows = rows;
    }
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
  /* Read through a mapping rather than copied page by page. */
  sqlite3_exec (db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);

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
