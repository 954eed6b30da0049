package io.grpo4j.fuzz;

import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.model.Qwen2Config;
import io.grpo4j.run.Runs;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Verifier;
import io.grpo4j.task.countdown.AnswerFormat;
import io.grpo4j.task.countdown.CountdownGenerator;
import io.grpo4j.task.countdown.CountdownInstance;
import io.grpo4j.task.countdown.CountdownJsonl;
import io.grpo4j.task.countdown.CountdownRewards;
import io.grpo4j.task.countdown.CountdownSettings;
import io.grpo4j.task.countdown.CountdownTask;
import io.grpo4j.task.countdown.Rules;
import io.grpo4j.torch.CheckpointFormatException;
import io.grpo4j.torch.SafetensorsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The parsers that read files a user hands grpo4j, each with valid seed inputs, the tokens of its
 * format, and its documented error type (see {@link FuzzTarget}). Shared by the jqwik properties in
 * the test suite and {@code grpo4j fuzz}.
 */
final class FuzzTargets {
  private FuzzTargets() {}

  static List<FuzzTarget> all() {
    return List.of(
        safetensors(),
        configJson(),
        yamlConfig(),
        countdownJsonl(),
        answers(AnswerFormat.STEPS),
        answers(AnswerFormat.EXPRESSION));
  }

