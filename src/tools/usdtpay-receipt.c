/* usdtpay-receipt.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* usdtpay-receipt verify --keys KEYSET.json FILE|-
 *
 * Checks one receipt (the answer of GET /v1/receipts/{id}) or a whole CSV
 * export against the platform's key set, as docs/receipts.md describes. */

#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "usdtpay-core.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2

static gboolean
read_input (const char  *path,
            char       **data,
            gsize       *length,
            GError     **error)
{
  if (g_strcmp0 (path, "-") == 0)
    {
      GString *text = g_string_new (NULL);
      char buf[65536];

      for (;;)
        {
          ssize_t n = read (0, buf, sizeof buf);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              int saved_errno = errno;

              g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                           "cannot read standard input: %s", g_strerror (saved_errno));
              g_string_free (text, TRUE);
              return FALSE;
            }
          if (n == 0)
            break;
          g_string_append_len (text, buf, n);
        }
      *length = text->len;
      *data = g_string_free (text, FALSE);
      return TRUE;
    }

  return g_file_get_contents (path, data, length, error);
}

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

/* Compares the row's cells with the receipt; returns the first column that
 * disagrees, or NULL. */
static const char *
row_disagrees (char                 **cells,
               const UsdtpayReceipt  *receipt)
{
  const UsdtpayCurrency *currency = usdtpay_currency_lookup (receipt->fiat_currency);
  g_autofree char *created = time_cell (receipt->created_at);
  g_autofree char *completed = time_cell (receipt->completed_at);
  g_autofree char *amount = usdtpay_money_format (receipt->amount, USDTPAY_USDT_DECIMALS);
  g_autofree char *fee = usdtpay_money_format (receipt->fee, USDTPAY_USDT_DECIMALS);
  g_autofree char *net = usdtpay_money_format (receipt->net, USDTPAY_USDT_DECIMALS);
  g_autofree char *fiat = usdtpay_money_format (receipt->fiat_amount, currency->decimals);
  g_autofree char *seq = g_strdup_printf ("%" G_GINT64_FORMAT, receipt->seq);
  const struct { UsdtpayCsvColumn column; const char *name; const char *value; } expected[] = {
    { USDTPAY_CSV_COL_ID, "id", receipt->id },
    { USDTPAY_CSV_COL_CREATED_AT, "created_at", created },
    { USDTPAY_CSV_COL_COMPLETED_AT, "completed_at", completed },
    { USDTPAY_CSV_COL_STATE, "state", receipt->state },
    { USDTPAY_CSV_COL_AMOUNT, "amount", amount },
    { USDTPAY_CSV_COL_FEE, "fee", fee },
    { USDTPAY_CSV_COL_NET, "net", net },
    { USDTPAY_CSV_COL_FIAT_AMOUNT, "fiat_amount", fiat },
    { USDTPAY_CSV_COL_FIAT_CURRENCY, "fiat_currency", receipt->fiat_currency },
    { USDTPAY_CSV_COL_METHOD, "method", receipt->method },
    { USDTPAY_CSV_COL_MERCHANT, "merchant", or_empty (receipt->merchant) },
    { USDTPAY_CSV_COL_SHOP, "shop", receipt->shop },
    { USDTPAY_CSV_COL_CUSTOMER_REF, "customer_ref", or_empty (receipt->customer_ref) },
    { USDTPAY_CSV_COL_PAYER_NAME, "payer_name", or_empty (receipt->payer_name) },
    { USDTPAY_CSV_COL_SEQ, "seq", seq },
    { USDTPAY_CSV_COL_KEY_ID, "key_id", receipt->key_id },
  };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *cell = usdtpay_csv_unneutralise (cells[expected[i].column]);

      if (!g_str_equal (cell, expected[i].value))
        return expected[i].name;
    }

  return NULL;
}

/* A conforming export neutralises every cell a spreadsheet would run. */
static const char *
unneutralised_column (char **cells,
                      char **header)
{
  for (guint i = 0; cells[i] != NULL; i++)
    {
      char c = cells[i][0];

      if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r')
        return header[i];
    }

  return NULL;
}

