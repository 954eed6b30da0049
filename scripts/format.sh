#!/usr/bin/env bash
# Formats the whole tree (google-java-format via Spotless, one import order). CI runs spotless:check.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$root/scripts/find-jdk.sh"
grpo4j_find_jdk || exit 1
export JAVA_HOME="$GRPO4J_JAVA_HOME"
cd "$root"
exec mvn -B -ntp -q spotless:apply "$@"
