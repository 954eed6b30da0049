package io.grpo4j.torch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code manifest.json}: the size and SHA-256 of every other file in a checkpoint folder, written
 * last. A folder whose manifest is missing, or whose files differ from it in any byte, is not a
 * checkpoint grpo4j will load: a kill, a full disk or bit rot can leave a folder that looks
 * complete by name but is not, and training on from such weights would silently corrupt a run.
 *
 * <p>The manifest lists regular files at the folder's top level (HF checkpoints are flat); files
 * whose names start with a dot (temporary files) are ignored on both sides.
 */
public final class CheckpointManifest {
  public static final String FILE = "manifest.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CheckpointManifest() {}

  /**
   * Hashes every file of {@code dir} and writes the manifest atomically; call after all other
   * files.
   */
  public static void write(Path dir) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", "grpo4j-manifest-1");
    root.put("algorithm", "SHA-256");
    ObjectNode files = root.putObject("files");
    for (Path f : listed(dir)) {
      ObjectNode e = files.putObject(f.getFileName().toString());
      e.put("bytes", Files.size(f));
      e.put("sha256", sha256(f));
    }
    AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(root) + "\n");
  }

  /**
   * Checks {@code dir} against its manifest: every listed file present with its size and hash
   * (files added later are not checked). Throws {@link CheckpointFormatException} naming the first
   * file at fault.
   */
  public static void verify(Path dir) throws IOException {
    Path manifest = dir.resolve(FILE);
    if (!Files.isRegularFile(manifest)) {
      throw new CheckpointFormatException(
          manifest, null, "missing: the checkpoint is incomplete (its manifest is written last)");
    }
    JsonNode files;
    try {
      files = JSON.readTree(Files.readAllBytes(manifest)).path("files");
    } catch (JsonProcessingException e) {
      throw new CheckpointFormatException(
          manifest, null, "not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!files.isObject() || files.isEmpty()) {
      throw new CheckpointFormatException(
          manifest, null, "expected a non-empty object 'files' mapping names to {bytes, sha256}");
    }
    Map<String, JsonNode> expected = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
      var e = it.next();
      expected.put(e.getKey(), e.getValue());
    }
    for (var e : expected.entrySet()) {
      String name = e.getKey();
      if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
        throw new CheckpointFormatException(
            manifest, null, "lists '" + name + "', which is not a plain file name");
      }
      Path f = dir.resolve(name);
      if (!Files.isRegularFile(f))
        throw new CheckpointFormatException(f, null, "listed in " + FILE + " but missing");
      long size = Files.size(f);
      long want = e.getValue().path("bytes").asLong(-1);
      if (size != want) {
        throw new CheckpointFormatException(
            f,
            null,
            "has " + size + " bytes but " + FILE + " records " + want + " (truncated or replaced)");
      }
      String hash = sha256(f);
      if (!hash.equals(e.getValue().path("sha256").asText())) {
        throw new CheckpointFormatException(
            f, null, "SHA-256 " + hash + " differs from " + FILE + " (the file is corrupted)");
      }
    }
  }

  /** Whether {@code dir} has a manifest at all (HF folders from elsewhere do not). */
  public static boolean present(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE));
  }

  private static List<Path> listed(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir + " (checkpoint folder)");
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) {
        String n = p.getFileName().toString();
        if (!n.equals(FILE) && !n.startsWith(".") && Files.isRegularFile(p)) out.add(p);
      }
    }
    return out;
  }

  static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
