package io.grpo4j.torch;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a reader (or a crash) sees either the old content or the new one, never a
 * half-written file: the body writes a temporary file in the target's folder, which is flushed to
 * disk ({@code fsync}) and then renamed over the target with {@code ATOMIC_MOVE}. Every file grpo4j
 * writes (checkpoints, configs, metrics snapshots, trainer state) should go through here, because a
 * run must be resumable after being killed at any instant.
 *
 * <p>The temporary file is named {@code .<target name>.<random>.tmp}, is created with the default
 * permissions of the process (not the owner-only mode of {@link Files#createTempFile}), and is
 * deleted if the body fails. Missing parent folders are created.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code target} from a stream; the stream is buffered, flushed and synced for you. */
  public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
    writeChannel(
        target,
        channel -> {
          // The wrapper must not close the channel: writeChannel syncs and closes it.
          OutputStream raw = Channels.newOutputStream(channel);
          var out = new BufferedOutputStream(nonClosing(raw), 1 << 16);
          body.accept(out);
          out.flush();
        });
  }

  /** Writes {@code text} as UTF-8. */
  public static void writeString(Path target, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    write(target, out -> out.write(bytes));
  }

  /**
   * Writes {@code target} through a {@link FileChannel}, for bodies that move large direct or
   * native buffers without copying them through the Java heap. The body must not close the channel.
   */
  public static void writeChannel(Path target, IOConsumer<FileChannel> body) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(temporaryName(absolute.getFileName().toString()));
    boolean moved = false;
    try {
      try (FileChannel channel =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        body.accept(channel);
        channel.force(true);
      }
      try {
        Files.move(
            tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            "cannot replace "
                + absolute
                + " atomically: the file system does not support atomic rename",
            e);
      }
      moved = true;
      syncDirectory(dir);
    } finally {
      if (!moved) Files.deleteIfExists(tmp);
    }
  }

  /**
   * Makes the rename itself durable; not every platform can open a folder for this, so best effort.
   */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // The content is synced already; only the rename's durability is left to the OS.
    }
  }

  private static String temporaryName(String name) {
    // Keep the temporary name within the usual 255-byte file-name limit.
    if (name.length() > 200) name = name.substring(0, 200);
    byte[] random = new byte[6];
    ThreadLocalRandom.current().nextBytes(random);
    return "." + name + "." + HexFormat.of().formatHex(random) + ".tmp";
  }

  private static OutputStream nonClosing(OutputStream out) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }
}
