/* test-chunk.c — decoding single `data:` payloads (MoonChunk) and merging
 * them (MoonReply): hostile and odd JSON, usage placement, tool-call merge
 * rules, terminal and skipped events.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "moon-api-error.h"
#include "moon-chunk.h"
#include "moon-reply.h"

static MoonChunk *
parse_ok (const char *json)
{
  g_autoptr(GError) error = NULL;
  MoonChunk *chunk = moon_chunk_parse (json, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (chunk);
  return chunk;
}

static void
assert_protocol_error (const char *json,
                       gssize      length)
{
  g_autoptr(GError) error = NULL;
  MoonChunk *chunk = moon_chunk_parse (json, length, &error);

  g_assert_null (chunk);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
}

/* Everything json-glib rejects, or accepts in a surprising shape, is one
 * chunk's error and never a crash. */
static void
test_malformed (void)
{
  /* Lone surrogate escapes (mock-llm splits emoji like this). */
  assert_protocol_error ("{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\"}}]}", -1);
  assert_protocol_error ("{\"choices\":[{\"delta\":{\"content\":\"\\ude00\"}}]}", -1);
  /* Two objects run together (a truncated chunk followed by the next one):
   * json-glib wraps them in an array; its immutable parser would abort. */
  assert_protocol_error ("{\"id\":\"a\"}{\"id\":\"b\"}", -1);
  assert_protocol_error ("{\"id\":\"chatcmpl-jQugNdata:{\"id\":\"chatcmpl-iU6v\"}", -1);
  assert_protocol_error ("[DONE]", -1);
  assert_protocol_error ("[1,2,3]", -1);
  assert_protocol_error ("\"just a string\"", -1);
  assert_protocol_error ("42", -1);
  assert_protocol_error ("{\"choices\":", -1);
  assert_protocol_error ("", 0);
  assert_protocol_error ("   ", -1);
  /* Invalid UTF-8 inside a string. */
  assert_protocol_error ("{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}", -1);
}

/* json-glib before 1.10 parses nesting recursively without a limit: a deep
 * chunk (a line may hold 16 MiB) would exhaust the stack. It is refused
 * before json-glib sees it, also behind a single-quoted string or a comment
 * json-glib would skip, while brackets in a real string are only text. */
static void
test_deep_nesting (void)
{
  const char *openers[] = { "{\"choices\":", "{\"x\":['\"', ", "{\"x\":[/* \" */ " };
  g_autoptr(GString) brackets = g_string_new (NULL);
  g_autoptr(GString) in_string = NULL;
  g_autoptr(MoonChunk) chunk = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (brackets, '[');

  for (guint i = 0; i < G_N_ELEMENTS (openers); i++)
    {
      g_autofree char *text = g_strconcat (openers[i], brackets->str, NULL);
      g_autoptr(GError) error = NULL;
      MoonChunk *deep = moon_chunk_parse (text, -1, &error);

      g_assert_null (deep);
      g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "nested more than 128 levels deep"));
    }

  in_string = g_string_new ("{\"choices\":[{\"delta\":{\"content\":\"");
  g_string_append (in_string, brackets->str);
  g_string_append (in_string, "\"}}]}");
  chunk = parse_ok (in_string->str);
  g_assert_cmpuint (strlen (((MoonChoiceDelta *) g_ptr_array_index (chunk->choices, 0))->content), ==, 100000);
}

static void
test_surrogate_pair_ok (void)
{
  g_autoptr(MoonChunk) chunk = parse_ok ("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud83d\\ude00\"}}]}");
  MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, 0);

  g_assert_cmpstr (delta->content, ==, "😀");
}

static void
test_error_member (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MoonChunk) ok = NULL;
  MoonChunk *chunk;

  chunk = moon_chunk_parse ("{\"error\":{\"message\":\"Stream failed\",\"type\":\"server_error\",\"code\":\"stream_failure\"}}",
                            -1, &error);
  g_assert_null (chunk);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "Stream failed");
  g_assert_cmpstr (moon_api_error_get_error_type (error), ==, "server_error");
  g_assert_cmpstr (error->message, ==, "The server reported an error: Stream failed");
  g_clear_error (&error);

  chunk = moon_chunk_parse ("{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}",
                            -1, &error);
  g_assert_null (chunk);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_AUTH);
  g_clear_error (&error);

  chunk = moon_chunk_parse ("{\"error\":\"Internal Server Error\"}", -1, &error);
  g_assert_null (chunk);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "Internal Server Error");
  g_clear_error (&error);

  /* Falsy error members are no error. */
  ok = parse_ok ("{\"error\":null,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"fine\"}}]}");
  g_assert_cmpuint (ok->choices->len, ==, 1);
  g_clear_pointer (&ok, moon_chunk_free);
  ok = parse_ok ("{\"error\":false,\"choices\":[]}");
  g_clear_pointer (&ok, moon_chunk_free);
  ok = parse_ok ("{\"error\":\"\",\"choices\":[]}");
}

