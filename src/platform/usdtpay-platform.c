/* usdtpay-platform.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-platform"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib-unix.h>
#include <sodium.h>

#include "usdtpay-admin.h"
#include "usdtpay-auth.h"
#include "usdtpay-chain-book.h"
#include "usdtpay-chain-watcher.h"
#include "usdtpay-hot-wallet.h"
#include "usdtpay-withdrawals.h"
#include "usdtpay-engine.h"
#include "usdtpay-openapi.h"
#include "usdtpay-retention.h"
#include "usdtpay-server.h"
#include "usdtpay-sqlite-store.h"
#include "usdtpay-webhooks.h"

#define EXIT_USAGE 2

static const char usage_text[] =
  "Usage:\n"
  "  usdtpay-platform serve --db FILE --listen ADDR:PORT [--dev] [--tls-cert F --tls-key F]\n"
  "                         [--offer-seconds N] [--payment-minutes N] [--confirm-minutes N]\n"
  "                         [--rate-limit N] [--webhook-retry-base-ms N] [--webhook-retention DAYS]\n"
  "                         [--rpc URL --token ADDRESS --wallet-key FILE [--confirmations N]]\n"
  "  usdtpay-platform admin --db FILE [--dev] add-shop NAME\n"
  "  usdtpay-platform admin --db FILE [--dev] add-merchant USER --password-file F\n"
  "  usdtpay-platform admin --db FILE [--dev] add-support USER --password-file F\n"
  "  usdtpay-platform admin --db FILE [--dev] credit USER AMOUNT\n"
  "  usdtpay-platform admin --db FILE [--dev] add-key SHOP [--scopes S] | list-keys SHOP\n"
  "  usdtpay-platform admin --db FILE [--dev] rotate-key SHOP PREFIX | revoke-key SHOP PREFIX\n"
  "  usdtpay-platform admin --db FILE rotate-signing-key\n"
  "  usdtpay-platform admin --db FILE init-wallet FILE\n"
  "  usdtpay-platform check --db FILE\n"
  "\n"
  "Run a command with --help for its options.\n";

/* Held while serving or administering, so that two writers never share a
 * database: the engine's memory must be the only cache of it. */
static int
lock_database (const char  *db,
               GError     **error)
{
  g_autofree char *path = g_strconcat (db, ".lock", NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot open %s: %s", path,
                   g_strerror (errno));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "%s is in use by another usdtpay-platform; stop it first", db);
      close (fd);
      return -1;
    }

  return fd;
}

static UsdtpayStore *
open_store (const char  *db,
            gboolean     dev,
            GError     **error)
{
  if (db == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--db FILE is required");
      return NULL;
    }

  return USDTPAY_STORE (usdtpay_sqlite_store_open (db, dev, error));
}

static int
fail (const GError *error)
{
  g_printerr ("usdtpay-platform: %s\n", error->message);

  return error->domain == G_OPTION_ERROR ? EXIT_USAGE : EXIT_FAILURE;
}

/* serve */

typedef struct
{
  GMainLoop     *loop;
  UsdtpayServer *server;
  gboolean       stopping;
} Serve;

static gboolean
drained_cb (gpointer user_data)
{
  Serve *serve = user_data;

  g_main_loop_quit (serve->loop);

  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  Serve *serve = user_data;

  if (!serve->stopping)
    {
      serve->stopping = TRUE;
      g_message ("Stopping: finishing the requests in flight");
      usdtpay_server_shutdown (serve->server, drained_cb, serve);
    }

  return G_SOURCE_CONTINUE;
}

