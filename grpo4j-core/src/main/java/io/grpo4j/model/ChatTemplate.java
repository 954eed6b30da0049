package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model's chat template (the Jinja text in {@code tokenizer_config.json}) rendered the way Python
 * {@code transformers}' {@code apply_chat_template} renders it, so that the prompts we train and
 * sample on are byte for byte the ones the model was trained on.
 *
 * <p>transformers uses jinja2 with {@code trim_blocks} and {@code lstrip_blocks}, its own {@code
 * tojson} filter ({@code json.dumps(x, ensure_ascii=False, ...)}, not jinja2's HTML-escaping one)
 * and the globals {@code raise_exception} and {@code strftime_now}. jinjava needs the same settings
 * plus {@code useTrimmingForNotesAndExpressions} (so {@code {{-}} and {@code -}}} trim as in
 * jinja2) and the other Python-compatible legacy overrides; {@code length} counts code points as
 * Python's {@code len} does, and the source's line breaks are read as jinja2 reads them. jinjava
 * does not throw: it collects errors in the render result, so every render checks them and throws.
 *
 * <p>Known differences left: a bare {@code {{ flag }}} prints {@code true} (Python: {@code True})
 * and a null value prints nothing (Python: {@code None}); chat templates print booleans and None
 * only through {@code tojson}, which matches.
 */
public final class ChatTemplate {

  private final String name;
  private final String text;
  private final String bosToken;
  private final String eosToken;
  private final Jinjava jinjava;

  private ChatTemplate(String name, String text, String bosToken, String eosToken) {
    this.name = name;
    this.text = asJinja2Reads(text);
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.jinjava = newJinjava();
    checkSyntax();
  }

