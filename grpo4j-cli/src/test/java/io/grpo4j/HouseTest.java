package io.grpo4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house (DESIGN.md "The house") read from the sources: every {@code io.grpo4j.<room>} a main
 * source file of any module names (imports, static imports, qualified names in code) must be its
 * own room or one its room may use. A room may use the rooms of its row and, through them, whatever
 * those may use; every row names only rooms below it, so no arrow points up and there are no
 * cycles.
 */
class HouseTest {
  /** The rooms from top to bottom and the rooms each may use directly. */
  static final Map<String, Set<String>> ROWS = new LinkedHashMap<>();

  static {
    row("cli", "serve", "report", "bench", "fuzz", "audit", "(root)", "run");
    row("serve", "train", "eval", "generate", "model");
    row("report", "train", "eval", "generate", "model");
    // what they measure, fuzz or audit: the training rooms and everything below
    row("bench", "run");
    row("fuzz", "run");
    row("audit", "run");
    row("(root)", "run"); // io.grpo4j.Grpo4j, the embedding API
    row("run", "train", "config", "metrics", "eval", "task");
    row("train", "metrics", "config", "eval", "rl", "generate", "dist", "task", "model", "torch");
    row("config", "rl", "generate", "dist", "task"); // their records and mode enums
    row("eval", "generate", "task", "model");
    row("metrics", "torch"); // AtomicFiles
    row("rl", "torch");
    row("generate", "model", "torch");
    row("dist", "torch");
    row("task");
    row("model", "torch");
    row("torch");
  }

  private static void row(String room, String... uses) {
    ROWS.put(room, Set.of(uses));
  }

  /** The rooms {@code room} may use: its row, and theirs, transitively. */
  static Set<String> reachable(String room) {
    Set<String> seen = new TreeSet<>();
    List<String> todo = new ArrayList<>(ROWS.get(room));
    while (!todo.isEmpty()) {
      String r = todo.remove(todo.size() - 1);
      if (seen.add(r)) todo.addAll(ROWS.get(r));
    }
    return seen;
  }

  @Test
  void everyRowNamesOnlyRoomsBelowIt() {
    List<String> order = new ArrayList<>(ROWS.keySet());
    List<String> up = new ArrayList<>();
    for (var e : ROWS.entrySet()) {
      for (String used : e.getValue()) {
        assertThat(ROWS).as("room %s in the row of %s", used, e.getKey()).containsKey(used);
        if (order.indexOf(used) <= order.indexOf(e.getKey())) up.add(e.getKey() + " -> " + used);
      }
    }
    assertThat(up).as("arrows that point up the table").isEmpty();
  }

  @Test
  void everyImportPointsDownTheHouse() throws IOException {
    List<Path> files = mainSources();
    assertThat(files)
        .as("main sources found from " + Path.of("").toAbsolutePath())
        .hasSizeGreaterThan(100);
    List<String> violations = new ArrayList<>();
    Set<String> rooms = new TreeSet<>();
    for (Path f : files) {
      String text = Files.readString(f);
      String room = roomOf(text, f);
      rooms.add(room);
      if (!ROWS.containsKey(room)) {
        violations.add(f + ": room " + room + " is not in the house");
        continue;
      }
      Set<String> allowed = reachable(room);
      for (Reference r : references(text)) {
        if (!r.room().equals(room) && !allowed.contains(r.room())) {
          violations.add(f + ":" + r.line() + ": " + room + " may not use " + r.name());
        }
      }
    }
    assertThat(rooms).as("rooms with sources").containsAll(List.of("cli", "run", "config", "rl"));
    assertThat(violations).as("imports against the house (DESIGN.md)").isEmpty();
  }

  @Test
  void theCheckFindsAnArrowThatPointsUp() {
    String text =
        "package io.grpo4j.rl;\n"
            + "import io.grpo4j.torch.Tensors;\n"
            + "import static io.grpo4j.train.GrpoTrainer.run;\n"
            + "// io.grpo4j.cli.Main in a comment is no reference\n"
            + "class X { String s = \"io.grpo4j.serve.Server\"; Object o = io.grpo4j.config.RunConfig.class; }\n";
    Set<String> allowed = reachable("rl");
    List<String> bad =
        references(text).stream()
            .filter(r -> !allowed.contains(r.room()) && !r.room().equals("rl"))
            .map(r -> r.line() + " " + r.name())
            .toList();
    assertThat(bad)
        .containsExactly("3 io.grpo4j.train.GrpoTrainer", "5 io.grpo4j.config.RunConfig");
  }

  /** Every main source file of every module under the repository root. */
  static List<Path> mainSources() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> modules = Files.list(Path.of(""))) {
      for (Path m :
          modules.filter(p -> p.getFileName().toString().startsWith("grpo4j-")).toList()) {
        Path src = m.resolve("src/main/java");
        if (!Files.isDirectory(src)) continue;
        try (Stream<Path> s = Files.walk(src)) {
          s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(out::add);
        }
      }
    }
    return out;
  }

  private static final Pattern PACKAGE =
      Pattern.compile("^package io\\.grpo4j((?:\\.[a-z0-9_]+)?)", Pattern.MULTILINE);

  /** The room of a source: the first name after {@code io.grpo4j}, or "(root)". */
  static String roomOf(String text, Path f) {
    Matcher m = PACKAGE.matcher(text);
    if (!m.find()) throw new AssertionError(f + ": no io.grpo4j package");
    return m.group(1).isEmpty() ? "(root)" : m.group(1).substring(1);
  }

  record Reference(String room, String name, int line) {}

  private static final Pattern NAME =
      Pattern.compile("\\bio\\.grpo4j\\.([a-z0-9_]+)(?:\\.[a-z0-9_]+)*\\.([A-Z]\\w*)");

  /** The {@code io.grpo4j} types named in code (imports included; comments and strings skipped). */
  static List<Reference> references(String text) {
    String code = blankCommentsAndStrings(text);
    List<Reference> out = new ArrayList<>();
    Matcher m = NAME.matcher(code);
    while (m.find()) {
      int line = 1;
      for (int i = 0; i < m.start(); i++) if (code.charAt(i) == '\n') line++;
      out.add(new Reference(m.group(1), m.group(), line));
    }
    return out;
  }

  /** {@code text} with comments, string and char literals replaced by spaces (lines kept). */
  static String blankCommentsAndStrings(String text) {
    StringBuilder sb = new StringBuilder(text);
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (text.startsWith("//", i)) {
        while (i < n && text.charAt(i) != '\n') sb.setCharAt(i++, ' ');
      } else if (text.startsWith("/*", i)) {
        int end = text.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        for (; i < end; i++) if (text.charAt(i) != '\n') sb.setCharAt(i, ' ');
      } else if (text.startsWith("\"\"\"", i)) {
        int end = text.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end + 3;
        for (; i < end; i++) if (text.charAt(i) != '\n') sb.setCharAt(i, ' ');
      } else if (c == '"' || c == '\'') {
        sb.setCharAt(i++, ' ');
        while (i < n && text.charAt(i) != c && text.charAt(i) != '\n') {
          if (text.charAt(i) == '\\' && i + 1 < n) sb.setCharAt(i++, ' ');
          sb.setCharAt(i++, ' ');
        }
        if (i < n && text.charAt(i) == c) sb.setCharAt(i++, ' ');
      } else {
        i++;
      }
    }
    return sb.toString();
  }
}
