package io.grpo4j.metrics;

/**
 * The keys of a {@code metrics.jsonl} row, as the trainers write them and the dashboard, report and
 * TensorBoard read them (DESIGN.md "Metrics"). Rates are in [0, 1]; sums over a step are over all
 * data-parallel ranks.
 */
public final class MetricNames {
  private MetricNames() {}

  /** The optimizer step, 1, 2, ... */
  public static final String STEP = "step";

  // rollouts and rewards (GRPO)
  /** Mean sequence reward R of the step's completions. */
  public static final String REWARD_MEAN = "reward/mean";

  /** Sample standard deviation of R. */
  public static final String REWARD_STD = "reward/std";

  /** Reward requests that failed (their groups left the step). */
  public static final String REWARD_FAILURES = "reward/failures";

  /** Groups left out of the step because a reward request failed. */
  public static final String REWARD_DROPPED_GROUPS = "reward/dropped_groups";

  /** Share of completions the verifier counts as solved. */
  public static final String SUCCESS_RATE = "success_rate";

  /** Mean sampling entropy per completion token. */
  public static final String ENTROPY = "entropy";

  /** Mean token advantage A_t over valid tokens. */
  public static final String ADV_TOKEN_MEAN = "adv/token_mean";

  /** Mean |A_t| over valid tokens. */
  public static final String ADV_TOKEN_ABS_MEAN = "adv/token_abs_mean";

  /** Mean completion length in tokens. */
  public static final String COMPLETION_LEN_MEAN = "completion_len/mean";

  /** Share of groups whose G rewards are all equal (no learning signal). */
  public static final String FRAC_ZERO_STD_GROUPS = "frac_zero_std_groups";

  /**
   * Tokens the model decoded for the step, all ranks: each shared prefix of a tree rollout once,
   * Monte-Carlo continuations (mc_prefix) included.
   */
  public static final String TOKENS_GENERATED = "tokens/generated";

  /** Tokens decoded by the run so far (what {@code train.max_generated_tokens} bounds). */
  public static final String TOKENS_GENERATED_TOTAL = "tokens/generated_total";

  /** Prompt tokens the step's completions were sampled from (each prompt once per row). */
  public static final String TOKENS_PROMPT = "tokens/prompt";

  /** A*-PO: mean V̂*(x) of the step's prompts. */
  public static final String ASTAR_V_STAR_MEAN = "astar/v_star_mean";

  /** A*-PO: mean r − V̂*(x) of the step's completions. */
  public static final String ASTAR_ADVANTAGE_MEAN = "astar/advantage_mean";

  /** A*-PO: mean Σ_t log π_θ/π_ref per completion, before the update. */
  public static final String ASTAR_LOG_RATIO_MEAN = "astar/log_ratio_mean";

  /** A*-PO: root mean squared residual β2·log-ratio − (r − V̂*), before the update. */
  public static final String ASTAR_RESIDUAL_RMS = "astar/residual_rms";

  /** A*-PO: stage 1's wall time (the same every step). */
  public static final String ASTAR_STAGE1_S = "astar/stage1_s";

  /** A*-PO: tokens stage 1 generated (counted in {@link #TOKENS_GENERATED_TOTAL}). */
  public static final String ASTAR_STAGE1_TOKENS = "astar/stage1_tokens";

  /** A*-PO: prompt tokens stage 1 sampled from. */
  public static final String ASTAR_STAGE1_PROMPT_TOKENS = "astar/stage1_prompt_tokens";

  /** Share of valid completion tokens whose advantage |A_t| exceeds 1e-3 (rank 0's batch). */
  public static final String ADV_NONZERO_TOKEN_SHARE = "adv/nonzero_token_share";

  /** Share of groups with at least one token whose |A_t| exceeds 1e-3 (rank 0's batch). */
  public static final String ADV_NONZERO_GROUP_SHARE = "adv/nonzero_group_share";

  /** mc_prefix: continuations sampled from the step's cuts (this rank). */
  public static final String MC_PREFIX_CONTINUATIONS = "mc_prefix/continuations";

  /** mc_prefix: cuts whose value was estimated by sampling (this rank). */
  public static final String MC_PREFIX_SAMPLED_CUTS = "mc_prefix/sampled_cuts";

  /** mc_prefix: cuts whose value needed no sampling (this rank). */
  public static final String MC_PREFIX_KNOWN_CUTS = "mc_prefix/known_cuts";

  /** mc_prefix: tokens the continuations decoded (this rank). */
  public static final String MC_PREFIX_TOKENS = "mc_prefix/tokens";

  /** With dynamic sampling: the share of zero-std groups among those drawn, before dropping. */
  public static final String DYNAMIC_FRAC_ZERO_STD_DRAWN = "dynamic_sampling/frac_zero_std_drawn";

  /** With dynamic sampling: groups kept for the update. */
  public static final String DYNAMIC_GROUPS_KEPT = "dynamic_sampling/groups_kept";

  // the update
  /** Mean per-token KL(π_θ‖π_ref) on the step's completions, before the update. */
  public static final String KL_FORWARD = "kl/forward";

  /** Mean per-token KL(π_ref‖π_θ), before the update. */
  public static final String KL_REVERSE = "kl/reverse";

  /** λ_F in force this step (the KL controller scales it). */
  public static final String KL_LAMBDA_FORWARD = "kl/lambda_forward";

  /** λ_R in force this step. */
  public static final String KL_LAMBDA_REVERSE = "kl/lambda_reverse";

  /** The clipped-surrogate loss, mean over epochs. */
  public static final String LOSS_POLICY = "loss/policy";

