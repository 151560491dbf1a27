// SPDX-License-Identifier: MIT
/*
 * sb-compare: a screenshot against its reference PNG, for CI. A pixel differs when one of its
 * channels differs by more than the channel tolerance; the pictures match when at most the
 * pixel tolerance of pixels differ. Prints one line (the verdict), writes a diff PNG (the picture
 * dimmed, the differing pixels in magenta, their bounding box outlined), and optionally TAP and
 * JUnit XML for CI systems. Exit status: 0 match, 1 mismatch (or no reference), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

static const char usage[] =
	"usage: sb-compare [options] ACTUAL.png REFERENCE.png\n"
	"  -c, --channel-tolerance N  a pixel differs if a channel differs by more than N\n"
	"                             (0-255, default 0)\n"
	"  -p, --pixel-tolerance N    pass if at most N pixels differ (default 0)\n"
	"  -d, --diff FILE            the diff PNG (default: ACTUAL with .diff.png)\n"
	"  -n, --name NAME            the test's name (default: REFERENCE's file name)\n"
	"      --tap FILE             write the verdict as TAP\n"
	"      --junit FILE           write the verdict as JUnit XML\n"
	"      --update               accept ACTUAL: copy it over REFERENCE and pass\n"
	"  -h, --help                 this text\n";

struct picture {
	png_image image;
	uint8_t *rgb; /* 3 bytes a pixel, rows packed */
};

static bool picture_read(struct picture *pic, const char *path, char *err, size_t size)
{
	memset(&pic->image, 0, sizeof(pic->image));
	pic->image.version = PNG_IMAGE_VERSION;
	pic->rgb = NULL;
	if (!png_image_begin_read_from_file(&pic->image, path)) {
		snprintf(err, size, "%s: %s", path, pic->image.message);
		return false;
	}
	/* Alpha, palettes and 16-bit channels all become 8-bit RGB. */
	pic->image.format = PNG_FORMAT_RGB;
	pic->rgb = malloc(PNG_IMAGE_SIZE(pic->image));
	if (!pic->rgb || !png_image_finish_read(&pic->image, NULL, pic->rgb, 0, NULL)) {
		snprintf(err, size, "%s: %s", path,
			 pic->rgb ? pic->image.message : "out of memory");
		png_image_free(&pic->image);
		free(pic->rgb);
		pic->rgb = NULL;
		return false;
	}
	return true;
}

struct result {
	long differ, total, max_delta;
	int x0, y0, x1, y1; /* bounding box of the differences */
};

static void compare(const struct picture *a, const struct picture *e, int channel_tolerance,
		    uint8_t *diff, struct result *r)
{
	int w = (int)a->image.width, h = (int)a->image.height;

	*r = (struct result){.total = (long)w * h, .x0 = w, .y0 = h, .x1 = -1, .y1 = -1};
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			const uint8_t *pa = a->rgb + ((size_t)y * w + x) * 3;
			const uint8_t *pe = e->rgb + ((size_t)y * w + x) * 3;
			uint8_t *pd = diff + ((size_t)y * w + x) * 3;
			int delta = 0, grey = (pa[0] + pa[1] + pa[2]) / 3;

			for (int c = 0; c < 3; c++) {
				int d = abs((int)pa[c] - (int)pe[c]);

				delta = d > delta ? d : delta;
			}
			r->max_delta = delta > r->max_delta ? delta : r->max_delta;
			if (delta <= channel_tolerance) {
				/* The picture, dimmed to grey: where things are, without competing. */
				pd[0] = pd[1] = pd[2] = (uint8_t)(40 + grey / 4);
				continue;
			}
			r->differ++;
			pd[0] = 255;
			pd[1] = 0;
			pd[2] = 255;
			r->x0 = x < r->x0 ? x : r->x0;
			r->y0 = y < r->y0 ? y : r->y0;
			r->x1 = x > r->x1 ? x : r->x1;
			r->y1 = y > r->y1 ? y : r->y1;
		}
	}
}

