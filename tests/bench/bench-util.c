/* bench-util.c — data generators and measuring helpers for the benchmarks
 *
 * Everything here is deterministic (fixed seeds), so every run measures the
 * same bytes.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <glib/gstdio.h>

#include "bench-util.h"

/* The streamed reply ------------------------------------------------------ */

static const char * const english[] = {
  "The scheduler keeps one queue per priority level, and when two tasks share a level it takes them in turn, one time slice each, so that neither of them starves the other.",
  "A good benchmark measures one thing at a time, repeats it enough to see the noise, and compares every figure with a floor measured on the same machine in the same run.",
  "When the reply arrives faster than the screen can show it, the view should draw at most once per frame and let the model collect the text in between.",
  "Memory grows with what is kept alive: widgets for rows nobody can see are recycled by the list view, and only the text of each message stays in memory.",
  "If the disk is slow, saving must still never block the main thread; a snapshot is taken quickly and the writing happens on a worker thread.",
};

static const char * const chinese[] = {
  "月之暗面的模型可以一次读完很长的文档，并且在回答时引用其中的细节，这对整理会议记录和技术资料很有帮助。",
  "性能测试需要在同一台机器上、同一次运行中测量基准线，否则不同时间的噪声会让结果失去意义。",
  "流式输出时，界面每一帧最多重绘一次，其余的文字先累积在模型里，等下一帧再一起显示出来。",
  "保存对话时，主线程只做一次很快的快照，真正的序列化和写文件都放在后台线程里完成。",
};

static const char * const list_items[] = {
  "Keep the **main loop** free: no blocking I/O, no large JSON on it",
  "测量每一个数字，并与同一次运行的基准线比较",
  "Render only the `unfinished` tail block while the reply streams",
  "长对话使用虚拟化列表，只为看得见的消息创建控件",
  "Save a checkpoint at most once a second while streaming",
  "Prefer *measurements* over guesses, and keep the raw numbers",
};

static const char * const code_blocks[] = {
  "```c\n"
  "static gboolean\n"
  "render_tick_cb (GtkWidget     *widget,\n"
  "                GdkFrameClock *frame_clock,\n"
  "                gpointer       user_data)\n"
  "{\n"
  "  MoonMessageRow *self = MOON_MESSAGE_ROW (widget);\n"
  "\n"
  "  /* Everything that arrived since the last frame, drawn once. */\n"
  "  for (guint i = 0; i < self->n_pending; i++)\n"
  "    append_block (self, g_ptr_array_index (self->pending, i));\n"
  "\n"
  "  self->tick_id = 0;\n"
  "  return G_SOURCE_REMOVE;\n"
  "}\n"
  "```\n",
  "```python\n"
  "import json\n"
  "import time\n"
  "\n"
  "def measure(path, runs=5):\n"
  "    \"\"\"Parse a conversation file several times; return the best time.\"\"\"\n"
  "    best = float(\"inf\")\n"
  "    for _ in range(runs):\n"
  "        start = time.perf_counter()\n"
  "        with open(path, encoding=\"utf-8\") as f:\n"
  "            data = json.load(f)\n"
  "        best = min(best, time.perf_counter() - start)\n"
  "    return best, len(data[\"messages\"])  # 对话中的消息数\n"
  "```\n",
  "```sh\n"
  "#!/bin/sh\n"
  "# Stream a reply and count the deltas.\n"
  "curl -sN \"$BASE_URL/chat/completions\" \\\n"
  "  -H \"Authorization: Bearer $MOONSHOT_API_KEY\" \\\n"
  "  -H 'Content-Type: application/json' \\\n"
  "  -d '{\"model\":\"kimi-k2.5\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"你好\"}]}' |\n"
  "  grep -c '^data: {'\n"
  "```\n",
};

#define LAST_WORDS "That is the whole answer. 以上就是全部内容。"

const char *
bench_reply_last_words (void)
{
  return LAST_WORDS;
}

/* English: one word (with its leading space) per delta. */
static void
add_english (GPtrArray  *deltas,
             const char *text,
             gboolean    first)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);

  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (deltas, g_strconcat ((i == 0 && first) ? "" : " ", words[i], NULL));
}

