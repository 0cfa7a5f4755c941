/* usdtpay-paced-model.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-paced-model"

#include "config.h"

#include "usdtpay-paced-model.h"

#define NOT_PACING G_MAXUINT
#define ROWS       USDTPAY_LIST_VIEW_ROWS
/* Rows kept hidden only where the view surely has row widgets (its first
 * 200, scrolled to the top as a search leaves it): a row without one would
 * be given the height of the others in the scrollbar's range. */
#define KEEP_ROWS  USDTPAY_HISTORY_PAGE_SIZE
/* How long hidden rows wait for a search to show them again. */
#define TRIM_DELAY_MS 1000

struct _UsdtpayPacedModel
{
  GObject              parent_instance;

  UsdtpayHistoryModel *model;
  guint                n_source;
  guint                n_items;   /* the view's rows */
  guint                shown;     /* of them shown: MIN (n_source, limit) */
  guint                keep;      /* rows kept, hidden past the shown (<= ROWS) */
  guint                limit;     /* NOT_PACING: all shown */
  guint                first;
  guint                step;
  guint                max_step;
  GtkWidget           *widget;    /* weak */
  guint                tick_id;
  gboolean             painted;   /* the frame with the first rows was drawn */
  gboolean             trimming;
  guint                trim_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (UsdtpayPacedModel, usdtpay_paced_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_PACING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean tick_cb (GtkWidget     *widget,
                         GdkFrameClock *clock,
                         gpointer       user_data);

static gboolean
widget_mapped (UsdtpayPacedModel *self)
{
  return self->widget != NULL && gtk_widget_get_mapped (self->widget);
}

static void
ensure_ticking (UsdtpayPacedModel *self)
{
  if (self->tick_id == 0 && self->widget != NULL)
    self->tick_id = gtk_widget_add_tick_callback (self->widget, tick_cb, self, NULL);
}

static void
stop_ticking (UsdtpayPacedModel *self)
{
  if (self->tick_id != 0 && self->widget != NULL)
    gtk_widget_remove_tick_callback (self->widget, self->tick_id);
  self->tick_id = 0;
}

static void
set_limit (UsdtpayPacedModel *self,
           guint              limit)
{
  gboolean was_pacing = self->limit != NOT_PACING;

  if (limit >= ROWS || limit >= self->n_source)
    limit = NOT_PACING;
  self->limit = limit;
  if (was_pacing != (limit != NOT_PACING))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PACING]);
}

/* The view's rows from the state: the rows shown, then (below the first
 * page only) the rows kept hidden. Tells the items which they are before
 * the view hears of rows it makes widgets for, then the view what changed:
 * as the model said past the first page, else the rows come or go at the
 * end of the first page (its items are the same, position by position). */
