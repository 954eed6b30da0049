package io.grpo4j.torch;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code grpo4j doctor} finds, fact by fact, in one record: the JDK, the libtorch natives, the
 * threads, where each CUDA library is, whether CUDA works (and why not), and the verdict for a
 * device. Serialised as is for {@code --json}; the command prints the same record.
 *
 * @param natives the loaded natives, or their load error (then {@code threads} and {@code cuda} are
 *     null)
 * @param cpu the CPU's model and bf16 flags (/proc/cpuinfo), and what {@code model.dtype auto}
 *     picks on it
 * @param cudaLibraries every library the GPU natives need, by soname, and where it was found
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Diagnosis(
    Jdk jdk,
    NativesFound natives,
    @JsonProperty("other_libtorch") List<OtherLibtorch> otherLibtorch,
    @JsonProperty("crash_logs") List<CrashLog> crashLogs,
    Threads threads,
    Cpu cpu,
    @JsonProperty("cuda_libraries") List<LibraryFound> cudaLibraries,
    CudaFound cuda,
    Verdict verdict) {

  public record Jdk(String version, String vendor, String home) {}

  /** A libtorch file elsewhere on this machine and how a loader would find it. */
  public record OtherLibtorch(String path, String how) {}

  /**
   * @param time when the JVM crashed (the file's time)
   * @param frame the log's "Problematic frame", or null
   */
  public record CrashLog(String path, String time, String signal, String frame, String command) {}

  /**
   * The natives that loaded, or {@code error} alone when libtorch did not load.
   *
   * @param loaded the libtorch, c10, gomp and OpenBLAS files mapped into this process
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record NativesFound(
      String flavour,
      String pytorch,
      String libtorch,
      String folder,
      @JsonProperty("javacpp_cache") String javacppCache,
      List<String> loaded,
      String error) {
    /** Whether libtorch loaded. */
    public boolean ok() {
      return error == null;
    }

    public boolean gpu() {
      return "gpu".equals(flavour);
    }
  }

  /**
   * @param waitPolicy {@code OMP_WAIT_POLICY}; anything but PASSIVE makes OpenMP threads spin
   *     against OpenBLAS's (DESIGN.md: 28× slower small ops)
   */
  public record Threads(
      int cores,
      @JsonProperty("torch_intra_op") int torchIntraOp,
      int openblas,
      @JsonProperty("OMP_NUM_THREADS") String ompNumThreads,
      @JsonProperty("OMP_WAIT_POLICY") String waitPolicy) {
    public boolean passiveWait() {
      return "PASSIVE".equalsIgnoreCase(waitPolicy);
    }
  }

  /**
   * @param flags those of {@link CpuFeatures}'s flags present ({@code amx_bf16}, {@code
   *     avx512_bf16}, {@code avx2}, ...)
   * @param bf16Units whether bf16 products have hardware behind them (AMX or AVX-512 BF16)
   * @param dtypeAuto {@code bf16} or {@code f32}: what {@code model.dtype auto} resolves to on the
   *     CPU; null when libtorch did not load
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cpu(
      String model,
      List<String> flags,
      @JsonProperty("bf16_units") boolean bf16Units,
      @JsonProperty("dtype_auto") String dtypeAuto) {
    static Cpu of(CpuFeatures f, DType auto) {
      return new Cpu(
          f.model(),
          f.flags().stream().sorted().toList(),
          f.bf16Units(),
          auto == null ? null : auto.name().toLowerCase(Locale.ROOT));
    }
  }

  /**
   * @param kind {@code required}, {@code optional} or {@code driver}
   * @param path null when found nowhere
   * @param skipped folders that held the library beside another libtorch (never used)
   */
  public record LibraryFound(
      String soname,
      String kind,
      @JsonProperty("needed_by") String neededBy,
      String path,
      String how,
      List<String> skipped) {
    public boolean required() {
      return kind.equals("required");
    }

    public boolean found() {
      return path != null;
    }
  }

  /**
   * @param reason null when available; else why not
   */
  public record CudaFound(boolean available, String reason, List<GpuFound> gpus) {}

  public record GpuFound(
      int index,
      String name,
      @JsonProperty("memory_bytes") long memoryBytes,
      @JsonProperty("compute_capability") String computeCapability,
      boolean bf16) {}

  /**
   * The verdict for one device.
   *
   * @param asked the {@code --device} given, or null: then the device of this build is judged (CUDA
   *     with the GPU natives, the CPU with the CPU ones)
   * @param device the device judged: {@code cpu}, {@code cuda} or {@code cuda:N}
   * @param reason why {@code device} fails; null when it works
   * @param cudaWouldNot with no device asked and the CPU judged: why CUDA would not work
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Verdict(
      String asked,
      String device,
      boolean ok,
      String reason,
      @JsonProperty("cuda_would_not") String cudaWouldNot) {}

  /**
   * Takes every finding and judges {@code device} ({@code cpu}, {@code cuda}, {@code cuda:N}, or
   * null for the device of this build). Never throws for what it finds: a failure is a finding.
   */
  public static Diagnosis take(String device) {
    String asked = device == null ? null : device.trim().toLowerCase(Locale.ROOT);
    if (asked != null
        && !asked.equals("cpu")
        && !asked.equals("cuda")
        && !asked.matches("cuda:\\d+")) {
      throw new IllegalArgumentException(
          "--device must be cpu, cuda or cuda:N, got '" + device + "'");
    }
    Jdk jdk =
        new Jdk(
            System.getProperty("java.version"),
            System.getProperty("java.vendor"),
            System.getProperty("java.home"));
    Natives natives;
    try {
      natives = Natives.inspect();
    } catch (RuntimeException | LinkageError e) {
      String msg = String.valueOf(e.getMessage());
      String why = msg.startsWith("libtorch did not load") ? msg : "libtorch did not load: " + msg;
      List<OtherLibtorch> other = findOtherLibtorch();
      List<CrashLog> crashes = findCrashLogs();
      NativesFound failed = new NativesFound(null, null, null, null, null, null, why);
      return new Diagnosis(
          jdk,
          failed,
          other,
          crashes,
          null,
          Cpu.of(CpuFeatures.detect(), null),
          libraries(),
          null,
          new Verdict(asked, asked == null ? "cpu" : asked, false, why, null));
    }
    // only after our natives loaded: looking for others first would set JavaCPP up before them
    List<OtherLibtorch> other = findOtherLibtorch();
    List<CrashLog> crashes = findCrashLogs();
    Torch.init(0, 0);
    List<String> loaded =
        NativeLoader.mappedLibraries().stream()
            .filter(f -> NativeLoader.OWN_FAMILIES.matcher(f.getFileName().toString()).matches())
            .map(Path::toString)
            .toList();
    NativesFound found =
        new NativesFound(
            natives.flavour(),
            natives.pytorchVersion(),
            natives.libtorchVersion(),
            String.valueOf(natives.folder()),
            String.valueOf(Natives.cacheDir()),
            loaded,
            null);
    Threads threads =
        new Threads(
            Runtime.getRuntime().availableProcessors(),
            Torch.threads(),
            Torch.blasThreads(),
            System.getenv("OMP_NUM_THREADS"),
            System.getenv("OMP_WAIT_POLICY"));
    List<LibraryFound> libraries = libraries();
    Cuda.Status status = Cuda.status();
    List<GpuFound> gpus = new ArrayList<>();
    for (Cuda.Gpu g : status.gpus()) {
      gpus.add(
          new GpuFound(g.index(), g.name(), g.totalMemoryBytes(), g.computeCapability(), g.bf16()));
    }
    CudaFound cuda = new CudaFound(status.available(), status.reason(), List.copyOf(gpus));
    String cudaWouldNot = cuda.reason();
    if (!cuda.available() && !natives.gpu() && !Cuda.driverFound()) {
      cudaWouldNot +=
          "; nor would the GPU build here: no NVIDIA driver (libcuda.so.1 is neither in the loader"
              + " cache nor on LD_LIBRARY_PATH), so no GPU";
    }
    return new Diagnosis(
        jdk,
        found,
        other,
        crashes,
        threads,
        Cpu.of(CpuFeatures.detect(), DType.resolve("auto", "cpu")),
        libraries,
        cuda,
        judge(asked, found, cuda, cudaWouldNot));
  }

  /**
   * The verdict for {@code asked}; with none, for the device of this build: CUDA with the GPU
   * natives (the user chose that build to use it), the CPU with the CPU natives (then saying why
   * CUDA would not work).
   */
  private static Verdict judge(
      String asked, NativesFound natives, CudaFound cuda, String cudaWouldNot) {
    String device = asked != null ? asked : natives.gpu() ? "cuda" : "cpu";
    if (device.equals("cpu")) {
      return new Verdict(asked, "cpu", true, null, asked == null ? cudaWouldNot : null);
    }
    try {
      Torch.deviceName(device);
      return new Verdict(asked, device, true, null, null);
    } catch (IllegalArgumentException e) {
      return new Verdict(asked, device, false, e.getMessage(), null);
    }
  }

  private static List<OtherLibtorch> findOtherLibtorch() {
    return NativeLoader.otherLibtorch().stream()
        .map(e -> new OtherLibtorch(e.path().toString(), e.how()))
        .toList();
  }

  private static List<CrashLog> findCrashLogs() {
    return CrashLogs.find().stream()
        .map(
            l ->
                new CrashLog(
                    l.path().toString(), l.time().toString(), l.signal(), l.frame(), l.command()))
        .toList();
  }

  private static List<LibraryFound> libraries() {
    List<LibraryFound> rows = new ArrayList<>();
    for (CudaLibraries.Location l :
        CudaLibraries.locate(
            CudaLibraries.list(), CudaLibraries.ldLibraryPath(), CudaLibraries.loaderCache())) {
      rows.add(
          new LibraryFound(
              l.library().soname(),
              l.library().kind().name().toLowerCase(Locale.ROOT),
              l.library().neededBy(),
              l.path() == null ? null : l.path().toString(),
              l.how(),
              l.skipped().stream().map(Path::toString).toList()));
    }
    return List.copyOf(rows);
  }

  /** Folders on LD_LIBRARY_PATH that hold another libtorch (their libraries can shadow ours). */
  public static List<Path> shadowingFolders() {
    return CudaLibraries.ldLibraryPath().stream().filter(CudaLibraries::holdsLibtorch).toList();
  }
}
