// SPDX-License-Identifier: MIT
/*
 * Key bindings. Ctrl+Alt+F1..F12 switch VTs whatever the config says: a user on a real VT must
 * always be able to leave it. xkeyboard-config maps Ctrl+Alt+Fn to XF86Switch_VT_n
 * (srvr_ctrl(fkey2vt)); a keymap without that (a virtual keyboard's) still has Fn with Ctrl+Alt.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <xkbcommon/xkbcommon.h>

#include "keybinding.h"

#define BINDING_TEXT_MAX 128

static const char *const action_names[SB_KEY_ACTION_COUNT] = {
	[SB_KEY_ACTION_QUIT] = "quit",
	[SB_KEY_ACTION_CYCLE_FOCUS] = "cycle-focus",
	[SB_KEY_ACTION_CLOSE] = "close",
	[SB_KEY_ACTION_MAXIMIZE] = "maximize",
	[SB_KEY_ACTION_FULLSCREEN] = "fullscreen",
};

const char *sb_key_action_name(enum sb_key_action action)
{
	return action < SB_KEY_ACTION_COUNT ? action_names[action] : NULL;
}

void sb_keybindings_init_defaults(struct sb_keybindings *bindings)
{
	*bindings = (struct sb_keybindings){0};
	bindings->keys[SB_KEY_ACTION_QUIT] =
		(struct sb_keybinding){SB_MOD_CTRL | SB_MOD_ALT, XKB_KEY_BackSpace};
	bindings->keys[SB_KEY_ACTION_CYCLE_FOCUS] = (struct sb_keybinding){SB_MOD_ALT, XKB_KEY_Tab};
	bindings->keys[SB_KEY_ACTION_CLOSE] = (struct sb_keybinding){SB_MOD_ALT, XKB_KEY_F4};
	bindings->keys[SB_KEY_ACTION_MAXIMIZE] = (struct sb_keybinding){SB_MOD_LOGO, XKB_KEY_Up};
	bindings->keys[SB_KEY_ACTION_FULLSCREEN] = (struct sb_keybinding){SB_MOD_LOGO, XKB_KEY_f};
}

uint32_t sb_modifier_from_name(const char *name)
{
	static const struct {
		const char *name;
		uint32_t mod;
	} names[] = {
		{"ctrl", SB_MOD_CTRL},	 {"control", SB_MOD_CTRL}, {"alt", SB_MOD_ALT},
		{"shift", SB_MOD_SHIFT}, {"super", SB_MOD_LOGO},   {"logo", SB_MOD_LOGO},
		{"mod4", SB_MOD_LOGO},	 {"mod1", SB_MOD_ALT},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(names[i].name, name) == 0)
			return names[i].mod;
	return 0;
}

int sb_keybinding_parse(const char *text, struct sb_keybinding *binding, char *err, size_t err_size)
{
	char buf[BINDING_TEXT_MAX], *part, *next;
	uint32_t modifiers = 0;
	xkb_keysym_t sym;

	if (strcmp(text, "none") == 0) {
		*binding = (struct sb_keybinding){0};
		return 0;
	}
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, err_size, "key binding is %zu bytes long; expected at most %zu",
			 strlen(text), sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	part = buf;
	/* Every part but the last is a modifier. */
	while ((next = strchr(part, '+'))) {
		uint32_t mod;

		*next = '\0';
		mod = sb_modifier_from_name(part);
		if (!mod) {
			snprintf(
				err, err_size,
				"unknown modifier '%.32s' in '%.64s'; expected Ctrl, Alt, Shift or "
				"Super before the key, joined by '+'",
				part, text);
			return -1;
		}
		modifiers |= mod;
		part = next + 1;
	}
	if (*part == '\0') {
		snprintf(err, err_size, "no key in '%.64s'; expected MODIFIER+...+KEY or none",
			 text);
		return -1;
	}
	sym = xkb_keysym_from_name(part, XKB_KEYSYM_NO_FLAGS);
	if (sym == XKB_KEY_NoSymbol)
		sym = xkb_keysym_from_name(part, XKB_KEYSYM_CASE_INSENSITIVE);
	if (sym == XKB_KEY_NoSymbol) {
		snprintf(err, err_size,
			 "unknown key '%.32s' in '%.64s'; expected an XKB keysym name such as F4, "
			 "Tab, q or BackSpace",
			 part, text);
		return -1;
	}
	*binding = (struct sb_keybinding){modifiers, xkb_keysym_to_lower(sym)};
	return 0;
}

static enum sb_key_action match_sym(const struct sb_keybindings *bindings, uint32_t modifiers,
				    uint32_t sym, unsigned int *vt)
{
	if (sym >= XKB_KEY_XF86Switch_VT_1 && sym <= XKB_KEY_XF86Switch_VT_12) {
		*vt = sym - XKB_KEY_XF86Switch_VT_1 + 1;
		return SB_KEY_ACTION_VT;
	}
	if ((modifiers & (SB_MOD_CTRL | SB_MOD_ALT)) == (SB_MOD_CTRL | SB_MOD_ALT) &&
	    sym >= XKB_KEY_F1 && sym <= XKB_KEY_F12) {
		*vt = sym - XKB_KEY_F1 + 1;
		return SB_KEY_ACTION_VT;
	}
	sym = xkb_keysym_to_lower(sym);
	for (int action = SB_KEY_ACTION_QUIT; action < SB_KEY_ACTION_COUNT; action++) {
		const struct sb_keybinding *key = &bindings->keys[action];

		if (key->keysym && key->keysym == sym &&
		    key->modifiers == (modifiers & SB_MOD_MASK))
			return (enum sb_key_action)action;
	}
	return SB_KEY_ACTION_NONE;
}

enum sb_key_action sb_keybindings_match(const struct sb_keybindings *bindings, uint32_t modifiers,
					const uint32_t *syms, size_t n_syms,
					const uint32_t *raw_syms, size_t n_raw, unsigned int *vt)
{
	enum sb_key_action action;

	for (size_t i = 0; i < n_syms; i++)
		if ((action = match_sym(bindings, modifiers, syms[i], vt)) != SB_KEY_ACTION_NONE)
			return action;
	/* Shift+Tab gives ISO_Left_Tab: the first level's Tab still matches Shift+Tab. */
	for (size_t i = 0; i < n_raw; i++)
		if ((action = match_sym(bindings, modifiers, raw_syms[i], vt)) !=
		    SB_KEY_ACTION_NONE)
			return action;
	return SB_KEY_ACTION_NONE;
}
