/* usdtpay-history-model.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-history-model"

#include "config.h"

#include <sqlite3.h>

#include "usdtpay-history-model.h"

/* Pages kept in memory; the least recently asked for go first. */
#define MAX_PAGES 16
/* A search that the search index narrows to at most this many candidate
 * rows is answered from the candidates (read by rowid, sorted in memory);
 * with more, walking the sort order finds a page of matches sooner. */
#define MAX_CANDIDATES 2000
/* How many of a long search text's last characters are looked up first. */
#define SUFFIX_CHARS 6

typedef enum
{
  PLAN_PLAIN,    /* the filter's WHERE over the orders table */
  PLAN_DRIVEN,   /* the same, over the rows the search index proposes */
} Plan;

typedef enum
{
  JOB_QUERY,
  JOB_PAGE,
  JOB_LOOKUP,
  JOB_COUNT,     /* last: pages the view waits for go first */
} JobKind;

typedef struct
{
  JobKind             kind;
  guint64             generation;
  char               *path;
  UsdtpayCacheFilter *filter;
  UsdtpayHistorySort  sort;
  gboolean            descending;
  gboolean            refresh;
  Plan                plan;
  guint               page;
  gboolean            keyed;       /* page: read after the row before it */
  gint64              key;         /*   its sort column (numeric sorts) */
  char               *key_id;      /*   its id */
  GCancellable       *cancellable;
  GWeakRef            model;
  char               *id;          /* lookup */
  GTask              *task;        /* lookup */

  /* Results */
  GPtrArray          *orders;      /* UsdtpayOrder, NULL for a row not read */
  gint64              count;       /* -1: not counted */
  GError             *error;
} Job;

typedef struct
{
  guint      index;
  gboolean   loaded;
  gboolean   requested;
  guint64    used;
  GPtrArray *items;      /* UsdtpayHistoryItem */
} Page;

/* The worker thread's connection (one job at a time). */
typedef struct
{
  GMainContext *context;   /* where results are delivered */
  char         *path;
  sqlite3      *db;
  gboolean      has_search_index;
} Worker;

struct _UsdtpayHistoryModel
{
  GObject             parent_instance;

  GMainContext       *context;
  GThreadPool        *pool;
  Worker             *worker;
  char               *path;
  UsdtpayCacheFilter *filter;
  UsdtpayHistorySort  sort;
  gboolean            descending;
  guint64             generation;
  GCancellable       *cancellable;   /* the current generation's reads */
  Plan                plan;
  guint               n_items;
  gboolean            loading;
  gboolean            counted;
  GHashTable         *pages;         /* index → Page */
  GPtrArray          *first_items;   /* the first rows', by position, kept */
  guint64             use_clock;
  guint               pages_read;
  guint               pages_keyed;
  gint64              answered_at;   /* monotonic µs: the last query's first page back */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (UsdtpayHistoryModel, usdtpay_history_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_COUNTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REFRESHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
job_free (Job *job)
{
  g_free (job->path);
  g_clear_pointer (&job->filter, usdtpay_cache_filter_free);
  g_clear_object (&job->cancellable);
  g_weak_ref_clear (&job->model);
  g_free (job->id);
  g_free (job->key_id);
  g_clear_object (&job->task);
  g_clear_pointer (&job->orders, g_ptr_array_unref);
  g_clear_error (&job->error);
  g_free (job);
}

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->items);
  g_free (page);
}

/* Worker side */

static int
progress_cb (void *data)
{
  /* Non-zero interrupts the statement: a newer query replaced this one. */
  return g_cancellable_is_cancelled (data) ? 1 : 0;
}

static gboolean
worker_open (Worker      *worker,
             const char  *path,
             GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (worker->db != NULL && g_strcmp0 (worker->path, path) != 0)
    {
      g_clear_pointer (&worker->db, sqlite3_close);
      g_clear_pointer (&worker->path, g_free);
    }

  if (worker->db == NULL)
    {
      if (sqlite3_open_v2 (path, &worker->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "Could not open the cache %s: %s", path,
                       worker->db != NULL ? sqlite3_errmsg (worker->db) : "out of memory");
          g_clear_pointer (&worker->db, sqlite3_close);
          return FALSE;
        }
      worker->path = g_strdup (path);
      /* The writer may hold the lock for a moment while it commits. */
      sqlite3_busy_timeout (worker->db, 2000);
      /* The search's candidate rows (choose_plan()), in this connection's
       * own temp database: the file stays read-only. */
      if (sqlite3_exec (worker->db, "CREATE TEMP TABLE history_candidates (r INTEGER PRIMARY KEY)",
                        NULL, NULL, NULL) != SQLITE_OK)
        {
          g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s", sqlite3_errmsg (worker->db));
          g_clear_pointer (&worker->db, sqlite3_close);
          g_clear_pointer (&worker->path, g_free);
          return FALSE;
        }
    }

  /* The search index comes with a migration the writer may not have run
   * yet on an older file: look each time a query starts. */
  worker->has_search_index = FALSE;
  if (sqlite3_prepare_v2 (worker->db, "SELECT 1 FROM sqlite_schema WHERE name = 'orders_search'", -1,
                          &stmt, NULL) == SQLITE_OK)
    worker->has_search_index = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);

  return TRUE;
}

