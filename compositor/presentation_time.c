// SPDX-License-Identifier: MIT
/*
 * wp_presentation, served here instead of by wlroots 0.15's wlr_presentation, which keeps one
 * pending feedback per surface and moves it to the surface's current state at the next state
 * that applies. With the commit gate holding commits, that is the wrong commit: the feedbacks of
 * commits queued behind a held one were all reported with the first of them to apply (the fifo
 * test shows it). Here each feedback belongs to the wl_surface.commit it came with (the gate's
 * commit event gives its sequence number), is discarded if a later commit replaces it before an
 * output samples it, and is reported with the present event of the output commit that showed it.
 * ZERO_COPY is decided per surface (its own buffer was the one scanned out), not taken from the
 * output's page flip, which speaks for the output as a whole.
 */
#include <stdlib.h>

#include <wlr/backend.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/addon.h>
#include <wlr/util/log.h>

#include "commit_gate.h"
#include "presentation-time-protocol.h"
#include "presentation_time.h"

#define PRESENTATION_VERSION 1

struct sb_presentation {
	struct wl_global *global;
	struct wlr_scene *scene;
	clockid_t clock;
	struct wl_listener gate_commit;
	struct wl_listener new_output;
	struct wl_list outputs; /* pres_output.link */
};

/* The feedback resources of one commit. */
struct pres_commit {
	uint32_t seq;		  /* the surface commit's; the output commit's once sampled */
	struct wl_list resources; /* wl_resource_get_link */
	bool zero_copy;		  /* sampled: its buffer was the one scanned out */
	struct wl_list link;	  /* pres_surface.queued, pres_output.sampled */
};

/* A surface's feedbacks not sampled yet: an addon, so they are discarded with it. */
struct pres_surface {
	struct sb_presentation *presentation;
	struct wlr_surface *surface;
	struct wlr_addon addon;
	struct wl_listener surface_commit;
	struct wl_list pending;	     /* resources for the next wl_surface.commit */
	struct wl_list queued;	     /* pres_commit.link: committed, not applied yet */
	struct pres_commit *current; /* applied, not sampled yet; NULL if none */
};

struct pres_output {
	struct sb_presentation *presentation;
	struct wlr_output *output;
	struct wlr_buffer *committing; /* a client buffer attached for direct scanout */
	struct wl_listener precommit;
	struct wl_listener commit;
	struct wl_listener present;
	struct wl_listener destroy;
	struct wl_list sampled; /* pres_commit.link: shown by an output commit, not presented */
	struct wl_list link;
};

static const struct wp_presentation_interface presentation_impl;

static void feedback_resource_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void resources_discard(struct wl_list *resources)
{
	struct wl_resource *resource, *tmp;

	wl_resource_for_each_safe(resource, tmp, resources)
	{
		wp_presentation_feedback_send_discarded(resource);
		wl_resource_destroy(resource);
	}
}

static struct pres_commit *pres_commit_create(uint32_t seq)
{
	struct pres_commit *commit = calloc(1, sizeof(*commit));

	if (!commit)
		return NULL;
	commit->seq = seq;
	wl_list_init(&commit->resources);
	wl_list_init(&commit->link);
	return commit;
}

/* Discards what was not presented and frees the commit. */
static void pres_commit_destroy(struct pres_commit *commit)
{
	if (!commit)
		return;
	resources_discard(&commit->resources);
	wl_list_remove(&commit->link);
	free(commit);
}

static bool seq_before_eq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* wlr_surface.events.commit: the commits up to current.seq applied; the last one is current. */
static void handle_surface_commit(struct wl_listener *listener, void *data)
{
	struct pres_surface *ps = wl_container_of(listener, ps, surface_commit);
	uint32_t applied = ps->surface->current.seq;
	struct pres_commit *commit, *tmp;

	/* presentation-time: an update replaced before any output showed it is discarded. */
	pres_commit_destroy(ps->current);
	ps->current = NULL;
	wl_list_for_each_safe(commit, tmp, &ps->queued, link) {
		if (!seq_before_eq(commit->seq, applied))
			break;
		if (commit->seq != applied) {
			pres_commit_destroy(commit);
			continue;
		}
		wl_list_remove(&commit->link);
		wl_list_init(&commit->link);
		ps->current = commit;
	}
}

static void pres_surface_addon_destroy(struct wlr_addon *addon)
{
	struct pres_surface *ps = wl_container_of(addon, ps, addon);
	struct pres_commit *commit, *tmp;

	resources_discard(&ps->pending);
	wl_list_for_each_safe(commit, tmp, &ps->queued, link)
		pres_commit_destroy(commit);
	pres_commit_destroy(ps->current);
	wl_list_remove(&ps->surface_commit.link);
	wlr_addon_finish(&ps->addon);
	free(ps);
}

