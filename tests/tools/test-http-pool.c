/* test-http-pool.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* UsdtpayHttpPool against a real libsoup server started here on
 * 127.0.0.1:0 (Content-Length, chunked and close-delimited bodies, 204,
 * Retry-After, Connection: close, a server that closes idle keep-alive
 * connections, large bodies, many requests over few connections,
 * cancellation, timeouts), and against a raw socket server for the answers
 * libsoup would never write (malformed ones, 1xx, bare LF, HTTP/1.0).
 */

#include "config.h"

#include <libsoup/soup.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usdtpay-error.h"
#include "usdtpay-http-pool.h"

/* The libsoup server */

static SoupServer *server;
static guint server_port;
static char *origin;
static GArray *seen_seq;          /* guint: /seq?i= in arrival order */
static GHashTable *seen_ports;    /* client ports that sent a request */
static GPtrArray *held;           /* SoupServerMessage paused by /hold */
static guint hold_count;

static const char *
header_or_dash (SoupMessageHeaders *headers,
                const char         *name)
{
  const char *value = soup_message_headers_get_one (headers, name);

  return value ? value : "-";
}

static void
echo_handler (SoupServerMessage *msg,
              const char        *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr(GBytes) request_body = soup_message_body_flatten (body);
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "%s %s?%s\n", soup_server_message_get_method (msg), path,
                          g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
  for (const char * const *name = (const char * const[]){ "Host", "User-Agent", "Authorization",
                                                          "Idempotency-Key", "X-Extra",
                                                          "Content-Type", "Content-Length",
                                                          NULL };
       *name != NULL; name++)
    g_string_append_printf (out, "%s: %s\n", *name, header_or_dash (headers, *name));
  g_string_append (out, "\n");
  g_string_append_len (out, g_bytes_get_data (request_body, NULL),
                       g_bytes_get_size (request_body));
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE,
                                    out->str, out->len);
  g_string_free (out, FALSE);
}

typedef struct
{
  SoupServerMessage *msg;
  guint              left;
  gsize              piece;
} Feeder;

