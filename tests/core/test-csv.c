/* test-csv.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/csv/neutralise", test_neutralise);
  g_test_add_func ("/core/csv/round-trip", test_round_trip);
  g_test_add_func ("/core/csv/reader", test_reader);
  g_test_add_func ("/core/csv/export-row", test_export_row);

  return g_test_run ();
}
