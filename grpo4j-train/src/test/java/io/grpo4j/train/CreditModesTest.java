package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.run.Runs;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tree and mc_prefix modes through the GRPO loop on the tiny preset, and the generated-token
 * budget: what each step decoded is counted once, and a run stops where its budget runs out.
 */
class CreditModesTest {
  @TempDir Path tmp;

  private List<String> common(Path init, String... more) {
    List<String> out =
        new ArrayList<>(
            List.of(
                "model.init=" + init,
                "data.eval_size=4",
                "sampling.max_new_tokens=10",
                "countdown.generator.max_numbers=3",
                "countdown.generator.max_value=9",
                "train.eval_every=0",
                "train.save_every=1",
                "data.prompts_per_step=2",
                "rl.group_size=4"));
    out.addAll(List.of(more));
    return out;
  }

  private Path init() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 1, DType.F32);
    return init;
  }

  @Test
  void treeStepsCountSharedPrefixesOnceAndStopAtTheTokenBudget() throws Exception {
    Path init = init();
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    // the random tiny model writes newlines often enough to branch; widths [2, 2] = G 4
    RunConfig cfg =
        Runs.config(
            null,
            common(
                init,
                "rl.advantage.mode=tree",
                "sampling.tree.widths=[2, 2]",
                "train.steps=50",
                "train.max_generated_tokens=100"));
    Path run = tmp.resolve("tree");
    Runs.grpo(cfg, run, quiet);
    List<JsonNode> rows = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(rows.size()).isLessThan(50);
    long total = 0;
    for (JsonNode r : rows) {
      long generated = r.get("tokens/generated").asLong();
      // 8 leaves of 2 prompts: their summed lengths count a shared prefix once per leaf
      double leafTokens = r.get("completion_len/mean").asDouble() * 8;
      assertThat((double) generated).isLessThanOrEqualTo(leafTokens + 1e-9);
      total += generated;
      assertThat(r.get("tokens/generated_total").asLong()).isEqualTo(total);
      assertThat(r.has("adv/nonzero_token_share")).isTrue();
      assertThat(r.has("adv/nonzero_group_share")).isTrue();
    }
    // the last step crossed the budget, the one before had not
    assertThat(total).isGreaterThanOrEqualTo(100);
    assertThat(total - rows.get(rows.size() - 1).get("tokens/generated").asLong()).isLessThan(100);
    assertThat(Checkpoints.latest(run))
        .hasValueSatisfying(
            p -> assertThat(p.getFileName().toString()).isEqualTo("step-" + rows.size()));
    // resuming a run that spent its budget trains nothing more
    Runs.resume(run, quiet);
    assertThat(MetricsLog.read(run.resolve("metrics.jsonl"))).hasSize(rows.size());
  }

  @Test
  void mcPrefixCountsItsContinuationsAsGeneratedTokens() throws Exception {
    Path init = init();
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunConfig cfg =
        Runs.config(
            null,
            common(
                init,
                "rl.advantage.mode=mc_prefix",
                "sampling.mc_samples=2",
                "train.steps=2",
                "rl.advantage.fallback_weight=5",
                "rl.token_mask.top_entropy=0.5"));
    Path run = tmp.resolve("mc");
    Runs.grpo(cfg, run, quiet);
    for (JsonNode r : MetricsLog.read(run.resolve("metrics.jsonl"))) {
      long leafTokens = Math.round(r.get("completion_len/mean").asDouble() * 8);
      assertThat(r.get("tokens/generated").asLong())
          .isEqualTo(leafTokens + r.get("mc_prefix/tokens").asLong());
      assertThat(r.get("mc_prefix/continuations").asLong())
          .isEqualTo(2L * r.get("mc_prefix/sampled_cuts").asLong());
      // top-q entropy mask: at most about half the tokens carry credit
      assertThat(r.get("adv/nonzero_token_share").asDouble()).isLessThanOrEqualTo(0.6);
    }
  }

  @Test
  void aTreeMustHaveGroupSizeLeaves() throws Exception {
    Path init = init();
    assertThatThrownBy(
            () ->
                Runs.config(
                    null, common(init, "rl.advantage.mode=tree", "sampling.tree.widths=[4, 2]")))
        .hasMessageContaining("sampling.tree.widths")
        .hasMessageContaining("rl.group_size is 4");
    // another mode ignores the tree's shape
    Runs.config(null, common(init, "rl.advantage.mode=sequence", "sampling.tree.widths=[4, 2]"));
    assertThatThrownBy(() -> Runs.config(null, common(init, "sampling.tree.branch_at=tokens")))
        .hasMessageContaining("sampling.tree.branch_at");
  }
}
