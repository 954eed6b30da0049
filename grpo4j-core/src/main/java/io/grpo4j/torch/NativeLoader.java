package io.grpo4j.torch;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.ClassProperties;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch (with its c10, gomp and OpenBLAS) from grpo4j's own natives jars and from nowhere
 * else, on the first run with an empty JavaCPP cache as on every later one, whatever other libtorch
 * the machine holds (a distribution's {@code python3-torch} in {@code /lib/x86_64-linux-gnu}, a
 * conda environment or a Python {@code torch/lib} on {@code LD_LIBRARY_PATH}).
 *
 * <p>Why JavaCPP 1.5.13 on its own can load a foreign libtorch ({@code Loader.load(torch.class)}):
 *
 * <ol>
 *   <li><b>Extract-then-load, one library at a time, in the presets' link order.</b> The pytorch
 *       presets declare {@code link = {"c10", "torch", "torch_cpu"}}; {@code Loader.load} walks
 *       preloads then links and, for each, {@code Loader.loadLibrary} extracts that one file from
 *       the jar into the cache and {@code System.load}s it. {@code libtorch.so} is a stub whose
 *       only DT_NEEDED is {@code libtorch_cpu.so} (RUNPATH {@code $ORIGIN}). On an empty cache it
 *       is loaded before {@code libtorch_cpu.so} has been extracted, so {@code $ORIGIN} holds no
 *       such file and ld.so goes on to the system folders: Debian's {@code
 *       /lib/x86_64-linux-gnu/libtorch_cpu.so} (PyTorch 1.13, soname {@code libtorch_cpu.so.1.13},
 *       with its own {@code libc10.so.1.13}) is mapped and initialised, and the next {@code
 *       System.load}, of grpo4j's {@code libtorch_cpu.so}, registers its operators into the other
 *       one's dispatcher: SIGSEGV in {@code pthread_mutex_lock}. On a filled cache {@code $ORIGIN}
 *       finds the file, which is why the second run worked. The GPU presets preload {@code
 *       c10_cuda} and {@code torch_cuda} before the links; {@code libtorch_cuda.so} needs {@code
 *       libtorch_cpu.so} and {@code libc10.so}, not yet extracted on an empty cache: CUDA failed to
 *       load ("CUDA is not available" on the first GPU run) or took a foreign libtorch.
 *   <li><b>LD_LIBRARY_PATH comes before RUNPATH.</b> Even on a filled cache, {@code libtorch.so}'s
 *       DT_NEEDED is looked up on {@code LD_LIBRARY_PATH} first, so a folder there with another
 *       {@code libtorch_cpu.so} wins because {@code libtorch_cpu.so} is not loaded yet.
 *   <li><b>No platform extension means every extension.</b> Without {@code
 *       org.bytedeco.javacpp.platform.extension}, {@code ClassProperties.load} also matches the
 *       presets' {@code -gpu} {@code @Platform} blocks ("when no extensions are given by user, but
 *       we are in library loading mode, try to load extensions anyway"), so the CPU build preloads
 *       cudart, cupti, cublas, … : {@code Loader.findLibrary} searches their {@code preloadpath}
 *       ({@code /usr/local/cuda/lib64}, {@code /lib64}, {@code /usr/lib}, …) and {@code
 *       Loader.loadLibrary} falls back to {@code System.loadLibrary} ({@code java.library.path},
 *       which on Debian's OpenJDK includes {@code /lib/x86_64-linux-gnu}). What it finds is loaded
 *       into the CPU process and, being in the "preloaded" list, symlinked into each cache folder
 *       extracted after it: that is how {@code /usr/local/cuda/lib64/libcudart.so.13} and {@code
 *       libcupti.so.13} appeared in the CPU build's cache.
 * </ol>
 *
 * <p>What {@link #load} does instead, once per process: {@link #configure} fixes the Loader's
 * properties (the platform extension of the natives on the class path, {@code pathsFirst=false});
 * every library of the natives jar is unpacked into the cache before any is loaded; the libraries
 * are loaded by absolute path in dependency order (OpenBLAS, gomp, c10, libtorch_cpu, libtorch),
 * each through {@code Loader.loadLibrary} under the name the presets use and with no fallback, so
 * that JavaCPP's own {@code Loader.load(torch.class)} afterwards finds them loaded and adds only
 * the JNI library; and {@code /proc/self/maps} is checked before (another libtorch already in the
 * process, e.g. through {@code LD_PRELOAD} or an embedding application) and after (any libtorch,
 * c10, gomp or OpenBLAS file from outside the natives' cache folders). Either finding fails with a
 * {@link ForeignLibtorchException} naming the files, never a JVM crash.
 *
 * <p>The GPU natives add: first the CUDA libraries they need, each from where ld.so would take it
 * (else from the presets' CUDA folders, as JavaCPP did), so that one copy of each is loaded; after
 * libtorch_cpu the CUDA backend (libc10_cuda, libtorch_cuda, libtorch_cuda_linalg, then
 * libtorch.so, which needs libtorch_cuda). A backend that does not load (CUDA libraries missing)
 * leaves a CPU-only libtorch and its error for {@link Cuda} to report; JavaCPP would then try those
 * libraries again and, where ours fails, take any other file of the name on its search paths, so
 * {@link #load} refuses, naming them, when one of those paths holds another libtorch.
 */
public final class NativeLoader {
  private NativeLoader() {}

  /** The Loader property that picks the {@code -gpu} presets ({@code ""} for the CPU natives). */
  public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

  /** The Loader property that would search system folders before the jar; kept false. */
  public static final String PATHS_FIRST_PROPERTY = "org.bytedeco.javacpp.pathsFirst";

  /** libtorch, c10, gomp and OpenBLAS files: the libraries that must come from our natives jars. */
  public static final Pattern OWN_FAMILIES =
      Pattern.compile("lib(torch[A-Za-z0-9_]*|c10[A-Za-z0-9_]*|gomp|openblas[A-Za-z0-9_]*)\\.so.*");

  /** libtorch and c10 files: another one of these in the process is a crash waiting to happen. */
  static final Pattern LIBTORCH =
      Pattern.compile("lib(torch[A-Za-z0-9_]*|c10[A-Za-z0-9_]*)\\.so.*");

  /** One library of the natives, as the presets name it and as the jar holds it. */
  private record Lib(String name, String file) {}

  private static final List<Lib> CPU_ORDER =
      List.of(
          new Lib("gomp@.1", "libgomp.so.1"),
          new Lib("c10", "libc10.so"),
          new Lib("torch_cpu", "libtorch_cpu.so"),
          new Lib("torch", "libtorch.so"));

  /** GPU natives: after {@link #CPU_ORDER} less libtorch.so, which needs libtorch_cuda.so. */
  private static final List<Lib> CUDA_ORDER =
      List.of(
          new Lib("c10_cuda", "libc10_cuda.so"),
          new Lib("torch_cuda", "libtorch_cuda.so"),
          new Lib("torch_cuda_linalg", "libtorch_cuda_linalg.so"),
          new Lib("torch", "libtorch.so"));

  private static boolean configured;
  private static volatile Natives loaded;
  private static RuntimeException failure;
  private static volatile String cudaError;
  private static volatile List<Path> unpacked = List.of();

  /**
   * Sets the JavaCPP Loader properties grpo4j relies on, before any Loader call where possible (the
   * launcher and Surefire pass the same on the command line): {@value #EXTENSION_PROPERTY} to
   * {@code -gpu} when libtorch's GPU natives are on the class path and to {@code ""} otherwise, so
   * the CPU build never preloads CUDA libraries; {@value #PATHS_FIRST_PROPERTY} to false, so
   * bundled files always come before system folders. If JavaCPP had already read its properties,
   * they are read again. Idempotent and cheap; loads nothing.
   */
  public static synchronized void configure() {
    if (configured) return;
    // read by Loader's static initialiser: set before the first use of the Loader class
    System.setProperty(PATHS_FIRST_PROPERTY, "false");
    System.setProperty("org.bytedeco.javacpp.pathsfirst", "false");
    System.setProperty(EXTENSION_PROPERTY, Natives.gpuOnClassPath() ? "-gpu" : "");
    Loader.loadProperties(true);
    configured = true;
  }

  /**
   * Loads grpo4j's libtorch (see the class comment) and says which it is; the first call does the
   * work, later ones return its result or throw its failure again.
   *
   * @throws ForeignLibtorchException when another libtorch is or would be in the process
   * @throws IllegalStateException when the natives are missing or do not load (the loader's error)
   */
  public static Natives load() {
    Natives n = loaded;
    if (n != null) return n;
    synchronized (NativeLoader.class) {
      if (loaded != null) return loaded;
      if (failure != null) throw failure;
      try {
        loaded = doLoad();
        return loaded;
      } catch (RuntimeException e) {
        failure = e;
        throw e;
      } catch (UnsatisfiedLinkError e) {
        failure = new IllegalStateException("libtorch did not load: " + e.getMessage(), e);
        throw failure;
      }
    }
  }

  /**
   * With the GPU natives, null when the CUDA backend loaded, else its first failure as {@code
   * "LIBRARY: LOADER ERROR"}; null with the CPU natives. Valid after {@link #load}.
   */
  static String cudaBackendError() {
    return cudaError;
  }

  /** The cache folders of the natives jars (libtorch's first, then OpenBLAS's), once unpacked. */
  public static List<Path> nativesFolders() {
    return unpacked;
  }

  private static Natives doLoad() {
    configure();
    boolean gpu = Natives.gpuOnClassPath();
    String platform = Loader.getPlatform();
    String torchDir = "org/bytedeco/pytorch/" + platform + (gpu ? "-gpu" : "") + "/";
    String blasDir = "org/bytedeco/openblas/" + platform + "/";
    Path folder;
    Path blasFolder;
    try {
      folder = unpack(torchDir, "libjnitorch.so");
      blasFolder = unpack(blasDir, "libopenblas.so.0");
    } catch (IOException e) {
      throw new IllegalStateException(
          "unpacking libtorch's natives into the JavaCPP cache "
              + Natives.cacheDir()
              + " failed: "
              + e.getMessage()
              + " (-Dorg.bytedeco.javacpp.cachedir=DIR picks another folder)",
          e);
    }
    List<Path> own = List.of(folder, blasFolder);
    unpacked = own;
    List<Path> before = foreign(mappedLibraries(), own, LIBTORCH);
    if (!before.isEmpty()) {
      throw new ForeignLibtorchException(
          "another libtorch is already loaded in this process: "
              + before
              + preloadHint()
              + ". grpo4j runs only the libtorch of its natives jar ("
              + folder
              + "); start it in a JVM of its own, without that library");
    }

    // OpenBLAS first: libtorch_cpu.so needs libopenblas.so.0 (JavaCPP's openblas presets load
    // their own libgcc_s, libquadmath, libgfortran and libopenblas from the openblas jar, in
    // order).
    Loader.load(org.bytedeco.openblas.global.openblas.class);
    if (gpu) preloadCudaRuntime(folder, blasFolder);
    for (Lib lib : CPU_ORDER) {
      if (gpu && lib.name().equals("torch")) continue;
      String err = loadOwn(folder, lib);
      if (err != null) {
        throw new IllegalStateException(
            "libtorch did not load: " + err + (gpu ? Cuda.missingHint() : ""));
      }
    }
    if (gpu) {
      List<Lib> missing = new ArrayList<>();
      for (Lib lib : CUDA_ORDER) {
        String err = cudaError == null ? loadOwn(folder, lib) : "not tried";
        if (err != null) {
          if (cudaError == null) cudaError = err;
          missing.add(lib);
        }
      }
      if (!missing.isEmpty()) refuseForeignRetry(folder, missing);
    }
    Loader.load(torch.class);

    List<Path> after = foreign(mappedLibraries(), own, OWN_FAMILIES);
    if (!after.isEmpty()) {
      throw new ForeignLibtorchException(
          "libraries from outside grpo4j's natives were loaded beside its libtorch: "
              + after
              + preloadHint()
              + ". grpo4j runs only the libtorch, c10, gomp and OpenBLAS of its natives jars ("
              + folder
              + ", "
              + blasFolder
              + ")");
    }
    String version;
    try {
      version = Loader.getVersion("org.bytedeco", "pytorch", torch.class);
    } catch (IOException e) {
      version = null;
    }
    return new Natives(gpu ? "gpu" : "cpu", version == null ? "unknown" : version, folder);
  }

  /**
   * Unpacks every shared library of the jar folder {@code dir} (e.g. {@code
   * org/bytedeco/pytorch/linux-x86_64/}) into JavaCPP's cache, exactly where {@code
   * Loader.loadLibrary} would put it, and returns that cache folder. {@code probe} names a file the
   * folder must hold. Natives on disk (an unpacked class path) are used where they are.
   */
  static Path unpack(String dir, String probe) throws IOException {
    URL url = NativeLoader.class.getResource("/" + dir + probe);
    if (url == null) {
      throw new IllegalStateException(
          "no /"
              + dir
              + probe
              + " on the class path: add grpo4j-natives-cpu (or grpo4j-natives-gpu) to the"
              + " dependencies");
    }
    if (url.getProtocol().equals("file")) {
      try {
        return Path.of(url.toURI()).getParent();
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
    }
    URLConnection c = url.openConnection();
    if (!(c instanceof JarURLConnection jc)) {
      return Loader.cacheResource(url).toPath().getParent();
    }
    // the JDK's shared JarFile (as JavaCPP uses it): not closed here
    List<String> names = new ArrayList<>();
    for (JarEntry e : (Iterable<JarEntry>) jc.getJarFile().stream()::iterator) {
      String name = e.getName();
      if (!e.isDirectory()
          && name.startsWith(dir)
          && name.indexOf('/', dir.length()) < 0
          && name.substring(dir.length()).matches("lib[^/]+\\.so(\\.[0-9]+)*")) {
        names.add(name);
      }
    }
    Path folder = null;
    for (String name : names) {
      URL u = new URL("jar:" + jc.getJarFileURL() + "!/" + name);
      Path f = Loader.cacheResource(u).toPath();
      if (name.endsWith("/" + probe)) folder = f.getParent();
    }
    if (folder == null) throw new IOException("could not unpack " + url);
    return folder;
  }

  /**
   * Loads {@code folder/lib.file()} through JavaCPP under the presets' name, with no fallback to
   * any other file; returns null, or the loader's error as {@code "FILE: ERROR"}.
   */
  private static String loadOwn(Path folder, Lib lib) {
    Path f = folder.resolve(lib.file());
    if (!Files.isRegularFile(f)) return lib.file() + ": not in the natives (" + folder + ")";
    try {
      // the trailing '#' stops Loader.loadLibrary from falling back to System.loadLibrary
      String got = Loader.loadLibrary(torch.class, new URL[] {f.toUri().toURL()}, lib.name() + "#");
      if (got != null) return null;
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      return lib.file() + ": " + e.getMessage();
    }
    // JavaCPP swallowed the error: load once more directly to get it
    try {
      System.load(f.toString());
      return null;
    } catch (UnsatisfiedLinkError e) {
      return lib.file() + ": " + e.getMessage();
    }
  }

  /**
   * GPU natives: loads each CUDA library they need (cuda-libraries.txt, in the order of the
   * presets' preload list, under the presets' names so that JavaCPP's own preloads find them
   * loaded) from where ld.so would take it (LD_LIBRARY_PATH, then its cache; folders holding a
   * libtorch never), else from the presets' CUDA folders ({@code /usr/local/cuda/lib64}, …) as
   * JavaCPP would. One copy of each, the one libtorch's DT_NEEDED resolves to. A library found
   * nowhere is left out: the CUDA backend's own load then names it.
   */
  private static void preloadCudaRuntime(Path folder, Path blasFolder) {
    ClassProperties p = Loader.loadProperties(torch.class, Loader.loadProperties(), true);
    Set<String> needed = new LinkedHashSet<>();
    for (CudaLibraries.Library l : CudaLibraries.list()) {
      if (l.kind() != CudaLibraries.Kind.DRIVER) needed.add(l.soname());
    }
    List<Path> ld = CudaLibraries.ldLibraryPath();
    Map<String, Path> ldCache = CudaLibraries.loaderCache();
    for (String name : p.get("platform.preload")) {
      String n = name.endsWith("!") ? name.substring(0, name.length() - 1) : name;
      if (n.contains("#") || n.contains(":")) continue;
      String soname = soname(n);
      if (!needed.contains(soname)
          || Files.exists(folder.resolve(soname))
          || Files.exists(blasFolder.resolve(soname))) {
        continue;
      }
      CudaLibraries.Location where =
          CudaLibraries.locate(
                  List.of(new CudaLibraries.Library(soname, CudaLibraries.Kind.REQUIRED, "")),
                  ld,
                  ldCache)
              .get(0);
      List<URL> urls = new ArrayList<>();
      try {
        if (where.found()) {
          urls.add(where.path().toUri().toURL());
        } else {
          for (URL u : Loader.findLibrary(torch.class, p, n)) {
            Path f = fileOf(u);
            // a file outside any libtorch folder, or a CUDA natives jar (…:linux-x86_64-redist)
            if (f == null
                ? !u.getProtocol().equals("file")
                : !CudaLibraries.holdsLibtorch(f.getParent())) {
              urls.add(u);
            }
          }
        }
        if (!urls.isEmpty()) Loader.loadLibrary(torch.class, urls.toArray(URL[]::new), n + "#");
      } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
        // as JavaCPP's preloads: the CUDA backend's own load names what is missing
      }
    }
  }

  /** {@code cudart@.13} → {@code libcudart.so.13}. */
  static String soname(String presetName) {
    String[] s = presetName.split("@");
    return "lib" + s[0] + ".so" + (s.length > 1 ? s[s.length - 1] : "");
  }

  private static Path fileOf(URL u) {
    if (!u.getProtocol().equals("file")) return null;
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException | IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * GPU natives whose CUDA backend did not load ({@code missing}): JavaCPP's {@code
   * Loader.load(torch.class)} will try those libraries again, and where our file fails it goes on
   * to any other file of that name in its preload folders, then {@code System.loadLibrary} ({@code
   * java.library.path}); ld.so looks for their DT_NEEDED on LD_LIBRARY_PATH first. Refuses, naming
   * them, when any of these holds another libtorch; otherwise JavaCPP only fails again on ours.
   */
  private static void refuseForeignRetry(Path folder, List<Lib> missing) {
    ClassProperties p = Loader.loadProperties(torch.class, Loader.loadProperties(), true);
    Set<Path> foreign = new LinkedHashSet<>();
    List<Path> javaPath = CudaLibraries.splitPath(System.getProperty("java.library.path", ""));
    for (Lib lib : missing) {
      for (URL u : Loader.findLibrary(torch.class, p, lib.name())) {
        Path f = fileOf(u);
        if (f != null && !real(f.getParent()).equals(real(folder))) foreign.add(f);
      }
      for (Path d : javaPath) {
        Path f = d.resolve(lib.file());
        if (Files.exists(f) && !real(d).equals(real(folder))) foreign.add(f);
      }
    }
    for (Path d : CudaLibraries.ldLibraryPath()) {
      if (!real(d).equals(real(folder)) && CudaLibraries.holdsLibtorch(d)) foreign.add(d);
    }
    if (!foreign.isEmpty()) {
      throw new ForeignLibtorchException(
          "libtorch's CUDA backend did not load ("
              + cudaError
              + "), and JavaCPP would then try another libtorch in its place: "
              + foreign
              + " (its preload folders, java.library.path, LD_LIBRARY_PATH). Make the CUDA"
              + " libraries available (./grpo4j --gpu doctor lists them) or remove those files"
              + " from these paths");
    }
  }

  /**
   * Another libtorch file on this machine, where a loader could come across it.
   *
   * @param how {@code loader cache}, {@code LD_LIBRARY_PATH}, {@code java.library.path} or {@code
   *     JavaCPP preload path}
   */
  public record Elsewhere(Path path, String how) {}

  /**
   * The libtorch_cpu and libc10 files of other libtorch installations that this process's loaders
   * could find (ld.so's cache, LD_LIBRARY_PATH, java.library.path, the presets' preload folders),
   * outside grpo4j's natives folders: {@code doctor} names them. {@link #load} never loads them.
   */
  public static List<Elsewhere> otherLibtorch() {
    Pattern key = Pattern.compile("lib(torch_cpu|c10)\\.so(\\.[0-9.]+)?");
    Map<Path, Elsewhere> out = new LinkedHashMap<>();
    List<Path> own = new ArrayList<>();
    for (Path o : unpacked) own.add(real(o));
    java.util.function.BiConsumer<Path, String> add =
        (f, how) -> {
          if (!Files.exists(f)) return;
          Path r = real(f);
          if (own.contains(r.getParent())) return;
          out.putIfAbsent(r, new Elsewhere(f, how));
        };
    for (Map.Entry<String, Path> e : CudaLibraries.loaderCache().entrySet()) {
      if (key.matcher(e.getKey()).matches()) add.accept(e.getValue(), "loader cache");
    }
    Map<String, List<Path>> folders = new LinkedHashMap<>();
    folders.put("LD_LIBRARY_PATH", CudaLibraries.ldLibraryPath());
    folders.put(
        "java.library.path", CudaLibraries.splitPath(System.getProperty("java.library.path", "")));
    List<Path> preload = new ArrayList<>();
    try {
      ClassProperties p = Loader.loadProperties(torch.class, Loader.loadProperties(), true);
      for (String d : p.get("platform.preloadpath")) preload.add(Path.of(d));
    } catch (RuntimeException | LinkageError e) {
      // no presets on the class path: nothing to list
    }
    folders.put("JavaCPP preload path", preload);
    for (Map.Entry<String, List<Path>> e : folders.entrySet()) {
      for (Path d : e.getValue()) {
        try (var files = Files.list(d)) {
          files
              .filter(f -> key.matcher(f.getFileName().toString()).matches())
              .sorted()
              .forEach(f -> add.accept(f, e.getKey()));
        } catch (IOException | RuntimeException ex) {
          // not a readable folder
        }
      }
    }
    return List.copyOf(out.values());
  }

  private static String preloadHint() {
    String pre = System.getenv("LD_PRELOAD");
    return pre == null || pre.isBlank() ? "" : " (LD_PRELOAD=" + pre + ")";
  }

  /**
   * The files in {@code mapped} whose names match {@code family} and that lie outside every one of
   * {@code own} (compared as real paths).
   */
  static List<Path> foreign(List<Path> mapped, List<Path> own, Pattern family) {
    List<Path> ownReal = new ArrayList<>();
    for (Path o : own) ownReal.add(real(o));
    List<Path> out = new ArrayList<>();
    for (Path m : mapped) {
      if (m.getFileName() == null || !family.matcher(m.getFileName().toString()).matches()) {
        continue;
      }
      Path dir = real(m).getParent();
      if (!ownReal.contains(dir)) out.add(m);
    }
    return out;
  }

  private static Path real(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  /**
   * The shared libraries mapped into this process ({@code /proc/self/maps}), each once, in order of
   * appearance; empty where there is no /proc.
   */
  public static List<Path> mappedLibraries() {
    return mappedLibraries(Path.of("/proc/self/maps"));
  }

  /** The shared libraries a {@code /proc/PID/maps} file lists, each once; empty if unreadable. */
  public static List<Path> mappedLibraries(Path maps) {
    List<String> lines;
    try {
      lines = Files.readAllLines(maps);
    } catch (IOException e) {
      return List.of();
    }
    return parseMaps(lines);
  }

  /** Parses {@code /proc/PID/maps} lines: the path column of each mapped {@code .so} file. */
  static List<Path> parseMaps(List<String> lines) {
    Set<Path> out = new LinkedHashSet<>();
    for (String line : lines) {
      int slash = line.indexOf('/');
      if (slash < 0) continue;
      String path = line.substring(slash).strip();
      if (path.endsWith(" (deleted)")) path = path.substring(0, path.length() - 10);
      String name = path.substring(path.lastIndexOf('/') + 1);
      if (name.contains(".so")) out.add(Path.of(path));
    }
    return List.copyOf(out);
  }
}
