/* test-money.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "usdtpay-core.h"

static gint64
random_gint64 (void)
{
  guint64 hi = g_test_rand_int_range (0, G_MAXINT32) ^ ((guint64)g_test_rand_bit () << 31);
  guint64 lo = (guint32)g_test_rand_int ();
  guint64 v = (hi << 32) | lo;

  /* Mix magnitudes so that short and long numbers are both common. */
  switch (g_test_rand_int_range (0, 4))
    {
    case 0:
      v %= 1000;
      break;
    case 1:
      v %= G_GINT64_CONSTANT (1000000000);
      break;
    default:
      break;
    }

  return g_test_rand_bit () ? (gint64)v : -(gint64)(v & G_MAXINT64);
}

static void
test_parse_valid (void)
{
  static const struct { const char *text; guint decimals; gint64 value; } cases[] = {
    { "0", 6, 0 },
    { "0.0", 6, 0 },
    { "0.5", 6, 500000 },
    { "1", 6, 1000000 },
    { "1234.5", 6, 1234500000 },
    { "1234.500000", 6, 1234500000 },
    { "0.000001", 6, 1 },
    { "10", 0, 10 },
    { "10.25", 2, 1025 },
    { "9223372036854.775807", 6, G_MAXINT64 },
    { "9223372036854775807", 0, G_MAXINT64 },
    { "0.000000000000000001", 18, 1 },
    { "9.223372036854775807", 18, G_MAXINT64 },
    { "100", 3, 100000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 value = -1;

      g_assert_true (usdtpay_money_parse (cases[i].text, cases[i].decimals, 0, &value, &error));
      g_assert_no_error (error);
      g_assert_cmpint (value, ==, cases[i].value);
    }
}

static void
test_parse_negative (void)
{
  g_autoptr(GError) error = NULL;
  gint64 value = 0;

  g_assert_true (usdtpay_money_parse ("-1.5", 6, USDTPAY_MONEY_ALLOW_NEGATIVE, &value, &error));
  g_assert_cmpint (value, ==, -1500000);
  g_assert_true (usdtpay_money_parse ("-9223372036854.775808", 6, USDTPAY_MONEY_ALLOW_NEGATIVE, &value, &error));
  g_assert_cmpint (value, ==, G_MININT64);
  g_assert_true (usdtpay_money_parse ("5", 6, USDTPAY_MONEY_ALLOW_NEGATIVE, &value, &error));
  g_assert_cmpint (value, ==, 5000000);

  g_assert_false (usdtpay_money_parse ("-1", 6, USDTPAY_MONEY_UNSIGNED, &value, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
  g_assert_false (usdtpay_money_parse ("-9223372036854.775809", 6, USDTPAY_MONEY_ALLOW_NEGATIVE, &value, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
}

/* Every refusal class, for a 6-decimal and a negative-allowing parse. */
static void
test_parse_strict (void)
{
  static const char * const bad[] = {
    "", " ", "1 ", " 1", "1\t", "\n1", "1 000", "1,5", "1,000.00",
    "+1", "+0", "--1", "-", "-.5", "+.5", "- 1", "1-", "1+",
    "1e6", "1E6", "1e-6", "1.0e2", "0x10", "0b1", "Infinity", "inf", "NaN", "nan",
    "01", "00", "00.5", "0001", "-01", "-00.1",
    ".5", "5.", ".", "-.", "1..5", "1.2.3", ".0", "0.",
    "0.0000001", "1.1234567", "0.00000000",
    "9223372036854.775808", "9223372036854.775807000", "9223372036855",
    "99999999999999999999", "18446744073709551616",
    "1O", "l", "１", "1\xc2\xa0", "\xef\xbb\xbf" "1", "abc", "1a", "a1", "0.5x",
    "1/2", "½", "-0", "-0.0", "-0.000000",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      for (guint f = 0; f < 2; f++)
        {
          g_autoptr(GError) error = NULL;
          gint64 value = 42;

          if (f == 1 && (strcmp (bad[i], "-") != 0 && bad[i][0] == '-' && bad[i][1] != '-' &&
                         bad[i][1] != '.' && bad[i][1] != ' ' && bad[i][1] != '0'))
            continue; /* A plain negative number, fine with the flag. */

          if (usdtpay_money_parse (bad[i], 6, f ? USDTPAY_MONEY_ALLOW_NEGATIVE : 0, &value, &error))
            g_error ("accepted \"%s\" (flags %u) as %" G_GINT64_FORMAT, bad[i], f, value);
          g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
          g_assert_cmpint (value, ==, 42);
          g_assert_nonnull (strstr (error->message, "invalid amount"));
        }
    }

  /* No decimals at all for a 0-decimal unit. */
  {
    g_autoptr(GError) error = NULL;
    gint64 value;

    g_assert_false (usdtpay_money_parse ("1.0", 0, 0, &value, &error));
    g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
    g_clear_error (&error);
    g_assert_false (usdtpay_money_parse ("1.000", 2, 0, &value, &error));
    g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
    g_clear_error (&error);
    g_assert_false (usdtpay_money_parse (NULL, 2, 0, &value, &error));
    g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  }
}

static void
test_format (void)
{
  static const struct { gint64 value; guint decimals; const char *text; } cases[] = {
    { 0, 6, "0.000000" },
    { 1, 6, "0.000001" },
    { -1, 6, "-0.000001" },
    { 1234500000, 6, "1234.500000" },
    { 1025, 2, "10.25" },
    { 5, 0, "5" },
    { 0, 0, "0" },
    { -5, 0, "-5" },
    { G_MAXINT64, 6, "9223372036854.775807" },
    { G_MININT64, 6, "-9223372036854.775808" },
    { G_MININT64, 0, "-9223372036854775808" },
    { G_MININT64, 18, "-9.223372036854775808" },
    { 1, 18, "0.000000000000000001" },
    { 100000, 3, "100.000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = usdtpay_money_format (cases[i].value, cases[i].decimals);
      char buf[USDTPAY_MONEY_BUF_SIZE];

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpstr (usdtpay_money_format_buf (cases[i].value, cases[i].decimals, buf), ==, cases[i].text);
    }

  {
    g_autofree char *usdt = usdtpay_usdt_format (1500000);
    g_assert_cmpstr (usdt, ==, "1.500000");
  }
}

static void
test_round_trip (void)
{
  for (guint decimals = 0; decimals <= 6; decimals++)
    for (guint i = 0; i < 100000; i++)
      {
        g_autoptr(GError) error = NULL;
        gint64 value = random_gint64 ();
        gint64 back = 0;
        char buf[USDTPAY_MONEY_BUF_SIZE];
        const char *text = usdtpay_money_format_buf (value, decimals, buf);

        if (!usdtpay_money_parse (text, decimals, USDTPAY_MONEY_ALLOW_NEGATIVE, &back, &error))
          g_error ("\"%s\" (decimals %u) did not parse: %s", text, decimals, error->message);
        g_assert_cmpint (back, ==, value);

        if (value >= 0)
          {
            g_assert_true (usdtpay_money_parse (text, decimals, USDTPAY_MONEY_UNSIGNED, &back, NULL));
            g_assert_cmpint (back, ==, value);
          }
        else
          g_assert_false (usdtpay_money_parse (text, decimals, USDTPAY_MONEY_UNSIGNED, &back, NULL));
      }
}

/* The wider units the parser also supports, up to 10^18. */
static void
test_round_trip_wide (void)
{
  for (guint decimals = 7; decimals <= 18; decimals++)
    for (guint i = 0; i < 10000; i++)
      {
        gint64 value = random_gint64 ();
        gint64 back = 0;
        g_autofree char *text = usdtpay_money_format (value, decimals);

        g_assert_true (usdtpay_money_parse (text, decimals, USDTPAY_MONEY_ALLOW_NEGATIVE, &back, NULL));
        g_assert_cmpint (back, ==, value);
      }
}

static void
test_currency_table (void)
{
  gsize n = 0;
  const UsdtpayCurrency *all = usdtpay_currency_get_all (&n);

  g_assert_cmpuint (n, >=, 150);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      gint64 minor = 0;

      g_assert_cmpuint (strlen (all[i].code), ==, 3);
      for (guint k = 0; k < 3; k++)
        g_assert_true (g_ascii_isupper (all[i].code[k]));
      if (i > 0)
        g_assert_cmpint (strcmp (all[i - 1].code, all[i].code), <, 0);
      g_assert_cmpuint (all[i].decimals, <=, 4);
      g_assert_true (usdtpay_currency_lookup (all[i].code) == &all[i]);

      /* One major unit plus one minor unit, both ways. */
      text = usdtpay_fiat_format (1 + (gint64)pow (10, all[i].decimals), all[i].code);
      g_assert_true (usdtpay_fiat_parse (text, all[i].code, &minor, &error));
      g_assert_no_error (error);
      g_assert_cmpint (minor, ==, 1 + (gint64)pow (10, all[i].decimals));
    }
}

static void
test_usdt (void)
{
  g_autoptr(GError) error = NULL;
  gint64 value;

  g_assert_true (usdtpay_usdt_parse ("1000000000", &value, &error));
  g_assert_cmpint (value, ==, USDTPAY_ORDER_AMOUNT_MAX);
  g_assert_false (usdtpay_usdt_parse ("-1", &value, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
}

static void
test_currency (void)
{
  static const struct { const char *code; guint decimals; } known[] = {
    { "CNY", 2 }, { "JPY", 0 }, { "KWD", 3 }, { "USD", 2 }, { "EUR", 2 }, { "VND", 0 },
    { "BHD", 3 }, { "CLF", 4 }, { "KRW", 0 }, { "GBP", 2 }, { "INR", 2 }, { "TND", 3 },
    { "ISK", 0 }, { "CLP", 0 }, { "UYW", 4 }, { "XOF", 0 }, { "AED", 2 }, { "ZWL", 2 },
  };
  static const char * const unknown[] = {
    "cny", "Cny", "XXX", "XAU", "USDT", "US", "", "ABC", "HRK", "DEM",
  };
  g_autoptr(GError) error = NULL;
  gint64 minor;

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      const UsdtpayCurrency *c = usdtpay_currency_lookup (known[i].code);

      g_assert_nonnull (c);
      g_assert_cmpstr (c->code, ==, known[i].code);
      g_assert_cmpuint (c->decimals, ==, known[i].decimals);
    }
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    g_assert_null (usdtpay_currency_lookup (unknown[i]));
  g_assert_null (usdtpay_currency_lookup (NULL));

  g_assert_true (usdtpay_fiat_parse ("100.50", "CNY", &minor, &error));
  g_assert_cmpint (minor, ==, 10050);
  g_assert_true (usdtpay_fiat_parse ("1500", "JPY", &minor, &error));
  g_assert_cmpint (minor, ==, 1500);
  g_assert_true (usdtpay_fiat_parse ("1.234", "KWD", &minor, &error));
  g_assert_cmpint (minor, ==, 1234);

  g_assert_false (usdtpay_fiat_parse ("1.5", "JPY", &minor, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
  g_assert_false (usdtpay_fiat_parse ("0", "CNY", &minor, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
  g_assert_false (usdtpay_fiat_parse ("0.00", "CNY", &minor, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
  g_assert_false (usdtpay_fiat_parse ("-1", "CNY", &minor, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
  g_assert_false (usdtpay_fiat_parse ("10", "XYZ", &minor, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_assert_nonnull (strstr (error->message, "XYZ"));
  g_clear_error (&error);
  g_assert_false (usdtpay_fiat_parse ("10", NULL, &minor, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);

  {
    g_autofree char *a = usdtpay_fiat_format (10050, "CNY");
    g_autofree char *b = usdtpay_fiat_format (1500, "JPY");
    g_autofree char *c = usdtpay_fiat_format (1234, "KWD");

    g_assert_cmpstr (a, ==, "100.50");
    g_assert_cmpstr (b, ==, "1500");
    g_assert_cmpstr (c, ==, "1.234");
  }
}

/* An independent reference: the exact product on 32-bit limbs, then the
 * division by 10000 by long division, then half-up rounding. */
static gint64
reference_fee (gint64 amount,
               guint  bps)
{
  guint64 a = (guint64)amount;
  guint32 limbs[3] = { 0, 0, 0 };   /* little-endian, base 2^32 */
  guint64 carry = 0;
  guint64 rem = 0;
  guint32 quotient[3];
  guint64 q;

  /* amount * bps */
  for (int i = 0; i < 2; i++)
    {
      guint64 part = ((i == 0 ? a & 0xffffffffu : a >> 32)) * (guint64)bps + carry;
      limbs[i] = (guint32)part;
      carry = part >> 32;
    }
  limbs[2] = (guint32)carry;

  /* / 10000, from the top limb down */
  for (int i = 2; i >= 0; i--)
    {
      guint64 cur = (rem << 32) | limbs[i];
      quotient[i] = (guint32)(cur / 10000);
      rem = cur % 10000;
    }
  g_assert_cmpuint (quotient[2], ==, 0);
  q = ((guint64)quotient[1] << 32) | quotient[0];

  if (rem * 2 >= 10000)
    q++;
  return (gint64)q;
}

static void
test_fee_random (void)
{
  for (guint i = 0; i < 1000000; i++)
    {
      /* Uniform in [0, 1e15]. */
      guint64 r = ((guint64)(guint32)g_test_rand_int () << 32) | (guint32)g_test_rand_int ();
      gint64 amount = (gint64)(r % (G_GINT64_CONSTANT (1000000000000000) + 1));
      guint bps = g_test_rand_int_range (0, 10001);
      gint64 fee = usdtpay_fee_compute (amount, bps);

      if (fee != reference_fee (amount, bps))
        g_error ("fee(%" G_GINT64_FORMAT ", %u) = %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
                 amount, bps, fee, reference_fee (amount, bps));
      g_assert_cmpint (fee, >=, 0);
      g_assert_cmpint (fee, <=, amount);
    }
}

static void
test_fee_edges (void)
{
  static const struct { gint64 amount; guint bps; gint64 fee; } cases[] = {
    { 0, 30, 0 },
    { 1, 30, 0 },
    { 1000000, 30, 3000 },          /* 1 USDT at 0.30 % */
    { 100000000, 30, 300000 },
    { 50, 100, 1 },                 /* 0.5 rounds up */
    { 49, 100, 0 },                 /* 0.49 rounds down */
    { 150, 100, 2 },                /* 1.5 rounds up */
    { 5000, 1, 1 },                 /* exactly .5 */
    { 4999, 1, 0 },
    { 15000, 1, 2 },                /* 1.5 */
    { 166666, 30, 500 },            /* 499.998 */
    { 166, 30, 0 },                 /* 0.498 */
    { 167, 30, 1 },                 /* 0.501 */
    { 12345, 10000, 12345 },
    { 12345, 0, 0 },
    { G_MAXINT64, 10000, G_MAXINT64 },
    { G_MAXINT64, 0, 0 },
    { G_MAXINT64, 30, G_GINT64_CONSTANT (27670116110564327) },  /* ...327.4242 */
    { G_MAXINT64, 5000, G_GINT64_CONSTANT (4611686018427387904) }, /* ...903.5 up */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpint (usdtpay_fee_compute (cases[i].amount, cases[i].bps), ==, cases[i].fee);
      g_assert_cmpint (reference_fee (cases[i].amount, cases[i].bps), ==, cases[i].fee);
    }

  /* Whole range, every bps, against the reference. */
  for (guint bps = 0; bps <= 10000; bps++)
    {
      g_assert_cmpint (usdtpay_fee_compute (G_MAXINT64, bps), ==, reference_fee (G_MAXINT64, bps));
      g_assert_cmpint (usdtpay_fee_compute (G_MAXINT64 - bps, bps), ==, reference_fee (G_MAXINT64 - bps, bps));
      g_assert_cmpint (usdtpay_fee_compute (bps * 7919, bps), ==, reference_fee (bps * 7919, bps));
    }

  g_assert_cmpint (USDTPAY_DEFAULT_FEE_BPS, ==, 30);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/money/parse-valid", test_parse_valid);
  g_test_add_func ("/core/money/parse-negative", test_parse_negative);
  g_test_add_func ("/core/money/parse-strict", test_parse_strict);
  g_test_add_func ("/core/money/format", test_format);
  g_test_add_func ("/core/money/round-trip", test_round_trip);
  g_test_add_func ("/core/money/round-trip-wide", test_round_trip_wide);
  g_test_add_func ("/core/money/usdt", test_usdt);
  g_test_add_func ("/core/money/currency-table", test_currency_table);
  g_test_add_func ("/core/money/currency", test_currency);
  g_test_add_func ("/core/money/fee-random", test_fee_random);
  g_test_add_func ("/core/money/fee-edges", test_fee_edges);

  return g_test_run ();
}
