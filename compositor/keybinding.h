/* SPDX-License-Identifier: MIT */
#ifndef SB_KEYBINDING_H
#define SB_KEYBINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Key bindings: "Ctrl+Alt+BackSpace" read from [keybinding] and matched against key presses.
 * Plain C and libxkbcommon (for keysym names), so the config reader and its tests use it alone.
 */

/* Modifier bits, the same as wlroots' enum wlr_keyboard_modifier. */
enum sb_modifier {
	SB_MOD_SHIFT = 1 << 0,
	SB_MOD_CTRL = 1 << 2,
	SB_MOD_ALT = 1 << 3,
	SB_MOD_LOGO = 1 << 6,
};
/* The modifiers a binding compares: Caps Lock, Num Lock and the others never stop one. */
#define SB_MOD_MASK (SB_MOD_SHIFT | SB_MOD_CTRL | SB_MOD_ALT | SB_MOD_LOGO)

struct sb_keybinding {
	uint32_t modifiers; /* enum sb_modifier bits */
	uint32_t keysym;    /* xkb_keysym_t, lower case for letters; 0: unbound ("none") */
};

enum sb_key_action {
	SB_KEY_ACTION_NONE,
	SB_KEY_ACTION_VT, /* Ctrl+Alt+F1..F12, always */
	SB_KEY_ACTION_QUIT,
	SB_KEY_ACTION_CYCLE_FOCUS,
	SB_KEY_ACTION_CLOSE,
	SB_KEY_ACTION_MAXIMIZE,
	SB_KEY_ACTION_FULLSCREEN,
	SB_KEY_ACTION_COUNT,
};

/* The configurable bindings, indexed by enum sb_key_action (VT and NONE unused). */
struct sb_keybindings {
	struct sb_keybinding keys[SB_KEY_ACTION_COUNT];
};

/* [keybinding] key names, indexed by action ("quit", "cycle-focus", ...); NULL for VT/NONE. */
const char *sb_key_action_name(enum sb_key_action action);
/* Ctrl+Alt+BackSpace quits, Alt+Tab cycles focus, Alt+F4 closes, Super+Up/f (un)maximize/fullscreen. */
void sb_keybindings_init_defaults(struct sb_keybindings *bindings);

/*
 * Parses "Mod+Mod+Key" (modifiers Ctrl, Alt, Shift, Super/Logo, any case; Key an XKB keysym name
 * such as F4, Tab, q, BackSpace) or "none". 0 on success; -1 with a message in err ("what was
 * wrong; expected what") and *binding unchanged.
 */
int sb_keybinding_parse(const char *text, struct sb_keybinding *binding, char *err,
			size_t err_size);
/* The modifier of "Ctrl", "alt", "super", ... (one name), or 0 if it is none of them. */
uint32_t sb_modifier_from_name(const char *name);

/*
 * The action for a key press: syms are the keysyms the key produced (translated by the keymap's
 * state), raw_syms those of its first level. *vt is the VT for SB_KEY_ACTION_VT.
 */
enum sb_key_action sb_keybindings_match(const struct sb_keybindings *bindings, uint32_t modifiers,
					const uint32_t *syms, size_t n_syms,
					const uint32_t *raw_syms, size_t n_raw, unsigned int *vt);

#endif