/* A yellow outline two pixels outside the differences' box, so that one pixel is found too. */
static void outline(uint8_t *diff, int w, int h, const struct result *r)
{
	int x0 = r->x0 - 2, y0 = r->y0 - 2, x1 = r->x1 + 2, y1 = r->y1 + 2;

	for (int y = y0; y <= y1; y++) {
		for (int x = x0; x <= x1; x++) {
			uint8_t *p;

			if (x < 0 || y < 0 || x >= w || y >= h ||
			    (x != x0 && x != x1 && y != y0 && y != y1))
				continue;
			p = diff + ((size_t)y * w + x) * 3;
			p[0] = 255;
			p[1] = 220;
			p[2] = 0;
		}
	}
}

static bool write_png(const char *path, const uint8_t *rgb, int w, int h)
{
	png_image image = {.version = PNG_IMAGE_VERSION,
			   .width = (png_uint_32)w,
			   .height = (png_uint_32)h,
			   .format = PNG_FORMAT_RGB};

	if (!png_image_write_to_file(&image, path, 0, rgb, 0, NULL)) {
		fprintf(stderr, "sb-compare: cannot write %s: %s\n", path, image.message);
		return false;
	}
	return true;
}

static bool copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rbe"), *out = in ? fopen(to, "wbe") : NULL;
	size_t n;
	bool ok = in && out;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "sb-compare: cannot copy %s to %s: %s\n", from, to,
			strerror(errno));
	return ok;
}

static void xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static bool write_reports(const char *tap, const char *junit, const char *name, bool pass,
			  const char *verdict)
{
	FILE *f;

	if (tap) {
		f = fopen(tap, "we");
		if (!f)
			goto err_tap;
		fprintf(f, "1..1\n%s 1 - %s\n", pass ? "ok" : "not ok", name);
		fprintf(f, "# %s\n", verdict);
		if (fclose(f) != 0)
			goto err_tap;
	}
	if (junit) {
		f = fopen(junit, "we");
		if (!f)
			goto err_junit;
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		      "  <testsuite name=\"sb-compare\" tests=\"1\" ",
		      f);
		fprintf(f,
			"failures=\"%d\" errors=\"0\" skipped=\"0\">\n    <testcase "
			"classname=\"screenshots\" name=\"",
			pass ? 0 : 1);
		xml_escaped(f, name);
		fputs("\">\n", f);
		if (!pass) {
			fputs("      <failure message=\"", f);
			xml_escaped(f, verdict);
			fputs("\"/>\n", f);
		}
		fputs("      <system-out>", f);
		xml_escaped(f, verdict);
		fputs("</system-out>\n    </testcase>\n  </testsuite>\n</testsuites>\n", f);
		if (fclose(f) != 0)
			goto err_junit;
	}
	return true;
err_tap:
	fprintf(stderr, "sb-compare: cannot write %s: %s\n", tap, strerror(errno));
	return false;
err_junit:
	fprintf(stderr, "sb-compare: cannot write %s: %s\n", junit, strerror(errno));
	return false;
}

static bool parse_long(const char *text, long max, long *value)
{
	char *end;

	errno = 0;
	*value = strtol(text, &end, 10);
	return *text && *end == '\0' && !errno && *value >= 0 && *value <= max;
}

