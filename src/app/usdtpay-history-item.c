/* usdtpay-history-item.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-history-item"

#include "config.h"

#include "usdtpay-history-item.h"

struct _UsdtpayHistoryItem
{
  GObject             parent_instance;

  UsdtpayOrderObject *order;
  gboolean            hidden;
};

G_DEFINE_FINAL_TYPE (UsdtpayHistoryItem, usdtpay_history_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ORDER,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
usdtpay_history_item_finalize (GObject *object)
{
  UsdtpayHistoryItem *self = (UsdtpayHistoryItem *)object;

  g_clear_object (&self->order);

  G_OBJECT_CLASS (usdtpay_history_item_parent_class)->finalize (object);
}

static void
usdtpay_history_item_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  UsdtpayHistoryItem *self = USDTPAY_HISTORY_ITEM (object);

  switch (prop_id)
    {
    case PROP_ORDER:
      g_value_set_object (value, self->order);
      break;

    case PROP_LOADED:
      g_value_set_boolean (value, self->order != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_history_item_class_init (UsdtpayHistoryItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = usdtpay_history_item_finalize;
  object_class->get_property = usdtpay_history_item_get_property;

  properties[PROP_ORDER] =
    g_param_spec_object ("order", NULL, NULL, USDTPAY_TYPE_ORDER_OBJECT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
usdtpay_history_item_init (UsdtpayHistoryItem *self)
{
}

UsdtpayHistoryItem *
usdtpay_history_item_new (void)
{
  return g_object_new (USDTPAY_TYPE_HISTORY_ITEM, NULL);
}

UsdtpayOrderObject *
usdtpay_history_item_get_order (UsdtpayHistoryItem *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_ITEM (self), NULL);

  return self->order;
}

const char *
usdtpay_history_item_get_id (UsdtpayHistoryItem *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_ITEM (self), NULL);

  return self->order != NULL ? usdtpay_order_object_get_id (self->order) : NULL;
}

void
usdtpay_history_item_set_order (UsdtpayHistoryItem *self,
                                UsdtpayOrder       *order)
{
  gboolean was_loaded;

  g_return_if_fail (USDTPAY_IS_HISTORY_ITEM (self));

  was_loaded = self->order != NULL;
  if (order != NULL && self->order != NULL &&
      g_strcmp0 (usdtpay_order_object_get_id (self->order), order->id) == 0)
    {
      usdtpay_order_object_set_order (self->order, order);
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }

  if (order == NULL && self->order == NULL)
    return;

  g_clear_object (&self->order);
  if (order != NULL)
    self->order = usdtpay_order_object_new (order);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ORDER]);
  if (was_loaded != (self->order != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
usdtpay_history_item_get_hidden (UsdtpayHistoryItem *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_ITEM (self), FALSE);

  return self->hidden;
}

void
usdtpay_history_item_set_hidden (UsdtpayHistoryItem *self,
                                 gboolean            hidden)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_ITEM (self));

  hidden = !!hidden;
  if (self->hidden == hidden)
    return;

  self->hidden = hidden;
  g_signal_emit (self, signals[CHANGED], 0);
}
