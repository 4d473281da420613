#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: golden.sh BINARY GOLDEN ARGS... : runs BINARY ARGS and diffs its output with GOLDEN.
bin=$1 golden=$2
shift 2
out=$("$bin" "$@") || { echo "exit status $?" >&2; exit 1; }
printf '%s\n' "$out" | diff -u "$golden" -
