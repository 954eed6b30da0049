package io.grpo4j.train;

import java.util.SplittableRandom;

/**
 * Every random choice of a run is drawn from a seed derived from (run seed, purpose, step), so a
 * resumed run draws exactly what the uninterrupted run would have drawn: there is no generator
 * state to save or restore.
 */
final class Seeds {
  static final long TRAIN_PROBLEMS = 1;
  static final long ROLLOUT = 2;
  static final long SFT_PROBLEMS = 3;

  /** LoRA: the adapters' initial A, and the dropout masks of each training pass. */
  static final long LORA_INIT = 6;

  static final long LORA_DROPOUT = 7;

  /** A data-parallel rank's seed, derived from the seed one process would use. */
  static final long RANK = 5;

  /**
   * The continuations of Monte-Carlo prefix values ({@link McPrefix}), from a step's rollout seed.
   */
  static final long MC_PREFIX = 8;

  // the masked-diffusion probe's purposes start at 10, clear of the others' (1-3, 5-8); SeedsTest
  // checks that no two purposes share a value
  /** The masked-diffusion SFT's noise levels and masks. */
  static final long SFT_MASKS = 10;

  /** E1's prompt masks (the one-step likelihood estimate). */
  static final long ONE_STEP_MASKS = 11;

  /** The masked-diffusion probe set's masks. */
  static final long PROBE = 12;

  /** A*-PO: the training prompts stage 1 values ({@link OptimalValues}). */
  static final long ASTAR_PROMPTS = 21;

  /** A*-PO: stage 1's samples of π_ref, per batch of prompts. */
  static final long ASTAR_STAGE1 = 22;

  /** A*-PO: stage 2's order of the prompts, per epoch over them. */
  static final long ASTAR_ORDER = 23;

  private Seeds() {}

  static long derive(long seed, long purpose, long step) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + purpose * 0xBF58476D1CE4E5B9L + step)
        .nextLong();
  }
}
