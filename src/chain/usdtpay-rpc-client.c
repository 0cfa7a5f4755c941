/* usdtpay-rpc-client.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-chain"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "usdtpay-chain-error.h"
#include "usdtpay-hex.h"
#include "usdtpay-rpc-client.h"

#define DEFAULT_TIMEOUT_SECONDS 30

/* A JSON-RPC 2.0 client over HTTP POST. Calls run on the thread-default
 * main context of the thread that made the client, as libsoup requires.
 * Each call gets its own id and the answer must echo it.
 */
struct _UsdtpayRpcClient
{
  GObject parent_instance;

  char *url;
  SoupSession *session;
  gint next_id;
};

G_DEFINE_FINAL_TYPE (UsdtpayRpcClient, usdtpay_rpc_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  char *method;
  gint64 id;
  SoupMessage *message;
} CallData;

static void
call_data_free (CallData *data)
{
  g_clear_pointer (&data->method, g_free);
  g_clear_object (&data->message);
  g_free (data);
}

static void
usdtpay_rpc_client_finalize (GObject *object)
{
  UsdtpayRpcClient *self = (UsdtpayRpcClient *)object;

  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (usdtpay_rpc_client_parent_class)->finalize (object);
}

static void
usdtpay_rpc_client_dispose (GObject *object)
{
  UsdtpayRpcClient *self = (UsdtpayRpcClient *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (usdtpay_rpc_client_parent_class)->dispose (object);
}

static void
usdtpay_rpc_client_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  UsdtpayRpcClient *self = USDTPAY_RPC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, usdtpay_rpc_client_get_timeout (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_rpc_client_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  UsdtpayRpcClient *self = USDTPAY_RPC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_assert (self->url == NULL);
      self->url = g_value_dup_string (value);
      break;

    case PROP_TIMEOUT:
      usdtpay_rpc_client_set_timeout (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_rpc_client_class_init (UsdtpayRpcClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_rpc_client_dispose;
  object_class->finalize = usdtpay_rpc_client_finalize;
  object_class->get_property = usdtpay_rpc_client_get_property;
  object_class->set_property = usdtpay_rpc_client_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_TIMEOUT_SECONDS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
usdtpay_rpc_client_init (UsdtpayRpcClient *self)
{
  self->session = soup_session_new_with_options ("timeout", DEFAULT_TIMEOUT_SECONDS,
                                                 "user-agent", "usdtpay/" PACKAGE_VERSION,
                                                 NULL);
  self->next_id = 1;
}

/**
 * usdtpay_rpc_client_new:
 * @url: the node's HTTP(S) JSON-RPC endpoint
 */
UsdtpayRpcClient *
usdtpay_rpc_client_new (const char *url)
{
  g_return_val_if_fail (url != NULL, NULL);

  return g_object_new (USDTPAY_TYPE_RPC_CLIENT, "url", url, NULL);
}

const char *
usdtpay_rpc_client_get_url (UsdtpayRpcClient *self)
{
  g_return_val_if_fail (USDTPAY_IS_RPC_CLIENT (self), NULL);

  return self->url;
}

guint
usdtpay_rpc_client_get_timeout (UsdtpayRpcClient *self)
{
  g_return_val_if_fail (USDTPAY_IS_RPC_CLIENT (self), 0);

  return soup_session_get_timeout (self->session);
}

/**
 * usdtpay_rpc_client_set_timeout:
 * @seconds: how long a call may wait for the node; 0 for no limit
 */
void
usdtpay_rpc_client_set_timeout (UsdtpayRpcClient *self,
                                guint             seconds)
{
  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));

  if (soup_session_get_timeout (self->session) == seconds)
    return;
  soup_session_set_timeout (self->session, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

static gboolean
check_id (JsonObject *answer,
          gint64      id)
{
  JsonNode *node = json_object_get_member (answer, "id");

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64 &&
         json_node_get_int (node) == id;
}

static void
set_rpc_error (GError     **error,
               const char  *method,
               JsonNode    *error_node)
{
  JsonObject *object;
  gint64 code = 0;
  const char *message = "(no message)";
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (error_node))
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                   "%s: malformed JSON-RPC error", method);
      return;
    }
  object = json_node_get_object (error_node);
  member = json_object_get_member (object, "code");
  if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
      json_node_get_value_type (member) == G_TYPE_INT64)
    code = json_node_get_int (member);
  member = json_object_get_member (object, "message");
  if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
      json_node_get_value_type (member) == G_TYPE_STRING)
    message = json_node_get_string (member);

  g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_RPC,
               "%s: JSON-RPC error %" G_GINT64_FORMAT ": %s", method, code, message);
}

