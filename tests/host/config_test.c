// SPDX-License-Identifier: MIT
/*
 * The configuration reader: weston.ini syntax, its errors, command-line overrides and the files in
 * weston-ini/. Run under ASan+LSan, every error path is also a leak check.
 *
 * Usage: config_test [SOURCE_ROOT] (or SB_SOURCE_ROOT in the environment) for weston-ini/.
 */
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
#include "tap.h"

#define ERR_SIZE 512

static const char *source_root;

static bool config_is_default(const struct sb_config *config)
{
	struct sb_config d;

	sb_config_init_defaults(&d);
	return config->backend == d.backend && config->renderer == d.renderer &&
	       config->outputs == NULL && config->n_outputs == 0 && !config->keyboard.layout &&
	       !config->keyboard.variant && !config->keyboard.options && !config->keyboard.model &&
	       !config->keyboard.rules && config->keyboard.repeat_rate == d.keyboard.repeat_rate &&
	       config->keyboard.repeat_delay == d.keyboard.repeat_delay &&
	       config->sync.implicit == d.sync.implicit && config->sync.acquire == d.sync.acquire &&
	       config->xwayland.enabled == d.xwayland.enabled && !config->shell.cursor_theme &&
	       config->shell.cursor_size == d.shell.cursor_size &&
	       config->shell.move_modifier == d.shell.move_modifier &&
	       memcmp(&config->keybindings, &d.keybindings, sizeof(d.keybindings)) == 0 &&
	       config->n_autostart == 0 && !config->autostart;
}

static bool contains(struct sb_test_ctx *t, const char *haystack, const char *needle)
{
	if (strstr(haystack, needle))
		return true;
	sb_diag("message \"%s\" lacks \"%s\"", haystack, needle);
	t->failed = true;
	return false;
}

static bool starts_with(struct sb_test_ctx *t, const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) == 0)
		return true;
	sb_diag("message \"%s\" does not start with \"%s\"", s, prefix);
	t->failed = true;
	return false;
}

/* text, parsed as "test.ini", must succeed. */
static bool parse_ok(struct sb_test_ctx *t, struct sb_config *config, const char *text)
{
	char err[ERR_SIZE];

	if (sb_config_parse_string(config, "test.ini", text, err, sizeof(err)) == 0)
		return true;
	sb_diag("unexpected error: %s", err);
	t->failed = true;
	return false;
}

/*
 * text, parsed as "test.ini", must fail with EINVAL at "test.ini:LINE: " and a message holding
 * each of the NULL-terminated substrings; the config must be left with the defaults.
 */
static void expect_error(struct sb_test_ctx *t, const char *text, int line, ...)
{
	struct sb_config config;
	char err[ERR_SIZE], prefix[64];
	const char *needle;
	va_list args;

	expect_errno(t, sb_config_parse_string(&config, "test.ini", text, err, sizeof(err)),
		     EINVAL);
	snprintf(prefix, sizeof(prefix), "test.ini:%d: ", line);
	starts_with(t, err, prefix);
	va_start(args, line);
	while ((needle = va_arg(args, const char *)))
		contains(t, err, needle);
	va_end(args);
	expect(t, config_is_default(&config));
	sb_config_finish(&config);
}

static bool read_ini(struct sb_test_ctx *t, struct sb_config *config, const char *file)
{
	char path[PATH_MAX], err[ERR_SIZE];

	sb_config_init_defaults(config);
	if (!source_root) {
		sb_skip(t, "no source root: pass it as argv[1] or SB_SOURCE_ROOT");
		return false;
	}
	snprintf(path, sizeof(path), "%s/weston-ini/%s", source_root, file);
	if (sb_config_parse_file(config, path, err, sizeof(err)) == 0)
		return true;
	sb_diag("%s", err);
	t->failed = true;
	return false;
}

static void defaults_are_auto_snapshot_and_cpu_acquire(struct sb_test_ctx *t)
{
	struct sb_config config;

	sb_config_init_defaults(&config);
	expect(t, config.backend == SB_BACKEND_AUTO);
	expect(t, config.renderer == SB_RENDERER_AUTO);
	expect(t, config.n_outputs == 0 && config.outputs == NULL);
	expect(t, config.keyboard.layout == NULL && config.keyboard.rules == NULL);
	expect(t, config.keyboard.repeat_rate == 40 && config.keyboard.repeat_delay == 400);
	expect(t, config.sync.implicit == SB_IMPLICIT_SNAPSHOT);
	expect(t, config.sync.acquire == SB_ACQUIRE_CPU);
	sb_config_finish(&config);
}

static void empty_file_gives_defaults(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config, ""))
		expect(t, config_is_default(&config));
	sb_config_finish(&config);
}

static void finish_twice_is_harmless_and_leaves_defaults(struct sb_test_ctx *t)
{
	struct sb_config config;

	parse_ok(t, &config, "[output]\nname=X\n[keyboard]\nkeymap_layout=us\n");
	sb_config_finish(&config);
	expect(t, config_is_default(&config));
	sb_config_finish(&config);
	expect(t, config_is_default(&config));
}

static void headless_ci_ini_is_headless_pixman_1280x720_snapshot(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!read_ini(t, &config, "headless-ci.ini"))
		goto out;
	expect(t, config.backend == SB_BACKEND_HEADLESS);
	expect(t, config.renderer == SB_RENDERER_PIXMAN);
	if (expect(t, config.n_outputs == 1)) {
		expect(t, config.outputs[0].name == NULL);
		expect(t, config.outputs[0].width == 1280 && config.outputs[0].height == 720);
		expect(t, config.outputs[0].enabled);
	}
	expect(t, config.sync.implicit == SB_IMPLICIT_SNAPSHOT);
out:
	sb_config_finish(&config);
}

static void nested_ini_is_auto_backend_in_a_1024x768_window(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!read_ini(t, &config, "nested.ini"))
		goto out;
	expect(t, config.backend == SB_BACKEND_AUTO);
	if (expect(t, config.n_outputs == 1)) {
		expect(t, config.outputs[0].name == NULL);
		expect(t, config.outputs[0].width == 1024 && config.outputs[0].height == 768);
	}
