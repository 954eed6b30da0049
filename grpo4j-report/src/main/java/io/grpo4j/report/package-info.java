/**
 * Seeing runs: the live dashboard ({@link io.grpo4j.report.DashboardServer}), the self-contained
 * {@code report.html} and PNG plots ({@link io.grpo4j.report.ReportWriter}, {@link
 * io.grpo4j.report.Plots}) and TensorBoard files written again from a run's logs ({@link
 * io.grpo4j.report.TensorBoardExport}). It reads run folders as files only — {@code metrics.jsonl},
 * {@code samples.jsonl}, {@code summary.json}, {@code sweep.json} — so it serves every task and
 * runs that are still training; it may use train, eval, generate and model (today: train's
 * TensorBoard writer).
 */
package io.grpo4j.report;
