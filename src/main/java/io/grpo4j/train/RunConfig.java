package io.grpo4j.train;

import io.grpo4j.dist.BackendKind;
import io.grpo4j.generate.Sampler;
import io.grpo4j.rl.AdvantageMode;
import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.EntropyReward;
import io.grpo4j.rl.KlEstimator;
import io.grpo4j.rl.LossAggregation;
import io.grpo4j.task.countdown.CountdownRewards;
import io.grpo4j.task.countdown.CountdownSettings;
import io.grpo4j.task.jsonl.JsonlSettings;
import io.grpo4j.task.reward.RewardConfig;
import java.util.Map;

/**
 * Everything a run needs, as one tree loaded from YAML ({@link ConfigLoader}). Keys are the
 * snake_case forms of the component names ({@code rl.kl.forward}); each default below says why it
 * is what it is. The resolved tree is written to {@code <run>/config.yaml}. Modes are enums, parsed
 * and checked once when the file is loaded ({@link ConfigLoader}).
 *
 * @param seed master seed: data, sampling and initialisation all derive from it (default 0)
 * @param model which weights to start from and how to run them
 * @param task which environment, answer format and prompt style
 * @param countdown the Countdown generator and its reward values
 * @param data prompts per step and the held-out evaluation set
 * @param sampling how rollouts are sampled
 * @param rl the GRPO objective: group size, advantages, entropy reward, KL, clipping
 * @param train the GRPO optimisation loop
 * @param sft the supervised warm-start
 * @param logging what a run writes besides metrics.jsonl and samples.jsonl
 * @param reward where rewards come from for tasks without a built-in verifier ({@code reward.*};
 *     see {@link RewardConfig}, docs/tasks.md)
 * @param distributed data-parallel ranks: backend, timeouts, gradient buckets (docs/distributed.md)
 */
