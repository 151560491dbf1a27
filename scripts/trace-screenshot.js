// SPDX-License-Identifier: MIT
// A PNG of a syncbridge --trace file in Chromium's own trace viewer: the Performance panel of
// the DevTools front end that Debian's chromium carries (served by the browser itself on its
// remote-debugging port, devtools/trace_app.html), driven headless through playwright-core.
// Run by scripts/trace-screenshot.sh, which installs playwright-core outside the repository.
//
//   node trace-screenshot.js TRACE.json OUT.png [FROM TO]
// FROM, TO: the window shown, as fractions of the trace's span (default 0.3 0.45).
//
// Why not chrome://tracing: Chromium 156 as Debian builds it has no legacy trace viewer (the
// page fails with net::ERR_FAILED even with internal debugging pages enabled and
// --allow-chrome-scheme-url), chrome://traces opens traces in ui.perfetto.dev (network), and
// Perfetto's UI is in neither Debian nor npm. The Performance panel draws only duration events on
// thread tracks, so the trace is shown as it would draw it: each async wait ("b"/"e", matched by
// id) as one complete event ("X") on its track, each instant as a complete event of duration 0.
// The file itself is not changed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [tracePath, outPath] = process.argv.slice(2, 4);
const from = Number(process.argv[4] || 0.3), to = Number(process.argv[5] || 0.45);
if (!tracePath || !outPath || !(from >= 0 && to <= 1 && from < to)) {
	console.error('usage: trace-screenshot.js TRACE.json OUT.png [FROM TO]');
	process.exit(2);
}

// The trace as the Performance panel can draw it.
function drawable(trace) {
	const begins = new Map(), out = [];
	for (const e of trace.traceEvents) {
		const key = `${e.pid}/${e.tid}/${e.name}/${e.id}`;
		if (e.ph === 'b') {
			begins.set(key, e);
		} else if (e.ph === 'e') {
			const b = begins.get(key);
			if (!b)
				continue;
			begins.delete(key);
			const { id, ...x } = b;
			out.push({ ...x, ph: 'X', dur: e.ts - b.ts, args: { ...b.args, ...e.args } });
		} else if (e.ph === 'i' || e.ph === 'I') {
			const { s, ...x } = e;
			out.push({ ...x, ph: 'X', dur: 0 });
		} else {
			out.push(e);
		}
	}
	return { ...trace, traceEvents: out };
}

// Thread tracks per process, in the order the panel lists processes (by pid).
function threadsPerProcess(file) {
	const tids = new Map();
	for (const e of JSON.parse(fs.readFileSync(file)).traceEvents) {
		if (e.ph === 'M')
			continue;
		if (!tids.has(e.pid))
			tids.set(e.pid, new Set());
		tids.get(e.pid).add(e.tid);
	}
	const pids = [...tids.keys()].sort((a, b) => a - b);
	return { x: 262, counts: pids.map((p) => tids.get(p).size) };
}

(async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-trace-screenshot-'));
	const shown = path.join(dir, path.basename(tracePath));
	fs.writeFileSync(shown, JSON.stringify(drawable(JSON.parse(fs.readFileSync(tracePath)))));
	const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		viewport: { width: 1600, height: 900 },
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--remote-debugging-port=0'],
	});
	try {
		const port = fs.readFileSync(path.join(dir, 'profile', 'DevToolsActivePort'), 'utf8')
			.split('\n')[0];
		const page = context.pages()[0] || await context.newPage();
		await page.goto(`http://127.0.0.1:${port}/devtools/trace_app.html`);
		await page.waitForTimeout(4000);
		// Without a page to debug the front end says so in a dialog: closed.
		const closeAll = async () => {
			for (const b of await page.getByRole('button', { name: 'Close' }).all())
				await b.click({ timeout: 1000 }).catch(() => {});
		};
		await closeAll();
		await page.getByText('Performance', { exact: true }).first().click();
		await page.waitForTimeout(1500);
		const [chooser] = await Promise.all([
			page.waitForEvent('filechooser', { timeout: 15000 }),
			page.locator('[aria-label^="Load"]').first().click(),
		]);
		await chooser.setFiles(shown);
		await page.waitForTimeout(6000);
		await closeAll();
		// The process groups and their thread tracks start collapsed, drawn on a canvas: a
		// header is a row of 21 px, the first track 17 px below its group's header. Expanded
		// from the bottom up, the rows above stay where they are.
		const rowPx = 21, firstPx = 17, topY = 128.5;
		const groups = threadsPerProcess(shown);
		const click = async (y) => {
			await page.mouse.click(groups.x, y);
			await page.waitForTimeout(300);
		};
		for (let g = groups.counts.length - 1; g >= 0; g--) {
			const header = topY + g * rowPx;
			await click(header);
			for (let t = groups.counts[g] - 1; t >= 0; t--)
				await click(header + firstPx + t * rowPx);
		}
		// The annotations sidebar: hidden, the tracks get the width (after the clicks above,
		// which are placed for the layout with it).
		await page.locator('[aria-label="Hide sidebar"]').first().click({ timeout: 3000 })
			.catch(() => {});
		await page.waitForTimeout(500);
		// The window: dragged on the overview above the tracks.
		const left = 2, right = 1592, overviewY = 78;
		await page.mouse.move(left + (right - left) * from, overviewY);
		await page.mouse.down();
		await page.mouse.move(left + (right - left) * to, overviewY, { steps: 10 });
		await page.mouse.up();
		await page.waitForTimeout(1500);
		await page.screenshot({ path: outPath });
		console.log(`trace-screenshot: ${outPath}`);
	} finally {
		await context.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
})().catch((e) => {
	console.error(`trace-screenshot: ${e.message}`);
	process.exit(1);
});
