/* usdtpay-order.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-error.h"
#include "usdtpay-json.h"
#include "usdtpay-money.h"
#include "usdtpay-order.h"
#include "usdtpay-time.h"

G_DEFINE_BOXED_TYPE (UsdtpayOrder, usdtpay_order, usdtpay_order_ref, usdtpay_order_unref)

UsdtpayOrder *
usdtpay_order_new (void)
{
  UsdtpayOrder *order = g_atomic_rc_box_new0 (UsdtpayOrder);

  order->version = 1;
  order->state = USDTPAY_ORDER_PENDING;
  return order;
}

UsdtpayOrder *
usdtpay_order_ref (UsdtpayOrder *order)
{
  g_return_val_if_fail (order != NULL, NULL);

  return g_atomic_rc_box_acquire (order);
}

static void
usdtpay_order_clear (gpointer data)
{
  UsdtpayOrder *order = data;

  g_free (order->id);
  g_free (order->method);
  g_free (order->external_id);
  g_free (order->customer_ref);
  g_free (order->payer_name);
  g_free (order->shop);
  g_free (order->merchant);
  g_free (order->return_url);
}

void
usdtpay_order_unref (UsdtpayOrder *order)
{
  g_return_if_fail (order != NULL);

  g_atomic_rc_box_release_full (order, usdtpay_order_clear);
}

UsdtpayOrder *
usdtpay_order_copy (const UsdtpayOrder *order)
{
  UsdtpayOrder *copy;

  g_return_val_if_fail (order != NULL, NULL);

  copy = g_atomic_rc_box_new0 (UsdtpayOrder);
  *copy = *order;
  copy->id = g_strdup (order->id);
  copy->method = g_strdup (order->method);
  copy->external_id = g_strdup (order->external_id);
  copy->customer_ref = g_strdup (order->customer_ref);
  copy->payer_name = g_strdup (order->payer_name);
  copy->shop = g_strdup (order->shop);
  copy->merchant = g_strdup (order->merchant);
  copy->return_url = g_strdup (order->return_url);
  return copy;
}

static void
add_money (JsonBuilder *builder,
           const char  *name,
           gint64       amount,
           guint        decimals)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, usdtpay_money_format_buf (amount, decimals, buf));
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       usec)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  json_builder_set_member_name (builder, name);
  if (usec == 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, usdtpay_time_format_buf (usec, buf));
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

void
usdtpay_order_to_json (const UsdtpayOrder *order,
                       JsonBuilder        *builder,
                       const char         *pay_url)
{
  const UsdtpayCurrency *currency;

  g_return_if_fail (order != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  /* The currency was checked when the order was made; 2 places is the
   * common case should a record ever hold something else. */
  currency = usdtpay_currency_lookup (order->fiat_currency);

  json_builder_begin_object (builder);
  add_string (builder, "id", order->id != NULL ? order->id : "");
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, order->version);
  add_string (builder, "state", usdtpay_order_state_to_string (order->state));
  add_money (builder, "amount", order->amount, USDTPAY_USDT_DECIMALS);
  add_money (builder, "fee", order->fee, USDTPAY_USDT_DECIMALS);
  add_money (builder, "net", order->net, USDTPAY_USDT_DECIMALS);
  add_money (builder, "fiat_amount", order->fiat_amount, currency != NULL ? currency->decimals : 2);
  add_string (builder, "fiat_currency", order->fiat_currency);
  add_string (builder, "method", order->method != NULL ? order->method : "");
  add_string (builder, "external_id", order->external_id != NULL ? order->external_id : "");
  add_string (builder, "customer_ref", order->customer_ref);
  add_string (builder, "payer_name", order->payer_name);
  add_string (builder, "shop", order->shop != NULL ? order->shop : "");
  add_string (builder, "merchant", order->merchant);
  add_string (builder, "return_url", order->return_url);
  add_time (builder, "created_at", order->created_at);
  add_time (builder, "matched_at", order->matched_at);
  add_time (builder, "paid_at", order->paid_at);
  add_time (builder, "completed_at", order->completed_at);
  add_time (builder, "closed_at", order->closed_at);
  add_time (builder, "payment_deadline", order->payment_deadline);
  add_time (builder, "confirm_deadline", order->confirm_deadline);
  add_time (builder, "offer_deadline", order->offer_deadline);
  if (pay_url != NULL)
    add_string (builder, "pay_url", pay_url);
  json_builder_end_object (builder);
}

