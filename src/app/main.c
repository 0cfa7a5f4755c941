/* main.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "usdtpay-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(UsdtpayApplication) app = NULL;
  g_autofree char *exe = NULL;
  g_autofree char *build_localedir = NULL;
  const char *localedir = g_getenv ("USDTPAY_LOCALEDIR");

  setlocale (LC_ALL, "");

  /* Run from the build tree, the catalogues are in locale/ beside the
   * program; USDTPAY_LOCALEDIR names another place. */
  if (localedir == NULL && (exe = g_file_read_link ("/proc/self/exe", NULL)) != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (exe);

      build_localedir = g_build_filename (dir, "locale", NULL);
      if (g_file_test (build_localedir, G_FILE_TEST_IS_DIR))
        localedir = build_localedir;
    }

  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = usdtpay_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