static gboolean
set_sqlite_error (Worker        *worker,
                  GCancellable  *cancellable,
                  GError       **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s", sqlite3_errmsg (worker->db));

  return FALSE;
}

static const char *
sort_column (UsdtpayHistorySort sort)
{
  static const char *columns[] = {
    [USDTPAY_HISTORY_SORT_TIME] = "o.created_at",
    [USDTPAY_HISTORY_SORT_ID] = "o.id",
    [USDTPAY_HISTORY_SORT_STATE] = "o.state",
    [USDTPAY_HISTORY_SORT_FIAT] = "o.fiat_amount",
    [USDTPAY_HISTORY_SORT_USDT] = "o.amount",
    [USDTPAY_HISTORY_SORT_FEE] = "o.fee",
    [USDTPAY_HISTORY_SORT_METHOD] = "o.method",
    [USDTPAY_HISTORY_SORT_CUSTOMER] = "o.customer_ref",
    [USDTPAY_HISTORY_SORT_MERCHANT] = "o.merchant",
  };

  return sort < G_N_ELEMENTS (columns) ? columns[sort] : columns[0];
}

/* The search text as an FTS5 string (one phrase, quotes doubled). */
static char *
search_phrase (const char *text)
{
  GString *phrase = g_string_new ("\"");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (phrase, '"');
      g_string_append_c (phrase, *p);
    }
  g_string_append_c (phrase, '"');

  return g_string_free (phrase, FALSE);
}

/* Binds the candidate parameters from @first: the phrase, the id prefix
 * range (ASCII lower case, as LIKE compares), the text as a USDT amount
 * and as a fiat amount of 0 to 4 decimals (NULL when it is not one): the
 * same parses the filter makes, so the candidates hold every row the
 * filter's search accepts. */
static void
bind_candidates (sqlite3_stmt *stmt,
                 guint         first,
                 const char   *text)
{
  g_autofree char *lower = g_ascii_strdown (text, -1);
  gint64 value;

  sqlite3_bind_text (stmt, first, search_phrase (text), -1, g_free);
  sqlite3_bind_text (stmt, first + 1, g_strdup (lower), -1, g_free);
  /* Every id that starts with the prefix sorts below prefix + U+10FFFF. */
  sqlite3_bind_text (stmt, first + 2, g_strconcat (lower, "\xf4\x8f\xbf\xbf", NULL), -1, g_free);
  if (usdtpay_money_parse (text, USDTPAY_USDT_DECIMALS, USDTPAY_MONEY_UNSIGNED, &value, NULL))
    sqlite3_bind_int64 (stmt, first + 3, value);
  else
    sqlite3_bind_null (stmt, first + 3);
  for (guint d = 0; d <= 4; d++)
    {
      if (usdtpay_money_parse (text, d, USDTPAY_MONEY_UNSIGNED, &value, NULL))
        sqlite3_bind_int64 (stmt, first + 4 + d, value);
      else
        sqlite3_bind_null (stmt, first + 4 + d);
    }
}

static gboolean
searching (const UsdtpayCacheFilter *filter)
{
  return filter->search != NULL && filter->search[0] != '\0';
}

/* Runs one arm of choose_plan() with @phrase as the trigram phrase: the
 * rows it added to the candidates, or -1. */
static int
add_candidates (Worker      *worker,
                Job         *job,
                const char  *sql,
                const char  *phrase,
                int          limit,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int added;

  if (sqlite3_prepare_v2 (worker->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (worker, job->cancellable, error);
      return -1;
    }
  sqlite3_bind_text (stmt, 1, job->filter->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->filter->account, -1, SQLITE_STATIC);
  bind_candidates (stmt, 3, job->filter->search);
  sqlite3_bind_text (stmt, 3, search_phrase (phrase), -1, g_free);
  sqlite3_bind_int (stmt, 12, limit);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      set_sqlite_error (worker, job->cancellable, error);
      return -1;
    }
  added = sqlite3_changes (worker->db);
  sqlite3_finalize (stmt);

  return added;
}

/* Collects the rows the indexes propose for the search into the
 * connection's temp.history_candidates, up to MAX_CANDIDATES + 1: a
 * superset of the rows the filter's search accepts (which the filter's own
 * WHERE then narrows exactly). PLAN_DRIVEN when they are few. */