static gboolean
feed_piece_cb (gpointer data)
{
  Feeder *feeder = data;
  SoupMessageBody *body = soup_server_message_get_response_body (feeder->msg);
  char *piece = g_malloc (feeder->piece);

  for (gsize i = 0; i < feeder->piece; i++)
    piece[i] = 'a' + (feeder->left + i) % 26;
  soup_message_body_append (body, SOUP_MEMORY_TAKE, piece, feeder->piece);
  if (--feeder->left == 0)
    soup_message_body_complete (body);
  soup_server_message_unpause (feeder->msg);
  if (feeder->left == 0)
    {
      g_object_unref (feeder->msg);
      g_free (feeder);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* The expected body of /chunked?pieces=P&size=S. */
static GBytes *
chunked_expected (guint pieces,
                  gsize size)
{
  GByteArray *out = g_byte_array_new ();

  for (guint left = pieces; left > 0; left--)
    for (gsize i = 0; i < size; i++)
      {
        guint8 c = 'a' + (left + i) % 26;

        g_byte_array_append (out, &c, 1);
      }
  return g_byte_array_free_to_bytes (out);
}

static void
finished_shutdown_cb (SoupServerMessage *msg,
                      gpointer           data)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

static guint
query_uint (GHashTable *query,
            const char *name,
            guint       fallback)
{
  const char *value = query ? g_hash_table_lookup (query, name) : NULL;

  return value ? (guint)g_ascii_strtoull (value, NULL, 10) : fallback;
}

static void
server_cb (SoupServer        *srv,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           data)
{
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    g_hash_table_add (seen_ports, GUINT_TO_POINTER (g_inet_socket_address_get_port (
                                    G_INET_SOCKET_ADDRESS (remote))));

  if (g_str_equal (path, "/echo"))
    echo_handler (msg, path);
  else if (g_str_equal (path, "/seq"))
    {
      guint i = query_uint (query, "i", 0);
      char *text = g_strdup_printf ("%u", i);

      g_array_append_val (seen_seq, i);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, text,
                                        strlen (text));
    }
  else if (g_str_equal (path, "/chunked"))
    {
      Feeder *feeder = g_new0 (Feeder, 1);

      feeder->msg = g_object_ref (msg);
      feeder->left = query_uint (query, "pieces", 3);
      feeder->piece = query_uint (query, "size", 5);
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      soup_message_headers_set_content_type (response_headers, "text/plain", NULL);
      soup_server_message_pause (msg);
      g_timeout_add (query_uint (query, "ms", 5), feed_piece_cb, feeder);
    }
  else if (g_str_equal (path, "/empty"))
    soup_server_message_set_status (msg, 204, NULL);
  else if (g_str_equal (path, "/busy"))
    {
      soup_server_message_set_status (msg, 500, NULL);
      soup_message_headers_replace (response_headers, "Retry-After", "7");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"error\":{}}", 12);
    }
  else if (g_str_equal (path, "/close"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_replace (response_headers, "Connection", "close");
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "bye", 3);
    }
  else if (g_str_equal (path, "/eof"))
    {
      SoupMessageBody *body = soup_server_message_get_response_body (msg);

      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_EOF);
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "until the end", 13);
      soup_message_body_complete (body);
    }
  else if (g_str_equal (path, "/close-idle"))
    {
      /* Keep-alive by every header, then the socket is shut down as soon as
       * the answer is out: the next request on it finds it closed. */
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
      g_signal_connect (msg, "finished", G_CALLBACK (finished_shutdown_cb), NULL);
    }
  else if (g_str_equal (path, "/large"))
    {
      gsize size = query_uint (query, "n", 1024);
      char *data = g_malloc (size);

      for (gsize i = 0; i < size; i++)
        data[i] = (char)(i * 7 + i / 251);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                        data, size);
    }
  else if (g_str_equal (path, "/hold"))
    {
      hold_count++;
      soup_server_message_pause (msg);
      g_ptr_array_add (held, g_object_ref (msg));
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

/* The raw server: a thread that answers each connection with canned bytes
 * chosen by the request path, then closes it. */

static int raw_fd = -1;
static guint raw_port;
static GThread *raw_thread;

static const struct
{
  const char *path;
  const char *answer;
} raw_answers[] = {
  { "/bad-status", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n" },
  { "/not-http", "SSH-2.0-OpenSSH_9.2\r\n\r\n" },
  { "/bad-length", "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n" },
  { "/two-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" },
  { "/bad-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n" },
  { "/chunk-no-crlf", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n" },
  { "/gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx" },
  { "/folded", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n" },
  { "/no-colon", "HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n" },
  { "/switch", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n" },
  { "/short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc" },
  { "/short-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab" },
  { "/nothing", "" },
  { "/continue",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
  { "/bare-lf", "HTTP/1.1 201 Created\nContent-Length: 4\nX-Y: z\n\nbody" },
  { "/cases", "HTTP/1.1 503 Unavailable\r\ncontent-LENGTH: 2\r\nRETRY-after:   3  \r\n\r\n{}" },
  { "/chunk-ext", "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\n"
                  "3;name=value\r\nabc\r\n1\r\nd\r\n0\r\nTrailer: x\r\n\r\n" },
  { "/http10", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close" },
};

static gpointer
raw_server_thread (gpointer data)
{
  for (;;)
    {
      int fd = accept (raw_fd, NULL, NULL);
      char request[4096];
      gsize length = 0;
      const char *answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

      if (fd < 0)
        return NULL;  /* the listening socket was shut down */
      while (length < sizeof request - 1)
        {
          gssize n = read (fd, request + length, sizeof request - 1 - length);

          if (n <= 0)
            break;
          length += n;
          request[length] = '\0';
          if (strstr (request, "\r\n\r\n") != NULL)
            break;
        }
      request[length] = '\0';
      for (guint i = 0; i < G_N_ELEMENTS (raw_answers); i++)
        {
          g_autofree char *line = g_strdup_printf ("GET %s HTTP/1.1\r\n", raw_answers[i].path);

          if (g_str_has_prefix (request, line))
            answer = raw_answers[i].answer;
        }
      if (write (fd, answer, strlen (answer)) < 0)
        g_warning ("raw server: %s", g_strerror (errno));
      close (fd);
    }
}

static void
raw_server_start (void)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof address;

  raw_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (raw_fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (raw_fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  g_assert_cmpint (listen (raw_fd, 16), ==, 0);
  g_assert_cmpint (getsockname (raw_fd, (struct sockaddr *)&address, &length), ==, 0);
  raw_port = ntohs (address.sin_port);
  raw_thread = g_thread_new ("raw-server", raw_server_thread, NULL);
}

static void
raw_server_stop (void)
{
  shutdown (raw_fd, SHUT_RDWR);
  g_thread_join (raw_thread);
  close (raw_fd);
}

/* Results */

typedef struct
{
  guint    calls;
  gboolean in_send;       /* set around usdtpay_http_pool_send() by the test */
  gboolean called_inside; /* the callback ran inside usdtpay_http_pool_send() */
  guint    status;
  GBytes  *body;
  char    *retry_after;
  GError  *error;
} Result;

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->retry_after, g_free);
  g_clear_error (&r->error);
  memset (r, 0, sizeof *r);
}

static void
result_cb (UsdtpayHttpPool *pool,
           guint            status,
           GBytes          *body,
           const char      *retry_after,
           const GError    *error,
           gpointer         data)
{
  Result *r = data;

  r->calls++;
  r->called_inside = r->in_send;
  r->status = status;
  g_clear_pointer (&r->body, g_bytes_unref);
  r->body = body ? g_bytes_ref (body) : NULL;
  g_free (r->retry_after);
  r->retry_after = g_strdup (retry_after);
  g_clear_error (&r->error);
  r->error = error ? g_error_copy (error) : NULL;
  /* Exactly one of success and failure. */
  g_assert_true ((error == NULL) == (body != NULL));
  g_assert_true (error == NULL || status == 0);
}

static void
send_simple (UsdtpayHttpPool *pool,
             const char      *method,
             const char      *path,
             GCancellable    *cancellable,
             Result          *r)
{
  r->in_send = TRUE;
  usdtpay_http_pool_send (pool, method, path, NULL, NULL, NULL, NULL, cancellable, result_cb, r);
  r->in_send = FALSE;
  g_assert_cmpuint (r->calls, ==, 0);
}

static void
wait_for (Result *r)
{
  while (r->calls == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (r->calls, ==, 1);
  g_assert_false (r->called_inside);
}

static void
run_for_ms (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

static void
assert_body (Result     *r,
             const char *text)
{
  g_assert_no_error (r->error);
  g_assert_nonnull (r->body);
  g_assert_cmpmem (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), text,
                   strlen (text));
}

static UsdtpayHttpPool *
pool_new (guint connections)
{
  g_autoptr(GError) error = NULL;
  UsdtpayHttpPool *pool = usdtpay_http_pool_new (origin, connections, &error);

  g_assert_no_error (error);
  g_assert_nonnull (pool);
  return pool;
}

/* Tests */

static void
test_echo (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (2);
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"a\":1}", 7);
  const char *extra[] = { "X-Extra", "yes", NULL };
  g_autofree char *expected = NULL;
  Result r = { 0 };

  usdtpay_http_pool_set_user_agent (pool, "test-http-pool/1");
  r.in_send = TRUE;
  usdtpay_http_pool_send (pool, "POST", "/echo?x=1&y=%20", "Bearer tok", "key-1", extra, body,
                          NULL, result_cb, &r);
  r.in_send = FALSE;
  wait_for (&r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_null (r.retry_after);
  expected = g_strdup_printf ("POST /echo?x=1&y=%%20\nHost: 127.0.0.1:%u\n"
                              "User-Agent: test-http-pool/1\nAuthorization: Bearer tok\n"
                              "Idempotency-Key: key-1\nX-Extra: yes\n"
                              "Content-Type: application/json\nContent-Length: 7\n\n{\"a\":1}",
                              server_port);
  assert_body (&r, expected);
  result_clear (&r);
  g_clear_pointer (&expected, g_free);

  /* A GET carries no body headers; a POST without a body says length 0. */
  usdtpay_http_pool_set_user_agent (pool, NULL);
  send_simple (pool, "GET", "/echo", NULL, &r);
  wait_for (&r);
  expected = g_strdup_printf ("GET /echo?\nHost: 127.0.0.1:%u\nUser-Agent: -\n"
                              "Authorization: -\nIdempotency-Key: -\nX-Extra: -\n"
                              "Content-Type: -\nContent-Length: -\n\n", server_port);
  assert_body (&r, expected);
  result_clear (&r);
  g_clear_pointer (&expected, g_free);

  send_simple (pool, "POST", "/echo", NULL, &r);
  wait_for (&r);
  g_assert_nonnull (strstr (g_bytes_get_data (r.body, NULL), "Content-Length: 0\n"));
  result_clear (&r);

  /* One connection served all three, one after the other. */
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 1);
  g_assert_cmpuint (usdtpay_http_pool_get_n_resends (pool), ==, 0);
}

static void
test_chunked (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  g_autoptr(GBytes) small = chunked_expected (4, 5);
  g_autoptr(GBytes) big = chunked_expected (40, 100000);
  Result r = { 0 };

  send_simple (pool, "GET", "/chunked?pieces=4&size=5&ms=10", NULL, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_true (g_bytes_equal (r.body, small));
  result_clear (&r);

  /* 4 MB in 40 chunks that arrive in many reads. */
  send_simple (pool, "GET", "/chunked?pieces=40&size=100000&ms=1", NULL, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  g_assert_true (g_bytes_equal (r.body, big));
  result_clear (&r);

  /* The connection stayed open for the next one. */
  send_simple (pool, "GET", "/seq?i=1", NULL, &r);
  wait_for (&r);
  assert_body (&r, "1");
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 1);
}

static void
test_no_content_and_head (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  Result r = { 0 };

  send_simple (pool, "DELETE", "/empty", NULL, &r);
  wait_for (&r);
  g_assert_cmpuint (r.status, ==, 204);
  assert_body (&r, "");
  result_clear (&r);

  /* HEAD: Content-Length says 4096, and no body follows. */
  send_simple (pool, "HEAD", "/large?n=4096", NULL, &r);
  wait_for (&r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_body (&r, "");
  result_clear (&r);

  /* The same connection reads the next answer from the right place. */
  send_simple (pool, "GET", "/seq?i=7", NULL, &r);
  wait_for (&r);
  assert_body (&r, "7");
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 1);
}

static void
test_retry_after (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  Result r = { 0 };

  send_simple (pool, "POST", "/busy", NULL, &r);
  wait_for (&r);
  g_assert_cmpuint (r.status, ==, 500);
  g_assert_cmpstr (r.retry_after, ==, "7");
  assert_body (&r, "{\"error\":{}}");
  result_clear (&r);
}

static void
test_connection_close (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  Result r = { 0 };

  g_hash_table_remove_all (seen_ports);
  send_simple (pool, "GET", "/close", NULL, &r);
  wait_for (&r);
  assert_body (&r, "bye");
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);

  /* A body delimited by the end of the connection. */
  send_simple (pool, "GET", "/eof", NULL, &r);
  wait_for (&r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_body (&r, "until the end");
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);

  send_simple (pool, "GET", "/seq?i=3", NULL, &r);
  wait_for (&r);
  assert_body (&r, "3");
  result_clear (&r);
  /* Each on a connection of its own. */
  g_assert_cmpuint (g_hash_table_size (seen_ports), ==, 3);
  g_assert_cmpuint (usdtpay_http_pool_get_n_resends (pool), ==, 0);
}

typedef struct
{
  Result           first;
  Result           second;
  UsdtpayHttpPool *pool;
} IdleClose;

static void
idle_close_first_cb (UsdtpayHttpPool *pool,
                     guint            status,
                     GBytes          *body,
                     const char      *retry_after,
                     const GError    *error,
                     gpointer         data)
{
  IdleClose *ic = data;

  result_cb (pool, status, body, retry_after, error, &ic->first);
  /* The connection looks idle and open; the server has shut it down. */
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 1);
  ic->second.in_send = TRUE;
  usdtpay_http_pool_send (pool, "POST", "/seq?i=42", NULL, "k-42", NULL, NULL, NULL, result_cb,
                          &ic->second);
  ic->second.in_send = FALSE;
}

static void
test_idle_close (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  IdleClose ic = { 0 };
  Result r = { 0 };

  g_array_set_size (seen_seq, 0);
  usdtpay_http_pool_send (pool, "GET", "/close-idle", NULL, NULL, NULL, NULL, NULL,
                          idle_close_first_cb, &ic);
  wait_for (&ic.first);
  assert_body (&ic.first, "ok");
  wait_for (&ic.second);
  assert_body (&ic.second, "42");
  /* Sent on the closed connection, then once more on a fresh one, and
   * answered once. */
  g_assert_cmpuint (usdtpay_http_pool_get_n_resends (pool), ==, 1);
  g_assert_cmpuint (seen_seq->len, ==, 1);
  result_clear (&ic.first);
  result_clear (&ic.second);

  /* A connection the server closes while it sits idle is dropped from the
   * pool when the close arrives; the next request opens a new one. */
  send_simple (pool, "GET", "/close-idle", NULL, &r);
  wait_for (&r);
  assert_body (&r, "ok");
  result_clear (&r);
  while (usdtpay_http_pool_get_n_connections (pool) > 0)
    g_main_context_iteration (NULL, TRUE);
  send_simple (pool, "GET", "/seq?i=43", NULL, &r);
  wait_for (&r);
  assert_body (&r, "43");
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_resends (pool), ==, 1);
}

static void
assert_large_body (GBytes *body,
                   gsize   size)
{
  const guint8 *data = g_bytes_get_data (body, NULL);

  g_assert_cmpuint (g_bytes_get_size (body), ==, size);
  for (gsize i = 0; i < size; i++)
    if (data[i] != (guint8)(i * 7 + i / 251))
      g_error ("byte %" G_GSIZE_FORMAT " of the large body differs", i);
}

static void
test_large (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (2);
  Result r = { 0 };

  send_simple (pool, "GET", "/large?n=12000000", NULL, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  assert_large_body (r.body, 12000000);
  result_clear (&r);

  /* Over the limit: by Content-Length, and chunk by chunk. */
  usdtpay_http_pool_set_max_body_size (pool, 1000000);
  send_simple (pool, "GET", "/large?n=1000001", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE);
  g_assert_null (r.body);
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);

  send_simple (pool, "GET", "/chunked?pieces=11&size=100000&ms=1", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE);
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);

  send_simple (pool, "GET", "/large?n=1000000", NULL, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  assert_large_body (r.body, 1000000);
  result_clear (&r);

  /* The default limit is 16 MiB. */
  g_assert_cmpuint (USDTPAY_HTTP_POOL_DEFAULT_MAX_BODY_SIZE, ==, 16 * 1024 * 1024);
  usdtpay_http_pool_set_max_body_size (pool, USDTPAY_HTTP_POOL_DEFAULT_MAX_BODY_SIZE);
  send_simple (pool, "GET", "/large?n=16777217", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE);
  result_clear (&r);
}

#define N_CONCURRENT 600

typedef struct
{
  UsdtpayHttpPool *pool;
  guint            max_connections;
  guint            calls[N_CONCURRENT];
  GArray          *order;   /* guint: completion order */
  guint            done;
} Many;

typedef struct
{
  Many  *many;
  guint  i;
} ManyItem;

static void
many_cb (UsdtpayHttpPool *pool,
         guint            status,
         GBytes          *body,
         const char      *retry_after,
         const GError    *error,
         gpointer         data)
{
  ManyItem *item = data;
  Many *many = item->many;
  g_autofree char *expected = g_strdup_printf ("%u", item->i);

  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), expected,
                   strlen (expected));
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), <=, many->max_connections);
  many->calls[item->i]++;
  g_array_append_val (many->order, item->i);
  many->done++;
}

