/* usdtpay-http-pool.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A lean HTTP/1.1 client for the load generator. libsoup's client side costs
 * about 200 µs of CPU a request (a SoupMessage, GTasks, signals and GIO
 * streams each time), and the simulator shares its two cores with the daemon
 * it measures. Here a request is one buffer written with one send() on a
 * non-blocking socket, an answer is parsed in place from the connection's
 * buffer, and each connection is a single GSource that lives as long as the
 * connection: nothing is allocated per request but the request itself, its
 * wire bytes and the answer's body.
 */

#define G_LOG_DOMAIN "usdtpay-http-pool"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usdtpay-error.h"
#include "usdtpay-http-pool.h"

#define READ_SIZE      16384
#define BUFFER_KEEP    (64 * 1024)   /* a larger buffer is dropped after its answer */
#define MAX_HEAD_SIZE  (64 * 1024)
#define MAX_LINE_SIZE  4096          /* chunk-size lines and trailer lines */

typedef struct _Connection  Connection;
typedef struct _Request     Request;
typedef struct _CancelWatch CancelWatch;

typedef enum
{
  CONN_CONNECTING,
  CONN_IDLE,
  CONN_BUSY,
  CONN_CLOSED,
} ConnState;

typedef enum
{
  PARSE_HEAD,
  PARSE_LENGTH,
  PARSE_CHUNK_SIZE,
  PARSE_CHUNK_DATA,
  PARSE_CHUNK_END,
  PARSE_TRAILER,
  PARSE_UNTIL_EOF,
} ParseState;

typedef enum
{
  PARSE_NEED_MORE,
  PARSE_COMPLETE,
  PARSE_FAILED,
} ParseResult;

struct _Request
{
  UsdtpayHttpPool         *pool;
  char                    *data;      /* the whole request on the wire */
  gsize                    length;
  gsize                    written;
  gboolean                 head;      /* HEAD: the answer has no body */
  gboolean                 resent;
  CancelWatch             *watch;
  UsdtpayHttpPoolCallback  callback;
  gpointer                 user_data;
  Connection              *conn;
  GError                  *error;     /* when completed later from failed_source */
  GList                    link;      /* in the pool's queue or failed list */
};

/* A connection is its own GSource (allocated by g_source_new), watching its
 * socket for as long as it is open. */
struct _Connection
{
  GSource          source;
  UsdtpayHttpPool *pool;
  gpointer         tag;
  int              fd;
  ConnState        state;
  guint            addr_index;
  guint            addr_tries;
  GIOCondition     events;
  Request         *req;
  guint64          n_done;           /* answers read on this connection */
  gint64           last_activity;
  GList            link;             /* in pool->connections */
  GList            idle_link;        /* in pool->idle */

  /* The answer being read */
  char            *buf;
  gsize            len;
  gsize            cap;
  gsize            pos;
  ParseState       parse;
  gboolean         got_bytes;
  guint            status;
  gboolean         keep_alive;
  gboolean         close_after;
  gboolean         chunked;
  gint64           content_length;   /* -1 when absent */
  guint64          remaining;
  gsize            trailer_size;
  GByteArray      *body;
  char            *retry_after;
};

/* One watch per cancellable in use, shared by every request that carries
 * it: the simulator passes one cancellable with every request, and one
 * GSource for all of them costs nothing per request. */
struct _CancelWatch
{
  UsdtpayHttpPool *pool;
  GCancellable    *cancellable;
  GSource         *source;
  guint            users;
};

typedef struct
{
  struct sockaddr_storage address;
  socklen_t               length;
} Address;

struct _UsdtpayHttpPool
{
  GObject       parent_instance;

  char         *origin;
  char         *host;
  char         *host_header;
  guint16       port;
  char         *user_agent;
  guint         max_connections;
  guint         timeout;
  guint         idle_timeout;
  guint64       max_body_size;

  GMainContext *context;
  GArray       *addresses;        /* Address; NULL until resolved */
  guint         preferred;        /* the address that last connected */
  GCancellable *resolving;

  GQueue        connections;      /* Connection by link: every open connection */
  GQueue        idle;             /* Connection by idle_link, most recent first */
  GQueue        queue;            /* Request waiting for a connection, FIFO */
  GQueue        failed;           /* Request to complete from failed_source */
  GSource      *failed_source;
  GSource      *timer;
  GPtrArray    *watches;          /* CancelWatch */
  guint         sending;          /* inside usdtpay_http_pool_send() */
  guint64       n_resends;
  gboolean      disposed;
};

static void usdtpay_http_pool_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (UsdtpayHttpPool, usdtpay_http_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      usdtpay_http_pool_initable_iface_init))

