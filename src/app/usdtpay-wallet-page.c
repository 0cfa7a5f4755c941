/* usdtpay-wallet-page.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-wallet-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <qrencode.h>

#include "usdtpay-cache.h"
#include "usdtpay-wallet.h"
#include "usdtpay-wallet-page.h"
#include "usdtpay-window.h"

/* Logical pixels per QR module, and the quiet zone around the code. */
#define QR_MODULE_PIXELS 5
#define QR_QUIET_MODULES 4
/* A copied private key leaves the clipboard after this long. */
#define CLIPBOARD_KEY_SECONDS 60
/* How often a top-up or a withdrawal in progress is looked at again. */
#define TRACK_INTERVAL_MS 1000
/* How soon the platform is asked again when it did not answer while
 * something is in progress. */
#define RETRY_SECONDS 5

typedef struct _TopUp TopUp;
typedef struct _Withdrawal Withdrawal;

struct _UsdtpayWalletPage
{
  AdwBin            parent_instance;

  UsdtpayClient    *client;
  UsdtpayFeed      *feed;
  UsdtpayCache     *cache;                /* keeps the top-ups in progress */
  UsdtpayWallet    *wallet;
  char             *platform;
  char             *account;
  GCancellable     *cancellable;          /* the session's work */
  GCancellable     *refresh_cancellable;  /* the last refresh */
  gboolean          support;
  gboolean          key_loaded;
  gboolean          busy;                 /* a key change or a registration */

  /* What the page knows */
  gboolean          has_chain_balances;
  gint64            usdt;
  UsdtpayUint256    eth;
  gboolean          has_escrow;
  gint64            available;
  gint64            frozen;
  int               registered;           /* -1 unknown */
  char             *chain_problem;
  char             *platform_problem;
  char             *withdrawals_problem;
  char             *amount_error;
  int               qr_modules;

  /* Top-ups and withdrawals, oldest first: those in progress (also
   * those resumed after a restart) and the finished ones of this session. */
  GPtrArray        *top_ups;              /* TopUp* */
  GPtrArray        *withdrawals;          /* Withdrawal* */
  gboolean          withdrawals_loaded;   /* GET /v1/withdrawals answered once */
  guint             withdrawal_source;
  guint             retry_source;

  GtkWindow        *dialog;               /* weak: the open dialog of this page */
  GtkWindow        *next_dialog;          /* the next step's, shown once this one has gone */
  guint             next_dialog_source;
  char             *exported_key;         /* while the export dialog shows it (tests) */
  guint             clipboard_source;     /* clears a copied key */

  /* Template widgets */
  GtkStack         *stack;
  GtkImage         *qr_picture;
  GtkLabel         *address_label;
  AdwActionRow     *problem_row;
  AdwActionRow     *usdt_row;
  AdwActionRow     *eth_row;
  AdwActionRow     *available_row;
  AdwActionRow     *frozen_row;
  AdwActionRow     *register_row;
  AdwPreferencesGroup *transfers_group;
};

G_DEFINE_FINAL_TYPE (UsdtpayWalletPage, usdtpay_wallet_page, ADW_TYPE_BIN)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_page (UsdtpayWalletPage *self);

/* Talking to the window */

static void
changed (UsdtpayWalletPage *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
toast (UsdtpayWalletPage *self,
       const char        *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (USDTPAY_IS_WINDOW (root))
    usdtpay_window_add_toast (USDTPAY_WINDOW (root), text);
}

static void
error_toast (UsdtpayWalletPage *self,
             const char        *what,
             const GError      *error)
{
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Translators: "%s: %s" is what failed and why */
  text = g_strdup_printf (_("%s: %s"), what, error->message);
  toast (self, text);
}

static void
show_dialog (UsdtpayWalletPage *self,
             AdwMessageDialog  *dialog)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->dialog != NULL)
    gtk_window_destroy (self->dialog);

  self->dialog = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&self->dialog);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (changed), self, G_CONNECT_SWAPPED);

  if (USDTPAY_IS_WINDOW (root))
    usdtpay_window_show_dialog (USDTPAY_WINDOW (root), GTK_WINDOW (dialog));
  else
    gtk_window_present (GTK_WINDOW (dialog));
  changed (self);
}

static gboolean
next_dialog_cb (gpointer user_data)
{
  UsdtpayWalletPage *self = user_data;
  g_autoptr(GtkWindow) dialog = g_steal_pointer (&self->next_dialog);

  self->next_dialog_source = 0;
  show_dialog (self, ADW_MESSAGE_DIALOG (dialog));

  return G_SOURCE_REMOVE;
}

/* A dialog that follows another's response: shown from an idle, after the
 * window has put the answered one away. */
static void
show_next_dialog (UsdtpayWalletPage *self,
                  AdwMessageDialog  *dialog)
{
  if (self->next_dialog != NULL)
    gtk_window_destroy (self->next_dialog);
  g_clear_object (&self->next_dialog);
  g_clear_handle_id (&self->next_dialog_source, g_source_remove);

  self->next_dialog = g_object_ref (GTK_WINDOW (dialog));
  self->next_dialog_source = g_idle_add (next_dialog_cb, self);
}

static AdwMessageDialog *
dialog_new (UsdtpayWalletPage *self,
            const char        *heading,
            const char        *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  return ADW_MESSAGE_DIALOG (dialog);
}

/* What the page shows */

static char *
usdt_text (gint64 micro)
{
  g_autofree char *formatted = usdtpay_usdt_format (micro);

  return g_strdup_printf ("%s USDT", formatted);
}

static void
draw_qr (UsdtpayWalletPage *self,
         const char        *address)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) bytes = NULL;
  QRcode *code;
  guint8 *pixels;
  int scale;
  int module;
  int size;
  int stride;

  if (address == NULL || (code = QRcode_encodeString (address, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
    {
      gtk_image_clear (self->qr_picture);
      gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), FALSE);
      self->qr_modules = 0;
      return;
    }

  /* Whole device pixels per module, drawn at the window's scale and shown
   * at exactly its logical size (an image's pixel size, unlike a picture's
   * natural size, is logical): one texel per device pixel, crisp edges. */
  scale = MAX (1, gtk_widget_get_scale_factor (GTK_WIDGET (self)));
  module = QR_MODULE_PIXELS * scale;
  size = (code->width + 2 * QR_QUIET_MODULES) * module;
  stride = size * 3;
  pixels = g_malloc (stride * size);
  memset (pixels, 0xff, stride * size);
  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      {
        if ((code->data[y * code->width + x] & 1) == 0)
          continue;
        for (int dy = 0; dy < module; dy++)
          memset (pixels + ((QR_QUIET_MODULES + y) * module + dy) * stride + (QR_QUIET_MODULES + x) * module * 3,
                  0x00, module * 3);
      }

  self->qr_modules = code->width;
  QRcode_free (code);

  bytes = g_bytes_new_take (pixels, stride * size);
  texture = gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, stride);
  gtk_image_set_from_paintable (self->qr_picture, GDK_PAINTABLE (texture));
  gtk_image_set_pixel_size (self->qr_picture, size / scale);
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), TRUE);
}

static void
update_actions (UsdtpayWalletPage *self)
{
  gboolean session = self->wallet != NULL && !self->support;
  gboolean has_key = session && usdtpay_wallet_get_key (self->wallet) != NULL;
  gboolean chain = session && usdtpay_wallet_has_chain (self->wallet);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.refresh", session);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.copy-address", has_key);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.export-key", has_key && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.create-key",
                                 session && self->key_loaded && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.import-key",
                                 session && self->key_loaded && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.register",
                                 has_key && chain && !self->busy && self->registered != 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.top-up", has_key && chain && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.withdraw", chain && !self->busy);
}

