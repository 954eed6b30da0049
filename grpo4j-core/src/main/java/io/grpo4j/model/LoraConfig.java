package io.grpo4j.model;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * LoRA's hyper-parameters, named as PEFT's {@code LoraConfig} names them in {@code
 * adapter_config.json}. An adapted projection computes
 *
 * <pre>
 *   y = x·Wᵀ (+ b) + s · (dropout(x)·Aᵀ)·Bᵀ      A [r, in], B [out, r]
 *   s = α / r            (rsLoRA, use_rslora: s = α / √r)
 * </pre>
 *
 * so that merging gives the plain projection {@code W + s·B·A}.
 *
 * @param r the rank of every adapter (PEFT: {@code r})
 * @param alpha the scale numerator α (PEFT: {@code lora_alpha})
 * @param dropout the probability of zeroing an input element on the adapter path during training
 *     (PEFT: {@code lora_dropout}); rollouts, evaluation and serving never drop
 * @param targetModules the adapted projections, a subset of {@link #ALL_MODULES} (PEFT: {@code
 *     target_modules})
 * @param rslora scale by α/√r instead of α/r (PEFT: {@code use_rslora}, off by default there too)
 */
public record LoraConfig(
    int r, double alpha, double dropout, List<String> targetModules, boolean rslora) {

  /** Every projection of a Qwen2 decoder layer, in the layer's order (the default targets). */
  public static final List<String> ALL_MODULES =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  public LoraConfig {
    if (r < 1) throw new IllegalArgumentException("LoRA rank r must be >= 1, got " + r);
    if (!(alpha > 0) || Double.isInfinite(alpha))
      throw new IllegalArgumentException("LoRA alpha must be a positive number, got " + alpha);
    if (!(dropout >= 0 && dropout < 1))
      throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
    if (targetModules == null || targetModules.isEmpty())
      throw new IllegalArgumentException(
          "LoRA target modules must name at least one of " + ALL_MODULES);
    Set<String> seen = new LinkedHashSet<>();
    for (String m : targetModules) {
      if (!ALL_MODULES.contains(m))
        throw new IllegalArgumentException(
            "LoRA target module '"
                + m
                + "' is not a Qwen2 projection; expected some of "
                + ALL_MODULES);
      if (!seen.add(m))
        throw new IllegalArgumentException("LoRA target module '" + m + "' is listed twice");
    }
    // kept in the layer's order, whatever order they were given in
    List<String> ordered = new ArrayList<>();
    for (String m : ALL_MODULES) if (seen.contains(m)) ordered.add(m);
    targetModules = List.copyOf(ordered);
  }

  /** r and α with PEFT's defaults for the rest: no dropout, every projection, α/r scaling. */
  public static LoraConfig of(int r, double alpha) {
    return new LoraConfig(r, alpha, 0.0, ALL_MODULES, false);
  }

  /** s: α/r, or α/√r with rsLoRA. */
  public double scaling() {
    return rslora ? alpha / Math.sqrt(r) : alpha / r;
  }

  /** Whether projection {@code module} (e.g. {@code q_proj}) carries an adapter. */
  public boolean targets(String module) {
    return targetModules.contains(module);
  }

  /**
   * The sub-module path of a projection inside a layer: {@code self_attn.q_proj}, {@code
   * mlp.up_proj}.
   */
  static String path(String module) {
    return switch (module) {
      case "q_proj", "k_proj", "v_proj", "o_proj" -> "self_attn." + module;
      case "gate_proj", "up_proj", "down_proj" -> "mlp." + module;
      default -> throw new IllegalArgumentException("not a Qwen2 projection: " + module);
    };
  }
}