enum {
  PROP_0,
  PROP_ORIGIN,
  PROP_MAX_CONNECTIONS,
  PROP_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_BODY_SIZE,
  PROP_USER_AGENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pool_refill          (UsdtpayHttpPool *self);
static void pool_open_connection (UsdtpayHttpPool *self,
                                  Request         *req);
static void pool_ensure_timer    (UsdtpayHttpPool *self);
static void conn_start_request   (Connection      *conn,
                                  Request         *req);

/* Requests */

static void
watch_release (CancelWatch *watch)
{
  UsdtpayHttpPool *self = watch->pool;

  g_assert (watch->users > 0);
  if (--watch->users > 0)
    return;
  g_source_destroy (watch->source);
  g_source_unref (watch->source);
  g_object_unref (watch->cancellable);
  g_ptr_array_remove_fast (self->watches, watch);
  g_free (watch);
}

static void
request_free (Request *req)
{
  g_assert (req->watch == NULL);
  g_assert (req->conn == NULL);
  g_clear_error (&req->error);
  g_free (req->data);
  g_free (req);
}

static gboolean
failed_dispatch_cb (gpointer data)
{
  UsdtpayHttpPool *self = data;
  GList *link;

  g_object_ref (self);
  g_clear_pointer (&self->failed_source, g_source_unref);
  while ((link = g_queue_pop_head_link (&self->failed)) != NULL)
    {
      Request *req = link->data;

      req->callback (self, 0, NULL, NULL, req->error, req->user_data);
      request_free (req);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Calls the request's callback and frees it. The request is no longer in
 * the queue nor on a connection. An error found inside
 * usdtpay_http_pool_send() is reported from the main loop instead, so a
 * callback never runs inside the call that sent its request. */
static void
request_complete (Request    *req,
                  guint       status,
                  GBytes     *body,
                  const char *retry_after,
                  GError     *error)   /* owned */
{
  UsdtpayHttpPool *self = req->pool;

  g_assert (req->conn == NULL);
  if (req->watch != NULL)
    {
      watch_release (req->watch);
      req->watch = NULL;
    }
  if (error != NULL && self->sending > 0)
    {
      req->error = error;
      g_queue_push_tail_link (&self->failed, &req->link);
      if (self->failed_source == NULL)
        {
          self->failed_source = g_idle_source_new ();
          g_source_set_priority (self->failed_source, G_PRIORITY_DEFAULT);
          g_source_set_static_name (self->failed_source, "UsdtpayHttpPool failures");
          g_source_set_callback (self->failed_source, failed_dispatch_cb, self, NULL);
          g_source_attach (self->failed_source, self->context);
        }
      return;
    }
  req->callback (self, status, body, retry_after, error, req->user_data);
  g_clear_error (&error);
  request_free (req);
}

static GError *
socket_error (UsdtpayHttpPool *self,
              int              errsv)
{
  if (errsv == 0)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                        "%s closed the connection before the answer was complete",
                        self->origin);
  return g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", self->origin,
                      g_strerror (errsv));
}

/* Connections */

static void
conn_set_events (Connection   *conn,
                 GIOCondition  events)
{
  if (conn->events == events)
    return;
  conn->events = events;
  g_source_modify_unix_fd ((GSource *)conn, conn->tag, events);
}

static void
conn_reset_answer (Connection *conn)
{
  conn->parse = PARSE_HEAD;
  conn->got_bytes = FALSE;
  conn->status = 0;
  conn->keep_alive = TRUE;
  conn->close_after = FALSE;
  conn->chunked = FALSE;
  conn->content_length = -1;
  conn->remaining = 0;
  conn->trailer_size = 0;
  g_clear_pointer (&conn->body, g_byte_array_unref);
  g_clear_pointer (&conn->retry_after, g_free);
}

/* Takes the connection out of the pool and closes its socket; the memory
 * goes when the main context lets go of the source. The caller has taken
 * the connection's request, if it had one. */
static void
conn_close (Connection *conn)
{
  UsdtpayHttpPool *self = conn->pool;

  if (conn->state == CONN_CLOSED)
    return;
  if (conn->state == CONN_IDLE)
    g_queue_unlink (&self->idle, &conn->idle_link);
  g_queue_unlink (&self->connections, &conn->link);
  if (conn->req != NULL)
    {
      conn->req->conn = NULL;
      conn->req = NULL;
    }
  conn->state = CONN_CLOSED;
  g_source_destroy ((GSource *)conn);
  if (conn->fd >= 0)
    close (conn->fd);
  conn->fd = -1;
  conn_reset_answer (conn);
  g_source_unref ((GSource *)conn);
}

static Request *
conn_take_request (Connection *conn)
{
  Request *req = conn->req;

  if (req != NULL)
    {
      req->conn = NULL;
      conn->req = NULL;
    }
  return req;
}

/* The connection is free: it takes the oldest waiting request, or waits in
 * the idle list (watched, so a close by the server is noticed). */
static void
conn_set_idle (Connection *conn)
{
  UsdtpayHttpPool *self = conn->pool;
  GList *link = g_queue_pop_head_link (&self->queue);

  conn->last_activity = g_get_monotonic_time ();
  if (link != NULL)
    {
      conn_start_request (conn, link->data);
      return;
    }
  conn->state = CONN_IDLE;
  conn_set_events (conn, G_IO_IN);
  g_queue_push_head_link (&self->idle, &conn->idle_link);
}

/* The connection failed (@errsv, or 0 for an orderly close by the server)
 * while it held a request, or while it was idle. */
static void
conn_lost (Connection *conn,
           int         errsv)
{
  UsdtpayHttpPool *self = conn->pool;
  gboolean reused = conn->n_done > 0;
  gboolean got_bytes = conn->got_bytes;
  Request *req = conn_take_request (conn);

  conn_close (conn);
  if (req == NULL)
    return;

  /* A keep-alive connection the server closed while it was idle (the close
   * crossed our request on the wire) fails before any byte of the answer:
   * the request is sent once more on a fresh connection. That is safe for
   * what this pool is for: the simulator's POSTs carry an Idempotency-Key
   * (the platform answers a repeat with the first answer) or are state
   * transitions the same principal may repeat (a no-op answered 200), and
   * its other requests are GETs. A request that fails like this on a fresh
   * connection, or a second time, is reported. */
  if (reused && !got_bytes && !req->resent && (errsv == 0 || errsv == ECONNRESET || errsv == EPIPE))
    {
      req->resent = TRUE;
      self->n_resends++;
      pool_open_connection (self, req);
      pool_refill (self);
      return;
    }
  pool_refill (self);
  request_complete (req, 0, NULL, NULL, socket_error (self, errsv));
}

static void
conn_fail (Connection *conn,
           GError     *error)   /* owned */
{
  UsdtpayHttpPool *self = conn->pool;
  Request *req = conn_take_request (conn);

  conn_close (conn);
  pool_refill (self);
  if (req != NULL)
    request_complete (req, 0, NULL, NULL, error);
  else
    g_error_free (error);
}

static void
conn_write (Connection *conn)
{
  Request *req = conn->req;

  while (req->written < req->length)
    {
      gssize n = send (conn->fd, req->data + req->written, req->length - req->written,
                       MSG_NOSIGNAL);

      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          if (errsv == EAGAIN || errsv == EWOULDBLOCK)
            {
              conn_set_events (conn, G_IO_OUT);
              return;
            }
          conn_lost (conn, errsv);
          return;
        }
      req->written += n;
    }
  conn->last_activity = g_get_monotonic_time ();
  conn_set_events (conn, G_IO_IN);
}

static void
conn_start_request (Connection *conn,
                    Request    *req)
{
  conn->state = CONN_BUSY;
  conn->req = req;
  req->conn = conn;
  req->written = 0;
  conn_reset_answer (conn);
  conn_write (conn);
}

/* Parsing the answer */

static gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token (const char *text,
          gsize       length)
{
  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!is_tchar (text[i]))
      return FALSE;
  return TRUE;
}

static gboolean
equal_nocase (const char *text,
              gsize       length,
              const char *word)
{
  return strlen (word) == length && g_ascii_strncasecmp (text, word, length) == 0;
}

static GError *
protocol_error (UsdtpayHttpPool *self,
                const char      *what)
{
  return g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_PROTOCOL, "%s: malformed answer (%s)",
                      self->origin, what);
}

/* The end of the line at @p, before @end: *@next is after its LF, and the
 * returned pointer at its CR or LF. NULL when there is no LF yet. */
static const char *
line_end (const char  *p,
          const char  *end,
          const char **next)
{
  const char *lf = memchr (p, '\n', end - p);

  if (lf == NULL)
    return NULL;
  *next = lf + 1;
  return lf > p && lf[-1] == '\r' ? lf - 1 : lf;
}

