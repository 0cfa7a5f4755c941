/* test-csv.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-core.h"

static const char * const tricky[] = {
  "plain",
  "",
  "=cmd|' /C calc'!A0",
  "=HYPERLINK(\"http://x\",\"y\")",
  "+1",
  "-1",
  "@x",
  "\tTab",
  "\rCR",
  "'=already",
  "''+two",
  "'plain apostrophe",
  "a'=b",
  "quote \" inside",
  "\"",
  "comma, inside",
  "line\nbreak",
  "crlf\r\ninside",
  "trailing\r",
  "支付宝 – ünïcødé 🙂",
  " leading space",
  "x=1",
  "-",
};

static void
test_neutralise (void)
{
  static const struct { const char *cell; const char *written; } cases[] = {
    { "=1+2", "'=1+2" },
    { "+1", "'+1" },
    { "-1", "'-1" },
    { "@SUM(A1)", "'@SUM(A1)" },
    { "\tx", "'\tx" },
    { "\rx", "\"'\rx\"" },
    { "'=x", "''=x" },
    { "'x", "'x" },
    { "a=b", "a=b" },
    { "a,b", "\"a,b\"" },
    { "a\"b", "\"a\"\"b\"" },
    { "=a,\"b\"", "\"'=a,\"\"b\"\"\"" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      usdtpay_csv_append_cell (out, cases[i].cell);
      g_assert_cmpstr (out->str, ==, cases[i].written);
    }
}

static void
test_round_trip (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(UsdtpayCsvReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  guint n_rows = 0;

  /* Each tricky cell alone, in the middle and at the end of a row. */
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
    {
      const char *row[] = { tricky[i], "mid", tricky[i], tricky[G_N_ELEMENTS (tricky) - 1 - i] };

      usdtpay_csv_append_row (out, row, G_N_ELEMENTS (row));
    }

  reader = usdtpay_csv_reader_new (out->str, out->len);
  for (;;)
    {
      g_auto(GStrv) cells = usdtpay_csv_reader_next (reader, &error);

      g_assert_no_error (error);
      if (cells == NULL)
        break;
      g_assert_cmpuint (g_strv_length (cells), ==, 4);
      for (guint c = 0; c < 4; c++)
        {
          const char *expected = c == 1 ? "mid" : c == 3 ? tricky[G_N_ELEMENTS (tricky) - 1 - n_rows] : tricky[n_rows];
          g_autofree char *back = usdtpay_csv_unneutralise (cells[c]);

          g_assert_cmpstr (back, ==, expected);
          /* What a spreadsheet sees never starts a formula. */
          g_assert_false (cells[c][0] == '=' || cells[c][0] == '+' || cells[c][0] == '-' ||
                          cells[c][0] == '@' || cells[c][0] == '\t' || cells[c][0] == '\r');
        }
      n_rows++;
    }
  g_assert_cmpuint (n_rows, ==, G_N_ELEMENTS (tricky));
}

static void
test_reader (void)
{
  static const struct { const char *text; guint n_records; gboolean ok; } cases[] = {
    { "a,b\r\nc,d\r\n", 2, TRUE },
    { "a,b\nc,d", 2, TRUE },
    { "\"a\nb\",c\n", 1, TRUE },
    { "a,\"b\r\nc\"\r\n", 1, TRUE },
    { ",,\n", 1, TRUE },
    { "a,\"b", 0, FALSE },
    { "a,b\"c\n", 0, FALSE },
    { "a,\"b\"c\n", 0, FALSE },
    { "a,\xff\n", 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(UsdtpayCsvReader) reader = usdtpay_csv_reader_new (cases[i].text, strlen (cases[i].text));
      g_autoptr(GError) error = NULL;
      guint n = 0;

      for (;;)
        {
          g_auto(GStrv) cells = usdtpay_csv_reader_next (reader, &error);

          if (cells == NULL)
            break;
          n++;
        }
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (n, ==, cases[i].n_records);
        }
      else
        g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
    }

  {
    const char *text = "a,\"b\"\"c\",\"\"\r\n";
    g_autoptr(UsdtpayCsvReader) reader = usdtpay_csv_reader_new (text, strlen (text));
    g_auto(GStrv) cells = usdtpay_csv_reader_next (reader, NULL);

    g_assert_cmpuint (g_strv_length (cells), ==, 3);
    g_assert_cmpstr (cells[1], ==, "b\"c");
    g_assert_cmpstr (cells[2], ==, "");
  }
}