static void
update_page (UsdtpayWalletPage *self)
{
  UsdtpayKey *key = self->wallet != NULL ? usdtpay_wallet_get_key (self->wallet) : NULL;
  g_autofree char *address = key != NULL ? usdtpay_key_dup_address_string (key) : NULL;
  g_autofree char *usdt = NULL;
  g_autofree char *eth = NULL;
  g_autofree char *available = NULL;
  g_autofree char *frozen = NULL;
  g_autofree char *problem = NULL;

  gtk_stack_set_visible_child_name (self->stack, self->support ? "support" : "merchant");

  /* Monospace for the address only; the messages in its place are words. */
  if (address != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->address_label), "monospace");
      gtk_widget_remove_css_class (GTK_WIDGET (self->address_label), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->address_label), "monospace");
      gtk_widget_add_css_class (GTK_WIDGET (self->address_label), "dim-label");
    }
  if (address != NULL)
    gtk_label_set_label (self->address_label, address);
  else if (self->wallet != NULL && !self->key_loaded)
    gtk_label_set_label (self->address_label, _("Looking for the wallet key in the keyring…"));
  else
    gtk_label_set_label (self->address_label, _("No wallet key yet: create or import one below."));
  if (g_strcmp0 (address, g_object_get_data (G_OBJECT (self->qr_picture), "usdtpay-address")) != 0)
    {
      draw_qr (self, address);
      g_object_set_data_full (G_OBJECT (self->qr_picture), "usdtpay-address", g_strdup (address), g_free);
    }

  if (key != NULL && self->has_chain_balances)
    {
      g_autofree char *eth_amount = usdtpay_wallet_format_eth (&self->eth);

      usdt = usdt_text (self->usdt);
      eth = g_strdup_printf ("%s ETH", eth_amount);
    }
  adw_action_row_set_subtitle (self->usdt_row, usdt != NULL ? usdt : "—");
  adw_action_row_set_subtitle (self->eth_row, eth != NULL ? eth : "—");
  if (self->has_escrow)
    {
      available = usdt_text (self->available);
      frozen = usdt_text (self->frozen);
    }
  adw_action_row_set_subtitle (self->available_row, available != NULL ? available : "—");
  adw_action_row_set_subtitle (self->frozen_row, frozen != NULL ? frozen : "—");

  {
    /* The withdrawals' only when the balances did answer: the same cause once. */
    const char *problems[] = { self->platform_problem,
                               self->platform_problem == NULL ? self->withdrawals_problem : NULL,
                               self->chain_problem };
    GString *text = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (problems); i++)
      if (problems[i] != NULL)
        {
          if (text == NULL)
            text = g_string_new (problems[i]);
          else
            g_string_append_printf (text, "\n%s", problems[i]);
        }
    problem = text != NULL ? g_string_free (text, FALSE) : NULL;
  }
  gtk_widget_set_visible (GTK_WIDGET (self->problem_row), problem != NULL);
  adw_action_row_set_subtitle (self->problem_row, problem != NULL ? problem : "");

  if (self->registered == 1)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->register_row), _("Address registered"));
      adw_action_row_set_subtitle (self->register_row,
                                   _("Deposits from it are credited to your escrow; withdrawals are paid to it"));
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->register_row),
                                     self->registered == 0 ? _("Not registered") : _("Registration"));
      adw_action_row_set_subtitle (self->register_row,
                                   _("Deposits are credited and withdrawals paid only to a registered address"));
    }

  update_actions (self);
  changed (self);
}

/* Rows of top-ups and withdrawals */

static void
transfer_row_new (UsdtpayWalletPage  *self,
                  const char         *title,
                  AdwActionRow      **row,
                  GtkSpinner        **spinner)
{
  *row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (*row), title);
  gtk_widget_add_css_class (GTK_WIDGET (*row), "property");
  *spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_valign (GTK_WIDGET (*spinner), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (*row, GTK_WIDGET (*spinner));
  adw_preferences_group_add (self->transfers_group, GTK_WIDGET (*row));
  gtk_widget_set_visible (GTK_WIDGET (self->transfers_group), TRUE);
}

static void
transfer_row_show (AdwActionRow *row,
                   GtkSpinner   *spinner,
                   const char   *text,
                   const char   *tooltip,
                   gboolean      working)
{
  adw_action_row_set_subtitle (row, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), tooltip);
  gtk_spinner_set_spinning (spinner, working);
  gtk_widget_set_visible (GTK_WIDGET (spinner), working);
}

static void
update_transfers_group (UsdtpayWalletPage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->transfers_group),
                          (self->top_ups != NULL && self->top_ups->len > 0) ||
                          (self->withdrawals != NULL && self->withdrawals->len > 0));
}

/* Top-ups: signed here, kept in the cache from just before they are sent
 * until the platform credits them or they fail. */

struct _TopUp
{
  UsdtpayWalletPage *page;      /* NULL once taken off the page */
  char         *state;          /* sending, mining, confirming, confirmed, dropped, credited, failed */
  char         *hash;           /* NULL until signed */
  char         *raw;
  char         *sender;
  guint64       nonce;
  gint64        amount;
  guint64       confirmations;
  guint         resent;
  gboolean      resumed;
  gboolean      polling;
  guint         source;
  AdwActionRow *row;
  GtkSpinner   *spinner;
};

static void
top_up_clear (gpointer data)
{
  TopUp *top_up = data;

  g_free (top_up->state);
  g_free (top_up->hash);
  g_free (top_up->raw);
  g_free (top_up->sender);
}

static TopUp *
top_up_ref (TopUp *top_up)
{
  return g_rc_box_acquire (top_up);
}

static void
top_up_unref (TopUp *top_up)
{
  g_rc_box_release_full (top_up, top_up_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TopUp, top_up_unref)

/* Takes it off the page; what is still under way for it sees page NULL. */
static void
top_up_detach (gpointer data)
{
  TopUp *top_up = data;

  g_clear_handle_id (&top_up->source, g_source_remove);
  if (top_up->page != NULL && top_up->row != NULL)
    adw_preferences_group_remove (top_up->page->transfers_group, GTK_WIDGET (top_up->row));
  top_up->row = NULL;
  top_up->spinner = NULL;
  top_up->page = NULL;
  top_up_unref (top_up);
}

static gboolean
top_up_finished (TopUp *top_up)
{
  return g_strcmp0 (top_up->state, "credited") == 0 || g_strcmp0 (top_up->state, "failed") == 0;
}

static TopUp *
top_up_new (UsdtpayWalletPage *self,
            gint64             amount)
{
  TopUp *top_up = g_rc_box_new0 (TopUp);

  top_up->page = self;
  top_up->amount = amount;
  transfer_row_new (self, _("Top-up"), &top_up->row, &top_up->spinner);
  g_ptr_array_add (self->top_ups, top_up);

  return top_up;
}

static void
top_up_forget (TopUp *top_up)
{
  UsdtpayWalletPage *self = top_up->page;

  if (self->cache != NULL && top_up->hash != NULL)
    usdtpay_cache_forget_top_up (self->cache, self->platform, self->account, top_up->hash);
}

static void
set_top_up (TopUp      *top_up,
            const char *state,
            const char *detail)
{
  UsdtpayWalletPage *self = top_up->page;
  g_autofree char *amount = usdt_text (top_up->amount);
  g_autofree char *text = NULL;
  guint wanted = usdtpay_wallet_get_confirmations (self->wallet);

  g_free (top_up->state);
  top_up->state = g_strdup (state);

  if (g_strcmp0 (state, "sending") == 0)
    /* Translators: %s is an amount of USDT */
    text = g_strdup_printf (_("Sending %s…"), amount);
  else if (g_strcmp0 (state, "mining") == 0)
    text = g_strdup_printf (_("%s sent; waiting for a block"), amount);
  else if (g_strcmp0 (state, "confirming") == 0)
    /* Translators: an amount, then "2 of 12" */
    text = g_strdup_printf (_("%s: %u of %u confirmations"), amount,
                            (guint)MIN (top_up->confirmations, wanted), wanted);
  else if (g_strcmp0 (state, "confirmed") == 0)
    text = g_strdup_printf (_("%s confirmed; waiting for the platform to credit it"), amount);
  else if (g_strcmp0 (state, "credited") == 0)
    text = g_strdup_printf (_("%s credited to your escrow"), amount);
  else if (g_strcmp0 (state, "dropped") == 0)
    text = g_strdup_printf (_("%s: its block left the chain; waiting for it to be mined again"), amount);
  else if (top_up->hash != NULL && top_up->confirmations > 0)
    /* Translators: an amount, then why it failed */
    text = g_strdup_printf (_("%s not credited: %s"), amount, detail != NULL ? detail : "");
  else
    text = g_strdup_printf (_("%s not sent: %s"), amount, detail != NULL ? detail : "");

  transfer_row_show (top_up->row, top_up->spinner, text, top_up->hash, !top_up_finished (top_up));
  changed (self);
}

static gboolean top_up_tick_cb (gpointer user_data);

static void
schedule_top_up_tick (TopUp *top_up,
                      guint  interval_ms)
{
  if (top_up->page != NULL && top_up->source == 0 && top_up->hash != NULL)
    top_up->source = g_timeout_add (interval_ms, top_up_tick_cb, top_up);
}

static void
top_up_tracked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TopUp) top_up = user_data;
  UsdtpayWalletPage *self = top_up->page;
  g_autoptr(GError) error = NULL;
  g_autofree char *deposit = NULL;
  guint64 confirmations = 0;
  gboolean resent = FALSE;

  top_up->polling = FALSE;
  if (!usdtpay_wallet_track_top_up_finish (USDTPAY_WALLET (object), result, &confirmations, &deposit, &resent,
                                           &error))
    {
      if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT))
        {
          /* Reverted, or dropped and replaced: it will never be credited. */
          top_up_forget (top_up);
          set_top_up (top_up, "failed", error->message);
          usdtpay_wallet_page_refresh (self);
          return;
        }
      /* The node or the platform did not answer: say so, keep following. */
      g_free (self->chain_problem);
      self->chain_problem = g_strdup (error->message);
      update_page (self);
      schedule_top_up_tick (top_up, TRACK_INTERVAL_MS);
      return;
    }
  if (self == NULL)
    return;

  if (resent)
    top_up->resent++;
  top_up->confirmations = confirmations;
  if (g_strcmp0 (deposit, "credited") == 0 || g_strcmp0 (deposit, "assigned") == 0)
    {
      top_up_forget (top_up);
      set_top_up (top_up, "credited", NULL);
      usdtpay_wallet_page_refresh (self);
      return;
    }
  if (g_strcmp0 (deposit, "unattributed") == 0 || g_strcmp0 (deposit, "refunding") == 0 ||
      g_strcmp0 (deposit, "refunded") == 0)
    {
      top_up_forget (top_up);
      set_top_up (top_up, "failed", _("the platform received it from an address not registered to you; "
                                      "support can assign it to you or send it back"));
      return;
    }
  if (g_strcmp0 (deposit, "dropped") == 0 && confirmations == 0)
    {
      /* Kept and followed: mined again (sent again if the node lost it),
       * the platform sees it again and credits it. */
      set_top_up (top_up, "dropped", NULL);
      schedule_top_up_tick (top_up, TRACK_INTERVAL_MS);
      return;
    }

  if (confirmations == 0)
    set_top_up (top_up, "mining", NULL);
  else if (confirmations < usdtpay_wallet_get_confirmations (self->wallet))
    set_top_up (top_up, "confirming", NULL);
  else
    set_top_up (top_up, "confirmed", NULL);
  schedule_top_up_tick (top_up, TRACK_INTERVAL_MS);
}