static void
usdtpay_rpc_client_call_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *answer;
  JsonNode *member;
  guint status;
  gsize len;
  const char *text;

  body = soup_session_send_and_read_finish (session, result, &error);
  if (body == NULL)
    {
      g_prefix_error (&error, "%s: ", data->method);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (data->message);
  text = g_bytes_get_data (body, &len);
  parser = json_parser_new_immutable ();
  if (len == 0 || !json_parser_load_from_data (parser, text, (gssize)len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)))
    {
      if (!SOUP_STATUS_IS_SUCCESSFUL (status))
        g_task_return_new_error (task, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_HTTP,
                                 "%s: HTTP %u %s", data->method, status,
                                 soup_message_get_reason_phrase (data->message));
      else
        g_task_return_new_error (task, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                                 "%s: the node's answer is not a JSON object", data->method);
      return;
    }

  answer = json_node_get_object (root);
  if ((member = json_object_get_member (answer, "error")) != NULL &&
      !JSON_NODE_HOLDS_NULL (member))
    {
      set_rpc_error (&error, data->method, member);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_new_error (task, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_HTTP,
                               "%s: HTTP %u %s", data->method, status,
                               soup_message_get_reason_phrase (data->message));
      return;
    }
  if (!check_id (answer, data->id))
    {
      g_task_return_new_error (task, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                               "%s: the answer's id does not match the request's (%" G_GINT64_FORMAT ")",
                               data->method, data->id);
      return;
    }
  if ((member = json_object_get_member (answer, "result")) == NULL)
    {
      g_task_return_new_error (task, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                               "%s: the answer has neither result nor error", data->method);
      return;
    }

  g_task_return_pointer (task, json_node_copy (member), (GDestroyNotify)json_node_unref);
}

/**
 * usdtpay_rpc_client_call_async:
 * @method: the JSON-RPC method, such as `eth_chainId`
 * @params: (nullable): a JSON array (or object) of parameters; %NULL for `[]`
 *
 * Sends one request. usdtpay_rpc_client_call_finish() gives the `result`
 * member; an `error` answer becomes %USDTPAY_CHAIN_ERROR_RPC.
 */
void
usdtpay_rpc_client_call_async (UsdtpayRpcClient    *self,
                               const char          *method,
                               JsonNode            *params,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(GBytes) body = NULL;
  CallData *data;
  char *text;
  gsize len;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (params == NULL || JSON_NODE_HOLDS_ARRAY (params) || JSON_NODE_HOLDS_OBJECT (params));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_rpc_client_call_async);

  data = g_new0 (CallData, 1);
  data->method = g_strdup (method);
  data->id = g_atomic_int_add (&self->next_id, 1);
  g_task_set_task_data (task, data, (GDestroyNotify)call_data_free);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "jsonrpc");
  json_builder_add_string_value (builder, "2.0");
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, data->id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "params");
  if (params != NULL)
    json_builder_add_value (builder, json_node_copy (params));
  else
    {
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  text = json_to_string (request, FALSE);
  len = strlen (text);
  body = g_bytes_new_take (text, len);

  data->message = soup_message_new (SOUP_METHOD_POST, self->url);
  if (data->message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not a valid RPC URL: “%s”", self->url);
      return;
    }
  soup_message_set_request_body_from_bytes (data->message, "application/json", body);

  soup_session_send_and_read_async (self->session,
                                    data->message,
                                    G_PRIORITY_DEFAULT,
                                    cancellable,
                                    usdtpay_rpc_client_call_cb,
                                    g_steal_pointer (&task));
}

