/* usdtpay-order-row.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-order-row"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-order-row.h"

struct _UsdtpayOrderRow
{
  GtkWidget           parent_instance;

  UsdtpayOrderObject *item;
  GSignalGroup       *item_signals;

  /* Template widgets */
  GtkWidget          *box;
  GtkLabel           *countdown_label;
  GtkButton          *primary_button;
  GtkMenuButton      *menu_button;
};

G_DEFINE_FINAL_TYPE (UsdtpayOrderRow, usdtpay_order_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (UsdtpayOrderRow *self)
{
  g_autofree char *short_id = NULL;
  g_autofree char *menu_label = NULL;
  g_autoptr(GMenu) menu = NULL;
  UsdtpaySection section;
  gboolean busy;

  g_assert (USDTPAY_IS_ORDER_ROW (self));

  if (self->item == NULL)
    return;

  section = usdtpay_order_object_get_section (self->item);
  busy = usdtpay_order_object_get_busy (self->item);
  short_id = usdtpay_order_object_dup_short_id (self->item);

  switch (section)
    {
    case USDTPAY_SECTION_OFFERS:
      gtk_button_set_label (self->primary_button, busy ? _("Taking…") : _("_Take"));
      gtk_widget_set_visible (GTK_WIDGET (self->primary_button), TRUE);
      gtk_widget_remove_css_class (GTK_WIDGET (self->primary_button), "destructive-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->primary_button), "suggested-action");
      break;

    case USDTPAY_SECTION_CONFIRM:
      gtk_button_set_label (self->primary_button, busy ? _("Releasing…") : _("_Confirm Receipt…"));
      gtk_widget_set_visible (GTK_WIDGET (self->primary_button), TRUE);
      gtk_widget_remove_css_class (GTK_WIDGET (self->primary_button), "suggested-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->primary_button), "destructive-action");
      break;

    case USDTPAY_SECTION_AWAITING:
    case USDTPAY_SECTION_NONE:
    default:
      gtk_widget_set_visible (GTK_WIDGET (self->primary_button), FALSE);
      break;
    }

  gtk_button_set_use_underline (self->primary_button, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->primary_button), !busy);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->primary_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  usdtpay_order_object_get_fiat_text (self->item),
                                  -1);

  /* Appeal exists from paid on: the row's quieter, second action. */
  gtk_widget_set_visible (GTK_WIDGET (self->menu_button), section == USDTPAY_SECTION_CONFIRM);
  menu = g_menu_new ();
  if (section == USDTPAY_SECTION_CONFIRM)
    {
      g_autoptr(GMenuItem) appeal = g_menu_item_new (_("_Appeal…"), NULL);

      g_menu_item_set_action_and_target_value (appeal, "win.appeal",
                                               g_variant_new_string (usdtpay_order_object_get_id (self->item)));
      g_menu_append_item (menu, appeal);
    }
  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (menu));
  /* Translators: %s is an order's short id, like 8F3K */
  menu_label = g_strdup_printf (_("More actions for order %s"), short_id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label,
                                  -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->menu_button), menu_label);

  if (usdtpay_order_object_get_seen (self->item) || section != USDTPAY_SECTION_CONFIRM)
    gtk_widget_remove_css_class (GTK_WIDGET (self), "unseen");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "unseen");
}

static void
urgent_changed_cb (UsdtpayOrderRow *self)
{
  gboolean urgent = FALSE;

  g_assert (USDTPAY_IS_ORDER_ROW (self));

  if (self->item != NULL)
    g_object_get (self->item, "urgent", &urgent, NULL);

  if (urgent)
    gtk_widget_add_css_class (GTK_WIDGET (self->countdown_label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->countdown_label), "warning");
}

static void
primary_clicked_cb (UsdtpayOrderRow *self,
                    GtkButton       *button)
{
  const char *action;

  g_assert (USDTPAY_IS_ORDER_ROW (self));

  if (self->item == NULL || usdtpay_order_object_get_busy (self->item))
    return;

  switch (usdtpay_order_object_get_section (self->item))
    {
    case USDTPAY_SECTION_OFFERS:
      action = "win.take";
      break;
    case USDTPAY_SECTION_CONFIRM:
      action = "win.confirm";
      break;
    case USDTPAY_SECTION_AWAITING:
    case USDTPAY_SECTION_NONE:
    default:
      return;
    }

  gtk_widget_activate_action (GTK_WIDGET (self), action, "s",
                              usdtpay_order_object_get_id (self->item));
}

static void
usdtpay_order_row_dispose (GObject *object)
{
  UsdtpayOrderRow *self = (UsdtpayOrderRow *)object;

  if (self->item_signals != NULL)
    g_signal_group_set_target (self->item_signals, NULL);
  g_clear_object (&self->item_signals);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), USDTPAY_TYPE_ORDER_ROW);

  G_OBJECT_CLASS (usdtpay_order_row_parent_class)->dispose (object);
}

static void
usdtpay_order_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  UsdtpayOrderRow *self = USDTPAY_ORDER_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_order_row_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  UsdtpayOrderRow *self = USDTPAY_ORDER_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      usdtpay_order_row_set_item (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_order_row_class_init (UsdtpayOrderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_order_row_dispose;
  object_class->get_property = usdtpay_order_row_get_property;
  object_class->set_property = usdtpay_order_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, USDTPAY_TYPE_ORDER_OBJECT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-order-row.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayOrderRow, box);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayOrderRow, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayOrderRow, primary_button);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayOrderRow, menu_button);
  gtk_widget_class_bind_template_callback (widget_class, primary_clicked_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "orderrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  g_type_ensure (USDTPAY_TYPE_ORDER_OBJECT);
}

static void
usdtpay_order_row_init (UsdtpayOrderRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->item_signals = g_signal_group_new (USDTPAY_TYPE_ORDER_OBJECT);
  g_signal_group_connect_object (self->item_signals, "notify::section",
                                 G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->item_signals, "notify::busy",
                                 G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->item_signals, "notify::seen",
                                 G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->item_signals, "notify::urgent",
                                 G_CALLBACK (urgent_changed_cb), self, G_CONNECT_SWAPPED);
}

UsdtpayOrderObject *
usdtpay_order_row_get_item (UsdtpayOrderRow *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_ROW (self), NULL);

  return self->item;
}

void
usdtpay_order_row_set_item (UsdtpayOrderRow    *self,
                            UsdtpayOrderObject *item)
{
  g_return_if_fail (USDTPAY_IS_ORDER_ROW (self));
  g_return_if_fail (item == NULL || USDTPAY_IS_ORDER_OBJECT (item));

  if (!g_set_object (&self->item, item))
    return;

  g_signal_group_set_target (self->item_signals, item);
  update (self);
  urgent_changed_cb (self);

  if (item != NULL)
    {
      /* Rows enter with a short highlight. */
      gtk_widget_add_css_class (GTK_WIDGET (self), "entering");
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