/* Chinese: one or two characters per delta, as tokenizers cut it. */
static void
add_chinese (GPtrArray  *deltas,
             const char *text)
{
  const char *p = text;
  guint n = 0;

  while (*p != '\0')
    {
      const char *end = g_utf8_next_char (p);

      if (n++ % 3 == 0 && *end != '\0')
        end = g_utf8_next_char (end);
      g_ptr_array_add (deltas, g_strndup (p, end - p));
      p = end;
    }
}

/* Code: runs of spaces and of other characters, each a delta. */
static void
add_code (GPtrArray  *deltas,
          const char *text)
{
  const char *p = text;

  while (*p != '\0')
    {
      const char *end = p;
      gboolean space = *p == ' ';

      if (*p == '\n')
        end++;
      else
        for (guint n = 0; *end != '\0' && *end != '\n' && (*end == ' ') == space && n < 8; n++)
          end = g_utf8_next_char (end);
      g_ptr_array_add (deltas, g_strndup (p, end - p));
      p = end;
    }
}

static void
add (GPtrArray  *deltas,
     const char *text)
{
  g_ptr_array_add (deltas, g_strdup (text));
}

/**
 * bench_reply_deltas:
 * @n_deltas: how many deltas (at least 200)
 *
 * Returns: (transfer full): exactly @n_deltas strings that together make
 *   a long Markdown reply ending in bench_reply_last_words()
 */
GPtrArray *
bench_reply_deltas (guint n_deltas)
{
  GPtrArray *deltas = g_ptr_array_new_with_free_func (g_free);
  guint next_code = 0;
  guint section = 0;

  g_assert (n_deltas >= 200);

  while (deltas->len + 150 < n_deltas)
    {
      g_autofree char *heading = g_strdup_printf ("Part %u", ++section);

      /* The three code blocks at a quarter, half and three quarters. */
      if (next_code < G_N_ELEMENTS (code_blocks) && deltas->len >= (next_code + 1) * n_deltas / 4)
        {
          add_english (deltas, "Here is an example:", TRUE);
          add (deltas, "\n\n");
          add_code (deltas, code_blocks[next_code++]);
          add (deltas, "\n");
          continue;
        }

      switch (section % 4)
        {
        case 0:
          add (deltas, "## ");
          add_english (deltas, heading, TRUE);
          add (deltas, "\n\n");
          add_english (deltas, english[section % G_N_ELEMENTS (english)], TRUE);
          add_english (deltas, english[(section + 2) % G_N_ELEMENTS (english)], FALSE);
          add (deltas, "\n\n");
          break;

        case 1:
          add_chinese (deltas, chinese[section % G_N_ELEMENTS (chinese)]);
          add_chinese (deltas, chinese[(section + 1) % G_N_ELEMENTS (chinese)]);
          add (deltas, "\n\n");
          break;

        case 2:
          for (guint i = 0; i < 4; i++)
            {
              const char *item = list_items[(section + i) % G_N_ELEMENTS (list_items)];

              add (deltas, "- ");
              if ((guchar) item[0] >= 0x80)
                add_chinese (deltas, item);
              else
                add_english (deltas, item, TRUE);
              add (deltas, "\n");
            }
          add (deltas, "\n");
          break;

        default:
          for (guint i = 0; i < 3; i++)
            {
              g_autofree char *number = g_strdup_printf ("%u. ", i + 1);

              add (deltas, number);
              add_english (deltas, english[(section + i) % G_N_ELEMENTS (english)], TRUE);
              add (deltas, "\n");
            }
          add (deltas, "\n");
          add_chinese (deltas, chinese[(section + 3) % G_N_ELEMENTS (chinese)]);
          add (deltas, "\n\n");
          break;
        }
    }

  /* The last paragraph: filler words up to the count, then the end. */
  for (guint i = 0; deltas->len + 1 < n_deltas; i++)
    g_ptr_array_add (deltas, g_strdup (i == 0 ? "And" : " so on"));
  add (deltas, " " LAST_WORDS);

  g_assert (deltas->len == n_deltas);
  g_assert (next_code == G_N_ELEMENTS (code_blocks));

  return deltas;
}

/**
 * bench_reply_text:
 * @n_deltas: how many deltas
 *
 * Returns: (transfer full): the deltas of bench_reply_deltas() joined
 */