static void
update (UsdtpayPacedModel *self,
        gboolean           model_changed,
        guint              position,
        guint              removed,
        guint              added)
{
  guint old_n = self->n_items;
  guint old_shown = self->shown;
  guint n;

  self->shown = MIN (self->n_source, self->limit);
  n = self->shown >= ROWS ? self->shown : MAX (self->shown, MIN (self->keep, KEEP_ROWS));

  for (guint i = MIN (old_shown, self->shown); i < MIN (n, ROWS); i++)
    usdtpay_history_item_set_hidden (usdtpay_history_model_get_row_item (self->model, i),
                                     i >= self->shown);

  self->n_items = n;
  if (model_changed && old_n > ROWS && n > ROWS && position >= ROWS)
    {
      if (removed > 0 || added > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
    }
  else
    {
      guint same = MIN (MIN (old_n, n), ROWS);

      if (old_n > same || n > same)
        g_list_model_items_changed (G_LIST_MODEL (self), same, old_n - same, n - same);
    }
}

static gboolean
hiding (UsdtpayPacedModel *self)
{
  return self->n_items > self->shown;
}

/* A while after the last change, the hidden rows go, a step a frame. */
static gboolean
trim_cb (gpointer data)
{
  UsdtpayPacedModel *self = data;

  self->trim_id = 0;
  if (!hiding (self) || self->limit != NOT_PACING)
    return G_SOURCE_REMOVE;

  if (!widget_mapped (self))
    {
      self->keep = self->shown;
      update (self, FALSE, 0, 0, 0);
      return G_SOURCE_REMOVE;
    }

  self->trimming = TRUE;
  ensure_ticking (self);

  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  UsdtpayPacedModel *self = user_data;
  guint rows = MIN (self->n_items, ROWS);
  guint shown = MIN (self->shown, ROWS);

  if (self->limit != NOT_PACING)
    {
      /* The frame that draws the first rows shows no more. */
      if (!self->painted)
        {
          self->painted = TRUE;
          return G_SOURCE_CONTINUE;
        }
      set_limit (self, gtk_widget_get_mapped (widget) ? self->limit + self->step : NOT_PACING);
    }
  else if (self->trimming)
    self->keep = rows > self->shown + self->step ? rows - self->step : self->shown;

  update (self, FALSE, 0, 0, 0);
  /* (Rows shown, or rows dropped.) */
  self->max_step = MAX (self->max_step, MIN (self->shown, ROWS) - shown);
  if (MIN (self->n_items, ROWS) < rows)
    self->max_step = MAX (self->max_step, rows - MIN (self->n_items, ROWS));

  if (self->limit != NOT_PACING || (self->trimming && hiding (self)))
    return G_SOURCE_CONTINUE;

  self->trimming = FALSE;
  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
model_items_changed_cb (GListModel        *model,
                        guint              position,
                        guint              removed,
                        guint              added,
                        UsdtpayPacedModel *self)
{
  self->n_source = g_list_model_get_n_items (model);
  /* The rows the view has stay (hidden past the last shown). */
  self->keep = MIN (self->n_items, ROWS);
  self->trimming = FALSE;
  g_clear_handle_id (&self->trim_id, g_source_remove);

  if (self->limit == NOT_PACING)
    {
      guint needed = MIN (self->n_source, ROWS);
      guint had = MIN (self->shown, ROWS);

      /* More rows than the view showed, and than fill it: it gets what
       * it shows now, the rest over the next frames. */
      if (self->first > 0 && needed > MAX (had, self->first) && widget_mapped (self))
        {
          set_limit (self, MAX (had, self->first));
          self->painted = FALSE;
        }
    }
  else
    set_limit (self, self->limit);

  update (self, TRUE, position, removed, added);

  if (self->limit != NOT_PACING)
    ensure_ticking (self);
  else if (hiding (self))
    self->trim_id = g_timeout_add (TRIM_DELAY_MS, trim_cb, self);
}

static gpointer
usdtpay_paced_model_get_item (GListModel *list,
                              guint       position)
{
  UsdtpayPacedModel *self = USDTPAY_PACED_MODEL (list);

  if (position >= self->n_items)
    return NULL;
  /* A hidden row: the item the model keeps for its position. */
  if (position >= self->n_source)
    return g_object_ref (usdtpay_history_model_get_row_item (self->model, position));

  return g_list_model_get_item (G_LIST_MODEL (self->model), position);
}

static guint
usdtpay_paced_model_get_n_items (GListModel *list)
{
  return USDTPAY_PACED_MODEL (list)->n_items;
}

static GType
usdtpay_paced_model_get_item_type (GListModel *list)
{
  return USDTPAY_TYPE_HISTORY_ITEM;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item = usdtpay_paced_model_get_item;
  iface->get_n_items = usdtpay_paced_model_get_n_items;
  iface->get_item_type = usdtpay_paced_model_get_item_type;
}

static void
usdtpay_paced_model_dispose (GObject *object)
{
  UsdtpayPacedModel *self = USDTPAY_PACED_MODEL (object);

  stop_ticking (self);
  g_clear_handle_id (&self->trim_id, g_source_remove);
  if (self->widget != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->widget), (gpointer *)&self->widget);
  self->widget = NULL;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (usdtpay_paced_model_parent_class)->dispose (object);
}

static void
usdtpay_paced_model_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  UsdtpayPacedModel *self = USDTPAY_PACED_MODEL (object);

  switch (prop_id)
    {
    case PROP_PACING:
      g_value_set_boolean (value, usdtpay_paced_model_get_pacing (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_paced_model_class_init (UsdtpayPacedModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_paced_model_dispose;
  object_class->get_property = usdtpay_paced_model_get_property;

  properties[PROP_PACING] =
    g_param_spec_boolean ("pacing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
usdtpay_paced_model_init (UsdtpayPacedModel *self)
{
  self->limit = NOT_PACING;
  self->step = 1;
}

UsdtpayPacedModel *
usdtpay_paced_model_new (UsdtpayHistoryModel *model)
{
  UsdtpayPacedModel *self;

  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (model), NULL);

  self = g_object_new (USDTPAY_TYPE_PACED_MODEL, NULL);
  self->model = g_object_ref (model);
  self->n_source = g_list_model_get_n_items (G_LIST_MODEL (model));
  self->n_items = self->n_source;
  self->shown = self->n_source;
  g_signal_connect (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);

  return self;
}

void
usdtpay_paced_model_set_widget (UsdtpayPacedModel *self,
                                GtkWidget         *widget)
{
  g_return_if_fail (USDTPAY_IS_PACED_MODEL (self));
  g_return_if_fail (widget == NULL || GTK_IS_WIDGET (widget));

  if (self->widget == widget)
    return;

  usdtpay_paced_model_reveal (self, G_MAXUINT);
  stop_ticking (self);
  self->trimming = FALSE;
  if (self->widget != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->widget), (gpointer *)&self->widget);
  self->widget = widget;
  if (widget != NULL)
    g_object_add_weak_pointer (G_OBJECT (widget), (gpointer *)&self->widget);
}

void
usdtpay_paced_model_set_rows (UsdtpayPacedModel *self,
                              guint              first,
                              guint              step)
{
  g_return_if_fail (USDTPAY_IS_PACED_MODEL (self));

  self->first = first;
  self->step = MAX (step, 1);
}

void
usdtpay_paced_model_reveal (UsdtpayPacedModel *self,
                            guint              position)
{
  g_return_if_fail (USDTPAY_IS_PACED_MODEL (self));

  if (self->limit == NOT_PACING || position < self->shown)
    return;

  set_limit (self, position == G_MAXUINT ? NOT_PACING : position + 1);
  update (self, FALSE, 0, 0, 0);
}

gboolean
usdtpay_paced_model_get_pacing (UsdtpayPacedModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_PACED_MODEL (self), FALSE);

  return self->limit != NOT_PACING;
}

guint
usdtpay_paced_model_get_hidden_rows (UsdtpayPacedModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_PACED_MODEL (self), 0);

  return self->n_items - MIN (self->shown, self->n_items);
}

guint
usdtpay_paced_model_get_max_step (UsdtpayPacedModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_PACED_MODEL (self), 0);

  return self->max_step;
}
