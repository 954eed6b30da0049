package io.grpo4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.run.Runs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path tmp;

  private Path yaml(String text) throws Exception {
    Path f = tmp.resolve("c.yaml");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void fileOverridesDefaultsAndSetOverridesFile() throws Exception {
    Path f = yaml("seed: 7\nrl:\n  group_size: 4\n  kl:\n    forward: 0.05\n");
    RunConfig c =
        Runs.config(f, List.of("rl.kl.forward=0.1", "train.steps=3", "model.init=some/dir"));
    assertThat(c.seed()).isEqualTo(7);
    assertThat(c.rl().groupSize()).isEqualTo(4);
    assertThat(c.rl().kl().forward()).isEqualTo(0.1);
    assertThat(c.rl().kl().reverse()).isEqualTo(0.01);
    assertThat(c.train().steps()).isEqualTo(3);
    assertThat(c.model().init()).isEqualTo("some/dir");
  }

  @Test
  void theStableKeysExist() throws Exception {
    List<String> keys =
        List.of(
            "seed=1",
            "model.init=x",
            "train.steps=2",
            "train.lr=0.1",
            "train.eval_every=3",
            "train.save_every=4",
            "data.prompts_per_step=5",
            "rl.group_size=6",
            "rl.advantage.mode=sequence",
            "rl.advantage.clip=0.5",
            "rl.entropy.alpha=0.7",
            "rl.entropy.beta=0.01",
            "rl.kl.forward=0.2",
            "rl.kl.reverse=0.3",
            "rl.clip.low=0.1",
            "rl.clip.high=0.28",
            "rl.epochs=2",
            "sampling.temperature=0.9",
            "sampling.max_new_tokens=11",
            "countdown.reward.success=2.0");
    RunConfig c = Runs.config(null, keys);
    assertThat(c.rl().clip().high()).isEqualTo(0.28);
    assertThat(c.sampling().maxNewTokens()).isEqualTo(11);
    assertThat(c.rl().advantage().mode()).isEqualTo(io.grpo4j.rl.AdvantageMode.SEQUENCE);
  }

  @Test
  void unknownKeysAndBadValuesNameTheKey() throws Exception {
    assertThatThrownBy(() -> Runs.config(yaml("rl:\n  kl:\n    fwd: 0.1\n"), List.of()))
        .hasMessageContaining("rl.kl.fwd")
        .hasMessageContaining("forward");
    assertThatThrownBy(() -> Runs.config(null, List.of("rl.group_sise=3")))
        .hasMessageContaining("rl.group_sise");
    assertThatThrownBy(() -> Runs.config(null, List.of("train.steps=many")))
        .hasMessageContaining("train.steps");
    assertThatThrownBy(() -> Runs.config(null, List.of("rl.group_size=1")))
        .hasMessageContaining("rl.group_size");
    assertThatThrownBy(() -> Runs.config(null, List.of("rl.advantage.mode=magic")))
        .hasMessageContaining("rl.advantage.mode");
    assertThatThrownBy(() -> Runs.config(null, List.of("rl"))).hasMessageContaining("key=value");
    assertThatThrownBy(() -> Runs.config(yaml("rl: 3\n"), List.of()))
        .hasMessageContaining("'rl' is a section");
    assertThatThrownBy(() -> Runs.config(yaml("seed: [\n"), List.of()))
        .hasMessageContaining("invalid YAML");
  }

  @Test
  void modesAreEnumsParsedOnceAtLoadAndWrittenInTheirConfigSpelling() throws Exception {
    RunConfig c =
        Runs.config(
            null,
            List.of(
                "rl.aggregation=Constant", "rl.advantage.mode=return-to-go", "rl.kl.estimator=k3"));
    assertThat(c.rl().aggregation()).isEqualTo(io.grpo4j.rl.LossAggregation.CONSTANT);
    assertThat(c.rl().advantage().mode()).isEqualTo(io.grpo4j.rl.AdvantageMode.RETURN_TO_GO);
    assertThat(c.rl().kl().estimator()).isEqualTo(io.grpo4j.rl.KlEstimator.K3);
    assertThat(ConfigLoader.toYaml(c))
        .contains("aggregation: constant")
        .contains("mode: return_to_go")
        .contains("estimator: k3");
    assertThatThrownBy(() -> Runs.config(yaml("rl:\n  aggregation: mean\n"), List.of()))
        .hasMessageContaining("rl.aggregation: unknown value 'mean'")
        .hasMessageContaining("token, sequence, constant");
    assertThatThrownBy(() -> Runs.config(null, List.of("rl.kl.estimator=k2")))
        .hasMessageContaining("rl.kl.estimator")
        .hasMessageContaining("exact, k3");
    assertThatThrownBy(() -> Runs.config(null, List.of("rl.advantage.mode=null")))
        .hasMessageContaining("rl.advantage.mode");
  }

  @Test
  void environmentRunsRefuseTheSegmentModesAStarPoAndDiffusionNamingTheKeys() throws Exception {
    List<String> env = List.of("env.command=python3 env.py", "rl.advantage.mode=prefix");
    assertThat(Runs.config(null, env).env().enabled()).isTrue();
    assertThatThrownBy(
            () ->
                Runs.config(null, List.of("env.command=python3 env.py", "rl.advantage.mode=tree")))
        .hasMessageContaining("env:")
        .hasMessageContaining("rl.advantage.mode=tree");
    assertThatThrownBy(
            () -> Runs.config(null, List.of("env.name=guess", "rl.advantage.mode=mc_prefix")))
        .hasMessageContaining("env:")
        .hasMessageContaining("rl.advantage.mode=mc_prefix");
    assertThatThrownBy(
            () -> Runs.config(null, List.of("env.command=python3 env.py", "rl.algorithm=astar_po")))
        .hasMessageContaining("env:")
        .hasMessageContaining("rl.algorithm=astar_po");
    assertThatThrownBy(
            () ->
                Runs.config(
                    null,
                    List.of("env.command=python3 env.py", "model.architecture=masked_diffusion")))
        .hasMessageContaining("env:")
        .hasMessageContaining("model.architecture");
    // without env: the same settings load (they are refused only for episodes)
    assertThat(Runs.config(null, List.of("rl.advantage.mode=mc_prefix")).env().enabled()).isFalse();
    RunConfig guess = Runs.config(Path.of("examples/guess/guess.yaml"), List.of());
    assertThat(guess.env().maxTurns()).isEqualTo(5);
    assertThat(guess.env().turnStop()).containsExactly("\n");
  }

  @Test
  void resolvedYamlRoundTrips() throws Exception {
    RunConfig c = Runs.config(null, List.of("rl.kl.forward=0.3", "model.init=a/b"));
    Path f = yaml(ConfigLoader.toYaml(c));
    assertThat(Runs.config(f, List.of())).isEqualTo(c);
  }

  @Test
  void shippedConfigsLoad() throws Exception {
    RunConfig tiny = Runs.config(Path.of("configs/countdown-tiny.yaml"), List.of());
    assertThat(tiny.task().promptStyle()).isEqualTo("plain");
    RunConfig qwen = Runs.config(Path.of("configs/qwen2.5-1.5b-countdown.yaml"), List.of());
    assertThat(qwen.rl().groupSize()).isEqualTo(8);
    assertThat(qwen.rl().kl().forward()).isEqualTo(0.02);
    assertThat(qwen.rl().kl().reverse()).isEqualTo(0.01);
    assertThat(qwen.rl().advantage().clip()).isEqualTo(1.0);
    assertThat(qwen.model().dtype()).isEqualTo("bf16");
    assertThat(qwen.model().device()).isEqualTo("cuda");
    assertThat(qwen.sampling().maxNewTokens()).isEqualTo(512);
    assertThat(qwen.task().promptStyle()).isEqualTo("chat");
    assertThat(qwen.rl().microBatch()).isEqualTo(8);
    assertThat(qwen.model().logitsChunk()).isEqualTo(2048);
    RunConfig small = Runs.config(Path.of("configs/qwen2.5-1.5b-countdown-12gb.yaml"), List.of());
    // the small-GPU recipe trains LoRA adapters on a frozen bf16 base, with no host offload
    assertThat(small.model().offloadOptimizer()).isFalse();
    assertThat(small.model().lora().r()).isEqualTo(16);
    assertThat(small.model().lora().rollout()).isEqualTo("on_the_fly");
    assertThat(small.model().gradientCheckpointing()).isTrue();
    assertThat(small.model().logitsChunk()).isEqualTo(256);
    assertThat(small.sampling().maxNewTokens()).isLessThanOrEqualTo(64);
    assertThat(small.rl().kl().forward()).isEqualTo(qwen.rl().kl().forward());
    assertThat(small.rl().kl().reverse()).isEqualTo(qwen.rl().kl().reverse());
    assertThat(small.rl().advantage().mode()).isEqualTo(qwen.rl().advantage().mode());
    assertThat(qwen.model().offloadOptimizer()).isFalse();
    assertThat(qwen.model().lora().enabled()).isFalse();
    // the LoRA seed recipe: the seed recipe's task and objective, adapters on every projection
    RunConfig lora = Runs.config(Path.of("configs/qwen2.5-1.5b-countdown-lora.yaml"), List.of());
    assertThat(lora.model().lora().config()).isEqualTo(io.grpo4j.model.LoraConfig.of(16, 32));
    assertThat(lora.sampling().maxNewTokens()).isEqualTo(qwen.sampling().maxNewTokens());
    assertThat(lora.rl()).isEqualTo(qwen.rl());
    assertThat(lora.data()).isEqualTo(qwen.data());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Runs.config(null, List.of("model.lora.r=8", "model.offload_optimizer=true")))
        .hasMessageContaining("model.offload_optimizer");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Runs.config(null, List.of("model.lora.target_modules=[q_proj, lm_head]")))
        .hasMessageContaining("model.lora.target_modules")
        .hasMessageContaining("lm_head");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Runs.config(null, List.of("model.lora.rollout=fast")))
        .hasMessageContaining("model.lora.rollout");
    assertThat(qwen.sampling().decodeMode()).isEqualTo(io.grpo4j.generate.Sampler.Decode.DYNAMIC);
    assertThat(Runs.config(null, List.of("sampling.decode=cuda_graph")).sampling().decodeMode())
        .isEqualTo(io.grpo4j.generate.Sampler.Decode.CUDA_GRAPH);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Runs.config(null, List.of("sampling.decode=fast")))
        .hasMessageContaining("dynamic, static or cuda_graph");
  }
}
