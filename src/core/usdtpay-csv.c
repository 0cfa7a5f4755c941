/* usdtpay-csv.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-csv.h"
#include "usdtpay-error.h"
#include "usdtpay-money.h"
#include "usdtpay-time.h"

static inline gboolean
is_formula_start (char c)
{
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

gboolean
usdtpay_csv_needs_neutralising (const char *cell)
{
  const char *p = cell;

  if (cell == NULL)
    return FALSE;

  /* Apostrophes in front of a trigger get one more, so that taking one off
   * on reading gives back exactly what was written. */
  while (*p == '\'')
    p++;

  return is_formula_start (*p);
}

void
usdtpay_csv_append_cell (GString    *out,
                         const char *cell)
{
  gboolean quote = FALSE;
  gboolean neutralise;
  gsize n_quotes = 0;
  gsize length, start;
  const char *p;
  char *w;

  g_return_if_fail (out != NULL);

  if (cell == NULL || cell[0] == '\0')
    return;

  /* strlen, strcspn and memchr are vectorised in glibc: a byte loop here
   * was most of an export's time. */
  length = strlen (cell);
  if (strcspn (cell, "\",\r\n") < length)
    {
      quote = TRUE;
      for (p = cell; (p = memchr (p, '"', length - (p - cell))) != NULL; p++)
        n_quotes++;
    }
  neutralise = usdtpay_csv_needs_neutralising (cell);

  if (!quote && !neutralise)
    {
      g_string_append_len (out, cell, length);
      return;
    }

  /* One pass into space made once: the receipt column holds dozens of
   * quotes in every row of an export. */
  start = out->len;
  g_string_set_size (out, start + length + n_quotes + (quote ? 2 : 0) + (neutralise ? 1 : 0));
  w = out->str + start;
  if (quote)
    *w++ = '"';
  if (neutralise)
    *w++ = '\'';
  if (n_quotes == 0)
    {
      memcpy (w, cell, length);
      w += length;
    }
  else
    {
      const char *run = cell, *end = cell + length;

      /* Each run up to and including a '"', then that '"' again. */
      while ((p = memchr (run, '"', end - run)) != NULL)
        {
          memcpy (w, run, p - run + 1);
          w += p - run + 1;
          *w++ = '"';
          run = p + 1;
        }
      memcpy (w, run, end - run);
      w += end - run;
    }
  if (quote)
    *w++ = '"';
  g_assert ((gsize)(w - out->str) == out->len);
}

void
usdtpay_csv_append_row (GString            *out,
                        const char * const *cells,
                        gsize               n_cells)
{
  g_return_if_fail (out != NULL);

  for (gsize i = 0; i < n_cells; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      usdtpay_csv_append_cell (out, cells[i]);
    }
  g_string_append_len (out, "\r\n", 2);
}

char *
usdtpay_csv_unneutralise (const char *cell)
{
  g_return_val_if_fail (cell != NULL, NULL);

  if (cell[0] == '\'' && usdtpay_csv_needs_neutralising (cell + 1))
    return g_strdup (cell + 1);

  return g_strdup (cell);
}

/* Reading */

struct _UsdtpayCsvReader
{
  const char *data;
  gsize       length;
  gsize       pos;
  guint       line;
  guint       record_line;
  gboolean    checked;
};

UsdtpayCsvReader *
usdtpay_csv_reader_new (const char *data,
                        gsize       length)
{
  UsdtpayCsvReader *reader = g_new0 (UsdtpayCsvReader, 1);

  reader->data = data;
  reader->length = length;
  reader->line = 1;

  return reader;
}

void
usdtpay_csv_reader_free (UsdtpayCsvReader *reader)
{
  g_free (reader);
}

guint
usdtpay_csv_reader_get_line (UsdtpayCsvReader *reader)
{
  return reader->record_line;
}

