/* usdtpay-range-dialog.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "usdtpay-range-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "usdtpay-range-dialog.h"

struct _UsdtpayRangeDialog
{
  AdwMessageDialog parent_instance;

  char            *problem;

  /* Template widgets */
  GtkCalendar     *from_calendar;
  GtkCalendar     *to_calendar;
  GtkLabel        *range_label;
};

G_DEFINE_FINAL_TYPE (UsdtpayRangeDialog, usdtpay_range_dialog, ADW_TYPE_MESSAGE_DIALOG)

GDateTime *
usdtpay_local_day (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;
  int year, month, day;

  g_return_val_if_fail (time != NULL, NULL);

  local = g_date_time_to_local (time);
  g_date_time_get_ymd (local, &year, &month, &day);

  return g_date_time_new_local (year, month, day, 0, 0, 0);
}

char *
usdtpay_format_day_range (GDateTime *from,
                          GDateTime *to)
{
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;

  g_return_val_if_fail (from != NULL && to != NULL, NULL);

  if (g_date_time_get_year (from) == g_date_time_get_year (to))
    {
      /* TRANSLATORS: the first day of a date range within one year, as
       * g_date_time_format() takes it: "1 Nov" (the year may go on
       * either day) */
      first = g_date_time_format (from, C_("first day of a range in one year", "%-d %b"));
      /* TRANSLATORS: the last day of a date range within one year: "26 Nov 2026" */
      last = g_date_time_format (to, C_("last day of a range in one year", "%-d %b %Y"));
    }
  else
    {
      /* TRANSLATORS: a day of a date range over two years: "28 Dec 2025" */
      first = g_date_time_format (from, C_("day of a range over years", "%-d %b %Y"));
      last = g_date_time_format (to, C_("day of a range over years", "%-d %b %Y"));
    }

  /* TRANSLATORS: a date range, both days included: "1 Nov – 26 Nov 2026" */
  return g_strdup_printf (C_("day range", "%s – %s"), first, last);
}

static GDateTime *
calendar_day (GtkCalendar *calendar)
{
  g_autoptr(GDateTime) date = gtk_calendar_get_date (calendar);

  return usdtpay_local_day (date);
}

static void
day_selected_cb (UsdtpayRangeDialog *self)
{
  g_autoptr(GDateTime) from = calendar_day (self->from_calendar);
  g_autoptr(GDateTime) to = calendar_day (self->to_calendar);
  g_autofree char *text = NULL;

  g_clear_pointer (&self->problem, g_free);
  if (g_date_time_compare (to, from) < 0)
    {
      self->problem = g_strdup (_("The To day is before the From day: pick a To day on or after it."));
      gtk_label_set_text (self->range_label, self->problem);
      gtk_widget_add_css_class (GTK_WIDGET (self->range_label), "error");
    }
  else
    {
      text = usdtpay_format_day_range (from, to);
      gtk_label_set_text (self->range_label, text);
      gtk_widget_remove_css_class (GTK_WIDGET (self->range_label), "error");
    }
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "apply", self->problem == NULL);
}

static void
usdtpay_range_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), USDTPAY_TYPE_RANGE_DIALOG);

  G_OBJECT_CLASS (usdtpay_range_dialog_parent_class)->dispose (object);
}

static void
usdtpay_range_dialog_finalize (GObject *object)
{
  UsdtpayRangeDialog *self = (UsdtpayRangeDialog *)object;

  g_free (self->problem);

  G_OBJECT_CLASS (usdtpay_range_dialog_parent_class)->finalize (object);
}

static void
usdtpay_range_dialog_class_init (UsdtpayRangeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = usdtpay_range_dialog_dispose;
  object_class->finalize = usdtpay_range_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/UsdtPay/usdtpay-range-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, UsdtpayRangeDialog, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayRangeDialog, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, UsdtpayRangeDialog, range_label);
  gtk_widget_class_bind_template_callback (widget_class, day_selected_cb);
}

static void
usdtpay_range_dialog_init (UsdtpayRangeDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

UsdtpayRangeDialog *
usdtpay_range_dialog_new (GtkWindow *parent,
                          GDateTime *from,
                          GDateTime *to)
{
  UsdtpayRangeDialog *self;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  self = g_object_new (USDTPAY_TYPE_RANGE_DIALOG, "transient-for", parent, NULL);
  usdtpay_range_dialog_select_days (self, from != NULL ? from : now, to != NULL ? to : now);

  return self;
}

void
usdtpay_range_dialog_select_days (UsdtpayRangeDialog *self,
                                  GDateTime          *from,
                                  GDateTime          *to)
{
  g_autoptr(GDateTime) from_day = NULL;
  g_autoptr(GDateTime) to_day = NULL;

  g_return_if_fail (USDTPAY_IS_RANGE_DIALOG (self));
  g_return_if_fail (from != NULL && to != NULL);

  from_day = usdtpay_local_day (from);
  to_day = usdtpay_local_day (to);
  gtk_calendar_select_day (self->from_calendar, from_day);
  gtk_calendar_select_day (self->to_calendar, to_day);
  /* select_day() does not emit day-selected. */
  day_selected_cb (self);
}

void
usdtpay_range_dialog_get_days (UsdtpayRangeDialog *self,
                               GDateTime         **from,
                               GDateTime         **to)
{
  g_return_if_fail (USDTPAY_IS_RANGE_DIALOG (self));
  g_return_if_fail (from != NULL && to != NULL);

  *from = calendar_day (self->from_calendar);
  *to = calendar_day (self->to_calendar);
}

const char *
usdtpay_range_dialog_get_problem (UsdtpayRangeDialog *self)
{
  g_return_val_if_fail (USDTPAY_IS_RANGE_DIALOG (self), NULL);

  return self->problem;
}
