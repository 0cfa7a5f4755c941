/* usdtpay-history-page.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-history-page"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <time.h>

#include "usdtpay-export.h"
#include "usdtpay-history-cell.h"
#include "usdtpay-history-page.h"
#include "usdtpay-paced-model.h"
#include "usdtpay-range-dialog.h"
#include "usdtpay-window.h"

struct _UsdtpayHistoryPage
{
  AdwBin                 parent_instance;

  /* The session */
  UsdtpayCache          *cache;
  UsdtpayClient         *client;
  char                  *platform;
  char                  *account;
  gboolean               support;
  UsdtpayKeySet         *keys;
  char                  *keys_problem;

  UsdtpayHistoryModel   *model;
  UsdtpayPacedModel     *paced;          /* the model as the table shows it */
  GtkSingleSelection    *selection;
  GtkSorter             *column_sorters[USDTPAY_N_HISTORY_SORTS];
  GtkColumnViewColumn   *columns[USDTPAY_N_HISTORY_SORTS];
  int                    sort_probe;     /* the column whose sorter ran last */
  GtkStringList         *merchant_all;
  GListStore            *merchant_parts;
  char                  *wanted_id;      /* the order to keep selected */

  /* The date chip: the period in force (a chip_periods index, or
   * PERIOD_CUSTOM for the days below), and the custom range's days at
   * 00:00 local time, To included. */
  guint                  period;
  GDateTime             *range_from;
  GDateTime             *range_to;
  gboolean               period_restoring;
  UsdtpayRangeDialog    *range_dialog;

  /* Measured: a new query to its first page in the table, then drawn. */
  gint64                 query_started;
  gint64                 query_ms_x1000; /* µs */
  gint64                 shown_ms_x1000; /* µs */
  gint64                 query_cpu;      /* the main thread's CPU time (µs) */
  gint64                 shown_cpu;      /* it spent until then (µs) */
  double                 row_height;     /* the table's, px; 0: not known */
  guint64                scroll_row;     /* (the tests') */
  /* The other frames (those not drawing a search's first page: rows
   * shown or dropped a step at a time, anything else): the longest one's
   * time and main thread CPU time (µs), since the tests last asked. */
  GdkFrameClock         *frame_clock;
  gint64                 frame_started;
  gint64                 frame_cpu;
  gboolean               first_page_frame;
  gint64                 first_frame;    /* that frame's time, and CPU (µs) */
  gint64                 first_frame_cpu;
  gint64                 frame_max;
  gint64                 frame_cpu_max;
  guint                  frames;
  guint                  first_pages;
  guint                  tick_id;

  /* The detail */
  GCancellable          *detail_cancellable;
  GPtrArray             *detail_rows;
  AdwActionRow          *receipt_row;
  char                  *detail_id;
  UsdtpayCachedReceipt  *detail_receipt;
  gboolean               detail_receipt_known;
  char                  *receipt_badge;
  GPtrArray             *timeline;       /* event types shown, for the tests */

  /* The CSV export */
  GtkFileChooserNative  *export_chooser;
  GCancellable          *export_cancellable;
  UsdtpayExportProgress *export_counts;
  guint                  export_tick;
  char                  *export_status;
  char                  *export_path;
  guint64                export_rows;

  /* Template widgets */
  GtkSearchEntry        *search_entry;
  GtkWidget             *export_button;
  GtkDropDown           *state_chip;
  GtkDropDown           *period_chip;
  GtkDropDown           *method_chip;
  GtkDropDown           *merchant_chip;
  GtkWidget             *export_bar;
  GtkProgressBar        *export_progress;
  GtkScrolledWindow     *scroller;
  GtkColumnView         *column_view;
  GtkLabel              *status_label;
  guint                  searching_id;
  GtkWidget             *detail_scroller;
  AdwPreferencesGroup   *detail;
  GtkColumnViewColumn   *time_column;
  GtkColumnViewColumn   *id_column;
  GtkColumnViewColumn   *state_column;
  GtkColumnViewColumn   *fiat_column;
  GtkColumnViewColumn   *usdt_column;
  GtkColumnViewColumn   *fee_column;
  GtkColumnViewColumn   *method_column;
  GtkColumnViewColumn   *customer_column;
  GtkColumnViewColumn   *merchant_column;
};

G_DEFINE_FINAL_TYPE (UsdtpayHistoryPage, usdtpay_history_page, ADW_TYPE_BIN)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *sort_names[] = {
  "time", "id", "state", "fiat", "usdt", "fee", "method", "customer", "merchant",
};

G_STATIC_ASSERT (G_N_ELEMENTS (sort_names) == USDTPAY_N_HISTORY_SORTS);

static const int chip_states[] = {
  -1, USDTPAY_ORDER_COMPLETED, USDTPAY_ORDER_CANCELLED, USDTPAY_ORDER_EXPIRED, USDTPAY_ORDER_DISPUTED,
};
static const char *chip_methods[] = { NULL, "bank", "alipay", "wechat" };
static const char *chip_periods[] = { "all", "today", "week", "month" };

/* The period chip's items: the presets above, then (once one was chosen)
 * the custom range's days at PERIOD_CUSTOM, then "Custom range…" last. */
#define PERIOD_CUSTOM G_N_ELEMENTS (chip_periods)

static void show_detail (UsdtpayHistoryPage *self,
                         UsdtpayOrder       *order);
static void time_frames (UsdtpayHistoryPage *self);

static void
emit_changed (UsdtpayHistoryPage *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
usdtpay_receipt_check (const UsdtpayKeySet        *keys,
                       const char                 *problem,
                       const char                 *order_id,
                       const UsdtpayCachedReceipt *cached,
                       GError                    **error)
{
  g_autoptr(UsdtpayReceipt) receipt = NULL;

  g_return_val_if_fail (order_id != NULL, FALSE);
  g_return_val_if_fail (cached != NULL, FALSE);

  if (keys == NULL)
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                           problem != NULL ? problem : _("the platform's key set is not known yet"));
      return FALSE;
    }

  receipt = usdtpay_receipt_verify (keys, cached->receipt, strlen (cached->receipt), cached->signature, error);
  if (receipt == NULL)
    return FALSE;

  if (g_strcmp0 (receipt->id, order_id) != 0 || receipt->seq != cached->seq ||
      g_strcmp0 (receipt->key_id, cached->key_id) != 0)
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT,
                           _("the receipt is for another order or event"));
      return FALSE;
    }

  return TRUE;
}

/* The filter and the sort */

static void
chips_to_filter (UsdtpayHistoryPage *self,
                 UsdtpayCacheFilter *filter)
{
  guint state = gtk_drop_down_get_selected (self->state_chip);
  guint period = self->period;
  guint method = gtk_drop_down_get_selected (self->method_chip);
  guint merchant = gtk_drop_down_get_selected (self->merchant_chip);

  filter->states = state < G_N_ELEMENTS (chip_states) && chip_states[state] >= 0 ? 1u << chip_states[state] : 0;
  g_free (filter->method);
  filter->method = g_strdup (method < G_N_ELEMENTS (chip_methods) ? chip_methods[method] : NULL);
  filter->from = 0;
  filter->to = 0;
  if (period >= 1 && period <= 3)
    {
      /* Today, the last 7 or 30 days: local calendar days, today the last
       * of them, from 00:00 local on the first (as a custom range's). */
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                             g_date_time_get_month (now),
                                                             g_date_time_get_day_of_month (now), 0, 0, 0);
      g_autoptr(GDateTime) first = g_date_time_add_days (midnight, period == 1 ? 0 : period == 2 ? -6 : -29);

      filter->from = g_date_time_to_unix (first) * G_USEC_PER_SEC;
    }
  else if (period == PERIOD_CUSTOM && self->range_from != NULL)
    {
      /* From 00:00 local on the first day to 00:00 local after the last:
       * a calendar day later, whatever length DST gives that day. */
      g_autoptr(GDateTime) end = g_date_time_add_days (self->range_to, 1);

      filter->from = g_date_time_to_unix (self->range_from) * G_USEC_PER_SEC;
      filter->to = g_date_time_to_unix (end) * G_USEC_PER_SEC;
    }

  g_clear_pointer (&filter->merchant, g_free);
  if (self->support && merchant != GTK_INVALID_LIST_POSITION && merchant > 0)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (gtk_drop_down_get_model (self->merchant_chip),
                                                               merchant);

      if (item != NULL)
        filter->merchant = g_strdup (gtk_string_object_get_string (item));
    }
}