  static FuzzTarget byName(String name) {
    return all().stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown fuzz target '"
                        + name
                        + "'; known: "
                        + String.join(", ", all().stream().map(FuzzTarget::name).toList())
                        + ", all"));
  }

  /** The safetensors header reader: {@link CheckpointFormatException} for anything malformed. */
  static FuzzTarget safetensors() {
    List<byte[]> seeds =
        List.of(
            safetensorsFile(
                "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                    + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[24,30]},\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[30,46]},"
                    + "\"s\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[46,48]},\"z\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[48,48]}}",
                48),
            safetensorsFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
            safetensorsFile("{}", 0));
    List<String> tokens = new ArrayList<>(Mutator.COMMON_TOKENS);
    tokens.addAll(
        List.of(
            "dtype",
            "shape",
            "data_offsets",
            "__metadata__",
            "F32",
            "BF16",
            "F16",
            "I64",
            "F64",
            "U8",
            "BOOL"));
    return new FuzzTarget(
        "safetensors",
        "model.safetensors",
        seeds,
        Mutator.utf8(tokens),
        List.of(CheckpointFormatException.class),
        file -> {
          try (SafetensorsFile f = SafetensorsFile.open(file)) {
            f.tensors().forEach((name, info) -> info.byteLength());
            f.metadata().size();
          }
        });
  }

  /**
   * HF config.json: IOException (not JSON) or IllegalArgumentException (not a supported Qwen2
   * config).
   */
  static FuzzTarget configJson() {
    String tiny = Qwen2Config.tiny().toJson(null, "float32").toString();
    String qwen =
        "{\"architectures\":[\"Qwen2ForCausalLM\"],\"attention_dropout\":0.0,\"bos_token_id\":151643,\"eos_token_id\":151645,"
            + "\"hidden_act\":\"silu\",\"hidden_size\":1536,\"initializer_range\":0.02,\"intermediate_size\":8960,\"max_position_embeddings\":32768,"
            + "\"max_window_layers\":21,\"model_type\":\"qwen2\",\"num_attention_heads\":12,\"num_hidden_layers\":28,\"num_key_value_heads\":2,"
            + "\"rms_norm_eps\":1e-06,\"rope_theta\":1000000.0,\"sliding_window\":32768,\"tie_word_embeddings\":true,\"torch_dtype\":\"bfloat16\","
            + "\"transformers_version\":\"4.43.1\",\"use_cache\":true,\"use_sliding_window\":false,\"vocab_size\":151936}";
    String ropeParams =
        "{\"model_type\":\"qwen2\",\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
            + "\"num_key_value_heads\":2,\"head_dim\":16,\"vocab_size\":300,\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":10000},"
            + "\"eos_token_id\":[1,2],\"rope_scaling\":null}";
    List<String> tokens = new ArrayList<>(Mutator.COMMON_TOKENS);
    tokens.addAll(
        List.of(
            "hidden_size",
            "num_attention_heads",
            "num_key_value_heads",
            "head_dim",
            "vocab_size",
            "eos_token_id",
            "rope_theta",
            "rope_scaling",
            "rope_parameters",
            "intermediate_size",
            "num_hidden_layers",
            "model_type",
            "rms_norm_eps"));
    return new FuzzTarget(
        "config-json",
        "config.json",
        Mutator.utf8(List.of(tiny, qwen, ropeParams)),
        Mutator.utf8(tokens),
        List.of(IOException.class, IllegalArgumentException.class),
        Qwen2Config::read);
  }

  /** The YAML run config: IllegalArgumentException naming the file (IOException only for I/O). */
  static FuzzTarget yamlConfig() {
    String defaults = ConfigLoader.toYaml(RunConfig.defaults());
    String small =
        "seed: 3\nmodel:\n  init: models/x   # comment\n  dtype: bf16\nrl:\n  group_size: 4\n  kl: {forward: 0.1, reverse: 0}\n"
            + "countdown:\n  generator:\n    min_numbers: 3\n    max_numbers: 4\ntrain:\n  steps: 10\n  lr: 1.0e-5\n";
    String anchors =
        "data: &d\n  prompts_per_step: 2\n  eval_size: 4\nsampling: {temperature: 0.7, top_p: 0.9, top_k: 5, max_new_tokens: 8}\n";
    List<String> tokens = new ArrayList<>(Mutator.COMMON_TOKENS);
    tokens.addAll(
        List.of(
            "&a",
            "*a",
            "<<: *a",
            "!!binary",
            "!!int",
            "!!float",
            "!!str",
            "!!map",
            "? ",
            "- ",
            "|\n",
            ">\n",
            "~",
            ".inf",
            ".nan",
            "0x1F",
            "0o17",
            "1_000",
            "yes",
            "no",
            "on",
            "\n  ",
            "\n    ",
            "seed",
            "model",
            "rl",
            "train",
            "steps",
            "group_size",
            "kl",
            "countdown",
            "generator",
            "%YAML 1.2\n",
            "%TAG ! tag:x,2000:\n",
            "!<tag:yaml.org,2002:int>"));
    return new FuzzTarget(
        "yaml-config",
        "config.yaml",
        Mutator.utf8(List.of(defaults, small, anchors)),
        Mutator.utf8(tokens),
        List.of(IllegalArgumentException.class, IOException.class),
        file -> Runs.config(file, List.of()));
  }

  /** The Countdown dataset reader: IllegalArgumentException with file:line and the field. */
  static FuzzTarget countdownJsonl() {
    CountdownGenerator gen = new CountdownGenerator(CountdownSettings.DEFAULTS);
    SplittableRandom r = new SplittableRandom(7);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      CountdownInstance inst = gen.next(r);
      lines.append(CountdownJsonl.format("cd-" + i, inst)).append('\n');
    }
    String variants =
        "{\"numbers\":[3,5,7],\"target\":56,\"solution\":\"3+5=8\\n8*7=56\"}\n\n{\"id\":\"x\",\"numbers\":[2,2],\"target\":4,\"max_steps\":1}\n";
    List<String> tokens = new ArrayList<>(Mutator.COMMON_TOKENS);
    tokens.addAll(
        List.of(
            "numbers",
            "target",
            "max_steps",
            "solution",
            "id",
            "3+5=8",
            "8*7=56",
            "1/0=0",
            "\"2-3=-1\""));
    return new FuzzTarget(
        "countdown-jsonl",
        "data.jsonl",
        Mutator.utf8(List.of(lines.toString(), variants)),
        Mutator.utf8(tokens),
        List.of(IllegalArgumentException.class, IOException.class),
        CountdownJsonl::read);
  }

  /**
   * A Countdown answer verifier, which is documented never to throw: any text scores within the
   * reward range, with a reason, and the outcome agrees with the score of the complete answer.
   */
  static FuzzTarget answers(AnswerFormat format) {
    CountdownInstance inst = CountdownInstance.of(List.of(3L, 5L, 7L, 2L), 56, 4);
    Problem<CountdownInstance> problem = CountdownTask.problem(inst);
    CountdownRewards rewards = CountdownRewards.DEFAULTS;
    Verifier<CountdownInstance> v = CountdownTask.verifierFor(format, rewards, Rules.DEFAULT);
    double lowest = Math.min(rewards.stepInvalid(), rewards.expressionMissing());
    List<String> seeds =
        format == AnswerFormat.STEPS
            ? List.of("3+5=8\n8*7=56", "5 - 3 = 2\n2 * 7 = 14\n14 x 2 = 28\n28 * 2 = 56", "7*8=56")
            : List.of(
                "<answer>(3+5)*7</answer>",
                "<think>try 3+5</think><answer>(3 + 5) * 7 / 2 * 2</answer>",
                "<answer>((3)+5)*(7)</answer>");
    List<String> tokens = new ArrayList<>(Mutator.COMMON_TOKENS);
    tokens.addAll(
        List.of(
            "×",
            "÷",
            "−",
            "x",
            "*",
            "/",
            "+",
            "(",
            ")",
            "((((((((",
            "))))))))",
            "=",
            "56",
            "99999999999999999999"));
    return new FuzzTarget(
        "answers-" + format.name().toLowerCase(),
        "answer.txt",
        Mutator.utf8(seeds),
        Mutator.utf8(tokens),
        List.of(),
        file -> {
          String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
          int[] ends = {0, text.length() / 3, text.length() / 2, text.length() - 1, text.length()};
          for (int end : ends) {
            if (end < 0) continue;
            String prefix = text.substring(0, end);
            PrefixScore s = v.score(problem, prefix);
            Outcome o = v.outcome(problem, prefix);
            if (!(s.value() >= lowest && s.value() <= rewards.success())
                || !(o.reward() >= lowest && o.reward() <= rewards.success())) {
              throw new IllegalStateException(
                  "score "
                      + s.value()
                      + " / reward "
                      + o.reward()
                      + " outside the reward range for '"
                      + prefix
                      + "'");
            }
            if (s.reason() == null || s.reason().isBlank())
              throw new IllegalStateException("score without a reason for '" + prefix + "'");
            if (s.complete() && Math.abs(o.reward() - s.value()) > 1e-12) {
              throw new IllegalStateException(
                  "complete score "
                      + s.value()
                      + " differs from outcome "
                      + o.reward()
                      + " for '"
                      + prefix
                      + "'");
            }
          }
        });
  }

  /**
   * A safetensors file: u64 header length, the JSON header padded to 8 bytes, then data bytes 1, 2,
   * 3, ….
   */
  static byte[] safetensorsFile(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded);
    b.put(json);
    for (int i = json.length; i < padded; i++) b.put((byte) ' ');
    for (int i = 0; i < dataBytes; i++) b.put((byte) (i + 1));
    return b.array();
  }
}