static void
track_top_up (TopUp *top_up)
{
  UsdtpayWalletPage *self = top_up->page;

  if (self == NULL || top_up->polling || top_up->hash == NULL || self->wallet == NULL ||
      g_strcmp0 (top_up->state, "sending") == 0 || g_strcmp0 (top_up->state, "credited") == 0)
    return;

  /* A resumed top-up waits for GET /v1/chain (the refresh asks for it). */
  if (!usdtpay_wallet_has_chain (self->wallet))
    {
      schedule_top_up_tick (top_up, TRACK_INTERVAL_MS);
      return;
    }

  top_up->polling = TRUE;
  usdtpay_wallet_track_top_up_async (self->wallet, top_up->hash, top_up->raw, top_up->sender, top_up->nonce,
                                     self->cancellable, top_up_tracked_cb, top_up_ref (top_up));
}

static gboolean
top_up_tick_cb (gpointer user_data)
{
  TopUp *top_up = user_data;

  top_up->source = 0;
  track_top_up (top_up);

  return G_SOURCE_REMOVE;
}

static void
top_ups_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GError) error = NULL;

  stored = usdtpay_cache_load_top_ups_finish (USDTPAY_CACHE (object), result, &error);
  if (stored == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the top-ups in progress: %s", error->message);
      return;
    }
  if (self->top_ups == NULL)
    return;

  for (guint i = 0; i < stored->len; i++)
    {
      UsdtpayCachedTopUp *cached = g_ptr_array_index (stored, i);
      TopUp *top_up = top_up_new (self, cached->amount);

      top_up->hash = g_strdup (cached->tx_hash);
      top_up->raw = g_strdup (cached->raw);
      top_up->sender = g_strdup (cached->sender);
      top_up->nonce = cached->nonce;
      top_up->resumed = TRUE;
      set_top_up (top_up, "mining", NULL);
      track_top_up (top_up);
    }
  update_transfers_group (self);
  update_page (self);
}

/* Withdrawals: the platform's records, asked for again after a restart. */

struct _Withdrawal
{
  UsdtpayWalletPage *page;      /* NULL once taken off the page */
  char         *id;             /* NULL while asked for */
  char         *state;          /* requesting, requested, sent, settled, failed */
  gint64        amount;
  gboolean      resumed;
  AdwActionRow *row;
  GtkSpinner   *spinner;
};

static void
withdrawal_clear (gpointer data)
{
  Withdrawal *withdrawal = data;

  g_free (withdrawal->id);
  g_free (withdrawal->state);
}

static Withdrawal *
withdrawal_ref (Withdrawal *withdrawal)
{
  return g_rc_box_acquire (withdrawal);
}

