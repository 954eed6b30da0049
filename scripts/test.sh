#!/usr/bin/env bash
# Runs the whole test suite with a JDK >= 21 (the machine's default java may be older).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$root/scripts/find-jdk.sh"
grpo4j_find_jdk || exit 1
export JAVA_HOME="$GRPO4J_JAVA_HOME"
cd "$root"
exec mvn -B -ntp spotless:check test "$@"
