/* usdtpay-client.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-client"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-client.h"

struct _UsdtpayClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;   /* without a trailing slash */
  char        *token;
};

G_DEFINE_FINAL_TYPE (UsdtpayClient, usdtpay_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What a finished request hands to its caller's callback. */
typedef enum
{
  RESULT_NODE,
  RESULT_LOGIN,
  RESULT_ORDER,
  RESULT_MERCHANT,
} ResultKind;

typedef struct
{
  /* list_orders: the pages read so far */
  char      *state;
  guint      max_items;
  GPtrArray *orders;
  gint64     seq;
  gboolean   have_seq;
} ListData;

static void
list_data_free (gpointer data)
{
  ListData *ld = data;

  g_free (ld->state);
  g_clear_pointer (&ld->orders, g_ptr_array_unref);
  g_free (ld);
}

static void
usdtpay_client_finalize (GObject *object)
{
  UsdtpayClient *self = (UsdtpayClient *)object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->token, g_free);

  G_OBJECT_CLASS (usdtpay_client_parent_class)->finalize (object);
}

static void
usdtpay_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  UsdtpayClient *self = USDTPAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_client_class_init (UsdtpayClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = usdtpay_client_finalize;
  object_class->get_property = usdtpay_client_get_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
usdtpay_client_init (UsdtpayClient *self)
{
  self->session = soup_session_new_with_options ("user-agent", "UsdtPay/" PACKAGE_VERSION,
                                                 "timeout", 30,
                                                 NULL);
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
usdtpay_client_check_url (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;
  const char *path;

  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a URL"), url);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  path = g_uri_get_path (uri);

  if (host == NULL || *host == '\0' ||
      g_uri_get_userinfo (uri) != NULL ||
      g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL ||
      (path[0] != '\0' && g_strcmp0 (path, "/") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("A platform URL is a scheme and a host, like https://pay.example.com"));
      return FALSE;
    }

  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0 && host_is_loopback (host))
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("Plain http:// is refused except to this computer; use https://"));
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("Unsupported URL scheme “%s”"), scheme);

  return FALSE;
}

UsdtpayClient *
usdtpay_client_new (const char  *base_url,
                    GError     **error)
{
  UsdtpayClient *self;
  gsize len;

  g_return_val_if_fail (base_url != NULL, NULL);

  if (!usdtpay_client_check_url (base_url, error))
    return NULL;

  self = g_object_new (USDTPAY_TYPE_CLIENT, NULL);
  self->base_url = g_strdup (base_url);
  len = strlen (self->base_url);
  while (len > 0 && self->base_url[len - 1] == '/')
    self->base_url[--len] = '\0';

  return self;
}

const char *
usdtpay_client_get_base_url (UsdtpayClient *self)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);

  return self->base_url;
}

const char *
usdtpay_client_get_token (UsdtpayClient *self)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);

  return self->token;
}

void
usdtpay_client_set_token (UsdtpayClient *self,
                          const char    *token)
{
  g_return_if_fail (USDTPAY_IS_CLIENT (self));

  if (g_strcmp0 (self->token, token) == 0)
    return;

  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
}

SoupSession *
usdtpay_client_get_session (UsdtpayClient *self)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);

  return self->session;
}

SoupMessage *
usdtpay_client_new_message (UsdtpayClient *self,
                            const char    *method,
                            const char    *path_and_query)
{
  g_autofree char *url = NULL;
  SoupMessage *msg;

  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path_and_query != NULL && path_and_query[0] == '/', NULL);

  url = g_strconcat (self->base_url, path_and_query, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    return NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept", "application/json");
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", auth);
    }

  return msg;
}

gboolean
usdtpay_client_error_is_transport (const GError *error)
{
  if (error == NULL)
    return FALSE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;

  return error->domain == G_IO_ERROR ||
         error->domain == G_RESOLVER_ERROR ||
         error->domain == G_TLS_ERROR ||
         g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE) ||
         g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL);
}