static Plan
choose_plan (Worker   *worker,
             Job      *job,
             GError  **error)
{
  static const char *arms[] = {
    "INSERT OR IGNORE INTO temp.history_candidates (r) "
    "SELECT rowid FROM orders_search WHERE orders_search MATCH ?3 LIMIT ?12",
    "INSERT OR IGNORE INTO temp.history_candidates (r) "
    "SELECT rowid FROM orders WHERE platform = ?1 AND account = ?2 AND lower(id) >= ?4 AND lower(id) < ?5 LIMIT ?12",
    "INSERT OR IGNORE INTO temp.history_candidates (r) "
    "SELECT rowid FROM orders WHERE platform = ?1 AND account = ?2 AND amount = ?6 LIMIT ?12",
    "INSERT OR IGNORE INTO temp.history_candidates (r) "
    "SELECT rowid FROM orders WHERE platform = ?1 AND account = ?2 AND fiat_amount IN (?7, ?8, ?9, ?10, ?11) LIMIT ?12",
  };
  int found = 0;
  guint first_arm = 0;

  /* Trigrams: a shorter text cannot be looked up in the index. */
  if (!worker->has_search_index || !searching (job->filter) || g_utf8_strlen (job->filter->search, -1) < 3)
    return PLAN_PLAIN;

  if (sqlite3_exec (worker->db, "DELETE FROM temp.history_candidates", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (worker, job->cancellable, error);
      return PLAN_PLAIN;
    }

  /* Texts that share their start with many others ("cust-0043532" among a
   * million "cust-…") are told apart by their end: a long text's last
   * characters are looked up first, and its rows (a superset of the
   * text's) taken when they are few; trigrams common to every row make
   * the whole phrase slow to match. */
  if (g_utf8_strlen (job->filter->search, -1) > SUFFIX_CHARS)
    {
      const char *suffix = g_utf8_offset_to_pointer (job->filter->search,
                                                     g_utf8_strlen (job->filter->search, -1) - SUFFIX_CHARS);

      found = add_candidates (worker, job, arms[0], suffix, MAX_CANDIDATES + 1, error);
      if (found < 0)
        return PLAN_PLAIN;
      if (found > MAX_CANDIDATES)
        {
          found = 0;
          if (sqlite3_exec (worker->db, "DELETE FROM temp.history_candidates", NULL, NULL, NULL) != SQLITE_OK)
            {
              set_sqlite_error (worker, job->cancellable, error);
              return PLAN_PLAIN;
            }
        }
      else
        first_arm = 1;
    }

  for (guint i = first_arm; i < G_N_ELEMENTS (arms) && found <= MAX_CANDIDATES; i++)
    {
      int added = add_candidates (worker, job, arms[i], job->filter->search, MAX_CANDIDATES + 1 - found, error);

      if (added < 0)
        return PLAN_PLAIN;
      found += added;
    }

  return found <= MAX_CANDIDATES ? PLAN_DRIVEN : PLAN_PLAIN;
}

/* The statement of @job: its page of rows (@count FALSE) or its count. */
static sqlite3_stmt *
prepare (Worker      *worker,
         Job         *job,
         gboolean     count,
         guint        page,
         GError     **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  const char *dir = job->descending ? "DESC" : "ASC";
  sqlite3_stmt *stmt = NULL;

  if (job->plan == PLAN_DRIVEN)
    {
      /* The candidates first (CROSS JOIN keeps that order of the loops),
       * each looked up by rowid. */
      g_string_append (sql, count ? "SELECT count(*)" : "SELECT o.json");
      g_string_append (sql, " FROM temp.history_candidates c CROSS JOIN orders o ON o.rowid = c.r");
    }
  else
    g_string_append (sql, count ? "SELECT count(*) FROM orders o" : "SELECT o.json FROM orders o");
  usdtpay_cache_filter_append_where (job->filter, sql);
  /* A page after one read: from the row before it on, by the sort's index
   * (an OFFSET walks every row before the page: 40-50 ms half way down a
   * million). */
  if (!count && job->keyed)
    {
      const char *after = job->descending ? "<" : ">";

      if (job->sort == USDTPAY_HISTORY_SORT_ID)
        g_string_append_printf (sql, " AND o.id %s :key_id", after);
      else
        g_string_append_printf (sql, " AND (%s, o.id) %s (:key, :key_id)", sort_column (job->sort), after);
    }
  if (!count)
    g_string_append_printf (sql, " ORDER BY %s %s, o.id %s LIMIT %u OFFSET %u",
                            sort_column (job->sort), dir, dir,
                            USDTPAY_HISTORY_PAGE_SIZE, job->keyed ? 0 : page * USDTPAY_HISTORY_PAGE_SIZE);

  if (sqlite3_prepare_v2 (worker->db, sql->str, (int)sql->len, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT, "cache: %s", sqlite3_errmsg (worker->db));
      return NULL;
    }
  usdtpay_cache_filter_bind (job->filter, stmt);
  if (!count && job->keyed)
    {
      int key = sqlite3_bind_parameter_index (stmt, ":key");

      if (key > 0)
        sqlite3_bind_int64 (stmt, key, job->key);
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":key_id"), job->key_id, -1, SQLITE_STATIC);
    }

  return stmt;
}

