#!/usr/bin/env bash
# Sourced by ./grpo4j and scripts/test.sh: sets GRPO4J_JAVA_HOME to a JDK >= 21.
# Order: $JAVA_HOME, then `java` on PATH, then the newest JDK under /usr/lib/jvm.
# Exits with a clear message when none is found.

grpo4j_java_major() {  # prints the major version of the java binary $1, or 0
  local v
  v=$("$1" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
  case "$v" in
    1.*) echo "${v#1.}" | cut -d. -f1 ;;
    "") echo 0 ;;
    *) echo "$v" | cut -d. -f1 | cut -d- -f1 | cut -d+ -f1 ;;
  esac
}

grpo4j_find_jdk() {
  local min=21 cand home best="" best_major=0 m
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    if [ "$(grpo4j_java_major "$JAVA_HOME/bin/java")" -ge $min ]; then
      GRPO4J_JAVA_HOME="$JAVA_HOME"; return 0
    fi
  fi
  if cand=$(command -v java 2>/dev/null); then
    home=$(dirname "$(dirname "$(readlink -f "$cand")")")
    if [ -x "$home/bin/javac" ] && [ "$(grpo4j_java_major "$home/bin/java")" -ge $min ]; then
      GRPO4J_JAVA_HOME="$home"; return 0
    fi
  fi
  for home in /usr/lib/jvm/*; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    m=$(grpo4j_java_major "$home/bin/java")
    if [ "$m" -ge $min ] && [ "$m" -gt "$best_major" ]; then best="$home"; best_major=$m; fi
  done
  if [ -n "$best" ]; then GRPO4J_JAVA_HOME="$best"; return 0; fi
  echo "grpo4j: needs a JDK >= $min (with javac). Looked at \$JAVA_HOME (${JAVA_HOME:-unset}), 'java' on PATH" \
       "($(command -v java 2>/dev/null || echo none)) and /usr/lib/jvm/*. Install one (e.g. 'apt-get install openjdk-21-jdk-headless')" \
       "or point JAVA_HOME at it." >&2
  return 1
}
