/* SPDX-License-Identifier: MIT */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keybinding.h"

/*
 * The compositor's settings, read from a file in weston.ini syntax (weston's
 * shared/config-parser.c): "[section]" lines, "key=value" lines with the blanks around key and
 * value trimmed, "#" comment lines and blank lines; lines end with \n or \r\n. A section name may
 * appear several times: each [output] configures one output, and in the other sections a later
 * instance overrides the keys it sets. Unlike weston, anything unknown is an error, so a typo
 * never goes unnoticed. weston-ini/README.md lists the keys.
 *
 * Plain C11 and libc, no wlroots or Wayland, so the parser is tested and fuzzed alone. Errors are
 * written into the caller's buffer as "FILE:LINE: what was wrong; expected what", never printed.
 */

/* Bytes in one line, not counting its \n or \r\n. */
#define SB_CONFIG_LINE_MAX 1024
/* Bytes in a file read by sb_config_parse_file(). */
#define SB_CONFIG_FILE_MAX (1024 * 1024)
/* Largest width or height of a mode, in pixels. */
#define SB_CONFIG_MODE_SIZE_MAX 16384
/* Largest refresh rate of a mode, in Hz. */
#define SB_CONFIG_REFRESH_MAX_HZ 1000
/* Largest output scale. */
#define SB_CONFIG_SCALE_MAX 10

enum sb_backend_kind {
	SB_BACKEND_AUTO,
	SB_BACKEND_HEADLESS,
	SB_BACKEND_WAYLAND,
	SB_BACKEND_X11,
	SB_BACKEND_DRM,
};

enum sb_renderer_kind {
	SB_RENDERER_AUTO,
	SB_RENDERER_PIXMAN,
	SB_RENDERER_GLES2,
};

/* How the acquire fences of a plain (implicitly synchronised) dma-buf are waited for. */
enum sb_implicit_mode {
	SB_IMPLICIT_SNAPSHOT, /* DMA_BUF_IOCTL_EXPORT_SYNC_FILE(READ) at commit */
	SB_IMPLICIT_POLL,     /* poll() on the dma-buf fd: the fallback before Linux 6.0 */
	SB_IMPLICIT_NONE,     /* not at all */
};

/* [xwayland] enabled: auto is on for the drm, wayland and x11 backends, off for headless. */
enum sb_xwayland_mode {
	SB_XWAYLAND_AUTO,
	SB_XWAYLAND_ON,
	SB_XWAYLAND_OFF,
};

/* Largest [shell] cursor-size, in pixels. */
#define SB_CONFIG_CURSOR_SIZE_MAX 256
/* The most [autostart] sections. */
#define SB_CONFIG_AUTOSTART_MAX 32

enum sb_acquire_mode {
	SB_ACQUIRE_CPU,
	SB_ACQUIRE_KMS,
};

struct sb_output_config {
	char *name;	   /* NULL: any output ("name=*" or no name= in the section) */
	int width, height; /* 0: the preferred mode */
	int refresh_mhz;   /* 0: the preferred refresh rate for the size */
	double scale;
	int transform; /* enum wl_output_transform: 0..7 */
	bool enabled;  /* false for mode=off */
};

struct sb_config {
	enum sb_backend_kind backend;
	enum sb_renderer_kind renderer;
	/* One per [output] section, in file order. */
	struct sb_output_config *outputs;
	size_t n_outputs;
	struct {
		/* NULL: libxkbcommon's default (XKB_DEFAULT_* variables, then its build's). */
		char *layout, *variant, *options, *model, *rules;
		int repeat_rate;  /* keys per second, 0: no repeat */
		int repeat_delay; /* milliseconds */
	} keyboard;
	struct {
		enum sb_implicit_mode implicit;
		enum sb_acquire_mode acquire;
	} sync;
	struct {
		enum sb_xwayland_mode enabled;
	} xwayland;
	struct {
		char *cursor_theme;	/* NULL: $XCURSOR_THEME, else the default theme */
		int cursor_size;	/* pixels */
		uint32_t move_modifier; /* enum sb_modifier held for drag-to-move; 0: none */
	} shell;
	struct sb_keybindings keybindings; /* [keybinding] */
	/* One per [autostart] section, in file order: sh -c COMMAND once the compositor runs. */
	char **autostart;
	size_t n_autostart;
};

/* Whether Xwayland runs with backend (the one chosen at start, never auto). */
bool sb_config_xwayland_enabled(const struct sb_config *config, enum sb_backend_kind backend);

/* Owns nothing: a config left as it is needs no sb_config_finish(). */
void sb_config_init_defaults(struct sb_config *config);
/* Frees what config owns and leaves it holding the defaults; calling it twice is harmless. */
void sb_config_finish(struct sb_config *config);

/*
 * Fills config (whatever it held is overwritten, not freed) with the defaults and then the file's
 * settings. 0 on success. -1 on failure, with config holding the defaults only, a message in err
 * (truncated to err_size; err may be NULL if err_size is 0) and errno set: EINVAL for a
 * malformed file, ENOMEM, or the error of open/read (ENOENT: the caller may go on with the
 * defaults if the file was optional). Either way, release config with sb_config_finish().
 */
int sb_config_parse_file(struct sb_config *config, const char *path, char *err, size_t err_size);
/* The same from memory; name stands for the file name in messages (NULL: "<string>"). */
int sb_config_parse_string(struct sb_config *config, const char *name, const char *text, char *err,
			   size_t err_size);
/* The same from size bytes that may hold NUL bytes (reported as errors): for fuzzing. */
int sb_config_parse_buffer(struct sb_config *config, const char *name, const char *data,
			   size_t size, char *err, size_t err_size);

/*
 * Sets one key as a file's line would, for command-line overrides: ("core", "backend",
 * "headless"). Keys of [output] apply to every [output] section, or without one to a new section
 * for any output (never adding a section to others: headless and nested backends make one output
 * per section). There "name" is refused and two more keys exist: "size" (WIDTHxHEIGHT) and
 * "refresh" (Hz) each replace their half of the mode, where "mode" replaces both.
 * 0 on success; -1 with config unchanged, errno (EINVAL, ENOMEM) and the message in err.
 */
int sb_config_set(struct sb_config *config, const char *section, const char *key, const char *value,
		  char *err, size_t err_size);

/*
 * The settings for the output named name: its own [output] section, else the one for any output,
 * else NULL (leave the output as the backend made it).
 */
const struct sb_output_config *sb_config_find_output(const struct sb_config *config,
						     const char *name);

/*
 * $XDG_CONFIG_HOME/syncbridge.ini, else $HOME/.config/syncbridge.ini (XDG Base Directory: an
 * unset, empty or relative $XDG_CONFIG_HOME is ignored), written into buf. NULL if neither
 * variable is an absolute path or buf is too small.
 */
const char *sb_config_default_path(char *buf, size_t size);

#endif