static UsdtpayErrorCode
code_for_status (guint status)
{
  switch (status)
    {
    case 400: return USDTPAY_ERROR_INVALID_REQUEST;
    case 401: return USDTPAY_ERROR_UNAUTHENTICATED;
    case 403: return USDTPAY_ERROR_FORBIDDEN;
    case 404: return USDTPAY_ERROR_NOT_FOUND;
    case 405: return USDTPAY_ERROR_METHOD_NOT_ALLOWED;
    case 409: return USDTPAY_ERROR_CONFLICT;
    case 413: return USDTPAY_ERROR_TOO_LARGE;
    case 415: return USDTPAY_ERROR_UNSUPPORTED_MEDIA_TYPE;
    case 429: return USDTPAY_ERROR_RATE_LIMITED;
    case 500: return USDTPAY_ERROR_INTERNAL;
    default:
      return status >= 500 ? USDTPAY_ERROR_UNAVAILABLE : USDTPAY_ERROR_PROTOCOL;
    }
}

/* Turns an error answer into a GError: the platform's
 * {"error":{"code","message"}} when it sent one, the status otherwise. */
static GError *
error_from_answer (guint   status,
                   GBytes *body)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonObject *inner;
  const char *code_str = NULL;
  const char *message = NULL;
  UsdtpayErrorCode code;

  if (body != NULL && g_bytes_get_size (body) > 0)
    object = usdtpay_json_parse_object (g_bytes_get_data (body, NULL),
                                        g_bytes_get_size (body),
                                        &parse_error);

  if (object != NULL &&
      json_object_has_member (object, "error") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error")))
    {
      inner = json_object_get_object_member (object, "error");
      usdtpay_json_get_string (inner, "code", TRUE, &code_str, NULL);
      usdtpay_json_get_string (inner, "message", TRUE, &message, NULL);
    }

  if (code_str == NULL || !usdtpay_error_code_from_string (code_str, &code))
    code = code_for_status (status);

  if (message != NULL && *message != '\0')
    return g_error_new_literal (USDTPAY_ERROR, code, message);

  return g_error_new (USDTPAY_ERROR, code, _("The platform answered %u %s"),
                      status, soup_status_get_phrase (status));
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  JsonNode *node;
  guint status;

  body = soup_session_send_and_read_finish (session, result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    {
      g_task_return_error (task, error_from_answer (status, body));
      return;
    }

  if (g_bytes_get_size (body) == 0)
    {
      g_task_return_pointer (task, json_node_new (JSON_NODE_NULL),
                             (GDestroyNotify)json_node_unref);
      return;
    }

  node = usdtpay_json_parse_strict (g_bytes_get_data (body, NULL),
                                    g_bytes_get_size (body),
                                    &error);
  if (node == NULL)
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               _("The platform sent an invalid answer: %s"),
                               error->message);
      return;
    }

  g_task_return_pointer (task, node, (GDestroyNotify)json_node_unref);
}

/* Sends a request; the task returns the answer's JsonNode. */
static void
send_json (UsdtpayClient       *self,
           const char          *method,
           const char          *path,
           JsonNode            *body,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  g_assert (USDTPAY_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, send_json);

  msg = usdtpay_client_new_message (self, method, path);
  if (msg == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Invalid request path %s", path);
      return;
    }

  if (body != NULL)
    {
      gsize len = 0;
      char *text = usdtpay_json_to_string (body, &len);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    cancellable, send_cb, g_steal_pointer (&task));
}

static JsonNode *
send_json_finish (UsdtpayClient  *self,
                  GAsyncResult   *result,
                  GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Chains a send_json to an outer task that turns its JsonNode into a
 * result of @kind. */
static void
relay_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  UsdtpayClient *self = (UsdtpayClient *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  ResultKind kind = GPOINTER_TO_INT (g_task_get_task_data (task));

  node = send_json_finish (self, result, &error);
  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (kind == RESULT_NODE)
    {
      g_task_return_pointer (task, g_steal_pointer (&node), (GDestroyNotify)json_node_unref);
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               "The platform's answer is not an object");
      return;
    }

  if (kind == RESULT_ORDER)
    {
      UsdtpayOrder *order = usdtpay_order_from_json (json_node_get_object (node), &error);

      if (order == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, order, (GDestroyNotify)usdtpay_order_unref);
      return;
    }

  g_task_return_pointer (task, json_object_ref (json_node_get_object (node)),
                         (GDestroyNotify)json_object_unref);
}