char **
usdtpay_csv_reader_next (UsdtpayCsvReader  *reader,
                         GError           **error)
{
  g_autoptr(GPtrArray) cells = NULL;
  g_autoptr(GString) cell = NULL;
  const char *data = reader->data;
  gsize end = reader->length;

  g_return_val_if_fail (reader != NULL, NULL);

  if (!reader->checked)
    {
      const char *bad = NULL;

      reader->checked = TRUE;
      if (!g_utf8_validate_len (data, end, &bad))
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                       "the CSV is not UTF-8 (byte %" G_GSIZE_FORMAT ")", (gsize)(bad - data));
          reader->pos = end;
          return NULL;
        }
    }

  if (reader->pos >= end)
    return NULL;

  reader->record_line = reader->line;
  cells = g_ptr_array_new_with_free_func (g_free);
  cell = g_string_new (NULL);

  for (;;)
    {
      gsize pos = reader->pos;

      if (pos < end && data[pos] == '"')
        {
          /* A quoted cell: up to the lone closing quote. */
          pos++;
          for (;;)
            {
              if (pos >= end)
                {
                  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                               "line %u: a quoted cell is not closed", reader->record_line);
                  reader->pos = end;
                  return NULL;
                }
              if (data[pos] == '"')
                {
                  if (pos + 1 < end && data[pos + 1] == '"')
                    {
                      g_string_append_c (cell, '"');
                      pos += 2;
                      continue;
                    }
                  pos++;
                  break;
                }
              if (data[pos] == '\n')
                reader->line++;
              g_string_append_c (cell, data[pos]);
              pos++;
            }
          if (pos < end && data[pos] != ',' && data[pos] != '\n' &&
              !(data[pos] == '\r' && pos + 1 < end && data[pos + 1] == '\n'))
            {
              g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                           "line %u: text after a quoted cell", reader->line);
              reader->pos = end;
              return NULL;
            }
        }
      else
        {
          while (pos < end && data[pos] != ',' && data[pos] != '\n' &&
                 !(data[pos] == '\r' && pos + 1 < end && data[pos + 1] == '\n'))
            {
              if (data[pos] == '"')
                {
                  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                               "line %u: a '\"' in an unquoted cell", reader->line);
                  reader->pos = end;
                  return NULL;
                }
              g_string_append_c (cell, data[pos]);
              pos++;
            }
        }

      g_ptr_array_add (cells, g_strndup (cell->str, cell->len));
      g_string_truncate (cell, 0);

      if (pos < end && data[pos] == ',')
        {
          reader->pos = pos + 1;
          continue;
        }

      /* The record's end: CRLF, LF or the end of the text. */
      if (pos < end && data[pos] == '\r')
        pos++;
      if (pos < end && data[pos] == '\n')
        {
          pos++;
          reader->line++;
        }
      reader->pos = pos;
      break;
    }

  g_ptr_array_add (cells, NULL);
  return (char **)g_ptr_array_free (g_steal_pointer (&cells), FALSE);
}

/* The receipt export */

void
usdtpay_csv_append_export_header (GString *out)
{
  g_string_append (out, USDTPAY_CSV_EXPORT_COLUMNS "\r\n");
}

static void
append_time_cell (GString *out,
                  gint64   usec)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  if (usec != 0)
    g_string_append (out, usdtpay_time_format_buf (usec, buf));
  g_string_append_c (out, ',');
}

static void
append_money_cell (GString *out,
                   gint64   amount,
                   guint    decimals)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  /* Never negative, so never neutralised. */
  g_string_append (out, usdtpay_money_format_buf (amount, decimals, buf));
  g_string_append_c (out, ',');
}

static void
append_text_cell (GString    *out,
                  const char *text)
{
  usdtpay_csv_append_cell (out, text);
  g_string_append_c (out, ',');
}

void
usdtpay_csv_append_export_row (GString            *out,
                               const UsdtpayOrder *order,
                               gint64              seq,
                               const char         *key_id,
                               const char         *receipt,
                               const char         *signature)
{
  const UsdtpayCurrency *currency;

  g_return_if_fail (out != NULL);
  g_return_if_fail (order != NULL);

  currency = usdtpay_currency_lookup (order->fiat_currency);

  append_text_cell (out, order->id);
  append_time_cell (out, order->created_at);
  append_time_cell (out, order->completed_at);
  append_text_cell (out, usdtpay_order_state_to_string (order->state));
  append_money_cell (out, order->amount, USDTPAY_USDT_DECIMALS);
  append_money_cell (out, order->fee, USDTPAY_USDT_DECIMALS);
  append_money_cell (out, order->net, USDTPAY_USDT_DECIMALS);
  append_money_cell (out, order->fiat_amount, currency != NULL ? currency->decimals : 0);
  append_text_cell (out, order->fiat_currency);
  append_text_cell (out, order->method);
  append_text_cell (out, order->merchant);
  append_text_cell (out, order->shop);
  append_text_cell (out, order->customer_ref);
  append_text_cell (out, order->payer_name);
  if (seq > 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, seq);
  g_string_append_c (out, ',');
  append_text_cell (out, key_id);
  append_text_cell (out, receipt);
  usdtpay_csv_append_cell (out, signature);
  g_string_append_len (out, "\r\n", 2);
}

/* Verifying an export */

static const char * const column_names[USDTPAY_CSV_EXPORT_N_COLUMNS] = {
  "id", "created_at", "completed_at", "state", "amount", "fee", "net", "fiat_amount",
  "fiat_currency", "method", "merchant", "shop", "customer_ref", "payer_name", "seq", "key_id",
  "receipt", "signature",
};

static const char *
or_empty (const char *text)
{
  return text != NULL ? text : "";
}

