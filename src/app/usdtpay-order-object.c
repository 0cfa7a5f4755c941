/* usdtpay-order-object.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-order-object"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-order-object.h"

/* Under two minutes a countdown turns to the warning colour. */
#define URGENT_SECONDS 120

struct _UsdtpayOrderObject
{
  GObject         parent_instance;

  UsdtpayOrder   *order;
  UsdtpaySection  section;
  char           *fiat_text;
  char           *usdt_text;
  char           *detail_text;
  char           *fee_text;
  char           *countdown_text;
  char           *age_text;
  gint64          remaining;     /* seconds, G_MININT64 when no deadline */
  guint           busy : 1;
  guint           seen : 1;
  guint           urgent : 1;
};

G_DEFINE_FINAL_TYPE (UsdtpayOrderObject, usdtpay_order_object, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SHORT_ID,
  PROP_VERSION,
  PROP_SECTION,
  PROP_FIAT_TEXT,
  PROP_USDT_TEXT,
  PROP_DETAIL_TEXT,
  PROP_FEE_TEXT,
  PROP_METHOD_NAME,
  PROP_CUSTOMER_REF,
  PROP_PAYER_NAME,
  PROP_MERCHANT,
  PROP_COUNTDOWN_TEXT,
  PROP_AGE_TEXT,
  PROP_STATE_TEXT,
  PROP_TIME_TEXT,
  PROP_AMOUNT,
  PROP_FIAT_AMOUNT,
  PROP_SEARCH_TEXT,
  PROP_URGENT,
  PROP_BUSY,
  PROP_SEEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
usdtpay_method_display_name (const char *method)
{
  if (g_strcmp0 (method, "bank") == 0)
    return _("Bank transfer");
  if (g_strcmp0 (method, "alipay") == 0)
    return _("Alipay");
  if (g_strcmp0 (method, "wechat") == 0)
    return _("WeChat Pay");

  return method != NULL ? method : "";
}

const char *
usdtpay_order_state_display_name (UsdtpayOrderState state)
{
  switch (state)
    {
    case USDTPAY_ORDER_PENDING:
      return _("Offered");
    case USDTPAY_ORDER_MATCHED:
      return _("Awaiting payment");
    case USDTPAY_ORDER_PAID:
      return _("Paid");
    case USDTPAY_ORDER_COMPLETED:
      return _("Completed");
    case USDTPAY_ORDER_CANCELLED:
      return _("Cancelled");
    case USDTPAY_ORDER_EXPIRED:
      return _("Expired");
    case USDTPAY_ORDER_DISPUTED:
      return _("Disputed");
    case USDTPAY_N_ORDER_STATES:
    default:
      return "";
    }
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (usec <= 0)
    return g_strdup ("");

  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (utc);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

char *
usdtpay_order_format_fiat (const UsdtpayOrder *order)
{
  g_autofree char *amount = NULL;

  g_return_val_if_fail (order != NULL, NULL);

  amount = usdtpay_fiat_format (order->fiat_amount, order->fiat_currency);
  if (amount == NULL)
    return g_strdup (order->fiat_currency);

  return g_strdup_printf ("%s %s", order->fiat_currency, amount);
}

char *
usdtpay_format_countdown (gint64 seconds)
{
  if (seconds <= 0)
    return g_strdup (_("Due now"));

  if (seconds >= 3600)
    /* Translators: a countdown, hours:minutes:seconds */
    return g_strdup_printf (_("%d:%02d:%02d left"),
                            (int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60));

  /* Translators: a countdown, minutes:seconds */
  return g_strdup_printf (_("%d:%02d left"), (int)(seconds / 60), (int)(seconds % 60));
}

static char *
format_age (gint64 seconds)
{
  if (seconds < 60)
    return g_strdup (_("just now"));
  if (seconds < 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d min ago", "%d min ago",
                                         (gulong)(seconds / 60)),
                            (int)(seconds / 60));

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago",
                                       (gulong)(seconds / 3600)),
                          (int)(seconds / 3600));
}