  /**
   * The template of a {@code tokenizer_config.json}: its {@code chat_template} (a string, or a list
   * of {@code {name, template}} of which "default" is taken), else a {@code chat_template.jinja}
   * beside it (where newer transformers versions save it). {@code bos_token} and {@code eos_token}
   * come from the same file.
   *
   * @throws IOException naming the file if it is unreadable, not JSON, or has no template
   */
  public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson) throws IOException {
    JsonNode root = Tokenizer.readJson(tokenizerConfigJson);
    String bos = Tokenizer.tokenName(root.get("bos_token"));
    String eos = Tokenizer.tokenName(root.get("eos_token"));
    JsonNode template = root.get("chat_template");
    String name = tokenizerConfigJson + " (chat_template)";
    if (template == null || template.isNull()) {
      Path jinja = tokenizerConfigJson.resolveSibling("chat_template.jinja");
      if (Files.exists(jinja)) {
        return named(jinja.toString(), Files.readString(jinja, StandardCharsets.UTF_8), bos, eos);
      }
      throw new IOException(
          tokenizerConfigJson + ": no chat_template field (and no chat_template.jinja beside it)");
    }
    if (template.isTextual()) {
      return named(name, template.asText(), bos, eos);
    }
    if (template.isArray()) {
      for (JsonNode entry : template) {
        if ("default".equals(entry.path("name").asText()) && entry.path("template").isTextual()) {
          return named(
              tokenizerConfigJson + " (chat_template \"default\")",
              entry.get("template").asText(),
              bos,
              eos);
        }
      }
      throw new IOException(
          tokenizerConfigJson + ": chat_template is a list without an entry named \"default\"");
    }
    throw new IOException(
        tokenizerConfigJson + ": chat_template must be a string or a list of {name, template}");
  }

  /**
   * A template given as text, {@code name} naming it in errors; {@code bosToken}/{@code eosToken}
   * may be null (then undefined).
   */
  static ChatTemplate named(String name, String templateText, String bosToken, String eosToken) {
    if (templateText == null) {
      throw new IllegalArgumentException(name + ": template text is null");
    }
    return new ChatTemplate(name, templateText, bosToken, eosToken);
  }

  /** Renders {@code messages} ({@code role}, {@code content}, ...) with no tools. */
  public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
    return render(messages, null, addGenerationPrompt, Map.of());
  }

  /**
   * Renders {@code messages} offering {@code tools} (JSON-schema function specs, or null), with
   * extra template variables, as {@code apply_chat_template(**kwargs)} passes them (e.g. {@code
   * enable_thinking} for templates that read it).
   *
   * @throws IllegalArgumentException naming the template and jinjava's error, including the message
   *     of a {@code raise_exception(...)} call in the template
   */
  public String render(
      List<Map<String, Object>> messages,
      List<Map<String, Object>> tools,
      boolean addGenerationPrompt,
      Map<String, Object> extraVariables) {
    Map<String, Object> context = new HashMap<>();
    if (bosToken != null) {
      context.put("bos_token", bosToken);
    }
    if (eosToken != null) {
      context.put("eos_token", eosToken);
    }
    context.putAll(extraVariables);
    context.put("messages", messages);
    context.put("tools", tools);
    context.put("add_generation_prompt", addGenerationPrompt);
    boolean shield = ControlChars.needed(context);
    if (shield) context = ControlChars.shield(context);
    RenderResult result = jinjava.renderForResult(text, context);
    throwOnErrors(result.getErrors(), "rendering");
    return shield ? ControlChars.unshield(result.getOutput()) : result.getOutput();
  }

  /**
   * jinjava's Python-style value printing writes the control characters U+0000–U+0008, U+000B and
   * U+000E–U+001F as six-character backslash-u escapes, where jinja2 prints them as they are (a
   * sampled model turn may hold any byte). They cross the render as characters of the Supplementary
   * Private Use Area-B (U+100000 + c), which jinjava prints unchanged, and are put back afterwards
   * (and before {@code tojson} reads a value, which escapes them as Python does); a render whose
   * input already holds such characters is left as it is.
   */
  static final class ControlChars {
    private static final int BASE = 0x100000;

    private ControlChars() {}

    static boolean escaped(int c) {
      return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F);
    }

    /** True when some string holds a character jinjava would escape and none holds a stand-in. */
    static boolean needed(Object value) {
      boolean[] found = new boolean[2];
      scan(value, found);
      return found[0] && !found[1];
    }

    private static void scan(Object value, boolean[] found) {
      switch (value) {
        case CharSequence s ->
            s.codePoints()
                .forEach(
                    c -> {
                      if (escaped(c)) found[0] = true;
                      if (c >= BASE && c <= BASE + 0x1F) found[1] = true;
                    });
        case Map<?, ?> m -> m.values().forEach(v -> scan(v, found));
        case java.util.Collection<?> c -> c.forEach(v -> scan(v, found));
        case null, default -> {}
      }
    }

    /** A copy of {@code context} with every escaped control character replaced by its stand-in. */
    @SuppressWarnings("unchecked")
    static <T> T shield(T value) {
      return (T)
          switch (value) {
            case CharSequence s -> {
              StringBuilder b = new StringBuilder(s.length());
              s.codePoints().forEach(c -> b.appendCodePoint(escaped(c) ? BASE + c : c));
              yield b.toString();
            }
            case Map<?, ?> m -> {
              Map<Object, Object> out = new java.util.LinkedHashMap<>();
              m.forEach((k, v) -> out.put(k, shield(v)));
              yield out;
            }
            case List<?> l -> l.stream().map(ControlChars::shield).toList();
            case null -> null;
            default -> value;
          };
    }

    /** {@code value} with the stand-ins put back (for filters that read strings: tojson). */
    @SuppressWarnings("unchecked")
    static <T> T unshieldAll(T value) {
      return (T)
          switch (value) {
            case CharSequence s -> unshield(s.toString());
            case Map<?, ?> m -> {
              Map<Object, Object> out = new java.util.LinkedHashMap<>();
              m.forEach((k, v) -> out.put(k, unshieldAll(v)));
              yield out;
            }
            case List<?> l -> l.stream().map(ControlChars::unshieldAll).toList();
            case null -> null;
            default -> value;
          };
    }

    static String unshield(String text) {
      StringBuilder b = new StringBuilder(text.length());
      text.codePoints()
          .forEach(c -> b.appendCodePoint(c >= BASE && c <= BASE + 0x1F ? c - BASE : c));
      return b.toString();
    }
  }

  /**
   * The source as jinja2's lexer sees it: every line break ({@code \r\n}, {@code \r}) becomes
   * {@code \n}, and with {@code keep_trailing_newline=False} one final newline is dropped.
   */
  static String asJinja2Reads(String source) {
    String s = source.replace("\r\n", "\n").replace('\r', '\n');
    return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public String toString() {
    return "ChatTemplate[" + name + "]";
  }

  private void checkSyntax() {
    JinjavaInterpreter interpreter = jinjava.newInterpreter();
    interpreter.parse(text);
    throwOnErrors(interpreter.getErrors(), "parsing");
  }

  private void throwOnErrors(List<TemplateError> errors, String stage) {
    List<TemplateError> fatal =
        errors.stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
    if (!fatal.isEmpty()) {
      throw new IllegalArgumentException(
          name
              + ": error "
              + stage
              + " the chat template: "
              + fatal.stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
    }
  }

  private static String describe(TemplateError e) {
    String message = e.getMessage();
    Throwable cause = e.getException();
    while (cause != null) {
      if (cause instanceof TemplateRaisedException raised) {
        message = "raise_exception: " + raised.getMessage();
        break;
      }
      cause = cause.getCause();
    }
    return (e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "") + message;
  }

  // ---------------------------------------------------------------- the jinja2-compatible engine

  private static Jinjava newJinjava() {
    LegacyOverrides python =
        LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withEvaluateMapKeys(true)
            .withIterateOverMapKeys(true)
            .withUsePyishObjectMapper(true)
            .withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true)
            .withKeepNullableLoopValues(true)
            .build();
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .withLegacyOverrides(python)
            .build();
    Jinjava jinjava = new Jinjava(config);
    jinjava.getGlobalContext().registerFilter(new ToJsonFilter());
    jinjava.getGlobalContext().registerFilter(new LengthFilter("length"));
    jinjava.getGlobalContext().registerFilter(new LengthFilter("count"));
    jinjava
        .getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", Object.class));
    jinjava
        .getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
    return jinjava;
  }

  /** The template's {@code raise_exception(message)}: aborts the render with its message. */
  public static Object raiseException(Object message) {
    throw new TemplateRaisedException(String.valueOf(message));
  }

  /** The template's {@code strftime_now(format)}: the local time in Python strftime format. */
  public static String strftimeNow(String format) {
    return StrftimeFormatter.format(ZonedDateTime.now(), format);
  }

  /** Thrown by {@code raise_exception}; its message is the template's. */
  static final class TemplateRaisedException extends RuntimeException {
    TemplateRaisedException(String message) {
      super(message);
    }
  }

  /** Python's {@code len}: strings count code points (an emoji is 1, not 2 UTF-16 units). */
  private record LengthFilter(String getName) implements Filter {
    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return switch (var) {
        case null -> 0;
        case CharSequence s -> s.toString().codePointCount(0, s.length());
        case java.util.Collection<?> c -> c.size();
        case Map<?, ?> m -> m.size();
        case Object[] a -> a.length;
        case Iterable<?> it -> {
          int n = 0;
          for (Object ignored : it) {
            n++;
          }
          yield n;
        }
        default ->
            throw new IllegalArgumentException(
                "object of type " + var.getClass().getSimpleName() + " has no len()");
      };
    }
  }

  /**
   * transformers' {@code tojson(x, ensure_ascii=False, indent=None, separators=None,
   * sort_keys=False)}; positional arguments bind in that order, as in Python.
   */
  private static final class ToJsonFilter implements AdvancedFilter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      String[] names = {"ensure_ascii", "indent", "separators", "sort_keys"};
      Map<String, Object> bound = new HashMap<>();
      if (args.length > names.length) {
        throw new IllegalArgumentException("tojson takes at most 4 arguments, got " + args.length);
      }
      for (int i = 0; i < args.length; i++) {
        bound.put(names[i], args[i]);
      }
      for (Map.Entry<String, Object> e : kwargs.entrySet()) {
        if (!List.of(names).contains(e.getKey())) {
          throw new IllegalArgumentException("tojson got an unexpected keyword " + e.getKey());
        }
        bound.put(e.getKey(), e.getValue());
      }
      Object separators = bound.get("separators");
      if (separators != null && !(separators instanceof List<?>)) {
        throw new IllegalArgumentException("tojson: separators must be a pair of strings");
      }
      PythonJson.Options options =
          PythonJson.Options.of(
              truthy(bound.get("ensure_ascii")),
              bound.get("indent"),
              (List<?>) separators,
              truthy(bound.get("sort_keys")));
      return PythonJson.dumps(ControlChars.unshieldAll(var), options);
    }

    private static boolean truthy(Object o) {
      return switch (o) {
        case null -> false;
        case Boolean b -> b;
        case Number n -> n.doubleValue() != 0;
        case CharSequence s -> !s.isEmpty();
        default -> true;
      };
    }
  }
}