out:
	sb_config_finish(&config);
}

static void desktop_ini_is_drm_preferred_mode_auto_renderer(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!read_ini(t, &config, "desktop.ini"))
		goto out;
	expect(t, config.backend == SB_BACKEND_DRM);
	expect(t, config.renderer == SB_RENDERER_AUTO);
	if (expect(t, config.n_outputs == 1)) {
		expect(t, config.outputs[0].name == NULL);
		expect(t, config.outputs[0].width == 0 && config.outputs[0].height == 0);
		expect(t, config.outputs[0].refresh_mhz == 0 && config.outputs[0].enabled);
	}
out:
	sb_config_finish(&config);
}

static void conformance_ini_is_headless_pixman_1024x768_snapshot_cpu(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!read_ini(t, &config, "conformance.ini"))
		goto out;
	expect(t, config.backend == SB_BACKEND_HEADLESS);
	expect(t, config.renderer == SB_RENDERER_PIXMAN);
	if (expect(t, config.n_outputs == 1))
		expect(t, config.outputs[0].width == 1024 && config.outputs[0].height == 768);
	expect(t, config.sync.implicit == SB_IMPLICIT_SNAPSHOT);
	expect(t, config.sync.acquire == SB_ACQUIRE_CPU);
out:
	sb_config_finish(&config);
}

static void every_key_is_read(struct sb_test_ctx *t)
{
	struct sb_config config;
	const struct sb_output_config *o;

	if (!parse_ok(t, &config,
		      "[core]\nbackend=wayland\nrenderer=gles2\n"
		      "[output]\nname=DP-1\nmode=2560x1440@143.912\nscale=1.25\n"
		      "transform=flipped-90\n"
		      "[keyboard]\nkeymap_rules=evdev\nkeymap_model=pc105\nkeymap_layout=us,de\n"
		      "keymap_variant=,nodeadkeys\nkeymap_options=grp:alt_shift_toggle\n"
		      "repeat-rate=0\nrepeat-delay=250\n"
		      "[sync]\nimplicit=poll\nacquire=kms\n"))
		goto out;
	expect(t, config.backend == SB_BACKEND_WAYLAND);
	expect(t, config.renderer == SB_RENDERER_GLES2);
	if (expect(t, config.n_outputs == 1)) {
		o = &config.outputs[0];
		expect(t, o->name && strcmp(o->name, "DP-1") == 0);
		expect(t, o->width == 2560 && o->height == 1440 && o->refresh_mhz == 143912);
		expect(t, o->scale == 1.25);
		expect(t, o->transform == 5);
		expect(t, o->enabled);
	}
	expect(t, strcmp(config.keyboard.rules, "evdev") == 0);
	expect(t, strcmp(config.keyboard.model, "pc105") == 0);
	expect(t, strcmp(config.keyboard.layout, "us,de") == 0);
	expect(t, strcmp(config.keyboard.variant, ",nodeadkeys") == 0);
	expect(t, strcmp(config.keyboard.options, "grp:alt_shift_toggle") == 0);
	expect(t, config.keyboard.repeat_rate == 0 && config.keyboard.repeat_delay == 250);
	expect(t, config.sync.implicit == SB_IMPLICIT_POLL);
	expect(t, config.sync.acquire == SB_ACQUIRE_KMS);
out:
	sb_config_finish(&config);
}

static void comments_and_blank_lines_are_ignored(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config,
		     "# leading comment\n\n   \n\t\n[core]\n  # indented comment\n"
		     "#backend=drm\nbackend=x11\n\n# trailing comment"))
		expect(t, config.backend == SB_BACKEND_X11);
	sb_config_finish(&config);
}

static void blanks_around_keys_values_and_section_names_are_trimmed(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!parse_ok(t, &config,
		      "  [ keyboard ]  \n\t keymap_layout \t=\t us \t\n repeat-rate = 25\n"))
		goto out;
	expect(t, config.keyboard.layout && strcmp(config.keyboard.layout, "us") == 0);
	expect(t, config.keyboard.repeat_rate == 25);
out:
	sb_config_finish(&config);
}

static void value_keeps_equals_signs_and_hashes_after_the_first_equals(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config, "[keyboard]\nkeymap_options=a=b # not a comment\n"))
		expect(t, strcmp(config.keyboard.options, "a=b # not a comment") == 0);
	sb_config_finish(&config);
}

static void crlf_line_endings_are_accepted(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!parse_ok(t, &config,
		      "# comment\r\n\r\n[core]\r\nbackend=drm\r\n[output]\r\nname=eDP-1\r\n"
		      "mode=1920x1080@60\r\n"))
		goto out;
	expect(t, config.backend == SB_BACKEND_DRM);
	if (expect(t, config.n_outputs == 1)) {
		expect(t, strcmp(config.outputs[0].name, "eDP-1") == 0);
		expect(t, config.outputs[0].refresh_mhz == 60000);
	}
out:
	sb_config_finish(&config);
}

static void crlf_lines_are_counted_in_error_locations(struct sb_test_ctx *t)
{
	expect_error(t, "# one\r\n\r\n[core]\r\nbackend=bogus\r\n", 4, "backend", NULL);
}

static void utf8_byte_order_mark_is_skipped(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config, "\xef\xbb\xbf[core]\nbackend=headless\n"))
		expect(t, config.backend == SB_BACKEND_HEADLESS);
	sb_config_finish(&config);
}

static void several_output_sections_are_kept_in_file_order(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!parse_ok(t, &config,
		      "[output]\nname=HDMI-A-1\nmode=1920x1080\n"
		      "[core]\nbackend=drm\n"
		      "[output]\nname=DP-2\nmode=off\n"
		      "[output]\nscale=2\n"))
		goto out;
	if (!expect(t, config.n_outputs == 3))
		goto out;
	expect(t, strcmp(config.outputs[0].name, "HDMI-A-1") == 0);
	expect(t, config.outputs[0].width == 1920 && config.outputs[0].enabled);
	expect(t, strcmp(config.outputs[1].name, "DP-2") == 0);
	expect(t, !config.outputs[1].enabled);
	expect(t, config.outputs[2].name == NULL && config.outputs[2].scale == 2.0);
	expect(t, config.backend == SB_BACKEND_DRM);
