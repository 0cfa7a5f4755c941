/* usdtpay-paced-model.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "usdtpay-history-model.h"

G_BEGIN_DECLS

/* At least the rows a GTK 4.8 list view keeps row widgets for at the top
 * of the list, however few it shows (GTK_LIST_VIEW_MAX_LIST_ITEMS, 200,
 * and 2 past them); the model keeps as many rows' items. */
#define USDTPAY_LIST_VIEW_ROWS USDTPAY_HISTORY_ROW_ITEMS

#define USDTPAY_TYPE_PACED_MODEL (usdtpay_paced_model_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayPacedModel, usdtpay_paced_model, USDTPAY, PACED_MODEL, GObject)

/* UsdtpayHistoryModel as History's table shows it: the same items at the
 * same positions, paced so that no frame makes or destroys many row
 * widgets, each a row with a cell per column (GTK 4.8's list view makes
 * one for each of the first USDTPAY_LIST_VIEW_ROWS rows at once, whatever
 * its height, and destroys those of the rows removed).
 *
 * - From few rows to many: the rows that fill the widget show at once,
 *   the rest a step of rows a frame, at the end.
 * - From many rows to few: the rows past the last result stay, hidden
 *   (their items say so, usdtpay_history_item_get_hidden(), and the
 *   cells hide their row: it takes no room and cannot be focused or
 *   picked), for a later search to show again at the same positions
 *   (the model keeps its first page's items, position by position); a
 *   second after the last change they go, a step of rows a frame.
 *
 * Every change of the model shows at once in the rows shown: only rows
 * below the last one shown are ever pending or hidden. */
UsdtpayPacedModel *usdtpay_paced_model_new             (UsdtpayHistoryModel *model);
/* The list view showing the model: paced on its frame clock, and only
 * while it is mapped (otherwise everything at once). */
void               usdtpay_paced_model_set_widget      (UsdtpayPacedModel   *self,
                                                        GtkWidget           *widget);
/* Rows shown at once when pacing starts (those that fill the widget; 0
 * while not known: no pacing) and rows shown or dropped a frame. */
void               usdtpay_paced_model_set_rows        (UsdtpayPacedModel   *self,
                                                        guint                first,
                                                        guint                step);
/* Shows at once every row up to and including @position (G_MAXUINT: all). */
void               usdtpay_paced_model_reveal          (UsdtpayPacedModel   *self,
                                                        guint                position);
/* TRUE while rows of the model are still to show. */
gboolean           usdtpay_paced_model_get_pacing      (UsdtpayPacedModel   *self);
/* Rows kept hidden past the last one shown. */
guint              usdtpay_paced_model_get_hidden_rows (UsdtpayPacedModel   *self);
/* The most rows one frame has shown or dropped (for the tests). */
guint              usdtpay_paced_model_get_max_step    (UsdtpayPacedModel   *self);

G_END_DECLS