UsdtpayCacheFilter *
usdtpay_history_page_dup_filter (UsdtpayHistoryPage *self)
{
  UsdtpayCacheFilter *filter;
  const char *text;

  g_return_val_if_fail (USDTPAY_IS_HISTORY_PAGE (self), NULL);

  if (self->platform == NULL || self->account == NULL)
    return NULL;

  filter = usdtpay_cache_filter_new (self->platform, self->account);
  text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  /* Spaces around a pasted id or amount are not part of it. */
  filter->search = g_strstrip (g_strdup (text));
  if (filter->search[0] == '\0')
    g_clear_pointer (&filter->search, g_free);
  chips_to_filter (self, filter);

  return filter;
}

static int
probe_sort_cb (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  GtkColumnViewColumn *column = user_data;
  UsdtpayHistoryPage *self = g_object_get_data (G_OBJECT (column), "usdtpay-history-page");

  /* Never used to sort rows (SQL does): the page calls the column view's
   * sorter with two stand-ins to learn which column is primary, and the
   * sign tells the direction. */
  for (guint i = 0; i < USDTPAY_N_HISTORY_SORTS; i++)
    if (self->columns[i] == column)
      self->sort_probe = i;

  return GTK_ORDERING_SMALLER;
}

/* Which header the person clicked, and which way: GTK 4.8 cannot say. */
static void
read_sort (UsdtpayHistoryPage *self,
           UsdtpayHistorySort *sort,
           gboolean           *descending)
{
  GtkSorter *sorter = gtk_column_view_get_sorter (self->column_view);
  GtkOrdering order;

  self->sort_probe = -1;
  order = gtk_sorter_compare (sorter, self, self->column_view);
  if (self->sort_probe < 0 || order == GTK_ORDERING_EQUAL)
    {
      *sort = USDTPAY_HISTORY_SORT_TIME;
      *descending = TRUE;
      return;
    }

  *sort = self->sort_probe;
  /* A column's sorter says "smaller"; inverted, it is descending. */
  *descending = order == GTK_ORDERING_LARGER;
}

/* Rows the table adds a frame when a search brings many more than it had
 * (UsdtpayPacedModel): each makes a row widget with a cell per column. */
#define PACED_STEP 16

/* The rows that fill the table (the last one partly, and the height of
 * its header too): what a search shows at once. 0 while not known (the
 * table has not been full of rows yet). */
static guint
rows_on_screen (UsdtpayHistoryPage *self)
{
  int height = gtk_widget_get_height (GTK_WIDGET (self->scroller));

  if (self->row_height < 1 || height < 1)
    return 0;

  return (guint)ceil (height / self->row_height) + 1;
}

/* The CPU time of the calling thread, µs: what the main thread spent on
 * a search, whatever else the machine was doing. */
static gint64
thread_cpu_time (void)
{
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) != 0)
    return 0;

  return (gint64)now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

static void
run_query (UsdtpayHistoryPage *self)
{
  g_autoptr(UsdtpayCacheFilter) filter = usdtpay_history_page_dup_filter (self);
  UsdtpayHistorySort sort;
  gboolean descending;

  read_sort (self, &sort, &descending);
  time_frames (self);
  usdtpay_paced_model_set_rows (self->paced, rows_on_screen (self), PACED_STEP);

  self->query_started = g_get_monotonic_time ();
  self->query_cpu = thread_cpu_time ();
  usdtpay_history_model_set_query (self->model, filter, sort, descending);
  emit_changed (self);
}

static void
search_changed_cb (UsdtpayHistoryPage *self)
{
  /* Each change starts its query at once; the one in flight is cancelled,
   * so typing only ever waits for the last text's first page. */
  run_query (self);
}

static void
chip_changed_cb (UsdtpayHistoryPage *self)
{
  run_query (self);
}

static void
sorter_changed_cb (UsdtpayHistoryPage *self)
{
  run_query (self);
}

/* The date chip and its custom range */

static void
period_select (UsdtpayHistoryPage *self,
               guint               position)
{
  self->period_restoring = TRUE;
  gtk_drop_down_set_selected (self->period_chip, position);
  self->period_restoring = FALSE;
}

static void
set_period (UsdtpayHistoryPage *self,
            guint               period)
{
  gboolean changed = period != self->period;

  self->period = period;
  /* A custom range changed while in force is a change too. */
  if (changed || period == PERIOD_CUSTOM)
    run_query (self);
}

static void
range_response_cb (UsdtpayHistoryPage *self,
                   const char         *response,
                   UsdtpayRangeDialog *dialog)
{
  GtkStringList *items = GTK_STRING_LIST (gtk_drop_down_get_model (self->period_chip));

  if (g_strcmp0 (response, "apply") == 0 && usdtpay_range_dialog_get_problem (dialog) == NULL)
    {
      g_autofree char *text = NULL;
      gboolean had_range = self->range_from != NULL;

      g_clear_pointer (&self->range_from, g_date_time_unref);
      g_clear_pointer (&self->range_to, g_date_time_unref);
      usdtpay_range_dialog_get_days (dialog, &self->range_from, &self->range_to);
      text = usdtpay_format_day_range (self->range_from, self->range_to);
      /* The days take their own item, so the chip shows them. */
      period_select (self, GTK_INVALID_LIST_POSITION);
      self->period_restoring = TRUE;
      gtk_string_list_splice (items, PERIOD_CUSTOM, had_range ? 1 : 0, (const char *[]) { text, NULL });
      self->period_restoring = FALSE;
      period_select (self, PERIOD_CUSTOM);
      set_period (self, PERIOD_CUSTOM);
    }
  else if (g_strcmp0 (response, "clear") == 0)
    {
      if (self->range_from != NULL)
        {
          period_select (self, 0);
          self->period_restoring = TRUE;
          gtk_string_list_splice (items, PERIOD_CUSTOM, 1, NULL);
          self->period_restoring = FALSE;
          g_clear_pointer (&self->range_from, g_date_time_unref);
          g_clear_pointer (&self->range_to, g_date_time_unref);
        }
      period_select (self, 0);
      set_period (self, 0);
    }
  else
    period_select (self, self->period);
}

static void
open_range_dialog (UsdtpayHistoryPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->range_dialog == NULL)
    {
      self->range_dialog = usdtpay_range_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                     self->range_from, self->range_to);
      g_object_add_weak_pointer (G_OBJECT (self->range_dialog), (gpointer *)&self->range_dialog);
      g_signal_connect_object (self->range_dialog, "response", G_CALLBACK (range_response_cb),
                               self, G_CONNECT_SWAPPED);
    }
  gtk_window_present (GTK_WINDOW (self->range_dialog));
}

static void
period_changed_cb (UsdtpayHistoryPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->period_chip);
  guint n = g_list_model_get_n_items (gtk_drop_down_get_model (self->period_chip));

  if (self->period_restoring || selected == GTK_INVALID_LIST_POSITION)
    return;
  if (selected == n - 1)
    {
      /* "Custom range…": the filter stays as it is until the days are
       * applied. */
      open_range_dialog (self);
      return;
    }
  set_period (self, selected < PERIOD_CUSTOM ? selected : PERIOD_CUSTOM);
}

/* The table: each cell a UsdtpayHistoryCell bound to its row's item
 * (empty while the row's page is on its way). */

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, usdtpay_history_cell_new (GPOINTER_TO_UINT (user_data)));
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  usdtpay_history_cell_bind (USDTPAY_HISTORY_CELL (gtk_list_item_get_child (list_item)),
                             gtk_list_item_get_item (list_item));
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  usdtpay_history_cell_unbind (USDTPAY_HISTORY_CELL (gtk_list_item_get_child (list_item)));
}