static GTask *
relay_task_new (UsdtpayClient       *self,
                ResultKind           kind,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, GINT_TO_POINTER (kind), NULL);

  return task;
}

void
usdtpay_client_login_async (UsdtpayClient       *self,
                            const char          *username,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  task = relay_task_new (self, RESULT_LOGIN, usdtpay_client_login_async,
                         cancellable, callback, user_data);
  send_json (self, "POST", "/v1/sessions", body, cancellable, relay_cb, task);
}

char *
usdtpay_client_login_finish (UsdtpayClient  *self,
                             GAsyncResult   *result,
                             char          **role,
                             GError        **error)
{
  g_autoptr(JsonObject) object = NULL;
  const char *token = NULL;
  const char *role_str = NULL;

  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  object = g_task_propagate_pointer (G_TASK (result), error);
  if (object == NULL)
    return NULL;

  if (!usdtpay_json_get_string (object, "token", FALSE, &token, error) ||
      !usdtpay_json_get_string (object, "role", TRUE, &role_str, error))
    return NULL;

  if (role != NULL)
    *role = g_strdup (role_str);

  return g_strdup (token);
}

void
usdtpay_client_logout_async (UsdtpayClient       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));

  task = relay_task_new (self, RESULT_NODE, usdtpay_client_logout_async,
                         cancellable, callback, user_data);
  send_json (self, "DELETE", "/v1/sessions/current", NULL, cancellable, relay_cb, task);
}

gboolean
usdtpay_client_logout_finish (UsdtpayClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  node = g_task_propagate_pointer (G_TASK (result), error);

  return node != NULL;
}

void
usdtpay_client_merchant_async (UsdtpayClient       *self,
                               JsonObject          *changes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));

  if (changes != NULL)
    {
      body = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (body, changes);
    }

  task = relay_task_new (self, RESULT_MERCHANT, usdtpay_client_merchant_async,
                         cancellable, callback, user_data);
  send_json (self, changes != NULL ? "PATCH" : "GET", "/v1/merchants/me",
             body, cancellable, relay_cb, task);
}

JsonObject *
usdtpay_client_merchant_finish (UsdtpayClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void list_page (GTask *task, const char *after);

static void
list_page_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  UsdtpayClient *self = (UsdtpayClient *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  ListData *ld = g_task_get_task_data (task);
  JsonObject *page;
  JsonArray *items;
  const char *next = NULL;
  gint64 seq = 0;

  node = send_json_finish (self, result, &error);
  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (node) ||
      !json_object_has_member (page = json_node_get_object (node), "items") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (page, "items")))
    {
      g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                               "The platform's order list has no items");
      return;
    }

  if (!usdtpay_json_get_string (page, "next", TRUE, &next, &error) ||
      !usdtpay_json_get_int (page, "seq", FALSE, &seq, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!ld->have_seq)
    {
      ld->seq = seq;
      ld->have_seq = TRUE;
    }

  items = json_object_get_array_member (page, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);
      UsdtpayOrder *order;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        {
          g_task_return_new_error (task, USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL,
                                   "An order in the list is not an object");
          return;
        }

      order = usdtpay_order_from_json (json_node_get_object (item), &error);
      if (order == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_ptr_array_add (ld->orders, order);
    }

  if (next != NULL && *next != '\0' && json_array_get_length (items) > 0 &&
      (ld->max_items == 0 || ld->orders->len < ld->max_items))
    {
      list_page (g_steal_pointer (&task), next);
      return;
    }

  g_task_return_pointer (task, g_ptr_array_ref (ld->orders), (GDestroyNotify)g_ptr_array_unref);
}

static void
list_page (GTask      *task,
           const char *after)
{
  UsdtpayClient *self = g_task_get_source_object (task);
  ListData *ld = g_task_get_task_data (task);
  g_autoptr(GString) path = g_string_new ("/v1/orders?limit=100");

  if (ld->state != NULL)
    {
      g_string_append (path, "&state=");
      g_string_append_uri_escaped (path, ld->state, NULL, FALSE);
    }
  if (after != NULL)
    {
      g_string_append (path, "&after=");
      g_string_append_uri_escaped (path, after, NULL, FALSE);
    }

  send_json (self, "GET", path->str, NULL, g_task_get_cancellable (task),
             list_page_cb, task);
}

