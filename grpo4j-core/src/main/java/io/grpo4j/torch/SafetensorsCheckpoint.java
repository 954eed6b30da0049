package io.grpo4j.torch;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Tensor;

/**
 * The weights of a Hugging Face checkpoint folder: either one {@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor:
 * shard file}}}). As in transformers, {@code model.safetensors} wins when both are present.
 *
 * <p>Opening validates every shard's header and that the index and the shards agree (each listed
 * tensor is in its shard, no shard holds unlisted tensors), so the model loader can rely on {@link
 * #names()} and {@link #info}. {@link #write} produces the same layout transformers' {@code
 * save_pretrained} does, so Python tools load grpo4j checkpoints unchanged.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";
  private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
  private static final int MAX_LISTED = 20;

  private final Path dir;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileOf;

  private SafetensorsCheckpoint(
      Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOf) {
    this.dir = dir;
    this.files = files;
    this.fileOf = fileOf;
  }

  /** Opens the weights of the checkpoint folder {@code dir}. */
  public static SafetensorsCheckpoint open(Path dir) throws IOException {
    Path single = dir.resolve(SINGLE_FILE);
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(single)) {
      SafetensorsFile file = SafetensorsFile.open(single);
      Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
      file.tensors().keySet().forEach(name -> fileOf.put(name, file));
      return new SafetensorsCheckpoint(dir, List.of(file), Collections.unmodifiableMap(fileOf));
    }
    if (Files.isRegularFile(index)) return openSharded(dir, index);
    throw new CheckpointFormatException(
        dir,
        null,
        "no " + SINGLE_FILE + " and no " + INDEX_FILE + ": not a safetensors checkpoint folder");
  }

  private static SafetensorsCheckpoint openSharded(Path dir, Path index) throws IOException {
    Map<String, String> weightMap = readWeightMap(index);
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    try {
      Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
      for (var entry : weightMap.entrySet()) {
        String shardName = entry.getValue();
        SafetensorsFile shard = shards.get(shardName);
        if (shard == null) {
          Path shardPath = dir.resolve(shardName);
          if (!Files.isRegularFile(shardPath)) {
            throw new CheckpointFormatException(
                index,
                entry.getKey(),
                "weight_map names shard '" + shardName + "', which does not exist in " + dir);
          }
          shard = SafetensorsFile.open(shardPath);
          shards.put(shardName, shard);
        }
        if (!shard.tensors().containsKey(entry.getKey())) {
          throw new CheckpointFormatException(
              shard.path(),
              entry.getKey(),
              "listed in " + INDEX_FILE + " for this shard, but the shard does not hold it");
        }
        fileOf.put(entry.getKey(), shard);
      }
      for (SafetensorsFile shard : shards.values()) {
        for (String name : shard.tensors().keySet()) {
          if (fileOf.get(name) != shard) {
            throw new CheckpointFormatException(
                shard.path(),
                name,
                "held by this shard but " + INDEX_FILE + " does not map it here");
          }
        }
      }
      return new SafetensorsCheckpoint(
          dir, List.copyOf(shards.values()), Collections.unmodifiableMap(fileOf));
    } catch (IOException | RuntimeException e) {
      shards.values().forEach(SafetensorsFile::close);
      throw e;
    }
  }

  private static Map<String, String> readWeightMap(Path index) throws IOException {
    JsonNode root;
    try {
      root = SafetensorsHeader.JSON.readTree(Files.readString(index));
    } catch (JacksonException e) {
      throw new CheckpointFormatException(
          index, null, "not valid JSON: " + e.getOriginalMessage(), e);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new CheckpointFormatException(index, null, "not valid UTF-8", e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new CheckpointFormatException(
          index, null, "expected a JSON object with a \"weight_map\" object");
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (var entry : map.properties()) {
      JsonNode file = entry.getValue();
      if (!file.isTextual() || !isPlainFileName(file.textValue())) {
        throw new CheckpointFormatException(
            index,
            entry.getKey(),
            "weight_map must give a shard file name in this folder, found " + file);
      }
      weightMap.put(entry.getKey(), file.textValue());
    }
    return weightMap;
  }

  /** A shard must sit next to its index: no folders, no way out of the checkpoint. */
  private static boolean isPlainFileName(String name) {
    return !name.isEmpty()
        && !name.equals(".")
        && !name.equals("..")
        && name.indexOf('/') < 0
        && name.indexOf('\\') < 0
        && name.indexOf('\0') < 0;
  }

  /** Every tensor name, in the order of the file or index; unmodifiable. */
  public Set<String> names() {
    return fileOf.keySet();
  }

  /** Where and how {@code name} is stored; {@link NoSuchElementException} if absent. */
  public TensorInfo info(String name) {
    SafetensorsFile file = fileOf.get(name);
    if (file == null)
      throw new NoSuchElementException(dir + ": no tensor '" + name + "' in this checkpoint");
    return file.tensors().get(name);
  }

  /** The file that holds {@code name}. */
  public Path fileOf(String name) {
    info(name);
    return fileOf.get(name).path();
  }

  /** A new CPU tensor in the stored dtype that owns its memory. */
  public Tensor read(String name) throws IOException {
    SafetensorsFile file = fileOf.get(name);
    if (file == null)
      throw new CheckpointFormatException(dir, name, "no such tensor in this checkpoint");
    return file.read(name);
  }

  /**
   * Checks that the checkpoint holds exactly the tensors a model expects. Names in {@code
   * ignorable} are never reported, present or absent (e.g. a tied {@code lm_head.weight}, or
   * buffers such as {@code rotary_emb.inv_freq} that some writers save).
   */
  public void requireNames(Set<String> expected, Set<String> ignorable)
      throws CheckpointFormatException {
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(names());
    missing.removeAll(ignorable);
    Set<String> unexpected = new TreeSet<>(names());
    unexpected.removeAll(expected);
    unexpected.removeAll(ignorable);
    if (missing.isEmpty() && unexpected.isEmpty()) return;
    List<String> parts = new ArrayList<>();
    if (!missing.isEmpty())
      parts.add(count(missing.size(), "missing tensor") + ": " + listed(missing));
    if (!unexpected.isEmpty())
      parts.add(count(unexpected.size(), "unexpected tensor") + ": " + listed(unexpected));
    throw new CheckpointFormatException(
        dir, null, "tensor names do not match the model: " + String.join("; ", parts));
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String listed(Set<String> names) {
    List<String> shown = names.stream().limit(MAX_LISTED).toList();
    String more =
        names.size() > MAX_LISTED ? ", ... and " + (names.size() - MAX_LISTED) + " more" : "";
    return String.join(", ", shown) + more;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }

  /**
   * Writes the tensors of a model into {@code dir} as transformers does: {@code model.safetensors}
   * when they fit one shard of {@code maxShardBytes}, otherwise shards {@code
   * model-00001-of-0000N.safetensors} (filled in map order, a new shard starting whenever the next
   * tensor would overflow the current one; a tensor larger than the limit gets a shard of its own)
   * plus {@code model.safetensors.index.json}. Each file carries {@code {"format": "pt"}}, which
   * transformers requires. Files of an earlier save in the folder that this one does not replace
   * (the single file, the index, other shards) are removed after the new files are in place.
   *
   * <p>Each file is replaced atomically, but the folder as a whole is not: a reader during the save
   * may see a mix. Checkpoints meant to survive crashes should be written to a fresh folder.
   */
  public static void write(Path dir, SequencedMap<String, Tensor> tensors, long maxShardBytes)
      throws IOException {
    if (maxShardBytes <= 0)
      throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
    Files.createDirectories(dir);
    Map<String, String> metadata = Map.of("format", "pt");
    List<SequencedMap<String, Tensor>> shards = new ArrayList<>();
    long total = 0;
    long inShard = 0;
    for (var entry : tensors.entrySet()) {
      long bytes = SafetensorsWriter.byteLength(entry.getKey(), entry.getValue());
      if (shards.isEmpty() || (inShard > 0 && inShard + bytes > maxShardBytes)) {
        shards.add(new LinkedHashMap<>());
        inShard = 0;
      }
      shards.getLast().put(entry.getKey(), entry.getValue());
      inShard += bytes;
      total += bytes;
    }
    Set<String> written = new HashSet<>();
    // Like transformers, a save that fits one shard is the plain single file.
    if (shards.size() <= 1) {
      SafetensorsWriter.write(dir.resolve(SINGLE_FILE), tensors, metadata);
      written.add(SINGLE_FILE);
    } else {
      Map<String, String> weightMap = new TreeMap<>();
      for (int i = 0; i < shards.size(); i++) {
        String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
        SafetensorsWriter.write(dir.resolve(name), shards.get(i), metadata);
        shards.get(i).keySet().forEach(t -> weightMap.put(t, name));
        written.add(name);
      }
      AtomicFiles.writeString(dir.resolve(INDEX_FILE), indexJson(total, weightMap));
      written.add(INDEX_FILE);
    }
    removeStale(dir, written);
  }

  /**
   * The index as transformers writes it: {@code json.dumps(index, indent=2, sort_keys=True) +
   * "\n"}.
   */
  static String indexJson(long totalSize, Map<String, String> weightMap) throws IOException {
    ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
    root.putObject("metadata").put("total_size", totalSize);
    ObjectNode map = root.putObject("weight_map");
    new TreeMap<>(weightMap).forEach(map::put);
    var printer =
        new DefaultPrettyPrinter(
                Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withRootSeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"));
    return SafetensorsHeader.JSON.writer(printer).writeValueAsString(root) + "\n";
  }

  private static void removeStale(Path dir, Set<String> written) throws IOException {
    Set<String> stale = new LinkedHashSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        boolean ours =
            name.equals(SINGLE_FILE)
                || name.equals(INDEX_FILE)
                || SHARD_NAME.matcher(name).matches();
        if (ours && !written.contains(name)) stale.add(name);
      }
    }
    // The index goes first, so that no moment leaves an index pointing at deleted shards.
    if (stale.remove(INDEX_FILE)) Files.deleteIfExists(dir.resolve(INDEX_FILE));
    for (String name : stale) Files.deleteIfExists(dir.resolve(name));
  }
}
