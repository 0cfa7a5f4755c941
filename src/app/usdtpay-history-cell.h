/* usdtpay-history-cell.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "usdtpay-history-model.h"

G_BEGIN_DECLS

#define USDTPAY_TYPE_HISTORY_CELL (usdtpay_history_cell_get_type ())

G_DECLARE_FINAL_TYPE (UsdtpayHistoryCell, usdtpay_history_cell, USDTPAY, HISTORY_CELL, GtkWidget)

/* One cell of History's table: a column's text of the row's order on one
 * line, ellipsized at the end. The table keeps 200 rows of these per
 * column whatever its height (GtkListView's own reserve), and a search can
 * bring them all new text, so the cell is lean: no GtkLabel, its height
 * the font's line height (no layout needed to measure it), its text laid
 * out once, when first drawn or measured across, and kept; bound straight
 * to the row's UsdtpayHistoryItem by one handler. Numeric columns use
 * tabular figures (the "numeric" style class, and the "tnum" feature on
 * the text). Assistive technologies read it as a label of its text. */
GtkWidget  *usdtpay_history_cell_new      (UsdtpayHistorySort  column);
/* Shows @item's order (nothing while it is not loaded) and follows it. */
void        usdtpay_history_cell_bind     (UsdtpayHistoryCell *self,
                                           UsdtpayHistoryItem *item);
void        usdtpay_history_cell_unbind   (UsdtpayHistoryCell *self);
/* What the cell shows ("" when empty); a cell off screen writes its text
 * (and its accessible label) when it shows, or when asked here. */
const char *usdtpay_history_cell_get_text (UsdtpayHistoryCell *self);
/* The text of @column for @object, as a cell shows it. */
char       *usdtpay_history_cell_format   (UsdtpayHistorySort  column,
                                           UsdtpayOrderObject *object);

G_END_DECLS