static gint64
deadline_for (const UsdtpayOrder *order)
{
  switch (order->state)
    {
    case USDTPAY_ORDER_PENDING:
      return order->offer_deadline;
    case USDTPAY_ORDER_MATCHED:
      return order->payment_deadline;
    case USDTPAY_ORDER_PAID:
      return order->confirm_deadline;
    case USDTPAY_ORDER_COMPLETED:
    case USDTPAY_ORDER_CANCELLED:
    case USDTPAY_ORDER_EXPIRED:
    case USDTPAY_ORDER_DISPUTED:
    case USDTPAY_N_ORDER_STATES:
    default:
      return 0;
    }
}

static gboolean
replace_string (char       **field,
                char        *value)
{
  if (g_strcmp0 (*field, value) == 0)
    {
      g_free (value);
      return FALSE;
    }

  g_free (*field);
  *field = value;

  return TRUE;
}

static void
update_texts (UsdtpayOrderObject *self)
{
  g_autofree char *usdt = NULL;
  g_autofree char *fee = NULL;

  g_assert (USDTPAY_IS_ORDER_OBJECT (self));

  if (replace_string (&self->fiat_text, usdtpay_order_format_fiat (self->order)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIAT_TEXT]);

  usdt = usdtpay_usdt_format (self->order->amount);
  if (replace_string (&self->usdt_text, g_strdup_printf ("%s USDT", usdt)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USDT_TEXT]);

  fee = usdtpay_usdt_format (self->order->fee);
  /* Translators: the first %s is a USDT amount, the second the platform fee */
  if (replace_string (&self->detail_text,
                      g_strdup_printf (_("%s USDT · fee %s"), usdt, fee)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAIL_TEXT]);

  if (replace_string (&self->fee_text, g_strdup_printf ("%s USDT", fee)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FEE_TEXT]);
}

static void
usdtpay_order_object_finalize (GObject *object)
{
  UsdtpayOrderObject *self = (UsdtpayOrderObject *)object;

  g_clear_pointer (&self->order, usdtpay_order_unref);
  g_clear_pointer (&self->fiat_text, g_free);
  g_clear_pointer (&self->usdt_text, g_free);
  g_clear_pointer (&self->detail_text, g_free);
  g_clear_pointer (&self->fee_text, g_free);
  g_clear_pointer (&self->countdown_text, g_free);
  g_clear_pointer (&self->age_text, g_free);

  G_OBJECT_CLASS (usdtpay_order_object_parent_class)->finalize (object);
}

