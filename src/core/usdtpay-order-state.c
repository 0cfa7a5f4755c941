/* usdtpay-order-state.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-error.h"
#include "usdtpay-order-state.h"

#define ROLE(r) (1u << (r))

typedef struct
{
  UsdtpayOrderState  from;
  UsdtpayOrderAction action;
  guint              roles;   /* bit set of UsdtpayRole */
  UsdtpayOrderState  to;
} Transition;

/* The one transition table (DESIGN.md "Orders"). The engine adds the checks
 * a table cannot express: the 24 h window and the matched merchant of a late
 * appeal, the merchant of an order, the offer list of an accept. */
static const Transition transitions[] = {
  { USDTPAY_ORDER_PENDING,   USDTPAY_ACTION_MATCH,   ROLE (USDTPAY_ROLE_SYSTEM),   USDTPAY_ORDER_MATCHED },
  { USDTPAY_ORDER_PENDING,   USDTPAY_ACTION_ACCEPT,  ROLE (USDTPAY_ROLE_MERCHANT), USDTPAY_ORDER_MATCHED },
  { USDTPAY_ORDER_PENDING,   USDTPAY_ACTION_CANCEL,  ROLE (USDTPAY_ROLE_SHOP) | ROLE (USDTPAY_ROLE_CUSTOMER), USDTPAY_ORDER_CANCELLED },
  { USDTPAY_ORDER_PENDING,   USDTPAY_ACTION_EXPIRE,  ROLE (USDTPAY_ROLE_SYSTEM),   USDTPAY_ORDER_EXPIRED },

  { USDTPAY_ORDER_MATCHED,   USDTPAY_ACTION_PAY,     ROLE (USDTPAY_ROLE_CUSTOMER), USDTPAY_ORDER_PAID },
  { USDTPAY_ORDER_MATCHED,   USDTPAY_ACTION_CANCEL,  ROLE (USDTPAY_ROLE_SHOP) | ROLE (USDTPAY_ROLE_CUSTOMER), USDTPAY_ORDER_CANCELLED },
  { USDTPAY_ORDER_MATCHED,   USDTPAY_ACTION_EXPIRE,  ROLE (USDTPAY_ROLE_SYSTEM),   USDTPAY_ORDER_EXPIRED },

  { USDTPAY_ORDER_PAID,      USDTPAY_ACTION_CONFIRM, ROLE (USDTPAY_ROLE_MERCHANT), USDTPAY_ORDER_COMPLETED },
  { USDTPAY_ORDER_PAID,      USDTPAY_ACTION_DISPUTE, ROLE (USDTPAY_ROLE_CUSTOMER) | ROLE (USDTPAY_ROLE_MERCHANT) | ROLE (USDTPAY_ROLE_SYSTEM), USDTPAY_ORDER_DISPUTED },

  { USDTPAY_ORDER_EXPIRED,   USDTPAY_ACTION_DISPUTE, ROLE (USDTPAY_ROLE_CUSTOMER), USDTPAY_ORDER_DISPUTED },
  { USDTPAY_ORDER_CANCELLED, USDTPAY_ACTION_DISPUTE, ROLE (USDTPAY_ROLE_CUSTOMER), USDTPAY_ORDER_DISPUTED },

  { USDTPAY_ORDER_DISPUTED,  USDTPAY_ACTION_RESOLVE_COMPLETE, ROLE (USDTPAY_ROLE_SUPPORT), USDTPAY_ORDER_COMPLETED },
  { USDTPAY_ORDER_DISPUTED,  USDTPAY_ACTION_RESOLVE_CANCEL,   ROLE (USDTPAY_ROLE_SUPPORT), USDTPAY_ORDER_CANCELLED },
};

static const char * const state_names[USDTPAY_N_ORDER_STATES] = {
  [USDTPAY_ORDER_PENDING]   = "pending",
  [USDTPAY_ORDER_MATCHED]   = "matched",
  [USDTPAY_ORDER_PAID]      = "paid",
  [USDTPAY_ORDER_COMPLETED] = "completed",
  [USDTPAY_ORDER_CANCELLED] = "cancelled",
  [USDTPAY_ORDER_EXPIRED]   = "expired",
  [USDTPAY_ORDER_DISPUTED]  = "disputed",
};

static const char * const role_names[USDTPAY_N_ROLES] = {
  [USDTPAY_ROLE_SHOP]     = "shop",
  [USDTPAY_ROLE_CUSTOMER] = "customer",
  [USDTPAY_ROLE_MERCHANT] = "merchant",
  [USDTPAY_ROLE_SUPPORT]  = "support",
  [USDTPAY_ROLE_SYSTEM]   = "system",
};

static const char * const action_names[USDTPAY_N_ACTIONS] = {
  [USDTPAY_ACTION_MATCH]            = "match",
  [USDTPAY_ACTION_ACCEPT]           = "accept",
  [USDTPAY_ACTION_PAY]              = "pay",
  [USDTPAY_ACTION_CONFIRM]          = "confirm",
  [USDTPAY_ACTION_CANCEL]           = "cancel",
  [USDTPAY_ACTION_EXPIRE]           = "expire",
  [USDTPAY_ACTION_DISPUTE]          = "dispute",
  [USDTPAY_ACTION_RESOLVE_COMPLETE] = "resolve_complete",
  [USDTPAY_ACTION_RESOLVE_CANCEL]   = "resolve_cancel",
};

