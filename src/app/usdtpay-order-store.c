/* usdtpay-order-store.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-order-store"

#include "config.h"

#include "usdtpay-order-store.h"

#define HISTORY_MAX 500

struct _UsdtpayOrderStore
{
  GObject     parent_instance;

  char       *merchant;
  GListStore *sections[USDTPAY_N_SECTIONS];
  GListStore *history;
  GHashTable *objects;    /* id → UsdtpayOrderObject in a section */
  GHashTable *closed;     /* id → UsdtpayOrderObject in the history */
  GHashTable *versions;   /* id → gint64 *, every order seen */
};

G_DEFINE_FINAL_TYPE (UsdtpayOrderStore, usdtpay_order_store, G_TYPE_OBJECT)

enum {
  ORDER_ARRIVED,
  ORDER_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gint64
sort_key (const UsdtpayOrder *order)
{
  switch (order->state)
    {
    case USDTPAY_ORDER_PAID:
      return order->confirm_deadline;
    case USDTPAY_ORDER_MATCHED:
      return order->payment_deadline;
    case USDTPAY_ORDER_PENDING:
    case USDTPAY_ORDER_COMPLETED:
    case USDTPAY_ORDER_CANCELLED:
    case USDTPAY_ORDER_EXPIRED:
    case USDTPAY_ORDER_DISPUTED:
    case USDTPAY_N_ORDER_STATES:
    default:
      return order->created_at;
    }
}

/* Most urgent first; ties by creation, then id, so the order is total. */
static int
compare_objects (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  UsdtpayOrder *oa = usdtpay_order_object_get_order ((UsdtpayOrderObject *)a);
  UsdtpayOrder *ob = usdtpay_order_object_get_order ((UsdtpayOrderObject *)b);
  gint64 ka = sort_key (oa);
  gint64 kb = sort_key (ob);

  if (ka != kb)
    return ka < kb ? -1 : 1;
  if (oa->created_at != ob->created_at)
    return oa->created_at < ob->created_at ? -1 : 1;

  return g_strcmp0 (oa->id, ob->id);
}

static void
usdtpay_order_store_finalize (GObject *object)
{
  UsdtpayOrderStore *self = (UsdtpayOrderStore *)object;

  for (guint i = 0; i < USDTPAY_N_SECTIONS; i++)
    g_clear_object (&self->sections[i]);
  g_clear_object (&self->history);
  g_clear_pointer (&self->objects, g_hash_table_unref);
  g_clear_pointer (&self->closed, g_hash_table_unref);
  g_clear_pointer (&self->versions, g_hash_table_unref);
  g_clear_pointer (&self->merchant, g_free);

  G_OBJECT_CLASS (usdtpay_order_store_parent_class)->finalize (object);
}

static void
usdtpay_order_store_class_init (UsdtpayOrderStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = usdtpay_order_store_finalize;

  signals[ORDER_ARRIVED] =
    g_signal_new ("order-arrived", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  USDTPAY_TYPE_ORDER_OBJECT, G_TYPE_UINT);
  signals[ORDER_CLOSED] =
    g_signal_new ("order-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, USDTPAY_TYPE_ORDER_OBJECT);
}

static void
usdtpay_order_store_init (UsdtpayOrderStore *self)
{
  for (guint i = 0; i < USDTPAY_N_SECTIONS; i++)
    self->sections[i] = g_list_store_new (USDTPAY_TYPE_ORDER_OBJECT);
  self->history = g_list_store_new (USDTPAY_TYPE_ORDER_OBJECT);
  self->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->closed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

UsdtpayOrderStore *
usdtpay_order_store_new (void)
{
  return g_object_new (USDTPAY_TYPE_ORDER_STORE, NULL);
}

void
usdtpay_order_store_set_merchant (UsdtpayOrderStore *self,
                                  const char        *merchant)
{
  g_return_if_fail (USDTPAY_IS_ORDER_STORE (self));

  g_free (self->merchant);
  self->merchant = g_strdup (merchant);
}

const char *
usdtpay_order_store_get_merchant (UsdtpayOrderStore *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_STORE (self), NULL);

  return self->merchant;
}

GListModel *
usdtpay_order_store_get_section (UsdtpayOrderStore *self,
                                 UsdtpaySection     section)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_STORE (self), NULL);
  g_return_val_if_fail (section < USDTPAY_N_SECTIONS, NULL);

