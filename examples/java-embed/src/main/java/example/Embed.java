package example;

import io.grpo4j.Grpo4j;
import io.grpo4j.config.RunConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * Trains the shipped tiny Countdown model for three GRPO steps from a program of your own: a config
 * (defaults, a YAML file, overrides), then {@link Grpo4j#train}. Arguments: the grpo4j repository
 * (for its config and model) and the run folder to write.
 */
public class Embed {
  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args[0]);
    Path out = Path.of(args[1]);
    RunConfig config =
        Grpo4j.config(
            repo.resolve("configs/countdown-tiny.yaml"),
            List.of(
                "model.init=" + repo.resolve("models/countdown-tiny-sft"),
                "model.threads=1",
                "train.steps=3",
                "data.eval_size=20"));
    Path last = Grpo4j.train(config, null, out); // null: the task the config names (Countdown)
    System.out.println("trained 3 GRPO steps; the model is in " + last);
  }
}
