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
      g_autoptr(GError) row_error = NULL;
      guint line = usdtpay_csv_reader_get_line (reader);

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
      switch (usdtpay_csv_verify_export_row (set, cells, &row_error))
        {
        case USDTPAY_CSV_ROW_VERIFIED:
          n_verified++;
          break;
        case USDTPAY_CSV_ROW_UNSIGNED:
          n_unsigned++;
          break;
        case USDTPAY_CSV_ROW_FAILED:
        default:
          g_print ("FAILED line %u (%s): %s\n", line, cells[USDTPAY_CSV_COL_ID], row_error->message);
          n_failed++;
          break;
        }
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
