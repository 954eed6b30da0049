/**
 * Audits of finished or killed runs: {@link io.grpo4j.audit.RunCheck} (is the run folder consistent
 * and resumable?) and {@link io.grpo4j.audit.MemoryTrend} (does memory grow per step?). Used by
 * {@code grpo4j check-run} and {@code scripts/crash-test.sh}.
 */
package io.grpo4j.audit;