/* Where the head (status line and headers) ends: the length up to and with
 * its empty line, or 0 when it is not all here yet. */
static gsize
head_length (const char *data,
             gsize       length)
{
  const char *p = data;
  const char *end = data + length;

  for (;;)
    {
      const char *next;
      const char *eol = line_end (p, end, &next);

      if (eol == NULL)
        return 0;
      if (eol == p && p != data)
        return next - data;
      p = next;
    }
}

static gboolean
parse_header (Connection  *conn,
              const char  *name,
              gsize        name_length,
              const char  *value,
              gsize        value_length,
              GError     **error)
{
  UsdtpayHttpPool *self = conn->pool;

  if (equal_nocase (name, name_length, "content-length"))
    {
      guint64 n = 0;

      if (value_length == 0 || value_length > 19)
        {
          *error = protocol_error (self, "bad Content-Length");
          return FALSE;
        }
      for (gsize i = 0; i < value_length; i++)
        {
          if (!g_ascii_isdigit (value[i]))
            {
              *error = protocol_error (self, "bad Content-Length");
              return FALSE;
            }
          n = n * 10 + (value[i] - '0');
        }
      if (conn->content_length >= 0 && (guint64)conn->content_length != n)
        {
          *error = protocol_error (self, "conflicting Content-Length headers");
          return FALSE;
        }
      conn->content_length = (gint64)n;
    }
  else if (equal_nocase (name, name_length, "transfer-encoding"))
    {
      const char *last = value;
      gsize last_length = value_length;
      const char *comma;

      /* The last coding must be chunked: no other coding is asked for. */
      while ((comma = memchr (last, ',', last_length)) != NULL)
        {
          last_length -= comma + 1 - last;
          last = comma + 1;
        }
      while (last_length > 0 && (*last == ' ' || *last == '\t'))
        last++, last_length--;
      while (last_length > 0 && (last[last_length - 1] == ' ' || last[last_length - 1] == '\t'))
        last_length--;
      if (!equal_nocase (last, last_length, "chunked"))
        {
          *error = protocol_error (self, "unsupported Transfer-Encoding");
          return FALSE;
        }
      conn->chunked = TRUE;
    }
  else if (equal_nocase (name, name_length, "connection"))
    {
      const char *p = value;
      const char *end = value + value_length;

      while (p < end)
        {
          const char *comma = memchr (p, ',', end - p);
          const char *stop = comma ? comma : end;
          const char *a = p;
          const char *b = stop;

          while (a < b && (*a == ' ' || *a == '\t'))
            a++;
          while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
          if (equal_nocase (a, b - a, "close"))
            conn->close_after = TRUE;
          else if (equal_nocase (a, b - a, "keep-alive"))
            conn->keep_alive = TRUE;
          p = stop + 1;
        }
    }
  else if (equal_nocase (name, name_length, "retry-after"))
    {
      g_free (conn->retry_after);
      conn->retry_after = g_strndup (value, value_length);
    }
  return TRUE;
}

