/* test-history-model.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * UsdtpayHistoryModel over a real cache file written by UsdtpayCache:
 * pages read as positions are asked for, a replaced query never shows,
 * a new query's first page goes into the items already at its positions
 * (only the rows past the shorter of the two come or go), the first rows'
 * items are kept by position whatever the query, a refresh with
 * as many rows changes them in place, one with more rows replaces them
 * and says so, lookups by id.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "usdtpay-cache.h"
#include "usdtpay-history-model.h"

#define N_ORDERS 450
#define PLATFORM "http://platform.test"

typedef struct
{
  char                *dir;
  UsdtpayCache        *cache;
  UsdtpayHistoryModel *model;
  guint                items_changed;
  guint                changed_from;   /* the last such change's position */
  gboolean             like_a_view;    /* asks for the rows that come */
  guint                refreshed;
  gint64               t0;
} Fixture;

static UsdtpayOrder *
make_order (guint              n,
            gint64             version,
            UsdtpayOrderState  state,
            gint64             t0)
{
  UsdtpayOrder *order = usdtpay_order_new ();

  order->id = g_strdup_printf ("ord_%04u", n);
  order->version = version;
  order->state = state;
  order->amount = (gint64)(n + 1) * USDTPAY_MICRO_PER_USDT;
  order->fee = usdtpay_fee_compute (order->amount, USDTPAY_DEFAULT_FEE_BPS);
  order->net = order->amount - order->fee;
  order->fiat_amount = (gint64)(n + 1) * 720;
  memcpy (order->fiat_currency, "CNY", 4);
  order->method = g_strdup (n % 2 ? "alipay" : "bank");
  order->external_id = g_strdup (order->id);
  order->customer_ref = g_strdup_printf ("buyer-%u", n);
  order->shop = g_strdup ("shop");
  order->merchant = g_strdup ("alice");
  /* Order n is n minutes after t0: the newest is the highest n. */
  order->created_at = t0 + (gint64)n * 60 * G_USEC_PER_SEC;
  order->closed_at = order->created_at + 600 * G_USEC_PER_SEC;

  return order;
}

/* Counts the changes of the first rows (those on screen, whose items stay):
 * rows come or go past the last one kept, never both at once; rows past
 * them leave and come at the end, on their own. */
static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  g_assert_cmpuint (position, <=, USDTPAY_HISTORY_ROW_ITEMS);
  g_assert_cmpuint (removed == 0 || added == 0, ==, TRUE);
  /* As a list view does: the rows that came, while they come. */
  for (guint i = position; f->like_a_view && i < position + added && i < USDTPAY_HISTORY_ROW_ITEMS; i++)
    g_object_unref (g_list_model_get_item (model, i));
  if (position < USDTPAY_HISTORY_ROW_ITEMS)
    {
      f->items_changed++;
      f->changed_from = position;
    }
}

static void
refreshed_cb (UsdtpayHistoryModel *model,
              Fixture             *f)
{
  f->refreshed++;
}

