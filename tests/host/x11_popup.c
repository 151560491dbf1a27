// SPDX-License-Identifier: MIT
/*
 * An X11 override-redirect window (what menus and tooltips are) at the position and size given,
 * filled with one colour by the X server (its background pixel). It stays until killed.
 *   x11_popup X Y WIDTH HEIGHT RRGGBB
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <xcb/xcb.h>

int main(int argc, char **argv)
{
	xcb_connection_t *conn;
	xcb_screen_t *screen;
	xcb_window_t window;
	uint32_t values[2];
	xcb_generic_event_t *event;

	if (argc != 6) {
		fprintf(stderr, "usage: %s X Y WIDTH HEIGHT RRGGBB\n", argv[0]);
		return 2;
	}
	conn = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(conn)) {
		fprintf(stderr, "x11_popup: cannot connect to the X server ($DISPLAY)\n");
		return 1;
	}
	screen = xcb_setup_roots_iterator(xcb_get_setup(conn)).data;
	window = xcb_generate_id(conn);
	/* TrueColor 24: the pixel value is the colour. */
	values[0] = (uint32_t)strtoul(argv[5], NULL, 16);
	values[1] = 1; /* override_redirect */
	xcb_create_window(conn, XCB_COPY_FROM_PARENT, window, screen->root, (int16_t)atoi(argv[1]),
			  (int16_t)atoi(argv[2]), (uint16_t)atoi(argv[3]), (uint16_t)atoi(argv[4]),
			  0, XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual,
			  XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, values);
	xcb_map_window(conn, window);
	xcb_flush(conn);
	printf("x11_popup: window 0x%x mapped\n", window);
	fflush(stdout);
	while ((event = xcb_wait_for_event(conn)))
		free(event);
	xcb_disconnect(conn);
	return 0;
}
