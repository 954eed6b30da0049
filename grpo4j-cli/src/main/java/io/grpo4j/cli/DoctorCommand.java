package io.grpo4j.cli;

import io.grpo4j.torch.Diagnosis;
import io.grpo4j.torch.Natives;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code grpo4j doctor}: prints the {@link Diagnosis} of this process (JDK, libtorch natives,
 * threads, the CUDA libraries by soname, the GPUs) and its verdict for a device; exit 1 when that
 * device would not work. With no {@code --device} it judges the device of this build: CUDA for the
 * GPU build, the CPU for the CPU build (saying why CUDA would not work).
 */
@Command(
    name = "doctor",
    description = {
      "Check this machine: JDK, libtorch natives, threads, CUDA and GPUs.",
      "Also lists other libtorch installations (never loaded) and earlier JVM crash logs. Exit 1 when",
      "the device judged would fail (--device; else CUDA for the GPU build, the CPU for the CPU one):",
      "libtorch not loading, or another libtorch in the process, fails every device."
    })
final class DoctorCommand implements Callable<Integer> {

  @Option(
      names = "--device",
      description =
          "The device to judge: cpu, cuda or cuda:N (default: cuda for the GPU build, cpu for the CPU one).")
  String device;

  @Mixin JsonOutput json;

  @Override
  public Integer call() throws Exception {
    Diagnosis d = Diagnosis.take(device);
    print(d);
    json.write(d);
    return d.verdict().ok() ? 0 : 1;
  }

  private static void print(Diagnosis d) {
    Diagnosis.Jdk jdk = d.jdk();
    System.out.printf("JDK        %s (%s) at %s%n", jdk.version(), jdk.vendor(), jdk.home());
    Diagnosis.NativesFound n = d.natives();
    if (!n.ok()) {
      System.out.println("natives    FAILED: " + n.error());
      elsewhere(d);
      crashLogs(d);
      libraries(d, true);
      verdict(d.verdict());
      return;
    }
    System.out.printf(
        "natives    %s (JavaCPP pytorch %s, libtorch %s)%n",
        n.flavour(), n.pytorch(), n.libtorch());
    System.out.printf("           unpacked in %s%n", n.folder());
    String launched = System.getenv("GRPO4J_FLAVOUR");
    if (launched != null && !launched.equals(n.flavour())) {
      System.out.printf(
          "           WARNING: the launcher asked for the %s build but this JVM runs the %s natives%n",
          launched, n.flavour());
    }
    System.out.printf(
        "           loaded: %s (all from the natives' cache folders)%n",
        n.loaded().stream().map(f -> Path.of(f).getFileName().toString()).distinct().toList());
    elsewhere(d);
    crashLogs(d);
    Diagnosis.Threads t = d.threads();
    System.out.printf(
        "threads    %d cores; libtorch intra-op %d, OpenBLAS %d; OMP_NUM_THREADS=%s OMP_WAIT_POLICY=%s%n",
        t.cores(),
        t.torchIntraOp(),
        t.openblas(),
        t.ompNumThreads() == null ? "<unset>" : t.ompNumThreads(),
        t.waitPolicy() == null ? "<unset>" : t.waitPolicy());
    if (!t.passiveWait()) {
      System.out.println(
          "           WARNING: OMP_WAIT_POLICY is not PASSIVE: OpenMP threads spin against OpenBLAS's"
              + " (28x slower small ops measured); start through ./grpo4j, which sets it");
    }
    Diagnosis.Cpu cpu = d.cpu();
    System.out.printf(
        "cpu        %s (flags: %s): bf16 units %s; model.dtype auto -> %s on cpu%n",
        cpu.model(),
        cpu.flags().isEmpty() ? "none" : String.join(" ", cpu.flags()),
        cpu.bf16Units() ? "yes" : "no",
        cpu.dtypeAuto());
    libraries(d, n.gpu());
    Diagnosis.CudaFound cuda = d.cuda();
    if (cuda.available()) {
      System.out.printf("CUDA       available, %d GPU(s)%n", cuda.gpus().size());
      for (Diagnosis.GpuFound g : cuda.gpus()) {
        System.out.printf(
            "  cuda:%d   %s, %.1f GiB, compute capability %s, bf16 %s%n",
            g.index(),
            g.name(),
            g.memoryBytes() / (double) (1L << 30),
            g.computeCapability(),
            g.bf16() ? "yes" : "no (emulated, slow)");
      }
    } else {
      System.out.println("CUDA       not available: " + cuda.reason());
      if (n.gpu()) System.out.println("           " + Natives.DEBUG_HINT);
    }
    verdict(d.verdict());
  }

  /** Other libtorch installations a loader could find: named, never loaded. */
  private static void elsewhere(Diagnosis d) {
    if (d.otherLibtorch().isEmpty()) return;
    System.out.println("elsewhere  other libtorch on this machine (grpo4j never loads them):");
    for (Diagnosis.OtherLibtorch e : d.otherLibtorch()) {
      System.out.printf("           %s (%s)%n", e.path(), e.how());
    }
  }

  /** The newest crash log an earlier grpo4j JVM left, if any. */
  private static void crashLogs(Diagnosis d) {
    if (d.crashLogs().isEmpty()) return;
    Diagnosis.CrashLog last = d.crashLogs().get(0);
    System.out.printf(
        "crash log  %s (%s%s): a JVM crash, %s in %s; command: %s%n",
        last.path(),
        Instant.parse(last.time()).truncatedTo(ChronoUnit.SECONDS),
        d.crashLogs().size() > 1 ? ", newest of " + d.crashLogs().size() : "",
        last.signal() == null ? "?" : last.signal().split(" ")[0],
        last.frame() == null ? "?" : last.frame(),
        last.command() == null ? "?" : last.command());
    System.out.println("           (report it with the log; delete the file once dealt with)");
  }

  /** The CUDA library table; printed in full for the GPU natives, summarised for the CPU ones. */
  private static void libraries(Diagnosis d, boolean gpu) {
    long required = d.cudaLibraries().stream().filter(Diagnosis.LibraryFound::required).count();
    long found = d.cudaLibraries().stream().filter(l -> l.required() && l.found()).count();
    System.out.printf(
        "CUDA libs  %d of %d required found%s%n",
        found, required, gpu ? "" : " (only the GPU build needs them)");
    if (!gpu && found < required) return;
    for (Diagnosis.LibraryFound l : d.cudaLibraries()) {
      System.out.printf(
          "  %-8s %-40s %s%n",
          l.found() ? "found" : (l.required() ? "MISSING" : "absent"),
          l.soname() + " (" + l.kind() + ")",
          l.found() ? l.path() + " (" + l.how() + ")" : "needed by " + l.neededBy());
      for (String s : l.skipped()) {
        System.out.printf("  %-8s %-40s %s (holds another libtorch)%n", "skipped", "", s);
      }
    }
    for (Path dir : Diagnosis.shadowingFolders()) {
      System.out.println(
          "  WARNING: LD_LIBRARY_PATH holds "
              + dir
              + ", a folder with another libtorch: its libraries can shadow grpo4j's");
    }
  }

  private static void verdict(Diagnosis.Verdict v) {
    if (v.asked() == null && v.ok() && v.cudaWouldNot() != null) {
      System.out.println("verdict    cpu: OK (no --device given: the CPU build runs on the CPU)");
      System.out.println("           CUDA would not work: " + v.cudaWouldNot());
      return;
    }
    String which = v.asked() == null ? v.device() : "--device " + v.asked();
    System.out.println(
        v.ok() ? "verdict    " + which + ": OK" : "verdict    " + which + ": FAILS: " + v.reason());
  }
}