static gboolean
parse_head (Connection  *conn,
            const char  *data,
            gsize        length,
            GError     **error)
{
  UsdtpayHttpPool *self = conn->pool;
  const char *end = data + length;
  const char *next = end;
  const char *eol = line_end (data, end, &next);
  const char *p;

  /* HTTP/1.x SSS reason */
  if (eol == NULL || eol - data < 12 || memcmp (data, "HTTP/1.", 7) != 0 || !g_ascii_isdigit (data[7])
      || data[8] != ' ' || !g_ascii_isdigit (data[9]) || !g_ascii_isdigit (data[10])
      || !g_ascii_isdigit (data[11]) || (eol - data > 12 && data[12] != ' ') || data[9] == '0')
    {
      *error = protocol_error (self, "bad status line");
      return FALSE;
    }
  conn->status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
  /* HTTP/1.0 closes unless it says keep-alive. */
  conn->keep_alive = data[7] != '0';

  for (p = next; p < end; p = next)
    {
      const char *colon;
      const char *value;
      const char *value_end;

      eol = line_end (p, end, &next);
      g_assert (eol != NULL);
      if (eol == p)
        break;  /* the empty line */
      if (*p == ' ' || *p == '\t')
        {
          *error = protocol_error (self, "folded header line");
          return FALSE;
        }
      colon = memchr (p, ':', eol - p);
      if (colon == NULL || !is_token (p, colon - p))
        {
          *error = protocol_error (self, "bad header line");
          return FALSE;
        }
      value = colon + 1;
      value_end = eol;
      while (value < value_end && (*value == ' ' || *value == '\t'))
        value++;
      while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
        value_end--;
      if (!parse_header (conn, p, colon - p, value, value_end - value, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
body_append (Connection  *conn,
             const char  *data,
             gsize        length,
             GError     **error)
{
  UsdtpayHttpPool *self = conn->pool;

  if ((guint64)conn->body->len + length > self->max_body_size)
    {
      *error = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE,
                            "%s: the answer's body is larger than %" G_GUINT64_FORMAT " bytes",
                            self->origin, self->max_body_size);
      return FALSE;
    }
  g_byte_array_append (conn->body, (const guint8 *)data, length);
  return TRUE;
}

/* Parses what the buffer holds of the answer; @eof when the server has
 * closed the connection after it. On PARSE_COMPLETE *@body is set. */
static ParseResult
conn_parse (Connection  *conn,
            gboolean     eof,
            GBytes     **body,
            GError     **error)
{
  UsdtpayHttpPool *self = conn->pool;

  for (;;)
    {
      const char *data = conn->buf + conn->pos;
      const char *end = conn->buf + conn->len;
      gsize avail = conn->len - conn->pos;

      switch (conn->parse)
        {
        case PARSE_HEAD:
          {
            gsize length = head_length (data, avail);

            if (length == 0)
              {
                if (avail > MAX_HEAD_SIZE)
                  *error = protocol_error (self, "header section too large");
                else if (eof)
                  *error = socket_error (self, 0);
                else
                  return PARSE_NEED_MORE;
                return PARSE_FAILED;
              }
            if (length > MAX_HEAD_SIZE)
              {
                *error = protocol_error (self, "header section too large");
                return PARSE_FAILED;
              }
            conn->chunked = FALSE;
            conn->content_length = -1;
            conn->close_after = FALSE;
            g_clear_pointer (&conn->retry_after, g_free);
            if (!parse_head (conn, data, length, error))
              return PARSE_FAILED;
            conn->pos += length;
            if (conn->status == 101)
              {
                *error = protocol_error (self, "a protocol switch nobody asked for");
                return PARSE_FAILED;
              }
            if (conn->status < 200)
              continue;  /* 100 Continue, 103 Early Hints: the answer follows */
            if (!conn->keep_alive)
              conn->close_after = TRUE;
            if (conn->req->head || conn->status == 204 || conn->status == 304)
              {
                *body = g_bytes_new (NULL, 0);
                return PARSE_COMPLETE;
              }
            if (conn->chunked)
              {
                /* Both framings: the chunks win, and the connection is not
                 * trusted for another request. */
                if (conn->content_length >= 0)
                  conn->close_after = TRUE;
                conn->body = g_byte_array_new ();
                conn->parse = PARSE_CHUNK_SIZE;
              }
            else if (conn->content_length >= 0)
              {
                if ((guint64)conn->content_length > self->max_body_size)
                  {
                    *error = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE,
                                          "%s: the answer's body (%" G_GINT64_FORMAT
                                          " bytes) is larger than %" G_GUINT64_FORMAT " bytes",
                                          self->origin, conn->content_length,
                                          self->max_body_size);
                    return PARSE_FAILED;
                  }
                conn->remaining = (guint64)conn->content_length;
                conn->parse = PARSE_LENGTH;
              }
            else
              {
                conn->close_after = TRUE;
                conn->body = g_byte_array_new ();
                conn->parse = PARSE_UNTIL_EOF;
              }
          }
          break;

        case PARSE_LENGTH:
          if (avail >= conn->remaining)
            {
              *body = g_bytes_new (data, conn->remaining);
              conn->pos += conn->remaining;
              return PARSE_COMPLETE;
            }
          if (eof)
            {
              *error = socket_error (self, 0);
              return PARSE_FAILED;
            }
          return PARSE_NEED_MORE;

        case PARSE_CHUNK_SIZE:
          {
            const char *next;
            const char *eol = line_end (data, end, &next);
            guint64 size = 0;
            const char *p;

            if (eol == NULL)
              {
                if (avail > MAX_LINE_SIZE)
                  *error = protocol_error (self, "chunk size line too long");
                else if (eof)
                  *error = socket_error (self, 0);
                else
                  return PARSE_NEED_MORE;
                return PARSE_FAILED;
              }
            for (p = data; p < eol && g_ascii_isxdigit (*p); p++)
              {
                if (size > self->max_body_size)
                  break;
                size = size * 16 + g_ascii_xdigit_value (*p);
              }
            if (p == data || (p < eol && *p != ';' && *p != ' ' && *p != '\t'))
              {
                if (size > self->max_body_size)
                  *error = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE,
                                        "%s: a chunk is larger than %" G_GUINT64_FORMAT " bytes",
                                        self->origin, self->max_body_size);
                else
                  *error = protocol_error (self, "bad chunk size");
                return PARSE_FAILED;
              }
            conn->pos += next - data;
            if (size == 0)
              {
                conn->parse = PARSE_TRAILER;
                break;
              }
            if ((guint64)conn->body->len + size > self->max_body_size)
              {
                *error = g_error_new (USDTPAY_ERROR, USDTPAY_ERROR_TOO_LARGE,
                                      "%s: the answer's body is larger than %" G_GUINT64_FORMAT
                                      " bytes", self->origin, self->max_body_size);
                return PARSE_FAILED;
              }
            conn->remaining = size;
            conn->parse = PARSE_CHUNK_DATA;
          }
          break;

        case PARSE_CHUNK_DATA:
          {
            gsize n = MIN (avail, conn->remaining);

            if (n == 0)
              {
                if (eof)
                  {
                    *error = socket_error (self, 0);
                    return PARSE_FAILED;
                  }
                return PARSE_NEED_MORE;
              }
            if (!body_append (conn, data, n, error))
              return PARSE_FAILED;
            conn->pos += n;
            conn->remaining -= n;
            if (conn->remaining == 0)
              conn->parse = PARSE_CHUNK_END;
          }
          break;

        case PARSE_CHUNK_END:
          if (avail >= 1 && data[0] == '\n')
            conn->pos += 1;
          else if (avail >= 2 && data[0] == '\r' && data[1] == '\n')
            conn->pos += 2;
          else if (avail >= 2 || (avail == 1 && data[0] != '\r'))
            {
              *error = protocol_error (self, "no line end after a chunk");
              return PARSE_FAILED;
            }
          else if (eof)
            {
              *error = socket_error (self, 0);
              return PARSE_FAILED;
            }
          else
            return PARSE_NEED_MORE;
          conn->parse = PARSE_CHUNK_SIZE;
          break;

        case PARSE_TRAILER:
          {
            const char *next;
            const char *eol = line_end (data, end, &next);

            if (eol == NULL)
              {
                if (avail > MAX_LINE_SIZE)
                  *error = protocol_error (self, "trailer line too long");
                else if (eof)
                  *error = socket_error (self, 0);
                else
                  return PARSE_NEED_MORE;
                return PARSE_FAILED;
              }
            conn->pos += next - data;
            if (eol == data)
              {
                *body = g_byte_array_free_to_bytes (g_steal_pointer (&conn->body));
                return PARSE_COMPLETE;
              }
            conn->trailer_size += next - data;
            if (conn->trailer_size > MAX_HEAD_SIZE)
              {
                *error = protocol_error (self, "trailer section too large");
                return PARSE_FAILED;
              }
          }
          break;

        case PARSE_UNTIL_EOF:
          if (avail > 0)
            {
              if (!body_append (conn, data, avail, error))
                return PARSE_FAILED;
              conn->pos += avail;
            }
          if (!eof)
            return PARSE_NEED_MORE;
          *body = g_byte_array_free_to_bytes (g_steal_pointer (&conn->body));
          return PARSE_COMPLETE;

        default:
          g_assert_not_reached ();
        }
    }
}

/* The answer is complete: the connection goes back to the pool (or is
 * closed), then the callback runs, last, as it may send again. */
static void
conn_complete (Connection *conn,
               GBytes     *body)   /* owned */
{
  UsdtpayHttpPool *self = conn->pool;
  Request *req = conn_take_request (conn);
  g_autofree char *retry_after = g_steal_pointer (&conn->retry_after);
  guint status = conn->status;
  /* Bytes after the answer were not asked for: do not read the next answer
   * from the middle of them. */
  gboolean keep = !conn->close_after && conn->pos == conn->len;

  conn->n_done++;
  conn->pos = conn->len = 0;
  if (conn->cap > BUFFER_KEEP)
    {
      g_clear_pointer (&conn->buf, g_free);
      conn->cap = 0;
    }
  conn_reset_answer (conn);
  if (keep)
    conn_set_idle (conn);
  else
    {
      conn_close (conn);
      pool_refill (self);
    }
  request_complete (req, status, body, retry_after, NULL);
  g_bytes_unref (body);
}

static void
conn_read (Connection *conn)
{
  UsdtpayHttpPool *self = conn->pool;
  g_autoptr(GError) error = NULL;
  GBytes *body = NULL;
  gboolean eof = FALSE;
  gsize want = READ_SIZE;
  gssize n;

  /* Room for the whole body when its length is known. */
  if (conn->parse == PARSE_LENGTH && conn->pos + conn->remaining > conn->len)
    want = MAX (want, conn->pos + conn->remaining - conn->len);
  if (conn->cap - conn->len < want)
    {
      if (conn->pos > 0)
        {
          memmove (conn->buf, conn->buf + conn->pos, conn->len - conn->pos);
          conn->len -= conn->pos;
          conn->pos = 0;
        }
      if (conn->cap - conn->len < want)
        {
          conn->cap = MAX (conn->len + want, conn->cap * 2);
          conn->buf = g_realloc (conn->buf, conn->cap);
        }
    }

  n = recv (conn->fd, conn->buf + conn->len, conn->cap - conn->len, 0);
  if (n < 0)
    {
      int errsv = errno;

      if (errsv == EAGAIN || errsv == EWOULDBLOCK || errsv == EINTR)
        return;
      if (conn->got_bytes)
        conn_fail (conn, socket_error (self, errsv));
      else
        conn_lost (conn, errsv);
      return;
    }
  conn->last_activity = g_get_monotonic_time ();
  if (n == 0)
    {
      if (!conn->got_bytes)
        {
          conn_lost (conn, 0);
          return;
        }
      eof = TRUE;
    }
  else
    {
      conn->got_bytes = TRUE;
      conn->len += n;
    }

  switch (conn_parse (conn, eof, &body, &error))
    {
    case PARSE_COMPLETE:
      conn_complete (conn, body);
      break;
    case PARSE_FAILED:
      conn_fail (conn, g_steal_pointer (&error));
      break;
    case PARSE_NEED_MORE:
    default:
      break;
    }
}

/* An idle connection became readable: the server closed it (or sent what
 * nobody asked for, which ends it too). */
static void
conn_idle_event (Connection *conn)
{
  char scratch[512];
  gssize n = recv (conn->fd, scratch, sizeof scratch, 0);

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  conn_close (conn);
}

static gboolean
conn_connect (Connection  *conn,
              GError     **error)
{
  UsdtpayHttpPool *self = conn->pool;
  const Address *address = &g_array_index (self->addresses, Address, conn->addr_index);
  int one = 1;
  int fd;

  fd = socket (address->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      *error = socket_error (self, errno);
      return FALSE;
    }
  /* The whole request goes out in one send(): nothing waits for an ACK. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (conn->tag != NULL)
    g_source_remove_unix_fd ((GSource *)conn, conn->tag);
  if (conn->fd >= 0)
    close (conn->fd);
  conn->fd = fd;
  conn->events = G_IO_OUT;
  conn->tag = g_source_add_unix_fd ((GSource *)conn, fd, G_IO_OUT);
  conn->last_activity = g_get_monotonic_time ();
  if (connect (fd, (const struct sockaddr *)&address->address, address->length) == 0
      || errno == EINPROGRESS)
    return TRUE;
  *error = socket_error (self, errno);
  return FALSE;
}

/* Connects to the next address that works; FALSE with @error when none
 * does at once. */
static gboolean
conn_connect_next (Connection  *conn,
                   GError     **error)
{
  UsdtpayHttpPool *self = conn->pool;

  while (conn->addr_tries < self->addresses->len)
    {
      g_autoptr(GError) local = NULL;

      conn->addr_index = (self->preferred + conn->addr_tries) % self->addresses->len;
      conn->addr_tries++;
      if (conn_connect (conn, &local))
        return TRUE;
      g_clear_error (error);
      *error = g_steal_pointer (&local);
    }
  return FALSE;
}

static void
conn_connect_failed (Connection *conn,
                     GError     *error)   /* owned */
{
  Request *req = conn_take_request (conn);

  conn_close (conn);
  if (req != NULL)
    request_complete (req, 0, NULL, NULL, error);
  else
    g_error_free (error);
}

static void
conn_connected (Connection *conn)
{
  UsdtpayHttpPool *self = conn->pool;
  g_autoptr(GError) error = NULL;
  int errsv = 0;
  socklen_t length = sizeof errsv;

  if (getsockopt (conn->fd, SOL_SOCKET, SO_ERROR, &errsv, &length) < 0)
    errsv = errno;
  if (errsv == EINPROGRESS || errsv == EALREADY)
    return;
  if (errsv != 0)
    {
      error = socket_error (self, errsv);
      if (!conn_connect_next (conn, &error))
        {
          conn_connect_failed (conn, g_steal_pointer (&error));
          pool_refill (self);
        }
      return;
    }
  self->preferred = conn->addr_index;
  if (conn->req != NULL)
    conn_start_request (conn, conn->req);
  else
    conn_set_idle (conn);
}

static gboolean
conn_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     data)
{
  Connection *conn = (Connection *)source;
  g_autoptr(UsdtpayHttpPool) self = g_object_ref (conn->pool);

  switch (conn->state)
    {
    case CONN_CONNECTING:
      conn_connected (conn);
      break;
    case CONN_BUSY:
      if (conn->req->written < conn->req->length)
        conn_write (conn);
      else
        conn_read (conn);
      break;
    case CONN_IDLE:
      conn_idle_event (conn);
      break;
    case CONN_CLOSED:
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static void
conn_finalize (GSource *source)
{
  Connection *conn = (Connection *)source;

  if (conn->fd >= 0)
    close (conn->fd);
  g_clear_pointer (&conn->buf, g_free);
  g_clear_pointer (&conn->body, g_byte_array_unref);
  g_clear_pointer (&conn->retry_after, g_free);
}

static GSourceFuncs conn_source_funcs = {
  NULL, NULL, conn_dispatch, conn_finalize, NULL, NULL,
};

/* Opens a connection for @req (the pool has room for it). */
static void
pool_open_connection (UsdtpayHttpPool *self,
                      Request         *req)
{
  Connection *conn = (Connection *)g_source_new (&conn_source_funcs, sizeof (Connection));
  g_autoptr(GError) error = NULL;

  g_assert (self->addresses != NULL && self->addresses->len > 0);
  g_source_set_static_name ((GSource *)conn, "UsdtpayHttpPool connection");
  /* GLib takes a source's descriptors out of the poll set while it is
   * dispatched unless it may recurse, and each removal and return wakes
   * the context through its eventfd: two write()s and a spurious loop turn
   * for every answer. The dispatch is safe to re-enter: the connection's
   * state is settled before a callback runs. */
  g_source_set_can_recurse ((GSource *)conn, TRUE);
  conn->pool = self;
  conn->fd = -1;
  conn->state = CONN_CONNECTING;
  conn->link.data = conn;
  conn->idle_link.data = conn;
  conn_reset_answer (conn);
  conn->req = req;
  req->conn = conn;
  g_queue_push_tail_link (&self->connections, &conn->link);
  g_source_attach ((GSource *)conn, self->context);
  pool_ensure_timer (self);
  if (!conn_connect_next (conn, &error))
    conn_connect_failed (conn, g_steal_pointer (&error));
}

/* Opens connections for waiting requests while there is room. */
static void
pool_refill (UsdtpayHttpPool *self)
{
  while (self->addresses != NULL && self->queue.length > 0
         && self->connections.length < self->max_connections)
    {
      GList *link = g_queue_pop_head_link (&self->queue);

      pool_open_connection (self, link->data);
    }
}

static void
pool_dispatch_request (UsdtpayHttpPool *self,
                       Request         *req)
{
  GList *link = g_queue_pop_head_link (&self->idle);

  if (link != NULL)
    conn_start_request (link->data, req);
  else if (self->addresses != NULL && self->connections.length < self->max_connections)
    pool_open_connection (self, req);
  else
    g_queue_push_tail_link (&self->queue, &req->link);
}

/* Host names are looked up once, the first time they are needed. */

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(UsdtpayHttpPool) self = data;
  g_autoptr(GError) error = NULL;
  GList *list = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  GQueue waiting = G_QUEUE_INIT;
  GList *link;

  g_clear_object (&self->resolving);
  if (self->disposed)
    {
      g_resolver_free_addresses (list);
      return;
    }
  if (list != NULL)
    {
      self->addresses = g_array_new (FALSE, TRUE, sizeof (Address));
      for (GList *l = list; l != NULL; l = l->next)
        {
          g_autoptr(GSocketAddress) address = g_inet_socket_address_new (l->data, self->port);
          Address native = { 0 };

          native.length = g_socket_address_get_native_size (address);
          if (g_socket_address_to_native (address, &native.address, sizeof native.address, NULL))
            g_array_append_val (self->addresses, native);
        }
      g_resolver_free_addresses (list);
      if (self->addresses->len > 0)
        {
          pool_refill (self);
          return;
        }
      g_clear_pointer (&self->addresses, g_array_unref);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s has no usable address",
                           self->host);
    }
  /* Every waiting request fails; the next one looks the name up again. */
  waiting = self->queue;
  g_queue_init (&self->queue);
  while ((link = g_queue_pop_head_link (&waiting)) != NULL)
    request_complete (link->data, 0, NULL, NULL, g_error_copy (error));
}

static void
pool_resolve (UsdtpayHttpPool *self)
{
  g_autoptr(GResolver) resolver = NULL;

  if (self->resolving != NULL)
    return;
  resolver = g_resolver_get_default ();
  self->resolving = g_cancellable_new ();
  g_main_context_push_thread_default (self->context);
  g_resolver_lookup_by_name_async (resolver, self->host, self->resolving, resolved_cb,
                                   g_object_ref (self));
  g_main_context_pop_thread_default (self->context);
}

/* Cancellation */

static void
pool_cancel (UsdtpayHttpPool *self,
             CancelWatch     *watch)
{
  GQueue cancelled = G_QUEUE_INIT;
  GList *link;
  GList *next;

  /* First take every request of this watch out of the pool, then report
   * them: the callbacks may send again. */
  for (link = self->queue.head; link != NULL; link = next)
    {
      Request *req = link->data;

      next = link->next;
      if (req->watch == watch)
        {
          g_queue_unlink (&self->queue, link);
          g_queue_push_tail_link (&cancelled, link);
        }
    }
  for (link = self->connections.head; link != NULL; link = next)
    {
      Connection *conn = link->data;
      Request *req = conn->req;

      next = link->next;
      if (req == NULL || req->watch != watch)
        continue;
      conn_take_request (conn);
      /* A connection still connecting serves the next request; one with
       * the answer on its way cannot be read any further. */
      if (conn->state == CONN_BUSY)
        conn_close (conn);
      g_queue_push_tail_link (&cancelled, &req->link);
    }
  pool_refill (self);
  while ((link = g_queue_pop_head_link (&cancelled)) != NULL)
    request_complete (link->data, 0, NULL, NULL,
                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "The request was cancelled"));
}