static UsdtpayOrder *
parse_order (sqlite3_stmt *stmt,
             int           column)
{
  const char *json = (const char *)sqlite3_column_text (stmt, column);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  UsdtpayOrder *order = NULL;

  if (json != NULL)
    object = usdtpay_json_parse_object (json, sqlite3_column_bytes (stmt, column), &error);
  if (object != NULL)
    order = usdtpay_order_from_json (object, &error);
  if (order == NULL)
    g_debug ("An unreadable order in the cache: %s", error != NULL ? error->message : "no JSON");

  return order;
}

static GPtrArray *
read_page (Worker        *worker,
           Job           *job,
           guint          page,
           GError       **error)
{
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
  sqlite3_stmt *stmt;
  int rc;

  if ((stmt = prepare (worker, job, FALSE, page, error)) == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (orders, parse_order (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (worker, job->cancellable, error);
      return NULL;
    }

  return g_steal_pointer (&orders);
}

static gint64
count_rows (Worker   *worker,
            Job      *job,
            GError  **error)
{
  sqlite3_stmt *stmt;
  gint64 count = -1;

  if ((stmt = prepare (worker, job, TRUE, 0, error)) == NULL)
    return -1;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    set_sqlite_error (worker, job->cancellable, error);
  sqlite3_finalize (stmt);

  return count;
}

static UsdtpayOrder *
lookup_order (Worker   *worker,
              Job      *job,
              GError  **error)
{
  static const char sql[] = "SELECT json FROM orders WHERE platform = ?1 AND account = ?2 AND id = ?3";
  sqlite3_stmt *stmt = NULL;
  UsdtpayOrder *order = NULL;
  int rc;

  if (sqlite3_prepare_v2 (worker->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (worker, NULL, error);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, job->filter->platform, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->filter->account, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    order = parse_order (stmt, 0);
  else if (rc != SQLITE_DONE)
    set_sqlite_error (worker, NULL, error);
  sqlite3_finalize (stmt);

  return order;
}

static gboolean deliver_cb (gpointer data);
static Page    *ensure_page (UsdtpayHistoryModel *self,
                             guint                index);

/* Results go to the model's thread; the worker never holds the model.
 * Always through a source: g_main_context_invoke() would run the callback
 * in this thread whenever the main context happens to be free. */
static void
post (Worker *worker,
      Job    *job)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_cb, job, (GDestroyNotify)job_free);
  g_source_set_static_name (source, "[usdtpay] history results");
  g_source_attach (source, worker->context);
  g_source_unref (source);
}

static Job *
job_new (UsdtpayHistoryModel *self,
         JobKind              kind)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->generation = self->generation;
  job->path = g_strdup (self->path);
  job->filter = self->filter != NULL ? usdtpay_cache_filter_copy (self->filter) : NULL;
  job->sort = self->sort;
  job->descending = self->descending;
  job->plan = self->plan;
  job->cancellable = self->cancellable != NULL ? g_object_ref (self->cancellable) : NULL;
  job->count = -1;
  g_weak_ref_init (&job->model, self);

  return job;
}

static void
worker_run (gpointer data,
            gpointer user_data)
{
  Job *job = data;
  Worker *worker = user_data;
  g_autoptr(GError) error = NULL;

  if (job->kind == JOB_LOOKUP)
    {
      /* Answered on the model's thread, where the task belongs. */
      job->orders = g_ptr_array_new_with_free_func ((GDestroyNotify)usdtpay_order_unref);
      if (worker_open (worker, job->path, &job->error))
        g_ptr_array_add (job->orders, lookup_order (worker, job, &job->error));
      post (worker, job);
      return;
    }

  /* Replaced before it started: nothing to do. */
  if (g_cancellable_set_error_if_cancelled (job->cancellable, &job->error) ||
      !worker_open (worker, job->path, &job->error))
    {
      post (worker, job);
      return;
    }

  sqlite3_progress_handler (worker->db, 1000, progress_cb, job->cancellable);

  switch (job->kind)
    {
    case JOB_QUERY:
      job->plan = choose_plan (worker, job, &job->error);
      if (job->error != NULL)
        break;
      if (job->refresh)
        {
          /* A refresh is shown at once, count and first page together, so
           * the view can tell whether the rows only changed in place. */
          job->count = count_rows (worker, job, &job->error);
          if (job->count >= 0)
            job->orders = read_page (worker, job, 0, &job->error);
          break;
        }
      /* The first page is shown before the rows are counted (the model
       * queues the count when it is a full page). */
      job->orders = read_page (worker, job, 0, &job->error);
      if (job->orders != NULL && job->orders->len < USDTPAY_HISTORY_PAGE_SIZE)
        job->count = job->orders->len;
      break;

    case JOB_PAGE:
      job->orders = read_page (worker, job, job->page, &job->error);
      break;

    case JOB_COUNT:
      job->count = count_rows (worker, job, &job->error);
      break;

    case JOB_LOOKUP:
    default:
      g_assert_not_reached ();
    }

  sqlite3_progress_handler (worker->db, 0, NULL, NULL);
  post (worker, job);
}

static gint
job_compare (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const Job *x = a;
  const Job *y = b;

  /* Queries, then the pages the view waits for, then counts; in order
   * within a kind. */
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;

  return 0;
}

/* Main thread */

/* The item of row @position (< USDTPAY_HISTORY_ROW_ITEMS), the same for
 * as long as the model lives, whatever query it shows (or none). */
static UsdtpayHistoryItem *
first_item (UsdtpayHistoryModel *self,
            guint                position)
{
  g_assert (position < USDTPAY_HISTORY_ROW_ITEMS);

  while (self->first_items->len <= position)
    g_ptr_array_add (self->first_items, usdtpay_history_item_new ());

  return g_ptr_array_index (self->first_items, position);
}

static Page *
page_new (UsdtpayHistoryModel *self,
          guint                index)
{
  Page *page = g_new0 (Page, 1);
  guint start = index * USDTPAY_HISTORY_PAGE_SIZE;
  guint len = MIN (USDTPAY_HISTORY_PAGE_SIZE, self->n_items - start);

  page->index = index;
  page->items = g_ptr_array_new_full (len, g_object_unref);
  for (guint i = 0; i < len; i++)
    {
      if (start + i >= USDTPAY_HISTORY_ROW_ITEMS)
        g_ptr_array_add (page->items, usdtpay_history_item_new ());
      else
        {
          /* The row's own item, empty until its page comes. */
          g_ptr_array_add (page->items, g_object_ref (first_item (self, start + i)));
          usdtpay_history_item_set_order (g_ptr_array_index (page->items, i), NULL);
        }
    }

  return page;
}

static void
evict_pages (UsdtpayHistoryModel *self)
{
  while (g_hash_table_size (self->pages) > MAX_PAGES)
    {
      GHashTableIter iter;
      Page *page;
      Page *oldest = NULL;

      g_hash_table_iter_init (&iter, self->pages);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&page))
        if (oldest == NULL || page->used < oldest->used)
          oldest = page;
      g_hash_table_remove (self->pages, GUINT_TO_POINTER (oldest->index));
    }
}