static char *
time_cell (gint64 usec)
{
  return usec != 0 ? usdtpay_time_format (usec) : g_strdup ("");
}

static UsdtpayCsvRowStatus
row_failed (GError    **error,
            const char *format,
            const char *column)
{
  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, format, column);
  return USDTPAY_CSV_ROW_FAILED;
}

UsdtpayCsvRowStatus
usdtpay_csv_verify_export_row (const UsdtpayKeySet  *set,
                               char * const         *cells,
                               GError              **error)
{
  g_autoptr(UsdtpayReceipt) receipt = NULL;
  g_autofree char *text = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *key_id = NULL;
  g_autofree char *created = NULL, *completed = NULL, *amount = NULL, *fee = NULL;
  g_autofree char *net = NULL, *fiat = NULL, *seq = NULL;
  const UsdtpayCurrency *currency;

  g_return_val_if_fail (set != NULL, USDTPAY_CSV_ROW_FAILED);
  g_return_val_if_fail (cells != NULL, USDTPAY_CSV_ROW_FAILED);

  for (guint i = 0; cells[i] != NULL; i++)
    if (is_formula_start (cells[i][0]))
      return row_failed (error, "the %s cell would run as a formula (not neutralised)",
                         i < G_N_ELEMENTS (column_names) ? column_names[i] : "extra");
  for (guint i = 0; i < USDTPAY_CSV_EXPORT_N_COLUMNS; i++)
    if (cells[i] == NULL)
      return row_failed (error, "the record ends before its %s column", column_names[i]);

  text = usdtpay_csv_unneutralise (cells[USDTPAY_CSV_COL_RECEIPT]);
  signature = usdtpay_csv_unneutralise (cells[USDTPAY_CSV_COL_SIGNATURE]);
  key_id = usdtpay_csv_unneutralise (cells[USDTPAY_CSV_COL_KEY_ID]);

  if (*text == '\0' && *signature == '\0' && *key_id == '\0' && *cells[USDTPAY_CSV_COL_SEQ] == '\0')
    {
      if (g_str_equal (cells[USDTPAY_CSV_COL_STATE], "completed"))
        return row_failed (error, "a %s order without a receipt", "completed");
      return USDTPAY_CSV_ROW_UNSIGNED;
    }

  if (!(receipt = usdtpay_receipt_verify (set, text, strlen (text), signature, error)))
    return USDTPAY_CSV_ROW_FAILED;

  currency = usdtpay_currency_lookup (receipt->fiat_currency);
  created = time_cell (receipt->created_at);
  completed = time_cell (receipt->completed_at);
  amount = usdtpay_money_format (receipt->amount, USDTPAY_USDT_DECIMALS);
  fee = usdtpay_money_format (receipt->fee, USDTPAY_USDT_DECIMALS);
  net = usdtpay_money_format (receipt->net, USDTPAY_USDT_DECIMALS);
  fiat = usdtpay_money_format (receipt->fiat_amount, currency->decimals);
  seq = g_strdup_printf ("%" G_GINT64_FORMAT, receipt->seq);

  {
    const char *expected[USDTPAY_CSV_COL_RECEIPT] = {
      [USDTPAY_CSV_COL_ID] = receipt->id,
      [USDTPAY_CSV_COL_CREATED_AT] = created,
      [USDTPAY_CSV_COL_COMPLETED_AT] = completed,
      [USDTPAY_CSV_COL_STATE] = receipt->state,
      [USDTPAY_CSV_COL_AMOUNT] = amount,
      [USDTPAY_CSV_COL_FEE] = fee,
      [USDTPAY_CSV_COL_NET] = net,
      [USDTPAY_CSV_COL_FIAT_AMOUNT] = fiat,
      [USDTPAY_CSV_COL_FIAT_CURRENCY] = receipt->fiat_currency,
      [USDTPAY_CSV_COL_METHOD] = receipt->method,
      [USDTPAY_CSV_COL_MERCHANT] = or_empty (receipt->merchant),
      [USDTPAY_CSV_COL_SHOP] = receipt->shop,
      [USDTPAY_CSV_COL_CUSTOMER_REF] = or_empty (receipt->customer_ref),
      [USDTPAY_CSV_COL_PAYER_NAME] = or_empty (receipt->payer_name),
      [USDTPAY_CSV_COL_SEQ] = seq,
      [USDTPAY_CSV_COL_KEY_ID] = receipt->key_id,
    };

    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        g_autofree char *cell = usdtpay_csv_unneutralise (cells[i]);

        if (!g_str_equal (cell, expected[i]))
          return row_failed (error, "the %s column disagrees with the signed receipt", column_names[i]);
      }
  }

  return USDTPAY_CSV_ROW_VERIFIED;
}