static gboolean
keep_waking (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_for (gboolean (*done) (Fixture *f),
          Fixture  *f)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  /* (Wakes the loop up, so a wait that never ends fails.) */
  guint tick = g_timeout_add (100, keep_waking, NULL);

  while (!done (f))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

static gboolean
settled (Fixture *f)
{
  return !usdtpay_history_model_get_loading (f->model) && usdtpay_history_model_get_counted (f->model);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("usdtpay-history-XXXXXX", NULL);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = usdtpay_cache_new (path);
  f->t0 = g_get_real_time () - 30 * G_TIME_SPAN_DAY;
  for (guint n = 0; n < N_ORDERS; n++)
    {
      g_autoptr(UsdtpayOrder) order = make_order (n, 5, n % 10 == 0 ? USDTPAY_ORDER_EXPIRED
                                                                     : USDTPAY_ORDER_COMPLETED, f->t0);

      usdtpay_cache_store (f->cache, PLATFORM, "alice", order);
    }
  usdtpay_cache_flush (f->cache);

  f->model = usdtpay_history_model_new ();
  g_signal_connect (f->model, "items-changed", G_CALLBACK (items_changed_cb), f);
  g_signal_connect (f->model, "refreshed", G_CALLBACK (refreshed_cb), f);
  usdtpay_history_model_set_cache_path (f->model, usdtpay_cache_get_path (f->cache));
  /* As the History page does. */
  g_signal_connect_swapped (f->cache, "changed", G_CALLBACK (usdtpay_history_model_refresh), f->model);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_strdup (usdtpay_cache_get_path (f->cache));
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_signal_handlers_disconnect_by_data (f->cache, f->model);
  g_clear_object (&f->model);
  g_clear_object (&f->cache);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (path);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static void
query (Fixture    *f,
       const char *search,
       guint       states)
{
  g_autoptr(UsdtpayCacheFilter) filter = usdtpay_cache_filter_new (PLATFORM, "alice");

  filter->search = g_strdup (search);
  filter->states = states;
  usdtpay_history_model_set_query (f->model, filter, USDTPAY_HISTORY_SORT_TIME, TRUE);
}

static const char *
id_at (Fixture *f,
       guint    position)
{
  UsdtpayHistoryItem *item = usdtpay_history_model_peek_item (f->model, position);

  return item != NULL ? usdtpay_history_item_get_id (item) : NULL;
}

static guint wanted_position;

static gboolean
position_loaded (Fixture *f)
{
  return id_at (f, wanted_position) != NULL;
}

static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(UsdtpayHistoryItem) item = NULL;

  query (f, NULL, 0);
  wait_for (settled, f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, N_ORDERS);
  g_assert_cmpuint (g_list_model_get_item_type (G_LIST_MODEL (f->model)), ==, USDTPAY_TYPE_HISTORY_ITEM);
  /* Newest first; the first page only. */
  g_assert_cmpstr (id_at (f, 0), ==, "ord_0449");
  g_assert_cmpstr (id_at (f, 199), ==, "ord_0250");
  g_assert_null (id_at (f, 200));
  g_assert_cmpuint (usdtpay_history_model_get_pages_held (f->model), ==, 1);

  /* Asking for row 420 hands out a placeholder; its page arrives. */
  item = g_list_model_get_item (G_LIST_MODEL (f->model), 420);
  g_assert_nonnull (item);
  g_assert_null (usdtpay_history_item_get_order (item));
  wanted_position = 420;
  wait_for (position_loaded, f);
  g_assert_cmpstr (usdtpay_history_item_get_id (item), ==, "ord_0029");
  g_assert_cmpuint (usdtpay_history_model_get_pages_held (f->model), ==, 2);
  g_assert_null (id_at (f, 200));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (f->model), N_ORDERS));
}

static void
item_changed_cb (UsdtpayHistoryItem *item,
                 guint              *count)
{
  (*count)++;
}