static int
command_serve (int    argc,
               char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  gboolean dev = FALSE;
  int offer_seconds = 300, payment_minutes = 15, confirm_minutes = 30, fee_bps = USDTPAY_DEFAULT_FEE_BPS;
  int webhook_retry_base_ms = 0, rate_limit = 0;
  int webhook_retention_days = USDTPAY_RETENTION_WEBHOOK_DAYS, retention_interval_ms = 0;
  UsdtpayRetentionConfig retention_config;
  UsdtpayWebhooksConfig webhooks_config;
  g_autofree char *rpc = NULL;
  g_autofree char *token = NULL;
  g_autofree char *wallet_key = NULL;
  int confirmations = USDTPAY_CHAIN_DEFAULT_CONFIRMATIONS;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The database file", "FILE" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address and port (default 127.0.0.1:8080)", "ADDR:PORT" },
    { "dev", 0, 0, G_OPTION_ARG_NONE, &dev, "Create a dev database (test clock, credits)", NULL },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Serve HTTPS with this certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "The certificate's private key", "FILE" },
    { "offer-seconds", 0, 0, G_OPTION_ARG_INT, &offer_seconds, "Expire an untaken order after N s (300)", "N" },
    { "payment-minutes", 0, 0, G_OPTION_ARG_INT, &payment_minutes, "The customer's payment deadline (15)", "N" },
    { "confirm-minutes", 0, 0, G_OPTION_ARG_INT, &confirm_minutes, "The merchant's confirm deadline (30)", "N" },
    { "fee-bps", 0, 0, G_OPTION_ARG_INT, &fee_bps, "Platform fee in basis points (30)", "N" },
    { "rate-limit", 0, 0, G_OPTION_ARG_INT, &rate_limit,
      "Requests per second per API key, session or customer token (off)", "N" },
    { "webhook-retry-base-ms", 0, 0, G_OPTION_ARG_INT, &webhook_retry_base_ms,
      "First webhook retry delay, dev databases only (30000)", "N" },
    { "webhook-retention", 0, 0, G_OPTION_ARG_INT, &webhook_retention_days,
      "Delete webhook deliveries DAYS days after they were delivered or given up, with their attempts (30)",
      "DAYS" },
    { "retention-interval-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &retention_interval_ms,
      "Run the retention pass this often and first, dev databases only (60000, first after 5000)", "N" },
    { "rpc", 0, 0, G_OPTION_ARG_STRING, &rpc, "The chain's JSON-RPC URL", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "The USDT token contract", "ADDRESS" },
    { "confirmations", 0, 0, G_OPTION_ARG_INT, &confirmations, "Credit deposits after N blocks (12)", "N" },
    { "wallet-key", 0, 0, G_OPTION_ARG_FILENAME, &wallet_key, "The hot wallet's key file (mode 0600)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- serve the UsdtPay API");
  g_autoptr(UsdtpayKey) hot_wallet = NULL;
  g_autoptr(UsdtpayRpcClient) rpc_client = NULL;
  g_autoptr(UsdtpayChainWatcher) watcher = NULL;
  g_autoptr(UsdtpayWithdrawals) withdrawals = NULL;
  UsdtpayAddress token_address;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(UsdtpayStore) store = NULL;
  g_autoptr(UsdtpayEngine) engine = NULL;
  g_autoptr(UsdtpayServer) server = NULL;
  g_autoptr(UsdtpayAdminService) admin = NULL;
  g_autoptr(UsdtpayRetention) retention = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;
  UsdtpayEngineConfig config;
  Serve serve = { 0 };
  int lock_fd;

  /* Every log line, the access log's included, goes to stderr: stdout
   * carries the `listening on` line only. */
  g_log_writer_default_set_use_stderr (TRUE);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);
  if (argc > 1)
    {
      g_printerr ("usdtpay-platform: unexpected argument %s\n", argv[1]);
      return EXIT_USAGE;
    }
  if ((tls_cert == NULL) != (tls_key == NULL))
    {
      g_printerr ("usdtpay-platform: --tls-cert and --tls-key go together\n");
      return EXIT_USAGE;
    }
  if (offer_seconds < 1 || payment_minutes < 1 || confirm_minutes < 1 || fee_bps < 0 || fee_bps > 10000)
    {
      g_printerr ("usdtpay-platform: deadlines must be positive and --fee-bps from 0 to 10000\n");
      return EXIT_USAGE;
    }
  if (tls_cert != NULL &&
      !(certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error)))
    return fail (error);
  if ((rpc != NULL || token != NULL || wallet_key != NULL) &&
      (rpc == NULL || token == NULL || wallet_key == NULL))
    {
      g_printerr ("usdtpay-platform: --rpc, --token and --wallet-key go together\n");
      return EXIT_USAGE;
    }
  if (confirmations < 1 || confirmations > 10000)
    {
      g_printerr ("usdtpay-platform: --confirmations must be from 1 to 10000\n");
      return EXIT_USAGE;
    }
  if (rpc != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (rpc, G_URI_FLAGS_NONE, NULL);

      if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                          g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
        {
          g_printerr ("usdtpay-platform: --rpc wants an http:// or https:// URL\n");
          return EXIT_USAGE;
        }
      if (!usdtpay_address_parse (&token_address, token, &error))
        {
          g_prefix_error (&error, "--token: ");
          return fail (error);
        }
      if (!(hot_wallet = usdtpay_hot_wallet_load (wallet_key, &error)))
        return fail (error);
    }

  if (db == NULL)
    {
      g_printerr ("usdtpay-platform: --db FILE is required\n");
      return EXIT_USAGE;
    }
  if ((lock_fd = lock_database (db, &error)) < 0)
    return fail (error);
  if (!(store = open_store (db, dev, &error)))
    return fail (error);

  config = (UsdtpayEngineConfig) {
    .offer_seconds = offer_seconds,
    .payment_minutes = payment_minutes,
    .confirm_minutes = confirm_minutes,
    .fee_bps = fee_bps,
    .session_seconds = G_GINT64_CONSTANT (7) * 24 * 3600,
  };
  if (!(engine = usdtpay_engine_new (store, &config, &error)))
    return fail (error);
  {
    g_autoptr(UsdtpayReceipts) receipts = usdtpay_receipts_open (db, usdtpay_engine_now (engine), &error);

    if (receipts == NULL)
      return fail (error);
    usdtpay_engine_set_receipts (engine, receipts);
  }
  if (hot_wallet != NULL)
    {
      if (!usdtpay_chain_book_configure (usdtpay_engine_get_chain_book (engine), rpc, &token_address,
                                         hot_wallet, confirmations, &error))
        {
          usdtpay_store_close (store);
          return fail (error);
        }
      rpc_client = usdtpay_rpc_client_new (rpc);
      usdtpay_rpc_client_set_timeout (rpc_client, 5);
      watcher = usdtpay_chain_watcher_new (engine, rpc_client);
      withdrawals = usdtpay_withdrawals_new (engine, rpc_client);
    }

  if (rate_limit < 0)
    {
      g_printerr ("usdtpay-platform: --rate-limit must not be negative\n");
      return EXIT_USAGE;
    }
  if (webhook_retry_base_ms < 0 || (webhook_retry_base_ms > 0 && !usdtpay_engine_is_dev (engine)))
    {
      g_printerr ("usdtpay-platform: --webhook-retry-base-ms is for dev databases only\n");
      return EXIT_USAGE;
    }
  if (webhook_retention_days < 1 || webhook_retention_days > USDTPAY_RETENTION_WEBHOOK_DAYS_MAX)
    {
      g_printerr ("usdtpay-platform: --webhook-retention must be from 1 to %d days\n",
                  USDTPAY_RETENTION_WEBHOOK_DAYS_MAX);
      return EXIT_USAGE;
    }
  if (retention_interval_ms < 0 || (retention_interval_ms > 0 && !usdtpay_engine_is_dev (engine)))
    {
      g_printerr ("usdtpay-platform: --retention-interval-ms is for dev databases only\n");
      return EXIT_USAGE;
    }
  usdtpay_retention_config_init (&retention_config, webhook_retention_days);
  if (retention_interval_ms > 0)
    retention_config.interval_ms = retention_config.first_ms = retention_interval_ms;
  webhooks_config = (UsdtpayWebhooksConfig) {
    .retry_base_ms = webhook_retry_base_ms > 0 ? (guint)webhook_retry_base_ms : USDTPAY_WEBHOOK_RETRY_BASE_MS,
    .max_attempts = USDTPAY_WEBHOOK_MAX_ATTEMPTS,
    .timeout_ms = USDTPAY_WEBHOOK_TIMEOUT_MS,
    .allow_private = usdtpay_engine_is_dev (engine),
  };

  if (!(admin = usdtpay_admin_service_new (engine, db, &error)))
    return fail (error);
  server = usdtpay_server_new (engine, certificate);
  usdtpay_server_set_rate_limit (server, rate_limit);
  if (!(base_url = usdtpay_server_listen (server, listen ? listen : "127.0.0.1:8080", &error)))
    return fail (error);

  loop = g_main_loop_new (NULL, FALSE);
  serve.loop = loop;
  serve.server = server;
  g_unix_signal_add (SIGTERM, signal_cb, &serve);
  g_unix_signal_add (SIGINT, signal_cb, &serve);

  if (watcher != NULL)
    {
      g_autofree char *escrow = usdtpay_key_dup_address_string (hot_wallet);

      g_message ("Following %s for token %s, escrow %s, %d confirmations", rpc, token, escrow, confirmations);
      usdtpay_chain_watcher_start (watcher);
      usdtpay_withdrawals_start (withdrawals);
    }
  g_message ("Serving %s on %s%s", db, base_url, usdtpay_engine_is_dev (engine) ? " (dev database)" : "");
  usdtpay_webhooks_start (usdtpay_engine_get_webhooks (engine), &webhooks_config);
  retention = usdtpay_retention_new (engine, &retention_config);
  usdtpay_retention_start (retention);

  g_print ("listening on %s\n", base_url);
  fflush (stdout);

  g_main_loop_run (loop);

  if (watcher != NULL)
    {
      usdtpay_chain_watcher_stop (watcher);
      usdtpay_withdrawals_stop (withdrawals);
    }
  usdtpay_retention_stop (retention);
  g_clear_object (&server);
  usdtpay_webhooks_stop (usdtpay_engine_get_webhooks (engine));
  g_clear_object (&admin);
  usdtpay_store_close (store);
  close (lock_fd);

  return EXIT_SUCCESS;
}

