package io.grpo4j.torch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The CUDA libraries libtorch's {@code -gpu} natives need, by soname ({@code cuda-libraries.txt}
 * beside this class, read from the natives with {@code readelf -d}), and where the dynamic loader
 * of this process would find each: a folder of {@code LD_LIBRARY_PATH} (the launcher puts the ones
 * it found there), the loader cache ({@code ldconfig -p}), or nowhere.
 */
public final class CudaLibraries {
  private CudaLibraries() {}

  /** How much a library matters; see cuda-libraries.txt. */
  public enum Kind {
    /** without it the natives, or CUDA in them, cannot load */
    REQUIRED,
    /** opened on demand: a missing one fails only the feature that wants it */
    OPTIONAL,
    /** part of the NVIDIA driver, not of a CUDA toolkit or pip wheel */
    DRIVER
  }

  /**
   * @param soname e.g. {@code libcudnn.so.9}
   * @param neededBy the natives that link or open it, e.g. {@code libtorch_cuda.so}
   */
  public record Library(String soname, Kind kind, String neededBy) {}

  /**
   * Where a library is.
   *
   * @param path the file, or null when it was found nowhere
   * @param how {@code LD_LIBRARY_PATH}, {@code loader cache} or {@code missing}
   * @param skipped folders that held the library but also a libtorch of their own (never used:
   *     their libc10/libtorch_cpu could stand in for ours)
   */
  public record Location(Library library, Path path, String how, List<Path> skipped) {
    public boolean found() {
      return path != null;
    }
  }

  /** The list shipped in the jar. */
  public static List<Library> list() {
    try (InputStream in = CudaLibraries.class.getResourceAsStream("cuda-libraries.txt")) {
      if (in == null) throw new IllegalStateException("cuda-libraries.txt missing from the jar");
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses {@code SONAME KIND NEEDED-BY} lines; {@code #} starts a comment line. */
  static List<Library> parse(String text) {
    List<Library> out = new ArrayList<>();
    int n = 0;
    for (String line : text.split("\n")) {
      n++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      String[] f = t.split("\\s+");
      if (f.length != 3) {
        throw new IllegalArgumentException(
            "cuda-libraries.txt line " + n + ": expected SONAME KIND NEEDED-BY, got '" + t + "'");
      }
      out.add(new Library(f[0], Kind.valueOf(f[1].toUpperCase(Locale.ROOT)), f[2]));
    }
    return List.copyOf(out);
  }

  /**
   * Locates each library as the dynamic loader would: the first of {@code searchPath} (in order)
   * that holds it, else the loader cache; a folder holding a libtorch is skipped. The driver
   * library is looked up in the loader cache only (the launcher never adds a folder for it).
   */
  public static List<Location> locate(
      List<Library> libraries, List<Path> searchPath, Map<String, Path> loaderCache) {
    List<Location> out = new ArrayList<>();
    for (Library lib : libraries) {
      List<Path> skipped = new ArrayList<>();
      Location loc = null;
      if (lib.kind() != Kind.DRIVER) {
        for (Path dir : searchPath) {
          Path f = dir.resolve(lib.soname());
          if (!Files.exists(f)) continue;
          if (holdsLibtorch(dir)) {
            skipped.add(dir);
            continue;
          }
          loc = new Location(lib, f, "LD_LIBRARY_PATH", List.copyOf(skipped));
          break;
        }
      }
      if (loc == null) {
        Path cached = loaderCache.get(lib.soname());
        if (cached != null && !holdsLibtorch(cached.getParent())) {
          loc = new Location(lib, cached, "loader cache", List.copyOf(skipped));
        }
      }
      out.add(loc != null ? loc : new Location(lib, null, "missing", List.copyOf(skipped)));
    }
    return out;
  }

  /** True when {@code dir} holds a libtorch of its own (a Python torch/lib, another cache). */
  public static boolean holdsLibtorch(Path dir) {
    if (dir == null) return false;
    for (String f : List.of("libtorch_cpu.so", "libc10.so", "libtorch.so", "libtorch_cuda.so")) {
      if (Files.exists(dir.resolve(f))) return true;
    }
    return false;
  }

  /** The folders of this process's {@code LD_LIBRARY_PATH}, in order. */
  public static List<Path> ldLibraryPath() {
    return splitPath(System.getenv("LD_LIBRARY_PATH"));
  }

  static List<Path> splitPath(String value) {
    List<Path> out = new ArrayList<>();
    if (value == null) return out;
    for (String s : value.split(":")) if (!s.isBlank()) out.add(Path.of(s));
    return out;
  }

  /**
   * The loader cache as soname → path, from {@code ldconfig -p} (64-bit entries; empty when
   * ldconfig is not there).
   */
  public static Map<String, Path> loaderCache() {
    for (String cmd : List.of("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig")) {
      try {
        Process p = new ProcessBuilder(cmd, "-p").redirectErrorStream(true).start();
        String text;
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          text = r.lines().reduce("", (a, b) -> a + b + "\n");
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        else if (p.exitValue() == 0) return parseLdconfig(text);
      } catch (IOException e) {
        // not this one; try the next name
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return Map.of();
  }

  /**
   * Parses {@code ldconfig -p} lines such as {@code libcudart.so.13 (libc6,x86-64) => /path}; the
   * first 64-bit ({@code x86-64}) entry of a soname wins, as for the loader.
   */
  static Map<String, Path> parseLdconfig(String text) {
    Map<String, Path> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int arrow = line.indexOf(" => ");
      int paren = line.indexOf(" (");
      if (arrow < 0 || paren < 0 || paren > arrow) continue;
      String soname = line.substring(0, paren).strip();
      String flags = line.substring(paren + 2, line.indexOf(')', paren));
      if (!flags.contains("x86-64")) continue;
      out.putIfAbsent(soname, Path.of(line.substring(arrow + 4).strip()));
    }
    return out;
  }
}