  /** Policy loss plus the KL terms, mean over epochs. */
  public static final String LOSS_TOTAL = "loss/total";

  /** SFT's cross-entropy per answer token. */
  public static final String LOSS_SFT = "loss/sft";

  /** Share of tokens whose ratio ρ_t was clipped. */
  public static final String CLIP_RATIO = "clip_ratio";

  /**
   * Mean |log π_sampler − log π_old| per valid completion token: how far the rollout engine's
   * log-probs are from the trainer's at the same weights (bf16 vs f32, fused vs unfused kernels);
   * only when sampling from the policy (sampling.top_p 1, top_k 0). rl.tis_cap corrects for it.
   */
  public static final String LOGPROB_MISMATCH_MEAN = "logprob_mismatch/mean";

  /** The largest |log π_sampler − log π_old| on a valid token of the step (max over ranks). */
  public static final String LOGPROB_MISMATCH_MAX = "logprob_mismatch/max";

  /** Gradient norm before clipping (GRPO: mean over epochs). */
  public static final String GRAD_NORM = "grad_norm";

  /** Learning rate of the step. */
  public static final String LR = "lr";

  /** Updates skipped because the loss or gradient was not finite (0 or 1 per step). */
  public static final String SKIPPED_STEPS = "skipped_steps";

  // time and batch shape
  /** Seconds sampling and scoring (the slowest rank). */
  public static final String TIME_ROLLOUT_S = "time/rollout_s";

  /** Seconds of the update (the slowest rank). */
  public static final String TIME_TRAIN_S = "time/train_s";

  /** Prompt and completion tokens per second of the step. */
  public static final String TOKENS_PER_S = "tokens_per_s";

  /** Padding share of the micro-batches as computed. */
  public static final String BATCH_PADDING_FRAC = "batch/padding_frac";

  /** Padding share had the rows not been bucketed by length. */
  public static final String BATCH_PADDING_FRAC_UNBUCKETED = "batch/padding_frac_unbucketed";

  /** Sequence positions the training forward computed. */
  public static final String BATCH_FORWARD_POSITIONS = "batch/forward_positions";

  /** Positions it would have computed without shared prompts. */
  public static final String BATCH_FORWARD_POSITIONS_UNSHARED = "batch/forward_positions_unshared";

  // held-out evaluation (train.eval_every, sft.eval_every)
  /** Greedy success rate on the held-out set. */
  public static final String EVAL_SUCCESS_RATE = "eval/success_rate";

  /** Mean reward per held-out prompt. */
  public static final String EVAL_REWARD_PER_PROMPT = "eval/reward_per_prompt";

  /** Mean completion length on the held-out set. */
  public static final String EVAL_MEAN_LEN = "eval/mean_len";

  // masked diffusion (model.architecture: masked_diffusion, docs/diffusion.md)
  /** Held-out success of random-order samples at τ = 1 (the policy RL trains). */
  public static final String EVAL_SAMPLED_SUCCESS_RATE = "eval/sampled_success_rate";

  /** Exact per-position KL(π‖π_ref) on the fixed probe set of partially masked states. */
  public static final String PROBE_KL_FORWARD = "probe/kl_forward";

  /** Exact per-position KL(π_ref‖π) on the fixed probe set. */
  public static final String PROBE_KL_REVERSE = "probe/kl_reverse";

  /** Cosine between the gradients of two disjoint half-batches (whole groups). */
  public static final String GRAD_HALF_COSINE = "grad/half_cosine";

  /** Pearson correlation over the batch's rows of Σ_k E1 terms with Σ_k E2 terms under π_old. */
  public static final String LIKELIHOOD_E1_E2_CORR = "likelihood/e1_e2_corr";

  /** Mean over rows of Σ_k E1 (one-step) log-likelihood terms under π_old. */
  public static final String LIKELIHOOD_E1_MEAN = "likelihood/e1_mean";

  /** Mean over rows of Σ_k E2 (exact trajectory) log-likelihood terms under π_old. */
  public static final String LIKELIHOOD_E2_MEAN = "likelihood/e2_mean";

  /** Fraction of (group, denoising step) pairs whose step rewards are all equal (A2/A3). */
  public static final String FRAC_ZERO_STD_STEPS = "frac_zero_std_steps";

  /** Seconds spent on the probe-set KL. */
  public static final String TIME_PROBE_S = "time/probe_s";

  /** Masked answer positions the SFT step's loss covers. */
  public static final String MASKED_TOKENS = "masked_tokens";

  /** Environment runs: mean model turns per held-out episode. */
  public static final String EVAL_TURNS_MEAN = "eval/turns_mean";

  // environments (env:, docs/environments.md); absent in single-turn runs
  /** Mean model turns per episode. */
  public static final String ENV_TURNS_MEAN = "env/turns_mean";

  /** Requests sent to the environment in the step. */
  public static final String ENV_CALLS = "env/calls";

  /** Mean latency of one environment request, seconds. */
  public static final String ENV_CALL_S_MEAN = "env/call_s_mean";

  /** Summed latency of the step's environment requests, seconds. */
  public static final String ENV_TIME_S = "env/time_s";

  /** Seconds the sampler had no row to decode, all waiting for the environment (slowest rank). */
  public static final String ENV_IDLE_S = "env/idle_s";

  /** Observation tokens over all tokens after the prompts: the share the loss masks out. */
  public static final String ENV_MASKED_FRAC = "env/masked_frac";

  /** Failed episodes of the step (their groups left it). */
  public static final String ENV_FAILURES = "env/failures";
}