static void
run_many (guint connections)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (connections);
  Many many = { 0 };
  ManyItem items[N_CONCURRENT];

  many.max_connections = connections;
  many.order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_set_size (seen_seq, 0);
  g_hash_table_remove_all (seen_ports);
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      g_autofree char *path = g_strdup_printf ("/seq?i=%u", i);

      items[i].many = &many;
      items[i].i = i;
      usdtpay_http_pool_send (pool, i % 2 ? "GET" : "POST", path, NULL, NULL, NULL, NULL, NULL,
                              many_cb, &items[i]);
      g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), <=, connections);
    }
  while (many.done < N_CONCURRENT)
    g_main_context_iteration (NULL, TRUE);

  /* Each answered exactly once, each seen by the server exactly once. */
  for (guint i = 0; i < N_CONCURRENT; i++)
    g_assert_cmpuint (many.calls[i], ==, 1);
  g_assert_cmpuint (seen_seq->len, ==, N_CONCURRENT);
  {
    g_autofree guint8 *seen = g_new0 (guint8, N_CONCURRENT);

    for (guint i = 0; i < seen_seq->len; i++)
      {
        guint v = g_array_index (seen_seq, guint, i);

        g_assert_cmpuint (v, <, N_CONCURRENT);
        g_assert_cmpuint (seen[v]++, ==, 0);
      }
  }
  g_assert_cmpuint (g_hash_table_size (seen_ports), <=, connections);
  g_assert_cmpuint (g_hash_table_size (seen_ports), >=, 1);
  /* First in, first out: over one connection the server sees them, and
   * they come back, in the order they were sent. */
  if (connections == 1)
    for (guint i = 0; i < N_CONCURRENT; i++)
      {
        g_assert_cmpuint (g_array_index (seen_seq, guint, i), ==, i);
        g_assert_cmpuint (g_array_index (many.order, guint, i), ==, i);
      }
  else
    {
      /* Each connection takes the oldest waiting request when it frees up:
       * no request overtakes one sent more than a connection's worth
       * earlier. */
      for (guint i = 0; i < N_CONCURRENT; i++)
        g_assert_cmpint ((gint)g_array_index (seen_seq, guint, i), >=, (gint)i - (gint)connections);
    }
  g_assert_cmpuint (usdtpay_http_pool_get_n_resends (pool), ==, 0);
  g_array_unref (many.order);
}

