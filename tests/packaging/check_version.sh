#!/bin/sh
# SPDX-License-Identifier: MIT
# One version everywhere: the project() version of CMakeLists.txt (passed in), the newest entry
# of debian/changelog (the packages' version), and what both programs print for --version.
# Usage: check_version.sh VERSION CHANGELOG TCPSCOPE TCPSCOPE_AGENT
version=$1
changelog=$2
failed=0
passed=0
check() { # WHAT GOT WANT
  if [ "$2" = "$3" ]; then
    passed=$((passed + 1))
  else
    echo "FAIL: $1: \"$2\", want \"$3\""
    failed=$((failed + 1))
  fi
}
# "tcpscope (0.1.0) unstable; urgency=medium": the package is native, so no "-N" revision.
check "debian/changelog's version" "$(sed -n '1s/^tcpscope (\([^)]*\)).*/\1/p' "$changelog")" \
  "$version"
check "tcpscope --version" "$("$3" --version)" "tcpscope $version"
check "tcpscope-agent --version" "$("$4" --version)" "tcpscope-agent $version"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
