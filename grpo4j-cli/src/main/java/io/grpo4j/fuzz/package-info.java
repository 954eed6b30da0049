/**
 * Fuzzing the parsers of files a user hands grpo4j: each {@link io.grpo4j.fuzz.FuzzTarget} must
 * accept an input or reject it with its documented exception; {@link io.grpo4j.fuzz.Fuzzer} runs
 * them ({@code grpo4j fuzz}), the test suite runs the same targets briefly.
 */
package io.grpo4j.fuzz;