out:
	sb_config_finish(&config);
}

static void same_key_in_two_output_sections_is_no_duplicate(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config, "[output]\nname=A\nscale=1\n[output]\nname=B\nscale=2\n"))
		expect(t, config.n_outputs == 2 && config.outputs[1].scale == 2.0);
	sb_config_finish(&config);
}

static void later_core_section_overrides_earlier_one(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!parse_ok(t, &config, "[core]\nbackend=drm\nrenderer=gles2\n[core]\nbackend=x11\n"))
		goto out;
	expect(t, config.backend == SB_BACKEND_X11);
	expect(t, config.renderer == SB_RENDERER_GLES2);
out:
	sb_config_finish(&config);
}

static void output_name_star_means_any_output(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config, "[output]\nname=*\nmode=800x600\n"))
		expect(t, config.n_outputs == 1 && config.outputs[0].name == NULL);
	sb_config_finish(&config);
}

static void find_output_prefers_its_name_over_any_output(struct sb_test_ctx *t)
{
	struct sb_config config;
	const struct sb_output_config *o;

	if (!parse_ok(t, &config, "[output]\nmode=800x600\n[output]\nname=DP-1\nscale=2\n"))
		goto out;
	o = sb_config_find_output(&config, "DP-1");
	expect(t, o == &config.outputs[1]);
	o = sb_config_find_output(&config, "HDMI-A-1");
	expect(t, o == &config.outputs[0]);
	expect(t, sb_config_find_output(&config, NULL) == &config.outputs[0]);
	sb_config_finish(&config);
	parse_ok(t, &config, "[output]\nname=DP-1\n");
	expect(t, sb_config_find_output(&config, "HDMI-A-1") == NULL);
out:
	sb_config_finish(&config);
}

static void mode_preferred_and_off(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!parse_ok(t, &config, "[output]\nname=A\nmode=preferred\n[output]\nname=B\nmode=off\n"))
		goto out;
	expect(t, config.outputs[0].enabled && config.outputs[0].width == 0);
	expect(t, !config.outputs[1].enabled);
out:
	sb_config_finish(&config);
}

static void refresh_in_hz_becomes_millihertz_rounded(struct sb_test_ctx *t)
{
	static const struct {
		const char *mode;
		int mhz;
	} cases[] = {
		{"640x480", 0},
		{"640x480@60", 60000},
		{"640x480@59.94", 59940},
		{"640x480@59.9401", 59940},
		{"640x480@59.9405", 59941},
		{"640x480@143.9995", 144000},
		{"640x480@0.001", 1},
		{"640x480@1000", 1000000},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_config config;
		char text[128];

		snprintf(text, sizeof(text), "[output]\nmode=%s\n", cases[i].mode);
		if (parse_ok(t, &config, text) && config.outputs[0].refresh_mhz != cases[i].mhz) {
			sb_diag("%s: %d mHz, expected %d", cases[i].mode,
				config.outputs[0].refresh_mhz, cases[i].mhz);
			t->failed = true;
		}
		sb_config_finish(&config);
	}
}

static void transform_names_are_wl_output_transform_values(struct sb_test_ctx *t)
{
	static const char *const names[] = {
		"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270",
	};

	for (int i = 0; i < 8; i++) {
		struct sb_config config;
		char text[128];

		snprintf(text, sizeof(text), "[output]\ntransform=%s\n", names[i]);
		if (parse_ok(t, &config, text))
			expect(t, config.outputs[0].transform == i);
		sb_config_finish(&config);
	}
}

static void scale_takes_decimals(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (parse_ok(t, &config, "[output]\nname=A\nscale=1.5\n[output]\nscale=0.75\n")) {
		expect(t, config.outputs[0].scale == 1.5);
		expect(t, config.outputs[1].scale == 0.75);
	}
	sb_config_finish(&config);
}

static void broken_config_line_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[core]\nbackend=drm\nthis is not a key\n", 3, "'this is not a key'",
		     "expected [SECTION], KEY=VALUE", NULL);
}

static void unterminated_section_header_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "# x\n[output\nname=A\n", 2, "unterminated section header",
		     "expected [NAME]", NULL);
}

static void text_after_section_header_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[core] backend=drm\n", 1, "after ']'", "expected [NAME] alone", NULL);
}

static void key_outside_any_section_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "\nbackend=drm\n[core]\n", 2, "outside any section",
		     "expected a [SECTION] line", NULL);
}

static void key_without_name_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[core]\n = drm\n", 2, "no key", "expected KEY=VALUE", NULL);
}

static void unknown_section_lists_known_sections(struct sb_test_ctx *t)
{
	expect_error(t, "[core]\n[desktop]\n", 2, "unknown section [desktop]",
		     "expected [core], [output], [keyboard], [sync], [xwayland], [shell], "
		     "[keybinding] or [autostart]",
		     NULL);
	expect_error(t, "[]\n", 1, "unknown section []", NULL);
}

static void unknown_key_lists_known_keys(struct sb_test_ctx *t)
{
	expect_error(t, "[output]\nname=A\nrotation=90\n", 3, "unknown key 'rotation' in [output]",
		     "expected name, mode, scale or transform", NULL);
	expect_error(t, "[keyboard]\nrepeat_rate=10\n", 2, "unknown key 'repeat_rate'",
		     "keymap_rules, keymap_model, keymap_layout, keymap_variant, keymap_options, "
		     "repeat-rate or repeat-delay",
		     NULL);
	/* The override-only keys are no file keys. */
	expect_error(t, "[output]\nsize=10x10\n", 2, "unknown key 'size'", NULL);
}