static const struct wlr_addon_interface pres_surface_addon_impl = {
	.name = "wp_presentation",
	.destroy = pres_surface_addon_destroy,
};

static struct pres_surface *pres_surface_find(struct sb_presentation *presentation,
					      struct wlr_surface *surface)
{
	struct wlr_addon *addon =
		wlr_addon_find(&surface->addons, presentation, &pres_surface_addon_impl);
	struct pres_surface *ps;

	return addon ? wl_container_of(addon, ps, addon) : NULL;
}

static struct pres_surface *pres_surface_get(struct sb_presentation *presentation,
					     struct wlr_surface *surface)
{
	struct pres_surface *ps = pres_surface_find(presentation, surface);

	if (ps)
		return ps;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->presentation = presentation;
	ps->surface = surface;
	wl_list_init(&ps->pending);
	wl_list_init(&ps->queued);
	ps->surface_commit.notify = handle_surface_commit;
	wl_signal_add(&surface->events.commit, &ps->surface_commit);
	wlr_addon_init(&ps->addon, &surface->addons, presentation, &pres_surface_addon_impl);
	return ps;
}

static void presentation_handle_feedback(struct wl_client *client, struct wl_resource *resource,
					 struct wl_resource *surface_resource, uint32_t id)
{
	struct sb_presentation *presentation = wl_resource_get_user_data(resource);
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct pres_surface *ps = pres_surface_get(presentation, surface);
	struct wl_resource *feedback;

	feedback = ps ? wl_resource_create(client, &wp_presentation_feedback_interface,
					   wl_resource_get_version(resource), id)
		      : NULL;
	if (!feedback) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(feedback, NULL, NULL, feedback_resource_destroy);
	wl_list_insert(ps->pending.prev, wl_resource_get_link(feedback));
}

static void presentation_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wp_presentation_interface presentation_impl = {
	.destroy = presentation_handle_destroy,
	.feedback = presentation_handle_feedback,
};

static void presentation_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sb_presentation *presentation = data;
	struct wl_resource *resource =
		wl_resource_create(client, &wp_presentation_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &presentation_impl, presentation, NULL);
	wp_presentation_send_clock_id(resource, (uint32_t)presentation->clock);
}

/* The gate's commit event, at wl_surface.commit: the pending feedbacks are this commit's. */
static void handle_gate_commit(struct wl_listener *listener, void *data)
{
	struct sb_presentation *presentation = wl_container_of(listener, presentation, gate_commit);
	struct sb_gate_commit_event *event = data;
	struct pres_surface *ps = pres_surface_find(presentation, event->surface);
	struct pres_commit *commit;

	if (!ps || wl_list_empty(&ps->pending))
		return;
	commit = pres_commit_create(event->seq);
	if (!commit) {
		resources_discard(&ps->pending);
		return;
	}
	wl_list_insert_list(&commit->resources, &ps->pending);
	wl_list_init(&ps->pending);
	wl_list_insert(ps->queued.prev, &commit->link);
}

struct sample {
	struct pres_output *po;
	uint32_t commit_seq;
};

/* A surface in the frame just committed: its current feedbacks are sampled by it. */
static void sample_surface(struct wlr_surface *surface, int sx, int sy, void *data)
{
	struct sample *sample = data;
	struct pres_surface *ps = pres_surface_find(sample->po->presentation, surface);
	struct pres_commit *commit = ps ? ps->current : NULL;

	if (!commit)
		return;
	ps->current = NULL;
	commit->seq = sample->commit_seq;
	commit->zero_copy = sample->po->committing && surface->buffer &&
			    &surface->buffer->base == sample->po->committing;
	wl_list_insert(sample->po->sampled.prev, &commit->link);
}

static void output_handle_precommit(struct wl_listener *listener, void *data)
{
	struct pres_output *po = wl_container_of(listener, po, precommit);
	struct wlr_output_state *pending = &po->output->pending;

	/* wlroots 0.15 gives the commit event only the output's own buffer: look here. */
	po->committing = NULL;
	if ((pending->committed & WLR_OUTPUT_STATE_BUFFER) && pending->buffer &&
	    wlr_client_buffer_get(pending->buffer))
		po->committing = pending->buffer;
}

static void output_handle_commit(struct wl_listener *listener, void *data)
{
	struct pres_output *po = wl_container_of(listener, po, commit);
	struct wlr_output_event_commit *event = data;
	struct wlr_scene_output *scene_output =
		wlr_scene_get_scene_output(po->presentation->scene, po->output);
	struct sample sample = {po, po->output->commit_seq};

	if ((event->committed & WLR_OUTPUT_STATE_BUFFER) && scene_output)
		wlr_scene_output_for_each_surface(scene_output, sample_surface, &sample);
	po->committing = NULL;
}

