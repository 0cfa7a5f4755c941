/* usdtpay-history-cell.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-history-cell"

#include "config.h"

#include "usdtpay-history-cell.h"

/* A font's line height and the columns' widths in it: the same for every
 * cell, so worked out once, not per cell. */
typedef struct
{
  PangoFontDescription *font;
  guint                 generation;
  int                   line_height;
  int                   widths[USDTPAY_N_HISTORY_SORTS];  /* -1: not known */
} Sizes;

struct _UsdtpayHistoryCell
{
  GtkWidget           parent_instance;

  UsdtpayHistorySort  column;
  UsdtpayHistoryItem *item;          /* bound */
  gulong              changed_id;
  char               *text;
  gboolean            stale;         /* the item changed while off screen */
  PangoLayout        *layout;        /* of the text, made when first drawn */
  int                 layout_width;  /* its width limit (Pango units) */
  Sizes              *sizes;         /* of its font, NULL: not looked up */
};

G_DEFINE_FINAL_TYPE (UsdtpayHistoryCell, usdtpay_history_cell, GTK_TYPE_WIDGET)

/* Sizes, one per font seen, kept for the life of the process (a few
 * fonts at most); measured again when the generation moves on, at a
 * change of resolution or fonts. */
static GPtrArray *all_sizes;
static guint sizes_generation;

static gboolean
column_is_numeric (UsdtpayHistorySort column)
{
  switch (column)
    {
    case USDTPAY_HISTORY_SORT_TIME:
    case USDTPAY_HISTORY_SORT_FIAT:
    case USDTPAY_HISTORY_SORT_USDT:
    case USDTPAY_HISTORY_SORT_FEE:
      return TRUE;
    case USDTPAY_HISTORY_SORT_ID:
    case USDTPAY_HISTORY_SORT_STATE:
    case USDTPAY_HISTORY_SORT_METHOD:
    case USDTPAY_HISTORY_SORT_CUSTOMER:
    case USDTPAY_HISTORY_SORT_MERCHANT:
    case USDTPAY_N_HISTORY_SORTS:
    default:
      return FALSE;
    }
}