static void
test_fields (void)
{
  g_autoptr(MoonChunk) chunk = parse_ok (
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1769600000,\"model\":\"kimi-k2.5\","
    "\"system_fingerprint\":\"fpv0\",\"usage\":null,"
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"think\"},"
    "\"logprobs\":null,\"finish_reason\":null}]}");
  MoonChoiceDelta *delta;

  g_assert_cmpstr (chunk->id, ==, "chatcmpl-1");
  g_assert_cmpstr (chunk->object, ==, "chat.completion.chunk");
  g_assert_cmpstr (chunk->model, ==, "kimi-k2.5");
  g_assert_cmpint (chunk->created, ==, 1769600000);
  /* "usage": null is no usage. */
  g_assert_false (chunk->has_usage);

  delta = g_ptr_array_index (chunk->choices, 0);
  g_assert_cmpuint (delta->index, ==, 0);
  g_assert_cmpstr (delta->role, ==, "assistant");
  g_assert_null (delta->content);
  g_assert_cmpstr (delta->reasoning_content, ==, "think");
  g_assert_null (delta->finish_reason);
  g_assert_false (delta->has_usage);
  g_assert_cmpuint (delta->tool_calls->len, ==, 0);
}

/* Fields of the wrong type are ignored, not trusted. */
static void
test_wrong_types (void)
{
  g_autoptr(MoonChunk) chunk = parse_ok (
    "{\"id\":5,\"model\":[1],\"created\":\"x\",\"usage\":\"lots\","
    "\"choices\":[7,{\"index\":\"zero\",\"delta\":{\"content\":12,\"tool_calls\":{\"a\":1}},\"finish_reason\":3},"
    "{\"index\":-4,\"delta\":\"text\"}]}");
  MoonChoiceDelta *delta;

  g_assert_null (chunk->id);
  g_assert_null (chunk->model);
  g_assert_cmpint (chunk->created, ==, 0);
  g_assert_false (chunk->has_usage);
  /* The non-object choice is skipped; indexes fall back to array positions. */
  g_assert_cmpuint (chunk->choices->len, ==, 2);
  delta = g_ptr_array_index (chunk->choices, 0);
  g_assert_cmpuint (delta->index, ==, 1);
  g_assert_null (delta->content);
  g_assert_null (delta->finish_reason);
  g_assert_cmpuint (delta->tool_calls->len, ==, 0);
  delta = g_ptr_array_index (chunk->choices, 1);
  g_assert_cmpuint (delta->index, ==, 2);
}

static void
test_usage_places (void)
{
  g_autoptr(MoonChunk) choice_level = parse_ok (
    "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\","
    "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":113,\"total_tokens\":121,\"prompt_tokens_details\":{\"cached_tokens\":8}}}]}");
  g_autoptr(MoonChunk) top_level = parse_ok (
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":213,\"completion_tokens\":99,\"total_tokens\":312,\"cached_tokens\":213,"
    "\"completion_tokens_details\":{\"reasoning_tokens\":46}}}");
  MoonChoiceDelta *delta = g_ptr_array_index (choice_level->choices, 0);

  g_assert_false (choice_level->has_usage);
  g_assert_true (delta->has_usage);
  g_assert_cmpint (delta->usage.prompt_tokens, ==, 8);
  g_assert_cmpint (delta->usage.completion_tokens, ==, 113);
  g_assert_cmpint (delta->usage.cached_tokens, ==, 8);
  g_assert_cmpstr (delta->finish_reason, ==, "stop");

  g_assert_true (top_level->has_usage);
  g_assert_cmpuint (top_level->choices->len, ==, 0);
  g_assert_cmpint (top_level->usage.total_tokens, ==, 312);
  g_assert_cmpint (top_level->usage.reasoning_tokens, ==, 46);
}

