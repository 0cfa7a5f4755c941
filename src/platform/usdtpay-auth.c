/* usdtpay-auth.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-auth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-auth.h"
#include "usdtpay-error.h"

#define FREE_FAILURES   5
#define MAX_LOCK_USEC   (G_GINT64_CONSTANT (15) * 60 * G_USEC_PER_SEC)
#define FORGET_USEC     (G_GINT64_CONSTANT (60) * 60 * G_USEC_PER_SEC)

char *
usdtpay_password_hash (const char  *password,
                       GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (sodium_init () < 0 ||
      crypto_pwhash_str_alg (hash, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INTERNAL, "out of memory hashing a password");
      return NULL;
    }

  return g_strdup (hash);
}

typedef struct
{
  char *hash;
  char *password;
} Verify;

static void
verify_free (gpointer data)
{
  Verify *verify = data;

  g_free (verify->hash);
  if (verify->password != NULL)
    {
      sodium_memzero (verify->password, strlen (verify->password));
      g_free (verify->password);
    }
  g_free (verify);
}

static void
verify_worker (gpointer data,
               gpointer user_data)
{
  GTask *task = data;
  Verify *verify = g_task_get_task_data (task);

  /* An empty stored hash (a shop) never verifies. */
  g_task_return_boolean (task, verify->hash != NULL &&
                               crypto_pwhash_str_verify (verify->hash, verify->password,
                                                         strlen (verify->password)) == 0);
  g_object_unref (task);
}

static GThreadPool *
verify_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    {
      /* Each argon2id verification takes 64 MiB for its time: one at a
       * time bounds the daemon's memory, and a login still takes well under
       * a tenth of a second unless many arrive at once. */
      GThreadPool *created = g_thread_pool_new (verify_worker, NULL, 1, FALSE, NULL);
      g_once_init_leave (&pool, created);
    }

  return pool;
}

void
usdtpay_password_verify_async (const char          *hash,
                               const char          *password,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Verify *verify = g_new0 (Verify, 1);

  verify->hash = g_strdup (hash);
  verify->password = g_strdup (password);
  g_task_set_source_tag (task, usdtpay_password_verify_async);
  g_task_set_task_data (task, verify, verify_free);
  g_thread_pool_push (verify_pool (), task, NULL);
}

gboolean
usdtpay_password_verify_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  guint  failures;
  gint64 locked_until;
  gint64 last_failure;
} Entry;

struct _UsdtpayThrottle
{
  GObject     parent_instance;
  GHashTable *entries;
};

G_DEFINE_FINAL_TYPE (UsdtpayThrottle, usdtpay_throttle, G_TYPE_OBJECT)

static void
usdtpay_throttle_finalize (GObject *object)
{
  UsdtpayThrottle *self = (UsdtpayThrottle *)object;

  g_clear_pointer (&self->entries, g_hash_table_unref);

  G_OBJECT_CLASS (usdtpay_throttle_parent_class)->finalize (object);
}

static void
usdtpay_throttle_class_init (UsdtpayThrottleClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = usdtpay_throttle_finalize;
}

static void
usdtpay_throttle_init (UsdtpayThrottle *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

UsdtpayThrottle *
usdtpay_throttle_new (void)
{
  return g_object_new (USDTPAY_TYPE_THROTTLE, NULL);
}

gboolean
usdtpay_throttle_allow (UsdtpayThrottle *self,
                        const char      *key,
                        gint64           now,
                        guint           *retry_after)
{
  Entry *entry = g_hash_table_lookup (self->entries, key);

  *retry_after = 0;
  if (entry == NULL || entry->locked_until <= now)
    return TRUE;

  *retry_after = (guint)((entry->locked_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

  return FALSE;
}

void
usdtpay_throttle_failed (UsdtpayThrottle *self,
                         const char      *key,
                         gint64           now)
{
  Entry *entry = g_hash_table_lookup (self->entries, key);

  if (entry == NULL || now - entry->last_failure > FORGET_USEC)
    {
      if (entry == NULL)
        {
          entry = g_new0 (Entry, 1);
          g_hash_table_insert (self->entries, g_strdup (key), entry);
        }
      entry->failures = 0;
      entry->locked_until = 0;
    }

  entry->failures++;
  entry->last_failure = now;
  if (entry->failures >= FREE_FAILURES)
    {
      guint doublings = MIN (entry->failures - FREE_FAILURES, 20);
      gint64 wait = MIN ((gint64)G_USEC_PER_SEC << doublings, MAX_LOCK_USEC);

      entry->locked_until = now + wait;
    }
}

void
usdtpay_throttle_reset (UsdtpayThrottle *self,
                        const char      *key)
{
  g_hash_table_remove (self->entries, key);
}

void
usdtpay_throttle_prune (UsdtpayThrottle *self,
                        gint64           now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (entry->locked_until <= now && now - entry->last_failure > FORGET_USEC)
        g_hash_table_iter_remove (&iter);
    }
}