/**
 * usdtpay_rpc_client_call_finish:
 *
 * Returns: (transfer full): the `result` member, possibly a JSON null
 */
JsonNode *
usdtpay_rpc_client_call_finish (UsdtpayRpcClient  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (USDTPAY_IS_RPC_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Convenience calls: each sends one method and turns its result into a C
 * value with a parser. The finished value travels as a pointer.
 */

typedef gpointer (*ResultParser) (const char      *method,
                                  JsonNode        *result,
                                  GDestroyNotify  *destroy,
                                  GError         **error);

typedef struct
{
  char *method;
  ResultParser parser;
} ConvenienceData;

static void
convenience_data_free (ConvenienceData *data)
{
  g_free (data->method);
  g_free (data);
}

static void
convenience_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  UsdtpayRpcClient *self = (UsdtpayRpcClient *)object;
  g_autoptr(GTask) task = user_data;
  ConvenienceData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  GDestroyNotify destroy = NULL;
  gpointer value;

  node = usdtpay_rpc_client_call_finish (self, result, &error);
  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  value = data->parser (data->method, node, &destroy, &error);
  if (value == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, value, destroy);
}

/* @params is consumed. */
static void
convenience_call (UsdtpayRpcClient    *self,
                  const char          *method,
                  JsonNode            *params,
                  ResultParser         parser,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(JsonNode) owned_params = params;
  GTask *task;
  ConvenienceData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (ConvenienceData, 1);
  data->method = g_strdup (method);
  data->parser = parser;
  g_task_set_task_data (task, data, (GDestroyNotify)convenience_data_free);

  usdtpay_rpc_client_call_async (self, method, owned_params, cancellable, convenience_cb, task);
}

static gpointer
convenience_finish (UsdtpayRpcClient  *self,
                    GAsyncResult      *result,
                    gpointer           source_tag,
                    GError           **error)
{
  g_return_val_if_fail (USDTPAY_IS_RPC_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
result_string (const char  *method,
               JsonNode    *result,
               GError     **error)
{
  if (!JSON_NODE_HOLDS_VALUE (result) || json_node_get_value_type (result) != G_TYPE_STRING)
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                   "%s: expected a hex string result", method);
      return NULL;
    }
  return json_node_get_string (result);
}

static gpointer
parse_uint64 (const char      *method,
              JsonNode        *result,
              GDestroyNotify  *destroy,
              GError         **error)
{
  const char *text = result_string (method, result, error);
  guint64 value;

  if (text == NULL || !usdtpay_hex_parse_quantity (text, &value, error))
    {
      g_prefix_error (error, "%s: ", method);
      return NULL;
    }
  *destroy = g_free;
  return g_memdup2 (&value, sizeof value);
}

static gpointer
parse_uint256 (const char      *method,
               JsonNode        *result,
               GDestroyNotify  *destroy,
               GError         **error)
{
  const char *text = result_string (method, result, error);
  UsdtpayUint256 value;

  if (text == NULL || !usdtpay_uint256_parse_quantity (&value, text, error))
    {
      g_prefix_error (error, "%s: ", method);
      return NULL;
    }
  *destroy = g_free;
  return g_memdup2 (&value, sizeof value);
}

static gpointer
parse_bytes (const char      *method,
             JsonNode        *result,
             GDestroyNotify  *destroy,
             GError         **error)
{
  const char *text = result_string (method, result, error);
  GBytes *bytes;

  if (text == NULL || (bytes = usdtpay_hex_decode (text, error)) == NULL)
    {
      g_prefix_error (error, "%s: ", method);
      return NULL;
    }
  *destroy = (GDestroyNotify)g_bytes_unref;
  return bytes;
}

static gpointer
parse_hash (const char      *method,
            JsonNode        *result,
            GDestroyNotify  *destroy,
            GError         **error)
{
  const char *text = result_string (method, result, error);
  guint8 hash[32];

  if (text == NULL || !usdtpay_hex_decode_fixed (text, hash, sizeof hash, error))
    {
      g_prefix_error (error, "%s: ", method);
      return NULL;
    }
  *destroy = g_free;
  return usdtpay_hex_encode (hash, sizeof hash);
}

static gpointer
parse_array (const char      *method,
             JsonNode        *result,
             GDestroyNotify  *destroy,
             GError         **error)
{
  if (!JSON_NODE_HOLDS_ARRAY (result))
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                   "%s: expected an array result", method);
      return NULL;
    }
  *destroy = (GDestroyNotify)json_array_unref;
  return json_node_dup_array (result);
}

