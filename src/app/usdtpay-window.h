/* usdtpay-window.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "usdtpay-alerts.h"
#include "usdtpay-order-store.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_WINDOW (usdtpay_window_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayWindow, usdtpay_window, USDTPAY, WINDOW, AdwApplicationWindow)

UsdtpayWindow     *usdtpay_window_new              (AdwApplication *application,
                                                    GSettings      *settings,
                                                    UsdtpayAlerts  *alerts);
/* Logs in with a stored session if there is one, else shows the login page. */
void               usdtpay_window_restore_session  (UsdtpayWindow  *self);
/* Logs in with these credentials right away (the --platform, --username,
 * --password-file options). */
void               usdtpay_window_login            (UsdtpayWindow  *self,
                                                    const char     *platform,
                                                    const char     *username,
                                                    const char     *password);
void               usdtpay_window_logout           (UsdtpayWindow  *self);
/* Whether the merchant is logged in and online for orders. */
gboolean           usdtpay_window_get_online       (UsdtpayWindow  *self);
void               usdtpay_window_show_order       (UsdtpayWindow  *self,
                                                    const char     *id);
UsdtpayOrderStore *usdtpay_window_get_store        (UsdtpayWindow  *self);
void               usdtpay_window_add_toast        (UsdtpayWindow  *self,
                                                    const char     *text);
/* The open confirmation dialog, if any (tests). */
GtkWindow         *usdtpay_window_get_dialog       (UsdtpayWindow  *self);
/* Answers the open dialog as the merchant would: ticks "I have checked my
 * account" when @check, then picks @response. */
gboolean           usdtpay_window_respond_dialog   (UsdtpayWindow  *self,
                                                    const char     *response,
                                                    gboolean        check);
/* A JSON description of what the window shows (tests). */
char              *usdtpay_window_describe         (UsdtpayWindow  *self);

/* Shows @dialog as the window's open dialog (the one the tests answer). */
void            usdtpay_window_show_dialog           (UsdtpayWindow  *self,
                                                      GtkWindow      *dialog);
/* Activates @action (e.g. "wallet.top-up") on the view stack's page @page
 * (the tests' app.test-page-action). */
gboolean        usdtpay_window_activate_page_action  (UsdtpayWindow  *self,
                                                      const char     *page,
                                                      const char     *action);

/* Types @text into the open dialog's entry (the tests' app.test-dialog-text). */
gboolean        usdtpay_window_set_dialog_text       (UsdtpayWindow  *self,
                                                      const char     *text);

/* Exports History's current filter from the cache to @path (the tests'
 * app.test-export; the Export CSV button asks for @path first). FALSE when
 * an export is already running or no one is logged in. */
gboolean        usdtpay_window_export_to             (UsdtpayWindow  *self,
                                                      const char     *path);

G_END_DECLS