JsonNode *
usdtpay_order_to_node (const UsdtpayOrder *order,
                       const char         *pay_url)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (order != NULL, NULL);

  usdtpay_order_to_json (order, builder, pay_url);
  return json_builder_get_root (builder);
}

/* Every member but the first ("id"), so always after a comma. Member names
 * are ours and need no escaping. */
static void
append_name (GString    *out,
             const char *name)
{
  g_string_append_len (out, ",\"", 2);
  g_string_append (out, name);
  g_string_append_len (out, "\":", 2);
}

static void
append_string_member (GString    *out,
                      const char *name,
                      const char *value)
{
  append_name (out, name);
  usdtpay_json_append_string (out, value, -1);
}

static void
append_money_member (GString    *out,
                     const char *name,
                     gint64      amount,
                     guint       decimals)
{
  char buf[USDTPAY_MONEY_BUF_SIZE];

  append_name (out, name);
  g_string_append_c (out, '"');
  g_string_append (out, usdtpay_money_format_buf (amount, decimals, buf));
  g_string_append_c (out, '"');
}

static void
append_time_member (GString    *out,
                    const char *name,
                    gint64      usec)
{
  char buf[USDTPAY_TIME_BUF_SIZE];

  append_name (out, name);
  if (usec == 0)
    g_string_append_len (out, "null", 4);
  else
    {
      g_string_append_c (out, '"');
      g_string_append (out, usdtpay_time_format_buf (usec, buf));
      g_string_append_c (out, '"');
    }
}

void
usdtpay_order_append_json (const UsdtpayOrder *order,
                           GString            *out,
                           const char         *pay_url)
{
  const UsdtpayCurrency *currency;

  g_return_if_fail (order != NULL);
  g_return_if_fail (out != NULL);

  currency = usdtpay_currency_lookup (order->fiat_currency);

  /* Keep in step with usdtpay_order_to_json(); the tests compare both. */
  g_string_append_len (out, "{\"id\":", 6);
  usdtpay_json_append_string (out, order->id != NULL ? order->id : "", -1);
  append_name (out, "version");
  g_string_append_printf (out, "%" G_GINT64_FORMAT, order->version);
  append_string_member (out, "state", usdtpay_order_state_to_string (order->state));
  append_money_member (out, "amount", order->amount, USDTPAY_USDT_DECIMALS);
  append_money_member (out, "fee", order->fee, USDTPAY_USDT_DECIMALS);
  append_money_member (out, "net", order->net, USDTPAY_USDT_DECIMALS);
  append_money_member (out, "fiat_amount", order->fiat_amount, currency != NULL ? currency->decimals : 2);
  append_string_member (out, "fiat_currency", order->fiat_currency);
  append_string_member (out, "method", order->method != NULL ? order->method : "");
  append_string_member (out, "external_id", order->external_id != NULL ? order->external_id : "");
  append_string_member (out, "customer_ref", order->customer_ref);
  append_string_member (out, "payer_name", order->payer_name);
  append_string_member (out, "shop", order->shop != NULL ? order->shop : "");
  append_string_member (out, "merchant", order->merchant);
  append_string_member (out, "return_url", order->return_url);
  append_time_member (out, "created_at", order->created_at);
  append_time_member (out, "matched_at", order->matched_at);
  append_time_member (out, "paid_at", order->paid_at);
  append_time_member (out, "completed_at", order->completed_at);
  append_time_member (out, "closed_at", order->closed_at);
  append_time_member (out, "payment_deadline", order->payment_deadline);
  append_time_member (out, "confirm_deadline", order->confirm_deadline);
  append_time_member (out, "offer_deadline", order->offer_deadline);
  if (pay_url != NULL)
    append_string_member (out, "pay_url", pay_url);
  g_string_append_c (out, '}');
}

static gboolean
read_time (JsonObject  *object,
           const char  *member,
           gboolean     optional,
           gint64      *out,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *text = NULL;

  if (!usdtpay_json_get_string (object, member, optional, &text, error))
    return FALSE;
  if (text == NULL)
    {
      *out = 0;
      return TRUE;
    }

  if (!usdtpay_time_parse (text, out, &local_error))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "member \"%s\": %s", member, local_error->message);
      return FALSE;
    }

  return TRUE;
}

