/* usdtpay-csv.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "usdtpay-order.h"
#include "usdtpay-receipt.h"

G_BEGIN_DECLS

/* CSV as docs/receipts.md describes it: RFC 4180, UTF-8, records ended by
 * CRLF, a cell quoted when it holds '"', ',', CR or LF (a '"' doubled), and
 * formula neutralisation: a cell that begins with any number of '\'' and
 * then one of = + - @ TAB CR gets one more '\'' in front. The reader gives
 * cells back as written; usdtpay_csv_unneutralise() takes the '\'' off
 * again, so that every text round-trips exactly. */

/* Whether @cell (NUL-terminated) would be neutralised. */
gboolean  usdtpay_csv_needs_neutralising (const char         *cell);
/* Appends one cell, neutralised and quoted as needed (no separator). NULL
 * is an empty cell. */
void      usdtpay_csv_append_cell        (GString            *out,
                                          const char         *cell);
/* Appends @n_cells cells separated by ',' and ends the record with CRLF. */
void      usdtpay_csv_append_row         (GString            *out,
                                          const char * const *cells,
                                          gsize               n_cells);
/* The inverse of neutralisation, for a cell as read. */
char     *usdtpay_csv_unneutralise       (const char         *cell);

/* A reader over a whole text. Accepts CRLF or LF record ends and a final
 * record without one; refuses text that is not UTF-8, a '"' inside an
 * unquoted cell and a quoted cell that is not closed, naming the line. */
typedef struct _UsdtpayCsvReader UsdtpayCsvReader;

UsdtpayCsvReader *usdtpay_csv_reader_new      (const char        *data,
                                               gsize              length);
void              usdtpay_csv_reader_free     (UsdtpayCsvReader  *reader);
/* Returns the next record's cells (as written, NULL-terminated) or NULL at
 * the end (@error unset) or on an error. */
char            **usdtpay_csv_reader_next     (UsdtpayCsvReader  *reader,
                                               GError           **error);
/* The line on which the record last returned started (1-based). */
guint             usdtpay_csv_reader_get_line (UsdtpayCsvReader  *reader);

/* The receipt export. Its columns, in this order: */
#define USDTPAY_CSV_EXPORT_COLUMNS \
  "id,created_at,completed_at,state,amount,fee,net,fiat_amount,fiat_currency," \
  "method,merchant,shop,customer_ref,payer_name,seq,key_id,receipt,signature"
#define USDTPAY_CSV_EXPORT_N_COLUMNS 18

typedef enum
{
  USDTPAY_CSV_COL_ID,
  USDTPAY_CSV_COL_CREATED_AT,
  USDTPAY_CSV_COL_COMPLETED_AT,
  USDTPAY_CSV_COL_STATE,
  USDTPAY_CSV_COL_AMOUNT,
  USDTPAY_CSV_COL_FEE,
  USDTPAY_CSV_COL_NET,
  USDTPAY_CSV_COL_FIAT_AMOUNT,
  USDTPAY_CSV_COL_FIAT_CURRENCY,
  USDTPAY_CSV_COL_METHOD,
  USDTPAY_CSV_COL_MERCHANT,
  USDTPAY_CSV_COL_SHOP,
  USDTPAY_CSV_COL_CUSTOMER_REF,
  USDTPAY_CSV_COL_PAYER_NAME,
  USDTPAY_CSV_COL_SEQ,
  USDTPAY_CSV_COL_KEY_ID,
  USDTPAY_CSV_COL_RECEIPT,
  USDTPAY_CSV_COL_SIGNATURE,
} UsdtpayCsvColumn;

/* Appends the header record. */
void      usdtpay_csv_append_export_header (GString            *out);
/* Appends @order's record. @receipt is the signed canonical text and
 * @signature its hex signature, @seq and @key_id the receipt's own (as
 * GET /v1/receipts answers them); all four are NULL/0 for an order without
 * a receipt, which leaves those cells empty. Times are RFC 3339 UTC, money
 * exact decimal strings, unset values empty cells. */
void      usdtpay_csv_append_export_row    (GString            *out,
                                            const UsdtpayOrder *order,
                                            gint64              seq,
                                            const char         *key_id,
                                            const char         *receipt,
                                            const char         *signature);

typedef enum
{
  USDTPAY_CSV_ROW_VERIFIED,
  USDTPAY_CSV_ROW_UNSIGNED,   /* no receipt, and not completed */
  USDTPAY_CSV_ROW_FAILED,
} UsdtpayCsvRowStatus;

/* Checks one export record as read (@cells, at least the export's columns)
 * against @set (already verified): no cell would run as a formula; the
 * receipt verifies under the key it names, which the key_id cell names too;
 * and every other column agrees with the signed receipt after undoing
 * neutralisation. A record without a receipt is UNSIGNED, unless it says
 * completed (only a signed event completes an order). On FAILED, @error
 * names the first problem. */
UsdtpayCsvRowStatus usdtpay_csv_verify_export_row (const UsdtpayKeySet  *set,
                                                   char * const         *cells,
                                                   GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayCsvReader, usdtpay_csv_reader_free)

G_END_DECLS