static void
test_replace (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(UsdtpayHistoryItem) first = NULL;
  g_autoptr(UsdtpayHistoryItem) again = NULL;
  guint first_changed = 0;

  query (f, NULL, 0);
  wait_for (settled, f);
  first = g_list_model_get_item (G_LIST_MODEL (f->model), 0);
  g_signal_connect (first, "changed", G_CALLBACK (item_changed_cb), &first_changed);
  f->items_changed = 0;

  /* The first query is replaced before it could answer: only the second
   * one's rows ever show. Its 45 rows go into the first 45 items; the
   * view is told the other 155 of the first page went. */
  query (f, "buyer-1", 0);
  query (f, NULL, 1u << USDTPAY_ORDER_EXPIRED);
  wait_for (settled, f);
  g_assert_cmpuint (f->items_changed, ==, 1);
  g_assert_cmpuint (f->changed_from, ==, N_ORDERS / 10);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, N_ORDERS / 10);
  g_assert_cmpstr (id_at (f, 0), ==, "ord_0440");
  again = g_list_model_get_item (G_LIST_MODEL (f->model), 0);
  g_assert_true (again == first);
  g_assert_cmpuint (first_changed, ==, 1);
  g_clear_object (&again);

  /* A search (the id prefix, a customer_ref substring or an amount). */
  f->items_changed = 0;
  query (f, "BUYER-44", 0);
  wait_for (settled, f);
  g_assert_cmpuint (f->items_changed, ==, 1);
  g_assert_cmpuint (f->changed_from, ==, 11);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 11);
  g_assert_cmpstr (id_at (f, 0), ==, "ord_0449");
  g_assert_cmpstr (id_at (f, 10), ==, "ord_0044");
  /* More rows: the 11 items stay, 89 come after them. */
  f->items_changed = 0;
  query (f, "ord_01", 0);
  wait_for (settled, f);
  g_assert_cmpuint (f->items_changed, ==, 1);
  g_assert_cmpuint (f->changed_from, ==, 11);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 100);
  g_assert_cmpstr (id_at (f, 0), ==, "ord_0199");
  /* As many rows: no row comes or goes, every item shows its new order. */
  f->items_changed = 0;
  first_changed = 0;
  query (f, "ord_02", 0);
  wait_for (settled, f);
  g_assert_cmpuint (f->items_changed, ==, 0);
  g_assert_cmpuint (first_changed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 100);
  g_assert_cmpstr (id_at (f, 0), ==, "ord_0299");
  g_assert_cmpstr (id_at (f, 99), ==, "ord_0200");
  again = g_list_model_get_item (G_LIST_MODEL (f->model), 0);
  g_assert_true (again == first);
  g_signal_handlers_disconnect_by_func (first, item_changed_cb, &first_changed);
  query (f, "12", 0);
  wait_for (settled, f);
  /* buyer-12, -112, -120..129, -212, -312, -412, and ord_0011: 12 USDT. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 16);
  query (f, "nothing like it", 0);
  wait_for (settled, f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 0);
}

/* The first USDTPAY_HISTORY_ROW_ITEMS rows' items are the model's for its
 * life, position by position, past the first page too and while the rows
 * are fewer; the second page's are among them, read when they show. */
static void
test_row_items (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(UsdtpayHistoryItem) at_210 = NULL;
  g_autoptr(UsdtpayHistoryItem) at_300 = NULL;
  g_autoptr(UsdtpayHistoryItem) again = NULL;

  query (f, NULL, 0);
  wait_for (settled, f);
  at_210 = g_list_model_get_item (G_LIST_MODEL (f->model), 210);
  at_300 = g_list_model_get_item (G_LIST_MODEL (f->model), 300);
  g_assert_true (at_210 == usdtpay_history_model_get_row_item (f->model, 210));
  g_assert_true (at_300 != usdtpay_history_model_get_row_item (f->model, USDTPAY_HISTORY_ROW_ITEMS - 1));
  wanted_position = 399;
  wait_for (position_loaded, f);
  g_assert_cmpstr (usdtpay_history_item_get_id (at_210), ==, "ord_0239");
  g_assert_cmpstr (usdtpay_history_item_get_id (at_300), ==, "ord_0149");

  /* Fewer rows: the item is no row of the model, and stays the position's. */
  query (f, NULL, 1u << USDTPAY_ORDER_EXPIRED);
  wait_for (settled, f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, N_ORDERS / 10);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (f->model), 210));
  g_assert_true (at_210 == usdtpay_history_model_get_row_item (f->model, 210));

  /* Every row again: the same item at the position, read again. */
  query (f, NULL, 0);
  wait_for (settled, f);
  again = g_list_model_get_item (G_LIST_MODEL (f->model), 210);
  g_assert_true (again == at_210);
  wanted_position = 210;
  wait_for (position_loaded, f);
  g_assert_cmpstr (usdtpay_history_item_get_id (again), ==, "ord_0239");
  g_assert_cmpstr (id_at (f, 210), ==, "ord_0239");
  g_assert_null (id_at (f, N_ORDERS));
}

