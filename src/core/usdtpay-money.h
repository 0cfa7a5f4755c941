/* usdtpay-money.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* USDT is held as gint64 micro-USDT: exactly the token's 6 on-chain decimals. */
#define USDTPAY_USDT_DECIMALS    6
#define USDTPAY_MICRO_PER_USDT   G_GINT64_CONSTANT (1000000)
/* An order's amount is above 0 and at most 1 000 000 000 USDT. */
#define USDTPAY_ORDER_AMOUNT_MAX (G_GINT64_CONSTANT (1000000000) * USDTPAY_MICRO_PER_USDT)
#define USDTPAY_DEFAULT_FEE_BPS  30

typedef enum
{
  USDTPAY_MONEY_UNSIGNED = 0,
  USDTPAY_MONEY_ALLOW_NEGATIVE = 1 << 0,
} UsdtpayMoneyFlags;

typedef struct
{
  const char *code;      /* ISO 4217 alphabetic code, e.g. "CNY" */
  guint       decimals;  /* minor-unit exponent, e.g. 2 */
} UsdtpayCurrency;

/* Parses a plain decimal string ("1234.5", "0.000001") into minor units of
 * @decimals places. Refused, with USDTPAY_ERROR_INVALID_AMOUNT: empty text,
 * whitespace, an exponent, a '+', a '-' unless @flags allows it, a leading
 * or trailing '.', more decimals than @decimals, leading zeros ("01"),
 * anything that overflows gint64.
 */
gboolean               usdtpay_money_parse         (const char         *text,
                                                    guint               decimals,
                                                    UsdtpayMoneyFlags   flags,
                                                    gint64             *out,
                                                    GError            **error);
/* Formats with exactly @decimals places ("1234.500000"); a '-' for negatives. */
char                  *usdtpay_money_format        (gint64              amount,
                                                    guint               decimals);
/* Writes into @buf (at least USDTPAY_MONEY_BUF_SIZE bytes), no allocation. */
#define USDTPAY_MONEY_BUF_SIZE 32
const char            *usdtpay_money_format_buf    (gint64              amount,
                                                    guint               decimals,
                                                    char               *buf);

gboolean               usdtpay_usdt_parse          (const char         *text,
                                                    gint64             *out,
                                                    GError            **error);
char                  *usdtpay_usdt_format         (gint64              micro);

/* ISO 4217 table. Returns NULL for an unknown code (codes are upper case). */
const UsdtpayCurrency *usdtpay_currency_lookup     (const char         *code);
/* The whole table, sorted by code; @n_currencies gets its length. */
const UsdtpayCurrency *usdtpay_currency_get_all    (gsize              *n_currencies);
/* Parses an amount of @currency into its minor units; unknown currency and
 * amounts <= 0 are refused. */
gboolean               usdtpay_fiat_parse          (const char         *text,
                                                    const char         *currency,
                                                    gint64             *out,
                                                    GError            **error);
char                  *usdtpay_fiat_format         (gint64              minor,
                                                    const char         *currency);

/* fee = amount * bps / 10000 rounded half-up to the micro-unit, without
 * overflow for any 0 <= amount <= G_MAXINT64 and bps <= 10000. */
gint64                 usdtpay_fee_compute         (gint64              amount,
                                                    guint               bps);

G_END_DECLS
