/* usdtpay-money.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usdtpay-error.h"
#include "usdtpay-money.h"

/* 10^18 is the largest power of ten in a gint64. */
#define MAX_DECIMALS 18

/* ISO 4217 list one, active codes with a numeric minor unit (funds and
 * precious-metal codes without one are left out). Sorted by code for
 * bsearch(). */
static const UsdtpayCurrency currencies[] = {
  { "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
  { "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
  { "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
  { "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
  { "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
  { "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
  { "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
  { "COU", 2 }, { "CRC", 2 }, { "CUC", 2 }, { "CUP", 2 }, { "CVE", 2 },
  { "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 },
  { "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 },
  { "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 },
  { "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 },
  { "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 },
  { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 },
  { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 },
  { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 },
  { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 },
  { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 },
  { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 },
  { "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 },
  { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 },
  { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 },
  { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 },
  { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 }, { "RUB", 2 },
  { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 },
  { "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SLL", 2 },
  { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 }, { "SVC", 2 },
  { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 }, { "TMT", 2 },
  { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 }, { "TWD", 2 },
  { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 }, { "USN", 2 },
  { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 }, { "VED", 2 },
  { "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 }, { "XAF", 0 },
  { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 }, { "YER", 2 },
  { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 }, { "ZWL", 2 },
};

static gboolean
refuse (GError    **error,
        const char *text,
        const char *reason)
{
  g_autofree char *shown = NULL;

  /* Quote at most a bounded, printable prefix of what we were given. */
  if (text != NULL)
    {
      g_autofree char *prefix = g_strndup (text, 40);
      shown = g_strescape (prefix, NULL);
    }

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
               "invalid amount \"%s%s\": %s",
               shown != NULL ? shown : "",
               text != NULL && strlen (text) > 40 ? "…" : "",
               reason);
  return FALSE;
}

gboolean
usdtpay_money_parse (const char         *text,
                     guint               decimals,
                     UsdtpayMoneyFlags   flags,
                     gint64             *out,
                     GError            **error)
{
  const char *p = text;
  gboolean negative = FALSE;
  guint64 limit;
  guint64 value = 0;
  guint n_int = 0;
  guint n_frac = 0;

  g_return_val_if_fail (decimals <= MAX_DECIMALS, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (text == NULL || *text == '\0')
    return refuse (error, text, "empty");

  if (*p == '-')
    {
      if ((flags & USDTPAY_MONEY_ALLOW_NEGATIVE) == 0)
        return refuse (error, text, "a sign is not allowed here");
      negative = TRUE;
      p++;
    }
  else if (*p == '+')
    return refuse (error, text, "a sign is not allowed");

  if (*p == '.')
    return refuse (error, text, "digits must come before the decimal point");
  if (!g_ascii_isdigit (*p))
    return refuse (error, text, "expected a digit");
  if (p[0] == '0' && g_ascii_isdigit (p[1]))
    return refuse (error, text, "leading zeros are not allowed");

  /* Magnitudes up to 2^63 inclusive, so that G_MININT64 parses. */
  limit = negative ? (guint64)G_MAXINT64 + 1 : (guint64)G_MAXINT64;

  for (; g_ascii_isdigit (*p); p++, n_int++)
    {
      guint digit = *p - '0';

      if (value > (limit - digit) / 10)
        return refuse (error, text, "too large");
      value = value * 10 + digit;
    }

  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return refuse (error, text, "digits must follow the decimal point");

      for (; g_ascii_isdigit (*p); p++, n_frac++)
        {
          guint digit = *p - '0';

          if (n_frac >= decimals)
            {
              if (decimals == 0)
                return refuse (error, text, "this unit has no decimals");
              return refuse (error, text, decimals == 1 ? "more than 1 decimal"
                                                        : "too many decimals");
            }
          if (value > (limit - digit) / 10)
            return refuse (error, text, "too large");
          value = value * 10 + digit;
        }
    }

  if (*p != '\0')
    {
      if (*p == 'e' || *p == 'E')
        return refuse (error, text, "exponents are not allowed");
      if (g_ascii_isspace (*p))
        return refuse (error, text, "whitespace is not allowed");
      return refuse (error, text, "unexpected character");
    }

  g_assert (n_int > 0);

  /* Scale up to the unit's decimals. */
  for (; n_frac < decimals; n_frac++)
    {
      if (value > limit / 10)
        return refuse (error, text, "too large");
      value *= 10;
    }

  if (negative)
    {
      if (value == 0)
        return refuse (error, text, "negative zero is not allowed");
      *out = -(gint64)(value - 1) - 1;
    }
  else
    *out = (gint64)value;

  return TRUE;
}

const char *
usdtpay_money_format_buf (gint64  amount,
                          guint   decimals,
                          char   *buf)
{
  char digits[24];
  guint64 magnitude;
  guint n = 0;
  char *o = buf;

  g_return_val_if_fail (decimals <= MAX_DECIMALS, NULL);
  g_return_val_if_fail (buf != NULL, NULL);

  magnitude = amount < 0 ? (guint64)(-(amount + 1)) + 1 : (guint64)amount;

  /* Least significant digit first, at least decimals + 1 of them. */
  do
    {
      digits[n++] = '0' + magnitude % 10;
      magnitude /= 10;
    }
  while (magnitude != 0 || n <= decimals);

  if (amount < 0)
    *o++ = '-';
  while (n > decimals)
    *o++ = digits[--n];
  if (decimals > 0)
    {
      *o++ = '.';
      while (n > 0)
        *o++ = digits[--n];
    }
  *o = '\0';

  g_assert (o - buf < USDTPAY_MONEY_BUF_SIZE);

  return buf;
}

char *
usdtpay_money_format (gint64 amount,
                      guint  decimals)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  g_return_val_if_fail (decimals <= MAX_DECIMALS, NULL);

  return g_strdup (usdtpay_money_format_buf (amount, decimals, buf));
}

gboolean
usdtpay_usdt_parse (const char  *text,
                    gint64      *out,
                    GError     **error)
{
  return usdtpay_money_parse (text, USDTPAY_USDT_DECIMALS, USDTPAY_MONEY_UNSIGNED, out, error);
}

char *
usdtpay_usdt_format (gint64 micro)
{
  return usdtpay_money_format (micro, USDTPAY_USDT_DECIMALS);
}

static int
currency_compare (const void *key,
                  const void *element)
{
  const UsdtpayCurrency *currency = element;

  return strcmp (key, currency->code);
}

const UsdtpayCurrency *
usdtpay_currency_lookup (const char *code)
{
  if (code == NULL || strlen (code) != 3)
    return NULL;

  return bsearch (code, currencies, G_N_ELEMENTS (currencies),
                  sizeof currencies[0], currency_compare);
}

const UsdtpayCurrency *
usdtpay_currency_get_all (gsize *n_currencies)
{
  g_return_val_if_fail (n_currencies != NULL, NULL);

  *n_currencies = G_N_ELEMENTS (currencies);
  return currencies;
}

gboolean
usdtpay_fiat_parse (const char  *text,
                    const char  *currency,
                    gint64      *out,
                    GError     **error)
{
  const UsdtpayCurrency *info;
  gint64 value;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  info = usdtpay_currency_lookup (currency);
  if (info == NULL)
    {
      g_autofree char *shown = currency != NULL ? g_strescape (currency, NULL) : NULL;

      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   "unknown currency \"%s\" (an upper-case ISO 4217 code is expected)",
                   shown != NULL ? shown : "");
      return FALSE;
    }

  if (!usdtpay_money_parse (text, info->decimals, USDTPAY_MONEY_UNSIGNED, &value, error))
    return FALSE;

  if (value <= 0)
    return refuse (error, text, "must be above zero");

  *out = value;
  return TRUE;
}

char *
usdtpay_fiat_format (gint64      minor,
                     const char *currency)
{
  const UsdtpayCurrency *info = usdtpay_currency_lookup (currency);

  g_return_val_if_fail (info != NULL, NULL);

  return usdtpay_money_format (minor, info->decimals);
}

gint64
usdtpay_fee_compute (gint64 amount,
                     guint  bps)
{
  gint64 q, r;

  g_return_val_if_fail (amount >= 0, 0);
  g_return_val_if_fail (bps <= 10000, 0);

  /* amount * bps / 10000 = q * bps + r * bps / 10000, and q * bps is whole,
   * so only the second term needs rounding. Neither product can overflow:
   * q * bps <= amount and r * bps < 10^8. */
  q = amount / 10000;
  r = amount % 10000;

  return q * (gint64)bps + (r * (gint64)bps + 5000) / 10000;
}
