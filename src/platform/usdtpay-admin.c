/* usdtpay-admin.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-admin"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "usdtpay-admin.h"

#define MAX_LINE 65536

static gboolean
need_args (const char * const *args,
           guint               n,
           const char         *usage,
           GError            **error)
{
  if (g_strv_length ((char **)args) != n)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "usage: admin %s", usage);
      return FALSE;
    }

  return TRUE;
}

static char *
join_lines (GPtrArray *lines)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s%s", i ? "\n" : "", (const char *)g_ptr_array_index (lines, i));

  return g_string_free (text, FALSE);
}

gboolean
usdtpay_admin_apply (UsdtpayEngine       *engine,
                     const char * const  *args,
                     const char          *password_hash,
                     const char          *scopes_text,
                     UsdtpayChange       *change,
                     char               **output,
                     GError             **error)
{
  guint scopes = scopes_text ? usdtpay_scopes_parse (scopes_text) : USDTPAY_SCOPE_ALL;
  const char *command = args[0];

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), FALSE);
  g_return_val_if_fail (command != NULL, FALSE);

  *output = NULL;

  if (scopes == 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "--scopes takes orders:write, orders:read, webhooks and balance:withdraw");
      return FALSE;
    }

  if (g_str_equal (command, "add-shop"))
    return need_args (args, 2, "add-shop NAME", error) &&
           usdtpay_engine_add_principal (engine, args[1], USDTPAY_ROLE_SHOP, NULL, change, error) &&
           (*output = usdtpay_engine_add_api_key (engine, args[1], USDTPAY_SCOPE_ALL, change, error));

  if (g_str_equal (command, "add-merchant") || g_str_equal (command, "add-support"))
    {
      gboolean merchant = g_str_equal (command, "add-merchant");

      if (!need_args (args, 2, merchant ? "add-merchant USER --password-file F"
                                        : "add-support USER --password-file F", error))
        return FALSE;
      if (password_hash == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "--password-file F is required");
          return FALSE;
        }
      return usdtpay_engine_add_principal (engine, args[1],
                                           merchant ? USDTPAY_ROLE_MERCHANT : USDTPAY_ROLE_SUPPORT,
                                           password_hash, change, error);
    }

  if (g_str_equal (command, "credit"))
    {
      gint64 amount = 0;

      return need_args (args, 3, "credit USER AMOUNT", error) &&
             usdtpay_usdt_parse (args[2], &amount, error) &&
             usdtpay_engine_credit (engine, args[1], amount, change, error);
    }

  if (g_str_equal (command, "add-key"))
    return need_args (args, 2, "add-key SHOP [--scopes S]", error) &&
           (*output = usdtpay_engine_add_api_key (engine, args[1], scopes, change, error));

  if (g_str_equal (command, "list-keys"))
    {
      g_autoptr(GPtrArray) lines = NULL;

      if (!need_args (args, 2, "list-keys SHOP", error))
        return FALSE;
      lines = usdtpay_engine_list_api_keys (engine, args[1]);
      *output = join_lines (lines);
      return TRUE;
    }

  if (g_str_equal (command, "revoke-key"))
    return need_args (args, 3, "revoke-key SHOP PREFIX", error) &&
           usdtpay_engine_revoke_api_key (engine, args[1], args[2], change, error);

  if (g_str_equal (command, "rotate-key"))
    return need_args (args, 3, "rotate-key SHOP PREFIX", error) &&
           usdtpay_engine_revoke_api_key (engine, args[1], args[2], change, error) &&
           (*output = usdtpay_engine_add_api_key (engine, args[1], scopes, change, error));

  if (g_str_equal (command, "rotate-signing-key"))
    {
      UsdtpayReceipts *receipts = usdtpay_engine_get_receipts (engine);

      if (!need_args (args, 1, "rotate-signing-key", error))
        return FALSE;
      if (receipts == NULL)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "the platform has no signing key open");
          return FALSE;
        }
      return (*output = usdtpay_receipts_rotate (receipts, usdtpay_engine_now (engine), error)) != NULL;
    }

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "unknown admin command %s", command);

  return FALSE;
}

char *
usdtpay_admin_socket_path (const char *db)
{
  return g_strconcat (db, ".admin", NULL);
}

/* The wire: one JSON line each way.
 *   → {"args":["add-shop","s1"],"password_hash":"…","scopes":"…"}
 *   ← {"ok":true,"output":"…"} or {"ok":false,"error":"…"} */