/* The table */

/* How long a search goes unsaid. */
#define SEARCHING_DELAY_MS 250

static gboolean
searching_cb (gpointer user_data)
{
  UsdtpayHistoryPage *self = user_data;

  self->searching_id = 0;
  gtk_label_set_text (self->status_label, _("Searching…"));

  return G_SOURCE_REMOVE;
}

static void
update_status (UsdtpayHistoryPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  g_autofree char *text = NULL;

  if (usdtpay_history_model_get_loading (self->model))
    {
      /* Said once a search takes a while: most answer within a frame or
       * two, and a label that changes size costs the frame drawing it a
       * layout of the window. */
      if (self->searching_id == 0)
        self->searching_id = g_timeout_add (SEARCHING_DELAY_MS, searching_cb, self);
      return;
    }
  g_clear_handle_id (&self->searching_id, g_source_remove);
  if (!usdtpay_history_model_get_counted (self->model))
    /* Translators: the first rows are shown while the rest are counted */
    text = g_strdup_printf (_("%u+ orders"), n);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u order", "%u orders", n), n);
  gtk_label_set_text (self->status_label, text);
}

static void
first_page_painted_cb (UsdtpayHistoryPage *self,
                       GdkFrameClock      *clock)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->paced));

  g_signal_handlers_disconnect_by_func (clock, first_page_painted_cb, self);
  self->shown_ms_x1000 = g_get_monotonic_time () - self->query_started;
  self->shown_cpu = thread_cpu_time () - self->query_cpu;
  /* Every row is as high as the others: the rows' height over their
   * number, once they fill the table (GTK estimates the rows it has no
   * widget for from those it has). */
  if (shown > 0 && gtk_adjustment_get_upper (adjustment) > gtk_adjustment_get_page_size (adjustment))
    self->row_height = gtk_adjustment_get_upper (adjustment) / shown;
  emit_changed (self);
}

/* Every frame is timed from its start (before any tick callback, such as
 * UsdtpayPacedModel's) to its end. */
static void
frame_started_cb (UsdtpayHistoryPage *self)
{
  self->frame_started = g_get_monotonic_time ();
  self->frame_cpu = thread_cpu_time ();
}

static void
frame_painted_cb (UsdtpayHistoryPage *self)
{
  /* (The frame drawing a first page is the search's own, timed with it.) */
  if (self->first_page_frame)
    {
      self->first_page_frame = FALSE;
      if (self->frame_started > 0)
        {
          self->first_frame = g_get_monotonic_time () - self->frame_started;
          self->first_frame_cpu = thread_cpu_time () - self->frame_cpu;
        }
    }
  else if (self->frame_started > 0)
    {
      self->frame_max = MAX (self->frame_max, g_get_monotonic_time () - self->frame_started);
      self->frame_cpu_max = MAX (self->frame_cpu_max, thread_cpu_time () - self->frame_cpu);
      self->frames++;
    }
  self->frame_started = 0;
}

static void
time_frames (UsdtpayHistoryPage *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (clock == self->frame_clock)
    return;

  if (self->frame_clock != NULL)
    g_signal_handlers_disconnect_by_data (self->frame_clock, self);
  g_set_weak_pointer (&self->frame_clock, clock);
  if (clock != NULL)
    {
      g_signal_connect_object (clock, "before-paint", G_CALLBACK (frame_started_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (clock, "after-paint", G_CALLBACK (frame_painted_cb), self, G_CONNECT_SWAPPED);
    }
}

/* The frame after the first page came in: measured when it is painted. */
static gboolean
first_page_frame_cb (GtkWidget     *widget,
                     GdkFrameClock *clock,
                     gpointer       user_data)
{
  UsdtpayHistoryPage *self = USDTPAY_HISTORY_PAGE (widget);

  self->tick_id = 0;
  self->first_page_frame = TRUE;
  g_signal_handlers_disconnect_by_func (clock, first_page_painted_cb, self);
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (first_page_painted_cb), self, G_CONNECT_SWAPPED);

  return G_SOURCE_REMOVE;
}

/* New rows: the order wanted selected again if it is among them. The
 * model reuses its first rows' items for new orders, so a selection the
 * view kept may now be on another order: then nothing is selected. */
static void
restore_selection (UsdtpayHistoryPage *self)
{
  UsdtpayHistoryItem *item;
  guint position;

  if (self->wanted_id != NULL && usdtpay_history_model_find_loaded (self->model, self->wanted_id, &position))
    {
      usdtpay_paced_model_reveal (self->paced, position);
      gtk_single_selection_set_selected (self->selection, position);
    }
  else if ((item = gtk_single_selection_get_selected_item (self->selection)) != NULL &&
           (g_strcmp0 (usdtpay_history_item_get_id (item), self->detail_id) != 0 ||
            gtk_single_selection_get_selected (self->selection) >=
              g_list_model_get_n_items (G_LIST_MODEL (self->model))))
    /* (Past the rows of the model: a row the table keeps hidden.) */
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

static void
loading_changed_cb (UsdtpayHistoryPage *self)
{
  update_status (self);
  if (!usdtpay_history_model_get_loading (self->model))
    {
      /* A new query's rows are shown from the first. */
      gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
      /* The first page is in the table: measured here, and again once the
       * frame showing it has been drawn. */
      self->first_pages++;
      self->query_ms_x1000 = g_get_monotonic_time () - self->query_started;
      self->shown_ms_x1000 = 0;
      /* (Runs once the page is on screen, if it is not yet.) */
      if (self->tick_id == 0)
        self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), first_page_frame_cb, NULL, NULL);
      restore_selection (self);
    }
  emit_changed (self);
}

static void
model_items_changed_cb (UsdtpayHistoryPage *self)
{
  update_status (self);
  emit_changed (self);
}

static void
selected_cb (UsdtpayHistoryPage *self)
{
  UsdtpayHistoryItem *item = gtk_single_selection_get_selected_item (self->selection);
  UsdtpayOrderObject *object = item != NULL ? usdtpay_history_item_get_order (item) : NULL;

  if (object != NULL)
    {
      g_free (self->wanted_id);
      self->wanted_id = g_strdup (usdtpay_order_object_get_id (object));
    }
  /* Unselected (or the rows replaced): the detail goes; the wanted id
   * stays, to be selected again when its row is back. */
  show_detail (self, object != NULL ? usdtpay_order_object_get_order (object) : NULL);
}

static void refresh_receipt (UsdtpayHistoryPage *self);

static void
cache_changed_cb (UsdtpayHistoryPage *self)
{
  usdtpay_history_model_refresh (self->model);

  /* A receipt may have arrived for the order on display. */
  if (self->detail_receipt == NULL || !self->detail_receipt->verified)
    refresh_receipt (self);
}

/* The detail */

static char *
format_local_time (gint64 usec)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (usec <= 0)
    return NULL;

  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;
}

static void
add_detail_row (UsdtpayHistoryPage *self,
                const char         *title,
                const char         *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (self->detail, row);
  g_ptr_array_add (self->detail_rows, row);
}

static void
update_receipt_row (UsdtpayHistoryPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *badge = NULL;
  GtkWidget *row = GTK_WIDGET (self->receipt_row);
  const UsdtpayCachedReceipt *cached = self->detail_receipt;

  if (row == NULL || !self->detail_receipt_known)
    return;

  gtk_widget_remove_css_class (row, "success");
  gtk_widget_remove_css_class (row, "error");
  if (cached == NULL)
    badge = g_strdup (_("No receipt yet"));
  else if (usdtpay_receipt_check (self->keys, self->keys_problem, self->detail_id, cached, &error))
    {
      /* Translators: %s is the id of the platform key that signed it */
      badge = g_strdup_printf (_("Verified ✓ — signed by platform key %s"), cached->key_id);
      gtk_widget_add_css_class (row, "success");
    }
  else
    {
      badge = g_strdup_printf (_("⚠ Not verified: %s"), error->message);
      gtk_widget_add_css_class (row, "error");
    }

  adw_action_row_set_subtitle (self->receipt_row, badge);
  g_free (self->receipt_badge);
  self->receipt_badge = g_steal_pointer (&badge);
  emit_changed (self);
}