static gboolean
watch_cancelled_cb (GCancellable *cancellable,
                    gpointer      data)
{
  CancelWatch *watch = data;
  UsdtpayHttpPool *self = g_object_ref (watch->pool);

  /* The requests' completions release the watch, and the last frees it
   * (with its source): hold it until the end of this dispatch. */
  watch->users++;
  pool_cancel (self, watch);
  watch_release (watch);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static CancelWatch *
pool_watch (UsdtpayHttpPool *self,
            GCancellable    *cancellable)
{
  CancelWatch *watch;

  for (guint i = 0; i < self->watches->len; i++)
    {
      watch = g_ptr_array_index (self->watches, i);
      if (watch->cancellable == cancellable)
        {
          watch->users++;
          return watch;
        }
    }
  watch = g_new0 (CancelWatch, 1);
  watch->pool = self;
  watch->cancellable = g_object_ref (cancellable);
  watch->users = 1;
  watch->source = g_cancellable_source_new (cancellable);
  g_source_set_static_name (watch->source, "UsdtpayHttpPool cancellation");
  g_source_set_callback (watch->source, G_SOURCE_FUNC (watch_cancelled_cb), watch, NULL);
  g_source_attach (watch->source, self->context);
  g_ptr_array_add (self->watches, watch);
  return watch;
}

/* Timeouts */

static gboolean
timer_cb (gpointer data)
{
  UsdtpayHttpPool *self = g_object_ref (data);
  gint64 now = g_get_monotonic_time ();
  GQueue expired = G_QUEUE_INIT;
  GList *link;
  GList *next;

  for (link = self->connections.head; link != NULL; link = next)
    {
      Connection *conn = link->data;
      gint64 quiet = now - conn->last_activity;

      next = link->next;
      if (conn->state == CONN_IDLE)
        {
          if (self->idle_timeout > 0 && quiet >= (gint64)self->idle_timeout * G_USEC_PER_SEC)
            conn_close (conn);
        }
      else if (self->timeout > 0 && quiet >= (gint64)self->timeout * G_USEC_PER_SEC)
        {
          Request *req = conn_take_request (conn);

          conn_close (conn);
          if (req != NULL)
            g_queue_push_tail_link (&expired, &req->link);
        }
    }
  pool_refill (self);
  while ((link = g_queue_pop_head_link (&expired)) != NULL)
    request_complete (link->data, 0, NULL, NULL,
                      g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   "%s did not answer within %u s", self->origin, self->timeout));

  if (self->connections.length == 0 || (self->timeout == 0 && self->idle_timeout == 0))
    {
      g_clear_pointer (&self->timer, g_source_unref);
      g_object_unref (self);
      return G_SOURCE_REMOVE;
    }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
pool_ensure_timer (UsdtpayHttpPool *self)
{
  if (self->timer != NULL || (self->timeout == 0 && self->idle_timeout == 0)
      || self->connections.length == 0)
    return;
  self->timer = g_timeout_source_new_seconds (1);
  g_source_set_static_name (self->timer, "UsdtpayHttpPool timeouts");
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_attach (self->timer, self->context);
}

/* GObject */

static gboolean
usdtpay_http_pool_initable_init (GInitable     *initable,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  UsdtpayHttpPool *self = USDTPAY_HTTP_POOL (initable);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) literal = NULL;
  const char *path;
  int port;

  if (self->origin == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no origin");
      return FALSE;
    }
  uri = g_uri_parse (self->origin, G_URI_FLAGS_NONE, NULL);
  path = uri ? g_uri_get_path (uri) : NULL;
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
      || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL || (path[0] != '\0' && strcmp (path, "/") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s is not an http://host[:port] origin", self->origin);
      return FALSE;
    }
  port = g_uri_get_port (uri);
  self->port = port > 0 ? (guint16)port : 80;
  self->host = g_strdup (g_uri_get_host (uri));
  literal = g_inet_address_new_from_string (self->host);
  if (literal != NULL && g_inet_address_get_family (literal) == G_SOCKET_FAMILY_IPV6)
    self->host_header = port > 0 ? g_strdup_printf ("[%s]:%d", self->host, port)
                                 : g_strdup_printf ("[%s]", self->host);
  else
    self->host_header = port > 0 ? g_strdup_printf ("%s:%d", self->host, port)
                                 : g_strdup (self->host);
  if (literal != NULL)
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (literal, self->port);
      Address native = { 0 };

      native.length = g_socket_address_get_native_size (address);
      if (!g_socket_address_to_native (address, &native.address, sizeof native.address, error))
        return FALSE;
      self->addresses = g_array_new (FALSE, TRUE, sizeof (Address));
      g_array_append_val (self->addresses, native);
    }
  return TRUE;
}

