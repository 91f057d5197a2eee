/* fuzz-message.c — moon_message_new_from_json over arbitrary bytes
 *
 * Input: any bytes, parsed as the history loader parses a file; a JSON
 * object is read as one message.
 *
 * Oracle: a message that loads serializes to JSON that reads back as the
 * same message (the same JSON again), its cached serialization is that
 * same JSON, its text is valid UTF-8, and a message saved while streaming
 * reads back as interrupted.
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fuzz-history.h"
#include "moon-history-error.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = fuzz_json_parse_object ((const char *) data, size);
  g_autoptr(MoonMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (root == NULL)
    return 0;

  message = moon_message_new_from_json (json_node_get_object (root), &error);
  fuzz_check ((message == NULL) == (error != NULL));
  if (message == NULL)
    {
      fuzz_check (g_error_matches (error, MOON_HISTORY_ERROR, MOON_HISTORY_ERROR_INVALID));
      fuzz_check (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  fuzz_check_message_round_trip (message);
  return 0;
}
