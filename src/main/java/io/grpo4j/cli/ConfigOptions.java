package io.grpo4j.cli;

import io.grpo4j.train.RunConfig;
import io.grpo4j.train.Runs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --config FILE} and repeated {@code --set key=value}, shared by sft, train and quickstart. */
final class ConfigOptions {
  @Option(names = "--config", description = "YAML config (default: built-in defaults = configs/countdown-tiny.yaml).")
  Path config;

  @Option(names = "--set", description = "Override one key, e.g. --set rl.kl.forward=0.05 (repeatable).")
  List<String> overrides = new ArrayList<>();

  RunConfig load(List<String> extra) throws IOException {
    List<String> all = new ArrayList<>(extra);
    all.addAll(overrides);
    return Runs.config(config, all);
  }
}