static void
test_tool_call_fragments (void)
{
  g_autoptr(MoonChunk) chunk = parse_ok (
    "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
    "{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}},"
    "{\"index\":5,\"function\":{\"arguments\":\"{\\\"x\\\":1}\"}},"
    "{\"function\":{\"arguments\":{\"city\":\"Paris\"}}}]}}]}");
  MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, 0);
  MoonToolCallDelta *call;

  g_assert_cmpuint (delta->tool_calls->len, ==, 3);
  call = g_ptr_array_index (delta->tool_calls, 0);
  g_assert_cmpuint (call->index, ==, 0);
  g_assert_cmpstr (call->id, ==, "a");
  g_assert_cmpstr (call->type, ==, "function");
  g_assert_cmpstr (call->name, ==, "f");
  g_assert_cmpstr (call->arguments, ==, "");
  call = g_ptr_array_index (delta->tool_calls, 1);
  g_assert_cmpuint (call->index, ==, 5);
  g_assert_null (call->id);
  g_assert_cmpstr (call->arguments, ==, "{\"x\":1}");
  /* No index: its array position. Object arguments are serialized. */
  call = g_ptr_array_index (delta->tool_calls, 2);
  g_assert_cmpuint (call->index, ==, 2);
  g_assert_cmpstr (call->arguments, ==, "{\"city\":\"Paris\"}");
}

/* A non-streaming reply (`message` instead of `delta`) decodes too. */
static void
test_whole_message (void)
{
  g_autoptr(MoonChunk) chunk = parse_ok (
    "{\"id\":\"cmpl-04ea926191a14749b7f2c7a48a68abc6\",\"object\":\"chat.completion\",\"created\":1698999496,"
    "\"model\":\"kimi-k2-turbo-preview\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"Hello, Li Lei! 1+1 equals 2.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":21,\"total_tokens\":40,\"cached_tokens\":10}}");
  MoonChoiceDelta *delta = g_ptr_array_index (chunk->choices, 0);

  g_assert_cmpstr (delta->content, ==, "Hello, Li Lei! 1+1 equals 2.");
  g_assert_cmpstr (delta->role, ==, "assistant");
  g_assert_true (chunk->has_usage);
  g_assert_cmpint (chunk->usage.cached_tokens, ==, 10);
}

static MoonReplyStatus
add (MoonReply  *reply,
     const char *data,
     GError    **error)
{
  return moon_reply_add_event (reply, NULL, data, strlen (data), NULL, error);
}

/* Top-level usage wins over the choice's, and the two are never added. */
static void
test_reply_usage_never_summed (void)
{
  g_autoptr(MoonReply) reply = moon_reply_new ();
  g_autoptr(MoonReply) choice_only = moon_reply_new ();
  const MoonUsage *usage;

  g_assert_null (moon_reply_get_usage (reply));
  g_assert_cmpint (add (reply, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"OK\"},\"finish_reason\":null}],\"usage\":null}", NULL), ==, MOON_REPLY_CONTINUE);
  g_assert_null (moon_reply_get_usage (reply));
  add (reply, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":17,\"total_tokens\":41}}]}", NULL);
  usage = moon_reply_get_usage (reply);
  g_assert_cmpint (usage->total_tokens, ==, 41);
  add (reply, "{\"choices\":[],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":17,\"total_tokens\":41}}", NULL);
  usage = moon_reply_get_usage (reply);
  g_assert_cmpint (usage->prompt_tokens, ==, 24);
  g_assert_cmpint (usage->completion_tokens, ==, 17);
  g_assert_cmpint (usage->total_tokens, ==, 41);
  g_assert_cmpint (add (reply, "[DONE]", NULL), ==, MOON_REPLY_DONE);
  g_assert_true (moon_reply_is_done (reply));
  g_assert_cmpstr (moon_reply_get_choice (reply, 0)->finish_reason, ==, "stop");

  add (choice_only, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}]}", NULL);
  usage = moon_reply_get_usage (choice_only);
  g_assert_cmpint (usage->total_tokens, ==, 3);
  g_assert_false (moon_reply_is_done (choice_only));
}

