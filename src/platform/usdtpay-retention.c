/* usdtpay-retention.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-retention"

#include "config.h"

#include <string.h>

#include "usdtpay-retention.h"
#include "usdtpay-webhooks.h"

/* Housekeeping: deletes what nothing needs past a horizon, as of the
 * engine's clock (so tests move the dev clock instead of waiting).
 *
 * - Idempotency answers older than 25 h. The server forgets a key after
 *   24 h; an hour's margin means a key it still knows always finds its
 *   answer in the store.
 * - Webhook deliveries finished (delivered or given up) more than
 *   --webhook-retention days ago, with their attempts. Pending deliveries
 *   stay whatever their age.
 * - Sessions that have expired (they can no longer authenticate anyone).
 *
 * Orders, the ledger, the event log, receipts and the chain's records are
 * never touched. Each pass deletes in chunks: one batch with one purge
 * operation, at most chunk_rows rows, through the store's writer like every
 * other write (so it is ordered with them and commits in their groups), the
 * next chunk only once the last one is durable and a short pause has
 * passed. The store finds the rows by index (migrations 5 and 6). Memory
 * forgets what a phase deleted once the phase is done, so the API shows
 * what a restart would load.
 */

typedef enum
{
  PHASE_IDEMPOTENCY,
  PHASE_DELIVERIES,
  PHASE_SESSIONS,
  N_PHASES
} Phase;

static const UsdtpayPurgeKind phase_kinds[N_PHASES] = {
  [PHASE_IDEMPOTENCY] = USDTPAY_PURGE_IDEMPOTENCY,
  [PHASE_DELIVERIES] = USDTPAY_PURGE_DELIVERIES,
  [PHASE_SESSIONS] = USDTPAY_PURGE_SESSIONS,
};

static const char * const phase_names[N_PHASES] = {
  [PHASE_IDEMPOTENCY] = "idempotency answers",
  [PHASE_DELIVERIES] = "webhook deliveries",
  [PHASE_SESSIONS] = "expired sessions",
};

struct _UsdtpayRetention
{
  GObject                 parent_instance;

  UsdtpayEngine          *engine;
  UsdtpayRetentionConfig  config;
  gboolean                running;
  guint                   timeout_id;

  /* The pass under way */
  Phase                   phase;
  gint64                  cutoff[N_PHASES];
  guint                   items[N_PHASES];
  guint                   rows[N_PHASES];
  guint                   chunks;
  gboolean                in_flight;
  UsdtpayPurgeResult      result;   /* written by the store's writer */
};

G_DEFINE_FINAL_TYPE (UsdtpayRetention, usdtpay_retention, G_TYPE_OBJECT)

static gboolean pass_cb (gpointer user_data);
static gboolean chunk_cb (gpointer user_data);

static void
schedule (UsdtpayRetention *self,
          guint             ms,
          GSourceFunc       func)
{
  g_assert (self->timeout_id == 0);

  self->timeout_id = g_timeout_add (ms, func, self);
}

static void
pass_end (UsdtpayRetention *self)
{
  if (self->rows[PHASE_IDEMPOTENCY] + self->rows[PHASE_DELIVERIES] + self->rows[PHASE_SESSIONS] > 0)
    g_info ("Deleted %u idempotency answers, %u finished webhook deliveries "
            "(%u rows with their attempts) and %u expired sessions in %u batches",
            self->items[PHASE_IDEMPOTENCY], self->items[PHASE_DELIVERIES],
            self->rows[PHASE_DELIVERIES], self->items[PHASE_SESSIONS], self->chunks);
  g_debug ("Retention pass done: %u idempotency rows, %u webhook rows, %u session rows, %u batches",
           self->rows[PHASE_IDEMPOTENCY], self->rows[PHASE_DELIVERIES], self->rows[PHASE_SESSIONS],
           self->chunks);

  schedule (self, self->config.interval_ms, pass_cb);
}