static void
test_concurrent (void)
{
  run_many (1);
  run_many (4);
}

static void
test_cancel (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  g_autoptr(GCancellable) c1 = g_cancellable_new ();
  g_autoptr(GCancellable) c2 = g_cancellable_new ();
  Result held_r = { 0 };
  Result queued = { 0 };
  Result queued2 = { 0 };
  Result after = { 0 };
  guint holds = hold_count;

  g_array_set_size (seen_seq, 0);
  /* One connection: the held request occupies it, the next two queue. */
  send_simple (pool, "GET", "/hold", c1, &held_r);
  send_simple (pool, "GET", "/seq?i=1", c2, &queued);
  send_simple (pool, "GET", "/seq?i=2", c2, &queued2);
  while (hold_count == holds)
    g_main_context_iteration (NULL, TRUE);

  /* Cancelling the queued ones leaves the held one alone. */
  g_cancellable_cancel (c2);
  g_assert_cmpuint (queued.calls, ==, 0);  /* reported from the main loop */
  wait_for (&queued);
  wait_for (&queued2);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (queued2.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (held_r.calls, ==, 0);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 1);

  /* Cancelling the one on the wire closes its connection. */
  g_cancellable_cancel (c1);
  wait_for (&held_r);
  g_assert_error (held_r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);

  /* A cancelled cancellable: reported from the main loop, never sent. */
  send_simple (pool, "GET", "/seq?i=3", c1, &after);
  wait_for (&after);
  g_assert_error (after.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_clear (&after);

  /* The pool goes on working, and the cancelled ones never arrived. */
  send_simple (pool, "GET", "/seq?i=4", NULL, &after);
  wait_for (&after);
  assert_body (&after, "4");
  g_assert_cmpuint (seen_seq->len, ==, 1);
  g_assert_cmpuint (g_array_index (seen_seq, guint, 0), ==, 4);

  result_clear (&held_r);
  result_clear (&queued);
  result_clear (&queued2);
  result_clear (&after);
}

static void
test_dispose_pending (void)
{
  UsdtpayHttpPool *pool = pool_new (1);
  Result held_r = { 0 };
  Result queued = { 0 };
  guint holds = hold_count;

  send_simple (pool, "GET", "/hold", NULL, &held_r);
  send_simple (pool, "GET", "/seq?i=1", NULL, &queued);
  while (hold_count == holds)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (pool);
  g_assert_cmpuint (held_r.calls, ==, 1);
  g_assert_cmpuint (queued.calls, ==, 1);
  g_assert_error (held_r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_clear (&held_r);
  result_clear (&queued);
}

static void
test_timeout (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  Result r = { 0 };
  gint64 start = g_get_monotonic_time ();

  usdtpay_http_pool_set_timeout (pool, 1);
  send_simple (pool, "GET", "/hold", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);
  result_clear (&r);
}

static void
test_idle_timeout (void)
{
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  Result r = { 0 };

  usdtpay_http_pool_set_idle_timeout (pool, 1);
  send_simple (pool, "GET", "/seq?i=5", NULL, &r);
  wait_for (&r);
  assert_body (&r, "5");
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 1);
  while (usdtpay_http_pool_get_n_connections (pool) > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_refused (void)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof address;
  g_autoptr(UsdtpayHttpPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *closed = NULL;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  Result r = { 0 };

  /* A port that was just free: nobody listens there. */
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *)&address, &length), ==, 0);
  closed = g_strdup_printf ("http://127.0.0.1:%u", ntohs (address.sin_port));
  pool = usdtpay_http_pool_new (closed, 2, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      send_simple (pool, "POST", "/v1/orders", NULL, &r);
      wait_for (&r);
      g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
      result_clear (&r);
    }
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);
  close (fd);
}

