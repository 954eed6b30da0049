package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench command's contract (its JSON keys and option checks) on a micro model; no timing is
 * asserted.
 */
class BenchCommandTest {
  private static final String MICRO =
      """
      {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
       "num_key_value_heads": 2, "max_position_embeddings": 64, "vocab_size": 50, "rope_theta": 10000.0,
       "rms_norm_eps": 1e-6, "tie_word_embeddings": true, "eos_token_id": 49}
      """;

  /**
   * Runs {@code bench} on {@link #MICRO} (written to {@code dir/config.json}) with a micro rollout
   * of 2 prompts × G 2 × 3 new tokens after 4 prompt tokens and no warm-up, plus {@code options};
   * asserts exit code 0 and returns the JSON it wrote.
   */
  private static JsonNode bench(Path dir, String... options) throws Exception {
    Path config = dir.resolve("config.json");
    Files.writeString(config, MICRO);
    Path json = dir.resolve("out/bench.json");
    List<String> args =
        new ArrayList<>(
            List.of(
                "bench",
                "--preset",
                config.toString(),
                "--seq",
                "8",
                "--prompts",
                "2",
                "--group-size",
                "2",
                "--new-tokens",
                "3",
                "--prompt-length",
                "4",
                "--warmup",
                "0"));
    args.addAll(List.of(options));
    args.addAll(List.of("--json", json.toString()));
    int rc = Main.commandLine().execute(args.toArray(String[]::new));
    assertThat(rc).isZero();
    return new ObjectMapper().readTree(json.toFile());
  }

  @Test
  void writesEveryDocumentedKey(@TempDir Path dir) throws Exception {
    JsonNode r =
        bench(
            dir,
            "--batch",
            "2",
            "--decode-batch",
            "4",
            "--repeats",
            "1",
            "--gemm-max",
            "256",
            "--decode",
            "static");
    for (String key :
        new String[] {
          "gemm_gflops_f32",
          "gemm_gflops_bf16",
          "train_tokens_per_s",
          "train_mfu",
          "ref_tokens_per_s",
          "rollout_tokens_per_s",
          "decode_overhead_ratio",
          "prefill_tokens_per_s",
          "peak_rss_bytes"
        }) {
      assertThat(r.get(key)).as(key).isNotNull();
      assertThat(r.get(key).asDouble()).as(key).isPositive();
    }
    JsonNode c = r.get("config");
    assertThat(c.get("preset").asText()).isEqualTo(dir.resolve("config.json").toString());
    assertThat(c.get("dtype").asText()).isEqualTo("float32");
    assertThat(c.get("decode").asText()).isEqualTo("static");
    assertThat(c.get("batch").asInt()).isEqualTo(2);
    assertThat(c.get("seq").asInt()).isEqualTo(8);
    assertThat(c.get("threads").asInt()).isPositive();
    assertThat(c.has("omp_wait_policy")).isTrue();
    assertThat(c.get("model").get("hidden_size").asInt()).isEqualTo(32);
    assertThat(r.has("train_cuda_peak_allocated_bytes")).as("CPU run: no CUDA memory").isFalse();
  }

  @Test
  void timesBothLoraRolloutPathsInTurns(@TempDir Path dir) throws Exception {
    JsonNode r = bench(dir, "--skip", "gemm,train,ref,decode", "--repeats", "3", "--lora", "2");
    for (String path : new String[] {"on_the_fly", "merged"}) {
      String key = "rollout_lora_" + path;
      assertThat(r.get(key + "_tokens_per_s").asDouble()).as(key).isPositive();
      JsonNode seconds = r.get(key + "_seconds");
      assertThat(seconds.size()).as(key + "_seconds: one per repeat").isEqualTo(3);
      for (JsonNode t : seconds) assertThat(t.asDouble()).as(key + "_seconds").isPositive();
      // 2 prompts x G 2 x 3 new tokens (no stop token) over the median of the repeats
      double[] t = {
        seconds.get(0).asDouble(), seconds.get(1).asDouble(), seconds.get(2).asDouble()
      };
      java.util.Arrays.sort(t);
      assertThat(r.get(key + "_tokens_per_s").asDouble()).isCloseTo(12 / t[1], within(1e-6));
      JsonNode cpu = r.get(key + "_cpu_seconds");
      assertThat(cpu.size()).isEqualTo(3);
      // the process CPU clock ticks in ~10 ms steps: this micro rollout may read 0
      for (JsonNode x : cpu) assertThat(x.asDouble()).as(path + " CPU seconds").isNotNegative();
      double[] c = {cpu.get(0).asDouble(), cpu.get(1).asDouble(), cpu.get(2).asDouble()};
      java.util.Arrays.sort(c);
      JsonNode perCpu = r.get(key + "_cpu_tokens_per_s");
      if (c[1] > 0) assertThat(perCpu.asDouble()).isCloseTo(12 / c[1], within(1e-6));
      else assertThat(perCpu).as("no rate from a 0 s median").isNull();
    }
    assertThat(r.get("lora_merge_s").asDouble()).isPositive();
    assertThat(r.get("config").get("lora_rank").asInt()).isEqualTo(2);
  }

  @Test
  void rejectsAnUnknownPresetAndPhase() {
    var cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("bench", "--preset", "no-such-preset")).isNotZero();
    assertThat(cl.execute("bench", "--preset", "tiny", "--skip", "everything")).isNotZero();
  }
}