/* The sort key of @order in the column History sorts by, when it is one
 * that is never NULL (the others are read by offset). */
static gboolean
sort_key (UsdtpayHistorySort  sort,
          const UsdtpayOrder *order,
          gint64             *key)
{
  switch (sort)
    {
    case USDTPAY_HISTORY_SORT_TIME:
      *key = order->created_at;
      return TRUE;
    case USDTPAY_HISTORY_SORT_ID:
      *key = 0;
      return TRUE;
    case USDTPAY_HISTORY_SORT_FIAT:
      *key = order->fiat_amount;
      return TRUE;
    case USDTPAY_HISTORY_SORT_USDT:
      *key = order->amount;
      return TRUE;
    case USDTPAY_HISTORY_SORT_FEE:
      *key = order->fee;
      return TRUE;
    case USDTPAY_HISTORY_SORT_STATE:
    case USDTPAY_HISTORY_SORT_METHOD:
    case USDTPAY_HISTORY_SORT_CUSTOMER:
    case USDTPAY_HISTORY_SORT_MERCHANT:
    case USDTPAY_N_HISTORY_SORTS:
    default:
      return FALSE;
    }
}

/* Reads @page, after the last row of the page before it when that one is
 * held as read for the rows as they are (@keyed: not while a refresh reads
 * the pages again). */
static void
request_page (UsdtpayHistoryModel *self,
              Page                *page,
              gboolean             keyed)
{
  Page *before = page->index > 0 ? g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page->index - 1)) : NULL;
  UsdtpayHistoryItem *last;
  UsdtpayOrderObject *object;
  Job *job;

  g_assert (USDTPAY_IS_HISTORY_MODEL (self));

  page->requested = TRUE;
  job = job_new (self, JOB_PAGE);
  job->page = page->index;
  if (keyed && before != NULL && before->loaded && !before->requested &&
      before->items->len == USDTPAY_HISTORY_PAGE_SIZE &&
      (last = g_ptr_array_index (before->items, before->items->len - 1)) != NULL &&
      (object = usdtpay_history_item_get_order (last)) != NULL &&
      sort_key (self->sort, usdtpay_order_object_get_order (object), &job->key))
    {
      job->keyed = TRUE;
      job->key_id = g_strdup (usdtpay_order_object_get_id (object));
    }
  g_thread_pool_push (self->pool, job, NULL);
}

static void
fill_page (Page      *page,
           GPtrArray *orders)
{
  for (guint i = 0; i < page->items->len; i++)
    usdtpay_history_item_set_order (g_ptr_array_index (page->items, i),
                                    i < orders->len ? g_ptr_array_index (orders, i) : NULL);
  page->loaded = TRUE;
  page->requested = FALSE;
}

static void
set_loading (UsdtpayHistoryModel *self,
             gboolean             loading)
{
  if (self->loading == loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_counted (UsdtpayHistoryModel *self,
             gboolean             counted)
{
  if (self->counted == counted)
    return;

  self->counted = counted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNTED]);
}