static void
chunk_done_cb (const GError *error,
               gpointer      user_data)
{
  g_autoptr(UsdtpayRetention) self = user_data;
  const UsdtpayPurgeResult *result = &self->result;
  Phase phase = self->phase;

  self->in_flight = FALSE;
  if (!self->running)
    return;

  if (error != NULL)
    {
      /* The store refuses every later write now: nothing more to do. */
      g_warning ("Could not delete old %s: %s", phase_names[phase], error->message);
      return;
    }

  self->chunks++;
  self->items[phase] += result->items;
  self->rows[phase] += result->rows;
  g_debug ("Purged %u %s (%u rows) in %.2f ms%s", result->items, phase_names[phase], result->rows,
           result->usec / 1000.0, result->more ? ", more to go" : "");

  if (result->more)
    {
      schedule (self, self->config.chunk_pause_ms, chunk_cb);
      return;
    }

  /* Memory follows the store. */
  if (phase == PHASE_DELIVERIES)
    usdtpay_webhooks_forget_finished (usdtpay_engine_get_webhooks (self->engine),
                                      self->cutoff[PHASE_DELIVERIES]);
  else if (phase == PHASE_SESSIONS)
    usdtpay_engine_forget_expired_sessions (self->engine, self->cutoff[PHASE_SESSIONS]);

  if (phase == N_PHASES - 1)
    {
      pass_end (self);
      return;
    }

  self->phase++;
  schedule (self, result->rows > 0 ? self->config.chunk_pause_ms : 0, chunk_cb);
}

static gboolean
chunk_cb (gpointer user_data)
{
  UsdtpayRetention *self = user_data;
  UsdtpayBatch *batch = usdtpay_batch_new ();

  self->timeout_id = 0;
  g_assert (!self->in_flight);

  self->in_flight = TRUE;
  usdtpay_batch_purge (batch, phase_kinds[self->phase], self->cutoff[self->phase], self->config.chunk_rows,
                       &self->result);
  usdtpay_store_submit (usdtpay_engine_get_store (self->engine), batch, chunk_done_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

static gboolean
pass_cb (gpointer user_data)
{
  UsdtpayRetention *self = user_data;
  gint64 now = usdtpay_engine_now (self->engine);

  self->timeout_id = 0;

  /* One cutoff for the whole pass, however many chunks it takes. */
  self->phase = PHASE_IDEMPOTENCY;
  self->cutoff[PHASE_IDEMPOTENCY] = now - self->config.idempotency_keep_usec;
  self->cutoff[PHASE_DELIVERIES] = now - self->config.webhook_keep_usec;
  self->cutoff[PHASE_SESSIONS] = now;
  memset (self->items, 0, sizeof self->items);
  memset (self->rows, 0, sizeof self->rows);
  self->chunks = 0;

  return chunk_cb (self);
}

void
usdtpay_retention_config_init (UsdtpayRetentionConfig *config,
                               guint                   webhook_days)
{
  g_return_if_fail (config != NULL);
  g_return_if_fail (webhook_days > 0);

  *config = (UsdtpayRetentionConfig) {
    .idempotency_keep_usec = G_GINT64_CONSTANT (3600) * USDTPAY_RETENTION_IDEMPOTENCY_HOURS * G_USEC_PER_SEC,
    .webhook_keep_usec = G_GINT64_CONSTANT (86400) * webhook_days * G_USEC_PER_SEC,
    .interval_ms = USDTPAY_RETENTION_INTERVAL_MS,
    .first_ms = USDTPAY_RETENTION_FIRST_MS,
    .chunk_rows = USDTPAY_RETENTION_CHUNK_ROWS,
    .chunk_pause_ms = USDTPAY_RETENTION_CHUNK_PAUSE_MS,
  };
}

UsdtpayRetention *
usdtpay_retention_new (UsdtpayEngine                *engine,
                       const UsdtpayRetentionConfig *config)
{
  UsdtpayRetention *self;

  g_return_val_if_fail (USDTPAY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->chunk_rows > 0, NULL);
  g_return_val_if_fail (config->idempotency_keep_usec > 0 && config->webhook_keep_usec > 0, NULL);

  self = g_object_new (USDTPAY_TYPE_RETENTION, NULL);
  self->engine = g_object_ref (engine);
  self->config = *config;

  return self;
}

void
usdtpay_retention_start (UsdtpayRetention *self)
{
  g_return_if_fail (USDTPAY_IS_RETENTION (self));
  g_return_if_fail (!self->running);

  self->running = TRUE;
  schedule (self, self->config.first_ms, pass_cb);
}

void
usdtpay_retention_stop (UsdtpayRetention *self)
{
  g_return_if_fail (USDTPAY_IS_RETENTION (self));

  self->running = FALSE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
}

static void
usdtpay_retention_dispose (GObject *object)
{
  UsdtpayRetention *self = (UsdtpayRetention *)object;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (usdtpay_retention_parent_class)->dispose (object);
}

static void
usdtpay_retention_class_init (UsdtpayRetentionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = usdtpay_retention_dispose;
}

static void
usdtpay_retention_init (UsdtpayRetention *self)
{
}