static int
verify_csv (const UsdtpayKeySet *set,
            const char          *data,
            gsize                length)
{
  g_autoptr(UsdtpayCsvReader) reader = usdtpay_csv_reader_new (data, length);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) header = usdtpay_csv_reader_next (reader, &error);
  g_auto(GStrv) columns = g_strsplit (USDTPAY_CSV_EXPORT_COLUMNS, ",", -1);
  guint n_rows = 0, n_verified = 0, n_unsigned = 0, n_failed = 0;

  if (header == NULL)
    {
      g_printerr ("usdtpay-receipt: %s\n", error ? error->message : "the CSV is empty");
      return EXIT_FAILED;
    }
  /* More columns may follow ours; ours come first, in order. */
  for (guint i = 0; i < USDTPAY_CSV_EXPORT_N_COLUMNS; i++)
    if (g_strv_length (header) <= i || !g_str_equal (header[i], columns[i]))
      {
        g_printerr ("usdtpay-receipt: the header is not %s\n", USDTPAY_CSV_EXPORT_COLUMNS);
        return EXIT_FAILED;
      }

  for (;;)
    {
      g_auto(GStrv) cells = usdtpay_csv_reader_next (reader, &error);
      g_autoptr(UsdtpayReceipt) receipt = NULL;
      g_autoptr(GError) row_error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *signature = NULL;
      g_autofree char *key_id = NULL;
      guint line = usdtpay_csv_reader_get_line (reader);
      const char *id;
      const char *column;

      if (cells == NULL)
        {
          if (error != NULL)
            {
              g_print ("FAILED %s\n", error->message);
              n_failed++;
            }
          break;
        }
      n_rows++;
      if (g_strv_length (cells) != g_strv_length (header))
        {
          g_print ("FAILED line %u: %u cells, the header has %u\n", line, g_strv_length (cells),
                   g_strv_length (header));
          n_failed++;
          continue;
        }
      id = cells[USDTPAY_CSV_COL_ID];
      if ((column = unneutralised_column (cells, header)) != NULL)
        {
          g_print ("FAILED line %u (%s): the %s cell would run as a formula (not neutralised)\n",
                   line, id, column);
          n_failed++;
          continue;
        }
      text = usdtpay_csv_unneutralise (cells[USDTPAY_CSV_COL_RECEIPT]);
      signature = usdtpay_csv_unneutralise (cells[USDTPAY_CSV_COL_SIGNATURE]);
      key_id = usdtpay_csv_unneutralise (cells[USDTPAY_CSV_COL_KEY_ID]);

      if (*text == '\0' && *signature == '\0' && *key_id == '\0' && *cells[USDTPAY_CSV_COL_SEQ] == '\0')
        {
          /* Only a signed event completes an order. */
          if (g_str_equal (cells[USDTPAY_CSV_COL_STATE], "completed"))
            {
              g_print ("FAILED line %u (%s): a completed order without a receipt\n", line, id);
              n_failed++;
            }
          else
            n_unsigned++;
          continue;
        }

      if (!(receipt = usdtpay_receipt_verify (set, text, strlen (text), signature, &row_error)))
        {
          g_print ("FAILED line %u (%s): %s\n", line, id, row_error->message);
          n_failed++;
          continue;
        }
      if ((column = row_disagrees (cells, receipt)) != NULL)
        {
          g_print ("FAILED line %u (%s): the %s column disagrees with the signed receipt\n", line, id, column);
          n_failed++;
          continue;
        }
      n_verified++;
    }

  g_print ("%u rows: %u verified, %u without a receipt, %u failed\n", n_rows, n_verified, n_unsigned, n_failed);

  return n_failed == 0 ? EXIT_SUCCESS : EXIT_FAILED;
}

static int
verify_one (const UsdtpayKeySet *set,
            const char          *data,
            gsize                length)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(UsdtpayReceipt) receipt = NULL;
  g_autoptr(GError) error = NULL;
  const char *text = NULL, *signature = NULL, *key_id = NULL;

  if (!(object = usdtpay_json_parse_object (data, length, &error)) ||
      !usdtpay_json_get_string (object, "receipt", FALSE, &text, &error) ||
      !usdtpay_json_get_string (object, "signature", FALSE, &signature, &error) ||
      !usdtpay_json_get_string (object, "key_id", TRUE, &key_id, &error))
    {
      g_print ("FAILED: not a receipt answer: %s\n", error->message);
      return EXIT_FAILED;
    }
  if (!(receipt = usdtpay_receipt_verify (set, text, strlen (text), signature, &error)))
    {
      g_print ("FAILED: %s\n", error->message);
      return EXIT_FAILED;
    }
  if (key_id != NULL && !g_str_equal (key_id, receipt->key_id))
    {
      g_print ("FAILED: key_id %s is not the key the receipt names (%s)\n", key_id, receipt->key_id);
      return EXIT_FAILED;
    }

  g_print ("OK %s %s, seq %" G_GINT64_FORMAT ", signed by key %s\n", receipt->id, receipt->state,
           receipt->seq, receipt->key_id);

  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keys_path = NULL;
  const GOptionEntry entries[] = {
    { "keys", 0, 0, G_OPTION_ARG_FILENAME, &keys_path, "The platform's key set (GET /v1/platform-keys)", "KEYSET.json" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("verify FILE|- - check signed receipts");
  g_autoptr(UsdtpayKeySet) set = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *keys_data = NULL;
  g_autofree char *data = NULL;
  gsize keys_length = 0, length = 0;
  const char *p;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "Checks one receipt (the JSON answer of GET /v1/receipts/ID) or a CSV\n"
                                "export: every receipt verifies under its key, the key set's chain is\n"
                                "valid, and every row agrees with its signed receipt.\n"
                                "Exit status: 0 all good, 1 something failed, 2 usage.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("usdtpay-receipt: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (argc != 3 || !g_str_equal (argv[1], "verify") || keys_path == NULL)
    {
      g_printerr ("Usage: usdtpay-receipt verify --keys KEYSET.json FILE|-\n");
      return EXIT_USAGE;
    }

  if (!g_file_get_contents (keys_path, &keys_data, &keys_length, &error) ||
      !(set = usdtpay_key_set_parse (keys_data, keys_length, &error)) ||
      !usdtpay_key_set_verify (set, &error))
    {
      g_print ("FAILED: the key set: %s\n", error->message);
      return EXIT_FAILED;
    }
  if (!read_input (argv[2], &data, &length, &error))
    {
      g_printerr ("usdtpay-receipt: %s\n", error->message);
      return EXIT_USAGE;
    }

  for (p = data; p < data + length && g_ascii_isspace (*p); p++)
    ;
  if (p < data + length && *p == '{')
    return verify_one (set, data, length);

  return verify_csv (set, data, length);
}