static void
detail_receipt_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UsdtpayHistoryPage) self = user_data;
  g_autoptr(UsdtpayCachedReceipt) cached = NULL;
  g_autoptr(GError) error = NULL;

  cached = usdtpay_cache_lookup_receipt_finish (USDTPAY_CACHE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_pointer (&self->detail_receipt, usdtpay_cached_receipt_free);
  self->detail_receipt = g_steal_pointer (&cached);
  self->detail_receipt_known = TRUE;
  update_receipt_row (self);
}

/* The order on display's receipt, from the cache. */
static void
refresh_receipt (UsdtpayHistoryPage *self)
{
  if (self->receipt_row == NULL || self->cache == NULL || self->detail_id == NULL)
    return;

  usdtpay_cache_lookup_receipt_async (self->cache, self->platform, self->detail_id, self->detail_cancellable,
                                      detail_receipt_cb, g_object_ref (self));
}

static const char *
event_display_name (const char *type)
{
  static const struct { const char *type; const char *name; } names[] = {
    { "order.created", N_("Created") },
    { "order.offered", N_("Offered to merchants") },
    { "order.matched", N_("Taken by the merchant") },
    { "order.paid", N_("Customer paid") },
    { "order.completed", N_("Merchant confirmed; released") },
    { "order.cancelled", N_("Cancelled") },
    { "order.expired", N_("Expired") },
    { "order.disputed", N_("Appealed") },
    { "order.resolved", N_("Resolved by support") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (type, names[i].type) == 0)
      return _(names[i].name);

  return type;
}

static void
show_timeline (UsdtpayHistoryPage *self,
               JsonObject         *answer)
{
  JsonArray *items;

  g_ptr_array_set_size (self->timeline, 0);
  if (answer == NULL || !json_object_has_member (answer, "items") ||
      (items = json_object_get_array_member (answer, "items")) == NULL)
    {
      add_detail_row (self, _("Timeline"), _("Not available offline yet"));
      emit_changed (self);
      return;
    }

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *event;
      JsonObject *order = NULL;
      const char *type = NULL;
      const char *at = NULL;
      const char *by = NULL;
      const char *reason = NULL;
      gint64 usec = 0;
      g_autofree char *when = NULL;
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      event = json_node_get_object (node);
      if (!usdtpay_json_get_string (event, "type", FALSE, &type, NULL))
        continue;
      usdtpay_json_get_string (event, "at", TRUE, &at, NULL);
      if (json_object_has_member (event, "order") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (event, "order")))
        order = json_object_get_object_member (event, "order");
      if (order != NULL)
        {
          usdtpay_json_get_string (order, "by", TRUE, &by, NULL);
          usdtpay_json_get_string (order, "reason", TRUE, &reason, NULL);
        }
      if (at != NULL && usdtpay_time_parse (at, &usec, NULL))
        when = format_local_time (usec);

      /* Translators: an event of an order's timeline and its time */
      title = g_strdup_printf (_("%s · %s"), event_display_name (type), when != NULL ? when : "");
      if (by != NULL && reason != NULL)
        /* Translators: who did it and why */
        subtitle = g_strdup_printf (_("by %s: “%s”"), by, reason);
      else if (by != NULL)
        subtitle = g_strdup_printf (_("by %s"), by);
      else if (reason != NULL)
        subtitle = g_strdup_printf (_("“%s”"), reason);
      else
        subtitle = g_strdup ("—");
      add_detail_row (self, title, subtitle);
      g_ptr_array_add (self->timeline, g_strdup (type));
    }
  emit_changed (self);
}

static void
cached_events_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(UsdtpayHistoryPage) self = user_data;
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;

  json = usdtpay_cache_lookup_events_finish (USDTPAY_CACHE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (json != NULL)
    answer = usdtpay_json_parse_object (json, strlen (json), NULL);
  show_timeline (self, answer);
}

static void
events_fetched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UsdtpayHistoryPage) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->detail_id == NULL ||
      self->cache == NULL)
    return;

  if (answer == NULL)
    {
      /* Offline: what was seen last time. */
      usdtpay_cache_lookup_events_async (self->cache, self->platform, self->detail_id, self->detail_cancellable,
                                         cached_events_cb, g_object_ref (self));
      return;
    }

  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), answer);
    g_autofree char *text = usdtpay_json_to_string (node, NULL);

    usdtpay_cache_store_events (self->cache, self->platform, self->detail_id, text);
  }
  show_timeline (self, answer);
}

static void
clear_detail (UsdtpayHistoryPage *self)
{
  for (guint i = 0; i < self->detail_rows->len; i++)
    adw_preferences_group_remove (self->detail, g_ptr_array_index (self->detail_rows, i));
  g_ptr_array_set_size (self->detail_rows, 0);
  g_ptr_array_set_size (self->timeline, 0);

  self->receipt_row = NULL;
  g_clear_pointer (&self->detail_id, g_free);
  g_clear_pointer (&self->receipt_badge, g_free);
  g_clear_pointer (&self->detail_receipt, usdtpay_cached_receipt_free);
  self->detail_receipt_known = FALSE;
  g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
}

/* The order's fields, beside the table; then its receipt and timeline. */
static void
show_detail (UsdtpayHistoryPage *self,
             UsdtpayOrder       *order)
{
  g_autofree char *usdt = NULL;
  g_autofree char *fee = NULL;
  g_autofree char *net = NULL;
  g_autofree char *fiat = NULL;
  g_autofree char *created = NULL;
  g_autofree char *matched = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *completed = NULL;
  g_autofree char *closed = NULL;

  clear_detail (self);
  gtk_widget_set_visible (self->detail_scroller, order != NULL);
  emit_changed (self);
  if (order == NULL)
    return;

  {
    g_autofree char *a = usdtpay_usdt_format (order->amount);
    g_autofree char *f = usdtpay_usdt_format (order->fee);
    g_autofree char *n = usdtpay_usdt_format (order->net);

    usdt = g_strdup_printf ("%s USDT", a);
    fee = g_strdup_printf ("%s USDT", f);
    net = g_strdup_printf ("%s USDT", n);
  }
  fiat = usdtpay_order_format_fiat (order);
  created = format_local_time (order->created_at);
  matched = format_local_time (order->matched_at);
  paid = format_local_time (order->paid_at);
  completed = format_local_time (order->completed_at);
  closed = format_local_time (order->closed_at);

  adw_preferences_group_set_title (self->detail, fiat);
  adw_preferences_group_set_description (self->detail, usdtpay_order_state_display_name (order->state));
  add_detail_row (self, _("Order"), order->id);
  add_detail_row (self, _("USDT"), usdt);
  add_detail_row (self, _("Fee"), fee);
  add_detail_row (self, _("Shop receives"), net);
  add_detail_row (self, _("Method"), usdtpay_method_display_name (order->method));
  add_detail_row (self, _("Customer"), order->customer_ref);
  add_detail_row (self, _("Payer"), order->payer_name);
  add_detail_row (self, _("Shop"), order->shop);
  add_detail_row (self, _("Merchant"), order->merchant);
  add_detail_row (self, _("Created"), created);
  add_detail_row (self, _("Matched"), matched);
  add_detail_row (self, _("Paid"), paid);
  add_detail_row (self, _("Completed"), completed);
  add_detail_row (self, _("Closed"), closed);

  /* The receipt's badge: from the cache, checked against the pinned keys
   * each time it is shown. */
  self->detail_id = g_strdup (order->id);
  self->detail_cancellable = g_cancellable_new ();
  if (order->state == USDTPAY_ORDER_COMPLETED || order->state == USDTPAY_ORDER_CANCELLED)
    {
      add_detail_row (self, _("Receipt"), _("Checking…"));
      self->receipt_row = g_ptr_array_index (self->detail_rows, self->detail_rows->len - 1);
      refresh_receipt (self);
    }

  /* Then the timeline: who did what, when, and why. */
  if (self->cache == NULL)
    return;
  if (self->client != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/v1/orders/%s/events", order->id);

      usdtpay_client_get_object_async (self->client, path, self->detail_cancellable,
                                       events_fetched_cb, g_object_ref (self));
    }
  else
    usdtpay_cache_lookup_events_async (self->cache, self->platform, order->id, self->detail_cancellable,
                                       cached_events_cb, g_object_ref (self));
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(UsdtpayHistoryPage) self = user_data;
  g_autoptr(UsdtpayOrder) order = NULL;
  g_autoptr(GError) error = NULL;

  order = usdtpay_history_model_lookup_finish (USDTPAY_HISTORY_MODEL (object), result, &error);
  if (order == NULL)
    {
      if (error != NULL)
        g_debug ("Could not look the order up: %s", error->message);
      return;
    }

  /* Its row may have loaded meanwhile. */
  restore_selection (self);
  if (gtk_single_selection_get_selected_item (self->selection) == NULL)
    show_detail (self, order);
}