void
usdtpay_client_list_orders_async (UsdtpayClient       *self,
                                  const char          *state,
                                  guint                max_items,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  ListData *ld;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_client_list_orders_async);
  ld = g_new0 (ListData, 1);
  ld->state = g_strdup (state);
  ld->max_items = max_items;
  ld->orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  g_task_set_task_data (task, ld, list_data_free);

  list_page (task, NULL);
}

GPtrArray *
usdtpay_client_list_orders_finish (UsdtpayClient  *self,
                                   GAsyncResult   *result,
                                   gint64         *seq,
                                   GError        **error)
{
  GPtrArray *orders;

  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  orders = g_task_propagate_pointer (G_TASK (result), error);
  if (orders != NULL && seq != NULL)
    *seq = ((ListData *)g_task_get_task_data (G_TASK (result)))->seq;

  return orders;
}

static gboolean
order_id_is_valid (const char *id)
{
  if (id == NULL || !g_str_has_prefix (id, "ord_") || strlen (id) > 64)
    return FALSE;

  for (const char *p = id + 4; *p; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;

  return TRUE;
}

void
usdtpay_client_get_order_async (UsdtpayClient       *self,
                                const char          *id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));
  g_return_if_fail (id != NULL);

  task = relay_task_new (self, RESULT_ORDER, usdtpay_client_get_order_async,
                         cancellable, callback, user_data);
  if (!order_id_is_valid (id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Invalid order id");
      g_object_unref (task);
      return;
    }

  path = g_strdup_printf ("/v1/orders/%s", id);
  send_json (self, "GET", path, NULL, cancellable, relay_cb, task);
}

UsdtpayOrder *
usdtpay_client_get_order_finish (UsdtpayClient  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_client_order_action_async (UsdtpayClient       *self,
                                   const char          *id,
                                   const char          *action,
                                   const char          *reason,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (g_strcmp0 (action, "accept") == 0 ||
                    g_strcmp0 (action, "confirm") == 0 ||
                    g_strcmp0 (action, "dispute") == 0);

  task = relay_task_new (self, RESULT_ORDER, usdtpay_client_order_action_async,
                         cancellable, callback, user_data);
  if (!order_id_is_valid (id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Invalid order id");
      g_object_unref (task);
      return;
    }

  json_builder_begin_object (builder);
  if (reason != NULL && *reason != '\0' && g_strcmp0 (action, "dispute") == 0)
    {
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = g_strdup_printf ("/v1/orders/%s/%s", id, action);
  send_json (self, "POST", path, body, cancellable, relay_cb, task);
}

UsdtpayOrder *
usdtpay_client_order_action_finish (UsdtpayClient  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_client_get_object_async (UsdtpayClient       *self,
                                 const char          *path_and_query,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));
  g_return_if_fail (path_and_query != NULL);

  task = relay_task_new (self, RESULT_MERCHANT, usdtpay_client_get_object_async,
                         cancellable, callback, user_data);
  send_json (self, "GET", path_and_query, NULL, cancellable, relay_cb, task);
}

JsonObject *
usdtpay_client_get_object_finish (UsdtpayClient  *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
usdtpay_client_post_object_async (UsdtpayClient       *self,
                                  const char          *path_and_query,
                                  JsonNode            *body,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonNode) empty = NULL;
  GTask *task;

  g_return_if_fail (USDTPAY_IS_CLIENT (self));
  g_return_if_fail (path_and_query != NULL);

  if (body == NULL)
    {
      body = empty = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (empty, json_object_new ());
    }

  task = relay_task_new (self, RESULT_MERCHANT, usdtpay_client_post_object_async,
                         cancellable, callback, user_data);
  send_json (self, "POST", path_and_query, body, cancellable, relay_cb, task);
}

JsonObject *
usdtpay_client_post_object_finish (UsdtpayClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (USDTPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