static void output_handle_present(struct wl_listener *listener, void *data)
{
	struct pres_output *po = wl_container_of(listener, po, present);
	struct wlr_output_event_present *event = data;
	struct pres_commit *commit, *tmp;

	wl_list_for_each_safe(commit, tmp, &po->sampled, link) {
		struct wl_resource *resource, *rtmp;
		uint64_t sec;
		uint32_t flags;

		if (!seq_before_eq(commit->seq, event->commit_seq))
			break;
		/* An earlier output commit that got no present event of its own: not shown. */
		if (commit->seq != event->commit_seq || !event->presented || !event->when) {
			pres_commit_destroy(commit);
			continue;
		}
		sec = (uint64_t)event->when->tv_sec;
		flags = (event->flags & ~(uint32_t)WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY) |
			(commit->zero_copy ? WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY : 0);
		wl_resource_for_each_safe(resource, rtmp, &commit->resources)
		{
			struct wl_client *client = wl_resource_get_client(resource);
			struct wl_resource *output_resource;

			wl_resource_for_each(
				output_resource,
				&po->output
					 ->resources) if (wl_resource_get_client(output_resource) ==
							  client)
				wp_presentation_feedback_send_sync_output(resource,
									  output_resource);
			wp_presentation_feedback_send_presented(
				resource, (uint32_t)(sec >> 32), (uint32_t)sec,
				(uint32_t)event->when->tv_nsec, (uint32_t)event->refresh,
				(uint32_t)((uint64_t)event->seq >> 32), (uint32_t)event->seq,
				flags);
			wl_resource_destroy(resource);
		}
		pres_commit_destroy(commit);
	}
}

static void pres_output_destroy(struct pres_output *po)
{
	struct pres_commit *commit, *tmp;

	wl_list_for_each_safe(commit, tmp, &po->sampled, link)
		pres_commit_destroy(commit);
	wl_list_remove(&po->precommit.link);
	wl_list_remove(&po->commit.link);
	wl_list_remove(&po->present.link);
	wl_list_remove(&po->destroy.link);
	wl_list_remove(&po->link);
	free(po);
}

static void output_handle_destroy(struct wl_listener *listener, void *data)
{
	struct pres_output *po = wl_container_of(listener, po, destroy);

	pres_output_destroy(po);
}

static void handle_new_output(struct wl_listener *listener, void *data)
{
	struct sb_presentation *presentation = wl_container_of(listener, presentation, new_output);
	struct wlr_output *output = data;
	struct pres_output *po = calloc(1, sizeof(*po));

	if (!po) {
		wlr_log(WLR_ERROR, "output %s: out of memory: no presentation feedback on it",
			output->name);
		return;
	}
	po->presentation = presentation;
	po->output = output;
	wl_list_init(&po->sampled);
	po->precommit.notify = output_handle_precommit;
	wl_signal_add(&output->events.precommit, &po->precommit);
	po->commit.notify = output_handle_commit;
	wl_signal_add(&output->events.commit, &po->commit);
	po->present.notify = output_handle_present;
	wl_signal_add(&output->events.present, &po->present);
	po->destroy.notify = output_handle_destroy;
	wl_signal_add(&output->events.destroy, &po->destroy);
	wl_list_insert(&presentation->outputs, &po->link);
}

struct sb_presentation *sb_presentation_create(struct wl_display *display,
					       struct wlr_backend *backend, struct wlr_scene *scene,
					       struct sb_commit_gate *gate)
{
	struct sb_presentation *presentation = calloc(1, sizeof(*presentation));

	if (!presentation)
		return NULL;
	presentation->global =
		wl_global_create(display, &wp_presentation_interface, PRESENTATION_VERSION,
				 presentation, presentation_bind);
	if (!presentation->global) {
		free(presentation);
		return NULL;
	}
	presentation->scene = scene;
	presentation->clock = wlr_backend_get_presentation_clock(backend);
	wl_list_init(&presentation->outputs);
	presentation->gate_commit.notify = handle_gate_commit;
	wl_signal_add(&gate->events.commit, &presentation->gate_commit);
	presentation->new_output.notify = handle_new_output;
	wl_signal_add(&backend->events.new_output, &presentation->new_output);
	return presentation;
}

void sb_presentation_destroy(struct sb_presentation *presentation)
{
	struct pres_output *po, *tmp;

	if (!presentation)
		return;
	wl_list_for_each_safe(po, tmp, &presentation->outputs, link)
		pres_output_destroy(po);
	wl_list_remove(&presentation->new_output.link);
	wl_list_remove(&presentation->gate_commit.link);
	wl_global_destroy(presentation->global);
	free(presentation);
}
