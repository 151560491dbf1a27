// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* The most keys a section has, for the per-section duplicate check. */
#define SECTION_KEYS_MAX 8
/* Quoted user text in messages is cut here, so that the message itself stays readable. */
#define QUOTED "'%.64s'"

/*
 * Where a message comes from: "NAME:LINE: " in a file, "NAME: " before line 1, nothing for a
 * command-line override (name NULL).
 */
struct config_ctx {
	const char *name;
	size_t line;
	char *err;
	size_t err_size;
	int error; /* the errno of the failure */
};

/* Values of [output] transform, in the order of enum wl_output_transform. */
static const char *const transform_names[] = {
	"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270",
};

static const char *const backend_names[] = {
	[SB_BACKEND_AUTO] = "auto",	  [SB_BACKEND_HEADLESS] = "headless",
	[SB_BACKEND_WAYLAND] = "wayland", [SB_BACKEND_X11] = "x11",
	[SB_BACKEND_DRM] = "drm",
};

static const char *const renderer_names[] = {
	[SB_RENDERER_AUTO] = "auto",
	[SB_RENDERER_PIXMAN] = "pixman",
	[SB_RENDERER_GLES2] = "gles2",
};

static const char *const implicit_names[] = {
	[SB_IMPLICIT_SNAPSHOT] = "snapshot",
	[SB_IMPLICIT_POLL] = "poll",
	[SB_IMPLICIT_NONE] = "none",
};

static const char *const xwayland_names[] = {
	[SB_XWAYLAND_AUTO] = "auto",
	[SB_XWAYLAND_ON] = "true",
	[SB_XWAYLAND_OFF] = "false",
};

static const char *const acquire_names[] = {
	[SB_ACQUIRE_CPU] = "cpu",
	[SB_ACQUIRE_KMS] = "kms",
};

static int fail_errno(struct config_ctx *ctx, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_errno(struct config_ctx *ctx, int error, const char *fmt, ...)
{
	size_t off = 0;
	va_list args;
	int n = 0;

	ctx->error = error;
	if (!ctx->err || ctx->err_size == 0)
		return -1;
	ctx->err[0] = '\0';
	if (ctx->name && ctx->line)
		n = snprintf(ctx->err, ctx->err_size, "%s:%zu: ", ctx->name, ctx->line);
	else if (ctx->name)
		n = snprintf(ctx->err, ctx->err_size, "%s: ", ctx->name);
	if (n > 0)
		off = (size_t)n < ctx->err_size ? (size_t)n : ctx->err_size - 1;
	va_start(args, fmt);
	vsnprintf(ctx->err + off, ctx->err_size - off, fmt, args);
	va_end(args);
	return -1;
}

#define fail(ctx, ...) fail_errno((ctx), EINVAL, __VA_ARGS__)

static int fail_nomem(struct config_ctx *ctx)
{
	return fail_errno(ctx, ENOMEM, "out of memory");
}

/* "a, b or c" into buf, for the expected values of a message. */
static const char *join_names(char *buf, size_t size, const char *const *names, size_t n,
			      const char *last_sep)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? last_sep : ", ";
		int len = snprintf(buf + off, size - off, "%s%s", sep, names[i]);

		if (len < 0)
			break;
		off += (size_t)len;
	}
	return buf;
}

