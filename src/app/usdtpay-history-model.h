/* usdtpay-history-model.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "usdtpay-cache-filter.h"
#include "usdtpay-history-item.h"

G_BEGIN_DECLS

/* What History sorts by: a column of the table, in SQL. */
typedef enum
{
  USDTPAY_HISTORY_SORT_TIME,      /* created_at */
  USDTPAY_HISTORY_SORT_ID,
  USDTPAY_HISTORY_SORT_STATE,
  USDTPAY_HISTORY_SORT_FIAT,
  USDTPAY_HISTORY_SORT_USDT,
  USDTPAY_HISTORY_SORT_FEE,
  USDTPAY_HISTORY_SORT_METHOD,
  USDTPAY_HISTORY_SORT_CUSTOMER,
  USDTPAY_HISTORY_SORT_MERCHANT,
  USDTPAY_N_HISTORY_SORTS
} UsdtpayHistorySort;

/* Rows of a page read from the cache at once. */
#define USDTPAY_HISTORY_PAGE_SIZE 200

/* The first rows, whose items the model keeps position by position: more
 * than a GTK 4.8 list view keeps row widgets for at the top of the list
 * (200, and 2 past them). */
#define USDTPAY_HISTORY_ROW_ITEMS 256

#define USDTPAY_TYPE_HISTORY_MODEL (usdtpay_history_model_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayHistoryModel, usdtpay_history_model, USDTPAY, HISTORY_MODEL, GObject)

/* A GListModel of UsdtpayHistoryItem over the cached orders a
 * UsdtpayCacheFilter selects, sorted in SQL. It never reads every row: it
 * counts the rows of the query and reads pages of
 * USDTPAY_HISTORY_PAGE_SIZE as the view asks for their positions, handing
 * out placeholder items that fill in when their page arrives. Queries run
 * in a worker thread on the model's own read-only connection to the cache
 * file; a new query cancels the one in flight (sqlite3_progress_handler)
 * and replaces the contents with one items-changed. */
UsdtpayHistoryModel *usdtpay_history_model_new            (void);
/* The cache file (usdtpay_cache_get_path()); NULL empties the model. */
void                 usdtpay_history_model_set_cache_path (UsdtpayHistoryModel       *self,
                                                           const char                *path);
/* Starts a new query; @filter NULL empties the model. */
void                 usdtpay_history_model_set_query      (UsdtpayHistoryModel       *self,
                                                           const UsdtpayCacheFilter  *filter,
                                                           UsdtpayHistorySort         sort,
                                                           gboolean                   descending);
/* Reads the current query again (the cache changed): when the row count
 * is unchanged the loaded rows update in place, keeping the view's
 * selection and scroll position; otherwise the contents are replaced and
 * `refreshed` tells the view to restore its selection by id. */
void                 usdtpay_history_model_refresh        (UsdtpayHistoryModel       *self);
const UsdtpayCacheFilter *usdtpay_history_model_get_filter (UsdtpayHistoryModel      *self);
UsdtpayHistorySort   usdtpay_history_model_get_sort       (UsdtpayHistoryModel       *self);
gboolean             usdtpay_history_model_get_descending (UsdtpayHistoryModel       *self);
/* TRUE from set_query() until its first page is in the model. */
gboolean             usdtpay_history_model_get_loading    (UsdtpayHistoryModel       *self);
/* TRUE once the query's row count is known (n-items is final). */
gboolean             usdtpay_history_model_get_counted    (UsdtpayHistoryModel       *self);
/* The item at @position if its page is loaded, without asking for it. */
UsdtpayHistoryItem  *usdtpay_history_model_peek_item      (UsdtpayHistoryModel       *self,
                                                           guint                      position);
/* The item of row @position (< USDTPAY_HISTORY_ROW_ITEMS): the model hands
 * out the same item for that position whatever the query, and keeps it
 * when the rows are fewer (then it is no row of the model, and shows what
 * it last did). Borrowed. */
UsdtpayHistoryItem  *usdtpay_history_model_get_row_item   (UsdtpayHistoryModel       *self,
                                                           guint                      position);
/* The position of order @id among the loaded rows, or FALSE. */
gboolean             usdtpay_history_model_find_loaded    (UsdtpayHistoryModel       *self,
                                                           const char                *id,
                                                           guint                     *position);
/* Pages read from the cache since the model was made (for the tests), and
 * of them those read after the last row of the page before (by the sort's
 * index, not by an offset: sorts by time, id and the amounts). */
guint                usdtpay_history_model_get_pages_read (UsdtpayHistoryModel       *self);
guint                usdtpay_history_model_get_pages_keyed (UsdtpayHistoryModel      *self);
/* When the last query's first page came back from the worker, before the
 * model changed (g_get_monotonic_time(); for the benchmark). */
gint64               usdtpay_history_model_get_answered_at (UsdtpayHistoryModel  *self);
/* Pages held in memory now. */
guint                usdtpay_history_model_get_pages_held (UsdtpayHistoryModel       *self);

/* One cached order by id, under the current filter's platform and account,
 * whether or not the filter selects it; NULL without an error when none. */
void                 usdtpay_history_model_lookup_async   (UsdtpayHistoryModel       *self,
                                                           const char                *id,
                                                           GCancellable              *cancellable,
                                                           GAsyncReadyCallback        callback,
                                                           gpointer                   user_data);
UsdtpayOrder        *usdtpay_history_model_lookup_finish  (UsdtpayHistoryModel       *self,
                                                           GAsyncResult              *result,
                                                           GError                   **error);

G_END_DECLS