static void bad_values_name_the_allowed_values(struct sb_test_ctx *t)
{
	static const struct {
		const char *text, *expected;
	} cases[] = {
		{"[core]\nbackend=fbdev\n", "expected auto, headless, wayland, x11 or drm"},
		{"[core]\nrenderer=vulkan\n", "expected auto, pixman or gles2"},
		{"[core]\nbackend=DRM\n", "expected auto, headless"},
		{"[core]\nbackend=\n", "invalid backend ''"},
		{"[sync]\nimplicit=wait\n", "expected snapshot, poll or none"},
		{"[sync]\nacquire=gpu\n", "expected cpu or kms"},
		{"[output]\ntransform=45\n",
		 "expected normal, 90, 180, 270, flipped, flipped-90, flipped-180 or flipped-270"},
		{"[output]\nmode=1920*1080\n", "expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ"},
		{"[output]\nmode=1920x\n", "expected WIDTHxHEIGHT"},
		{"[output]\nmode=x1080\n", "expected WIDTHxHEIGHT"},
		{"[output]\nmode=1920x1080@\n", "expected WIDTHxHEIGHT"},
		{"[output]\nmode=1920x1080@60.\n", "expected WIDTHxHEIGHT"},
		{"[output]\nmode=1920x1080@-60\n", "expected WIDTHxHEIGHT"},
		{"[output]\nmode=1920.5x1080\n", "expected WIDTHxHEIGHT"},
		{"[output]\nmode=0x1080\n", "from 1 to 16384"},
		{"[output]\nmode=16385x1080\n", "from 1 to 16384"},
		{"[output]\nmode=1920x1080@0\n", "above 0 and at most 1000 Hz"},
		{"[output]\nmode=1920x1080@1000.001\n", "at most 1000 Hz"},
		{"[output]\nscale=0\n", "above 0 and at most 10"},
		{"[output]\nscale=10.5\n", "above 0 and at most 10"},
		{"[output]\nscale=-1\n", "expected a positive number"},
		{"[output]\nscale=1,5\n", "expected a positive number"},
		{"[output]\nscale=nan\n", "expected a positive number"},
		{"[output]\nname=\n", "expected a connector name"},
		{"[keyboard]\nrepeat-rate=-1\n", "expected an integer from 0 to 2147483647"},
		{"[keyboard]\nrepeat-delay=1.5\n", "expected an integer from 0 to 2147483647"},
		{"[keyboard]\nrepeat-delay=\n", "expected an integer"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(t, cases[i].text, 2, cases[i].expected, NULL);
}

static void duplicate_key_in_one_section_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[output]\nname=A\nscale=2\n\nscale=1\n", 5, "duplicate key 'scale'",
		     "first set on line 3", "expected each key once per section", NULL);
}

static void second_section_for_the_same_output_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[output]\nname=A\n[output]\nmode=off\nname=A\n", 5,
		     "second [output] section for 'A'", NULL);
	expect_error(t, "[output]\n[output]\nname=A\n[output]\nscale=2\n", 4,
		     "second [output] section for any output", NULL);
	expect_error(t, "[output]\nname=*\n[output]\n", 3, "second [output] section for any", NULL);
}

static void integer_overflow_is_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[keyboard]\nrepeat-rate=2147483648\n", 2, "too large",
		     "expected an integer from 0 to 2147483647", NULL);
	expect_error(t, "[keyboard]\nrepeat-delay=99999999999999999999999999\n", 2, "too large",
		     NULL);
	expect_error(t, "[output]\nmode=99999999999999999999999x1\n", 2, "out of range", NULL);
	expect_error(t, "[output]\nmode=1x1@99999999999999999999999.5\n", 2, "out of range", NULL);
	expect_error(t, "[output]\nscale=99999999999999999999999\n", 2, "out of range", NULL);
}

static void largest_integers_are_accepted(struct sb_test_ctx *t)
{
	struct sb_config config;

	if (!parse_ok(t, &config,
		      "[keyboard]\nrepeat-rate=2147483647\nrepeat-delay=0\n"
		      "[output]\nmode=16384x16384@1000\nscale=10\n"))
		goto out;
	expect(t, config.keyboard.repeat_rate == INT_MAX);
	expect(t, config.outputs[0].width == 16384 && config.outputs[0].refresh_mhz == 1000000);
	expect(t, config.outputs[0].scale == 10.0);
out:
	sb_config_finish(&config);
}

static void nul_byte_is_reported(struct sb_test_ctx *t)
{
	static const char text[] = "[core]\nback\0end=drm\n";
	struct sb_config config;
	char err[ERR_SIZE];

	expect_errno(t,
		     sb_config_parse_buffer(&config, "nul.ini", text, sizeof(text) - 1, err,
					    sizeof(err)),
		     EINVAL);
	starts_with(t, err, "nul.ini:2: ");
	contains(t, err, "NUL byte at column 5");
	contains(t, err, "expected text");
	expect(t, config_is_default(&config));
	sb_config_finish(&config);
}

static void control_characters_and_lone_carriage_returns_are_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[core]\nbackend=drm\x1b[0m\n", 2, "control character 0x1b", NULL);
	expect_error(t, "[core]\rbackend=drm\n", 1, "carriage return at column 7",
		     "expected lines ending in \\n or \\r\\n", NULL);
}

static void over_long_line_is_reported_with_the_limit(struct sb_test_ctx *t)
{
	size_t n = SB_CONFIG_LINE_MAX + 1;
	char *text = malloc(n + 32);
	char *line;
	struct sb_config config;

	if (!expect(t, text != NULL))
		return;
	strcpy(text, "[keyboard]\n");
	line = text + strlen(text);
	/* Exactly the limit, with \r\n: accepted. */
	memcpy(line, "keymap_options=", 15);
	memset(line + 15, 'a', SB_CONFIG_LINE_MAX - 15);
	strcpy(line + SB_CONFIG_LINE_MAX, "\r\n");
	if (parse_ok(t, &config, text))
		expect(t, strlen(config.keyboard.options) == SB_CONFIG_LINE_MAX - 15);
	sb_config_finish(&config);
	/* One byte more: refused, saying the limit. */
	memset(line + 15, 'a', SB_CONFIG_LINE_MAX + 1 - 15);
	strcpy(line + SB_CONFIG_LINE_MAX + 1, "\n");
	expect_error(t, text, 2, "line is 1025 bytes long", "expected at most 1024", NULL);
	free(text);
}

