#!/usr/bin/env bash
# Example 4, one command from the repository root: examples/java-embed/run.sh
# grpo4j as a library: installs the modules into the local Maven repository, then runs a program
# that depends only on io.grpo4j:grpo4j-train + grpo4j-natives-cpu and trains 3 GRPO steps.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/find-jdk.sh
grpo4j_find_jdk || exit 1
export JAVA_HOME="$GRPO4J_JAVA_HOME" PATH="$GRPO4J_JAVA_HOME/bin:$PATH"   # exec:exec runs `java`
root=$(pwd)
mvn -q -B -ntp install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
rm -rf runs/examples/embed
cd examples/java-embed
if mvn -B -ntp dependency:tree | grep -iE 'io\.javalin|info\.picocli|org\.jfree'; then
  echo "unexpected: Javalin, picocli or JFreeChart on the class path" >&2
  exit 1
fi
mvn -q -B -ntp compile exec:exec -Drepo="$root" -Dout="$root/runs/examples/embed"