  return G_LIST_MODEL (self->sections[section]);
}

GListModel *
usdtpay_order_store_get_history (UsdtpayOrderStore *self)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_STORE (self), NULL);

  return G_LIST_MODEL (self->history);
}

UsdtpayOrderObject *
usdtpay_order_store_lookup (UsdtpayOrderStore *self,
                            const char        *id)
{
  g_return_val_if_fail (USDTPAY_IS_ORDER_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return g_hash_table_lookup (self->objects, id);
}

UsdtpaySection
usdtpay_order_store_section_for (UsdtpayOrderStore  *self,
                                 const UsdtpayOrder *order)
{
  gboolean mine;

  g_return_val_if_fail (USDTPAY_IS_ORDER_STORE (self), USDTPAY_SECTION_NONE);
  g_return_val_if_fail (order != NULL, USDTPAY_SECTION_NONE);

  mine = order->merchant != NULL && self->merchant != NULL &&
         g_strcmp0 (order->merchant, self->merchant) == 0;

  switch (order->state)
    {
    case USDTPAY_ORDER_PENDING:
      /* A merchant sees a pending order only when it is offered to it. */
      return USDTPAY_SECTION_OFFERS;
    case USDTPAY_ORDER_MATCHED:
      return mine ? USDTPAY_SECTION_AWAITING : USDTPAY_SECTION_NONE;
    case USDTPAY_ORDER_PAID:
      return mine ? USDTPAY_SECTION_CONFIRM : USDTPAY_SECTION_NONE;
    case USDTPAY_ORDER_COMPLETED:
    case USDTPAY_ORDER_CANCELLED:
    case USDTPAY_ORDER_EXPIRED:
    case USDTPAY_ORDER_DISPUTED:
    case USDTPAY_N_ORDER_STATES:
    default:
      return USDTPAY_SECTION_NONE;
    }
}

/* Removes @object from its section's list at its exact position. */
static void
take_out (UsdtpayOrderStore  *self,
          UsdtpayOrderObject *object)
{
  UsdtpaySection section = usdtpay_order_object_get_section (object);
  guint position;

  g_assert (USDTPAY_IS_ORDER_STORE (self));

  if (section < USDTPAY_N_SECTIONS &&
      g_list_store_find (self->sections[section], object, &position))
    g_list_store_remove (self->sections[section], position);

  usdtpay_order_object_set_section (object, USDTPAY_SECTION_NONE);
}

static void
add_to_history (UsdtpayOrderStore  *self,
                UsdtpayOrderObject *object)
{
  guint n;

  g_assert (USDTPAY_IS_ORDER_STORE (self));

  g_list_store_insert (self->history, 0, object);
  g_hash_table_replace (self->closed, g_strdup (usdtpay_order_object_get_id (object)), g_object_ref (object));
  n = g_list_model_get_n_items (G_LIST_MODEL (self->history));
  if (n > HISTORY_MAX)
    {
      g_autoptr(UsdtpayOrderObject) oldest = g_list_model_get_item (G_LIST_MODEL (self->history), n - 1);

      g_hash_table_remove (self->closed, usdtpay_order_object_get_id (oldest));
      g_list_store_remove (self->history, n - 1);
    }

  g_signal_emit (self, signals[ORDER_CLOSED], 0, object);
}

UsdtpayApplyResult
usdtpay_order_store_apply (UsdtpayOrderStore *self,
                           UsdtpayOrder      *order,
                           gboolean           from_feed)
{
  UsdtpayOrderObject *object;
  UsdtpaySection old_section = USDTPAY_SECTION_NONE;
  UsdtpaySection new_section;
  gint64 *held;

  g_return_val_if_fail (USDTPAY_IS_ORDER_STORE (self), USDTPAY_APPLY_IGNORED);
  g_return_val_if_fail (order != NULL && order->id != NULL, USDTPAY_APPLY_IGNORED);

  held = g_hash_table_lookup (self->versions, order->id);
  if (held != NULL)
    {
      if (order->version <= *held)
        return USDTPAY_APPLY_IGNORED;
      if (from_feed && order->version > *held + 1)
        return USDTPAY_APPLY_NEEDS_REFETCH;
      *held = order->version;
    }
  else
    {
      held = g_new (gint64, 1);
      *held = order->version;
      g_hash_table_insert (self->versions, g_strdup (order->id), held);
    }

  new_section = usdtpay_order_store_section_for (self, order);
  object = g_hash_table_lookup (self->objects, order->id);

  /* A closed order that changes again (a dispute resolved) changes in its
   * History row; one that opens again leaves History. */
  if (object == NULL && (object = g_hash_table_lookup (self->closed, order->id)) != NULL)
    {
      guint position;

      if (new_section == USDTPAY_SECTION_NONE)
        {
          usdtpay_order_object_set_order (object, order);
          g_signal_emit (self, signals[ORDER_CLOSED], 0, object);
          return USDTPAY_APPLY_APPLIED;
        }

      g_object_ref (object);
      if (g_list_store_find (self->history, object, &position))
        g_list_store_remove (self->history, position);
      g_hash_table_remove (self->closed, order->id);
      usdtpay_order_object_set_order (object, order);
      usdtpay_order_object_set_section (object, new_section);
      usdtpay_order_object_set_seen (object, FALSE);
      g_list_store_insert_sorted (self->sections[new_section], object, compare_objects, NULL);
      g_hash_table_insert (self->objects, g_strdup (order->id), g_object_ref (object));
      g_signal_emit (self, signals[ORDER_ARRIVED], 0, object, (guint)new_section);
      g_object_unref (object);
      return USDTPAY_APPLY_APPLIED;
    }

  if (object != NULL)
    {
      old_section = usdtpay_order_object_get_section (object);
      g_object_ref (object);

      if (old_section == new_section)
        {
          /* Same place: the row follows the object's notifications. */
          usdtpay_order_object_set_order (object, order);
          g_object_unref (object);
          return USDTPAY_APPLY_APPLIED;
        }

      take_out (self, object);
      usdtpay_order_object_set_order (object, order);
    }
  else
    {
      object = usdtpay_order_object_new (order);
    }

  if (new_section == USDTPAY_SECTION_NONE)
    {
      g_hash_table_remove (self->objects, order->id);
      if (usdtpay_order_state_is_final (order->state) ||
          order->state == USDTPAY_ORDER_DISPUTED)
        add_to_history (self, object);
      g_object_unref (object);
      return USDTPAY_APPLY_APPLIED;
    }

  usdtpay_order_object_set_section (object, new_section);
  usdtpay_order_object_set_seen (object, FALSE);
  g_list_store_insert_sorted (self->sections[new_section], object, compare_objects, NULL);
  if (!g_hash_table_contains (self->objects, order->id))
    g_hash_table_insert (self->objects, g_strdup (order->id), g_object_ref (object));

  g_signal_emit (self, signals[ORDER_ARRIVED], 0, object, (guint)new_section);
  g_object_unref (object);

  return USDTPAY_APPLY_APPLIED;
}

void
usdtpay_order_store_remove (UsdtpayOrderStore *self,
                            const char        *id)
{
  UsdtpayOrderObject *object;

  g_return_if_fail (USDTPAY_IS_ORDER_STORE (self));
  g_return_if_fail (id != NULL);

  object = g_hash_table_lookup (self->objects, id);
  if (object == NULL)
    return;

  take_out (self, object);
  g_hash_table_remove (self->objects, id);
}

void
usdtpay_order_store_clear (UsdtpayOrderStore *self)
{
  g_return_if_fail (USDTPAY_IS_ORDER_STORE (self));

  for (guint i = 0; i < USDTPAY_N_SECTIONS; i++)
    g_list_store_remove_all (self->sections[i]);
  g_list_store_remove_all (self->history);
  g_hash_table_remove_all (self->objects);
  g_hash_table_remove_all (self->closed);
  g_hash_table_remove_all (self->versions);
}

void
usdtpay_order_store_tick (UsdtpayOrderStore *self,
                          gint64             now)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (USDTPAY_IS_ORDER_STORE (self));

  g_hash_table_iter_init (&iter, self->objects);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    usdtpay_order_object_tick (value, now);
}

void
usdtpay_order_store_mark_seen (UsdtpayOrderStore *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (USDTPAY_IS_ORDER_STORE (self));

  g_hash_table_iter_init (&iter, self->objects);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    usdtpay_order_object_set_seen (value, TRUE);
}