static void
withdrawal_unref (Withdrawal *withdrawal)
{
  g_rc_box_release_full (withdrawal, withdrawal_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Withdrawal, withdrawal_unref)

static void
withdrawal_detach (gpointer data)
{
  Withdrawal *withdrawal = data;

  if (withdrawal->page != NULL && withdrawal->row != NULL)
    adw_preferences_group_remove (withdrawal->page->transfers_group, GTK_WIDGET (withdrawal->row));
  withdrawal->row = NULL;
  withdrawal->spinner = NULL;
  withdrawal->page = NULL;
  withdrawal_unref (withdrawal);
}

static gboolean
withdrawal_state_final (const char *state)
{
  return g_strcmp0 (state, "settled") == 0 || g_strcmp0 (state, "failed") == 0;
}

static Withdrawal *
withdrawal_new (UsdtpayWalletPage *self,
                gint64             amount)
{
  Withdrawal *withdrawal = g_rc_box_new0 (Withdrawal);

  withdrawal->page = self;
  withdrawal->amount = amount;
  transfer_row_new (self, _("Withdrawal"), &withdrawal->row, &withdrawal->spinner);
  g_ptr_array_add (self->withdrawals, withdrawal);

  return withdrawal;
}

static Withdrawal *
find_withdrawal (UsdtpayWalletPage *self,
                 const char        *id)
{
  for (guint i = 0; self->withdrawals != NULL && i < self->withdrawals->len; i++)
    {
      Withdrawal *withdrawal = g_ptr_array_index (self->withdrawals, i);

      if (withdrawal->id != NULL && g_strcmp0 (withdrawal->id, id) == 0)
        return withdrawal;
    }
  return NULL;
}

static gboolean
withdrawals_in_progress (UsdtpayWalletPage *self)
{
  for (guint i = 0; self->withdrawals != NULL && i < self->withdrawals->len; i++)
    if (!withdrawal_state_final (((Withdrawal *)g_ptr_array_index (self->withdrawals, i))->state))
      return TRUE;
  return FALSE;
}

static void
set_withdrawal (Withdrawal *withdrawal,
                JsonObject *object)
{
  UsdtpayWalletPage *self = withdrawal->page;
  g_autofree char *amount_text = NULL;
  g_autofree char *text = NULL;
  const char *state = NULL;
  const char *to = NULL;
  const char *error = NULL;
  const char *tx_hash = NULL;

  if (object != NULL)
    {
      usdtpay_json_get_string (object, "state", FALSE, &state, NULL);
      usdtpay_json_get_string (object, "to", TRUE, &to, NULL);
      usdtpay_json_get_string (object, "error", TRUE, &error, NULL);
      usdtpay_json_get_string (object, "tx_hash", TRUE, &tx_hash, NULL);
      usdtpay_json_get_usdt (object, "amount", TRUE, FALSE, &withdrawal->amount, NULL);
    }
  else
    state = "requesting";

  g_free (withdrawal->state);
  withdrawal->state = g_strdup (state);
  amount_text = usdt_text (withdrawal->amount);

  if (g_strcmp0 (state, "requesting") == 0)
    text = g_strdup_printf (_("Asking the platform to send %s…"), amount_text);
  else if (g_strcmp0 (state, "requested") == 0)
    text = g_strdup_printf (_("%s taken from escrow; the platform is sending it"), amount_text);
  else if (g_strcmp0 (state, "sent") == 0 && usdtpay_wallet_get_confirmations (self->wallet) == 0)
    /* Before GET /v1/chain has said how many (a withdrawal resumed at start). */
    text = g_strdup_printf (_("%s sent to %s; waiting for its confirmations"), amount_text, to != NULL ? to : "");
  else if (g_strcmp0 (state, "sent") == 0)
    text = g_strdup_printf (_("%s sent to %s; waiting for %u confirmations"), amount_text, to != NULL ? to : "",
                            usdtpay_wallet_get_confirmations (self->wallet));
  else if (g_strcmp0 (state, "settled") == 0)
    text = g_strdup_printf (_("%s paid to %s"), amount_text, to != NULL ? to : "");
  else
    text = g_strdup_printf (_("%s not paid (%s); it is back in your escrow"), amount_text,
                            error != NULL ? error : _("failed"));

  transfer_row_show (withdrawal->row, withdrawal->spinner, text, tx_hash, !withdrawal_state_final (state));
  changed (self);
}

/* A withdrawal the page has not seen yet (made before a restart, or by
 * another copy of the app): shown while it is under way. */
static void
take_withdrawal (UsdtpayWalletPage *self,
                 JsonObject        *object)
{
  Withdrawal *withdrawal;
  const char *id = NULL;
  const char *state = NULL;

  if (!usdtpay_json_get_string (object, "id", FALSE, &id, NULL))
    return;
  withdrawal = find_withdrawal (self, id);
  if (withdrawal != NULL)
    {
      set_withdrawal (withdrawal, object);
      return;
    }

  /* The one being asked for gets its id from POST's answer. */
  for (guint i = 0; i < self->withdrawals->len; i++)
    if (((Withdrawal *)g_ptr_array_index (self->withdrawals, i))->id == NULL)
      return;
  if (!usdtpay_json_get_string (object, "state", FALSE, &state, NULL) || withdrawal_state_final (state))
    return;

  withdrawal = withdrawal_new (self, 0);
  withdrawal->id = g_strdup (id);
  withdrawal->resumed = TRUE;
  set_withdrawal (withdrawal, object);
  update_transfers_group (self);
}

static gboolean withdrawal_tick_cb (gpointer user_data);
static void schedule_retry (UsdtpayWalletPage *self);

static void
withdrawals_listed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *items = NULL;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->withdrawals == NULL)
    return;

  if (answer == NULL)
    {
      g_free (self->withdrawals_problem);
      self->withdrawals_problem = g_strdup_printf (_("Withdrawals under way not known: %s"), error->message);
      update_page (self);
      if (!withdrawals_in_progress (self))
        schedule_retry (self);
      else if (self->withdrawal_source == 0)
        self->withdrawal_source = g_timeout_add (TRACK_INTERVAL_MS, withdrawal_tick_cb, self);
      return;
    }

  self->withdrawals_loaded = TRUE;
  g_clear_pointer (&self->withdrawals_problem, g_free);
  if (json_object_has_member (answer, "items") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, "items")))
    items = json_object_get_array_member (answer, "items");
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        take_withdrawal (self, json_node_get_object (node));
    }
  update_page (self);

  if (withdrawals_in_progress (self) && self->withdrawal_source == 0)
    self->withdrawal_source = g_timeout_add (TRACK_INTERVAL_MS, withdrawal_tick_cb, self);
}

static void
list_withdrawals (UsdtpayWalletPage *self)
{
  if (self->client != NULL)
    usdtpay_client_get_object_async (self->client, "/v1/withdrawals", self->cancellable,
                                     withdrawals_listed_cb, g_object_ref (self));
}

static gboolean
withdrawal_tick_cb (gpointer user_data)
{
  UsdtpayWalletPage *self = user_data;

  self->withdrawal_source = 0;
  list_withdrawals (self);

  return G_SOURCE_REMOVE;
}

static gboolean
retry_cb (gpointer user_data)
{
  UsdtpayWalletPage *self = user_data;

  self->retry_source = 0;
  usdtpay_wallet_page_refresh (self);
  if (!self->withdrawals_loaded && self->withdrawal_source == 0)
    list_withdrawals (self);

  return G_SOURCE_REMOVE;
}

/* The platform (or GET /v1/chain) did not answer: asked again a little
 * later while there is something to follow or to find. */
static void
schedule_retry (UsdtpayWalletPage *self)
{
  gboolean following = !self->withdrawals_loaded || withdrawals_in_progress (self);

  for (guint i = 0; !following && self->top_ups != NULL && i < self->top_ups->len; i++)
    following = !top_up_finished (g_ptr_array_index (self->top_ups, i));

  if (following && self->retry_source == 0 && self->wallet != NULL)
    self->retry_source = g_timeout_add_seconds (RETRY_SECONDS, retry_cb, self);
}

/* Refreshing */

static void
chain_balances_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!usdtpay_wallet_chain_balances_finish (USDTPAY_WALLET (object), result, &self->usdt, &self->eth, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->has_chain_balances = FALSE;
      g_free (self->chain_problem);
      self->chain_problem = g_strdup (error->message);
      update_page (self);
      return;
    }

  self->has_chain_balances = TRUE;
  g_clear_pointer (&self->chain_problem, g_free);
  update_page (self);
}

static void
registered_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean registered = FALSE;

  if (!usdtpay_wallet_registered_finish (USDTPAY_WALLET (object), result, &registered, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("GET /v1/wallets: %s", error->message);
      return;
    }

  self->registered = registered ? 1 : 0;
  update_page (self);
}

static void
chain_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!usdtpay_wallet_load_chain_finish (USDTPAY_WALLET (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_free (self->chain_problem);
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE))
        self->chain_problem = g_strdup (_("This platform has no escrow on chain: it was started without a chain node."));
      else if (usdtpay_client_error_is_transport (error))
        self->chain_problem = g_strdup_printf (_("Could not reach the platform: %s"), error->message);
      else
        self->chain_problem = g_strdup (error->message);
      update_page (self);
      if (!g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_UNAVAILABLE))
        schedule_retry (self);
      return;
    }

  update_actions (self);
  if (usdtpay_wallet_get_key (self->wallet) != NULL)
    {
      usdtpay_wallet_chain_balances_async (self->wallet, self->refresh_cancellable, chain_balances_cb,
                                           g_object_ref (self));
      usdtpay_wallet_registered_async (self->wallet, self->refresh_cancellable, registered_cb,
                                       g_object_ref (self));
    }
  else
    {
      g_clear_pointer (&self->chain_problem, g_free);
      update_page (self);
    }
}

static void
escrow_balances_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = usdtpay_client_get_object_finish (USDTPAY_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_free (self->platform_problem);
      self->platform_problem = g_strdup_printf (_("Escrow balances not current: %s"), error->message);
      update_page (self);
      schedule_retry (self);
      return;
    }

  if (usdtpay_json_get_usdt (answer, "available", FALSE, FALSE, &self->available, &error) &&
      usdtpay_json_get_usdt (answer, "frozen", FALSE, FALSE, &self->frozen, &error))
    {
      self->has_escrow = TRUE;
      g_clear_pointer (&self->platform_problem, g_free);
    }
  else
    {
      g_free (self->platform_problem);
      self->platform_problem = g_strdup_printf (_("Escrow balances not current: %s"), error->message);
    }
  update_page (self);
}

void
usdtpay_wallet_page_refresh (UsdtpayWalletPage *self)
{
  g_return_if_fail (USDTPAY_IS_WALLET_PAGE (self));

  if (self->wallet == NULL || self->support)
    return;

  g_cancellable_cancel (self->refresh_cancellable);
  g_clear_object (&self->refresh_cancellable);
  self->refresh_cancellable = g_cancellable_new ();

  usdtpay_client_get_object_async (self->client, "/v1/ledger/balances", self->refresh_cancellable,
                                   escrow_balances_cb, g_object_ref (self));
  usdtpay_wallet_load_chain_async (self->wallet, self->refresh_cancellable, chain_loaded_cb,
                                   g_object_ref (self));
}