enum { OPT_TAP = 256, OPT_JUNIT, OPT_UPDATE };

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"channel-tolerance", required_argument, NULL, 'c'},
		{"pixel-tolerance", required_argument, NULL, 'p'},
		{"diff", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},
		{"tap", required_argument, NULL, OPT_TAP},
		{"junit", required_argument, NULL, OPT_JUNIT},
		{"update", no_argument, NULL, OPT_UPDATE},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *diff_path = NULL, *name = NULL, *tap = NULL, *junit = NULL;
	const char *actual_path, *reference_path;
	long channel_tolerance = 0, pixel_tolerance = 0;
	struct picture actual, reference;
	char verdict[1024], err[512], *diff_buf = NULL;
	bool update = false, pass = false, have_diff = false;
	struct result r = {0};
	uint8_t *diff = NULL;
	int opt, w, h;

	while ((opt = getopt_long(argc, argv, "c:p:d:n:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_long(optarg, 255, &channel_tolerance)) {
				fprintf(stderr, "sb-compare: --channel-tolerance %s: 0 to 255\n",
					optarg);
				return 2;
			}
			break;
		case 'p':
			if (!parse_long(optarg, 1L << 40, &pixel_tolerance)) {
				fprintf(stderr, "sb-compare: --pixel-tolerance %s: a count >= 0\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			diff_path = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case OPT_TAP:
			tap = optarg;
			break;
		case OPT_JUNIT:
			junit = optarg;
			break;
		case OPT_UPDATE:
			update = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return 2;
	}
	actual_path = argv[optind];
	reference_path = argv[optind + 1];
	if (!name) {
		const char *slash = strrchr(reference_path, '/');

		name = slash ? slash + 1 : reference_path;
	}
	if (!diff_path) {
		size_t len = strlen(actual_path);

		diff_buf = malloc(len + 16);
		if (!diff_buf)
			return 2;
		if (len > 4 && strcmp(actual_path + len - 4, ".png") == 0)
			len -= 4;
		snprintf(diff_buf, len + 16, "%.*s.diff.png", (int)len, actual_path);
		diff_path = diff_buf;
	}
	if (!picture_read(&actual, actual_path, err, sizeof(err))) {
		snprintf(verdict, sizeof(verdict), "FAIL %s: cannot read the picture: %s", name,
			 err);
		goto report;
	}
	if (update) {
		pass = copy_file(actual_path, reference_path);
		snprintf(verdict, sizeof(verdict), "%s %s: %s accepted as the reference %s",
			 pass ? "PASS" : "FAIL", name, actual_path, reference_path);
		goto free_actual;
	}
	if (!picture_read(&reference, reference_path, err, sizeof(err))) {
		snprintf(verdict, sizeof(verdict),
			 "FAIL %s: no usable reference (%s); if %s is right, accept it: "
			 "sb-compare --update %s %s",
			 name, err, actual_path, actual_path, reference_path);
		goto free_actual;
	}
	w = (int)actual.image.width;
	h = (int)actual.image.height;
	if (actual.image.width != reference.image.width ||
	    actual.image.height != reference.image.height) {
		snprintf(verdict, sizeof(verdict),
			 "FAIL %s: the picture is %dx%d, the reference %ux%u", name, w, h,
			 reference.image.width, reference.image.height);
		goto free_both;
	}
	diff = malloc((size_t)w * h * 3);
	if (!diff) {
		snprintf(verdict, sizeof(verdict), "FAIL %s: out of memory", name);
		goto free_both;
	}
	compare(&actual, &reference, (int)channel_tolerance, diff, &r);
	pass = r.differ <= pixel_tolerance;
	if (r.differ > 0) {
		outline(diff, w, h, &r);
		have_diff = write_png(diff_path, diff, w, h);
	}
	if (r.differ == 0)
		snprintf(verdict, sizeof(verdict), "PASS %s: %dx%d, no pixel differs", name, w, h);
	else
		snprintf(verdict, sizeof(verdict),
			 "%s %s: %ld of %ld pixels differ (%ld allowed), by up to %ld (tolerance "
			 "%ld), in %dx%d+%d+%d; diff: %s",
			 pass ? "PASS" : "FAIL", name, r.differ, r.total, pixel_tolerance,
			 r.max_delta, channel_tolerance, r.x1 - r.x0 + 1, r.y1 - r.y0 + 1, r.x0,
			 r.y0, have_diff ? diff_path : "(not written)");
	free(diff);
free_both:
	png_image_free(&reference.image);
	free(reference.rgb);
free_actual:
	png_image_free(&actual.image);
	free(actual.rgb);
report:
	puts(verdict);
	if (!write_reports(tap, junit, name, pass, verdict)) {
		free(diff_buf);
		return 2;
	}
	free(diff_buf);
	return pass ? 0 : 1;
}