static void
test_export_row (void)
{
  g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(UsdtpayCsvReader) reader = NULL;
  g_auto(GStrv) header = NULL;
  g_auto(GStrv) row = NULL;
  g_auto(GStrv) row2 = NULL;
  g_autofree char *ref = NULL;
  const char *receipt = "{\"a\":\"x,y\"}";

  order->id = g_strdup ("ord_1");
  order->state = USDTPAY_ORDER_COMPLETED;
  order->amount = 1500000;
  order->fee = 4500;
  order->net = 1495500;
  order->fiat_amount = 1050;
  memcpy (order->fiat_currency, "JPY", 4);
  order->method = g_strdup ("bank");
  order->customer_ref = g_strdup ("=cmd|' /C calc'!A0");
  order->payer_name = g_strdup ("王 \"小\" 明");
  order->shop = g_strdup ("shop1");
  order->merchant = g_strdup ("m1");
  order->created_at = G_GINT64_CONSTANT (1795659527123456);
  order->completed_at = G_GINT64_CONSTANT (1795659600000003);

  usdtpay_csv_append_export_header (out);
  usdtpay_csv_append_export_row (out, order, 17, "k1", receipt, "ab01");
  order->completed_at = 0;
  order->state = USDTPAY_ORDER_EXPIRED;
  usdtpay_csv_append_export_row (out, order, 0, NULL, NULL, NULL);
  g_assert_true (g_str_has_suffix (out->str, "\r\n"));

  reader = usdtpay_csv_reader_new (out->str, out->len);
  header = usdtpay_csv_reader_next (reader, NULL);
  row = usdtpay_csv_reader_next (reader, NULL);
  row2 = usdtpay_csv_reader_next (reader, NULL);
  g_assert_null (usdtpay_csv_reader_next (reader, NULL));

  g_assert_cmpuint (g_strv_length (header), ==, USDTPAY_CSV_EXPORT_N_COLUMNS);
  g_assert_cmpstr (header[USDTPAY_CSV_COL_SIGNATURE], ==, "signature");
  g_assert_cmpstr (header[USDTPAY_CSV_COL_PAYER_NAME], ==, "payer_name");
  g_assert_cmpuint (g_strv_length (row), ==, USDTPAY_CSV_EXPORT_N_COLUMNS);
  g_assert_cmpstr (row[USDTPAY_CSV_COL_ID], ==, "ord_1");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_CREATED_AT], ==, "2026-11-26T02:18:47.123456Z");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_COMPLETED_AT], ==, "2026-11-26T02:20:00.000003Z");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_STATE], ==, "completed");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_AMOUNT], ==, "1.500000");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_FEE], ==, "0.004500");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_NET], ==, "1.495500");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_FIAT_AMOUNT], ==, "1050");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_FIAT_CURRENCY], ==, "JPY");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_CUSTOMER_REF], ==, "'=cmd|' /C calc'!A0");
  ref = usdtpay_csv_unneutralise (row[USDTPAY_CSV_COL_CUSTOMER_REF]);
  g_assert_cmpstr (ref, ==, order->customer_ref);
  g_assert_cmpstr (row[USDTPAY_CSV_COL_PAYER_NAME], ==, order->payer_name);
  g_assert_cmpstr (row[USDTPAY_CSV_COL_SEQ], ==, "17");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_KEY_ID], ==, "k1");
  g_assert_cmpstr (row[USDTPAY_CSV_COL_RECEIPT], ==, receipt);
  g_assert_cmpstr (row[USDTPAY_CSV_COL_SIGNATURE], ==, "ab01");

  g_assert_cmpstr (row2[USDTPAY_CSV_COL_COMPLETED_AT], ==, "");
  g_assert_cmpstr (row2[USDTPAY_CSV_COL_STATE], ==, "expired");
  g_assert_cmpstr (row2[USDTPAY_CSV_COL_SEQ], ==, "");
  g_assert_cmpstr (row2[USDTPAY_CSV_COL_RECEIPT], ==, "");
  g_assert_cmpstr (row2[USDTPAY_CSV_COL_SIGNATURE], ==, "");
}

/* The export written by usdtpay_csv_append_export_row() verifies row by row;
 * any changed cell does not. */
