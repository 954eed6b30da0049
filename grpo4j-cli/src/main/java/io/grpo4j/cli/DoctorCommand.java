package io.grpo4j.cli;

import io.grpo4j.torch.Cuda;
import io.grpo4j.torch.CudaLibraries;
import io.grpo4j.torch.NativeLoader;
import io.grpo4j.torch.Natives;
import io.grpo4j.torch.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code grpo4j doctor}: what this process runs on (JDK, libtorch natives, threads, the CUDA
 * libraries by soname, the GPUs) and whether {@code --device cuda} would work; exit 1 when it would
 * not, with the reason.
 */
@Command(
    name = "doctor",
    description = {
      "Check this machine: JDK, libtorch natives (cpu/gpu) and version, OpenMP/BLAS threads, each CUDA",
      "library by soname (found where / missing), GPUs (name, memory, compute capability, bf16),",
      "other libtorch installations on this machine (never loaded) and earlier JVM crash logs.",
      "Exit 1 when --device cuda would fail (or, with --device cpu, when libtorch does not load or",
      "another libtorch is in the process)."
    })
final class DoctorCommand implements Callable<Integer> {

  @Option(
      names = "--device",
      description =
          "The device whose readiness sets the exit code: cuda (or cuda:N) or cpu (default: ${DEFAULT-VALUE}).")
  String device = "cuda";

  @Mixin JsonOutput json;

  @Override
  public Integer call() throws Exception {
    String dev = device.trim().toLowerCase(Locale.ROOT);
    if (!dev.equals("cpu") && !dev.equals("cuda") && !dev.matches("cuda:\\d+")) {
      throw new IllegalArgumentException(
          "--device must be cpu, cuda or cuda:N, got '" + device + "'");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "jdk",
        Map.of(
            "version", System.getProperty("java.version"),
            "vendor", System.getProperty("java.vendor"),
            "home", System.getProperty("java.home")));
    System.out.printf(
        "JDK        %s (%s) at %s%n",
        System.getProperty("java.version"),
        System.getProperty("java.vendor"),
        System.getProperty("java.home"));

    Natives natives;
    try {
      natives = Natives.inspect();
    } catch (RuntimeException | LinkageError e) {
      String msg = String.valueOf(e.getMessage());
      String why = msg.startsWith("libtorch did not load") ? msg : "libtorch did not load: " + msg;
      System.out.println("natives    FAILED: " + why);
      out.put("natives", Map.of("error", why));
      elsewhere(out);
      crashLogs(out);
      libraries(out, true);
      return finish(out, false, why);
    }
    Torch.init(0, 0);
    System.out.printf(
        "natives    %s (JavaCPP pytorch %s, libtorch %s)%n",
        natives.flavour(), natives.pytorchVersion(), natives.libtorchVersion());
    System.out.printf("           unpacked in %s%n", natives.folder());
    String launched = System.getenv("GRPO4J_FLAVOUR");
    if (launched != null && !launched.equals(natives.flavour())) {
      System.out.printf(
          "           WARNING: the launcher asked for the %s build but this JVM runs the %s natives%n",
          launched, natives.flavour());
    }
    Map<String, Object> nat = new LinkedHashMap<>();
    nat.put("flavour", natives.flavour());
    nat.put("pytorch", natives.pytorchVersion());
    nat.put("libtorch", natives.libtorchVersion());
    nat.put("folder", String.valueOf(natives.folder()));
    nat.put("javacpp_cache", String.valueOf(Natives.cacheDir()));
    List<Path> mapped =
        NativeLoader.mappedLibraries().stream()
            .filter(f -> NativeLoader.OWN_FAMILIES.matcher(f.getFileName().toString()).matches())
            .toList();
    nat.put("loaded", mapped.stream().map(Path::toString).toList());
    out.put("natives", nat);
    System.out.printf(
        "           loaded: %s (all from the natives' cache folders)%n",
        mapped.stream().map(f -> f.getFileName().toString()).distinct().toList());
    elsewhere(out);
    crashLogs(out);

    String wait = System.getenv("OMP_WAIT_POLICY");
    Map<String, Object> threads = new LinkedHashMap<>();
    threads.put("cores", Runtime.getRuntime().availableProcessors());
    threads.put("torch_intra_op", Torch.threads());
    threads.put("openblas", Torch.blasThreads());
    threads.put("OMP_NUM_THREADS", System.getenv("OMP_NUM_THREADS"));
    threads.put("OMP_WAIT_POLICY", wait);
    out.put("threads", threads);
    System.out.printf(
        "threads    %d cores; libtorch intra-op %d, OpenBLAS %d; OMP_NUM_THREADS=%s OMP_WAIT_POLICY=%s%n",
        Runtime.getRuntime().availableProcessors(),
        Torch.threads(),
        Torch.blasThreads(),
        System.getenv().getOrDefault("OMP_NUM_THREADS", "<unset>"),
        wait == null ? "<unset>" : wait);
    if (!"PASSIVE".equalsIgnoreCase(wait)) {
      System.out.println(
          "           WARNING: OMP_WAIT_POLICY is not PASSIVE: OpenMP threads spin against OpenBLAS's"
              + " (28x slower small ops measured); start through ./grpo4j, which sets it");
    }

    libraries(out, natives.gpu());

    Cuda.Status cuda = Cuda.status();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("available", cuda.available());
    c.put("reason", cuda.reason());
    List<Map<String, Object>> gpus = new ArrayList<>();
    for (Cuda.Gpu g : cuda.gpus()) {
      gpus.add(
          Map.of(
              "index", g.index(),
              "name", g.name(),
              "memory_bytes", g.totalMemoryBytes(),
              "compute_capability", g.computeCapability(),
              "bf16", g.bf16()));
    }
    c.put("gpus", gpus);
    out.put("cuda", c);
    if (cuda.available()) {
      System.out.printf("CUDA       available, %d GPU(s)%n", cuda.gpus().size());
      for (Cuda.Gpu g : cuda.gpus()) {
        System.out.printf(
            "  cuda:%d   %s, %.1f GiB, compute capability %s, bf16 %s%n",
            g.index(),
            g.name(),
            g.totalMemoryBytes() / (double) (1L << 30),
            g.computeCapability(),
            g.bf16() ? "yes" : "no (emulated, slow)");
      }
    } else {
      System.out.println("CUDA       not available: " + cuda.reason());
      if (natives.gpu()) {
        System.out.println("           " + Natives.DEBUG_HINT);
      }
    }

    if (dev.equals("cpu")) return finish(out, true, null);
    String why = null;
    try {
      Torch.deviceName(dev);
    } catch (IllegalArgumentException e) {
      why = e.getMessage();
    }
    return finish(out, why == null, why);
  }

