package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which crash logs doctor reports. The head of each log follows HotSpot's layout (as in the log of
 * the SIGSEGV of issue 24); a real crash log is read in NativesIsolationTest.
 */
class CrashLogsTest {
  @TempDir Path tmp;

  private Path log(String name, String command, long epochSecond) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(
        f,
        String.join(
            "\n",
            "#",
            "# A fatal error has been detected by the Java Runtime Environment:",
            "#",
            "#  SIGSEGV (0xb) at pc=0x00007f77dc5db370, pid=26727, tid=26856",
            "#",
            "# Problematic frame:",
            "# C  [libc.so.6+0x8c370]  pthread_mutex_lock+0x0",
            "#",
            "---------------  S U M M A R Y ------------",
            "",
            "Command Line: -Xmx8g " + command,
            "",
            "---------------  P R O C E S S  ---------------",
            "java_command: " + command,
            "java_class_path (initial): x.jar",
            ""));
    Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(epochSecond)));
    return f;
  }

  @Test
  void reportsGrpo4jCrashLogsNewestFirstAndLeavesOtherProgramsOnesAlone() throws Exception {
    Path launcher = log("grpo4j-hs_err_pid11.log", "io.grpo4j.cli.Main train x", 1_000);
    Path old = log("hs_err_pid12.log", "io.grpo4j.cli.Main doctor --device cpu", 2_000);
    log("hs_err_pid13.log", "org.example.SomeOtherApp", 3_000);
    Files.writeString(tmp.resolve("hs_err_notes.txt"), "not a log");

    List<CrashLogs.Log> found = CrashLogs.find(List.of(tmp, tmp));
    assertThat(found).extracting(CrashLogs.Log::path).containsExactly(old, launcher);
    CrashLogs.Log newest = found.get(0);
    assertThat(newest.signal()).startsWith("SIGSEGV (0xb)");
    assertThat(newest.frame()).isEqualTo("C  [libc.so.6+0x8c370]  pthread_mutex_lock+0x0");
    assertThat(newest.command()).isEqualTo("io.grpo4j.cli.Main doctor --device cpu");
    assertThat(newest.time()).isEqualTo(Instant.ofEpochSecond(2_000));
  }

  @Test
  void aMissingFolderHoldsNoLogs() {
    assertThat(CrashLogs.find(List.of(tmp.resolve("absent")))).isEmpty();
  }
}