static char *
reply_line (gboolean      ok,
            const char   *output,
            const GError *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, ok);
  if (output != NULL)
    {
      json_builder_set_member_name (builder, "output");
      json_builder_add_string_value (builder, output);
    }
  if (error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, error->message);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  text = usdtpay_json_to_string (node, NULL);

  return g_strconcat (text, "\n", NULL);
}

struct _UsdtpayAdminService
{
  GObject         parent_instance;

  UsdtpayEngine  *engine;
  GSocketService *service;
  char           *path;
};

G_DEFINE_FINAL_TYPE (UsdtpayAdminService, usdtpay_admin_service, G_TYPE_OBJECT)

typedef struct
{
  GSocketConnection *connection;
  GDataInputStream  *input;
  char              *output;
} Session;

static void
session_free (Session *session)
{
  g_clear_object (&session->input);
  g_clear_object (&session->connection);
  if (session->output != NULL)
    sodium_memzero (session->output, strlen (session->output));
  g_free (session->output);
  g_free (session);
}

static void
session_reply (Session      *session,
               gboolean      ok,
               const GError *error)
{
  g_autofree char *line = reply_line (ok, session->output, error);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (session->connection));

  /* A few hundred bytes to a local socket: written at once. */
  g_output_stream_write_all (out, line, strlen (line), NULL, NULL, NULL);
  sodium_memzero (line, strlen (line));
  g_io_stream_close (G_IO_STREAM (session->connection), NULL, NULL);
  session_free (session);
}

static void
session_committed_cb (const GError *error,
                      gpointer      user_data)
{
  Session *session = user_data;

  if (error != NULL)
    g_clear_pointer (&session->output, g_free);
  session_reply (session, error == NULL, error);
}

static void
line_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  UsdtpayAdminService *self = g_object_get_data (object, "usdtpay-admin-service");
  Session *session = user_data;
  g_autoptr(UsdtpayChange) change = usdtpay_change_new ();
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *line = NULL;
  const char *password_hash = NULL, *scopes = NULL;
  gboolean dev = FALSE;
  JsonNode *args_node;
  gsize length = 0;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, &length, &error);
  if (line == NULL)
    {
      if (error == NULL)
        g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "empty request");
      session_reply (session, FALSE, error);
      return;
    }

  if (!(request = usdtpay_json_parse_object (line, length, &error)) ||
      !usdtpay_json_get_string (request, "password_hash", TRUE, &password_hash, &error) ||
      !usdtpay_json_get_string (request, "scopes", TRUE, &scopes, &error) ||
      !usdtpay_json_get_boolean (request, "dev", TRUE, &dev, &error))
    {
      session_reply (session, FALSE, error);
      return;
    }
  if (dev && !usdtpay_engine_is_dev (self->engine))
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST,
                   "the database is not a dev database; --dev is refused on it");
      session_reply (session, FALSE, error);
      return;
    }

  args_node = json_object_get_member (request, "args");
  if (args_node == NULL || !JSON_NODE_HOLDS_ARRAY (args_node) ||
      json_array_get_length (json_node_get_array (args_node)) == 0)
    {
      g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "args must be a list of strings");
      session_reply (session, FALSE, error);
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (args_node)); i++)
    {
      JsonNode *arg = json_array_get_element (json_node_get_array (args_node), i);

      if (!JSON_NODE_HOLDS_VALUE (arg) || json_node_get_value_type (arg) != G_TYPE_STRING)
        {
          g_set_error (&error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "args must be strings");
          session_reply (session, FALSE, error);
          return;
        }
      g_ptr_array_add (args, (gpointer)json_node_get_string (arg));
    }
  g_ptr_array_add (args, NULL);

  if (!usdtpay_admin_apply (self->engine, (const char * const *)args->pdata, password_hash, scopes,
                            change, &session->output, &error))
    {
      session_reply (session, FALSE, error);
      return;
    }

  usdtpay_engine_commit (self->engine, g_steal_pointer (&change), session_committed_cb, session);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  UsdtpayAdminService *self = user_data;
  Session *session = g_new0 (Session, 1);

  session->connection = g_object_ref (connection);
  session->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_object_set_data (G_OBJECT (session->input), "usdtpay-admin-service", self);
  g_data_input_stream_read_line_async (session->input, G_PRIORITY_DEFAULT, NULL, line_read_cb, session);

  return TRUE;
}