static guint64 wanted_version;

static gboolean
version_shown (Fixture *f)
{
  UsdtpayHistoryItem *item = usdtpay_history_model_peek_item (f->model, 0);

  return item != NULL && usdtpay_history_item_get_order (item) != NULL &&
         usdtpay_order_object_get_order (usdtpay_history_item_get_order (item))->version == (gint64)wanted_version;
}

static gboolean
refreshed (Fixture *f)
{
  return f->refreshed > 0;
}

static void
test_refresh (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(UsdtpayHistoryItem) first = NULL;
  g_autoptr(UsdtpayOrder) changed = make_order (449, 6, USDTPAY_ORDER_CANCELLED, 0);
  g_autoptr(UsdtpayOrder) added = make_order (N_ORDERS, 5, USDTPAY_ORDER_COMPLETED, 0);

  query (f, NULL, 0);
  wait_for (settled, f);
  first = g_list_model_get_item (G_LIST_MODEL (f->model), 0);
  f->items_changed = 0;

  /* A newer version of the first order: the same rows, changed in place. */
  changed->created_at = f->t0 + (gint64)449 * 60 * G_USEC_PER_SEC;
  usdtpay_cache_store (f->cache, PLATFORM, "alice", changed);
  wanted_version = 6;
  wait_for (version_shown, f);
  g_assert_cmpuint (f->items_changed, ==, 0);
  g_assert_cmpuint (f->refreshed, ==, 0);
  {
    g_autoptr(UsdtpayHistoryItem) again = g_list_model_get_item (G_LIST_MODEL (f->model), 0);

    g_assert_true (again == first);
  }

  /* One more order: the rows are replaced, the view told to restore its
   * selection. */
  f->like_a_view = TRUE;
  added->created_at = f->t0 + (gint64)N_ORDERS * 60 * G_USEC_PER_SEC;
  usdtpay_cache_store (f->cache, PLATFORM, "alice", added);
  wait_for (refreshed, f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, N_ORDERS + 1);
  g_assert_cmpstr (id_at (f, 0), ==, "ord_0450");
  g_assert_cmpstr (id_at (f, 1), ==, "ord_0449");
  /* The second page, asked for while the first rows came, whole. */
  wanted_position = 399;
  wait_for (position_loaded, f);
  g_assert_cmpstr (id_at (f, 210), ==, "ord_0240");
  g_assert_cmpstr (id_at (f, 399), ==, "ord_0051");
}

/* Pages past the first, read in order, come after the last row of the
 * page before (the sort's index, not an offset) and hold the rows an
 * offset would: by time, id, and amounts, both ways. */
static void
test_keyset (Fixture       *f,
             gconstpointer  data)
{
  static const struct
  {
    UsdtpayHistorySort sort;
    gboolean           descending;
  } sorts[] = {
    { USDTPAY_HISTORY_SORT_TIME, TRUE },
    { USDTPAY_HISTORY_SORT_TIME, FALSE },
    { USDTPAY_HISTORY_SORT_ID, TRUE },
    { USDTPAY_HISTORY_SORT_USDT, FALSE },
    { USDTPAY_HISTORY_SORT_FEE, TRUE },
    { USDTPAY_HISTORY_SORT_FIAT, FALSE },
  };

  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    {
      g_autoptr(UsdtpayCacheFilter) filter = usdtpay_cache_filter_new (PLATFORM, "alice");
      guint keyed = usdtpay_history_model_get_pages_keyed (f->model);

      /* Every sort orders the rows as their number does (or its reverse). */
      usdtpay_history_model_set_query (f->model, filter, sorts[s].sort, sorts[s].descending);
      wait_for (settled, f);
      for (guint page = 1; page * USDTPAY_HISTORY_PAGE_SIZE < N_ORDERS; page++)
        {
          g_autoptr(UsdtpayHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (f->model),
                                                                      page * USDTPAY_HISTORY_PAGE_SIZE);

          wanted_position = MIN ((page + 1) * USDTPAY_HISTORY_PAGE_SIZE, N_ORDERS) - 1;
          wait_for (position_loaded, f);
        }
      for (guint position = 0; position < N_ORDERS; position++)
        {
          g_autofree char *id = g_strdup_printf ("ord_%04u", sorts[s].descending ? N_ORDERS - 1 - position
                                                                                 : position);

          g_assert_cmpstr (id_at (f, position), ==, id);
        }
      g_assert_cmpuint (usdtpay_history_model_get_pages_keyed (f->model), ==, keyed + 2);
    }
}