static gpointer
parse_object_or_null (const char      *method,
                      JsonNode        *result,
                      GDestroyNotify  *destroy,
                      GError         **error)
{
  if (JSON_NODE_HOLDS_NULL (result))
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_NOT_FOUND,
                   "%s: the node has no such object (yet)", method);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (result))
    {
      g_set_error (error, USDTPAY_CHAIN_ERROR, USDTPAY_CHAIN_ERROR_PROTOCOL,
                   "%s: expected an object result", method);
      return NULL;
    }
  *destroy = (GDestroyNotify)json_object_unref;
  return json_node_dup_object (result);
}

static gboolean
finish_uint64 (UsdtpayRpcClient  *self,
               GAsyncResult      *result,
               gpointer           source_tag,
               guint64           *out,
               GError           **error)
{
  g_autofree guint64 *value = convenience_finish (self, result, source_tag, error);

  if (value == NULL)
    return FALSE;
  if (out != NULL)
    *out = *value;
  return TRUE;
}

static gboolean
finish_uint256 (UsdtpayRpcClient  *self,
                GAsyncResult      *result,
                gpointer           source_tag,
                UsdtpayUint256    *out,
                GError           **error)
{
  g_autofree UsdtpayUint256 *value = convenience_finish (self, result, source_tag, error);

  if (value == NULL)
    return FALSE;
  if (out != NULL)
    *out = *value;
  return TRUE;
}

static JsonNode *
params_new (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* A params array of strings. */
static JsonNode *
params_new (const char *first,
            ...)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  va_list args;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    json_array_add_string_element (array, s);
  va_end (args);

  json_node_take_array (node, array);
  return node;
}

void
usdtpay_rpc_client_chain_id_async (UsdtpayRpcClient    *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));

  convenience_call (self, "eth_chainId", NULL, parse_uint64,
                    usdtpay_rpc_client_chain_id_async, cancellable, callback, user_data);
}

gboolean
usdtpay_rpc_client_chain_id_finish (UsdtpayRpcClient  *self,
                                    GAsyncResult      *result,
                                    guint64           *chain_id,
                                    GError           **error)
{
  return finish_uint64 (self, result, usdtpay_rpc_client_chain_id_async, chain_id, error);
}

void
usdtpay_rpc_client_block_number_async (UsdtpayRpcClient    *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));

  convenience_call (self, "eth_blockNumber", NULL, parse_uint64,
                    usdtpay_rpc_client_block_number_async, cancellable, callback, user_data);
}

gboolean
usdtpay_rpc_client_block_number_finish (UsdtpayRpcClient  *self,
                                        GAsyncResult      *result,
                                        guint64           *number,
                                        GError           **error)
{
  return finish_uint64 (self, result, usdtpay_rpc_client_block_number_async, number, error);
}

/**
 * usdtpay_rpc_client_get_transaction_count_async:
 * @block: (nullable): a block tag such as `pending` or `latest` (the
 *   default), or a number from usdtpay_rpc_block_tag_for_number()
 */
void
usdtpay_rpc_client_get_transaction_count_async (UsdtpayRpcClient     *self,
                                                const UsdtpayAddress *address,
                                                const char           *block,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data)
{
  g_autofree char *addr = NULL;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (address != NULL);

  addr = usdtpay_address_to_string (address);
  convenience_call (self, "eth_getTransactionCount",
                    params_new (addr, block != NULL ? block : "latest", NULL),
                    parse_uint64, usdtpay_rpc_client_get_transaction_count_async,
                    cancellable, callback, user_data);
}

gboolean
usdtpay_rpc_client_get_transaction_count_finish (UsdtpayRpcClient  *self,
                                                 GAsyncResult      *result,
                                                 guint64           *count,
                                                 GError           **error)
{
  return finish_uint64 (self, result, usdtpay_rpc_client_get_transaction_count_async, count, error);
}

