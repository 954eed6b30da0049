package io.grpo4j.torch;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * One {@code .safetensors} file, opened read-only. The header is parsed and fully validated on
 * {@link #open} (see {@link SafetensorsHeader} for the rules), so a file that opens can be read
 * without native surprises: every tensor's bytes lie inside the file and match its shape and dtype.
 *
 * <p>Tensor data is memory-mapped ({@link FileChannel#map}) region by region when read, in chunks
 * below 2 GiB, so files and tensors beyond 2 GiB work. {@link #read} copies into a fresh tensor
 * that owns its memory, so tensors stay valid after {@link #close}. Thread-safe for concurrent
 * reads.
 */
public final class SafetensorsFile implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private final SafetensorsHeader header;

  private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
    this.path = path;
    this.channel = channel;
    this.header = header;
  }

  /**
   * Opens and validates {@code file}; a malformed file throws {@link CheckpointFormatException}.
   */
  public static SafetensorsFile open(Path file) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "safetensors file does not exist");
    }
    try {
      return new SafetensorsFile(file, channel, SafetensorsHeader.read(file, channel));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  /** The tensors in header order ({@code __metadata__} excluded); unmodifiable. */
  public Map<String, TensorInfo> tensors() {
    return header.tensors();
  }

  /** The {@code __metadata__} map (empty if absent); unmodifiable. */
  public Map<String, String> metadata() {
    return header.metadata();
  }

  /** A new CPU tensor in the stored dtype that owns its memory (safe after {@link #close}). */
  public Tensor read(String name) throws IOException {
    return read(name, TensorBytes.CHUNK);
  }

  /**
   * {@link #read} with a chosen copy chunk size, so tests can exercise chunk boundaries cheaply.
   */
  Tensor read(String name, int chunkBytes) throws IOException {
    TensorInfo info = header.tensors().get(name);
    if (info == null) {
      throw new CheckpointFormatException(path, name, "no such tensor in this file");
    }
    if (!channel.isOpen()) throw new ClosedChannelException();
    long end = header.dataStart() + info.end();
    if (channel.size() < end) {
      // Mapping beyond the end of a file that shrank after open would fault in native code.
      throw new CheckpointFormatException(
          path,
          name,
          "file shrank to "
              + channel.size()
              + " bytes since it was opened; the tensor ends at "
              + end);
    }
    Tensor tensor = TensorBytes.empty(info.dtype(), info.shape());
    TensorBytes.readInto(
        channel, header.dataStart() + info.begin(), info.byteLength(), tensor, chunkBytes);
    return tensor;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // A read-only channel has nothing to flush; a failing close loses nothing.
    }
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
  }
}
