/* test-time.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "usdtpay-core.h"

static void
test_format (void)
{
  static const struct { gint64 usec; const char *text; } cases[] = {
    { 0, "1970-01-01T00:00:00.000000Z" },
    { 1, "1970-01-01T00:00:00.000001Z" },
    { -1, "1969-12-31T23:59:59.999999Z" },
    { G_GINT64_CONSTANT (951782400000000), "2000-02-29T00:00:00.000000Z" },
    { G_GINT64_CONSTANT (1795659527123456), "2026-11-26T02:18:47.123456Z" },
    { G_GINT64_CONSTANT (253402300799999999), "9999-12-31T23:59:59.999999Z" },
    { G_GINT64_CONSTANT (-62167219200000000), "0000-01-01T00:00:00.000000Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = usdtpay_time_format (cases[i].usec);
      char buf[USDTPAY_TIME_BUF_SIZE];
      gint64 back = 0;

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpstr (usdtpay_time_format_buf (cases[i].usec, buf), ==, cases[i].text);
      g_assert_true (usdtpay_time_parse (text, &back, NULL));
      g_assert_cmpint (back, ==, cases[i].usec);
    }
}

/* Against GDateTime, an independent implementation. */
static void
test_against_gdatetime (void)
{
  for (guint i = 0; i < 20000; i++)
    {
      gint64 usec = (gint64)g_test_rand_double_range (-6.0e14, 2.5e15) * 100;
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC - (usec % G_USEC_PER_SEC < 0));
      g_autofree char *expected_prefix = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%06d",
                                                          g_date_time_get_year (dt),
                                                          g_date_time_get_month (dt),
                                                          g_date_time_get_day_of_month (dt),
                                                          g_date_time_get_hour (dt),
                                                          g_date_time_get_minute (dt),
                                                          g_date_time_get_second (dt),
                                                          (int)(usec - g_date_time_to_unix (dt) * G_USEC_PER_SEC));
      g_autofree char *text = usdtpay_time_format (usec);
      gint64 back = 0;

      if (!g_str_has_prefix (text, expected_prefix))
        g_error ("%" G_GINT64_FORMAT ": %s, GDateTime says %s", usec, text, expected_prefix);
      g_assert_true (usdtpay_time_parse (text, &back, NULL));
      g_assert_cmpint (back, ==, usec);
    }
}

static void
test_parse (void)
{
  static const struct { const char *text; gint64 usec; } cases[] = {
    { "1970-01-01T00:00:00Z", 0 },
    { "1970-01-01T00:00:00.5Z", 500000 },
    { "1970-01-01T00:00:00.123456789Z", 123456 },
    { "1970-01-01T00:00:00.000000001Z", 0 },
    { "1970-01-01T01:00:00+01:00", 0 },
    { "1969-12-31T19:00:00-05:00", 0 },
    { "1970-01-01T05:30:00.000001+05:30", 1 },
    { "2026-11-26T02:18:47.123456Z", G_GINT64_CONSTANT (1795659527123456) },
    { "2024-02-29T12:00:00Z", G_GINT64_CONSTANT (1709208000000000) },
    { "1970-01-01T00:00:00-00:00", 0 },
  };
  static const char * const bad[] = {
    "", "1970", "1970-01-01", "1970-01-01T00:00:00", "1970-01-01 00:00:00Z",
    "1970-01-01t00:00:00Z", "1970-01-01T00:00:00z", "1970-1-01T00:00:00Z",
    "70-01-01T00:00:00Z", "1970-13-01T00:00:00Z", "1970-00-01T00:00:00Z",
    "1970-01-32T00:00:00Z", "1970-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
    "1970-01-00T00:00:00Z", "1970-01-01T24:00:00Z", "1970-01-01T00:60:00Z",
    "1970-01-01T00:00:60Z", "1970-01-01T00:00:00.Z", "1970-01-01T00:00:00.1234567890Z",
    "1970-01-01T00:00:00+0100", "1970-01-01T00:00:00+01", "1970-01-01T00:00:00+24:00",
    "1970-01-01T00:00:00+01:60", "1970-01-01T00:00:00Z ", " 1970-01-01T00:00:00Z",
    "1970-01-01T00:00:00ZZ", "1970-01-01T00:00:00UTC", "+1970-01-01T00:00:00Z",
    "1970-01-01T00:00:00,5Z", "1970-01-01T0:00:00Z", "1970-01-01T00:00:00.-1Z",
    "197a-01-01T00:00:00Z", "1970-01-01T00:00:00+1:00",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 usec = -42;

      g_assert_true (usdtpay_time_parse (cases[i].text, &usec, &error));
      g_assert_no_error (error);
      g_assert_cmpint (usec, ==, cases[i].usec);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 usec = -42;

      if (usdtpay_time_parse (bad[i], &usec, &error))
        g_error ("accepted \"%s\"", bad[i]);
      g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
      g_assert_cmpint (usec, ==, -42);
    }
}

/* Random RFC 3339 texts with offsets and 0–9 fractional digits, read by us
 * and by GDateTime. */
static void
test_parse_against_gdatetime (void)
{
  static const guint month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  guint compared = 0;

  for (guint i = 0; i < 20000; i++)
    {
      guint year = g_test_rand_int_range (2, 9999);
      guint month = g_test_rand_int_range (1, 13);
      gboolean leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
      guint day = g_test_rand_int_range (1, month_days[month - 1] + (month == 2 && leap) + 1);
      guint n_frac = g_test_rand_int_range (0, 10);
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GDateTime) dt = NULL;
      guint frac_usec = 0;
      gint64 usec = 0;

      g_string_append_printf (text, "%04u-%02u-%02uT%02d:%02d:%02d", year, month, day,
                              g_test_rand_int_range (0, 24), g_test_rand_int_range (0, 60),
                              g_test_rand_int_range (0, 60));
      if (n_frac > 0)
        {
          g_string_append_c (text, '.');
          for (guint k = 0; k < n_frac; k++)
            {
              guint digit = g_test_rand_int_range (0, 10);

              g_string_append_c (text, '0' + digit);
              if (k < 6)
                frac_usec = frac_usec * 10 + digit;
            }
          for (guint k = n_frac; k < 6; k++)
            frac_usec *= 10;
        }
      if (g_test_rand_bit ())
        g_string_append_c (text, 'Z');
      else
        g_string_append_printf (text, "%c%02d:%02d", g_test_rand_bit () ? '+' : '-',
                                g_test_rand_int_range (0, 24), g_test_rand_int_range (0, 60));

      if (!usdtpay_time_parse (text->str, &usec, NULL))
        g_error ("refused %s", text->str);
      dt = g_date_time_new_from_iso8601 (text->str, NULL);
      if (dt == NULL)
        continue;   /* GDateTime cannot say every instant near its range's ends */

      g_assert_cmpint (usec / G_USEC_PER_SEC - (usec % G_USEC_PER_SEC < 0), ==, g_date_time_to_unix (dt));
      g_assert_cmpint ((usec % G_USEC_PER_SEC + G_USEC_PER_SEC) % G_USEC_PER_SEC, ==, frac_usec);
      compared++;
    }

  g_test_message ("%u of 20000 compared", compared);
  g_assert_cmpuint (compared, >, 19000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/time/format", test_format);
  g_test_add_func ("/core/time/against-gdatetime", test_against_gdatetime);
  g_test_add_func ("/core/time/parse", test_parse);
  g_test_add_func ("/core/time/parse-against-gdatetime", test_parse_against_gdatetime);

  return g_test_run ();
}