void
usdtpay_history_page_show_order (UsdtpayHistoryPage *self,
                                 const char         *id)
{
  guint position;

  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));
  g_return_if_fail (id != NULL);

  g_free (self->wanted_id);
  self->wanted_id = g_strdup (id);
  if (usdtpay_history_model_find_loaded (self->model, id, &position))
    {
      usdtpay_paced_model_reveal (self->paced, position);
      gtk_single_selection_set_selected (self->selection, position);
      return;
    }

  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  usdtpay_history_model_lookup_async (self->model, id, NULL, looked_up_cb, g_object_ref (self));
}

/* The session */

void
usdtpay_history_page_set_session (UsdtpayHistoryPage *self,
                                  UsdtpayCache       *cache,
                                  UsdtpayClient      *client,
                                  const char         *platform,
                                  const char         *account,
                                  gboolean            support)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));
  g_return_if_fail (cache == NULL || USDTPAY_IS_CACHE (cache));
  g_return_if_fail (client == NULL || USDTPAY_IS_CLIENT (client));
  g_return_if_fail (cache == NULL || (platform != NULL && account != NULL));

  if (self->cache != cache)
    {
      if (self->cache != NULL)
        g_signal_handlers_disconnect_by_func (self->cache, cache_changed_cb, self);
      g_set_object (&self->cache, cache);
      if (cache != NULL)
        g_signal_connect_object (cache, "changed", G_CALLBACK (cache_changed_cb), self, G_CONNECT_SWAPPED);
    }
  g_set_object (&self->client, client);
  g_free (self->platform);
  self->platform = cache != NULL ? g_strdup (platform) : NULL;
  g_free (self->account);
  self->account = cache != NULL ? g_strdup (account) : NULL;
  self->support = support;
  g_clear_pointer (&self->wanted_id, g_free);

  gtk_column_view_column_set_visible (self->merchant_column, support);
  gtk_widget_set_visible (GTK_WIDGET (self->merchant_chip), support);
  gtk_drop_down_set_selected (self->merchant_chip, 0);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  show_detail (self, NULL);

  usdtpay_history_model_set_cache_path (self->model, cache != NULL ? usdtpay_cache_get_path (cache) : NULL);
  run_query (self);
}

void
usdtpay_history_page_set_merchants (UsdtpayHistoryPage *self,
                                    GListModel         *merchants)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));
  g_return_if_fail (G_IS_LIST_MODEL (merchants));

  g_list_store_remove_all (self->merchant_parts);
  g_list_store_append (self->merchant_parts, self->merchant_all);
  g_list_store_append (self->merchant_parts, merchants);
}

void
usdtpay_history_page_set_keys (UsdtpayHistoryPage  *self,
                               const UsdtpayKeySet *keys,
                               const char          *problem)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));

  g_clear_pointer (&self->keys, usdtpay_key_set_free);
  self->keys = keys != NULL ? usdtpay_key_set_copy (keys) : NULL;
  g_free (self->keys_problem);
  self->keys_problem = g_strdup (problem);

  /* The badge of the order on display may change. */
  update_receipt_row (self);
}

void
usdtpay_history_page_focus_search (UsdtpayHistoryPage *self)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* The CSV export */

static gboolean
export_tick_cb (gpointer user_data)
{
  UsdtpayHistoryPage *self = user_data;
  gint done = g_atomic_int_get (&self->export_counts->done);
  gint total = g_atomic_int_get (&self->export_counts->total);
  g_autofree char *text = NULL;

  if (total > 0)
    {
      gtk_progress_bar_set_fraction (self->export_progress, MIN (1.0, (double)done / total));
      /* Translators: progress of an export: orders read of all orders */
      text = g_strdup_printf (_("%d of %d orders"), done, total);
      gtk_progress_bar_set_text (self->export_progress, text);
    }
  else
    gtk_progress_bar_pulse (self->export_progress);
  emit_changed (self);

  return G_SOURCE_CONTINUE;
}

static void
toast (UsdtpayHistoryPage *self,
       const char         *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (USDTPAY_IS_WINDOW (root))
    usdtpay_window_add_toast (USDTPAY_WINDOW (root), text);
}

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(UsdtpayHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  guint64 rows = 0;

  g_clear_handle_id (&self->export_tick, g_source_remove);
  g_clear_handle_id (&self->searching_id, g_source_remove);
  g_clear_object (&self->export_cancellable);
  g_clear_pointer (&self->export_counts, g_free);
  gtk_widget_set_visible (self->export_bar, FALSE);
  gtk_widget_set_sensitive (self->export_button, TRUE);
  g_free (self->export_status);

  if (usdtpay_export_csv_finish (result, &rows, &error))
    {
      g_autofree char *text = NULL;
      const char *path = self->export_path;

      self->export_rows = rows;
      self->export_status = g_strdup ("done");
      /* Translators: %s is a file name */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u order to %s",
                                           "Exported %u orders to %s", (gulong)rows),
                              (guint)rows, path != NULL ? path : "");
      toast (self, text);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->export_status = g_strdup ("cancelled");
  else
    {
      g_autofree char *text = g_strdup_printf (_("The export failed: %s"), error->message);

      self->export_status = g_strdup_printf ("failed: %s", error->message);
      toast (self, text);
    }
  emit_changed (self);
}

gboolean
usdtpay_history_page_export_to (UsdtpayHistoryPage *self,
                                const char         *path)
{
  g_autoptr(UsdtpayCacheFilter) filter = NULL;

  g_return_val_if_fail (USDTPAY_IS_HISTORY_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->export_cancellable != NULL || self->cache == NULL ||
      (filter = usdtpay_history_page_dup_filter (self)) == NULL)
    return FALSE;

  /* What is queued for the cache is in it before the worker reads it. */
  usdtpay_cache_flush (self->cache);

  self->export_cancellable = g_cancellable_new ();
  self->export_counts = g_new0 (UsdtpayExportProgress, 1);
  g_free (self->export_status);
  self->export_status = g_strdup ("running");
  self->export_rows = 0;
  g_free (self->export_path);
  self->export_path = g_strdup (path);
  gtk_progress_bar_set_fraction (self->export_progress, 0.0);
  gtk_progress_bar_set_text (self->export_progress, _("Exporting…"));
  gtk_widget_set_visible (self->export_bar, TRUE);
  gtk_widget_set_sensitive (self->export_button, FALSE);
  self->export_tick = g_timeout_add (100, export_tick_cb, self);

  usdtpay_export_csv_async (usdtpay_cache_get_path (self->cache), filter, path, self->export_counts,
                            self->export_cancellable, export_done_cb, g_object_ref (self));
  emit_changed (self);

  return TRUE;
}

static void
export_chooser_response_cb (UsdtpayHistoryPage   *self,
                            int                   response,
                            GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      /* The toast names the file. */
      usdtpay_history_page_export_to (self, path);
    }

  g_clear_object (&self->export_chooser);
}