static void
test_reply_tool_merge (void)
{
  g_autoptr(MoonReply) reply = moon_reply_new ();
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  MoonReplyChoice *choice;
  MoonToolCall *call;

  add (reply, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{\"}}]}}]}", NULL);
  add (reply, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}", NULL);
  /* A later fragment repeating the id does not replace or duplicate it. */
  add (reply, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{\"arguments\":\"}\"}}]}}]}", NULL);
  add (reply, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"[]\"}}]}}]}", NULL);

  choice = moon_reply_get_choice (reply, 0);
  g_assert_cmpuint (choice->tool_calls->len, ==, 2);
  call = g_ptr_array_index (choice->tool_calls, 0);
  g_assert_cmpuint (call->index, ==, 0);
  g_assert_cmpstr (call->id, ==, "a");
  g_assert_cmpstr (call->name, ==, "f");
  g_assert_cmpstr (call->arguments->str, ==, "[]");
  call = g_ptr_array_index (choice->tool_calls, 1);
  g_assert_cmpstr (call->id, ==, "b");
  g_assert_cmpstr (call->arguments->str, ==, "{}");

  json = moon_tool_calls_to_json (choice->tool_calls);
  text = json_to_string (json, FALSE);
  g_assert_cmpstr (text, ==,
                   "[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[]\"}},"
                   "{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]");
}

static void
test_reply_events (void)
{
  g_autoptr(MoonReply) reply = moon_reply_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MoonChunk) chunk = NULL;

  /* Empty data (a bare "data:") never reaches the JSON parser. */
  g_assert_cmpint (moon_reply_add_event (reply, NULL, "", 0, &chunk, &error), ==, MOON_REPLY_CONTINUE);
  g_assert_no_error (error);
  g_assert_null (chunk);

  /* A malformed payload is skipped and counted; the reply goes on. */
  g_assert_cmpint (add (reply, "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\"}}]}", &error), ==, MOON_REPLY_SKIPPED);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_cmpuint (moon_reply_get_n_skipped (reply), ==, 1);

  {
    const char *data = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}";

    g_assert_cmpint (moon_reply_add_event (reply, NULL, data, strlen (data), &chunk, &error),
                     ==, MOON_REPLY_CONTINUE);
  }
  g_assert_nonnull (chunk);
  g_assert_cmpstr (moon_reply_get_choice (reply, 0)->content->str, ==, "a");

  /* " [DONE] " with spaces still ends the stream. */
  g_assert_cmpint (add (reply, " [DONE] ", NULL), ==, MOON_REPLY_DONE);
}

static void
test_reply_error_event (void)
{
  g_autoptr(MoonReply) reply = moon_reply_new ();
  g_autoptr(GError) error = NULL;
  const char *payload = "{\"error\":{\"message\":\"provider failed\",\"type\":\"server_error\"}}";

  g_assert_cmpint (moon_reply_add_event (reply, "error", payload, strlen (payload), NULL, &error),
                   ==, MOON_REPLY_FAILED);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "provider failed");
  g_clear_error (&error);

  g_assert_cmpint (moon_reply_add_event (reply, "error", "upstream <b>gone</b>", 20, NULL, &error),
                   ==, MOON_REPLY_FAILED);
  g_assert_error (error, MOON_API_ERROR, MOON_API_ERROR_SERVER);
  g_assert_cmpstr (moon_api_error_get_server_message (error), ==, "upstream <b>gone</b>");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api/chunk/malformed", test_malformed);
  g_test_add_func ("/api/chunk/deep-nesting", test_deep_nesting);
  g_test_add_func ("/api/chunk/surrogate-pair", test_surrogate_pair_ok);
  g_test_add_func ("/api/chunk/error-member", test_error_member);
  g_test_add_func ("/api/chunk/fields", test_fields);
  g_test_add_func ("/api/chunk/wrong-types", test_wrong_types);
  g_test_add_func ("/api/chunk/usage-places", test_usage_places);
  g_test_add_func ("/api/chunk/tool-call-fragments", test_tool_call_fragments);
  g_test_add_func ("/api/chunk/whole-message", test_whole_message);
  g_test_add_func ("/api/reply/usage-never-summed", test_reply_usage_never_summed);
  g_test_add_func ("/api/reply/tool-merge", test_reply_tool_merge);
  g_test_add_func ("/api/reply/events", test_reply_events);
  g_test_add_func ("/api/reply/error-event", test_reply_error_event);

  return g_test_run ();
}
