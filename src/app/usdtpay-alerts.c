/* usdtpay-alerts.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-alerts"

#include "config.h"

#include <canberra.h>
#include <glib/gi18n.h>

#include "usdtpay-alerts.h"

typedef struct
{
  UsdtpayOrderObject *object;
  UsdtpayAlertKind    kind;
  UsdtpaySection      section;
  gint64              next_at;    /* monotonic µs */
} Repeat;

struct _UsdtpayAlerts
{
  GObject     parent_instance;

  GSettings  *settings;
  ca_context *ca;
  GPtrArray  *repeats;
  guint       repeat_source;
  gint64      last_played_at;
  gboolean    warned;
  guint       open_source;
};

G_DEFINE_FINAL_TYPE (UsdtpayAlerts, usdtpay_alerts, G_TYPE_OBJECT)

static const struct {
  const char *key;
  const char *event_id;
  const char *description;
  gboolean    repeats;
} kinds[USDTPAY_N_ALERTS] = {
  [USDTPAY_ALERT_NEW_OFFER] = { "sound-new-offer", "message-new-instant", N_("New order offered"), TRUE },
  [USDTPAY_ALERT_MATCHED] = { "sound-matched", "bell", N_("Order matched to you"), FALSE },
  [USDTPAY_ALERT_PAID] = { "sound-paid", "complete", N_("Customer paid: confirm receipt"), TRUE },
};

static void
repeat_free (gpointer data)
{
  Repeat *repeat = data;

  g_clear_object (&repeat->object);
  g_free (repeat);
}

const char *
usdtpay_alerts_settings_key (UsdtpayAlertKind kind)
{
  g_return_val_if_fail (kind < USDTPAY_N_ALERTS, NULL);

  return kinds[kind].key;
}

const char *
usdtpay_alerts_event_id (UsdtpayAlertKind kind)
{
  g_return_val_if_fail (kind < USDTPAY_N_ALERTS, NULL);

  return kinds[kind].event_id;
}

static void
usdtpay_alerts_dispose (GObject *object)
{
  UsdtpayAlerts *self = (UsdtpayAlerts *)object;

  g_clear_handle_id (&self->repeat_source, g_source_remove);
  g_clear_handle_id (&self->open_source, g_source_remove);
  if (self->repeats != NULL)
    g_ptr_array_set_size (self->repeats, 0);

  G_OBJECT_CLASS (usdtpay_alerts_parent_class)->dispose (object);
}

static void
usdtpay_alerts_finalize (GObject *object)
{
  UsdtpayAlerts *self = (UsdtpayAlerts *)object;

  g_clear_pointer (&self->ca, ca_context_destroy);
  g_clear_pointer (&self->repeats, g_ptr_array_unref);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (usdtpay_alerts_parent_class)->finalize (object);
}

static void
usdtpay_alerts_class_init (UsdtpayAlertsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_alerts_dispose;
  object_class->finalize = usdtpay_alerts_finalize;
}

static gboolean
open_idle_cb (gpointer user_data)
{
  UsdtpayAlerts *self = user_data;
  int res;

  self->open_source = 0;
  res = ca_context_open (self->ca);
  if (res != CA_SUCCESS)
    g_debug ("Could not open the sound context yet: %s", ca_strerror (res));

  return G_SOURCE_REMOVE;
}

static void
usdtpay_alerts_init (UsdtpayAlerts *self)
{
  int res;

  self->repeats = g_ptr_array_new_with_free_func (repeat_free);

  res = ca_context_create (&self->ca);
  if (res != CA_SUCCESS)
    {
      g_warning ("Sound alerts are unavailable: %s", ca_strerror (res));
      self->ca = NULL;
      return;
    }

  ca_context_change_props (self->ca,
                           CA_PROP_APPLICATION_NAME, "UsdtPay",
                           CA_PROP_APPLICATION_ID, APPLICATION_ID,
                           CA_PROP_APPLICATION_ICON_NAME, APPLICATION_ID,
                           NULL);

  /* Connect to the sound server once the window is up, so that neither the
   * start nor the first alert pays for it. */
  self->open_source = g_idle_add_full (G_PRIORITY_LOW, open_idle_cb, self, NULL);
}