char *
usdtpay_history_cell_format (UsdtpayHistorySort  column,
                             UsdtpayOrderObject *object)
{
  UsdtpayOrder *order;

  g_return_val_if_fail (object == NULL || USDTPAY_IS_ORDER_OBJECT (object), NULL);

  if (object == NULL)
    return g_strdup ("");

  order = usdtpay_order_object_get_order (object);
  switch (column)
    {
    case USDTPAY_HISTORY_SORT_TIME:
      return usdtpay_order_object_dup_time_text (object);
    case USDTPAY_HISTORY_SORT_ID:
      return usdtpay_order_object_dup_short_id (object);
    case USDTPAY_HISTORY_SORT_STATE:
      return g_strdup (usdtpay_order_state_display_name (order->state));
    case USDTPAY_HISTORY_SORT_FIAT:
      return g_strdup (usdtpay_order_object_get_fiat_text (object));
    case USDTPAY_HISTORY_SORT_USDT:
      return g_strdup (usdtpay_order_object_get_usdt_text (object));
    case USDTPAY_HISTORY_SORT_FEE:
      return g_strdup (usdtpay_order_object_get_fee_text (object));
    case USDTPAY_HISTORY_SORT_METHOD:
      return g_strdup (usdtpay_method_display_name (order->method));
    case USDTPAY_HISTORY_SORT_CUSTOMER:
      return g_strdup (order->customer_ref != NULL ? order->customer_ref : "");
    case USDTPAY_HISTORY_SORT_MERCHANT:
      return g_strdup (order->merchant != NULL ? order->merchant : "");
    case USDTPAY_N_HISTORY_SORTS:
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

/* Tabular figures, so amounts and times line up down a column. */
static PangoAttrList *
numeric_attributes (void)
{
  static PangoAttrList *attributes;

  if (attributes == NULL)
    {
      attributes = pango_attr_list_new ();
      pango_attr_list_insert (attributes, pango_attr_font_features_new ("tnum=1"));
    }

  return attributes;
}

static const char *
longest (const char *a,
         const char *b)
{
  return g_utf8_strlen (b, -1) > g_utf8_strlen (a, -1) ? b : a;
}

/* What a column's widest usual text looks like: the column asks for its
 * width whatever the rows hold; a longer text is ellipsized, or the column
 * dragged wider. GTK 4.8 measures every cell of a column across whenever
 * a row comes or goes (a fixed width only overrides the result), so no
 * text is laid out for it, and the columns stay put while a search
 * changes the rows. */
static char *
column_template (UsdtpayHistorySort column)
{
  const char *widest = "";

  switch (column)
    {
    case USDTPAY_HISTORY_SORT_TIME:
      return g_strdup ("0000-00-00 00:00:00");
    case USDTPAY_HISTORY_SORT_ID:
      return g_strdup ("WWWW");
    case USDTPAY_HISTORY_SORT_STATE:
      for (int state = 0; state < USDTPAY_N_ORDER_STATES; state++)
        widest = longest (widest, usdtpay_order_state_display_name (state));
      return g_strdup (widest);
    case USDTPAY_HISTORY_SORT_FIAT:
      return g_strdup ("CNY 000000.00");
    case USDTPAY_HISTORY_SORT_USDT:
      return g_strdup ("00000.000000 USDT");
    case USDTPAY_HISTORY_SORT_FEE:
      return g_strdup ("000.000000 USDT");
    case USDTPAY_HISTORY_SORT_METHOD:
      widest = longest (usdtpay_method_display_name ("bank"),
                        usdtpay_method_display_name ("alipay"));
      return g_strdup (longest (widest, usdtpay_method_display_name ("wechat")));
    case USDTPAY_HISTORY_SORT_CUSTOMER:
      return g_strdup ("cust-0000000");
    case USDTPAY_HISTORY_SORT_MERCHANT:
      return g_strdup ("merchant-000");
    case USDTPAY_N_HISTORY_SORTS:
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

static Sizes *
get_sizes (UsdtpayHistoryCell *self)
{
  PangoContext *context = NULL;
  PangoFontMetrics *metrics;
  Sizes *sizes = self->sizes;

  if (sizes == NULL)
    {
      const PangoFontDescription *font;

      context = gtk_widget_get_pango_context (GTK_WIDGET (self));
      font = pango_context_get_font_description (context);
      if (all_sizes == NULL)
        all_sizes = g_ptr_array_new ();
      for (guint i = 0; sizes == NULL && i < all_sizes->len; i++)
        if (pango_font_description_equal (((Sizes *)g_ptr_array_index (all_sizes, i))->font, font))
          sizes = g_ptr_array_index (all_sizes, i);
      if (sizes == NULL)
        {
          sizes = g_new0 (Sizes, 1);
          sizes->font = pango_font_description_copy (font);
          sizes->generation = sizes_generation - 1;
          g_ptr_array_add (all_sizes, sizes);
        }
      self->sizes = sizes;
    }

  if (sizes->generation != sizes_generation)
    {
      if (context == NULL)
        context = gtk_widget_get_pango_context (GTK_WIDGET (self));
      metrics = pango_context_get_metrics (context, NULL, NULL);
      sizes->line_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_height (metrics));
      if (sizes->line_height <= 0)
        sizes->line_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_ascent (metrics) +
                                                pango_font_metrics_get_descent (metrics));
      pango_font_metrics_unref (metrics);
      for (guint i = 0; i < USDTPAY_N_HISTORY_SORTS; i++)
        sizes->widths[i] = -1;
      sizes->generation = sizes_generation;
    }

  return sizes;
}

static int
get_column_width (UsdtpayHistoryCell *self)
{
  Sizes *sizes = get_sizes (self);

  if (sizes->widths[self->column] < 0)
    {
      PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self));
      g_autoptr(PangoLayout) layout = pango_layout_new (context);
      g_autofree char *text = column_template (self->column);

      pango_layout_set_text (layout, text, -1);
      if (column_is_numeric (self->column))
        pango_layout_set_attributes (layout, numeric_attributes ());
      pango_layout_get_pixel_size (layout, &sizes->widths[self->column], NULL);
    }

  return sizes->widths[self->column];
}