/* New contents: @orders as the first page of @n_items rows.
 *
 * GTK 4.8's list views pay for every row a change spans from the start of
 * the list (adding a million rows at position 0 takes over half a second)
 * but little for rows added or removed at its end. So the rows past the
 * first page leave, and come, in items-changed of their own at the end.
 *
 * The first rows (USDTPAY_HISTORY_ROW_ITEMS) keep their items, position
 * by position, for the life of the model: the new orders go into the items
 * already there (each says ::changed, and its row's cells show the new
 * order), and the view is told only of the rows that come or go past the
 * end of the shorter of the two. A list view makes and destroys row
 * widgets for the rows an items-changed spans (a table's rows are 200 of
 * them, each with a cell per column); this way a search that keeps the
 * number of rows changes none, one that narrows them only drops the rows
 * past its last, and a view may keep those rows' widgets for the items it
 * will get back at the same positions
 * (usdtpay_history_model_get_row_item()). */
static void
replace (UsdtpayHistoryModel *self,
         GPtrArray           *orders,
         guint                n_items,
         gboolean             counted)
{
  guint old = self->n_items;
  guint head = orders != NULL ? MIN (n_items, USDTPAY_HISTORY_ROW_ITEMS) : 0;
  guint same;
  Page *first;

  g_object_freeze_notify (G_OBJECT (self));

  /* The old rows past the kept items go first, from the end. */
  if (old > USDTPAY_HISTORY_ROW_ITEMS)
    {
      self->n_items = USDTPAY_HISTORY_ROW_ITEMS;
      g_list_model_items_changed (G_LIST_MODEL (self), USDTPAY_HISTORY_ROW_ITEMS,
                                  old - USDTPAY_HISTORY_ROW_ITEMS, 0);
      old = USDTPAY_HISTORY_ROW_ITEMS;
    }

  /* The first page: its items, with the new orders; the kept items past
   * it empty until their page comes; those past the rows keep what they
   * showed (they are no row of the model now). */
  g_hash_table_remove_all (self->pages);
  if (head > 0)
    {
      guint len = MIN (head, USDTPAY_HISTORY_PAGE_SIZE);

      first = g_new0 (Page, 1);
      first->items = g_ptr_array_new_full (len, g_object_unref);
      for (guint i = 0; i < len; i++)
        g_ptr_array_add (first->items, g_object_ref (first_item (self, i)));
      first->used = ++self->use_clock;
      fill_page (first, orders);
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (0), first);
      for (guint i = len; i < head; i++)
        usdtpay_history_item_set_order (first_item (self, i), NULL);
    }

  self->n_items = head;
  set_loading (self, FALSE);
  set_counted (self, counted);
  same = MIN (old, head);
  if (old > same || head > same)
    g_list_model_items_changed (G_LIST_MODEL (self), same, old - same, head - same);

  /* Then the rest, at the end. */
  if (n_items > head)
    {
      self->n_items = n_items;
      g_list_model_items_changed (G_LIST_MODEL (self), head, 0, n_items - head);
    }
  /* The second page's first rows were kept, empty: read it. */
  if (self->n_items > USDTPAY_HISTORY_PAGE_SIZE)
    {
      ensure_page (self, 1);
      evict_pages (self);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
deliver_refresh (UsdtpayHistoryModel *self,
                 Job                 *job)
{
  Page *first;

  if (job->count == self->n_items && (first = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (0))) != NULL)
    {
      GHashTableIter iter;
      Page *page;

      /* The same number of rows: they change in place, and the view keeps
       * its selection and where it was scrolled to. */
      fill_page (first, job->orders);
      g_hash_table_iter_init (&iter, self->pages);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&page))
        if (page->index != 0)
          request_page (self, page, FALSE);
      return;
    }

  replace (self, job->orders, (guint)MIN (job->count, G_MAXUINT), TRUE);
  g_signal_emit (self, signals[REFRESHED], 0);
}

static gboolean
deliver_cb (gpointer data)
{
  Job *job = data;
  g_autoptr(UsdtpayHistoryModel) self = g_weak_ref_get (&job->model);
  Page *page;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  if (job->kind == JOB_LOOKUP)
    {
      if (job->error != NULL)
        g_task_return_error (job->task, g_steal_pointer (&job->error));
      else
        g_task_return_pointer (job->task, g_ptr_array_steal_index (job->orders, 0),
                               (GDestroyNotify)usdtpay_order_unref);
      return G_SOURCE_REMOVE;
    }

  if (job->generation != self->generation)
    return G_SOURCE_REMOVE;

  if (job->error != NULL)
    {
      if (g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return G_SOURCE_REMOVE;
      /* No cache file yet (a first start offline), or one being migrated:
       * History is empty until the cache says it changed. */
      g_debug ("History could not read the cache: %s", job->error->message);
      if (job->kind == JOB_QUERY)
        replace (self, NULL, 0, TRUE);
      return G_SOURCE_REMOVE;
    }

  switch (job->kind)
    {
    case JOB_QUERY:
      self->answered_at = g_get_monotonic_time ();
      self->plan = job->plan;
      self->pages_read++;
      if (job->refresh)
        deliver_refresh (self, job);
      else
        {
          replace (self, job->orders, job->orders->len, job->count >= 0);
          if (job->count < 0)
            g_thread_pool_push (self->pool, job_new (self, JOB_COUNT), NULL);
        }
      break;

    case JOB_PAGE:
      self->pages_read++;
      self->pages_keyed += job->keyed;
      page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (job->page));
      if (page != NULL)
        fill_page (page, job->orders);
      break;

    case JOB_COUNT:
      /* The first page was full (a whole page): the rest follows it. */
      if (job->count > self->n_items)
        {
          guint old = self->n_items;

          self->n_items = (guint)MIN (job->count, G_MAXUINT);
          g_list_model_items_changed (G_LIST_MODEL (self), old, 0, self->n_items - old);
        }
      set_counted (self, TRUE);
      break;

    case JOB_LOOKUP:
    default:
      g_assert_not_reached ();
    }

  return G_SOURCE_REMOVE;
}

