/* usdtpay-confirm-dialog.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-confirm-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-confirm-dialog.h"

struct _UsdtpayConfirmDialog
{
  AdwMessageDialog    parent_instance;

  UsdtpayOrderObject *object;

  /* Template widgets */
  GtkCheckButton     *checked_button;
};

G_DEFINE_FINAL_TYPE (UsdtpayConfirmDialog, usdtpay_confirm_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
checked_changed_cb (UsdtpayConfirmDialog *self)
{
  g_assert (USDTPAY_IS_CONFIRM_DIALOG (self));

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "release",
                                           gtk_check_button_get_active (self->checked_button));
}

static void
usdtpay_confirm_dialog_dispose (GObject *object)
{
  UsdtpayConfirmDialog *self = (UsdtpayConfirmDialog *)object;

  g_clear_object (&self->object);
  gtk_widget_dispose_template (GTK_WIDGET (self), USDTPAY_TYPE_CONFIRM_DIALOG);

  G_OBJECT_CLASS (usdtpay_confirm_dialog_parent_class)->dispose (object);
}

static void
usdtpay_confirm_dialog_class_init (UsdtpayConfirmDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_confirm_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-confirm-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayConfirmDialog, checked_button);
  gtk_widget_class_bind_template_callback (widget_class, checked_changed_cb);
}

static void
usdtpay_confirm_dialog_init (UsdtpayConfirmDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

UsdtpayConfirmDialog *
usdtpay_confirm_dialog_new (GtkWindow          *parent,
                            UsdtpayOrderObject *object)
{
  UsdtpayConfirmDialog *self;
  UsdtpayOrder *order;
  g_autofree char *fiat = NULL;
  g_autofree char *usdt = NULL;
  g_autofree char *release = NULL;
  g_autofree char *question = NULL;
  g_autofree char *short_id = NULL;
  g_autofree char *paid_at = NULL;
  g_autofree char *body = NULL;
  const char *method;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (object), NULL);

  self = g_object_new (USDTPAY_TYPE_CONFIRM_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->object = g_object_ref (object);
  order = usdtpay_order_object_get_order (object);

  fiat = usdtpay_order_format_fiat (order);
  usdt = usdtpay_usdt_format (order->amount);
  method = usdtpay_method_display_name (order->method);
  short_id = usdtpay_order_object_dup_short_id (object);

  if (order->payer_name != NULL && *order->payer_name != '\0')
    /* Translators: "Did CNY 720.00 arrive from Li Wei by Bank transfer?" */
    question = g_strdup_printf (_("Did %s arrive from %s by %s?"), fiat, order->payer_name, method);
  else
    /* Translators: "Did CNY 720.00 arrive by Bank transfer?" */
    question = g_strdup_printf (_("Did %s arrive by %s?"), fiat, method);

  if (order->paid_at > 0)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (order->paid_at / G_USEC_PER_SEC);
      g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

      paid_at = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;
    }

  if (paid_at != NULL)
    /* Translators: order short id, full id and the time the customer paid */
    body = g_strdup_printf (_("%s\n\nOrder %s (%s), marked paid at %s.\nReleasing sends %s USDT from your escrow and cannot be undone."),
                            question, short_id, order->id, paid_at, usdt);
  else
    body = g_strdup_printf (_("%s\n\nOrder %s (%s).\nReleasing sends %s USDT from your escrow and cannot be undone."),
                            question, short_id, order->id, usdt);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);

  /* Translators: the button that releases escrow, "Release 100.000000 USDT" */
  release = g_strdup_printf (_("Release %s USDT"), usdt);
  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "release", release);

  return self;
}

UsdtpayOrderObject *
usdtpay_confirm_dialog_get_object (UsdtpayConfirmDialog *self)
{
  g_return_val_if_fail (USDTPAY_IS_CONFIRM_DIALOG (self), NULL);

  return self->object;
}

void
usdtpay_confirm_dialog_set_checked (UsdtpayConfirmDialog *self,
                                    gboolean              checked)
{
  g_return_if_fail (USDTPAY_IS_CONFIRM_DIALOG (self));

  gtk_check_button_set_active (self->checked_button, checked);
}
