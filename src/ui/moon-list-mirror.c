/* moon-list-mirror.c — a GListModel that repeats another one's content and
 * reports every change as one consistent items-changed
 *
 * Copyright 2026 The Moonchat developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "moon-list-mirror"

#include "config.h"

#include "moon-list-mirror.h"

/* GTK's list widgets require that at each items-changed the model already
 * looks as the signal says. A model that reports a move as "removed at the
 * old place" then "added at the new place" after it has already moved the
 * item breaks that (GTK aborts in gtk_list_item_manager_ensure_items()).
 * The mirror keeps its own copy of the item list and, whenever the source
 * changes, reports the difference between the copy and the source as one
 * change: common prefix and suffix kept, the middle replaced. A move of one
 * row between two others is a change of the rows in between; a change the
 * source reports in two steps comes out as one, the second step as nothing.
 * O(n) per change, for lists of conversations (hundreds to thousands). */

struct _MoonListMirror
{
  GObject     parent_instance;

  GListModel *model;
  GPtrArray  *items;
};

static GType
moon_list_mirror_get_item_type (GListModel *list)
{
  MoonListMirror *self = MOON_LIST_MIRROR (list);

  return self->model ? g_list_model_get_item_type (self->model) : G_TYPE_OBJECT;
}

static guint
moon_list_mirror_get_n_items (GListModel *list)
{
  return MOON_LIST_MIRROR (list)->items->len;
}

static gpointer
moon_list_mirror_get_item (GListModel *list,
                           guint       position)
{
  MoonListMirror *self = MOON_LIST_MIRROR (list);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = moon_list_mirror_get_item_type;
  iface->get_n_items = moon_list_mirror_get_n_items;
  iface->get_item = moon_list_mirror_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (MoonListMirror, moon_list_mirror, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
resync (MoonListMirror *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) old = NULL;
  guint n = g_list_model_get_n_items (self->model);
  guint prefix = 0, suffix = 0;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (self->model, i));

  while (prefix < items->len && prefix < self->items->len &&
         g_ptr_array_index (items, prefix) == g_ptr_array_index (self->items, prefix))
    prefix++;

  while (suffix < items->len - prefix && suffix < self->items->len - prefix &&
         g_ptr_array_index (items, items->len - 1 - suffix) ==
         g_ptr_array_index (self->items, self->items->len - 1 - suffix))
    suffix++;

  old = g_steal_pointer (&self->items);
  self->items = g_steal_pointer (&items);

  if (old->len == self->items->len && prefix == old->len)
    return;

  g_list_model_items_changed (G_LIST_MODEL (self), prefix,
                              old->len - prefix - suffix,
                              self->items->len - prefix - suffix);
}

static void
model_items_changed_cb (MoonListMirror *self,
                        guint           position,
                        guint           removed,
                        guint           added,
                        GListModel     *model)
{
  resync (self);
}

static void
moon_list_mirror_dispose (GObject *object)
{
  MoonListMirror *self = MOON_LIST_MIRROR (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (moon_list_mirror_parent_class)->dispose (object);
}

static void
moon_list_mirror_finalize (GObject *object)
{
  MoonListMirror *self = MOON_LIST_MIRROR (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (moon_list_mirror_parent_class)->finalize (object);
}

static void
moon_list_mirror_class_init (MoonListMirrorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = moon_list_mirror_dispose;
  object_class->finalize = moon_list_mirror_finalize;
}

static void
moon_list_mirror_init (MoonListMirror *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * moon_list_mirror_new:
 * @model: the list to mirror
 *
 * Returns: (transfer full): a list with @model's items, in its order
 */
MoonListMirror *
moon_list_mirror_new (GListModel *model)
{
  MoonListMirror *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  self = g_object_new (MOON_TYPE_LIST_MIRROR, NULL);
  self->model = g_object_ref (model);
  g_signal_connect_object (model, "items-changed", G_CALLBACK (model_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  resync (self);

  return self;
}

/**
 * moon_list_mirror_get_model:
 * @self: a #MoonListMirror
 *
 * Returns: (transfer none): the mirrored list
 */
GListModel *
moon_list_mirror_get_model (MoonListMirror *self)
{
  g_return_val_if_fail (MOON_IS_LIST_MIRROR (self), NULL);

  return self->model;
}
