/* test-secrets.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs inside a throw-away session bus with an unlocked gnome-keyring
 * (apptest.py). With `--lookup URL USER` it prints the stored token, or
 * nothing, for the app tests to check the keyring from outside the app.
 */

#include "config.h"

#include "usdtpay-secrets.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
  char      *token;
  GError    *error;
} Wait;

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = usdtpay_secrets_store_session_finish (result, &w->error);
  g_main_loop_quit (w->loop);
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *w = user_data;

  w->token = usdtpay_secrets_lookup_session_finish (result, &w->error);
  g_main_loop_quit (w->loop);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = usdtpay_secrets_clear_session_finish (result, &w->error);
  g_main_loop_quit (w->loop);
}

static void
wait_reset (Wait *w)
{
  if (w->loop == NULL)
    w->loop = g_main_loop_new (NULL, FALSE);
  w->ok = FALSE;
  g_clear_pointer (&w->token, g_free);
  g_clear_error (&w->error);
}

static void
wait_clear (Wait *w)
{
  g_clear_pointer (&w->loop, g_main_loop_unref);
  g_clear_pointer (&w->token, g_free);
  g_clear_error (&w->error);
}

static char *
lookup (Wait       *w,
        const char *platform,
        const char *username)
{
  wait_reset (w);
  usdtpay_secrets_lookup_session_async (platform, username, NULL, looked_up_cb, w);
  g_main_loop_run (w->loop);
  g_assert_no_error (w->error);

  return g_steal_pointer (&w->token);
}

static void
test_store_lookup_clear (void)
{
  Wait w = { 0, };
  const char *url = "http://127.0.0.1:8080";
  g_autofree char *token = NULL;
  g_autofree char *other = NULL;
  g_autofree char *gone = NULL;

  /* Nothing stored yet. */
  token = lookup (&w, url, "alice");
  g_assert_null (token);

  wait_reset (&w);
  usdtpay_secrets_store_session_async (url, "alice", "us_alice_first", NULL, stored_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);

  /* Storing again for the same platform and user replaces the token. */
  wait_reset (&w);
  usdtpay_secrets_store_session_async (url, "alice", "us_alice_second", NULL, stored_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_no_error (w.error);

  wait_reset (&w);
  usdtpay_secrets_store_session_async ("https://pay.example.com", "alice", "us_elsewhere", NULL, stored_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_no_error (w.error);

  token = lookup (&w, url, "alice");
  g_assert_cmpstr (token, ==, "us_alice_second");

  /* Keyed by both attributes: another user or platform is another item. */
  other = lookup (&w, url, "bob");
  g_assert_null (other);
  g_clear_pointer (&other, g_free);
  other = lookup (&w, "https://pay.example.com", "alice");
  g_assert_cmpstr (other, ==, "us_elsewhere");

  wait_reset (&w);
  usdtpay_secrets_clear_session_async (url, "alice", NULL, cleared_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);

  gone = lookup (&w, url, "alice");
  g_assert_null (gone);

  /* Clearing what is not there is not an error. */
  wait_reset (&w);
  usdtpay_secrets_clear_session_async (url, "alice", NULL, cleared_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);

  /* The other platform's item is untouched. */
  g_clear_pointer (&other, g_free);
  other = lookup (&w, "https://pay.example.com", "alice");
  g_assert_cmpstr (other, ==, "us_elsewhere");

  wait_reset (&w);
  usdtpay_secrets_clear_session_async ("https://pay.example.com", "alice", NULL, cleared_cb, &w);
  g_main_loop_run (w.loop);
  g_assert_no_error (w.error);

  wait_clear (&w);
}

static void
test_schema (void)
{
  const SecretSchema *schema = usdtpay_session_schema ();

  g_assert_cmpstr (schema->name, ==, "com.example.UsdtPay.Session");
  g_assert_cmpstr (schema->attributes[0].name, ==, "platform");
  g_assert_cmpstr (schema->attributes[1].name, ==, "username");
  g_assert_null (schema->attributes[2].name);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_strcmp0 (argv[1], "--lookup") == 0)
    {
      Wait w = { 0, };
      g_autofree char *token = lookup (&w, argv[2], argv[3]);

      if (token != NULL)
        g_print ("%s\n", token);
      wait_clear (&w);
      return 0;
    }

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/secrets/schema", test_schema);
  g_test_add_func ("/app/secrets/store-lookup-clear", test_store_lookup_clear);

  return g_test_run ();
}