static void
key_loaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;

  if (!usdtpay_wallet_load_key_finish (USDTPAY_WALLET (object), result, &found, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      error_toast (self, _("Could not read the wallet key from the keyring"), error);
    }

  self->key_loaded = TRUE;
  update_page (self);
  usdtpay_wallet_page_refresh (self);
}

/* Feed events */

static void
feed_event_cb (UsdtpayWalletPage *self,
               UsdtpayEvent      *event,
               UsdtpayFeed       *feed)
{
  JsonObject *object;
  const char *value = NULL;

  if (event->object == NULL || !JSON_NODE_HOLDS_OBJECT (event->object) || self->wallet == NULL)
    return;
  object = json_node_get_object (event->object);

  switch ((int)event->type)
    {
    case USDTPAY_EVENT_BALANCE_CHANGED:
      if (usdtpay_json_get_usdt (object, "available", FALSE, FALSE, &self->available, NULL) &&
          usdtpay_json_get_usdt (object, "frozen", FALSE, FALSE, &self->frozen, NULL))
        {
          self->has_escrow = TRUE;
          update_page (self);
        }
      break;

    case USDTPAY_EVENT_DEPOSIT_SEEN:
    case USDTPAY_EVENT_DEPOSIT_CREDITED:
    case USDTPAY_EVENT_DEPOSIT_DROPPED:
      if (usdtpay_json_get_string (object, "tx_hash", FALSE, &value, NULL))
        for (guint i = 0; i < self->top_ups->len; i++)
          {
            TopUp *top_up = g_ptr_array_index (self->top_ups, i);

            if (top_up->hash != NULL && g_ascii_strcasecmp (value, top_up->hash) == 0)
              track_top_up (top_up);
          }
      usdtpay_wallet_page_refresh (self);
      break;

    case USDTPAY_EVENT_WITHDRAWAL_REQUESTED:
    case USDTPAY_EVENT_WITHDRAWAL_SENT:
    case USDTPAY_EVENT_WITHDRAWAL_SETTLED:
    case USDTPAY_EVENT_WITHDRAWAL_FAILED:
      take_withdrawal (self, object);
      update_transfers_group (self);
      if (withdrawals_in_progress (self) && self->withdrawal_source == 0)
        self->withdrawal_source = g_timeout_add (TRACK_INTERVAL_MS, withdrawal_tick_cb, self);
      usdtpay_wallet_page_refresh (self);
      break;

    default:
      break;
    }
}

/* Keys */

static void
key_saved_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;
  if (!usdtpay_wallet_save_key_finish (USDTPAY_WALLET (object), result, &error))
    {
      error_toast (self, _("Could not store the key in the keyring"), error);
      update_page (self);
      return;
    }

  toast (self, _("Wallet key stored in the keyring"));
  self->registered = -1;
  self->has_chain_balances = FALSE;
  update_page (self);
  usdtpay_wallet_page_refresh (self);
}

static void
save_key (UsdtpayWalletPage *self,
          UsdtpayKey        *key)
{
  self->busy = TRUE;
  update_actions (self);
  usdtpay_wallet_save_key_async (self->wallet, key, self->cancellable, key_saved_cb, g_object_ref (self));
}

static void
replace_response_cb (AdwMessageDialog  *dialog,
                     const char        *response,
                     UsdtpayWalletPage *self)
{
  g_autoptr(UsdtpayKey) key = NULL;

  if (g_strcmp0 (response, "replace") != 0 || self->wallet == NULL)
    return;

  key = usdtpay_key_new_random ();
  save_key (self, key);
}

static void
create_key_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  UsdtpayWalletPage *self = USDTPAY_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;

  if (usdtpay_wallet_get_key (self->wallet) == NULL)
    {
      g_autoptr(UsdtpayKey) key = usdtpay_key_new_random ();

      save_key (self, key);
      return;
    }

  dialog = dialog_new (self, _("Replace the Wallet Key?"),
                       _("The current key is deleted from the keyring. Whatever its address holds can then "
                         "only be spent with an exported copy of it."));
  adw_message_dialog_add_response (dialog, "replace", _("_Replace Key"));
  adw_message_dialog_set_response_appearance (dialog, "replace", ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (replace_response_cb), self, 0);
  show_dialog (self, dialog);
}

static void
import_changed_cb (GtkEditable      *entry,
                   AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autoptr(UsdtpayKey) key = usdtpay_key_new_from_hex (text, NULL);

  adw_message_dialog_set_response_enabled (dialog, "import", key != NULL);
}

static void
import_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    UsdtpayWalletPage *self)
{
  g_autofree char *text = NULL;
  g_autoptr(UsdtpayKey) key = NULL;
  g_autoptr(GError) error = NULL;
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "import") != 0 || self->wallet == NULL)
    return;

  text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  gtk_editable_set_text (entry, "");
  key = usdtpay_key_new_from_hex (text, &error);
  memset (text, 0, strlen (text));
  if (key == NULL)
    {
      error_toast (self, _("Not imported"), error);
      return;
    }

  save_key (self, key);
}

static void
import_key_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  UsdtpayWalletPage *self = USDTPAY_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  gboolean replacing = usdtpay_wallet_get_key (self->wallet) != NULL;

  dialog = dialog_new (self, _("Import a Private Key"),
                       replacing ? _("Paste the 64 hex digits of the private key. It replaces the current "
                                     "key, which is deleted from the keyring: export it first if its "
                                     "address holds anything.")
                                 : _("Paste the 64 hex digits of the private key. It is kept in your "
                                     "keyring, never in a file."));
  /* A plain entry that hides its text: GTK 4.8's GtkPasswordEntry follows
   * the caps-lock state after it is destroyed with its dialog. */
  entry = gtk_entry_new ();
  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Private key"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_response (dialog, "import", _("_Import Key"));
  adw_message_dialog_set_response_appearance (dialog, "import",
                                              replacing ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "import", FALSE);
  g_signal_connect_object (entry, "changed", G_CALLBACK (import_changed_cb), dialog, 0);
  g_signal_connect_object (dialog, "response", G_CALLBACK (import_response_cb), self, 0);
  show_dialog (self, dialog);
}

static gboolean
clear_clipboard_cb (gpointer user_data)
{
  UsdtpayWalletPage *self = user_data;
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));

  self->clipboard_source = 0;
  /* Only while the clipboard is still this app's: never what was copied since elsewhere. */
  if (gdk_clipboard_is_local (clipboard))
    gdk_clipboard_set_content (clipboard, NULL);

  return G_SOURCE_REMOVE;
}

static void
exported_response_cb (AdwMessageDialog  *dialog,
                      const char        *response,
                      UsdtpayWalletPage *self)
{
  if (g_strcmp0 (response, "copy") == 0 && self->exported_key != NULL)
    {
      gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->exported_key);
      g_clear_handle_id (&self->clipboard_source, g_source_remove);
      self->clipboard_source = g_timeout_add_seconds (CLIPBOARD_KEY_SECONDS, clear_clipboard_cb, self);
      toast (self, _("Private key copied; the clipboard forgets it in a minute"));
    }

  if (self->exported_key != NULL)
    {
      memset (self->exported_key, 0, strlen (self->exported_key));
      g_clear_pointer (&self->exported_key, g_free);
    }
  changed (self);
}

static void
export_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    UsdtpayWalletPage *self)
{
  AdwMessageDialog *shown;
  GtkWidget *label;
  UsdtpayKey *key;

  if (g_strcmp0 (response, "show") != 0 || self->wallet == NULL ||
      (key = usdtpay_wallet_get_key (self->wallet)) == NULL)
    return;

  g_free (self->exported_key);
  self->exported_key = usdtpay_key_dup_secret_hex (key);

  shown = dialog_new (self, _("Private Key"), _("Keep it where only you can reach it."));
  adw_message_dialog_set_response_label (shown, "cancel", _("_Close"));
  label = gtk_label_new (self->exported_key);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (label, "monospace");
  adw_message_dialog_set_extra_child (shown, label);
  adw_message_dialog_add_response (shown, "copy", _("C_opy and Close"));
  g_signal_connect_object (shown, "response", G_CALLBACK (exported_response_cb), self, 0);
  show_next_dialog (self, shown);
}