void
usdtpay_history_page_choose_export (UsdtpayHistoryPage *self)
{
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  GtkRoot *root;

  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));

  if (self->export_cancellable != NULL || self->export_chooser != NULL || self->cache == NULL)
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  self->export_chooser = gtk_file_chooser_native_new (_("Export History as CSV"),
                                                      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                      GTK_FILE_CHOOSER_ACTION_SAVE,
                                                      _("_Export"), _("_Cancel"));
  gtk_file_filter_set_name (csv, _("CSV files"));
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->export_chooser), csv);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->export_chooser), "usdtpay-history.csv");
  g_signal_connect_object (self->export_chooser, "response", G_CALLBACK (export_chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->export_chooser));
}

void
usdtpay_history_page_cancel_export (UsdtpayHistoryPage *self)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));

  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
}

/* Tests */

static gboolean
select_by_name (GtkDropDown  *chip,
                const char  **names,
                guint         n_names,
                const char   *value)
{
  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (names[i] != NULL ? names[i] : "", value) == 0)
      {
        gtk_drop_down_set_selected (chip, i);
        return TRUE;
      }

  return FALSE;
}

/* Where the scrollbar would take the table: a row's share of the whole
 * height. */
static void
scroll_cb (UsdtpayHistoryPage *self,
           GdkFrameClock      *clock)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));

  if (clock != NULL)
    g_signal_handlers_disconnect_by_func (clock, scroll_cb, self);
  if (n > 0)
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) * MIN (self->scroll_row, n) / n);
}

gboolean
usdtpay_history_page_test_set (UsdtpayHistoryPage *self,
                               const char         *control,
                               const char         *value)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_PAGE (self), FALSE);
  g_return_val_if_fail (control != NULL && value != NULL, FALSE);

  if (g_strcmp0 (control, "search") == 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), value);
      return TRUE;
    }
  if (g_strcmp0 (control, "state") == 0)
    {
      for (guint i = 0; i < G_N_ELEMENTS (chip_states); i++)
        if ((chip_states[i] < 0 && value[0] == '\0') ||
            (chip_states[i] >= 0 && g_strcmp0 (usdtpay_order_state_to_string (chip_states[i]), value) == 0))
          {
            gtk_drop_down_set_selected (self->state_chip, i);
            return TRUE;
          }
      return FALSE;
    }
  if (g_strcmp0 (control, "period") == 0)
    return select_by_name (self->period_chip, chip_periods, G_N_ELEMENTS (chip_periods), value);
  if (g_strcmp0 (control, "range") == 0)
    {
      /* "YYYY-MM-DD:YYYY-MM-DD": "Custom range…" chosen, then the two
       * days picked on the dialog's calendars. */
      g_auto(GStrv) days = g_strsplit (value, ":", 2);
      GListModel *items = gtk_drop_down_get_model (self->period_chip);
      int y[2], m[2], d[2];
      g_autoptr(GDateTime) from = NULL;
      g_autoptr(GDateTime) to = NULL;

      if (g_strv_length (days) != 2 || sscanf (days[0], "%d-%d-%d", &y[0], &m[0], &d[0]) != 3 ||
          sscanf (days[1], "%d-%d-%d", &y[1], &m[1], &d[1]) != 3)
        return FALSE;
      from = g_date_time_new_local (y[0], m[0], d[0], 0, 0, 0);
      to = g_date_time_new_local (y[1], m[1], d[1], 0, 0, 0);
      if (from == NULL || to == NULL)
        return FALSE;
      gtk_drop_down_set_selected (self->period_chip, g_list_model_get_n_items (items) - 1);
      if (self->range_dialog == NULL)
        return FALSE;
      usdtpay_range_dialog_select_days (self->range_dialog, from, to);
      return TRUE;
    }
  if (g_strcmp0 (control, "range-response") == 0)
    {
      /* A click on one of the dialog's buttons: a disabled one does
       * nothing. */
      if (self->range_dialog == NULL ||
          !adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (self->range_dialog), value))
        return FALSE;
      if (!adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self->range_dialog), value))
        return TRUE;
      {
        g_autoptr(UsdtpayRangeDialog) dialog = g_object_ref (self->range_dialog);

        adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), value);
        if (gtk_widget_get_visible (GTK_WIDGET (dialog)))
          gtk_window_close (GTK_WINDOW (dialog));
      }
      return TRUE;
    }
  if (g_strcmp0 (control, "method") == 0)
    return select_by_name (self->method_chip, chip_methods, G_N_ELEMENTS (chip_methods), value);
  if (g_strcmp0 (control, "merchant") == 0)
    {
      GListModel *names = gtk_drop_down_get_model (self->merchant_chip);

      if (value[0] == '\0')
        {
          gtk_drop_down_set_selected (self->merchant_chip, 0);
          return TRUE;
        }
      for (guint i = 1; names != NULL && i < g_list_model_get_n_items (names); i++)
        {
          g_autoptr(GtkStringObject) item = g_list_model_get_item (names, i);

          if (g_strcmp0 (gtk_string_object_get_string (item), value) == 0)
            {
              gtk_drop_down_set_selected (self->merchant_chip, i);
              return TRUE;
            }
        }
      return FALSE;
    }
  if (g_strcmp0 (control, "sort") == 0)
    {
      g_auto(GStrv) parts = g_strsplit (value, ":", 2);

      for (guint i = 0; i < USDTPAY_N_HISTORY_SORTS; i++)
        if (g_strcmp0 (parts[0], sort_names[i]) == 0 && parts[1] != NULL)
          {
            /* What a click on the header does. */
            gtk_column_view_sort_by_column (self->column_view, self->columns[i],
                                            g_strcmp0 (parts[1], "desc") == 0 ? GTK_SORT_DESCENDING
                                                                              : GTK_SORT_ASCENDING);
            return TRUE;
          }
      return FALSE;
    }
  if (g_strcmp0 (control, "scroll") == 0)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->column_view));

      if (n == 0)
        return FALSE;
      self->scroll_row = g_ascii_strtoull (value, NULL, 10);
      if (clock != NULL)
        g_signal_handlers_disconnect_by_func (clock, scroll_cb, self);
      if (!usdtpay_paced_model_get_pacing (self->paced) || clock == NULL)
        scroll_cb (self, NULL);
      else
        {
          /* Once the table holds every row, and knows its height. */
          usdtpay_paced_model_reveal (self->paced, G_MAXUINT);
          g_signal_connect_object (clock, "after-paint", G_CALLBACK (scroll_cb), self, G_CONNECT_SWAPPED);
        }
      return TRUE;
    }
  if (g_strcmp0 (control, "frames") == 0 && g_strcmp0 (value, "reset") == 0)
    {
      self->frame_max = 0;
      self->frame_cpu_max = 0;
      self->frames = 0;
      return TRUE;
    }
  if (g_strcmp0 (control, "select") == 0)
    {
      guint row = (guint)MIN (g_ascii_strtoull (value, NULL, 10), G_MAXUINT);

      usdtpay_paced_model_reveal (self->paced, row);
      gtk_single_selection_set_selected (self->selection, row);
      return TRUE;
    }

  return FALSE;
}

