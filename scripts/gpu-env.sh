#!/usr/bin/env bash
# Sourced by ./grpo4j: which build (CPU or GPU) to run, and where the CUDA 13 libraries of the GPU
# build are. Pure functions of the environment and the file system, so tests can run them against a
# fake tree (grpo4j-cli/src/test/java/io/grpo4j/cli/GpuEnvScriptTest.java).
#
# Knobs (environment):
#   GRPO4J_GPU=1            run the GPU build (same as a leading --gpu argument); nothing else selects it
#   GRPO4J_CUDA_LIB_PATH    ':'-separated folders searched first for the CUDA libraries (an override)
#   CUDA_HOME, CUDA_PATH    a CUDA toolkit: their lib64/ and lib/ are searched
#   VIRTUAL_ENV, CONDA_PREFIX  Python environments whose site-packages/nvidia/*/lib are searched
#   GRPO4J_PYTHON           python used to ask `import nvidia` where the pip wheels are (default
#                           python3; "none" skips it)
#   GRPO4J_LDCONFIG         command that prints the loader cache like `ldconfig -p` (default: ldconfig
#                           -p, /sbin/ldconfig -p); "none" skips it
#   GRPO4J_SYSROOT          prefix of the fixed system paths (/usr/local/cuda, /usr/lib/...): tests only

# The CUDA libraries: one "SONAME KIND NEEDED-BY" a line (the file io.grpo4j.torch.CudaLibraries reads).
grpo4j_cuda_list_file() { echo "$GRPO4J_ROOT/grpo4j-core/src/main/resources/io/grpo4j/torch/cuda-libraries.txt"; }

# grpo4j_select_flavour ARGS...: sets GRPO4J_FLAVOUR (cpu|gpu), GRPO4J_BUILD_DIR (target or target-gpu
# under $GRPO4J_ROOT), GRPO4J_MVN_PROFILE ("" or -Pgpu) and GRPO4J_ARGS (ARGS without a leading --gpu).
# Only GRPO4J_GPU=1 or a leading --gpu select the GPU build: never the machine, never what was built last.
grpo4j_select_flavour() {
  GRPO4J_FLAVOUR=cpu
  case "${GRPO4J_GPU:-}" in
    1|true|yes) GRPO4J_FLAVOUR=gpu ;;
    ""|0|false|no) ;;
    *) echo "grpo4j: GRPO4J_GPU must be 1 or 0, got '$GRPO4J_GPU'" >&2; return 2 ;;
  esac
  if [ "${1:-}" = --gpu ]; then GRPO4J_FLAVOUR=gpu; shift; fi
  GRPO4J_ARGS=("$@")
  if [ "$GRPO4J_FLAVOUR" = gpu ]; then
    GRPO4J_BUILD_DIR="$GRPO4J_ROOT/target-gpu"; GRPO4J_MVN_PROFILE=-Pgpu
  else
    GRPO4J_BUILD_DIR="$GRPO4J_ROOT/target"; GRPO4J_MVN_PROFILE=""
  fi
}

# grpo4j_build_flavour DIR: prints what DIR/lib holds: gpu (libtorch -gpu natives), cpu, or none.
grpo4j_build_flavour() {
  if ls "$1"/lib/pytorch-*-linux-x86_64-gpu.jar >/dev/null 2>&1; then echo gpu
  elif ls "$1"/lib/pytorch-*-linux-x86_64.jar >/dev/null 2>&1; then echo cpu
  else echo none; fi
}

# grpo4j_has_libtorch DIR: true when DIR holds a libtorch of its own (a Python torch/lib, another
# JavaCPP cache, a libtorch download). Such a folder is never put on the library path: its libc10.so
# or libtorch_cpu.so could stand in for ours.
grpo4j_has_libtorch() {
  local f
  for f in libtorch_cpu.so libc10.so libtorch.so libtorch_cuda.so; do [ -e "$1/$f" ] && return 0; done
  return 1
}

