/* usdtpay-export.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-cache-filter.h"
#include "usdtpay-core.h"

G_BEGIN_DECLS

/* What a running export has done, readable from any thread. */
typedef struct
{
  gint done;            /* orders read from the cache */
  gint total;           /* orders in the cache's scope; 0 until counted */
} UsdtpayExportProgress;

/* Writes the CSV export (docs/receipts.md) of the cached orders that pass
 * @filter, in History's default order (closed_at descending, then id), to
 * @dest_path: to a temporary file in the same folder, renamed over
 * @dest_path only when complete, so a cancelled or failed export leaves no
 * file. Reads the cache's plain columns (no JSON), through one read-only
 * connection of its own. Blocks; @progress may be NULL. */
gboolean  usdtpay_export_csv         (const char                *cache_path,
                                      const UsdtpayCacheFilter  *filter,
                                      const char                *dest_path,
                                      UsdtpayExportProgress     *progress,
                                      GCancellable              *cancellable,
                                      guint64                   *n_rows,
                                      GError                   **error);
/* The same in a worker thread. @progress must stay alive until @callback. */
void      usdtpay_export_csv_async   (const char                *cache_path,
                                      const UsdtpayCacheFilter  *filter,
                                      const char                *dest_path,
                                      UsdtpayExportProgress     *progress,
                                      GCancellable              *cancellable,
                                      GAsyncReadyCallback        callback,
                                      gpointer                   user_data);
gboolean  usdtpay_export_csv_finish  (GAsyncResult              *result,
                                      guint64                   *n_rows,
                                      GError                   **error);

/* The export's query for @filter (bound with usdtpay_cache_filter_bind()):
 * the cache's plain columns in the record's order, joined with receipts. */
char     *usdtpay_export_dup_sql     (const UsdtpayCacheFilter  *filter);

/* Parses a --from/--to value: RFC 3339, or a date YYYY-MM-DD (UTC). A date
 * as the upper bound means the end of that day. */
gboolean  usdtpay_export_parse_bound (const char                *text,
                                      gboolean                   upper,
                                      gint64                    *usec,
                                      GError                   **error);

G_END_DECLS
