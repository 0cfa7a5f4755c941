/* usdtpay-preferences-window.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-preferences-window"

#include "config.h"

#include "usdtpay-preferences-window.h"

struct _UsdtpayPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  /* Template widgets */
  GtkSwitch            *sound_new_offer_switch;
  GtkSwitch            *sound_matched_switch;
  GtkSwitch            *sound_paid_switch;
  GtkSpinButton        *repeat_spin;
  GtkSwitch            *notifications_switch;
  AdwEntryRow          *platform_url_row;
};

G_DEFINE_FINAL_TYPE (UsdtpayPreferencesWindow, usdtpay_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
usdtpay_preferences_window_dispose (GObject *object)
{
  UsdtpayPreferencesWindow *self = (UsdtpayPreferencesWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), USDTPAY_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (usdtpay_preferences_window_parent_class)->dispose (object);
}

static void
usdtpay_preferences_window_class_init (UsdtpayPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayPreferencesWindow, sound_new_offer_switch);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayPreferencesWindow, sound_matched_switch);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayPreferencesWindow, sound_paid_switch);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayPreferencesWindow, repeat_spin);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayPreferencesWindow, platform_url_row);
}

static void
usdtpay_preferences_window_init (UsdtpayPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

UsdtpayPreferencesWindow *
usdtpay_preferences_window_new (GtkWindow *parent,
                                GSettings *settings)
{
  UsdtpayPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (USDTPAY_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "sound-new-offer", self->sound_new_offer_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "sound-matched", self->sound_matched_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "sound-paid", self->sound_paid_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "repeat-interval",
                   gtk_spin_button_get_adjustment (self->repeat_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notifications", self->notifications_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "platform-url", self->platform_url_row, "text", G_SETTINGS_BIND_DEFAULT);

  return self;
}