char *
bench_reply_text (guint n_deltas)
{
  g_autoptr(GPtrArray) deltas = bench_reply_deltas (n_deltas);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < deltas->len; i++)
    g_string_append (text, g_ptr_array_index (deltas, i));

  return g_string_free (text, FALSE);
}

/* The history ------------------------------------------------------------- */

static const char * const questions[] = {
  "How do I keep a GTK list view fast with thousands of rows?",
  "请帮我把这段会议记录整理成要点，并列出下周需要完成的事项。",
  "What is the difference between a mutex and a semaphore? Give an example.",
  "帮我写一首关于秋天落叶的短诗。",
  "Could you review this function and tell me what is wrong with the loop bounds?",
  "杭州三天的轻松旅行应该怎么安排？",
};

static const char * const answers[] = {
  "Use a `GtkListView` with a factory: it creates widgets only for the rows you can see and recycles them while you scroll. Keep the model cheap to query, and avoid measuring every row up front.",
  "好的。要点如下：\n\n1. 项目进度符合预期；\n2. 测试覆盖率需要提高；\n3. 下周五之前完成文档。\n\n需要完成的事项包括更新设计稿、补充单元测试和准备演示。",
  "A **mutex** has an owner: only the thread that locked it may unlock it. A **semaphore** is a counter anyone may raise or lower.\n\n- Mutex: protect one shared structure\n- Semaphore: limit how many workers use a pool\n\n```c\ng_mutex_lock (&lock);\ncount++;\ng_mutex_unlock (&lock);\n```",
  "落叶轻轻飘下，\n铺满安静的小路，\n风把秋天写成一封信，\n寄给还没醒来的冬天。",
  "The loop runs one step too far: `i <= n` touches `a[n]`, which is past the end. Use `i < n`.\n\n```c\nfor (i = 0; i < n; i++)\n  a[i] = 0;\n```\n\nThe rest of the function looks fine.",
  "第一天游西湖，傍晚去河坊街；第二天去灵隐寺和龙井村喝茶；第三天逛西溪湿地，下午返程。每天的行程都不要排得太满。",
};