void
usdtpay_rpc_client_get_balance_async (UsdtpayRpcClient     *self,
                                      const UsdtpayAddress *address,
                                      const char           *block,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data)
{
  g_autofree char *addr = NULL;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (address != NULL);

  addr = usdtpay_address_to_string (address);
  convenience_call (self, "eth_getBalance",
                    params_new (addr, block != NULL ? block : "latest", NULL),
                    parse_uint256, usdtpay_rpc_client_get_balance_async,
                    cancellable, callback, user_data);
}

gboolean
usdtpay_rpc_client_get_balance_finish (UsdtpayRpcClient  *self,
                                       GAsyncResult      *result,
                                       UsdtpayUint256    *balance,
                                       GError           **error)
{
  return finish_uint256 (self, result, usdtpay_rpc_client_get_balance_async, balance, error);
}

void
usdtpay_rpc_client_gas_price_async (UsdtpayRpcClient    *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));

  convenience_call (self, "eth_gasPrice", NULL, parse_uint256,
                    usdtpay_rpc_client_gas_price_async, cancellable, callback, user_data);
}

gboolean
usdtpay_rpc_client_gas_price_finish (UsdtpayRpcClient  *self,
                                     GAsyncResult      *result,
                                     UsdtpayUint256    *price,
                                     GError           **error)
{
  return finish_uint256 (self, result, usdtpay_rpc_client_gas_price_async, price, error);
}

void
usdtpay_rpc_client_max_priority_fee_async (UsdtpayRpcClient    *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));

  convenience_call (self, "eth_maxPriorityFeePerGas", NULL, parse_uint256,
                    usdtpay_rpc_client_max_priority_fee_async, cancellable, callback, user_data);
}

gboolean
usdtpay_rpc_client_max_priority_fee_finish (UsdtpayRpcClient  *self,
                                            GAsyncResult      *result,
                                            UsdtpayUint256    *fee,
                                            GError           **error)
{
  return finish_uint256 (self, result, usdtpay_rpc_client_max_priority_fee_async, fee, error);
}

void
usdtpay_rpc_client_send_raw_transaction_async (UsdtpayRpcClient    *self,
                                               GBytes              *raw,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autofree char *hex = NULL;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (raw != NULL);

  hex = usdtpay_hex_encode_bytes (raw);
  convenience_call (self, "eth_sendRawTransaction", params_new (hex, NULL),
                    parse_hash, usdtpay_rpc_client_send_raw_transaction_async,
                    cancellable, callback, user_data);
}

/**
 * usdtpay_rpc_client_send_raw_transaction_finish:
 *
 * Returns: (transfer full): the transaction hash, `0x` and 64 lower-case digits
 */
char *
usdtpay_rpc_client_send_raw_transaction_finish (UsdtpayRpcClient  *self,
                                                GAsyncResult      *result,
                                                GError           **error)
{
  return convenience_finish (self, result, usdtpay_rpc_client_send_raw_transaction_async, error);
}

/**
 * usdtpay_rpc_client_call_contract_async:
 * @to: the contract
 * @data: the call data, e.g. from usdtpay_abi_encode_balance_of()
 * @block: (nullable): a block tag; %NULL for `latest`
 *
 * eth_call: runs a read-only call.
 */
void
usdtpay_rpc_client_call_contract_async (UsdtpayRpcClient     *self,
                                        const UsdtpayAddress *to,
                                        GBytes               *data,
                                        const char           *block,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data)
{
  g_autofree char *to_text = NULL;
  g_autofree char *data_text = NULL;
  JsonArray *array;
  JsonObject *call;
  JsonNode *params;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (to != NULL);
  g_return_if_fail (data != NULL);

  to_text = usdtpay_address_to_string (to);
  data_text = usdtpay_hex_encode_bytes (data);
  call = json_object_new ();
  json_object_set_string_member (call, "to", to_text);
  json_object_set_string_member (call, "data", data_text);
  array = json_array_new ();
  json_array_add_object_element (array, call);
  json_array_add_string_element (array, block != NULL ? block : "latest");
  params = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (params, array);

  convenience_call (self, "eth_call", params, parse_bytes,
                    usdtpay_rpc_client_call_contract_async, cancellable, callback, user_data);
}

