/* test-store-report.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The store reports a durable batch in the submitter's context, from a
 * source that wakes it: never in the writer thread. A submitter that
 * blocks in g_main_loop_run() only after its batch is durable (the admin
 * command does exactly that) must still be woken for the report. */

#include "config.h"

#include <glib/gstdio.h>

#include "usdtpay-sqlite-store.h"

typedef struct
{
  GMainLoop *loop;
  GThread   *thread;
  guint      n_done;
  gboolean   failed;
} Wait;

static void
done_cb (const GError *error,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->thread = g_thread_self ();
  wait->failed = error != NULL;
  wait->n_done++;
  g_main_loop_quit (wait->loop);
}

static gboolean
give_up_cb (gpointer user_data)
{
  Wait *wait = user_data;

  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      g_unlink (file);
    }
  g_rmdir (path);
}

static void
test_report_in_the_submitters_context (void)
{
  g_autofree char *dir = g_dir_make_tmp ("usdtpay-store-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "platform.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpaySqliteStore) store = usdtpay_sqlite_store_open (path, TRUE, &error);
  UsdtpayStoreSnapshot *snapshot;

  g_assert_no_error (error);
  snapshot = usdtpay_store_load (USDTPAY_STORE (store), g_get_real_time (), &error);
  g_assert_no_error (error);
  usdtpay_store_snapshot_free (snapshot);

  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
      Wait wait = { loop, NULL, 0, FALSE };
      UsdtpayBatch *batch = usdtpay_batch_new ();
      g_autofree char *value = g_strdup_printf ("%u", round);
      guint give_up;

      usdtpay_batch_put_meta (batch, "test-report", value);
      usdtpay_store_submit (USDTPAY_STORE (store), batch, done_cb, &wait);

      /* The batch is durable long before the loop runs. */
      g_usleep (50 * 1000);
      g_assert_cmpuint (wait.n_done, ==, 0);

      give_up = g_timeout_add_seconds (10, give_up_cb, &wait);
      g_main_loop_run (loop);
      g_source_remove (give_up);

      g_assert_cmpuint (wait.n_done, ==, 1);
      g_assert_false (wait.failed);
      g_assert_true (wait.thread == g_thread_self ());
    }

  usdtpay_store_close (USDTPAY_STORE (store));
  g_clear_object (&store);
  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/platform/store/report-in-the-submitters-context", test_report_in_the_submitters_context);

  return g_test_run ();
}