static void
usdtpay_order_object_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  UsdtpayOrderObject *self = USDTPAY_ORDER_OBJECT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->order->id);
      break;

    case PROP_SHORT_ID:
      g_value_take_string (value, usdtpay_order_object_dup_short_id (self));
      break;

    case PROP_VERSION:
      g_value_set_int64 (value, self->order->version);
      break;

    case PROP_SECTION:
      g_value_set_uint (value, self->section);
      break;

    case PROP_FIAT_TEXT:
      g_value_set_string (value, self->fiat_text);
      break;

    case PROP_USDT_TEXT:
      g_value_set_string (value, self->usdt_text);
      break;

    case PROP_DETAIL_TEXT:
      g_value_set_string (value, self->detail_text);
      break;

    case PROP_FEE_TEXT:
      g_value_set_string (value, self->fee_text);
      break;

    case PROP_METHOD_NAME:
      g_value_set_string (value, usdtpay_method_display_name (self->order->method));
      break;

    case PROP_CUSTOMER_REF:
      g_value_set_string (value, self->order->customer_ref != NULL ? self->order->customer_ref : "");
      break;

    case PROP_PAYER_NAME:
      g_value_set_string (value, self->order->payer_name != NULL ? self->order->payer_name : "");
      break;

    case PROP_MERCHANT:
      g_value_set_string (value, self->order->merchant != NULL ? self->order->merchant : "");
      break;

    case PROP_COUNTDOWN_TEXT:
      g_value_set_string (value, self->countdown_text != NULL ? self->countdown_text : "");
      break;

    case PROP_AGE_TEXT:
      g_value_set_string (value, self->age_text != NULL ? self->age_text : "");
      break;

    case PROP_STATE_TEXT:
      g_value_set_string (value, usdtpay_order_state_display_name (self->order->state));
      break;

    case PROP_TIME_TEXT:
      g_value_take_string (value, format_time (self->order->created_at));
      break;

    case PROP_AMOUNT:
      g_value_set_int64 (value, self->order->amount);
      break;

    case PROP_FIAT_AMOUNT:
      g_value_set_int64 (value, self->order->fiat_amount);
      break;

    case PROP_SEARCH_TEXT:
      /* What a merchant may type to find an order. */
      g_value_take_string (value,
                           g_strjoin (" ", self->order->id,
                                      self->fiat_text != NULL ? self->fiat_text : "",
                                      usdtpay_method_display_name (self->order->method),
                                      usdtpay_order_state_display_name (self->order->state),
                                      self->order->customer_ref != NULL ? self->order->customer_ref : "",
                                      self->order->payer_name != NULL ? self->order->payer_name : "",
                                      self->order->external_id != NULL ? self->order->external_id : "",
                                      NULL));
      break;

    case PROP_URGENT:
      g_value_set_boolean (value, self->urgent);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;

    case PROP_SEEN:
      g_value_set_boolean (value, self->seen);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_order_object_class_init (UsdtpayOrderObjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = usdtpay_order_object_finalize;
  object_class->get_property = usdtpay_order_object_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, ro);
  properties[PROP_SHORT_ID] = g_param_spec_string ("short-id", NULL, NULL, NULL, ro);
  properties[PROP_VERSION] = g_param_spec_int64 ("version", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_SECTION] = g_param_spec_uint ("section", NULL, NULL, 0, USDTPAY_SECTION_NONE,
                                                USDTPAY_SECTION_NONE, ro);
  properties[PROP_FIAT_TEXT] = g_param_spec_string ("fiat-text", NULL, NULL, NULL, ro);
  properties[PROP_USDT_TEXT] = g_param_spec_string ("usdt-text", NULL, NULL, NULL, ro);
  properties[PROP_DETAIL_TEXT] = g_param_spec_string ("detail-text", NULL, NULL, NULL, ro);
  properties[PROP_FEE_TEXT] = g_param_spec_string ("fee-text", NULL, NULL, NULL, ro);
  properties[PROP_METHOD_NAME] = g_param_spec_string ("method-name", NULL, NULL, NULL, ro);
  properties[PROP_CUSTOMER_REF] = g_param_spec_string ("customer-ref", NULL, NULL, NULL, ro);
  properties[PROP_PAYER_NAME] = g_param_spec_string ("payer-name", NULL, NULL, NULL, ro);
  properties[PROP_MERCHANT] = g_param_spec_string ("merchant", NULL, NULL, NULL, ro);
  properties[PROP_COUNTDOWN_TEXT] = g_param_spec_string ("countdown-text", NULL, NULL, NULL, ro);
  properties[PROP_AGE_TEXT] = g_param_spec_string ("age-text", NULL, NULL, NULL, ro);
  properties[PROP_STATE_TEXT] = g_param_spec_string ("state-text", NULL, NULL, NULL, ro);
  properties[PROP_TIME_TEXT] = g_param_spec_string ("time-text", NULL, NULL, NULL, ro);
  properties[PROP_AMOUNT] = g_param_spec_int64 ("amount", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_FIAT_AMOUNT] = g_param_spec_int64 ("fiat-amount", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_SEARCH_TEXT] = g_param_spec_string ("search-text", NULL, NULL, NULL, ro);
  properties[PROP_URGENT] = g_param_spec_boolean ("urgent", NULL, NULL, FALSE, ro);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  properties[PROP_SEEN] = g_param_spec_boolean ("seen", NULL, NULL, FALSE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
usdtpay_order_object_init (UsdtpayOrderObject *self)
{
  self->section = USDTPAY_SECTION_NONE;
  self->remaining = G_MININT64;
}

UsdtpayOrderObject *
usdtpay_order_object_new (UsdtpayOrder *order)
{
  UsdtpayOrderObject *self;

  g_return_val_if_fail (order != NULL, NULL);

  self = g_object_new (USDTPAY_TYPE_ORDER_OBJECT, NULL);
  self->order = usdtpay_order_ref (order);
  update_texts (self);
  usdtpay_order_object_tick (self, g_get_real_time ());

  return self;
}

UsdtpayOrder *
usdtpay_order_object_get_order (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  return self->order;
}

void
usdtpay_order_object_set_order (UsdtpayOrderObject *self,
                                UsdtpayOrder       *order)
{
  g_return_if_fail (USDTPAY_IS_ORDER_OBJECT (self));
  g_return_if_fail (order != NULL);
  g_return_if_fail (g_strcmp0 (order->id, self->order->id) == 0);

  if (order == self->order)
    return;

  usdtpay_order_ref (order);
  usdtpay_order_unref (self->order);
  self->order = order;

  g_object_freeze_notify (G_OBJECT (self));
  update_texts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERSION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METHOD_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CUSTOMER_REF]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MERCHANT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAYER_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_TEXT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AMOUNT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIAT_AMOUNT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
  self->remaining = G_MININT64;
  usdtpay_order_object_tick (self, g_get_real_time ());
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
usdtpay_order_object_get_id (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  return self->order->id;
}

char *
usdtpay_order_object_dup_short_id (UsdtpayOrderObject *self)
{
  gsize len;

  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  len = strlen (self->order->id);

  return g_ascii_strup (self->order->id + (len > 4 ? len - 4 : 0), -1);
}

UsdtpaySection
usdtpay_order_object_get_section (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), USDTPAY_SECTION_NONE);

  return self->section;
}