static void
usdtpay_http_pool_initable_iface_init (GInitableIface *iface)
{
  iface->init = usdtpay_http_pool_initable_init;
}

static void
usdtpay_http_pool_dispose (GObject *object)
{
  UsdtpayHttpPool *self = USDTPAY_HTTP_POOL (object);
  GQueue pending = G_QUEUE_INIT;
  GList *link;

  self->disposed = TRUE;
  if (self->resolving != NULL)
    g_cancellable_cancel (self->resolving);

  /* Whatever is still pending is reported as cancelled. */
  while ((link = g_queue_pop_head_link (&self->queue)) != NULL)
    g_queue_push_tail_link (&pending, link);
  while ((link = g_queue_pop_head_link (&self->failed)) != NULL)
    g_queue_push_tail_link (&pending, link);
  while (self->connections.head != NULL)
    {
      Connection *conn = self->connections.head->data;
      Request *req = conn_take_request (conn);

      conn_close (conn);
      if (req != NULL)
        g_queue_push_tail_link (&pending, &req->link);
    }
  while ((link = g_queue_pop_head_link (&pending)) != NULL)
    {
      Request *req = link->data;
      GError *error = g_steal_pointer (&req->error);

      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                     "The HTTP pool was disposed");
      request_complete (req, 0, NULL, NULL, error);
    }
  if (self->failed_source != NULL)
    {
      g_source_destroy (self->failed_source);
      g_clear_pointer (&self->failed_source, g_source_unref);
    }
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }

  G_OBJECT_CLASS (usdtpay_http_pool_parent_class)->dispose (object);
}