void
usdtpay_history_page_describe (UsdtpayHistoryPage *self,
                               JsonBuilder        *builder)
{
  GListModel *model;
  UsdtpayHistorySort sort;
  guint n;

  g_return_if_fail (USDTPAY_IS_HISTORY_PAGE (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  model = G_LIST_MODEL (self->model);
  n = g_list_model_get_n_items (model);
  sort = usdtpay_history_model_get_sort (self->model);

  json_builder_set_member_name (builder, "history_detail");
  json_builder_add_string_value (builder, gtk_widget_get_visible (self->detail_scroller)
                                          ? adw_preferences_group_get_title (self->detail) : "");
  json_builder_set_member_name (builder, "history_selected");
  json_builder_add_string_value (builder, self->detail_id != NULL ? self->detail_id : "");
  json_builder_set_member_name (builder, "timeline");
  json_builder_begin_array (builder);
  for (guint j = 0; j < self->timeline->len; j++)
    json_builder_add_string_value (builder, g_ptr_array_index (self->timeline, j));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "receipt_badge");
  json_builder_add_string_value (builder, self->receipt_badge != NULL ? self->receipt_badge : "");
  json_builder_set_member_name (builder, "export_status");
  json_builder_add_string_value (builder, self->export_status != NULL ? self->export_status : "");
  json_builder_set_member_name (builder, "export_rows");
  json_builder_add_int_value (builder, (gint64)self->export_rows);
  json_builder_set_member_name (builder, "export_done");
  json_builder_add_int_value (builder, self->export_counts != NULL ? g_atomic_int_get (&self->export_counts->done) : 0);

  /* The rows loaded from the start, in the table's order, up to the first
   * one not loaded: what the tests compare with their own query. */
  json_builder_set_member_name (builder, "history");
  json_builder_begin_array (builder);
  for (guint j = 0; j < n && j < 2000; j++)
    {
      UsdtpayHistoryItem *item = usdtpay_history_model_peek_item (self->model, j);

      if (item == NULL || usdtpay_history_item_get_id (item) == NULL)
        break;
      json_builder_add_string_value (builder, usdtpay_history_item_get_id (item));
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "history_count");
  json_builder_add_int_value (builder, n);
  json_builder_set_member_name (builder, "history_counted");
  json_builder_add_boolean_value (builder, usdtpay_history_model_get_counted (self->model));
  json_builder_set_member_name (builder, "history_loading");
  json_builder_add_boolean_value (builder, usdtpay_history_model_get_loading (self->model));
  json_builder_set_member_name (builder, "history_sort");
  json_builder_add_string_value (builder, sort_names[sort]);
  json_builder_set_member_name (builder, "history_descending");
  json_builder_add_boolean_value (builder, usdtpay_history_model_get_descending (self->model));
  json_builder_set_member_name (builder, "history_period");
  {
    g_autoptr(GtkStringObject) shown = g_list_model_get_item (gtk_drop_down_get_model (self->period_chip),
                                                              gtk_drop_down_get_selected (self->period_chip));

    json_builder_add_string_value (builder, shown != NULL ? gtk_string_object_get_string (shown) : "");
  }
  json_builder_set_member_name (builder, "history_range_dialog");
  json_builder_add_boolean_value (builder, self->range_dialog != NULL);
  json_builder_set_member_name (builder, "history_range_problem");
  json_builder_add_string_value (builder, self->range_dialog != NULL &&
                                          usdtpay_range_dialog_get_problem (self->range_dialog) != NULL
                                          ? usdtpay_range_dialog_get_problem (self->range_dialog) : "");
  json_builder_set_member_name (builder, "history_search");
  json_builder_add_string_value (builder, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  json_builder_set_member_name (builder, "history_first_pages");
  json_builder_add_int_value (builder, self->first_pages);
  json_builder_set_member_name (builder, "history_query_us");
  json_builder_add_int_value (builder, self->query_ms_x1000);
  json_builder_set_member_name (builder, "history_answered_us");
  json_builder_add_int_value (builder, MAX (0, usdtpay_history_model_get_answered_at (self->model) - self->query_started));
  json_builder_set_member_name (builder, "history_shown_us");
  json_builder_add_int_value (builder, self->shown_ms_x1000);
  json_builder_set_member_name (builder, "history_shown_cpu_us");
  json_builder_add_int_value (builder, self->shown_ms_x1000 > 0 ? self->shown_cpu : 0);
  json_builder_set_member_name (builder, "history_first_frame_us");
  json_builder_add_int_value (builder, self->first_frame);
  json_builder_set_member_name (builder, "history_first_frame_cpu_us");
  json_builder_add_int_value (builder, self->first_frame_cpu);
  json_builder_set_member_name (builder, "history_table_rows");
  json_builder_add_int_value (builder, g_list_model_get_n_items (G_LIST_MODEL (self->paced)));
  json_builder_set_member_name (builder, "history_pacing");
  json_builder_add_boolean_value (builder, usdtpay_paced_model_get_pacing (self->paced));
  {
    /* The table's row widgets, those not hidden, those on screen, and the
     * cells of the first on screen: their texts, and whether each is its
     * accessible label too. */
    GtkWidget *first_row = NULL;
    gboolean checkable = g_strcmp0 (g_getenv ("GTK_A11Y"), "none") != 0;
    gboolean accessible = TRUE;
    guint widgets = 0;
    guint visible = 0;
    guint mapped = 0;

    for (GtkWidget *list = gtk_widget_get_first_child (GTK_WIDGET (self->column_view)); list != NULL;
         list = gtk_widget_get_next_sibling (list))
      if (GTK_IS_LIST_VIEW (list))
        for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL; row = gtk_widget_get_next_sibling (row))
          {
            widgets++;
            visible += gtk_widget_get_visible (row);
            if (gtk_widget_get_mapped (row))
              {
                mapped++;
                if (first_row == NULL)
                  first_row = row;
              }
          }
    json_builder_set_member_name (builder, "history_row_widgets");
    json_builder_add_int_value (builder, widgets);
    json_builder_set_member_name (builder, "history_rows_visible");
    json_builder_add_int_value (builder, visible);
    json_builder_set_member_name (builder, "history_rows_mapped");
    json_builder_add_int_value (builder, mapped);
    json_builder_set_member_name (builder, "history_first_row");
    json_builder_begin_array (builder);
    for (GtkWidget *cell = first_row != NULL ? gtk_widget_get_first_child (first_row) : NULL; cell != NULL;
         cell = gtk_widget_get_next_sibling (cell))
      {
        GtkWidget *child = gtk_widget_get_first_child (cell);

        if (gtk_widget_get_mapped (cell) && child != NULL && USDTPAY_IS_HISTORY_CELL (child))
          {
            const char *text = usdtpay_history_cell_get_text (USDTPAY_HISTORY_CELL (child));

            json_builder_add_string_value (builder, text);
            /* (Widgets have no accessibility context under GTK_A11Y=none.) */
            if (checkable)
              {
                g_autofree char *wrong = gtk_test_accessible_check_property (GTK_ACCESSIBLE (child),
                                                                             GTK_ACCESSIBLE_PROPERTY_LABEL, text);

                accessible = accessible && wrong == NULL &&
                             gtk_test_accessible_has_role (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_ROLE_LABEL);
              }
          }
      }
    json_builder_end_array (builder);
    json_builder_set_member_name (builder, "history_first_row_accessible");
    if (checkable)
      json_builder_add_boolean_value (builder, first_row != NULL && accessible);
    else
      json_builder_add_null_value (builder);
  }
  json_builder_set_member_name (builder, "history_hidden_rows");
  json_builder_add_int_value (builder, usdtpay_paced_model_get_hidden_rows (self->paced));
  json_builder_set_member_name (builder, "history_paced_max_step");
  json_builder_add_int_value (builder, usdtpay_paced_model_get_max_step (self->paced));
  json_builder_set_member_name (builder, "history_frames");
  json_builder_add_int_value (builder, self->frames);
  json_builder_set_member_name (builder, "history_frame_max_us");
  json_builder_add_int_value (builder, self->frame_max);
  json_builder_set_member_name (builder, "history_frame_cpu_max_us");
  json_builder_add_int_value (builder, self->frame_cpu_max);
  json_builder_set_member_name (builder, "history_pages_read");
  json_builder_add_int_value (builder, usdtpay_history_model_get_pages_read (self->model));
  json_builder_set_member_name (builder, "history_pages_held");
  json_builder_add_int_value (builder, usdtpay_history_model_get_pages_held (self->model));
  json_builder_set_member_name (builder, "history_status");
  json_builder_add_string_value (builder, gtk_label_get_text (self->status_label));
  json_builder_set_member_name (builder, "history_visible_rows");
  json_builder_begin_array (builder);
  {
    /* The rows on screen now, loaded or not: where the view is. */
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
    double upper = gtk_adjustment_get_upper (adjustment);

    if (n > 0 && upper > 0)
      {
        guint first = (guint)(gtk_adjustment_get_value (adjustment) / upper * n);
        guint count = (guint)(gtk_adjustment_get_page_size (adjustment) / upper * n);

        json_builder_add_int_value (builder, first);
        json_builder_add_int_value (builder, MIN (n, first + count));
      }
  }
  json_builder_end_array (builder);
  /* Every loaded row by position (only the pages held). */
  json_builder_set_member_name (builder, "history_loaded");
  json_builder_begin_object (builder);
  for (guint j = 0; j < n; j += USDTPAY_HISTORY_PAGE_SIZE)
    {
      if (usdtpay_history_model_peek_item (self->model, j) == NULL)
        continue;
      for (guint k = j; k < n && k < j + USDTPAY_HISTORY_PAGE_SIZE; k++)
        {
          UsdtpayHistoryItem *item = usdtpay_history_model_peek_item (self->model, k);
          g_autofree char *key = g_strdup_printf ("%u", k);

          if (item != NULL && usdtpay_history_item_get_id (item) != NULL)
            {
              json_builder_set_member_name (builder, key);
              json_builder_add_string_value (builder, usdtpay_history_item_get_id (item));
            }
        }
    }
  json_builder_end_object (builder);
}

/* Lifecycle */

static void
usdtpay_history_page_dispose (GObject *object)
{
  UsdtpayHistoryPage *self = (UsdtpayHistoryPage *)object;

  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  g_clear_handle_id (&self->export_tick, g_source_remove);
  if (self->range_dialog != NULL)
    {
      UsdtpayRangeDialog *dialog = self->range_dialog;

      g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *)&self->range_dialog);
      self->range_dialog = NULL;
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  g_clear_pointer (&self->range_from, g_date_time_unref);
  g_clear_pointer (&self->range_to, g_date_time_unref);
  if (self->export_chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->export_chooser));
      g_clear_object (&self->export_chooser);
    }
  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  if (self->cache != NULL)
    g_signal_handlers_disconnect_by_func (self->cache, cache_changed_cb, self);
  g_cancellable_cancel (self->detail_cancellable);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->frame_clock != NULL)
    g_signal_handlers_disconnect_by_data (self->frame_clock, self);
  g_clear_weak_pointer (&self->frame_clock);
  if (self->column_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (gtk_column_view_get_sorter (self->column_view), self);
      gtk_column_view_set_model (self->column_view, NULL);
    }
  /* (After the table lets go of it: no rows are made for it now.) */
  if (self->paced != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->paced, self);
      usdtpay_paced_model_set_widget (self->paced, NULL);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), USDTPAY_TYPE_HISTORY_PAGE);

  g_clear_object (&self->selection);
  g_clear_object (&self->paced);
  g_clear_object (&self->model);
  g_clear_object (&self->cache);
  g_clear_object (&self->client);
  for (guint i = 0; i < USDTPAY_N_HISTORY_SORTS; i++)
    g_clear_object (&self->column_sorters[i]);

  G_OBJECT_CLASS (usdtpay_history_page_parent_class)->dispose (object);
}

