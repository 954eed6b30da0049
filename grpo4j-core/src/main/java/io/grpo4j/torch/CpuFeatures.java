package io.grpo4j.torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the CPU can do for bf16, from the kernel's own list of CPU flags ({@code /proc/cpuinfo}):
 * AMX ({@code amx_bf16} with {@code amx_tile}: Intel Sapphire Rapids and later) or AVX-512 BF16
 * ({@code avx512_bf16}: Intel Cooper Lake and later, AMD Zen 4 and later). Where neither is there,
 * libtorch's CPU bf16 products run tens of times slower than f32 (docs/performance.md), so {@code
 * model.dtype: auto} picks f32 there ({@link DType#resolve}).
 *
 * @param model the CPU's model name ("unknown" when not on Linux)
 * @param flags the flags that matter for bf16 and int8 found (amx_bf16, amx_tile, amx_int8,
 *     avx512_bf16, avx512f, avx2)
 */
public record CpuFeatures(String model, Set<String> flags) {
  private static final Set<String> INTERESTING =
      Set.of("amx_bf16", "amx_tile", "amx_int8", "avx512_bf16", "avx512f", "avx2");

  private static volatile CpuFeatures cached;

  /** This machine's (read once). */
  public static CpuFeatures detect() {
    if (cached == null) cached = read(Path.of("/proc/cpuinfo"));
    return cached;
  }

  /** Parses a {@code /proc/cpuinfo}; a missing or unreadable file gives no flags. */
  public static CpuFeatures read(Path cpuinfo) {
    try {
      return parse(Files.readString(cpuinfo));
    } catch (IOException | RuntimeException e) {
      return new CpuFeatures("unknown", Set.of());
    }
  }

  /** From the text of a {@code /proc/cpuinfo}: the first processor's model name and flags. */
  public static CpuFeatures parse(String cpuinfo) {
    String model = "unknown";
    Set<String> found = new TreeSet<>();
    boolean flagsSeen = false;
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) continue;
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (key.equals("model name") && model.equals("unknown")) model = value;
      if (key.equals("flags") && !flagsSeen) {
        flagsSeen = true;
        Arrays.stream(value.split("\\s+")).filter(INTERESTING::contains).forEach(found::add);
      }
    }
    return new CpuFeatures(model, Set.copyOf(found));
  }

  /** Intel AMX with bf16 tiles. */
  public boolean amx() {
    return flags.contains("amx_bf16") && flags.contains("amx_tile");
  }

  public boolean avx512Bf16() {
    return flags.contains("avx512_bf16");
  }

  /** True when bf16 products have hardware behind them (AMX or AVX-512 BF16). */
  public boolean bf16Units() {
    return amx() || avx512Bf16();
  }

  /** e.g. "AMD EPYC (avx512_bf16; no AMX): bf16 units yes". */
  public String describe() {
    String units =
        amx() ? "AMX bf16" : avx512Bf16() ? "avx512_bf16; no AMX" : "no AMX, no avx512_bf16";
    return model + " (" + units + "): bf16 units " + (bf16Units() ? "yes" : "no");
  }
}