/* Page @index held (again), and read unless it is or is being. */
static Page *
ensure_page (UsdtpayHistoryModel *self,
             guint                index)
{
  Page *page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (index));
  guint len = MIN (USDTPAY_HISTORY_PAGE_SIZE, self->n_items - index * USDTPAY_HISTORY_PAGE_SIZE);

  /* (A page made while a query's rows were coming, before the last of them,
   * is made again: its rows' items are kept, the others are new.) */
  if (page == NULL || page->items->len < len)
    {
      page = page_new (self, index);
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (index), page);
    }
  page->used = ++self->use_clock;
  if (!page->loaded && !page->requested)
    request_page (self, page, TRUE);

  return page;
}

/* The page of @position held again once asked for: the first page's rows
 * are already there, a later page's arrive shortly. */
static gpointer
usdtpay_history_model_get_item (GListModel *model,
                                guint       position)
{
  UsdtpayHistoryModel *self = USDTPAY_HISTORY_MODEL (model);
  guint index = position / USDTPAY_HISTORY_PAGE_SIZE;
  Page *page;

  if (position >= self->n_items)
    return NULL;

  page = ensure_page (self, index);

  {
    gpointer item = g_object_ref (g_ptr_array_index (page->items, position - index * USDTPAY_HISTORY_PAGE_SIZE));

    /* After the lookup: the page asked for stays. */
    evict_pages (self);

    return item;
  }
}

static guint
usdtpay_history_model_get_n_items (GListModel *model)
{
  return USDTPAY_HISTORY_MODEL (model)->n_items;
}

static GType
usdtpay_history_model_get_item_type (GListModel *model)
{
  return USDTPAY_TYPE_HISTORY_ITEM;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item = usdtpay_history_model_get_item;
  iface->get_n_items = usdtpay_history_model_get_n_items;
  iface->get_item_type = usdtpay_history_model_get_item_type;
}

static void
usdtpay_history_model_dispose (GObject *object)
{
  UsdtpayHistoryModel *self = (UsdtpayHistoryModel *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->pool != NULL)
    {
      /* Drops what is queued; the running read stops at its next check. */
      g_thread_pool_free (g_steal_pointer (&self->pool), TRUE, TRUE);
    }
  if (self->worker != NULL)
    {
      g_clear_pointer (&self->worker->db, sqlite3_close);
      g_free (self->worker->path);
      g_main_context_unref (self->worker->context);
      g_clear_pointer (&self->worker, g_free);
    }
  g_hash_table_remove_all (self->pages);

  G_OBJECT_CLASS (usdtpay_history_model_parent_class)->dispose (object);
}

static void
usdtpay_history_model_finalize (GObject *object)
{
  UsdtpayHistoryModel *self = (UsdtpayHistoryModel *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->filter, usdtpay_cache_filter_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->first_items, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (usdtpay_history_model_parent_class)->finalize (object);
}

static void
usdtpay_history_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  UsdtpayHistoryModel *self = USDTPAY_HISTORY_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    case PROP_COUNTED:
      g_value_set_boolean (value, self->counted);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
usdtpay_history_model_class_init (UsdtpayHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = usdtpay_history_model_dispose;
  object_class->finalize = usdtpay_history_model_finalize;
  object_class->get_property = usdtpay_history_model_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COUNTED] =
    g_param_spec_boolean ("counted", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The contents were replaced by a refresh (not by a new query): the
   * view restores its selection by order id. */
  signals[REFRESHED] = g_signal_new ("refreshed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
usdtpay_history_model_init (UsdtpayHistoryModel *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->worker = g_new0 (Worker, 1);
  self->worker->context = g_main_context_ref (self->context);
  self->pool = g_thread_pool_new_full (worker_run, self->worker, (GDestroyNotify)job_free, 1, FALSE, NULL);
  g_thread_pool_set_sort_function (self->pool, job_compare, NULL);
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)page_free);
  self->first_items = g_ptr_array_new_with_free_func (g_object_unref);
  self->sort = USDTPAY_HISTORY_SORT_TIME;
  self->descending = TRUE;
  self->counted = TRUE;
}

UsdtpayHistoryModel *
usdtpay_history_model_new (void)
{
  return g_object_new (USDTPAY_TYPE_HISTORY_MODEL, NULL);
}

static void
start_query (UsdtpayHistoryModel *self,
             gboolean             refresh)
{
  Job *job;

  g_assert (USDTPAY_IS_HISTORY_MODEL (self));

  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->filter == NULL || self->path == NULL)
    {
      replace (self, NULL, 0, TRUE);
      return;
    }

  self->cancellable = g_cancellable_new ();
  if (!refresh)
    set_loading (self, TRUE);
  job = job_new (self, JOB_QUERY);
  job->refresh = refresh;
  g_thread_pool_push (self->pool, job, NULL);
}