static void failure_after_many_settings_leaves_only_defaults(struct sb_test_ctx *t)
{
	/* Strings and outputs are allocated before the error: LSan checks they are freed. */
	expect_error(t,
		     "[core]\nbackend=drm\n[output]\nname=A\n[output]\nname=B\n"
		     "[keyboard]\nkeymap_layout=us\nkeymap_rules=evdev\nrepeat-rate=1\n"
		     "[sync]\nimplicit=poll\nacquire=kms\n[output]\nname=C\nmode=bad\n",
		     16, "invalid mode", NULL);
}

static void failure_overwrites_an_earlier_config_with_defaults(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	parse_ok(t, &config, "[core]\nbackend=drm\n");
	sb_config_finish(&config);
	expect(t,
	       sb_config_parse_string(&config, "x", "[core]\nbackend=x\n", err, sizeof(err)) == -1);
	expect(t, config_is_default(&config));
	sb_config_finish(&config);
}

static void short_error_buffers_are_truncated_and_terminated(struct sb_test_ctx *t)
{
	const char *text = "[core]\nbackend=bogus\n";
	struct sb_config config;
	char err[16];

	memset(err, 'x', sizeof(err));
	expect(t, sb_config_parse_string(&config, "test.ini", text, err, 12) == -1);
	expect(t, strcmp(err, "test.ini:2:") == 0);
	expect(t, err[12] == 'x');
	expect(t,
	       sb_config_parse_string(&config, "a-rather-long-file-name.ini", text, err, 5) == -1);
	expect(t, strcmp(err, "a-ra") == 0);
	expect(t, sb_config_parse_string(&config, "test.ini", text, err, 1) == -1);
	expect(t, err[0] == '\0');
	expect(t, sb_config_parse_string(&config, "test.ini", text, NULL, 0) == -1);
	expect(t, config_is_default(&config));
}