static void
test_resolve (void)
{
  g_autofree char *by_name = g_strdup_printf ("http://localhost:%u/", server_port);
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayHttpPool) pool = usdtpay_http_pool_new (by_name, 2, &error);
  Result r = { 0 };

  g_assert_no_error (error);
  send_simple (pool, "GET", "/echo", NULL, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (r.body, NULL), g_bytes_get_size (r.body),
                                  "Host: localhost:"));
  result_clear (&r);
}

static void
test_invalid (void)
{
  const char *bad_origins[] = {
    "https://127.0.0.1:1", "http://127.0.0.1:1/prefix", "http://u:p@127.0.0.1:1",
    "http://127.0.0.1:1?x", "ftp://127.0.0.1", "127.0.0.1:80", "http://",
  };
  g_autoptr(UsdtpayHttpPool) pool = pool_new (1);
  const char *crlf[] = { "X-A", "1\r\nX-B: 2", NULL };
  const char *bad_name[] = { "X A", "1", NULL };
  Result r = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (bad_origins); i++)
    {
      g_autoptr(GError) error = NULL;
      UsdtpayHttpPool *bad = usdtpay_http_pool_new (bad_origins[i], 1, &error);

      g_assert_null (bad);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }

  send_simple (pool, "GET", "no-slash", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  result_clear (&r);
  send_simple (pool, "GET", "/a b", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  result_clear (&r);
  send_simple (pool, "GE T", "/", NULL, &r);
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  result_clear (&r);
  for (guint i = 0; i < 2; i++)
    {
      r.in_send = TRUE;
      usdtpay_http_pool_send (pool, "GET", "/echo", NULL, NULL, i ? bad_name : crlf, NULL, NULL,
                              result_cb, &r);
      r.in_send = FALSE;
      wait_for (&r);
      g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      result_clear (&r);
    }
  r.in_send = TRUE;
  usdtpay_http_pool_send (pool, "GET", "/echo", "Bearer x\r\nX-Evil: 1", NULL, NULL, NULL, NULL,
                          result_cb, &r);
  r.in_send = FALSE;
  wait_for (&r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  result_clear (&r);
  g_assert_cmpuint (usdtpay_http_pool_get_n_connections (pool), ==, 0);
}

static void
raw_expect (const char *path,
            guint       status,
            const char *body,
            const char *retry_after,
            GQuark      domain,
            gint        code)
{
  g_autofree char *raw_origin = g_strdup_printf ("http://127.0.0.1:%u", raw_port);
  g_autoptr(GError) error = NULL;
  g_autoptr(UsdtpayHttpPool) pool = usdtpay_http_pool_new (raw_origin, 1, &error);
  Result r = { 0 };

  g_assert_no_error (error);
  g_test_message ("raw %s", path);
  send_simple (pool, "GET", path, NULL, &r);
  wait_for (&r);
  if (domain != 0)
    {
      g_assert_error (r.error, domain, code);
      g_assert_cmpuint (r.status, ==, 0);
    }
  else
    {
      g_assert_cmpuint (r.status, ==, status);
      assert_body (&r, body);
      g_assert_cmpstr (r.retry_after, ==, retry_after);
    }
  /* A malformed answer closes its connection; the raw server closes every
   * connection after its answer anyway, and the pool sees that. */
  while (usdtpay_http_pool_get_n_connections (pool) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (usdtpay_http_pool_get_n_resends (pool), ==, 0);
  result_clear (&r);
}

static void
test_raw_answers (void)
{
  GQuark proto = USDTPAY_ERROR;

  raw_expect ("/continue", 200, "ok", NULL, 0, 0);
  raw_expect ("/bare-lf", 201, "body", NULL, 0, 0);
  raw_expect ("/cases", 503, "{}", "3", 0, 0);
  raw_expect ("/chunk-ext", 200, "abcd", NULL, 0, 0);
  raw_expect ("/http10", 200, "until close", NULL, 0, 0);

  raw_expect ("/bad-status", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/not-http", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/bad-length", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/two-lengths", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/bad-chunk", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/chunk-no-crlf", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/gzip", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/folded", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/no-colon", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  raw_expect ("/switch", 0, NULL, NULL, proto, USDTPAY_ERROR_PROTOCOL);
  /* Cut short, and nothing at all on a fresh connection (no resend). */
  raw_expect ("/short", 0, NULL, NULL, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  raw_expect ("/short-chunked", 0, NULL, NULL, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  raw_expect ("/nothing", 0, NULL, NULL, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;
  int status;

  g_test_init (&argc, &argv, NULL);

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, server_cb, NULL, NULL);
  if (!soup_server_listen (server, address, 0, &error))
    g_error ("listen: %s", error->message);
  uris = soup_server_get_uris (server);
  server_port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  origin = g_strdup_printf ("http://127.0.0.1:%u", server_port);
  seen_seq = g_array_new (FALSE, FALSE, sizeof (guint));
  seen_ports = g_hash_table_new (NULL, NULL);
  held = g_ptr_array_new_with_free_func (g_object_unref);
  raw_server_start ();

  g_test_add_func ("/tools/HttpPool/echo", test_echo);
  g_test_add_func ("/tools/HttpPool/chunked", test_chunked);
  g_test_add_func ("/tools/HttpPool/no-content-and-head", test_no_content_and_head);
  g_test_add_func ("/tools/HttpPool/retry-after", test_retry_after);
  g_test_add_func ("/tools/HttpPool/connection-close", test_connection_close);
  g_test_add_func ("/tools/HttpPool/idle-close", test_idle_close);
  g_test_add_func ("/tools/HttpPool/large", test_large);
  g_test_add_func ("/tools/HttpPool/concurrent", test_concurrent);
  g_test_add_func ("/tools/HttpPool/cancel", test_cancel);
  g_test_add_func ("/tools/HttpPool/dispose-pending", test_dispose_pending);
  g_test_add_func ("/tools/HttpPool/timeout", test_timeout);
  g_test_add_func ("/tools/HttpPool/idle-timeout", test_idle_timeout);
  g_test_add_func ("/tools/HttpPool/refused", test_refused);
  g_test_add_func ("/tools/HttpPool/resolve", test_resolve);
  g_test_add_func ("/tools/HttpPool/invalid", test_invalid);
  g_test_add_func ("/tools/HttpPool/raw-answers", test_raw_answers);
  status = g_test_run ();

  raw_server_stop ();
  soup_server_disconnect (server);
  /* Let the server's connections wind down before checking for leaks. */
  run_for_ms (50);
  g_clear_object (&server);
  g_clear_pointer (&held, g_ptr_array_unref);
  g_clear_pointer (&seen_ports, g_hash_table_unref);
  g_clear_pointer (&seen_seq, g_array_unref);
  g_free (origin);
  return status;
}
