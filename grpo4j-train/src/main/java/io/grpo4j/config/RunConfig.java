package io.grpo4j.config;

import io.grpo4j.dist.BackendKind;
import io.grpo4j.generate.DiffusionSampler;
import io.grpo4j.generate.Sampler;
import io.grpo4j.model.ModelKind;
import io.grpo4j.rl.AStarPo;
import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.Algorithm;
import io.grpo4j.rl.DiffusionAdvantage;
import io.grpo4j.rl.DiffusionLikelihood;
import io.grpo4j.rl.EntropyReward;
import io.grpo4j.rl.KlEstimator;
import io.grpo4j.rl.LossAggregation;
import io.grpo4j.rl.TokenMask;
import io.grpo4j.task.countdown.CountdownRewards;
import io.grpo4j.task.countdown.CountdownSettings;
import io.grpo4j.task.env.EnvConfig;
import io.grpo4j.task.jsonl.JsonlSettings;
import io.grpo4j.task.reward.RewardConfig;
import java.util.Map;

/**
 * Everything a run needs, as one tree loaded from YAML ({@link ConfigLoader}). Keys are the
 * snake_case forms of the component names ({@code rl.kl.forward}). Each section's defaults are its
 * record's constants, one per key ({@link Rl#GROUP_SIZE} for {@code rl.group_size}), each
 * documented with why it is what it is; {@code defaults()} builds the section from those names
 * only. The resolved tree is written to {@code <run>/config.yaml}. Modes are enums, parsed and
 * checked once when the file is loaded ({@link ConfigLoader}).
 *
 * @param seed master seed: data, sampling and initialisation all derive from it ({@link #SEED})
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
 * @param diffusion the masked-diffusion probe's settings, read when {@code model.architecture} is
 *     {@code masked_diffusion} (docs/diffusion.md)
 * @param env multi-turn episodes against an environment ({@code env.*}; see {@link EnvConfig},
 *     docs/environments.md); off by default
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
    Distributed distributed,
    Diffusion diffusion,
    EnvConfig env) {

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
            && distributed != null
            && diffusion != null
            && env != null,
        "every section (model, task, countdown, data, sampling, rl, train, sft, logging, reward, distributed, diffusion, env) must be present");
    require(
        rl.advantage().mode() != io.grpo4j.rl.AdvantageMode.TREE
            || sampling.tree().leaves() == rl.groupSize(),
        "rl.advantage.mode=tree samples trees of sampling.tree.widths "
            + sampling.tree().widths()
            + " = "
            + sampling.tree().leaves()
            + " leaves, but rl.group_size is "
            + rl.groupSize()
            + ": make their product the group size");
    if (env.enabled()) {
      io.grpo4j.rl.AdvantageMode mode = rl.advantage().mode();
      require(
          mode != io.grpo4j.rl.AdvantageMode.TREE && mode != io.grpo4j.rl.AdvantageMode.MC_PREFIX,
          "env: (multi-turn episodes) with rl.advantage.mode="
              + mode.configName()
              + " is not supported: tree and mc_prefix branch or continue one completion at its"
              + " segment cuts, and an episode's turns wait for the environment in between; use"
              + " rl.advantage.mode sequence, token_relative, return_to_go, prefix or hybrid"
              + " (docs/environments.md)");
      require(
          rl.algorithm() == io.grpo4j.rl.Algorithm.GRPO,
          "env: (multi-turn episodes) with rl.algorithm="
              + rl.algorithm().configName()
              + " is not supported: A*-PO's V̂* comes from single-turn samples of π_ref; use"
              + " rl.algorithm grpo (docs/environments.md)");
      require(
          model.kind() != io.grpo4j.model.ModelKind.MASKED_DIFFUSION,
          "env: (multi-turn episodes) needs an autoregressive model; model.architecture is"
              + " masked_diffusion");
    }
  }

  /** Default {@code seed}: any fixed seed makes runs repeatable; 0 is the conventional one. */
  public static final long SEED = 0;

  /** Built-in defaults: the tiny Countdown recipe. */
  public static RunConfig defaults() {
    return new RunConfig(
        SEED,
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
        Distributed.defaults(),
        Diffusion.defaults(),
        EnvConfig.DEFAULTS);
  }

  static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  /**
   * Which weights to start from and how to run them ({@code model.*}).
   *
   * @param init model folder to start from ({@link #INIT})
   * @param dtype compute dtype, f32, bf16 or auto (bf16 where the hardware has bf16 units: a CPU
   *     with AMX or AVX512_BF16, a GPU of compute capability ≥ 8; f32 elsewhere; {@code
   *     io.grpo4j.torch.DType#resolve}), of rollouts, the reference model and the training
   *     forward/backward; the optimizer always keeps f32 master weights ({@link #DTYPE})
   * @param device cpu, cuda or cuda:N ({@link #DEVICE})
   * @param threads compute threads (libtorch intra-op and OpenBLAS), 0 = their defaults, one per
   *     core ({@link #THREADS})
   * @param saveDtype storage dtype of saved checkpoints ({@link #SAVE_DTYPE})
   * @param gradientCheckpointing recompute each decoder layer in the backward pass instead of
   *     storing its activations ({@link #GRADIENT_CHECKPOINTING})
   * @param logitsChunk completion tokens per lm_head chunk in the training loss: the loss holds at
   *     most this many rows of vocabulary-wide logits; the result does not depend on it ({@link
   *     #LOGITS_CHUNK})
   * @param sharePrompt in GRPO's training, reference and π_old forward passes, compute each prompt
   *     once for the G completions sampled from it instead of once per row; ignored with
   *     gradient_checkpointing, which recomputes whole rows ({@link #SHARE_PROMPT})
   * @param offloadOptimizer GRPO keeps the f32 master weights, their gradients and AdamW's state in
   *     host memory and only the {@code dtype} working copy on {@code device}; each step's
   *     gradients go to the host once, after the last micro-batch, and the optimizer step runs on
   *     the CPU; SFT ignores it ({@link #OFFLOAD_OPTIMIZER})
   * @param lora train LoRA adapters instead of every weight ({@code model.lora.*}, {@link Lora});
   *     off unless {@code model.lora.r} &gt; 0
   * @param architecture {@code causal} (an autoregressive Qwen2) or {@code masked_diffusion} (the
   *     same blocks with bidirectional attention and a [MASK] token, docs/diffusion.md): which
   *     model {@code sft} initialises when {@code init} is unset, and which kind of folder {@code
   *     init} must be — a folder of the other kind is refused, naming both ({@link #ARCHITECTURE})
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
      boolean offloadOptimizer,
      Lora lora,
      String architecture) {
    public Model {
      require(threads >= 0, "model.threads must be >= 0");
      ModelKind.parse("model.architecture", architecture); // fails naming the allowed values
      require(logitsChunk >= 1, "model.logits_chunk must be >= 1, got " + logitsChunk);
      require(lora != null, "model.lora must be a mapping (model.lora.r: 0 turns LoRA off)");
      require(
          !(lora.enabled() && offloadOptimizer),
          "model.offload_optimizer is for full fine-tuning; with model.lora.r > 0 the optimizer"
              + " state is the adapters' (a few MB): set model.offload_optimizer: false");
      require(
          !(lora.enabled()
              && ModelKind.parse("model.architecture", architecture) == ModelKind.MASKED_DIFFUSION),
          "model.lora: LoRA trains autoregressive models; with model.architecture=masked_diffusion"
              + " set model.lora.r: 0");
    }

    /**
     * Default {@code model.init}: none, meaning "use the run's SFT output or the shipped tiny SFT
     * checkpoint" (see the quickstart).
     */
    public static final String INIT = null;

    /**
     * Default {@code model.dtype}: measured in docs/performance.md, bf16 products run tens of times
     * slower than f32 on a CPU without AVX512-BF16/AMX; use bf16 on GPUs and AMX CPUs.
     */
    public static final String DTYPE = "f32";

    /** Default {@code model.device}: every machine has one. */
    public static final String DEVICE = "cpu";

    /** Default {@code model.threads}: one per core. */
    public static final int THREADS = 0;

    /**
     * Default {@code model.save_dtype}: checkpoints as exact as the master weights (bf16 halves the
     * files).
     */
    public static final String SAVE_DTYPE = "f32";

    /**
     * Default {@code model.gradient_checkpointing}: off, it costs about one more forward pass; turn
     * it on when activations do not fit, e.g. long sequences on the 1.5B model.
     */
    public static final boolean GRADIENT_CHECKPOINTING = false;

    /**
     * Default {@code model.logits_chunk}: 0.6 GB of f32 logits for Qwen's 151,936-word vocabulary.
     */
    public static final int LOGITS_CHUNK = 1024;

    /**
     * Default {@code model.share_prompt}: on, since causal attention makes a prompt's hidden states
     * independent of its completion, so the result is the same up to summation order, and on the
     * quickstart, where the prompt is about 70 % of a row, a step's training time drops by about
     * half (docs/performance.md).
     */
    public static final boolean SHARE_PROMPT = true;

    /**
     * Default {@code model.offload_optimizer}: off, it costs a host round trip of the weights per
     * step; turn it on when the optimizer state does not fit the GPU: for 1.5B parameters it is 25
     * GB, see configs/qwen2.5-1.5b-countdown-12gb.yaml and docs/gpu.md.
     */
    public static final boolean OFFLOAD_OPTIMIZER = false;

    /** Default {@code model.architecture}: the autoregressive model every recipe but one uses. */
    public static final String ARCHITECTURE = "causal";

    static Model defaults() {
      return new Model(
          INIT,
          DTYPE,
          DEVICE,
          THREADS,
          SAVE_DTYPE,
          GRADIENT_CHECKPOINTING,
          LOGITS_CHUNK,
          SHARE_PROMPT,
          OFFLOAD_OPTIMIZER,
          Lora.defaults(),
          ARCHITECTURE);
    }

    /** {@link #architecture} parsed. */
    public ModelKind kind() {
      return ModelKind.parse("model.architecture", architecture);
    }

    /** The training-pass switches these settings describe. */
    public TrainOptions trainOptions() {
      return new TrainOptions(gradientCheckpointing, logitsChunk, sharePrompt);
    }
  }

  /**
   * LoRA ({@code model.lora.*}): {@code sft} and {@code train} keep the {@code model.init} weights
   * frozen in {@code model.dtype} and train, in f32, a pair A [r, in], B [out, r] per target
   * projection, so that the projection computes {@code x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ} (PEFT's LoRA;
   * initialised as PEFT does: A kaiming-uniform, B = 0, so step 0 is the base model). GRPO's π_ref
   * is then the base with the adapters off: no second model in memory. Checkpoints hold the
   * adapters in PEFT's layout (docs/training.md, "LoRA").
   *
   * @param r the adapters' rank; 0 = no LoRA, every weight trains ({@link #R})
   * @param alpha α, the scale numerator: s = α/r ({@link #ALPHA})
   * @param dropout dropout on the adapters' input during training passes ({@link #DROPOUT})
   * @param targetModules the adapted projections ({@link #TARGET_MODULES})
   * @param rslora scale by α/√r (rsLoRA) instead of α/r ({@link #RSLORA})
   * @param rollout how rollouts apply the adapters: {@code merged} (a copy of the projections
   *     holding W + s·B·A, refreshed after every optimizer step) or {@code on_the_fly} (x·Wᵀ +
   *     s·(x·Aᵀ)·Bᵀ in every projection) ({@link #ROLLOUT})
   * @param int8Base hold the frozen base's projections as int8 weight-only (per-output-channel
   *     scales), the QLoRA idea with grpo4j's int8; π_ref is then that int8 base too ({@link
   *     #INT8_BASE})
   */
  public record Lora(
      int r,
      double alpha,
      double dropout,
      java.util.List<String> targetModules,
      boolean rslora,
      String rollout,
      boolean int8Base) {
    public Lora {
      require(r >= 0, "model.lora.r must be >= 0 (0 = off), got " + r);
      require(alpha > 0 && Double.isFinite(alpha), "model.lora.alpha must be > 0, got " + alpha);
      require(dropout >= 0 && dropout < 1, "model.lora.dropout must be in [0, 1), got " + dropout);
      require(
          targetModules != null && !targetModules.isEmpty(),
          "model.lora.target_modules must list some of " + io.grpo4j.model.LoraConfig.ALL_MODULES);
      for (String m : targetModules)
        require(
            io.grpo4j.model.LoraConfig.ALL_MODULES.contains(m),
            "model.lora.target_modules: '"
                + m
                + "' is not a Qwen2 projection; expected some of "
                + io.grpo4j.model.LoraConfig.ALL_MODULES);
      targetModules = java.util.List.copyOf(targetModules);
      require(
          ROLLOUTS.contains(rollout),
          "model.lora.rollout must be one of " + ROLLOUTS + ", got '" + rollout + "'");
    }

    /** The accepted {@code model.lora.rollout} values. */
    public static final java.util.List<String> ROLLOUTS = java.util.List.of("merged", "on_the_fly");

    /** Default {@code model.lora.r}: 0, LoRA off; 16 is the common choice when on. */
    public static final int R = 0;

    /** Default {@code model.lora.alpha}: 32, i.e. s = 2 at r = 16 (α = 2r, the usual pairing). */
    public static final double ALPHA = 32;

    /**
     * Default {@code model.lora.dropout}: 0 (PEFT's default): a dropped adapter input makes the
     * training pass's π_θ differ from the rollout's π_old at ratio 1, noise GRPO does not need.
     */
    public static final double DROPOUT = 0.0;

    /** Default {@code model.lora.target_modules}: every attention and MLP projection. */
    public static final java.util.List<String> TARGET_MODULES =
        io.grpo4j.model.LoraConfig.ALL_MODULES;

    /** Default {@code model.lora.rslora}: off, as in PEFT. */
    public static final boolean RSLORA = false;

    /**
     * Default {@code model.lora.rollout}: {@code merged}, one product per projection in every
     * decode step (the refresh, one B·A per projection, once a step). Measured on a CPU in f32 it
     * is as fast as {@code on_the_fly} or a few per cent faster, refresh included
     * (docs/training.md, "LoRA": the rollout paths; on CUDA unmeasured); {@code on_the_fly} needs
     * no copy of the projection weights (the 12 GB recipe) and keeps bf16 rollouts exact to the
     * adapters (a merged bf16 copy rounds W + s·B·A).
     */
    public static final String ROLLOUT = "merged";

    /** Default {@code model.lora.int8_base}: off, the base stays in {@code model.dtype}. */
    public static final boolean INT8_BASE = false;

    static Lora defaults() {
      return new Lora(R, ALPHA, DROPOUT, TARGET_MODULES, RSLORA, ROLLOUT, INT8_BASE);
    }

    /** Whether LoRA is on ({@code r} &gt; 0). */
    public boolean enabled() {
      return r > 0;
    }

    /** The adapters' hyper-parameters (PEFT's names); LoRA must be on. */
    public io.grpo4j.model.LoraConfig config() {
      return new io.grpo4j.model.LoraConfig(r, alpha, dropout, targetModules, rslora);
    }
  }

  /**
   * Which environment, answer format and prompt style ({@code task.*}). The jsonl keys are those of
   * {@link JsonlSettings}, which documents them and their defaults.
   *
   * @param name the task, found by name among the {@link io.grpo4j.task.TaskProvider}s: {@code
   *     countdown} (built in), {@code jsonl} (your JSONL dataset, docs/tasks.md) or a plug-in's
   *     name ({@link #NAME})
   * @param format Countdown's answer format: {@code steps} (one {@code a op b = c} per line;
   *     partial credit per step, which gives token-level rewards their signal) or {@code
   *     expression} (TinyZero's {@code <answer>…</answer>}, all-or-nothing) ({@link #FORMAT})
   * @param promptStyle {@code plain} (a short line, for the tiny model) or {@code chat}
   *     (instructions rendered through the model's chat template, for instruct models) ({@link
   *     #PROMPT_STYLE})
   * @param promptField jsonl: the row field holding the prompt ({@link JsonlSettings#PROMPT_FIELD})
   * @param answerField jsonl: the row field holding the reference answer ({@link
   *     JsonlSettings#ANSWER_FIELD})
   * @param completionField jsonl: the row field holding a reference completion for sft ({@link
   *     JsonlSettings#COMPLETION_FIELD})
   * @param systemPrompt jsonl: a system message before every prompt ({@link
   *     JsonlSettings#SYSTEM_PROMPT})
   * @param promptTemplate jsonl: how a string prompt is put to the model ({@link
   *     JsonlSettings#PROMPT_TEMPLATE})
   * @param options a plug-in task's own settings, free-form ({@link #OPTIONS})
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

    /** Default {@code task.name}: the built-in task the tiny recipe learns. */
    public static final String NAME = "countdown";

    /** Default {@code task.format}: partial credit per step gives token-level rewards a signal. */
    public static final String FORMAT = "steps";

    /** Default {@code task.prompt_style}: the short line the tiny model is trained on. */
    public static final String PROMPT_STYLE = "plain";

    /** Default {@code task.options}: empty; only a plug-in task reads it. */
    public static final Map<String, Object> OPTIONS = Map.of();

    static Task defaults() {
      return new Task(
          NAME,
          FORMAT,
          PROMPT_STYLE,
          JsonlSettings.PROMPT_FIELD,
          JsonlSettings.ANSWER_FIELD,
          JsonlSettings.COMPLETION_FIELD,
          JsonlSettings.SYSTEM_PROMPT,
          JsonlSettings.PROMPT_TEMPLATE,
          OPTIONS);
    }
  }

  /**
   * The Countdown generator and its reward values ({@code countdown.*}).
   *
   * @param generator how training and evaluation problems are generated ({@code
   *     countdown.generator.*}; defaults and reasons in {@link CountdownSettings}): the tiny recipe
   *     (configs/countdown-tiny.yaml) uses 3 numbers from 1..20: small enough arithmetic for a 3
   *     M-parameter byte model, and 11,708 distinct problems (1..9 has 1,361, which SFT memorised;
   *     docs/countdown.md)
   * @param reward the verifier's reward values ({@code countdown.reward.*}; defaults and reasons in
   *     {@link CountdownRewards})
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
   * Prompts per step and the held-out evaluation set ({@code data.*}).
   *
   * @param promptsPerStep P, prompts sampled per GRPO step; each gets {@code rl.group_size}
   *     completions ({@link #PROMPTS_PER_STEP})
   * @param evalSize held-out problems for evaluation ({@link #EVAL_SIZE})
   * @param evalSeed seed of the held-out set, distinct from training problems by construction
   *     ({@link #EVAL_SEED})
   * @param trainFile JSONL training rows for {@code task.name: jsonl}, visited in epochs shuffled
   *     with the run seed ({@link #TRAIN_FILE})
   * @param evalFile JSONL held-out rows; evaluation uses its first {@code eval_size} ({@link
   *     #EVAL_FILE})
   * @param oversample DAPO's dynamic sampling: draw ⌈oversample × P⌉ prompts, drop the groups whose
   *     G rewards are all equal (they teach the outcome-based modes nothing) and train on the first
   *     P of the rest (fewer when not enough remain); 1 = off ({@link #OVERSAMPLE})
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

    /**
     * Default {@code data.prompts_per_step}: 16 × 8 = 128 rollouts per step fit a 2-core CPU step
     * budget.
     */
    public static final int PROMPTS_PER_STEP = 16;

    /** Default {@code data.eval_size}: ±3.5 points standard error. */
    public static final int EVAL_SIZE = 200;

    /**
     * Default {@code data.eval_seed}: fixed, so every run of a config is evaluated on the same
     * problems.
     */
    public static final long EVAL_SEED = 1_000_003L;

    /** Default {@code data.train_file}: none, the task generates its problems. */
    public static final String TRAIN_FILE = null;

    /**
     * Default {@code data.eval_file}: none, the task draws its held-out set with {@code eval_seed}.
     */
    public static final String EVAL_FILE = null;

    /**
     * Default {@code data.oversample}: off, the extra rollouts cost time a 2-core budget may not
     * have.
     */
    public static final double OVERSAMPLE = 1.0;

    static Data defaults() {
      return new Data(PROMPTS_PER_STEP, EVAL_SIZE, EVAL_SEED, TRAIN_FILE, EVAL_FILE, OVERSAMPLE);
    }
  }

  /**
   * How rollouts are sampled ({@code sampling.*}).
   *
   * @param temperature τ, the rollout temperature; GRPO's policy is then π_θ at temperature τ,
   *     softmax(z/τ): the clipped surrogate's log-probs are taken of z/τ (as TRL does), so the
   *     rollouts are on-policy and their stored log-probs are exact π_old values at any τ, while
   *     the KL terms to π_ref and the reported KL stay those of the model's own distribution
   *     softmax(z) ({@link #TEMPERATURE})
   * @param topP nucleus mass, 1.0 = off ({@link #TOP_P})
   * @param topK keep the k most likely tokens, 0 = off ({@link #TOP_K})
   * @param maxNewTokens completion length limit ({@link #MAX_NEW_TOKENS})
   * @param decode how rollout decode steps run: {@code dynamic}, {@code static} or {@code
   *     cuda_graph} ({@link Sampler.Decode}; all give the same samples). static keeps positions and
   *     picks on the device (no host sync per token); cuda_graph replays the decode step as a CUDA
   *     graph (CUDA only; 5.04 ms per step against static's 16.46 ms on an H200, docs/gpu.md)
   *     ({@link #DECODE})
   * @param tree the prefix-tree rollouts of {@code rl.advantage.mode: tree} ({@code
   *     sampling.tree.*}, {@link Tree}); every other mode samples G independent completions
   * @param mcSamples K, continuations per cut of {@code rl.advantage.mode: mc_prefix} ({@link
   *     #MC_SAMPLES})
   */
  public record Sampling(
      double temperature,
      double topP,
      int topK,
      int maxNewTokens,
      String decode,
      Tree tree,
      int mcSamples) {
    public Sampling {
      require(tree != null, "sampling.tree must be present");
      require(mcSamples >= 1, "sampling.mc_samples must be >= 1, got " + mcSamples);
      Sampler.Decode.parse(decode == null ? "null" : decode); // fails naming the allowed values
      require(temperature > 0, "sampling.temperature must be > 0, got " + temperature);
      require(topP > 0 && topP <= 1, "sampling.top_p must be in (0, 1], got " + topP);
      require(topK >= 0, "sampling.top_k must be >= 0, got " + topK);
      require(maxNewTokens > 0, "sampling.max_new_tokens must be > 0, got " + maxNewTokens);
    }

    /**
     * Default {@code sampling.temperature}: the model's own distribution, as the SFT model was
     * trained and as pass@k is measured.
     */
    public static final double TEMPERATURE = 1.0;

    /**
     * Default {@code sampling.top_p}: off, so that rollouts sample the policy itself and their
     * log-probs are exact π_old values.
     */
    public static final double TOP_P = 1.0;

    /** Default {@code sampling.top_k}: off, for the same reason as {@link #TOP_P}. */
    public static final int TOP_K = 0;

    /**
     * Default {@code sampling.max_new_tokens}: a 3-number Countdown answer in the steps format
     * takes about 20 bytes.
     */
    public static final int MAX_NEW_TOKENS = 48;

    /** Default {@code sampling.decode}: on a CPU nothing is faster. */
    public static final String DECODE = "dynamic";

    /**
     * Default {@code sampling.mc_samples}: VinePPO uses 9 on math; Countdown's cuts are few and
     * often decided (a dead end is valued by the verifier), and every continuation costs generated
     * tokens that the matched budget takes from the training rollouts.
     */
    public static final int MC_SAMPLES = 4;

    static Sampling defaults() {
      return new Sampling(
          TEMPERATURE, TOP_P, TOP_K, MAX_NEW_TOKENS, DECODE, Tree.defaults(), MC_SAMPLES);
    }

    /** The tree rollouts' shape, the line-end token ids given. */
    public io.grpo4j.generate.TreeShape treeShape(java.util.Set<Integer> lineEnds) {
      return new io.grpo4j.generate.TreeShape(
          tree.widths().stream().mapToInt(Integer::intValue).toArray(),
          io.grpo4j.generate.TreeShape.BranchAt.parse(tree.branchAt()),
          lineEnds,
          tree.entropyThreshold());
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
   * Prefix-tree rollouts ({@code sampling.tree.*}, used by {@code rl.advantage.mode: tree}; {@link
   * io.grpo4j.generate.Sampler#generateTree}): each prompt forks into w_1 rows, and each row at
   * depth k &lt; d forks into w_{k+1} children at its next branch point, so G = w_1·…·w_d leaves
   * share prefixes that are decoded once.
   *
   * @param widths w_1 … w_d; their product must equal {@code rl.group_size} ({@link #WIDTHS})
   * @param branchAt {@code line_end}: after a token that ends a step (the task's delimiter, a
   *     newline for Countdown); {@code entropy}: at a position whose sampling entropy is at least
   *     {@code entropy_threshold} ({@link #BRANCH_AT})
   * @param entropyThreshold nats, for {@code branch_at: entropy} ({@link #ENTROPY_THRESHOLD})
   */
  public record Tree(java.util.List<Integer> widths, String branchAt, double entropyThreshold) {
    public Tree {
      require(
          widths != null && !widths.isEmpty(), "sampling.tree.widths must list at least one width");
      widths = java.util.List.copyOf(widths);
      for (int w : widths) require(w >= 1, "sampling.tree.widths must all be >= 1, got " + widths);
      io.grpo4j.generate.TreeShape.BranchAt.parse(branchAt); // fails naming the allowed values
      require(
          entropyThreshold >= 0 && Double.isFinite(entropyThreshold),
          "sampling.tree.entropy_threshold must be >= 0, got " + entropyThreshold);
    }

    /**
     * Default {@code sampling.tree.widths}: 4 different first steps, each continued twice — the
     * first line decides most Countdown answers (docs/experiments.md), so it gets the most siblings
     * to be judged against.
     */
    public static final java.util.List<Integer> WIDTHS = java.util.List.of(4, 2);

    /** Default {@code sampling.tree.branch_at}: Countdown's decisions are its lines. */
    public static final String BRANCH_AT = "line_end";

    /**
     * Default {@code sampling.tree.entropy_threshold}: about a coin flip between three tokens (ln 3
     * = 1.1); the tiny model's forking tokens carry more than 0.5 nats.
     */
    public static final double ENTROPY_THRESHOLD = 1.0;

    static Tree defaults() {
      return new Tree(WIDTHS, BRANCH_AT, ENTROPY_THRESHOLD);
    }

    /** G, the leaves of one prompt's tree. */
    public int leaves() {
      int g = 1;
      for (int w : widths) g *= w;
      return g;
    }
  }

  /**
   * The GRPO objective ({@code rl.*}): group size, advantages, entropy reward, KL, clipping.
   *
   * @param algorithm {@code grpo} or {@code astar_po} (A*-PO: offline V̂* from π_ref, then one
   *     sample per prompt and a least-squares loss; see {@link AStarPo}); with {@code astar_po},
   *     {@code group_size}, {@code advantage}, {@code entropy}, {@code clip} and the KL weights do
   *     not apply, {@code data.prompts_per_step} is the prompts (= samples) per step ({@link
   *     #ALGORITHM})
   * @param groupSize G, completions per prompt; advantages are relative within a group ({@link
   *     #GROUP_SIZE})
   * @param epochs μ, passes of the clipped surrogate over one batch of rollouts ({@link #EPOCHS})
   * @param microBatch rows per forward/backward chunk; gradients accumulate ({@link #MICRO_BATCH})
   * @param aggregation how per-token losses become one number: {@code token}, {@code sequence} or
   *     {@code constant} (Dr.GRPO), see {@link LossAggregation} ({@link #AGGREGATION})
   * @param advantage how advantages are computed ({@code rl.advantage.*}: the keys, their defaults
   *     and the formulas are in {@link Advantages})
   * @param entropy the token reward r_t = α·pref_t + β·H_t ({@code rl.entropy.*}, see {@link
   *     EntropyReward})
   * @param kl the KL terms to π_ref
   * @param clip the PPO ratio clip range
   * @param tokenMask which tokens carry the policy gradient ({@code rl.token_mask.*}, see {@link
   *     TokenMask})
   * @param astar A*-PO's settings ({@code rl.astar.*}: the keys, their defaults and the formulas
   *     are in {@link AStarPo})
   * @param tisCap C of truncated importance sampling ({@link io.grpo4j.rl.TruncatedImportance}):
   *     when set, π_old is the trainer's own log-probability of each sampled token and the policy
   *     term of token t is weighted by min(π_old/π_sampler, C), correcting for the sampler's
   *     different numerics (bf16, CUDA graphs, int8); needs sampling from the policy (top_p 1,
   *     top_k 0); ≥ 1 ({@link #TIS_CAP})
   */
  public record Rl(
      Algorithm algorithm,
      int groupSize,
      int epochs,
      int microBatch,
      LossAggregation aggregation,
      Advantages advantage,
      EntropyReward entropy,
      Kl kl,
      Clip clip,
      TokenMask tokenMask,
      AStarPo astar,
      Double tisCap) {
    public Rl {
      require(algorithm != null, "rl.algorithm must be set");
      require(astar != null, "rl.astar must be present");
      require(
          groupSize >= 2,
          "rl.group_size must be >= 2 (advantages are relative within a group), got " + groupSize);
      require(epochs >= 1, "rl.epochs must be >= 1, got " + epochs);
      require(microBatch >= 1, "rl.micro_batch must be >= 1, got " + microBatch);
      require(aggregation != null, "rl.aggregation must be set");
      require(
          advantage != null && entropy != null && kl != null && clip != null && tokenMask != null,
          "rl.advantage, rl.entropy, rl.kl, rl.clip and rl.token_mask must be present");
      require(
          tisCap == null || tisCap >= 1.0,
          "rl.tis_cap must be >= 1 (or unset for no importance weights), got " + tisCap);
    }

    /** Default {@code rl.algorithm}: GRPO, the seed's. */
    public static final Algorithm ALGORITHM = Algorithm.GRPO;

    /**
     * Default {@code rl.tis_cap}: unset, no importance weights, the loss as the seed's recipe has
     * it (π_old = the sampler's log-probs at μ = 1). As C grows, w·ρ with ρ = π_θ/π_old tends to
     * π_θ/π_sampler, the ratio of the unset case, so unset is the limit C → ∞ (up to which ratio
     * the clip sees). verl and TRL use C = 2 when the sampler is another engine.
     */
    public static final Double TIS_CAP = null;

    /** Default {@code rl.group_size}: the seed's recipe. */
    public static final int GROUP_SIZE = 8;

    /**
     * Default {@code rl.epochs}: one pass, so ρ = 1 at the start of the step and the rollout
     * log-probs serve as π_old.
     */
    public static final int EPOCHS = 1;

    /** Default {@code rl.micro_batch}: bounds activation memory without changing the maths. */
    public static final int MICRO_BATCH = 32;

    /** Default {@code rl.aggregation}: DAPO's, every token weighs the same. */
    public static final LossAggregation AGGREGATION = LossAggregation.TOKEN;

    static Rl defaults() {
      return new Rl(
          ALGORITHM,
          GROUP_SIZE,
          EPOCHS,
          MICRO_BATCH,
          AGGREGATION,
          Advantages.DEFAULTS,
          EntropyReward.DEFAULTS,
          Kl.defaults(),
          Clip.defaults(),
          TokenMask.DEFAULTS,
          AStarPo.DEFAULTS,
          TIS_CAP);
    }
  }

  /**
   * The KL terms to π_ref ({@code rl.kl.*}).
   *
   * @param forward λ_F, weight of KL(π_θ‖π_ref) ({@link #FORWARD})
   * @param reverse λ_R, weight of KL(π_ref‖π_θ) ({@link #REVERSE})
   * @param estimator {@code exact} (sum over the whole vocabulary) or {@code k3} (sampled estimator
   *     at the chosen token, for huge vocabularies) ({@link #ESTIMATOR})
   * @param target KL_target: when &gt; 0, λ_F and λ_R are both scaled by one adaptive factor
   *     (Ziegler et al.'s controller, {@link io.grpo4j.rl.KlController}) so that the measured
   *     forward KL per token tracks this value; 0 keeps λ fixed ({@link #TARGET})
   * @param horizon steps over which the controller applies a full ±20 % correction ({@link
   *     #HORIZON})
   * @param minFactor floor of the controller's factor on λ_F and λ_R ({@link #MIN_FACTOR})
   * @param maxFactor ceiling of the factor ({@link #MAX_FACTOR})
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

    /** Default {@code rl.kl.forward}: the seed's recipe. */
    public static final double FORWARD = 0.02;

    /** Default {@code rl.kl.reverse}: the seed's recipe. */
    public static final double REVERSE = 0.01;

    /** Default {@code rl.kl.estimator}: exact, the true KL, which k3 only estimates. */
    public static final KlEstimator ESTIMATOR = KlEstimator.EXACT;

    /** Default {@code rl.kl.target}: off, the seed's recipe uses fixed weights. */
    public static final double TARGET = 0.0;

    /**
     * Default {@code rl.kl.horizon}: fast enough to react within a 150-step run, slow enough not to
     * chase one noisy batch.
     */
    public static final double HORIZON = 10.0;

    /**
     * Default {@code rl.kl.min_factor}: with a low KL for a while the unbounded controller let λ
     * fall to 0.2× and the KL then overshot.
     */
    public static final double MIN_FACTOR = 0.1;

    /** Default {@code rl.kl.max_factor}: the sequence recipe reached 7×. */
    public static final double MAX_FACTOR = 10.0;

    static Kl defaults() {
      return new Kl(FORWARD, REVERSE, ESTIMATOR, TARGET, HORIZON, MIN_FACTOR, MAX_FACTOR);
    }
  }

  /**
   * The PPO ratio clip range ({@code rl.clip.*}).
   *
   * @param low ε_low: ρ is clipped below at 1 − ε_low ({@link #LOW})
   * @param high ε_high: ρ is clipped above at 1 + ε_high ({@link #HIGH})
   */
  public record Clip(double low, double high) {
    public Clip {
      require(low > 0 && low < 1, "rl.clip.low must be in (0, 1), got " + low);
      require(high > 0, "rl.clip.high must be > 0, got " + high);
    }

    /** Default {@code rl.clip.low}: PPO's. */
    public static final double LOW = 0.2;

    /** Default {@code rl.clip.high}: PPO's (DAPO raises it to 0.28). */
    public static final double HIGH = 0.2;

    static Clip defaults() {
      return new Clip(LOW, HIGH);
    }
  }

  /**
   * The GRPO optimisation loop ({@code train.*}).
   *
   * @param steps GRPO steps ({@link #STEPS})
   * @param lr AdamW learning rate ({@link #LR})
   * @param warmupSteps linear warm-up steps, then constant ({@link #WARMUP_STEPS})
   * @param weightDecay AdamW decoupled weight decay ({@link #WEIGHT_DECAY})
   * @param beta1 AdamW β1 ({@link #BETA1})
   * @param beta2 AdamW β2 ({@link #BETA2})
   * @param gradClip max global gradient norm ({@link #GRAD_CLIP})
   * @param evalEvery evaluate on the held-out set every N steps, 0 = only at the end ({@link
   *     #EVAL_EVERY})
   * @param saveEvery checkpoint every N steps; the last step is always saved ({@link #SAVE_EVERY})
   * @param samplesPerStep rollouts per step written to samples.jsonl: the step's first ones, so
   *     whole groups in order ({@link #SAMPLES_PER_STEP})
   * @param budgetMinutes stop (and save) after this wall time, 0 = no limit ({@link
   *     #BUDGET_MINUTES})
   * @param maxSkippedSteps an update whose loss or gradient norm is NaN/infinite is skipped and
   *     counted ({@code skipped_steps} in metrics); this many in a row stop the run, keeping the
   *     last good checkpoint. SFT uses the same setting ({@link #MAX_SKIPPED_STEPS})
   * @param maxGeneratedTokens stop (and save) after the step in which the run's generated tokens
   *     reach this many, 0 = no limit: the rollouts' tokens, each decoded token once (a prefix that
   *     tree rollouts share counts once), Monte-Carlo continuations included — so runs of different
   *     advantage modes compare at a matched budget of generation ({@code tokens/generated_total}
   *     in metrics; {@link #MAX_GENERATED_TOKENS})
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
      int maxSkippedSteps,
      long maxGeneratedTokens) {
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
      require(
          maxGeneratedTokens >= 0,
          "train.max_generated_tokens must be >= 0 (0 = no limit), got " + maxGeneratedTokens);
    }

    /** Default {@code train.steps}. */
    public static final int STEPS = 150;

    /** Default {@code train.lr}. */
    public static final double LR = 2e-5;

    /** Default {@code train.warmup_steps}. */
    public static final int WARMUP_STEPS = 5;

    /** Default {@code train.weight_decay}: off, RL should not pull weights to 0 away from π_ref. */
    public static final double WEIGHT_DECAY = 0.0;

    /** Default {@code train.beta1}: AdamW's usual. */
    public static final double BETA1 = 0.9;

    /** Default {@code train.beta2}: adapts faster to the shifting RL gradient scale. */
    public static final double BETA2 = 0.99;

    /** Default {@code train.grad_clip}. */
    public static final double GRAD_CLIP = 1.0;

    /** Default {@code train.eval_every}: steps 50, 100 and 150 of a default run. */
    public static final int EVAL_EVERY = 50;

    /** Default {@code train.save_every}: a crash loses at most 25 steps. */
    public static final int SAVE_EVERY = 25;

    /**
     * Default {@code train.samples_per_step}: one whole group of the default {@link Rl#GROUP_SIZE},
     * so the dashboard's rollout browser shows a complete group and its true baseline.
     */
    public static final int SAMPLES_PER_STEP = 8;

    /** Default {@code train.budget_minutes}: no limit. */
    public static final double BUDGET_MINUTES = 0;

    /**
     * Default {@code train.max_skipped_steps}: one bad batch is survivable, five in a row mean
     * divergence.
     */
    public static final int MAX_SKIPPED_STEPS = 5;

    /** Default {@code train.max_generated_tokens}: no limit, {@code train.steps} ends the run. */
    public static final long MAX_GENERATED_TOKENS = 0;

    static Train defaults() {
      return new Train(
          STEPS,
          LR,
          WARMUP_STEPS,
          WEIGHT_DECAY,
          BETA1,
          BETA2,
          GRAD_CLIP,
          EVAL_EVERY,
          SAVE_EVERY,
          SAMPLES_PER_STEP,
          BUDGET_MINUTES,
          MAX_SKIPPED_STEPS,
          MAX_GENERATED_TOKENS);
    }
  }

  /**
   * The supervised warm-start ({@code sft.*}).
   *
   * @param steps optimizer steps of supervised warm-start ({@link #STEPS})
   * @param lr peak learning rate ({@link #LR})
   * @param minLrRatio cosine decays to lr × this ({@link #MIN_LR_RATIO})
   * @param batchSize prompt → solution pairs per step, freshly generated ({@link #BATCH_SIZE})
   * @param warmupSteps linear warm-up ({@link #WARMUP_STEPS})
   * @param weightDecay AdamW decoupled weight decay ({@link #WEIGHT_DECAY})
   * @param gradClip max global gradient norm ({@link #GRAD_CLIP})
   * @param evalEvery evaluate greedy success every N steps, 0 = only at the end ({@link
   *     #EVAL_EVERY})
   * @param saveEvery checkpoint every N steps ({@link #SAVE_EVERY})
   * @param microBatch rows per forward/backward pass, gradients accumulated over the batch; 0 = the
   *     whole batch at once ({@link #MICRO_BATCH})
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

    /** Default {@code sft.steps}. */
    public static final int STEPS = 3000;

    /** Default {@code sft.lr}: a 3 M-parameter model from scratch. */
    public static final double LR = 1e-3;

    /** Default {@code sft.min_lr_ratio}. */
    public static final double MIN_LR_RATIO = 0.1;

    /** Default {@code sft.batch_size}. */
    public static final int BATCH_SIZE = 64;

    /** Default {@code sft.warmup_steps}. */
    public static final int WARMUP_STEPS = 100;

    /** Default {@code sft.weight_decay}. */
    public static final double WEIGHT_DECAY = 0.01;

    /** Default {@code sft.grad_clip}. */
    public static final double GRAD_CLIP = 1.0;

    /** Default {@code sft.eval_every}: steps 1000, 2000 and 3000 of a default run. */
    public static final int EVAL_EVERY = 1000;

    /** Default {@code sft.save_every}: a crash loses at most 500 steps. */
    public static final int SAVE_EVERY = 500;

    /**
     * Default {@code sft.micro_batch}: the same update up to summation order with a quarter of the
     * activation memory of a 64-row batch; on bench25m also faster, since smaller tensors reuse the
     * allocator's memory instead of faulting in fresh pages (docs/performance.md).
     */
    public static final int MICRO_BATCH = 16;

    static Sft defaults() {
      return new Sft(
          STEPS,
          LR,
          MIN_LR_RATIO,
          BATCH_SIZE,
          WARMUP_STEPS,
          WEIGHT_DECAY,
          GRAD_CLIP,
          EVAL_EVERY,
          SAVE_EVERY,
          MICRO_BATCH);
    }
  }

  /**
   * What a run writes besides metrics.jsonl and samples.jsonl ({@code logging.*}).
   *
   * @param tensorboard write a TensorBoard event file ({@code events.out.tfevents.*}) beside
   *     metrics.jsonl, fed the same rows: a scalar per metric, same names, and a text summary of
   *     each step's logged completions ({@link #TENSORBOARD})
   */
  public record Logging(boolean tensorboard) {
    /**
     * Default {@code logging.tensorboard}: on, TensorBoard and W&B's TensorBoard sync read it, so a
     * run shows up in the trackers people already use with no extra step.
     */
    public static final boolean TENSORBOARD = true;

    static Logging defaults() {
      return new Logging(TENSORBOARD);
    }
  }

  /**
   * Data-parallel training (docs/distributed.md); used only when the process is started as a rank
   * of a job (WORLD_SIZE &gt; 1 in its environment, e.g. by {@code grpo4j launch} or torchrun).
   *
   * @param backend {@code auto} (Gloo on cpu, NCCL on cuda, as PyTorch), {@code gloo} or {@code
   *     nccl} ({@link #BACKEND})
   * @param initTimeoutS seconds the rendezvous waits for every rank to join ({@link
   *     #INIT_TIMEOUT_S})
   * @param timeoutS seconds any collective waits for its peers before failing with a clear error; a
   *     rank that dies fails its peers at once, one that hangs after this ({@link #TIMEOUT_S})
   * @param bucketMb gradient all-reduce bucket size in MiB ({@link #BUCKET_MB})
   */
  public record Distributed(BackendKind backend, int initTimeoutS, int timeoutS, int bucketMb) {
    public Distributed {
      require(backend != null, "distributed.backend must be auto, gloo or nccl");
      require(initTimeoutS > 0, "distributed.init_timeout_s must be > 0, got " + initTimeoutS);
      require(timeoutS > 0, "distributed.timeout_s must be > 0, got " + timeoutS);
      require(bucketMb > 0, "distributed.bucket_mb must be > 0, got " + bucketMb);
    }

    /** Default {@code distributed.backend}: the one that works on the device, as PyTorch picks. */
    public static final BackendKind BACKEND = BackendKind.AUTO;

    /**
     * Default {@code distributed.init_timeout_s}: ranks of a cluster job may start minutes apart,
     * as torchrun's rendezvous allows.
     */
    public static final int INIT_TIMEOUT_S = 300;

    /**
     * Default {@code distributed.timeout_s}: longer than the slowest rank's rollouts plus rank 0's
     * checkpoint save on the 1.5B recipe.
     */
    public static final int TIMEOUT_S = 600;

    /** Default {@code distributed.bucket_mb}: PyTorch DDP's bucket_cap_mb. */
    public static final int BUCKET_MB = 25;

    static Distributed defaults() {
      return new Distributed(BACKEND, INIT_TIMEOUT_S, TIMEOUT_S, BUCKET_MB);
    }
  }

  /**
   * The masked-diffusion probe ({@code diffusion.*}, docs/diffusion.md): how the diffusion model
   * generates, and which likelihood estimator and advantage its GRPO steps use. Read only when
   * {@code model.architecture} is {@code masked_diffusion}; G, the KL weights, clipping, the
   * optimiser and the verifier are the GRPO settings above, shared with the autoregressive model.
   *
   * @param genLength L, positions generated per completion: the answer, its end-of-text token and
   *     end-of-text padding after it ({@link #GEN_LENGTH})
   * @param steps T, denoising steps per completion, 1..L; rollouts and evaluation both take T
   *     ({@link #STEPS})
   * @param rolloutOrder which masked positions a rollout step commits: {@code random}
   *     (model-independent, so the trajectory likelihood is exact) or {@code low_confidence}
   *     (LLaDA's; only with {@code likelihood: one_step}) ({@link #ROLLOUT_ORDER})
   * @param likelihood {@code one_step} (E1, d1's mean-field estimate) or {@code trajectory} (E2,
   *     the exact random-order trajectory likelihood) ({@link DiffusionLikelihood}, {@link
   *     #LIKELIHOOD})
   * @param advantage {@code sequence} (A1), {@code step_delta} (A2, MDPO's) or {@code state_delta}
   *     (A3, the verifier's partial score before and after each denoising pass) ({@link
   *     DiffusionAdvantage}, {@link #ADVANTAGE})
   * @param promptMask E1's probability of masking each prompt token ({@link #PROMPT_MASK})
   * @param probeProblems held-out problems whose reference answers, masked at 4 fixed ratios, make
   *     the fixed probe set of partially masked states on which the exact KL to the start model is
   *     measured ({@link #PROBE_PROBLEMS})
   * @param probeEvery measure the probe KL every N GRPO steps, 0 = never ({@link #PROBE_EVERY})
   * @param evalProblems held-out problems of the in-training evaluation at {@code train.eval_every}
   *     (the first ones of the held-out set; the sweep's final evaluation uses all {@code
   *     data.eval_size}) ({@link #EVAL_PROBLEMS})
   * @param sftMinNoise the smallest masking rate t the SFT loss draws, keeping its 1/t weight
   *     bounded ({@link #SFT_MIN_NOISE})
   */
  public record Diffusion(
      int genLength,
      int steps,
      String rolloutOrder,
      DiffusionLikelihood likelihood,
      DiffusionAdvantage advantage,
      double promptMask,
      int probeProblems,
      int probeEvery,
      int evalProblems,
      double sftMinNoise) {
    public Diffusion {
      require(genLength >= 1, "diffusion.gen_length must be >= 1, got " + genLength);
      require(
          steps >= 1 && steps <= genLength,
          "diffusion.steps must be in [1, diffusion.gen_length = " + genLength + "], got " + steps);
      DiffusionSampler.Order order =
          DiffusionSampler.Order.parse("diffusion.rollout_order", rolloutOrder);
      require(likelihood != null, "diffusion.likelihood must be one_step or trajectory");
      require(advantage != null, "diffusion.advantage must be sequence, step_delta or state_delta");
      require(
          likelihood != DiffusionLikelihood.TRAJECTORY || order == DiffusionSampler.Order.RANDOM,
          "diffusion.likelihood=trajectory needs diffusion.rollout_order=random: the trajectory"
              + " likelihood is exact only when the unmasking order does not depend on the model");
      require(
          promptMask >= 0 && promptMask < 1,
          "diffusion.prompt_mask must be in [0, 1), got " + promptMask);
      require(probeProblems >= 1, "diffusion.probe_problems must be >= 1, got " + probeProblems);
      require(probeEvery >= 0, "diffusion.probe_every must be >= 0, got " + probeEvery);
      require(evalProblems >= 1, "diffusion.eval_problems must be >= 1, got " + evalProblems);
      require(
          sftMinNoise > 0 && sftMinNoise <= 1,
          "diffusion.sft_min_noise must be in (0, 1], got " + sftMinNoise);
    }

    /**
     * Default {@code diffusion.gen_length}: the longest 3-number, 2-step reference answer is 20
     * bytes, plus its end-of-text token (docs/diffusion.md).
     */
    public static final int GEN_LENGTH = 24;

    /**
     * Default {@code diffusion.steps}: 3 positions per step; each step is a full forward pass over
     * the row, so T sets the cost of a rollout (and of E2's likelihood) on a 2-core CPU.
     */
    public static final int STEPS = 8;

    /** Default {@code diffusion.rollout_order}: the order under which E2 is exact. */
    public static final String ROLLOUT_ORDER = "random";

    /** Default {@code diffusion.likelihood}: the exact one. */
    public static final DiffusionLikelihood LIKELIHOOD = DiffusionLikelihood.TRAJECTORY;

    /** Default {@code diffusion.advantage}: standard GRPO's, the control of A2 and A3. */
    public static final DiffusionAdvantage ADVANTAGE = DiffusionAdvantage.SEQUENCE;

    /** Default {@code diffusion.prompt_mask}: d1's 15 %. */
    public static final double PROMPT_MASK = 0.15;

    /** Default {@code diffusion.probe_problems}: 32 × 4 = 128 probe states, one forward pass. */
    public static final int PROBE_PROBLEMS = 32;

    /** Default {@code diffusion.probe_every}: every step, the curve the question asks for. */
    public static final int PROBE_EVERY = 1;

    /**
     * Default {@code diffusion.eval_problems}: a curve point (greedy and sampled) costs 2 × 2
     * batches × T forward passes, a few seconds, instead of a minute for 500 problems.
     */
    public static final int EVAL_PROBLEMS = 100;

    /** Default {@code diffusion.sft_min_noise}: LLaDA's ε. */
    public static final double SFT_MIN_NOISE = 1e-3;

    static Diffusion defaults() {
      return new Diffusion(
          GEN_LENGTH,
          STEPS,
          ROLLOUT_ORDER,
          LIKELIHOOD,
          ADVANTAGE,
          PROMPT_MASK,
          PROBE_PROBLEMS,
          PROBE_EVERY,
          EVAL_PROBLEMS,
          SFT_MIN_NOISE);
    }

    public DiffusionSampler.Order order() {
      return DiffusionSampler.Order.parse("diffusion.rollout_order", rolloutOrder);
    }
  }
}