static void
export_key_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  UsdtpayWalletPage *self = USDTPAY_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;

  dialog = dialog_new (self, _("Show the Private Key?"),
                       _("Anyone who sees or copies it can take everything this wallet holds. Make sure "
                         "nobody is watching your screen."));
  adw_message_dialog_add_response (dialog, "show", _("_Show Private Key"));
  adw_message_dialog_set_response_appearance (dialog, "show", ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (export_response_cb), self, 0);
  show_dialog (self, dialog);
}

static void
copy_address_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  UsdtpayWalletPage *self = USDTPAY_WALLET_PAGE (widget);
  g_autofree char *address = NULL;

  if (self->wallet == NULL || usdtpay_wallet_get_key (self->wallet) == NULL)
    return;

  address = usdtpay_key_dup_address_string (usdtpay_wallet_get_key (self->wallet));
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), address);
  toast (self, _("Address copied"));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  usdtpay_wallet_page_refresh (USDTPAY_WALLET_PAGE (widget));
}

/* Registration */

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(UsdtpayWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;
  if (!usdtpay_wallet_register_finish (USDTPAY_WALLET (object), result, &error))
    {
      error_toast (self, _("Address not registered"), error);
      update_page (self);
      return;
    }

  self->registered = 1;
  toast (self, _("Address registered with the platform"));
  update_page (self);
  usdtpay_wallet_page_refresh (self);
}

static void
register_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  UsdtpayWalletPage *self = USDTPAY_WALLET_PAGE (widget);

  self->busy = TRUE;
  update_actions (self);
  usdtpay_wallet_register_async (self->wallet, self->cancellable, register_cb, g_object_ref (self));
}

/* Amount dialogs: Top Up and Withdraw */

typedef enum {
  AMOUNT_TOP_UP,
  AMOUNT_WITHDRAW,
} AmountKind;

/* Checks what is typed; the response stays off and the body says why
 * while it is not an amount the page can move. */
static gboolean
check_amount (UsdtpayWalletPage  *self,
              AmountKind          kind,
              const char         *text,
              gint64             *micro,
              char              **why)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *have = NULL;

  if (!usdtpay_wallet_parse_amount (text, micro, &error))
    {
      *why = g_strdup (error->message);
      return FALSE;
    }
  if (kind == AMOUNT_TOP_UP && self->registered == 0)
    {
      *why = g_strdup (_("Register this wallet's address first: the platform credits only deposits from "
                         "registered addresses."));
      return FALSE;
    }
  if (kind == AMOUNT_TOP_UP && self->has_chain_balances && *micro > self->usdt)
    {
      have = usdtpay_usdt_format (self->usdt);
      *why = g_strdup_printf (_("More than the wallet holds: %s USDT."), have);
      return FALSE;
    }
  if (kind == AMOUNT_WITHDRAW && self->has_escrow && *micro > self->available)
    {
      have = usdtpay_usdt_format (self->available);
      *why = g_strdup_printf (_("More than your available escrow: %s USDT."), have);
      return FALSE;
    }

  *why = NULL;
  return TRUE;
}

static void
amount_changed_cb (GtkEditable      *entry,
                   AdwMessageDialog *dialog)
{
  UsdtpayWalletPage *self = g_object_get_data (G_OBJECT (dialog), "usdtpay-page");
  AmountKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "usdtpay-kind"));
  const char *body = g_object_get_data (G_OBJECT (dialog), "usdtpay-body");
  g_autofree char *why = NULL;
  gint64 micro = 0;
  gboolean ok;

  ok = check_amount (self, kind, gtk_editable_get_text (entry), &micro, &why);
  adw_message_dialog_set_response_enabled (dialog, "continue", ok);
  g_free (self->amount_error);
  /* Nothing typed yet is not an error to show. */
  self->amount_error = *gtk_editable_get_text (entry) != '\0' ? g_steal_pointer (&why) : NULL;
  if (self->amount_error != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s\n\n%s", body, self->amount_error);
      adw_message_dialog_set_body (dialog, text);
    }
  else
    adw_message_dialog_set_body (dialog, body);
  changed (self);
}

static void
top_up_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TopUp) top_up = user_data;
  UsdtpayWalletPage *self = top_up->page;
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;
  self->busy = FALSE;
  if (!usdtpay_wallet_send_top_up_finish (USDTPAY_WALLET (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Refused: it cannot be mined. A node that did not answer may have
       * taken it: then it stays in the cache and is followed. */
      if (!g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT))
        {
          set_top_up (top_up, "mining", NULL);
          g_free (self->chain_problem);
          self->chain_problem = g_strdup (error->message);
          update_page (self);
          schedule_top_up_tick (top_up, TRACK_INTERVAL_MS);
          return;
        }
      top_up_forget (top_up);
      g_clear_pointer (&top_up->hash, g_free);
      set_top_up (top_up, "failed", error->message);
      error_toast (self, _("Top-up not sent"), error);
      update_page (self);
      return;
    }

  top_up->confirmations = 0;
  set_top_up (top_up, "mining", NULL);
  update_page (self);
  track_top_up (top_up);
}

static void
top_up_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TopUp) top_up = user_data;
  UsdtpayWalletPage *self = top_up->page;
  g_autoptr(GError) error = NULL;

  /* Sent even when the cache could not keep it: only a restart loses it. */
  if (!usdtpay_cache_store_top_up_finish (USDTPAY_CACHE (object), result, &error))
    g_warning ("The top-up %s is not kept across a restart: %s", top_up->hash, error->message);
  if (self == NULL || self->wallet == NULL)
    return;

  usdtpay_wallet_send_top_up_async (self->wallet, top_up->raw, self->cancellable, top_up_sent_cb,
                                    top_up_ref (top_up));
}

static void
top_up_signed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TopUp) top_up = user_data;
  UsdtpayWalletPage *self = top_up->page;
  g_autoptr(GError) error = NULL;
  UsdtpayCachedTopUp cached = { 0, };

  if (self == NULL)
    return;
  top_up->hash = usdtpay_wallet_sign_top_up_finish (USDTPAY_WALLET (object), result, &top_up->raw,
                                                    &top_up->nonce, &error);
  if (top_up->hash == NULL)
    {
      self->busy = FALSE;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_top_up (top_up, "failed", error->message);
      error_toast (self, _("Top-up not sent"), error);
      update_page (self);
      return;
    }
  top_up->sender = usdtpay_key_dup_address_string (usdtpay_wallet_get_key (self->wallet));

  if (self->cache == NULL)
    {
      usdtpay_wallet_send_top_up_async (self->wallet, top_up->raw, self->cancellable, top_up_sent_cb,
                                        top_up_ref (top_up));
      return;
    }

  /* Kept before it is sent: a crash in between leaves it to be sent again. */
  cached.tx_hash = top_up->hash;
  cached.amount = top_up->amount;
  cached.nonce = top_up->nonce;
  cached.raw = top_up->raw;
  cached.sender = top_up->sender;
  cached.sent_at = g_get_real_time ();
  usdtpay_cache_store_top_up_async (self->cache, self->platform, self->account, &cached, NULL,
                                    top_up_stored_cb, top_up_ref (top_up));
}

static void
withdraw_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Withdrawal) withdrawal = user_data;
  UsdtpayWalletPage *self = withdrawal->page;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  const char *id = NULL;

  if (self == NULL)
    return;
  self->busy = FALSE;
  answer = usdtpay_wallet_withdraw_finish (USDTPAY_WALLET (object), result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT))
        {
          g_clear_error (&error);
          error = g_error_new_literal (USDTPAY_ERROR, USDTPAY_ERROR_CONFLICT,
                                       _("Register this wallet's address first: withdrawals go to a registered address."));
        }
      g_ptr_array_remove (self->withdrawals, withdrawal);
      update_transfers_group (self);
      error_toast (self, _("Withdrawal refused"), error);
      update_page (self);
      return;
    }

  usdtpay_json_get_string (answer, "id", FALSE, &id, NULL);
  /* The feed may have brought it first, under its id. */
  if (id != NULL && find_withdrawal (self, id) != NULL)
    {
      g_ptr_array_remove (self->withdrawals, withdrawal);
      update_transfers_group (self);
    }
  else
    {
      withdrawal->id = g_strdup (id);
      set_withdrawal (withdrawal, answer);
    }
  update_page (self);
  usdtpay_wallet_page_refresh (self);
  if (self->withdrawal_source == 0)
    self->withdrawal_source = g_timeout_add (TRACK_INTERVAL_MS, withdrawal_tick_cb, self);
}

