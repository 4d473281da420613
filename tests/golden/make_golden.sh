#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates every golden output listed in cases.txt (review the diff before committing):
#   tests/golden/make_golden.sh build/release/tcpscope
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../fixtures" && pwd)
while read -r name args; do
  [[ -z $name || $name == \#* ]] && continue
  args=${args//@NL@/$fixtures/nl}
  args=${args//@PROC@/$fixtures/proc}
  # shellcheck disable=SC2086 # the arguments are words; globs are quoted by set -f
  (set -f; TCPSCOPE_HISTORY=/dev/null "$bin" $args >"$here/$name.golden")
done <"$here/cases.txt"