static void
test_export_verify (void)
{
  g_autoptr(UsdtpayKeySet) set = usdtpay_key_set_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(UsdtpayCsvReader) reader = NULL;
  g_auto(GStrv) header = NULL;
  guint8 public_key[32], secret_key[64], seed[32] = { 7 };
  guint n_verified = 0, n_unsigned = 0;

  g_assert_cmpint (sodium_init (), >=, 0);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  g_assert_true (usdtpay_key_set_add (set, "k1", public_key, 1, NULL, NULL));

  usdtpay_csv_append_export_header (out);
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
    {
      g_autoptr(UsdtpayOrder) order = usdtpay_order_new ();
      g_autoptr(UsdtpayReceipt) receipt = NULL;
      g_autofree char *text = NULL;
      g_autofree char *signature = NULL;
      gsize length = 0;

      order->id = g_strdup_printf ("ord_%020u", i);
      order->state = i % 3 == 2 ? USDTPAY_ORDER_CANCELLED : USDTPAY_ORDER_COMPLETED;
      order->amount = 1000000 + i;
      order->fee = usdtpay_fee_compute (order->amount, 30);
      order->net = order->amount - order->fee;
      order->fiat_amount = 720 + i;
      memcpy (order->fiat_currency, i % 2 ? "JPY" : "CNY", 4);
      order->method = g_strdup ("bank");
      order->customer_ref = *tricky[i] ? g_strdup (tricky[i]) : NULL;
      order->payer_name = g_strdup (tricky[G_N_ELEMENTS (tricky) - 1 - i]);
      order->shop = g_strdup ("shop1");
      order->merchant = g_strdup (i % 4 == 3 ? "-m" : "m1");
      order->created_at = G_GINT64_CONSTANT (1795659527123456) + i;
      order->matched_at = order->created_at + 1;
      order->completed_at = order->state == USDTPAY_ORDER_COMPLETED ? order->created_at + 2 : 0;

      if (i == 4)
        {
          /* An order never completed has no receipt. */
          order->state = USDTPAY_ORDER_EXPIRED;
          order->completed_at = 0;
          usdtpay_csv_append_export_row (out, order, 0, NULL, NULL, NULL);
          continue;
        }
      receipt = usdtpay_receipt_new_for_order (order, "order.resolved", 100 + i, "k1", order->created_at + 3);
      text = usdtpay_receipt_encode (receipt, &length);
      signature = usdtpay_ed25519_sign_hex (secret_key, text, length);
      usdtpay_csv_append_export_row (out, order, 100 + i, "k1", text, signature);
    }

  reader = usdtpay_csv_reader_new (out->str, out->len);
  header = usdtpay_csv_reader_next (reader, NULL);
  for (;;)
    {
      g_auto(GStrv) cells = usdtpay_csv_reader_next (reader, NULL);
      g_autoptr(GError) error = NULL;
      UsdtpayCsvRowStatus status;

      if (cells == NULL)
        break;
      status = usdtpay_csv_verify_export_row (set, cells, &error);
      g_assert_no_error (error);
      if (status == USDTPAY_CSV_ROW_UNSIGNED)
        {
          n_unsigned++;
          /* Said completed, it fails. */
          g_free (cells[USDTPAY_CSV_COL_STATE]);
          cells[USDTPAY_CSV_COL_STATE] = g_strdup ("completed");
          g_assert_cmpint (usdtpay_csv_verify_export_row (set, cells, NULL), ==, USDTPAY_CSV_ROW_FAILED);
          continue;
        }
      g_assert_cmpint (status, ==, USDTPAY_CSV_ROW_VERIFIED);
      n_verified++;

      /* Each column changed in turn. */
      for (guint c = 0; c < USDTPAY_CSV_EXPORT_N_COLUMNS; c++)
        {
          g_autofree char *saved = cells[c];
          g_autoptr(GError) local_error = NULL;

          cells[c] = c == USDTPAY_CSV_COL_RECEIPT ? g_strdup_printf ("%s ", saved)
                   : c == USDTPAY_CSV_COL_SIGNATURE ? g_strdup_printf ("%.127s%c", saved, saved[127] == '0' ? '1' : '0')
                   : g_strdup_printf ("%sx", saved);
          g_assert_cmpint (usdtpay_csv_verify_export_row (set, cells, &local_error), ==, USDTPAY_CSV_ROW_FAILED);
          g_assert_nonnull (local_error);
          g_free (cells[c]);
          cells[c] = g_steal_pointer (&saved);
        }

      /* An un-neutralised formula fails even when it agrees with the receipt. */
      {
        g_autofree char *saved = cells[USDTPAY_CSV_COL_CUSTOMER_REF];
        g_autoptr(GError) local_error = NULL;

        cells[USDTPAY_CSV_COL_CUSTOMER_REF] = g_strdup ("=1+1");
        g_assert_cmpint (usdtpay_csv_verify_export_row (set, cells, &local_error), ==, USDTPAY_CSV_ROW_FAILED);
        g_assert_nonnull (strstr (local_error->message, "formula"));
        g_free (cells[USDTPAY_CSV_COL_CUSTOMER_REF]);
        cells[USDTPAY_CSV_COL_CUSTOMER_REF] = g_steal_pointer (&saved);
      }
    }
  g_assert_cmpuint (n_unsigned, ==, 1);
  g_assert_cmpuint (n_verified, ==, G_N_ELEMENTS (tricky) - 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/csv/neutralise", test_neutralise);
  g_test_add_func ("/core/csv/round-trip", test_round_trip);
  g_test_add_func ("/core/csv/reader", test_reader);
  g_test_add_func ("/core/csv/export-row", test_export_row);
  g_test_add_func ("/core/csv/export-verify", test_export_verify);

  return g_test_run ();
}
