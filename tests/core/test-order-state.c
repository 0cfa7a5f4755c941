/* test-order-state.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-core.h"

/* The table as DESIGN.md states it, written out independently of the
 * library's: "from action role to". */
static const char * const expected_rows[] = {
  "pending match system matched",
  "pending accept merchant matched",
  "pending cancel shop cancelled",
  "pending cancel customer cancelled",
  "pending expire system expired",
  "matched pay customer paid",
  "matched cancel shop cancelled",
  "matched cancel customer cancelled",
  "matched expire system expired",
  "paid confirm merchant completed",
  "paid dispute customer disputed",
  "paid dispute merchant disputed",
  "paid dispute system disputed",
  "expired dispute customer disputed",
  "cancelled dispute customer disputed",
  "disputed resolve_complete support completed",
  "disputed resolve_cancel support cancelled",
};

static const char * const states[] = {
  "pending", "matched", "paid", "completed", "cancelled", "expired", "disputed",
};
static const char * const actions[] = {
  "match", "accept", "pay", "confirm", "cancel", "expire", "dispute",
  "resolve_complete", "resolve_cancel",
};
static const char * const roles[] = {
  "shop", "customer", "merchant", "support", "system",
};

/* Returns the target state's name or NULL. */
static const char *
expected_lookup (const char *from,
                 const char *action,
                 const char *role)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_rows); i++)
    {
      g_auto(GStrv) f = g_strsplit (expected_rows[i], " ", -1);
      static char to[32];

      g_assert_cmpuint (g_strv_length (f), ==, 4);
      if (strcmp (f[0], from) == 0 && strcmp (f[1], action) == 0 && strcmp (f[2], role) == 0)
        {
          g_strlcpy (to, f[3], sizeof to);
          return to;
        }
    }
  return NULL;
}