# grpo4j_cuda_dirs: candidate folders, best first, one a line (they may not exist).
grpo4j_cuda_dirs() {
  local d py s IFS_=$IFS r=${GRPO4J_SYSROOT:-}
  IFS=:; for d in ${GRPO4J_CUDA_LIB_PATH:-}; do [ -n "$d" ] && echo "$d"; done; IFS=$IFS_
  for d in "${CUDA_HOME:-}" "${CUDA_PATH:-}"; do [ -n "$d" ] && printf '%s\n' "$d/lib64" "$d/lib" "$d/targets/x86_64-linux/lib"; done
  printf '%s\n' "$r/usr/local/cuda/lib64" "$r/usr/local/cuda/targets/x86_64-linux/lib"
  for d in "$r"/usr/local/cuda-13*/lib64; do [ -d "$d" ] && echo "$d"; done
  # pip's nvidia-* wheels: site-packages/nvidia/<pkg>/lib (CUDA 13 wheels put most in nvidia/cu13/lib)
  for s in "${VIRTUAL_ENV:-}" "${CONDA_PREFIX:-}"; do
    [ -n "$s" ] || continue
    for d in "$s"/lib/python3*/site-packages/nvidia/*/lib; do [ -d "$d" ] && echo "$d"; done
  done
  py=${GRPO4J_PYTHON:-python3}
  if [ "$py" != none ] && command -v "$py" >/dev/null 2>&1; then
    for s in $("$py" -c 'import nvidia; print("\n".join(nvidia.__path__))' 2>/dev/null); do
      for d in "$s"/*/lib; do [ -d "$d" ] && echo "$d"; done
    done
  fi
  for d in "${HOME:-/nonexistent}"/.local/lib/python3*/site-packages/nvidia/*/lib \
           "$r"/usr/local/lib/python3*/dist-packages/nvidia/*/lib "$r"/usr/local/lib/python3*/site-packages/nvidia/*/lib \
           "$r"/usr/lib/python3/dist-packages/nvidia/*/lib "$r"/opt/conda/lib/python3*/site-packages/nvidia/*/lib; do
    [ -d "$d" ] && echo "$d"
  done
}

# grpo4j_ldconfig_paths: the loader cache as "soname<TAB>path" lines (empty when unavailable).
grpo4j_ldconfig_paths() {
  local cmd=${GRPO4J_LDCONFIG:-}
  if [ "$cmd" = none ]; then return 0; fi
  if [ -z "$cmd" ]; then
    if command -v ldconfig >/dev/null 2>&1; then cmd="ldconfig -p"
    elif [ -x /sbin/ldconfig ]; then cmd="/sbin/ldconfig -p"
    else return 0; fi
  fi
  $cmd 2>/dev/null | sed -n 's/^[[:space:]]*\([^[:space:]]*\) (\([^)]*\)) => \(.*\)$/\1\t\2\t\3/p' \
    | awk -F'\t' '$2 ~ /x86-64/ { print $1 "\t" $3 }'
}

# grpo4j_find_cuda_libs [verbose]: finds every library of the list. Sets
#   GRPO4J_CUDA_LD        ':'-joined folders to put in front of LD_LIBRARY_PATH (order of first use)
#   GRPO4J_CUDA_MISSING   required libraries found nowhere (space-separated)
#   GRPO4J_CUDA_TABLE     one line a library: "found SONAME PATH (how)", "system SONAME PATH (ldconfig)",
#                         "missing SONAME (KIND)", and "skip SONAME DIR (holds a libtorch)" lines
# A library in the loader cache (ldconfig) is found without LD_LIBRARY_PATH, so its folder is not added.
grpo4j_find_cuda_libs() {
  local list soname kind who d f dirs=() found cache
  list=$(grpo4j_cuda_list_file)
  [ -f "$list" ] || { echo "grpo4j: missing $list" >&2; return 2; }
  mapfile -t cands < <(grpo4j_cuda_dirs | awk '!seen[$0]++')
  cache=$(grpo4j_ldconfig_paths)
  GRPO4J_CUDA_MISSING=""; GRPO4J_CUDA_TABLE=""
  while read -r soname kind who; do
    case "$soname" in ""|\#*) continue ;; esac
    found=""
    if [ "$kind" != driver ]; then
      for d in "${cands[@]}"; do
        [ -e "$d/$soname" ] || continue
        if grpo4j_has_libtorch "$d"; then
          GRPO4J_CUDA_TABLE+="skip $soname $d (holds a libtorch)"$'\n'; continue
        fi
        found="$d/$soname"
        GRPO4J_CUDA_TABLE+="found $soname $found"$'\n'
        case ":$(IFS=:; echo "${dirs[*]:-}"):" in *":$d:"*) ;; *) dirs+=("$d") ;; esac
        break
      done
    fi
    if [ -z "$found" ]; then
      f=$(awk -F'\t' -v n="$soname" '$1 == n { print $2; exit }' <<<"$cache")
      if [ -n "$f" ] && ! grpo4j_has_libtorch "$(dirname "$f")"; then
        found=$f; GRPO4J_CUDA_TABLE+="system $soname $f (ldconfig)"$'\n'
      fi
    fi
    if [ -z "$found" ]; then
      GRPO4J_CUDA_TABLE+="missing $soname ($kind)"$'\n'
      if [ "$kind" = required ]; then GRPO4J_CUDA_MISSING+="${GRPO4J_CUDA_MISSING:+ }$soname"; fi
    fi
  done < "$list"
  GRPO4J_CUDA_LD=$(IFS=:; echo "${dirs[*]:-}")
  if [ "${1:-}" = verbose ]; then printf '%s' "$GRPO4J_CUDA_TABLE" | sed 's/^/  /' >&2; fi
  return 0
}
