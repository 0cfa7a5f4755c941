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
  const char *localedir = g_getenv ("USDTPAY_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* USDTPAY_LOCALEDIR lets the build tree's translations be tried uninstalled. */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = usdtpay_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
