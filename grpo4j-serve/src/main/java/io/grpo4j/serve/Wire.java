package io.grpo4j.serve;

import java.util.List;
import java.util.Map;

/**
 * The JSON bodies of OpenAI's API that this server writes, as records (serialised with snake_case
 * names and explicit nulls, as OpenAI writes them).
 */
final class Wire {
  private Wire() {}

  record ErrorBody(ErrorDetail error) {}

  record ErrorDetail(String message, String type, String param, String code) {}

  record ModelList(String object, List<ModelCard> data) {}

  /**
   * {@code parent}: for a LoRA adapter, the base model's id (vLLM's field); null for the base.
   * {@code grpo4j}: what a decode step reads (a field OpenAI clients ignore; bench-serve's
   * bandwidth estimate uses it); on the base model's card only.
   */
  record ModelCard(
      String id,
      String object,
      long created,
      String ownedBy,
      int maxModelLen,
      String parent,
      ModelFacts grpo4j) {}

  /**
   * @param decodeWeightBytes weights read by one decode step, whatever its batch
   * @param kvBytesPerPosition KV-cache bytes per position of one sequence
   * @param weights e.g. {@code bf16} or {@code int8 + bf16}
   */
  record ModelFacts(long decodeWeightBytes, long kvBytesPerPosition, String weights) {}

  record Usage(int promptTokens, int completionTokens, int totalTokens) {}

  // --- /v1/completions

  record Completion(
      String id,
      String object,
      long created,
      String model,
      List<CompletionChoice> choices,
      Usage usage) {}

  record CompletionChoice(
      int index, String text, CompletionLogprobs logprobs, String finishReason) {}

  /** The legacy logprobs layout: parallel lists, top alternatives as token → logprob maps. */
  record CompletionLogprobs(
      List<String> tokens,
      List<Float> tokenLogprobs,
      List<Map<String, Float>> topLogprobs,
      List<Integer> textOffset) {}

  // --- /v1/chat/completions

  record ChatCompletion(
      String id,
      String object,
      long created,
      String model,
      List<ChatChoice> choices,
      Usage usage) {}

  record ChatChoice(int index, ChatMessage message, ChatLogprobs logprobs, String finishReason) {}

  record ChatMessage(String role, String content) {}

  record ChatChunk(
      String id,
      String object,
      long created,
      String model,
      List<ChatChunkChoice> choices,
      Usage usage) {}

  record ChatChunkChoice(int index, ChatDelta delta, ChatLogprobs logprobs, String finishReason) {}

  /**
   * A streamed piece of the message: role in the first chunk, content after, both null at the end.
   */
  record ChatDelta(String role, String content) {}

  record ChatLogprobs(List<ChatTokenLogprob> content) {}

  record ChatTokenLogprob(
      String token, float logprob, List<Integer> bytes, List<ChatTopLogprob> topLogprobs) {}

  record ChatTopLogprob(String token, float logprob, List<Integer> bytes) {}
}