UsdtpayAdminService *
usdtpay_admin_service_new (UsdtpayEngine  *engine,
                           const char     *db,
                           GError        **error)
{
  g_autoptr(UsdtpayAdminService) self = g_object_new (USDTPAY_TYPE_ADMIN_SERVICE, NULL);
  g_autoptr(GSocketAddress) address = NULL;
  mode_t old_mask;
  gboolean listening;

  self->engine = g_object_ref (engine);
  self->path = usdtpay_admin_socket_path (db);
  if (strlen (self->path) >= 108)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   "the admin socket path %s is too long for a Unix socket", self->path);
      return NULL;
    }

  /* The caller holds the database lock, so a socket left here is stale. */
  g_unlink (self->path);
  address = g_unix_socket_address_new (self->path);
  self->service = g_socket_service_new ();
  old_mask = umask (0077);
  listening = g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                             NULL, error);
  umask (old_mask);
  if (!listening)
    return NULL;

  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);

  return g_steal_pointer (&self);
}

static void
usdtpay_admin_service_finalize (GObject *object)
{
  UsdtpayAdminService *self = (UsdtpayAdminService *)object;

  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_unlink (self->path);
    }
  g_clear_object (&self->service);
  g_clear_object (&self->engine);
  g_free (self->path);

  G_OBJECT_CLASS (usdtpay_admin_service_parent_class)->finalize (object);
}

static void
usdtpay_admin_service_class_init (UsdtpayAdminServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_admin_service_finalize;
}

static void
usdtpay_admin_service_init (UsdtpayAdminService *self)
{
}

gboolean
usdtpay_admin_remote (const char          *db,
                      gboolean             dev,
                      const char * const  *args,
                      const char          *password_hash,
                      const char          *scopes,
                      char               **output,
                      GError             **error)
{
  g_autofree char *path = usdtpay_admin_socket_path (db);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *request = NULL;
  g_autofree char *line = NULL;
  const char *text = NULL;
  gboolean ok = FALSE;
  gsize length = 0;

  *output = NULL;

  /* A daemon that holds the lock may still be loading: give it a moment
   * to open its socket. */
  for (guint attempt = 0; connection == NULL; attempt++)
    {
      g_autoptr(GError) local_error = NULL;

      connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &local_error);
      if (connection != NULL)
        break;
      if (attempt >= 300 ||
          !(g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
            g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "the platform serving %s does not answer on %s: ", db, path);
          return FALSE;
        }
      g_usleep (100 * 1000);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "args");
  json_builder_begin_array (builder);
  for (guint i = 0; args[i] != NULL; i++)
    json_builder_add_string_value (builder, args[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "dev");
  json_builder_add_boolean_value (builder, dev);
  if (password_hash != NULL)
    {
      json_builder_set_member_name (builder, "password_hash");
      json_builder_add_string_value (builder, password_hash);
    }
  if (scopes != NULL)
    {
      json_builder_set_member_name (builder, "scopes");
      json_builder_add_string_value (builder, scopes);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  request = usdtpay_json_to_string (node, NULL);

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                  strlen (request), NULL, NULL, error) ||
      !g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), "\n", 1,
                                  NULL, NULL, error))
    return FALSE;

  input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  line = g_data_input_stream_read_line_utf8 (input, &length, NULL, error);
  if (line == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL, "the platform closed the admin socket");
      return FALSE;
    }
  if (!(reply = usdtpay_json_parse_object (line, length, error)) ||
      !usdtpay_json_get_boolean (reply, "ok", FALSE, &ok, error))
    return FALSE;
  if (!ok)
    {
      usdtpay_json_get_string (reply, "error", TRUE, &text, NULL);
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST, "%s", text ? text : "refused");
      return FALSE;
    }
  if (usdtpay_json_get_string (reply, "output", TRUE, &text, NULL) && text != NULL)
    *output = g_strdup (text);

  return TRUE;
}