static gboolean
read_money (JsonObject  *object,
            const char  *member,
            guint        decimals,
            gint64      *out,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *text = NULL;

  if (!usdtpay_json_get_string (object, member, FALSE, &text, error))
    return FALSE;

  if (!usdtpay_money_parse (text, decimals, USDTPAY_MONEY_UNSIGNED, out, &local_error))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   "member \"%s\": %s", member, local_error->message);
      return FALSE;
    }

  return TRUE;
}

static gboolean
read_string (JsonObject  *object,
             const char  *member,
             gboolean     optional,
             char       **out,
             GError     **error)
{
  const char *text = NULL;

  if (!usdtpay_json_get_string (object, member, optional, &text, error))
    return FALSE;

  if (!optional && *text == '\0')
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "member \"%s\" must not be empty", member);
      return FALSE;
    }

  g_free (*out);
  *out = g_strdup (text);
  return TRUE;
}

UsdtpayOrder *
usdtpay_order_from_json (JsonObject  *object,
                         GError     **error)
{
  g_autoptr(UsdtpayOrder) order = NULL;
  const UsdtpayCurrency *currency;
  const char *text = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  order = usdtpay_order_new ();

  if (!read_string (object, "id", FALSE, &order->id, error))
    return NULL;

  if (!usdtpay_json_get_int (object, "version", FALSE, &order->version, error))
    return NULL;
  if (order->version < 1)
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                           "member \"version\" must be at least 1");
      return NULL;
    }

  if (!usdtpay_json_get_string (object, "state", FALSE, &text, error))
    return NULL;
  if (!usdtpay_order_state_from_string (text, &order->state))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "member \"state\": unknown state \"%s\"", text);
      return NULL;
    }

  if (!read_money (object, "amount", USDTPAY_USDT_DECIMALS, &order->amount, error) ||
      !read_money (object, "fee", USDTPAY_USDT_DECIMALS, &order->fee, error) ||
      !read_money (object, "net", USDTPAY_USDT_DECIMALS, &order->net, error))
    return NULL;

  if (order->amount <= 0 || order->amount > USDTPAY_ORDER_AMOUNT_MAX)
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                           "member \"amount\" is out of range");
      return NULL;
    }
  if (order->fee > order->amount || order->net != order->amount - order->fee)
    {
      g_set_error_literal (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                           "members \"fee\" and \"net\" do not add up to \"amount\"");
      return NULL;
    }

  if (!usdtpay_json_get_string (object, "fiat_currency", FALSE, &text, error))
    return NULL;
  currency = usdtpay_currency_lookup (text);
  if (currency == NULL)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT,
                   "member \"fiat_currency\": unknown currency \"%s\"", text);
      return NULL;
    }
  memcpy (order->fiat_currency, currency->code, 4);

  if (!read_money (object, "fiat_amount", currency->decimals, &order->fiat_amount, error))
    return NULL;

  if (!read_string (object, "method", FALSE, &order->method, error) ||
      !read_string (object, "external_id", FALSE, &order->external_id, error) ||
      !read_string (object, "customer_ref", TRUE, &order->customer_ref, error) ||
      !read_string (object, "payer_name", TRUE, &order->payer_name, error) ||
      !read_string (object, "shop", FALSE, &order->shop, error) ||
      !read_string (object, "merchant", TRUE, &order->merchant, error) ||
      !read_string (object, "return_url", TRUE, &order->return_url, error))
    return NULL;

  if (!read_time (object, "created_at", FALSE, &order->created_at, error) ||
      !read_time (object, "matched_at", TRUE, &order->matched_at, error) ||
      !read_time (object, "paid_at", TRUE, &order->paid_at, error) ||
      !read_time (object, "completed_at", TRUE, &order->completed_at, error) ||
      !read_time (object, "closed_at", TRUE, &order->closed_at, error) ||
      !read_time (object, "payment_deadline", TRUE, &order->payment_deadline, error) ||
      !read_time (object, "confirm_deadline", TRUE, &order->confirm_deadline, error) ||
      !read_time (object, "offer_deadline", TRUE, &order->offer_deadline, error))
    return NULL;

  /* pay_url is not part of the order: the owning shop's answers add it. */
  if (json_object_has_member (object, "pay_url"))
    {
      const char *pay_url = NULL;

      if (!usdtpay_json_get_string (object, "pay_url", TRUE, &pay_url, error))
        return NULL;
    }

  return g_steal_pointer (&order);
}
