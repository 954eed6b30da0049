package io.grpo4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.ChatTemplate;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "generate",
    description = "Sample completions from a local model folder (KV cache, batched, seeded).")
final class GenerateCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin ModelOption model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  PromptInput input;

  static final class PromptInput {
    @Option(names = "--prompt", description = "Prompt text.")
    String text;

    @Option(names = "--prompt-ids", split = ",", description = "Prompt as token ids, e.g. 1,2,3.")
    int[] ids;
  }

  @Option(
      names = "--chat",
      description = "Wrap the prompt as a user message in the model's chat template.")
  boolean chat;

  @Option(names = "--system", description = "System message (with --chat).")
  String system;

  @Option(
      names = "--n",
      description = "Samples per prompt; they share one prefill (default: ${DEFAULT-VALUE}).")
  int n = 1;

  @Option(
      names = "--temperature",
      description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
  double temperature = 1.0;

  @Option(
      names = "--top-p",
      description = "Nucleus sampling mass; 1 = off (default: ${DEFAULT-VALUE}).")
  double topP = 1.0;

  @Option(
      names = "--top-k",
      description = "Keep the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
  int topK = 0;

  @Option(names = "--greedy", description = "Arg-max decoding.")
  boolean greedy;

  @Option(
      names = "--max-new-tokens",
      description = "Completion length limit (default: ${DEFAULT-VALUE}).")
  int maxNewTokens = 64;

  @Option(names = "--seed", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(
      names = "--json",
      description =
          "Print one JSON object per sample: prompt_ids, completion_ids, text, logprobs, finish_reason.")
  boolean json;

  @Option(
      names = "--decode",
      description =
          "Decode steps: dynamic, static or cuda_graph (CUDA); all sample the same tokens"
              + " (default: ${DEFAULT-VALUE}).")
  String decode = "dynamic";

  @Mixin TorchOptions torchOptions;

  @Override
  public Integer call() throws Exception {
    String device = torchOptions.init(seed);
    try (ModelFolder folder = model.open()) {
      int[] promptIds;
      if (input.ids != null) {
        promptIds = input.ids;
      } else {
        String text = input.text;
        if (chat) {
          ChatTemplate tpl =
              folder
                  .chatTemplate()
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              model
                                  + " has no chat_template in tokenizer_config.json; drop --chat"));
          List<Map<String, Object>> messages = new ArrayList<>();
          if (system != null) messages.add(Map.of("role", "system", "content", system));
          messages.add(Map.of("role", "user", "content", text));
          text = tpl.render(messages, true);
        }
        promptIds = folder.tokenizer().encode(text);
      }
      Qwen2Model m = folder.loadModel(torchOptions.dtype(), device);
      SamplingParams params =
          new SamplingParams(
              temperature, topK, topP, greedy, maxNewTokens, folder.stopTokenIds(), seed);
      Rollout r =
          new Sampler(m, folder.samplableVocab(), Sampler.Decode.parse(decode))
              .generate(List.of(promptIds), n, params);
      for (Sample s : r.samples()) {
        String text = folder.tokenizer().decode(s.completionIds());
        if (json) {
          ObjectNode o = JSON.createObjectNode();
          o.set("prompt_ids", JSON.valueToTree(s.promptIds()));
          o.set("completion_ids", JSON.valueToTree(s.completionIds()));
          o.put("text", text);
          o.set("logprobs", JSON.valueToTree(s.logprobs()));
          o.put("finish_reason", s.finishReason().wireName());
          System.out.println(JSON.writeValueAsString(o));
        } else {
          if (n > 1)
            System.out.println(
                "--- sample "
                    + (r.samples().indexOf(s) + 1)
                    + " ("
                    + s.finishReason().wireName()
                    + ")");
          System.out.println(text);
        }
      }
      if (!json) {
        System.err.printf(
            "[%d prompt tokens, %d completion tokens; prefill %.3fs, decode %.3fs = %.1f tokens/s]%n",
            r.promptTokens(),
            r.completionTokens(),
            r.prefillSeconds(),
            r.decodeSeconds(),
            r.completionTokens() / Math.max(1e-9, r.decodeSeconds()));
      }
    }
    return 0;
  }
}