/* The finished ones of a kind make room when another starts. */
static void
drop_finished (UsdtpayWalletPage *self,
               gboolean           top_ups)
{
  GPtrArray *array = top_ups ? self->top_ups : self->withdrawals;

  for (guint i = array->len; i > 0; i--)
    {
      gpointer item = g_ptr_array_index (array, i - 1);

      if (top_ups ? top_up_finished (item) : withdrawal_state_final (((Withdrawal *)item)->state))
        g_ptr_array_remove_index (array, i - 1);
    }
}

static void
amount_confirmed_cb (AdwMessageDialog  *dialog,
                     const char        *response,
                     UsdtpayWalletPage *self)
{
  gint64 micro = *(gint64 *)g_object_get_data (G_OBJECT (dialog), "usdtpay-micro");
  AmountKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "usdtpay-kind"));

  if (g_strcmp0 (response, "send") != 0 || self->wallet == NULL)
    return;

  self->busy = TRUE;
  update_actions (self);
  drop_finished (self, kind == AMOUNT_TOP_UP);
  if (kind == AMOUNT_TOP_UP)
    {
      TopUp *top_up = top_up_new (self, micro);

      set_top_up (top_up, "sending", NULL);
      usdtpay_wallet_sign_top_up_async (self->wallet, micro, self->cancellable, top_up_signed_cb,
                                        top_up_ref (top_up));
    }
  else
    {
      Withdrawal *withdrawal = withdrawal_new (self, micro);

      set_withdrawal (withdrawal, NULL);
      usdtpay_wallet_withdraw_async (self->wallet, micro, self->cancellable, withdraw_sent_cb,
                                     withdrawal_ref (withdrawal));
    }
  update_transfers_group (self);
}

static void
amount_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    UsdtpayWalletPage *self)
{
  AmountKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "usdtpay-kind"));
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *why = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  g_autofree char *label = NULL;
  g_autofree char *from = NULL;
  g_autofree char *escrow = NULL;
  AdwMessageDialog *confirm;
  gint64 micro = 0;
  guint confirmations;

  if (g_strcmp0 (response, "continue") != 0 || self->wallet == NULL)
    return;

  /* Checked again: the balances may have moved since it was typed. */
  if (!check_amount (self, kind, gtk_editable_get_text (entry), &micro, &why))
    {
      g_free (self->amount_error);
      self->amount_error = g_strdup (why);
      toast (self, why);
      return;
    }
  g_clear_pointer (&self->amount_error, g_free);

  amount = usdtpay_usdt_format (micro);
  confirmations = usdtpay_wallet_get_confirmations (self->wallet);
  if (kind == AMOUNT_TOP_UP)
    {
      from = usdtpay_key_dup_address_string (usdtpay_wallet_get_key (self->wallet));
      escrow = usdtpay_address_to_string (usdtpay_wallet_get_escrow (self->wallet));
      /* Translators: %s is an amount such as 100.000000 */
      heading = g_strdup_printf (_("Send %s USDT to Escrow?"), amount);
      body = g_strdup_printf (_("From your wallet %s to the platform's escrow address %s. The network fee is "
                                "paid in ETH from your wallet. The platform credits your escrow after %u "
                                "confirmations. A transfer on chain cannot be undone."),
                              from, escrow, confirmations);
      label = g_strdup_printf (_("_Send %s USDT"), amount);
    }
  else
    {
      heading = g_strdup_printf (_("Withdraw %s USDT?"), amount);
      body = g_strdup_printf (_("The platform takes %s USDT from your available escrow now and sends it to "
                                "your registered address; it is paid after %u confirmations. If the transfer "
                                "fails, the amount comes back to your escrow."),
                              amount, confirmations);
      label = g_strdup_printf (_("_Withdraw %s USDT"), amount);
    }

  confirm = dialog_new (self, heading, body);
  adw_message_dialog_add_response (confirm, "send", label);
  adw_message_dialog_set_response_appearance (confirm, "send", ADW_RESPONSE_SUGGESTED);
  g_object_set_data (G_OBJECT (confirm), "usdtpay-kind", GINT_TO_POINTER (kind));
  g_object_set_data_full (G_OBJECT (confirm), "usdtpay-micro", g_memdup2 (&micro, sizeof micro), g_free);
  g_signal_connect_object (confirm, "response", G_CALLBACK (amount_confirmed_cb), self, 0);
  show_next_dialog (self, confirm);
}

static void
amount_dialog (UsdtpayWalletPage *self,
               AmountKind         kind)
{
  g_autofree char *have = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  char *body;

  if (kind == AMOUNT_TOP_UP)
    {
      have = self->has_chain_balances ? usdtpay_usdt_format (self->usdt) : g_strdup ("—");
      body = g_strdup_printf (_("How much USDT to send from this wallet (%s USDT) to your escrow?"), have);
    }
  else
    {
      have = self->has_escrow ? usdtpay_usdt_format (self->available) : g_strdup ("—");
      body = g_strdup_printf (_("How much USDT to withdraw from your available escrow (%s USDT)?"), have);
    }

  dialog = dialog_new (self, kind == AMOUNT_TOP_UP ? _("Top Up Escrow") : _("Withdraw from Escrow"), body);
  g_object_set_data_full (G_OBJECT (dialog), "usdtpay-body", body, g_free);
  g_object_set_data (G_OBJECT (dialog), "usdtpay-page", self);
  g_object_set_data (G_OBJECT (dialog), "usdtpay-kind", GINT_TO_POINTER (kind));
  entry = gtk_entry_new ();
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_NUMBER);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Amount in USDT, e.g. 100.5"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Amount in USDT"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_response (dialog, "continue", _("C_ontinue"));
  adw_message_dialog_set_response_appearance (dialog, "continue", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "continue", FALSE);
  g_clear_pointer (&self->amount_error, g_free);
  g_signal_connect_object (entry, "changed", G_CALLBACK (amount_changed_cb), dialog, 0);
  g_signal_connect_object (dialog, "response", G_CALLBACK (amount_response_cb), self, 0);
  show_dialog (self, dialog);
}

static void
top_up_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  amount_dialog (USDTPAY_WALLET_PAGE (widget), AMOUNT_TOP_UP);
}

static void
withdraw_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  amount_dialog (USDTPAY_WALLET_PAGE (widget), AMOUNT_WITHDRAW);
}

/* Lifecycle */

static void
end_session (UsdtpayWalletPage *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->refresh_cancellable);
  g_clear_object (&self->refresh_cancellable);
  g_clear_handle_id (&self->withdrawal_source, g_source_remove);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  /* Only off the page: those in progress stay in the cache. */
  g_clear_pointer (&self->top_ups, g_ptr_array_unref);
  g_clear_pointer (&self->withdrawals, g_ptr_array_unref);
  self->withdrawals_loaded = FALSE;
  if (self->feed != NULL)
    g_signal_handlers_disconnect_by_data (self->feed, self);
  g_clear_object (&self->feed);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->wallet);
  g_clear_pointer (&self->platform, g_free);
  g_clear_pointer (&self->account, g_free);
  if (self->dialog != NULL)
    gtk_window_destroy (self->dialog);
  if (self->next_dialog != NULL)
    gtk_window_destroy (self->next_dialog);
  g_clear_object (&self->next_dialog);
  g_clear_handle_id (&self->next_dialog_source, g_source_remove);
  if (self->exported_key != NULL)
    {
      memset (self->exported_key, 0, strlen (self->exported_key));
      g_clear_pointer (&self->exported_key, g_free);
    }

  self->key_loaded = FALSE;
  self->busy = FALSE;
  self->has_chain_balances = FALSE;
  self->has_escrow = FALSE;
  self->registered = -1;
  g_clear_pointer (&self->chain_problem, g_free);
  g_clear_pointer (&self->platform_problem, g_free);
  g_clear_pointer (&self->withdrawals_problem, g_free);
  g_clear_pointer (&self->amount_error, g_free);
  gtk_widget_set_visible (GTK_WIDGET (self->transfers_group), FALSE);
}

