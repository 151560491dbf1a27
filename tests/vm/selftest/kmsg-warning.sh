#!/bin/sh
# Writes a fake "WARNING:" line into the kernel log through /dev/kmsg, to show that a splat in the
# kernel log fails the run even when every test passed (not in default.list):
#   tests/vm/run tests/vm/selftest/kmsg-warning.sh
echo "1..1"
echo "WARNING: CPU: 0 PID: $$ at kmsg-warning.sh (fake, written from userspace)" >/dev/kmsg
echo "ok 1 - wrote a fake WARNING to /dev/kmsg"
