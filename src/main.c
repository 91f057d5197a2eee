/* main.c
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "moon-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MoonApplication) app = NULL;
  const char *localedir;

  /* _build/run points MOONCHAT_LOCALEDIR at the build tree's catalogues so an
   * uninstalled build speaks the user's language too. */
  localedir = g_getenv ("MOONCHAT_LOCALEDIR");
  if (localedir == NULL || localedir[0] == '\0')
    localedir = LOCALEDIR;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = moon_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
