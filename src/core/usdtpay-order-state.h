/* usdtpay-order-state.h
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  USDTPAY_ORDER_PENDING,
  USDTPAY_ORDER_MATCHED,
  USDTPAY_ORDER_PAID,
  USDTPAY_ORDER_COMPLETED,
  USDTPAY_ORDER_CANCELLED,
  USDTPAY_ORDER_EXPIRED,
  USDTPAY_ORDER_DISPUTED,
  USDTPAY_N_ORDER_STATES
} UsdtpayOrderState;

/* Who acts. SYSTEM is the platform itself: auto-matching and deadlines. */
typedef enum
{
  USDTPAY_ROLE_SHOP,
  USDTPAY_ROLE_CUSTOMER,
  USDTPAY_ROLE_MERCHANT,
  USDTPAY_ROLE_SUPPORT,
  USDTPAY_ROLE_SYSTEM,
  USDTPAY_N_ROLES
} UsdtpayRole;

typedef enum
{
  USDTPAY_ACTION_MATCH,            /* system: auto-match to a merchant */
  USDTPAY_ACTION_ACCEPT,           /* merchant takes an offer */
  USDTPAY_ACTION_PAY,              /* customer says paid */
  USDTPAY_ACTION_CONFIRM,          /* merchant confirms receipt: release */
  USDTPAY_ACTION_CANCEL,           /* customer or shop, before paid */
  USDTPAY_ACTION_EXPIRE,           /* system: a deadline passed */
  USDTPAY_ACTION_DISPUTE,          /* an appeal, or the confirm deadline */
  USDTPAY_ACTION_RESOLVE_COMPLETE, /* support settles for the customer */
  USDTPAY_ACTION_RESOLVE_CANCEL,   /* support settles for the merchant */
  USDTPAY_N_ACTIONS
} UsdtpayOrderAction;

const char *usdtpay_order_state_to_string   (UsdtpayOrderState   state);
gboolean    usdtpay_order_state_from_string (const char         *text,
                                             UsdtpayOrderState  *state);
gboolean    usdtpay_order_state_is_final    (UsdtpayOrderState   state);
/* Open: the order still holds (or may still take) a merchant's attention. */
gboolean    usdtpay_order_state_is_open     (UsdtpayOrderState   state);

const char *usdtpay_role_to_string          (UsdtpayRole         role);
gboolean    usdtpay_role_from_string        (const char         *text,
                                             UsdtpayRole        *role);

const char *usdtpay_order_action_to_string  (UsdtpayOrderAction  action);
gboolean    usdtpay_order_action_from_string (const char         *text,
                                              UsdtpayOrderAction *action);

/* The one transition table. Looks up (@from, @action, @role). On success
 * stores the target state in @to. Otherwise fails with
 * USDTPAY_ERROR_FORBIDDEN when @role may never perform @action, or
 * USDTPAY_ERROR_ILLEGAL_TRANSITION (naming the current state) when the action
 * exists for the role but not from @from.
 */
gboolean    usdtpay_order_transition        (UsdtpayOrderState   from,
                                             UsdtpayOrderAction  action,
                                             UsdtpayRole         role,
                                             UsdtpayOrderState  *to,
                                             GError            **error);
/* Whether @role appears anywhere in the table for @action. */
gboolean    usdtpay_order_action_allowed_for (UsdtpayOrderAction action,
                                              UsdtpayRole        role);
/* The state an action leads to (for the "repeat is a no-op" rule). */
UsdtpayOrderState usdtpay_order_action_target (UsdtpayOrderAction action);

G_END_DECLS