static void file_errors_name_the_file_and_line(struct sb_test_ctx *t)
{
	char path[] = "/tmp/sb-config-test-XXXXXX";
	const char *text = "[core]\nbackend=drm\n[output]\nmode=wide\n";
	struct sb_config config;
	char err[ERR_SIZE], prefix[64];
	int fd = mkstemp(path);

	if (!expect(t, fd >= 0))
		return;
	expect(t, write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	expect_errno(t, sb_config_parse_file(&config, path, err, sizeof(err)), EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:4: ", path);
	starts_with(t, err, prefix);
	contains(t, err, "invalid mode 'wide'");
	expect(t, config_is_default(&config));
	unlink(path);
}

static void missing_file_is_enoent_with_its_name(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	expect_errno(t,
		     sb_config_parse_file(&config, "/nonexistent/syncbridge.ini", err, sizeof(err)),
		     ENOENT);
	starts_with(t, err, "/nonexistent/syncbridge.ini: cannot open: ");
	expect(t, config_is_default(&config));
}

static void directory_is_refused(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	expect_errno(t, sb_config_parse_file(&config, "/", err, sizeof(err)), EISDIR);
	starts_with(t, err, "/: cannot read: ");
}

static void file_larger_than_the_limit_is_refused(struct sb_test_ctx *t)
{
	char path[] = "/tmp/sb-config-test-XXXXXX";
	struct sb_config config;
	char err[ERR_SIZE];
	int fd = mkstemp(path);

	if (!expect(t, fd >= 0))
		return;
	/* Blank lines only: the size alone is what is wrong. */
	for (size_t left = SB_CONFIG_FILE_MAX + 1; left > 0;) {
		char chunk[4096];
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		memset(chunk, '\n', n);
		if (!expect(t, write(fd, chunk, n) == (ssize_t)n))
			break;
		left -= n;
	}
	close(fd);
	expect_errno(t, sb_config_parse_file(&config, path, err, sizeof(err)), EINVAL);
	contains(t, err, "larger than 1048576 bytes");
	unlink(path);
}

static void override_sets_core_and_sync_keys(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	sb_config_init_defaults(&config);
	expect(t, sb_config_set(&config, "core", "backend", "headless", err, sizeof(err)) == 0);
	expect(t, sb_config_set(&config, "sync", "implicit", "none", err, sizeof(err)) == 0);
	expect(t, sb_config_set(&config, "keyboard", "keymap_layout", "fr", err, sizeof(err)) == 0);
	expect(t, sb_config_set(&config, "keyboard", "keymap_layout", "de", err, sizeof(err)) == 0);
	expect(t, config.backend == SB_BACKEND_HEADLESS);
	expect(t, config.sync.implicit == SB_IMPLICIT_NONE);
	expect(t, strcmp(config.keyboard.layout, "de") == 0);
	expect(t, config.n_outputs == 0);
	sb_config_finish(&config);
}

static void override_of_output_applies_to_every_output_section(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	if (!parse_ok(t, &config, "[output]\nname=A\nmode=800x600@75\n[output]\nname=B\n"))
		goto out;
	expect(t, sb_config_set(&config, "output", "size", "1280x720", err, sizeof(err)) == 0);
	expect(t, sb_config_set(&config, "output", "scale", "2", err, sizeof(err)) == 0);
	/* No section is added: headless and nested backends make one output per section. */
	if (!expect(t, config.n_outputs == 2))
		goto out;
	for (size_t i = 0; i < 2; i++) {
		expect(t, config.outputs[i].width == 1280 && config.outputs[i].height == 720);
		expect(t, config.outputs[i].scale == 2.0);
	}
	/* size keeps the refresh rate, refresh keeps the size. */
	expect(t, config.outputs[0].refresh_mhz == 75000);
	expect(t, sb_config_set(&config, "output", "refresh", "59.94", err, sizeof(err)) == 0);
	expect(t, config.outputs[0].width == 1280 && config.outputs[0].refresh_mhz == 59940);
	/* mode replaces both halves. */
	expect(t, sb_config_set(&config, "output", "mode", "640x480", err, sizeof(err)) == 0);
	expect(t, config.outputs[1].width == 640 && config.outputs[1].refresh_mhz == 0);
out:
	sb_config_finish(&config);
}

static void override_of_output_without_output_sections_adds_one_for_any(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	sb_config_init_defaults(&config);
	expect(t, sb_config_set(&config, "output", "size", "1280x720", err, sizeof(err)) == 0);
	expect(t, sb_config_set(&config, "output", "transform", "90", err, sizeof(err)) == 0);
	if (expect(t, config.n_outputs == 1)) {
		expect(t, config.outputs[0].name == NULL && config.outputs[0].enabled);
		expect(t, config.outputs[0].width == 1280 && config.outputs[0].transform == 1);
		expect(t, sb_config_find_output(&config, "HEADLESS-1") == &config.outputs[0]);
	}
	sb_config_finish(&config);
}

static void override_with_bad_value_changes_nothing(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	sb_config_init_defaults(&config);
	expect_errno(t, sb_config_set(&config, "output", "size", "big", err, sizeof(err)), EINVAL);
	contains(t, err, "invalid size 'big'; expected WIDTHxHEIGHT");
	expect_errno(t, sb_config_set(&config, "output", "refresh", "0", err, sizeof(err)), EINVAL);
	contains(t, err, "at most 1000 Hz");
	expect_errno(t, sb_config_set(&config, "core", "backend", "kms", err, sizeof(err)), EINVAL);
	/* A command-line message has no FILE:LINE: the caller names the option. */
	starts_with(t, err, "invalid backend 'kms'; expected auto, headless");
	expect(t, config_is_default(&config));
	sb_config_finish(&config);
}

static void override_of_unknown_or_file_only_key_is_reported(struct sb_test_ctx *t)
{
	struct sb_config config;
	char err[ERR_SIZE];

	sb_config_init_defaults(&config);
	expect_errno(t, sb_config_set(&config, "output", "name", "A", err, sizeof(err)), EINVAL);
	contains(t, err, "expected mode, scale, transform, size or refresh");
	expect_errno(t, sb_config_set(&config, "desktop", "x", "1", err, sizeof(err)), EINVAL);
	contains(t, err, "unknown section [desktop]");
	expect_errno(t, sb_config_set(&config, "autostart", "command", "foot", err, sizeof(err)),
		     EINVAL);
	contains(t, err, "unknown key 'command' in [autostart]");
	expect_errno(t, sb_config_set(&config, "core", NULL, "1", err, sizeof(err)), EINVAL);
	expect(t, config_is_default(&config));
	sb_config_finish(&config);
}

static void default_path_is_xdg_config_home_then_home(struct sb_test_ctx *t)
{
	char *saved_xdg = getenv("XDG_CONFIG_HOME"), *saved_home = getenv("HOME");
	char buf[64];

	saved_xdg = saved_xdg ? strdup(saved_xdg) : NULL;
	saved_home = saved_home ? strdup(saved_home) : NULL;
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	expect(t, sb_config_default_path(buf, sizeof(buf)) == buf);
	expect(t, strcmp(buf, "/xdg/syncbridge.ini") == 0);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	expect(t, sb_config_default_path(buf, sizeof(buf)) &&
			  strcmp(buf, "/home/u/.config/syncbridge.ini") == 0);
	unsetenv("XDG_CONFIG_HOME");
	expect(t, sb_config_default_path(buf, sizeof(buf)) &&
			  strcmp(buf, "/home/u/.config/syncbridge.ini") == 0);
	expect(t, sb_config_default_path(buf, 10) == NULL);
	unsetenv("HOME");
	expect(t, sb_config_default_path(buf, sizeof(buf)) == NULL);

	if (saved_xdg)
		setenv("XDG_CONFIG_HOME", saved_xdg, 1);
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_xdg);
	free(saved_home);
}

/* Under ASan, a read past the buffer aborts: the buffers here have no NUL after them. */
static void every_prefix_of_a_file_parses_or_fails_cleanly(struct sb_test_ctx *t)
{
	static const char text[] =
		"\xef\xbb\xbf# c\r\n[core]\r\nbackend=drm\n[output]\nname=A\n"
		"mode=1920x1080@59.94\nscale=1.5\ntransform=flipped-90\n"
		"[keyboard]\nkeymap_layout=us\nrepeat-rate=25\n[sync]\nacquire=kms";

	for (size_t len = 0; len <= sizeof(text) - 1; len++) {
		char *copy = malloc(len ? len : 1);
		struct sb_config config;
		char err[ERR_SIZE];
		int ret;

		if (!expect(t, copy != NULL))
			return;
		memcpy(copy, text, len);
		ret = sb_config_parse_buffer(&config, "prefix", copy, len, err, sizeof(err));
		if (ret < 0)
			expect(t, config_is_default(&config) && strncmp(err, "prefix:", 7) == 0);
		sb_config_finish(&config);
		free(copy);
	}
}

static void random_bytes_parse_or_fail_cleanly(struct sb_test_ctx *t)
{
	/* Bytes the syntax cares about, so that the inputs get past the first line now and then. */
	static const char alphabet[] =
		"[]=#\n\r\t x@.-*0123456789coreoutputnamemodescale\0\x7f\xff";
	uint32_t seed = 0x5eed;

	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(i % 97);
		char *buf = malloc(len ? len : 1);
		struct sb_config config;
		char err[64];

		if (!expect(t, buf != NULL))
			return;
		for (size_t j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		if (sb_config_parse_buffer(&config, "random", buf, len, err, sizeof(err)) < 0 &&
		    !config_is_default(&config))
			t->failed = true;
		sb_config_finish(&config);
		free(buf);
	}
}

static void window_management_sections_are_read(struct sb_test_ctx *t)
{
	struct sb_config config;
	const struct sb_keybinding *keys = config.keybindings.keys;

	if (!parse_ok(t, &config,
		      "[xwayland]\nenabled=true\n"
		      "[shell]\ncursor-theme=Adwaita\ncursor-size=48\nmove-modifier=alt\n"
		      "[keybinding]\nquit=Super+Shift+e\ncycle-focus=Super+Tab\nclose=none\n"
		      "maximize=ctrl+alt+m\nfullscreen=F11\n"
		      "[autostart]\ncommand=swaybg -c '#336699'\n"
		      "[autostart]\ncommand=foot\n"))
		goto out;
	expect(t, config.xwayland.enabled == SB_XWAYLAND_ON);
	expect(t, config.shell.cursor_theme && strcmp(config.shell.cursor_theme, "Adwaita") == 0);
	expect(t, config.shell.cursor_size == 48);
	expect(t, config.shell.move_modifier == SB_MOD_ALT);
	/* Letters are kept lower case: Shift is a modifier of the binding, not of its key. */
	expect(t, keys[SB_KEY_ACTION_QUIT].modifiers == (SB_MOD_LOGO | SB_MOD_SHIFT) &&
			  keys[SB_KEY_ACTION_QUIT].keysym == 'e');
	expect(t, keys[SB_KEY_ACTION_CYCLE_FOCUS].modifiers == SB_MOD_LOGO &&
			  keys[SB_KEY_ACTION_CYCLE_FOCUS].keysym == 0xff09 /* Tab */);
	expect(t, keys[SB_KEY_ACTION_CLOSE].keysym == 0);
	expect(t, keys[SB_KEY_ACTION_MAXIMIZE].modifiers == (SB_MOD_CTRL | SB_MOD_ALT) &&
			  keys[SB_KEY_ACTION_MAXIMIZE].keysym == 'm');
	expect(t, keys[SB_KEY_ACTION_FULLSCREEN].modifiers == 0 &&
			  keys[SB_KEY_ACTION_FULLSCREEN].keysym == 0xffc8 /* F11 */);
	if (expect(t, config.n_autostart == 2)) {
		expect(t, strcmp(config.autostart[0], "swaybg -c '#336699'") == 0);
		expect(t, strcmp(config.autostart[1], "foot") == 0);
	}
out:
	sb_config_finish(&config);
}

static void xwayland_auto_is_off_on_headless_only(struct sb_test_ctx *t)
{
	struct sb_config config;

	sb_config_init_defaults(&config);
	expect(t, config.xwayland.enabled == SB_XWAYLAND_AUTO);
	expect(t, !sb_config_xwayland_enabled(&config, SB_BACKEND_HEADLESS));
	expect(t, sb_config_xwayland_enabled(&config, SB_BACKEND_DRM));
	expect(t, sb_config_xwayland_enabled(&config, SB_BACKEND_WAYLAND));
	expect(t, sb_config_xwayland_enabled(&config, SB_BACKEND_X11));
	config.xwayland.enabled = SB_XWAYLAND_ON;
	expect(t, sb_config_xwayland_enabled(&config, SB_BACKEND_HEADLESS));
	config.xwayland.enabled = SB_XWAYLAND_OFF;
	expect(t, !sb_config_xwayland_enabled(&config, SB_BACKEND_DRM));
}

static void broken_keybinding_lines_are_reported(struct sb_test_ctx *t)
{
	expect_error(t, "[keybinding]\nquit=Hyper+q\n", 2, "[keybinding] quit",
		     "unknown modifier 'Hyper' in 'Hyper+q'", "expected Ctrl, Alt, Shift or Super",
		     NULL);
	expect_error(t, "[keybinding]\nclose=Alt+Nokey\n", 2, "unknown key 'Nokey' in 'Alt+Nokey'",
		     "expected an XKB keysym name", NULL);
	expect_error(t, "[keybinding]\n\nclose=Alt+\n", 3, "no key in 'Alt+'", NULL);
	expect_error(t, "[keybinding]\nclose=\n", 2, "[keybinding] close", NULL);
	expect_error(t, "[keybinding]\nlock=Super+l\n", 2, "unknown key 'lock' in [keybinding]",
		     "expected quit, cycle-focus, close, maximize or fullscreen", NULL);
	expect_error(t, "[shell]\nmove-modifier=meta\n", 2, "invalid move-modifier 'meta'",
		     "expected super, alt, ctrl, shift or none", NULL);
	expect_error(t, "[shell]\ncursor-size=0\n", 2, "invalid cursor-size '0'",
		     "expected 1 to 256 pixels", NULL);
	expect_error(t, "[xwayland]\nenabled=yes\n", 2, "invalid enabled 'yes'",
		     "expected auto, true or false", NULL);
	expect_error(t, "[autostart]\ncommand=\n", 2, "empty command", NULL);
}

static void ctrl_alt_function_keys_switch_vts_whatever_the_config(struct sb_test_ctx *t)
{
	struct sb_keybindings bindings;
	const uint32_t f2 = 0xffbf, vt3 = 0x1008fe03 /* XF86Switch_VT_3 */, f12 = 0xffc9;
	unsigned int vt = 0;

	sb_keybindings_init_defaults(&bindings);
	/* Even bound to something else, Ctrl+Alt+F2 is VT 2. */
	bindings.keys[SB_KEY_ACTION_CLOSE] = (struct sb_keybinding){SB_MOD_CTRL | SB_MOD_ALT, f2};
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT, &f2, 1, NULL, 0, &vt) ==
				  SB_KEY_ACTION_VT &&
			  vt == 2);
	/* xkeyboard-config's srvr_ctrl(fkey2vt) gives the keysym itself. */
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT, &vt3, 1, &f2, 1, &vt) ==
				  SB_KEY_ACTION_VT &&
			  vt == 3);
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT, &f12, 1, NULL, 0,
				       &vt) == SB_KEY_ACTION_VT &&
			  vt == 12);
	/* F2 alone, or with Ctrl only, goes to the client. */
	expect(t, sb_keybindings_match(&bindings, 0, &f2, 1, NULL, 0, &vt) == SB_KEY_ACTION_NONE);
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL, &f2, 1, NULL, 0, &vt) ==
			  SB_KEY_ACTION_NONE);
}