static void
usdtpay_http_pool_finalize (GObject *object)
{
  UsdtpayHttpPool *self = USDTPAY_HTTP_POOL (object);

  g_assert (self->watches->len == 0);
  g_ptr_array_unref (self->watches);
  g_clear_object (&self->resolving);
  g_clear_pointer (&self->addresses, g_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->origin);
  g_free (self->host);
  g_free (self->host_header);
  g_free (self->user_agent);

  G_OBJECT_CLASS (usdtpay_http_pool_parent_class)->finalize (object);
}

static void
usdtpay_http_pool_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  UsdtpayHttpPool *self = USDTPAY_HTTP_POOL (object);

  switch (prop_id)
    {
    case PROP_ORIGIN:
      g_value_set_string (value, self->origin);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_MAX_BODY_SIZE:
      g_value_set_uint64 (value, self->max_body_size);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_http_pool_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  UsdtpayHttpPool *self = USDTPAY_HTTP_POOL (object);

  switch (prop_id)
    {
    case PROP_ORIGIN:
      self->origin = g_value_dup_string (value);
      break;
    case PROP_MAX_CONNECTIONS:
      usdtpay_http_pool_set_max_connections (self, g_value_get_uint (value));
      break;
    case PROP_TIMEOUT:
      usdtpay_http_pool_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_IDLE_TIMEOUT:
      usdtpay_http_pool_set_idle_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_BODY_SIZE:
      usdtpay_http_pool_set_max_body_size (self, g_value_get_uint64 (value));
      break;
    case PROP_USER_AGENT:
      usdtpay_http_pool_set_user_agent (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_http_pool_class_init (UsdtpayHttpPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_http_pool_dispose;
  object_class->finalize = usdtpay_http_pool_finalize;
  object_class->get_property = usdtpay_http_pool_get_property;
  object_class->set_property = usdtpay_http_pool_set_property;

  properties[PROP_ORIGIN] =
    g_param_spec_string ("origin", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 1, G_MAXUINT16, 8,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY
                       | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_BODY_SIZE] =
    g_param_spec_uint64 ("max-body-size", NULL, NULL, 0, G_MAXINT64,
                         USDTPAY_HTTP_POOL_DEFAULT_MAX_BODY_SIZE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY
                         | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
usdtpay_http_pool_init (UsdtpayHttpPool *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->watches = g_ptr_array_new ();
  self->max_connections = 8;
  self->max_body_size = USDTPAY_HTTP_POOL_DEFAULT_MAX_BODY_SIZE;
}

/* Public API */

UsdtpayHttpPool *
usdtpay_http_pool_new (const char  *origin,
                       guint        max_connections,
                       GError     **error)
{
  g_return_val_if_fail (origin != NULL, NULL);
  g_return_val_if_fail (max_connections > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (USDTPAY_TYPE_HTTP_POOL, NULL, error,
                         "origin", origin,
                         "max-connections", MIN (max_connections, G_MAXUINT16),
                         NULL);
}

const char *
usdtpay_http_pool_get_origin (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), NULL);

  return self->origin;
}

guint
usdtpay_http_pool_get_max_connections (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), 0);

  return self->max_connections;
}

void
usdtpay_http_pool_set_max_connections (UsdtpayHttpPool *self,
                                       guint            max_connections)
{
  g_return_if_fail (USDTPAY_IS_HTTP_POOL (self));
  g_return_if_fail (max_connections > 0);

  if (self->max_connections == max_connections)
    return;
  self->max_connections = max_connections;
  pool_refill (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONNECTIONS]);
}

guint
usdtpay_http_pool_get_timeout (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), 0);

  return self->timeout;
}

