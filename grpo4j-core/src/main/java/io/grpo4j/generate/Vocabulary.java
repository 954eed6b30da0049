package io.grpo4j.generate;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The ids a prompt may hold and the ids sampling may produce. Embedding rows at or above {@code
 * samplable} are untrained padding (Qwen2.5: 151,936 rows, 151,665 tokenizer ids): prompts may not
 * name ids outside {@code 0..size-1}, and sampling never produces an id at or above {@code
 * samplable}.
 *
 * @param size the model's vocabulary (embedding rows, logit columns)
 * @param samplable ids at or above it are never sampled; in {@code 1..size}
 */
public record Vocabulary(int size, int samplable) {
  public Vocabulary {
    if (samplable <= 0 || samplable > size) {
      throw new IllegalArgumentException(
          "samplable vocabulary " + samplable + " must be in 1.." + size);
    }
  }

  /**
   * @throws IllegalArgumentException naming the first id outside {@code 0..size-1}
   */
  public void checkPrompt(int[] ids) {
    for (int id : ids) {
      if (id < 0 || id >= size) {
        throw new IllegalArgumentException(
            "prompt token id " + id + " outside the vocabulary 0.." + (size - 1));
      }
    }
  }

  /**
   * Logits [rows, V] with the unsamplable columns set to −∞: a copy when there are any, else {@code
   * logits} itself.
   */
  public Tensor mask(Tensor logits) {
    long vocab = logits.size(1);
    if (samplable >= vocab) return logits;
    Tensor z = logits.clone();
    z.narrow(1, samplable, vocab - samplable).fill_(new Scalar(Float.NEGATIVE_INFINITY));
    return z;
  }
}
