/* moonchat-bench.c — runs every benchmark and prints one table
 *
 * Run by `meson test --benchmark --suite bench` inside the test session
 * wrapper (its own HOME, D-Bus session, keyring and Xvfb). It generates the
 * data, runs the real window (bench-window), the CLI, curl and the floor
 * programs as separate processes, and prints every figure as a ratio to a
 * floor measured in the same run, with the absolute numbers. The table also
 * goes to $MOONCHAT_BUILD_ROOT/benchmarks.md.
 *
 * Times across processes use CLOCK_MONOTONIC (g_get_monotonic_time()),
 * which every process on the machine shares.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "bench-util.h"
#include "moon-conversation-store.h"

#define N_STREAM_RUNS   3
#define N_STARTUP_RUNS  3

/* Samples ------------------------------------------------------------------ */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *samples)
{
  g_autoptr(GArray) sorted = g_array_copy (samples);

  g_assert (samples->len > 0);
  g_array_sort (sorted, compare_doubles);
  if (sorted->len % 2)
    return g_array_index (sorted, double, sorted->len / 2);
  return (g_array_index (sorted, double, sorted->len / 2 - 1) + g_array_index (sorted, double, sorted->len / 2)) / 2;
}

static double
maximum (GArray *samples)
{
  double max = -G_MAXDOUBLE;

  for (guint i = 0; i < samples->len; i++)
    max = MAX (max, g_array_index (samples, double, i));
  return max;
}

static double
minimum (GArray *samples)
{
  double min = G_MAXDOUBLE;

  for (guint i = 0; i < samples->len; i++)
    min = MIN (min, g_array_index (samples, double, i));
  return min;
}

static GArray *
samples_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

static void
add_sample (GArray *samples,
            double  value)
{
  g_array_append_val (samples, value);
}

/* Processes ---------------------------------------------------------------- */

static const char *
need_env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || value[0] == '\0')
    g_error ("%s is not set (run through meson test --benchmark)", name);
  return value;
}

/* Runs ARGV, returns its standard output; BENCH_T0 is the monotonic time
 * just before the start. Fails the benchmark if it fails. */
static char *
run (const char * const *argv,
     gint64             *out_t0,
     gint64             *out_t_end)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *t0_text = NULL;
  char *out = NULL;
  gint64 t0, t_end;

  t0 = g_get_monotonic_time ();
  t0_text = g_strdup_printf ("%" G_GINT64_FORMAT, t0);
  g_subprocess_launcher_setenv (launcher, "BENCH_T0", t0_text, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    g_error ("Could not start %s: %s", argv[0], error->message);

  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error))
    g_error ("%s: %s", argv[0], error->message);
  t_end = g_get_monotonic_time ();

  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_error ("%s failed (exit status %d); its output:\n%s", argv[0],
             g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1, out);

  if (out_t0)
    *out_t0 = t0;
  if (out_t_end)
    *out_t_end = t_end;
  return out;
}

/* "name value" lines. */
static double
figure (const char *output,
        const char *name)
{
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  gsize length = strlen (name);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], name, length) == 0 && lines[i][length] == ' ')
      return g_ascii_strtod (lines[i] + length + 1, NULL);

  g_error ("No figure \"%s\" in:\n%s", name, output);
  return 0;
}

/* "key value key value ..." on one line starting with PREFIX. */
static gint64
field (const char *line,
       const char *key)
{
  g_auto(GStrv) words = g_strsplit (line, " ", -1);

  for (guint i = 0; words[i] != NULL && words[i + 1] != NULL; i++)
    if (g_str_equal (words[i], key))
      return g_ascii_strtoll (words[i + 1], NULL, 10);

  g_error ("No \"%s\" in: %s", key, line);
  return 0;
}

static char *
read_line (GDataInputStream *input,
           const char       *who)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (input, NULL, NULL, &error);

  if (line == NULL)
    g_error ("%s ended: %s", who, error ? error->message : "end of output");
  return line;
}

/* Tells bench-window to stream one reply; returns its report. */
static char *
command (GOutputStream    *in,
         GDataInputStream *out,
         const char       *what)
{
  g_autofree char *text = g_strconcat (what, "\n", NULL);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (in, text, strlen (text), NULL, NULL, &error))
    g_error ("bench-window: %s", error->message);

  for (;;)
    {
      char *line = read_line (out, "bench-window");

      if (g_str_has_prefix (line, "stream "))
        return line;
      g_free (line);
    }
}

