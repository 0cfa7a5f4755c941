/* usdtpay-cache-filter.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "usdtpay-cache-filter.h"

G_DEFINE_BOXED_TYPE (UsdtpayCacheFilter, usdtpay_cache_filter,
                     usdtpay_cache_filter_copy, usdtpay_cache_filter_free)

#define ALL_STATES ((1u << USDTPAY_N_ORDER_STATES) - 1)

UsdtpayCacheFilter *
usdtpay_cache_filter_new (const char *platform,
                          const char *account)
{
  UsdtpayCacheFilter *filter;

  g_return_val_if_fail (platform != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);

  filter = g_new0 (UsdtpayCacheFilter, 1);
  filter->platform = g_strdup (platform);
  filter->account = g_strdup (account);

  return filter;
}

UsdtpayCacheFilter *
usdtpay_cache_filter_copy (const UsdtpayCacheFilter *filter)
{
  UsdtpayCacheFilter *copy;

  g_return_val_if_fail (filter != NULL, NULL);

  copy = g_new0 (UsdtpayCacheFilter, 1);
  copy->platform = g_strdup (filter->platform);
  copy->account = g_strdup (filter->account);
  copy->search = g_strdup (filter->search);
  copy->states = filter->states;
  copy->from = filter->from;
  copy->to = filter->to;
  copy->method = g_strdup (filter->method);
  copy->merchant = g_strdup (filter->merchant);

  return copy;
}

void
usdtpay_cache_filter_free (UsdtpayCacheFilter *filter)
{
  if (filter == NULL)
    return;

  g_free (filter->platform);
  g_free (filter->account);
  g_free (filter->search);
  g_free (filter->method);
  g_free (filter->merchant);
  g_free (filter);
}

/* The search text as a LIKE pattern: its own % _ and \ escaped. */
static char *
like_pattern (const char *text,
              gboolean    prefix_only)
{
  GString *pattern = g_string_new (prefix_only ? NULL : "%");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');

  return g_string_free (pattern, FALSE);
}

/* Currencies whose minor unit is not 2 decimals, so a fiat search compares
 * each row in its own currency's units. */
static void
append_fiat_case (GString *sql,
                  guint    first_param,
                  guint    two_decimals_param)
{
  const UsdtpayCurrency *all;
  gsize n = 0;

  all = usdtpay_currency_get_all (&n);
  g_string_append (sql, "o.fiat_amount = CASE o.fiat_currency");
  for (gsize i = 0; i < n; i++)
    if (all[i].decimals != 2 && all[i].decimals <= 4)
      g_string_append_printf (sql, " WHEN '%s' THEN ?%u", all[i].code,
                              first_param + all[i].decimals);
  g_string_append_printf (sql, " ELSE ?%u END", two_decimals_param);
}

/* The one walk over the filter that both writes the SQL (@sql non-NULL) and
 * binds it (@stmt non-NULL), so the two can never disagree. Returns N. */
static guint
walk (const UsdtpayCacheFilter *filter,
      GString                  *sql,
      sqlite3_stmt             *stmt)
{
  guint n = 0;

  if (sql != NULL)
    g_string_append (sql, " WHERE o.platform = ?1 AND o.account = ?2");
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, filter->platform, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, filter->account, -1, SQLITE_TRANSIENT);
    }
  n = 2;

  if (filter->states != 0 && (filter->states & ALL_STATES) != ALL_STATES)
    {
      gboolean first = TRUE;

      /* Our own wire names, as literals. */
      if (sql != NULL)
        {
          g_string_append (sql, " AND o.state IN (");
          for (guint s = 0; s < USDTPAY_N_ORDER_STATES; s++)
            if (filter->states & (1u << s))
              {
                g_string_append_printf (sql, "%s'%s'", first ? "" : ", ",
                                        usdtpay_order_state_to_string (s));
                first = FALSE;
              }
          if (first)
            g_string_append (sql, "NULL");
          g_string_append_c (sql, ')');
        }
    }

  if (filter->from != 0)
    {
      n++;
      if (sql != NULL)
        g_string_append_printf (sql, " AND o.closed_at >= ?%u", n);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, n, filter->from);
    }
  if (filter->to != 0)
    {
      n++;
      if (sql != NULL)
        g_string_append_printf (sql, " AND o.closed_at > 0 AND o.closed_at < ?%u", n);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, n, filter->to);
    }
  if (filter->method != NULL)
    {
      n++;
      if (sql != NULL)
        g_string_append_printf (sql, " AND o.method = ?%u", n);
      if (stmt != NULL)
        sqlite3_bind_text (stmt, n, filter->method, -1, SQLITE_TRANSIENT);
    }
  if (filter->merchant != NULL)
    {
      n++;
      if (sql != NULL)
        g_string_append_printf (sql, " AND o.merchant = ?%u", n);
      if (stmt != NULL)
        sqlite3_bind_text (stmt, n, filter->merchant, -1, SQLITE_TRANSIENT);
    }

  if (filter->search != NULL && filter->search[0] != '\0')
    {
      const char *text = filter->search;
      guint id_param = n + 1, ref_param = n + 2, usdt_param = n + 3, fiat_param = n + 4;
      gint64 value;

      /* ?id ?ref ?usdt, then one fiat amount per number of decimals 0..4
       * (NULL when the text is not an amount at that precision: NULL
       * equals nothing). */
      n += 3 + 5;
      if (sql != NULL)
        {
          g_string_append_printf (sql, " AND (o.id LIKE ?%u ESCAPE '\\'"
                                  " OR o.customer_ref LIKE ?%u ESCAPE '\\'"
                                  " OR o.amount = ?%u OR ",
                                  id_param, ref_param, usdt_param);
          append_fiat_case (sql, fiat_param, fiat_param + 2);
          g_string_append_c (sql, ')');
        }
      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, id_param, like_pattern (text, TRUE), -1, g_free);
          sqlite3_bind_text (stmt, ref_param, like_pattern (text, FALSE), -1, g_free);
          if (usdtpay_money_parse (text, USDTPAY_USDT_DECIMALS, USDTPAY_MONEY_UNSIGNED, &value, NULL))
            sqlite3_bind_int64 (stmt, usdt_param, value);
          else
            sqlite3_bind_null (stmt, usdt_param);
          for (guint d = 0; d <= 4; d++)
            {
              if (usdtpay_money_parse (text, d, USDTPAY_MONEY_UNSIGNED, &value, NULL))
                sqlite3_bind_int64 (stmt, fiat_param + d, value);
              else
                sqlite3_bind_null (stmt, fiat_param + d);
            }
        }
    }

  return n;
}

void
usdtpay_cache_filter_append_where (const UsdtpayCacheFilter *filter,
                                   GString                  *sql)
{
  g_return_if_fail (filter != NULL && filter->platform != NULL && filter->account != NULL);
  g_return_if_fail (sql != NULL);

  walk (filter, sql, NULL);
}

void
usdtpay_cache_filter_bind (const UsdtpayCacheFilter *filter,
                           sqlite3_stmt             *stmt)
{
  g_return_if_fail (filter != NULL && filter->platform != NULL && filter->account != NULL);
  g_return_if_fail (stmt != NULL);

  walk (filter, NULL, stmt);
}

guint
usdtpay_cache_filter_get_n_params (const UsdtpayCacheFilter *filter)
{
  g_return_val_if_fail (filter != NULL, 0);

  return walk (filter, NULL, NULL);
}