void
usdtpay_http_pool_set_timeout (UsdtpayHttpPool *self,
                               guint            seconds)
{
  g_return_if_fail (USDTPAY_IS_HTTP_POOL (self));

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  pool_ensure_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

guint
usdtpay_http_pool_get_idle_timeout (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), 0);

  return self->idle_timeout;
}

void
usdtpay_http_pool_set_idle_timeout (UsdtpayHttpPool *self,
                                    guint            seconds)
{
  g_return_if_fail (USDTPAY_IS_HTTP_POOL (self));

  if (self->idle_timeout == seconds)
    return;
  self->idle_timeout = seconds;
  pool_ensure_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_TIMEOUT]);
}

guint64
usdtpay_http_pool_get_max_body_size (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), 0);

  return self->max_body_size;
}

void
usdtpay_http_pool_set_max_body_size (UsdtpayHttpPool *self,
                                     guint64          size)
{
  g_return_if_fail (USDTPAY_IS_HTTP_POOL (self));

  if (self->max_body_size == size)
    return;
  self->max_body_size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BODY_SIZE]);
}

const char *
usdtpay_http_pool_get_user_agent (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), NULL);

  return self->user_agent;
}

void
usdtpay_http_pool_set_user_agent (UsdtpayHttpPool *self,
                                  const char      *user_agent)
{
  g_return_if_fail (USDTPAY_IS_HTTP_POOL (self));

  if (g_strcmp0 (self->user_agent, user_agent) == 0)
    return;
  g_free (self->user_agent);
  self->user_agent = g_strdup (user_agent);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_AGENT]);
}

guint
usdtpay_http_pool_get_n_connections (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), 0);

  return self->connections.length;
}

guint64
usdtpay_http_pool_get_n_resends (UsdtpayHttpPool *self)
{
  g_return_val_if_fail (USDTPAY_IS_HTTP_POOL (self), 0);

  return self->n_resends;
}

static gboolean
is_target (const char *path)
{
  if (path[0] != '/')
    return FALSE;
  for (const char *p = path; *p != '\0'; p++)
    if ((guchar)*p <= 0x20 || (guchar)*p == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
is_field_value (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\r' || *p == '\n')
      return FALSE;
  return TRUE;
}

static void
append_header (GString    *out,
               const char *name,
               const char *value)
{
  g_string_append (out, name);
  g_string_append_len (out, ": ", 2);
  g_string_append (out, value);
  g_string_append_len (out, "\r\n", 2);
}

void
usdtpay_http_pool_send (UsdtpayHttpPool         *self,
                        const char              *method,
                        const char              *path,
                        const char              *authorization,
                        const char              *idempotency_key,
                        const char * const      *headers,
                        GBytes                  *body,
                        GCancellable            *cancellable,
                        UsdtpayHttpPoolCallback  callback,
                        gpointer                 user_data)
{
  Request *req;
  gboolean valid;
  gsize body_length = body ? g_bytes_get_size (body) : 0;
  GString *out;

  g_return_if_fail (USDTPAY_IS_HTTP_POOL (self));
  g_return_if_fail (!self->disposed);
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (callback != NULL);

  req = g_new0 (Request, 1);
  req->pool = self;
  req->callback = callback;
  req->user_data = user_data;
  req->link.data = req;
  req->head = strcmp (method, "HEAD") == 0;

  valid = is_token (method, strlen (method)) && is_target (path)
          && (authorization == NULL || is_field_value (authorization))
          && (idempotency_key == NULL || is_field_value (idempotency_key));
  for (guint i = 0; valid && headers != NULL && headers[i] != NULL; i += 2)
    valid = headers[i + 1] != NULL && is_token (headers[i], strlen (headers[i]))
            && is_field_value (headers[i + 1]);

  self->sending++;
  if (!valid)
    {
      request_complete (req, 0, NULL, NULL,
                        g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                     "%s %s: not a valid HTTP request", method, path));
      self->sending--;
      return;
    }

  out = g_string_sized_new (256 + body_length);
  g_string_append (out, method);
  g_string_append_c (out, ' ');
  g_string_append (out, path);
  g_string_append_len (out, " HTTP/1.1\r\n", 11);
  append_header (out, "Host", self->host_header);
  if (self->user_agent != NULL)
    append_header (out, "User-Agent", self->user_agent);
  if (authorization != NULL)
    append_header (out, "Authorization", authorization);
  if (idempotency_key != NULL)
    append_header (out, "Idempotency-Key", idempotency_key);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    append_header (out, headers[i], headers[i + 1]);
  if (body != NULL)
    {
      g_string_append_len (out, "Content-Type: application/json\r\n", 32);
      g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\n", body_length);
    }
  else if (strcmp (method, "POST") == 0 || strcmp (method, "PUT") == 0
           || strcmp (method, "PATCH") == 0)
    g_string_append_len (out, "Content-Length: 0\r\n", 19);
  g_string_append_len (out, "\r\n", 2);
  if (body_length > 0)
    g_string_append_len (out, g_bytes_get_data (body, NULL), body_length);
  req->length = out->len;
  req->data = g_string_free (out, FALSE);

  if (cancellable != NULL)
    {
      req->watch = pool_watch (self, cancellable);
      if (g_cancellable_is_cancelled (cancellable))
        {
          request_complete (req, 0, NULL, NULL,
                            g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "The request was cancelled"));
          self->sending--;
          return;
        }
    }

  if (self->addresses == NULL)
    {
      g_queue_push_tail_link (&self->queue, &req->link);
      pool_resolve (self);
    }
  else
    pool_dispatch_request (self, req);
  self->sending--;
}
