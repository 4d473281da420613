#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bash completion of tcpscope and tcpscope-agent, as the programs print it: each case types
# a command line and checks what the completion function offers for its last word (bash's own
# COMP_WORDS/COMP_CWORD protocol, no terminal). zsh's scripts are checked for syntax when zsh is
# there (scripts/check-package types into both shells in tmux).
# Usage: check_completion.sh TCPSCOPE TCPSCOPE_AGENT
set -uo pipefail
tcpscope=$1
agent=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tcpscope" completion bash >"$tmp/tcpscope" || exit 1
"$agent" --completion bash >"$tmp/tcpscope-agent" || exit 1
# shellcheck disable=SC1091
source "$tmp/tcpscope"
# shellcheck disable=SC1091
source "$tmp/tcpscope-agent"

passed=0
failed=0
# complete LINE: COMPREPLY for the last word of LINE (a trailing space starts a new word).
complete_line() {
  local line=${1//=/ = } fn # bash splits words at '=' too (COMP_WORDBREAKS)
  read -ra COMP_WORDS <<<"$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  fn=$(complete -p "${COMP_WORDS[0]}" | sed 's/.*-F \([^ ]*\) .*/\1/')
  "$fn"
  printf '%s\n' "${COMPREPLY[@]}"
}
# expect LINE WORD...: the completion offers exactly these words, in this order.
expect() {
  local line=$1 got want
  shift
  got=$(complete_line "$line" | tr '\n' ' ')
  want="$* "
  [[ $# -eq 0 ]] && want=" "
  [[ $got == " " ]] && got=" "
  if [[ $got == "$want" ]]; then
    passed=$((passed + 1))
  else
    echo "FAIL: '$line<TAB>': got [$got], want [$want]"
    failed=$((failed + 1))
  fi
}
# offers LINE WORD...: the completion offers at least these words.
offers() {
  local line=$1 got w
  shift
  got=" $(complete_line "$line" | tr '\n' ' ')"
  for w in "$@"; do
    if [[ $got != *" $w "* ]]; then
      echo "FAIL: '$line<TAB>' does not offer $w (got [$got])"
      failed=$((failed + 1))
      return
    fi
  done
  passed=$((passed + 1))
}

expect "tcpscope so" sockets
expect "tcpscope su" summary
expect "tcpscope -N" -N
offers "tcpscope " sockets summary counters sysctl doctor top agent
offers "tcpscope --" --netns --version --help
expect "tcpscope sockets --for" --format
expect "tcpscope sockets --format " table json csv
expect "tcpscope sockets --format=j" json
offers "tcpscope sockets -" -t --tcp -l --listening --netns -F --filter
expect "tcpscope sockets -ta state syn-r" syn-recv syn-rcv
expect "tcpscope sockets exclude time-" time-wait
offers "tcpscope sockets -tn " dport sport src dst state exclude and or not autobound
expect "tcpscope summary state list" listening listen
offers "tcpscope top --sort rx d" dport dst dev
expect "tcpscope counters TcpExtListenO" TcpExtListenOverflows
expect "tcpscope counters --explain TcpExtSyncookiesS" TcpExtSyncookiesSent
offers "tcpscope counters -" -a -z --interval --explain
expect "tcpscope sysctl net.core.soma" net.core.somaxconn
expect "tcpscope doctor --threshold accept-queue-f" accept-queue-fill=
expect "tcpscope doctor --color " auto always never
offers "tcpscope doctor --" --json --window --threshold --list-thresholds --netns
expect "tcpscope doctor --window " # a duration: nothing to guess
expect "tcpscope --netns x doctor --since" --since-boot
expect "tcpscope agent --statsd-t" --statsd-tags
expect "tcpscope agent --log-level " debug info warn error
expect "tcpscope-agent --once --prom" --prometheus
offers "tcpscope-agent --netns " all host
expect "tcpscope-agent --threshold close-wait-count-c" close-wait-count-critical=
expect "tcpscope-agent --counters TcpExtTW" TcpExtTW TcpExtTWKilled TcpExtTWRecycled

if command -v zsh >/dev/null; then
  for p in tcpscope tcpscope-agent; do
    if { [[ $p == tcpscope ]] && "$tcpscope" completion zsh || "$agent" --completion zsh; } \
      >"$tmp/_$p" && zsh -n "$tmp/_$p"; then
      passed=$((passed + 1))
    else
      echo "FAIL: zsh completion of $p"
      failed=$((failed + 1))
    fi
  done
fi
echo "$passed passed, $failed failed"
((failed == 0))