/* The server --------------------------------------------------------------- */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  char             *base_url;
  gsize             fast_bytes;
} Server;

static char *
server_read_line (Server *server)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (server->out, NULL, NULL, &error);

  if (line == NULL)
    g_error ("The benchmark server ended: %s", error ? error->message : "end of output");
  return line;
}

/* Reads the server's report on the next reply: when it got the request. */
static gint64
server_next_request (Server *server)
{
  for (;;)
    {
      g_autofree char *line = server_read_line (server);

      if (g_str_has_prefix (line, "request "))
        return g_ascii_strtoll (strrchr (line, ' ') + 1, NULL, 10);
    }
}

static void
server_start (Server     *server,
              const char *path)
{
  const char *argv[] = { path, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  g_autofree char *bytes = NULL;

  server->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  if (server->process == NULL)
    g_error ("Could not start the benchmark server: %s", error->message);
  server->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));

  port = server_read_line (server);
  bytes = server_read_line (server);
  g_assert (g_str_has_prefix (port, "port ") && g_str_has_prefix (bytes, "bytes "));
  server->base_url = g_strdup_printf ("http://127.0.0.1:%s/v1", port + strlen ("port "));
  server->fast_bytes = g_ascii_strtoull (bytes + strlen ("bytes "), NULL, 10);
}

static void
server_stop (Server *server)
{
  g_subprocess_force_exit (server->process);
  g_subprocess_wait (server->process, NULL, NULL);
  g_clear_object (&server->out);
  g_clear_object (&server->process);
  g_clear_pointer (&server->base_url, g_free);
}

static gint64
children_cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_CHILDREN, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC
         + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/* The table ---------------------------------------------------------------- */

typedef struct
{
  GString *table;
  guint    n_met;
  guint    n_missed;
} Report;

static const char *
verdict (Report   *report,
         gboolean  met)
{
  if (met)
    report->n_met++;
  else
    report->n_missed++;
  return met ? "**met**" : "**missed**";
}

static void
row (Report     *report,
     const char *scenario,
     const char *moonchat,
     const char *floor,
     const char *ratio,
     const char *target,
     const char *met)
{
  g_string_append_printf (report->table, "| %s | %s | %s | %s | %s | %s |\n",
                          scenario, moonchat, floor, ratio, target, met);
}

static char *
ms_range (GArray *us)
{
  if (us->len == 1)
    return g_strdup_printf ("%.1f ms", median (us) / 1000);
  return g_strdup_printf ("%.1f ms (%.1f–%.1f)", median (us) / 1000, minimum (us) / 1000, maximum (us) / 1000);
}

static char *
cpu_model (void)
{
  g_autofree char *info = NULL;
  const char *line;

  if (g_file_get_contents ("/proc/cpuinfo", &info, NULL, NULL) &&
      (line = strstr (info, "model name")) != NULL && (line = strchr (line, ':')) != NULL)
    return g_strndup (line + 2, strcspn (line + 2, "\n"));
  return g_strdup ("unknown CPU");
}

static char *
load_average (void)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strndup (text, 14);
  return g_strdup ("?");
}

