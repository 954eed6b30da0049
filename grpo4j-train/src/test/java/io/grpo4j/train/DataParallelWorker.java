package io.grpo4j.train;

import io.grpo4j.config.RunConfig;
import io.grpo4j.dist.BackendKind;
import io.grpo4j.dist.DistEnv;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.run.Runs;
import io.grpo4j.run.Tasks;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * A rank of {@link DataParallelTest}: for each scenario (GRPO with each advantage mode, SFT) it
 * builds a trainer on the shipped tiny SFT model (its completions earn varied rewards), runs {@link
 * #STEPS} steps as rank {@code env.rank()} of the group, and writes every master weight and its
 * last gradient to {@code OUT/<scenario>-rank<r>.bin} (float64, parameters in order).
 */
public final class DataParallelWorker {
  static final int STEPS = 1;
  private static final long T0 = System.nanoTime();
  static final List<String> SCENARIOS =
      List.of("grpo:token_relative", "grpo:sequence", "grpo:return_to_go", "sft");

  public static void main(String[] args) throws Exception {
    int status = run(Path.of(args[0]), Path.of(args[1]), DistEnv.fromEnvironment());
    System.out.flush();
    Runtime.getRuntime().halt(status);
  }

  static int run(Path init, Path out, DistEnv env) throws Exception {
    try (DistGroup g =
        DistGroup.join(
            env, BackendKind.AUTO, "cpu", Duration.ofSeconds(120), Duration.ofSeconds(120))) {
      System.out.printf("joined after %.1f s%n", (System.nanoTime() - T0) / 1e9);
      for (String scenario : SCENARIOS) {
        double[][] wg =
            train(
                scenario,
                init,
                out.resolve("run-" + scenario.replace(':', '-') + "-" + env.rank()),
                g);
        write(out.resolve(scenario.replace(':', '-') + "-rank" + env.rank() + ".bin"), wg);
        System.out.printf("%s done after %.1f s%n", scenario, (System.nanoTime() - T0) / 1e9);
      }
    }
    return 0;
  }

  /** The config of every scenario: small, deterministic, several micro-batches per rank. */
  static RunConfig config(String scenario, Path init) throws IOException {
    List<String> o =
        new ArrayList<>(
            List.of(
                "model.init=" + init,
                "data.eval_size=4",
                "sampling.max_new_tokens=16",
                "countdown.generator.max_numbers=3",
                "countdown.generator.max_value=9",
                "train.eval_every=0",
                "data.prompts_per_step=4",
                "rl.group_size=3",
                "rl.micro_batch=4",
                "rl.kl.forward=0.05",
                "rl.kl.reverse=0.02",
                "train.lr=1e-3",
                "train.warmup_steps=0",
                "sft.warmup_steps=0",
                "sft.batch_size=6",
                "sft.micro_batch=2",
                "sft.lr=1e-3"));
    if (scenario.startsWith("grpo:")) o.add("rl.advantage.mode=" + scenario.substring(5));
    return Runs.config(null, o);
  }

  /** Trains {@link #STEPS} steps; returns {weights, grads} of the master parameters. */
  static double[][] train(String scenario, Path init, Path runDir, DistGroup g) throws Exception {
    RunConfig cfg = config(scenario, init);
    io.grpo4j.torch.Torch.init(1, cfg.seed());
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    try (ModelFolder folder = ModelFolder.open(init)) {
      RunSetup<?> setup = RunSetup.of(cfg, runDir, Tasks.create(cfg), folder);
      Qwen2Model policy = folder.loadModel(DType.F32, new org.bytedeco.pytorch.Device("cpu"));
      List<Tensor> params = new ArrayList<>(policy.parameters().values());
      if (scenario.equals("sft")) {
        SftTrainer<?> t = new SftTrainer<>(setup, policy, quiet, g);
        for (long s = 1; s <= STEPS; s++) t.step(s);
      } else {
        Qwen2Model ref = folder.loadModel(DType.F32, new org.bytedeco.pytorch.Device("cpu"));
        GrpoTrainer<?> t = new GrpoTrainer<>(setup, policy, ref, quiet, g);
        for (long s = 1; s <= STEPS; s++) t.step(s, null);
      }
      return flatten(params);
    }
  }

  static double[][] flatten(List<Tensor> params) {
    List<double[]> w = new ArrayList<>();
    List<double[]> gr = new ArrayList<>();
    for (Tensor p : params) {
      w.add(Tensors.toDoubles(p));
      gr.add(p.grad().defined() ? Tensors.toDoubles(p.grad()) : new double[(int) p.numel()]);
    }
    return new double[][] {concat(w), concat(gr)};
  }

  private static double[] concat(List<double[]> parts) {
    int n = parts.stream().mapToInt(a -> a.length).sum();
    double[] out = new double[n];
    int o = 0;
    for (double[] a : parts) {
      System.arraycopy(a, 0, out, o, a.length);
      o += a.length;
    }
    return out;
  }

  static void write(Path file, double[][] wg) throws IOException {
    try (DataOutputStream d =
        new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
      d.writeInt(wg[0].length);
      for (double[] a : wg) for (double x : a) d.writeDouble(x);
    }
  }

  static double[][] read(Path file) throws IOException {
    try (var d =
        new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
      int n = d.readInt();
      double[][] wg = new double[2][n];
      for (double[] a : wg) for (int i = 0; i < n; i++) a[i] = d.readDouble();
      return wg;
    }
  }
}