UsdtpayAlerts *
usdtpay_alerts_new (GSettings *settings)
{
  UsdtpayAlerts *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (USDTPAY_TYPE_ALERTS, NULL);
  self->settings = g_object_ref (settings);

  return self;
}

gboolean
usdtpay_alerts_play (UsdtpayAlerts    *self,
                     UsdtpayAlertKind  kind,
                     gboolean          force)
{
  int res;

  g_return_val_if_fail (USDTPAY_IS_ALERTS (self), FALSE);
  g_return_val_if_fail (kind < USDTPAY_N_ALERTS, FALSE);

  if (!force && !g_settings_get_boolean (self->settings, kinds[kind].key))
    return FALSE;

  if (self->ca == NULL)
    return FALSE;

  /* An alert before the idle open: ca_context_play() opens the context. */
  g_clear_handle_id (&self->open_source, g_source_remove);

  res = ca_context_play (self->ca, kind + 1,
                         CA_PROP_EVENT_ID, kinds[kind].event_id,
                         CA_PROP_EVENT_DESCRIPTION, _(kinds[kind].description),
                         NULL);
  self->last_played_at = g_get_monotonic_time ();

  if (res != CA_SUCCESS)
    {
      /* Once is enough: with no sound server every alert would say it. */
      if (!self->warned)
        g_warning ("Could not play the “%s” alert: %s", kinds[kind].event_id, ca_strerror (res));
      else
        g_debug ("Could not play the “%s” alert: %s", kinds[kind].event_id, ca_strerror (res));
      self->warned = TRUE;
      return FALSE;
    }

  return TRUE;
}

static gboolean
repeat_tick_cb (gpointer user_data)
{
  UsdtpayAlerts *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint interval = g_settings_get_uint (self->settings, "repeat-interval");
  gboolean played[USDTPAY_N_ALERTS] = { FALSE, };

  for (guint i = self->repeats->len; i > 0; i--)
    {
      Repeat *repeat = g_ptr_array_index (self->repeats, i - 1);

      if (interval == 0 ||
          usdtpay_order_object_get_seen (repeat->object) ||
          usdtpay_order_object_get_section (repeat->object) != repeat->section)
        {
          g_ptr_array_remove_index (self->repeats, i - 1);
          continue;
        }

      if (now < repeat->next_at)
        continue;

      /* Many waiting orders of one kind make one sound, not a chord. */
      if (!played[repeat->kind])
        {
          usdtpay_alerts_play (self, repeat->kind, FALSE);
          played[repeat->kind] = TRUE;
        }
      repeat->next_at = now + (gint64)interval * G_USEC_PER_SEC;
    }

  if (self->repeats->len == 0)
    {
      self->repeat_source = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

void
usdtpay_alerts_alert (UsdtpayAlerts      *self,
                      UsdtpayAlertKind    kind,
                      UsdtpayOrderObject *object)
{
  guint interval;
  Repeat *repeat;

  g_return_if_fail (USDTPAY_IS_ALERTS (self));
  g_return_if_fail (kind < USDTPAY_N_ALERTS);
  g_return_if_fail (USDTPAY_IS_ORDER_OBJECT (object));

  usdtpay_alerts_play (self, kind, FALSE);

  interval = g_settings_get_uint (self->settings, "repeat-interval");
  if (!kinds[kind].repeats || interval == 0)
    return;

  repeat = g_new0 (Repeat, 1);
  repeat->object = g_object_ref (object);
  repeat->kind = kind;
  repeat->section = usdtpay_order_object_get_section (object);
  repeat->next_at = g_get_monotonic_time () + (gint64)interval * G_USEC_PER_SEC;
  g_ptr_array_add (self->repeats, repeat);

  if (self->repeat_source == 0)
    self->repeat_source = g_timeout_add_seconds (1, repeat_tick_cb, self);
}

guint
usdtpay_alerts_get_n_repeating (UsdtpayAlerts *self)
{
  g_return_val_if_fail (USDTPAY_IS_ALERTS (self), 0);

  return self->repeats->len;
}

gint64
usdtpay_alerts_get_last_played_at (UsdtpayAlerts *self)
{
  g_return_val_if_fail (USDTPAY_IS_ALERTS (self), 0);

  return self->last_played_at;
}