void
usdtpay_order_object_set_section (UsdtpayOrderObject *self,
                                  UsdtpaySection      section)
{
  g_return_if_fail (USDTPAY_IS_ORDER_OBJECT (self));
  g_return_if_fail (section <= USDTPAY_SECTION_NONE);

  if (self->section == section)
    return;

  self->section = section;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECTION]);
}

gboolean
usdtpay_order_object_get_busy (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), FALSE);

  return self->busy;
}

void
usdtpay_order_object_set_busy (UsdtpayOrderObject *self,
                               gboolean            busy)
{
  g_return_if_fail (USDTPAY_IS_ORDER_OBJECT (self));

  busy = !!busy;
  if (self->busy == (guint)busy)
    return;

  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

gboolean
usdtpay_order_object_get_seen (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), FALSE);

  return self->seen;
}

void
usdtpay_order_object_set_seen (UsdtpayOrderObject *self,
                               gboolean            seen)
{
  g_return_if_fail (USDTPAY_IS_ORDER_OBJECT (self));

  seen = !!seen;
  if (self->seen == (guint)seen)
    return;

  self->seen = seen;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEEN]);
}

void
usdtpay_order_object_tick (UsdtpayOrderObject *self,
                           gint64              now)
{
  gint64 deadline;
  gint64 remaining;
  gboolean urgent;

  g_return_if_fail (USDTPAY_IS_ORDER_OBJECT (self));

  if (self->order->created_at > 0 &&
      replace_string (&self->age_text,
                      format_age (MAX (0, (now - self->order->created_at) / G_USEC_PER_SEC))))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AGE_TEXT]);

  deadline = deadline_for (self->order);
  remaining = deadline > 0 ? MAX (0, (deadline - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC)
                           : G_MININT64;

  if (remaining == self->remaining)
    return;

  self->remaining = remaining;
  if (replace_string (&self->countdown_text,
                      remaining == G_MININT64 ? g_strdup ("") : usdtpay_format_countdown (remaining)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNTDOWN_TEXT]);

  urgent = remaining != G_MININT64 && remaining < URGENT_SECONDS;
  if ((guint)urgent != self->urgent)
    {
      self->urgent = urgent;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URGENT]);
    }
}

const char *
usdtpay_order_object_get_fiat_text (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  return self->fiat_text;
}

const char *
usdtpay_order_object_get_usdt_text (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  return self->usdt_text;
}

const char *
usdtpay_order_object_get_fee_text (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  return self->fee_text;
}

char *
usdtpay_order_object_dup_time_text (UsdtpayOrderObject *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_OBJECT (self), NULL);

  return format_time (self->order->created_at);
}