static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if ((guchar) *p < 0x20)
            g_string_append_printf (out, "\\u%04x", (guchar) *p);
          else
            g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_time (GString *out,
             gint64   seconds)
{
  time_t t = (time_t) seconds;
  struct tm tm;
  char buffer[32];

  gmtime_r (&t, &tm);
  strftime (buffer, sizeof buffer, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
  g_string_append (out, buffer);
}

/* One conversation file, laid out as Moonchat writes it. */
static char *
render_conversation (guint   index,
                     guint   n_messages,
                     gint64  start,
                     char  **out_id)
{
  GString *out = g_string_sized_new (n_messages * 400 + 1024);
  g_autoptr(GString) text = g_string_new (NULL);
  GRand *rand = g_rand_new_with_seed (index + 1);
  char *id = g_uuid_string_random ();
  g_autofree char *title = g_strdup_printf ("Conversation %u: %.30s", index + 1,
                                            questions[index % G_N_ELEMENTS (questions)]);
  gint64 updated = start + (gint64) n_messages * 30;

  g_string_append (out, "{\n\"format\":\"moonchat-conversation\",\n\"version\":1,\n\"id\":");
  append_json_string (out, id);
  g_string_append (out, ",\n\"title\":");
  append_json_string (out, title);
  g_string_append (out, ",\n\"title_is_custom\":true,\n\"created\":");
  append_time (out, start);
  g_string_append (out, ",\n\"updated\":");
  append_time (out, updated);
  g_string_append (out, ",\n\"settings\":{\"model\":\"kimi-k2.5\",\"system_prompt\":\"You are Kimi, an AI assistant provided by Moonshot AI.\",\"context_message_limit\":20},\n\"messages\":[\n");

  for (guint i = 0; i < n_messages; i++)
    {
      gboolean user = i % 2 == 0;
      guint pick = g_rand_int_range (rand, 0, G_N_ELEMENTS (questions));
      g_autofree char *message_id = g_uuid_string_random ();

      g_string_truncate (text, 0);
      if (user)
        g_string_append (text, questions[pick]);
      else
        {
          guint paragraphs = 1 + g_rand_int_range (rand, 0, 3);

          for (guint j = 0; j < paragraphs; j++)
            {
              if (j > 0)
                g_string_append (text, "\n\n");
              g_string_append (text, answers[(pick + j) % G_N_ELEMENTS (answers)]);
            }
        }

      g_string_append (out, "{\"id\":");
      append_json_string (out, message_id);
      g_string_append (out, user ? ",\"role\":\"user\",\"content\":" : ",\"role\":\"assistant\",\"content\":");
      append_json_string (out, text->str);
      g_string_append (out, ",\"state\":\"done\"");
      if (!user)
        g_string_append_printf (out, ",\"finish_reason\":\"stop\",\"model\":\"kimi-k2.5\","
                                "\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,\"total_tokens\":%u,\"cached_tokens\":0,\"reasoning_tokens\":0}",
                                1000 + i * 40, 150 + pick * 20, 1150 + i * 40 + pick * 20);
      g_string_append (out, ",\"created\":");
      append_time (out, start + (gint64) i * 30);
      g_string_append (out, i + 1 < n_messages ? "},\n" : "}\n");
    }
  g_string_append (out, "]\n}\n");

  g_rand_free (rand);
  *out_id = id;
  return g_string_free (out, FALSE);
}

/**
 * bench_generate_history:
 * @directory: the conversations folder (created if needed)
 * @n_conversations: how many conversations
 * @n_small_messages: messages in each but the newest
 * @n_big_messages: messages in the newest one
 * @out_big_path: (out): the newest conversation's file
 * @out_total_bytes: (out): bytes written
 * @out_total_messages: (out): messages written
 * @error: where to put an error
 *
 * Writes the files an earlier Moonchat would have left.
 *
 * Returns: (transfer full): the id of the newest (big) conversation
 */
char *
bench_generate_history (const char  *directory,
                        guint        n_conversations,
                        guint        n_small_messages,
                        guint        n_big_messages,
                        char       **out_big_path,
                        gsize       *out_total_bytes,
                        guint       *out_total_messages,
                        GError     **error)
{
  const gint64 base = 1748736000; /* 2025-06-01T00:00:00Z */
  char *big_id = NULL;

  *out_total_bytes = 0;
  *out_total_messages = 0;

  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: %s", directory, g_strerror (saved_errno));
      return NULL;
    }

  for (guint i = 0; i < n_conversations; i++)
    {
      gboolean big = i + 1 == n_conversations;
      guint n_messages = big ? n_big_messages : n_small_messages;
      g_autofree char *id = NULL;
      g_autofree char *json = render_conversation (i, n_messages, base + (gint64) i * 3600, &id);
      g_autofree char *name = g_strconcat (id, ".json", NULL);
      g_autofree char *path = g_build_filename (directory, name, NULL);
      gsize length = strlen (json);

      if (!g_file_set_contents_full (path, json, length, G_FILE_SET_CONTENTS_NONE, 0600, error))
        return NULL;

      *out_total_bytes += length;
      *out_total_messages += n_messages;
      if (big)
        {
          big_id = g_steal_pointer (&id);
          *out_big_path = g_steal_pointer (&path);
        }
    }

  return big_id;
}

/* Measuring --------------------------------------------------------------- */

/**
 * bench_peak_rss_kb:
 *
 * Returns: the peak resident set size of this process so far (VmHWM), in KiB
 */
static gint64
status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;

  line = strstr (status, field);
  if (line == NULL)
    return -1;

  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

gint64
bench_peak_rss_kb (void)
{
  return status_kb ("VmHWM:");
}

/**
 * bench_rss_kb:
 *
 * Returns: the resident set size of this process now (VmRSS), in KiB
 */
gint64
bench_rss_kb (void)
{
  return status_kb ("VmRSS:");
}

/**
 * bench_cpu_us:
 *
 * Returns: user + system CPU time of this process (all threads), in µs
 */
gint64
bench_cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC
         + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/**
 * bench_env_time:
 * @name: an environment variable
 *
 * Returns: the g_get_monotonic_time() value the driver put into @name
 *   (the same clock in every process), or -1
 */
gint64
bench_env_time (const char *name)
{
  const char *value = g_getenv (name);

  return value ? g_ascii_strtoll (value, NULL, 10) : -1;
}