static int lookup_name(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

static int parse_choice(struct config_ctx *ctx, const char *key, const char *value,
			const char *const *names, size_t n)
{
	char expected[128];
	int i = lookup_name(names, n, value);

	if (i < 0)
		return fail(ctx, "invalid %s " QUOTED "; expected %s", key, value,
			    join_names(expected, sizeof(expected), names, n, " or "));
	return i;
}

enum number_result {
	NUMBER_OK,
	NUMBER_SYNTAX,
	NUMBER_RANGE,
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * s[0..len) as DIGITS, or with frac_digits > 0 also DIGITS.DIGITS: *out is the number times
 * 10^frac_digits, rounded half up, at most max. No sign, exponent or locale: "1,5" is wrong
 * everywhere, as it is for weston.
 */
static enum number_result parse_fixed(const char *s, size_t len, unsigned int frac_digits,
				      uint64_t max, uint64_t *out)
{
	size_t int_len = 0, dot;
	uint64_t v = 0;

	while (int_len < len && is_digit(s[int_len]))
		int_len++;
	if (int_len == 0)
		return NUMBER_SYNTAX;
	dot = int_len;
	if (dot < len) {
		if (frac_digits == 0 || s[dot] != '.' || dot + 1 == len)
			return NUMBER_SYNTAX;
		for (size_t i = dot + 1; i < len; i++)
			if (!is_digit(s[i]))
				return NUMBER_SYNTAX;
	}

	/* Digits past frac_digits only round; the ones before them are scaled in. */
	for (size_t i = 0; i < int_len + 1 + frac_digits; i++) {
		unsigned int d;

		if (i == int_len)
			continue;
		d = i < len ? (unsigned int)(s[i] - '0') : 0;
		if (d > max || v > (max - d) / 10)
			return NUMBER_RANGE;
		v = v * 10 + d;
	}
	if (int_len + 1 + frac_digits < len && s[int_len + 1 + frac_digits] >= '5') {
		if (v == max)
			return NUMBER_RANGE;
		v++;
	}
	*out = v;
	return NUMBER_OK;
}

static int parse_int(struct config_ctx *ctx, const char *key, const char *value, int *out)
{
	uint64_t v;

	switch (parse_fixed(value, strlen(value), 0, INT_MAX, &v)) {
	case NUMBER_OK:
		*out = (int)v;
		return 0;
	case NUMBER_RANGE:
		return fail(ctx, "%s " QUOTED " is too large; expected an integer from 0 to %d",
			    key, value, INT_MAX);
	case NUMBER_SYNTAX:
		break;
	}
	return fail(ctx, "invalid %s " QUOTED "; expected an integer from 0 to %d", key, value,
		    INT_MAX);
}

/* "WIDTHxHEIGHT" in s[0..len). */
static enum number_result parse_size(const char *s, size_t len, int *width, int *height)
{
	const char *x = memchr(s, 'x', len);
	enum number_result r;
	uint64_t w, h;

	if (!x)
		return NUMBER_SYNTAX;
	r = parse_fixed(s, (size_t)(x - s), 0, SB_CONFIG_MODE_SIZE_MAX, &w);
	if (r == NUMBER_OK)
		r = parse_fixed(x + 1, len - (size_t)(x + 1 - s), 0, SB_CONFIG_MODE_SIZE_MAX, &h);
	if (r != NUMBER_OK)
		return r;
	if (w == 0 || h == 0)
		return NUMBER_RANGE;
	*width = (int)w;
	*height = (int)h;
	return NUMBER_OK;
}

/* Hz, decimals allowed (59.94), into mHz as struct wlr_output_mode has it. */
static enum number_result parse_refresh(const char *s, size_t len, int *mhz)
{
	enum number_result r;
	uint64_t v;

	r = parse_fixed(s, len, 3, SB_CONFIG_REFRESH_MAX_HZ * 1000, &v);
	if (r != NUMBER_OK)
		return r;
	if (v == 0)
		return NUMBER_RANGE;
	*mhz = (int)v;
	return NUMBER_OK;
}

static void output_init_defaults(struct sb_output_config *output)
{
	*output = (struct sb_output_config){
		.scale = 1.0,
		.enabled = true,
	};
}

/*
 * Setters check the whole value before they change anything, so a refused value changes nothing.
 * target is the struct sb_config, or in [output] the struct sb_output_config.
 */
typedef int (*config_setter_t)(struct config_ctx *ctx, void *target, const char *value);

static int set_backend(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	int i = parse_choice(ctx, "backend", value, backend_names, ARRAY_LEN(backend_names));

	if (i < 0)
		return -1;
	config->backend = (enum sb_backend_kind)i;
	return 0;
}

static int set_renderer(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	int i = parse_choice(ctx, "renderer", value, renderer_names, ARRAY_LEN(renderer_names));

	if (i < 0)
		return -1;
	config->renderer = (enum sb_renderer_kind)i;
	return 0;
}

static int set_implicit(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	int i = parse_choice(ctx, "implicit", value, implicit_names, ARRAY_LEN(implicit_names));

	if (i < 0)
		return -1;
	config->sync.implicit = (enum sb_implicit_mode)i;
	return 0;
}

static int set_acquire(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	int i = parse_choice(ctx, "acquire", value, acquire_names, ARRAY_LEN(acquire_names));

	if (i < 0)
		return -1;
	config->sync.acquire = (enum sb_acquire_mode)i;
	return 0;
}

static int set_string(struct config_ctx *ctx, char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return fail_nomem(ctx);
	free(*field);
	*field = copy;
	return 0;
}

static int set_keymap_rules(struct config_ctx *ctx, void *target, const char *value)
{
	return set_string(ctx, &((struct sb_config *)target)->keyboard.rules, value);
}

static int set_keymap_model(struct config_ctx *ctx, void *target, const char *value)
{
	return set_string(ctx, &((struct sb_config *)target)->keyboard.model, value);
}

static int set_keymap_layout(struct config_ctx *ctx, void *target, const char *value)
{
	return set_string(ctx, &((struct sb_config *)target)->keyboard.layout, value);
}

static int set_keymap_variant(struct config_ctx *ctx, void *target, const char *value)
{
	return set_string(ctx, &((struct sb_config *)target)->keyboard.variant, value);
}

static int set_keymap_options(struct config_ctx *ctx, void *target, const char *value)
{
	return set_string(ctx, &((struct sb_config *)target)->keyboard.options, value);
}

static int set_repeat_rate(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;

	return parse_int(ctx, "repeat-rate", value, &config->keyboard.repeat_rate);
}

static int set_repeat_delay(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;

	return parse_int(ctx, "repeat-delay", value, &config->keyboard.repeat_delay);
}

static int set_xwayland_enabled(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	int i = parse_choice(ctx, "enabled", value, xwayland_names, ARRAY_LEN(xwayland_names));

	if (i < 0)
		return -1;
	config->xwayland.enabled = (enum sb_xwayland_mode)i;
	return 0;
}

static int set_cursor_theme(struct config_ctx *ctx, void *target, const char *value)
{
	return set_string(ctx, &((struct sb_config *)target)->shell.cursor_theme, value);
}

static int set_cursor_size(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	int size;

	if (parse_int(ctx, "cursor-size", value, &size) < 0)
		return -1;
	if (size < 1 || size > SB_CONFIG_CURSOR_SIZE_MAX)
		return fail(ctx, "invalid cursor-size " QUOTED "; expected 1 to %d pixels", value,
			    SB_CONFIG_CURSOR_SIZE_MAX);
	config->shell.cursor_size = size;
	return 0;
}

static int set_move_modifier(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	uint32_t mod = sb_modifier_from_name(value);

	if (!mod && strcmp(value, "none") != 0)
		return fail(ctx,
			    "invalid move-modifier " QUOTED "; expected super, alt, ctrl, "
			    "shift or none",
			    value);
	config->shell.move_modifier = mod;
	return 0;
}

static int set_binding(struct config_ctx *ctx, struct sb_config *config, enum sb_key_action action,
		       const char *value)
{
	char msg[256];

	if (sb_keybinding_parse(value, &config->keybindings.keys[action], msg, sizeof(msg)) < 0)
		return fail(ctx, "[keybinding] %s: %s", sb_key_action_name(action), msg);
	return 0;
}

static int set_key_quit(struct config_ctx *ctx, void *target, const char *value)
{
	return set_binding(ctx, target, SB_KEY_ACTION_QUIT, value);
}

static int set_key_cycle_focus(struct config_ctx *ctx, void *target, const char *value)
{
	return set_binding(ctx, target, SB_KEY_ACTION_CYCLE_FOCUS, value);
}

static int set_key_close(struct config_ctx *ctx, void *target, const char *value)
{
	return set_binding(ctx, target, SB_KEY_ACTION_CLOSE, value);
}

static int set_key_maximize(struct config_ctx *ctx, void *target, const char *value)
{
	return set_binding(ctx, target, SB_KEY_ACTION_MAXIMIZE, value);
}

static int set_key_fullscreen(struct config_ctx *ctx, void *target, const char *value)
{
	return set_binding(ctx, target, SB_KEY_ACTION_FULLSCREEN, value);
}

/* [autostart] command=: one command per section, appended in file order. */
static int set_autostart_command(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_config *config = target;
	char **list, *copy;

	if (*value == '\0')
		return fail(ctx, "empty command; expected a shell command line");
	if (config->n_autostart >= SB_CONFIG_AUTOSTART_MAX)
		return fail(ctx, "more than %d [autostart] commands; expected at most %d",
			    SB_CONFIG_AUTOSTART_MAX, SB_CONFIG_AUTOSTART_MAX);
	copy = strdup(value);
	list = copy ? realloc(config->autostart, (config->n_autostart + 1) * sizeof(*list)) : NULL;
	if (!list) {
		free(copy);
		return fail_nomem(ctx);
	}
	list[config->n_autostart++] = copy;
	config->autostart = list;
	return 0;
}

static int set_output_name(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_output_config *output = target;
	char *copy = NULL;

	if (value[0] == '\0')
		return fail(ctx, "empty output name; expected a connector name such as HDMI-A-1, "
				 "or * for any output");
	if (strcmp(value, "*") != 0) {
		copy = strdup(value);
		if (!copy)
			return fail_nomem(ctx);
	}
	free(output->name);
	output->name = copy;
	return 0;
}

static int set_output_mode(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_output_config *output = target;
	size_t len = strlen(value);
	const char *at = memchr(value, '@', len);
	int width = 0, height = 0, mhz = 0;
	enum number_result r = NUMBER_OK;
	bool enabled = true;

	if (strcmp(value, "off") == 0) {
		enabled = false;
	} else if (strcmp(value, "preferred") != 0) {
		r = parse_size(value, at ? (size_t)(at - value) : len, &width, &height);
		if (r == NUMBER_OK && at)
			r = parse_refresh(at + 1, len - (size_t)(at + 1 - value), &mhz);
	}
	if (r == NUMBER_SYNTAX)
		return fail(ctx,
			    "invalid mode " QUOTED "; expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ "
			    "(1920x1080@59.94), preferred or off",
			    value);
	if (r == NUMBER_RANGE)
		return fail(ctx,
			    "mode " QUOTED " is out of range; expected a width and height from 1 "
			    "to %d and a refresh rate above 0 and at most %d Hz",
			    value, SB_CONFIG_MODE_SIZE_MAX, SB_CONFIG_REFRESH_MAX_HZ);
	output->width = width;
	output->height = height;
	output->refresh_mhz = mhz;
	output->enabled = enabled;
	return 0;
}

static int set_output_size(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_output_config *output = target;
	int width, height;

	switch (parse_size(value, strlen(value), &width, &height)) {
	case NUMBER_OK:
		output->width = width;
		output->height = height;
		return 0;
	case NUMBER_RANGE:
		return fail(ctx,
			    "size " QUOTED
			    " is out of range; expected a width and height from 1 to %d",
			    value, SB_CONFIG_MODE_SIZE_MAX);
	case NUMBER_SYNTAX:
		break;
	}
	return fail(ctx, "invalid size " QUOTED "; expected WIDTHxHEIGHT (1920x1080)", value);
}

static int set_output_refresh(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_output_config *output = target;

	switch (parse_refresh(value, strlen(value), &output->refresh_mhz)) {
	case NUMBER_OK:
		return 0;
	case NUMBER_RANGE:
		return fail(ctx,
			    "refresh " QUOTED
			    " is out of range; expected a rate above 0 and at most %d Hz",
			    value, SB_CONFIG_REFRESH_MAX_HZ);
	case NUMBER_SYNTAX:
		break;
	}
	return fail(ctx, "invalid refresh " QUOTED "; expected a rate in Hz (60, 59.94)", value);
}

static int set_output_scale(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_output_config *output = target;
	/* Millionths: exact for the scales people use (1.25, 1.5) and far below a pixel. */
	const uint64_t one = 1000000;
	uint64_t v;

	switch (parse_fixed(value, strlen(value), 6, SB_CONFIG_SCALE_MAX * one, &v)) {
	case NUMBER_OK:
		if (v == 0)
			break;
		output->scale = (double)v / (double)one;
		return 0;
	case NUMBER_RANGE:
		break;
	case NUMBER_SYNTAX:
		return fail(ctx, "invalid scale " QUOTED "; expected a positive number (1, 1.5, 2)",
			    value);
	}
	return fail(ctx,
		    "scale " QUOTED " is out of range; expected a number above 0 and at most %d",
		    value, SB_CONFIG_SCALE_MAX);
}

static int set_output_transform(struct config_ctx *ctx, void *target, const char *value)
{
	struct sb_output_config *output = target;
	int i = parse_choice(ctx, "transform", value, transform_names, ARRAY_LEN(transform_names));

	if (i < 0)
		return -1;
	output->transform = i;
	return 0;
}

enum key_use {
	KEY_FILE_AND_OVERRIDE,
	KEY_FILE_ONLY,
	KEY_OVERRIDE_ONLY,
};

struct config_key {
	const char *name;
	config_setter_t set;
	enum key_use use;
};

struct config_section {
	const char *name;
	const struct config_key *keys;
	size_t n_keys;
};

static const struct config_key core_keys[] = {
	{.name = "backend", .set = set_backend},
	{.name = "renderer", .set = set_renderer},
};

static const struct config_key output_keys[] = {
	/* Overrides apply to every output: one name for all of them makes no sense. */
	{.name = "name", .set = set_output_name, .use = KEY_FILE_ONLY},
	{.name = "mode", .set = set_output_mode},
	{.name = "scale", .set = set_output_scale},
	{.name = "transform", .set = set_output_transform},
	{.name = "size", .set = set_output_size, .use = KEY_OVERRIDE_ONLY},
	{.name = "refresh", .set = set_output_refresh, .use = KEY_OVERRIDE_ONLY},
};

/* weston's [keyboard] names, underscores and dashes as weston spells them. */
static const struct config_key keyboard_keys[] = {
	{.name = "keymap_rules", .set = set_keymap_rules},
	{.name = "keymap_model", .set = set_keymap_model},
	{.name = "keymap_layout", .set = set_keymap_layout},
	{.name = "keymap_variant", .set = set_keymap_variant},
	{.name = "keymap_options", .set = set_keymap_options},
	{.name = "repeat-rate", .set = set_repeat_rate},
	{.name = "repeat-delay", .set = set_repeat_delay},
};

static const struct config_key sync_keys[] = {
	{.name = "implicit", .set = set_implicit},
	{.name = "acquire", .set = set_acquire},
};

static const struct config_key xwayland_keys[] = {
	{.name = "enabled", .set = set_xwayland_enabled},
};

static const struct config_key shell_keys[] = {
	{.name = "cursor-theme", .set = set_cursor_theme},
	{.name = "cursor-size", .set = set_cursor_size},
	{.name = "move-modifier", .set = set_move_modifier},
};

/* Keys named after enum sb_key_action (sb_key_action_name). */
static const struct config_key keybinding_keys[] = {
	{.name = "quit", .set = set_key_quit},
	{.name = "cycle-focus", .set = set_key_cycle_focus},
	{.name = "close", .set = set_key_close},
	{.name = "maximize", .set = set_key_maximize},
	{.name = "fullscreen", .set = set_key_fullscreen},
};

/* A file-only key: an override would add a command per call. */
static const struct config_key autostart_keys[] = {
	{.name = "command", .set = set_autostart_command, .use = KEY_FILE_ONLY},
};

static const struct config_section sections[] = {
	{"core", core_keys, ARRAY_LEN(core_keys)},
	{"output", output_keys, ARRAY_LEN(output_keys)},
	{"keyboard", keyboard_keys, ARRAY_LEN(keyboard_keys)},
	{"sync", sync_keys, ARRAY_LEN(sync_keys)},
	{"xwayland", xwayland_keys, ARRAY_LEN(xwayland_keys)},
	{"shell", shell_keys, ARRAY_LEN(shell_keys)},
	{"keybinding", keybinding_keys, ARRAY_LEN(keybinding_keys)},
	{"autostart", autostart_keys, ARRAY_LEN(autostart_keys)},
};

#define OUTPUT_SECTION (&sections[1])
#define OUTPUT_KEY_NAME 0

_Static_assert(ARRAY_LEN(core_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");
_Static_assert(ARRAY_LEN(output_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");
_Static_assert(ARRAY_LEN(keyboard_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");
_Static_assert(ARRAY_LEN(sync_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");
_Static_assert(ARRAY_LEN(shell_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");
_Static_assert(ARRAY_LEN(keybinding_keys) <= SECTION_KEYS_MAX, "raise SECTION_KEYS_MAX");

static const char *section_list(char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(sections) && off < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == ARRAY_LEN(sections) ? " or " : ", ";
		int len = snprintf(buf + off, size - off, "%s[%s]", sep, sections[i].name);

		if (len < 0)
			break;
		off += (size_t)len;
	}
	return buf;
}

static const struct config_section *find_section(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(sections); i++)
		if (strcmp(sections[i].name, name) == 0)
			return &sections[i];
	return NULL;
}

static bool key_usable(const struct config_key *key, bool override)
{
	return key->use == KEY_FILE_AND_OVERRIDE ||
	       key->use == (override ? KEY_OVERRIDE_ONLY : KEY_FILE_ONLY);
}

/* The index of name among the keys of section usable in a file or an override, or -1. */
static int find_key(const struct config_section *section, const char *name, bool override)
{
	for (size_t i = 0; i < section->n_keys; i++)
		if (key_usable(&section->keys[i], override) &&
		    strcmp(section->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int fail_unknown_key(struct config_ctx *ctx, const struct config_section *section,
			    const char *name, bool override)
{
	const char *names[SECTION_KEYS_MAX];
	char expected[256];
	size_t n = 0;

	for (size_t i = 0; i < section->n_keys; i++)
		if (key_usable(&section->keys[i], override))
			names[n++] = section->keys[i].name;
	return fail(ctx, "unknown key " QUOTED " in [%s]; expected %s", name, section->name,
		    join_names(expected, sizeof(expected), names, n, " or "));
}

static int add_output(struct config_ctx *ctx, struct sb_config *config)
{
	struct sb_output_config *outputs;

	if (config->n_outputs >= SIZE_MAX / sizeof(*outputs) - 1)
		return fail_nomem(ctx);
	outputs = realloc(config->outputs, (config->n_outputs + 1) * sizeof(*outputs));
	if (!outputs)
		return fail_nomem(ctx);
	config->outputs = outputs;
	output_init_defaults(&outputs[config->n_outputs++]);
	return 0;
}

void sb_config_init_defaults(struct sb_config *config)
{
	*config = (struct sb_config){
		.backend = SB_BACKEND_AUTO,
		.renderer = SB_RENDERER_AUTO,
		/* weston's defaults */
		.keyboard = {.repeat_rate = 40, .repeat_delay = 400},
		.sync = {.implicit = SB_IMPLICIT_SNAPSHOT, .acquire = SB_ACQUIRE_CPU},
		.xwayland = {.enabled = SB_XWAYLAND_AUTO},
		/* wlroots' and sway's cursor size; sway's floating_modifier default */
		.shell = {.cursor_size = 24, .move_modifier = SB_MOD_LOGO},
	};
	sb_keybindings_init_defaults(&config->keybindings);
}

bool sb_config_xwayland_enabled(const struct sb_config *config, enum sb_backend_kind backend)
{
	if (config->xwayland.enabled == SB_XWAYLAND_AUTO)
		return backend != SB_BACKEND_HEADLESS;
	return config->xwayland.enabled == SB_XWAYLAND_ON;
}

void sb_config_finish(struct sb_config *config)
{
	if (!config)
		return;
	for (size_t i = 0; i < config->n_outputs; i++)
		free(config->outputs[i].name);
	free(config->outputs);
	free(config->keyboard.layout);
	free(config->keyboard.variant);
	free(config->keyboard.options);
	free(config->keyboard.model);
	free(config->keyboard.rules);
	free(config->shell.cursor_theme);
	for (size_t i = 0; i < config->n_autostart; i++)
		free(config->autostart[i]);
	free(config->autostart);
	sb_config_init_defaults(config);
}

struct parser {
	struct config_ctx ctx;
	struct sb_config *config;
	const struct config_section *section; /* NULL before the first header */
	size_t section_line;
	/* The line that set each key in this instance of the section, 0 if none did. */
	size_t key_lines[SECTION_KEYS_MAX];
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *trim(char *s)
{
	size_t len;

	while (is_blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

static bool same_output_name(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * A second section for the same output would silently never apply: sb_config_find_output()
 * returns the first.
 */
static int end_output_section(struct parser *p)
{
	const struct sb_config *config = p->config;
	const struct sb_output_config *last = &config->outputs[config->n_outputs - 1];

	for (size_t i = 0; i + 1 < config->n_outputs; i++) {
		if (!same_output_name(config->outputs[i].name, last->name))
			continue;
		if (!last->name) {
			p->ctx.line = p->section_line;
			return fail(&p->ctx, "second [output] section for any output; expected "
					     "name=CONNECTOR in all [output] sections but one");
		}
		p->ctx.line = p->key_lines[OUTPUT_KEY_NAME];
		return fail(&p->ctx,
			    "second [output] section for " QUOTED
			    "; expected one section per output name",
			    last->name);
	}
	return 0;
}

static int end_section(struct parser *p)
{
	if (p->section == OUTPUT_SECTION)
		return end_output_section(p);
	return 0;
}

/* s: a trimmed line starting with '['. */
static int parse_section_header(struct parser *p, char *s)
{
	const struct config_section *section;
	char expected[128];
	char *close = strchr(s, ']');
	char *name, *rest;

	if (!close)
		return fail(&p->ctx, "unterminated section header " QUOTED "; expected [NAME]", s);
	*close = '\0';
	rest = trim(close + 1);
	if (*rest)
		return fail(&p->ctx,
			    "unexpected " QUOTED " after ']'; expected [NAME] alone on its line",
			    rest);
	name = trim(s + 1);
	section = find_section(name);
	if (!section)
		return fail(&p->ctx, "unknown section [%.64s]; expected %s", name,
			    section_list(expected, sizeof(expected)));

	if (p->section) {
		size_t line = p->ctx.line;

		if (end_section(p) < 0)
			return -1;
		p->ctx.line = line;
	}
	if (section == OUTPUT_SECTION && add_output(&p->ctx, p->config) < 0)
		return -1;
	p->section = section;
	p->section_line = p->ctx.line;
	memset(p->key_lines, 0, sizeof(p->key_lines));
	return 0;
}

static int parse_key_value(struct parser *p, const char *key, const char *value)
{
	void *target = p->config;
	int i;

	if (key[0] == '\0')
		return fail(&p->ctx, "'=' with no key before it; expected KEY=VALUE");
	if (!p->section)
		return fail(&p->ctx,
			    "key " QUOTED
			    " outside any section; expected a [SECTION] line before it",
			    key);
	i = find_key(p->section, key, false);
	if (i < 0)
		return fail_unknown_key(&p->ctx, p->section, key, false);
	if (p->key_lines[i])
		return fail(&p->ctx,
			    "duplicate key " QUOTED " in this [%s] section, first set on line %zu; "
			    "expected each key once per section",
			    key, p->section->name, p->key_lines[i]);
	if (p->section == OUTPUT_SECTION)
		target = &p->config->outputs[p->config->n_outputs - 1];
	if (p->section->keys[i].set(&p->ctx, target, value) < 0)
		return -1;
	p->key_lines[i] = p->ctx.line;
	return 0;
}

/* line: NUL-terminated, without its line ending, checked to be text. */
static int parse_line(struct parser *p, char *line)
{
	char *s = trim(line);
	char *eq;

	if (s[0] == '\0' || s[0] == '#')
		return 0;
	if (s[0] == '[')
		return parse_section_header(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return fail(&p->ctx,
			    "cannot parse " QUOTED
			    "; expected [SECTION], KEY=VALUE, a # comment or a blank line",
			    s);
	*eq = '\0';
	return parse_key_value(p, trim(s), trim(eq + 1));
}

/* Text, as weston.ini is: NUL and control characters other than tab are refused. */
static int check_text(struct parser *p, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			return fail(&p->ctx, "NUL byte at column %zu; expected text", i + 1);
		if (c == '\r')
			return fail(&p->ctx,
				    "carriage return at column %zu; expected lines ending in \\n "
				    "or \\r\\n",
				    i + 1);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(&p->ctx,
				    "control character 0x%02x at column %zu; expected text", c,
				    i + 1);
	}
	return 0;
}

static int parse_lines(struct parser *p, const char *data, size_t size)
{
	char line[SB_CONFIG_LINE_MAX + 1];
	size_t pos = 0;

	/* A UTF-8 byte order mark, as some editors write. */
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < size) {
		const char *start = data + pos;
		const char *nl = memchr(start, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - start) : size - pos;

		pos += nl ? len + 1 : len;
		p->ctx.line++;
		if (len > 0 && start[len - 1] == '\r')
			len--;
		if (len > SB_CONFIG_LINE_MAX)
			return fail(&p->ctx, "line is %zu bytes long; expected at most %d", len,
				    SB_CONFIG_LINE_MAX);
		if (check_text(p, start, len) < 0)
			return -1;
		memcpy(line, start, len);
		line[len] = '\0';
		if (parse_line(p, line) < 0)
			return -1;
	}
	return end_section(p);
}

int sb_config_parse_buffer(struct sb_config *config, const char *name, const char *data,
			   size_t size, char *err, size_t err_size)
{
	struct parser p = {
		.ctx = {.name = name ? name : "<string>", .err = err, .err_size = err_size},
		.config = config,
	};

	sb_config_init_defaults(config);
	if (err && err_size)
		err[0] = '\0';
	if (!data && size)
		goto err_inval;
	if (size && parse_lines(&p, data, size) < 0)
		goto err;
	return 0;

err_inval:
	fail(&p.ctx, "no data");
err:
	sb_config_finish(config);
	errno = p.ctx.error;
	return -1;
}

int sb_config_parse_string(struct sb_config *config, const char *name, const char *text, char *err,
			   size_t err_size)
{
	return sb_config_parse_buffer(config, name, text, text ? strlen(text) : 0, err, err_size);
}

/* The whole file into *data (malloc'd), at most SB_CONFIG_FILE_MAX bytes. */
static int read_file(struct config_ctx *ctx, const char *path, char **data, size_t *size)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(ctx, errno, "cannot open: %s", strerror(errno));
	for (;;) {
		ssize_t n;

		if (!buf || len == cap) {
			char *bigger;

			if (buf)
				cap *= 2;
			bigger = realloc(buf, cap);
			if (!bigger) {
				fail_nomem(ctx);
				goto err;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_errno(ctx, errno, "cannot read: %s", strerror(errno));
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SB_CONFIG_FILE_MAX) {
			fail(ctx, "file is larger than %d bytes; expected a smaller config file",
			     SB_CONFIG_FILE_MAX);
			goto err;
		}
	}
	close(fd);
	*data = buf;
	*size = len;
	return 0;

err:
	free(buf);
	close(fd);
	return -1;
}

int sb_config_parse_file(struct sb_config *config, const char *path, char *err, size_t err_size)
{
	struct config_ctx ctx = {.name = path, .err = err, .err_size = err_size};
	char *data = NULL;
	size_t size = 0;
	int ret, saved_errno;

	sb_config_init_defaults(config);
	if (!path) {
		ctx.name = "<no path>";
		fail(&ctx, "no file name");
		errno = ctx.error;
		return -1;
	}
	if (read_file(&ctx, path, &data, &size) < 0) {
		errno = ctx.error;
		return -1;
	}
	ret = sb_config_parse_buffer(config, path, data, size, err, err_size);
	saved_errno = errno;
	free(data);
	errno = saved_errno;
	return ret;
}

static const struct sb_output_config *find_any_output(const struct sb_config *config)
{
	for (size_t i = 0; i < config->n_outputs; i++)
		if (!config->outputs[i].name)
			return &config->outputs[i];
	return NULL;
}

static int set_every_output(struct config_ctx *ctx, struct sb_config *config,
			    const struct config_key *key, const char *value)
{
	struct sb_output_config scratch;

	/* Try the value first: applied to the real outputs, it then cannot fail halfway. */
	output_init_defaults(&scratch);
	if (key->set(ctx, &scratch, value) < 0)
		return -1;
	if (config->n_outputs == 0 && add_output(ctx, config) < 0)
		return -1;
	for (size_t i = 0; i < config->n_outputs; i++)
		if (key->set(ctx, &config->outputs[i], value) < 0)
			return -1;
	return 0;
}

int sb_config_set(struct sb_config *config, const char *section_name, const char *key_name,
		  const char *value, char *err, size_t err_size)
{
	struct config_ctx ctx = {.err = err, .err_size = err_size};
	const struct config_section *section;
	char expected[128];
	int i;

	if (err && err_size)
		err[0] = '\0';
	if (!config || !section_name || !key_name || !value) {
		fail(&ctx, "no config, section, key or value given");
		goto err;
	}
	section = find_section(section_name);
	if (!section) {
		fail(&ctx, "unknown section [%.64s]; expected %s", section_name,
		     section_list(expected, sizeof(expected)));
		goto err;
	}
	i = find_key(section, key_name, true);
	if (i < 0) {
		fail_unknown_key(&ctx, section, key_name, true);
		goto err;
	}
	if (section == OUTPUT_SECTION) {
		if (set_every_output(&ctx, config, &section->keys[i], value) < 0)
			goto err;
	} else if (section->keys[i].set(&ctx, config, value) < 0) {
		goto err;
	}
	return 0;

err:
	errno = ctx.error;
	return -1;
}

const struct sb_output_config *sb_config_find_output(const struct sb_config *config,
						     const char *name)
{
	if (name)
		for (size_t i = 0; i < config->n_outputs; i++)
			if (config->outputs[i].name && strcmp(config->outputs[i].name, name) == 0)
				return &config->outputs[i];
	return find_any_output(config);
}

const char *sb_config_default_path(char *buf, size_t size)
{
	const char *dir = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (!buf || size == 0)
		return NULL;
	if (dir && dir[0] == '/')
		n = snprintf(buf, size, "%s/syncbridge.ini", dir);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.config/syncbridge.ini", home);
	else
		return NULL;
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}
