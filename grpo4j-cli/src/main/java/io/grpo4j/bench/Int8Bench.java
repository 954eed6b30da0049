package io.grpo4j.bench;

import io.grpo4j.model.Qwen2Config;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Int8Kernel;
import io.grpo4j.torch.Int8Weights;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * The matrix products of one decode step of a Qwen2 shape (per layer: fused q/k/v, o, fused
 * gate/up, down; then the LM head), timed three ways at a few batch sizes: the compute dtype's
 * weights ({@code torch.linear}), int8 weights widened per call ({@link Int8Weights#matmul}), and
 * int8 weights read by {@link Int8Kernel} (CUDA only). Each figure is the median of {@code repeats}
 * timings of {@code iterations} back-to-back calls (the device synchronised around each timing),
 * with the bytes of weights a call reads over that time. The kernel's outputs are checked against
 * the widened product's (largest difference relative to the largest output).
 */
public final class Int8Bench {
  private Int8Bench() {}

  /** One (batch, form) figure: time of one decode step's products, and the GB/s that means. */
  public record Row(int batch, String form, double stepSeconds, double weightBytes, double diff) {
    public double gbPerS() {
      return weightBytes / stepSeconds / 1e9;
    }
  }

  /**
   * @param deviceName {@code cpu}, {@code cuda} or {@code cuda:N}
   */
  public static List<Row> run(
      Qwen2Config c, DType dtype, String deviceName, int[] batches, int iterations, int repeats) {
    Device device = new Device(deviceName);
    List<Row> rows = new ArrayList<>();
    long h = c.hiddenSize();
    long[][] shapes = { // [out, in] of each product of a decode step
      {(long) (c.numAttentionHeads() + 2L * c.numKeyValueHeads()) * c.headDim(), h},
      {h, (long) c.numAttentionHeads() * c.headDim()},
      {2L * c.intermediateSize(), h},
      {h, c.intermediateSize()},
      {c.vocabSize(), h}
    };
    int layers = c.numHiddenLayers();
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      List<Tensor> dense = new ArrayList<>();
      List<Tensor> values = new ArrayList<>();
      List<Tensor> scales = new ArrayList<>();
      double denseBytes = 0;
      double int8Bytes = 0;
      for (int i = 0; i < shapes.length; i++) {
        long[] s = shapes[i];
        int times = i == shapes.length - 1 ? 1 : layers;
        Tensor w =
            torch
                .randn(s, Tensors.options(DType.F32, device))
                .mul(new org.bytedeco.pytorch.Scalar(0.02));
        Int8Weights.Quantized q = Int8Weights.quantize(w);
        dense.add(w.to(dtype.scalarType).contiguous());
        values.add(q.values());
        scales.add(q.scales().to(dtype.scalarType).contiguous());
        denseBytes += (double) times * s[0] * s[1] * dtype.size;
        int8Bytes += (double) times * s[0] * (s[1] + dtype.size);
      }
      for (int b : batches) {
        List<Tensor> xs = new ArrayList<>();
        for (long[] s : shapes)
          xs.add(
              torch
                  .randn(new long[] {b, s[1]}, Tensors.options(DType.F32, device))
                  .to(dtype.scalarType));
        rows.add(
            new Row(
                b,
                dtype.name().toLowerCase(java.util.Locale.ROOT),
                time(
                    device,
                    iterations,
                    repeats,
                    () -> step(layers, xs, i -> torch.linear(xs.get(i), dense.get(i)))),
                denseBytes,
                Double.NaN));
        rows.add(
            new Row(
                b,
                "int8 widened",
                time(
                    device,
                    iterations,
                    repeats,
                    () ->
                        step(
                            layers,
                            xs,
                            i -> Int8Weights.matmul(xs.get(i), values.get(i), scales.get(i)))),
                int8Bytes,
                Double.NaN));
        if (device.is_cuda()
            && Int8Kernel.linear(xs.get(0), values.get(0), scales.get(0), null) != null) {
          double diff = 0;
          for (int i = 0; i < shapes.length; i++) {
            Tensor k =
                Int8Kernel.linear(xs.get(i), values.get(i), scales.get(i), null)
                    .to(torch.ScalarType.Float);
            Tensor w =
                Int8Weights.matmul(xs.get(i), values.get(i), scales.get(i))
                    .to(torch.ScalarType.Float);
            diff = Math.max(diff, k.sub(w).abs().max().item_double() / w.abs().max().item_double());
          }
          rows.add(
              new Row(
                  b,
                  "int8 kernel",
                  time(
                      device,
                      iterations,
                      repeats,
                      () ->
                          step(
                              layers,
                              xs,
                              i ->
                                  Int8Kernel.linear(
                                      xs.get(i), values.get(i), scales.get(i), null))),
                  int8Bytes,
                  diff));
        }
      }
    }
    return rows;
  }

  private interface Product {
    Tensor apply(int i);
  }

  /** One decode step's products: each layer's four, then the head. */
  private static void step(int layers, List<Tensor> xs, Product p) {
    try (PointerScope scope = new PointerScope()) {
      for (int l = 0; l < layers; l++) for (int i = 0; i < 4; i++) p.apply(i);
      p.apply(4);
    }
  }

  private static void sync(Device device) {
    if (device.is_cuda())
      torch_cuda.getCurrentCUDAStream((byte) Math.max(0, device.index())).synchronize();
  }

  private static double time(Device device, int iterations, int repeats, Runnable r) {
    r.run(); // warm-up
    sync(device);
    double[] t = new double[repeats];
    for (int k = 0; k < repeats; k++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < iterations; i++) r.run();
      sync(device);
      t[k] = (System.nanoTime() - t0) / 1e9 / iterations;
    }
    java.util.Arrays.sort(t);
    return t[repeats / 2];
  }
}
