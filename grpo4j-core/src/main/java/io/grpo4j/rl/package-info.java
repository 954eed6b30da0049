/**
 * The reinforcement-learning mathematics of grpo4j: token rewards, group-relative advantages, the
 * clipped policy surrogate, exact and sampled KL to the reference policy, entropy, and the adaptive
 * KL coefficient. Pure tensor functions on libtorch — no I/O, no file formats, no model.
 *
 * <p>Conventions shared by every class here:
 *
 * <ul>
 *   <li>A batch holds {@code B = P·G} completion rows: P prompts, G samples each; the G rows of one
 *       group are consecutive, so row {@code i} belongs to group {@code i / G}.
 *   <li>Per-token tensors are {@code [B, T]} (float32, or float64 in tests) with a completion
 *       {@code mask [B, T]}: 1 where position t holds a real completion token, 0 on padding.
 *       Position t of every row is the t-th completion token (rows are left-aligned).
 *   <li>Logits are {@code [B, T, V]}; logits at position t are the distribution π(·|s_t) from which
 *       the token at position t was (or could have been) sampled.
 * </ul>
 */
package io.grpo4j.rl;
