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
};

G_DEFINE_FINAL_TYPE (UsdtpayHistoryItem, usdtpay_history_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ORDER,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
      return;
    }

  g_clear_object (&self->order);
  if (order != NULL)
    self->order = usdtpay_order_object_new (order);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ORDER]);
  if (was_loaded != (self->order != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}