int
main (int   argc,
      char *argv[])
{
  const char *window;
  const char *minimal;
  const char *server_path;
  const char *core;
  const char *cli;
  const char *build_root;
  g_autoptr(GFile) history = moon_conversation_store_get_default_directory ();
  g_autofree char *big_id = NULL;
  g_autofree char *big_path = NULL;
  g_autofree char *core_out = NULL;
  g_autofree char *load_start = load_average ();
  g_autofree char *cpu = cpu_model ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) curl_us = samples_new ();
  g_autoptr(GArray) curl_cpu = samples_new ();
  g_autoptr(GArray) cli_us = samples_new ();
  g_autoptr(GArray) cli_cpu = samples_new ();
  g_autoptr(GArray) app_us = samples_new ();
  g_autoptr(GArray) app_cpu = samples_new ();
  g_autoptr(GArray) stream_ratio = samples_new ();
  g_autoptr(GArray) frame_gap = samples_new ();
  g_autoptr(GArray) loop_gap = samples_new ();
  g_autoptr(GArray) fast_checkpoints = samples_new ();
  g_autoptr(GArray) startup_us = samples_new ();
  g_autoptr(GArray) minimal_us = samples_new ();
  g_autoptr(GArray) open_us = samples_new ();
  g_autoptr(GArray) app_rss = samples_new ();
  g_autoptr(GArray) minimal_rss = samples_new ();
  Report report = { g_string_new (NULL), 0, 0 };
  Server server = { 0 };
  gsize history_bytes;
  guint history_messages;
  gint64 start = g_get_monotonic_time ();
  gint64 t_gen;
  double paced_seconds = 0, paced_checkpoints = 0, paced_loop_gap = 0, paced_frame_gap = 0;
  g_autofree char *md_path = NULL;
  g_autofree char *document = NULL;

  /* moonchat-bench --generate DATA-HOME: only writes the history where a
   * Moonchat with XDG_DATA_HOME=DATA-HOME finds it (for looking at it). */
  if (argc == 3 && g_str_equal (argv[1], "--generate"))
    {
      g_autofree char *dir = g_build_filename (argv[2], "moonchat", "conversations", NULL);

      big_id = bench_generate_history (dir, BENCH_N_CONVERSATIONS, BENCH_SMALL_MESSAGES, BENCH_BIG_MESSAGES,
                                       &big_path, &history_bytes, &history_messages, &error);
      if (big_id == NULL)
        g_error ("Could not write the history: %s", error->message);
      printf ("%u conversations, %u messages, %.1f MB in %s; the big one is %s\n", BENCH_N_CONVERSATIONS,
              history_messages, history_bytes / 1e6, dir, big_id);
      return 0;
    }

  window = need_env ("BENCH_WINDOW");
  minimal = need_env ("BENCH_MINIMAL_WINDOW");
  server_path = need_env ("BENCH_SERVER");
  core = need_env ("BENCH_CORE");
  cli = need_env ("BENCH_CLI");
  build_root = need_env ("MOONCHAT_BUILD_ROOT");

  /* Data ------------------------------------------------------------------ */
  g_printerr ("moonchat-bench: generating %u conversations...\n", BENCH_N_CONVERSATIONS);
  big_id = bench_generate_history (g_file_peek_path (history), BENCH_N_CONVERSATIONS,
                                   BENCH_SMALL_MESSAGES, BENCH_BIG_MESSAGES,
                                   &big_path, &history_bytes, &history_messages, &error);
  if (big_id == NULL)
    g_error ("Could not write the history: %s", error->message);
  t_gen = g_get_monotonic_time () - start;

  /* 5, 6 and store figures (also writes the index a start-up reads) ------- */
  g_printerr ("moonchat-bench: store and context...\n");
  {
    const char *core_argv[] = { core, g_file_peek_path (history), big_path, NULL };

    core_out = run (core_argv, NULL, NULL);
  }

  /* 1. Stream: rounds of curl, moonchat-cli and the window, one after the
   * other, so that each round's figures share the machine's mood. ------- */
  g_printerr ("moonchat-bench: streams...\n");
  server_start (&server, server_path);
  {
    g_autofree char *url = g_strconcat (server.base_url, "/chat/completions", NULL);
    const char *curl_argv[] = {
      "curl", "-sN", "-o", "/dev/null", "-w", "%{size_download}",
      "-H", "Authorization: Bearer sk-moonchat-bench", "-H", "Content-Type: application/json",
      "--data", "{\"model\":\"kimi-k2.5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"bench:fast\"}]}",
      url, NULL
    };
    const char *cli_argv[] = { cli, "--base-url", server.base_url, "bench:fast", NULL };
    const char *window_argv[] = { window, "--stream", server.base_url, "--commands", NULL };
    g_autoptr(GSubprocess) app = NULL;
    g_autoptr(GDataInputStream) app_out = NULL;
    GOutputStream *app_in;
    g_autofree char *ready = NULL;

    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autofree char *stream_home = g_build_filename (g_get_user_data_dir (), "stream-bench", NULL);

    /* Its own history: the replies it writes must not join the 5,000. */
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", stream_home, TRUE);
    app = g_subprocess_launcher_spawnv (launcher, window_argv, &error);
    if (app == NULL)
      g_error ("Could not start %s: %s", window, error->message);
    app_in = g_subprocess_get_stdin_pipe (app);
    app_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app));
    ready = read_line (app_out, "bench-window");
    g_assert (g_str_has_prefix (ready, "ready"));

    for (guint i = 0; i <= N_STREAM_RUNS; i++)
      {
        g_autofree char *out = NULL;
        g_autofree char *line = NULL;
        gint64 t_end, t_request, cpu0 = children_cpu_us ();
        gint64 curl_time, curl_cpu_time, app_time;

        /* curl, the floor */
        out = run (curl_argv, NULL, &t_end);
        t_request = server_next_request (&server);
        if (g_ascii_strtoull (out, NULL, 10) != server.fast_bytes)
          g_error ("curl received %s bytes of %" G_GSIZE_FORMAT, out, server.fast_bytes);
        curl_time = t_end - t_request;
        curl_cpu_time = children_cpu_us () - cpu0;

        /* the API layer alone */
        g_clear_pointer (&out, g_free);
        g_setenv ("MOONSHOT_API_KEY", "sk-moonchat-bench-0123456789", TRUE);
        cpu0 = children_cpu_us ();
        out = run (cli_argv, NULL, &t_end);
        g_unsetenv ("MOONSHOT_API_KEY");
        if (i > 0)
          {
            add_sample (cli_us, t_end - server_next_request (&server));
            add_sample (cli_cpu, children_cpu_us () - cpu0);
          }
        else
          server_next_request (&server);

        /* the window */
        line = command (app_in, app_out, "fast");
        t_request = server_next_request (&server);
        app_time = field (line, "t_drawn") - t_request;

        /* The first round warms up (fonts, code languages, the connection). */
        if (i == 0)
          continue;
        add_sample (curl_us, curl_time);
        add_sample (curl_cpu, curl_cpu_time);
        add_sample (app_us, app_time);
        add_sample (stream_ratio, (double) app_time / curl_time);
        add_sample (app_cpu, field (line, "cpu_us"));
        add_sample (frame_gap, field (line, "frame_gap_us"));
        add_sample (loop_gap, field (line, "loop_gap_us"));
        add_sample (fast_checkpoints, field (line, "checkpoints"));
      }

    {
      g_autofree char *line = command (app_in, app_out, "paced");

      server_next_request (&server);
      paced_seconds = (field (line, "t_finished") - field (line, "t_send")) / 1e6;
      paced_checkpoints = field (line, "checkpoints");
      paced_loop_gap = field (line, "loop_gap_us");
      paced_frame_gap = field (line, "frame_gap_us");
    }

    if (!g_output_stream_write_all (app_in, "quit\n", 5, NULL, NULL, &error) ||
        !g_subprocess_wait_check (app, NULL, &error))
      g_error ("bench-window: %s", error->message);
  }
  server_stop (&server);

  /* 2, 3, 4. Start-up, open, memory --------------------------------------- */
  g_printerr ("moonchat-bench: start-up and open...\n");
  {
    const char *key_argv[] = { window, "--store-key", "default", NULL };
    g_autofree char *expect = g_strdup_printf ("%u", BENCH_N_CONVERSATIONS);
    const char *app_argv[] = { window, "--startup", expect, "--open", big_id, NULL };
    const char *minimal_argv[] = { minimal, NULL };

    g_free (run (key_argv, NULL, NULL));

    /* One unmeasured start of each warms the caches. */
    for (guint i = 0; i <= N_STARTUP_RUNS; i++)
      {
        g_autofree char *app_out = run (app_argv, NULL, NULL);
        g_autofree char *minimal_out = run (minimal_argv, NULL, NULL);

        if (figure (app_out, "open_messages") != BENCH_BIG_MESSAGES)
          g_error ("The open conversation shows %.0f messages", figure (app_out, "open_messages"));
        if (i == 0)
          continue;
        add_sample (startup_us, figure (app_out, "startup_us"));
        add_sample (open_us, figure (app_out, "open_us"));
        add_sample (app_rss, figure (app_out, "peak_rss_kb"));
        add_sample (minimal_us, figure (minimal_out, "startup_us"));
        add_sample (minimal_rss, figure (minimal_out, "peak_rss_kb"));
      }
  }

  /* The table ------------------------------------------------------------- */
  g_string_append (report.table,
                   "| Benchmark | Moonchat | Floor | Ratio | Target | |\n"
                   "| --- | --- | --- | --- | --- | --- |\n");
  {
    g_autofree char *a = ms_range (app_us);
    g_autofree char *f = ms_range (curl_us);
    g_autofree char *floor = g_strdup_printf ("`curl -sN` %s", f);
    g_autofree char *ratio = g_strdup_printf ("%.2f×", median (stream_ratio));
    g_autofree char *c = ms_range (cli_us);
    g_autofree char *cli_ratio = g_strdup_printf ("%.2f×", median (cli_us) / median (curl_us));
    g_autofree char *name = g_strdup_printf ("1. Stream %u deltas (%.1f MB of SSE): request → last delta drawn",
                                             BENCH_REPLY_DELTAS, server.fast_bytes / 1e6);

    row (&report, name, a, floor, ratio, "≤ 1.5×", verdict (&report, median (stream_ratio) <= 1.5));
    row (&report, "   the same stream through `moonchat-cli` (API layer, no window)", c, floor, cli_ratio, "–", "");
  }
  {
    g_autofree char *a = g_strdup_printf ("%.1f ms (worst of %u runs)", maximum (loop_gap) / 1000, loop_gap->len);
    g_autofree char *b = g_strdup_printf ("%.1f ms (worst of %u runs)", maximum (frame_gap) / 1000, frame_gap->len);
    g_autofree char *p = g_strdup_printf ("%.1f ms main loop, %.1f ms between frames", paced_loop_gap / 1000,
                                          paced_frame_gap / 1000);

    row (&report, "1. Longest main-loop stall while streaming (1 ms high-priority timer)", a, "–", "–", "≤ 20 ms",
         verdict (&report, maximum (loop_gap) <= 20000));
    row (&report, "1. Longest gap between frame-clock ticks while streaming", b, "–", "–", "≤ 20 ms",
         verdict (&report, maximum (frame_gap) <= 20000));
    row (&report, "   the same at 1,000 deltas/s (paced stream)", p, "–", "–", "≤ 20 ms",
         verdict (&report, paced_loop_gap <= 20000 && paced_frame_gap <= 20000));
  }
  {
    double per = median (app_cpu) / (BENCH_REPLY_DELTAS / 1000.0) / 1000;
    double curl_per = median (curl_cpu) / (BENCH_REPLY_DELTAS / 1000.0) / 1000;
    double cli_per = median (cli_cpu) / (BENCH_REPLY_DELTAS / 1000.0) / 1000;
    g_autofree char *a = g_strdup_printf ("%.2f ms", per);
    g_autofree char *f = g_strdup_printf ("curl %.2f ms; moonchat-cli %.2f ms", curl_per, cli_per);
    g_autofree char *ratio = g_strdup_printf ("%.1f×", per / curl_per);

    row (&report, "1. CPU time per 1,000 deltas (all threads)", a, f, ratio, "–", "");
  }
  {
    g_autofree char *a = ms_range (startup_us);
    g_autofree char *f = ms_range (minimal_us);
    g_autofree char *floor = g_strdup_printf ("minimal GTK window %s", f);
    g_autofree char *ratio = g_strdup_printf ("%.2f×", median (startup_us) / median (minimal_us));
    g_autofree char *name = g_strdup_printf ("2. Start-up with %u conversations (%u messages): exec → first frame with the sidebar filled",
                                             BENCH_N_CONVERSATIONS, history_messages);

    row (&report, name, a, floor, ratio, "≤ 1.3×", verdict (&report, median (startup_us) <= 1.3 * median (minimal_us)));
  }
  {
    double floor_us = figure (core_out, "parse_floor_us");
    g_autofree char *a = ms_range (open_us);
    g_autofree char *floor = g_strdup_printf ("json-glib parse %.1f ms", floor_us / 1000);
    g_autofree char *ratio = g_strdup_printf ("%.2f×", median (open_us) / floor_us);
    g_autofree char *store = g_strdup_printf ("%.1f ms", figure (core_out, "load_big_us") / 1000);
    g_autofree char *store_ratio = g_strdup_printf ("%.2f×", figure (core_out, "load_big_us") / floor_us);
    g_autofree char *name = NULL;
    GStatBuf st;

    if (g_stat (big_path, &st) != 0)
      st.st_size = 0;
    name = g_strdup_printf ("3. Open a %u-message conversation (%.1f MB): click → last frame drawn",
                            BENCH_BIG_MESSAGES, st.st_size / 1e6);
    row (&report, name, a, floor, ratio, "≤ 2×", verdict (&report, median (open_us) <= 2 * floor_us));
    row (&report, "   of which the store reading it (worker thread, no window)", store, floor, store_ratio, "–", "");
  }
  {
    double extra = (median (app_rss) - median (minimal_rss)) / 1024;
    g_autofree char *a = g_strdup_printf ("%.1f MB", median (app_rss) / 1024);
    g_autofree char *floor = g_strdup_printf ("minimal GTK window %.1f MB", median (minimal_rss) / 1024);
    g_autofree char *ratio = g_strdup_printf ("+%.1f MB", extra);

    row (&report, "4. Peak RSS: scenario 2 with the big conversation open", a, floor, ratio, "≤ +60 MB",
         verdict (&report, extra <= 60));
  }
  {
    double avg = figure (core_out, "save_main_avg_us"), worst = figure (core_out, "save_main_max_us");
    g_autofree char *a = g_strdup_printf ("%.2f ms (worst %.2f ms of 20)", avg / 1000, worst / 1000);
    g_autofree char *p = g_strdup_printf ("%.0f in %.1f s = %.2f/s (fast streams: %.0f each)", paced_checkpoints,
                                          paced_seconds, paced_checkpoints / paced_seconds, median (fast_checkpoints));

    row (&report, "5. Save the 5,000-message conversation: main-thread time", a, "–", "–", "< 2 ms",
         verdict (&report, avg < 2000));
    row (&report, "5. Checkpoints while streaming (paced stream, 1,000 deltas/s)", p, "–", "–", "≤ 1/s",
         verdict (&report, paced_checkpoints / paced_seconds <= 1.05));
  }
  {
    double steady = figure (core_out, "context_budget_us"), first = figure (core_out, "context_budget_first_us");
    g_autofree char *a = g_strdup_printf ("%.2f ms (%.0f messages sent)", steady / 1000, figure (core_out, "context_budget_sent"));
    g_autofree char *b = g_strdup_printf ("%.2f ms", first / 1000);
    g_autofree char *c = g_strdup_printf ("%.2f ms (32k window, %.0f sent); %.2f ms (limit 20)",
                                          figure (core_out, "context_32k_us") / 1000, figure (core_out, "context_32k_sent"),
                                          figure (core_out, "context_limit20_us") / 1000);

    row (&report, "6. Request build, 5,000 messages, 256k-window token budget", a, "–", "–", "< 5 ms",
         verdict (&report, steady < 5000));
    row (&report, "   the first build after opening (estimates every message it reaches)", b, "–", "–", "< 5 ms",
         verdict (&report, first < 5000));
    row (&report, "   other budgets", c, "–", "–", "–", "");
  }
  {
    g_autofree char *a = g_strdup_printf ("%.1f ms without the index; %.1f ms with it",
                                          figure (core_out, "list_cold_us") / 1000, figure (core_out, "list_warm_us") / 1000);

    row (&report, "   store: list 5,000 conversations (no window)", a, "–", "–", "–", "");
  }

  document = g_strdup_printf ("# Moonchat benchmarks\n\n"
                              "%s\n"
                              "Targets met: %u of %u. Times are medians of %u runs (range in brackets); "
                              "every floor was measured in the same run.\n\n"
                              "- Data: %u conversations, %u messages, %.1f MB of history (generated in %.1f s); "
                              "the stream is %u deltas of English, Chinese, lists and three code blocks.\n"
                              "- Machine: %s, %ld cores; load average at the start %s; "
                              "Xvfb 1280×800, GSK renderer %s. Whole run %.0f s.\n",
                              report.table->str, report.n_met, report.n_met + report.n_missed, N_STARTUP_RUNS,
                              BENCH_N_CONVERSATIONS, history_messages, history_bytes / 1e6, t_gen / 1e6,
                              BENCH_REPLY_DELTAS,
                              cpu, sysconf (_SC_NPROCESSORS_ONLN), load_start,
                              g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "(GTK's choice)",
                              (g_get_monotonic_time () - start) / 1e6);

  printf ("\n%s\n", document);
  fflush (stdout);

  md_path = g_build_filename (build_root, "benchmarks.md", NULL);
  if (!g_file_set_contents (md_path, document, -1, &error))
    g_error ("Could not write %s: %s", md_path, error->message);
  g_printerr ("moonchat-bench: the table is also in %s\n", md_path);

  g_string_free (report.table, TRUE);
  return 0;
}