static void
set_text (UsdtpayHistoryCell *self,
          char               *text)
{
  if (g_strcmp0 (self->text, text) == 0)
    {
      g_free (text);
      return;
    }

  g_free (self->text);
  self->text = text;
  if (self->layout != NULL)
    pango_layout_set_text (self->layout, text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  /* The size stays what it was. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The row this cell is a cell of (the list view's row widget, which holds
 * the column view's cell widget, which holds this one). */
static GtkWidget *
get_row (UsdtpayHistoryCell *self)
{
  GtkWidget *cell = gtk_widget_get_parent (GTK_WIDGET (self));
  GtkWidget *row = cell != NULL ? gtk_widget_get_parent (cell) : NULL;

  return row != NULL && GTK_IS_LIST_VIEW (gtk_widget_get_parent (row)) ? row : NULL;
}

static void
update_text (UsdtpayHistoryCell *self)
{
  UsdtpayOrderObject *order = NULL;

  if (self->item != NULL)
    order = usdtpay_history_item_get_order (self->item);
  self->stale = FALSE;
  set_text (self, usdtpay_history_cell_format (self->column, order));
}

static void
item_changed_cb (UsdtpayHistoryCell *self)
{
  gboolean hidden = usdtpay_history_item_get_hidden (self->item);
  GtkWidget *row = get_row (self);

  /* A hidden row takes no room. Its text, and that of a row off screen
   * (the table keeps 200 rows, shows a screenful), is written when it
   * shows: a search changes all 200 rows' orders. */
  if (row != NULL && gtk_widget_get_visible (row) == hidden)
    gtk_widget_set_visible (row, !hidden);
  if (hidden || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->stale = TRUE;
  else
    update_text (self);
}

void
usdtpay_history_cell_bind (UsdtpayHistoryCell *self,
                           UsdtpayHistoryItem *item)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_CELL (self));
  g_return_if_fail (USDTPAY_IS_HISTORY_ITEM (item));

  usdtpay_history_cell_unbind (self);
  self->item = g_object_ref (item);
  self->changed_id = g_signal_connect_swapped (item, "changed", G_CALLBACK (item_changed_cb), self);
  item_changed_cb (self);
}

void
usdtpay_history_cell_unbind (UsdtpayHistoryCell *self)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_CELL (self));

  if (self->item == NULL)
    return;

  g_clear_signal_handler (&self->changed_id, self->item);
  g_clear_object (&self->item);
}

const char *
usdtpay_history_cell_get_text (UsdtpayHistoryCell *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_CELL (self), NULL);

  if (self->stale)
    update_text (self);

  return self->text;
}

static void
usdtpay_history_cell_map (GtkWidget *widget)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (widget);

  GTK_WIDGET_CLASS (usdtpay_history_cell_parent_class)->map (widget);

  if (self->stale)
    update_text (self);
}

static void
usdtpay_history_cell_measure (GtkWidget      *widget,
                              GtkOrientation  orientation,
                              int             for_size,
                              int            *minimum,
                              int            *natural,
                              int            *minimum_baseline,
                              int            *natural_baseline)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Ellipsized: as narrow as its column gets. */
      *minimum = 0;
      *natural = get_column_width (self);
    }
  else
    *minimum = *natural = get_sizes (self)->line_height;
}

