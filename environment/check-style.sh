#!/usr/bin/env bash
# The house style of .editorconfig, as `make test` checks it (after setup has restored the tools and built):
# - layout: CSharpier at max_line_length (fix: `dotnet csharpier format .`);
# - naming and code style: `dotnet format style` (fix: `dotnet format style QuakePrune.sln`); the build reports the
#   naming rules too (EnforceCodeStyleInBuild), so most never get this far;
# - comments within max_line_length too, which no formatter wraps (string literals may run past it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet csharpier check . >/dev/null \
  || { dotnet csharpier check . 2>&1 | head -20; echo "style: layout differs from CSharpier's; run 'dotnet csharpier format .'" >&2; exit 1; }
dotnet format style --verify-no-changes --no-restore QuakePrune.sln \
  || { echo "style: run 'dotnet format style QuakePrune.sln' and look at what it changed" >&2; exit 1; }
long=$(git ls-files '*.cs' | xargs awk 'length($0) > 120 && $0 ~ /^[ \t]*\/\// { print FILENAME ":" FNR }')
[ -z "$long" ] || { echo "$long" | head -20; echo "style: comment lines past 120 columns; wrap them" >&2; exit 1; }
echo "style: layout (CSharpier), naming (dotnet format style) and comments within 120 columns, as .editorconfig says"
