/* usdtpay-export.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-core.h"

G_BEGIN_DECLS

/* Which cached orders an export takes: one platform and account's cache,
 * narrowed like History (any of these may be unset). */
typedef struct
{
  char   *platform;
  char   *account;      /* the cache's merchant key: the logged-in user */
  int     state;        /* a UsdtpayOrderState, or -1 for every state */
  char   *method;       /* NULL: every method */
  char   *merchant;     /* NULL: every merchant (support's caches) */
  gint64  from;         /* created_at >= from (µs); 0: no bound */
  gint64  to;           /* created_at < to (µs); 0: no bound */
} UsdtpayExportFilter;

UsdtpayExportFilter *usdtpay_export_filter_copy (const UsdtpayExportFilter *filter);
void                 usdtpay_export_filter_free (UsdtpayExportFilter       *filter);

/* What a running export has done, readable from any thread. */
typedef struct
{
  gint done;            /* orders read from the cache */
  gint total;           /* orders in the cache's scope; 0 until counted */
} UsdtpayExportProgress;

/* Writes the CSV export (docs/receipts.md) of the cached orders that pass
 * @filter, oldest first, to @dest_path: to a temporary file in the same
 * folder, renamed over @dest_path only when complete, so a cancelled or
 * failed export leaves no file. Blocks; @progress may be NULL. */
gboolean  usdtpay_export_csv         (const char                *cache_path,
                                      const UsdtpayExportFilter *filter,
                                      const char                *dest_path,
                                      UsdtpayExportProgress     *progress,
                                      GCancellable              *cancellable,
                                      guint64                   *n_rows,
                                      GError                   **error);
/* The same in a worker thread. @progress must stay alive until @callback. */
void      usdtpay_export_csv_async   (const char                *cache_path,
                                      const UsdtpayExportFilter *filter,
                                      const char                *dest_path,
                                      UsdtpayExportProgress     *progress,
                                      GCancellable              *cancellable,
                                      GAsyncReadyCallback        callback,
                                      gpointer                   user_data);
gboolean  usdtpay_export_csv_finish  (GAsyncResult              *result,
                                      guint64                   *n_rows,
                                      GError                   **error);

/* Parses a --from/--to value: RFC 3339, or a date YYYY-MM-DD (UTC). A date
 * as the upper bound means the end of that day. */
gboolean  usdtpay_export_parse_bound (const char                *text,
                                      gboolean                   upper,
                                      gint64                    *usec,
                                      GError                   **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsdtpayExportFilter, usdtpay_export_filter_free)

G_END_DECLS