static void bindings_match_exact_modifiers_ignoring_locks(struct sb_test_ctx *t)
{
	struct sb_keybindings bindings;
	const uint32_t backspace = 0xff08, tab = 0xff09, left_tab = 0xfe20 /* ISO_Left_Tab */;
	const uint32_t caps_lock = 1 << 1, num_lock = 1 << 4;
	unsigned int vt = 0;

	sb_keybindings_init_defaults(&bindings);
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT, &backspace, 1, NULL, 0,
				       &vt) == SB_KEY_ACTION_QUIT);
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT | caps_lock | num_lock,
				       &backspace, 1, NULL, 0, &vt) == SB_KEY_ACTION_QUIT);
	/* One modifier more is another binding. */
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT | SB_MOD_SHIFT,
				       &backspace, 1, NULL, 0, &vt) == SB_KEY_ACTION_NONE);
	expect(t, sb_keybindings_match(&bindings, SB_MOD_ALT, &tab, 1, NULL, 0, &vt) ==
			  SB_KEY_ACTION_CYCLE_FOCUS);
	/* Shift+Tab's translated keysym is ISO_Left_Tab; its first level still says Tab. */
	bindings.keys[SB_KEY_ACTION_CYCLE_FOCUS].modifiers = SB_MOD_ALT | SB_MOD_SHIFT;
	expect(t, sb_keybindings_match(&bindings, SB_MOD_ALT | SB_MOD_SHIFT, &left_tab, 1, &tab, 1,
				       &vt) == SB_KEY_ACTION_CYCLE_FOCUS);
	bindings.keys[SB_KEY_ACTION_QUIT].keysym = 0;
	expect(t, sb_keybindings_match(&bindings, SB_MOD_CTRL | SB_MOD_ALT, &backspace, 1, NULL, 0,
				       &vt) == SB_KEY_ACTION_NONE);
}