  /** Other libtorch installations a loader could find: named, never loaded. */
  private static void elsewhere(Map<String, Object> out) {
    List<NativeLoader.Elsewhere> other = NativeLoader.otherLibtorch();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (NativeLoader.Elsewhere e : other) {
      rows.add(Map.of("path", e.path().toString(), "how", e.how()));
    }
    out.put("other_libtorch", rows);
    if (other.isEmpty()) return;
    System.out.println("elsewhere  other libtorch on this machine (grpo4j never loads them):");
    for (NativeLoader.Elsewhere e : other) {
      System.out.printf("           %s (%s)%n", e.path(), e.how());
    }
  }

  /** Crash logs earlier grpo4j JVMs left (temp folder, or the working directory of old runs). */
  private static void crashLogs(Map<String, Object> out) {
    List<CrashLogs.Log> logs = CrashLogs.find();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CrashLogs.Log l : logs) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("path", l.path().toString());
      r.put("time", l.time().toString());
      r.put("signal", l.signal());
      r.put("frame", l.frame());
      r.put("command", l.command());
      rows.add(r);
    }
    out.put("crash_logs", rows);
    if (logs.isEmpty()) return;
    CrashLogs.Log last = logs.get(0);
    System.out.printf(
        "crash log  %s (%s%s): a JVM crash, %s in %s; command: %s%n",
        last.path(),
        last.time().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
        logs.size() > 1 ? ", newest of " + logs.size() : "",
        last.signal() == null ? "?" : last.signal().split(" ")[0],
        last.frame() == null ? "?" : last.frame(),
        last.command() == null ? "?" : last.command());
    System.out.println("           (report it with the log; delete the file once dealt with)");
  }

  /** The CUDA library table; printed in full for the GPU natives, summarised for the CPU ones. */
  private static void libraries(Map<String, Object> out, boolean gpu) {
    List<CudaLibraries.Location> found =
        CudaLibraries.locate(
            CudaLibraries.list(), CudaLibraries.ldLibraryPath(), CudaLibraries.loaderCache());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CudaLibraries.Location l : found) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("soname", l.library().soname());
      r.put("kind", l.library().kind().name().toLowerCase(Locale.ROOT));
      r.put("needed_by", l.library().neededBy());
      r.put("path", l.path() == null ? null : l.path().toString());
      r.put("how", l.how());
      r.put("skipped", l.skipped().stream().map(Path::toString).toList());
      rows.add(r);
    }
    out.put("cuda_libraries", rows);
    long missing =
        found.stream()
            .filter(l -> !l.found() && l.library().kind() == CudaLibraries.Kind.REQUIRED)
            .count();
    System.out.printf(
        "CUDA libs  %d of %d required found%s%n",
        found.stream()
            .filter(l -> l.found() && l.library().kind() == CudaLibraries.Kind.REQUIRED)
            .count(),
        found.stream().filter(l -> l.library().kind() == CudaLibraries.Kind.REQUIRED).count(),
        gpu ? "" : " (only the GPU build needs them)");
    if (!gpu && missing > 0) return;
    for (CudaLibraries.Location l : found) {
      String kind = l.library().kind().name().toLowerCase(Locale.ROOT);
      System.out.printf(
          "  %-8s %-40s %s%n",
          l.found()
              ? "found"
              : (l.library().kind() == CudaLibraries.Kind.REQUIRED ? "MISSING" : "absent"),
          l.library().soname() + " (" + kind + ")",
          l.found() ? l.path() + " (" + l.how() + ")" : "needed by " + l.library().neededBy());
      for (Path s : l.skipped()) {
        System.out.printf("  %-8s %-40s %s (holds another libtorch)%n", "skipped", "", s);
      }
    }
    for (Path d : CudaLibraries.ldLibraryPath()) {
      if (CudaLibraries.holdsLibtorch(d)) {
        System.out.println(
            "  WARNING: LD_LIBRARY_PATH holds "
                + d
                + ", a folder with another libtorch: its libraries can shadow grpo4j's");
      }
    }
  }

  private Integer finish(Map<String, Object> out, boolean ok, String why) throws Exception {
    out.put("device", device);
    out.put("ok", ok);
    out.put("reason", why);
    json.write(out);
    System.out.println(
        ok
            ? "verdict    --device " + device + ": OK"
            : "verdict    --device " + device + ": FAILS: " + why);
    return ok ? 0 : 1;
  }
}