void
usdtpay_wallet_page_set_session (UsdtpayWalletPage *self,
                                 UsdtpayClient     *client,
                                 UsdtpayFeed       *feed,
                                 UsdtpayCache      *cache,
                                 const char        *platform,
                                 const char        *account,
                                 gboolean           support)
{
  g_return_if_fail (USDTPAY_IS_WALLET_PAGE (self));
  g_return_if_fail (client == NULL || USDTPAY_IS_CLIENT (client));
  g_return_if_fail (client == NULL || (platform != NULL && account != NULL));

  end_session (self);
  self->support = support;
  if (client == NULL)
    {
      update_page (self);
      return;
    }

  self->cancellable = g_cancellable_new ();
  self->client = g_object_ref (client);
  if (feed != NULL)
    {
      self->feed = g_object_ref (feed);
      g_signal_connect_object (feed, "event", G_CALLBACK (feed_event_cb), self, G_CONNECT_SWAPPED);
    }

  if (!support)
    {
      self->platform = g_strdup (platform);
      self->account = g_strdup (account);
      self->top_ups = g_ptr_array_new_with_free_func (top_up_detach);
      self->withdrawals = g_ptr_array_new_with_free_func (withdrawal_detach);
      self->wallet = usdtpay_wallet_new (client, platform, account);
      usdtpay_wallet_load_key_async (self->wallet, self->cancellable, key_loaded_cb, g_object_ref (self));
      /* What was under way when the app last stopped: the top-ups it sent
       * (the cache) and the platform's withdrawals. */
      if (cache != NULL)
        {
          self->cache = g_object_ref (cache);
          usdtpay_cache_load_top_ups_async (cache, platform, account, self->cancellable, top_ups_loaded_cb,
                                            g_object_ref (self));
        }
      list_withdrawals (self);
    }
  update_page (self);
}

static void
map_cb (UsdtpayWalletPage *self)
{
  /* Opening the page shows what is current. */
  if (self->key_loaded)
    usdtpay_wallet_page_refresh (self);
}

static void
scale_changed_cb (UsdtpayWalletPage *self)
{
  g_object_set_data (G_OBJECT (self->qr_picture), "usdtpay-address", NULL);
  update_page (self);
}

static void
usdtpay_wallet_page_dispose (GObject *object)
{
  UsdtpayWalletPage *self = (UsdtpayWalletPage *)object;

  end_session (self);
  g_clear_handle_id (&self->clipboard_source, g_source_remove);
  /* The bin lets go of its child first, so the template's unparent finds
   * nothing left to do. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), USDTPAY_TYPE_WALLET_PAGE);

  G_OBJECT_CLASS (usdtpay_wallet_page_parent_class)->dispose (object);
}

static void
usdtpay_wallet_page_class_init (UsdtpayWalletPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_wallet_page_dispose;

  /**
   * UsdtpayWalletPage::changed:
   *
   * What the page shows changed (the window's test description follows it).
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-wallet-page.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, stack);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, address_label);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, problem_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, usdt_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, eth_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, available_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, frozen_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, register_row);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayWalletPage, transfers_group);

  gtk_widget_class_install_action (widget_class, "wallet.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "wallet.copy-address", NULL, copy_address_action);
  gtk_widget_class_install_action (widget_class, "wallet.create-key", NULL, create_key_action);
  gtk_widget_class_install_action (widget_class, "wallet.import-key", NULL, import_key_action);
  gtk_widget_class_install_action (widget_class, "wallet.export-key", NULL, export_key_action);
  gtk_widget_class_install_action (widget_class, "wallet.register", NULL, register_action);
  gtk_widget_class_install_action (widget_class, "wallet.top-up", NULL, top_up_action);
  gtk_widget_class_install_action (widget_class, "wallet.withdraw", NULL, withdraw_action);
}

static void
usdtpay_wallet_page_init (UsdtpayWalletPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->registered = -1;
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);
  g_signal_connect (self, "notify::scale-factor", G_CALLBACK (scale_changed_cb), NULL);
  update_actions (self);
}

/* Tests */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
usdtpay_wallet_page_describe (UsdtpayWalletPage *self,
                              JsonBuilder       *builder)
{
  UsdtpayKey *key;
  g_autofree char *address = NULL;
  const char *state;
  TopUp *top_up;
  Withdrawal *withdrawal;

  g_return_if_fail (USDTPAY_IS_WALLET_PAGE (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  key = self->wallet != NULL ? usdtpay_wallet_get_key (self->wallet) : NULL;
  if (key != NULL)
    address = usdtpay_key_dup_address_string (key);

  if (self->support)
    state = "support";
  else if (self->wallet == NULL)
    state = "none";
  else if (!self->key_loaded)
    state = "loading";
  else
    state = key != NULL ? "ready" : "no-key";

  json_builder_set_member_name (builder, "wallet");
  json_builder_begin_object (builder);
  add_string (builder, "state", state);
  add_string (builder, "address", address);
  add_string (builder, "shown_address", gtk_label_get_label (self->address_label));
  json_builder_set_member_name (builder, "qr_modules");
  json_builder_add_int_value (builder, gtk_widget_get_visible (GTK_WIDGET (self->qr_picture)) ? self->qr_modules : 0);
  json_builder_set_member_name (builder, "registered");
  if (self->registered < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_boolean_value (builder, self->registered == 1);
  add_string (builder, "usdt", adw_action_row_get_subtitle (self->usdt_row));
  add_string (builder, "eth", adw_action_row_get_subtitle (self->eth_row));
  add_string (builder, "available", adw_action_row_get_subtitle (self->available_row));
  add_string (builder, "frozen", adw_action_row_get_subtitle (self->frozen_row));
  add_string (builder, "problem", gtk_widget_get_visible (GTK_WIDGET (self->problem_row))
                                  ? adw_action_row_get_subtitle (self->problem_row) : NULL);
  add_string (builder, "amount_error", self->amount_error);
  /* Every top-up and withdrawal shown, oldest first; the newest of each
   * also as top_up… and withdrawal…. */
  top_up = self->top_ups != NULL && self->top_ups->len > 0
           ? g_ptr_array_index (self->top_ups, self->top_ups->len - 1) : NULL;
  add_string (builder, "top_up", top_up != NULL ? top_up->state : NULL);
  add_string (builder, "top_up_hash", top_up != NULL ? top_up->hash : NULL);
  add_string (builder, "top_up_text", top_up != NULL ? adw_action_row_get_subtitle (top_up->row) : NULL);
  json_builder_set_member_name (builder, "top_up_confirmations");
  json_builder_add_int_value (builder, top_up != NULL ? (gint64)top_up->confirmations : 0);
  json_builder_set_member_name (builder, "top_ups");
  json_builder_begin_array (builder);
  for (guint i = 0; self->top_ups != NULL && i < self->top_ups->len; i++)
    {
      TopUp *t = g_ptr_array_index (self->top_ups, i);

      json_builder_begin_object (builder);
      add_string (builder, "state", t->state);
      add_string (builder, "hash", t->hash);
      add_string (builder, "text", adw_action_row_get_subtitle (t->row));
      json_builder_set_member_name (builder, "confirmations");
      json_builder_add_int_value (builder, (gint64)t->confirmations);
      json_builder_set_member_name (builder, "resent");
      json_builder_add_int_value (builder, t->resent);
      json_builder_set_member_name (builder, "resumed");
      json_builder_add_boolean_value (builder, t->resumed);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  withdrawal = self->withdrawals != NULL && self->withdrawals->len > 0
               ? g_ptr_array_index (self->withdrawals, self->withdrawals->len - 1) : NULL;
  add_string (builder, "withdrawal", withdrawal != NULL ? withdrawal->state : NULL);
  add_string (builder, "withdrawal_text", withdrawal != NULL ? adw_action_row_get_subtitle (withdrawal->row) : NULL);
  json_builder_set_member_name (builder, "withdrawals");
  json_builder_begin_array (builder);
  for (guint i = 0; self->withdrawals != NULL && i < self->withdrawals->len; i++)
    {
      Withdrawal *w = g_ptr_array_index (self->withdrawals, i);

      json_builder_begin_object (builder);
      add_string (builder, "id", w->id);
      add_string (builder, "state", w->state);
      add_string (builder, "text", adw_action_row_get_subtitle (w->row));
      json_builder_set_member_name (builder, "resumed");
      json_builder_add_boolean_value (builder, w->resumed);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "busy");
  json_builder_add_boolean_value (builder, self->busy);
  /* Only while the export dialog shows it, and only in the tests' state. */
  add_string (builder, "exported_key", self->exported_key);
  json_builder_end_object (builder);
}
