/* moon-format.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-format"

#include "config.h"

#include <glib/gi18n.h>

#include "moon-format.h"

/**
 * moon_format_relative_time:
 * @time: the moment to describe
 * @now: (nullable): the current time, or %NULL for the clock's
 *
 * Describes @time the way a conversation list does: "Now", "5 min",
 * a clock time today, "Yesterday", a weekday this week, then a date.
 *
 * Returns: (transfer full): a translated, short text
 */
char *
moon_format_relative_time (GDateTime *time,
                           GDateTime *now)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) local_now = NULL;
  g_autoptr(GDateTime) today = NULL;
  GTimeSpan diff;

  g_return_val_if_fail (time != NULL, NULL);

  local = g_date_time_to_local (time);
  local_now = now ? g_date_time_to_local (now) : g_date_time_new_now_local ();
  diff = g_date_time_difference (local_now, local);

  if (diff < G_TIME_SPAN_MINUTE)
    return g_strdup (C_("time", "Now"));

  if (diff < G_TIME_SPAN_HOUR)
    {
      int minutes = (int) (diff / G_TIME_SPAN_MINUTE);

      /* Translators: a short relative time in the conversation list */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d min", "%d min", minutes), minutes);
    }

  today = g_date_time_new_local (g_date_time_get_year (local_now),
                                 g_date_time_get_month (local_now),
                                 g_date_time_get_day_of_month (local_now),
                                 0, 0, 0);

  if (g_date_time_compare (local, today) >= 0)
    /* Translators: a clock time today, see the GDateTime format docs */
    return g_date_time_format (local, C_("time", "%H:%M"));

  {
    g_autoptr(GDateTime) yesterday = g_date_time_add_days (today, -1);
    g_autoptr(GDateTime) week = g_date_time_add_days (today, -6);

    if (g_date_time_compare (local, yesterday) >= 0)
      return g_strdup (C_("time", "Yesterday"));

    if (g_date_time_compare (local, week) >= 0)
      /* Translators: a weekday within the last week, see the GDateTime format docs */
      return g_date_time_format (local, C_("time", "%A"));

    if (g_date_time_get_year (local) == g_date_time_get_year (local_now))
      /* Translators: a date this year, see the GDateTime format docs */
      return g_date_time_format (local, C_("time", "%b %-e"));

    /* Translators: a date in another year, see the GDateTime format docs */
    return g_date_time_format (local, C_("time", "%b %-e, %Y"));
  }
}

/**
 * moon_format_duration:
 * @microseconds: a duration
 *
 * Returns: (transfer full): "0.8 s", "12 s", "2 min 5 s"
 */
char *
moon_format_duration (gint64 microseconds)
{
  double seconds = MAX (microseconds, 0) / (double) G_USEC_PER_SEC;

  if (seconds < 10)
    /* Translators: a duration in seconds with one decimal */
    return g_strdup_printf (_("%.1f s"), seconds);

  if (seconds < 60)
    /* Translators: a duration in whole seconds */
    return g_strdup_printf (_("%d s"), (int) (seconds + 0.5));

  /* Translators: a duration in minutes and seconds */
  return g_strdup_printf (_("%d min %d s"), (int) seconds / 60, (int) seconds % 60);
}

/**
 * moon_format_count:
 * @count: a number of tokens
 *
 * Returns: (transfer full): @count with thousands grouped the locale's way
 */
char *
moon_format_count (gint64 count)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, count);
}

/**
 * moon_format_usage:
 * @usage: what a reply cost
 *
 * Returns: (transfer full): "24 in (8 cached) · 17 out"
 */
char *
moon_format_usage (const MoonUsage *usage)
{
  g_autofree char *prompt = NULL;
  g_autofree char *completion = NULL;

  g_return_val_if_fail (usage != NULL, NULL);

  prompt = moon_format_count (usage->prompt_tokens);
  completion = moon_format_count (usage->completion_tokens);

  if (usage->cached_tokens > 0)
    {
      g_autofree char *cached = moon_format_count (usage->cached_tokens);

      /* Translators: token usage of a reply: prompt (cached part) and completion tokens */
      return g_strdup_printf (_("%s in (%s cached) · %s out"), prompt, cached, completion);
    }

  /* Translators: token usage of a reply: prompt and completion tokens */
  return g_strdup_printf (_("%s in · %s out"), prompt, completion);
}

/**
 * moon_format_usage_tooltip:
 * @usage: what a reply cost
 *
 * Returns: (transfer full): every figure of @usage, one per line
 */
char *
moon_format_usage_tooltip (const MoonUsage *usage)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *prompt = NULL;
  g_autofree char *cached = NULL;
  g_autofree char *completion = NULL;

  g_return_val_if_fail (usage != NULL, NULL);

  prompt = moon_format_count (usage->prompt_tokens);
  cached = moon_format_count (usage->cached_tokens);
  completion = moon_format_count (usage->completion_tokens);

  g_string_append_printf (text, _("Prompt tokens: %s"), prompt);
  g_string_append_c (text, '\n');
  g_string_append_printf (text, _("Cached prompt tokens: %s"), cached);
  g_string_append_c (text, '\n');
  g_string_append_printf (text, _("Completion tokens: %s"), completion);

  if (usage->reasoning_tokens > 0)
    {
      g_autofree char *reasoning = moon_format_count (usage->reasoning_tokens);

      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("Of which reasoning: %s"), reasoning);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
