package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.torch.CudaLibraries.Kind;
import io.grpo4j.torch.CudaLibraries.Library;
import io.grpo4j.torch.CudaLibraries.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaLibrariesTest {
  @TempDir Path tmp;

  @Test
  void shippedListHasTheLibrariesTheGpuNativesLink() {
    List<Library> libs = CudaLibraries.list();
    assertThat(libs)
        .extracting(Library::soname)
        .contains("libcudart.so.13", "libcublas.so.13", "libcudnn.so.9", "libnccl.so.2")
        .doesNotHaveDuplicates();
    assertThat(libs)
        .filteredOn(l -> l.kind() == Kind.DRIVER)
        .extracting(Library::soname)
        .containsExactly("libcuda.so.1");
  }

  @Test
  void badLineNamesItsNumber() {
    assertThatThrownBy(() -> CudaLibraries.parse("# c\nlibx.so.1 required a\nliby.so.2 required\n"))
        .hasMessageContaining("line 3");
  }

  private Path dir(String name, String... files) throws IOException {
    Path d = tmp.resolve(name);
    Files.createDirectories(d);
    for (String f : files) Files.writeString(d.resolve(f), "");
    return d;
  }

  @Test
  void firstFolderWinsFoldersWithALibtorchAreSkippedThenTheLoaderCache() throws IOException {
    Path torchLib = dir("torch/lib", "libcudart.so.13", "libc10.so");
    Path a = dir("a", "libcudart.so.13");
    Path b = dir("b", "libcudart.so.13", "libcublas.so.13");
    Path cached = dir("cache", "libcudnn.so.9", "libcuda.so.1");
    Path torchCached = dir("torch2", "libnccl.so.2", "libtorch_cpu.so");
    List<Library> libs =
        List.of(
            new Library("libcudart.so.13", Kind.REQUIRED, "x"),
            new Library("libcublas.so.13", Kind.REQUIRED, "x"),
            new Library("libcudnn.so.9", Kind.REQUIRED, "x"),
            new Library("libnccl.so.2", Kind.REQUIRED, "x"),
            new Library("libcuda.so.1", Kind.DRIVER, "x"));
    Map<String, Path> cache =
        Map.of(
            "libcudnn.so.9", cached.resolve("libcudnn.so.9"),
            "libnccl.so.2", torchCached.resolve("libnccl.so.2"),
            "libcuda.so.1", cached.resolve("libcuda.so.1"));
    // the driver library in a search folder does not count: only the loader cache does
    Files.writeString(a.resolve("libcuda.so.1"), "");
    List<Location> r = CudaLibraries.locate(libs, List.of(torchLib, a, b), cache);
    assertThat(r.get(0).path()).isEqualTo(a.resolve("libcudart.so.13"));
    assertThat(r.get(0).skipped()).containsExactly(torchLib);
    assertThat(r.get(1).path()).isEqualTo(b.resolve("libcublas.so.13"));
    assertThat(r.get(2).how()).isEqualTo("loader cache");
    assertThat(r.get(3).found()).as("cached, but beside another libtorch").isFalse();
    assertThat(r.get(4).path()).isEqualTo(cached.resolve("libcuda.so.1"));
    assertThat(r.get(4).how()).isEqualTo("loader cache");
  }

  @Test
  void ldconfigOutputKeeps64BitEntriesFirstWins() {
    String text =
        "3 libs found in cache `/etc/ld.so.cache'\n"
            + "\tlibcudart.so.13 (libc6) => /usr/lib32/libcudart.so.13\n"
            + "\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.13\n"
            + "\tlibcudart.so.13 (libc6,x86-64) => /opt/other/libcudart.so.13\n"
            + "\tlibz.so.1 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libz.so.1\n";
    assertThat(CudaLibraries.parseLdconfig(text))
        .containsEntry("libcudart.so.13", Path.of("/usr/local/cuda/lib64/libcudart.so.13"))
        .containsEntry("libz.so.1", Path.of("/lib/x86_64-linux-gnu/libz.so.1"))
        .hasSize(2);
  }

  @Test
  void ldLibraryPathSplitSkipsEmptyEntries() {
    assertThat(CudaLibraries.splitPath("/a::/b:")).containsExactly(Path.of("/a"), Path.of("/b"));
    assertThat(CudaLibraries.splitPath(null)).isEmpty();
  }
}