/**
 * usdtpay_rpc_client_call_contract_finish:
 *
 * Returns: (transfer full): the returned data
 */
GBytes *
usdtpay_rpc_client_call_contract_finish (UsdtpayRpcClient  *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  return convenience_finish (self, result, usdtpay_rpc_client_call_contract_async, error);
}

/**
 * usdtpay_rpc_client_get_logs_async:
 * @filter: a JSON object: `address`, `topics`, `fromBlock`, `toBlock` or `blockHash`
 */
void
usdtpay_rpc_client_get_logs_async (UsdtpayRpcClient    *self,
                                   JsonNode            *filter,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  JsonArray *array;
  JsonNode *params;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (filter != NULL && JSON_NODE_HOLDS_OBJECT (filter));

  array = json_array_new ();
  json_array_add_element (array, json_node_copy (filter));
  params = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (params, array);

  convenience_call (self, "eth_getLogs", params, parse_array,
                    usdtpay_rpc_client_get_logs_async, cancellable, callback, user_data);
}

/**
 * usdtpay_rpc_client_get_logs_finish:
 *
 * Returns: (transfer full): the log objects
 */
JsonArray *
usdtpay_rpc_client_get_logs_finish (UsdtpayRpcClient  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  return convenience_finish (self, result, usdtpay_rpc_client_get_logs_async, error);
}

/**
 * usdtpay_rpc_client_get_block_by_number_async:
 * @block: a tag (`latest`, `safe`, `finalized`, …) or a number from
 *   usdtpay_rpc_block_tag_for_number()
 */
void
usdtpay_rpc_client_get_block_by_number_async (UsdtpayRpcClient    *self,
                                              const char          *block,
                                              gboolean             full_transactions,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  JsonNode *params;

  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (block != NULL);

  params = params_new (block, NULL);
  json_array_add_boolean_element (json_node_get_array (params), !!full_transactions);
  convenience_call (self, "eth_getBlockByNumber", params, parse_object_or_null,
                    usdtpay_rpc_client_get_block_by_number_async, cancellable, callback, user_data);
}

/**
 * usdtpay_rpc_client_get_block_by_number_finish:
 *
 * Returns: (transfer full): the block; %USDTPAY_CHAIN_ERROR_NOT_FOUND if
 *   the node has no such block
 */
JsonObject *
usdtpay_rpc_client_get_block_by_number_finish (UsdtpayRpcClient  *self,
                                               GAsyncResult      *result,
                                               GError           **error)
{
  return convenience_finish (self, result, usdtpay_rpc_client_get_block_by_number_async, error);
}

void
usdtpay_rpc_client_get_transaction_receipt_async (UsdtpayRpcClient    *self,
                                                  const char          *transaction_hash,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  g_return_if_fail (USDTPAY_IS_RPC_CLIENT (self));
  g_return_if_fail (transaction_hash != NULL);

  convenience_call (self, "eth_getTransactionReceipt", params_new (transaction_hash, NULL),
                    parse_object_or_null, usdtpay_rpc_client_get_transaction_receipt_async,
                    cancellable, callback, user_data);
}

/**
 * usdtpay_rpc_client_get_transaction_receipt_finish:
 *
 * Returns: (transfer full): the receipt; %USDTPAY_CHAIN_ERROR_NOT_FOUND
 *   while the transaction is not mined (or unknown)
 */
JsonObject *
usdtpay_rpc_client_get_transaction_receipt_finish (UsdtpayRpcClient  *self,
                                                   GAsyncResult      *result,
                                                   GError           **error)
{
  return convenience_finish (self, result, usdtpay_rpc_client_get_transaction_receipt_async, error);
}

/**
 * usdtpay_rpc_block_tag_for_number:
 *
 * Returns: (transfer full): the quantity form of a block number for
 *   block parameters
 */
char *
usdtpay_rpc_block_tag_for_number (guint64 number)
{
  return usdtpay_hex_encode_quantity (number);
}
