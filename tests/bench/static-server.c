/* static-server.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The lifecycle benchmark's ceiling: a libsoup server on the GLib main loop
 * that answers every request with one fixed JSON body the size of an order,
 * so the same load generator measures what the HTTP stack alone does on this
 * machine. Prints `listening on http://127.0.0.1:PORT` when ready.
 */

#define G_LOG_DOMAIN "static-server"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>

/* An order answer as the platform writes it, give or take a few bytes. */
static const char order_body[] =
  "{\"id\":\"ord_0123456789abcdefghjk\",\"version\":2,\"state\":\"matched\","
  "\"amount\":\"123.450000\",\"fee\":\"0.370350\",\"net\":\"123.079650\","
  "\"fiat_amount\":\"888.84\",\"fiat_currency\":\"CNY\",\"method\":\"bank\","
  "\"external_id\":\"sim-0123456789abcdef-1234567\",\"customer_ref\":\"customer-42\","
  "\"payer_name\":null,\"shop\":\"demo-shop\",\"merchant\":\"alice\","
  "\"created_at\":\"2026-11-26T02:18:47.123456Z\",\"matched_at\":\"2026-11-26T02:18:47.123456Z\","
  "\"paid_at\":null,\"completed_at\":null,\"closed_at\":null,"
  "\"payment_deadline\":\"2026-11-26T02:33:47.123456Z\",\"confirm_deadline\":null,"
  "\"offer_deadline\":null,"
  "\"pay_url\":\"http://127.0.0.1:8080/pay/ord_0123456789abcdefghjk?t=Y2FmZWJhYmVjYWZlYmFiZWNhZmViYWJlY2FmZWJhYmU\"}";

static GBytes *body;

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *uris;
  guint port = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 0;

  body = g_bytes_new_static (order_body, sizeof order_body - 1);
  server = soup_server_new ("server-header", "static-server", NULL);
  soup_server_add_handler (server, NULL, handler_cb, NULL, NULL);
  socket_address = g_inet_socket_address_new (address, port);
  if (!soup_server_listen (server, socket_address, 0, &error))
    {
      g_printerr ("static-server: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  if (uris != NULL)
    {
      GUri *uri = uris->data;

      printf ("listening on http://127.0.0.1:%d\n", g_uri_get_port (uri));
      fflush (stdout);
    }
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  soup_server_disconnect (server);
  g_bytes_unref (body);
  return 0;
}