/* How the error messages say each action. */
static const char * const action_verbs[USDTPAY_N_ACTIONS] = {
  [USDTPAY_ACTION_MATCH]            = "match",
  [USDTPAY_ACTION_ACCEPT]           = "accept",
  [USDTPAY_ACTION_PAY]              = "mark paid",
  [USDTPAY_ACTION_CONFIRM]          = "confirm",
  [USDTPAY_ACTION_CANCEL]           = "cancel",
  [USDTPAY_ACTION_EXPIRE]           = "expire",
  [USDTPAY_ACTION_DISPUTE]          = "dispute",
  [USDTPAY_ACTION_RESOLVE_COMPLETE] = "resolve",
  [USDTPAY_ACTION_RESOLVE_CANCEL]   = "resolve",
};

static gboolean
name_lookup (const char * const *names,
             guint               n_names,
             const char         *text,
             guint              *out)
{
  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++)
    {
      if (strcmp (names[i], text) == 0)
        {
          *out = i;
          return TRUE;
        }
    }

  return FALSE;
}

const char *
usdtpay_order_state_to_string (UsdtpayOrderState state)
{
  g_return_val_if_fail ((guint)state < USDTPAY_N_ORDER_STATES, NULL);

  return state_names[state];
}

gboolean
usdtpay_order_state_from_string (const char        *text,
                                 UsdtpayOrderState *state)
{
  guint i;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!name_lookup (state_names, USDTPAY_N_ORDER_STATES, text, &i))
    return FALSE;

  *state = i;
  return TRUE;
}

gboolean
usdtpay_order_state_is_final (UsdtpayOrderState state)
{
  /* cancelled and expired take only the late appeal, which the engine
   * guards with its 24 h window; for everything else they are final. */
  return state == USDTPAY_ORDER_COMPLETED ||
         state == USDTPAY_ORDER_CANCELLED ||
         state == USDTPAY_ORDER_EXPIRED;
}

gboolean
usdtpay_order_state_is_open (UsdtpayOrderState state)
{
  return state == USDTPAY_ORDER_PENDING ||
         state == USDTPAY_ORDER_MATCHED ||
         state == USDTPAY_ORDER_PAID ||
         state == USDTPAY_ORDER_DISPUTED;
}

const char *
usdtpay_role_to_string (UsdtpayRole role)
{
  g_return_val_if_fail ((guint)role < USDTPAY_N_ROLES, NULL);

  return role_names[role];
}

gboolean
usdtpay_role_from_string (const char  *text,
                          UsdtpayRole *role)
{
  guint i;

  g_return_val_if_fail (role != NULL, FALSE);

  if (!name_lookup (role_names, USDTPAY_N_ROLES, text, &i))
    return FALSE;

  *role = i;
  return TRUE;
}

const char *
usdtpay_order_action_to_string (UsdtpayOrderAction action)
{
  g_return_val_if_fail ((guint)action < USDTPAY_N_ACTIONS, NULL);

  return action_names[action];
}

gboolean
usdtpay_order_action_from_string (const char         *text,
                                  UsdtpayOrderAction *action)
{
  guint i;

  g_return_val_if_fail (action != NULL, FALSE);

  if (!name_lookup (action_names, USDTPAY_N_ACTIONS, text, &i))
    return FALSE;

  *action = i;
  return TRUE;
}

gboolean
usdtpay_order_action_allowed_for (UsdtpayOrderAction action,
                                  UsdtpayRole        role)
{
  g_return_val_if_fail ((guint)action < USDTPAY_N_ACTIONS, FALSE);
  g_return_val_if_fail ((guint)role < USDTPAY_N_ROLES, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
    {
      if (transitions[i].action == action && (transitions[i].roles & ROLE (role)) != 0)
        return TRUE;
    }

  return FALSE;
}

UsdtpayOrderState
usdtpay_order_action_target (UsdtpayOrderAction action)
{
  g_return_val_if_fail ((guint)action < USDTPAY_N_ACTIONS, USDTPAY_ORDER_PENDING);

  /* Every action leads to one state wherever it starts. */
  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
    {
      if (transitions[i].action == action)
        return transitions[i].to;
    }

  g_assert_not_reached ();
}

gboolean
usdtpay_order_transition (UsdtpayOrderState   from,
                          UsdtpayOrderAction  action,
                          UsdtpayRole         role,
                          UsdtpayOrderState  *to,
                          GError            **error)
{
  g_return_val_if_fail ((guint)from < USDTPAY_N_ORDER_STATES, FALSE);
  g_return_val_if_fail ((guint)action < USDTPAY_N_ACTIONS, FALSE);
  g_return_val_if_fail ((guint)role < USDTPAY_N_ROLES, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!usdtpay_order_action_allowed_for (action, role))
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN,
                   "a %s may not %s an order",
                   role_names[role], action_verbs[action]);
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
    {
      const Transition *t = &transitions[i];

      if (t->from == from && t->action == action && (t->roles & ROLE (role)) != 0)
        {
          if (to != NULL)
            *to = t->to;
          return TRUE;
        }
    }

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION,
               "order is %s; cannot %s",
               state_names[from], action_verbs[action]);
  return FALSE;
}