void
usdtpay_history_model_set_cache_path (UsdtpayHistoryModel *self,
                                      const char          *path)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_MODEL (self));

  if (g_strcmp0 (self->path, path) == 0)
    return;

  g_free (self->path);
  self->path = g_strdup (path);
  start_query (self, FALSE);
}

void
usdtpay_history_model_set_query (UsdtpayHistoryModel      *self,
                                 const UsdtpayCacheFilter *filter,
                                 UsdtpayHistorySort        sort,
                                 gboolean                  descending)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_MODEL (self));
  g_return_if_fail (sort < USDTPAY_N_HISTORY_SORTS);

  g_clear_pointer (&self->filter, usdtpay_cache_filter_free);
  self->filter = filter != NULL ? usdtpay_cache_filter_copy (filter) : NULL;
  self->sort = sort;
  self->descending = descending;
  start_query (self, FALSE);
}

void
usdtpay_history_model_refresh (UsdtpayHistoryModel *self)
{
  g_return_if_fail (USDTPAY_IS_HISTORY_MODEL (self));

  /* A query still on its way reads the new rows anyway: start it again. */
  start_query (self, !self->loading);
}

const UsdtpayCacheFilter *
usdtpay_history_model_get_filter (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), NULL);

  return self->filter;
}

UsdtpayHistorySort
usdtpay_history_model_get_sort (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), USDTPAY_HISTORY_SORT_TIME);

  return self->sort;
}

gboolean
usdtpay_history_model_get_descending (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), FALSE);

  return self->descending;
}

gboolean
usdtpay_history_model_get_loading (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), FALSE);

  return self->loading;
}

gboolean
usdtpay_history_model_get_counted (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), FALSE);

  return self->counted;
}

UsdtpayHistoryItem *
usdtpay_history_model_peek_item (UsdtpayHistoryModel *self,
                                 guint                position)
{
  Page *page;

  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), NULL);

  if (position >= self->n_items)
    return NULL;

  page = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (position / USDTPAY_HISTORY_PAGE_SIZE));
  if (page == NULL || !page->loaded || position % USDTPAY_HISTORY_PAGE_SIZE >= page->items->len)
    return NULL;

  return g_ptr_array_index (page->items, position % USDTPAY_HISTORY_PAGE_SIZE);
}

UsdtpayHistoryItem *
usdtpay_history_model_get_row_item (UsdtpayHistoryModel *self,
                                    guint                position)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), NULL);
  g_return_val_if_fail (position < USDTPAY_HISTORY_ROW_ITEMS, NULL);

  return first_item (self, position);
}

gboolean
usdtpay_history_model_find_loaded (UsdtpayHistoryModel *self,
                                   const char          *id,
                                   guint               *position)
{
  GHashTableIter iter;
  Page *page;

  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  g_hash_table_iter_init (&iter, self->pages);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&page))
    {
      if (!page->loaded)
        continue;
      for (guint i = 0; i < page->items->len; i++)
        if (g_strcmp0 (usdtpay_history_item_get_id (g_ptr_array_index (page->items, i)), id) == 0)
          {
            if (position != NULL)
              *position = page->index * USDTPAY_HISTORY_PAGE_SIZE + i;
            return TRUE;
          }
    }

  return FALSE;
}

guint
usdtpay_history_model_get_pages_keyed (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), 0);

  return self->pages_keyed;
}

guint
usdtpay_history_model_get_pages_read (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), 0);

  return self->pages_read;
}

gint64
usdtpay_history_model_get_answered_at (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), 0);

  return self->answered_at;
}

guint
usdtpay_history_model_get_pages_held (UsdtpayHistoryModel *self)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), 0);

  return g_hash_table_size (self->pages);
}

void
usdtpay_history_model_lookup_async (UsdtpayHistoryModel *self,
                                    const char          *id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (USDTPAY_IS_HISTORY_MODEL (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, usdtpay_history_model_lookup_async);
  if (self->filter == NULL || self->path == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  job = job_new (self, JOB_LOOKUP);
  job->id = g_strdup (id);
  job->task = g_steal_pointer (&task);
  g_thread_pool_push (self->pool, job, NULL);
}

UsdtpayOrder *
usdtpay_history_model_lookup_finish (UsdtpayHistoryModel  *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (USDTPAY_IS_HISTORY_MODEL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