int main(int argc, char **argv)
{
	static const struct sb_test tests[] = {
		SB_TEST(defaults_are_auto_snapshot_and_cpu_acquire),
		SB_TEST(empty_file_gives_defaults),
		SB_TEST(finish_twice_is_harmless_and_leaves_defaults),
		SB_TEST(headless_ci_ini_is_headless_pixman_1280x720_snapshot),
		SB_TEST(nested_ini_is_auto_backend_in_a_1024x768_window),
		SB_TEST(desktop_ini_is_drm_preferred_mode_auto_renderer),
		SB_TEST(conformance_ini_is_headless_pixman_1024x768_snapshot_cpu),
		SB_TEST(every_key_is_read),
		SB_TEST(comments_and_blank_lines_are_ignored),
		SB_TEST(blanks_around_keys_values_and_section_names_are_trimmed),
		SB_TEST(value_keeps_equals_signs_and_hashes_after_the_first_equals),
		SB_TEST(crlf_line_endings_are_accepted),
		SB_TEST(crlf_lines_are_counted_in_error_locations),
		SB_TEST(utf8_byte_order_mark_is_skipped),
		SB_TEST(several_output_sections_are_kept_in_file_order),
		SB_TEST(same_key_in_two_output_sections_is_no_duplicate),
		SB_TEST(later_core_section_overrides_earlier_one),
		SB_TEST(output_name_star_means_any_output),
		SB_TEST(find_output_prefers_its_name_over_any_output),
		SB_TEST(mode_preferred_and_off),
		SB_TEST(refresh_in_hz_becomes_millihertz_rounded),
		SB_TEST(transform_names_are_wl_output_transform_values),
		SB_TEST(scale_takes_decimals),
		SB_TEST(broken_config_line_is_reported),
		SB_TEST(unterminated_section_header_is_reported),
		SB_TEST(text_after_section_header_is_reported),
		SB_TEST(key_outside_any_section_is_reported),
		SB_TEST(key_without_name_is_reported),
		SB_TEST(unknown_section_lists_known_sections),
		SB_TEST(unknown_key_lists_known_keys),
		SB_TEST(bad_values_name_the_allowed_values),
		SB_TEST(duplicate_key_in_one_section_is_reported),
		SB_TEST(second_section_for_the_same_output_is_reported),
		SB_TEST(integer_overflow_is_reported),
		SB_TEST(largest_integers_are_accepted),
		SB_TEST(nul_byte_is_reported),
		SB_TEST(control_characters_and_lone_carriage_returns_are_reported),
		SB_TEST(over_long_line_is_reported_with_the_limit),
		SB_TEST(failure_after_many_settings_leaves_only_defaults),
		SB_TEST(failure_overwrites_an_earlier_config_with_defaults),
		SB_TEST(short_error_buffers_are_truncated_and_terminated),
		SB_TEST(file_errors_name_the_file_and_line),
		SB_TEST(missing_file_is_enoent_with_its_name),
		SB_TEST(directory_is_refused),
		SB_TEST(file_larger_than_the_limit_is_refused),
		SB_TEST(override_sets_core_and_sync_keys),
		SB_TEST(override_of_output_applies_to_every_output_section),
		SB_TEST(override_of_output_without_output_sections_adds_one_for_any),
		SB_TEST(override_with_bad_value_changes_nothing),
		SB_TEST(override_of_unknown_or_file_only_key_is_reported),
		SB_TEST(default_path_is_xdg_config_home_then_home),
		SB_TEST(every_prefix_of_a_file_parses_or_fails_cleanly),
		SB_TEST(random_bytes_parse_or_fail_cleanly),
		SB_TEST(window_management_sections_are_read),
		SB_TEST(xwayland_auto_is_off_on_headless_only),
		SB_TEST(broken_keybinding_lines_are_reported),
		SB_TEST(ctrl_alt_function_keys_switch_vts_whatever_the_config),
		SB_TEST(bindings_match_exact_modifiers_ignoring_locks),
	};

	source_root = argc > 1 ? argv[1] : getenv("SB_SOURCE_ROOT");
	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