static gboolean
expected_role_may (const char *action,
                   const char *role)
{
  for (guint s = 0; s < G_N_ELEMENTS (states); s++)
    {
      if (expected_lookup (states[s], action, role) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_names (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (states), ==, USDTPAY_N_ORDER_STATES);
  g_assert_cmpuint (G_N_ELEMENTS (actions), ==, USDTPAY_N_ACTIONS);
  g_assert_cmpuint (G_N_ELEMENTS (roles), ==, USDTPAY_N_ROLES);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      UsdtpayOrderState state;

      g_assert_true (usdtpay_order_state_from_string (states[i], &state));
      g_assert_cmpstr (usdtpay_order_state_to_string (state), ==, states[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      UsdtpayOrderAction action;

      g_assert_true (usdtpay_order_action_from_string (actions[i], &action));
      g_assert_cmpstr (usdtpay_order_action_to_string (action), ==, actions[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      UsdtpayRole role;

      g_assert_true (usdtpay_role_from_string (roles[i], &role));
      g_assert_cmpstr (usdtpay_role_to_string (role), ==, roles[i]);
    }

  {
    UsdtpayOrderState state = USDTPAY_ORDER_PAID;
    UsdtpayRole role = USDTPAY_ROLE_SHOP;
    UsdtpayOrderAction action = USDTPAY_ACTION_PAY;

    g_assert_false (usdtpay_order_state_from_string ("Pending", &state));
    g_assert_false (usdtpay_order_state_from_string ("", &state));
    g_assert_false (usdtpay_order_state_from_string (NULL, &state));
    g_assert_false (usdtpay_role_from_string ("admin", &role));
    g_assert_false (usdtpay_order_action_from_string ("resolve", &action));
    g_assert_cmpint (state, ==, USDTPAY_ORDER_PAID);
    g_assert_cmpint (role, ==, USDTPAY_ROLE_SHOP);
    g_assert_cmpint (action, ==, USDTPAY_ACTION_PAY);
  }
}

static void
test_final_open (void)
{
  static const struct { const char *state; gboolean final; gboolean open; } cases[] = {
    { "pending", FALSE, TRUE },
    { "matched", FALSE, TRUE },
    { "paid", FALSE, TRUE },
    { "completed", TRUE, FALSE },
    { "cancelled", TRUE, FALSE },
    { "expired", TRUE, FALSE },
    { "disputed", FALSE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      UsdtpayOrderState state;

      g_assert_true (usdtpay_order_state_from_string (cases[i].state, &state));
      g_assert_cmpint (usdtpay_order_state_is_final (state), ==, cases[i].final);
      g_assert_cmpint (usdtpay_order_state_is_open (state), ==, cases[i].open);
    }
}

/* Every (state, action, role), legal or not, against the table above. */
static void
test_every_combination (void)
{
  guint legal = 0, forbidden = 0, illegal = 0;

  for (guint s = 0; s < G_N_ELEMENTS (states); s++)
    for (guint a = 0; a < G_N_ELEMENTS (actions); a++)
      for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
        {
          g_autoptr(GError) error = NULL;
          UsdtpayOrderState from, to = USDTPAY_N_ORDER_STATES;
          UsdtpayOrderAction action;
          UsdtpayRole role;
          const char *expected = expected_lookup (states[s], actions[a], roles[r]);
          gboolean ok;

          g_assert_true (usdtpay_order_state_from_string (states[s], &from));
          g_assert_true (usdtpay_order_action_from_string (actions[a], &action));
          g_assert_true (usdtpay_role_from_string (roles[r], &role));

          g_assert_cmpint (usdtpay_order_action_allowed_for (action, role), ==,
                           expected_role_may (actions[a], roles[r]));

          ok = usdtpay_order_transition (from, action, role, &to, &error);
          if (expected != NULL)
            {
              g_assert_no_error (error);
              g_assert_true (ok);
              g_assert_cmpstr (usdtpay_order_state_to_string (to), ==, expected);
              g_assert_cmpint (usdtpay_order_action_target (action), ==, to);
              legal++;
            }
          else if (!expected_role_may (actions[a], roles[r]))
            {
              g_assert_false (ok);
              g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN);
              g_assert_cmpint (to, ==, USDTPAY_N_ORDER_STATES);
              g_assert_cmpuint (usdtpay_error_to_http_status (error), ==, 403);
              forbidden++;
            }
          else
            {
              g_autofree char *prefix = g_strdup_printf ("order is %s;", states[s]);

              g_assert_false (ok);
              g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION);
              g_assert_true (g_str_has_prefix (error->message, prefix));
              g_assert_cmpint (to, ==, USDTPAY_N_ORDER_STATES);
              g_assert_cmpuint (usdtpay_error_to_http_status (error), ==, 409);
              illegal++;
            }
        }

  g_assert_cmpuint (legal, ==, G_N_ELEMENTS (expected_rows));
  g_assert_cmpuint (legal + forbidden + illegal, ==, 7 * 9 * 5);
  g_test_message ("%u legal, %u forbidden, %u illegal", legal, forbidden, illegal);
}

static void
test_messages (void)
{
  g_autoptr(GError) error = NULL;
  UsdtpayOrderState to;

  g_assert_false (usdtpay_order_transition (USDTPAY_ORDER_COMPLETED, USDTPAY_ACTION_CONFIRM,
                                            USDTPAY_ROLE_MERCHANT, &to, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_ILLEGAL_TRANSITION);
  g_assert_cmpstr (error->message, ==, "order is completed; cannot confirm");
  g_clear_error (&error);

  g_assert_false (usdtpay_order_transition (USDTPAY_ORDER_PAID, USDTPAY_ACTION_CONFIRM,
                                            USDTPAY_ROLE_SHOP, &to, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* A NULL @to is allowed. */
  g_assert_true (usdtpay_order_transition (USDTPAY_ORDER_PAID, USDTPAY_ACTION_CONFIRM,
                                           USDTPAY_ROLE_MERCHANT, NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/order-state/names", test_names);
  g_test_add_func ("/core/order-state/final-open", test_final_open);
  g_test_add_func ("/core/order-state/every-combination", test_every_combination);
  g_test_add_func ("/core/order-state/messages", test_messages);

  return g_test_run ();
}
