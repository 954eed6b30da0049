package io.grpo4j.dist;

import io.grpo4j.torch.Tensors;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.pytorch.Tensor;

/**
 * A rank of the 2-process tests ({@link C10dGroupTest}): joins the group its environment describes,
 * runs one scenario and prints {@code RESULT name values...} lines for the test to check. Exit
 * status 2 means a {@link DistException} (its message is printed as {@code FAILED ...}).
 */
public final class DistWorker {
  public static void main(String[] args) throws Exception {
    int status =
        run(
            args[0],
            DistEnv.fromEnvironment(),
            Long.parseLong(args[1]),
            Long.parseLong(args[2]),
            System.out);
    System.out.flush();
    Runtime.getRuntime().halt(status);
  }

  /**
   * Runs {@code scenario} as the rank {@code env} describes, printing to {@code out}; returns the
   * exit status (0 done, 2 a {@link DistException}; rank 1 of "die" halts the JVM with 3).
   */
  static int run(String scenario, DistEnv env, long joinMs, long timeoutMs, PrintStream out)
      throws InterruptedException {
    long t0 = System.nanoTime();
    try (DistGroup g =
        DistGroup.join(
            env,
            BackendKind.AUTO,
            "cpu",
            Duration.ofMillis(joinMs),
            Duration.ofMillis(timeoutMs))) {
      t0 = System.nanoTime();
      switch (scenario) {
        case "collectives" -> collectives(g, out);
        case "die" -> {
          if (g.rank() == 1) Runtime.getRuntime().halt(3);
          Thread.sleep(300);
          g.allReduceSum(Tensors.floats(1, 2, 3));
        }
        case "hang" -> {
          if (g.rank() == 1) Thread.sleep(120_000);
          g.allReduceSum(Tensors.floats(1, 2, 3));
        }
        default -> throw new IllegalArgumentException(scenario);
      }
      out.println("RESULT done");
      return 0;
    } catch (DistException e) {
      out.println("FAILED " + e.getMessage().replace('\n', ' '));
      out.printf(Locale.ROOT, "ELAPSED %.1f s%n", (System.nanoTime() - t0) / 1e9);
      return 2;
    }
  }

  /**
   * Parameters p_k = (k+1)·(arange(n_k)+1)/10, loss_r = Σ_{k∈used_r} Σ (c_r·p_k)² with c_r = r + 1,
   * so grad_r(p_k) = 2·c_r²·p_k; rank 1 does not use the last parameter (no gradient there).
   */
  static List<Tensor> params() {
    long[][] shapes = {{3, 4}, {5}, {2, 2}, {7}};
    List<Tensor> ps = new ArrayList<>();
    for (int k = 0; k < shapes.length; k++) {
      long n = Arrays.stream(shapes[k]).reduce(1, (a, b) -> a * b);
      float[] v = new float[(int) n];
      for (int i = 0; i < n; i++) v[i] = (k + 1) * (i + 1) / 10f;
      ps.add(Tensors.floats(v).reshape(shapes[k]).requires_grad_(true));
    }
    return ps;
  }

  private static void collectives(DistGroup g, PrintStream out) {
    int r = g.rank();
    Tensor t = Tensors.floats(r + 1, 10 * (r + 1));
    g.allReduceSum(t);
    print(out, "sum", t);
    Tensor m = Tensors.floats(r, -r);
    g.allReduceMax(m);
    print(out, "max", m);
    Tensor b = Tensors.floats(r + 5, r + 6);
    g.broadcast(b, 1);
    print(out, "broadcast", b);
    print(out, "scalars", g.sum(r + 0.5, 1e12 * r));
    g.barrier();
    try {
      g.requireSame("the test value", r);
      out.println("RESULT mismatch none");
    } catch (DistException e) {
      out.println("RESULT mismatch " + e.getMessage().replace('\n', ' '));
    }

    List<Tensor> ps = params();
    double c = r + 1;
    Tensor cc = Tensors.floats((float) c);
    Tensor loss = Tensors.floats(0f).sum();
    for (int k = 0; k < ps.size() - (r == 1 ? 1 : 0); k++) {
      Tensor x = ps.get(k).mul(cc);
      loss = loss.add(x.mul(x).sum());
    }
    loss.backward();
    GradientBuckets buckets = new GradientBuckets(ps, 64); // 16 floats: several buckets
    out.println("RESULT buckets " + buckets.bucketCount());
    buckets.allReduce(g);
    for (int k = 0; k < ps.size(); k++) print(out, "grad" + k, ps.get(k).grad());

    // every rank's weights differ; after the broadcast all hold rank 0's
    List<Tensor> ws = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      float[] v = new float[k + 2];
      Arrays.fill(v, 10 * r + k);
      ws.add(Tensors.floats(v));
    }
    new GradientBuckets(ws, 1 << 20).broadcast(g, 0);
    for (int k = 0; k < ws.size(); k++) print(out, "weight" + k, ws.get(k));
  }

  private static void print(PrintStream out, String name, Tensor t) {
    print(out, name, Tensors.toDoubles(t));
  }

  private static void print(PrintStream out, String name, double[] v) {
    StringBuilder s = new StringBuilder("RESULT " + name);
    for (double d : v) s.append(' ').append(String.format(Locale.ROOT, "%.9g", d));
    out.println(s);
  }
}