public record RunConfig(
    long seed,
    Model model,
    Task task,
    Countdown countdown,
    Data data,
    Sampling sampling,
    Rl rl,
    Train train,
    Sft sft,
    Logging logging,
    RewardConfig reward,
    Distributed distributed) {

  public RunConfig {
    require(
        model != null
            && task != null
            && countdown != null
            && data != null
            && sampling != null
            && rl != null
            && train != null
            && sft != null
            && logging != null
            && reward != null
            && distributed != null,
        "every section (model, task, countdown, data, sampling, rl, train, sft, logging, reward, distributed) must be present");
  }

  /** Built-in defaults: the tiny Countdown recipe. */
  public static RunConfig defaults() {
    return new RunConfig(
        0,
        Model.defaults(),
        Task.defaults(),
        Countdown.defaults(),
        Data.defaults(),
        Sampling.defaults(),
        Rl.defaults(),
        Train.defaults(),
        Sft.defaults(),
        Logging.defaults(),
        RewardConfig.DEFAULTS,
        Distributed.defaults());
  }

  static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  /**
   * @param init model folder to start from ({@code model.init}); null means "use the run's SFT
   *     output or the shipped tiny SFT checkpoint" (see the quickstart)
   * @param dtype compute dtype, f32 or bf16, of rollouts, the reference model and the training
   *     forward/backward; the optimizer always keeps f32 master weights (default f32: measured in
   *     docs/performance.md, bf16 products run tens of times slower than f32 on a CPU without
   *     AVX512-BF16/AMX; use bf16 on GPUs and AMX CPUs)
   * @param device cpu, cuda or cuda:N (default cpu)
   * @param threads compute threads (libtorch intra-op and OpenBLAS), 0 = their defaults, one per
   *     core (default 0)
   * @param saveDtype storage dtype of saved checkpoints (default f32; bf16 halves the files)
   * @param gradientCheckpointing recompute each decoder layer in the backward pass instead of
   *     storing its activations (default false: costs about one more forward pass; turn it on when
   *     activations do not fit, e.g. long sequences on the 1.5B model)
   * @param logitsChunk completion tokens per lm_head chunk in the training loss: the loss holds at
   *     most this many rows of vocabulary-wide logits (default 1024: 0.6 GB of f32 logits for
   *     Qwen's 151,936-word vocabulary; the result does not depend on it)
   * @param sharePrompt in GRPO's training, reference and π_old forward passes, compute each prompt
   *     once for the G completions sampled from it instead of once per row (default true: causal
   *     attention makes a prompt's hidden states independent of its completion, so the result is
   *     the same up to summation order, and on the quickstart, where the prompt is about 70 % of a
   *     row, a step's training time drops by about half, see docs/performance.md; ignored with
   *     gradient_checkpointing, which recomputes whole rows)
   * @param offloadOptimizer GRPO keeps the f32 master weights, their gradients and AdamW's state in
   *     host memory and only the {@code dtype} working copy on {@code device}; each step's
   *     gradients go to the host once, after the last micro-batch, and the optimizer step runs on
   *     the CPU (default false: it costs a host round trip of the weights per step; turn it on when
   *     the optimizer state does not fit the GPU: for 1.5B parameters it is 25 GB, see
   *     configs/qwen2.5-1.5b-countdown-12gb.yaml and docs/gpu.md; SFT ignores it)
   */
  public record Model(
      String init,
      String dtype,
      String device,
      int threads,
      String saveDtype,
      boolean gradientCheckpointing,
      int logitsChunk,
      boolean sharePrompt,
      boolean offloadOptimizer) {
    public Model {
      require(threads >= 0, "model.threads must be >= 0");
      require(logitsChunk >= 1, "model.logits_chunk must be >= 1, got " + logitsChunk);
    }

    static Model defaults() {
      return new Model(null, "f32", "cpu", 0, "f32", false, 1024, true, false);
    }

    /** The training-pass switches these settings describe. */
    public TrainOptions trainOptions() {
      return new TrainOptions(gradientCheckpointing, logitsChunk, sharePrompt);
    }
  }

  /**
   * @param name the task, found by name among the {@link io.grpo4j.task.TaskProvider}s: {@code
   *     countdown} (built in), {@code jsonl} (your JSONL dataset, docs/tasks.md) or a plug-in's
   *     name (default countdown)
   * @param format Countdown's answer format: {@code steps} (one {@code a op b = c} per line;
   *     partial credit per step, which gives token-level rewards their signal) or {@code
   *     expression} (TinyZero's {@code <answer>…</answer>}, all-or-nothing)
   * @param promptStyle {@code plain} (a short line, for the tiny model) or {@code chat}
   *     (instructions rendered through the model's chat template, for instruct models)
   * @param promptField jsonl: the row field holding the prompt, a string or chat messages (default
   *     prompt; the other jsonl keys and their defaults: {@link JsonlSettings})
   * @param answerField jsonl: the row field holding the reference answer (default answer)
   * @param completionField jsonl: the row field holding a reference completion for sft (default
   *     completion)
   * @param systemPrompt jsonl: a system message before every prompt (default empty: none)
   * @param promptTemplate jsonl: how a string prompt is put to the model, {@code {prompt}} and
   *     {@code {field}} placeholders (default {prompt})
   * @param options a plug-in task's own settings, free-form (default empty)
   */
  public record Task(
      String name,
      String format,
      String promptStyle,
      String promptField,
      String answerField,
      String completionField,
      String systemPrompt,
      String promptTemplate,
      Map<String, Object> options) {
    public Task {
      require(name != null && !name.isBlank(), "task.name must be set, got '" + name + "'");
      require(
          "steps".equals(format) || "expression".equals(format),
          "task.format must be steps or expression, got '" + format + "'");
      require(
          "plain".equals(promptStyle) || "chat".equals(promptStyle),
          "task.prompt_style must be plain or chat, got '" + promptStyle + "'");
      options = options == null ? Map.of() : Map.copyOf(options);
    }

    static Task defaults() {
      JsonlSettings j = JsonlSettings.DEFAULTS;
      return new Task(
          "countdown",
          "steps",
          "plain",
          j.promptField(),
          j.answerField(),
          j.completionField(),
          j.systemPrompt(),
          j.promptTemplate(),
          Map.of());
    }
  }

  /**
   * @param generator how training and evaluation problems are generated ({@code
   *     countdown.generator.*}; defaults and reasons in {@link CountdownSettings}): the tiny recipe
   *     uses 3 numbers from 1..20: small enough arithmetic for a 3 M-parameter byte model, and
   *     11,708 distinct problems (1..9 has 1,361, which SFT memorised; docs/countdown.md)
   * @param reward the verifier's reward values ({@code countdown.reward.*}; see {@link
   *     CountdownRewards})
   */
  public record Countdown(CountdownSettings generator, CountdownRewards reward) {
    public Countdown {
      require(
          generator != null && reward != null,
          "countdown.generator and countdown.reward must be present");
    }

    static Countdown defaults() {
      return new Countdown(CountdownSettings.DEFAULTS, CountdownRewards.DEFAULTS);
    }
  }

  /**
   * @param promptsPerStep P, prompts sampled per GRPO step; each gets {@code rl.group_size}
   *     completions (default 16: 16 × 8 = 128 rollouts per step fit a 2-core CPU step budget)
   * @param evalSize held-out problems for evaluation (default 200: ±3.5 points standard error)
   * @param evalSeed seed of the held-out set, distinct from training problems by construction
   *     (default 1000003)
   * @param trainFile JSONL training rows for {@code task.name: jsonl}, visited in epochs shuffled
   *     with the run seed (default null: the task generates its problems)
   * @param evalFile JSONL held-out rows; evaluation uses its first {@code eval_size} (default null:
   *     the task draws its held-out set with {@code eval_seed})
   * @param oversample DAPO's dynamic sampling: draw ⌈oversample × P⌉ prompts, drop the groups whose
   *     G rewards are all equal (they teach the outcome-based modes nothing) and train on the first
   *     P of the rest (fewer when not enough remain); 1 = off (default 1.0: the extra rollouts cost
   *     time a 2-core budget may not have)
   */
  public record Data(
      int promptsPerStep,
      int evalSize,
      long evalSeed,
      String trainFile,
      String evalFile,
      double oversample) {
    public Data {
      require(promptsPerStep > 0, "data.prompts_per_step must be > 0, got " + promptsPerStep);
      require(evalSize > 0, "data.eval_size must be > 0, got " + evalSize);
      require(
          oversample >= 1 && oversample <= 8,
          "data.oversample must be in [1, 8] (1 = off), got " + oversample);
    }

    static Data defaults() {
      return new Data(16, 200, 1_000_003L, null, null, 1.0);
    }
  }

  /**
   * @param temperature τ, the rollout temperature; GRPO's policy is then π_θ at temperature τ,
   *     softmax(z/τ): the clipped surrogate's log-probs are taken of z/τ (as TRL does), so the
   *     rollouts are on-policy and their stored log-probs are exact π_old values at any τ, while
   *     the KL terms to π_ref and the reported KL stay those of the model's own distribution
   *     softmax(z). A τ below 1 trains the ranking that greedy decoding uses at a smaller KL cost
   *     (docs/experiments.md) (default 1.0)
   * @param topP nucleus mass, 1.0 = off (default 1.0, for the same reason)
   * @param topK 0 = off (default 0)
   * @param maxNewTokens completion length limit (default 48: a 3-number Countdown answer in the
   *     steps format takes about 20 bytes)
   * @param decode how rollout decode steps run: {@code dynamic}, {@code static} or {@code
   *     cuda_graph} ({@link Sampler.Decode}; all give the same samples). Default dynamic: on a CPU
   *     nothing is faster. static keeps positions and picks on the device (no host sync per token);
   *     cuda_graph replays the decode step as a CUDA graph (CUDA only; unmeasured, docs/gpu.md)
   */
  public record Sampling(
      double temperature, double topP, int topK, int maxNewTokens, String decode) {
    public Sampling {
      Sampler.Decode.parse(decode == null ? "null" : decode); // fails naming the allowed values
      require(temperature > 0, "sampling.temperature must be > 0, got " + temperature);
      require(topP > 0 && topP <= 1, "sampling.top_p must be in (0, 1], got " + topP);
      require(topK >= 0, "sampling.top_k must be >= 0, got " + topK);
      require(maxNewTokens > 0, "sampling.max_new_tokens must be > 0, got " + maxNewTokens);
    }

    static Sampling defaults() {
      return new Sampling(1.0, 1.0, 0, 48, "dynamic");
    }

    public Sampler.Decode decodeMode() {
      return Sampler.Decode.parse(decode);
    }

    /**
     * True when sampling draws from the policy the loss uses (π_θ at temperature τ: no top-k or
     * top-p), so rollout log-probs equal π_old's.
     */
    public boolean samplesFromPolicy() {
      return topP == 1.0 && topK == 0;
    }
  }

  /**
   * @param groupSize G, completions per prompt (default 8, the seed's recipe)
   * @param epochs μ, passes of the clipped surrogate over one batch of rollouts (default 1: then ρ
   *     = 1 at the start of the step and the rollout log-probs serve as π_old)
   * @param microBatch rows per forward/backward chunk; gradients accumulate (default 32: bounds
   *     activation memory without changing the maths)
   * @param aggregation how per-token losses become one number: {@code token}, {@code sequence} or
   *     {@code constant} (Dr.GRPO), see {@link LossAggregation} (default token: DAPO's, every token
   *     weighs the same)
   * @param advantage how advantages are computed
   * @param entropy the token reward r_t = α·pref_t + β·H_t
   * @param kl the KL terms to π_ref
   * @param clip the PPO ratio clip range
   */
  public record Rl(
      int groupSize,
      int epochs,
      int microBatch,
      LossAggregation aggregation,
      Advantage advantage,
      Entropy entropy,
      Kl kl,
      Clip clip) {
    public Rl {
      require(
          groupSize >= 2,
          "rl.group_size must be >= 2 (advantages are relative within a group), got " + groupSize);
      require(epochs >= 1, "rl.epochs must be >= 1, got " + epochs);
      require(microBatch >= 1, "rl.micro_batch must be >= 1, got " + microBatch);
      require(aggregation != null, "rl.aggregation must be set");
      require(
          advantage != null && entropy != null && kl != null && clip != null,
          "rl.advantage, rl.entropy, rl.kl and rl.clip must be present");
    }

    static Rl defaults() {
      return new Rl(
          8,
          1,
          32,
          LossAggregation.TOKEN,
          Advantage.defaults(),
          Entropy.defaults(),
          Kl.defaults(),
          Clip.defaults());
    }
  }

  /**
   * @param mode {@code token_relative} (δ_t = r_t − group mean token reward), {@code sequence}
   *     (standard GRPO z-score of the summed reward), {@code return_to_go} (group baseline on the
   *     per-token return), {@code prefix} (δ_t = V̂(s_t + a_t) − V̂(s_t), the mean outcome of the
   *     group's completions through each prefix) or {@code hybrid} (sequence + process_weight × the
   *     group-normalised token reward); formulas in {@link io.grpo4j.rl.Advantages} (default
   *     sequence: the best of the first three on the tiny recipe, same seed and budget — README
   *     "Status")
   * @param clip c: token advantages are clipped to [−c, c] (default 1.0, the seed's δ clip)
   * @param scaleRewards divide by the group's reward std (default true; Dr.GRPO sets false)
   * @param epsilon added to the std (default 1e-4, as TRL)
   * @param sequenceWeight prefix mode: μ, the share of the sequence advantage added to the
   *     per-prefix credit (default 0: prefix credit only)
   * @param processWeight hybrid mode: w, the weight of the normalised token reward (default 0.5: a
   *     dead-end token's process term, about −1, then weighs half of a typical sequence z-score)
   * @param stdFloor the group reward std used for scaling is at least this (default 0: off; 0.25
   *     keeps the tiny differences between failures in an all-fail group from becoming ±2.5
   *     z-scores)
   * @param entropyWeight κ in [0, 1]: advantages are scaled by 1 − κ + κ·H_t / H̄, so high-entropy
   *     ("forking") tokens get more of the update and near-deterministic ones less (default 0: off)
   */
  public record Advantage(
      AdvantageMode mode,
      double clip,
      boolean scaleRewards,
      double epsilon,
      double sequenceWeight,
      double processWeight,
      double stdFloor,
      double entropyWeight) {
    public Advantage {
      require(mode != null, "rl.advantage.mode must be set");
      require(clip > 0, "rl.advantage.clip must be > 0, got " + clip);
      require(epsilon > 0, "rl.advantage.epsilon must be > 0, got " + epsilon);
    }

    static Advantage defaults() {
      return new Advantage(AdvantageMode.SEQUENCE, 1.0, true, 1e-4, 0.0, 0.5, 0.0, 0.0);
    }

    /** The rl-room object these settings describe. */
    public Advantages toAdvantages() {
      return new Advantages(
          mode,
          clip,
          scaleRewards,
          epsilon,
          sequenceWeight,
          processWeight,
          stdFloor,
          entropyWeight);
    }
  }

  /**
   * @param alpha α, weight of the verifier's prefix-score difference pref_t (default 1.0)
   * @param beta β, weight of the sampling entropy H_t (default 0.0: GTPO's entropy bonus is a
   *     research knob; on the tiny model it rewarded rambling)
   */
  public record Entropy(double alpha, double beta) {
    static Entropy defaults() {
      return new Entropy(1.0, 0.0);
    }

    /** The rl-room object these settings describe. */
    public EntropyReward toReward() {
      return new EntropyReward(alpha, beta);
    }
  }

  /**
   * @param forward λ_F, weight of KL(π_θ‖π_ref) (default 0.02, the seed's recipe)
   * @param reverse λ_R, weight of KL(π_ref‖π_θ) (default 0.01, the seed's recipe)
   * @param estimator {@code exact} (sum over the whole vocabulary) or {@code k3} (sampled estimator
   *     at the chosen token, for huge vocabularies) (default exact)
   * @param target KL_target: when &gt; 0, λ_F and λ_R are both scaled by one adaptive factor
   *     (Ziegler et al.'s controller, {@link io.grpo4j.rl.KlController}) so that the measured
   *     forward KL per token tracks this value; 0 keeps λ fixed (default 0: the seed's recipe uses
   *     fixed weights)
   * @param horizon steps over which the controller applies a full ±20 % correction (default 10:
   *     fast enough to react within a 150-step run, slow enough not to chase one noisy batch)
   * @param minFactor floor of the controller's factor on λ_F and λ_R (default 0.1: with a low KL
   *     for a while the unbounded controller let λ fall to 0.2× and the KL then overshot)
   * @param maxFactor ceiling of the factor (default 10: the sequence recipe reached 7×)
   */
  public record Kl(
      double forward,
      double reverse,
      KlEstimator estimator,
      double target,
      double horizon,
      double minFactor,
      double maxFactor) {
    public Kl {
      require(forward >= 0, "rl.kl.forward must be >= 0, got " + forward);
      require(reverse >= 0, "rl.kl.reverse must be >= 0, got " + reverse);
      require(estimator != null, "rl.kl.estimator must be set");
      require(
          target >= 0 && Double.isFinite(target),
          "rl.kl.target must be >= 0 (0 = fixed weights), got " + target);
      require(horizon > 0 && Double.isFinite(horizon), "rl.kl.horizon must be > 0, got " + horizon);
      require(
          minFactor >= 0
              && Double.isFinite(minFactor)
              && maxFactor >= minFactor
              && maxFactor >= 1
              && minFactor <= 1,
          "rl.kl.min_factor <= 1 <= rl.kl.max_factor must hold (both >= 0), got "
              + minFactor
              + ", "
              + maxFactor);
      require(
          target == 0 || forward + reverse > 0,
          "rl.kl.target > 0 needs rl.kl.forward or rl.kl.reverse > 0 to scale");
    }

    static Kl defaults() {
      return new Kl(0.02, 0.01, KlEstimator.EXACT, 0.0, 10.0, 0.1, 10.0);
    }
  }

  /**
   * @param low ε_low: ρ is clipped below at 1 − ε_low (default 0.2, PPO's)
   * @param high ε_high: ρ is clipped above at 1 + ε_high (default 0.2; DAPO raises it to 0.28)
   */
  public record Clip(double low, double high) {
    public Clip {
      require(low > 0 && low < 1, "rl.clip.low must be in (0, 1), got " + low);
      require(high > 0, "rl.clip.high must be > 0, got " + high);
    }

    static Clip defaults() {
      return new Clip(0.2, 0.2);
    }
  }

  /**
   * @param steps GRPO steps (default 150)
   * @param lr AdamW learning rate (default 2e-5)
   * @param warmupSteps linear warm-up steps, then constant (default 5)
   * @param weightDecay AdamW decoupled weight decay (default 0.0: RL should not pull weights to 0
   *     away from π_ref)
   * @param beta1 AdamW β1 (default 0.9)
   * @param beta2 AdamW β2 (default 0.99: adapts faster to the shifting RL gradient scale)
   * @param gradClip max global gradient norm (default 1.0)
   * @param evalEvery evaluate on the held-out set every N steps, 0 = only at the end (default 50)
   * @param saveEvery checkpoint every N steps (default 25); the last step is always saved
   * @param samplesPerStep rollouts per step written to samples.jsonl: the step's first ones, so
   *     whole groups in order (default 8 = one whole group of the default rl.group_size, so the
   *     dashboard's rollout browser shows a complete group and its true baseline)
   * @param budgetMinutes stop (and save) after this wall time, 0 = no limit (default 0)
   * @param maxSkippedSteps an update whose loss or gradient norm is NaN/infinite is skipped and
   *     counted ({@code skipped_steps} in metrics); this many in a row stop the run, keeping the
   *     last good checkpoint (default 5: one bad batch is survivable, five in a row mean
   *     divergence). SFT uses the same setting
   */
  public record Train(
      int steps,
      double lr,
      int warmupSteps,
      double weightDecay,
      double beta1,
      double beta2,
      double gradClip,
      int evalEvery,
      int saveEvery,
      int samplesPerStep,
      double budgetMinutes,
      int maxSkippedSteps) {
    public Train {
      require(steps >= 1, "train.steps must be >= 1, got " + steps);
      require(lr > 0, "train.lr must be > 0, got " + lr);
      require(warmupSteps >= 0, "train.warmup_steps must be >= 0");
      require(weightDecay >= 0, "train.weight_decay must be >= 0");
      require(
          beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
          "train.beta1 and train.beta2 must be in [0, 1)");
      require(gradClip > 0, "train.grad_clip must be > 0");
      require(evalEvery >= 0, "train.eval_every must be >= 0");
      require(saveEvery >= 1, "train.save_every must be >= 1");
      require(samplesPerStep >= 0, "train.samples_per_step must be >= 0");
      require(budgetMinutes >= 0, "train.budget_minutes must be >= 0");
      require(maxSkippedSteps >= 1, "train.max_skipped_steps must be >= 1, got " + maxSkippedSteps);
    }

    static Train defaults() {
      return new Train(150, 2e-5, 5, 0.0, 0.9, 0.99, 1.0, 50, 25, 8, 0, 5);
    }
  }

  /**
   * @param steps optimizer steps of supervised warm-start (default 3000)
   * @param lr peak learning rate (default 1e-3: a 3 M-parameter model from scratch)
   * @param minLrRatio cosine decays to lr × this (default 0.1)
   * @param batchSize prompt → solution pairs per step, freshly generated (default 64)
   * @param warmupSteps linear warm-up (default 100)
   * @param weightDecay AdamW decoupled weight decay (default 0.01)
   * @param gradClip max global gradient norm (default 1.0)
   * @param evalEvery evaluate greedy success every N steps, 0 = only at the end (default 1000)
   * @param saveEvery checkpoint every N steps (default 500)
   * @param microBatch rows per forward/backward pass, gradients accumulated over the batch; 0 = the
   *     whole batch at once (default 16: the same update up to summation order with a quarter of
   *     the activation memory of a 64-row batch; on bench25m also faster, since smaller tensors
   *     reuse the allocator's memory instead of faulting in fresh pages, see docs/performance.md)
   */
  public record Sft(
      int steps,
      double lr,
      double minLrRatio,
      int batchSize,
      int warmupSteps,
      double weightDecay,
      double gradClip,
      int evalEvery,
      int saveEvery,
      int microBatch) {
    public Sft {
      require(steps >= 1, "sft.steps must be >= 1, got " + steps);
      require(lr > 0, "sft.lr must be > 0");
      require(minLrRatio >= 0 && minLrRatio <= 1, "sft.min_lr_ratio must be in [0, 1]");
      require(batchSize >= 1, "sft.batch_size must be >= 1");
      require(warmupSteps >= 0, "sft.warmup_steps must be >= 0");
      require(weightDecay >= 0, "sft.weight_decay must be >= 0");
      require(gradClip > 0, "sft.grad_clip must be > 0");
      require(evalEvery >= 0, "sft.eval_every must be >= 0");
      require(saveEvery >= 1, "sft.save_every must be >= 1");
      require(
          microBatch >= 0, "sft.micro_batch must be >= 0 (0 = the whole batch), got " + microBatch);
    }

    static Sft defaults() {
      return new Sft(3000, 1e-3, 0.1, 64, 100, 0.01, 1.0, 1000, 500, 16);
    }
  }

  /**
   * @param tensorboard write a TensorBoard event file ({@code events.out.tfevents.*}) beside
   *     metrics.jsonl, fed the same rows: a scalar per metric, same names, and a text summary of
   *     each step's logged completions (default true: TensorBoard and W&B's TensorBoard sync read
   *     it, so a run shows up in the trackers people already use with no extra step)
   */
  public record Logging(boolean tensorboard) {
    static Logging defaults() {
      return new Logging(true);
    }
  }

  /**
   * Data-parallel training (docs/distributed.md); used only when the process is started as a rank
   * of a job (WORLD_SIZE &gt; 1 in its environment, e.g. by {@code grpo4j launch} or torchrun).
   *
   * @param backend {@code auto} (Gloo on cpu, NCCL on cuda, as PyTorch), {@code gloo} or {@code
   *     nccl} (default auto)
   * @param initTimeoutS seconds the rendezvous waits for every rank to join (default 300: ranks of
   *     a cluster job may start minutes apart, as torchrun's rendezvous allows)
   * @param timeoutS seconds any collective waits for its peers before failing with a clear error
   *     (default 600: longer than the slowest rank's rollouts plus rank 0's checkpoint save on the
   *     1.5B recipe; a rank that dies fails its peers at once, one that hangs after this)
   * @param bucketMb gradient all-reduce bucket size in MiB (default 25: PyTorch DDP's
   *     bucket_cap_mb)
   */
  public record Distributed(BackendKind backend, int initTimeoutS, int timeoutS, int bucketMb) {
    public Distributed {
      require(backend != null, "distributed.backend must be auto, gloo or nccl");
      require(initTimeoutS > 0, "distributed.init_timeout_s must be > 0, got " + initTimeoutS);
      require(timeoutS > 0, "distributed.timeout_s must be > 0, got " + timeoutS);
      require(bucketMb > 0, "distributed.bucket_mb must be > 0, got " + bucketMb);
    }

    static Distributed defaults() {
      return new Distributed(BackendKind.AUTO, 300, 600, 25);
    }
  }
}
