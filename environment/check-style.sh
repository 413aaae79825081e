#!/usr/bin/env bash
# The house style of .editorconfig, as `make test` checks it (after setup has restored the tools and built):
# - layout: CSharpier at max_line_length (fix: `dotnet csharpier format .`);
# - naming and code style: `dotnet format style` (fix: `dotnet format style QuakePrune.sln`); the build reports the
#   naming rules too (EnforceCodeStyleInBuild), so most never get this far.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet csharpier check . >/dev/null \
  || { dotnet csharpier check . 2>&1 | head -20; echo "style: layout differs from CSharpier's; run 'dotnet csharpier format .'" >&2; exit 1; }
dotnet format style --verify-no-changes --no-restore QuakePrune.sln \
  || { echo "style: run 'dotnet format style QuakePrune.sln' and look at what it changed" >&2; exit 1; }
echo "style: layout (CSharpier) and naming (dotnet format style) as .editorconfig says"