static void
usdtpay_history_cell_snapshot (GtkWidget   *widget,
                               GtkSnapshot *snapshot)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  PangoRectangle logical;
  GdkRGBA color;
  int x = 0;

  if (self->text[0] == '\0' || width <= 0)
    return;

  if (self->layout == NULL)
    {
      self->layout = pango_layout_new (gtk_widget_get_pango_context (widget));
      pango_layout_set_text (self->layout, self->text, -1);
      pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_single_paragraph_mode (self->layout, TRUE);
      if (column_is_numeric (self->column))
        pango_layout_set_attributes (self->layout, numeric_attributes ());
      self->layout_width = -1;
    }
  if (self->layout_width != width * PANGO_SCALE)
    {
      self->layout_width = width * PANGO_SCALE;
      pango_layout_set_width (self->layout, self->layout_width);
    }
  pango_layout_get_pixel_extents (self->layout, NULL, &logical);
  if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
    x = width - logical.width;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, (height - logical.height) / 2));
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
  gtk_snapshot_restore (snapshot);
}

/* Another font or resolution: measured and laid out again. */
static void
forget_font (UsdtpayHistoryCell *self)
{
  if (self->layout != NULL)
    pango_layout_context_changed (self->layout);
  self->sizes = NULL;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
usdtpay_history_cell_css_changed (GtkWidget         *widget,
                                  GtkCssStyleChange *change)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (widget);

  GTK_WIDGET_CLASS (usdtpay_history_cell_parent_class)->css_changed (widget, change);

  /* Selecting a row changes the colour only, which the default handler
   * redraws; the sizes and the layout stay unless the font changed. */
  if (self->sizes != NULL)
    {
      PangoContext *context = gtk_widget_get_pango_context (widget);

      if (!pango_font_description_equal (self->sizes->font,
                                         pango_context_get_font_description (context)))
        forget_font (self);
    }
}

static void
usdtpay_history_cell_system_setting_changed (GtkWidget        *widget,
                                             GtkSystemSetting  setting)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (widget);

  GTK_WIDGET_CLASS (usdtpay_history_cell_parent_class)->system_setting_changed (widget, setting);

  /* The same font may measure otherwise now (another resolution): every
   * font's sizes are worked out again, once, for the first cell to ask. */
  if (self->sizes != NULL && self->sizes->generation == sizes_generation)
    sizes_generation++;
  forget_font (self);
}

static void
usdtpay_history_cell_dispose (GObject *object)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (object);

  usdtpay_history_cell_unbind (self);
  g_clear_object (&self->layout);

  G_OBJECT_CLASS (usdtpay_history_cell_parent_class)->dispose (object);
}

static void
usdtpay_history_cell_finalize (GObject *object)
{
  UsdtpayHistoryCell *self = USDTPAY_HISTORY_CELL (object);

  g_free (self->text);

  G_OBJECT_CLASS (usdtpay_history_cell_parent_class)->finalize (object);
}

static void
usdtpay_history_cell_class_init (UsdtpayHistoryCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_history_cell_dispose;
  object_class->finalize = usdtpay_history_cell_finalize;
  widget_class->map = usdtpay_history_cell_map;
  widget_class->measure = usdtpay_history_cell_measure;
  widget_class->snapshot = usdtpay_history_cell_snapshot;
  widget_class->css_changed = usdtpay_history_cell_css_changed;
  widget_class->system_setting_changed = usdtpay_history_cell_system_setting_changed;

  /* Styled as the label it stands in for. */
  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
usdtpay_history_cell_init (UsdtpayHistoryCell *self)
{
  self->text = g_strdup ("");
  self->layout_width = -1;
}

GtkWidget *
usdtpay_history_cell_new (UsdtpayHistorySort column)
{
  UsdtpayHistoryCell *self;

  g_return_val_if_fail (column < USDTPAY_N_HISTORY_SORTS, NULL);

  self = g_object_new (USDTPAY_TYPE_HISTORY_CELL, NULL);
  self->column = column;
  if (column_is_numeric (column))
    gtk_widget_add_css_class (GTK_WIDGET (self), "numeric");

  return GTK_WIDGET (self);
}
