package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.torch.NativeLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpo4j loads only its natives jar's libtorch, c10, gomp and OpenBLAS, on a machine that holds
 * other ones (issue 24: Debian's python3-torch crashed the first run on an empty JavaCPP cache).
 *
 * <p>The situation is built on any machine: a folder of fake "system" libraries named like
 * libtorch's ({@code libtorch_cpu.so}, {@code libc10.so}, {@code libtorch.so}, {@code
 * libtorch_cuda.so}, {@code libgomp.so.1}, {@code libopenblas.so.0}, {@code libcudart.so.13}, …:
 * copies of the harmless {@code libquadmath.so.0} from the OpenBLAS natives, soname {@code
 * libquadmath.so.0}, so any of them loaded shows in {@code /proc/self/maps}) is put on every path a
 * loader searches: LD_LIBRARY_PATH (ld.so, before a library's RUNPATH), {@code java.library.path}
 * (JavaCPP's {@code System.loadLibrary} fallback) and {@code
 * org.bytedeco.javacpp.platform.preloadpath} (JavaCPP's preload folders). Where Debian's {@code
 * python3-torch} is installed (CI installs it), its real {@code
 * /lib/x86_64-linux-gnu/libtorch_cpu.so} is on ld.so's default path too. A fresh JVM with an empty
 * cache folder then runs doctor and a forward pass ({@link NativesProbe}); its maps must list
 * libtorch/c10/gomp/OpenBLAS files from the cache only and nothing from the fake folder. One cache
 * serves the class: unpacking ~400 MB is most of the time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NativesIsolationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLATFORM = "linux-x86_64";

  /** The names a loader could take instead of ours. */
  private static final List<String> FAKES =
      List.of(
          "libtorch_cpu.so",
          "libc10.so",
          "libtorch.so",
          "libtorch_cuda.so",
          "libc10_cuda.so",
          "libgomp.so.1",
          "libopenblas.so.0",
          "libcudart.so.13",
          "libcupti.so.13");

  @TempDir static Path tmp;
  static Path cache;
  static Path fakes;
  static Path crashDir;
  static Path javaTmp;

  @BeforeAll
  static void fakeSystemLibraries() throws IOException {
    cache = tmp.resolve("fresh-cache");
    fakes = tmp.resolve("fake-system-lib");
    crashDir = tmp.resolve("crash");
    javaTmp = tmp.resolve("java-tmp");
    Files.createDirectories(javaTmp);
    Files.createDirectories(fakes);
    Files.createDirectories(crashDir);
    byte[] inert;
    try (InputStream in =
        NativesIsolationTest.class.getResourceAsStream(
            "/org/bytedeco/openblas/" + PLATFORM + "/libquadmath.so.0")) {
      assertThat(in).as("libquadmath.so.0 in the OpenBLAS natives").isNotNull();
      inert = in.readAllBytes();
    }
    for (String name : FAKES) Files.write(fakes.resolve(name), inert);
  }

  private record Child(int rc, String out, List<Path> maps, JsonNode doctor) {}

  /**
   * Runs {@link NativesProbe} (or {@code main}) in a fresh JVM on the shared cache, with the fake
   * libraries on every search path; {@code flags} are extra JVM flags.
   */
  private static Child run(List<String> flags, Map<String, String> env, String main, String... args)
      throws Exception {
    Path maps = tmp.resolve("maps-" + System.nanoTime());
    Path json = tmp.resolve("doctor-" + System.nanoTime() + ".json");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-Xmx1g",
            "--enable-native-access=ALL-UNNAMED",
            "-XX:ErrorFile=" + crashDir.resolve("grpo4j-hs_err_pid%p.log"),
            "-XX:-CreateCoredumpOnCrash",
            "-Dorg.bytedeco.javacpp.cachedir=" + cache,
            "-Dorg.bytedeco.javacpp.maxBytes=0",
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
            "-Dorg.bytedeco.javacpp.platform.preloadpath=" + fakes,
            "-Djava.library.path=" + fakes,
            "-Djava.io.tmpdir=" + javaTmp, // doctor looks for crash logs here: only ours
            "-Dai.djl.offline=true"));
    cmd.addAll(flags);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
    if (main.equals(NativesProbe.class.getName())) {
      cmd.add(maps.toString());
      for (String a : args) cmd.add(a.equals("JSON") ? json.toString() : a);
    } else {
      cmd.addAll(List.of(args));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    String ld = System.getenv("LD_LIBRARY_PATH");
    pb.environment().put("LD_LIBRARY_PATH", fakes + (ld == null || ld.isBlank() ? "" : ":" + ld));
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    pb.environment().put("TMPDIR", javaTmp.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(out).isTrue();
    out += crashLogs();
    List<Path> mapped = NativeLoader.mappedLibraries(maps);
    JsonNode doctor = Files.exists(json) ? JSON.readTree(json.toFile()) : null;
    return new Child(p.exitValue(), out, mapped, doctor);
  }

  /** Crash logs the children left, for assertion messages. */
  private static String crashLogs() throws IOException {
    StringBuilder b = new StringBuilder();
    try (Stream<Path> s = Files.list(crashDir)) {
      for (Path f : s.toList()) {
        b.append("\n--- ").append(f).append(":\n");
        try (Stream<String> lines = Files.lines(f, StandardCharsets.ISO_8859_1)) {
          lines.limit(30).forEach(l -> b.append(l).append('\n'));
        }
      }
    }
    return b.toString();
  }

  private static final String[] DOCTOR_AND_FORWARD = {
    "doctor",
    "--device",
    "cpu",
    "--json",
    "JSON",
    "--",
    "generate",
    "--model",
    "models/countdown-tiny-sft",
    "--prompt-ids",
    "5,6,7",
    "--max-new-tokens",
    "4",
    "--greedy",
    "--threads",
    "1"
  };

  /** What every run must show, the first on the empty cache and every one after it. */
  private static void onlyOurNatives(Child c) throws IOException {
    assertThat(c.rc()).as(c.out()).isZero();
    assertThat(c.out()).contains("verdict    --device cpu: OK").contains("completion tokens");
    JsonNode nat = c.doctor().path("natives");
    Path folder = Path.of(nat.path("folder").asText());
    assertThat(folder).startsWith(cache);
    assertThat(nat.path("javacpp_cache").asText()).isEqualTo(cache.toString());
    for (String lib : List.of("libjnitorch.so", "libtorch_cpu.so", "libc10.so", "libgomp.so.1")) {
      assertThat(folder.resolve(lib)).as(lib).isRegularFile();
    }

    // the process: libtorch loaded, and every libtorch/c10/gomp/OpenBLAS/JNI file from the cache
    Path realCache = cache.toRealPath();
    List<Path> own =
        c.maps().stream()
            .filter(
                f -> {
                  String n = f.getFileName().toString();
                  return NativeLoader.OWN_FAMILIES.matcher(n).matches() || n.startsWith("libjni");
                })
            .toList();
    assertThat(own.stream().map(f -> f.getFileName().toString()))
        .as("the check must see libtorch to mean anything")
        .contains("libjnitorch.so", "libtorch_cpu.so", "libc10.so", "libgomp.so.1")
        .anyMatch(n -> n.startsWith("libopenblas"));
    for (Path f : own) {
      assertThat(f.toRealPath()).as("%s: not from the JavaCPP cache", f).startsWith(realCache);
    }
    assertThat(c.maps())
        .as("mapped from the fake system folder")
        .noneMatch(f -> f.startsWith(fakes));

    // the cache: libtorch in one folder only, and no CUDA library linked into the CPU build's
    List<Path> strays;
    try (Stream<Path> s = Files.walk(cache)) {
      strays =
          s.filter(
                  f -> {
                    String n = f.getFileName().toString();
                    return (n.matches("lib(torch|c10)[a-z_]*\\.so")
                            && !f.getParent().equals(folder))
                        || n.startsWith("libcudart")
                        || n.startsWith("libcupti");
                  })
              .toList();
    }
    assertThat(strays).as("stray libtorch copies or CUDA links in the cache").isEmpty();

    // doctor names the other libtorch it could see (never loaded)
    List<String> other = new ArrayList<>();
    c.doctor().path("other_libtorch").forEach(e -> other.add(e.path("path").asText()));
    assertThat(other)
        .contains(
            fakes.resolve("libtorch_cpu.so").toString(), fakes.resolve("libc10.so").toString());
  }

  @Test
  @Order(1)
  void firstRunOnAnEmptyCacheLoadsOnlyTheJarsLibtorch() throws Exception {
    // no JavaCPP flags: the programmatic set-up alone, as an embedding application gets it
    Child c = run(List.of(), Map.of(), NativesProbe.class.getName(), DOCTOR_AND_FORWARD);
    onlyOurNatives(c);
  }

  @Test
  @Order(2)
  void everyLaterRunToo() throws Exception {
    // the filled cache, and the launcher's flags (a user's pathsFirst=true is overridden)
    Child c =
        run(
            List.of(
                "-Dorg.bytedeco.javacpp.platform.extension=",
                "-Dorg.bytedeco.javacpp.pathsFirst=true"),
            Map.of(),
            NativesProbe.class.getName(),
            DOCTOR_AND_FORWARD);
    onlyOurNatives(c);
  }

  /**
   * A libtorch already in the process (LD_PRELOAD here; an application that loaded another one is
   * the same): doctor exits 1 naming the file, the JVM does not crash. And doctor reports the crash
   * log an earlier JVM left in the crash folder (a JVM made to crash on purpose).
   */
  @Test
  @Order(3)
  void anotherLibtorchInTheProcessFailsClearlyAndACrashLogIsReported() throws Exception {
    Child crash = run(List.of(), Map.of(), Crash.class.getName());
    assertThat(crash.rc()).as(crash.out()).isNotZero();
    List<Path> logs;
    try (Stream<Path> s = Files.list(crashDir)) {
      logs = s.toList();
    }
    assertThat(logs).as("the crash log goes to -XX:ErrorFile's folder").hasSize(1);
    String pid = logs.get(0).getFileName().toString().replaceAll("\\D", "");
    assertThat(Path.of("hs_err_pid" + pid + ".log"))
        .as("none in the working directory")
        .doesNotExist();

    Path preload = fakes.resolve("libtorch_cpu.so");
    Child c =
        run(
            List.of(),
            Map.of("LD_PRELOAD", preload.toString()),
            NativesProbe.class.getName(),
            "doctor",
            "--device",
            "cpu",
            "--json",
            "JSON");
    assertThat(c.rc()).as(c.out()).isEqualTo(1);
    assertThat(c.out())
        .contains("natives    FAILED")
        .contains("another libtorch is already loaded in this process")
        .contains(preload.toString())
        .contains("LD_PRELOAD=")
        .contains("crash log  " + logs.get(0))
        .contains("SIGSEGV");
    try (Stream<Path> s = Files.list(crashDir)) {
      assertThat(s.toList()).as("doctor itself must not crash").hasSize(1);
    }
    assertThat(c.doctor().path("crash_logs").get(0).path("command").asText()).contains("Crash");
  }

  /** A JVM that crashes on purpose (SIGSEGV at address 0), to leave a crash log. */
  public static final class Crash {
    public static void main(String[] args) throws Exception {
      var f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      ((sun.misc.Unsafe) f.get(null)).putAddress(0L, 42L);
    }
  }
}