/* admin */

typedef struct
{
  GMainLoop *loop;
  GError    *error;
} Wait;

static void
committed_cb (const GError *error,
              gpointer      user_data)
{
  Wait *wait = user_data;

  if (error != NULL)
    wait->error = g_error_copy (error);
  g_main_loop_quit (wait->loop);
}

/* Makes @change durable before returning. */
static gboolean
commit_sync (UsdtpayEngine  *engine,
             UsdtpayChange  *change,
             GError        **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait wait = { loop, NULL };

  usdtpay_engine_commit (engine, change, committed_cb, &wait);
  g_main_loop_run (loop);
  if (wait.error != NULL)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }

  return TRUE;
}

static char *
read_password_file (const char  *path,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (path == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--password-file F is required");
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  if (length > 0 && contents[length - 1] == '\n')
    contents[--length] = '\0';
  if (length > 0 && contents[length - 1] == '\r')
    contents[--length] = '\0';
  if (length < 8 || strlen (contents) != length)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "the password must be at least 8 characters, without NUL bytes");
      return NULL;
    }

  return g_steal_pointer (&contents);
}

static int
command_admin (int    argc,
               char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *scopes = NULL;
  gboolean dev = FALSE;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The database file", "FILE" },
    { "dev", 0, 0, G_OPTION_ARG_NONE, &dev, "Create a dev database", NULL },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "Read the password from F", "F" },
    { "scopes", 0, 0, G_OPTION_ARG_STRING, &scopes, "Scopes of a new key, space separated", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("COMMAND ARGS - add-shop, add-merchant, add-support, credit, add-key, "
                          "list-keys, rotate-key, revoke-key");
  g_autoptr(UsdtpayStore) store = NULL;
  g_autoptr(UsdtpayEngine) engine = NULL;
  g_autoptr(UsdtpayChange) change = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *output = NULL;
  UsdtpayEngineConfig config = { 300, 15, 30, USDTPAY_DEFAULT_FEE_BPS, 3600 };
  const char * const *args;
  int lock_fd;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);
  if (argc < 2)
    {
      g_printerr ("%s", usage_text);
      return EXIT_USAGE;
    }
  if (db == NULL)
    {
      g_printerr ("usdtpay-platform: --db FILE is required\n");
      return EXIT_USAGE;
    }
  args = (const char * const *)argv + 1;

  /* The hot wallet's key is a file of its own, never in the database. */
  if (g_str_equal (args[0], "init-wallet"))
    {
      g_autoptr(UsdtpayKey) key = NULL;
      g_autofree char *address = NULL;

      if (args[1] == NULL || args[2] != NULL)
        {
          g_printerr ("usdtpay-platform: usage: admin --db FILE init-wallet FILE\n");
          return EXIT_USAGE;
        }
      if (!(key = usdtpay_hot_wallet_create (args[1], &error)))
        return fail (error);
      address = usdtpay_key_dup_address_string (key);
      g_print ("%s\n", address);
      return EXIT_SUCCESS;
    }

  /* The password is hashed here, so it never travels to the daemon. */
  if (g_str_equal (args[0], "add-merchant") || g_str_equal (args[0], "add-support"))
    {
      g_autofree char *password = read_password_file (password_file, &error);

      if (password == NULL)
        return fail (error);
      hash = usdtpay_password_hash (password, &error);
      sodium_memzero (password, strlen (password));
      if (hash == NULL)
        return fail (error);
    }

  /* The lock is held by a daemon (which has its admin socket open, or soon
   * will) or by another admin command, which we wait for. */
  for (guint attempt = 0; (lock_fd = lock_database (db, &error)) < 0; attempt++)
    {
      g_autofree char *socket_path = usdtpay_admin_socket_path (db);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
        return fail (error);
      if (g_file_test (socket_path, G_FILE_TEST_EXISTS) || attempt >= 600)
        break;
      g_clear_error (&error);
      g_usleep (50 * 1000);
    }
  if (lock_fd < 0)
    {
      /* A daemon serves this database: it applies the command itself. */
      g_clear_error (&error);
      if (!usdtpay_admin_remote (db, dev, args, hash, scopes, &output, &error))
        return fail (error);
    }
  else
    {
      if (!(store = open_store (db, dev, &error)) ||
          !(engine = usdtpay_engine_new (store, &config, &error)))
        return fail (error);
      if (g_str_equal (args[0], "rotate-signing-key"))
        {
          g_autoptr(UsdtpayReceipts) receipts = usdtpay_receipts_open (db, usdtpay_engine_now (engine), &error);

          if (receipts == NULL)
            {
              usdtpay_store_close (store);
              return fail (error);
            }
          usdtpay_engine_set_receipts (engine, receipts);
        }
      change = usdtpay_change_new ();
      if (!usdtpay_admin_apply (engine, args, hash, scopes, change, &output, &error) ||
          !commit_sync (engine, g_steal_pointer (&change), &error))
        {
          usdtpay_store_close (store);
          return fail (error);
        }
      usdtpay_store_close (store);
      close (lock_fd);
    }

  if (output != NULL && *output != '\0')
    g_print ("%s\n", output);
  if (output != NULL)
    sodium_memzero (output, strlen (output));

  return EXIT_SUCCESS;
}

