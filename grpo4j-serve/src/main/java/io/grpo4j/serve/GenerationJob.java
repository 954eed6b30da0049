package io.grpo4j.serve;

import io.grpo4j.generate.SamplingParams;
import java.util.List;

/**
 * A validated completion or chat request, ready for the engine.
 *
 * @param chat true for /v1/chat/completions (message deltas), false for /v1/completions
 * @param promptIds the prompt (for chat: the rendered template) as token ids
 * @param stops stop strings: the completion ends before the first of them, which is not returned
 * @param logprobs report the log-probability of each token
 * @param topLogprobs and that many of the most likely alternatives
 * @param model the model id the request named (the base's, or one adapter's)
 * @param adapter the engine's adapter that id names, or null for the base model
 */
record GenerationJob(
    boolean chat,
    int[] promptIds,
    int n,
    SamplingParams params,
    List<String> stops,
    boolean stream,
    boolean includeUsage,
    boolean logprobs,
    int topLogprobs,
    String model,
    String adapter) {}
