package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pure parts of {@link NativeLoader}: reading /proc/PID/maps and telling our natives from
 * foreign ones. The end-to-end check (fresh JVM, empty cache, fake system libtorch) is the cli's
 * NativesIsolationTest.
 */
class NativeLoaderTest {
  @TempDir Path tmp;

  @Test
  void parsesTheMappedFilesOfAMapsListingOnceEach() {
    List<String> maps =
        List.of(
            "7f77-7f78 r--p 00000000 fe:00 2146751   /cache/pt/libtorch_cpu.so",
            "7f78-7f79 r-xp 00db2000 fe:00 2146751   /cache/pt/libtorch_cpu.so",
            "7f80-7f81 r--p 00000000 fe:00 1         /lib/x86_64-linux-gnu/libc10.so.1.13",
            "7f81-7f82 rw-p 00000000 00:00 0 ",
            "7f82-7f83 r--p 00000000 fe:00 2         /usr/lib/jvm/lib/modules",
            "7f83-7f84 r--p 00000000 fe:00 3         [vdso]",
            "7f84-7f85 r--p 00000000 fe:00 4         /tmp/x/libgone.so (deleted)",
            "7f85-7f86 r--p 00000000 fe:00 5         /opt/a dir/libspace.so.2");
    assertThat(NativeLoader.parseMaps(maps))
        .containsExactly(
            Path.of("/cache/pt/libtorch_cpu.so"),
            Path.of("/lib/x86_64-linux-gnu/libc10.so.1.13"),
            Path.of("/tmp/x/libgone.so"),
            Path.of("/opt/a dir/libspace.so.2"));
  }

  @Test
  void thisProcessMapsLibrariesWhereThereIsAProc() {
    if (!Files.exists(Path.of("/proc/self/maps"))) return; // not Linux: nothing to read
    assertThat(NativeLoader.mappedLibraries())
        .anyMatch(f -> f.getFileName().toString().startsWith("libjvm.so"));
  }

  @Test
  void foreignAreTheFamilyFilesOutsideOurFoldersComparedAsRealPaths() throws Exception {
    Path own = Files.createDirectories(tmp.resolve("cache/pytorch"));
    Path blas = Files.createDirectories(tmp.resolve("cache/openblas"));
    Path sys = Files.createDirectories(tmp.resolve("system"));
    for (Path f :
        List.of(
            own.resolve("libtorch_cpu.so"),
            blas.resolve("libopenblas.so.0"),
            sys.resolve("libtorch_cpu.so.1.13"),
            sys.resolve("libc10.so"),
            sys.resolve("libgomp.so.1"),
            sys.resolve("libz.so.1"))) {
      Files.writeString(f, "");
    }
    // a link into our folder is ours (maps shows real paths, a link's target is what counts)
    Path link =
        Files.createSymbolicLink(sys.resolve("libc10_cuda.so"), own.resolve("libtorch_cpu.so"));
    List<Path> mapped =
        List.of(
            own.resolve("libtorch_cpu.so"),
            blas.resolve("libopenblas.so.0"),
            sys.resolve("libtorch_cpu.so.1.13"),
            sys.resolve("libc10.so"),
            sys.resolve("libgomp.so.1"),
            sys.resolve("libz.so.1"),
            link);
    assertThat(NativeLoader.foreign(mapped, List.of(own, blas), NativeLoader.OWN_FAMILIES))
        .containsExactly(
            sys.resolve("libtorch_cpu.so.1.13"),
            sys.resolve("libc10.so"),
            sys.resolve("libgomp.so.1"));
    assertThat(NativeLoader.foreign(mapped, List.of(own, blas), NativeLoader.LIBTORCH))
        .containsExactly(sys.resolve("libtorch_cpu.so.1.13"), sys.resolve("libc10.so"));
  }

  @Test
  void familiesCoverLibtorchC10GompAndOpenblasButNotTheJniWrappersOrOthers() {
    for (String n :
        List.of(
            "libtorch.so",
            "libtorch_cpu.so",
            "libtorch_cuda_linalg.so",
            "libtorch_cpu.so.1.13",
            "libc10.so",
            "libc10_cuda.so",
            "libgomp.so.1",
            "libopenblas.so.0",
            "libopenblas_nolapack.so.0")) {
      assertThat(NativeLoader.OWN_FAMILIES.matcher(n).matches()).as(n).isTrue();
    }
    for (String n : List.of("libjnitorch.so", "libgompx.so", "libcudart.so.13", "libc.so.6")) {
      assertThat(NativeLoader.OWN_FAMILIES.matcher(n).matches()).as(n).isFalse();
    }
    assertThat(NativeLoader.LIBTORCH.matcher("libgomp.so.1").matches()).isFalse();
  }

  @Test
  void presetNamesMapToSonames() {
    assertThat(NativeLoader.soname("cudart@.13")).isEqualTo("libcudart.so.13");
    assertThat(NativeLoader.soname("nvrtc-builtins@.13.1")).isEqualTo("libnvrtc-builtins.so.13.1");
    assertThat(NativeLoader.soname("c10_cuda")).isEqualTo("libc10_cuda.so");
  }
}
