/* usdtpay-time.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-error.h"
#include "usdtpay-time.h"

#define USEC_PER_SEC G_GINT64_CONSTANT (1000000)
#define SEC_PER_DAY  G_GINT64_CONSTANT (86400)

/* Years 0000–9999 are what the wire format can hold. */
#define MIN_DAYS G_GINT64_CONSTANT (-719528)   /* 0000-01-01 */
#define MAX_DAYS G_GINT64_CONSTANT (2932897)   /* 10000-01-01 */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static gint64
days_from_civil (gint64 y,
                 guint  m,
                 guint  d)
{
  gint64 era;
  guint yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (guint)(y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

  return era * 146097 + (gint64)doe - 719468;
}

static void
civil_from_days (gint64  z,
                 gint64 *year,
                 guint  *month,
                 guint  *day)
{
  gint64 era;
  guint doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (guint)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = (gint64)yoe + era * 400 + (*month <= 2);
}

static gint64
floor_div (gint64 a,
           gint64 b)
{
  gint64 q = a / b;

  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

static inline void
put_digits (char  *out,
            guint  value,
            guint  n)
{
  for (guint i = n; i > 0; i--)
    {
      out[i - 1] = '0' + value % 10;
      value /= 10;
    }
}

const char *
usdtpay_time_format_buf (gint64  usec,
                         char   *buf)
{
  gint64 secs, days, rem_usec, sod, year;
  guint month, day;

  g_return_val_if_fail (buf != NULL, NULL);

  secs = floor_div (usec, USEC_PER_SEC);
  rem_usec = usec - secs * USEC_PER_SEC;
  days = floor_div (secs, SEC_PER_DAY);
  sod = secs - days * SEC_PER_DAY;

  /* Clamp to what four year digits can say rather than print garbage. */
  if (days < MIN_DAYS)
    {
      days = MIN_DAYS;
      sod = 0;
      rem_usec = 0;
    }
  else if (days >= MAX_DAYS)
    {
      days = MAX_DAYS - 1;
      sod = SEC_PER_DAY - 1;
      rem_usec = USEC_PER_SEC - 1;
    }

  civil_from_days (days, &year, &month, &day);

  /* By hand rather than with printf: every event and answer has times. */
  put_digits (buf, (guint)year, 4);
  buf[4] = '-';
  put_digits (buf + 5, month, 2);
  buf[7] = '-';
  put_digits (buf + 8, day, 2);
  buf[10] = 'T';
  put_digits (buf + 11, (guint)(sod / 3600), 2);
  buf[13] = ':';
  put_digits (buf + 14, (guint)(sod / 60 % 60), 2);
  buf[16] = ':';
  put_digits (buf + 17, (guint)(sod % 60), 2);
  buf[19] = '.';
  put_digits (buf + 20, (guint)rem_usec, 6);
  buf[26] = 'Z';
  buf[27] = '\0';
  return buf;
}

char *
usdtpay_time_format (gint64 usec)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  return g_strdup (usdtpay_time_format_buf (usec, buf));
}

static gboolean
read_digits (const char **p,
             guint        n,
             guint       *out)
{
  guint value = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      value = value * 10 + ((*p)[i] - '0');
    }

  *p += n;
  *out = value;
  return TRUE;
}

static gboolean
is_leap (guint year)
{
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static guint
days_in_month (guint year,
               guint month)
{
  static const guint lengths[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  if (month == 2 && is_leap (year))
    return 29;
  return lengths[month - 1];
}

static gboolean
refuse (GError    **error,
        const char *text,
        const char *reason)
{
  g_autofree char *prefix = g_strndup (text, 40);
  g_autofree char *shown = g_strescape (prefix, NULL);

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
               "invalid time \"%s\": %s (expected RFC 3339, e.g. "
               "\"2026-11-26T02:18:47.123456Z\")",
               shown, reason);
  return FALSE;
}

gboolean
usdtpay_time_parse (const char  *text,
                    gint64      *usec,
                    GError     **error)
{
  const char *p = text;
  guint year, month, day, hour, minute, second;
  gint64 frac_usec = 0;
  gint64 offset_sec = 0;
  gint64 days;

  g_return_val_if_fail (usec != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (text == NULL)
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                           "missing time");
      return FALSE;
    }

  if (!read_digits (&p, 4, &year) || *p++ != '-' ||
      !read_digits (&p, 2, &month) || *p++ != '-' ||
      !read_digits (&p, 2, &day))
    return refuse (error, text, "bad date");
  if (month < 1 || month > 12 || day < 1 || day > days_in_month (year, month))
    return refuse (error, text, "no such date");

  if (*p++ != 'T')
    return refuse (error, text, "expected 'T' between date and time");

  if (!read_digits (&p, 2, &hour) || *p++ != ':' ||
      !read_digits (&p, 2, &minute) || *p++ != ':' ||
      !read_digits (&p, 2, &second))
    return refuse (error, text, "bad time of day");
  if (hour > 23 || minute > 59 || second > 59)
    return refuse (error, text, "no such time of day");

  if (*p == '.')
    {
      guint n = 0;
      gint64 scale = 100000;

      p++;
      for (; g_ascii_isdigit (*p); p++, n++)
        {
          if (n >= 9)
            return refuse (error, text, "more than 9 fractional digits");
          /* Digits beyond the microsecond are dropped (truncated). */
          frac_usec += (*p - '0') * scale;
          scale /= 10;
        }
      if (n == 0)
        return refuse (error, text, "digits must follow the '.'");
    }

  if (*p == 'Z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      gint sign = *p == '-' ? -1 : 1;
      guint oh, om;

      p++;
      if (!read_digits (&p, 2, &oh) || *p++ != ':' || !read_digits (&p, 2, &om))
        return refuse (error, text, "bad UTC offset");
      if (oh > 23 || om > 59)
        return refuse (error, text, "no such UTC offset");
      offset_sec = sign * (gint64)(oh * 3600 + om * 60);
    }
  else
    return refuse (error, text, "expected 'Z' or a UTC offset");

  if (*p != '\0')
    return refuse (error, text, "unexpected characters at the end");

  days = days_from_civil (year, month, day);
  *usec = ((days * SEC_PER_DAY + hour * 3600 + minute * 60 + second) - offset_sec)
          * USEC_PER_SEC + frac_usec;
  return TRUE;
}
