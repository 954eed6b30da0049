#!/usr/bin/env bash
# Example 3, one command from the repository root: examples/java-task/run.sh
# Builds the plug-in jar (a TaskProvider in its own Maven module), then SFT and GRPO on its
# `addition` task, found by name through --plugin.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/find-jdk.sh        # the plug-in compiles for Java 21: use the JDK the launcher uses
grpo4j_find_jdk || exit 1
export JAVA_HOME="$GRPO4J_JAVA_HOME"
./grpo4j --version >/dev/null   # builds the launcher's jar
# the plug-in depends on io.grpo4j:grpo4j-train by coordinates: install the modules locally
mvn -q -B -ntp install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
(cd examples/java-task && mvn -q -B -ntp package)
jar=examples/java-task/target/addition-task.jar
cfg=examples/java-task/addition.yaml
rm -rf runs/examples/addition-sft runs/examples/addition
./grpo4j sft --plugin "$jar" --config "$cfg" --out runs/examples/addition-sft
./grpo4j train --plugin "$jar" --config "$cfg" --out runs/examples/addition \
  --init runs/examples/addition-sft/checkpoints/step-200
