/* usdtpay-history-page.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "usdtpay-cache.h"
#include "usdtpay-client.h"
#include "usdtpay-history-model.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_HISTORY_PAGE (usdtpay_history_page_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayHistoryPage, usdtpay_history_page, USDTPAY, HISTORY_PAGE, AdwBin)

/* The History page: the cached orders in a table that pages from the cache
 * (UsdtpayHistoryModel), searched, filtered and sorted in SQL, the selected
 * order's detail (fields, timeline, receipt) and the CSV export of the
 * current filter. It emits `changed` when what it shows changes. */

/* Starts showing @account's orders at @platform from @cache; @client
 * (nullable) fetches timelines while online. @support shows the Merchant
 * column and filter. A NULL @cache ends the session. */
void          usdtpay_history_page_set_session    (UsdtpayHistoryPage        *self,
                                                   UsdtpayCache              *cache,
                                                   UsdtpayClient             *client,
                                                   const char                *platform,
                                                   const char                *account,
                                                   gboolean                   support);
/* The merchants support may filter by (GtkStringObject names). */
void          usdtpay_history_page_set_merchants  (UsdtpayHistoryPage        *self,
                                                   GListModel                *merchants);
/* The trusted key set (borrowed: copied) or why there is none, for the
 * receipt's badge. */
void          usdtpay_history_page_set_keys       (UsdtpayHistoryPage        *self,
                                                   const UsdtpayKeySet       *keys,
                                                   const char                *problem);
/* Selects order @id and shows its detail (looked up in the cache when its
 * row is not loaded). */
void          usdtpay_history_page_show_order     (UsdtpayHistoryPage        *self,
                                                   const char                *id);
void          usdtpay_history_page_focus_search   (UsdtpayHistoryPage        *self);
/* The current filter (search, chips), as the export takes it. */
UsdtpayCacheFilter *usdtpay_history_page_dup_filter (UsdtpayHistoryPage      *self);

/* CSV export of the current filter: with a file chooser, to @path (FALSE
 * when one is running or there is no session), and cancelled. */
void          usdtpay_history_page_choose_export  (UsdtpayHistoryPage        *self);
gboolean      usdtpay_history_page_export_to      (UsdtpayHistoryPage        *self,
                                                   const char                *path);
void          usdtpay_history_page_cancel_export  (UsdtpayHistoryPage        *self);

/* Test hooks: sets a control as a person would ("search", "state",
 * "period", "method", "merchant", "sort" as COLUMN:asc|desc, "scroll" to a
 * row number); FALSE for an unknown control or value. */
gboolean      usdtpay_history_page_test_set       (UsdtpayHistoryPage        *self,
                                                   const char                *control,
                                                   const char                *value);
/* Adds what the page shows to the tests' state object. */
void          usdtpay_history_page_describe       (UsdtpayHistoryPage        *self,
                                                   JsonBuilder               *builder);

/* Whether @cached is the receipt of @order_id signed by a key of @keys
 * (NULL: not known, @problem says why). */
gboolean      usdtpay_receipt_check               (const UsdtpayKeySet        *keys,
                                                   const char                 *problem,
                                                   const char                 *order_id,
                                                   const UsdtpayCachedReceipt *cached,
                                                   GError                    **error);

G_END_DECLS