/* The cache fills while History shows (a backfill): a refresh from fewer
 * rows than the model keeps items for to more than a page, with a view
 * asking for the rows as they come. */
static void
test_refresh_grows (Fixture       *f,
                    gconstpointer  data)
{
  guint n = N_ORDERS / 10 + 250;

  f->like_a_view = TRUE;
  query (f, NULL, 1u << USDTPAY_ORDER_EXPIRED);
  wait_for (settled, f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, N_ORDERS / 10);
  for (guint i = 0; i < 250; i++)
    {
      g_autoptr(UsdtpayOrder) order = make_order (1000 + i, 5, USDTPAY_ORDER_EXPIRED, f->t0);

      usdtpay_cache_store (f->cache, PLATFORM, "alice", order);
    }
  usdtpay_cache_flush (f->cache);
  wait_for (refreshed, f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, n);
  wanted_position = n - 1;
  wait_for (position_loaded, f);
  g_assert_cmpstr (id_at (f, 0), ==, "ord_1249");
  g_assert_cmpstr (id_at (f, 249), ==, "ord_1000");
  g_assert_cmpstr (id_at (f, 250), ==, "ord_0440");
  g_assert_cmpstr (id_at (f, n - 1), ==, "ord_0000");
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  UsdtpayOrder **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = usdtpay_history_model_lookup_finish (USDTPAY_HISTORY_MODEL (object), result, &error);
  g_assert_no_error (error);
  if (*out == NULL)
    *out = usdtpay_order_new ();
}

static void
test_lookup (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(UsdtpayOrder) found = NULL;
  g_autoptr(UsdtpayOrder) none = NULL;

  /* Whether or not the filter selects it. */
  query (f, "buyer-44", 0);
  wait_for (settled, f);
  usdtpay_history_model_lookup_async (f->model, "ord_0003", NULL, looked_up_cb, &found);
  usdtpay_history_model_lookup_async (f->model, "ord_9999", NULL, looked_up_cb, &none);
  while (found == NULL || none == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (found->id, ==, "ord_0003");
  g_assert_cmpint (found->amount, ==, 4 * USDTPAY_MICRO_PER_USDT);
  g_assert_null (none->id);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/app/history-model/paging", Fixture, NULL, fixture_set_up, test_paging, fixture_tear_down);
  g_test_add ("/app/history-model/replace", Fixture, NULL, fixture_set_up, test_replace, fixture_tear_down);
  g_test_add ("/app/history-model/row-items", Fixture, NULL, fixture_set_up, test_row_items, fixture_tear_down);
  g_test_add ("/app/history-model/keyset", Fixture, NULL, fixture_set_up, test_keyset, fixture_tear_down);
  g_test_add ("/app/history-model/refresh", Fixture, NULL, fixture_set_up, test_refresh, fixture_tear_down);
  g_test_add ("/app/history-model/refresh-grows", Fixture, NULL, fixture_set_up, test_refresh_grows,
              fixture_tear_down);
  g_test_add ("/app/history-model/lookup", Fixture, NULL, fixture_set_up, test_lookup, fixture_tear_down);

  return g_test_run ();
}
