package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointManifestTest {
  @TempDir Path dir;

  @BeforeEach
  void folder() throws Exception {
    Files.writeString(dir.resolve("config.json"), "{\"a\": 1}\n");
    Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    Files.writeString(dir.resolve(".ignored.tmp"), "half");
    CheckpointManifest.write(dir);
  }

  @Test
  void recordsTheKnownSha256OfEveryFile() throws Exception {
    String m = Files.readString(dir.resolve(CheckpointManifest.FILE));
    // sha256 of the bytes 01..08, computed independently (Python hashlib.sha256(bytes(range(1,
    // 9))))
    assertThat(m).contains("66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72");
    assertThat(m).contains("config.json").doesNotContain(".ignored.tmp");
    CheckpointManifest.verify(dir);
  }

  @Test
  void aChangedByteIsRefusedNamingTheFile() throws Exception {
    Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 9});
    assertThatThrownBy(() -> CheckpointManifest.verify(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(dir.resolve("model.safetensors").toString())
        .hasMessageContaining("SHA-256");
  }

  @Test
  void aTruncatedOrMissingFileOrManifestIsRefusedNamingIt() throws Exception {
    Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> CheckpointManifest.verify(dir))
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("3 bytes");
    Files.delete(dir.resolve("config.json"));
    assertThatThrownBy(() -> CheckpointManifest.verify(dir))
        .hasMessageContaining("config.json")
        .hasMessageContaining("missing");
    Files.delete(dir.resolve(CheckpointManifest.FILE));
    assertThatThrownBy(() -> CheckpointManifest.verify(dir))
        .hasMessageContaining(CheckpointManifest.FILE)
        .hasMessageContaining("incomplete");
  }

  @Test
  void aManifestNamingAPathOutsideTheFolderIsRefused() throws Exception {
    Files.writeString(
        dir.resolve(CheckpointManifest.FILE),
        "{\"files\": {\"../x\": {\"bytes\": 1, \"sha256\": \"00\"}}}");
    assertThatThrownBy(() -> CheckpointManifest.verify(dir))
        .hasMessageContaining("not a plain file name");
  }
}