static void
usdtpay_history_page_finalize (GObject *object)
{
  UsdtpayHistoryPage *self = (UsdtpayHistoryPage *)object;

  g_clear_object (&self->detail_cancellable);
  g_clear_pointer (&self->detail_rows, g_ptr_array_unref);
  g_clear_pointer (&self->timeline, g_ptr_array_unref);
  g_clear_pointer (&self->detail_id, g_free);
  g_clear_pointer (&self->detail_receipt, usdtpay_cached_receipt_free);
  g_clear_pointer (&self->receipt_badge, g_free);
  g_clear_pointer (&self->wanted_id, g_free);
  g_clear_pointer (&self->platform, g_free);
  g_clear_pointer (&self->account, g_free);
  g_clear_pointer (&self->keys, usdtpay_key_set_free);
  g_clear_pointer (&self->keys_problem, g_free);
  g_clear_object (&self->merchant_all);
  g_clear_object (&self->merchant_parts);
  g_clear_object (&self->export_cancellable);
  g_clear_pointer (&self->export_counts, g_free);
  g_clear_pointer (&self->export_status, g_free);
  g_clear_pointer (&self->export_path, g_free);

  G_OBJECT_CLASS (usdtpay_history_page_parent_class)->finalize (object);
}

static void
usdtpay_history_page_class_init (UsdtpayHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_history_page_dispose;
  object_class->finalize = usdtpay_history_page_finalize;

  /* What the page shows changed (rows, detail, export progress). */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (USDTPAY_TYPE_HISTORY_ITEM);
  g_type_ensure (USDTPAY_TYPE_ORDER_OBJECT);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, state_chip);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, period_chip);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, method_chip);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, merchant_chip);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, export_bar);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, export_progress);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, detail_scroller);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, detail);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, time_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, id_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, state_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, fiat_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, usdt_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, fee_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, method_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, customer_column);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayHistoryPage, merchant_column);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, chip_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, period_changed_cb);
}

static void
usdtpay_history_page_init (UsdtpayHistoryPage *self)
{
  g_autoptr(GtkFlattenListModel) merchants = NULL;

  self->detail_rows = g_ptr_array_new ();
  self->timeline = g_ptr_array_new_with_free_func (g_free);
  self->model = usdtpay_history_model_new ();
  self->paced = usdtpay_paced_model_new (self->model);
  /* Before the template: its chips' signals may run a query. */
  self->merchant_all = gtk_string_list_new ((const char *[]) { _("All merchants"), NULL });
  self->merchant_parts = g_list_store_new (G_TYPE_LIST_MODEL);
  g_list_store_append (self->merchant_parts, self->merchant_all);

  gtk_widget_init_template (GTK_WIDGET (self));

  merchants = gtk_flatten_list_model_new (G_LIST_MODEL (g_object_ref (self->merchant_parts)));
  gtk_drop_down_set_model (self->merchant_chip, G_LIST_MODEL (merchants));

  self->columns[USDTPAY_HISTORY_SORT_TIME] = self->time_column;
  self->columns[USDTPAY_HISTORY_SORT_ID] = self->id_column;
  self->columns[USDTPAY_HISTORY_SORT_STATE] = self->state_column;
  self->columns[USDTPAY_HISTORY_SORT_FIAT] = self->fiat_column;
  self->columns[USDTPAY_HISTORY_SORT_USDT] = self->usdt_column;
  self->columns[USDTPAY_HISTORY_SORT_FEE] = self->fee_column;
  self->columns[USDTPAY_HISTORY_SORT_METHOD] = self->method_column;
  self->columns[USDTPAY_HISTORY_SORT_CUSTOMER] = self->customer_column;
  self->columns[USDTPAY_HISTORY_SORT_MERCHANT] = self->merchant_column;
  for (guint i = 0; i < USDTPAY_N_HISTORY_SORTS; i++)
    {
      /* One sorter per column, told apart by identity (read_sort()). */
      g_object_set_data (G_OBJECT (self->columns[i]), "usdtpay-history-page", self);
      self->column_sorters[i] = GTK_SORTER (gtk_custom_sorter_new (probe_sort_cb, self->columns[i], NULL));
      gtk_column_view_column_set_sorter (self->columns[i], self->column_sorters[i]);

      {
        g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

        g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), GUINT_TO_POINTER (i));
        g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), GUINT_TO_POINTER (i));
        g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), GUINT_TO_POINTER (i));
        gtk_column_view_column_set_factory (self->columns[i], factory);
      }
    }

  /* A search from no rows to many: the rows that fill the table show at
   * once, the rest of its 200 a few a frame (UsdtpayPacedModel). */
  usdtpay_paced_model_set_widget (self->paced, GTK_WIDGET (self->column_view));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->paced)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "notify::selected-item", G_CALLBACK (selected_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (loading_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::counted", G_CALLBACK (model_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (model_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "refreshed", G_CALLBACK (restore_selection),
                           self, G_CONNECT_SWAPPED);

  /* Newest first, as the header shows it. */
  gtk_column_view_sort_by_column (self->column_view, self->time_column, GTK_SORT_DESCENDING);
  g_signal_connect_object (gtk_column_view_get_sorter (self->column_view), "changed",
                           G_CALLBACK (sorter_changed_cb), self, G_CONNECT_SWAPPED);
  update_status (self);
}
