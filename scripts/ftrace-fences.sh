#!/bin/sh
# In a guest (or any machine with tracefs and root): record the kernel's dma_fence events on
# CLOCK_MONOTONIC, the clock of syncbridge --trace, for scripts/trace-merge.py.
#   ftrace-fences.sh start          mount tracefs if needed, clear, enable events/dma_fence/*
#   ftrace-fences.sh stop FILE      disable them and save the text trace to FILE
set -eu
t=/sys/kernel/tracing
if [ ! -e "$t/trace" ]; then
	mount -t tracefs tracefs "$t" 2>/dev/null || { echo "ftrace-fences: no tracefs at $t" >&2; exit 1; }
fi
if [ ! -d "$t/events/dma_fence" ]; then
	echo "ftrace-fences: the kernel has no dma_fence events (CONFIG_EVENT_TRACING)" >&2
	exit 1
fi
case "${1:-}" in
start)
	echo 0 >"$t/tracing_on"
	echo mono >"$t/trace_clock"
	echo 8192 >"$t/buffer_size_kb"
	: >"$t/trace"
	echo 1 >"$t/events/dma_fence/enable"
	echo 1 >"$t/tracing_on"
	;;
stop)
	[ -n "${2:-}" ] || { echo "usage: $0 stop FILE" >&2; exit 2; }
	echo 0 >"$t/tracing_on"
	echo 0 >"$t/events/dma_fence/enable"
	cat "$t/trace" >"$2"
	;;
*)
	echo "usage: $0 start | stop FILE" >&2
	exit 2
	;;
esac