/* check */

static int
command_check (int    argc,
               char **argv)
{
  g_autofree char *db = NULL;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The database file", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- recompute every balance and check the event log");
  g_autoptr(UsdtpayStore) store = NULL;
  g_autoptr(GString) report = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gboolean clean;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);
  if (db == NULL || !g_file_test (db, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("usdtpay-platform: --db FILE must name an existing database\n");
      return EXIT_USAGE;
    }
  if (!(store = open_store (db, FALSE, &error)))
    return fail (error);

  clean = usdtpay_store_check (store, report, &error);
  if (error != NULL)
    return fail (error);
  clean = usdtpay_receipts_check (db, report, &error) && clean;
  if (error != NULL)
    return fail (error);
  g_print ("%s%s\n", report->str, clean ? "clean" : "DISAGREEMENT: see above");

  return clean ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
main (int    argc,
      char **argv)
{
  const char *command = argc > 1 ? argv[1] : NULL;

  if (sodium_init () < 0)
    {
      g_printerr ("usdtpay-platform: libsodium could not start\n");
      return EXIT_FAILURE;
    }
  g_set_prgname ("usdtpay-platform");

  if (command == NULL || g_str_equal (command, "--help") || g_str_equal (command, "-h"))
    {
      g_print ("%s", usage_text);
      return command ? EXIT_SUCCESS : EXIT_USAGE;
    }
  if (g_str_equal (command, "--version"))
    {
      g_print ("usdtpay-platform %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  /* Each command parses the arguments after its name. */
  argv[1] = argv[0];
  if (g_str_equal (command, "serve"))
    return command_serve (argc - 1, argv + 1);
  /* Not in the usage: the route table, one "METHOD PATH" a line, for the
   * test that keeps the OpenAPI document true. */
  if (g_str_equal (command, "routes"))
    {
      guint n_routes;
      const UsdtpayRoute *routes = usdtpay_openapi_routes (&n_routes);

      for (guint i = 0; i < n_routes; i++)
        g_print ("%s %s\n", routes[i].method, routes[i].path);
      return EXIT_SUCCESS;
    }
  if (g_str_equal (command, "admin"))
    return command_admin (argc - 1, argv + 1);
  if (g_str_equal (command, "check"))
    return command_check (argc - 1, argv + 1);

  g_printerr ("usdtpay-platform: unknown command %s\n\n%s", command, usage_text);

  return EXIT_USAGE;
}
