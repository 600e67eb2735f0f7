#!/usr/bin/env bash
# The shell logic of the lockbisect GitHub Action (action.yml): runs
# `bisect run` on two lock files, writes the outputs verdict, exit-code and
# culprit to $GITHUB_OUTPUT, and exits with bisect's exit code.
#
# Inputs come from the environment (action.yml sets them):
#   INPUT_LOCK_OLD, INPUT_LOCK_NEW  the lock files (PATH or REV:PATH), required
#   INPUT_CONFIG                    bisect.yaml, optional
#   INPUT_FLAGS                     extra flags, split on whitespace, optional
#   RUNNER_TEMP, GITHUB_OUTPUT      set by the runner
# bisect itself appends the markdown report to $GITHUB_STEP_SUMMARY when that
# is set, so this script adds to the summary only when no report was written.
# The JSON report is read with awk alone (no jq or python3 on every runner):
# reports.JSON indents by two spaces, so the top-level fields sit at a fixed
# depth.
set -u
set -f # INPUT_FLAGS is split on whitespace, never globbed

tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
md="$tmp/bisect-report.md"
js="$tmp/bisect-report.json"
rm -f "$md" "$js"

args=(run --lock-old "${INPUT_LOCK_OLD:-}" --lock-new "${INPUT_LOCK_NEW:-}")
if [ -n "${INPUT_CONFIG:-}" ]; then
	args+=(--config "$INPUT_CONFIG")
fi
args+=(--report-md "$md" --report-json "$js")
# shellcheck disable=SC2206 # splitting the extra flags is the point
args+=(${INPUT_FLAGS:-})

code=0
bisect "${args[@]}" || code=$?

verdict=error
culprit=
if [ -s "$js" ]; then
	v=$(awk -F'"' '/^  "verdict": "/ { print $4; exit }' "$js")
	[ -n "$v" ] && verdict=$v
	culprit=$(awk '
		/^  "culprits": \[$/ { c = 1; next }
		c && /^  \]/ { exit }
		c && /^      "packages": \[/ { p = 1; next }
		p && /^      \]/ { exit }
		p { s = $0; sub(/^ *"/, "", s); sub(/",?$/, "", s); out = out (n++ ? ", " : "") s }
		END { print out }' "$js")
fi

oneline() { printf '%s' "$1" | tr -d '\r\n'; }
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	{
		echo "verdict=$(oneline "$verdict")"
		echo "exit-code=$code"
		echo "culprit=$(oneline "$culprit")"
	} >>"$GITHUB_OUTPUT"
fi
if [ ! -s "$md" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	echo "**bisect** ended with exit code $code before writing a report; see the step's log." >>"$GITHUB_STEP_SUMMARY"
fi
exit "$code"
